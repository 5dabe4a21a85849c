use super::*;
use crate::model::Architecture;

/// The "Mobile application launch" example of AWS's Lambda pricing page: 3M requests a month at
/// 120 ms, 1536 MB, x86_64; provisioned concurrency of 100 from noon to 8 pm on one day, with
/// 500,000 of the requests in that window at 100 ms.
fn launch() -> LambdaUsage {
    LambdaUsage {
        architecture: Architecture::X86_64,
        memory_mb: 1536,
        ephemeral_storage_mb: 512,
        requests: 3_000_000.0,
        on_demand_requests: 2_500_000.0,
        on_demand_duration_ms: 120.0,
        provisioned_concurrency_seconds: 100.0 * 8.0 * 3600.0,
        provisioned_requests: 500_000.0,
        provisioned_duration_ms: 100.0,
        on_demand_requests_while_provisioned: 0.0,
    }
}

fn cents(lines: &[CostLine], item: &str) -> String {
    let usd: f64 = lines.iter().filter(|l| l.item == item).map(|l| l.usd).sum();
    format!("{usd:.2}")
}

#[test]
fn the_lambda_pricing_pages_launch_example_to_the_cent() {
    let prices = Prices::us_east_1();
    let comparison = compare_provisioned(prices, &launch());
    let lines = &comparison.with_provisioned;
    assert_eq!(cents(lines, "provisioned concurrency"), "18.00");
    assert_eq!(cents(lines, "requests"), "0.40");
    assert_eq!(
        cents(lines, "duration under provisioned concurrency"),
        "0.73"
    );
    assert_eq!(cents(lines, "duration"), "0.83");
    assert_eq!(format!("{:.2}", comparison.with_provisioned_usd), "19.96");
}

#[test]
fn break_even_is_sixty_percent_on_both_architectures_at_list_prices() {
    let prices = Prices::us_east_1();
    for arch in [Architecture::X86_64, Architecture::Arm64] {
        let b = break_even_utilisation(prices, arch);
        assert!((b - 0.60).abs() < 0.001, "{arch:?}: {b}");
    }
}

#[test]
fn the_launch_example_is_cheaper_on_demand_and_says_why() {
    let prices = Prices::us_east_1();
    let comparison = compare_provisioned(prices, &launch());
    // 525,000 GB-s on demand − 400,000 free, and the same requests.
    assert_eq!(format!("{:.2}", comparison.on_demand_only_usd), "2.48");
    assert!((comparison.utilisation - 75_000.0 / 4_320_000.0).abs() < 1e-12);
    assert!(
        comparison
            .recommendation
            .starts_with("on demand is $17.48 a month cheaper"),
        "{}",
        comparison.recommendation
    );
}

#[test]
fn well_used_provisioned_concurrency_pays_for_itself() {
    let prices = Prices::us_east_1();
    // 10 always-on, busy 80% of the time with 100 ms requests.
    let seconds: f64 = 10.0 * 730.0 * 3600.0;
    let requests = (seconds * 0.8 / 0.1).floor();
    let usage = LambdaUsage {
        architecture: Architecture::Arm64,
        memory_mb: 1024,
        ephemeral_storage_mb: 512,
        requests,
        provisioned_concurrency_seconds: seconds,
        provisioned_requests: requests,
        provisioned_duration_ms: 100.0,
        ..Default::default()
    };
    let comparison = compare_provisioned(prices, &usage);
    assert!(comparison.with_provisioned_usd < comparison.on_demand_only_usd);
    assert!(comparison
        .recommendation
        .starts_with("provisioned concurrency pays for itself: 80.0% utilisation is above the 60% break-even"),
        "{}", comparison.recommendation);
}

#[test]
fn duration_tiers_apply_to_pooled_usage() {
    let prices = Prices::us_east_1();
    let tiers = &prices.lambda.x86_64.duration_tiers;
    let usd = tiered_duration(tiers, 7_000_000_000.0);
    let expected = 6e9 * 0.0000166667 + 1e9 * 0.0000150000;
    assert!((usd - expected).abs() < 1e-6, "{usd} vs {expected}");
}

