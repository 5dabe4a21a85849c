//! The props a Table's spec wants, written the way observation reads them back.

use std::collections::BTreeSet;

use crate::kinds::desired::Wanted;
use serde_json::{json, Value};

use crate::kinds::desired::Context;
use crate::model::{Billing, Gsi, Key, KeyType, Projection, Table, TableSse};
use crate::plan::{Props, SetProp};

fn key_value(key: &Key) -> Value {
    json!({"name": key.name, "type": match key.key_type {
        KeyType::S => "S",
        KeyType::N => "N",
        KeyType::B => "B",
    }})
}

/// The JSON value of one index as both sides write it. Capacity is part of it on PROVISIONED
/// tables only; a change to capacity alone is an in-place update, anything else a rebuild.
pub fn gsi_value(index: &Gsi, provisioned: bool) -> serde_json::Value {
    let mut value = json!({"partitionKey": key_value(&index.partition_key)});
    if let Some(sort) = &index.sort_key {
        value["sortKey"] = key_value(sort);
    }
    value["projection"] = json!(match &index.projection {
        Projection::All => "ALL",
        Projection::KeysOnly => "KEYS_ONLY",
        Projection::Include(_) => "INCLUDE",
    });
    if let Projection::Include(attributes) = &index.projection {
        let mut sorted = attributes.clone();
        sorted.sort();
        value["nonKeyAttributes"] = json!(sorted);
    }
    if provisioned {
        let (read, write) = index.capacity.unwrap_or((0, 0));
        value["readCapacity"] = json!(read);
        value["writeCapacity"] = json!(write);
    }
    value
}

/// The `sse` field: `AWS_OWNED`, `KMS` (the AWS-managed key) or `KMS:<key ARN>`. DynamoDB
/// reports the AWS-managed key by its ARN, which only KMS could name, so the engine reduces an
/// observed `KMS:<arn>` to `KMS` when the spec asks for the AWS-managed key.
pub fn table_sse_value(sse: &TableSse, ctx: &Context) -> String {
    match sse {
        TableSse::AwsOwned => "AWS_OWNED".to_string(),
        TableSse::AwsManaged => "KMS".to_string(),
        TableSse::CustomerManaged(key) if key.starts_with("arn:") => format!("KMS:{key}"),
        TableSse::CustomerManaged(id) => format!("KMS:{}", ctx.arn("kms", &format!("key/{id}"))),
    }
}

/// The props the spec wants for one Table, ownership tags aside, written as `aws::describe`
/// reads them back.
pub(crate) fn props(w: &Wanted<'_, Table>, props: &mut Props, _sensitive: &mut BTreeSet<String>) {
    let Wanted { model: t, ctx, .. } = *w;
    props.set("partitionKey", key_value(&t.partition_key));
    if let Some(sort) = &t.sort_key {
        props.set("sortKey", key_value(sort));
    }
    let provisioned = matches!(t.billing, Billing::Provisioned { .. });
    match t.billing {
        Billing::OnDemand => {
            props.set("billingMode", "PAY_PER_REQUEST");
        }
        Billing::Provisioned { read, write } => {
            props.set("billingMode", "PROVISIONED");
            props.set("readCapacity", read);
            props.set("writeCapacity", write);
        }
    }
    for index in &t.global_secondary_indexes {
        props.set(
            format!("globalSecondaryIndexes[{}]", index.name),
            gsi_value(index, provisioned),
        );
    }
    props.set("sse", table_sse_value(&t.sse, ctx));
    if let Some(attribute) = &t.time_to_live_attribute {
        props.set("timeToLiveAttribute", attribute.clone());
    }
    props.set("pointInTimeRecovery", t.point_in_time_recovery);
    if let Some(view) = &t.stream {
        props.set("stream", view.clone());
    }
    props.set("tableClass", t.table_class.clone());
    props.set("deletionProtection", t.deletion_protection);
}
