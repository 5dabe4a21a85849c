//! The EventBus kind's desired props: its description and its archive.

use std::collections::BTreeSet;

use crate::kinds::desired::Wanted;
use crate::model::EventBus;
use crate::plan::{Props, SetProp};

/// The props the spec wants for one EventBus, ownership tags aside.
pub(crate) fn props(
    w: &Wanted<'_, EventBus>,
    props: &mut Props,
    _sensitive: &mut BTreeSet<String>,
) {
    let Wanted { model: b, .. } = *w;
    props.set("description", b.description.clone());
    if let Some(archive) = &b.archive {
        props.set("archive.retentionDays", archive.retention_days);
        props.set(
            "archive.pattern",
            archive.pattern.clone().unwrap_or(serde_json::Value::Null),
        );
    }
}
