//! CloudWatch dashboards: find the stack's by name, read its body, put and delete it.

use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::{all_items, Clients};
use crate::plan::Props;
use crate::plan::SetProp;

/// The dashboard as GetDashboard reports it.
#[derive(Clone, Debug)]
pub struct LiveDashboard {
    pub name: String,
    pub arn: String,
    pub props: Props,
}

/// The dashboard named exactly `name`, or none. ListDashboards matches a prefix
/// (`slsctl-orders` also lists `slsctl-orders-eu`): only the exact name counts, and only it is
/// read.
pub async fn find(clients: &Clients, name: &str) -> Result<Option<LiveDashboard>, AwsError> {
    let listed: Vec<aws_sdk_cloudwatch::types::DashboardEntry> = all_items!(clients
        .cloudwatch
        .list_dashboards()
        .dashboard_name_prefix(name))?;
    if !listed.iter().any(|d| d.dashboard_name() == Some(name)) {
        return Ok(None);
    }
    read(clients, name).await
}

/// GetDashboard: the body, parsed, as the `body` prop (compared as JSON, so spacing never
/// counts as a change).
pub async fn read(clients: &Clients, name: &str) -> Result<Option<LiveDashboard>, AwsError> {
    let output = match clients
        .cloudwatch
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .classified()
    {
        Ok(output) => output,
        Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let text = output.dashboard_body().unwrap_or("{}");
    // A body that is not JSON (edited by hand into something odd) reads as its text: it differs
    // from the generated body, and the plan puts the generated one back.
    let body = serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::from(text));
    let mut props = Props::new();
    props.set("body", body);
    Ok(Some(LiveDashboard {
        name: name.to_string(),
        arn: output.dashboard_arn().unwrap_or_default().to_string(),
        props,
    }))
}

/// PutDashboard (creates or replaces). CloudWatch saves a body it has remarks about and
/// answers with validation messages: they mean the generated body is wrong somewhere, so they
/// fail the action with every message, to be seen and reported.
pub async fn put(clients: &Clients, name: &str, body: &serde_json::Value) -> Result<(), AwsError> {
    let output = clients
        .cloudwatch
        .put_dashboard()
        .dashboard_name(name)
        .dashboard_body(body.to_string())
        .send()
        .await
        .classified()?;
    let messages: Vec<String> = output
        .dashboard_validation_messages()
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m.data_path().unwrap_or("(body)"),
                m.message().unwrap_or("(no message)")
            )
        })
        .collect();
    if messages.is_empty() {
        Ok(())
    } else {
        Err(AwsError::new(
            "PutDashboard",
            ErrorKind::Validation,
            format!(
                "CloudWatch saved dashboard {name} but reported: {}",
                messages.join("; ")
            ),
        ))
    }
}

/// DeleteDashboards of this one name; one already gone is done.
pub async fn delete(clients: &Clients, name: &str) -> Result<(), AwsError> {
    clients
        .cloudwatch
        .delete_dashboards()
        .dashboard_names(name)
        .send()
        .await
        .done_or_gone()
}
