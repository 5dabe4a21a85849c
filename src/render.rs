//! Rendering plans and apply reports: for people (Terraform-style markers and per-field diffs,
//! multi-line values diffed line by line) and for machines (JSON, see docs/plan-json.md).
//! Sensitive values are shown as `(sensitive)`; the plan itself only ever holds their digests.

use std::fmt::Write as _;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::apply::{ApplyReport, Outcome};
use crate::plan::{ActionKind, FieldChange, FieldValue, Plan};

fn value_text(value: &FieldValue) -> String {
    match value {
        FieldValue::Unknown(_) => "(known after apply)".to_string(),
        FieldValue::Known(Value::String(s)) => format!("{s:?}"),
        FieldValue::Known(Value::Null) => "null".to_string(),
        FieldValue::Known(v @ (Value::Array(_) | Value::Object(_))) => {
            let compact = v.to_string();
            if compact.len() <= 80 {
                compact
            } else {
                serde_json::to_string_pretty(v).unwrap_or(compact)
            }
        }
        FieldValue::Known(v) => v.to_string(),
    }
}

fn shown(change: &FieldChange, value: &Option<FieldValue>) -> Option<String> {
    value.as_ref().map(|v| {
        if change.sensitive && !v.is_unknown() {
            "(sensitive)".to_string()
        } else {
            value_text(v)
        }
    })
}

fn render_change(out: &mut String, change: &FieldChange) {
    let before = shown(change, &change.before);
    let after = shown(change, &change.after);
    let note = if change.forces_replacement {
        "   # forces replacement"
    } else {
        ""
    };
    match (before, after) {
        (None, Some(after)) => write_multiline(out, "+", &change.field, &after, note),
        (Some(before), None) => write_multiline(out, "-", &change.field, &before, note),
        (Some(before), Some(after)) if before.contains('\n') || after.contains('\n') => {
            let _ = writeln!(out, "      ~ {}:{note}", change.field);
            let diff = TextDiff::from_lines(&before, &after);
            for line in diff.iter_all_changes() {
                let sign = match line.tag() {
                    ChangeTag::Delete => "-",
                    ChangeTag::Insert => "+",
                    ChangeTag::Equal => " ",
                };
                let _ = writeln!(
                    out,
                    "          {sign} {}",
                    line.value().trim_end_matches('\n')
                );
            }
        }
        (Some(before), Some(after)) => {
            let _ = writeln!(out, "      ~ {}: {before} → {after}{note}", change.field);
        }
        (None, None) => {}
    }
}

fn write_multiline(out: &mut String, marker: &str, field: &str, value: &str, note: &str) {
    let mut lines = value.lines();
    let _ = writeln!(
        out,
        "      {marker} {field} = {}{note}",
        lines.next().unwrap_or("")
    );
    for line in lines {
        let _ = writeln!(out, "          {line}");
    }
}

fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// `Cost: $12.00 → $30.50 a month (+$18.50; budget $100.00)`.
fn cost_line(cost: &crate::plan::CostChange) -> String {
    let delta = cost.after_cents - cost.before_cents;
    let budget = cost
        .budget_cents
        .map(|b| format!("; budget {}", dollars(b)))
        .unwrap_or_default();
    if delta == 0 {
        format!(
            "Cost: {} a month, unchanged{budget}",
            dollars(cost.after_cents)
        )
    } else {
        format!(
            "Cost: {} → {} a month ({}{}{budget})",
            dollars(cost.before_cents),
            dollars(cost.after_cents),
            if delta > 0 { "+" } else { "" },
            dollars(delta)
        )
    }
}

/// The plan for a terminal.
pub fn plan_text(plan: &Plan) -> String {
    plan_text_with(
        plan,
        "Refused (nothing will be applied until these are resolved):",
    )
}

