//! The Role kind's validation: its spec document → a [`Role`], and the checks of `permissions`
//! and `managedPolicies` it shares with a Function (whose derived role they shape).

use serde_json::Value;

use super::wire::{AccessWire, PermissionWire, RoleSpecWire};
use crate::model::{Access, Kind, Permission, Reference, Role};
use crate::spec::kind::Check;
use crate::spec::validate::{within, Ctx, Validator};

/// IAM's default quota of managed policies attached to one role.
pub const MANAGED_POLICIES_PER_ROLE: usize = 10;

pub(crate) fn validate(c: Check<'_, '_, RoleSpecWire>) -> Option<Role> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    for (i, service) in s.trust.iter().enumerate() {
        if !valid_service_principal(service) {
            v.diagnostics.push(
                ctx.error(
                    &format!("spec.trust[{i}]"),
                    format!("`{service}` is not a service principal"),
                )
                .hint("services are named like lambda.amazonaws.com or events.amazonaws.com"),
            );
        }
    }
    let permissions = permissions(v, ctx, "spec.permissions", &s.permissions);
    let managed_policies = managed_policies(v, ctx, "spec.managedPolicies", &s.managed_policies);
    let max_session_duration = v.int(
        ctx,
        "spec.maxSessionDuration",
        s.max_session_duration,
        within(3600, 3600, 43200, " seconds"),
    );
    let mut trust = s.trust.clone();
    trust.sort();
    trust.dedup();
    Some(Role {
        trust,
        permissions,
        managed_policies,
        description: s.description.clone().unwrap_or_default(),
        max_session_duration,
    })
}

/// What a role refers to: nothing it must wait for. Its policy names resources by ARN, and IAM
/// accepts the ARN of a resource that does not exist yet.
pub(crate) fn references(_: &Role) -> Vec<&Reference> {
    Vec::new()
}

fn valid_service_principal(service: &str) -> bool {
    service.ends_with(".amazonaws.com")
        && service.len() > ".amazonaws.com".len()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
}

/// The access a reference is granted, as written.
pub(crate) fn access(written: Option<AccessWire>) -> Option<Access> {
    written.map(|a| match a {
        AccessWire::Read => Access::Read,
        AccessWire::Write => Access::Write,
        AccessWire::ReadWrite => Access::ReadWrite,
    })
}

/// Whether a role can be granted `access` on a resource of `kind`, and if not, why.
pub(crate) fn grantable(kind: Kind, access: Option<Access>) -> Result<(), String> {
    match (kind, access) {
        (Kind::Table | Kind::Queue, _) => Ok(()),
        (Kind::EventBus | Kind::Function, None | Some(Access::Write)) => Ok(()),
        (Kind::EventBus, Some(_)) => {
            Err("an event bus is only written to (events:PutEvents); use `access: write`".into())
        }
        (Kind::Function, Some(_)) => {
            Err("a function is only invoked (lambda:InvokeFunction); use `access: write`".into())
        }
        (other, _) => Err(format!(
            "slsctl derives no grants on a {other}; write a `statement` instead"
        )),
    }
}

