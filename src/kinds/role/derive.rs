//! Roles derived for the resources that need one and name none: a function's execution role,
//! a rule's delivery role for its event-bus targets. Each is a Role resource of the stack like
//! a written one, owned by the resource it is derived for (its id says so: `Role/<function>`,
//! `Role/<rule>-delivery`), and its policy comes from that resource's wiring.

use crate::model::*;

use super::policy::{delivers_to_bus, derived_role_id};

/// The role a function derives when its spec names none.
pub(crate) fn for_function(_: &Stack, function: &Resource, f: &Function) -> Vec<Resource> {
    if f.role.is_some() {
        return Vec::new();
    }
    // A function's name (at most 64 characters) fits a role name (at most 64) as it is.
    vec![derived(
        function,
        function.physical_name.clone(),
        format!("Execution role of {} (slsctl)", function.id),
    )]
}

/// The role a rule derives for its event-bus targets that name none.
pub(crate) fn for_rule(_: &Stack, rule: &Resource, r: &Rule) -> Vec<Resource> {
    if !r
        .targets
        .iter()
        .any(|t| t.role.is_none() && delivers_to_bus(t))
    {
        return Vec::new();
    }
    vec![derived(
        rule,
        bounded(&format!("{}-delivery", rule.physical_name), 64),
        format!("Delivery role of {} (slsctl)", rule.id),
    )]
}

fn derived(owner: &Resource, physical_name: String, description: String) -> Resource {
    Resource {
        id: derived_role_id(&owner.id),
        physical_name,
        deletion_policy: DeletionPolicy::Delete,
        ignore_changes: Vec::new(),
        adopt: false,
        labels: owner.labels.clone(),
        origin: owner.origin.clone(),
        spec: ResourceSpec::Role(Role {
            trust: Vec::new(),
            permissions: Vec::new(),
            managed_policies: Vec::new(),
            description,
            max_session_duration: 3600,
        }),
        traffic: None,
        depends_on: Vec::new(),
        derived_from: Some(owner.id.clone()),
        order: DerivedOrder::Before,
    }
}

/// `name` if it fits in `limit` characters, else its start and a digest of the whole, so that
/// two long names stay two names.
fn bounded(name: &str, limit: usize) -> String {
    if name.len() <= limit {
        return name.to_string();
    }
    use sha2::{Digest, Sha256};
    let digest = crate::text::hex(&Sha256::digest(name.as_bytes()));
    format!("{}-{}", &name[..limit - 17], &digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_bounded_and_stay_distinct() {
        let a = bounded(&format!("{}-delivery", "a".repeat(60)), 64);
        let b = bounded(&format!("{}-delivery", "a".repeat(61)), 64);
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(
            bounded("orders-fanout-delivery", 64),
            "orders-fanout-delivery"
        );
    }
}
