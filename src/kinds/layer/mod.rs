//! The layer kind.
mod apply;
pub mod aws;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use super::{kind_module, stateless, ArnOf, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::{FieldValue, KindRules};

kind_module! {
    /// A Lambda layer built from a directory.
    // Lambda LayerName.
    pub struct LayerKind: wire::LayerSpecWire => Layer, arn "lambda", name_limit 140;
}

impl TypedKind for LayerKind {
    const ARN: ArnOf<Self> = ArnOf::Computed(|w| {
        w.ctx
            .layer_version_arn
            .get(&w.resource.id)
            .map_or_else(FieldValue::unknown, |arn| FieldValue::known(arn.clone()))
    });
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("lambda:layer"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("lambda")];
    const RULES: KindRules = stateless(2, &[]);
    const TAGGED: bool = false;
}
