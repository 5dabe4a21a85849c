//! AWS errors, classified once, here at the adapter boundary. Nothing above `aws/` looks at SDK
//! error codes or strings.

mod explain;

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

// What an error means for a person: beside the classification, still named `error::explain`.
pub use explain::{explain, Explanation};

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
    /// What a person can act on, when the error is one of the set-up problems (credentials,
    /// network, permissions). It explains; `kind` still decides retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Box<Cause>>,
    /// How many times slsctl itself tried, where it retries instead of the SDK
    /// (`create_at_most_once`); otherwise the SDK's configured attempts apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
}

/// The set-up problems a first run meets, told apart once here so that [`explain`] can say
/// what to do about each.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "cause")]
pub enum Cause {
    /// No source of the credential chain had credentials.
    NoCredentials,
    /// The selected profile is in no config or credentials file.
    ProfileNotFound { profile: String },
    /// The SSO session's token has expired.
    SsoTokenExpired,
    /// The profile uses SSO, but there is no cached token: never logged in on this machine.
    SsoNotLoggedIn,
    /// A source of the chain was configured but failed (credential_process, web identity,
    /// container credentials, an assumed role); `detail` is its own message.
    CredentialSourceFailed { detail: String },
    /// AWS refused the credentials themselves: expired session, unknown key, wrong secret.
    CredentialsRejected,
    /// AWS refused the call: `action` on `resource`, as AWS names them, to `principal`.
    Denied {
        action: Option<String>,
        resource: Option<String>,
        principal: Option<String>,
    },
    /// The request never got an answer: DNS, connection, TLS, proxy or timeout.
    Unreachable { network: Network },
}

/// How a request failed to reach AWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    /// The endpoint's host name did not resolve.
    Dns,
    /// Nothing listens there (or a firewall said so).
    Refused,
    /// The TLS handshake failed (a certificate, an intercepting proxy).
    Tls,
    /// No answer in time.
    Timeout,
    /// The connection failed otherwise.
    Other,
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
            cause: None,
            attempts: None,
        }
    }

    /// One line for a person (an apply's failed action): the explanation's first line, with
    /// AWS's own words where the explanation leaves them out.
    pub fn for_people(&self, region: &str) -> String {
        let around = crate::aws::setup::Surroundings::from_env(None);
        let explanation = explain(self, &around, Some(region));
        match self.cause.as_deref() {
            Some(Cause::Denied { .. }) => format!("{}: {}", explanation.what, self.message),
            _ => explanation.what,
        }
    }

    /// Replace every occurrence of a secret in the message: AWS echoes request values in some
    /// errors (Lambda prints the whole environment when it is too large).
    pub fn redact(mut self, secrets: &[String]) -> Self {
        self.message = crate::text::scrub(&self.message, secrets);
        self
    }
}

