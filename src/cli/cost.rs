use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::error::CliError;
use super::Output;
use crate::cost::{self, CostLine, Estimate, LambdaUsage, Prices};
use crate::model::Architecture;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub calculator: Option<Calculator>,
    /// The stack directory: every *.yaml / *.yml below it is read.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Show the arithmetic of every line.
    #[arg(long)]
    pub explain: bool,
    /// A traffic profile: API calls a day and what each resource does per call; replaces the
    /// `spec.traffic` of the resources it names.
    #[arg(long = "traffic", value_name = "FILE")]
    pub traffic: Option<PathBuf>,
    /// Recommendations from the last 14 days of CloudWatch metrics (reads AWS): provisioned
    /// concurrency by hour, memory, arm64, idle functions, table capacity, Savings Plans.
    #[arg(long, conflicts_with_all = ["traffic", "explain"])]
    pub recommend: bool,
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
}

#[derive(Debug, clap::Subcommand)]
pub enum Calculator {
    /// Provisioned concurrency: break-even utilisation, the month with and without it, and a
    /// recommendation.
    #[command(after_help = "\
Examples:
  # AWS's \"mobile application launch\" example: 100 provisioned for 8 hours of the month
  slsctl cost pc --memory 1536 --concurrency 100 --hours 8 \\
      --requests 3000000 --duration-ms 120 --provisioned-requests 500000 --provisioned-duration-ms 100
  # AWS's second example: 7 × 4,096 MB for 24 hours serving 2M requests of 280 ms ($32.26)
  slsctl cost pc --memory 4096 --concurrency 7 --hours 24 --requests 2000000 --duration-ms 280 \\
      --provisioned-requests 2000000
  slsctl cost pc --memory 1024 --architecture arm64 --concurrency 10 --hours 730 \\
      --requests 200000000 --duration-ms 100 -o json")]
    Pc(PcArgs),
}

