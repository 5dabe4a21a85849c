//! Traffic profiles (`slsctl cost --traffic FILE`): a day's API calls and, per call, what each
//! resource of the stack does on the call's path (requests, messages, events, writes, reads), as
//! averages. The profile replaces the `spec.traffic` of the resources it names, scaled to the
//! price table's month (`callsPerDay × hoursPerMonth / 24 × per-call figure`); the others keep
//! their own. Pure: parsing and scaling, no I/O.

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::model::{Kind, ResourceId, Stack, Traffic};

/// A traffic profile as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrafficProfile {
    /// API calls a day that enter the stack.
    pub calls_per_day: Spanned<f64>,
    /// Each resource on a call's path and what it does per call.
    pub path: Vec<Step>,
}

/// One resource on the path: per-call counts (averages over all calls, so a function reached by
/// a quarter of them has `requests: 0.25`) and the per-unit assumptions of `spec.traffic`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// `Kind/name` of a resource of the stack.
    pub resource: Spanned<String>,
    /// Functions and APIs: invocations or requests per call.
    pub requests: Option<f64>,
    /// Queues: messages per call.
    pub messages: Option<f64>,
    /// Buses: events per call.
    pub events: Option<f64>,
    /// Tables: writes and reads per call.
    pub writes: Option<f64>,
    pub reads: Option<f64>,
    pub average_duration_ms: Option<f64>,
    pub provisioned_duration_ms: Option<f64>,
    pub log_bytes_per_invocation: Option<f64>,
    #[serde(rename = "averageMessageSizeKB")]
    pub average_message_size_kb: Option<f64>,
    #[serde(rename = "averageEventSizeKB")]
    pub average_event_size_kb: Option<f64>,
    #[serde(rename = "averageItemSizeKB")]
    pub average_item_size_kb: Option<f64>,
    pub strongly_consistent_reads: Option<bool>,
    /// Tables: GB stored (not per call).
    #[serde(rename = "storageGB")]
    pub storage_gb: Option<f64>,
}

/// A problem of a profile, where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: String,
}

impl ProfileError {
    /// `FILE:line:column: error: …` and its hint, as the spec's diagnostics read.
    pub fn render(&self, file: &str) -> String {
        format!(
            "{file}:{}:{}: error: {}\n  hint: {}\n",
            self.line, self.column, self.message, self.hint
        )
    }
}

/// Read a profile.
pub fn parse(text: &str) -> Result<TrafficProfile, ProfileError> {
    serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        ProfileError {
            line,
            column,
            message: without_location(e.to_string().lines().next().unwrap_or_default()),
            hint: "a profile has `callsPerDay` and `path`, a list of `{resource: Kind/name, …}` with the per-call figures of its kind (see README, \"The blueprint's bill\")".into(),
        }
    })
}

/// The parser's message without its own `error: line N column M: ` prefix (the diagnostic
/// says where).
fn without_location(message: &str) -> String {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    match message.split_once(": ") {
        Some((place, rest)) if place.starts_with("line ") && place.contains(" column ") => {
            rest.to_string()
        }
        _ => message.to_string(),
    }
}

/// The per-call fields each kind takes (the others are refused, not ignored).
fn fields_of(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Function => &[
            "requests",
            "averageDurationMs",
            "provisionedDurationMs",
            "logBytesPerInvocation",
        ],
        Kind::Api => &["requests"],
        Kind::Queue => &["messages", "averageMessageSizeKB"],
        Kind::EventBus => &["events", "averageEventSizeKB"],
        Kind::Table => &[
            "writes",
            "reads",
            "averageItemSizeKB",
            "stronglyConsistentReads",
            "storageGB",
        ],
        _ => &[],
    }
}