#[test]
fn free_tiers_are_shared_in_proportion_to_usage() {
    let prices = Prices::us_east_1();
    let usage = |requests: f64| LambdaUsage {
        memory_mb: 1024,
        ephemeral_storage_mb: 512,
        requests,
        on_demand_requests: requests,
        on_demand_duration_ms: 100.0,
        ..Default::default()
    };
    let a = ResourceId::new(Kind::Function, "a");
    let b = ResourceId::new(Kind::Function, "b");
    let lines = lambda_lines(
        prices,
        &[
            (a.clone(), usage(3_000_000.0)),
            (b.clone(), usage(1_000_000.0)),
        ],
        true,
    );
    let free = |id: &ResourceId, item: &str| {
        lines
            .iter()
            .find(|l| l.resource.as_ref() == Some(id) && l.item == item)
            .unwrap()
            .free
    };
    assert_eq!(free(&a, "requests"), 750_000.0);
    assert_eq!(free(&b, "requests"), 250_000.0);
    assert_eq!(free(&a, "duration") + free(&b, "duration"), 400_000.0);
}

#[test]
fn the_explanation_shows_the_arithmetic() {
    let prices = Prices::us_east_1();
    let lines = compare_provisioned(prices, &launch()).with_provisioned;
    let requests = lines.iter().find(|l| l.item == "requests").unwrap();
    assert_eq!(
        requests.explain(),
        "requests: 3,000,000 requests − 1,000,000 free = 2,000,000 × $0.0000002 = $0.40"
    );
}

/// Load a stack from YAML documents (with a code directory for functions).
fn load(docs: &str) -> Stack {
    crate::kinds::test_stack(docs)
}

#[test]
fn queues_tables_buses_and_apis_are_priced_from_their_traffic() {
    let stack = load(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {region: us-east-1}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec:\n  traffic: {messagesPerMonth: 2000000, averageMessageSizeKB: 100}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {name: b}\nspec:\n  traffic: {eventsPerMonth: 5000000}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: t}\nspec:\n  partitionKey: {name: pk, type: S}\n  globalSecondaryIndexes: [{name: gsi1, partitionKey: {name: g, type: S}}]\n  pointInTimeRecovery: true\n  traffic: {writesPerMonth: 10000000, readsPerMonth: 40000000, averageItemSizeKB: 2, storageGB: 45}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Api\nmetadata: {name: a}\nspec:\n  routes: [{method: GET, path: /x, function: f}]\n  traffic: {requestsPerMonth: 1000000}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {handler: app.handler, runtime: python3.12, code: {path: src}, role: \"arn:aws:iam::123456789012:role/r\"}\n",
    );
    let prices = Prices::us_east_1();
    let estimate = estimate(&stack, prices);
    let usd = |id: &str| {
        let (kind, name) = id.split_once('/').unwrap();
        estimate.by_resource[&ResourceId::new(Kind::parse(kind).unwrap(), name)]
    };
    // 2M messages × 3 requests × 2 chunks of 64 KB = 12M, less the free million: 11M × $0.40/M.
    assert_eq!(format!("{:.2}", usd("Queue/q")), "4.40");
    assert_eq!(format!("{:.2}", usd("EventBus/b")), "5.00");
    // Writes: 10M × 2 KB × (table + 1 index) = 40M WRU × $0.625/M = $25; reads: 40M × 0.5 RRU
    // = 20M × $0.125/M = $2.50; storage 45 − 25 free = 20 GB × $0.25 = $5; PITR 45 × $0.20 = $9.
    assert_eq!(format!("{:.2}", usd("Table/t")), "41.50");
    assert_eq!(format!("{:.2}", usd("Api/a")), "3.50");
    assert_eq!(format!("{:.2}", usd("Function/f")), "0.00");
    assert!(estimate.notes.iter().any(|n| n.contains("Function/f")));
}

