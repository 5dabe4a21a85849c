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
// Shared by the Stack's function defaults and the Function kind

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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "DeadLetter")]
pub struct DeadLetterWire {
    /// A Queue of this stack, or a queue ARN.
    pub queue: String,
}