impl Step {
    /// The fields given, by their YAML names, with their numbers (a boolean as 0 or 1).
    fn given(&self) -> Vec<(&'static str, f64)> {
        [
            ("requests", self.requests),
            ("messages", self.messages),
            ("events", self.events),
            ("writes", self.writes),
            ("reads", self.reads),
            ("averageDurationMs", self.average_duration_ms),
            ("provisionedDurationMs", self.provisioned_duration_ms),
            ("logBytesPerInvocation", self.log_bytes_per_invocation),
            ("averageMessageSizeKB", self.average_message_size_kb),
            ("averageEventSizeKB", self.average_event_size_kb),
            ("averageItemSizeKB", self.average_item_size_kb),
            (
                "stronglyConsistentReads",
                self.strongly_consistent_reads.map(f64::from),
            ),
            ("storageGB", self.storage_gb),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

/// API calls a month under the profile, on a month of `hours_per_month` hours.
pub fn calls_per_month(profile: &TrafficProfile, hours_per_month: u32) -> f64 {
    profile.calls_per_day.value * f64::from(hours_per_month) / 24.0
}

/// Replace the traffic of the resources the profile names; every problem is reported.
pub fn apply(
    stack: &mut Stack,
    profile: &TrafficProfile,
    hours_per_month: u32,
) -> Result<(), Vec<ProfileError>> {
    let mut errors = Vec::new();
    let at = |s: &Spanned<String>| (s.referenced.line() as usize, s.referenced.column() as usize);
    let calls = &profile.calls_per_day;
    if !(calls.value.is_finite() && calls.value >= 0.0) {
        errors.push(ProfileError {
            line: calls.referenced.line() as usize,
            column: calls.referenced.column() as usize,
            message: format!("callsPerDay {} is not a number of calls", calls.value),
            hint: "a whole or decimal number, 0 or more".into(),
        });
    }
    let month = calls_per_month(profile, hours_per_month);
    let mut seen: Vec<ResourceId> = Vec::new();
    for step in &profile.path {
        let (line, column) = at(&step.resource);
        let error = |message: String, hint: String| ProfileError {
            line,
            column,
            message,
            hint,
        };
        let text = &step.resource.value;
        let found = text.split_once('/').and_then(|(kind, name)| {
            let kind = Kind::parse(kind)?;
            stack
                .resources
                .iter()
                .position(|r| r.id.kind == kind && r.id.name == name)
        });
        let Some(index) = found else {
            let names: Vec<String> = stack
                .resources
                .iter()
                .filter(|r| !fields_of(r.id.kind).is_empty())
                .map(|r| r.id.to_string())
                .collect();
            errors.push(error(
                format!("`{text}` is not a resource of stack `{}`", stack.name),
                format!("the ones with traffic: {}", names.join(", ")),
            ));
            continue;
        };
        let id = stack.resources[index].id.clone();
        if seen.contains(&id) {
            errors.push(error(
                format!("{id} is on the path twice"),
                "give each resource once, with its figures per call summed over the routes".into(),
            ));
            continue;
        }
        seen.push(id.clone());
        let allowed = fields_of(id.kind);
        let mut bad = false;
        for (field, value) in step.given() {
            if !allowed.contains(&field) {
                errors.push(error(
                    format!("{id} has no traffic field `{field}`"),
                    if allowed.is_empty() {
                        format!("a {} carries no traffic", id.kind)
                    } else {
                        format!("a {} takes {}", id.kind, allowed.join(", "))
                    },
                ));
                bad = true;
            } else if !(value.is_finite() && value >= 0.0) {
                errors.push(error(
                    format!("{id}: `{field}` {value} is not a number of 0 or more"),
                    "per-call figures are averages over all calls, 0 or more".into(),
                ));
                bad = true;
            }
        }
        if bad {
            continue;
        }
        let per_month = |per_call: Option<f64>| (per_call.unwrap_or(0.0) * month).round() as u64;
        let defaults = Traffic {
            log_bytes_per_invocation: crate::model::DEFAULT_LOG_BYTES_PER_INVOCATION,
            ..Traffic::default()
        };
        let traffic = Traffic {
            requests_per_month: per_month(step.requests),
            average_duration_ms: step.average_duration_ms.unwrap_or(0.0),
            provisioned_requests_per_month: None,
            provisioned_duration_ms: step.provisioned_duration_ms,
            log_bytes_per_invocation: step
                .log_bytes_per_invocation
                .unwrap_or(defaults.log_bytes_per_invocation),
            messages_per_month: per_month(step.messages),
            average_message_size_kb: step.average_message_size_kb.unwrap_or(1.0),
            events_per_month: per_month(step.events),
            average_event_size_kb: step.average_event_size_kb.unwrap_or(1.0),
            writes_per_month: per_month(step.writes),
            reads_per_month: per_month(step.reads),
            average_item_size_kb: step.average_item_size_kb.unwrap_or(1.0),
            strongly_consistent_reads: step.strongly_consistent_reads.unwrap_or(false),
            storage_gb: step.storage_gb.unwrap_or(0.0),
        };
        stack.resources[index].traffic = Some(traffic);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
