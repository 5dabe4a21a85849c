//! The pure half of `slsctl tune`: reading Lambda's REPORT line, the figures per memory size,
//! their cost, the three recommendations and the text report. No AWS calls here.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cost::Prices;
use crate::model::Architecture;

/// What Lambda reports about one invocation at its end (the `REPORT` line of the text log
/// format, or the `platform.report` event of the JSON one).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub duration_ms: f64,
    pub billed_duration_ms: f64,
    pub max_memory_used_mb: Option<u32>,
    /// Present on a cold start only.
    pub init_duration_ms: Option<f64>,
}

/// Read the REPORT of an invocation from the log tail Invoke returns with `LogType=Tail` (the
/// last 4 KB of its log, base64). The report is the last thing Lambda writes, so it is in the
/// tail whatever the function logged before it.
pub fn parse_log_tail(base64_tail: &str) -> Result<Invocation, String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_tail.trim())
        .map_err(|e| format!("the log tail is not base64: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    text.lines()
        .rev()
        .find_map(|line| parse_text_report(line).or_else(|| parse_json_report(line)))
        .ok_or_else(|| "the log tail holds no REPORT line".to_string())
}

/// `REPORT RequestId: …\tDuration: 15.74 ms\tBilled Duration: 16 ms\tMemory Size: 128 MB\t
/// Max Memory Used: 56 MB\tInit Duration: 130.49 ms` (the text log format).
fn parse_text_report(line: &str) -> Option<Invocation> {
    let body = line.trim_start().strip_prefix("REPORT ")?;
    let mut duration = None;
    let mut billed = None;
    let mut max_memory = None;
    let mut init = None;
    for field in body.split('\t') {
        let Some((name, value)) = field.split_once(':') else {
            continue;
        };
        let number = || {
            value
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        };
        match name.trim() {
            "Duration" => duration = number(),
            "Billed Duration" => billed = number(),
            "Max Memory Used" => max_memory = number().map(|n| n as u32),
            "Init Duration" => init = number(),
            _ => {}
        }
    }
    Some(Invocation {
        duration_ms: duration?,
        billed_duration_ms: billed?,
        max_memory_used_mb: max_memory,
        init_duration_ms: init,
    })
}

/// `{"type":"platform.report","record":{"metrics":{"durationMs":…,"billedDurationMs":…,…}}}`
/// (the JSON log format, `logging.format: JSON`).
fn parse_json_report(line: &str) -> Option<Invocation> {
    let value: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    if value.get("type")?.as_str()? != "platform.report" {
        return None;
    }
    let metrics = value.get("record")?.get("metrics")?;
    let number = |key: &str| metrics.get(key).and_then(serde_json::Value::as_f64);
    Some(Invocation {
        duration_ms: number("durationMs")?,
        billed_duration_ms: number("billedDurationMs")?,
        max_memory_used_mb: number("maxMemoryUsedMB").map(|n| n as u32),
        init_duration_ms: number("initDurationMs"),
    })
}

/// The figures of one memory size over its invocations.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SizeResult {
    pub memory_mb: u32,
    pub invocations: usize,
    /// Invocations that were cold starts (their report has an Init Duration).
    pub cold_starts: usize,
    /// Over the warm invocations (all of them when every one was cold): a cold start happens
    /// once per execution environment, and would otherwise weigh as much as the steady state.
    pub average_ms: f64,
    pub p95_ms: f64,
    pub average_billed_ms: f64,
    pub max_memory_used_mb: Option<u32>,
    /// The cold starts' average Init Duration.
    pub average_init_ms: Option<f64>,
    /// The average billed duration's compute plus the request charge, at list price (no free
    /// tier: tuning is about the marginal invocation).
    pub cost_per_invocation_usd: f64,
}

/// What an invocation costs a function of this memory and architecture: billed duration at
/// the first duration tier's GB-second price, ephemeral storage above the free 512 MB, and the
/// request price.
pub fn cost_per_invocation(
    prices: &Prices,
    architecture: Architecture,
    memory_mb: u32,
    ephemeral_storage_mb: u32,
    billed_ms: f64,
) -> f64 {
    let tiers = match architecture {
        Architecture::Arm64 => &prices.lambda.arm64.duration_tiers,
        Architecture::X86_64 => &prices.lambda.x86_64.duration_tiers,
    };
    let per_gb_second = tiers.first().map_or(0.0, |t| t.per_gb_second);
    let seconds = billed_ms / 1000.0;
    let compute = f64::from(memory_mb) / 1024.0 * seconds * per_gb_second;
    let extra_storage =
        f64::from(ephemeral_storage_mb.saturating_sub(prices.lambda.free_ephemeral_storage_mb))
            / 1024.0
            * seconds
            * prices.lambda.ephemeral_storage_per_gb_second;
    compute + extra_storage + prices.lambda.requests_per_million / 1_000_000.0
}

