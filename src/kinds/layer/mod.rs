//! The layer kind.
mod apply;
pub mod aws;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use super::{kind_module, stateless, PropsFn, TypedKind};
use crate::plan::KindRules;

/// The Layer kind.
pub struct LayerKind;

kind_module!(LayerKind: wire::LayerSpecWire => Layer);

impl TypedKind for LayerKind {
    const DESCRIPTION: &'static str = "A Lambda layer built from a directory.";
    const RULES: KindRules = stateless(2, &[]);
    const PROPS: PropsFn<Self> =
        |w, props, _| props::layer_props(w.model, w.ctx, &w.resource.id, props);
    const TAGGED: bool = false;
}
