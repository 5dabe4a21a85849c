//! A fault-injecting HTTP proxy between the SDK and the emulator (test support).
//!
//! Point an `SdkConfig`'s endpoint at `FaultProxy::endpoint`; every request is identified by
//! service (the SigV4 credential scope) and operation (`X-Amz-Target`, the query `Action`, or
//! the REST route), then either forwarded to the emulator or answered with a fault:
//! - throttling in the service's own error shape (Lambda's and API Gateway's 429
//!   `TooManyRequestsException`, SQS's `RequestThrottled`, DynamoDB's and EventBridge's
//!   `ThrottlingException`, the tagging API's `ThrottledException`, STS's `Throttling`,
//!   S3's `SlowDown`),
//! - 500 and 503 responses,
//! - added latency, a connection closed before forwarding (a reset), a response lost after the
//!   emulator applied the request, and a hang longer than the client's attempt timeout,
//!
//! each by rule (service, operation, rate), drawn from a seeded generator so a run can be
//! replayed. Quota mode answers with throttling once AWS's documented control-plane rates are
//! exceeded (FACTS.md): Lambda 15 requests/s shared, GetFunction 100/s and GetPolicy 15/s, API
//! Gateway 10/s with a burst of 40, EventBridge 50/s.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    Throttle,
    Status500,
    Status503,
    /// Forward, but only after this delay.
    Latency(Duration),
    /// Close the connection without forwarding.
    Reset,
    /// Forward (the emulator applies it), then close the connection without the response.
    LostResponse,
    /// Hold the connection this long without answering, then close it.
    Hang(Duration),
}

impl Fault {
    fn label(&self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::Status500 => "500",
            Fault::Status503 => "503",
            Fault::Latency(_) => "latency",
            Fault::Reset => "reset",
            Fault::LostResponse => "lost-response",
            Fault::Hang(_) => "hang",
        }
    }
}

/// Inject `fault` into a share `rate` (0..=1) of the requests that match.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The SigV4 service name (`lambda`, `sqs`, `dynamodb`, `events`, `apigateway`, `tagging`,
    /// `application-autoscaling`, `sts`, `s3`); None matches all.
    pub service: Option<String>,
    /// The operation (`GetFunction`, …); None matches all of the service.
    pub operation: Option<String>,
    pub fault: Fault,
    pub rate: f64,
}

impl Rule {
    pub fn everywhere(fault: Fault, rate: f64) -> Rule {
        Rule {
            service: None,
            operation: None,
            fault,
            rate,
        }
    }
}

#[derive(Debug, Default)]
pub struct Stats {
    /// Requests seen, by `service:Operation`.
    pub requests: BTreeMap<String, u64>,
    /// Faults injected, by kind.
    pub injected: BTreeMap<String, u64>,
    /// Requests throttled by quota mode, by quota class (`lambda` for Lambda's shared 15/s,
    /// `lambda:GetFunction`, `lambda:GetPolicy`, `apigateway`, `events`).
    pub quota_throttled: BTreeMap<String, u64>,
    /// When the first and the latest requests of each `service:Operation` arrived: the span in
    /// which a client had work for it (rates over that span, not over the whole run).
    pub spans: BTreeMap<String, (Instant, Instant)>,
    /// Requests forwarded to the emulator (including lost responses).
    pub forwarded: u64,
    /// The emulator's own time answering the forwarded requests, summed (from sending the
    /// request upstream to the last byte of its answer): its service time, apart from the
    /// client's.
    pub upstream_time: Duration,
}

struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64) -> Bucket {
        Bucket {
            rate,
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }
    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct State {
    rules: Vec<Rule>,
    /// AWS's behaviours that moto lacks (`strict.rs`), when on.
    strict: Option<super::strict::Strict>,
    quota: Option<BTreeMap<&'static str, Bucket>>,
    /// Added to every forwarded request (the network between a client and AWS).
    latency: Duration,
    rng: u64,
    stats: Stats,
    /// `(service, operation)` → how many of its next requests lose their answer, before the
    /// rules are consulted (`lose_first`).
    lose_first: BTreeMap<(String, String), u32>,
}

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Start a proxy to `upstream` (`http://127.0.0.1:PORT`) on a free loopback port.
    pub async fn start(upstream: &str, seed: u64) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            rules: vec![],
            strict: None,
            quota: None,
            latency: Duration::ZERO,
            rng: seed.max(1),
            stats: Stats::default(),
            lose_first: BTreeMap::new(),
        }));
        let upstream = upstream.trim_start_matches("http://").to_string();
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle(state.clone(), upstream.clone(), request)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FaultProxy {
            endpoint,
            state,
            task,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_rules(&self, rules: Vec<Rule>) {
        self.state().rules = rules;
    }

    /// The next `count` requests of `service`'s `operation` are applied by the emulator and
    /// their answers lost (a deterministic `Fault::LostResponse`); 0 clears it.
    pub fn lose_first(&self, service: &str, operation: &str, count: u32) {
        self.state()
            .lose_first
            .insert((service.to_string(), operation.to_string()), count);
    }

    /// In quota mode, give `class` (a key of `Stats::quota_throttled`) another rate and burst:
    /// an account where other deployers use part of the quota.
    pub fn set_quota(&self, class: &'static str, rate: f64, burst: f64) {
        if let Some(buckets) = self.state().quota.as_mut() {
            buckets.insert(class, Bucket::new(rate, burst));
        }
    }

    /// Enforce AWS's documented control-plane rates.
    pub fn set_quota_mode(&self, on: bool) {
        self.state().quota = on.then(|| {
            BTreeMap::from([
                ("lambda", Bucket::new(15.0, 15.0)),
                ("lambda:GetFunction", Bucket::new(100.0, 100.0)),
                ("lambda:GetPolicy", Bucket::new(15.0, 15.0)),
                ("apigateway", Bucket::new(10.0, 40.0)),
                ("events", Bucket::new(50.0, 50.0)),
                // CloudWatch Logs and CloudWatch publish quotas per operation; the others'
                // are not published, so the proxy does not invent them.
                ("logs:CreateLogGroup", Bucket::new(5.0, 5.0)),
                ("logs:DeleteLogGroup", Bucket::new(5.0, 5.0)),
                ("logs:DescribeLogGroups", Bucket::new(5.0, 5.0)),
                ("monitoring:DescribeAlarms", Bucket::new(9.0, 9.0)),
                ("monitoring:DeleteAlarms", Bucket::new(3.0, 3.0)),
            ])
        });
    }

    /// Answer as AWS does where moto does not (see `strict.rs`), with AWS's time windows
    /// scaled to `window`.
    pub fn set_strict(&self, window: Duration) {
        self.state().strict = Some(super::strict::Strict::new(window));
    }

    /// The requests AWS's service models refuse that the strict layer saw.
    pub fn model_violations(&self) -> Vec<String> {
        self.state()
            .strict
            .as_ref()
            .map(|s| s.violations.clone())
            .unwrap_or_default()
    }

    /// The requests the strict layer checked against AWS's service models, by operation.
    pub fn model_checked(&self) -> BTreeMap<String, u32> {
        self.state()
            .strict
            .as_ref()
            .map(|s| s.checked.clone())
            .unwrap_or_default()
    }

    /// How often each strict behaviour answered in place of the emulator.
    pub fn strict_refusals(&self) -> BTreeMap<&'static str, u32> {
        self.state()
            .strict
            .as_ref()
            .map(|s| s.refused.clone())
            .unwrap_or_default()
    }

    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    pub fn stats(&self) -> Stats {
        let state = self.state();
        Stats {
            requests: state.stats.requests.clone(),
            injected: state.stats.injected.clone(),
            quota_throttled: state.stats.quota_throttled.clone(),
            spans: state.stats.spans.clone(),
            forwarded: state.stats.forwarded,
            upstream_time: state.stats.upstream_time,
        }
    }

    pub fn reset_stats(&self) {
        self.state().stats = Stats::default();
    }
}

