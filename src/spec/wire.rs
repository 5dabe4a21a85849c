//! Wire types: the spec exactly as written in YAML, before any check.
//!
//! These types only say which fields exist and what type they hold; `deny_unknown_fields` makes a
//! misspelt field an error. Everything else (ranges, references, exclusive choices) is checked
//! once, in [`super::validate`], which turns them into the domain types of [`crate::model`].
//! The JSON Schema (`slsctl schema`) is generated from these same types, so editors and the
//! loader agree on the format. Doc comments here become the schema's descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

pub const API_VERSION: &str = "slsctl.dev/v1alpha1";

/// Only the fields needed to choose the document's kind; everything else is ignored here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderWire {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<HeaderMetadataWire>,
}

#[derive(Debug, Deserialize)]
pub struct HeaderMetadataWire {
    pub name: Option<String>,
}

/// A document of one kind: `apiVersion`, `kind`, `metadata`, `spec`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DocumentWire<S> {
    /// Always `slsctl.dev/v1alpha1`.
    pub api_version: String,
    pub kind: String,
    pub metadata: MetadataWire,
    pub spec: S,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Metadata")]
pub struct MetadataWire {
    /// Logical name: unique per kind inside a stack, `[a-z0-9-]`, starting with a letter.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `slsctl.dev/adopt: "true"` with `spec.physicalName` adopts an existing, untagged resource.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// What happens to the AWS resource when it leaves the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "DeletionPolicy")]
pub enum DeletionPolicyWire {
    Delete,
    Retain,
    /// Queues only: deleted when empty and nothing points at them.
    DeleteIfEmpty,
}

// ---------------------------------------------------------------------------------------------
// Stack

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "StackSpec")]
pub struct StackSpecWire {
    /// AWS region, e.g. `us-east-1`; the environment's region when omitted.
    pub region: Option<String>,
    /// Refuse to act on any other account (12 digits, quoted).
    pub account_id: Option<String>,
    /// Added to every resource of the stack.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Delete owned resources that are no longer in the spec (default true).
    pub prune: Option<bool>,
    /// `heal` (default) corrects drift; `report` only shows it.
    pub drift: Option<DriftWire>,
    pub defaults: Option<DefaultsWire>,
    pub budget: Option<BudgetWire>,
    /// Settings of the policy pack (policies/ and the stack's own `policies/*.rego`).
    pub policy: Option<PolicyConfigWire>,
    /// Published function versions and layer versions kept besides the ones in use (default 3);
    /// older ones are deleted, so Lambda's 75 GB code storage does not fill up.
    #[schemars(range(min = 1, max = 100))]
    pub keep_versions: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "PolicyConfig")]
pub struct PolicyConfigWire {
    /// Tag keys every resource must carry (through the stack's `tags`).
    #[serde(default)]
    pub required_tags: Vec<String>,
    /// Allowed memory sizes of functions (default 128–10240).
    #[serde(rename = "memoryMB")]
    #[schemars(rename = "memoryMB")]
    pub memory_mb: Option<MemoryRangeWire>,
    /// Rules this stack opts out of, each with its reason (shown by validate and every plan).
    #[serde(default)]
    pub exceptions: Vec<PolicyExceptionWire>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PolicyException")]
pub struct PolicyExceptionWire {
    /// The rule's id, e.g. `table-pitr` (docs/spec.md lists the default pack's).
    pub rule: String,
    /// `Kind/name` of the resources it covers; omitted, it covers the whole stack.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Why the rule does not apply here; required.
    pub reason: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MemoryRange")]
pub struct MemoryRangeWire {
    pub min: u32,
    pub max: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "Drift")]
pub enum DriftWire {
    Heal,
    Report,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Defaults")]
pub struct DefaultsWire {
    pub function: Option<FunctionDefaultsWire>,
}

/// Values every Function gets unless it sets its own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "FunctionDefaults")]
pub struct FunctionDefaultsWire {
    pub runtime: Option<String>,
    pub architecture: Option<ArchitectureWire>,
    #[schemars(range(min = 128, max = 10240))]
    pub memory_size: Option<i64>,
    #[schemars(range(min = 1, max = 900))]
    pub timeout: Option<i64>,
    pub tracing: Option<TracingWire>,
    #[schemars(range(min = 512, max = 10240))]
    pub ephemeral_storage: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Budget")]
pub struct BudgetWire {
    /// Monthly budget in US dollars, used by the cost estimate and its guard.
    #[serde(rename = "monthlyUSD")]
    pub monthly_usd: f64,
}

// ---------------------------------------------------------------------------------------------
// Function

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "FunctionSpec")]
pub struct FunctionSpecWire {
    /// Physical name; `<stack>-<name>` when omitted.
    pub physical_name: Option<String>,
    pub deletion_policy: Option<DeletionPolicyWire>,
    /// Fields set at create but never corrected afterwards.
    #[serde(default)]
    pub ignore_changes: Vec<String>,

