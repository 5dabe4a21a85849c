//! The Role kind's apply: create a role with its trust, tags and boundary, then its policies;
//! change each part on its own; delete it with its policies.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{aws, policy};
use crate::aws::AwsError;
use crate::kinds::context::{int, observed_of, tags_of, text, wanted_now, TagChange};
use crate::kinds::ApplyCtx;
use crate::plan::{ActionKind, FieldValue, Props, ResourceAction};

/// The statements of slsctl's inline policy, by `Sid`, as props hold them.
fn statements(props: &Props) -> BTreeMap<String, Value> {
    props
        .iter()
        .filter_map(|(field, value)| match value {
            FieldValue::Known(statement) => Some((
                field.strip_prefix("policy.")?.to_string(),
                statement.clone(),
            )),
            FieldValue::Unknown(_) => None,
        })
        .collect()
}

/// A prop holding a list of strings (managed policy ARNs, inline policy names).
fn names(props: &Props, field: &str) -> BTreeSet<String> {
    match props.get(field) {
        Some(FieldValue::Known(Value::Array(items))) => items
            .iter()
            .filter_map(|i| i.as_str().map(String::from))
            .collect(),
        _ => BTreeSet::new(),
    }
}

fn known(props: &Props, field: &str) -> Value {
    match props.get(field) {
        Some(FieldValue::Known(value)) => value.clone(),
        _ => Value::Null,
    }
}

/// Write slsctl's policy as the props want it: the whole document, or none when no statement
/// is left.
async fn write_policy(ctx: &ApplyCtx, role: &str, want: &Props) -> Result<(), AwsError> {
    let statements = statements(want);
    if statements.is_empty() {
        aws::delete_policy(&ctx.clients, role, policy::POLICY_NAME).await
    } else {
        aws::put_policy(&ctx.clients, role, &policy::policy_document(&statements)).await
    }
}

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let name = action.physical_name.as_str();
    match action.action {
        ActionKind::Delete => aws::delete_role(clients, name).await,
        ActionKind::Release => aws::tag(clients, name, TagChange::release()).await,
        ActionKind::Create | ActionKind::Replace => {
            if action.action == ActionKind::Replace {
                aws::delete_role(clients, name).await?;
            }
            let want = wanted_now(shared, &action.id)?;
            let boundary = text(&want.props, "permissionsBoundary").filter(|b| !b.is_empty());
            aws::create_role(
                clients,
                &aws::RoleInput {
                    name: name.to_string(),
                    path: text(&want.props, "path").unwrap_or_else(|| "/".into()),
                    trust: known(&want.props, "trust"),
                    description: text(&want.props, "description").unwrap_or_default(),
                    max_session_duration: int(&want.props, "maxSessionDuration").unwrap_or(3600),
                    permissions_boundary: boundary,
                    tags: tags_of(&want.props),
                },
            )
            .await?;
            if !statements(&want.props).is_empty() {
                write_policy(shared, name, &want.props).await?;
            }
            for arn in names(&want.props, "managedPolicies") {
                aws::attach(clients, name, &arn).await?;
            }
            Ok(())
        }
        ActionKind::Update | ActionKind::Adopt => {
            let want = wanted_now(shared, &action.id)?;
            let live = observed_of(shared, &action.id)
                .map(|o| o.props.clone())
                .unwrap_or_default();
            let changed = |prefix: &str| action.changes.iter().any(|c| c.field.starts_with(prefix));
            if changed("trust") {
                aws::update_trust(clients, name, &known(&want.props, "trust")).await?;
            }
            if changed("description") || changed("maxSessionDuration") {
                aws::update_role(
                    clients,
                    name,
                    &text(&want.props, "description").unwrap_or_default(),
                    int(&want.props, "maxSessionDuration").unwrap_or(3600),
                )
                .await?;
            }
            if changed("permissionsBoundary") {
                let boundary = text(&want.props, "permissionsBoundary").filter(|b| !b.is_empty());
                aws::set_boundary(clients, name, boundary.as_deref()).await?;
            }
            // Grants are added before the ones they replace are removed, so that nothing
            // using the role loses a permission it still has in the spec.
            if changed("policy.") {
                write_policy(shared, name, &want.props).await?;
            }
            let (wanted, attached) = (
                names(&want.props, "managedPolicies"),
                names(&live, "managedPolicies"),
            );
            for arn in wanted.difference(&attached) {
                aws::attach(clients, name, arn).await?;
            }
            for arn in attached.difference(&wanted) {
                aws::detach(clients, name, arn).await?;
            }
            for other in names(&live, "inlinePolicies") {
                aws::delete_policy(clients, name, &other).await?;
            }
            aws::tag(clients, name, TagChange::of(action)).await
        }
    }
}
