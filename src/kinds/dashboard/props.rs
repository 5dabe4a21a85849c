//! The props the Dashboard wants: its body, as one JSON value, so that a spec change shows in
//! the plan as a line diff of the body.

use std::collections::BTreeSet;

use crate::kinds::desired::Wanted;
use crate::model::Dashboard;
use crate::plan::{Props, SetProp};

/// The props the spec wants for the stack's dashboard (it carries no tags).
pub(crate) fn props(
    w: &Wanted<'_, Dashboard>,
    props: &mut Props,
    _sensitive: &mut BTreeSet<String>,
) {
    props.set("body", super::body::body(w.stack, &w.ctx.region));
}
