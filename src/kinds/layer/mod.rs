//! The layer kind.
mod apply;
pub mod aws;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use super::{kind_module, stateless, TypedKind};
use crate::plan::KindRules;

kind_module! {
    /// A Lambda layer built from a directory.
    // Lambda LayerName.
    pub struct LayerKind: wire::LayerSpecWire => Layer, arn "lambda", name_limit 140;
}

impl TypedKind for LayerKind {
    const RULES: KindRules = stateless(2, &[]);
    const TAGGED: bool = false;
}
