//! The function kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::spec::wire::*;

resource_spec_wire! {
    kind: Function,
    alarms: "function",
    #[schemars(rename = "FunctionSpec")]
    pub struct FunctionSpecWire {
        /// Physical name; `<stack>-<name>` when omitted.
        physical_name,
        deletion_policy,
        /// Fields set at create but never corrected afterwards.
        ignore_changes,

        /// `file.function` for zip code; not allowed with `code.imageUri`.
        pub handler: Option<String>,
        /// e.g. `python3.12`, `nodejs22.x`; not allowed with `code.imageUri`.
        pub runtime: Option<String>,
        pub code: CodeWire,
        /// Execution role: a Role of this stack, or a role ARN managed elsewhere. When omitted,
        /// slsctl creates the function's own role, its policy derived from the wiring.
        pub role: Option<String>,
        /// Grants beyond what the wiring implies, for the role slsctl creates:
        /// `{ref: Kind/name, access: read|write|readWrite}` or `{statement: {...}}`.
        #[serde(default)]
        pub permissions: Vec<crate::kinds::role::wire::PermissionWire>,
        /// Managed policy ARNs for the role slsctl creates.
        #[serde(default)]
        pub managed_policies: Vec<String>,
        #[schemars(range(min = 128, max = 10240))]
        pub memory_size: Option<i64>,
        /// Seconds; at most 29 for a function behind an Api route.
        #[schemars(range(min = 1, max = 900))]
        pub timeout: Option<i64>,
        pub architecture: Option<ArchitectureWire>,
        /// MB of /tmp.
        #[schemars(range(min = 512, max = 10240))]
        pub ephemeral_storage: Option<i64>,
        pub tracing: Option<TracingWire>,
        pub description: Option<String>,
        /// Layer logical names of this stack, or layer version ARNs. At most 5.
        #[serde(default)]
        pub layers: Vec<String>,
        /// String values, or `{ref: Kind/name, attr: …}`.
        #[serde(default)]
        pub environment: BTreeMap<String, EnvValueWire>,
        /// Environment variable names whose values are never printed.
        #[serde(default)]
        pub sensitive_environment: Vec<String>,
        #[schemars(range(min = 0))]
        pub reserved_concurrency: Option<i64>,
        /// Where failed asynchronous invocations go.
        pub dead_letter: Option<DeadLetterWire>,
        pub alias: Option<AliasWire>,
        /// Event source mappings.
        #[serde(default)]
        pub triggers: Vec<TriggerWire>,
        /// Days the function's own log group (`/aws/lambda/<physical name>`) keeps events:
        /// one of the values CloudWatch Logs accepts, or `never`. Default: the Stack's
        /// `defaults.function.logRetentionDays`, else 30.
        pub log_retention_days: Option<RetentionWire>,
        /// Lambda's logging configuration, and where the logs go.
        pub logging: Option<LoggingWire>,
        /// Traffic assumptions, used by the cost estimate only.
        pub traffic: Option<FunctionTrafficWire>,
    }
}

wire_struct! {
    /// Exactly one of `path`, `s3`, `imageUri`.
    #[schemars(rename = "Code")]
    pub struct CodeWire {
        /// A directory (zipped reproducibly) relative to this file, inside the spec root.
        pub path: Option<String>,
        pub s3: Option<S3ObjectWire>,
        /// A container image, pinned by digest (`repo@sha256:…`).
        pub image_uri: Option<String>,
    }
}

wire_struct! {
    #[schemars(rename = "S3Object")]
    pub struct S3ObjectWire {
        pub bucket: String,
        pub key: String,
        pub object_version: Option<String>,
    }
}

/// An environment value: a string, or a reference to a resource of the stack.
#[derive(Debug, JsonSchema)]
#[schemars(untagged)]
#[schemars(rename = "EnvValue")]
pub enum EnvValueWire {
    Literal(String),
    Ref(EnvRefWire),
}

wire_struct! {
    #[schemars(rename = "EnvRef")]
    pub struct EnvRefWire {
        /// `Kind/name`, e.g. `Queue/order-events`.
        #[serde(rename = "ref")]
        pub reference: String,
        /// `name` (default), `arn`, `url` (queues) or `streamArn` (tables).
        pub attr: Option<String>,
        /// What the function does with it, for its role's policy: `read`, `write` or
        /// `readWrite` (default: read and write a table, send to a queue, put to a bus, invoke
        /// a function).
        pub access: Option<crate::kinds::role::wire::AccessWire>,
    }
}

