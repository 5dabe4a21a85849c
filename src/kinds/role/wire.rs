//! The Role kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`),
//! and the `permissions` entries a Function shares with it.

use serde::Deserialize;

use crate::spec::wire::*;

resource_spec_wire! {
    kind: Role,
    #[schemars(rename = "RoleSpec")]
    pub struct RoleSpecWire {
        /// Role name; `<stack>-<name>` when omitted. Created under the path `/slsctl/<stack>/`.
        physical_name,
        deletion_policy,
        ignore_changes,

        pub description: Option<String>,
        /// Services that may assume the role, e.g. `lambda.amazonaws.com`; by default those of
        /// what uses it (Lambda for functions, EventBridge for rule targets).
        #[serde(default)]
        pub trust: Vec<String>,
        /// Grants beyond what the wiring of its functions and rule targets implies.
        #[serde(default)]
        pub permissions: Vec<PermissionWire>,
        /// Managed policy ARNs to attach (at most 10, IAM's default quota per role).
        #[serde(default)]
        pub managed_policies: Vec<String>,
        /// Seconds a session of the role may last (3600 to 43200; default 3600).
        #[schemars(range(min = 3600, max = 43200))]
        pub max_session_duration: Option<i64>,
    }
}

wire_struct! {
    /// One grant: `{ref: Kind/name, access: …}` for a resource of the stack, or
    /// `{statement: {Effect, Action, Resource, Condition}}` for anything else.
    #[schemars(rename = "Permission")]
    pub struct PermissionWire {
        /// `Kind/name` of a Table, Queue, EventBus or Function of the stack.
        #[serde(rename = "ref")]
        pub reference: Option<String>,
        /// What is done with it: `read`, `write` or `readWrite` (default: the kind's usual use).
        pub access: Option<AccessWire>,
        /// An IAM policy statement (without `Sid`: slsctl names its statements).
        pub statement: Option<serde_json::Value>,
    }
}

/// What a function does with a resource it refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Access")]
pub enum AccessWire {
    Read,
    Write,
    ReadWrite,
}