/// The nearest-rank percentile of `values` (sorted or not); 0 for none.
fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn average(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (count > 0).then(|| sum / count as f64)
}

/// The figures of one memory size from its invocations' reports.
pub fn summarise(
    memory_mb: u32,
    runs: &[Invocation],
    cost: impl Fn(u32, f64) -> f64,
) -> SizeResult {
    let warm: Vec<&Invocation> = runs
        .iter()
        .filter(|r| r.init_duration_ms.is_none())
        .collect();
    let counted: Vec<&Invocation> = if warm.is_empty() {
        runs.iter().collect()
    } else {
        warm
    };
    let durations: Vec<f64> = counted.iter().map(|r| r.duration_ms).collect();
    let average_billed_ms = average(counted.iter().map(|r| r.billed_duration_ms)).unwrap_or(0.0);
    SizeResult {
        memory_mb,
        invocations: runs.len(),
        cold_starts: runs.iter().filter(|r| r.init_duration_ms.is_some()).count(),
        average_ms: average(durations.iter().copied()).unwrap_or(0.0),
        p95_ms: percentile(&durations, 95.0),
        average_billed_ms,
        max_memory_used_mb: runs.iter().filter_map(|r| r.max_memory_used_mb).max(),
        average_init_ms: average(runs.iter().filter_map(|r| r.init_duration_ms)),
        cost_per_invocation_usd: cost(memory_mb, average_billed_ms),
    }
}

/// The sizes to recommend, by memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Recommendations {
    /// The lowest cost per invocation (ties: the faster).
    pub cheapest: u32,
    /// The lowest average duration (ties: the cheaper).
    pub fastest: u32,
    /// The lowest sum of cost and duration, each relative to its best: a size 10% dearer and
    /// 40% faster than the cheapest wins over it.
    pub balanced: u32,
}

/// Which recommendation `--apply` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    Cheapest,
    Fastest,
    Balanced,
}

impl Recommendations {
    pub fn pick(&self, choice: Choice) -> u32 {
        match choice {
            Choice::Cheapest => self.cheapest,
            Choice::Fastest => self.fastest,
            Choice::Balanced => self.balanced,
        }
    }
}

/// The three recommendations; `None` without results.
pub fn recommend(results: &[SizeResult]) -> Option<Recommendations> {
    let best = |key: &dyn Fn(&SizeResult) -> (f64, f64)| {
        results
            .iter()
            .min_by(|a, b| {
                let (a1, a2) = key(a);
                let (b1, b2) = key(b);
                a1.total_cmp(&b1)
                    .then(a2.total_cmp(&b2))
                    .then(a.memory_mb.cmp(&b.memory_mb))
            })
            .map(|r| r.memory_mb)
    };
    let cheapest_cost = results
        .iter()
        .map(|r| r.cost_per_invocation_usd)
        .fold(f64::INFINITY, f64::min);
    let fastest_ms = results
        .iter()
        .map(|r| r.average_ms)
        .fold(f64::INFINITY, f64::min);
    // Relative to the best of each; a best of zero (a no-op function) makes the ratio moot.
    let ratio = |value: f64, best: f64| if best > 0.0 { value / best } else { 1.0 };
    Some(Recommendations {
        cheapest: best(&|r| (r.cost_per_invocation_usd, r.average_ms))?,
        fastest: best(&|r| (r.average_ms, r.cost_per_invocation_usd))?,
        balanced: best(&|r| {
            (
                ratio(r.cost_per_invocation_usd, cheapest_cost) + ratio(r.average_ms, fastest_ms),
                r.cost_per_invocation_usd,
            )
        })?,
    })
}

/// Everything a tuning run found, as printed and as `-o json` gives it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TuneReport {
    pub function: String,
    pub physical_name: String,
    pub architecture: Architecture,
    pub invocations_per_size: u32,
    /// The memory the function had, and has again after the run.
    pub original_memory_mb: u32,
    pub sizes: Vec<SizeResult>,
    pub recommendations: Option<Recommendations>,
    pub price_version: String,
}

/// Width of the chart's longest bar.
const BAR_WIDTH: usize = 30;

