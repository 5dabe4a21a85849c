//! Reading the parts of ARNs. Pure string work, here in the model so that every layer (the
//! kinds, the cost estimate) can use it without importing another.

/// A function ARN, qualified or not, as (function name, qualifier).
pub fn function_of_arn(arn: &str) -> (&str, Option<&str>) {
    let mut parts = arn.split(':').skip(6);
    let name = parts.next().unwrap_or(arn);
    (name, parts.next().filter(|q| !q.is_empty()))
}

/// The IAM path of a stack's roles, `/slsctl/<stack>/`: one `ListRoles` by this prefix finds them
/// all (IAM is not in the tagging API). It ends with `/`, so that stack `orders` does not list
/// `orders-v2`'s.
pub fn role_path(stack: &str) -> String {
    format!("/slsctl/{stack}/")
}

/// `arn:PARTITION:iam::(aws|ACCOUNT):policy/[PATH/]NAME`: a managed policy, AWS's or an account's.
pub fn is_policy_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && (parts[4] == "aws"
            || (parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit())))
        && parts[5]
            .strip_prefix("policy/")
            .is_some_and(|rest| !rest.is_empty())
}
