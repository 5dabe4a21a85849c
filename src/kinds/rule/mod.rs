//! The rule kind.
pub(crate) mod apply;
pub mod aws;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, PropsFn, TypedKind};
use crate::plan::KindRules;

/// The Rule kind.
pub struct RuleKind;

kind_module!(RuleKind: wire::RuleSpecWire => Rule);

impl TypedKind for RuleKind {
    const DESCRIPTION: &'static str = "An EventBridge rule and its targets.";
    const RULES: KindRules = stateless(
        5,
        &[("bus", "EventBridge cannot move a rule to another bus")],
    );
    const PROPS: PropsFn<Self> = |w, props, _| props::rule_props(w.stack, w.ctx, w.model, props);
}
