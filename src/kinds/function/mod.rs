//! The Function kind.
pub mod aliases;
mod apply;
pub mod autoscaling;
pub mod aws;
pub mod checks;
pub mod derive;
pub mod mappings;
pub(crate) mod observe;
pub mod permissions;
pub(crate) mod props;
mod validate;
pub mod versions;
pub mod wire;

use super::{
    kind_module, stateless, ArnOf, Checks, DeriveFn, EventKey, Packaged, SecretsFn, TypedKind,
};
use crate::aws::permissions::Through;
use crate::model::{Code, EnvValue};
use crate::plan::KindRules;

kind_module! {
    /// A Lambda function with its alias, provisioned concurrency and triggers.
    // Lambda FunctionName (name form).
    pub struct FunctionKind: wire::FunctionSpecWire => Function, arn "lambda", name_limit 64;
}

impl TypedKind for FunctionKind {
    const ARN: ArnOf<Self> = ArnOf::Named("function:");
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("lambda:function"));
    const CHANGES_THROUGH: &'static [Through] = &[
        Through::Service("lambda"),
        Through::Service("application-autoscaling"),
        // Its own log group and cold-start metric filter.
        Through::Service("logs"),
        // The role it derives when it names none.
        Through::ManagingRoles,
        Through::Action("iam:PassRole"),
        // The first provisioned-concurrency schedule creates Auto Scaling's service-linked role.
        Through::Action("iam:CreateServiceLinkedRole"),
    ];
    const PACKAGED: Option<Packaged<Self>> = Some(Packaged {
        dir: |function| match &function.code {
            Code::Directory(dir) => Some(dir),
            _ => None,
        },
        // Lambda reports a function's code as the base64 of its SHA-256 (`CodeSha256`).
        learn: |ctx, id, package| {
            ctx.code_sha256
                .insert(id.clone(), package.sha256_base64.clone());
        },
    });
    const SECRETS: Option<SecretsFn<Self>> = Some(|function| {
        function
            .sensitive_environment
            .iter()
            .filter_map(|key| match function.environment.get(key) {
                Some(EnvValue::Literal(value)) => Some(value.clone()),
                _ => None,
            })
            .collect()
    });
    const RULES: KindRules = stateless(
        4,
        &[(
            "packageType",
            "Lambda cannot switch a function between zip and image packaging",
        )],
    );
    const CHECKS: Checks<Self::Wire> = Checks {
        sensitive_values: Some(checks::sensitive_values),
        entry_facts: Some(checks::entry_facts),
        traffic: Some(checks::traffic),
        cross_checks: Some(checks::cross_checks),
        ..Checks::NONE
    };
    const DERIVE: Option<DeriveFn<Self>> = Some(derive::derive);
}
