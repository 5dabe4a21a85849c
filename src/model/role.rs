//! The domain types of IAM roles: what a function does with what it refers to ([`Access`]),
//! grants beyond the wiring ([`Permission`]) and the [`Role`] slsctl creates.

use serde::Serialize;

use super::Reference;

/// What a function does with a resource it refers to: the actions its role is granted on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Access {
    /// Reads only: a table's item reads, a queue's consumption.
    Read,
    /// Writes only: a table's item writes, sending to a queue, putting events, invoking.
    Write,
    ReadWrite,
}

impl Access {
    pub fn reads(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }

    pub fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

/// One grant of a role beyond what the wiring implies (`permissions:` of a function or role).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Permission {
    /// A resource of the stack, with what is done with it.
    Reference { target: Reference, access: Access },
    /// An IAM policy statement as written (validated for shape), without its `Sid`.
    Statement(serde_json::Value),
}

/// An IAM role slsctl creates and owns, under the stack's path (`/slsctl/<stack>/`). Its inline
/// policy is derived from the wiring of what uses it (functions whose `role` it is, rule targets
/// it delivers for) plus its own `permissions`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Role {
    /// The services that may assume it; empty: those of what uses it (Lambda for functions,
    /// EventBridge for rule targets).
    pub trust: Vec<String>,
    pub permissions: Vec<Permission>,
    /// Managed policy ARNs attached to it.
    pub managed_policies: Vec<String>,
    pub description: String,
    pub max_session_duration: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RefAttr {
    Name,
    Arn,
    Url,
    StreamArn,
}
