//! The layer kind.
mod apply;
pub mod aws;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use super::{kind_module, stateless, ArnOf, Context, EventKey, Packaged, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::{FieldValue, KindRules, ObservedResource};

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
    const PACKAGED: Option<Packaged<Self>> = Some(Packaged {
        dir: |layer| Some(&layer.content),
        // A layer version reports its content's hash in hex (slsctl's own description mark).
        learn: |ctx, id, package| {
            ctx.layer_sha256
                .insert(id.clone(), package.sha256_hex.clone());
        },
    });
    const LEARN_OBSERVED: Option<fn(&mut Context, &ObservedResource)> = Some(same_content);
}

/// A layer whose live version carries the spec's content hash is used as it is.
fn same_content(ctx: &mut Context, layer: &ObservedResource) {
    let live = layer.props.get("content.sha256");
    let wanted = ctx
        .layer_sha256
        .get(&layer.id)
        .map(|s| FieldValue::known(s.clone()));
    if live.is_some() && live == wanted.as_ref() {
        ctx.layer_version_arn
            .insert(layer.id.clone(), layer.arn.clone());
    }
}
