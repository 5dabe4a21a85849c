//! DynamoDB: observe tables (DescribeTable, DescribeTimeToLive, DescribeContinuousBackups) and
//! change them, one index per UpdateTable as AWS requires, waiting for ACTIVE in between.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ProvisionedThroughput,
    ScalarAttributeType, SseSpecification, SseType, StreamSpecification, StreamViewType,
    TableClass, TableStatus, Tag, TimeToLiveSpecification,
};
use serde_json::{json, Value};

use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::Clients;
use crate::kinds::context::{
    apply_tags, built, insert_tag_props, listed_tags, tag_list, waited, TagChange,
};
use crate::model;
use crate::plan::{Props, SetProp};

// The update steps live in `update.rs`; callers reach them here, next to create and delete.
pub use super::update::{update, update_steps};

/// How long an index or a table may take to become ACTIVE.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(1800);

/// A table as read from AWS.
#[derive(Clone, Debug)]
pub struct LiveTable {
    pub name: String,
    pub arn: String,
    pub props: Props,
    pub items: u64,
    /// What the table has that the spec cannot say (local indexes, replicas), for `import live`
    /// to list: slsctl leaves it as it is.
    pub unmodelled: Vec<String>,
}

fn key_json(name: &str, types: &BTreeMap<String, String>) -> Value {
    json!({"name": name, "type": types.get(name).cloned().unwrap_or_else(|| "S".into())})
}

/// Describe a table and its TTL and backup settings; `None` when it does not exist.
pub async fn describe(
    clients: &Clients,
    name: &str,
    tags: BTreeMap<String, String>,
) -> Result<Option<LiveTable>, AwsError> {
    let output = clients
        .dynamodb
        .describe_table()
        .table_name(name)
        .send()
        .await
        .found()?;
    // A table being deleted is gone as far as a plan goes (its name is taken until then;
    // `create` waits for that).
    let Some(table) = output
        .and_then(|o| o.table)
        .filter(|t| t.table_status() != Some(&TableStatus::Deleting))
    else {
        return Ok(None);
    };
    let types: BTreeMap<String, String> = table
        .attribute_definitions()
        .iter()
        .map(|a| {
            (
                a.attribute_name().to_string(),
                a.attribute_type().as_str().to_string(),
            )
        })
        .collect();
    let key = |schema: &[KeySchemaElement], kind: KeyType| {
        schema
            .iter()
            .find(|k| *k.key_type() == kind)
            .map(|k| key_json(k.attribute_name(), &types))
    };
    let mut props = Props::new();
    if let Some(pk) = key(table.key_schema(), KeyType::Hash) {
        props.set("partitionKey", pk);
    }
    if let Some(sk) = key(table.key_schema(), KeyType::Range) {
        props.set("sortKey", sk);
    }
    let on_demand = table.billing_mode_summary().and_then(|b| b.billing_mode())
        == Some(&BillingMode::PayPerRequest);
    props.set(
        "billingMode",
        if on_demand {
            "PAY_PER_REQUEST"
        } else {
            "PROVISIONED"
        },
    );
    if !on_demand {
        let throughput = table.provisioned_throughput();
        props.set(
            "readCapacity",
            throughput
                .and_then(|t| t.read_capacity_units())
                .unwrap_or(0),
        );
        props.set(
            "writeCapacity",
            throughput
                .and_then(|t| t.write_capacity_units())
                .unwrap_or(0),
        );
    }
    for index in table.global_secondary_indexes() {
        let Some(name) = index.index_name() else {
            continue;
        };
        let mut value = json!({});
        if let Some(pk) = key(index.key_schema(), KeyType::Hash) {
            value["partitionKey"] = pk;
        }
        if let Some(sk) = key(index.key_schema(), KeyType::Range) {
            value["sortKey"] = sk;
        }
        let projection = index.projection();
        value["projection"] = json!(projection
            .and_then(|p| p.projection_type())
            .map_or("ALL", |p| p.as_str()));
        let mut non_key: Vec<&str> = projection
            .map(|p| p.non_key_attributes().iter().map(String::as_str).collect())
            .unwrap_or_default();
        non_key.sort();
        if !non_key.is_empty() {
            value["nonKeyAttributes"] = json!(non_key);
        }
        if !on_demand {
            let throughput = index.provisioned_throughput();
            value["readCapacity"] = json!(throughput
                .and_then(|t| t.read_capacity_units())
                .unwrap_or(0));
            value["writeCapacity"] = json!(throughput
                .and_then(|t| t.write_capacity_units())
                .unwrap_or(0));
        }
        props.set(format!("globalSecondaryIndexes[{name}]"), value);
    }
    if let Some(stream) = table.stream_specification().filter(|s| s.stream_enabled()) {
        props.set(
            "stream",
            stream.stream_view_type().map_or("", |v| v.as_str()),
        );
    }
    props.set(
        "tableClass",
        table
            .table_class_summary()
            .and_then(|c| c.table_class())
            .map_or("STANDARD", |c| c.as_str()),
    );
    props.set(
        "deletionProtection",
        table.deletion_protection_enabled().unwrap_or(false),
    );
    // No SSEDescription (or a disabled one) is DynamoDB's default, the AWS-owned key.
    let sse = table
        .sse_description()
        .filter(|d| {
            d.sse_type() == Some(&SseType::Kms)
                && !matches!(
                    d.status().map(|s| s.as_str()),
                    Some("DISABLED" | "DISABLING")
                )
        })
        .map_or_else(
            || "AWS_OWNED".to_string(),
            |d| format!("KMS:{}", d.kms_master_key_arn().unwrap_or_default()),
        );
    props.set("sse", sse);

    let ttl = clients
        .dynamodb
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .classified()?;
    if let Some(description) = ttl.time_to_live_description() {
        let enabled = matches!(
            description.time_to_live_status().map(|s| s.as_str()),
            Some("ENABLED" | "ENABLING")
        );
        if let (true, Some(attribute)) = (enabled, description.attribute_name()) {
            props.set("timeToLiveAttribute", attribute);
        }
    }
    let backups = clients
        .dynamodb
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
        .classified()?;
    let pitr = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        .is_some_and(|s| s.as_str() == "ENABLED");
    props.set("pointInTimeRecovery", pitr);
    insert_tag_props(&mut props, &tags);
    let mut unmodelled = Vec::new();
    for index in table.local_secondary_indexes() {
        unmodelled.push(format!(
            "local secondary index {}",
            index.index_name().unwrap_or_default()
        ));
    }
    for replica in table.replicas() {
        unmodelled.push(format!(
            "replica in {} (a global table)",
            replica.region_name().unwrap_or_default()
        ));
    }
    Ok(Some(LiveTable {
        unmodelled,
        name: name.to_string(),
        arn: table.table_arn().unwrap_or_default().to_string(),
        props,
        items: table.item_count().unwrap_or(0).max(0) as u64,
    }))
}

