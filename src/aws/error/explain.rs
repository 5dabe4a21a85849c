//! What an [`AwsError`] means for a person: one line saying what went wrong, then `hint:` lines
//! saying what to do, with what the environment says (profiles, endpoints, proxies).

use std::fmt;

use super::{AwsError, Cause, ErrorKind, Network};

/// What went wrong and what to do, shaped like the spec's diagnostics: one line, then hints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub what: String,
    pub hints: Vec<String>,
    /// Supporting detail (the underlying error's own words).
    pub notes: Vec<String>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)?;
        for hint in &self.hints {
            write!(f, "\n  hint: {hint}")?;
        }
        for note in &self.notes {
            write!(f, "\n  note: {note}")?;
        }
        Ok(())
    }
}

impl Explanation {
    pub fn new(what: impl Into<String>) -> Self {
        Explanation {
            what: what.into(),
            hints: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

/// The service an operation belongs to, for naming its endpoint, when the list of actions
/// names only one (the first call of every command is STS's).
fn service_of(operation: &str) -> Option<&'static str> {
    match operation {
        "GetCallerIdentity" => Some("sts"),
        op => crate::aws::permissions::action_of_operation(op)
            .and_then(|action| action.split(':').next())
            .map(|prefix| if prefix == "tag" { "tagging" } else { prefix }),
    }
}

/// AWS failed on its side (5xx): the SDK retried it.
fn server_side(error: &AwsError) -> bool {
    match error.code.as_deref() {
        Some(code) => {
            code.contains("Internal")
                || code.contains("Unavailable")
                || code == "ServiceException"
                || error.message.starts_with("HTTP 5")
        }
        None => false,
    }
}

/// The selected profile is in no file.
fn profile_not_found(profile: &str, around: &crate::aws::setup::Surroundings) -> Explanation {
    let mut explanation = Explanation::new(format!(
        "AWS profile `{profile}` is not defined in {} or {}",
        around.config_file_phrase(),
        around
            .credentials_file
            .as_ref()
            .map_or("~/.aws/credentials".to_string(), |p| p.display().to_string())
    ))
    .hint("`aws configure list-profiles` lists the defined profiles")
    .hint(format!(
        "create it: `aws configure --profile {profile}` (keys) or `aws configure sso --profile {profile}` (SSO)"
    ));
    if around.profile_variable.as_deref() == Some(profile) {
        explanation = explanation.hint(format!(
            "AWS_PROFILE={profile} selects it: set AWS_PROFILE to a defined profile, or unset it for `default`"
        ));
    }
    explanation
}

/// Explain `error` for a person, with what the environment says (`around`) and the stack's
/// region. Set-up problems get their fixes; AWS's own refusals keep AWS's words.
pub fn explain(
    error: &AwsError,
    around: &crate::aws::setup::Surroundings,
    region: Option<&str>,
) -> Explanation {
    let profile = around.profile();
    let doctor = "`slsctl doctor` checks credentials, region, account and endpoint in one go";
    let sso_profile = || {
        around.profile_setting("sso_session").is_some()
            || around.profile_setting("sso_start_url").is_some()
    };
    match error.cause.as_deref() {
        // A profile named by AWS_PROFILE that no file defines leaves the chain empty-handed.
        Some(Cause::NoCredentials)
            if around.profile_variable.is_some() && around.profile_settings().is_none() =>
        {
            profile_not_found(around.profile(), around)
        }
        Some(Cause::ProfileNotFound { profile }) => profile_not_found(profile, around),
        Some(Cause::NoCredentials) => {
            let mut explanation = Explanation::new(format!(
                "no AWS credentials: the SDK looked in the environment (AWS_ACCESS_KEY_ID), {}, SSO, web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the ECS container and the EC2 instance metadata, and found none",
                around.profile_phrase()
            ))
            .hint("to use a named profile: export AWS_PROFILE=NAME (`aws configure list-profiles` lists them)")
            .hint("with IAM Identity Center (SSO): `aws configure sso` once, then `aws sso login --profile NAME`")
            .hint("with access keys: export AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… (and AWS_SESSION_TOKEN for temporary ones)");
            if around.endpoint_is_local() {
                explanation = explanation.hint(
                    "the local emulator takes any keys: export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
                );
            }
            explanation.hint(doctor)
        }
        Some(Cause::SsoTokenExpired) => Explanation::new(format!(
            "the SSO session of {} has expired",
            around.profile_phrase()
        ))
        .hint(format!("renew it: aws sso login --profile {profile}")),
        Some(Cause::SsoNotLoggedIn) => Explanation::new(format!(
            "{} uses SSO, but this machine has no SSO session for it",
            around.profile_phrase()
        ))
        .hint(format!("log in: aws sso login --profile {profile}")),
        Some(Cause::CredentialSourceFailed { detail }) => Explanation::new(format!(
            "the AWS credentials could not be loaded: {detail}"
        ))
        .hint(format!(
            "check the settings of {} (credential_process, role_arn and source_profile, web_identity_token_file); `aws configure list` shows where credentials come from",
            around.profile_phrase()
        ))
        .hint(doctor),
        Some(Cause::CredentialsRejected) => {
            let code = error.code.as_deref().unwrap_or("");
            let source = if around.access_key_variable {
                "the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY".to_string()
            } else {
                format!("the credentials of {}", around.profile_phrase())
            };
            let (what, renew) = match code {
                "ExpiredToken" | "ExpiredTokenException" => (
                    format!("the AWS credentials have expired ({code}): {source}"),
                    if around.access_key_variable && around.session_token_variable {
                        "these are temporary keys: get new ones from where they came (`aws configure export-credentials --profile NAME --format env`, `aws sts assume-role`), or unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN to use a profile".to_string()
                    } else if sso_profile() {
                        format!("renew the SSO session: aws sso login --profile {profile}")
                    } else {
                        format!("renew them: aws sso login --profile {profile} (SSO), or refresh the profile's temporary keys")
                    },
                ),
                "SignatureDoesNotMatch" | "InvalidSignatureException" => (
                    format!("AWS refused the request's signature ({code}): the secret access key does not belong to the access key id, in {source}"),
                    "copy the secret again, or create a new access key in IAM (`aws configure --profile NAME` stores it)".to_string(),
                ),
                _ => (
                    format!("AWS does not recognise the access key ({code}): {source} name a key that was deleted, deactivated, mistyped, or belongs to another partition"),
                    "create a new access key in IAM, or use a profile (AWS_PROFILE) or SSO (`aws sso login --profile NAME`)".to_string(),
                ),
            };
            Explanation::new(what).hint(renew).hint(doctor)
        }
        Some(Cause::Denied {
            action,
            resource,
            principal,
        }) => {
            let action = action
                .as_deref()
                .map(|a| {
                    crate::aws::permissions::canonical(a)
                        .map_or(a.to_string(), str::to_string)
                })
                .or_else(|| {
                    crate::aws::permissions::action_of_operation(error.operation)
                        .map(str::to_string)
                });
            let mut what = format!(
                "AWS refused {}",
                action.as_deref().unwrap_or(error.operation)
            );
            if let Some(resource) = resource {
                what.push_str(&format!(" on {resource}"));
            }
            if let Some(principal) = principal {
                what.push_str(&format!(" to {principal}"));
            }
            if let Some(code) = &error.code {
                what.push_str(&format!(" ({code})"));
            }
            let mut explanation = Explanation::new(what);
            if let Some(action) = &action {
                explanation = explanation.hint(if crate::aws::permissions::task_role_grants(action) {
                    format!("deploy/iam/task-role-policy.json (the controller's role) grants {action}; these credentials lack it")
                } else {
                    format!("deploy/iam/task-role-policy.json (the controller's role) does not grant {action} either: it is needed only by some stacks (see deploy/README.md)")
                });
            }
            let dir = around.stack_dir.as_deref().unwrap_or("DIR");
            explanation = explanation.hint(format!(
                "the least these credentials need: `slsctl iam-policy -f {dir} --read-only` (plan) or `slsctl iam-policy -f {dir}` (apply, destroy)"
            ));
            if error.message.contains("explicit deny") {
                explanation = explanation.hint(
                    "an explicit deny (a service control policy, a permissions boundary or a resource policy) refuses it whatever is granted: ask the account's administrators",
                );
            }
            explanation.notes.push(format!("AWS said: {}", error.message));
            explanation
        }
        Some(Cause::Unreachable { network }) => {
            let service = service_of(error.operation);
            let endpoint = match service {
                Some(service) => around.endpoint_for(service, region),
                None => around.endpoint_url.clone().unwrap_or_else(|| {
                    format!("its endpoint in {}", region.unwrap_or("the region"))
                }),
            };
            let why = match network {
                Network::Dns => "its host name does not resolve",
                Network::Refused => "the connection was refused",
                Network::Tls => "the TLS handshake failed",
                Network::Timeout => "no answer in time",
                Network::Other => "the connection failed",
            };
            let mut explanation = Explanation::new(format!(
                "cannot reach AWS {}at {endpoint} ({}): {why}",
                service
                    .map(|s| s.to_ascii_uppercase() + " ")
                    .unwrap_or_default(),
                error.operation
            ));
            explanation = explanation.hint(match (&around.sts_endpoint_url, &around.endpoint_url) {
                (Some(url), _) if service == Some("sts") => format!(
                    "AWS_ENDPOINT_URL_STS={url} is set: STS calls go there; unset it to reach AWS"
                ),
                (_, Some(url)) if around.endpoint_is_local() => format!(
                    "AWS_ENDPOINT_URL={url} is set: every call goes to that local emulator; start it (scripts/emulator.sh) or unset AWS_ENDPOINT_URL to reach AWS"
                ),
                (_, Some(url)) => format!(
                    "AWS_ENDPOINT_URL={url} is set: every call goes there; unset it to reach AWS's own endpoints"
                ),
                (_, None) => "AWS_ENDPOINT_URL is not set: the SDK uses AWS's public endpoints".to_string(),
            });
            explanation = explanation.hint(if around.proxies.is_empty() {
                "no proxy variable (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY) is set; behind a corporate proxy, set HTTPS_PROXY".to_string()
            } else {
                let set: Vec<String> = around
                    .proxies
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                format!("{} set: calls go through that proxy; check it, or set NO_PROXY for the endpoint's host", set.join(", "))
            });
            match network {
                Network::Dns if around.endpoint_url.is_none() => {
                    explanation = explanation.hint(format!(
                        "check the region ({}) is a real one, and that this machine resolves names",
                        region.unwrap_or("none")
                    ))
                }
                Network::Tls => {
                    explanation = explanation.hint(
                        "a proxy that inspects TLS needs its CA certificate in the system's trust store",
                    )
                }
                _ => {}
            }
            if !error.message.is_empty() {
                explanation.notes.push(error.message.clone());
            }
            if *network != Network::Tls {
                explanation.notes.push(format!(
                    "the SDK tries each call up to {} times (AWS_MAX_ATTEMPTS)",
                    around.max_attempts
                ));
            }
            explanation
        }
        None => match error.kind {
            ErrorKind::Throttled => Explanation::new(format!(
                "AWS kept throttling {}{} through {} attempts",
                error.operation,
                error.code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
                error.attempts.unwrap_or(around.max_attempts)
            ))
            .hint("nothing is half-done: plan and apply can be re-run safely; an apply does only what is left")
            .hint(format!(
                "other clients of the same API in this account and region share its quota; AWS_MAX_ATTEMPTS raises the attempts ({} now)",
                around.max_attempts
            )),
            ErrorKind::Other if server_side(error) => Explanation::new(format!(
                "{} failed through {} attempts: AWS answered {}: {}",
                error.operation,
                error.attempts.unwrap_or(around.max_attempts),
                error.code.as_deref().unwrap_or(""),
                error.message
            ))
            .hint("AWS had a problem of its own; plan and apply can be re-run safely: an apply does only what is left"),
            _ => Explanation::new(error.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::error::tests::unanswered;

    #[test]
    fn an_unreachable_endpoint_names_the_proxy_without_its_password() {
        let around = crate::aws::setup::Surroundings {
            proxies: vec![(
                "HTTPS_PROXY",
                crate::aws::setup::without_userinfo("http://me:hunter2@proxy.corp:3128"),
            )],
            max_attempts: 6,
            ..Default::default()
        };
        let error = unanswered("invalid peer certificate: UnknownIssuer".into());
        let text = explain(&error, &around, Some("eu-west-1")).to_string();
        assert!(
            text.starts_with("cannot reach AWS STS at https://sts.eu-west-1.amazonaws.com (GetCallerIdentity): the TLS handshake failed"),
            "{text}"
        );
        assert!(
            text.contains("HTTPS_PROXY=http://proxy.corp:3128 set"),
            "{text}"
        );
        assert!(text.contains("CA certificate"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn an_expired_sso_session_names_the_command_that_renews_it() {
        let around = crate::aws::setup::Surroundings {
            profile_variable: Some("dev".into()),
            ..Default::default()
        };
        let error = unanswered(
            aws_credential_types::provider::error::CredentialsError::provider_error(
                "the SSO token has expired and cannot be refreshed",
            )
            .into(),
        );
        let explanation = explain(&error, &around, Some("us-east-1"));
        assert_eq!(
            explanation.what,
            "the SSO session of profile `dev` (AWS_PROFILE) has expired"
        );
        assert_eq!(explanation.hints, ["renew it: aws sso login --profile dev"]);
    }
}
