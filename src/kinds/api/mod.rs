//! The api kind.
pub(crate) mod apply;
pub mod aws;
pub mod checks;
pub mod domain;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, Checks, DeriveFn, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::KindRules;

kind_module! {
    /// An API Gateway REST API with Lambda proxy routes.
    // API Gateway has no documented limit below this.
    pub struct ApiKind: wire::ApiSpecWire => Api, arn "apigateway", name_limit 1024;
}

impl TypedKind for ApiKind {
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Id("apigateway:restapi"));
    const CHANGES_THROUGH: &'static [Through] =
        &[Through::Service("apigateway"), Through::Service("lambda")];
    const RULES: KindRules = stateless(6, &[]);
    const CHECKS: Checks<Self::Wire> = Checks {
        traffic: Some(checks::traffic),
        cross_checks: Some(checks::cross_checks),
        ..Checks::NONE
    };
    const DERIVE: Option<DeriveFn<Self>> = crate::kinds::alarm::derive::its_alarms::<Self>();
}
