//! CloudWatch Logs: read log groups back as props, and change them. Tag calls take the group's
//! ARN without the `:*` suffix DescribeLogGroups' `arn` carries (ListTagsForResource answers an
//! ARN with it with no tags at all).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::{LogGroup, LogGroupClass};

use super::props::NEVER;
use crate::aws::error::{gone_is_done, AwsError, Classified, ErrorKind};
use crate::aws::{all_items, Clients};
use crate::kinds::context::{apply_tags, insert_tag_props, tag_map, TagChange};
use crate::plan::{FieldValue, Props, SetProp};

/// A log group as read from DescribeLogGroups and ListTagsForResource.
#[derive(Clone, Debug)]
pub struct LiveLogGroup {
    pub name: String,
    /// Without `:*`: the form the tag calls take.
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub props: Props,
}

/// The group's name in its ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`, with or without
/// `:*`); none for another ARN.
pub fn name_of_arn(arn: &str) -> Option<&str> {
    let (_, name) = arn.split_once(":log-group:")?;
    Some(name.strip_suffix(":*").unwrap_or(name))
}

/// Every group whose name starts with `prefix`, 50 a page.
pub async fn list(clients: &Clients, prefix: &str) -> Result<Vec<LogGroup>, AwsError> {
    all_items!(clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(prefix)
        .limit(50))
}

/// The group named exactly `name`, or none. DescribeLogGroups matches a prefix: `/aws/lambda/a`
/// also lists `/aws/lambda/a-b`, so only the exact name counts, page after page.
pub async fn describe(
    clients: &Clients,
    name: &str,
    tags: Option<BTreeMap<String, String>>,
) -> Result<Option<LiveLogGroup>, AwsError> {
    let groups = list(clients, name).await?;
    let Some(group) = groups
        .into_iter()
        .find(|g| g.log_group_name() == Some(name))
    else {
        return Ok(None);
    };
    live(clients, group, tags).await.map(Some)
}

/// A group as DescribeLogGroups listed it, read as props; its tags as given (from the tagging
/// query), or read from CloudWatch Logs.
pub async fn live(
    clients: &Clients,
    group: LogGroup,
    tags: Option<BTreeMap<String, String>>,
) -> Result<LiveLogGroup, AwsError> {
    let name = group.log_group_name().unwrap_or_default().to_string();
    let arn = group
        .log_group_arn()
        .or_else(|| group.arn().map(|a| a.trim_end_matches(":*")))
        .unwrap_or_default()
        .to_string();
    let tags = match tags {
        Some(tags) => tags,
        None => list_tags(clients, &arn).await?,
    };
    let mut props = Props::new();
    props.insert(
        "retentionDays".into(),
        match group.retention_in_days() {
            Some(days) => FieldValue::known(days),
            // No retention policy: the events never expire.
            None => FieldValue::known(NEVER),
        },
    );
    // moto reports no class; every group made before classes existed is STANDARD.
    props.set(
        "class",
        group
            .log_group_class()
            .map_or("STANDARD", |c| c.as_str())
            .to_string(),
    );
    insert_tag_props(&mut props, &tags);
    Ok(LiveLogGroup {
        name,
        arn,
        tags,
        props,
    })
}

pub async fn list_tags(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let output = clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .classified()?;
    Ok(tag_map(output.tags()))
}

/// Create the group with its tags in the same call. A group of that name that already carries
/// these ownership tags is this stack's own (an earlier attempt whose answer was lost): done.
/// With `adopt`, one that carries no stack's tags at all is taken over (tagged): the group
/// Lambda makes when the function ran between the plan and this create
/// (`kinds::function::derive`), the same group a plan would adopt.
pub async fn create(
    clients: &Clients,
    name: &str,
    class: &str,
    tags: HashMap<String, String>,
    adopt: bool,
) -> Result<(), AwsError> {
    let created = clients
        .logs
        .create_log_group()
        .log_group_name(name)
        .log_group_class(LogGroupClass::from(class))
        .set_tags(Some(tags.clone()))
        .send()
        .await
        .done();
    match created {
        Err(error) if error.already_exists() => match describe(clients, name, None).await? {
            Some(live) if crate::kinds::desired::same_owner(&live.tags, &tags) => Ok(()),
            Some(live) if adopt && !live.tags.contains_key(crate::kinds::desired::TAG_STACK) => {
                let change = TagChange {
                    add: tags,
                    remove: Vec::new(),
                };
                tag(clients, &live.arn, change).await
            }
            _ => Err(error),
        },
        other => other,
    }
}

/// Set the retention: a number of days, or none (never expire).
pub async fn set_retention(
    clients: &Clients,
    name: &str,
    days: Option<i32>,
) -> Result<(), AwsError> {
    match days {
        Some(days) => clients
            .logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .done(),
        None => clients
            .logs
            .delete_retention_policy()
            .log_group_name(name)
            .send()
            .await
            .done_or_gone(),
    }
}

/// Tag changes (see [`TagChange::apply`]), on the ARN without `:*`.
pub async fn tag(clients: &Clients, arn: &str, change: TagChange) -> Result<(), AwsError> {
    apply_tags!(
        change,
        clients.logs,
        tag_resource / untag_resource,
        resource_arn(arn)
    )
}

/// How long a delete waits out another operation on the group (OperationAbortedException).
const DELETE_BUDGET: Duration = Duration::from_secs(60);

/// Delete the group and its events. One already gone is done; one busy with another operation
/// is tried again for a minute.
pub async fn delete(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let busy = |error: &AwsError| {
        (error.kind == ErrorKind::Conflict
            && error.code.as_deref() == Some("OperationAbortedException"))
        .then(|| "another operation on the log group to finish".to_string())
    };
    gone_is_done(
        crate::aws::wait_out(clients, DELETE_BUDGET, busy, || async {
            clients
                .logs
                .delete_log_group()
                .log_group_name(name)
                .send()
                .await
                .done()
        })
        .await,
    )
}
