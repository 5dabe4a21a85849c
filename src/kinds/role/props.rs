//! The Role kind's desired props: its path, trust policy, the statements of its inline policy
//! (one prop each, so the plan shows a policy change statement by statement), its managed
//! policies and permissions boundary.

use std::collections::BTreeSet;

use serde_json::Value;

use super::policy;
use crate::kinds::desired::Wanted;
use crate::model::Role;
use crate::plan::{Props, SetProp};

/// The props the spec wants for one Role, ownership tags aside.
pub(crate) fn props(w: &Wanted<'_, Role>, props: &mut Props, _sensitive: &mut BTreeSet<String>) {
    let Wanted {
        stack,
        resource,
        model: role,
        ctx,
    } = *w;
    let users = policy::users(stack, resource);
    props.set("path", policy::role_path(&stack.name));
    props.set(
        "trust",
        policy::trust_document(&policy::trusted_services(role, &users)),
    );
    for (sid, statement) in policy::statements(stack, ctx, resource, role) {
        props.set(format!("policy.{sid}"), statement);
    }
    // Inline policies slsctl did not write are removed: the role's permissions are the spec's.
    props.set("inlinePolicies", Value::Array(Vec::new()));
    props.set(
        "managedPolicies",
        policy::managed_policies(stack, resource, role),
    );
    props.set(
        "permissionsBoundary",
        stack.permissions_boundary.clone().unwrap_or_default(),
    );
    props.set("description", role.description.clone());
    props.set("maxSessionDuration", role.max_session_duration);
}
