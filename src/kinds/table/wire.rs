//! The table kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::spec::wire::*;

wire_struct! {
    /// For the cost estimate only.
    #[schemars(rename = "TableTraffic")]
    pub struct TableTrafficWire {
        pub writes_per_month: Option<u64>,
        pub reads_per_month: Option<u64>,
        /// Default 1 KB: a write unit per 1 KB, a read unit per 4 KB.
        #[serde(rename = "averageItemSizeKB")]
        #[schemars(rename = "averageItemSizeKB")]
        pub average_item_size_kb: Option<f64>,
        /// Default false: eventually consistent reads cost half a read unit.
        pub strongly_consistent_reads: Option<bool>,
        #[serde(rename = "storageGB")]
        #[schemars(rename = "storageGB")]
        pub storage_gb: Option<f64>,
    }
}

resource_spec_wire! {
    kind: Table,
    alarms: "table",
    #[schemars(rename = "TableSpec")]
    pub struct TableSpecWire {
        pub partition_key: KeyWire,
        pub sort_key: Option<KeyWire>,
        pub billing_mode: Option<BillingModeWire>,
        #[schemars(range(min = 1))]
        pub read_capacity: Option<i64>,
        #[schemars(range(min = 1))]
        pub write_capacity: Option<i64>,
        #[serde(default)]
        pub global_secondary_indexes: Vec<GsiWire>,
        pub time_to_live_attribute: Option<String>,
        pub point_in_time_recovery: Option<bool>,
        /// DynamoDB stream view type; no stream when omitted.
        pub stream: Option<StreamViewWire>,
        pub table_class: Option<TableClassWire>,
        /// Default true.
        pub deletion_protection: Option<bool>,
        /// Encryption at rest; an AWS-owned key when omitted.
        pub sse: Option<TableSseWire>,
        /// Assumptions for the cost estimate only.
        pub traffic: Option<TableTrafficWire>,
    }
}

wire_struct! {
    /// DynamoDB's `SSESpecification`: `type: KMS` alone uses the account's AWS-managed key
    /// (`aws/dynamodb`); with `kmsMasterKeyId` a customer-managed key.
    #[schemars(rename = "TableSse")]
    pub struct TableSseWire {
        #[serde(rename = "type")]
        pub sse_type: SseTypeWire,
        /// A KMS key ARN or key id (not an alias: DynamoDB reports keys by ARN).
        pub kms_master_key_id: Option<String>,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "SseType")]
pub enum SseTypeWire {
    AwsOwned,
    Kms,
}

wire_struct! {
    #[schemars(rename = "Key")]
    pub struct KeyWire {
        pub name: String,
        #[serde(rename = "type")]
        pub key_type: KeyTypeWire,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(rename = "KeyType")]
pub enum KeyTypeWire {
    S,
    N,
    B,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "BillingMode")]
pub enum BillingModeWire {
    PayPerRequest,
    Provisioned,
}

wire_struct! {
    #[schemars(rename = "Gsi")]
    pub struct GsiWire {
        pub name: String,
        pub partition_key: KeyWire,
        pub sort_key: Option<KeyWire>,
        /// Default `ALL`.
        pub projection: Option<ProjectionWire>,
        /// With `projection: INCLUDE`.
        #[serde(default)]
        pub non_key_attributes: Vec<String>,
        #[schemars(range(min = 1))]
        pub read_capacity: Option<i64>,
        #[schemars(range(min = 1))]
        pub write_capacity: Option<i64>,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "Projection")]
pub enum ProjectionWire {
    All,
    KeysOnly,
    Include,
}

wire_enum! {
    #[schemars(rename = "StreamView")]
    pub enum StreamViewWire {
        NewImage = "NEW_IMAGE",
        OldImage = "OLD_IMAGE",
        NewAndOldImages = "NEW_AND_OLD_IMAGES",
        KeysOnly = "KEYS_ONLY",
    }
}

wire_enum! {
    #[schemars(rename = "TableClass")]
    pub enum TableClassWire {
        Standard = "STANDARD",
        StandardInfrequentAccess = "STANDARD_INFREQUENT_ACCESS",
    }
}