    /// `file.function` for zip code; not allowed with `code.imageUri`.
    pub handler: Option<String>,
    /// e.g. `python3.12`, `nodejs22.x`; not allowed with `code.imageUri`.
    pub runtime: Option<String>,
    pub code: CodeWire,
    /// Execution role ARN.
    pub role: Option<String>,
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
    /// Traffic assumptions, used by the cost estimate only.
    pub traffic: Option<FunctionTrafficWire>,
}

/// Exactly one of `path`, `s3`, `imageUri`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Code")]
pub struct CodeWire {
    /// A directory (zipped reproducibly) relative to this file, inside the spec root.
    pub path: Option<String>,
    pub s3: Option<S3ObjectWire>,
    /// A container image, pinned by digest (`repo@sha256:…`).
    pub image_uri: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "S3Object")]
pub struct S3ObjectWire {
    pub bucket: String,
    pub key: String,
    pub object_version: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(rename = "Architecture")]
pub enum ArchitectureWire {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(rename = "Tracing")]
pub enum TracingWire {
    Active,
    PassThrough,
}

/// An environment value: a string, or a reference to a resource of the stack.
#[derive(Debug, JsonSchema)]
#[schemars(untagged)]
#[schemars(rename = "EnvValue")]
pub enum EnvValueWire {
    Literal(String),
    Ref(EnvRefWire),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EnvRef")]
pub struct EnvRefWire {
    /// `Kind/name`, e.g. `Queue/order-events`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// `name` (default), `arn`, `url` (queues) or `streamArn` (tables).
    pub attr: Option<String>,
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "DeadLetter")]
pub struct DeadLetterWire {
    /// A Queue of this stack, or a queue ARN.
    pub queue: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Alias")]
pub struct AliasWire {
    pub name: String,
    pub provisioned_concurrency: Option<ProvisionedConcurrencyWire>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
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

/// An SQS event source mapping.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "FunctionTraffic")]
pub struct FunctionTrafficWire {
    pub requests_per_month: Option<u64>,
    pub average_duration_ms: Option<f64>,
    /// Of `requestsPerMonth`, those served by provisioned concurrency; by default the share of
    /// the month it is provisioned (traffic spread evenly), up to what it can serve.
    pub provisioned_requests_per_month: Option<u64>,
    /// Average duration of the provisioned requests; default `averageDurationMs`.
    pub provisioned_duration_ms: Option<f64>,
}

/// For the cost estimate only.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "QueueTraffic")]
pub struct QueueTrafficWire {
    pub messages_per_month: Option<u64>,
    /// Default 1 KB; each 64 KB is one request.
    #[serde(rename = "averageMessageSizeKB")]
    #[schemars(rename = "averageMessageSizeKB")]
    pub average_message_size_kb: Option<f64>,
}

/// For the cost estimate only.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "EventBusTraffic")]
pub struct EventBusTrafficWire {
    pub events_per_month: Option<u64>,
    /// Default 1 KB; each 64 KB is one event.
    #[serde(rename = "averageEventSizeKB")]
    #[schemars(rename = "averageEventSizeKB")]
    pub average_event_size_kb: Option<f64>,
}

/// For the cost estimate only.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "TableTraffic")]
pub struct TableTrafficWire {
    pub writes_per_month: Option<u64>,
    pub reads_per_month: Option<u64>,
    /// Default 1 KB: a write unit per 1 KB, a read unit per 4 KB.
    #[serde(rename = "averageItemSizeKB")]
    #[schemars(rename = "averageItemSizeKB")]
    pub average_item_size_kb: Option<f64>,
    /// Default false: eventually consistent reads cost half a read unit.
    pub strongly_consistent_reads: Option<bool>,
    #[serde(rename = "storageGB")]
    #[schemars(rename = "storageGB")]
    pub storage_gb: Option<f64>,
}

/// For the cost estimate only.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "ApiTraffic")]
pub struct ApiTrafficWire {
    pub requests_per_month: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// Layer

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "LayerSpec")]
pub struct LayerSpecWire {
    pub physical_name: Option<String>,
    pub deletion_policy: Option<DeletionPolicyWire>,
    #[serde(default)]
    pub ignore_changes: Vec<String>,

