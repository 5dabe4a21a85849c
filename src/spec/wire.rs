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

/// Declares a wire struct with what every one of them derives and how each reads its fields:
/// camelCase names, and `deny_unknown_fields` so that a misspelt field is an error. The struct's
/// own attributes (its schema name, `#[schemars(rename = …)]`) and docs are written as usual.
macro_rules! wire_struct {
    ($(#[$attr:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        #[derive(Debug, ::serde::Deserialize, ::schemars::JsonSchema)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        $(#[$attr])*
        pub struct $name { $($fields)* }
    };
}
pub(crate) use wire_struct;

/// Declares a wire enum of words: what every one of them derives, each variant with the word the
/// spec writes for it, and `as_str`, which gives that word back (the model keeps the word):
///
/// ```ignore
/// wire_enum! {
///     #[schemars(rename = "TableClass")]
///     pub enum TableClassWire {
///         Standard = "STANDARD",
///         StandardInfrequentAccess = "STANDARD_INFREQUENT_ACCESS",
///     }
/// }
/// ```
macro_rules! wire_enum {
    (
        $(#[$attr:meta])*
        pub enum $name:ident {
            $($(#[$variant_attr:meta])* $variant:ident = $word:literal,)*
        }
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, ::serde::Deserialize, ::schemars::JsonSchema)]
        $(#[$attr])*
        pub enum $name {
            $($(#[$variant_attr])* #[serde(rename = $word)] $variant,)*
        }

        impl $name {
            /// The word the spec writes for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)*
                }
            }
        }
    };
}
pub(crate) use wire_enum;

/// Declares a kind's `*SpecWire` (a [`wire_struct!`]) with the fields every kind shares first,
/// and implements [`ResourceSpecWire`](crate::spec::load::ResourceSpecWire) for it, which reads
/// them:
///
/// ```ignore
/// resource_spec_wire! {
///     kind: Queue,
///     #[schemars(rename = "QueueSpec")]
///     pub struct QueueSpecWire {
///         pub fifo: Option<bool>,
///     }
/// }
/// ```
///
/// A kind that documents the shared fields names them first, each under its docs:
/// `physical_name, deletion_policy, ignore_changes,`.
///
/// A kind watched by alarms says so after its kind, `alarms: "queue",` (the word its docs use
/// for one resource): the struct gets the `alarms` field last, with the docs every such kind
/// shares, and implements [`AlarmsSpecWire`](crate::spec::alarms::AlarmsSpecWire), which reads it.
macro_rules! resource_spec_wire {
    (
        kind: $kind:ident,
        alarms: $noun:literal,
        $(#[$attr:meta])*
        pub struct $wire:ident { $($fields:tt)* }
    ) => {
        $crate::spec::wire::resource_spec_wire! {
            kind: $kind,
            $(#[$attr])*
            pub struct $wire {
                $($fields)*

                #[doc = concat!(" This ", $noun, "'s alarm checks, each `{threshold, period, evaluationPeriods}` or")]
                // Not " `{disabled…": schemars trims a literal line's leading space, not this one's.
                #[doc = concat!("`{disabled: true}`, over the Stack's `observability.alarms.", stringify!($kind), "` and the defaults")]
                #[doc = " (docs/spec.md, Alarms)."]
                #[serde(default)]
                pub alarms: $crate::spec::wire::AlarmOverridesWire,
            }
        }

        impl $crate::spec::alarms::AlarmsSpecWire for $wire {
            fn alarms(&self) -> &$crate::spec::wire::AlarmOverridesWire {
                &self.alarms
            }
        }
    };
    (
        kind: $kind:ident,
        $(#[$attr:meta])*
        pub struct $wire:ident {
            $(#[$physical_name:meta])* physical_name,
            $(#[$deletion_policy:meta])* deletion_policy,
            $(#[$ignore_changes:meta])* ignore_changes,
            $($fields:tt)*
        }
    ) => {
        $crate::spec::wire::wire_struct! {
            $(#[$attr])*
            pub struct $wire {
                $(#[$physical_name])*
                pub physical_name: Option<String>,
                $(#[$deletion_policy])*
                pub deletion_policy: Option<$crate::spec::wire::DeletionPolicyWire>,
                $(#[$ignore_changes])*
                #[serde(default)]
                pub ignore_changes: Vec<String>,
                $($fields)*
            }
        }

        impl $crate::spec::load::ResourceSpecWire for $wire {
            const KIND: $crate::model::Kind = $crate::model::Kind::$kind;
            fn physical_name(&self) -> Option<&String> {
                self.physical_name.as_ref()
            }
            fn deletion_policy(&self) -> Option<$crate::spec::wire::DeletionPolicyWire> {
                self.deletion_policy
            }
            fn ignore_changes(&self) -> &[String] {
                &self.ignore_changes
            }
        }
    };
    // The shared fields without docs of the kind's own.
    (kind: $kind:ident, $(#[$attr:meta])* pub struct $wire:ident { $($fields:tt)* }) => {
        $crate::spec::wire::resource_spec_wire! {
            kind: $kind,
            $(#[$attr])*
            pub struct $wire {
                physical_name,
                deletion_policy,
                ignore_changes,
                $($fields)*
            }
        }
    };
}
pub(crate) use resource_spec_wire;

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
    /// Always `slsctl.dev/v1alpha1`. Checked from the header before this parse; kept so that
    /// the document's shape (and the schema) requires it.
    #[allow(dead_code)]
    pub api_version: String,
    #[allow(dead_code)]
    pub kind: String,
    pub metadata: MetadataWire,
    pub spec: S,
}

wire_struct! {
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

wire_struct! {
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
        /// A managed policy ARN that bounds the permissions of every role slsctl creates for this
        /// stack, as many organisations require.
        pub permissions_boundary: Option<String>,
        /// What watches the stack: alarms, the dashboard, tracing.
        pub observability: Option<ObservabilityWire>,
    }
}

wire_struct! {
    #[schemars(rename = "Observability")]
    pub struct ObservabilityWire {
        /// ARNs notified when any alarm of the stack changes state (SNS topics, for example);
        /// state changes reach EventBridge without them.
        #[serde(default)]
        pub alarm_actions: Vec<String>,
        /// A CloudWatch dashboard of the stack, generated from its wiring (default true).
        pub dashboard: Option<bool>,
        /// X-Ray tracing on every Api stage that does not set its own `tracing` (default
        /// false); functions keep their own `tracing`.
        pub tracing: Option<bool>,
        /// The stack's own defaults of the alarm checks, by kind then check:
        /// `{Function: {errorRate: {threshold: 2}}}`; a resource's `alarms:` override them.
        #[serde(default)]
        pub alarms: BTreeMap<String, AlarmOverridesWire>,
    }
}

/// Settings of alarm checks by check name (`errorRate`, `age`…; docs/spec.md lists each kind's).
pub type AlarmOverridesWire = BTreeMap<String, AlarmOverrideWire>;

wire_struct! {
    #[schemars(rename = "AlarmSettings")]
    pub struct AlarmOverrideWire {
        /// The value past which the alarm fires (in the check's unit: %, ms, s, a count).
        pub threshold: Option<f64>,
        /// Seconds per datapoint: a multiple of 60 up to 86400 (standard resolution).
        pub period: Option<i64>,
        /// Consecutive breaching periods before the alarm fires.
        pub evaluation_periods: Option<i64>,
        /// `true`: no alarm for this check.
        pub disabled: Option<bool>,
    }
}

wire_struct! {
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
}

wire_struct! {
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
}

wire_struct! {
    #[schemars(rename = "MemoryRange")]
    pub struct MemoryRangeWire {
        pub min: u32,
        pub max: u32,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "Drift")]
pub enum DriftWire {
    Heal,
    Report,
}

wire_struct! {
    #[schemars(rename = "Defaults")]
    pub struct DefaultsWire {
        pub function: Option<FunctionDefaultsWire>,
    }
}

wire_struct! {
    /// Values every Function gets unless it sets its own.
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
        /// Days each function's own log group keeps events (default 30): one of the values
        /// CloudWatch Logs accepts, or `never`.
        pub log_retention_days: Option<RetentionWire>,
    }
}

wire_struct! {
    #[schemars(rename = "Budget")]
    pub struct BudgetWire {
        /// Monthly budget in US dollars, used by the cost estimate and its guard.
        #[serde(rename = "monthlyUSD")]
        pub monthly_usd: f64,
    }
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

/// How long a log group keeps events: a number of days CloudWatch Logs accepts (1, 3, 5, 7, 14,
/// 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), or
/// `never` (the events are kept, and billed, forever).
#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
#[schemars(rename = "Retention")]
pub enum RetentionWire {
    Days(i64),
    Never(NeverWire),
}

/// The word `never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename = "Never")]
pub enum NeverWire {
    #[serde(rename = "never")]
    Never,
}

impl<'de> Deserialize<'de> for RetentionWire {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RetentionVisitor;
        impl serde::de::Visitor<'_> for RetentionVisitor {
            type Value = RetentionWire;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of days, or `never`")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RetentionWire::Days(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RetentionWire::Days(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "never" => Ok(RetentionWire::Never(NeverWire::Never)),
                    other => Err(E::custom(format!(
                        "`{other}` is not a number of days or `never`"
                    ))),
                }
            }
        }
        deserializer.deserialize_any(RetentionVisitor)
    }
}

wire_struct! {
    #[schemars(rename = "DeadLetter")]
    pub struct DeadLetterWire {
        /// A Queue of this stack, or a queue ARN.
        pub queue: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::function::wire::FunctionSpecWire;
    use crate::kinds::queue::wire::QueueSpecWire;
    use crate::model::Kind;
    use crate::spec::load::ResourceSpecWire;

    #[test]
    fn a_kinds_spec_wire_holds_the_shared_fields_and_reads_them() {
        let queue: QueueSpecWire = serde_json::from_str(
            r#"{"physicalName": "orders", "deletionPolicy": "delete-if-empty",
                "ignoreChanges": ["visibilityTimeout"], "visibilityTimeout": 30}"#,
        )
        .unwrap();
        assert_eq!(QueueSpecWire::KIND, Kind::Queue);
        assert_eq!(queue.physical_name().unwrap(), "orders");
        assert_eq!(
            queue.deletion_policy(),
            Some(DeletionPolicyWire::DeleteIfEmpty)
        );
        assert_eq!(queue.ignore_changes(), ["visibilityTimeout"]);
        assert_eq!(queue.visibility_timeout, Some(30));

        let bare: QueueSpecWire = serde_json::from_str("{}").unwrap();
        assert_eq!(bare.physical_name(), None);
        assert!(bare.ignore_changes().is_empty());
    }

    #[test]
    fn a_wire_struct_refuses_fields_not_in_camel_case_or_unknown() {
        for unknown in [r#"{"physical_name": "q"}"#, r#"{"visibilityTimeOut": 30}"#] {
            let error = serde_json::from_str::<QueueSpecWire>(unknown).unwrap_err();
            assert!(error.to_string().contains("unknown field"), "{error}");
        }
    }

    #[test]
    fn a_kinds_docs_of_the_shared_fields_reach_the_schema() {
        let function = schemars::schema_for!(FunctionSpecWire);
        let function = function.as_value();
        assert_eq!(function["title"], "FunctionSpec");
        assert_eq!(function["additionalProperties"], false);
        let properties = &function["properties"];
        assert_eq!(
            properties["physicalName"]["description"],
            "Physical name; `<stack>-<name>` when omitted."
        );
        assert_eq!(
            properties["ignoreChanges"]["description"],
            "Fields set at create but never corrected afterwards."
        );
        assert!(properties["deletionPolicy"].is_object());

        let queue = schemars::schema_for!(QueueSpecWire);
        let properties = &queue.as_value()["properties"];
        assert!(properties["physicalName"].is_object());
        assert!(properties["physicalName"]["description"].is_null());
        assert!(properties["ignoreChanges"].is_object());
    }

    #[test]
    fn a_wire_enum_reads_the_word_it_gives_back() {
        use crate::kinds::table::wire::StreamViewWire;
        for view in [
            StreamViewWire::NewImage,
            StreamViewWire::OldImage,
            StreamViewWire::NewAndOldImages,
            StreamViewWire::KeysOnly,
        ] {
            let word = serde_json::Value::from(view.as_str());
            assert_eq!(
                serde_json::from_value::<StreamViewWire>(word).unwrap(),
                view
            );
        }
        assert_eq!(
            StreamViewWire::NewAndOldImages.as_str(),
            "NEW_AND_OLD_IMAGES"
        );
        assert!(serde_json::from_str::<StreamViewWire>(r#""NewImage""#).is_err());
    }

    #[test]
    fn a_watched_kinds_alarms_field_is_read_and_documented_with_its_kind() {
        use crate::spec::alarms::AlarmsSpecWire;
        let queue: QueueSpecWire =
            serde_json::from_str(r#"{"alarms": {"age": {"threshold": 60}}}"#).unwrap();
        assert_eq!(queue.alarms()["age"].threshold, Some(60.0));
        let bare: QueueSpecWire = serde_json::from_str("{}").unwrap();
        assert!(bare.alarms().is_empty());

        let schema = schemars::schema_for!(QueueSpecWire);
        assert_eq!(
            schema.as_value()["properties"]["alarms"]["description"],
            "This queue's alarm checks, each `{threshold, period, evaluationPeriods}` or\n\
             `{disabled: true}`, over the Stack's `observability.alarms.Queue` and the defaults\n\
             (docs/spec.md, Alarms)."
        );
    }
}