#[derive(Debug, clap::Args)]
pub struct PcArgs {
    /// Memory of the function, in MB.
    #[arg(long, value_name = "MB")]
    pub memory: u32,
    #[arg(long, value_enum, default_value = "x86_64")]
    pub architecture: ArchitectureArg,
    /// Provisioned concurrency while it is on.
    #[arg(long)]
    pub concurrency: u32,
    /// Hours a month it is on (730: always).
    #[arg(long)]
    pub hours: f64,
    /// Requests a month, all of them.
    #[arg(long)]
    pub requests: u64,
    /// Average duration of on-demand requests, in ms.
    #[arg(long = "duration-ms")]
    pub duration_ms: f64,
    /// Of `--requests`, those served by provisioned concurrency; default: spread evenly over the
    /// month. Requests of the provisioned hours it cannot serve spill over on demand; neither
    /// gets the free tier, which does not apply while provisioned concurrency is on.
    #[arg(long = "provisioned-requests")]
    pub provisioned_requests: Option<u64>,
    /// Average duration of the provisioned requests; default `--duration-ms`.
    #[arg(long = "provisioned-duration-ms")]
    pub provisioned_duration_ms: Option<f64>,
    #[arg(long = "ephemeral-storage", value_name = "MB", default_value_t = 512)]
    pub ephemeral_storage: u32,
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ArchitectureArg {
    #[value(name = "x86_64")]
    X86_64,
    #[value(name = "arm64")]
    Arm64,
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    if let Some(Calculator::Pc(pc)) = &args.calculator {
        return run_pc(pc);
    }
    let Some(dir) = &args.dir else {
        return Err(CliError::Usage(
            "give a stack directory with -f DIR, or use `slsctl cost pc`".into(),
        ));
    };
    let mut stack = super::load(dir)?;
    let prices = Prices::us_east_1();
    if args.recommend {
        return run_recommend(&stack, dir, prices, args.output);
    }
    if let Some(file) = &args.traffic {
        apply_profile(&mut stack, file, prices)?;
    }
    let estimate = cost::estimate(&stack, prices);
    let over = stack
        .budget_monthly_usd
        .filter(|budget| estimate.total_usd > *budget);
    let mut out = std::io::stdout().lock();
    match args.output {
        Output::Json | Output::Yaml => {
            let value = serde_json::json!({
                "stack": stack.name,
                "estimate": estimate,
                "budgetUSD": stack.budget_monthly_usd,
                "overBudget": over.is_some(),
            });
            write!(out, "{}", super::data(args.output, &value)?).map_err(CliError::Console)?;
        }
        Output::Text => {
            write!(
                out,
                "{}",
                render_estimate(&stack.name, &estimate, args.explain)
            )
            .map_err(CliError::Console)?;
            if let Some(budget) = stack.budget_monthly_usd {
                let verdict = if estimate.total_usd <= budget {
                    "within"
                } else {
                    "over"
                };
                writeln!(
                    out,
                    "budget: ${budget:.2} a month; the estimate is {verdict} it ({:.1}% of it)",
                    estimate.total_usd / budget * 100.0
                )
                .map_err(CliError::Console)?;
            }
        }
    }
    if let Some(budget) = over {
        eprintln!(
            "error: the estimate (${:.2} a month) exceeds the stack's budget of ${budget:.2}",
            estimate.total_usd
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Read the traffic profile `file` and put its traffic on the stack; its problems are printed
/// as `FILE:line:column` diagnostics.
fn apply_profile(
    stack: &mut crate::model::Stack,
    file: &std::path::Path,
    prices: &Prices,
) -> Result<(), CliError> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read the traffic profile {name}: {e}")))?;
    let problems = match cost::profile::parse(&text) {
        Ok(profile) => match cost::profile::apply(stack, &profile, prices.hours_per_month) {
            Ok(()) => return Ok(()),
            Err(problems) => problems,
        },
        Err(problem) => vec![problem],
    };
    for problem in &problems {
        eprint!("{}", problem.render(&name));
    }
    Err(CliError::InvalidSpec)
}

/// The estimate for people: per resource, its lines, the total and the notes.
pub fn render_estimate(stack: &str, estimate: &Estimate, explain: bool) -> String {
    let mut text = format!(
        "Monthly estimate for stack `{stack}` (prices {}, {})\n\n",
        estimate.prices_version, estimate.region
    );
    for (id, usd) in &estimate.by_resource {
        text.push_str(&format!("  {:<52} ${usd:>10.2}\n", id.to_string()));
        for line in estimate
            .lines
            .iter()
            .filter(|l| l.resource.as_ref() == Some(id) && (explain || l.usd != 0.0))
        {
            text.push_str(&line_text(line, explain));
        }
    }
    text.push_str(&format!(
        "\n  {:<52} ${:>10.2}\n",
        "total", estimate.total_usd
    ));
    if let Some(unit) = estimate.usd_per_million_api_requests {
        text.push_str(&format!(
            "  {:<52} ${unit:>10.2}\n",
            format!(
                "per million API requests ({} a month)",
                cost_quantity(estimate.api_requests_per_month)
            )
        ));
    }
    for note in &estimate.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    text
}

/// A count of requests for people: 243.3M, 12.0M, 950,000.
fn cost_quantity(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1}M", n / 1e6)
    } else {
        format!("{n:.0}")
    }
}

fn line_text(line: &CostLine, explain: bool) -> String {
    if explain {
        format!("      {}\n", line.explain())
    } else {
        format!("      {:<48} ${:>10.2}\n", line.item, line.usd)
    }
}

fn run_pc(args: &PcArgs) -> Result<ExitCode, CliError> {
    if !(args.hours >= 0.0 && args.hours <= 744.0) {
        return Err(CliError::Usage(format!(
            "--hours {} is not between 0 and 744",
            args.hours
        )));
    }
    if args.provisioned_requests.is_some_and(|p| p > args.requests) {
        return Err(CliError::Usage(
            "--provisioned-requests is more than --requests".into(),
        ));
    }
    let prices = Prices::us_east_1();
    let seconds = args.hours * 3600.0;
    let provisioned_ms = args.provisioned_duration_ms.unwrap_or(args.duration_ms);
    let requests = args.requests as f64;
    let spread = cost::spread_provisioned_requests(
        requests,
        seconds,
        f64::from(args.concurrency) * seconds,
        provisioned_ms,
        prices.month_seconds(),
    )
    .served_as(args.provisioned_requests.map(|n| n as f64));
    let provisioned = spread.served;
    let usage = LambdaUsage {
        architecture: match args.architecture {
            ArchitectureArg::X86_64 => Architecture::X86_64,
            ArchitectureArg::Arm64 => Architecture::Arm64,
        },
        memory_mb: args.memory,
        ephemeral_storage_mb: args.ephemeral_storage,
        requests,
        on_demand_requests: requests - provisioned,
        on_demand_duration_ms: args.duration_ms,
        provisioned_concurrency_seconds: f64::from(args.concurrency) * seconds,
        provisioned_requests: provisioned,
        provisioned_duration_ms: provisioned_ms,
        on_demand_requests_while_provisioned: spread.spilled,
    };
    let comparison = cost::compare_provisioned(prices, &usage);
    let mut out = std::io::stdout().lock();
    match args.output {
        Output::Json | Output::Yaml => write!(
            out,
            "{}",
            super::data(args.output, &serde_json::json!(comparison))?
        ),
        Output::Text => {
            let mut text = format!(
                "Provisioned concurrency: {} × {} MB {} for {} h a month (prices {}, {})\n\n",
                args.concurrency,
                args.memory,
                match usage.architecture {
                    Architecture::X86_64 => "x86_64",
                    Architecture::Arm64 => "arm64",
                },
                args.hours,
                prices.version,
                prices.region
            );
            text.push_str(&format!(
                "  break-even utilisation  {:.1}%\n  forecast utilisation    {:.1}%\n\n",
                comparison.break_even_utilisation * 100.0,
                comparison.utilisation * 100.0
            ));
            text.push_str(&format!(
                "  with provisioned concurrency {:>28} ${:>10.2}\n",
                "", comparison.with_provisioned_usd
            ));
            for line in &comparison.with_provisioned {
                text.push_str(&format!("      {}\n", line.explain()));
            }
            text.push_str(&format!(
                "  on demand only {:>42} ${:>10.2}\n",
                "", comparison.on_demand_only_usd
            ));
            for line in &comparison.on_demand_only {
                text.push_str(&format!("      {}\n", line.explain()));
            }
            text.push_str(&format!(
                "\nrecommendation: {}\n",
                comparison.recommendation
            ));
            write!(out, "{text}")
        }
    }
    .map_err(CliError::Console)?;
    Ok(ExitCode::SUCCESS)
}

/// The window `cost --recommend` reads: 14 days of hourly points.
const RECOMMEND_DAYS: i64 = 14;

/// What each read series is for, in the order of the queries.
enum Slot {
    Invocations(usize),
    Duration(usize),
    Memory(usize),
    PcUtilisation(usize),
    PcExecutions(usize),
    TableReads(usize),
    TableWrites(usize),
}

/// The queries for the stack's functions and tables, and the observations they fill.
fn recommend_queries(
    stack: &crate::model::Stack,
    window_seconds: i32,
) -> (
    Vec<crate::aws::metric_data::MetricQuery>,
    Vec<Slot>,
    cost::recommend::Observations,
) {
    use crate::aws::metric_data::MetricQuery;
    use crate::cost::recommend::{FunctionMetrics, Observations, TableMetrics};
    use crate::model::ResourceSpec;
    let mut queries = Vec::new();
    let mut slots = Vec::new();
    let mut observed = Observations {
        hours: (RECOMMEND_DAYS * 24) as u32,
        ..Default::default()
    };
    let query = |namespace: &str, metric: &str, dims: &[(&str, &str)], stat: &str, period: i32| {
        MetricQuery {
            namespace: namespace.into(),
            metric: metric.into(),
            dimensions: dims
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            stat: stat.into(),
            period,
        }
    };
    for r in &stack.resources {
        let name = r.physical_name.as_str();
        match &r.spec {
            ResourceSpec::Function(f) => {
                let i = observed.functions.len();
                observed.functions.push(FunctionMetrics {
                    id: r.id.clone(),
                    invocations: Vec::new(),
                    duration_ms: Vec::new(),
                    max_memory_used_mb: None,
                    pc_utilisation: Vec::new(),
                    pc_executions: Vec::new(),
                });
                let by_name = [("FunctionName", name)];
                queries.push(query("AWS/Lambda", "Invocations", &by_name, "Sum", 3600));
                slots.push(Slot::Invocations(i));
                queries.push(query("AWS/Lambda", "Duration", &by_name, "Average", 3600));
                slots.push(Slot::Duration(i));
                queries.push(query(
                    "LambdaInsights",
                    "used_memory_max",
                    &[("function_name", name)],
                    "Maximum",
                    window_seconds,
                ));
                slots.push(Slot::Memory(i));
                if let Some(alias) = f
                    .alias
                    .as_ref()
                    .filter(|a| a.provisioned_concurrency.is_some())
                {
                    let resource = format!("{name}:{}", alias.name);
                    let dims = [("FunctionName", name), ("Resource", resource.as_str())];
                    queries.push(query(
                        "AWS/Lambda",
                        "ProvisionedConcurrencyUtilization",
                        &dims,
                        "Average",
                        3600,
                    ));
                    slots.push(Slot::PcUtilisation(i));
                    queries.push(query(
                        "AWS/Lambda",
                        "ProvisionedConcurrentExecutions",
                        &dims,
                        "Average",
                        3600,
                    ));
                    slots.push(Slot::PcExecutions(i));
                }
            }
            ResourceSpec::Table(_) => {
                let i = observed.tables.len();
                observed.tables.push(TableMetrics {
                    id: r.id.clone(),
                    consumed_read: Vec::new(),
                    consumed_write: Vec::new(),
                });
                let dims = [("TableName", name)];
                queries.push(query(
                    "AWS/DynamoDB",
                    "ConsumedReadCapacityUnits",
                    &dims,
                    "Sum",
                    3600,
                ));
                slots.push(Slot::TableReads(i));
                queries.push(query(
                    "AWS/DynamoDB",
                    "ConsumedWriteCapacityUnits",
                    &dims,
                    "Sum",
                    3600,
                ));
                slots.push(Slot::TableWrites(i));
            }
            _ => {}
        }
    }
    (queries, slots, observed)
}

/// Read the stack's metrics over the window ending at `end` (epoch seconds) into observations.
pub async fn observe_for_recommendations(
    stack: &crate::model::Stack,
    cloudwatch: &aws_sdk_cloudwatch::Client,
    end: i64,
) -> Result<cost::recommend::Observations, crate::aws::error::AwsError> {
    let window = RECOMMEND_DAYS * 86_400;
    let (queries, slots, mut observed) = recommend_queries(stack, window as i32);
    let series =
        crate::aws::metric_data::get_metric_data(cloudwatch, &queries, end - window, end).await?;
    for ((slot, series), query) in slots.into_iter().zip(series).zip(&queries) {
        if !series.problems.is_empty() {
            observed.incomplete.push(format!(
                "{} {}: {}",
                query.namespace,
                query.metric,
                series.problems.join("; ")
            ));
        }
        let points = series.points;
        match slot {
            Slot::Invocations(i) => observed.functions[i].invocations = points,
            Slot::Duration(i) => observed.functions[i].duration_ms = points,
            Slot::Memory(i) => {
                observed.functions[i].max_memory_used_mb =
                    points.iter().map(|p| p.1).reduce(f64::max)
            }
            Slot::PcUtilisation(i) => observed.functions[i].pc_utilisation = points,
            Slot::PcExecutions(i) => observed.functions[i].pc_executions = points,
            Slot::TableReads(i) => observed.tables[i].consumed_read = points,
            Slot::TableWrites(i) => observed.tables[i].consumed_write = points,
        }
    }
    Ok(observed)
}

fn run_recommend(
    stack: &crate::model::Stack,
    dir: &std::path::Path,
    prices: &Prices,
    output: Output,
) -> Result<ExitCode, CliError> {
    let runtime = super::runtime()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    // Whole hours, so each hourly point covers a full hour.
    let end = now - now.rem_euclid(3600);
    let observed = runtime.block_on(async {
        let reach = super::reconcile::clients_for(stack, dir).await?;
        observe_for_recommendations(stack, &reach.clients.cloudwatch, end)
            .await
            .map_err(|e| reach.explain(crate::engine::EngineError::Aws(e)))
    })?;
    let report = cost::recommend::recommend(stack, prices, &observed);
    let mut out = std::io::stdout().lock();
    match output {
        Output::Json | Output::Yaml => write!(
            out,
            "{}",
            super::data(
                output,
                &serde_json::json!({"stack": stack.name, "recommendations": report})
            )?
        ),
        Output::Text => write!(out, "{}", render_recommendations(&stack.name, &report)),
    }
    .map_err(CliError::Console)?;
    Ok(ExitCode::SUCCESS)
}

/// The recommendations for people: each with its saving and evidence, largest first.
pub fn render_recommendations(stack: &str, report: &cost::recommend::Report) -> String {
    let mut text = format!(
        "Recommendations for stack `{stack}` from the last {} days of CloudWatch metrics (prices {})\n\n",
        report.window_hours / 24,
        report.prices_version
    );
    if report.recommendations.is_empty() {
        text.push_str("  nothing to recommend: no saving found in the metrics\n");
    }
    for r in &report.recommendations {
        let who = r
            .resource
            .as_ref()
            .map_or_else(|| "the account".to_string(), ToString::to_string);
        text.push_str(&format!(
            "  {who}: {}\n      saves ${:.2} a month\n",
            r.action, r.monthly_saving_usd
        ));
        for e in &r.evidence {
            text.push_str(&format!("      evidence: {e}\n"));
        }
    }
    text.push_str(&format!(
        "\n  {:<52} ${:>10.2}\n",
        "total a month", report.total_monthly_saving_usd
    ));
    for note in &report.without_evidence {
        text.push_str(&format!("note: {note}\n"));
    }
    text
}
