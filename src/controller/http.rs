//! The controller's HTTP side: health, readiness, Prometheus metrics, stack status as JSON, a
//! status page for people, the GitHub push webhook and the manual trigger.
//!
//! A webhook only schedules a reconcile; its content is never trusted. Its body is capped, its
//! `X-Hub-Signature-256` is verified (HMAC-SHA256, compared in constant time) before anything
//! else, and events other than `push` are ignored.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;

use hmac::{KeyInit, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::watch;

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

/// Prometheus text exposition.
pub fn metrics(controller: &Controller) -> String {
    let mut out = String::new();
    let status = controller.status();
    let _ = writeln!(out, "# HELP slsctl_reconciles_total Reconciles that completed, per stack.\n# TYPE slsctl_reconciles_total counter");
    for (name, s) in &status {
        let _ = writeln!(
            out,
            "slsctl_reconciles_total{{stack=\"{name}\"}} {}",
            s.reconciles
        );
    }
    let _ = writeln!(out, "# HELP slsctl_reconcile_failures_total Reconciles that failed, per stack.\n# TYPE slsctl_reconcile_failures_total counter");
    for (name, s) in &status {
        let _ = writeln!(
            out,
            "slsctl_reconcile_failures_total{{stack=\"{name}\"}} {}",
            s.failures
        );
    }
    let _ = writeln!(out, "# HELP slsctl_reconcile_duration_seconds Duration of the last reconcile, per stack.\n# TYPE slsctl_reconcile_duration_seconds gauge");
    for (name, s) in &status {
        let _ = writeln!(
            out,
            "slsctl_reconcile_duration_seconds{{stack=\"{name}\"}} {:.3}",
            s.last_duration_seconds
        );
    }
    let _ = writeln!(out, "# HELP slsctl_drifted_resources Resources the last plan would change, per stack.\n# TYPE slsctl_drifted_resources gauge");
    for (name, s) in &status {
        let drifted = s.last_plan.as_ref().map_or(0, |p| p.changes());
        let _ = writeln!(
            out,
            "slsctl_drifted_resources{{stack=\"{name}\"}} {drifted}"
        );
    }
    by_operation(
        &mut out,
        "slsctl_aws_calls_total",
        "AWS API calls, by service and operation.",
        &controller.clients.calls,
    );
    by_operation(
        &mut out,
        "slsctl_aws_throttles_total",
        "AWS throttling answers, by service and operation (every attempt, retried ones included).",
        &controller.clients.throttles,
    );
    let _ = writeln!(out, "# HELP slsctl_queue_depth Stacks waiting in the work queue.\n# TYPE slsctl_queue_depth gauge\nslsctl_queue_depth {}", controller.queue_depth());
    let _ = writeln!(out, "# HELP slsctl_leader 1 when this replica holds the lease.\n# TYPE slsctl_leader gauge\nslsctl_leader {}", u8::from(controller.is_leader()));
    out
}

/// A counter of `service:Operation` keys as one Prometheus counter with both labels.
fn by_operation(out: &mut String, metric: &str, help: &str, counts: &crate::aws::CallCounter) {
    let _ = writeln!(out, "# HELP {metric} {help}\n# TYPE {metric} counter");
    for (operation, count) in counts.snapshot() {
        let (service, op) = operation
            .split_once(':')
            .unwrap_or(("aws", operation.as_str()));
        let _ = writeln!(
            out,
            "{metric}{{service=\"{service}\",operation=\"{op}\"}} {count}"
        );
    }
}

/// The status page: server-rendered, no JavaScript.
pub fn page(controller: &Controller) -> String {
    let mut rows = String::new();
    for (name, s) in controller.status() {
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
        let plan = s.last_plan.as_ref().map_or_else(String::new, |p| {
            format!(
                "{} create, {} update, {} replace, {} delete, {} unchanged",
                p.create, p.update, p.replace, p.delete, p.unchanged
            )
        });
        let _ = write!(
            rows,
            "<tr class=\"stack\"><td class=\"name\">{}</td><td class=\"revision\"><code>{}</code></td><td class=\"conditions\">{}</td><td>{}</td><td class=\"plan\">{}</td><td><pre class=\"error\">{}</pre></td></tr>",
            escape(&name),
            escape(s.revision.as_deref().unwrap_or("—")),
            conditions.join(", "),
            s.reconciles,
            escape(&plan),
            escape(s.last_error.as_deref().unwrap_or("")),
        );
        if let Some(diff) = &s.last_diff {
            let _ = write!(
                rows,
                "<tr class=\"diff\"><td colspan=\"6\"><details open><summary>last plan with changes: {}</summary><pre class=\"diff\">{}</pre></details></td></tr>",
                escape(&name),
                escape(diff)
            );
        }
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"15\"><title>slsctl controller</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}pre{{margin:0;white-space:pre-wrap}}</style></head>\
         <body><h1>slsctl controller</h1><p id=\"leader\">{}</p>\
         <table id=\"stacks\"><tr><th>stack</th><th>revision</th><th>conditions</th><th>reconciles</th><th>last plan</th><th>last error</th></tr>{rows}</table></body></html>",
        if controller.is_leader() { "leader" } else { "follower" }
    )
}

/// At most this many webhook bodies are read at once (each up to `MAX_WEBHOOK_BYTES`), so a
/// flood of large bodies is bounded in memory; the excess is answered 503 without reading.
const CONCURRENT_WEBHOOK_BODIES: usize = 8;
/// A client that sends its headers or its body slower than this is cut off (slowloris).
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn handle(
    controller: Arc<Controller>,
    secret: Option<Arc<Vec<u8>>>,
    bodies: Arc<tokio::sync::Semaphore>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_string();
    let response = match (request.method().clone(), path.as_str()) {
        (Method::GET, "/healthz") => reply(StatusCode::OK, "text/plain", "ok\n"),
        (Method::GET, "/readyz") if controller.is_ready() => {
            reply(StatusCode::OK, "text/plain", "ready\n")
        }
        (Method::GET, "/readyz") => {
            reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "starting\n")
        }
        (Method::GET, "/metrics") => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            metrics(&controller),
        ),
        (Method::GET, "/api/stacks") => reply(
            StatusCode::OK,
            "application/json",
            serde_json::to_string(&controller.status()).unwrap_or_default(),
        ),
        (Method::GET, "/") => reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            page(&controller),
        ),
        (Method::POST, "/hooks/github") => {
            github(&controller, secret.as_deref(), &bodies, request).await
        }
        (Method::POST, p) if p.starts_with("/api/stacks/") && p.ends_with("/reconcile") => {
            let name = &p["/api/stacks/".len()..p.len() - "/reconcile".len()];
            if controller.trigger(name) {
                reply(StatusCode::ACCEPTED, "text/plain", "queued\n")
            } else {
                reply(StatusCode::NOT_FOUND, "text/plain", "no such stack\n")
            }
        }
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    };
    Ok(response)
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
    let too_large = request
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_WEBHOOK_BYTES);
    if too_large {
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain",
            "body too large\n",
        );
    }
    let signature = request
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let event = request
        .headers()
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
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
            for name in controller.status().keys() {
                controller.trigger(name);
            }
            reply(StatusCode::ACCEPTED, "text/plain", "queued\n")
        }
        Some("ping") => reply(StatusCode::OK, "text/plain", "pong\n"),
        _ => reply(StatusCode::NO_CONTENT, "text/plain", ""),
    }
}

/// Serve until `shutdown` turns true.
pub async fn serve(
    controller: Arc<Controller>,
    listener: TcpListener,
    webhook_secret: Option<Vec<u8>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let secret = webhook_secret.map(Arc::new);
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
        let secret = secret.clone();
        let bodies = bodies.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                handle(controller.clone(), secret.clone(), bodies.clone(), request)
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
    fn the_page_escapes_what_it_shows() {
        assert_eq!(escape("<script>&\""), "&lt;script&gt;&amp;&quot;");
    }
}
