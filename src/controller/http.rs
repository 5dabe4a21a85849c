//! The controller's HTTP side: health, readiness, Prometheus metrics, stack status as JSON, a
//! status page for people, the GitHub push webhook and the manual trigger.
//!
//! A webhook only schedules a reconcile; its content is never trusted. Its body is capped, its
//! `X-Hub-Signature-256` is verified (HMAC-SHA256, compared in constant time) before anything
//! else, and events other than `push` are ignored.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;

use super::schedule::Reason;
use hmac::{KeyInit, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use prometheus_client::encoding::prometheus_text;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::metrics::metrics;
use super::Controller;

/// Webhook bodies above this are refused unread (GitHub caps payloads at 25 MB; pushes are small).
pub const MAX_WEBHOOK_BYTES: usize = 1 << 20;

type Body = Full<Bytes>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// The value of the request's header `name`, when it is present and text.
fn header<'a>(request: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Check GitHub's `sha256=<hex>` signature of `body` with `secret`, in constant time.
pub fn signature_valid(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Some(expected) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The console links of a stack: its dashboard (when it has one) and the X-Ray service map of
/// its region; none before its first plan says where it is.
pub fn console_links(region: Option<&str>, dashboard: Option<&str>) -> String {
    let Some(region) = region else {
        return String::new();
    };
    let console = format!("https://{region}.console.aws.amazon.com");
    let mut links = Vec::new();
    if let Some(dashboard) = dashboard {
        links.push(format!(
            "<a class=\"dashboard\" href=\"{}\">dashboard</a>",
            escape(&format!(
                "{console}/cloudwatch/home?region={region}#dashboards/dashboard/{dashboard}"
            ))
        ));
    }
    links.push(format!(
        "<a class=\"service-map\" href=\"{}\">service map</a>",
        escape(&format!("{console}/xray/home?region={region}#/service-map"))
    ));
    links.join(" · ")
}

/// Which replica this is, and how the stacks are shared (the page's first line).
fn replica_line(
    controller: &Controller,
    status: &std::collections::BTreeMap<String, super::StackStatus>,
) -> String {
    let Some((me, live)) = controller.replicas() else {
        return "a single replica (no lease): it reconciles every stack".to_string();
    };
    let mine = status
        .values()
        .filter(|s| s.holder.as_deref() == Some(me.as_str()))
        .count();
    format!(
        "replica <code>{}</code>, one of {} live: holds {mine} of {} stacks",
        escape(&me),
        live.len().max(1),
        status.len()
    )
}

/// The status page: server-rendered, no JavaScript.
pub fn page(controller: &Controller) -> String {
    let mut rows = String::new();
    let status = controller.fleet_status();
    let replica = replica_line(controller, &status);
    for (name, s) in status {
        let conditions: Vec<&str> = [
            (s.ready, "Ready"),
            (s.synced, "Synced"),
            (s.drifted, "Drifted"),
            (s.degraded, "Degraded"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, label)| *label)
        .collect();
        let firing = s.alarms_firing();
        let alarms = if firing.is_empty() {
            format!("{} alarms, none in ALARM", s.alarms.len())
        } else {
            format!("in ALARM: {}", firing.join(", "))
        };
        let plan = s.last_plan.as_ref().map_or_else(String::new, |p| {
            format!(
                "{} create, {} update, {} replace, {} delete, {} unchanged",
                p.create, p.update, p.replace, p.delete, p.unchanged
            )
        });
        let _ = write!(
            rows,
            "<tr class=\"stack\"><td class=\"name\">{}</td><td class=\"holder\">{}</td><td class=\"revision\"><code>{}</code></td><td class=\"conditions\">{}</td><td class=\"alarms\">{}</td><td>{}</td><td class=\"plan\">{}</td><td class=\"links\">{}</td><td><pre class=\"error\">{}</pre></td></tr>",
            escape(&name),
            escape(s.holder.as_deref().unwrap_or(if controller.replicas().is_some() { "—" } else { "this replica" })),
            escape(s.revision.as_deref().unwrap_or("—")),
            conditions.join(", "),
            escape(&alarms),
            s.reconciles,
            escape(&plan),
            console_links(s.region.as_deref(), s.dashboard.as_deref()),
            escape(s.last_error.as_deref().unwrap_or("")),
        );
        if let Some(svg) = s.diagram.as_ref().map(|picture| picture.svg()) {
            let _ = write!(
                rows,
                "<tr class=\"diagram\"><td colspan=\"9\"><details><summary>diagram: {}</summary><div class=\"diagram\">{svg}</div></details></td></tr>",
                escape(&name)
            );
        }
        if let Some(diff) = &s.last_diff {
            let _ = write!(
                rows,
                "<tr class=\"diff\"><td colspan=\"9\"><details open><summary>last plan with changes: {}</summary><pre class=\"diff\">{}</pre></details></td></tr>",
                escape(&name),
                escape(diff)
            );
        }
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"15\"><title>slsctl controller</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}pre{{margin:0;white-space:pre-wrap}}</style></head>\
         <body><h1>slsctl controller</h1><p id=\"replica\">{replica}</p>\
         <table id=\"stacks\"><tr><th>stack</th><th>holder</th><th>revision</th><th>conditions</th><th>alarms</th><th>reconciles</th><th>last plan</th><th>watch</th><th>last error</th></tr>{rows}</table>\
         <p>A stack another replica holds shows that replica's report of it, as of its last renewal; its diagram, diff and alarms are on that replica's page.</p></body></html>"
    )
}

/// At most this many webhook bodies are read at once (each up to `MAX_WEBHOOK_BYTES`), so a
/// flood of large bodies is bounded in memory; the excess is answered 503 without reading.
const CONCURRENT_WEBHOOK_BODIES: usize = 8;
/// A client that sends its headers or its body slower than this is cut off (slowloris).
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the server knows, from the method and path alone (pure, so it can be fuzzed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Healthz,
    Readyz,
    Metrics,
    Stacks,
    Page,
    Webhook,
    /// `POST /api/stacks/NAME/reconcile`; the name is checked against the stacks later.
    Reconcile(String),
    /// A known path asked with another method; `allow` is what it takes.
    MethodNotAllowed {
        allow: &'static str,
    },
    NotFound,
}

/// Map a request line to a route. Never panics, whatever the method and path.
pub fn route(method: &Method, path: &str) -> Route {
    let (allow, route) = match path {
        "/healthz" => ("GET", Route::Healthz),
        "/readyz" => ("GET", Route::Readyz),
        "/metrics" => ("GET", Route::Metrics),
        "/api/stacks" => ("GET", Route::Stacks),
        "/" => ("GET", Route::Page),
        "/hooks/github" => ("POST", Route::Webhook),
        _ => match path
            .strip_prefix("/api/stacks/")
            .and_then(|rest| rest.strip_suffix("/reconcile"))
        {
            // One non-empty segment: `/api/stacks/reconcile` and `/api/stacks/a/b/reconcile`
            // name no stack.
            Some(name) if !name.is_empty() && !name.contains('/') => {
                ("POST", Route::Reconcile(name.to_string()))
            }
            _ => return Route::NotFound,
        },
    };
    // HEAD is GET without the body (hyper drops it).
    let asked = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    if asked == allow {
        route
    } else {
        Route::MethodNotAllowed { allow }
    }
}

/// `/` and `/api/*` show plan diffs and queue reconciles: behind the token when one is set.
/// Health, readiness and metrics stay open for probes and scrapers; the webhook has its HMAC.
pub fn protected(path: &str) -> bool {
    path == "/" || path == "/api" || path.starts_with("/api/")
}

/// Whether `header` (an `Authorization` value) carries `Bearer <token>`. Both sides are hashed
/// first and the digests compared without an early exit, so neither the content nor the length
/// of the token shows in the timing.
pub fn bearer_valid(token: &[u8], header: Option<&str>) -> bool {
    use sha2::Digest;
    let presented = header
        .and_then(|h| {
            let (scheme, value) = h.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(value.trim())
        })
        .unwrap_or("");
    let expected = sha2::Sha256::digest(token);
    let given = sha2::Sha256::digest(presented.as_bytes());
    let difference = expected
        .iter()
        .zip(given.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0 && !presented.is_empty()
}

/// What guards the HTTP side: the webhook's HMAC secret and the API's bearer token (each
/// optional: no webhook without a secret, an open API without a token).
#[derive(Clone, Default)]
pub struct Access {
    pub webhook_secret: Option<Vec<u8>>,
    pub api_token: Option<Vec<u8>>,
}

async fn handle(
    controller: Arc<Controller>,
    access: Arc<Access>,
    bodies: Arc<tokio::sync::Semaphore>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_string();
    if let Some(token) = &access.api_token {
        if protected(&path) && !bearer_valid(token, header(&request, "authorization")) {
            let mut response = reply(
                StatusCode::UNAUTHORIZED,
                "text/plain",
                "a bearer token is required\n",
            );
            response.headers_mut().insert(
                "www-authenticate",
                hyper::header::HeaderValue::from_static("Bearer realm=\"slsctl\""),
            );
            return Ok(response);
        }
    }
    let response = match route(request.method(), &path) {
        Route::Healthz => reply(StatusCode::OK, "text/plain", "ok\n"),
        Route::Readyz if controller.is_ready() => reply(StatusCode::OK, "text/plain", "ready\n"),
        Route::Readyz => reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "starting\n"),
        Route::Metrics => reply(
            StatusCode::OK,
            prometheus_text::CONTENT_TYPE,
            metrics(&controller),
        ),
        Route::Stacks => reply(
            StatusCode::OK,
            "application/json",
            serde_json::to_string(&controller.fleet_status()).unwrap_or_default(),
        ),
        Route::Page => reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            page(&controller),
        ),
        Route::Webhook => {
            github(
                &controller,
                access.webhook_secret.as_ref(),
                &bodies,
                request,
            )
            .await
        }
        Route::Reconcile(name) => {
            if !controller.knows(&name) {
                reply(StatusCode::NOT_FOUND, "text/plain", "no such stack\n")
            } else {
                queue(&controller, &[name], Reason::Manual).await
            }
        }
        Route::MethodNotAllowed { allow } => {
            let mut response = reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "method not allowed\n",
            );
            response
                .headers_mut()
                .insert("allow", hyper::header::HeaderValue::from_static(allow));
            response
        }
        Route::NotFound => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    };
    Ok(response)
}

