//! The dashboard kind: the stack's CloudWatch dashboard, generated from its wiring (`body`),
//! one per stack when `observability.dashboard` is true (the default). Always derived from the
//! stack as a whole (`TypedKind::DERIVE_FOR_STACK`), never written.
//!
//! Dashboards cannot be tagged: the stack's own is the one named exactly `slsctl-<stack>`, and
//! slsctl never touches a dashboard of another name.
mod apply;
pub mod aws;
pub mod body;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use super::{kind_module, stateless, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::model::{
    Dashboard, DeletionPolicy, DerivedOrder, Kind, Resource, ResourceId, ResourceSpec, Stack,
};
use crate::plan::KindRules;

kind_module! {
    /// The stack's generated CloudWatch dashboard (derived by slsctl; not written in a spec).
    // PutDashboard DashboardName: at most 255 characters.
    pub struct DashboardKind: wire::DashboardSpecWire => Dashboard, arn "cloudwatch", name_limit 255;
}

impl TypedKind for DashboardKind {
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("cloudwatch:dashboard"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("cloudwatch")];
    // Deleted first: it only shows the others. Wanted whatever the spec holds.
    const RULES: KindRules = KindRules {
        stack_wide: true,
        ..stateless(7, &[])
    };
    const TAGGED: bool = false;
    const WRITABLE: bool = false;
    const DERIVE_FOR_STACK: Option<super::DeriveForStackFn> = Some(for_stack);
}

/// The name of `stack`'s dashboard: what makes it the stack's own.
pub fn dashboard_name(stack: &str) -> String {
    format!("slsctl-{stack}")
}

/// `Dashboard/<stack>`, named `slsctl-<stack>`, when the stack asks for it.
fn for_stack(stack: &Stack) -> Vec<Resource> {
    if !stack.observability.dashboard {
        return Vec::new();
    }
    vec![Resource {
        id: ResourceId::new(Kind::Dashboard, stack.name.clone()),
        physical_name: dashboard_name(&stack.name),
        deletion_policy: DeletionPolicy::Delete,
        ignore_changes: Vec::new(),
        adopt: false,
        labels: Default::default(),
        origin: stack.origin.clone(),
        spec: ResourceSpec::Dashboard(Dashboard {}),
        traffic: None,
        depends_on: Vec::new(),
        order: DerivedOrder::Before,
        derived_from: Some(ResourceId::new(Kind::Stack, stack.name.clone())),
    }]
}
