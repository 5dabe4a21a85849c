//! The resources a function implies without the spec writing them: its own log group with its
//! cold-start metric filter (`kinds::metric_filter`), its execution role when it names none
//! (`kinds::role::derive`), and its alarms (`kinds::alarm::derive`).

use crate::model::{
    DerivedOrder, Function, Kind, LogGroup, LogGroupClass, Resource, ResourceId, ResourceSpec,
    Stack,
};

/// The name Lambda writes a function's logs to unless told otherwise.
pub fn default_log_group_name(function_physical_name: &str) -> String {
    format!("/aws/lambda/{function_physical_name}")
}

/// `LogGroup/<function>`: the function's own `/aws/lambda/<physical name>` group, with the
/// function's retention, unless `logging.logGroup` names a shared one.
///
/// The group must exist before the function first runs, or Lambda makes it (untagged, never
/// expiring). A function runs when something invokes it, not when it is created, so the group
/// is created before the function only when the stack itself runs it: an SQS trigger or
/// provisioned concurrency (both set up by the function's own action), or another resource that
/// refers to it (a rule's target, an API's integration). Otherwise the two are created side by
/// side: CloudWatch Logs allows 5 CreateLogGroup a second and Lambda 15 requests, so a stack of
/// new functions that each waited for its group would be held to a third of Lambda's pace
/// (issue 18). A direct invoke in between is the race the adoption below settles.
///
/// It is adopted when it exists untagged: Lambda itself creates that group, untagged and never
/// expiring, the first time a function runs without it, so adopting it is the only way to bound
/// the logs of a function that ran before slsctl managed its group. Only that exact name is
/// adopted, and only for a function of this stack.
pub(crate) fn derive(stack: &Stack, resource: &Resource, f: &Function) -> Vec<Resource> {
    let mut derived = crate::kinds::role::derive::for_function(stack, resource, f);
    derived.extend(crate::kinds::alarm::derive::alarms_for(stack, resource));
    // Its cold-start metric filter on that group (none on a shared group).
    derived.extend(crate::kinds::metric_filter::for_function(
        stack, resource, f,
    ));
    if f.logging.log_group.is_some() {
        return derived;
    }
    derived.push(Resource {
        id: ResourceId::new(Kind::LogGroup, resource.id.name.clone()),
        physical_name: default_log_group_name(&resource.physical_name),
        deletion_policy: f.logging.deletion_policy,
        ignore_changes: Vec::new(),
        adopt: true,
        labels: resource.labels.clone(),
        origin: resource.origin.clone(),
        spec: ResourceSpec::LogGroup(LogGroup {
            retention_days: f.log_retention_days,
            class: LogGroupClass::Standard,
        }),
        traffic: None,
        depends_on: Vec::new(),
        derived_from: Some(resource.id.clone()),
        order: if runs_in_the_stack(stack, resource, f) {
            DerivedOrder::Before
        } else {
            DerivedOrder::Beside
        },
    });
    derived
}

/// Whether anything the stack sets up invokes the function: a trigger, provisioned concurrency
/// (its environments run the function's initialisation, which logs), or another resource that
/// refers to it.
fn runs_in_the_stack(stack: &Stack, resource: &Resource, f: &Function) -> bool {
    !f.triggers.is_empty()
        || f.alias
            .as_ref()
            .is_some_and(|alias| alias.provisioned_concurrency.is_some())
        || stack
            .resources
            .iter()
            .any(|other| other.id != resource.id && other.depends_on.contains(&resource.id))
}