/// Queue the `stacks` this replica holds, and hand the others to their holders through their
/// lease items. 503 when a hand-off cannot be written, so that the sender (GitHub) shows a failed delivery
/// and can redeliver.
async fn queue(controller: &Controller, stacks: &[String], reason: Reason) -> Response<Body> {
    match controller.request_because(stacks, reason).await {
        Ok(()) => reply(StatusCode::ACCEPTED, "text/plain", "queued\n"),
        Err(why) => {
            tracing::warn!(error = %why, "cannot hand the trigger to the stacks' holders");
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                "cannot hand the trigger to the stacks' holders; retry\n",
            )
        }
    }
}

async fn github(
    controller: &Controller,
    secret: Option<&Vec<u8>>,
    bodies: &tokio::sync::Semaphore,
    request: Request<Incoming>,
) -> Response<Body> {
    let Some(secret) = secret else {
        return reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "webhook not configured\n",
        );
    };
    let too_large = header(&request, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_WEBHOOK_BYTES);
    if too_large {
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain",
            "body too large\n",
        );
    }
    let signature = header(&request, "x-hub-signature-256").map(str::to_string);
    let event = header(&request, "x-github-event").map(str::to_string);
    let Ok(_reading) = bodies.try_acquire() else {
        return reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "too many webhooks at once\n",
        );
    };
    let collected = tokio::time::timeout(
        READ_TIMEOUT,
        Limited::new(request.into_body(), MAX_WEBHOOK_BYTES).collect(),
    )
    .await;
    let body = match collected {
        Ok(Ok(body)) => body.to_bytes(),
        Err(_) => return reply(StatusCode::REQUEST_TIMEOUT, "text/plain", "too slow\n"),
        Ok(Err(_)) => {
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                "text/plain",
                "body too large\n",
            )
        }
    };
    if !signature_valid(secret, &body, signature.as_deref()) {
        return reply(StatusCode::UNAUTHORIZED, "text/plain", "bad signature\n");
    }
    match event.as_deref() {
        // Signed but not JSON: not a GitHub delivery; nothing is queued.
        Some("push") if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() => {
            reply(StatusCode::BAD_REQUEST, "text/plain", "malformed JSON\n")
        }
        Some("push") => {
            // The content says nothing the controller trusts: every stack is queued, and each
            // reconcile reads its own source.
            let stacks: Vec<String> = controller.status().into_keys().collect();
            queue(controller, &stacks, Reason::Webhook).await
        }
        Some("ping") => reply(StatusCode::OK, "text/plain", "pong\n"),
        _ => reply(StatusCode::NO_CONTENT, "text/plain", ""),
    }
}

