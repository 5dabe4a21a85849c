//! The resources a function implies without the spec writing them: its own log group with its
//! cold-start metric filter (`kinds::metric_filter`), its execution role when it names none
//! (`kinds::role::derive`), and its alarms (`kinds::alarm::derive`).

use crate::model::{
    Function, Kind, LogGroup, LogGroupClass, Resource, ResourceId, ResourceSpec, Stack,
};

/// The name Lambda writes a function's logs to unless told otherwise.
pub fn default_log_group_name(function_physical_name: &str) -> String {
    format!("/aws/lambda/{function_physical_name}")
}

/// `LogGroup/<function>`: the function's own `/aws/lambda/<physical name>` group, created before
/// the function with the function's retention, unless `logging.logGroup` names a shared one.
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
        after_source: false,
    });
    derived
}