#[test]
fn the_before_side_of_a_plan_prices_what_runs_now() {
    use crate::plan::{ActionKind, FieldValue, ObservedResource, ResourceAction};
    let stack = load(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: \"arn:aws:iam::123456789012:role/r\"\n  memorySize: 2048\n  traffic: {requestsPerMonth: 1000000, averageDurationMs: 1000}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: t}\nspec:\n  partitionKey: {name: pk, type: S}\n  billingMode: PROVISIONED\n  readCapacity: 10\n  writeCapacity: 10\n",
    );
    let f = ResourceId::new(Kind::Function, "f");
    let t = ResourceId::new(Kind::Table, "t");
    let observed = vec![ObservedResource {
        id: f.clone(),
        physical_name: "s-f".into(),
        arn: String::new(),
        props: [("memorySize".to_string(), FieldValue::known(1024))].into(),
        owned: true,
        messages: None,
        referenced_by: Vec::new(),
        deletion_policy: None,
    }];
    let action = |id: &ResourceId, action| ResourceAction {
        id: id.clone(),
        action,
        physical_name: String::new(),
        changes: Vec::new(),
        reasons: Vec::new(),
    };
    let table_alarm = |check: &str| ResourceId::new(Kind::Alarm, format!("Table/t/{check}"));
    let actions = [
        action(&f, ActionKind::Update),
        action(&t, ActionKind::Create),
        action(&table_alarm("throttles"), ActionKind::Create),
        action(&table_alarm("systemErrors"), ActionKind::Create),
    ];
    let live = as_live(&stack, &actions, &observed);
    let prices = Prices::us_east_1();
    let before = estimate(&live, prices);
    let after = estimate(&stack, prices);
    // Before: 1M × 1 s × 1 GB = 1M GB-s − 400,000 free = 600,000 × $0.0000166667 = $10.00,
    // and the function's alarms read 4 metrics, within the 10 free; the table and its alarms
    // do not exist yet. After: 2M GB-s − 400,000 = $26.67, 20 capacity units all month, and
    // 4 + 10 alarm metrics (the table's: 2 throttle metrics, 8 operations' system errors), 4 of
    // them beyond the free 10 at $0.10. Both sides also have the stack's dashboard ($3.00) and
    // the function's cold-start metric ($0.30), which the actions leave as they are.
    let watching = 3.00 + 0.30;
    assert_eq!(
        format!("{:.2}", before.total_usd),
        format!("{:.2}", 10.00 + watching)
    );
    assert!(!before.by_resource.contains_key(&t));
    assert!(!before.by_resource.contains_key(&table_alarm("throttles")));
    let table = 10.0 * 730.0 * 0.00065 + 10.0 * 730.0 * 0.00013;
    assert_eq!(
        format!("{:.2}", after.total_usd),
        format!("{:.2}", 26.666_72 + table + 4.0 * 0.10 + watching)
    );
}

/// Provisioned concurrency serves only its alias: while the live trigger still invokes
/// `$LATEST`, the "before" side pays for it and serves nothing with it.
#[test]
fn the_before_side_serves_nothing_with_provisioned_concurrency_until_traffic_reaches_the_alias() {
    use crate::plan::{ActionKind, FieldValue, ObservedResource, ResourceAction};
    let stack = load(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {visibilityTimeout: 60}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: \"arn:aws:iam::123456789012:role/r\"\n  memorySize: 1024\n  alias: {name: live, provisionedConcurrency: {baseline: 2}}\n  triggers: [{queue: q}]\n  traffic: {requestsPerMonth: 5000000, averageDurationMs: 200}\n",
    );
    let f = ResourceId::new(Kind::Function, "f");
    let before_with = |trigger_alias: serde_json::Value| {
        let observed = vec![ObservedResource {
            id: f.clone(),
            physical_name: "s-f".into(),
            arn: String::new(),
            props: [
                ("memorySize".to_string(), FieldValue::known(1024)),
                (
                    "alias.live.provisionedConcurrency".to_string(),
                    FieldValue::known(2),
                ),
                (
                    "triggers[s-q].alias".to_string(),
                    FieldValue::known(trigger_alias),
                ),
            ]
            .into(),
            owned: true,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy: None,
        }];
        let actions = [ResourceAction {
            id: f.clone(),
            action: ActionKind::Update,
            physical_name: String::new(),
            changes: Vec::new(),
            reasons: Vec::new(),
        }];
        estimate(&as_live(&stack, &actions, &observed), Prices::us_east_1()).by_resource[&f]
    };
    let after = estimate(&stack, Prices::us_east_1()).by_resource[&f];
    let on_alias = before_with(serde_json::json!("live"));
    let on_latest = before_with(serde_json::Value::Null);
    assert_eq!(format!("{on_alias:.2}"), format!("{after:.2}"));
    assert!(on_latest - after > 0.1, "{on_latest} vs {after}");
}

