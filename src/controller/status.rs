//! What the controller tells about a stack: its status on this replica (`/api/stacks`, the
//! status page), and the short report its holder writes into the lease item for the others.

use serde::Serialize;

use crate::plan::Summary;

/// A stack's conditions, as `/api/stacks` shows them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StackStatus {
    pub ready: bool,
    pub synced: bool,
    pub drifted: bool,
    pub degraded: bool,
    /// The revision last applied (or planned, in report mode) without error.
    pub revision: Option<String>,
    pub last_plan: Option<Summary>,
    /// The last plan that had changes, as `slsctl plan` prints it (sensitive values masked):
    /// what drift was healed, or in report mode what is waiting.
    pub last_diff: Option<String>,
    pub last_error: Option<String>,
    pub reconciles: u64,
    pub failures: u64,
    pub last_duration_seconds: f64,
    /// The stack's diagram with each resource's state after the last reconcile, for the
    /// status page; too large for the JSON API. Kept as drawn, not as SVG: the SVG of a stack of
    /// a hundred resources is ~100 KB, rendered when a page asks for it.
    #[serde(skip)]
    pub diagram: Option<std::sync::Arc<StatePicture>>,
    /// The stack's alarms and their states, read after each reconcile that applied (or found
    /// nothing to apply); an alarm in ALARM makes the stack Degraded.
    pub alarms: Vec<AlarmStatus>,
    /// Where the stack was last planned, and its dashboard's name when it has one: for the
    /// console links of the status page.
    pub region: Option<String>,
    pub dashboard: Option<String>,
    /// The replica holding the stack's lease, as this replica last read the lease table; none
    /// without a lease (this replica reconciles everything) or while nobody holds it.
    pub holder: Option<String>,
}

/// A stack's diagram and each resource's state in it (`diagram::render::svg` draws them).
#[derive(Clone, Debug)]
pub struct StatePicture {
    pub diagram: crate::diagram::Diagram,
    pub states: std::collections::BTreeMap<String, String>,
}

impl StatePicture {
    pub fn svg(&self) -> String {
        crate::diagram::render::svg(&self.diagram, &self.states)
    }
}

/// One alarm of a stack as the last reconcile read it.
#[derive(Clone, Debug, Serialize)]
pub struct AlarmStatus {
    /// The alarm's name in CloudWatch.
    pub name: String,
    /// `Alarm/<Kind>/<name>/<check>`: what it watches and which check.
    pub resource: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
}

impl StackStatus {
    /// The names of the stack's alarms in ALARM.
    pub fn alarms_firing(&self) -> Vec<&str> {
        self.alarms
            .iter()
            .filter(|a| a.state == "ALARM")
            .map(|a| a.name.as_str())
            .collect()
    }
}

/// The most of a plan's text a stack's status keeps (`last_diff`). The first apply of a
/// 100-function stack prints over 500 KB (every derived resource's every field), held for as
/// long as the controller runs, per stack; drift worth showing on a status page is a few
/// resources. The whole plan is one `slsctl plan` away.
pub const KEPT_DIFF_BYTES: usize = 32 * 1024;

/// `diff` cut after its last whole line within [`KEPT_DIFF_BYTES`], with a last line saying
/// how much was left out and where to see it.
pub fn kept_diff(diff: String) -> String {
    if diff.len() <= KEPT_DIFF_BYTES {
        return diff;
    }
    let mut end = KEPT_DIFF_BYTES;
    while !diff.is_char_boundary(end) {
        end -= 1;
    }
    let end = diff[..end].rfind('\n').map_or(end, |at| at + 1);
    let left_out = diff[end..].lines().count();
    // Built at its final size: a pushed line would double the kept diff's capacity, and it is
    // held for as long as the stack is.
    let note = format!(
        "… {left_out} more lines not kept by the controller: `slsctl plan` shows the whole plan\n"
    );
    let mut kept = String::with_capacity(end + note.len());
    kept.push_str(&diff[..end]);
    kept.push_str(&note);
    kept
}

/// What the holder of a stack tells the other replicas about it, through the lease item.
#[derive(Debug, Serialize, serde::Deserialize)]
pub(super) struct Report {
    ready: bool,
    synced: bool,
    drifted: bool,
    degraded: bool,
    revision: Option<String>,
    reconciles: u64,
    failures: u64,
    last_error: Option<String>,
    last_plan: Option<Summary>,
}

/// A report's error is cut to this many characters: the item is rewritten every tick.
const REPORTED_ERROR_CHARS: usize = 500;

impl Report {
    pub(super) fn of(status: &StackStatus) -> Report {
        Report {
            ready: status.ready,
            synced: status.synced,
            drifted: status.drifted,
            degraded: status.degraded,
            revision: status.revision.clone(),
            reconciles: status.reconciles,
            failures: status.failures,
            last_error: status
                .last_error
                .as_ref()
                .map(|e| e.chars().take(REPORTED_ERROR_CHARS).collect()),
            last_plan: status.last_plan.clone(),
        }
    }

    pub(super) fn overlay(self, status: &mut StackStatus) {
        status.ready = self.ready;
        status.synced = self.synced;
        status.drifted = self.drifted;
        status.degraded = self.degraded;
        status.revision = self.revision;
        status.reconciles = self.reconciles;
        status.failures = self.failures;
        status.last_error = self.last_error;
        status.last_plan = self.last_plan;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_diff_is_kept_whole() {
        let diff = "~ Function/worker\n    memorySize: 128 → 256\n".to_string();
        assert_eq!(kept_diff(diff.clone()), diff);
    }

    #[test]
    fn a_long_diff_is_cut_after_a_whole_line_and_says_how_many_lines_went() {
        let line = "+ Alarm/Function/worker/errorRate   threshold: 1 → 5   (ünïcode)\n";
        let lines = KEPT_DIFF_BYTES / line.len() * 3;
        let diff = line.repeat(lines);
        let kept = kept_diff(diff);
        let (body, last) = kept.trim_end().rsplit_once('\n').unwrap();
        assert!(body.len() <= KEPT_DIFF_BYTES, "{}", body.len());
        assert!(body.lines().all(|l| format!("{l}\n") == line));
        let whole = body.lines().count();
        assert_eq!(
            last,
            format!(
                "… {} more lines not kept by the controller: `slsctl plan` shows the whole plan",
                lines - whole
            )
        );
    }
}
