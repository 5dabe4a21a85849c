//! The props a MetricFilter wants, written the way observation reads them back.

use std::collections::BTreeSet;

use serde_json::json;

use super::pattern;
use crate::kinds::desired::Wanted;
use crate::model::MetricFilter;
use crate::plan::{Props, SetProp};

/// The props the spec wants for one MetricFilter (it carries no tags).
pub(crate) fn props(
    w: &Wanted<'_, MetricFilter>,
    props: &mut Props,
    _sensitive: &mut BTreeSet<String>,
) {
    let m = w.model;
    props.set("logGroup", m.log_group.clone());
    props.set("filterPattern", pattern::filter_pattern(m.log_format));
    props.set(
        "metric",
        metric(
            &super::namespace(&w.stack.name),
            &super::metric_name(&m.function_name),
            pattern::metric_value(m.log_format),
        ),
    );
}

/// The metric transformation as the props hold it.
pub(crate) fn metric(namespace: &str, name: &str, value: &str) -> serde_json::Value {
    json!({
        "namespace": namespace,
        "name": name,
        "value": value,
        "unit": "Milliseconds",
    })
}
