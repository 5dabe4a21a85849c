//! Monthly cost estimates: pure functions of the validated stack, its traffic assumptions and a
//! versioned price table (`data/prices-us-east-1.json`). Every figure is a [`CostLine`] that can
//! show its arithmetic (`--explain`).
//!
//! Free tiers are the account's, applied the way AWS applies them: once per month over the
//! pooled usage (Lambda: 1M requests and 400,000 GB-s, only of the usage served while no
//! provisioned concurrency is on — "The Lambda free tier does not apply to functions that have
//! Provisioned Concurrency enabled"; SQS: 1M requests; DynamoDB: 25 GB of storage), and shared
//! among the resources in proportion to their usage. Lambda's duration tiers apply to the pooled on-demand
//! GB-s of each architecture.

mod live;
mod logs;
mod prices;
pub mod profile;
pub mod recommend;
pub mod schedule;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Architecture, Billing, Kind, ResourceId, ResourceSpec, Stack};

// The price table and the stack as it runs now have files of their own; callers name them here.
pub use live::as_live;
pub use prices::{DurationTier, Prices};

/// One priced quantity: `(quantity − free) × unit_price = usd`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostLine {
    /// `None` for lines of the stack as a whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceId>,
    pub item: String,
    pub quantity: f64,
    pub unit: String,
    /// The part of `quantity` the free tier covers.
    pub free: f64,
    pub unit_price: f64,
    pub usd: f64,
}

impl CostLine {
    fn new(resource: &ResourceId, item: &str, quantity: f64, unit: &str, unit_price: f64) -> Self {
        CostLine {
            resource: Some(resource.clone()),
            item: item.to_string(),
            quantity,
            unit: unit.to_string(),
            free: 0.0,
            unit_price,
            usd: quantity * unit_price,
        }
    }

    fn with_free(mut self, free: f64) -> Self {
        self.free = free.min(self.quantity).max(0.0);
        self.usd = (self.quantity - self.free) * self.unit_price;
        self
    }

    /// The arithmetic, for `--explain`.
    pub fn explain(&self) -> String {
        let free = if self.free > 0.0 {
            format!(
                " − {} free = {}",
                quantity(self.free),
                quantity(self.quantity - self.free)
            )
        } else {
            String::new()
        };
        format!(
            "{}: {} {}{free} × ${} = ${:.2}",
            self.item,
            quantity(self.quantity),
            self.unit,
            price(self.unit_price),
            self.usd
        )
    }
}

fn quantity(q: f64) -> String {
    if q.fract() == 0.0 && q.abs() < 1e15 {
        let digits = format!("{}", q as i64);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 && c != '-' {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        format!("{q:.2}")
    }
}

fn price(p: f64) -> String {
    let text = format!("{p:.10}");
    let trimmed = text.trim_end_matches('0');
    trimmed.strip_suffix('.').unwrap_or(trimmed).to_string()
}

/// The monthly estimate of a stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub prices_version: String,
    pub region: String,
    pub lines: Vec<CostLine>,
    pub by_resource: BTreeMap<ResourceId, f64>,
    pub total_usd: f64,
    /// Requests a month into the stack's APIs (their traffic assumptions), and the cost of
    /// the whole stack per million of them: the unit economics. `None` without API traffic.
    pub api_requests_per_month: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd_per_million_api_requests: Option<f64>,
    /// Assumptions and what the estimate leaves out.
    pub notes: Vec<String>,
}

/// What one function uses in a month.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LambdaUsage {
    pub architecture: Architecture,
    pub memory_mb: u32,
    pub ephemeral_storage_mb: u32,
    pub requests: f64,
    /// On-demand requests and their average duration.
    pub on_demand_requests: f64,
    pub on_demand_duration_ms: f64,
    /// Σ concurrency × seconds provisioned (billed periods).
    pub provisioned_concurrency_seconds: f64,
    pub provisioned_requests: f64,
    pub provisioned_duration_ms: f64,
    /// Of `on_demand_requests`, those that arrive while provisioned concurrency is on but find
    /// it all busy (spill-over): billed on demand, yet outside the free tier, which does not
    /// apply while provisioned concurrency is enabled.
    pub on_demand_requests_while_provisioned: f64,
}

