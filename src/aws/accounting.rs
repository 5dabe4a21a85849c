//! One way to call AWS: every request of the clients [`Clients`](super::Clients) builds is
//! counted and rate-limited here, so that no call site does either by hand.
//!
//! - Counting: the [`Accounting`] interceptor records `service:Operation` (the IAM-style prefix,
//!   e.g. `lambda:GetFunction`) once per operation, from the operation's `Metadata` in the
//!   config bag. Retries are not counted again (`read_before_serialization` runs once per
//!   operation); every page of a paginator and every poll of a waiter is an operation.
//! - Limiting: the same interceptor tags each attempt's request with the limiter its operation
//!   belongs to ([`Limits::for_operation`]), and the clients' HTTP client ([`Paced`], wrapping the
//!   SDK's own) waits on that limiter before sending it. Retries and waiter polls are requests
//!   AWS counts against its quotas, so they are paced too. The interceptor also reports each
//!   attempt's answer to its limiter, which slows down on throttles and speeds up on answers
//!   (adaptive pacing, see `limits`).
//! - Throttles: the same answer, when it is a throttle, is counted by `service:Operation` in a
//!   counter of its own, on every attempt (the SDK retries throttles itself, so the final error
//!   alone would hide them).
//!
//! - Timing: an attempt's time limit (the configuration's `operation_attempt_timeout`) starts
//!   when the request leaves its limiter, not when the SDK starts the attempt. The SDK's own
//!   attempt timeout would count the wait in the queue: with a few hundred reads queued on a
//!   4/s limiter (a large stack's log groups), every attempt at the back of the queue would time
//!   out before it was sent, and its retry would join the back of the queue again. So the
//!   clients' SDK configuration has no attempt timeout of its own; the paced connector applies
//!   it to the sending alone, and its timeout is a transient connector error the SDK retries.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime::client::defaults::default_http_client_plugin_v2;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;
use aws_smithy_types::config_bag::ConfigBag;

use super::limits::Limits;
use super::throttles::{is_throttle, service_prefix};
use super::CallCounter;

/// The interceptor's name, by which `Clients` finds it to replace it.
pub const NAME: &str = "Accounting";

tokio::task_local! {
    static PURPOSE: &'static str;
}

/// Run `calls` with their counts kept apart as `service:Operation(purpose)`: a waiter's polls
/// (`lambda:GetFunction(waiter)`) are not the plan's reads, a version's deletion
/// (`lambda:DeleteFunction(version)`) is not a function's.
pub async fn counted_as<F: Future>(purpose: &'static str, calls: F) -> F::Output {
    PURPOSE.scope(purpose, calls).await
}

/// The counter key of the operation being sent: `service:Operation`, or
/// `service:Operation(purpose)` inside [`counted_as`].
fn key(operation: &Metadata) -> String {
    let prefix = service_prefix(operation.service());
    match PURPOSE.try_with(|purpose| *purpose) {
        Ok(purpose) => format!("{prefix}:{}({purpose})", operation.name()),
        Err(_) => format!("{prefix}:{}", operation.name()),
    }
}

/// Counts each operation and tags each request with its limiter (see the module's doc).
#[derive(Clone, Debug)]
pub struct Accounting {
    calls: Arc<CallCounter>,
    throttles: Arc<CallCounter>,
    limits: Arc<Limits>,
}

impl Accounting {
    pub fn new(calls: Arc<CallCounter>, throttles: Arc<CallCounter>, limits: Arc<Limits>) -> Self {
        Self {
            calls,
            throttles,
            limits,
        }
    }
}