impl AwsError {
    /// Whether AWS refused a create because the thing already exists: after a lost answer, the
    /// first attempt may have made it. Whether it is this stack's is the caller's question.
    /// Some services say so with a code of its own, others with a general conflict code and
    /// their words (a table `ResourceInUseException` is also a table being deleted; a Lambda
    /// `ResourceConflictException` is also an update in progress).
    pub fn already_exists(&self) -> bool {
        match self.code.as_deref().unwrap_or("") {
            "ResourceAlreadyExistsException"
            | "AlreadyExistsException"
            | "EntityAlreadyExists"
            | "QueueAlreadyExists"
            | "QueueNameExists" => true,
            "ResourceInUseException"
            | "ResourceConflictException"
            | "ConflictException"
            | "BadRequestException" => {
                let message = self.message.to_ascii_lowercase();
                message.contains("already exist") || message.contains("already has this name")
            }
            _ => false,
        }
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
        | "ConcurrentModification"
        | "DeleteConflict"
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
        | "ResourceAlreadyExistsException"
        | "EntityAlreadyExists"
        | "MalformedPolicyDocument"
        | "LimitExceeded"
        | "InvalidInput"
        | "UnmodifiableEntity" => ErrorKind::Validation,
        "AccessDeniedException"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch" => ErrorKind::AccessDenied,
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

/// The AWS operation an SDK error type belongs to: every operation's error is
/// `aws_sdk_<service>::operation::<op>::<Op>Error`, so the name is written once (in the call)
/// rather than again, possibly wrong, at each call site. `type_name`'s text is not promised to
/// stay the same across compilers; `an_error_type_names_its_operation` holds it to this form.
pub fn operation_of<E>() -> &'static str {
    let path = std::any::type_name::<E>();
    let last = path.rsplit("::").next().unwrap_or(path);
    last.strip_suffix("Error").unwrap_or(last)
}

/// Turn any SDK error into an [`AwsError`] named after its operation.
pub fn classify<E>(error: SdkError<E, Response>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let operation = operation_of::<E>();
    let status = error.raw_response().map(|r| r.status().as_u16());
    match &error {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().map(str::to_string);
            let kind = classify_code(code.as_deref(), status);
            let message = inner
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP {}", status.unwrap_or(0)));
            let cause = (kind == ErrorKind::AccessDenied)
                .then(|| Box::new(denial_cause(code.as_deref(), &message)));
            AwsError {
                operation,
                kind,
                message,
                code,
                cause,
                attempts: None,
            }
        }
        SdkError::TimeoutError(_) => AwsError {
            cause: Some(Box::new(Cause::Unreachable {
                network: Network::Timeout,
            })),
            ..AwsError::new(operation, ErrorKind::Other, "timed out")
        },
        // Credentials are resolved on the way out, so a credential chain that found nothing
        // fails here too, as a connector error with the chain's error inside.
        other => {
            let (cause, message) = unanswered_cause(other);
            AwsError {
                cause: cause.map(Box::new),
                ..AwsError::new(operation, ErrorKind::Other, message)
            }
        }
    }
}

/// An SDK call's result, its error classified once (see [`classify`]).
pub trait Classified<T> {
    /// The output, or the classified error.
    fn classified(self) -> Result<T, AwsError>;
    /// Only whether it succeeded: for calls whose output carries nothing needed.
    fn done(self) -> Result<(), AwsError>;
    /// A read of something that may not exist: not found is `None` (see [`found_or_none`]).
    fn found(self) -> Result<Option<T>, AwsError>;
    /// A delete: what is already gone is done (see [`gone_is_done`]).
    fn done_or_gone(self) -> Result<(), AwsError>;
}

impl<T, E> Classified<T> for Result<T, SdkError<E, Response>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn classified(self) -> Result<T, AwsError> {
        self.map_err(classify)
    }

    fn done(self) -> Result<(), AwsError> {
        self.map(|_| ()).map_err(classify)
    }

    fn found(self) -> Result<Option<T>, AwsError> {
        found_or_none(self.classified())
    }

    fn done_or_gone(self) -> Result<(), AwsError> {
        gone_is_done(self.done())
    }
}

/// The messages of an error and its sources, joined, without any link's `Debug` text (some
/// libraries put it in their `Display`), and without repeats.
pub fn plain_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = link {
        let text = current.to_string();
        let debugish = text.contains("{ ") || text.contains("Some(") || text.contains("None)");
        let text = text.trim().to_string();
        if !debugish
            && !text.is_empty()
            && !parts.iter().any(|p| p.contains(&text))
            && text != "dispatch failure"
            && text != "other"
            && text != "io error"
        {
            parts.push(text);
        }
        link = current.source();
    }
    parts.join(": ")
}