impl LambdaUsage {
    fn gb(&self) -> f64 {
        f64::from(self.memory_mb) / 1024.0
    }
    pub fn on_demand_gb_seconds(&self) -> f64 {
        self.on_demand_requests * self.on_demand_duration_ms / 1000.0 * self.gb()
    }
    /// Requests the free tier may cover: on demand, while no provisioned concurrency is on.
    pub fn free_tier_requests(&self) -> f64 {
        (self.on_demand_requests - self.on_demand_requests_while_provisioned).max(0.0)
    }
    /// On-demand GB-s the free tier may cover: those of [`Self::free_tier_requests`].
    pub fn free_tier_gb_seconds(&self) -> f64 {
        self.free_tier_requests() * self.on_demand_duration_ms / 1000.0 * self.gb()
    }
    pub fn provisioned_gb_seconds(&self) -> f64 {
        self.provisioned_concurrency_seconds * self.gb()
    }
    pub fn provisioned_duration_gb_seconds(&self) -> f64 {
        self.provisioned_requests * self.provisioned_duration_ms / 1000.0 * self.gb()
    }
    /// The share of provisioned capacity the traffic uses.
    pub fn utilisation(&self) -> f64 {
        let allocated = self.provisioned_gb_seconds();
        if allocated > 0.0 {
            self.provisioned_duration_gb_seconds() / allocated
        } else {
            0.0
        }
    }
}

/// The utilisation above which provisioned concurrency is cheaper than on-demand for the same
/// work: p_pc / (p_od − p_pcd), at tier-1 prices (60% on both architectures at list prices).
pub fn break_even_utilisation(prices: &Prices, arch: Architecture) -> f64 {
    let p = prices.arch(arch);
    let on_demand = p.duration_tiers.first().map_or(0.0, |t| t.per_gb_second);
    p.provisioned_per_gb_second / (on_demand - p.provisioned_duration_per_gb_second)
}

/// Cost of `quantity` through volume tiers, given as (upper bound, unit price), cheapest last.
fn tiered(tiers: impl IntoIterator<Item = (Option<f64>, f64)>, quantity: f64) -> f64 {
    let mut left = quantity;
    let mut floor = 0.0;
    let mut usd = 0.0;
    for (up_to, unit_price) in tiers {
        let here = left.min(up_to.map_or(f64::INFINITY, |u| u - floor));
        usd += here * unit_price;
        left -= here;
        floor = up_to.unwrap_or(floor);
        if left <= 0.0 {
            break;
        }
    }
    usd
}

/// Cost of `gb_seconds` of on-demand duration through the tiers.
fn tiered_duration(tiers: &[DurationTier], gb_seconds: f64) -> f64 {
    tiered(
        tiers.iter().map(|t| (t.up_to_gb_seconds, t.per_gb_second)),
        gb_seconds,
    )
}

/// Requests that arrive while provisioned concurrency is on, when the spec does not say: traffic
/// spread evenly over the month, so the share of the month with concurrency provisioned.
/// `served` are those the concurrency can serve at the given duration; `spilled` the rest, billed
/// on demand but, arriving while it is on, outside the free tier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpreadRequests {
    pub served: f64,
    pub spilled: f64,
}

impl SpreadRequests {
    /// When the spec or the caller says how many requests provisioned concurrency serves
    /// (`served`), the others of the provisioned periods (still spread evenly) spill over.
    pub fn served_as(self, served: Option<f64>) -> SpreadRequests {
        match served {
            None => self,
            Some(served) => SpreadRequests {
                served,
                spilled: (self.served + self.spilled - served).max(0.0),
            },
        }
    }
}