/// xorshift64*: small, seeded, good enough to spread faults.
fn next_unit(rng: &mut u64) -> f64 {
    *rng ^= *rng >> 12;
    *rng ^= *rng << 25;
    *rng ^= *rng >> 27;
    (rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

/// The SigV4 service of a request: `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
fn service_of(request: &Request<Incoming>) -> String {
    request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|v| v.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string()
}

/// The operation: `X-Amz-Target`'s suffix, the query protocol's `Action`, or the REST route.
fn operation_of(
    service: &str,
    method: &str,
    path: &str,
    target: Option<&str>,
    body: &[u8],
) -> String {
    if let Some(target) = target {
        return target.rsplit('.').next().unwrap_or(target).to_string();
    }
    if let Some(action) = std::str::from_utf8(body)
        .ok()
        .and_then(|b| b.split('&').find_map(|kv| kv.strip_prefix("Action=")))
    {
        return action.to_string();
    }
    let segments: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if service == "lambda" {
        // /2015-03-31/functions/NAME[/...], /2017-10-31/..., /2015-03-31/event-source-mappings
        let tail: Vec<&str> = segments.iter().skip(1).copied().collect();
        return match (method, tail.as_slice()) {
            ("GET", ["functions", _]) => "GetFunction",
            ("POST", ["functions"]) => "CreateFunction",
            ("DELETE", ["functions", _]) => "DeleteFunction",
            ("PUT", ["functions", _, "code"]) => "UpdateFunctionCode",
            ("PUT", ["functions", _, "configuration"]) => "UpdateFunctionConfiguration",
            ("GET", ["functions", _, "configuration"]) => "GetFunctionConfiguration",
            ("POST", ["functions", _, "versions"]) => "PublishVersion",
            ("GET", ["functions", _, "policy"]) => "GetPolicy",
            ("POST", ["functions", _, "policy"]) => "AddPermission",
            ("DELETE", ["functions", _, "policy", _]) => "RemovePermission",
            ("POST", ["event-source-mappings"]) => "CreateEventSourceMapping",
            ("GET", ["event-source-mappings"]) => "ListEventSourceMappings",
            ("PUT", ["event-source-mappings", _]) => "UpdateEventSourceMapping",
            ("DELETE", ["event-source-mappings", _]) => "DeleteEventSourceMapping",
            ("GET", ["layers"]) => "ListLayers",
            ("POST", ["layers", _, "versions"]) => "PublishLayerVersion",
            ("GET", ["layers", _, "versions"]) => "ListLayerVersions",
            ("POST", ["functions", _, "aliases"]) => "CreateAlias",
            ("GET", ["functions", _, "aliases", _]) => "GetAlias",
            ("PUT", ["functions", _, "aliases", _]) => "UpdateAlias",
            ("POST", ["tags", _]) => "TagResource",
            ("DELETE", ["tags", _]) => "UntagResource",
            _ => return format!("{method} {}", segments.first().copied().unwrap_or("")),
        }
        .to_string();
    }
    if service == "apigateway" {
        let named = match (method, segments.as_slice()) {
            ("POST", ["restapis"]) => Some("CreateRestApi"),
            ("POST", ["restapis", _, "resources", _]) => Some("CreateResource"),
            ("PUT", ["restapis", _, "resources", _, "methods", _]) => Some("PutMethod"),
            ("PUT", ["restapis", _, "resources", _, "methods", _, "integration"]) => {
                Some("PutIntegration")
            }
            ("POST", ["restapis", _, "deployments"]) => Some("CreateDeployment"),
            ("GET", ["restapis", _, "stages", _]) => Some("GetStage"),
            ("POST", ["domainnames"]) => Some("CreateDomainName"),
            ("POST", ["domainnames", _, "basepathmappings"]) => Some("CreateBasePathMapping"),
            _ => None,
        };
        if let Some(named) = named {
            return named.to_string();
        }
    }
    format!("{method} /{}", segments.first().copied().unwrap_or(""))
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// A throttling error exactly as the service sends it.
fn throttle(service: &str) -> Response<Full<Bytes>> {
    match service {
        "lambda" => response(
            429,
            &[
                ("x-amzn-errortype", "TooManyRequestsException"),
                ("content-type", "application/json"),
            ],
            r#"{"Reason":"CallerRateLimitExceeded","Type":"User","message":"Rate exceeded"}"#,
        ),
        "apigateway" => response(
            429,
            &[
                ("x-amzn-errortype", "TooManyRequestsException"),
                ("content-type", "application/json"),
                ("retry-after", "1"),
            ],
            r#"{"message":"Too Many Requests"}"#,
        ),
        "sqs" => response(
            400,
            &[
                ("x-amzn-query-error", "RequestThrottled;Sender"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            r#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Request is throttled."}"#,
        ),
        "dynamodb" => response(
            400,
            &[("content-type", "application/x-amz-json-1.0")],
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
        ),
        "tagging" => response(
            400,
            &[("content-type", "application/x-amz-json-1.1")],
            r#"{"__type":"ThrottledException","Message":"Rate exceeded"}"#,
        ),
        "sts" => response(
            400,
            &[("content-type", "text/xml")],
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>"#,
        ),
        "iam" => response(
            400,
            &[("content-type", "text/xml")],
            r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>"#,
        ),
        // CloudWatch (SigV4 service `monitoring`) at its awsQuery release: XML errors.
        "monitoring" => response(
            400,
            &[("content-type", "text/xml")],
            r#"<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>"#,
        ),
        "s3" => response(
            503,
            &[("content-type", "application/xml")],
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"#,
        ),
        // EventBridge, Application Auto Scaling: awsJson1_1.
        _ => response(
            400,
            &[("content-type", "application/x-amz-json-1.1")],
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        ),
    }
}

fn server_error(service: &str, status: u16) -> Response<Full<Bytes>> {
    let (code, message) = if status == 500 {
        ("InternalFailure", "injected internal failure")
    } else {
        ("ServiceUnavailable", "injected unavailability")
    };
    match service {
        "sts" | "s3" | "iam" | "monitoring" => response(
            status,
            &[("content-type", "text/xml")],
            &format!("<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message></Error></ErrorResponse>"),
        ),
        _ => response(
            status,
            &[("x-amzn-errortype", code), ("content-type", "application/json")],
            &format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        ),
    }
}

/// What hyper does with a service error: it closes the connection without a response.
#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the fault proxy")
    }
}
impl std::error::Error for Dropped {}

async fn handle(
    state: Arc<Mutex<State>>,
    upstream: String,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let service = service_of(&request);
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let operation = operation_of(
        &service,
        parts.method.as_str(),
        parts.uri.path(),
        target.as_deref(),
        &body,
    );
    let (fault, latency) = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        let key = format!("{service}:{operation}");
        *state.stats.requests.entry(key.clone()).or_default() += 1;
        let now = Instant::now();
        state
            .stats
            .spans
            .entry(key)
            .and_modify(|(_, last)| *last = now)
            .or_insert((now, now));
        // An operation with a quota of its own (a `service:Operation` bucket) is counted
        // there, any other against its service's shared quota.
        let own = format!("{service}:{operation}");
        let class = if state
            .quota
            .as_ref()
            .is_some_and(|buckets| buckets.contains_key(own.as_str()))
        {
            own
        } else if service == "events" && operation == "PutEvents" {
            String::new() // PutEvents has its own, much larger quota
        } else {
            service.clone()
        };
        let over_quota = state
            .quota
            .as_mut()
            .is_some_and(|buckets| buckets.get_mut(class.as_str()).is_some_and(|b| !b.take()));
        if over_quota {
            *state.stats.quota_throttled.entry(class).or_default() += 1;
            return Ok(throttle(&service));
        }
        let mut chosen = None;
        if let Some(left) = state
            .lose_first
            .get_mut(&(service.clone(), operation.clone()))
            .filter(|left| **left > 0)
        {
            *left -= 1;
            chosen = Some(Fault::LostResponse);
        }
        let rules = if chosen.is_some() {
            vec![]
        } else {
            state.rules.clone()
        };
        for rule in &rules {
            let matches = rule.service.as_deref().is_none_or(|s| s == service)
                && rule.operation.as_deref().is_none_or(|o| o == operation);
            if matches && next_unit(&mut state.rng) < rule.rate {
                chosen = Some(rule.fault.clone());
                break;
            }
        }
        if let Some(fault) = &chosen {
            *state
                .stats
                .injected
                .entry(fault.label().to_string())
                .or_default() += 1;
        }
        (chosen, state.latency)
    };
    match &fault {
        Some(Fault::Throttle) => return Ok(throttle(&service)),
        Some(Fault::Status500) => return Ok(server_error(&service, 500)),
        Some(Fault::Status503) => return Ok(server_error(&service, 503)),
        Some(Fault::Reset) => return Err(Dropped),
        Some(Fault::Hang(how_long)) => {
            tokio::time::sleep(*how_long).await;
            return Err(Dropped);
        }
        Some(Fault::Latency(extra)) => tokio::time::sleep(*extra).await,
        Some(Fault::LostResponse) | None => {}
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.to_string());
    let method = parts.method.to_string();
    if let Some(refusal) = state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .strict
        .as_mut()
        .and_then(|strict| {
            strict.before(&super::strict::Call {
                service: &service,
                operation: &operation,
                method: &method,
                path: &path,
                body: &body,
            })
        })
    {
        // The strict layer stands for AWS here: what it answered is lost all the same.
        if fault == Some(Fault::LostResponse) {
            return Err(Dropped);
        }
        return Ok(refusal);
    }
    let request_body = body.clone();
    let sent = Instant::now();
    let answered = forward(&upstream, parts, body).await;
    let upstream_time = sent.elapsed();
    let forwarded = answered.map(|answer| {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(strict) = state.strict.as_mut() else {
            return answer;
        };
        let (parts, body) = answer.into_parts();
        // Full<Bytes> holds the whole body: take it back out without awaiting.
        let bytes = futures_body(body);
        let call = super::strict::Call {
            service: &service,
            operation: &operation,
            method: &method,
            path: &path,
            body: &request_body,
        };
        let bytes = strict.after(&call, parts.status.as_u16(), bytes);
        let mut out = Response::from_parts(parts, Full::new(bytes));
        out.headers_mut().remove("content-length");
        out
    });
    {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        state.stats.forwarded += 1;
        state.stats.upstream_time += upstream_time;
    }
    if fault == Some(Fault::LostResponse) {
        return Err(Dropped);
    }
    forwarded
}

/// The bytes of a `Full` body, which is always ready.
fn futures_body(body: Full<Bytes>) -> Bytes {
    use hyper::body::Body;
    let mut body = std::pin::pin!(body);
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    match body.as_mut().poll_frame(&mut context) {
        std::task::Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    }
}

async fn forward(
    upstream: &str,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let stream = tokio::net::TcpStream::connect(upstream)
        .await
        .map_err(|_| Dropped)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|_| Dropped)?;
    tokio::spawn(connection);
    let request = Request::from_parts(parts, Full::new(body));
    let response = sender.send_request(request).await.map_err(|_| Dropped)?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let mut out = Response::from_parts(parts, Full::new(body));
    // The body is re-framed by hyper; a stale transfer-encoding would corrupt it.
    out.headers_mut().remove("transfer-encoding");
    Ok(out)
}

/// An SDK configuration that talks to AWS through `proxy`, with short attempts and quick
/// retries so that injected hangs and faults cost test time, not minutes.
pub fn through(
    sdk: &aws_config::SdkConfig,
    proxy: &FaultProxy,
    attempt_timeout: Duration,
) -> aws_config::SdkConfig {
    // Without the environment's per-service settings, which would put AWS_ENDPOINT_URL (the
    // emulator itself) back in front of the proxy.
    sdk.to_builder()
        .service_config(NoServiceConfig)
        .endpoint_url(&proxy.endpoint)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(attempt_timeout)
                .build(),
        )
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(8)
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_secs(1)),
        )
        .build()
}

