//! The role kind: IAM roles slsctl creates and owns, written (`kind: Role`, shared by several
//! functions or rule targets) or derived (a function's execution role, a rule's delivery role),
//! with an inline policy derived from the wiring of what uses them (`policy`).
//!
//! IAM is global and its roles cannot be found through the tagging API: the stack's roles live
//! under the path `/slsctl/<stack>/`, which one `ListRoles` lists, and carry the ownership tags.
pub(crate) mod apply;
pub mod aws;
pub(crate) mod derive;
pub mod document;
pub(crate) mod observe;
pub mod policy;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, ArnOf, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::{FieldValue, KindRules};

kind_module! {
    /// An IAM role for functions or rule targets, its policy derived from their wiring.
    // IAM role names: 1 to 64 characters (CreateRole API reference).
    pub struct RoleKind: wire::RoleSpecWire => Role, arn "iam", name_limit 64;
}

impl TypedKind for RoleKind {
    const ARN: ArnOf<Self> = ArnOf::Computed(|w| {
        FieldValue::known(policy::role_arn(
            w.ctx,
            &w.stack.name,
            &w.resource.physical_name,
        ))
    });
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("iam:role"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::ManagingRoles];
    // Deleted last: what uses a role goes before it, so nothing runs without its permissions.
    const RULES: KindRules = stateless(0, &[("path", "a role's path is part of its ARN")]);
}