/// Serve until `shutdown` turns true, with the webhook (when a secret is given) and an open API.
pub async fn serve(
    controller: Arc<Controller>,
    listener: TcpListener,
    webhook_secret: Option<Vec<u8>>,
    shutdown: watch::Receiver<bool>,
) {
    let access = Access {
        webhook_secret,
        api_token: None,
    };
    serve_with(controller, listener, access, shutdown).await;
}

/// Serve until `shutdown` turns true, guarded by `access`.
pub async fn serve_with(
    controller: Arc<Controller>,
    listener: TcpListener,
    access: Access,
    mut shutdown: watch::Receiver<bool>,
) {
    let access = Arc::new(access);
    let bodies = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_WEBHOOK_BODIES));
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let controller = controller.clone();
        let access = access.clone();
        let bodies = bodies.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                handle(controller.clone(), access.clone(), bodies.clone(), request)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_against_githubs_format() {
        // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            Some(header)
        ));
        assert!(!signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World?",
            Some(header)
        ));
        assert!(!signature_valid(
            b"another secret",
            b"Hello, World!",
            Some(header)
        ));
        assert!(!signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            None
        ));
        assert!(!signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            Some("sha1=abc")
        ));
        assert!(!signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            Some("sha256=zz")
        ));
    }

    #[test]
    fn console_links_name_the_dashboard_and_the_service_map_of_the_region() {
        assert_eq!(
            console_links(Some("eu-west-1"), Some("slsctl-orders")),
            "<a class=\"dashboard\" href=\"https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/slsctl-orders\">dashboard</a> · \
             <a class=\"service-map\" href=\"https://eu-west-1.console.aws.amazon.com/xray/home?region=eu-west-1#/service-map\">service map</a>"
        );
        assert!(!console_links(Some("eu-west-1"), None).contains("dashboard"));
        assert_eq!(console_links(None, Some("slsctl-orders")), "");
    }

    #[test]
    fn the_page_escapes_what_it_shows() {
        assert_eq!(escape("<script>&\""), "&lt;script&gt;&amp;&quot;");
    }

    #[test]
    fn known_paths_route_and_anything_else_is_404_or_405() {
        assert_eq!(route(&Method::GET, "/healthz"), Route::Healthz);
        assert_eq!(route(&Method::HEAD, "/metrics"), Route::Metrics);
        assert_eq!(
            route(&Method::POST, "/api/stacks/shop/reconcile"),
            Route::Reconcile("shop".into())
        );
        for path in [
            "/api/stacks/reconcile",
            "/api/stacks//reconcile",
            "/api/stacks/a/b/reconcile",
            "/api/stacks/",
            "/nope",
            "",
        ] {
            assert_eq!(route(&Method::POST, path), Route::NotFound, "{path}");
        }
        assert_eq!(
            route(&Method::GET, "/api/stacks/shop/reconcile"),
            Route::MethodNotAllowed { allow: "POST" }
        );
        assert_eq!(
            route(&Method::DELETE, "/api/stacks"),
            Route::MethodNotAllowed { allow: "GET" }
        );
        assert!(protected("/") && protected("/api/stacks") && protected("/api/x"));
        assert!(!protected("/healthz") && !protected("/metrics") && !protected("/hooks/github"));
        assert!(!protected("/apix"));
    }

    #[test]
    fn a_bearer_token_must_match_exactly() {
        let token = b"s3cret-token";
        assert!(bearer_valid(token, Some("Bearer s3cret-token")));
        assert!(bearer_valid(token, Some("bearer  s3cret-token ")));
        assert!(!bearer_valid(token, Some("Bearer s3cret-toke")));
        assert!(!bearer_valid(token, Some("Bearer s3cret-token2")));
        assert!(!bearer_valid(token, Some("Basic s3cret-token")));
        assert!(!bearer_valid(token, Some("s3cret-token")));
        assert!(!bearer_valid(token, Some("Bearer ")));
        assert!(!bearer_valid(token, None));
        assert!(
            !bearer_valid(b"", Some("Bearer ")),
            "an empty token never opens"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]
        /// Any method and path: a route, never a panic; a reconcile only for one clean segment.
        #[test]
        fn the_router_never_panics(
            method in "[A-Z]{1,10}|GET|POST|HEAD|DELETE|PUT",
            path in "(/api/stacks|/api|/hooks|)(/[a-z/]{0,6}|/reconcile){0,4}|\\PC{0,40}",
        ) {
            let Ok(method) = Method::from_bytes(method.as_bytes()) else {
                return Ok(());
            };
            match route(&method, &path) {
                Route::Reconcile(name) => {
                    proptest::prop_assert!(method == Method::POST);
                    proptest::prop_assert_eq!(format!("/api/stacks/{name}/reconcile"), path);
                    proptest::prop_assert!(!name.is_empty() && !name.contains('/'));
                }
                Route::MethodNotAllowed { allow } => {
                    proptest::prop_assert_ne!(method.as_str(), allow);
                }
                _ => {}
            }
        }
    }
}
