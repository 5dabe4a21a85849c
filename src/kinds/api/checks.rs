//! The Api kind's checks beyond its own document: the facts other documents' checks need, its
//! traffic assumptions and the checks that need the rest of the stack.

use super::wire::*;
use crate::model::*;
use crate::spec::kind::Check;
use crate::spec::load::Loaded;

pub(crate) fn traffic(c: Check<'_, '_, ApiSpecWire>) -> Option<Traffic> {
    let w = c.spec().traffic.as_ref()?;
    Some(Traffic {
        requests_per_month: w.requests_per_month.unwrap_or(0),
        ..Traffic::default()
    })
}

/// An API's routes against the rest of the stack: the functions they call.
pub(crate) fn cross_checks(c: Check<'_, '_, ApiSpecWire>, _stack: &Stack, resource: &Resource) {
    let Check { v, ctx, l } = c;
    let ResourceSpec::Api(api) = &resource.spec else {
        return;
    };
    for (i, route) in api.routes.iter().enumerate() {
        let Reference::Stack(target) = &route.function else {
            continue;
        };
        let Some(entry) = v.lookup(Kind::Function, &target.name) else {
            continue;
        };
        if entry.timeout > 29 {
            let at = entry.timeout_at.clone();
            v.diagnostics.push(
                ctx.error(&format!("spec.routes[{}].function", original_route_index(l, i)), format!("route {} {} calls `{}`, whose timeout of {} s exceeds API Gateway's 29 s integration timeout", route.method, route.path, target.name, entry.timeout))
                    .hint("lower the function's timeout to 29 s or less, or put a queue between the API and the slow work")
                    .note(at, format!("Function `{}` sets its timeout here", target.name)),
            );
        }
    }
}

/// Index of a route in the document (routes that failed to resolve are skipped in the model).
fn original_route_index(l: &Loaded<ApiSpecWire>, model_index: usize) -> usize {
    l.document
        .spec
        .routes
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.function.is_empty())
        .nth(model_index)
        .map_or(model_index, |(i, _)| i)
}