/// Logs: 10M invocations × 1000 B (the default) = 9.3132 GB a month (of 2^30 bytes), less the 5
/// free GB, at $0.50; stored at steady state 30 days × 0.15 compressed = 1.3970 GB-months at
/// $0.03. A shared group in the infrequent-access class ingests at $0.25 and keeps 90 days; a
/// group that never expires is priced as it stands after a year, with a note.
#[test]
fn log_groups_are_priced_from_their_functions_invocations_and_retention() {
    let function = |name: &str, extra: &str| {
        format!("apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: {name}}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: \"arn:aws:iam::123456789012:role/r\"\n{extra}---\n")
    };
    let stack = load(&[
        "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {region: us-east-1}\n---\n".to_string(),
        function("own", "  traffic: {requestsPerMonth: 10000000}\n"),
        "apiVersion: slsctl.dev/v1alpha1\nkind: LogGroup\nmetadata: {name: shared}\nspec: {retentionDays: 90, class: INFREQUENT_ACCESS}\n---\n".to_string(),
        function("a", "  logging: {logGroup: shared}\n  traffic: {requestsPerMonth: 2000000, logBytesPerInvocation: 4000}\n"),
        function("b", "  logging: {logGroup: shared}\n  traffic: {requestsPerMonth: 1000000, logBytesPerInvocation: 2000}\n"),
        function("forever", "  logRetentionDays: never\n  traffic: {requestsPerMonth: 1000000, logBytesPerInvocation: 500}\n"),
    ]
    .concat());
    let estimate = estimate(&stack, Prices::us_east_1());
    let line = |id: &str, item: &str| {
        estimate
            .lines
            .iter()
            .find(|l| {
                l.resource.as_ref().map(ToString::to_string).as_deref() == Some(id)
                    && l.item == item
            })
            .unwrap_or_else(|| panic!("{id} has a {item} line"))
            .clone()
    };
    let gb = |bytes: f64| bytes / 1_073_741_824.0;
    let own = gb(10e6 * 1000.0);
    let shared = gb(2e6 * 4000.0 + 1e6 * 2000.0);
    let forever = gb(1e6 * 500.0);
    let total = own + shared + forever;
    let ingestion = line("LogGroup/own", "log ingestion");
    assert!((ingestion.quantity - own).abs() < 1e-9);
    // The 5 free GB are shared in proportion to what each group ingests.
    assert!((ingestion.free - 5.0 * own / total).abs() < 1e-9);
    assert!((ingestion.usd - (own - 5.0 * own / total) * 0.50).abs() < 1e-9);
    let storage = line("LogGroup/own", "log storage (compressed)");
    assert!((storage.quantity - own * 0.15).abs() < 1e-9);
    assert!((storage.usd - own * 0.15 * 0.03).abs() < 1e-9);
    let ingestion = line("LogGroup/shared", "log ingestion");
    assert!((ingestion.quantity - shared).abs() < 1e-9);
    assert_eq!(ingestion.unit_price, 0.25);
    let storage = line("LogGroup/shared", "log storage (compressed)");
    assert!((storage.quantity - shared * 3.0 * 0.15).abs() < 1e-9);
    let storage = line("LogGroup/forever", "log storage (compressed)");
    assert!((storage.quantity - forever * 12.0 * 0.15).abs() < 1e-9);
    assert!(estimate
        .notes
        .iter()
        .any(|n| n.starts_with("LogGroup/forever never expires")));
    // The functions of a shared group have no group of their own, and nothing else is priced
    // as logs.
    assert!(!estimate
        .by_resource
        .contains_key(&ResourceId::new(Kind::LogGroup, "a")));
    assert_eq!(
        format!(
            "{:.4}",
            estimate.by_resource[&ResourceId::new(Kind::LogGroup, "own")]
        ),
        format!(
            "{:.4}",
            (own - 5.0 * own / total) * 0.50 + own * 0.15 * 0.03
        )
    );
}

