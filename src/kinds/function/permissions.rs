//! Resource-based permissions (who may invoke the function): reading, adding and removing
//! statements, and bringing slsctl's ones to the spec. slsctl's statements have ids that start
//! with `slsctl-`; the others are left alone.

use crate::plan::SetProp;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::aws::with_conflict_retry;
use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::Clients;
use crate::kinds::context::{entry_key, qualifier_of};
use crate::kinds::{ApplyCtx, Deferred};
use crate::model::ResourceId;
use crate::plan::{FieldValue, Props};

/// slsctl's permission statements on a function, as `permissions[<sid>]` props.
/// `qualifier` reads the policy of that alias instead of the function's own; the statements
/// found there carry it as `qualifier`.
pub async fn get_permissions(
    clients: &Clients,
    function: &str,
    qualifier: Option<&str>,
    ours: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Props, AwsError> {
    let policy = clients
        .lambda
        .get_policy()
        .function_name(function)
        .set_qualifier(qualifier.map(str::to_string))
        .send()
        .await
        .found()?
        .and_then(|output| output.policy().map(str::to_string));
    let parsed: Value = policy
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    let mut props = Props::new();
    for statement in parsed
        .get("Statement")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let Some(sid) = statement
            .get("Sid")
            .and_then(Value::as_str)
            .filter(|s| ours(s))
        else {
            continue;
        };
        let principal = match statement.get("Principal") {
            Some(Value::Object(p)) => p
                .get("Service")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Some(Value::String(p)) => p.clone(),
            _ => String::new(),
        };
        let action = match statement.get("Action") {
            Some(Value::Array(a)) => a
                .first()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Some(Value::String(a)) => a.clone(),
            _ => String::new(),
        };
        let source = statement
            .get("Condition")
            .and_then(|c| c.get("ArnLike").or_else(|| c.get("ArnEquals")))
            .and_then(|c| c.get("AWS:SourceArn").or_else(|| c.get("aws:SourceArn")))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut value = json!({"action": action, "principal": principal, "sourceArn": source});
        if let Some(alias) = qualifier {
            value["qualifier"] = json!(alias);
        }
        props.set(format!("permissions[{sid}]"), value);
    }
    Ok(props)
}

pub async fn add_permission(
    clients: &Clients,
    function: &str,
    sid: &str,
    value: &Value,
) -> Result<(), AwsError> {
    let text = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let qualifier = value.get("qualifier").and_then(Value::as_str);
    with_conflict_retry(clients, function, || async {
        let added = clients
            .lambda
            .add_permission()
            .function_name(function)
            .statement_id(sid)
            .set_qualifier(qualifier.map(str::to_string))
            .action(text("action"))
            .principal(text("principal"))
            .source_arn(text("sourceArn"))
            .send()
            .await
            .done();
        match added {
            // The statement id is taken: after a lost answer, by the first attempt. The same
            // statement is success; another one under slsctl's id is not retried as a conflict.
            Err(error) if error.already_exists() => {
                let ours = |s: &str| s == sid;
                let live = get_permissions(clients, function, qualifier, &ours).await?;
                let mut wanted = value.clone();
                if let Some(object) = wanted.as_object_mut() {
                    object.retain(|k, _| {
                        ["action", "principal", "sourceArn", "qualifier"].contains(&k.as_str())
                    });
                }
                if live.get(&format!("permissions[{sid}]")) == Some(&FieldValue::known(wanted)) {
                    Ok(())
                } else {
                    Err(AwsError {
                        kind: ErrorKind::Validation,
                        ..error
                    })
                }
            }
            other => other,
        }
    })
    .await
}

pub async fn remove_permission(
    clients: &Clients,
    function: &str,
    sid: &str,
    qualifier: Option<&str>,
) -> Result<(), AwsError> {
    clients
        .lambda
        .remove_permission()
        .function_name(function)
        .statement_id(sid)
        .set_qualifier(qualifier.map(str::to_string))
        .send()
        .await
        .done_or_gone()
}

/// Add the invoke permissions the spec derives and remove slsctl's ones it no longer does.
///
/// A statement moving between the function's policy and its alias's (the function gained or lost
/// its alias) is added where it goes now, and removed from where it was only at the end of the
/// apply, after the rule that invokes it has moved too: no window without permission.
pub(super) async fn sync_permissions(
    shared: &ApplyCtx,
    id: &ResourceId,
    function: &str,
    want: &crate::plan::Props,
    live: &crate::plan::Props,
) -> Result<(), AwsError> {
    let ours = |props: &crate::plan::Props| -> BTreeMap<String, Value> {
        props
            .iter()
            .filter_map(|(k, v)| {
                let sid = entry_key(k, "permissions")?;
                match v {
                    FieldValue::Known(value) => Some((sid.to_string(), value.clone())),
                    FieldValue::Unknown(_) => None,
                }
            })
            .collect()
    };
    let (wanted, existing) = (ours(want), ours(live));
    let mut moved = Vec::new();
    for (sid, value) in &existing {
        match wanted.get(sid) {
            Some(new) if new == value => {}
            Some(new) if qualifier_of(new) != qualifier_of(value) => {
                let (function, sid) = (function.to_string(), sid.clone());
                let qualifier = qualifier_of(value).map(str::to_string);
                moved.push(Deferred {
                    id: id.clone(),
                    run: Box::new(move |clients: Clients| {
                        Box::pin(async move {
                            remove_permission(&clients, &function, &sid, qualifier.as_deref()).await
                        })
                    }),
                })
            }
            _ => remove_permission(&shared.clients, function, sid, qualifier_of(value)).await?,
        }
    }
    for (sid, value) in &wanted {
        if existing.get(sid) != Some(value) {
            add_permission(&shared.clients, function, sid, value).await?;
        }
    }
    shared
        .deferred
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(moved);
    Ok(())
}
