//! The Api kind's validation: its spec document → an [`Api`], with the route-path and
//! host-name checks only it uses.

use std::collections::HashMap;

use super::wire::{ApiSpecWire, EndpointTypeWire, HttpMethodWire};
use crate::model::{Api, Domain, Kind, Reference, Route, Throttling};
use crate::spec::kind::Check;
use crate::spec::validate::aws_name;
use crate::spec::validate::within;

pub(crate) fn validate(c: Check<'_, '_, ApiSpecWire>) -> Option<Api> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    let stage = s.stage.clone().unwrap_or_else(|| "prod".to_string());
    if !aws_name(&stage, 1..=128, &['_', '-']) {
        v.diagnostics.push(
            ctx.error("spec.stage", format!("`{stage}` is not a valid stage name"))
                .hint("letters, digits, `-` and `_`, at most 128 characters"),
        );
    }
    if s.routes.is_empty() {
        v.diagnostics
            .push(ctx.error("spec.routes", "an Api needs at least one route"));
    }
    let mut seen: HashMap<(HttpMethodWire, String), usize> = HashMap::new();
    let mut routes = Vec::new();
    for (i, r) in s.routes.iter().enumerate() {
        let base = format!("spec.routes[{i}]");
        if let Err(message) = check_route_path(&r.path) {
            v.diagnostics
                .push(ctx.error(&format!("{base}.path"), message).hint(
                    "paths start with `/`; `{id}` is a parameter and `{proxy+}` a greedy one, last",
                ));
        }
        if let Some(first) = seen.insert((r.method, r.path.clone()), i) {
            v.diagnostics.push(
                ctx.error(
                    &base,
                    format!("route {} {} is defined twice", r.method.as_str(), r.path),
                )
                .note(
                    ctx.at(&format!("spec.routes[{first}]")),
                    "first defined here",
                ),
            );
        }
        let Some(function) = v.reference(
            ctx,
            &format!("{base}.function"),
            &r.function,
            &[Kind::Function],
        ) else {
            continue;
        };
        routes.push(Route {
            method: r.method.as_str().to_string(),
            path: r.path.clone(),
            function,
        });
    }
    let throttling = s.throttling.as_ref().map(|t| {
        if !(t.rate_limit.is_finite() && t.rate_limit >= 0.0) {
            v.diagnostics.push(ctx.error(
                "spec.throttling.rateLimit",
                "the rate limit is a non-negative number of requests per second",
            ));
        }
        Throttling {
            rate_limit: t.rate_limit,
            burst_limit: v.int(
                ctx,
                "spec.throttling.burstLimit",
                Some(t.burst_limit),
                within(0, 0, 1_000_000, ""),
            ),
        }
    });
    let endpoint_type = s.endpoint_type.unwrap_or(EndpointTypeWire::Regional);
    if endpoint_type == EndpointTypeWire::Private {
        // AWS refuses to deploy a PRIVATE API without a resource policy that lets its
        // VPC endpoints in; slsctl does not manage API resource policies yet.
        v.diagnostics.push(
            ctx.error(
                "spec.endpointType",
                "a PRIVATE API cannot be deployed without a resource policy naming its VPC endpoints, which slsctl does not manage yet",
            )
            .hint("use `endpointType: REGIONAL` (or EDGE)"),
        );
    }
    let domain = s.domain.as_ref().map(|d| {
        if !valid_hostname(&d.name) {
            v.diagnostics.push(ctx.error(
                "spec.domain.name",
                format!("`{}` is not a domain name", d.name),
            ));
        }
        let parts: Vec<&str> = d.certificate_arn.split(':').collect();
        if parts.len() < 6 || parts[0] != "arn" || parts[2] != "acm" {
            v.diagnostics.push(
                ctx.error(
                    "spec.domain.certificateArn",
                    format!("`{}` is not an ACM certificate ARN", d.certificate_arn),
                )
                .hint("arn:aws:acm:REGION:ACCOUNT:certificate/ID"),
            );
        } else if endpoint_type == EndpointTypeWire::Edge && parts[3] != "us-east-1" {
            v.diagnostics.push(
                ctx.error(
                    "spec.domain.certificateArn",
                    "an EDGE endpoint's certificate must be in us-east-1",
                )
                .hint("CloudFront reads certificates from us-east-1 only"),
            );
        }
        if let Some(base) = &d.base_path {
            if base.starts_with('/') || base.is_empty() {
                v.diagnostics.push(
                    ctx.error(
                        "spec.domain.basePath",
                        format!("`{base}` is not a base path"),
                    )
                    .hint("write it without a leading slash, e.g. v1"),
                );
            }
        }
        Domain {
            name: d.name.clone(),
            certificate_arn: d.certificate_arn.clone(),
            base_path: d.base_path.clone(),
        }
    });
    Some(Api {
        alarms: crate::kinds::alarm::validate::of_resource(v, ctx, s),
        endpoint_type: endpoint_type.as_str().to_string(),
        stage,
        description: s.description.clone().unwrap_or_default(),
        routes,
        throttling,
        tracing: s.tracing,
        domain,
    })
}

pub(crate) fn valid_hostname(name: &str) -> bool {
    name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
        })
}

pub(crate) fn check_route_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("route path `{path}` does not start with `/`"));
    }
    if path == "/" {
        return Ok(());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() {
            return Err(format!("route path `{path}` has an empty segment"));
        }
        if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (name, greedy) = match param.strip_suffix('+') {
                Some(name) => (name, true),
                None => (param, false),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`{segment}` is not a valid path parameter"));
            }
            if greedy && i + 1 != segments.len() {
                return Err(format!(
                    "greedy parameter `{segment}` must be the last segment"
                ));
            }
        } else if !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | ':' | '@'))
        {
            return Err(format!(
                "route path segment `{segment}` has characters API Gateway does not accept"
            ));
        }
    }
    Ok(())
}

/// What an API refers to: its routes' functions.
pub(crate) fn references(a: &Api) -> Vec<&Reference> {
    a.routes.iter().map(|r| &r.function).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_paths() {
        assert!(check_route_path("/orders/{id}").is_ok());
        assert!(check_route_path("/{proxy+}").is_ok());
        assert!(check_route_path("/{proxy+}/x").is_err());
        assert!(check_route_path("orders").is_err());
        assert!(check_route_path("/a//b").is_err());
    }
}
