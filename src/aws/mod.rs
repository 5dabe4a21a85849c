//! The AWS frame every kind's calls go through: the SDK clients (`Clients`), classifying errors once
//! (`error`) and staying below the control-plane quotas (`limits`). Every call is counted and
//! rate-limited in one place, `accounting`, for every client `Clients` builds.

pub mod accounting;
pub mod error;
pub mod limits;
pub mod metric_data;
pub mod permissions;
pub mod setup;
pub mod throttles;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig;

pub use error::{AwsError, ErrorKind};

/// Every item of a paginated listing, the error classified: `request` is the operation's fluent
/// builder with its parameters set, and the SDK's paginator fetches the pages one after another
/// (each page a call counted and rate-limited like any other), stopping at the first error.
/// A macro because each operation's paginator is its own type, with no trait in common.
/// (tests/deploy.rs counts each use as a call of its operation, for the IAM policy.)
macro_rules! all_items {
    ($request:expr) => {
        $crate::aws::error::Classified::classified(
            $request.into_paginator().items().send().try_collect().await,
        )
    };
}
pub(crate) use all_items;

/// Every item of a listing whose service has no paginator (EventBridge has none): `page` sends
/// one request with the previous page's token and answers that page's items and the next token.
pub async fn all_pages<T, P, F>(mut page: P) -> Result<Vec<T>, AwsError>
where
    P: FnMut(Option<String>) -> F,
    F: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let (mut more, next) = page(token).await?;
        items.append(&mut more);
        token = next;
        if token.is_none() {
            return Ok(items);
        }
    }
}

/// SDK configuration from the standard chain (environment, profile/SSO, web identity, ECS task
/// role, IMDS). `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) is honoured
/// by aws-config itself, which is how tests point the SDK at the local emulator.
///
/// Two defaults differ from the SDK's: every attempt has a deadline (a hung connection would
/// otherwise hang an apply for good), and throttled or failed calls get 6 attempts rather than 3,
/// because control-plane throttling is routine at Lambda's 15 requests/s. `AWS_MAX_ATTEMPTS`
/// (environment or profile) still wins.
pub async fn load_config(region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .operation_attempt_timeout(std::time::Duration::from_secs(120))
            .build(),
    );
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
        loader = loader.retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(DEFAULT_MAX_ATTEMPTS),
        );
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

/// Attempts of a throttled or failing call, unless `AWS_MAX_ATTEMPTS` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;

/// How many times more attempts observation's reads get than writes (`Clients::for_reads`).
pub const READ_ATTEMPTS_FACTOR: u32 = 2;

/// The attempts the SDK makes of one call, as `load_config` sets them (for messages).
pub fn max_attempts() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_MAX_ATTEMPTS)
}

/// Make something AWS does not deduplicate (an event source mapping, a REST API) at most once.
///
/// The SDK's own retries must be off for `create`: after an answer lost to a timeout, a dropped
/// connection or a 5xx, AWS may have made it, and a blind retry makes a second one (moto and
/// AWS both do, for REST APIs). So after such an answer, `existing` looks for what the first
/// attempt made before trying again; a throttle (refused, nothing made) is retried after a
/// backoff. An "already exists" answer (what a retry of a create that did happen gets) is
/// looked up the same way: what `existing` recognises as this stack's is adopted, anything
/// else is the caller's.
pub async fn create_at_most_once<T, C, CF, L, LF>(
    mut create: C,
    mut existing: L,
) -> Result<T, AwsError>
where
    C: FnMut() -> CF,
    CF: std::future::Future<Output = Result<T, AwsError>>,
    L: FnMut() -> LF,
    LF: std::future::Future<Output = Result<Option<T>, AwsError>>,
{
    const ATTEMPTS: u32 = 8;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut error = match create().await {
            Ok(made) => return Ok(made),
            Err(error) => error,
        };
        // The SDK's retries are off here: the attempts are these.
        error.attempts = Some(attempt);
        let answer_lost = error.kind == ErrorKind::Other;
        if answer_lost || error.already_exists() {
            if let Some(made) = existing().await? {
                return Ok(made);
            }
        }
        if attempt >= ATTEMPTS || !(answer_lost || error.kind == ErrorKind::Throttled) {
            return Err(error);
        }
        // 100 ms doubling to 6.4 s: below the SDK's own throttling backoff ceiling.
        tokio::time::sleep(std::time::Duration::from_millis(
            100 << (attempt - 1).min(6),
        ))
        .await;
    }
}

