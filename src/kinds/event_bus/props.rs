//! The EventBus kind's desired props: its description and its archive.

use crate::model::EventBus;
use crate::plan::{FieldValue, Props};

pub(crate) fn event_bus_props(b: &EventBus, props: &mut Props) {
    props.insert(
        "description".into(),
        FieldValue::known(b.description.clone()),
    );
    if let Some(archive) = &b.archive {
        props.insert(
            "archive.retentionDays".into(),
            FieldValue::known(archive.retention_days),
        );
        props.insert(
            "archive.pattern".into(),
            FieldValue::known(archive.pattern.clone().unwrap_or(serde_json::Value::Null)),
        );
    }
}