/// `permissions:` entries: references of the stack with an access level, or policy statements.
pub(crate) fn permissions(
    v: &mut Validator<'_>,
    ctx: &Ctx<'_>,
    base: &str,
    written: &[PermissionWire],
) -> Vec<Permission> {
    let mut out = Vec::new();
    for (i, p) in written.iter().enumerate() {
        let field = format!("{base}[{i}]");
        match (&p.reference, &p.statement) {
            (Some(reference), None) => {
                let access = access(p.access);
                let Some((kind_name, name)) = reference.split_once('/') else {
                    v.diagnostics.push(
                        ctx.error(
                            &format!("{field}.ref"),
                            format!("`{reference}` is not of the form Kind/name"),
                        )
                        .hint("e.g. {ref: Table/audit, access: read}"),
                    );
                    continue;
                };
                let kinds = [Kind::Table, Kind::Queue, Kind::EventBus, Kind::Function];
                let Some(kind) = Kind::parse(kind_name) else {
                    v.diagnostics.push(
                        ctx.error(&format!("{field}.ref"), format!("unknown kind `{kind_name}`"))
                            .hint("grants are derived for Table, Queue, EventBus and Function"),
                    );
                    continue;
                };
                if !kinds.contains(&kind) {
                    v.diagnostics.push(
                        ctx.error(
                            &format!("{field}.ref"),
                            format!("slsctl derives no grants on a {kind}"),
                        )
                        .hint("grants are derived for Table, Queue, EventBus and Function; write a `statement` for anything else"),
                    );
                    continue;
                }
                if let Err(why) = grantable(kind, access) {
                    v.diagnostics.push(
                        ctx.error(&format!("{field}.access"), why)
                            .hint("read, write or readWrite"),
                    );
                    continue;
                }
                if let Some(target) = v.reference(ctx, &format!("{field}.ref"), name, &[kind]) {
                    out.push(Permission::Reference {
                        target,
                        access: access.unwrap_or(default_access(kind)),
                    });
                }
            }
            (None, Some(statement)) => {
                if p.access.is_some() {
                    v.diagnostics.push(
                        ctx.error(
                            &format!("{field}.access"),
                            "`access` goes with `ref`, not with `statement`",
                        )
                        .hint("a statement says its actions itself"),
                    );
                }
                match check_statement(statement) {
                    Ok(()) => out.push(Permission::Statement(statement.clone())),
                    Err((path, message, hint)) => v.diagnostics.push(
                        ctx.error(&format!("{field}.statement{path}"), message)
                            .hint(hint),
                    ),
                }
            }
            _ => v.diagnostics.push(
                ctx.error(&field, "a permission has exactly one of `ref` and `statement`")
                    .hint("{ref: Table/audit, access: read} or {statement: {Effect: Allow, Action: [s3:GetObject], Resource: [arn:aws:s3:::bucket/*]}}"),
            ),
        }
    }
    out
}

/// What a function usually does with a resource of `kind` it refers to.
pub fn default_access(kind: Kind) -> Access {
    match kind {
        Kind::Table => Access::ReadWrite,
        _ => Access::Write,
    }
}

/// A policy statement as IAM accepts it in an identity policy: `Effect`, `Action` and
/// `Resource` (a string or a list), an optional `Condition`; no `Principal` (that belongs to
/// resource policies) and no `Sid` (slsctl names its statements, so that one can be found and
/// removed again). Errors are (path under the statement, message, hint).
pub(crate) fn check_statement(statement: &Value) -> Result<(), (String, String, String)> {
    let fail = |path: &str, message: String, hint: &str| {
        Err((path.to_string(), message, hint.to_string()))
    };
    let Some(fields) = statement.as_object() else {
        return fail(
            "",
            "a statement is a mapping".into(),
            "{Effect: Allow, Action: [...], Resource: [...]}",
        );
    };
    for key in fields.keys() {
        match key.as_str() {
            "Effect" | "Action" | "Resource" | "Condition" => {}
            "Sid" => {
                return fail(
                    ".Sid",
                    "slsctl names the statements of the policies it derives".into(),
                    "remove `Sid`",
                )
            }
            "Principal" | "NotPrincipal" => {
                return fail(
                    &format!(".{key}"),
                    format!("`{key}` belongs to resource policies, not to a role's policy"),
                    "remove it; the role is the principal",
                )
            }
            "NotAction" | "NotResource" => {
                return fail(
                    &format!(".{key}"),
                    format!(
                    "`{key}` grants everything but the listed ones, which is not least privilege"
                ),
                    "list the actions and resources granted with Action and Resource",
                )
            }
            other => {
                return fail(
                    &format!(".{other}"),
                    format!("unknown statement element `{other}`"),
                    "a statement has Effect, Action, Resource and optionally Condition",
                )
            }
        }
    }
    match fields.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        _ => {
            return fail(
                ".Effect",
                "`Effect` is `Allow` or `Deny`".into(),
                "Effect: Allow",
            )
        }
    }
    let list = |key: &str| -> Option<Vec<&str>> {
        match fields.get(key)? {
            Value::String(one) => Some(vec![one.as_str()]),
            Value::Array(many) if !many.is_empty() => many.iter().map(Value::as_str).collect(),
            _ => None,
        }
    };
    let Some(actions) = list("Action") else {
        return fail(
            ".Action",
            "`Action` is an action or a non-empty list of them".into(),
            "e.g. Action: [s3:GetObject]",
        );
    };
    for action in actions {
        if !valid_action(action) {
            return fail(
                ".Action",
                format!("`{action}` is not an IAM action"),
                "actions are service:Name, e.g. s3:GetObject or s3:Get*",
            );
        }
    }
    let Some(resources) = list("Resource") else {
        return fail(
            ".Resource",
            "`Resource` is an ARN or a non-empty list of them".into(),
            "e.g. Resource: [arn:aws:s3:::my-bucket/*]",
        );
    };
    for resource in resources {
        if resource != "*" && !(resource.starts_with("arn:") && resource.split(':').count() >= 6) {
            return fail(
                ".Resource",
                format!("`{resource}` is not an ARN"),
                "ARNs look like arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE; `*` for all",
            );
        }
    }
    if let Some(condition) = fields.get("Condition") {
        if !condition.is_object() {
            return fail(
                ".Condition",
                "`Condition` is a mapping of operators to keys and values".into(),
                "e.g. Condition: {StringEquals: {aws:RequestedRegion: eu-west-1}}",
            );
        }
    }
    Ok(())
}

