//! The log group kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::spec::wire::*;

resource_spec_wire! {
    kind: LogGroup,
    #[schemars(rename = "LogGroupSpec")]
    pub struct LogGroupSpecWire {
        /// The group's name, 1–512 characters of `[.-_/#A-Za-z0-9]`; `<stack>-<name>` when
        /// omitted.
        physical_name,
        /// `retain` (default: logs are data; the group is released with its retention) or
        /// `delete`.
        deletion_policy,
        /// Fields set at create but never corrected afterwards.
        ignore_changes,

        /// Days events are kept: one of the values CloudWatch Logs accepts, or `never`.
        /// Default 30.
        pub retention_days: Option<RetentionWire>,
        /// `STANDARD` (default) or `INFREQUENT_ACCESS` (cheaper ingestion, fewer features);
        /// fixed when the group is created.
        pub class: Option<LogGroupClassWire>,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "LogGroupClass")]
pub enum LogGroupClassWire {
    Standard,
    InfrequentAccess,
}