impl<'de> Deserialize<'de> for EnvValueWire {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvValueVisitor;
        impl<'de> serde::de::Visitor<'de> for EnvValueVisitor {
            type Value = EnvValueWire;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or {ref: Kind/name, attr: …}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(EnvValueWire::Literal(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(EnvValueWire::Literal(v))
            }
            // Lambda environment values are strings. Numbers and booleans are refused rather than
            // converted, because YAML would already have changed them (`1.10` → 1.1, `010` → 8).
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Err(E::custom(format!(
                    "environment values are strings; quote the number: \"{v}\""
                )))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Err(E::custom(format!(
                    "environment values are strings; quote the number: \"{v}\""
                )))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Err(E::custom(format!(
                    "environment values are strings; quote the number as written, e.g. \"{v}\""
                )))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Err(E::custom(format!(
                    "environment values are strings; quote it: \"{v}\""
                )))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Err(E::custom(
                    "environment value is empty; write \"\" for an empty string",
                ))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                EnvRefWire::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(EnvValueWire::Ref)
            }
        }
        deserializer.deserialize_any(EnvValueVisitor)
    }
}

wire_struct! {
    #[schemars(rename = "Alias")]
    pub struct AliasWire {
        pub name: String,
        pub provisioned_concurrency: Option<ProvisionedConcurrencyWire>,
    }
}

wire_struct! {
    #[schemars(rename = "ProvisionedConcurrency")]
    pub struct ProvisionedConcurrencyWire {
        /// Always-on minimum outside the schedules.
        #[schemars(range(min = 0))]
        pub baseline: Option<i64>,
        /// Application Auto Scaling scheduled actions on the alias.
        #[serde(default)]
        pub schedules: Vec<PcScheduleWire>,
        /// Optional target tracking between min and max (0.1 to 0.9).
        pub target_utilization: Option<f64>,
        /// The most Auto Scaling may provision, at registration (default: the largest schedule
        /// `max`, or the baseline). Needed for target tracking without schedules.
        #[schemars(range(min = 0))]
        pub max: Option<i64>,
    }
}

wire_struct! {
    #[schemars(rename = "PcSchedule")]
    pub struct PcScheduleWire {
        pub name: String,
        /// `cron(…)`, `rate(…)` or `at(…)`.
        pub cron: String,
        /// IANA time zone, e.g. `Europe/Berlin`; UTC when omitted.
        pub timezone: Option<String>,
        #[schemars(range(min = 0))]
        pub min: i64,
        #[schemars(range(min = 0))]
        pub max: i64,
    }
}

wire_struct! {
    /// An SQS event source mapping.
    #[schemars(rename = "Trigger")]
    pub struct TriggerWire {
        /// A Queue of this stack, or a queue ARN.
        pub queue: String,
        #[schemars(range(min = 1, max = 10000))]
        pub batch_size: Option<i64>,
        /// Seconds (0–300); not supported on FIFO queues.
        #[schemars(range(min = 0, max = 300))]
        pub maximum_batching_window: Option<i64>,
        pub report_batch_item_failures: Option<bool>,
        #[schemars(range(min = 2, max = 1000))]
        pub maximum_concurrency: Option<i64>,
        pub enabled: Option<bool>,
    }
}

wire_struct! {
    #[schemars(rename = "FunctionTraffic")]
    pub struct FunctionTrafficWire {
        pub requests_per_month: Option<u64>,
        pub average_duration_ms: Option<f64>,
        /// Of `requestsPerMonth`, those served by provisioned concurrency; by default the share of
        /// the month it is provisioned (traffic spread evenly), up to what it can serve.
        pub provisioned_requests_per_month: Option<u64>,
        /// Average duration of the provisioned requests; default `averageDurationMs`.
        pub provisioned_duration_ms: Option<f64>,
        /// Bytes each invocation writes to its log group; default 1000 (Lambda's own
        /// START/END/REPORT lines, about 300 bytes, and about 700 bytes of the function's).
        pub log_bytes_per_invocation: Option<f64>,
    }
}

wire_struct! {
    /// Lambda's logging configuration (LoggingConfig).
    #[schemars(rename = "Logging")]
    pub struct LoggingWire {
        /// `Text` (default) or `JSON`; log levels need `JSON`.
        pub format: Option<LogFormatWire>,
        /// JSON only; Lambda's default is `INFO`.
        pub application_log_level: Option<ApplicationLogLevelWire>,
        /// JSON only; Lambda's default is `INFO`.
        pub system_log_level: Option<SystemLogLevelWire>,
        /// A LogGroup of this stack the function logs to instead of its own
        /// `/aws/lambda/<name>` group (which is then not created).
        pub log_group: Option<String>,
        /// What happens to the function's own log group when the function leaves the spec:
        /// `retain` (default: it is released, with its retention) or `delete`.
        pub deletion_policy: Option<DeletionPolicyWire>,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(rename = "LogFormat")]
pub enum LogFormatWire {
    Text,
    #[serde(rename = "JSON")]
    Json,
}

wire_enum! {
    #[schemars(rename = "ApplicationLogLevel")]
    pub enum ApplicationLogLevelWire {
        Trace = "TRACE",
        Debug = "DEBUG",
        Info = "INFO",
        Warn = "WARN",
        Error = "ERROR",
        Fatal = "FATAL",
    }
}

wire_enum! {
    #[schemars(rename = "SystemLogLevel")]
    pub enum SystemLogLevelWire {
        Debug = "DEBUG",
        Info = "INFO",
        Warn = "WARN",
    }
}
