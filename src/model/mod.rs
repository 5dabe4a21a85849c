//! The domain model: a validated stack, shared by the desired side (from the spec) and, from the
//! engine on, the observed side (from AWS). Everything here has passed validation: references
//! point at resources of the right kind, numbers are in range, paths stay inside the spec root.

mod alarm;
pub mod arn;
pub mod graph;
mod location;
mod role;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

pub use alarm::*;
pub use location::Location;
pub use role::*;

/// The kinds a stack can hold, in the order their sections appear in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Kind {
    Stack,
    Layer,
    Queue,
    Table,
    EventBus,
    LogGroup,
    Function,
    Rule,
    Api,
    Role,
    Alarm,
    MetricFilter,
    Dashboard,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Stack,
        Kind::Function,
        Kind::Layer,
        Kind::Queue,
        Kind::EventBus,
        Kind::Rule,
        Kind::Table,
        Kind::Api,
        Kind::Role,
        Kind::LogGroup,
        Kind::Alarm,
        Kind::MetricFilter,
        Kind::Dashboard,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Stack => "Stack",
            Kind::Function => "Function",
            Kind::Layer => "Layer",
            Kind::Queue => "Queue",
            Kind::EventBus => "EventBus",
            Kind::Rule => "Rule",
            Kind::Table => "Table",
            Kind::Api => "Api",
            Kind::Role => "Role",
            Kind::LogGroup => "LogGroup",
            Kind::Alarm => "Alarm",
            Kind::MetricFilter => "MetricFilter",
            Kind::Dashboard => "Dashboard",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The default `deletionPolicy` (SPEC.md): keep data-bearing tables and log groups (logs
    /// are data), delete empty queues.
    pub fn default_deletion_policy(self) -> DeletionPolicy {
        match self {
            Kind::Table | Kind::LogGroup => DeletionPolicy::Retain,
            Kind::Queue => DeletionPolicy::DeleteIfEmpty,
            _ => DeletionPolicy::Delete,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Kind/name`: the identity of a resource inside its stack (serialised as that string).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceId {
    pub kind: Kind,
    pub name: String,
}

impl ResourceId {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }
}

impl Serialize for ResourceId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ResourceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.split_once('/')
            .and_then(|(kind, name)| Some(ResourceId::new(Kind::parse(kind)?, name)))
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not Kind/name")))
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// A reference from one resource to another: inside the stack, or a full ARN outside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Reference {
    Stack(ResourceId),
    Arn(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeletionPolicy {
    Delete,
    Retain,
    DeleteIfEmpty,
}

impl DeletionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DeletionPolicy::Delete => "delete",
            DeletionPolicy::Retain => "retain",
            DeletionPolicy::DeleteIfEmpty => "delete-if-empty",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            DeletionPolicy::Delete,
            DeletionPolicy::Retain,
            DeletionPolicy::DeleteIfEmpty,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftMode {
    Heal,
    Report,
}

/// A validated stack: the Stack settings and every resource, sorted by kind and name.
#[derive(Clone, Debug, Serialize)]
pub struct Stack {
    pub name: String,
    /// The directory the stack was loaded from.
    pub root: PathBuf,
    pub region: Option<String>,
    pub account_id: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub prune: bool,
    pub drift: DriftMode,
    pub budget_monthly_usd: Option<f64>,
    pub policy: PolicyConfig,
    /// Function and layer versions kept besides the ones in use (`spec.keepVersions`).
    pub keep_versions: u32,
    /// The permissions boundary (a managed policy ARN) of every role slsctl creates.
    pub permissions_boundary: Option<String>,
    /// What watches the stack (`spec.observability`).
    pub observability: Observability,
    pub resources: Vec<Resource>,
    /// Where the Stack document names the stack, for problems about the stack as a whole.
    #[serde(skip)]
    pub origin: Option<Location>,
}

/// `spec.observability` of the Stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Observability {
    /// ARNs every alarm of the stack notifies on a state change.
    pub alarm_actions: Vec<String>,
    /// Whether the stack has its generated dashboard.
    pub dashboard: bool,
    /// Whether every Api stage has X-Ray tracing.
    pub tracing: bool,
    /// The stack's own defaults of the alarm checks (`observability.alarms`), by kind and
    /// check name (`errorRate`, `age`...); a resource's `alarms:` override them.
    pub alarms: BTreeMap<Kind, AlarmOverrides>,
}

impl Default for Observability {
    fn default() -> Self {
        Observability {
            alarm_actions: Vec::new(),
            dashboard: true,
            tracing: false,
            alarms: BTreeMap::new(),
        }
    }
}

/// Settings of the policy pack, passed to the policies as `input.config`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyConfig {
    pub required_tags: Vec<String>,
    #[serde(rename = "memoryMB")]
    pub memory_mb: MemoryRange,
    /// Rules of the policies this stack opts out of, each with the reason it gives.
    pub exceptions: Vec<PolicyException>,
}

/// An opt-out of one policy rule (`spec.policy.exceptions[]`): its denies become notes that
/// carry the reason, for the named resources or, without any, for the whole stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyException {
    pub rule: String,
    /// `Kind/name` of the resources it covers; empty covers every resource of the stack.
    pub resources: Vec<String>,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryRange {
    pub min: u32,
    pub max: u32,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            required_tags: Vec::new(),
            memory_mb: MemoryRange {
                min: 128,
                max: 10_240,
            },
            exceptions: Vec::new(),
        }
    }
}

impl Stack {
    pub fn get(&self, id: &ResourceId) -> Option<&Resource> {
        self.resources
            .binary_search_by(|r| r.id.cmp(id))
            .ok()
            .map(|i| &self.resources[i])
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.resources.iter().filter(|r| r.id.kind == kind).count()
    }
}

/// One resource of the stack with what every kind shares.
#[derive(Clone, Debug, Serialize)]
pub struct Resource {
    pub id: ResourceId,
    pub physical_name: String,
    pub deletion_policy: DeletionPolicy,
    pub ignore_changes: Vec<String>,
    /// Adopt an existing untagged resource of that physical name (explicit opt-in).
    pub adopt: bool,
    pub labels: BTreeMap<String, String>,
    #[serde(skip)]
    pub origin: Option<Location>,
    pub spec: ResourceSpec,
    /// `spec.traffic`: assumptions for the cost estimate; `None` when the spec gives none.
    pub traffic: Option<Traffic>,
    /// What it refers to inside the stack, sorted and without repeats (its kind says which of
    /// its fields are references).
    #[serde(skip)]
    pub depends_on: Vec<ResourceId>,
    /// The resource whose wiring implies this one when the spec does not write it (a
    /// function's execution role and log group); `None` for a written resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<ResourceId>,
    /// How a derived resource is ordered against the one it is derived from.
    #[serde(skip)]
    pub order: DerivedOrder,
}

/// Where a derived resource goes in the apply against the resource it is derived from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DerivedOrder {
    /// Created before it; the resource depends on it (an execution role: Lambda refuses a
    /// role that does not exist). Also what a written resource has.
    #[default]
    Before,
    /// Created after it, and depends on it: it watches it (an alarm, a metric filter).
    After,
    /// Neither waits for the other (the log group of a function that nothing in the stack
    /// runs: `kinds::function::derive`).
    Beside,
}

impl Resource {
    /// Resources this one refers to inside the stack (they are created before it), sorted and
    /// without repeats.
    pub fn dependencies(&self) -> Vec<&ResourceId> {
        self.depends_on.iter().collect()
    }
}

// A stack holds tens to hundreds of resources; boxing the larger variants would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind")]
pub enum ResourceSpec {
    Function(Function),
    Layer(Layer),
    Queue(Queue),
    EventBus(EventBus),
    Rule(Rule),
    Table(Table),
    Api(Api),
    Role(Role),
    LogGroup(LogGroup),
    Alarm(Alarm),
    MetricFilter(MetricFilter),
    Dashboard(Dashboard),
}

// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Architecture {
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Tracing {
    Active,
    PassThrough,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Code {
    /// A directory inside the spec root, zipped reproducibly at plan time, or a `.zip` file
    /// there, uploaded as it is (`artifact::package`).
    Directory(PathBuf),
    S3 {
        bucket: String,
        key: String,
        object_version: Option<String>,
    },
    Image(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum EnvValue {
    Literal(String),
    Ref {
        target: Reference,
        attr: RefAttr,
        /// What the function does with it, for its derived role; the kind's usual use when
        /// `None` (a table is read and written, a queue sent to, a bus put to).
        access: Option<Access>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Function {
    /// `None` for container images, which carry their own entry point.
    pub handler: Option<String>,
    pub runtime: Option<String>,
    pub code: Code,
    /// The execution role: a Role of the stack, an ARN, or `None` for the role slsctl derives
    /// for this function alone (`Role/<function>`).
    pub role: Option<Reference>,
    /// Grants beyond the wiring, for the role slsctl creates (derived or a Role of the stack).
    pub permissions: Vec<Permission>,
    /// Managed policy ARNs for the function's derived role.
    pub managed_policies: Vec<String>,
    pub memory_size: u32,
    pub timeout: u32,
    pub architecture: Architecture,
    pub ephemeral_storage: u32,
    pub tracing: Tracing,
    pub description: String,
    pub layers: Vec<Reference>,
    pub environment: BTreeMap<String, EnvValue>,
    pub sensitive_environment: Vec<String>,
    pub reserved_concurrency: Option<u32>,
    pub dead_letter: Option<Reference>,
    pub alias: Option<Alias>,
    pub triggers: Vec<Trigger>,
    /// Days the function's own log group keeps events; `None`: never expire (written
    /// explicitly). Unused when `logging.log_group` names a written LogGroup.
    pub log_retention_days: Option<u32>,
    pub logging: Logging,
    /// `alarms:` of its checks.
    pub alarms: AlarmOverrides,
}

/// Lambda's logging configuration of a function (API_LoggingConfig), and where its logs go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Logging {
    pub format: LogFormat,
    /// JSON only; Lambda reports `INFO` for an unset level once the format is JSON.
    pub application_log_level: Option<String>,
    pub system_log_level: Option<String>,
    /// A written LogGroup of the stack; `None`: the function's own derived group
    /// (`/aws/lambda/<function>`).
    pub log_group: Option<Reference>,
    /// What happens to the derived group when the function leaves the spec.
    pub deletion_policy: DeletionPolicy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// As Lambda's API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "Text",
            LogFormat::Json => "JSON",
        }
    }
}

/// A CloudWatch Logs log group: a function's own (derived) or one shared by several functions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogGroup {
    /// Days events are kept (one of the values PutRetentionPolicy accepts); `None`: never
    /// expire.
    pub retention_days: Option<u32>,
    pub class: LogGroupClass,
}

/// A CloudWatch Logs metric filter deriving a function's cold-start metric from its log group
/// (always derived, see `kinds::metric_filter`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MetricFilter {
    /// The log group it reads (a physical name).
    pub log_group: String,
    /// The function whose REPORT lines it reads (its physical name: the metric's dimension).
    pub function_name: String,
    /// The format the function logs in, which decides the filter pattern.
    pub log_format: LogFormat,
}

/// The stack's CloudWatch dashboard (always derived from the whole stack, see
/// `kinds::dashboard`); its body is computed from the stack when the props are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dashboard {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LogGroupClass {
    Standard,
    InfrequentAccess,
}

impl LogGroupClass {
    /// As CloudWatch Logs spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogGroupClass::Standard => "STANDARD",
            LogGroupClass::InfrequentAccess => "INFREQUENT_ACCESS",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alias {
    pub name: String,
    pub provisioned_concurrency: Option<ProvisionedConcurrency>,
}

/// How the pieces interact (documented in the spec reference): `baseline` is the always-on
/// minimum; each schedule sets the scalable target's min and max from its start; target
/// tracking, if any, moves the value between the bounds in force.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProvisionedConcurrency {
    pub baseline: u32,
    pub schedules: Vec<PcSchedule>,
    pub target_utilization: Option<f64>,
    /// The scalable target's maximum at registration, when it must be above the baseline and
    /// every schedule's `max` (target tracking without schedules needs room to move).
    pub max: Option<u32>,
}

impl ProvisionedConcurrency {
    /// The maximum the alias's scalable target is registered with: the largest of the
    /// baseline, every schedule's `max` and the explicit `max`.
    pub fn registered_max(&self) -> u32 {
        self.schedules
            .iter()
            .map(|s| s.max)
            .chain(self.max)
            .fold(self.baseline, u32::max)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PcSchedule {
    pub name: String,
    pub expression: String,
    pub timezone: Option<String>,
    pub min: u32,
    pub max: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub queue: Reference,
    pub batch_size: u32,
    pub maximum_batching_window: u32,
    pub report_batch_item_failures: bool,
    pub maximum_concurrency: Option<u32>,
    pub enabled: bool,
}

/// What an invocation writes to its log group unless `traffic.logBytesPerInvocation` says:
/// Lambda's own START, END and REPORT lines (about 300 bytes) and about 700 bytes of the
/// function's own.
pub const DEFAULT_LOG_BYTES_PER_INVOCATION: f64 = 1000.0;

/// Traffic assumptions of a resource, for the cost estimate only; each kind uses its own fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Traffic {
    /// Functions and APIs.
    pub requests_per_month: u64,
    pub average_duration_ms: f64,
    pub provisioned_requests_per_month: Option<u64>,
    pub provisioned_duration_ms: Option<f64>,
    /// Bytes each invocation writes to the function's log group (functions).
    pub log_bytes_per_invocation: f64,
    /// Queues.
    pub messages_per_month: u64,
    pub average_message_size_kb: f64,
    /// Buses.
    pub events_per_month: u64,
    pub average_event_size_kb: f64,
    /// Tables.
    pub writes_per_month: u64,
    pub reads_per_month: u64,
    pub average_item_size_kb: f64,
    pub strongly_consistent_reads: bool,
    pub storage_gb: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Layer {
    pub content: PathBuf,
    pub compatible_runtimes: Vec<String>,
    pub compatible_architectures: Vec<Architecture>,
    pub description: String,
    pub license_info: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Queue {
    pub fifo: bool,
    pub content_based_deduplication: bool,
    pub deduplication_scope: Option<String>,
    pub fifo_throughput_limit: Option<String>,
    pub visibility_timeout: u32,
    pub message_retention_period: u32,
    pub delay_seconds: u32,
    pub maximum_message_size: u32,
    pub receive_message_wait_time: u32,
    pub encryption: QueueEncryption,
    pub dead_letter: Option<QueueDeadLetter>,
    pub restrict_redrive_sources: bool,
    /// `alarms:` of its checks.
    pub alarms: AlarmOverrides,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum QueueEncryption {
    None,
    SqsManaged,
    Kms {
        key_id: String,
        data_key_reuse_period: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueDeadLetter {
    pub queue: Reference,
    pub max_receive_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventBus {
    pub description: String,
    pub archive: Option<Archive>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Archive {
    /// 0 keeps events forever.
    pub retention_days: u32,
    pub pattern: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    /// `None`: the account's default bus.
    pub bus: Option<Reference>,
    pub trigger: RuleTrigger,
    pub enabled: bool,
    pub description: String,
    pub targets: Vec<Target>,
    /// `alarms:` of its checks.
    pub alarms: AlarmOverrides,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum RuleTrigger {
    Pattern(serde_json::Value),
    Schedule(String),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    pub id: String,
    /// The queue, function, bus or other ARN the events go to.
    pub destination: Reference,
    pub input: TargetInput,
    pub message_group_id: Option<String>,
    pub maximum_retry_attempts: Option<u32>,
    pub maximum_event_age_in_seconds: Option<u32>,
    pub dead_letter: Option<Reference>,
    /// The role EventBridge assumes to deliver: a Role of the stack or an ARN. An event-bus
    /// target without one gets the rule's derived delivery role.
    pub role: Option<Reference>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TargetInput {
    Event,
    Path(String),
    Transformer {
        paths: BTreeMap<String, String>,
        template: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum KeyType {
    S,
    N,
    B,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Key {
    pub name: String,
    pub key_type: KeyType,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Billing {
    OnDemand,
    Provisioned { read: u32, write: u32 },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    pub billing: Billing,
    pub global_secondary_indexes: Vec<Gsi>,
    pub time_to_live_attribute: Option<String>,
    pub point_in_time_recovery: bool,
    pub stream: Option<String>,
    pub table_class: String,
    pub deletion_protection: bool,
    pub sse: TableSse,
    /// `alarms:` of its checks.
    pub alarms: AlarmOverrides,
}

/// Encryption at rest of a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TableSse {
    /// DynamoDB's default: a key owned by AWS, free, invisible to the account.
    AwsOwned,
    /// The account's AWS-managed KMS key (`aws/dynamodb`).
    AwsManaged,
    /// A customer-managed KMS key, by ARN.
    CustomerManaged(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gsi {
    pub name: String,
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    pub projection: Projection,
    pub capacity: Option<(u32, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Api {
    pub endpoint_type: String,
    pub stage: String,
    pub description: String,
    pub routes: Vec<Route>,
    pub throttling: Option<Throttling>,
    /// X-Ray tracing on the stage as written; `None`: the Stack's `observability.tracing`.
    pub tracing: Option<bool>,
    pub domain: Option<Domain>,
    /// `alarms:` of its checks.
    pub alarms: AlarmOverrides,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: Reference,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Throttling {
    pub rate_limit: f64,
    pub burst_limit: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Domain {
    pub name: String,
    pub certificate_arn: String,
    pub base_path: Option<String>,
}