/// A destroy's plan: what it cannot delete does not stop the rest, and the header says so.
pub fn destroy_text(plan: &Plan) -> String {
    plan_text_with(
        plan,
        "Not deleted (the rest is deleted; destroy then exits 1):",
    )
}

fn plan_text_with(plan: &Plan, refusals_header: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Stack {} (account {}, {})",
        plan.stack, plan.account, plan.region
    );
    if plan.actions.is_empty() && plan.refusals.is_empty() {
        if plan.is_complete() {
            let _ = writeln!(
                out,
                "\nNo changes. AWS matches the spec ({} resources).",
                plan.summary.unchanged
            );
        } else {
            let _ = writeln!(
                out,
                "\nNo changes to the {} resources AWS answered for; {} left out (see below).",
                plan.summary.unchanged,
                plan.left_out.len()
            );
        }
        for note in &plan.notes {
            let _ = writeln!(out, "Note: {note}");
        }
        if let Some(cost) = &plan.cost {
            let _ = writeln!(out, "{}", cost_line(cost));
        }
        return out;
    }
    let _ = writeln!(out);
    for action in &plan.actions {
        let label = match action.action {
            ActionKind::Create => "will be created",
            ActionKind::Update => "will be updated in place",
            ActionKind::Replace => "must be replaced",
            ActionKind::Delete => "will be deleted",
            ActionKind::Release => "will be released (kept, ownership tags removed)",
            ActionKind::Adopt => "will be adopted and updated",
        };
        let _ = writeln!(
            out,
            "  {} {} ({}) {label}",
            action.action.marker(),
            action.id,
            action.physical_name
        );
        for change in &action.changes {
            render_change(&mut out, change);
        }
        for reason in &action.reasons {
            let _ = writeln!(out, "      # {reason}");
        }
        let _ = writeln!(out);
    }
    if !plan.refusals.is_empty() {
        let _ = writeln!(out, "{refusals_header}");
        for refusal in &plan.refusals {
            let _ = writeln!(out, "  ! {}", refusal.message);
            if let Some(hint) = &refusal.hint {
                let _ = writeln!(out, "    hint: {hint}");
            }
        }
        let _ = writeln!(out);
    }
    for note in &plan.notes {
        let _ = writeln!(out, "Note: {note}");
    }
    let s = &plan.summary;
    let _ = writeln!(
        out,
        "Plan: {} to create, {} to update, {} to replace, {} to delete, {} to release{}; {} unchanged.",
        s.create,
        s.update,
        s.replace,
        s.delete,
        s.release,
        if s.adopt > 0 { format!(", {} to adopt", s.adopt) } else { String::new() },
        s.unchanged
    );
    if let Some(cost) = &plan.cost {
        let _ = writeln!(out, "{}", cost_line(cost));
    }
    out
}

/// The plan as JSON, with sensitive values replaced by `(sensitive)`.
pub fn plan_json(plan: &Plan) -> Value {
    let mut plan = plan.clone();
    for action in &mut plan.actions {
        for change in &mut action.changes {
            if change.sensitive {
                for value in [&mut change.before, &mut change.after]
                    .into_iter()
                    .flatten()
                {
                    if !value.is_unknown() {
                        *value = FieldValue::known("(sensitive)");
                    }
                }
            }
        }
    }
    serde_json::to_value(plan).unwrap_or(Value::Null)
}

/// The end-of-apply summary.
pub fn report_text(report: &ApplyReport) -> String {
    let mut out = String::new();
    for entry in &report.actions {
        match &entry.outcome {
            Outcome::Done => {}
            Outcome::Failed(why) => {
                let _ = writeln!(out, "  ✗ {} {:?}: {why}", entry.id, entry.action);
            }
            Outcome::Skipped(why) => {
                let _ = writeln!(out, "  - {} skipped: {why}", entry.id);
            }
        }
    }
    let _ = writeln!(
        out,
        "Apply: {} done, {} failed, {} skipped.",
        report.done(),
        report.failed(),
        report.skipped()
    );
    out
}