#[derive(Debug)]
struct NoServiceConfig;

impl aws_types::service_config::LoadServiceConfig for NoServiceConfig {
    fn load_config(&self, _: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        None
    }
}

/// `clients` with their own SDK retry partition and no retry quota. The SDK's retry quota is
/// one token bucket per service for the whole process; tests that inject faults at sustained
/// rates far above anything AWS sends would otherwise drain it for every other test running
/// beside them, and the SDK would stop retrying anywhere. What slsctl does when the SDK gives
/// up is tested all the same: injected faults still exhaust attempts.
pub fn isolated(mut clients: slsctl::aws::Clients, name: &str) -> slsctl::aws::Clients {
    use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
    let partition = |service: &str| {
        RetryPartition::custom(format!("{name}-{service}"))
            .token_bucket(TokenBucket::unlimited())
            .build()
    };
    macro_rules! rebuild {
        ($field:ident, $sdk:ident) => {
            clients.$field = $sdk::Client::from_conf(
                clients
                    .$field
                    .config()
                    .to_builder()
                    .retry_partition(partition(stringify!($field)))
                    .build(),
            );
        };
    }
    rebuild!(lambda, aws_sdk_lambda);
    rebuild!(sqs, aws_sdk_sqs);
    rebuild!(tagging, aws_sdk_resourcegroupstagging);
    rebuild!(sts, aws_sdk_sts);
    rebuild!(dynamodb, aws_sdk_dynamodb);
    rebuild!(events, aws_sdk_eventbridge);
    rebuild!(autoscaling, aws_sdk_applicationautoscaling);
    rebuild!(apigateway, aws_sdk_apigateway);
    rebuild!(logs, aws_sdk_cloudwatchlogs);
    rebuild!(cloudwatch, aws_sdk_cloudwatch);
    rebuild!(iam, aws_sdk_iam);
    clients
}
