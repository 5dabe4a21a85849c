//! IAM calls for roles: one `ListRoles` by the stack's path finds them, four reads describe
//! one (the role with its tags and boundary, its inline policies, slsctl's policy, its managed
//! policies), and the writes that change them.
//!
//! IAM documents are URL-encoded in every answer (and raw in moto's ListRoles); they are read
//! through [`policy::document_of`]/[`policy::statements_of`], which decode either.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::policy;
use crate::aws::error::{gone_is_done, AwsError, Classified, ErrorKind};
use crate::aws::{all_items, Clients};
use crate::kinds::context::{apply_tags, listed_tags, tag_list, TagChange};
use crate::kinds::observe::insert_tags;
use crate::plan::{FieldValue, Props, SetProp};

/// How long IAM may take to let a role go after its policies were removed: detaches and
/// deletes propagate too, and `DeleteRole` answers `DeleteConflict` meanwhile.
const DELETE_PROPAGATION: std::time::Duration = std::time::Duration::from_secs(120);

/// A role found by the listing of the stack's path.
#[derive(Clone, Debug)]
pub struct Listed {
    pub name: String,
    pub path: String,
}

/// The roles under `path` (a prefix ending in `/`), 100 per page (ListRoles's default page;
/// the quota is 1,000 roles per account).
pub async fn list_roles(clients: &Clients, path: &str) -> Result<Vec<Listed>, AwsError> {
    let roles = all_items!(clients.iam.list_roles().path_prefix(path))?;
    let mut listed: Vec<Listed> = roles
        .into_iter()
        // A plain prefix: keep the stack's own path, not a deeper one someone made under it.
        .filter(|r| r.path() == path)
        .map(|r| Listed {
            name: r.role_name().to_string(),
            path: r.path().to_string(),
        })
        .collect();
    // IAM lists in no promised order (moto: by random id).
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listed)
}

/// One role as the desired props name its fields.
#[derive(Clone, Debug)]
pub struct LiveRole {
    pub arn: String,
    pub props: Props,
}

/// Read one role: `None` when it does not exist. Its props hold every field the Role kind's
/// props do; a role of someone else's is read the same way (its tags say whose it is).
pub async fn read_role(clients: &Clients, name: &str) -> Result<Option<LiveRole>, AwsError> {
    let found = clients
        .iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .found()?;
    let Some(role) = found.and_then(|o| o.role) else {
        return Ok(None);
    };
    let mut props = Props::new();
    props.set("path", role.path());
    let trust = role
        .assume_role_policy_document()
        .and_then(policy::document_of)
        .unwrap_or(Value::Null);
    props.set("trust", trust);
    props.set("description", role.description().unwrap_or_default());
    props.set(
        "maxSessionDuration",
        role.max_session_duration().unwrap_or(3600),
    );
    props.set(
        "permissionsBoundary",
        role.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .unwrap_or_default(),
    );
    insert_tags(&mut props, listed_tags(role.tags()));
    let names = all_items!(clients.iam.list_role_policies().role_name(name))?;
    let others: Vec<String> = names
        .iter()
        .filter(|n| *n != policy::POLICY_NAME)
        .cloned()
        .collect();
    props.set("inlinePolicies", others);
    if names.iter().any(|n| n == policy::POLICY_NAME) {
        let document = clients
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy::POLICY_NAME)
            .send()
            .await
            .found()?;
        let statements = document
            .and_then(|d| policy::statements_of(d.policy_document()))
            .unwrap_or_default();
        for (sid, statement) in statements {
            props.set(format!("policy.{sid}"), statement);
        }
    }
    let attached = all_items!(clients.iam.list_attached_role_policies().role_name(name))?;
    let mut managed: Vec<String> = attached
        .iter()
        .filter_map(|p| p.policy_arn().map(String::from))
        .collect();
    managed.sort();
    props.set("managedPolicies", managed);
    Ok(Some(LiveRole {
        arn: role.arn().to_string(),
        props,
    }))
}

/// Everything CreateRole takes.
#[derive(Clone, Debug)]
pub struct RoleInput {
    pub name: String,
    pub path: String,
    pub trust: Value,
    pub description: String,
    pub max_session_duration: i32,
    pub permissions_boundary: Option<String>,
    pub tags: HashMap<String, String>,
}