pub fn spread_provisioned_requests(
    requests: f64,
    provisioned_seconds: f64,
    concurrency_seconds: f64,
    duration_ms: f64,
    month_seconds: f64,
) -> SpreadRequests {
    let spread = (requests * provisioned_seconds / month_seconds).min(requests);
    let capacity = if duration_ms > 0.0 {
        concurrency_seconds / (duration_ms / 1000.0)
    } else {
        f64::INFINITY
    };
    let served = spread.min(capacity).floor();
    SpreadRequests {
        served,
        spilled: (spread.floor() - served).max(0.0),
    }
}

/// Lambda lines for functions that share the account's free tier and duration tiers.
fn lambda_lines(
    prices: &Prices,
    usage: &[(ResourceId, LambdaUsage)],
    free_tier: bool,
) -> Vec<CostLine> {
    let lp = &prices.lambda;
    // Only usage served while no provisioned concurrency is on is eligible for the free tier.
    let eligible_requests: f64 = usage.iter().map(|(_, u)| u.free_tier_requests()).sum();
    let eligible_gb_s: f64 = usage.iter().map(|(_, u)| u.free_tier_gb_seconds()).sum();
    let free_requests = if free_tier {
        lp.free_requests.min(eligible_requests)
    } else {
        0.0
    };
    let free_gb_s = if free_tier {
        lp.free_gb_seconds.min(eligible_gb_s)
    } else {
        0.0
    };
    // The blended on-demand rate of each architecture over its pooled usage.
    let rate = |arch: Architecture| {
        let pooled: f64 = usage
            .iter()
            .filter(|(_, u)| u.architecture == arch)
            .map(|(_, u)| u.on_demand_gb_seconds())
            .sum();
        let tiers = &prices.arch(arch).duration_tiers;
        if pooled > 0.0 {
            tiered_duration(tiers, pooled) / pooled
        } else {
            tiers.first().map_or(0.0, |t| t.per_gb_second)
        }
    };
    let mut lines = Vec::new();
    for (id, u) in usage {
        let p = prices.arch(u.architecture);
        let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
        lines.push(
            CostLine::new(
                id,
                "requests",
                u.requests,
                "requests",
                lp.requests_per_million / 1e6,
            )
            .with_free(free_requests * share(u.free_tier_requests(), eligible_requests)),
        );
        if u.provisioned_concurrency_seconds > 0.0 {
            lines.push(CostLine::new(
                id,
                "provisioned concurrency",
                u.provisioned_gb_seconds(),
                "GB-s",
                p.provisioned_per_gb_second,
            ));
            lines.push(CostLine::new(
                id,
                "duration under provisioned concurrency",
                u.provisioned_duration_gb_seconds(),
                "GB-s",
                p.provisioned_duration_per_gb_second,
            ));
        }
        let od = u.on_demand_gb_seconds();
        lines.push(
            CostLine::new(id, "duration", od, "GB-s", rate(u.architecture))
                .with_free(free_gb_s * share(u.free_tier_gb_seconds(), eligible_gb_s)),
        );
        if u.ephemeral_storage_mb > lp.free_ephemeral_storage_mb {
            let extra_gb =
                f64::from(u.ephemeral_storage_mb - lp.free_ephemeral_storage_mb) / 1024.0;
            let seconds = (u.on_demand_requests * u.on_demand_duration_ms
                + u.provisioned_requests * u.provisioned_duration_ms)
                / 1000.0;
            lines.push(CostLine::new(
                id,
                "ephemeral storage above 512 MB",
                extra_gb * seconds,
                "GB-s",
                lp.ephemeral_storage_per_gb_second,
            ));
        }
    }
    lines
}