/// A CreateTable refused because the table exists is success when the table is this stack's
/// (its ownership tags) and not being deleted: after a lost answer, the SDK's retry meets the
/// table its first attempt made, and the create goes on with its remaining steps.
/// What a CreateTable came to.
#[derive(Debug, PartialEq, Eq)]
enum Created {
    /// Made now, or found made by an earlier attempt whose answer was lost.
    Made,
    /// The name belongs to a table still being deleted.
    NameStillDeleting,
}

async fn adopt_if_ours(
    clients: &Clients,
    name: &str,
    owner_tags: &HashMap<String, String>,
    created: Result<(), AwsError>,
) -> Result<Created, AwsError> {
    let error = match created {
        Err(error) if error.already_exists() => error,
        other => return other.map(|()| Created::Made),
    };
    let described = clients
        .dynamodb
        .describe_table()
        .table_name(name)
        .send()
        .await
        .classified()?;
    let Some(table) = described.table() else {
        return Err(error);
    };
    // The name of a table still being deleted is free once it is gone.
    if table.table_status() == Some(&TableStatus::Deleting) {
        return Ok(Created::NameStillDeleting);
    }
    let live = list_tags(clients, table.table_arn().unwrap_or_default()).await?;
    if crate::kinds::desired::same_owner(&live, owner_tags) {
        Ok(Created::Made)
    } else {
        Err(error)
    }
}

pub async fn list_tags(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let output = clients
        .dynamodb
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .classified()?;
    Ok(listed_tags(output.tags()))
}

fn scalar(key_type: model::KeyType) -> ScalarAttributeType {
    match key_type {
        model::KeyType::S => ScalarAttributeType::S,
        model::KeyType::N => ScalarAttributeType::N,
        model::KeyType::B => ScalarAttributeType::B,
    }
}

pub(super) fn key_schema(
    partition: &model::Key,
    sort: &Option<model::Key>,
) -> Result<Vec<KeySchemaElement>, AwsError> {
    let mut schema = vec![built(
        KeySchemaElement::builder()
            .attribute_name(&partition.name)
            .key_type(KeyType::Hash)
            .build(),
    )?];
    if let Some(sort) = sort {
        schema.push(built(
            KeySchemaElement::builder()
                .attribute_name(&sort.name)
                .key_type(KeyType::Range)
                .build(),
        )?);
    }
    Ok(schema)
}

