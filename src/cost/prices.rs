//! The price table shipped with this build (`data/prices-us-east-1.json`), as typed structs.

use serde::{Deserialize, Serialize};

use crate::model::Architecture;

const PRICES_US_EAST_1: &str = include_str!("../../data/prices-us-east-1.json");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prices {
    pub version: String,
    pub region: String,
    pub hours_per_month: u32,
    pub lambda: LambdaPrices,
    pub sqs: SqsPrices,
    pub eventbridge: EventBridgePrices,
    pub dynamodb: DynamoDbPrices,
    pub apigateway: ApiGatewayPrices,
    pub logs: LogsPrices,
    pub alarms: AlarmPrices,
    pub cloudwatch_dashboards: DashboardPrices,
    pub savings_plans: SavingsPlanPrices,
}

/// Compute Savings Plans as they apply to Lambda: a discount on duration and provisioned
/// concurrency (not requests) for an hourly commitment. AWS's Lambda pricing page
/// (https://aws.amazon.com/lambda/pricing/): "Save up to 17% with Compute Savings Plans", the
/// 3-year all-upfront rate; versioned with the prices, `source` saying where it is from.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavingsPlanPrices {
    pub lambda_discount: f64,
    pub lambda_term: String,
    pub source: String,
}

/// CloudWatch alarms: a standard-resolution alarm is billed per metric it reads (a metric-math
/// alarm per metric of its expression, the expression itself free).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmPrices {
    pub per_metric_month: f64,
    /// The account's free standard-resolution alarm metrics a month.
    pub free_metrics: f64,
}

/// CloudWatch: a dashboard a month (beyond the account's three free ones, which this estimate
/// does not count as the stack's) and a custom metric a month (the first 10 000 metrics' tier).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardPrices {
    pub dashboard_per_month: f64,
    /// A custom metric (a metric filter's, per metric name and dimensions) a month.
    pub custom_metric_per_month: f64,
}

/// CloudWatch Logs: ingestion by the group's class and storage of the compressed events.
/// Lambda's logs are "vended logs", tiered above 10 TB a month; a stack stays in the first tier.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsPrices {
    pub ingestion_per_gb: f64,
    pub infrequent_access_ingestion_per_gb: f64,
    pub storage_per_gb_month: f64,
    /// The account's free GB a month (ingestion, storage and queries together; counted here
    /// against ingestion, the larger part).
    pub free_gb: f64,
    /// Stored (billed) bytes per ingested byte: CloudWatch bills compressed storage and
    /// publishes no ratio, so this is an assumption (0.15, text logs compress 6–7 fold).
    pub stored_bytes_per_ingested_byte: f64,
    /// AWS's GB in its bills: 2^30 bytes.
    pub bytes_per_gb: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaPrices {
    pub requests_per_million: f64,
    #[serde(rename = "x86_64")]
    pub x86_64: ArchitecturePrices,
    pub arm64: ArchitecturePrices,
    pub ephemeral_storage_per_gb_second: f64,
    pub free_ephemeral_storage_mb: u32,
    pub free_requests: f64,
    pub free_gb_seconds: f64,
    pub provisioned_billing_minutes: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchitecturePrices {
    pub duration_tiers: Vec<DurationTier>,
    pub provisioned_per_gb_second: f64,
    pub provisioned_duration_per_gb_second: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DurationTier {
    pub up_to_gb_seconds: Option<f64>,
    pub per_gb_second: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsPrices {
    pub standard_per_million: f64,
    pub fifo_per_million: f64,
    pub free_requests: f64,
    pub request_chunk_kb: f64,
    pub requests_per_message: f64,
    pub idle_polling_requests_per_trigger: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventBridgePrices {
    pub custom_events_per_million: f64,
    pub event_chunk_kb: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamoDbPrices {
    pub write_request_units_per_million: f64,
    pub read_request_units_per_million: f64,
    pub write_capacity_unit_hour: f64,
    pub read_capacity_unit_hour: f64,
    pub storage_per_gb_month: f64,
    pub free_storage_gb: f64,
    pub point_in_time_recovery_per_gb_month: f64,
    pub write_unit_kb: f64,
    pub read_unit_kb: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayPrices {
    pub rest_tiers: Vec<RequestTier>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestTier {
    pub up_to_requests: Option<f64>,
    pub per_million: f64,
}

impl Prices {
    /// The price table shipped with this build (us-east-1), parsed once per process: every
    /// plan prices itself, and policies read the same forecasts.
    pub fn us_east_1() -> &'static Prices {
        static PRICES: std::sync::OnceLock<Prices> = std::sync::OnceLock::new();
        PRICES.get_or_init(|| {
            serde_json::from_str(PRICES_US_EAST_1).expect("data/prices-us-east-1.json is valid")
        })
    }

    pub(super) fn arch(&self, arch: Architecture) -> &ArchitecturePrices {
        match arch {
            Architecture::Arm64 => &self.lambda.arm64,
            Architecture::X86_64 => &self.lambda.x86_64,
        }
    }

    pub fn month_seconds(&self) -> f64 {
        f64::from(self.hours_per_month) * 3600.0
    }
}