/// Why a request got no answer from AWS: the credential chain's verdict, or the network's.
fn unanswered_cause(error: &(dyn std::error::Error + 'static)) -> (Option<Cause>, String) {
    use aws_credential_types::provider::error::CredentialsError;
    let chain = plain_chain(error);
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut network = None;
    while let Some(current) = link {
        if let Some(credentials) = current.downcast_ref::<CredentialsError>() {
            return (Some(credentials_cause(credentials, &chain)), chain);
        }
        if let Some(connector) =
            current.downcast_ref::<aws_smithy_runtime_api::client::result::ConnectorError>()
        {
            if connector.is_timeout() {
                network = Some(Network::Timeout);
            }
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => network = Some(Network::Refused),
                std::io::ErrorKind::TimedOut => network = Some(Network::Timeout),
                _ => {}
            }
        }
        link = current.source();
    }
    let lower = chain.to_ascii_lowercase();
    let network = network.or_else(|| {
        if lower.contains("dns error")
            || lower.contains("failed to lookup address")
            || lower.contains("name or service not known")
            || lower.contains("no such host")
        {
            Some(Network::Dns)
        } else if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
        {
            Some(Network::Tls)
        } else if lower.contains("connection refused") {
            Some(Network::Refused)
        } else if lower.contains("timed out") || lower.contains("timeout") {
            Some(Network::Timeout)
        } else if lower.contains("connect") {
            Some(Network::Other)
        } else {
            None
        }
    });
    (network.map(|network| Cause::Unreachable { network }), chain)
}

/// What the credential chain's error means. The SSO provider's error types are private, so
/// their (stable) messages are read.
fn credentials_cause(
    error: &aws_credential_types::provider::error::CredentialsError,
    chain: &str,
) -> Cause {
    use aws_credential_types::provider::error::CredentialsError;
    if let Some(profile) = chain
        .split("profile `")
        .nth(1)
        .and_then(|rest| rest.split_once("` was not defined"))
        .map(|(name, _)| name.to_string())
    {
        return Cause::ProfileNotFound { profile };
    }
    if chain.contains("SSO token has expired") {
        return Cause::SsoTokenExpired;
    }
    if chain.contains("failed to load the cached SSO token") {
        return Cause::SsoNotLoggedIn;
    }
    match error {
        CredentialsError::CredentialsNotLoaded(_) => Cause::NoCredentials,
        // The instance metadata service is the chain's last source: on a machine that is not
        // an EC2 instance it does not answer, which means no source had credentials.
        _ if chain.contains("IMDS") => Cause::NoCredentials,
        _ => Cause::CredentialSourceFailed {
            // The credential types' own headings say only that loading failed: the rest says why.
            detail: chain
                .split(": ")
                .filter(|part| {
                    !matches!(
                        *part,
                        "an error occurred while loading credentials"
                            | "the credentials provider was not properly configured"
                            | "unexpected credentials error"
                    )
                })
                .collect::<Vec<_>>()
                .join(": ")
                .trim_end_matches("Stderr:")
                .trim_end_matches(['.', ' '])
                .to_string(),
        },
    }
}

