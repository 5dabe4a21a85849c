//! The api kind.
pub(crate) mod apply;
pub mod aws;
pub mod checks;
pub mod domain;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, Checks, PropsFn, TypedKind};
use crate::plan::KindRules;

/// The Api kind.
pub struct ApiKind;

kind_module!(ApiKind: wire::ApiSpecWire => Api);

impl TypedKind for ApiKind {
    const DESCRIPTION: &'static str = "An API Gateway REST API with Lambda proxy routes.";
    const RULES: KindRules = stateless(6, &[]);
    const PROPS: PropsFn<Self> =
        |w, props, _| props::api_props(w.stack, w.ctx, w.resource, w.model, props);
    const CHECKS: Checks<Self::Wire> = Checks {
        traffic: Some(checks::traffic),
        cross_checks: Some(checks::cross_checks),
        ..Checks::NONE
    };
}