/// Create a role with its tags and boundary. A role of that name with this stack's ownership
/// tags is the answer of an earlier attempt whose answer was lost, and is taken as created;
/// any other is someone else's, and the error stands.
pub async fn create_role(clients: &Clients, input: &RoleInput) -> Result<(), AwsError> {
    let created = clients
        .iam
        .create_role()
        .role_name(&input.name)
        .path(&input.path)
        .assume_role_policy_document(input.trust.to_string())
        .description(&input.description)
        .max_session_duration(input.max_session_duration)
        .set_permissions_boundary(input.permissions_boundary.clone())
        .set_tags(Some(tag_list(&input.tags)?))
        .send()
        .await
        .done();
    match created {
        Err(error) if error.already_exists() => {
            let live = read_role(clients, &input.name).await?;
            let owned = live.is_some_and(|live| {
                let tags: BTreeMap<String, String> = live
                    .props
                    .iter()
                    .filter_map(|(k, v)| match v {
                        FieldValue::Known(Value::String(v)) => {
                            Some((k.strip_prefix("tags.")?.to_string(), v.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                crate::kinds::desired::same_owner(&tags, &input.tags)
            });
            if owned {
                Ok(())
            } else {
                Err(error)
            }
        }
        other => other,
    }
}

/// Write slsctl's inline policy (the whole document: IAM replaces a policy of that name).
pub async fn put_policy(clients: &Clients, role: &str, document: &Value) -> Result<(), AwsError> {
    let size = policy::policy_size(document);
    if size > policy::INLINE_POLICY_LIMIT {
        return Err(AwsError::new(
            "PutRolePolicy",
            ErrorKind::Validation,
            format!(
                "the policy derived for role {role} has {size} characters; IAM allows {} for a role's inline policies (hint: give the functions separate roles, or move grants into managedPolicies)",
                policy::INLINE_POLICY_LIMIT
            ),
        ));
    }
    clients
        .iam
        .put_role_policy()
        .role_name(role)
        .policy_name(policy::POLICY_NAME)
        .policy_document(document.to_string())
        .send()
        .await
        .done()
}

pub async fn delete_policy(clients: &Clients, role: &str, name: &str) -> Result<(), AwsError> {
    clients
        .iam
        .delete_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .done_or_gone()
}

pub async fn attach(clients: &Clients, role: &str, policy_arn: &str) -> Result<(), AwsError> {
    clients
        .iam
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .done()
}

pub async fn detach(clients: &Clients, role: &str, policy_arn: &str) -> Result<(), AwsError> {
    clients
        .iam
        .detach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .done_or_gone()
}

pub async fn update_trust(clients: &Clients, role: &str, trust: &Value) -> Result<(), AwsError> {
    clients
        .iam
        .update_assume_role_policy()
        .role_name(role)
        .policy_document(trust.to_string())
        .send()
        .await
        .done()
}

pub async fn update_role(
    clients: &Clients,
    role: &str,
    description: &str,
    max_session_duration: i32,
) -> Result<(), AwsError> {
    clients
        .iam
        .update_role()
        .role_name(role)
        .description(description)
        .max_session_duration(max_session_duration)
        .send()
        .await
        .done()
}

/// Set the permissions boundary, or remove it (`None`).
pub async fn set_boundary(
    clients: &Clients,
    role: &str,
    boundary: Option<&str>,
) -> Result<(), AwsError> {
    match boundary {
        Some(arn) => clients
            .iam
            .put_role_permissions_boundary()
            .role_name(role)
            .permissions_boundary(arn)
            .send()
            .await
            .done(),
        None => clients
            .iam
            .delete_role_permissions_boundary()
            .role_name(role)
            .send()
            .await
            .done_or_gone(),
    }
}

/// Tag changes (see [`TagChange::apply`]).
pub async fn tag(clients: &Clients, role: &str, change: TagChange) -> Result<(), AwsError> {
    apply_tags!(
        change.try_map(tag_list)?,
        clients.iam,
        tag_role / untag_role,
        role_name(role)
    )
}

/// Delete a role: IAM refuses while any policy remains, so first its managed policies are
/// detached and its inline ones deleted (whoever added them: the role is this stack's).
pub async fn delete_role(clients: &Clients, role: &str) -> Result<(), AwsError> {
    let Some(live) = read_role(clients, role).await? else {
        return Ok(());
    };
    if let Some(FieldValue::Known(Value::Array(arns))) = live.props.get("managedPolicies") {
        for arn in arns.iter().filter_map(Value::as_str) {
            detach(clients, role, arn).await?;
        }
    }
    let mut inline: Vec<String> = match live.props.get("inlinePolicies") {
        Some(FieldValue::Known(Value::Array(names))) => names
            .iter()
            .filter_map(|n| n.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    if live.props.keys().any(|k| k.starts_with("policy.")) {
        inline.push(policy::POLICY_NAME.to_string());
    }
    for name in &inline {
        delete_policy(clients, role, name).await?;
    }
    let still_attached = |error: &AwsError| {
        (error.code.as_deref() == Some("DeleteConflict"))
            .then(|| "IAM to propagate the removal of the role's policies".to_string())
    };
    gone_is_done(
        crate::aws::wait_out(clients, DELETE_PROPAGATION, still_attached, || async {
            clients
                .iam
                .delete_role()
                .role_name(role)
                .send()
                .await
                .done()
        })
        .await,
    )
}