    pub content: LayerContentWire,
    #[serde(default)]
    pub compatible_runtimes: Vec<String>,
    #[serde(default)]
    pub compatible_architectures: Vec<ArchitectureWire>,
    pub description: Option<String>,
    pub license_info: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "LayerContent")]
pub struct LayerContentWire {
    /// A directory relative to this file, inside the spec root.
    pub path: String,
}

// ---------------------------------------------------------------------------------------------
// Queue

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "QueueSpec")]
pub struct QueueSpecWire {
    pub physical_name: Option<String>,
    pub deletion_policy: Option<DeletionPolicyWire>,
    #[serde(default)]
    pub ignore_changes: Vec<String>,

    /// A FIFO queue; its physical name ends in `.fifo`.
    pub fifo: Option<bool>,
    pub content_based_deduplication: Option<bool>,
    pub deduplication_scope: Option<DeduplicationScopeWire>,
    pub fifo_throughput_limit: Option<FifoThroughputLimitWire>,
    /// Seconds, 0–43200.
    #[schemars(range(min = 0, max = 43200))]
    pub visibility_timeout: Option<i64>,
    /// Seconds, 60–1209600.
    #[schemars(range(min = 60, max = 1_209_600))]
    pub message_retention_period: Option<i64>,
    #[schemars(range(min = 0, max = 900))]
    pub delay_seconds: Option<i64>,
    /// Bytes, 1024–1048576.
    #[schemars(range(min = 1024, max = 1_048_576))]
    pub maximum_message_size: Option<i64>,
    #[schemars(range(min = 0, max = 20))]
    pub receive_message_wait_time: Option<i64>,
    /// SSE with SQS-owned keys (default true unless `kmsMasterKeyId` is set).
    pub sqs_managed_sse: Option<bool>,
    pub kms_master_key_id: Option<String>,
    /// Seconds, 60–86400.
    #[schemars(range(min = 60, max = 86400))]
    pub kms_data_key_reuse_period: Option<i64>,
    pub dead_letter: Option<QueueDeadLetterWire>,
    /// As a dead-letter queue, accept redrives only from the stack's queues that name it
    /// (a `byQueue` redrive-allow policy derived from the wiring). Default false: SQS's `allowAll`.
    pub restrict_redrive_sources: Option<bool>,
    /// Assumptions for the cost estimate only.
    pub traffic: Option<QueueTrafficWire>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "DeduplicationScope")]
pub enum DeduplicationScopeWire {
    MessageGroup,
    Queue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(rename = "FifoThroughputLimit")]
pub enum FifoThroughputLimitWire {
    #[serde(rename = "perQueue")]
    PerQueue,
    #[serde(rename = "perMessageGroupId")]
    PerMessageGroupId,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "QueueDeadLetter")]
pub struct QueueDeadLetterWire {
    /// A Queue of this stack, or a queue ARN.
    pub queue: String,
    #[schemars(range(min = 1, max = 1000))]
    pub max_receive_count: i64,
}

// ---------------------------------------------------------------------------------------------
// EventBus and Rule

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "EventBusSpec")]
pub struct EventBusSpecWire {
    pub physical_name: Option<String>,
    pub deletion_policy: Option<DeletionPolicyWire>,
    #[serde(default)]
    pub ignore_changes: Vec<String>,

    pub description: Option<String>,
    /// An archive of the bus's events, for replay.
    pub archive: Option<ArchiveWire>,
    /// Assumptions for the cost estimate only.
    pub traffic: Option<EventBusTrafficWire>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Archive")]
pub struct ArchiveWire {
    /// Days to keep events; 0 or omitted keeps them forever.
    #[schemars(range(min = 0))]
    pub retention_days: Option<i64>,
    /// Event pattern selecting the events to archive; all events when omitted.
    pub pattern: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "RuleSpec")]
pub struct RuleSpecWire {
    pub physical_name: Option<String>,
    pub deletion_policy: Option<DeletionPolicyWire>,
    #[serde(default)]
    pub ignore_changes: Vec<String>,

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "RuleState")]
pub enum RuleStateWire {
    Enabled,
    Disabled,
}

/// Exactly one of `queue`, `function`, `bus`, `arn`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "InputTransformer")]
pub struct InputTransformerWire {
    #[serde(default)]
    pub input_paths_map: BTreeMap<String, String>,
    pub input_template: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "RetryPolicy")]
pub struct RetryPolicyWire {
    #[schemars(range(min = 0, max = 185))]
    pub maximum_retry_attempts: Option<i64>,
    #[schemars(range(min = 60, max = 86400))]
    pub maximum_event_age_in_seconds: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Table

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "TableSpec")]
pub struct TableSpecWire {
    pub physical_name: Option<String>,
    pub deletion_policy: Option<DeletionPolicyWire>,
    #[serde(default)]
    pub ignore_changes: Vec<String>,

