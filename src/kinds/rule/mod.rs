//! The rule kind.
pub(crate) mod apply;
pub mod aws;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, ArnOf, DeriveFn, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::kinds::desired::rule_arn;
use crate::plan::{FieldValue, KindRules};

kind_module! {
    /// An EventBridge rule and its targets.
    // EventBridge rule Name.
    pub struct RuleKind: wire::RuleSpecWire => Rule, arn "events", name_limit 64;
}

impl TypedKind for RuleKind {
    const ARN: ArnOf<Self> = ArnOf::Computed(|w| {
        FieldValue::known(rule_arn(w.stack, w.ctx, &w.resource.physical_name, w.model))
    });
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("events:rule"));
    const CHANGES_THROUGH: &'static [Through] = &[
        Through::Service("events"),
        // A target's invoke permission, or its queue's policy statement.
        Through::Service("lambda"),
        Through::Service("sqs"),
        // The delivery role it derives for bus targets.
        Through::ManagingRoles,
        Through::Action("iam:PassRole"),
    ];
    const RULES: KindRules = stateless(
        5,
        &[("bus", "EventBridge cannot move a rule to another bus")],
    );
    const DERIVE: Option<DeriveFn<Self>> = Some(derive);
}

/// A rule's delivery role when its bus targets need one, and its alarms.
fn derive(
    stack: &crate::model::Stack,
    resource: &crate::model::Resource,
    rule: &crate::model::Rule,
) -> Vec<crate::model::Resource> {
    let mut derived = crate::kinds::role::derive::for_rule(stack, resource, rule);
    derived.extend(crate::kinds::alarm::derive::alarms_for(stack, resource));
    derived
}
