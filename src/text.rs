//! Small text helpers shared across the crate. A leaf module: it imports nothing from the crate,
//! so that anything (the AWS adapter, sources, rendering, the plan) can use it without making an
//! import cycle.

/// `text` with every occurrence of a secret shown as `(sensitive)`, as plans show them: for
/// messages that quote what was sent (AWS errors, git's stderr).
pub fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |out, secret| {
            out.replace(secret.as_str(), "(sensitive)")
        })
}

/// Lower-case hexadecimal digits of `bytes` (digests in plans, artifact names, fingerprints).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
