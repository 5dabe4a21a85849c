//! What a throttle looks like on the wire, in every protocol the clients speak: the
//! `Accounting` interceptor reads each attempt's response and classifies its error code once,
//! the way `error::classify` does, to count throttles and slow its limiter down.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::error::{classify_code, ErrorKind};

/// Whether an attempt's answer is a throttle, in whatever shape its service sends one.
pub(super) fn is_throttle(response: &HttpResponse) -> bool {
    let status = response.status().as_u16();
    if status < 400 {
        return false;
    }
    let code = error_code(
        response.headers().get("x-amzn-errortype"),
        response.headers().get("x-amzn-query-error"),
        response.body().bytes(),
    );
    classify_code(code.as_deref(), Some(status)) == ErrorKind::Throttled
}

/// The error code of a response, whichever protocol it speaks: the REST-JSON header, the SQS
/// query-compatible header, a JSON `__type`, or an XML `<Code>`.
pub fn error_code(
    error_type: Option<&str>,
    query_error: Option<&str>,
    body: Option<&[u8]>,
) -> Option<String> {
    if let Some(code) = error_type {
        return Some(code.split(':').next().unwrap_or(code).to_string());
    }
    if let Some(code) = query_error {
        return Some(code.split(';').next().unwrap_or(code).to_string());
    }
    let body = std::str::from_utf8(body?).ok()?;
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        let kind = json.get("__type").or_else(|| json.get("code"))?.as_str()?;
        return Some(kind.rsplit('#').next().unwrap_or(kind).to_string());
    }
    let start = body.find("<Code>")? + "<Code>".len();
    let end = body[start..].find("</Code>")? + start;
    Some(body[start..end].to_string())
}

/// The IAM-style prefix slsctl uses for a service (`calls`, metrics).
pub(super) fn service_prefix(service: &str) -> &str {
    match service {
        "Lambda" => "lambda",
        "SQS" => "sqs",
        "DynamoDB" => "dynamodb",
        "EventBridge" => "events",
        "Application Auto Scaling" => "application-autoscaling",
        "API Gateway" => "apigateway",
        "Resource Groups Tagging API" => "tagging",
        "STS" => "sts",
        "S3" => "s3",
        "IAM" => "iam",
        "CloudWatch Logs" => "logs",
        "CloudWatch" => "cloudwatch",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_every_protocol() {
        assert_eq!(
            error_code(
                Some("TooManyRequestsException:http://internal.amazon.com/"),
                None,
                None
            )
            .as_deref(),
            Some("TooManyRequestsException")
        );
        assert_eq!(
            error_code(None, Some("RequestThrottled;Sender"), None).as_deref(),
            Some("RequestThrottled")
        );
        assert_eq!(
            error_code(
                None,
                None,
                Some(br#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException"}"#)
            )
            .as_deref(),
            Some("ThrottlingException")
        );
        assert_eq!(
            error_code(
                None,
                None,
                Some(b"<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>")
            )
            .as_deref(),
            Some("Throttling")
        );
        assert_eq!(error_code(None, None, Some(b"")), None);
    }
}
