//! `slsctl cost --recommend`: savings from what the stack really did, read from CloudWatch over
//! a window of hourly data points (14 days). Pure: the caller reads the metrics
//! (`aws::metric_data`) into [`Observations`]; this module decides.
//!
//! What it can see, and what it cannot:
//! - Lambda publishes `Invocations` and `Duration` (AWS/Lambda), and for an alias with
//!   provisioned concurrency `ProvisionedConcurrencyUtilization` and
//!   `ProvisionedConcurrentExecutions`.
//! - Lambda publishes no memory metric. Max memory used is in each invocation's REPORT log line
//!   only; the stack's metric filter publishes `InitDuration/<function>` (cold starts), not
//!   memory. Lambda Insights, when enabled, publishes `used_memory_max` (LambdaInsights): with it
//!   memory is judged, without it the report says there is no evidence.
//! - DynamoDB publishes `ConsumedReadCapacityUnits` / `ConsumedWriteCapacityUnits` per table
//!   (the indexes' are separate metrics, not read here).

use serde::Serialize;

use super::{estimate, Prices};
use crate::model::{Architecture, Billing, Code, Function, ResourceId, ResourceSpec, Stack};

/// Hourly series (epoch seconds of the hour, value) of one function.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionMetrics {
    pub id: ResourceId,
    /// `Invocations`, Sum per hour.
    pub invocations: Vec<(i64, f64)>,
    /// `Duration`, Average per hour (ms).
    pub duration_ms: Vec<(i64, f64)>,
    /// Lambda Insights `used_memory_max`, Maximum over the window (MB); `None`: no data.
    pub max_memory_used_mb: Option<f64>,
    /// `ProvisionedConcurrencyUtilization` (0–1), Average per hour, of the alias.
    pub pc_utilisation: Vec<(i64, f64)>,
    /// `ProvisionedConcurrentExecutions`, Average per hour, of the alias.
    pub pc_executions: Vec<(i64, f64)>,
}

/// Hourly sums of consumed capacity of one table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableMetrics {
    pub id: ResourceId,
    pub consumed_read: Vec<(i64, f64)>,
    pub consumed_write: Vec<(i64, f64)>,
}

/// What CloudWatch said about the stack over `hours` hours.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observations {
    pub hours: u32,
    pub functions: Vec<FunctionMetrics>,
    pub tables: Vec<TableMetrics>,
    /// Series CloudWatch marked incomplete, and why.
    pub incomplete: Vec<String>,
}

/// One recommendation: what to do, what it saves a month, and what it rests on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceId>,
    /// `idle`, `provisioned-concurrency`, `memory`, `arm64`, `table-capacity`, `savings-plan`.
    pub kind: &'static str,
    pub action: String,
    pub monthly_saving_usd: f64,
    pub evidence: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub window_hours: u32,
    pub prices_version: String,
    pub recommendations: Vec<Recommendation>,
    pub total_monthly_saving_usd: f64,
    /// What could not be judged, and why (no data, no metric).
    pub without_evidence: Vec<String>,
}

/// The utilisation under which, hour by hour, provisioned concurrency costs more than the same
/// work on demand (see `break_even_utilisation`).
fn break_even(prices: &Prices, arch: Architecture) -> f64 {
    super::break_even_utilisation(prices, arch)
}

/// Runtimes Lambda runs on arm64 (Graviton2): all current managed runtimes but Go 1.x, Java 8
/// on Amazon Linux 1 and the Amazon Linux 1 custom runtime.
pub fn runtime_allows_arm64(runtime: &str) -> bool {
    !matches!(
        runtime,
        "go1.x" | "java8" | "provided" | "dotnetcore3.1" | "nodejs10.x"
    ) && !runtime.starts_with("python2")
        && !runtime.starts_with("python3.6")
        && !runtime.starts_with("python3.7")
        && !runtime.starts_with("ruby2.5")
}

fn sum(series: &[(i64, f64)]) -> f64 {
    series.iter().map(|p| p.1).sum()
}

/// GB-s of the window: Σ per hour invocations × average duration × memory.
fn gb_seconds(f: &FunctionMetrics, memory_mb: u32) -> f64 {
    f.invocations
        .iter()
        .map(|(t, n)| {
            let ms = f
                .duration_ms
                .iter()
                .find(|(u, _)| u == t)
                .map_or(0.0, |p| p.1);
            n * ms / 1000.0 * f64::from(memory_mb) / 1024.0
        })
        .sum()
}