    pub partition_key: KeyWire,
    pub sort_key: Option<KeyWire>,
    pub billing_mode: Option<BillingModeWire>,
    #[schemars(range(min = 1))]
    pub read_capacity: Option<i64>,
    #[schemars(range(min = 1))]
    pub write_capacity: Option<i64>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<GsiWire>,
    pub time_to_live_attribute: Option<String>,
    pub point_in_time_recovery: Option<bool>,
    /// DynamoDB stream view type; no stream when omitted.
    pub stream: Option<StreamViewWire>,
    pub table_class: Option<TableClassWire>,
    /// Default true.
    pub deletion_protection: Option<bool>,
    /// Encryption at rest; an AWS-owned key when omitted.
    pub sse: Option<TableSseWire>,
    /// Assumptions for the cost estimate only.
    pub traffic: Option<TableTrafficWire>,
}

/// DynamoDB's `SSESpecification`: `type: KMS` alone uses the account's AWS-managed key
/// (`aws/dynamodb`); with `kmsMasterKeyId` a customer-managed key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "TableSse")]
pub struct TableSseWire {
    #[serde(rename = "type")]
    pub sse_type: SseTypeWire,
    /// A KMS key ARN or key id (not an alias: DynamoDB reports keys by ARN).
    pub kms_master_key_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "SseType")]
pub enum SseTypeWire {
    AwsOwned,
    Kms,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Key")]
pub struct KeyWire {
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: KeyTypeWire,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(rename = "KeyType")]
pub enum KeyTypeWire {
    S,
    N,
    B,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "BillingMode")]
pub enum BillingModeWire {
    PayPerRequest,
    Provisioned,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Gsi")]
pub struct GsiWire {
    pub name: String,
    pub partition_key: KeyWire,
    pub sort_key: Option<KeyWire>,
    /// Default `ALL`.
    pub projection: Option<ProjectionWire>,
    /// With `projection: INCLUDE`.
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
    #[schemars(range(min = 1))]
    pub read_capacity: Option<i64>,
    #[schemars(range(min = 1))]
    pub write_capacity: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "Projection")]
pub enum ProjectionWire {
    All,
    KeysOnly,
    Include,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "StreamView")]
pub enum StreamViewWire {
    NewImage,
    OldImage,
    NewAndOldImages,
    KeysOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "TableClass")]
pub enum TableClassWire {
    Standard,
    StandardInfrequentAccess,
}

// ---------------------------------------------------------------------------------------------
// Api

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "ApiSpec")]
pub struct ApiSpecWire {
    pub physical_name: Option<String>,
    pub deletion_policy: Option<DeletionPolicyWire>,
    #[serde(default)]
    pub ignore_changes: Vec<String>,

    pub endpoint_type: Option<EndpointTypeWire>,
    /// Stage name, default `prod`.
    pub stage: Option<String>,
    pub description: Option<String>,
    pub routes: Vec<RouteWire>,
    pub throttling: Option<ThrottlingWire>,
    /// X-Ray tracing on the stage.
    pub tracing: Option<bool>,
    pub domain: Option<DomainWire>,
    /// Assumptions for the cost estimate only.
    pub traffic: Option<ApiTrafficWire>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "EndpointType")]
pub enum EndpointTypeWire {
    Regional,
    Edge,
    Private,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Route")]
pub struct RouteWire {
    pub method: HttpMethodWire,
    /// Starts with `/`; `{name}` segments are path parameters, `{name+}` a greedy one.
    pub path: String,
    /// A Function of this stack, or a function ARN.
    pub function: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[schemars(rename = "HttpMethod")]
pub enum HttpMethodWire {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
    Any,
}

impl HttpMethodWire {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethodWire::Get => "GET",
            HttpMethodWire::Post => "POST",
            HttpMethodWire::Put => "PUT",
            HttpMethodWire::Patch => "PATCH",
            HttpMethodWire::Delete => "DELETE",
            HttpMethodWire::Head => "HEAD",
            HttpMethodWire::Options => "OPTIONS",
            HttpMethodWire::Any => "ANY",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Throttling")]
pub struct ThrottlingWire {
    /// Steady-state requests per second.
    pub rate_limit: f64,
    pub burst_limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Domain")]
pub struct DomainWire {
    pub name: String,
    pub certificate_arn: String,
    /// Path under the domain; the domain root when omitted.
    pub base_path: Option<String>,
}