/// Alarms are priced per metric they read (a metric-math alarm per metric of its expression),
/// with the account's 10 free alarm metrics shared among them.
#[test]
fn alarms_cost_per_metric_beyond_the_free_ten() {
    let stack = load(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: \"arn:aws:iam::123456789012:role/r\"\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: t}\nspec:\n  partitionKey: {name: pk, type: S}\n",
    );
    let estimate = estimate(&stack, Prices::us_east_1());
    let alarm_lines: Vec<&CostLine> = estimate
        .lines
        .iter()
        .filter(|l| l.resource.as_ref().is_some_and(|r| r.kind == Kind::Alarm))
        .collect();
    let metrics = |check: &str| {
        alarm_lines
            .iter()
            .find(|l| l.resource.as_ref().unwrap().name == check)
            .map(|l| l.quantity)
    };
    // The error rate divides two metrics; the table's system errors sum eight operations'.
    assert_eq!(metrics("Function/f/errorRate"), Some(2.0));
    assert_eq!(metrics("Function/f/throttles"), Some(1.0));
    assert_eq!(metrics("Table/t/systemErrors"), Some(8.0));
    let total: f64 = alarm_lines.iter().map(|l| l.quantity).sum();
    let usd: f64 = alarm_lines.iter().map(|l| l.usd).sum();
    // 4 of the function's, 10 of the table's: 4 beyond the free 10, at $0.10.
    assert_eq!(total, 14.0);
    assert_eq!(format!("{usd:.2}"), "0.40");
}

/// AWS's second provisioned-concurrency example on the Lambda pricing page: 4,096 MB, 7
/// provisioned for 24 hours of the month, 2M requests in that window at 280 ms, all served by the
/// provisioned concurrency. Published total: $32.26. The free tier does not apply while
/// provisioned concurrency is on, so the requests are billed in full (before the free-tier fix
/// they were not, and the total was $32.06).
#[test]
fn the_lambda_pricing_pages_second_provisioned_example_to_the_cent() {
    let prices = Prices::us_east_1();
    let usage = LambdaUsage {
        architecture: Architecture::X86_64,
        memory_mb: 4096,
        ephemeral_storage_mb: 512,
        requests: 2_000_000.0,
        on_demand_requests: 0.0,
        on_demand_duration_ms: 280.0,
        provisioned_concurrency_seconds: 7.0 * 24.0 * 3600.0,
        provisioned_requests: 2_000_000.0,
        provisioned_duration_ms: 280.0,
        on_demand_requests_while_provisioned: 0.0,
    };
    let comparison = compare_provisioned(prices, &usage);
    let lines = &comparison.with_provisioned;
    // Provisioned concurrency: 7 × 86,400 s × 4 GB = 2,419,200 GB-s × $0.0000041667 = $10.08.
    assert_eq!(cents(lines, "provisioned concurrency"), "10.08");
    // Duration: 2,000,000 × 0.28 s × 4 GB = 2,240,000 GB-s × $0.0000097222 = $21.78.
    assert_eq!(
        cents(lines, "duration under provisioned concurrency"),
        "21.78"
    );
    // Requests: 2,000,000 × $0.20/M = $0.40, none free.
    assert_eq!(cents(lines, "requests"), "0.40");
    assert!(lines.iter().all(|l| l.free == 0.0), "{lines:?}");
    let by_hand = 2_419_200.0 * 0.0000041667 + 2_240_000.0 * 0.0000097222 + 2.0 * 0.20;
    assert_eq!(format!("{by_hand:.2}"), "32.26");
    assert_eq!(format!("{:.2}", comparison.with_provisioned_usd), "32.26");
}

