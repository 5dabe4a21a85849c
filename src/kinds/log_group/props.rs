//! The props a LogGroup's spec wants, written the way observation reads them back.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::kinds::desired::Wanted;
use crate::model::LogGroup;
use crate::plan::{FieldValue, Props, SetProp};

/// How `retentionDays` reads when the group never expires (CloudWatch Logs then reports no
/// retention at all).
pub const NEVER: &str = "never";

/// The props the spec wants for one LogGroup, ownership tags aside.
pub(crate) fn props(
    w: &Wanted<'_, LogGroup>,
    props: &mut Props,
    _sensitive: &mut BTreeSet<String>,
) {
    let g = w.model;
    props.insert(
        "retentionDays".into(),
        match g.retention_days {
            Some(days) => FieldValue::known(days),
            None => FieldValue::known(NEVER),
        },
    );
    props.set("class", g.class.as_str());
}

/// What a released group goes on doing, for the plan: its events still expire (that retention
/// bounds its cost), or they never do.
pub(crate) fn released(live: &Props) -> Option<String> {
    match live.get("retentionDays") {
        Some(FieldValue::Known(Value::Number(days))) => Some(format!(
            "its events still expire after {days} days, which bounds what it costs"
        )),
        Some(FieldValue::Known(Value::String(never))) if never == NEVER => {
            Some("its events never expire: it is billed for them until it is deleted".into())
        }
        _ => None,
    }
}