fn bar(value: f64, max: f64) -> String {
    let cells = if max > 0.0 {
        ((value / max) * BAR_WIDTH as f64).round() as usize
    } else {
        0
    };
    "█".repeat(cells.max(usize::from(value > 0.0)))
}

/// The report for people: a table, a chart of duration and cost per size, the recommendations.
pub fn render(report: &TuneReport) -> String {
    let mut out = String::new();
    let architecture = match report.architecture {
        Architecture::Arm64 => "arm64",
        Architecture::X86_64 => "x86_64",
    };
    let _ = writeln!(
        out,
        "Function/{} ({}, {architecture}): {} invocations per memory size; memory restored to {} MB\n",
        report.function, report.physical_name, report.invocations_per_size, report.original_memory_mb
    );
    let _ = writeln!(
        out,
        "{:>7}  {:>9}  {:>9}  {:>9}  {:>8}  {:>5}  {:>9}  {:>14}  {:>11}",
        "MEMORY",
        "AVG ms",
        "P95 ms",
        "BILLED ms",
        "MAX USED",
        "COLD",
        "INIT ms",
        "$/INVOCATION",
        "$/1M"
    );
    for size in &report.sizes {
        let _ = writeln!(
            out,
            "{:>4} MB  {:>9.1}  {:>9.1}  {:>9.1}  {:>8}  {:>5}  {:>9}  {:>14.10}  {:>11.4}",
            size.memory_mb,
            size.average_ms,
            size.p95_ms,
            size.average_billed_ms,
            size.max_memory_used_mb
                .map_or_else(|| "-".to_string(), |m| format!("{m} MB")),
            size.cold_starts,
            size.average_init_ms
                .map_or_else(|| "-".to_string(), |m| format!("{m:.1}")),
            size.cost_per_invocation_usd,
            size.cost_per_invocation_usd * 1_000_000.0,
        );
    }
    let max_ms = report
        .sizes
        .iter()
        .map(|s| s.average_ms)
        .fold(0.0, f64::max);
    let max_cost = report
        .sizes
        .iter()
        .map(|s| s.cost_per_invocation_usd)
        .fold(0.0, f64::max);
    let _ = writeln!(out, "\nAverage duration");
    for size in &report.sizes {
        let _ = writeln!(
            out,
            "{:>4} MB  {:<BAR_WIDTH$}  {:.1} ms",
            size.memory_mb,
            bar(size.average_ms, max_ms),
            size.average_ms
        );
    }
    let _ = writeln!(out, "\nCost per 1M invocations");
    for size in &report.sizes {
        let _ = writeln!(
            out,
            "{:>4} MB  {:<BAR_WIDTH$}  ${:.4}",
            size.memory_mb,
            bar(size.cost_per_invocation_usd, max_cost),
            size.cost_per_invocation_usd * 1_000_000.0
        );
    }
    if let Some(r) = &report.recommendations {
        let line = |memory: u32| {
            report
                .sizes
                .iter()
                .find(|s| s.memory_mb == memory)
                .map(|s| {
                    format!(
                        "{memory} MB  ({:.1} ms average, ${:.4} per 1M invocations)",
                        s.average_ms,
                        s.cost_per_invocation_usd * 1_000_000.0
                    )
                })
                .unwrap_or_default()
        };
        let _ = writeln!(out, "\nRecommended");
        let _ = writeln!(out, "  cheapest: {}", line(r.cheapest));
        let _ = writeln!(out, "  fastest:  {}", line(r.fastest));
        let _ = writeln!(out, "  balanced: {}", line(r.balanced));
    }
    let _ = writeln!(
        out,
        "\nPrices: {} list prices ({}), first duration tier, no free tier.",
        architecture, report.price_version
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn encode(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn reads_the_text_report_line_of_a_cold_start() {
        let tail = encode(
            "START RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95 Version: 3\n\
             END RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95\n\
             REPORT RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95\tDuration: 15.74 ms\tBilled Duration: 146 ms\tMemory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 130.49 ms\t\n",
        );
        assert_eq!(
            parse_log_tail(&tail).unwrap(),
            Invocation {
                duration_ms: 15.74,
                billed_duration_ms: 146.0,
                max_memory_used_mb: Some(56),
                init_duration_ms: Some(130.49),
            }
        );
    }

    #[test]
    fn reads_the_json_platform_report() {
        let tail = encode(
            r#"{"time":"2024-05-01T10:00:00.100Z","type":"platform.start","record":{"requestId":"6d68ca91","version":"3"}}
{"time":"2024-05-01T10:00:00.118Z","type":"platform.report","record":{"requestId":"6d68ca91","metrics":{"durationMs":17.5,"billedDurationMs":18,"memorySizeMB":512,"maxMemoryUsedMB":71},"status":"success"}}
"#,
        );
        assert_eq!(
            parse_log_tail(&tail).unwrap(),
            Invocation {
                duration_ms: 17.5,
                billed_duration_ms: 18.0,
                max_memory_used_mb: Some(71),
                init_duration_ms: None,
            }
        );
    }

    #[test]
    fn a_tail_without_a_report_is_an_error() {
        assert!(parse_log_tail(&encode("hello\n"))
            .unwrap_err()
            .contains("no REPORT line"));
        assert!(parse_log_tail("not base64!").is_err());
    }

    #[test]
    fn p95_is_the_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 95.0), 19.0);
        assert_eq!(percentile(&[5.0], 95.0), 5.0);
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 95.0), 3.0);
    }

    #[test]
    fn cost_of_an_invocation_at_list_price() {
        let prices = Prices::us_east_1();
        // 1024 MB for 100 ms on x86_64: 0.1 GB-s at $0.0000166667, plus $0.20 per million.
        let x86 = cost_per_invocation(prices, Architecture::X86_64, 1024, 512, 100.0);
        assert!(
            (x86 - (0.1 * 0.0000166667 + 0.0000002)).abs() < 1e-12,
            "{x86}"
        );
        // arm64's GB-second is cheaper.
        let arm = cost_per_invocation(prices, Architecture::Arm64, 1024, 512, 100.0);
        assert!(
            (arm - (0.1 * 0.0000133334 + 0.0000002)).abs() < 1e-12,
            "{arm}"
        );
        // 1536 MB of ephemeral storage: 1 GB above the free 512 MB.
        let storage = cost_per_invocation(prices, Architecture::X86_64, 1024, 1536, 100.0);
        assert!(
            (storage - x86 - 0.1 * 0.0000000309).abs() < 1e-14,
            "{storage}"
        );
    }

    fn size(memory_mb: u32, average_ms: f64, cost: f64) -> SizeResult {
        SizeResult {
            memory_mb,
            invocations: 1,
            cold_starts: 0,
            average_ms,
            p95_ms: average_ms,
            average_billed_ms: average_ms,
            max_memory_used_mb: None,
            average_init_ms: None,
            cost_per_invocation_usd: cost,
        }
    }

    #[test]
    fn recommends_the_cheapest_the_fastest_and_the_balance() {
        let results = [
            size(128, 800.0, 2.0),
            size(512, 200.0, 1.9),
            size(1024, 110.0, 2.1),
            size(3008, 100.0, 5.0),
        ];
        let r = recommend(&results).unwrap();
        assert_eq!(r.cheapest, 512);
        assert_eq!(r.fastest, 3008);
        // 1024: 2.1/1.9 + 110/100 = 2.205; 512: 1 + 2 = 3; 3008: 2.63 + 1 = 3.63.
        assert_eq!(r.balanced, 1024);
        assert!(recommend(&[]).is_none());
    }

    #[test]
    fn warm_invocations_make_the_figures_and_cold_starts_are_counted() {
        let cold = Invocation {
            duration_ms: 300.0,
            billed_duration_ms: 450.0,
            max_memory_used_mb: Some(80),
            init_duration_ms: Some(150.0),
        };
        let warm = |ms: f64| Invocation {
            duration_ms: ms,
            billed_duration_ms: ms.ceil(),
            max_memory_used_mb: Some(70),
            init_duration_ms: None,
        };
        let result = summarise(256, &[cold, warm(10.2), warm(20.5)], |mb, billed| {
            f64::from(mb) * billed
        });
        assert_eq!(result.invocations, 3);
        assert_eq!(result.cold_starts, 1);
        assert!((result.average_ms - 15.35).abs() < 1e-9);
        assert_eq!(result.p95_ms, 20.5);
        assert_eq!(result.average_billed_ms, 16.0);
        assert_eq!(result.max_memory_used_mb, Some(80));
        assert_eq!(result.average_init_ms, Some(150.0));
        assert_eq!(result.cost_per_invocation_usd, 256.0 * 16.0);
        // Only cold starts: they are the figures.
        let only_cold = summarise(256, &[cold], |_, billed| billed);
        assert_eq!(only_cold.average_ms, 300.0);
        assert_eq!(only_cold.cost_per_invocation_usd, 450.0);
    }
}