/// Spill-over while provisioned concurrency is on is billed on demand but outside the free
/// tier; requests outside the provisioned periods keep it.
#[test]
fn spill_over_while_provisioned_gets_no_free_tier() {
    let prices = Prices::us_east_1();
    let usage = LambdaUsage {
        architecture: Architecture::X86_64,
        memory_mb: 1024,
        ephemeral_storage_mb: 512,
        requests: 3_000_000.0,
        on_demand_requests: 2_000_000.0,
        on_demand_duration_ms: 100.0,
        provisioned_concurrency_seconds: 3600.0,
        provisioned_requests: 1_000_000.0,
        provisioned_duration_ms: 100.0,
        on_demand_requests_while_provisioned: 1_500_000.0,
    };
    let id = ResourceId::new(Kind::Function, "f");
    let lines = lambda_lines(prices, &[(id, usage)], true);
    let line = |item: &str| lines.iter().find(|l| l.item == item).unwrap();
    // 500,000 requests outside the provisioned hours: the only ones the free tier covers.
    assert_eq!(line("requests").free, 500_000.0);
    // Their duration: 500,000 × 0.1 s × 1 GB = 50,000 GB-s, under the 400,000 free.
    assert_eq!(line("duration").free, 50_000.0);
    assert_eq!(line("duration").quantity, 200_000.0);
}

/// The spread model: requests in the provisioned share of the month beyond what the
/// concurrency serves are spill-over.
#[test]
fn spread_requests_beyond_capacity_spill_over() {
    // 730 h month, 73 h provisioned = a tenth: 1,000,000 of 10M requests; 1 × 73 h of
    // concurrency at 1 s serves 262,800 of them.
    let month = 730.0 * 3600.0;
    let spread = spread_provisioned_requests(10e6, 73.0 * 3600.0, 73.0 * 3600.0, 1000.0, month);
    assert_eq!(spread.served, 262_800.0);
    assert_eq!(spread.spilled, 1_000_000.0 - 262_800.0);
}

/// The recommendation agrees with its numbers: utilisation above the break-even with on
/// demand still cheaper (the free tier) says "above" and why.
#[test]
fn the_recommendation_places_utilisation_on_the_right_side_of_the_break_even() {
    let prices = Prices::us_east_1();
    // 1 provisioned at 512 MB for 10 hours, busy 90% of it: 36,000 s × 0.9 / 0.1 s requests.
    let requests = (36_000.0_f64 * 0.9 / 0.1).floor();
    let usage = LambdaUsage {
        architecture: Architecture::X86_64,
        memory_mb: 512,
        ephemeral_storage_mb: 512,
        requests,
        provisioned_concurrency_seconds: 36_000.0,
        provisioned_requests: requests,
        provisioned_duration_ms: 100.0,
        ..Default::default()
    };
    let comparison = compare_provisioned(prices, &usage);
    assert!((comparison.utilisation - 0.9).abs() < 1e-9);
    // On demand the whole month sits in the free tier: $0.00 against $0.075 + $0.158 + $0.065.
    assert_eq!(format!("{:.2}", comparison.on_demand_only_usd), "0.00");
    let r = &comparison.recommendation;
    assert!(r.starts_with("on demand is $0.30 a month cheaper"), "{r}");
    assert!(
        r.contains("90.0% utilisation is above the 60% break-even"),
        "{r}"
    );
    assert!(r.contains("free tier"), "{r}");
    assert!(!r.contains("below"), "{r}");

    // Below the break-even: 10% busy, on demand cheaper, said as "below".
    let requests = (36_000.0_f64 * 0.1 / 0.1).floor();
    let low = LambdaUsage {
        requests,
        provisioned_requests: requests,
        ..usage.clone()
    };
    let comparison = compare_provisioned(prices, &low);
    let r = &comparison.recommendation;
    assert!(
        r.contains("10.0% utilisation is below the 60% break-even"),
        "{r}"
    );
    assert!(r.starts_with("on demand is"), "{r}");
}

