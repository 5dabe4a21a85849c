//! The Role kind's desired props: its path, trust policy, the statements of its inline policy
//! (one prop each, so the plan shows a policy change statement by statement), its managed
//! policies and permissions boundary.

use std::collections::BTreeSet;

use serde_json::Value;

use super::policy;
use crate::kinds::desired::Wanted;
use crate::model::Role;
use crate::plan::{FieldValue, Props};

/// The props the spec wants for one Role, ownership tags aside.
pub(crate) fn props(w: &Wanted<'_, Role>, props: &mut Props, _sensitive: &mut BTreeSet<String>) {
    let Wanted {
        stack,
        resource,
        model: role,
        ctx,
    } = *w;
    let users = policy::users(stack, resource);
    props.insert(
        "path".into(),
        FieldValue::known(policy::role_path(&stack.name)),
    );
    props.insert(
        "trust".into(),
        FieldValue::known(policy::trust_document(&policy::trusted_services(
            role, &users,
        ))),
    );
    for (sid, statement) in policy::statements(stack, ctx, resource, role) {
        props.insert(format!("policy.{sid}"), FieldValue::known(statement));
    }
    // Inline policies slsctl did not write are removed: the role's permissions are the spec's.
    props.insert(
        "inlinePolicies".into(),
        FieldValue::known(Value::Array(Vec::new())),
    );
    props.insert(
        "managedPolicies".into(),
        FieldValue::known(policy::managed_policies(stack, resource, role)),
    );
    props.insert(
        "permissionsBoundary".into(),
        FieldValue::known(stack.permissions_boundary.clone().unwrap_or_default()),
    );
    props.insert(
        "description".into(),
        FieldValue::known(role.description.clone()),
    );
    props.insert(
        "maxSessionDuration".into(),
        FieldValue::known(role.max_session_duration),
    );
}