fn hour_of_day(epoch: i64) -> usize {
    (epoch.rem_euclid(86_400) / 3600) as usize
}

/// Hours of the day (UTC) as ranges: [1, 2, 3, 7] → "01:00–04:00, 07:00–08:00".
fn hour_ranges(hours: &[usize]) -> String {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &h in hours {
        match ranges.last_mut() {
            Some((_, end)) if *end == h => *end = h + 1,
            _ => ranges.push((h, h + 1)),
        }
    }
    ranges
        .iter()
        .map(|(a, b)| format!("{a:02}:00–{:02}:00", b % 24))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Recommendations for the stack from its observations.
pub fn recommend(stack: &Stack, prices: &Prices, observed: &Observations) -> Report {
    let hours = f64::from(observed.hours.max(1));
    let days = hours / 24.0;
    // Window figures to a month of the price table's hours.
    let to_month = f64::from(prices.hours_per_month) / hours;
    // An idle function saves its fixed costs only: the spec's traffic assumptions are not what
    // happened, so they are left out of the estimate it is priced from.
    let fixed = {
        let mut without_traffic = stack.clone();
        for r in &mut without_traffic.resources {
            r.traffic = None;
        }
        estimate(&without_traffic, prices)
    };
    let mut out = Vec::new();
    let mut without = observed.incomplete.clone();
    let lp = &prices.lambda;
    let mut hourly_spend: std::collections::BTreeMap<i64, f64> = Default::default();
    for f in &observed.functions {
        let Some(ResourceSpec::Function(spec)) = stack.get(&f.id).map(|r| &r.spec) else {
            continue;
        };
        let invocations = sum(&f.invocations);
        let gb = f64::from(spec.memory_size) / 1024.0;
        let p = prices.arch(spec.architecture);
        let od_rate = p.duration_tiers.first().map_or(0.0, |t| t.per_gb_second);
        for (t, n) in &f.invocations {
            let ms = f
                .duration_ms
                .iter()
                .find(|(u, _)| u == t)
                .map_or(0.0, |p| p.1);
            *hourly_spend.entry(*t).or_default() += n * ms / 1000.0 * gb * od_rate;
        }
        if invocations == 0.0 {
            let derived: f64 = stack
                .resources
                .iter()
                .filter(|r| r.id == f.id || r.derived_from.as_ref() == Some(&f.id))
                .map(|r| fixed.by_resource.get(&r.id).copied().unwrap_or(0.0))
                .sum();
            out.push(Recommendation {
                resource: Some(f.id.clone()),
                kind: "idle",
                action: "remove it (or find out what should invoke it)".into(),
                monthly_saving_usd: derived,
                evidence: vec![format!(
                    "0 invocations in {days:.0} days (AWS/Lambda Invocations; a function not deployed for that long has none either); its fixed costs (provisioned concurrency, alarms, dashboard metrics) are ${derived:.2} a month"
                )],
            });
            continue;
        }
        let window_gb_s = gb_seconds(f, spec.memory_size);
        let avg_ms = if invocations > 0.0 {
            window_gb_s / gb / invocations * 1000.0
        } else {
            0.0
        };
        let usage = format!(
            "{invocations:.0} invocations in {days:.0} days, {avg_ms:.0} ms on average at {} MB: {:.0} GB-s a month",
            spec.memory_size,
            window_gb_s * to_month
        );
        provisioned(prices, f, spec, days, &mut out);
        memory(
            f,
            spec,
            window_gb_s * to_month,
            od_rate,
            &usage,
            days,
            &mut out,
            &mut without,
        );
        if spec.architecture == Architecture::X86_64 {
            let runtime = spec.runtime.as_deref().unwrap_or_default();
            if matches!(spec.code, Code::Image(_)) {
                without.push(format!(
                    "{}: arm64 not judged: a container image must be rebuilt for arm64",
                    f.id
                ));
            } else if runtime_allows_arm64(runtime) {
                let arm = lp
                    .arm64
                    .duration_tiers
                    .first()
                    .map_or(0.0, |t| t.per_gb_second);
                let saving = window_gb_s * to_month * (od_rate - arm);
                if saving > 0.0 {
                    out.push(Recommendation {
                        resource: Some(f.id.clone()),
                        kind: "arm64",
                        action: format!("run it on arm64 ({runtime} supports it)"),
                        monthly_saving_usd: saving,
                        evidence: vec![
                            usage.clone(),
                            format!(
                                "duration ${od_rate}/GB-s on x86_64, ${arm}/GB-s on arm64 (prices {})",
                                prices.version
                            ),
                            "native dependencies of its code and layers need arm64 builds".into(),
                        ],
                    });
                }
            }
        }
    }
    for t in &observed.tables {
        table(stack, prices, t, days, to_month, &mut out);
    }
    // Compute Savings Plans: commit to the steady part, the lowest hour of Lambda duration spend
    // in the window (hours with no data count as none), at the published discount.
    let window = observed.hours as usize;
    let lowest = if hourly_spend.len() >= window && window > 0 {
        hourly_spend.values().copied().fold(f64::INFINITY, f64::min)
    } else {
        0.0
    };
    let sp = &prices.savings_plans;
    if lowest > 0.0 {
        let average: f64 = hourly_spend.values().sum::<f64>() / hours;
        out.push(Recommendation {
            resource: None,
            kind: "savings-plan",
            action: format!(
                "buy a Compute Savings Plan ({}) committing ${:.4} an hour",
                sp.lambda_term,
                lowest * (1.0 - sp.lambda_discount)
            ),
            monthly_saving_usd: lowest * f64::from(prices.hours_per_month) * sp.lambda_discount,
            evidence: vec![
                format!(
                    "Lambda duration spend at on-demand prices: lowest hour ${lowest:.4}, average hour ${average:.4} over {days:.0} days"
                ),
                format!(
                    "the plan's discount on Lambda duration and provisioned concurrency: {:.0}% ({})",
                    sp.lambda_discount * 100.0,
                    sp.source
                ),
            ],
        });
    } else if !observed.functions.is_empty() {
        without.push(
            "Savings Plans: no steady Lambda spend (some hour of the window had none)".into(),
        );
    }
    out.sort_by(|a, b| b.monthly_saving_usd.total_cmp(&a.monthly_saving_usd));
    Report {
        window_hours: observed.hours,
        prices_version: prices.version.clone(),
        total_monthly_saving_usd: out.iter().map(|r| r.monthly_saving_usd).sum(),
        recommendations: out,
        without_evidence: without,
    }
}

/// Provisioned concurrency hour of the day by hour of the day: where the average utilisation
/// is below the break-even, on demand does the same work for less.
fn provisioned(
    prices: &Prices,
    f: &FunctionMetrics,
    spec: &Function,
    days: f64,
    out: &mut Vec<Recommendation>,
) {
    let Some(pc) = spec
        .alias
        .as_ref()
        .and_then(|a| a.provisioned_concurrency.as_ref())
    else {
        return;
    };
    if f.pc_utilisation.is_empty() {
        return;
    }
    let p = prices.arch(spec.architecture);
    let od = p.duration_tiers.first().map_or(0.0, |t| t.per_gb_second);
    let b = break_even(prices, spec.architecture);
    let gb = f64::from(spec.memory_size) / 1024.0;
    let mut by_hour = [(0.0f64, 0.0f64, 0u32); 24]; // Σ utilisation, Σ executions, points
    for (t, u) in &f.pc_utilisation {
        let h = hour_of_day(*t);
        by_hour[h].0 += u;
        by_hour[h].2 += 1;
        by_hour[h].1 += f
            .pc_executions
            .iter()
            .find(|(s, _)| s == t)
            .map_or(0.0, |p| p.1);
    }
    let mut below = Vec::new();
    let mut saving = 0.0;
    let mut shown = Vec::new();
    let hours_with_data = by_hour.iter().filter(|h| h.2 > 0).count();
    let days_per_month = f64::from(prices.hours_per_month) / 24.0;
    for (h, (u_sum, e_sum, n)) in by_hour.iter().enumerate() {
        if *n == 0 {
            continue;
        }
        let u = u_sum / f64::from(*n);
        let e = e_sum / f64::from(*n);
        shown.push(format!("{h:02} {:.0}%", u * 100.0));
        if u < b {
            // Allocated concurrency: executions / utilisation; with none in use, the baseline.
            let allocated = if u > 0.0 {
                e / u
            } else {
                f64::from(pc.baseline)
            };
            below.push(h);
            saving += allocated
                * 3600.0
                * gb
                * (od - p.provisioned_duration_per_gb_second)
                * (b - u)
                * days_per_month;
        }
    }
    if below.is_empty() || saving <= 0.0 {
        return;
    }
    let action = if below.len() == hours_with_data {
        "drop provisioned concurrency: every hour is below the break-even".to_string()
    } else {
        format!(
            "schedule provisioned concurrency off (or lower) during {} UTC",
            hour_ranges(&below)
        )
    };
    out.push(Recommendation {
        resource: Some(f.id.clone()),
        kind: "provisioned-concurrency",
        action,
        monthly_saving_usd: saving,
        evidence: vec![
            format!(
                "utilisation by hour of the day (UTC), averaged over {days:.0} days (ProvisionedConcurrencyUtilization): {}",
                shown.join(", ")
            ),
            format!("break-even utilisation {:.0}%", b * 100.0),
        ],
    });
}

/// Memory against the most it used, when Lambda Insights says; no guess without it.
#[allow(clippy::too_many_arguments)]
fn memory(
    f: &FunctionMetrics,
    spec: &Function,
    month_gb_s: f64,
    od_rate: f64,
    usage: &str,
    days: f64,
    out: &mut Vec<Recommendation>,
    without: &mut Vec<String>,
) {
    let Some(used) = f.max_memory_used_mb else {
        without.push(format!(
            "{}: memory not judged: Lambda reports Max Memory Used only in each invocation's REPORT log line; the stack's metric filter publishes cold starts (InitDuration), not memory, and Lambda Insights (used_memory_max) has no data for it; `slsctl tune` measures it",
            f.id
        ));
        return;
    };
    // 25% headroom above the most used, in Lambda's 64 MB steps, never below 128 MB.
    let suggested = (((used * 1.25) / 64.0).ceil() as u32 * 64).max(128);
    if suggested >= spec.memory_size {
        return;
    }
    let saving = month_gb_s * (1.0 - f64::from(suggested) / f64::from(spec.memory_size)) * od_rate;
    out.push(Recommendation {
        resource: Some(f.id.clone()),
        kind: "memory",
        action: format!("lower memorySize from {} to {suggested} MB", spec.memory_size),
        monthly_saving_usd: saving,
        evidence: vec![
            format!(
                "max memory used {used:.0} MB of {} MB over {days:.0} days (Lambda Insights used_memory_max)",
                spec.memory_size
            ),
            usage.to_string(),
            "assumes the duration stays the same; less memory is also less CPU: confirm with `slsctl tune`".into(),
        ],
    });
}

/// On-demand against provisioned capacity, from consumed capacity.
fn table(
    stack: &Stack,
    prices: &Prices,
    t: &TableMetrics,
    days: f64,
    to_month: f64,
    out: &mut Vec<Recommendation>,
) {
    let Some(ResourceSpec::Table(spec)) = stack.get(&t.id).map(|r| &r.spec) else {
        return;
    };
    let d = &prices.dynamodb;
    let (reads, writes) = (sum(&t.consumed_read), sum(&t.consumed_write));
    let peak = |s: &[(i64, f64)]| s.iter().map(|p| p.1).fold(0.0, f64::max) / 3600.0;
    let (peak_r, peak_w) = (peak(&t.consumed_read), peak(&t.consumed_write));
    let on_demand = (reads * d.read_request_units_per_million
        + writes * d.write_request_units_per_million)
        / 1e6
        * to_month;
    let hours = f64::from(prices.hours_per_month);
    // Provisioned for the busiest hour's average rate at auto scaling's 70% target.
    let (rcu, wcu) = (
        (peak_r / 0.7).ceil().max(1.0),
        (peak_w / 0.7).ceil().max(1.0),
    );
    let provisioned_needed =
        (rcu * d.read_capacity_unit_hour + wcu * d.write_capacity_unit_hour) * hours;
    let mut evidence = vec![
        format!(
            "consumed in {days:.0} days: {reads:.0} read units, {writes:.0} write units (the table's own, not its indexes'); busiest hour {peak_r:.1} reads/s, {peak_w:.1} writes/s"
        ),
        format!("on demand: ${on_demand:.2} a month for that traffic"),
    ];
    // What to change, the saving, and the figure that shows it.
    let found = match spec.billing {
        Billing::OnDemand => (provisioned_needed < on_demand).then(|| {
            (
                format!("switch to PROVISIONED with {rcu:.0} RCU and {wcu:.0} WCU and auto scaling"),
                on_demand - provisioned_needed,
                format!(
                    "provisioned {rcu:.0} RCU and {wcu:.0} WCU (the busiest hour at 70% utilisation): ${provisioned_needed:.2} a month; hourly averages hide shorter peaks, so keep auto scaling"
                ),
            )
        }),
        Billing::Provisioned { read, write } => {
            let current = (f64::from(read) * d.read_capacity_unit_hour
                + f64::from(write) * d.write_capacity_unit_hour)
                * hours;
            let (action, cost) = if on_demand < provisioned_needed.min(current) {
                (
                    "switch to PAY_PER_REQUEST (on demand)".to_string(),
                    on_demand,
                )
            } else {
                (
                    format!("lower the capacity to {rcu:.0} RCU and {wcu:.0} WCU"),
                    provisioned_needed,
                )
            };
            (cost < current).then(|| {
                (
                    action,
                    current - cost,
                    format!("provisioned now: {read} RCU and {write} WCU, ${current:.2} a month"),
                )
            })
        }
    };
    let Some((action, monthly_saving_usd, shown_by)) = found else {
        return;
    };
    evidence.push(shown_by);
    out.push(Recommendation {
        resource: Some(t.id.clone()),
        kind: "table-capacity",
        action,
        monthly_saving_usd,
        evidence,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    const HOUR: i64 = 3600;
    /// The window: 2 days of hourly points from midnight UTC.
    const START: i64 = 1_764_547_200;

    fn stack() -> Stack {
        crate::kinds::test_stack(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: busy}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: \"arn:aws:iam::123456789012:role/r\"\n  memorySize: 1024\n  alias: {name: live, provisionedConcurrency: {baseline: 10}}\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: quiet}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: \"arn:aws:iam::123456789012:role/r\"\n  traffic: {requestsPerMonth: 50000000, averageDurationMs: 100}\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: t}\nspec:\n  partitionKey: {name: pk, type: S}\n",
        )
    }

    fn hourly(f: impl Fn(usize) -> f64) -> Vec<(i64, f64)> {
        (0..48).map(|h| (START + h as i64 * HOUR, f(h))).collect()
    }

    fn busy(memory: Option<f64>) -> FunctionMetrics {
        FunctionMetrics {
            id: ResourceId::new(Kind::Function, "busy"),
            // 36,000 invocations of 100 ms every hour.
            invocations: hourly(|_| 36_000.0),
            duration_ms: hourly(|_| 100.0),
            max_memory_used_mb: memory,
            // 10 provisioned: 90% used from 08:00 to 20:00 UTC, 10% otherwise.
            pc_utilisation: hourly(|h| {
                if (8..20).contains(&(h % 24)) {
                    0.9
                } else {
                    0.1
                }
            }),
            pc_executions: hourly(|h| {
                if (8..20).contains(&(h % 24)) {
                    9.0
                } else {
                    1.0
                }
            }),
        }
    }

    fn observed(memory: Option<f64>) -> Observations {
        Observations {
            hours: 48,
            functions: vec![
                busy(memory),
                FunctionMetrics {
                    id: ResourceId::new(Kind::Function, "quiet"),
                    invocations: Vec::new(),
                    duration_ms: Vec::new(),
                    max_memory_used_mb: None,
                    pc_utilisation: Vec::new(),
                    pc_executions: Vec::new(),
                },
            ],
            // 7,200,000 write units an hour (2,000 a second) and 360,000 read units (100 a second).
            tables: vec![TableMetrics {
                id: ResourceId::new(Kind::Table, "t"),
                consumed_read: hourly(|_| 360_000.0),
                consumed_write: hourly(|_| 7_200_000.0),
            }],
            incomplete: Vec::new(),
        }
    }

    fn find<'a>(report: &'a Report, kind: &str) -> &'a Recommendation {
        report
            .recommendations
            .iter()
            .find(|r| r.kind == kind)
            .unwrap_or_else(|| panic!("a {kind} recommendation in {report:#?}"))
    }

    #[test]
    fn provisioned_concurrency_below_the_break_even_hours_gets_a_schedule() {
        let report = recommend(&stack(), Prices::us_east_1(), &observed(None));
        let pc = find(&report, "provisioned-concurrency");
        assert_eq!(
            pc.action,
            "schedule provisioned concurrency off (or lower) during 00:00–08:00, 20:00–00:00 UTC"
        );
        // 12 hours a day at 10% against the 60% break-even, 10 allocated (1 / 0.1) at 1 GB:
        // 10 × 3,600 s × (0.0000166667 − 0.0000097222) × (0.6 − 0.1) a hour, × 12 hours ×
        // 730 / 24 days.
        let b = 0.0000041667 / (0.0000166667 - 0.0000097222);
        let by_hand =
            10.0 * 3600.0 * (0.0000166667 - 0.0000097222) * (b - 0.1) * 12.0 * 730.0 / 24.0;
        assert!(
            (pc.monthly_saving_usd - by_hand).abs() < 1e-9,
            "{} vs {by_hand}",
            pc.monthly_saving_usd
        );
        assert!(
            pc.evidence[0].contains("07 10%, 08 90%"),
            "{:?}",
            pc.evidence
        );
    }

    #[test]
    fn idle_functions_memory_arm64_tables_and_savings_plans() {
        let prices = Prices::us_east_1();
        let report = recommend(&stack(), prices, &observed(Some(180.0)));

        // Idle: its fixed monthly costs, alarms and cold-start metric included, not what its
        // traffic assumptions (50M requests) would have cost.
        let idle = find(&report, "idle");
        assert_eq!(
            idle.resource,
            Some(ResourceId::new(Kind::Function, "quiet"))
        );
        let mut without_traffic = stack();
        for r in &mut without_traffic.resources {
            r.traffic = None;
        }
        let fixed = estimate(&without_traffic, prices);
        let quiet = ResourceId::new(Kind::Function, "quiet");
        let assumed = estimate(&stack(), prices).by_resource[&quiet];
        assert!(assumed > 1.0, "{assumed}");
        let expected: f64 = stack()
            .resources
            .iter()
            .filter(|r| r.id == quiet || r.derived_from.as_ref() == Some(&quiet))
            .map(|r| fixed.by_resource[&r.id])
            .sum();
        assert!(expected > 0.0);
        assert!((idle.monthly_saving_usd - expected).abs() < 1e-12);

        // Memory: 180 MB used × 1.25 = 225 → 256 MB; the month's GB-s: 36,000 × 0.1 s × 1 GB
        // an hour × 730 hours = 2,628,000, three quarters of it saved at $0.0000166667.
        let memory = find(&report, "memory");
        assert_eq!(memory.action, "lower memorySize from 1024 to 256 MB");
        let by_hand = 2_628_000.0 * 0.75 * 0.0000166667;
        assert!((memory.monthly_saving_usd - by_hand).abs() < 1e-6);

        // arm64: the same GB-s at $0.0000166667 − $0.0000133334.
        let arm = find(&report, "arm64");
        let by_hand = 2_628_000.0 * (0.0000166667 - 0.0000133334);
        assert!((arm.monthly_saving_usd - by_hand).abs() < 1e-6);

        // Table: on demand 7.2M WRU and 0.36M RRU an hour: (7.2 × 0.625 + 0.36 × 0.125) × 730
        // = $3,318.85; provisioned for 2,000 writes/s and 100 reads/s at 70%: 2,858 WCU and 143
        // RCU × 730 h.
        let table = find(&report, "table-capacity");
        let on_demand = (7.2 * 0.625 + 0.36 * 0.125) * 730.0;
        let provisioned = (2858.0 * 0.00065 + 143.0 * 0.00013) * 730.0;
        assert_eq!(
            table.action,
            "switch to PROVISIONED with 143 RCU and 2858 WCU and auto scaling"
        );
        assert!((table.monthly_saving_usd - (on_demand - provisioned)).abs() < 1e-6);

        // Savings Plans: every hour spends 3,600 GB-s × $0.0000166667 on duration; 17% of it
        // over 730 hours.
        let plan = find(&report, "savings-plan");
        let by_hand = 3600.0 * 0.0000166667 * 730.0 * 0.17;
        assert!((plan.monthly_saving_usd - by_hand).abs() < 1e-9);
        assert!(plan.resource.is_none());
    }

    #[test]
    fn memory_without_lambda_insights_is_not_guessed() {
        let report = recommend(&stack(), Prices::us_east_1(), &observed(None));
        assert!(report.recommendations.iter().all(|r| r.kind != "memory"));
        assert!(report
            .without_evidence
            .iter()
            .any(|n| n.starts_with("Function/busy: memory not judged")));
    }

    #[test]
    fn a_gap_in_the_window_means_no_steady_spend() {
        let mut observed = observed(None);
        observed.functions[0].invocations.remove(5);
        let report = recommend(&stack(), Prices::us_east_1(), &observed);
        assert!(report
            .recommendations
            .iter()
            .all(|r| r.kind != "savings-plan"));
    }
}
