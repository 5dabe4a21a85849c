//! The rule kind.
pub(crate) mod apply;
pub mod aws;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, DeriveFn, TypedKind};
use crate::plan::KindRules;

kind_module! {
    /// An EventBridge rule and its targets.
    // EventBridge rule Name.
    pub struct RuleKind: wire::RuleSpecWire => Rule, arn "events", name_limit 64;
}

impl TypedKind for RuleKind {
    const RULES: KindRules = stateless(
        5,
        &[("bus", "EventBridge cannot move a rule to another bus")],
    );
    const DERIVE: Option<DeriveFn<Self>> = Some(crate::kinds::role::derive::for_rule);
}