/// The usage of one function under the stack's traffic assumptions.
fn function_usage(
    prices: &Prices,
    f: &crate::model::Function,
    traffic: &crate::model::Traffic,
    notes: &mut Vec<String>,
    id: &ResourceId,
) -> LambdaUsage {
    let requests = traffic.requests_per_month as f64;
    let mut usage = LambdaUsage {
        architecture: f.architecture,
        memory_mb: f.memory_size,
        ephemeral_storage_mb: f.ephemeral_storage,
        requests,
        on_demand_requests: requests,
        on_demand_duration_ms: traffic.average_duration_ms,
        provisioned_duration_ms: traffic
            .provisioned_duration_ms
            .unwrap_or(traffic.average_duration_ms),
        ..Default::default()
    };
    let Some(pc) = f
        .alias
        .as_ref()
        .and_then(|a| a.provisioned_concurrency.as_ref())
    else {
        return usage;
    };
    let month = schedule::provisioned_month(
        pc,
        prices.hours_per_month,
        prices.lambda.provisioned_billing_minutes,
    );
    for skipped in &month.skipped {
        notes.push(format!(
            "{id}: schedule {skipped} is not in the estimate (one-off, or a cron feature it does not model)"
        ));
    }
    if pc.target_utilization.is_some() {
        notes.push(format!(
            "{id}: target tracking may provision above the scheduled minimums; the estimate takes the minimums"
        ));
    }
    usage.provisioned_concurrency_seconds = month.concurrency_seconds;
    let spread = spread_provisioned_requests(
        requests,
        month.provisioned_seconds,
        month.concurrency_seconds,
        usage.provisioned_duration_ms,
        prices.month_seconds(),
    )
    .served_as(traffic.provisioned_requests_per_month.map(|n| n as f64));
    usage.provisioned_requests = spread.served.min(requests);
    usage.on_demand_requests = requests - usage.provisioned_requests;
    usage.on_demand_requests_while_provisioned = spread.spilled.min(usage.on_demand_requests);
    usage
}

