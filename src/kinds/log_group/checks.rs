//! The LogGroup kind's checks beyond its own document.

use super::wire::*;
use crate::spec::kind::Check;

/// CloudWatch Logs names: `[.-_/#A-Za-z0-9]` (CreateLogGroup); `aws/` starts the names AWS
/// reserves for its own services.
#[allow(clippy::ptr_arg)] // the signature every kind's physical-name check shares
pub(crate) fn physical_name(c: Check<'_, '_, LogGroupSpecWire>, physical_name: &mut String) {
    let Check { v, ctx, .. } = c;
    if let Some(bad) = physical_name.chars().find(|c| !valid_char(*c)) {
        v.diagnostics.push(
            ctx.error(
                "spec.physicalName",
                format!("`{physical_name}` is not a log group name: `{bad}` is not allowed"),
            )
            .hint("log group names use letters, digits and `.`, `-`, `_`, `/`, `#`"),
        );
    } else if physical_name.starts_with("aws/") {
        v.diagnostics.push(
            ctx.error(
                "spec.physicalName",
                format!(
                    "`{physical_name}` starts with `aws/`, which AWS keeps for its own log groups"
                ),
            )
            .hint("choose another prefix, e.g. /slsctl/<stack>/"),
        );
    }
}

/// A character CloudWatch Logs accepts in a log group name.
pub fn valid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#')
}