impl Intercept for Accounting {
    fn name(&self) -> &'static str {
        NAME
    }

    fn read_before_serialization(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The operation's runtime plugin stores its Metadata before serialization; an
        // operation without one is not an SDK operation slsctl knows how to name.
        if let Some(operation) = cfg.load::<Metadata>() {
            self.calls.record(&key(operation));
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Every attempt's answer tells its limiter how the quota is doing: a throttle slows it
        // down, an answer within the quota (a 4xx about the request included) lets it speed
        // up; a 5xx says nothing about the quota (see `limits`).
        let Some(operation) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let limiter = self
            .limits
            .for_operation(operation.service(), operation.name());
        let response = context.response();
        if is_throttle(response) {
            let prefix = service_prefix(operation.service());
            self.throttles
                .record(&format!("{prefix}:{}", operation.name()));
            if let Some(limiter) = limiter {
                limiter.throttled();
            }
        } else if let Some(limiter) = limiter.filter(|_| response.status().as_u16() < 500) {
            limiter.answered();
        }
        Ok(())
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(operation) = cfg.load::<Metadata>() {
            context.request_mut().add_extension(Pace {
                limits: self.limits.clone(),
                operation: operation.clone(),
            });
        }
        Ok(())
    }
}

/// What a request waits on before it is sent: the limits of its clients and its operation.
#[derive(Clone)]
struct Pace {
    limits: Arc<Limits>,
    operation: Metadata,
}

/// An HTTP client that sends each request once its operation's limiter allows it, within the
/// attempt timeout (if any) from then on.
#[derive(Debug)]
pub struct Paced {
    http: SharedHttpClient,
    attempt_timeout: Option<Duration>,
}

/// `http` paced, or the SDK's default HTTP client paced when there is none (an `SdkConfig`
/// from `aws_config` carries none: the SDK picks its default when a client is built, too late
/// to wrap it). `attempt_timeout` bounds each sending, after the limiter's wait (see the
/// module's doc): the SDK configuration the clients are built from must not set one too.
pub fn paced(
    http: Option<SharedHttpClient>,
    behavior: Option<BehaviorVersion>,
    attempt_timeout: Option<Duration>,
) -> Option<SharedHttpClient> {
    let http = http.or_else(|| {
        // The plugin the SDK itself would use, asked for the client it sets.
        default_http_client_plugin_v2(behavior.unwrap_or_else(BehaviorVersion::latest))?
            .runtime_components(&RuntimeComponentsBuilder::new("slsctl"))
            .http_client()
    })?;
    Some(SharedHttpClient::new(Paced {
        http,
        attempt_timeout,
    }))
}

