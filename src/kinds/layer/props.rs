//! The props a Layer's spec wants.

use std::collections::BTreeSet;

use crate::kinds::desired::Wanted;
use serde_json::{json, Value};

use crate::model::*;
use crate::plan::{FieldValue, Props, SetProp};

/// The props the spec wants for one Layer, ownership tags aside.
pub(crate) fn props(w: &Wanted<'_, Layer>, props: &mut Props, _sensitive: &mut BTreeSet<String>) {
    let Wanted {
        resource,
        model: l,
        ctx,
        ..
    } = *w;
    let id = &resource.id;
    props.insert(
        "content.sha256".into(),
        ctx.layer_sha256
            .get(id)
            .map(|s| FieldValue::known(s.clone()))
            .unwrap_or_else(FieldValue::unknown),
    );
    let mut runtimes = l.compatible_runtimes.clone();
    runtimes.sort();
    props.set("compatibleRuntimes", json!(runtimes));
    let mut architectures: Vec<&str> = l
        .compatible_architectures
        .iter()
        .map(|a| match a {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        })
        .collect();
    architectures.sort();
    props.set("compatibleArchitectures", json!(architectures));
    props.set("description", l.description.clone());
    props.set(
        "licenseInfo",
        l.license_info.clone().map_or(Value::Null, Value::from),
    );
}