/// Estimate the monthly cost of every resource of the stack.
pub fn estimate(stack: &Stack, prices: &Prices) -> Estimate {
    let mut notes = vec![
        format!(
            "prices {} for {}; other regions differ",
            prices.version, prices.region
        ),
        "not included: data transfer, CloudWatch metrics other than the dashboard and the cold-start metrics, Logs Insights queries, X-Ray, KMS requests".to_string(),
    ];
    let mut lines = Vec::new();
    let none = crate::model::Traffic::default();
    let mut lambda_usage = Vec::new();
    let mut sqs: Vec<(ResourceId, f64, f64)> = Vec::new(); // id, requests, unit price
    let mut table_storage: Vec<(ResourceId, f64)> = Vec::new();
    let mut without_traffic = Vec::new();
    // Lambda long-polls each queue it is triggered from, so idle queues still cost requests.
    let mut triggers_per_queue: BTreeMap<&ResourceId, usize> = BTreeMap::new();
    for resource in &stack.resources {
        if let ResourceSpec::Function(f) = &resource.spec {
            for trigger in &f.triggers {
                if let crate::model::Reference::Stack(queue) = &trigger.queue {
                    *triggers_per_queue.entry(queue).or_default() += 1;
                }
            }
        }
    }
    for resource in &stack.resources {
        let traffic = resource.traffic.as_ref().unwrap_or(&none);
        if resource.traffic.is_none()
            && matches!(
                resource.id.kind,
                Kind::Function | Kind::Queue | Kind::EventBus | Kind::Table | Kind::Api
            )
        {
            without_traffic.push(resource.id.to_string());
        }
        let id = &resource.id;
        match &resource.spec {
            ResourceSpec::Function(f) => {
                lambda_usage.push((
                    id.clone(),
                    function_usage(prices, f, traffic, &mut notes, id),
                ));
            }
            ResourceSpec::Queue(q) => {
                let chunks = (traffic.average_message_size_kb / prices.sqs.request_chunk_kb)
                    .ceil()
                    .max(1.0);
                let mut requests =
                    traffic.messages_per_month as f64 * prices.sqs.requests_per_message * chunks;
                let pollers = triggers_per_queue.get(id).copied().unwrap_or(0);
                requests += pollers as f64 * prices.sqs.idle_polling_requests_per_trigger;
                let unit = if q.fifo {
                    prices.sqs.fifo_per_million
                } else {
                    prices.sqs.standard_per_million
                } / 1e6;
                sqs.push((id.clone(), requests, unit));
            }
            ResourceSpec::EventBus(_) => {
                let chunks = (traffic.average_event_size_kb / prices.eventbridge.event_chunk_kb)
                    .ceil()
                    .max(1.0);
                lines.push(CostLine::new(
                    id,
                    "custom events",
                    traffic.events_per_month as f64 * chunks,
                    "events",
                    prices.eventbridge.custom_events_per_million / 1e6,
                ));
            }
            ResourceSpec::Table(t) => {
                let d = &prices.dynamodb;
                let size = traffic.average_item_size_kb.max(0.0);
                // A write also writes each index the item is projected into.
                let copies = 1.0 + t.global_secondary_indexes.len() as f64;
                match t.billing {
                    Billing::OnDemand => {
                        let write_units = (size / d.write_unit_kb).ceil().max(1.0);
                        let read_units = (size / d.read_unit_kb).ceil().max(1.0)
                            * if traffic.strongly_consistent_reads {
                                1.0
                            } else {
                                0.5
                            };
                        lines.push(CostLine::new(
                            id,
                            "write request units",
                            traffic.writes_per_month as f64 * write_units * copies,
                            "WRU",
                            d.write_request_units_per_million / 1e6,
                        ));
                        lines.push(CostLine::new(
                            id,
                            "read request units",
                            traffic.reads_per_month as f64 * read_units,
                            "RRU",
                            d.read_request_units_per_million / 1e6,
                        ));
                    }
                    Billing::Provisioned { read, write } => {
                        let hours = f64::from(prices.hours_per_month);
                        let (mut rcu, mut wcu) = (f64::from(read), f64::from(write));
                        for index in &t.global_secondary_indexes {
                            if let Some((r, w)) = index.capacity {
                                rcu += f64::from(r);
                                wcu += f64::from(w);
                            }
                        }
                        lines.push(CostLine::new(
                            id,
                            "write capacity (table and indexes)",
                            wcu * hours,
                            "WCU-hours",
                            d.write_capacity_unit_hour,
                        ));
                        lines.push(CostLine::new(
                            id,
                            "read capacity (table and indexes)",
                            rcu * hours,
                            "RCU-hours",
                            d.read_capacity_unit_hour,
                        ));
                    }
                }
                table_storage.push((id.clone(), traffic.storage_gb));
                if t.point_in_time_recovery && traffic.storage_gb > 0.0 {
                    lines.push(CostLine::new(
                        id,
                        "point-in-time recovery",
                        traffic.storage_gb,
                        "GB-months",
                        d.point_in_time_recovery_per_gb_month,
                    ));
                }
            }
            ResourceSpec::Api(_) => {
                let requests = traffic.requests_per_month as f64;
                let tiers = &prices.apigateway.rest_tiers;
                let usd = tiered(
                    tiers
                        .iter()
                        .map(|t| (t.up_to_requests, t.per_million / 1e6)),
                    requests,
                );
                let unit = if requests > 0.0 {
                    usd / requests
                } else {
                    prices
                        .apigateway
                        .rest_tiers
                        .first()
                        .map_or(0.0, |t| t.per_million)
                        / 1e6
                };
                lines.push(CostLine::new(
                    id,
                    "REST API requests",
                    requests,
                    "requests",
                    unit,
                ));
            }
            // IAM roles are free; a log group's cost is its function's (`logs`).
            ResourceSpec::Layer(_)
            | ResourceSpec::Rule(_)
            | ResourceSpec::Role(_)
            | ResourceSpec::LogGroup(_)
            | ResourceSpec::Alarm(_) => {}
            // The stack's dashboard is billed by the month, whatever it shows.
            ResourceSpec::Dashboard(_) => lines.push(CostLine::new(
                id,
                "dashboard",
                1.0,
                "dashboard-months",
                prices.cloudwatch_dashboards.dashboard_per_month,
            )),
            // A cold-start filter publishes one custom metric (its name per function, no
            // dimension), billed by the month once it has data.
            ResourceSpec::MetricFilter(_) => lines.push(CostLine::new(
                id,
                "cold-start custom metric",
                1.0,
                "metric-months",
                prices.cloudwatch_dashboards.custom_metric_per_month,
            )),
        }
    }
    lines.extend(lambda_lines(prices, &lambda_usage, true));
    lines.extend(logs::log_lines(stack, prices, &mut notes));
    lines.extend(logs::alarm_lines(stack, prices));
    // SQS's free million requests and DynamoDB's free 25 GB are the account's, shared out.
    let total_sqs: f64 = sqs.iter().map(|s| s.1).sum();
    let free_sqs = prices.sqs.free_requests.min(total_sqs);
    for (id, requests, unit) in sqs {
        let share = if total_sqs > 0.0 {
            requests / total_sqs
        } else {
            0.0
        };
        lines.push(
            CostLine::new(&id, "requests", requests, "requests", unit).with_free(free_sqs * share),
        );
    }
    let total_storage: f64 = table_storage.iter().map(|s| s.1).sum();
    let free_storage = prices.dynamodb.free_storage_gb.min(total_storage);
    for (id, gb) in table_storage {
        if gb > 0.0 {
            let share = gb / total_storage;
            lines.push(
                CostLine::new(
                    &id,
                    "storage",
                    gb,
                    "GB-months",
                    prices.dynamodb.storage_per_gb_month,
                )
                .with_free(free_storage * share),
            );
        }
    }
    if !without_traffic.is_empty() {
        notes.push(format!(
            "no traffic assumptions (only fixed costs counted): {}",
            without_traffic.join(", ")
        ));
    }
    lines.sort_by(|a, b| a.resource.cmp(&b.resource));
    let mut by_resource: BTreeMap<ResourceId, f64> = BTreeMap::new();
    for line in &lines {
        if let Some(id) = &line.resource {
            *by_resource.entry(id.clone()).or_default() += line.usd;
        }
    }
    for resource in &stack.resources {
        by_resource.entry(resource.id.clone()).or_default();
    }
    let total_usd: f64 = lines.iter().map(|l| l.usd).sum();
    let api_requests_per_month: f64 = stack
        .resources
        .iter()
        .filter(|r| r.id.kind == Kind::Api)
        .filter_map(|r| r.traffic.as_ref())
        .map(|t| t.requests_per_month as f64)
        .sum();
    Estimate {
        api_requests_per_month,
        usd_per_million_api_requests: (api_requests_per_month > 0.0)
            .then(|| total_usd / (api_requests_per_month / 1e6)),
        prices_version: prices.version.clone(),
        region: prices.region.clone(),
        lines,
        by_resource,
        total_usd,
        notes,
    }
}