/// The blueprint's bill: the reference stack under `specs/examples/traffic/blueprint-8m-calls-a-day.yaml`
/// (8M API calls a day), every line computed here from the price table and the profile's figures,
/// and the total under the blueprint's $3,200 a month.
#[test]
fn the_blueprints_bill_for_8m_calls_a_day_is_computed_line_by_line() {
    let (mut stack, _) = crate::kinds::load_stack(std::path::Path::new("specs/examples/orders"))
        .unwrap_or_else(|_| panic!("the example stack loads"));
    let text =
        std::fs::read_to_string("specs/examples/traffic/blueprint-8m-calls-a-day.yaml").unwrap();
    let profile = profile::parse(&text).unwrap();
    let p = Prices::us_east_1();
    profile::apply(&mut stack, &profile, p.hours_per_month).unwrap();
    let estimate = estimate(&stack, p);

    // The month: 8M × 730 h / 24 calls, each figure per call rounded to whole units.
    let calls = 8e6 * 730.0 / 24.0;
    let n = |per_call: f64| (per_call * calls).round();
    let (creates, gets, batches) = (n(0.25), n(0.75), n(0.025));
    let function = |name: &str| match &stack
        .get(&ResourceId::new(Kind::Function, name))
        .unwrap()
        .spec
    {
        ResourceSpec::Function(f) => f.clone(),
        _ => unreachable!(),
    };
    let gb = |name: &str| f64::from(function(name).memory_size) / 1024.0;
    let arch = |name: &str| p.arch(function(name).architecture);

    // API Gateway: all 243.3M calls in the first tier ($3.50 per million below 333M).
    let api = n(1.0) * p.apigateway.rest_tiers[0].per_million / 1e6;
    // Lambda requests: create-order's are all served while provisioned concurrency is on
    // (its baseline never drops to 0), so only get-order's and fulfil-order's share the free
    // million.
    let lambda_requests =
        (creates + gets + batches - p.lambda.free_requests) * p.lambda.requests_per_million / 1e6;
    // Lambda on-demand duration: get-order 25 ms, fulfil-order 400 ms per batch, less 400,000
    // free GB-s, at the first tier of their architecture.
    let od_gb_s = gets * 0.025 * gb("get-order") + batches * 0.4 * gb("fulfil-order");
    let lambda_duration =
        (od_gb_s - p.lambda.free_gb_seconds) * arch("get-order").duration_tiers[0].per_gb_second;
    // create-order: the weekday schedule in Berlin over the reference month, and every request
    // at 120 ms under provisioned concurrency.
    let pc = function("create-order")
        .alias
        .unwrap()
        .provisioned_concurrency
        .unwrap();
    let month = schedule::provisioned_month(&pc, 730, 5);
    let provisioned = month.concurrency_seconds
        * gb("create-order")
        * arch("create-order").provisioned_per_gb_second;
    let under_provisioned = creates
        * 0.12
        * gb("create-order")
        * arch("create-order").provisioned_duration_per_gb_second;
    // EventBridge: one event per order.
    let events = creates * p.eventbridge.custom_events_per_million / 1e6;
    // SQS: send, receive, delete per order, plus Lambda's idle polling of the one triggered
    // queue, less the free million.
    let sqs = (creates * 3.0 + p.sqs.idle_polling_requests_per_trigger - p.sqs.free_requests)
        * p.sqs.standard_per_million
        / 1e6;
    // DynamoDB: 2 KB items are 2 write units, written to the table and its one index; reads
    // eventually consistent (half a unit); 120 GB stored less 25 free; PITR on the 120 GB.
    let d = &p.dynamodb;
    let writes = n(0.5) * 2.0 * 2.0 * d.write_request_units_per_million / 1e6;
    let reads = gets * 0.5 * d.read_request_units_per_million / 1e6;
    let storage = (120.0 - d.free_storage_gb) * d.storage_per_gb_month;
    let pitr = 120.0 * d.point_in_time_recovery_per_gb_month;
    // Logs: each invocation's bytes, less 5 free GB, and 30 days kept compressed.
    let log_gb = (creates * 1000.0 + gets * 600.0 + batches * 2500.0) / p.logs.bytes_per_gb;
    let logs = (log_gb - p.logs.free_gb) * p.logs.ingestion_per_gb
        + log_gb * p.logs.stored_bytes_per_ingested_byte * p.logs.storage_per_gb_month;
    // Watching: every alarm's metrics beyond the free 10, the dashboard, 3 cold-start metrics.
    let alarm_metrics: usize = stack
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::Alarm(a) => Some(a.metric.metric_count()),
            _ => None,
        })
        .sum();
    let watching = (alarm_metrics as f64 - p.alarms.free_metrics) * p.alarms.per_metric_month
        + p.cloudwatch_dashboards.dashboard_per_month
        + 3.0 * p.cloudwatch_dashboards.custom_metric_per_month;

    let by_hand = api
        + lambda_requests
        + lambda_duration
        + provisioned
        + under_provisioned
        + events
        + sqs
        + writes
        + reads
        + storage
        + pitr
        + logs
        + watching;
    assert!(
        (estimate.total_usd - by_hand).abs() < 0.01,
        "estimate {} vs by hand {by_hand}",
        estimate.total_usd
    );
    assert!(by_hand < 3200.0, "{by_hand}");
    assert_eq!(estimate.api_requests_per_month, n(1.0));
    let unit = by_hand / (n(1.0) / 1e6);
    assert!((estimate.usd_per_million_api_requests.unwrap() - unit).abs() < 1e-6);
}