/// The configuration override of a Lambda call that [`create_at_most_once`] makes: without the
/// SDK's own retries (`.customize().config_override(lambda_without_retries())`).
pub fn lambda_without_retries() -> aws_sdk_lambda::config::Builder {
    aws_sdk_lambda::config::Builder::default()
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
}

/// The same for an API Gateway call (see [`lambda_without_retries`]).
pub fn apigateway_without_retries() -> aws_sdk_apigateway::config::Builder {
    aws_sdk_apigateway::config::Builder::default()
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
}

/// Retry `call` while AWS answers with a state it documents as passing: a table whose backups
/// are not ready yet, a queue name in its 60 s cooldown, a role IAM has not propagated. `passing`
/// recognises those answers and says what is being waited for; the first wait is announced
/// through [`Clients::notify`] (a progress line), and after `budget` the last answer is the
/// error. Anything else is returned at once.
pub async fn wait_out<T, F, Fut, P>(
    clients: &Clients,
    budget: std::time::Duration,
    passing: P,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
    P: Fn(&AwsError) -> Option<String>,
{
    let deadline = tokio::time::Instant::now() + budget;
    let mut delay = std::time::Duration::from_millis(250);
    let mut told = false;
    loop {
        let error = match call().await {
            Ok(done) => return Ok(done),
            Err(error) => error,
        };
        let Some(what) = passing(&error) else {
            return Err(error);
        };
        if tokio::time::Instant::now() + delay > deadline {
            return Err(AwsError {
                message: format!(
                    "{} (still {what} after {} s)",
                    error.message,
                    budget.as_secs()
                ),
                ..error
            });
        }
        if !told {
            clients.notify(&format!("waiting: {what}"));
            told = true;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(10));
    }
}

/// Where long waits say what they wait for. The CLI turns these into progress lines; elsewhere
/// they go to the log.
#[derive(Clone, Default)]
pub struct Notices(Option<NoticeSink>);

/// Receives what a wait is waiting for.
pub type NoticeSink = Arc<dyn Fn(&str) + Send + Sync>;

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notices(sink)"
        } else {
            "Notices(log)"
        })
    }
}

/// Counts AWS calls by `service:Operation`, for the plan's footer, metrics and benchmarks.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl CallCounter {
    pub fn record(&self, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(operation.to_string()).or_default() += 1;
    }

    /// Count `n` calls of `operation` at once (the counts of a run made with its own counter).
    pub fn add(&self, operation: &str, n: u64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(operation.to_string()).or_default() += n;
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }
}

/// The SDK clients of one account and region, with the limiters and the call counter they share.
#[derive(Clone, Debug)]
pub struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub sts: aws_sdk_sts::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub region: String,
    /// The limiters every request of these clients waits on (see `accounting`). Private: the
    /// SDK clients hold them; [`Clients::with_fresh_limits`] gives other ones.
    limits: Arc<limits::Limits>,
    /// Calls by `service:Operation`, counted by the SDK clients themselves (see `accounting`);
    /// [`Clients::with_fresh_counts`] gives clients counting from zero.
    pub calls: Arc<CallCounter>,
    /// Throttled attempts by `service:Operation`, retried ones included (metrics).
    pub throttles: Arc<CallCounter>,
    pub notices: Notices,
}

/// A `Clients` whose every service client is `$each!(field, sdk_crate)`, the other fields as
/// given: the one list of the services, for the ways of building clients below.
macro_rules! each_client {
    ($each:ident { $($rest:tt)* }) => {
        Clients {
            lambda: $each!(lambda, aws_sdk_lambda),
            sqs: $each!(sqs, aws_sdk_sqs),
            tagging: $each!(tagging, aws_sdk_resourcegroupstagging),
            sts: $each!(sts, aws_sdk_sts),
            dynamodb: $each!(dynamodb, aws_sdk_dynamodb),
            events: $each!(events, aws_sdk_eventbridge),
            autoscaling: $each!(autoscaling, aws_sdk_applicationautoscaling),
            apigateway: $each!(apigateway, aws_sdk_apigateway),
            iam: $each!(iam, aws_sdk_iam),
            logs: $each!(logs, aws_sdk_cloudwatchlogs),
            cloudwatch: $each!(cloudwatch, aws_sdk_cloudwatch),
            $($rest)*
        }
    };
}

