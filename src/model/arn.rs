//! Reading the parts of ARNs. Pure string work, here in the model so that every layer (the
//! kinds, the cost estimate) can use it without importing another.

/// A function ARN, qualified or not, as (function name, qualifier).
pub fn function_of_arn(arn: &str) -> (&str, Option<&str>) {
    let mut parts = arn.split(':').skip(6);
    let name = parts.next().unwrap_or(arn);
    (name, parts.next().filter(|q| !q.is_empty()))
}