#[test]
fn a_profile_names_resources_of_the_stack_and_their_kinds_fields() {
    let (mut stack, _) = crate::kinds::load_stack(std::path::Path::new("specs/examples/orders"))
        .unwrap_or_else(|_| panic!("the example stack loads"));
    let profile = profile::parse(
        "callsPerDay: 1000\npath:\n  - {resource: Api/public, requests: 1}\n  - {resource: Function/nope, requests: 1}\n  - {resource: Queue/order-events, reads: 2}\n",
    )
    .unwrap();
    let errors = profile::apply(&mut stack, &profile, 730).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (4, 16));
    assert!(errors[0]
        .message
        .contains("`Function/nope` is not a resource"));
    assert!(errors[0].hint.contains("Function/create-order"));
    assert_eq!(errors[1].line, 5);
    assert!(errors[1]
        .message
        .contains("Queue/order-events has no traffic field `reads`"));
    assert!(errors[1].hint.contains("messages"));
    let unknown = profile::parse("callsPerDay: 1\npath: []\nextra: 1\n").unwrap_err();
    assert_eq!(unknown.line, 3, "{unknown:?}");
    assert!(
        unknown.message.starts_with("unknown field `extra`"),
        "{unknown:?}"
    );
}

/// Without provisioned concurrency there is nothing to recommend between.
#[test]
fn no_provisioned_concurrency_says_so() {
    let usage = LambdaUsage {
        memory_mb: 512,
        requests: 3_000_000.0,
        on_demand_requests: 3_000_000.0,
        on_demand_duration_ms: 1000.0,
        ..Default::default()
    };
    let comparison = compare_provisioned(Prices::us_east_1(), &usage);
    assert_eq!(
        comparison.with_provisioned_usd,
        comparison.on_demand_only_usd
    );
    assert!(
        comparison
            .recommendation
            .starts_with("no provisioned concurrency"),
        "{}",
        comparison.recommendation
    );
}