/// For each function with provisioned concurrency and traffic assumptions: its forecast
/// utilisation and the break-even utilisation of its architecture.
pub fn provisioned_forecasts(stack: &Stack, prices: &Prices) -> BTreeMap<ResourceId, (f64, f64)> {
    let mut notes = Vec::new();
    stack
        .resources
        .iter()
        .filter_map(|r| {
            let ResourceSpec::Function(f) = &r.spec else {
                return None;
            };
            let traffic = r.traffic.as_ref()?;
            f.alias.as_ref()?.provisioned_concurrency.as_ref()?;
            let usage = function_usage(prices, f, traffic, &mut notes, &r.id);
            (usage.provisioned_concurrency_seconds > 0.0).then(|| {
                (
                    r.id.clone(),
                    (
                        usage.utilisation(),
                        break_even_utilisation(prices, f.architecture),
                    ),
                )
            })
        })
        .collect()
}

/// The provisioned-concurrency calculator's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PcComparison {
    pub break_even_utilisation: f64,
    pub utilisation: f64,
    pub with_provisioned: Vec<CostLine>,
    pub with_provisioned_usd: f64,
    pub on_demand_only: Vec<CostLine>,
    pub on_demand_only_usd: f64,
    pub recommendation: String,
}

/// What the free tier takes off these lines.
fn free_usd(lines: &[CostLine]) -> f64 {
    lines.iter().map(|l| l.free * l.unit_price).sum()
}

