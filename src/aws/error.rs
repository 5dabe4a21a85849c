//! AWS errors, classified once, here at the adapter boundary. Nothing above `aws/` looks at SDK
//! error codes or strings.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What the caller can do about an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The resource does not exist (any more).
    NotFound,
    /// AWS asked us to slow down; retry later.
    Throttled,
    /// Another change is in progress on the resource; retry after it settles.
    Conflict,
    /// AWS refused the request as invalid: the spec asks for something AWS does not accept.
    Validation,
    /// The credentials may not do this.
    AccessDenied,
    /// Network problems, timeouts, 5xx and anything unrecognised.
    Other,
}

impl ErrorKind {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Conflict | ErrorKind::Other
        )
    }
}

/// A failed AWS call: which operation, on what, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AwsError {
    pub operation: &'static str,
    pub kind: ErrorKind,
    /// AWS's error code, e.g. `ResourceConflictException`.
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.operation)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    pub fn new(operation: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            operation,
            kind,
            code: None,
            message: message.into(),
        }
    }

    /// Replace every occurrence of a secret in the message: AWS echoes request values in some
    /// errors (Lambda prints the whole environment when it is too large).
    pub fn redact(mut self, secrets: &[String]) -> Self {
        self.message = crate::render::scrub(&self.message, secrets);
        self
    }
}

/// Deleting what is already gone is success: deletes are idempotent, so that a retried or resumed
/// apply converges instead of failing on its own earlier work.
pub fn gone_is_done(result: Result<(), AwsError>) -> Result<(), AwsError> {
    match result {
        Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// A read of something that may not exist: not found is `None`, not an error.
pub fn found_or_none<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Classify by error code first, then by HTTP status.
pub fn classify_code(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code.unwrap_or("") {
        "ResourceNotFoundException"
        | "ResourceNotFound"
        | "NotFoundException"
        | "AWS.SimpleQueueService.NonExistentQueue"
        | "QueueDoesNotExist"
        | "NoSuchEntity" => ErrorKind::NotFound,
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded"
        | "SlowDown" => ErrorKind::Throttled,
        "ResourceConflictException"
        | "ResourceInUseException"
        | "ConcurrentModificationException"
        | "ConflictException"
        | "OperationAbortedException"
        | "AWS.SimpleQueueService.QueueDeletedRecently"
        | "QueueDeletedRecently" => ErrorKind::Conflict,
        "ValidationException"
        | "InvalidParameterValueException"
        | "InvalidParameterValue"
        | "InvalidParameterCombination"
        | "InvalidAttributeName"
        | "InvalidAttributeValue"
        | "InvalidRequestContentException"
        | "BadRequestException"
        | "CodeStorageExceededException"
        | "QueueAlreadyExists"
        | "QueueNameExists"
        | "ResourceAlreadyExistsException" => ErrorKind::Validation,
        "AccessDeniedException"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidSignatureException" => ErrorKind::AccessDenied,
        _ => match status {
            Some(404) => ErrorKind::NotFound,
            Some(429) => ErrorKind::Throttled,
            Some(409) => ErrorKind::Conflict,
            Some(401 | 403) => ErrorKind::AccessDenied,
            Some(400) => ErrorKind::Validation,
            _ => ErrorKind::Other,
        },
    }
}

/// Turn any SDK error into an [`AwsError`] for `operation`.
pub fn classify<E>(operation: &'static str, error: SdkError<E, Response>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = error.raw_response().map(|r| r.status().as_u16());
    match &error {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().map(str::to_string);
            AwsError {
                operation,
                kind: classify_code(code.as_deref(), status),
                message: inner
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("HTTP {}", status.unwrap_or(0))),
                code,
            }
        }
        SdkError::TimeoutError(_) => AwsError::new(operation, ErrorKind::Other, "timed out"),
        SdkError::DispatchFailure(failure) => AwsError::new(
            operation,
            ErrorKind::Other,
            format!("could not reach AWS: {failure:?}"),
        ),
        other => AwsError::new(
            operation,
            ErrorKind::Other,
            aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_throttling_shapes_of_each_service() {
        for code in [
            "ThrottlingException",
            "TooManyRequestsException",
            "RequestThrottled",
        ] {
            assert_eq!(classify_code(Some(code), Some(400)), ErrorKind::Throttled);
        }
        assert_eq!(classify_code(None, Some(429)), ErrorKind::Throttled);
        assert_eq!(
            classify_code(Some("ResourceConflictException"), Some(409)),
            ErrorKind::Conflict
        );
        assert_eq!(
            classify_code(Some("AWS.SimpleQueueService.NonExistentQueue"), Some(400)),
            ErrorKind::NotFound
        );
        assert_eq!(classify_code(None, Some(503)), ErrorKind::Other);
        assert!(ErrorKind::Other.is_transient());
        assert!(!ErrorKind::Validation.is_transient());
    }

    #[test]
    fn redacts_secrets_from_messages() {
        let error = AwsError::new(
            "UpdateFunctionConfiguration",
            ErrorKind::Validation,
            "String measured: {\"KEY\":\"hunter2\"}",
        );
        assert_eq!(
            error.redact(&["hunter2".into()]).message,
            "String measured: {\"KEY\":\"(sensitive)\"}"
        );
    }
}