impl HttpClient for Paced {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.http.http_connector(settings, components),
            attempt_timeout: self.attempt_timeout,
        })
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.http.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.http.validate_final_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.http.connector_metadata()
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    attempt_timeout: Option<Duration>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let pace = request.extension::<Pace>().cloned();
        let inner = self.inner.clone();
        let attempt_timeout = self.attempt_timeout;
        HttpConnectorFuture::new(async move {
            if let Some(pace) = pace {
                if let Some(limiter) = pace
                    .limits
                    .for_operation(pace.operation.service(), pace.operation.name())
                {
                    limiter.acquire().await;
                }
            }
            let Some(limit) = attempt_timeout else {
                return inner.call(request).await;
            };
            match tokio::time::timeout(limit, inner.call(request)).await {
                Ok(answer) => answer,
                Err(_) => Err(ConnectorError::timeout(
                    format!("no answer within the attempt timeout ({limit:?})").into(),
                )),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::retry::RetryConfig;
    use tokio::time::Instant;

    use super::counted_as;
    use crate::aws::Clients;

    /// Clients whose every service answers the one operation these tests send to it, built
    /// the way tests with aws-smithy-mocks build them: no counting or limiting of their own.
    fn mocked() -> (Clients, Rule) {
        let get_function = mock!(aws_sdk_lambda::Client::get_function).then_output(|| {
            aws_sdk_lambda::operation::get_function::GetFunctionOutput::builder().build()
        });
        let list_aliases = mock!(aws_sdk_lambda::Client::list_aliases).then_output(|| {
            aws_sdk_lambda::operation::list_aliases::ListAliasesOutput::builder().build()
        });
        let queue = mock!(aws_sdk_sqs::Client::get_queue_attributes).then_output(|| {
            aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput::builder()
                .build()
        });
        let tagged = mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_output(
            || {
                aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesOutput::builder()
                    .build()
            },
        );
        let identity = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput::builder().build()
        });
        let table = mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
            aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput::builder().build()
        });
        // Throttled once, then answered: one operation, two attempts.
        let bus = mock!(aws_sdk_eventbridge::Client::describe_event_bus)
            .sequence()
            .error(|| {
                aws_sdk_eventbridge::operation::describe_event_bus::DescribeEventBusError::generic(
                    ErrorMetadata::builder()
                        .code("ThrottlingException")
                        .message("Rate exceeded")
                        .build(),
                )
            })
            .output(|| {
                aws_sdk_eventbridge::operation::describe_event_bus::DescribeEventBusOutput::builder(
                )
                .build()
            })
            .build();
        let targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
            .then_output(|| {
                aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput::builder()
                    .build()
            });
        let apis = mock!(aws_sdk_apigateway::Client::get_rest_apis).then_output(|| {
            aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput::builder().build()
        });
        let clients = Clients::from_parts(
            mock_client!(
                aws_sdk_lambda,
                RuleMode::MatchAny,
                [&get_function, &list_aliases]
            ),
            mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&queue]),
            mock_client!(aws_sdk_resourcegroupstagging, RuleMode::MatchAny, [&tagged]),
            mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&identity]),
            mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&table]),
            mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&bus], |c| c
                .retry_config(
                    RetryConfig::standard()
                        .with_max_attempts(3)
                        .with_initial_backoff(Duration::from_millis(1))
                )),
            mock_client!(
                aws_sdk_applicationautoscaling,
                RuleMode::MatchAny,
                [&targets]
            ),
            mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, [&apis]),
            mock_client!(
                aws_sdk_iam,
                RuleMode::MatchAny,
                &[] as &[&aws_smithy_mocks::Rule]
            ),
            mock_client!(
                aws_sdk_cloudwatchlogs,
                RuleMode::MatchAny,
                &[] as &[&aws_smithy_mocks::Rule]
            ),
            mock_client!(
                aws_sdk_cloudwatch,
                RuleMode::MatchAny,
                &[] as &[&aws_smithy_mocks::Rule]
            ),
            "us-east-1",
        );
        (clients, bus)
    }

    /// The Lambda read the limiter tests repeat, sent through `clients`.
    async fn list_aliases(clients: &Clients) {
        clients
            .lambda
            .list_aliases()
            .function_name("f")
            .send()
            .await
            .unwrap();
    }

    /// A Lambda read with a limiter of its own, sent through `clients`.
    async fn get_function(clients: &Clients) {
        clients
            .lambda
            .get_function()
            .function_name("f")
            .send()
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn each_operation_is_counted_once_under_slsctl_s_key() {
        let (clients, bus) = mocked();
        // Plain SDK calls: nothing at the call site counts them.
        get_function(&clients).await;
        clients
            .sqs
            .get_queue_attributes()
            .queue_url("https://sqs.us-east-1.amazonaws.com/123456789012/q")
            .send()
            .await
            .unwrap();
        clients.tagging.get_resources().send().await.unwrap();
        clients.sts.get_caller_identity().send().await.unwrap();
        clients
            .dynamodb
            .describe_table()
            .table_name("t")
            .send()
            .await
            .unwrap();
        counted_as(
            "waiter",
            clients.dynamodb.describe_table().table_name("t").send(),
        )
        .await
        .unwrap();
        clients
            .events
            .describe_event_bus()
            .name("b")
            .send()
            .await
            .unwrap();
        clients
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Lambda)
            .send()
            .await
            .unwrap();
        clients.apigateway.get_rest_apis().send().await.unwrap();

        assert_eq!(bus.num_calls(), 2, "the throttled attempt was retried");
        let expected: BTreeMap<String, u64> = [
            ("apigateway:GetRestApis", 1),
            ("application-autoscaling:DescribeScalableTargets", 1),
            ("dynamodb:DescribeTable", 1),
            ("dynamodb:DescribeTable(waiter)", 1),
            // Two attempts, one operation.
            ("events:DescribeEventBus", 1),
            ("lambda:GetFunction", 1),
            ("sqs:GetQueueAttributes", 1),
            ("sts:GetCallerIdentity", 1),
            ("tagging:GetResources", 1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(clients.calls.snapshot(), expected);

        // Fresh counts are counted apart; the original counter does not see them.
        let fresh = clients.with_fresh_counts();
        fresh.sts.get_caller_identity().send().await.unwrap();
        assert_eq!(
            fresh.calls.snapshot().into_iter().collect::<Vec<_>>(),
            vec![("sts:GetCallerIdentity".to_string(), 1)]
        );
        assert_eq!(clients.calls.snapshot(), expected);
        // And so do the harder-retrying read clients, which count into the same counter.
        get_function(&clients.for_reads()).await;
        assert_eq!(clients.calls.snapshot()["lambda:GetFunction"], 2);
    }

    #[tokio::test(start_paused = true)]
    async fn every_request_waits_for_its_operation_s_limiter_without_call_site_code() {
        let (clients, _) = mocked();
        // Lambda's shared limiter (13.5 a second at the default share, 10 at once): the burst
        // at once, the rest at its rate.
        let (rate, burst) = (clients.limits.lambda.ceiling(), 10.0);
        let start = Instant::now();
        for _ in 0..40 {
            list_aliases(&clients).await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let expected = (40.0 - burst) / rate;
        assert!(
            (expected - 0.01..expected + 0.1).contains(&elapsed),
            "{elapsed}, not {expected}"
        );

        // GetFunction has a limiter of its own (50 at once): the drained shared one does not
        // hold it up.
        let start = Instant::now();
        for _ in 0..30 {
            get_function(&clients).await;
        }
        assert!(start.elapsed() < Duration::from_millis(10));

        // The drained shared limiter holds the next call back; fresh limits do not.
        let start = Instant::now();
        list_aliases(&clients).await;
        assert!(start.elapsed() >= Duration::from_millis(70));
        let fresh = clients.with_fresh_limits();
        let start = Instant::now();
        for _ in 0..10 {
            list_aliases(&fresh).await;
        }
        assert!(start.elapsed() < Duration::from_millis(10));
        assert_eq!(clients.calls.snapshot()["lambda:ListAliases"], 51);
    }

    /// An HTTP client answering Lambda's throttle (a 429 `TooManyRequestsException`) to the
    /// first `throttles` requests, then `{}`.
    fn throttling_first(
        throttles: usize,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        use aws_smithy_runtime_api::client::http::{
            http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
        };
        use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        #[derive(Debug)]
        struct Throttling(Arc<AtomicUsize>);
        impl HttpConnector for Throttling {
            fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
                let throttled = self
                    .0
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                        left.checked_sub(1)
                    });
                HttpConnectorFuture::new(async move {
                    if throttled.is_ok() {
                        let mut answer = HttpResponse::new(
                            429.try_into().unwrap(),
                            aws_smithy_types::body::SdkBody::from(
                                r#"{"Reason":"CallerRateLimitExceeded","message":"Rate exceeded"}"#,
                            ),
                        );
                        answer
                            .headers_mut()
                            .insert("x-amzn-errortype", "TooManyRequestsException");
                        return Ok(answer);
                    }
                    Ok(HttpResponse::new(
                        200.try_into().unwrap(),
                        aws_smithy_types::body::SdkBody::from("{}"),
                    ))
                })
            }
        }
        let left = Arc::new(AtomicUsize::new(throttles));
        http_client_fn(move |_, _| SharedHttpConnector::new(Throttling(left.clone())))
    }

    /// An SDK configuration with static test credentials in us-east-1; each test adds its
    /// HTTP client, retries and timeouts.
    fn test_config() -> aws_types::sdk_config::Builder {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("AKID", "SECRET", None, None, "test"),
                ),
            )
    }

    /// Clients whose HTTP client throttles the first `throttles` requests, retrying up to
    /// `attempts` times.
    fn clients_throttled_first(throttles: usize, attempts: u32) -> Clients {
        let config = test_config()
            .http_client(throttling_first(throttles))
            .retry_config(RetryConfig::standard().with_max_attempts(attempts))
            .build();
        Clients::new(&config)
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_attempts_slow_their_limiter_and_answers_speed_it_up_again() {
        // One throttle, retried by the SDK and answered: isolated, it changes nothing.
        let clients = clients_throttled_first(1, 3);
        let ceiling = clients.limits.lambda.ceiling();
        list_aliases(&clients).await;
        assert_eq!(clients.limits.lambda.rate(), ceiling);
        // Eight attempts in a row throttled (one operation retried through all it may make)
        // are a storm: the limiter halves its rate.
        let clients = clients_throttled_first(8, 8);
        let storm = clients
            .lambda
            .list_aliases()
            .function_name("f")
            .send()
            .await;
        assert!(storm.is_err(), "throttled through every attempt");
        assert_eq!(clients.throttles.snapshot()["lambda:ListAliases"], 8);
        assert_eq!(clients.limits.lambda.rate(), ceiling / 2.0);
        // Only the operation's own limiter slowed down.
        assert_eq!(
            clients.limits.lambda_get_function.rate(),
            clients.limits.lambda_get_function.ceiling()
        );
        // Answers after the hold bring it back to the ceiling, and no further.
        tokio::time::sleep(crate::aws::limits::DECREASE_HOLD).await;
        for _ in 0..30 {
            list_aliases(&clients).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(clients.limits.lambda.rate(), ceiling);
    }

    /// An HTTP client whose every answer is `{}` after `delay`.
    fn answering_after(delay: Duration) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        use aws_smithy_runtime_api::client::http::{
            http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
        };
        use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
        #[derive(Debug)]
        struct Answers(Duration);
        impl HttpConnector for Answers {
            fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
                let delay = self.0;
                HttpConnectorFuture::new(async move {
                    tokio::time::sleep(delay).await;
                    Ok(HttpResponse::new(
                        200.try_into().unwrap(),
                        aws_smithy_types::body::SdkBody::from("{}"),
                    ))
                })
            }
        }
        http_client_fn(move |_, _| SharedHttpConnector::new(Answers(delay)))
    }

    fn clients_answering_after(delay: Duration, attempt_timeout: Duration) -> Clients {
        let config = test_config()
            .http_client(answering_after(delay))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(attempt_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build();
        Clients::new(&config)
    }

    /// In real time: the SDK's stall checks read the system clock, which paused tokio time
    /// does not move.
    #[tokio::test]
    async fn a_request_waiting_for_its_turn_longer_than_the_stall_grace_period_is_sent() {
        // The SDK's stalled-stream protection, here with a grace period of 1 s, counted the
        // wait in the limiter's queue as an upload sending nothing: 12 reads of CloudWatch
        // Logs' metric filters (4 at once, then 4 a second: slsctl's own rate for the Logs calls
        // without a published quota) make the last one wait 2 s.
        let config = test_config()
            .http_client(answering_after(Duration::from_millis(10)))
            .stalled_stream_protection(
                aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig::enabled()
                    .grace_period(Duration::from_secs(1))
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build();
        let clients = Clients::new(&config);
        let start = std::time::Instant::now();
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let clients = clients.clone();
            reads.spawn(async move { clients.logs.describe_metric_filters().send().await });
        }
        while let Some(read) = reads.join_next().await {
            if let Err(error) = read.unwrap() {
                panic!("{}", crate::aws::error::classify(error));
            }
        }
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_attempt_timeout_starts_when_the_request_leaves_its_limiter() {
        // The limiter of CloudWatch Logs' calls without a published quota (the metric filters'
        // read among them) lets 4 a second through: the last of 12 reads waits 2 s in its
        // queue, twice the attempt timeout, and is answered all the same.
        let clients = clients_answering_after(Duration::from_millis(10), Duration::from_secs(1));
        let start = Instant::now();
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let clients = clients.clone();
            reads.spawn(async move { clients.logs.describe_metric_filters().send().await });
        }
        while let Some(read) = reads.join_next().await {
            read.unwrap()
                .expect("no read times out while it waits for its turn");
        }
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );

        // An answer that takes longer than the attempt timeout once sent still times out.
        let slow = clients_answering_after(Duration::from_secs(5), Duration::from_secs(1));
        let start = Instant::now();
        let error = crate::aws::error::classify(
            slow.logs
                .describe_metric_filters()
                .send()
                .await
                .unwrap_err(),
        );
        assert!(error.to_string().contains("timeout"), "{error}");
        assert!(error.kind.is_transient());
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
}