/// The calculator's advice, worded from its own numbers: which month is cheaper decides, and
/// the utilisation is placed above or below the break-even as it is. The break-even compares
/// list prices only, so when the cheaper side disagrees with it the sentence names why (the
/// free tier the on-demand month keeps, or the duration tiers and five-minute rounding).
fn recommend_provisioned(
    utilisation: f64,
    break_even: f64,
    with_usd: f64,
    without_usd: f64,
    extra_free_usd: f64,
) -> String {
    let side = if utilisation >= break_even {
        "above"
    } else {
        "below"
    };
    let position = format!(
        "{:.1}% utilisation is {side} the {:.0}% break-even",
        utilisation * 100.0,
        break_even * 100.0
    );
    if with_usd <= without_usd {
        let saving = without_usd - with_usd;
        if side == "above" {
            format!("provisioned concurrency pays for itself: {position}; it saves ${saving:.2} a month")
        } else {
            format!("provisioned concurrency is ${saving:.2} a month cheaper although {position} (billing rounds and duration tiers favour it here)")
        }
    } else {
        let saving = with_usd - without_usd;
        let why = if side == "below" {
            position.clone()
        } else if extra_free_usd > 0.005 {
            format!("{position}, but the free tier, which does not apply while provisioned concurrency is on, is worth ${extra_free_usd:.2} a month on demand")
        } else {
            format!("{position}, but on-demand duration tiers and the five-minute rounding of provisioned periods outweigh it")
        };
        format!("on demand is ${saving:.2} a month cheaper: {why}; keep provisioned concurrency only if cold starts are unacceptable")
    }
}

/// Compare a function's month with and without provisioned concurrency (free tier included).
pub fn compare_provisioned(prices: &Prices, usage: &LambdaUsage) -> PcComparison {
    let id = ResourceId::new(Kind::Function, "calculator");
    let with_provisioned = lambda_lines(prices, &[(id.clone(), usage.clone())], true);
    // The same requests, every one on demand at its own duration.
    let od_ms = if usage.requests > 0.0 {
        (usage.on_demand_requests * usage.on_demand_duration_ms
            + usage.provisioned_requests * usage.provisioned_duration_ms)
            / usage.requests
    } else {
        0.0
    };
    let on_demand = LambdaUsage {
        on_demand_requests: usage.requests,
        on_demand_duration_ms: od_ms,
        provisioned_concurrency_seconds: 0.0,
        provisioned_requests: 0.0,
        on_demand_requests_while_provisioned: 0.0,
        ..usage.clone()
    };
    let on_demand_only = lambda_lines(prices, &[(id, on_demand)], true);
    let sum = |lines: &[CostLine]| lines.iter().map(|l| l.usd).sum::<f64>();
    let (with_usd, without_usd) = (sum(&with_provisioned), sum(&on_demand_only));
    let break_even = break_even_utilisation(prices, usage.architecture);
    let utilisation = usage.utilisation();
    let recommendation = if usage.provisioned_concurrency_seconds > 0.0 {
        recommend_provisioned(
            utilisation,
            break_even,
            with_usd,
            without_usd,
            free_usd(&on_demand_only) - free_usd(&with_provisioned),
        )
    } else {
        "no provisioned concurrency (0 concurrency or 0 hours): both months are on demand".into()
    };
    PcComparison {
        break_even_utilisation: break_even,
        utilisation,
        with_provisioned,
        with_provisioned_usd: with_usd,
        on_demand_only,
        on_demand_only_usd: without_usd,
        recommendation,
    }
}

#[cfg(test)]
mod tests;
