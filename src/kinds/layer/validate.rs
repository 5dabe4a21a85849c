//! Validation of a Layer document.

use super::wire::*;
use crate::model::*;
use crate::spec::kind::Check;
use crate::spec::load::resolve_inside_root;
use crate::spec::wire::*;

pub(crate) fn validate(c: Check<'_, '_, LayerSpecWire>) -> Option<Layer> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    let content = match resolve_inside_root(&l.dir, v.canonical_root, &s.content.path) {
        Ok(path) => path,
        Err(message) => {
            v.diagnostics
                .push(ctx.error("spec.content.path", message).hint(
                    "content.path is relative to this file and must stay inside the spec directory",
                ));
            return None;
        }
    };
    if s.compatible_runtimes.len() > 15 {
        v.diagnostics.push(ctx.error(
            "spec.compatibleRuntimes",
            "a layer lists at most 15 compatible runtimes",
        ));
    }
    for (i, r) in s.compatible_runtimes.iter().enumerate() {
        v.runtime(ctx, &format!("spec.compatibleRuntimes[{i}]"), r);
    }
    // A layer version carries its ownership in its description (versions cannot be tagged),
    // and AWS allows 256 characters in all.
    if let Some(description) = s.description.as_deref().filter(|d| !d.is_empty()) {
        let marker = layer_marker_len(&v.stack_name, &l.document.metadata.name);
        let room = 256usize.saturating_sub(marker + 1);
        if description.chars().count() > room {
            v.diagnostics.push(
                ctx.error(
                    "spec.description",
                    format!(
                        "a layer description has at most {room} characters here: AWS allows 256, and slsctl's ownership marker takes {}",
                        marker + 1
                    ),
                )
                .hint("shorten the description"),
            );
        }
    }
    Some(Layer {
        content,
        compatible_runtimes: s.compatible_runtimes.clone(),
        compatible_architectures: s
            .compatible_architectures
            .iter()
            .map(|a| match a {
                ArchitectureWire::Arm64 => Architecture::Arm64,
                ArchitectureWire::X86_64 => Architecture::X86_64,
            })
            .collect(),
        description: s.description.clone().unwrap_or_default(),
        license_info: s.license_info.clone(),
    })
}

/// The length of the ownership marker a layer version's description carries
/// (`super::aws::layer_description`: `[slsctl:stack=S slsctl:resource=Layer/N sha256=<64 hex>]`).
pub(crate) fn layer_marker_len(stack: &str, layer: &str) -> usize {
    "[slsctl:stack= slsctl:resource=Layer/ sha256=]".len() + stack.len() + layer.len() + 64
}

/// What a layer refers to: nothing.
pub(crate) fn references(_: &Layer) -> Vec<&Reference> {
    Vec::new()
}