/// `service:Action`, the action possibly with `*` and `?` wildcards.
fn valid_action(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return action == "*";
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?'))
}

/// `managedPolicies:`: managed policy ARNs (AWS's or the account's), at most IAM's default
/// quota per role.
pub(crate) fn managed_policies(
    v: &mut Validator<'_>,
    ctx: &Ctx<'_>,
    field: &str,
    written: &[String],
) -> Vec<String> {
    for (i, arn) in written.iter().enumerate() {
        if !valid_policy_arn(arn) {
            v.diagnostics.push(
                ctx.error(
                    &format!("{field}[{i}]"),
                    format!("`{arn}` is not a managed policy ARN"),
                )
                .hint("arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME"),
            );
        }
    }
    if written.len() > MANAGED_POLICIES_PER_ROLE {
        v.diagnostics.push(
            ctx.error(
                field,
                format!(
                    "{} managed policies; IAM attaches at most {MANAGED_POLICIES_PER_ROLE} to a role by default",
                    written.len()
                ),
            )
            .hint("merge policies, or raise the quota with Service Quotas first"),
        );
    }
    let mut arns = written.to_vec();
    arns.sort();
    arns.dedup();
    arns
}

pub use crate::model::arn::is_policy_arn as valid_policy_arn;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statements_are_checked_for_what_iam_refuses_and_what_is_not_least_privilege() {
        let good = json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"], "Resource": "arn:aws:s3:::b/*"});
        assert!(check_statement(&good).is_ok());
        let cases = [
            (
                json!({"Effect": "Allow", "Action": "s3:GetObject"}),
                ".Resource",
            ),
            (
                json!({"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}),
                ".Effect",
            ),
            (
                json!({"Effect": "Allow", "Action": "GetObject", "Resource": "*"}),
                ".Action",
            ),
            (
                json!({"Effect": "Allow", "Action": [], "Resource": "*"}),
                ".Action",
            ),
            (
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket"}),
                ".Resource",
            ),
            (
                json!({"Sid": "X", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
                ".Sid",
            ),
            (
                json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
                ".NotAction",
            ),
            (
                json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}),
                ".Principal",
            ),
        ];
        for (statement, path) in cases {
            let (at, _, _) = check_statement(&statement).expect_err(&statement.to_string());
            assert_eq!(at, path, "{statement}");
        }
    }

    #[test]
    fn managed_policy_arns_are_aws_or_an_account_s() {
        assert!(valid_policy_arn(
            "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
        ));
        assert!(valid_policy_arn(
            "arn:aws:iam::123456789012:policy/team/read-reports"
        ));
        assert!(!valid_policy_arn("arn:aws:iam::123456789012:role/r"));
        assert!(!valid_policy_arn("arn:aws:iam::12345:policy/p"));
        assert!(!valid_policy_arn("AWSXRayDaemonWriteAccess"));
    }
}
