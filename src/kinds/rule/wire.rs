//! The rule kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::spec::wire::*;

resource_spec_wire! {
    kind: Rule,
    alarms: "rule",
    #[schemars(rename = "RuleSpec")]
    pub struct RuleSpecWire {
        /// An EventBus of this stack or a bus ARN; the account's default bus when omitted.
        pub bus: Option<String>,
        /// Event pattern; exactly one of `pattern` and `schedule`.
        pub pattern: Option<serde_json::Value>,
        /// `rate(…)` or `cron(…)`; only on the default bus.
        pub schedule: Option<String>,
        pub state: Option<RuleStateWire>,
        pub description: Option<String>,
        /// At most 5.
        #[serde(default)]
        pub targets: Vec<TargetWire>,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "RuleState")]
pub enum RuleStateWire {
    Enabled,
    Disabled,
}

wire_struct! {
    /// Exactly one of `queue`, `function`, `bus`, `arn`.
    #[schemars(rename = "Target")]
    pub struct TargetWire {
        pub id: String,
        pub queue: Option<String>,
        pub function: Option<String>,
        pub bus: Option<String>,
        pub arn: Option<String>,
        pub input_path: Option<String>,
        pub input_transformer: Option<InputTransformerWire>,
        /// Message group of a FIFO queue target.
        pub message_group_id: Option<String>,
        pub retry_policy: Option<RetryPolicyWire>,
        pub dead_letter: Option<DeadLetterWire>,
        /// IAM role EventBridge assumes to deliver; required for event-bus targets.
        pub role: Option<String>,
    }
}

wire_struct! {
    #[schemars(rename = "InputTransformer")]
    pub struct InputTransformerWire {
        #[serde(default)]
        pub input_paths_map: BTreeMap<String, String>,
        pub input_template: String,
    }
}

wire_struct! {
    #[schemars(rename = "RetryPolicy")]
    pub struct RetryPolicyWire {
        #[schemars(range(min = 0, max = 185))]
        pub maximum_retry_attempts: Option<i64>,
        #[schemars(range(min = 60, max = 86400))]
        pub maximum_event_age_in_seconds: Option<i64>,
    }
}