/// The SDK's stalled-stream protection as `configured` (on by default), without its upload
/// half: that one times the sending from before the request waits in its limiter's queue
/// (`accounting::Paced`), so a request queued longer than the grace period (5 s: 21 reads of
/// CloudWatch Logs at once) failed as a stalled upload without having been sent. The attempt
/// timeout, which starts when the request leaves its limiter, bounds the sending instead; the
/// download half still watches the answers.
fn upload_stalls_unwatched(
    configured: Option<StalledStreamProtectionConfig>,
) -> StalledStreamProtectionConfig {
    match configured {
        Some(configured) if !configured.is_enabled() => configured,
        Some(configured) => StalledStreamProtectionConfig::enabled()
            .grace_period(configured.grace_period())
            .download_enabled(configured.download_enabled())
            .upload_enabled(false)
            .build(),
        None => StalledStreamProtectionConfig::enabled()
            .upload_enabled(false)
            .build(),
    }
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        let throttles = Arc::new(CallCounter::default());
        let calls = Arc::new(CallCounter::default());
        let limits = Arc::new(limits::Limits::configured());
        let accounting =
            accounting::Accounting::new(calls.clone(), throttles.clone(), limits.clone());
        // One paced HTTP client for every service: the SDK's, which each client would
        // otherwise make for itself.
        // The attempt timeout moves into the paced HTTP client, which starts it once a request
        // leaves its limiter (see `accounting`): the SDK's would count the wait in the queue.
        let http = accounting::paced(
            config.http_client(),
            config.behavior_version(),
            config
                .timeout_config()
                .and_then(|t| t.operation_attempt_timeout()),
        );
        let timeouts = config
            .timeout_config()
            .map(|t| t.to_builder().disable_operation_attempt_timeout().build());
        let stalled_streams = upload_stalls_unwatched(config.stalled_stream_protection());
        macro_rules! client {
            ($field:ident, $sdk:ident) => {{
                let mut builder =
                    $sdk::config::Builder::from(config).interceptor(accounting.clone());
                builder.set_timeout_config(timeouts.clone());
                builder.set_stalled_stream_protection(Some(stalled_streams.clone()));
                builder.set_http_client(http.clone());
                $sdk::Client::from_conf(builder.build())
            }};
        }
        each_client!(client {
            region: config.region().map(|r| r.to_string()).unwrap_or_default(),
            limits,
            calls,
            throttles,
            notices: Notices::default(),
        })
    }

    /// Clients built from explicit service clients (tests with aws-smithy-mocks), counted and
    /// paced like those of [`Clients::new`].
    // One argument per service: a struct of the same fields would only move the list.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        lambda: aws_sdk_lambda::Client,
        sqs: aws_sdk_sqs::Client,
        tagging: aws_sdk_resourcegroupstagging::Client,
        sts: aws_sdk_sts::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        events: aws_sdk_eventbridge::Client,
        autoscaling: aws_sdk_applicationautoscaling::Client,
        apigateway: aws_sdk_apigateway::Client,
        iam: aws_sdk_iam::Client,
        logs: aws_sdk_cloudwatchlogs::Client,
        cloudwatch: aws_sdk_cloudwatch::Client,
        region: &str,
    ) -> Self {
        let calls = Arc::new(CallCounter::default());
        let throttles = Arc::new(CallCounter::default());
        let limits = Arc::new(limits::Limits::default());
        let accounting =
            accounting::Accounting::new(calls.clone(), throttles.clone(), limits.clone());
        let given = Clients {
            lambda,
            sqs,
            tagging,
            sts,
            dynamodb,
            events,
            autoscaling,
            apigateway,
            iam,
            logs,
            cloudwatch,
            region: region.to_string(),
            limits,
            calls,
            throttles,
            notices: Notices::default(),
        };
        macro_rules! accounted {
            ($field:ident, $sdk:ident) => {{
                let config = given.$field.config();
                let mut builder = config.to_builder();
                builder.set_http_client(accounting::paced(config.http_client(), None, None));
                $sdk::Client::from_conf(builder.interceptor(accounting.clone()).build())
            }};
        }
        each_client!(accounted { ..given })
    }

    /// The same clients, counting their calls from zero in a counter of their own (a
    /// measurement of one run); these clients' counter is left as it is.
    pub fn with_fresh_counts(&self) -> Clients {
        self.accounted_by(Arc::new(CallCounter::default()), self.limits.clone())
    }

    /// The same clients with limiters of their own, full, as a fresh process has them.
    pub fn with_fresh_limits(&self) -> Clients {
        self.accounted_by(
            self.calls.clone(),
            Arc::new(limits::Limits::with_share(self.limits.share)),
        )
    }

    /// The same clients with their `Accounting` interceptor replaced by one for `calls` and
    /// `limits` (in its place among the interceptors; the paced HTTP client stays).
    fn accounted_by(&self, calls: Arc<CallCounter>, limits: Arc<limits::Limits>) -> Clients {
        let accounting =
            accounting::Accounting::new(calls.clone(), self.throttles.clone(), limits.clone());
        macro_rules! reaccounted {
            ($field:ident, $sdk:ident) => {{
                let config = self.$field.config();
                let interceptors: Vec<_> = config
                    .interceptors()
                    .map(|interceptor| {
                        if aws_smithy_runtime_api::client::interceptors::Intercept::name(
                            &interceptor,
                        ) == accounting::NAME
                        {
                            $sdk::config::SharedInterceptor::new(accounting.clone())
                        } else {
                            interceptor
                        }
                    })
                    .collect();
                let mut builder = config.to_builder();
                builder.set_interceptors(interceptors);
                $sdk::Client::from_conf(builder.build())
            }};
        }
        each_client!(reaccounted {
            limits,
            calls,
            ..self.clone()
        })
    }

    /// The same clients, retrying harder: for observation's reads, which are idempotent and
    /// safe to repeat, so that a read lost a few times in a row (the SDK's attempts for
    /// writes) does not end the whole plan. Twice the attempts, with the same backoff.
    pub fn for_reads(&self) -> Clients {
        macro_rules! harder {
            ($field:ident, $sdk:ident) => {{
                let config = self.$field.config();
                let attempts = config
                    .retry_config()
                    .map_or(DEFAULT_MAX_ATTEMPTS, |r| r.max_attempts());
                let retry = config
                    .retry_config()
                    .cloned()
                    .unwrap_or_else(aws_config::retry::RetryConfig::standard);
                $sdk::Client::from_conf(
                    config
                        .to_builder()
                        .retry_config(
                            retry.with_max_attempts(attempts.saturating_mul(READ_ATTEMPTS_FACTOR)),
                        )
                        .build(),
                )
            }};
        }
        each_client!(harder { ..self.clone() })
    }

    /// The attempts these clients' SDK makes of a call (the tagging client's, which observation
    /// calls first; every client is built from the same configuration).
    pub fn read_attempts(&self) -> u32 {
        // A statement of its own: tests/deploy.rs reads a client's method chain up to the
        // next `;` or `.await`, and this one sends nothing.
        let config = self.tagging.config();
        config
            .retry_config()
            .map_or(DEFAULT_MAX_ATTEMPTS, |r| r.max_attempts())
    }

    /// Say what a long wait is waiting for (see [`Notices`]).
    pub fn notify(&self, what: &str) {
        match &self.notices.0 {
            Some(sink) => sink(what),
            None => tracing::info!("{what}"),
        }
    }

    /// The same clients, with waits announced to `sink`.
    pub fn with_notices(&self, sink: NoticeSink) -> Clients {
        Clients {
            notices: Notices(Some(sink)),
            ..self.clone()
        }
    }

    /// The account and partition of the credentials, from GetCallerIdentity: the partition
    /// (`aws`, `aws-cn`, `aws-us-gov`) is read from the caller's own ARN, never assumed.
    pub async fn identity(&self) -> Result<Identity, AwsError> {
        let identity = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(error::classify)?;
        let account = identity.account.ok_or_else(|| {
            AwsError::new(
                "GetCallerIdentity",
                ErrorKind::Other,
                "no account in the answer",
            )
        })?;
        let partition = identity
            .arn
            .as_deref()
            .and_then(|arn| arn.split(':').nth(1))
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| partition_of(&self.region).to_string());
        Ok(Identity { account, partition })
    }

    pub async fn account(&self) -> Result<String, AwsError> {
        Ok(self.identity().await?.account)
    }
}

/// Who the credentials are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub partition: String,
}

/// The partition of a region (`aws`, `aws-cn`, `aws-us-gov`), for building ARNs.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn all_pages_follows_the_tokens_to_the_last_page_and_stops_at_an_error() {
        let pages = |token: Option<String>| async move {
            Ok(match token.as_deref() {
                None => (vec![1, 2], Some("p2".to_string())),
                Some("p2") => (vec![3], Some("p3".to_string())),
                Some(_) => (vec![4], None),
            })
        };
        assert_eq!(all_pages(pages).await.unwrap(), [1, 2, 3, 4]);
        let failing = |token: Option<String>| async move {
            match token {
                None => Ok((vec![1], Some("p2".to_string()))),
                Some(_) => Err(AwsError::new(
                    "ListRules",
                    ErrorKind::Throttled,
                    "slow down",
                )),
            }
        };
        let error = all_pages(failing).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Throttled);
    }
}
