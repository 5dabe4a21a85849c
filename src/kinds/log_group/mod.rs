//! The log group kind: a CloudWatch Logs log group, written (shared by several functions through
//! `logging.logGroup`) or derived (each function's own `/aws/lambda/<name>`, see
//! `function::derive`). Logs are data: a group leaving the spec is released by default.
mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use super::{holding, kind_module, ArnOf, Checks, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::KindRules;

kind_module! {
    /// A CloudWatch Logs log group with a bounded retention.
    // CreateLogGroup logGroupName: 1–512 characters.
    pub struct LogGroupKind: wire::LogGroupSpecWire => LogGroup, arn "logs", name_limit 512;
}

impl TypedKind for LogGroupKind {
    const ARN: ArnOf<Self> = ArnOf::Named("log-group:");
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("logs:log-group"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("logs")];
    const RULES: KindRules = KindRules {
        released: Some(props::released),
        ..holding(
            "log events",
            0,
            &[(
                "class",
                "CloudWatch Logs fixes a log group's class when it is created",
            )],
        )
    };
    const CHECKS: Checks<Self::Wire> = Checks {
        physical_name: Some(checks::physical_name),
        ..Checks::NONE
    };
}