/// An access-denied answer: refused credentials, or a refused action named in AWS's message
/// (`User: ARN is not authorized to perform: ACTION on resource: ARN because …`).
fn denial_cause(code: Option<&str>, message: &str) -> Cause {
    if matches!(
        code,
        Some(
            "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidSignatureException"
                | "SignatureDoesNotMatch"
        )
    ) {
        return Cause::CredentialsRejected;
    }
    let word_after = |marker: &str| {
        message.split_once(marker).and_then(|(_, rest)| {
            rest.split_whitespace()
                .next()
                .map(|w| w.trim_end_matches(['.', ',', ';']).to_string())
                .filter(|w| !w.is_empty())
        })
    };
    Cause::Denied {
        action: word_after("to perform: "),
        resource: word_after("on resource: "),
        principal: word_after("User: "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_type_names_its_operation() {
        use aws_sdk_sqs::operation::{get_queue_url::GetQueueUrlError, tag_queue::TagQueueError};
        assert_eq!(operation_of::<GetQueueUrlError>(), "GetQueueUrl");
        assert_eq!(operation_of::<TagQueueError>(), "TagQueue");
        assert_eq!(
            operation_of::<aws_sdk_lambda::operation::put_provisioned_concurrency_config::PutProvisionedConcurrencyConfigError>(),
            "PutProvisionedConcurrencyConfig"
        );
    }

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

    #[test]
    fn tells_already_exists_from_other_conflicts() {
        let error = |code: &str, message: &str| AwsError {
            code: Some(code.to_string()),
            ..AwsError::new("Create", classify_code(Some(code), Some(400)), message)
        };
        for (code, message) in [
            ("ResourceAlreadyExistsException", "Event bus orders already exists."),
            ("ResourceInUseException", "Table already exists: orders-app"),
            (
                "ResourceConflictException",
                "The statement id (slsctl-x) provided already exists. Please provide a new statement id, or remove the existing statement.",
            ),
            ("ConflictException", "Alias already exists: arn:aws:lambda:…:live"),
            ("ConflictException", "Another resource with the same parent already has this name: orders"),
            ("BadRequestException", "The domain name you provided already exists."),
            ("QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute VisibilityTimeout"),
        ] {
            assert!(error(code, message).already_exists(), "{code}: {message}");
        }
        for (code, message) in [
            ("ResourceInUseException", "Attempt to change a resource which is still in use: Table is being deleted"),
            ("ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:…"),
            ("ConflictException", "Unable to complete operation due to concurrent modification. Please try again later."),
            ("BadRequestException", "Invalid base path"),
            ("ValidationException", "1 validation error detected"),
        ] {
            assert!(!error(code, message).already_exists(), "{code}: {message}");
        }
        assert!(!AwsError::new("CreateTable", ErrorKind::Other, "timed out").already_exists());
    }

    /// An SDK error the way the orchestrator makes one when a GetCallerIdentity request never
    /// got an answer.
    pub(super) fn unanswered(source: aws_smithy_runtime_api::box_error::BoxError) -> AwsError {
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
        use aws_smithy_runtime_api::client::result::ConnectorError;
        let error: SdkError<GetCallerIdentityError, Response> =
            SdkError::dispatch_failure(ConnectorError::other(source, None));
        classify(error)
    }

    #[test]
    fn tells_the_credential_chains_verdicts_apart() {
        use aws_credential_types::provider::error::CredentialsError;
        let cause = |error: CredentialsError| unanswered(error.into()).cause.map(|c| *c);
        assert_eq!(
            cause(CredentialsError::not_loaded(
                "no providers in chain provided credentials"
            )),
            Some(Cause::NoCredentials)
        );
        assert_eq!(
            cause(CredentialsError::not_loaded(
                "profile `prod` was not defined: not in the config file"
            )),
            Some(Cause::ProfileNotFound {
                profile: "prod".into()
            })
        );
        assert_eq!(
            cause(CredentialsError::provider_error(
                "the SSO token has expired and cannot be refreshed"
            )),
            Some(Cause::SsoTokenExpired)
        );
        assert_eq!(
            cause(CredentialsError::provider_error(
                "failed to load IMDS session token"
            )),
            Some(Cause::NoCredentials),
            "the last source of the chain did not answer: nothing had credentials"
        );
        assert!(matches!(
            cause(CredentialsError::provider_error(
                "credential_process exited with 2"
            )),
            Some(Cause::CredentialSourceFailed { .. })
        ));
    }

    #[test]
    fn tells_network_failures_apart_without_debug_text() {
        let refused = unanswered(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert_eq!(
            refused.cause.as_deref(),
            Some(&Cause::Unreachable {
                network: Network::Refused
            })
        );
        let tls = unanswered("invalid peer certificate: UnknownIssuer".into());
        assert_eq!(
            tls.cause.as_deref(),
            Some(&Cause::Unreachable {
                network: Network::Tls
            })
        );
        for error in [refused, tls] {
            let text = error.to_string();
            assert!(!text.contains("{ ") && !text.contains("Some("), "{text}");
        }
    }

    #[test]
    fn a_failed_action_says_how_often_slsctl_itself_tried() {
        let mut error = AwsError::new("CreateRestApi", ErrorKind::Throttled, "Too Many Requests");
        error.code = Some("TooManyRequestsException".into());
        error.attempts = Some(8);
        assert_eq!(
            error.for_people("us-east-1"),
            "AWS kept throttling CreateRestApi (TooManyRequestsException) through 8 attempts"
        );
    }
}
