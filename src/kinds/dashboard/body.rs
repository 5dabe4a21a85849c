//! The dashboard body, generated from the stack's wiring: a row per function, queue, Api, table
//! and rule (in the stack's order: by kind, then name), each a title and its graphs. Pure and
//! deterministic: the same stack and region give the same bytes (JSON objects keep their keys
//! sorted), which is what lets the plan compare it with the body read back.

use serde_json::{json, Value};

use crate::kinds::desired::{arn_name, rule_bus_name};
use crate::model::{Kind, Reference, ResourceSpec, Stack};

/// Graphs per row: the dashboard grid is 24 units wide.
const GRAPH_WIDTH: u32 = 6;
const GRAPH_HEIGHT: u32 = 6;
/// Seconds per data point.
const PERIOD: u32 = 300;

/// One metric of a graph: namespace, name, dimensions, statistic and its label.
struct Metric {
    namespace: String,
    name: String,
    dimensions: Vec<(&'static str, String)>,
    stat: &'static str,
    label: &'static str,
}

impl Metric {
    fn new(
        namespace: &str,
        name: &str,
        dimensions: &[(&'static str, &str)],
        stat: &'static str,
        label: &'static str,
    ) -> Metric {
        Metric {
            namespace: namespace.to_string(),
            name: name.to_string(),
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (*k, v.to_string()))
                .collect(),
            stat,
            label,
        }
    }

    /// As a metric widget lists it: `[namespace, name, dim, value, …, {options}]`.
    fn entry(&self) -> Value {
        let mut entry = vec![json!(self.namespace), json!(self.name)];
        for (key, value) in &self.dimensions {
            entry.push(json!(key));
            entry.push(json!(value));
        }
        entry.push(json!({"stat": self.stat, "label": self.label}));
        Value::Array(entry)
    }
}

/// A graph of a row: its title and metrics.
struct Graph {
    title: String,
    metrics: Vec<Metric>,
}

/// The rows of the dashboard, laid out top to bottom: a title line, then graphs left to right
/// (four to a line).
struct Layout {
    region: String,
    widgets: Vec<Value>,
    y: u32,
}

impl Layout {
    fn row(&mut self, title: String, graphs: Vec<Graph>) {
        const PER_LINE: u32 = 24 / GRAPH_WIDTH;
        self.widgets.push(json!({
            "type": "text",
            "x": 0, "y": self.y, "width": 24, "height": 1,
            "properties": {"markdown": title},
        }));
        self.y += 1;
        let mut lines = 0;
        for (i, graph) in (0u32..).zip(graphs) {
            lines = i / PER_LINE + 1;
            self.widgets.push(json!({
                "type": "metric",
                "x": (i % PER_LINE) * GRAPH_WIDTH,
                "y": self.y + (i / PER_LINE) * GRAPH_HEIGHT,
                "width": GRAPH_WIDTH,
                "height": GRAPH_HEIGHT,
                "properties": {
                    "title": graph.title,
                    "region": self.region,
                    "view": "timeSeries",
                    "stacked": false,
                    "period": PERIOD,
                    "metrics": graph.metrics.iter().map(Metric::entry).collect::<Vec<_>>(),
                },
            }));
        }
        self.y += lines * GRAPH_HEIGHT;
    }
}

fn graph(title: &str, metrics: Vec<Metric>) -> Graph {
    Graph {
        title: title.to_string(),
        metrics,
    }
}

/// A referenced queue's name: its physical name in the stack, or the last part of its ARN.
fn queue_name(stack: &Stack, reference: &Reference) -> String {
    match reference {
        Reference::Stack(id) => stack
            .get(id)
            .map_or_else(|| id.name.clone(), |r| r.physical_name.clone()),
        Reference::Arn(arn) => arn_name(arn).to_string(),
    }
}

/// The body of `stack`'s dashboard in `region`.
pub fn body(stack: &Stack, region: &str) -> Value {
    let mut layout = Layout {
        region: region.to_string(),
        widgets: Vec::new(),
        y: 0,
    };
    let cold_starts = super::super::metric_filter::namespace(&stack.name);
    for resource in &stack.resources {
        let name = resource.physical_name.as_str();
        let (title, graphs) = match &resource.spec {
            ResourceSpec::Function(f) => {
                let by_name = [("FunctionName", name)];
                let lambda = |metric: &str, stat, label| {
                    Metric::new("AWS/Lambda", metric, &by_name, stat, label)
                };
                let mut graphs = vec![
                    graph(
                        "Invocations and errors",
                        vec![
                            lambda("Invocations", "Sum", "invocations"),
                            lambda("Errors", "Sum", "errors"),
                            lambda("Throttles", "Sum", "throttles"),
                        ],
                    ),
                    graph(
                        "Duration (ms)",
                        vec![
                            lambda("Duration", "p50", "p50"),
                            lambda("Duration", "p99", "p99"),
                        ],
                    ),
                    graph(
                        "Concurrency",
                        vec![lambda(
                            "ConcurrentExecutions",
                            "Maximum",
                            "concurrent executions",
                        )],
                    ),
                ];
                // The cold-start metric exists for a function with its own log group only
                // (see `metric_filter::for_function`).
                let own_filter = stack.resources.iter().any(|r| {
                    r.id.kind == Kind::MetricFilter && r.derived_from.as_ref() == Some(&resource.id)
                });
                if own_filter {
                    let metric = super::super::metric_filter::metric_name(name);
                    graphs.push(graph(
                        "Cold starts",
                        vec![
                            Metric::new(&cold_starts, &metric, &[], "SampleCount", "cold starts"),
                            Metric::new(
                                &cold_starts,
                                &metric,
                                &[],
                                "p99",
                                "init duration p99 (ms)",
                            ),
                        ],
                    ));
                }
                if let Some(alias) = f
                    .alias
                    .as_ref()
                    .filter(|a| a.provisioned_concurrency.is_some())
                {
                    let qualified = format!("{name}:{}", alias.name);
                    graphs.push(graph(
                        "Provisioned concurrency utilisation",
                        vec![Metric::new(
                            "AWS/Lambda",
                            "ProvisionedConcurrencyUtilization",
                            &[("FunctionName", name), ("Resource", &qualified)],
                            "Maximum",
                            "utilisation",
                        )],
                    ));
                }
                (format!("## Function `{name}`"), graphs)
            }
            ResourceSpec::Queue(q) => {
                let sqs = |queue: &str, metric: &str, stat, label| {
                    Metric::new("AWS/SQS", metric, &[("QueueName", queue)], stat, label)
                };
                let mut graphs = vec![
                    graph(
                        "Depth",
                        vec![sqs(
                            name,
                            "ApproximateNumberOfMessagesVisible",
                            "Maximum",
                            "visible messages",
                        )],
                    ),
                    graph(
                        "Age of oldest message (s)",
                        vec![sqs(
                            name,
                            "ApproximateAgeOfOldestMessage",
                            "Maximum",
                            "oldest message age",
                        )],
                    ),
                ];
                if let Some(dead_letter) = &q.dead_letter {
                    let dlq = queue_name(stack, &dead_letter.queue);
                    graphs.push(graph(
                        "Dead-letter queue depth",
                        vec![sqs(
                            &dlq,
                            "ApproximateNumberOfMessagesVisible",
                            "Maximum",
                            "messages in the DLQ",
                        )],
                    ));
                }
                (format!("## Queue `{name}`"), graphs)
            }
            ResourceSpec::Api(a) => {
                let by_stage = [("ApiName", name), ("Stage", a.stage.as_str())];
                let api = |metric: &str, stat, label| {
                    Metric::new("AWS/ApiGateway", metric, &by_stage, stat, label)
                };
                let graphs = vec![
                    graph("Requests", vec![api("Count", "Sum", "requests")]),
                    graph(
                        "Errors",
                        vec![api("4XXError", "Sum", "4XX"), api("5XXError", "Sum", "5XX")],
                    ),
                    graph("Latency (ms)", vec![api("Latency", "p99", "p99")]),
                ];
                (format!("## Api `{name}` (stage `{}`)", a.stage), graphs)
            }
            ResourceSpec::Table(_) => {
                let dynamodb = |metric: &str, label| {
                    Metric::new("AWS/DynamoDB", metric, &[("TableName", name)], "Sum", label)
                };
                let graphs = vec![
                    graph(
                        "Consumed capacity",
                        vec![
                            dynamodb("ConsumedReadCapacityUnits", "read units"),
                            dynamodb("ConsumedWriteCapacityUnits", "write units"),
                        ],
                    ),
                    graph(
                        "Throttles",
                        vec![
                            dynamodb("ReadThrottleEvents", "read throttles"),
                            dynamodb("WriteThrottleEvents", "write throttles"),
                        ],
                    ),
                ];
                (format!("## Table `{name}`"), graphs)
            }
            ResourceSpec::Rule(rule) => {
                let bus = rule_bus_name(stack, rule);
                // A rule on a custom bus is measured with its bus as a dimension too.
                let mut dimensions = vec![("RuleName", name)];
                if bus != "default" {
                    dimensions.insert(0, ("EventBusName", bus.as_str()));
                }
                let events = |metric: &str, label| {
                    Metric::new("AWS/Events", metric, &dimensions, "Sum", label)
                };
                let graphs = vec![graph(
                    "Invocations",
                    vec![
                        events("Invocations", "invocations"),
                        events("FailedInvocations", "failed"),
                    ],
                )];
                (format!("## Rule `{name}` (bus `{bus}`)"), graphs)
            }
            _ => continue,
        };
        layout.row(title, graphs);
    }
    json!({"widgets": layout.widgets})
}