/// Attribute definitions: every attribute used in the table's keys and the given indexes.
pub(super) fn attribute_definitions<'a>(
    table: &model::Table,
    indexes: impl Iterator<Item = &'a model::Gsi>,
) -> Result<Vec<AttributeDefinition>, AwsError> {
    let mut seen = BTreeMap::new();
    let mut add = |k: &model::Key| {
        seen.entry(k.name.clone()).or_insert(k.key_type);
    };
    add(&table.partition_key);
    table.sort_key.iter().for_each(&mut add);
    for gsi in indexes {
        add(&gsi.partition_key);
        gsi.sort_key.iter().for_each(&mut add);
    }
    seen.into_iter()
        .map(|(name, t)| {
            built(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(scalar(t))
                    .build(),
            )
        })
        .collect()
}

pub(super) fn projection(p: &model::Projection) -> Projection {
    match p {
        model::Projection::All => Projection::builder()
            .projection_type(ProjectionType::All)
            .build(),
        model::Projection::KeysOnly => Projection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build(),
        model::Projection::Include(attributes) => Projection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attributes.clone()))
            .build(),
    }
}

pub(super) fn throughput((read, write): (u32, u32)) -> Result<ProvisionedThroughput, AwsError> {
    built(
        ProvisionedThroughput::builder()
            .read_capacity_units(read.into())
            .write_capacity_units(write.into())
            .build(),
    )
}

fn gsi(index: &model::Gsi) -> Result<GlobalSecondaryIndex, AwsError> {
    built(
        GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .set_key_schema(Some(key_schema(&index.partition_key, &index.sort_key)?))
            .projection(projection(&index.projection))
            .set_provisioned_throughput(index.capacity.map(throughput).transpose()?)
            .build(),
    )
}

pub(super) fn billing(
    table: &model::Table,
) -> Result<(BillingMode, Option<ProvisionedThroughput>), AwsError> {
    Ok(match table.billing {
        model::Billing::OnDemand => (BillingMode::PayPerRequest, None),
        model::Billing::Provisioned { read, write } => {
            (BillingMode::Provisioned, Some(throughput((read, write))?))
        }
    })
}

/// The SSESpecification for a table: `Enabled: false` is the AWS-owned key.
pub(super) fn sse(sse: &model::TableSse) -> SseSpecification {
    match sse {
        model::TableSse::AwsOwned => SseSpecification::builder().enabled(false).build(),
        model::TableSse::AwsManaged => SseSpecification::builder()
            .enabled(true)
            .sse_type(SseType::Kms)
            .build(),
        model::TableSse::CustomerManaged(key) => SseSpecification::builder()
            .enabled(true)
            .sse_type(SseType::Kms)
            .kms_master_key_id(key)
            .build(),
    }
}

pub(super) fn stream(view: Option<&str>) -> Result<StreamSpecification, AwsError> {
    built(
        StreamSpecification::builder()
            .stream_enabled(view.is_some())
            .set_stream_view_type(view.map(StreamViewType::from))
            .build(),
    )
}

