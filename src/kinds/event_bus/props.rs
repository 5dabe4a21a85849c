//! The EventBus kind's desired props: its description and its archive.

use std::collections::BTreeSet;

use crate::kinds::desired::Wanted;
use crate::model::EventBus;
use crate::plan::{FieldValue, Props};

/// The props the spec wants for one EventBus, ownership tags aside.
pub(crate) fn props(
    w: &Wanted<'_, EventBus>,
    props: &mut Props,
    _sensitive: &mut BTreeSet<String>,
) {
    let Wanted { model: b, .. } = *w;
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