/// Wait until the table and all its indexes are ACTIVE (AWS allows one index change at a time).
pub async fn wait_active(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let wait = clients
        .dynamodb
        .wait_until_table_exists()
        .table_name(name)
        .wait(ACTIVE_TIMEOUT);
    waited("wait for table ACTIVE", wait).await?;
    // TableExists checks the table only; an index being built or dropped keeps the table
    // ACTIVE, so poll the indexes with a backoff until none is in transition.
    let mut delay = Duration::from_millis(200);
    let deadline = tokio::time::Instant::now() + ACTIVE_TIMEOUT;
    loop {
        let table = crate::aws::accounting::counted_as(
            "waiter",
            clients.dynamodb.describe_table().table_name(name).send(),
        )
        .await
        .classified()?
        .table;
        let settled = table.as_ref().is_some_and(|t| {
            t.table_status() == Some(&TableStatus::Active)
                && t.global_secondary_indexes()
                    .iter()
                    .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"))
        });
        if settled {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(AwsError::new(
                "wait for indexes ACTIVE",
                ErrorKind::Other,
                format!("{name} did not settle"),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(20));
    }
}

pub async fn create(
    clients: &Clients,
    name: &str,
    table: &model::Table,
    tags: &HashMap<String, String>,
) -> Result<(), AwsError> {
    let (mode, capacity) = billing(table)?;
    let indexes: Vec<GlobalSecondaryIndex> = table
        .global_secondary_indexes
        .iter()
        .map(gsi)
        .collect::<Result<_, _>>()?;
    let owner_tags = tags;
    let tags = tag_list(tags)?;
    // The name of a table deleted a moment ago is taken until it is gone: wait, then create.
    let create = || {
        send_create(
            clients,
            name,
            table,
            mode.clone(),
            capacity.clone(),
            indexes.clone(),
            tags.clone(),
            owner_tags,
        )
    };
    if create().await? == Created::NameStillDeleting {
        wait_deleted(clients, name).await?;
        if create().await? == Created::NameStillDeleting {
            return Err(AwsError::new(
                "CreateTable",
                ErrorKind::Conflict,
                format!("table {name} is still being deleted"),
            ));
        }
    }
    wait_active(clients, name).await?;
    if let Some(attribute) = &table.time_to_live_attribute {
        // A lost answer retried within the hour is refused: the first attempt took effect.
        ttl_step(clients, name, attribute, true).await?;
    }
    if table.point_in_time_recovery {
        set_pitr(clients, name, true).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn send_create(
    clients: &Clients,
    name: &str,
    table: &model::Table,
    mode: BillingMode,
    capacity: Option<ProvisionedThroughput>,
    indexes: Vec<GlobalSecondaryIndex>,
    tags: Vec<Tag>,
    owner_tags: &HashMap<String, String>,
) -> Result<Created, AwsError> {
    let created = clients
        .dynamodb
        .create_table()
        .table_name(name)
        .set_key_schema(Some(key_schema(&table.partition_key, &table.sort_key)?))
        .set_attribute_definitions(Some(attribute_definitions(
            table,
            table.global_secondary_indexes.iter(),
        )?))
        .billing_mode(mode)
        .set_provisioned_throughput(capacity)
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .stream_specification(stream(table.stream.as_deref())?)
        .table_class(TableClass::from(table.table_class.as_str()))
        .deletion_protection_enabled(table.deletion_protection)
        .set_sse_specification((table.sse != model::TableSse::AwsOwned).then(|| sse(&table.sse)))
        .set_tags(Some(tags))
        .send()
        .await
        .classified();
    adopt_if_ours(clients, name, owner_tags, created.map(|_| ())).await
}

/// One TTL change; `false` when AWS's hourly limit refused it (announced, left for later).
pub(super) async fn ttl_step(
    clients: &Clients,
    name: &str,
    attribute: &str,
    enabled: bool,
) -> Result<bool, AwsError> {
    match set_ttl(clients, name, attribute, enabled).await {
        Ok(()) => Ok(true),
        Err(e) if ttl_changed_recently(&e) => {
            clients.notify(&format!(
                "AWS changes TTL once per hour: {} TTL on `{attribute}` of table {name} is left for a later apply",
                if enabled { "enabling" } else { "disabling" }
            ));
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

async fn set_ttl(
    clients: &Clients,
    name: &str,
    attribute: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    clients
        .dynamodb
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(built(
            TimeToLiveSpecification::builder()
                .attribute_name(attribute)
                .enabled(enabled)
                .build(),
        )?)
        .send()
        .await
        .done()
}

/// How long a new table may take before continuous backups can be enabled on it.
const BACKUPS_READY_TIMEOUT: Duration = Duration::from_secs(600);

/// Point-in-time recovery. Right after CreateTable, AWS answers
/// `ContinuousBackupsUnavailableException` until the table's backups are ready: waited out.
pub(super) async fn set_pitr(clients: &Clients, name: &str, enabled: bool) -> Result<(), AwsError> {
    let specification = built(
        PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(enabled)
            .build(),
    )?;
    crate::aws::wait_out(
        clients,
        BACKUPS_READY_TIMEOUT,
        |e| {
            (e.code.as_deref() == Some("ContinuousBackupsUnavailableException"))
                .then(|| format!("continuous backups of table {name} to become available"))
        },
        || async {
            clients
                .dynamodb
                .update_continuous_backups()
                .table_name(name)
                .point_in_time_recovery_specification(specification.clone())
                .send()
                .await
                .done()
        },
    )
    .await
}

/// AWS's answer to a second TTL change within its hourly window.
fn ttl_changed_recently(error: &AwsError) -> bool {
    error.code.as_deref() == Some("ValidationException")
        && error.message.contains("modified multiple times")
}

/// Tag changes (see [`TagChange::apply`]).
pub async fn tag(clients: &Clients, resource: &str, change: TagChange) -> Result<(), AwsError> {
    apply_tags!(
        change.try_map(tag_list)?,
        clients.dynamodb,
        tag_resource / untag_resource,
        resource_arn(resource)
    )
}

pub async fn delete(clients: &Clients, name: &str) -> Result<(), AwsError> {
    clients
        .dynamodb
        .delete_table()
        .table_name(name)
        .send()
        .await
        .done_or_gone()
}

/// Wait until a deleted table is gone: DeleteTable returns while the table is `DELETING`, and
/// a CreateTable of the same name fails with `ResourceInUseException` until then.
pub async fn wait_deleted(clients: &Clients, name: &str) -> Result<(), AwsError> {
    clients.notify(&format!("waiting: table {name} to finish deleting"));
    let wait = clients
        .dynamodb
        .wait_until_table_not_exists()
        .table_name(name)
        .wait(ACTIVE_TIMEOUT);
    waited("wait for table deletion", wait).await.map(|_| ())
}
