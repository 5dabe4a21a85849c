//! Architecture diagrams drawn from the spec, so they never drift from what is deployed: the
//! event-driven flow (routes to functions, queues to their consumers, functions to what they
//! write, rules to their targets, redrives to dead-letter queues), with the cold-start
//! mitigation of each function on a synchronous path marked.
//!
//! Pure: the spec in, a [`Diagram`] (nodes in layers, left to right along the flow) out, and the
//! renderers in [`render`] turn it into Mermaid, draw.io or SVG. The same spec always gives the
//! same bytes.

pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use crate::model::*;

/// A resource on the diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// `Kind/name` for a resource of the stack, the ARN for one outside it.
    pub key: String,
    pub kind: NodeKind,
    pub name: String,
    /// Lines under the name: what a reader needs (memory, runtime, provisioned concurrency…).
    pub notes: Vec<String>,
    /// A function on a synchronous path (an Api route) without provisioned concurrency: every
    /// cold start is a user's wait.
    pub flagged: bool,
    /// Column (along the flow) and row.
    pub layer: usize,
    pub row: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    Resource(Kind),
    /// A reference by ARN to something outside the stack.
    External,
}

impl NodeKind {
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Resource(kind) => kind.as_str(),
            NodeKind::External => "External",
        }
    }
}

/// A flow between two nodes (indexes into [`Diagram::nodes`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    pub stack: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// The diagram of `stack`: its written resources (what slsctl derives from them, roles and log
/// groups, would only repeat the functions), the resources outside it that they name, and the
/// flows between them. `code_bytes` gives the size of each function's and layer's package when
/// known (the zip of its directory).
pub fn of(stack: &Stack, code_bytes: &BTreeMap<ResourceId, u64>) -> Diagram {
    let mut keys: BTreeMap<String, (NodeKind, String)> = BTreeMap::new();
    let written: Vec<&Resource> = stack
        .resources
        .iter()
        .filter(|r| r.derived_from.is_none())
        .collect();
    for r in &written {
        keys.insert(
            r.id.to_string(),
            (NodeKind::Resource(r.id.kind), r.id.name.clone()),
        );
    }
    let mut flows = Flows::default();
    let mut sync: BTreeSet<String> = BTreeSet::new();
    let mut buffered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &written {
        let me = r.id.to_string();
        let this = Reference::Stack(r.id.clone());
        match &r.spec {
            ResourceSpec::Api(api) => {
                for route in &api.routes {
                    flows.add(
                        &mut keys,
                        &this,
                        &route.function,
                        format!("{} {}", route.method, route.path),
                    );
                    sync.insert(node_key(&route.function));
                }
            }
            ResourceSpec::Function(f) => {
                for trigger in &f.triggers {
                    let queue = node_key(&trigger.queue);
                    let label = format!("batch {}", trigger.batch_size);
                    flows.add(&mut keys, &trigger.queue, &this, label);
                    buffered
                        .entry(me.clone())
                        .or_default()
                        .push(label_of(&keys, &queue));
                }
                for value in f.environment.values() {
                    if let EnvValue::Ref { target, .. } = value {
                        if matches!(target, Reference::Stack(id) if matches!(id.kind, Kind::Table | Kind::Queue | Kind::EventBus | Kind::Function))
                        {
                            flows.add(&mut keys, &this, target, verb_of(target).into());
                        }
                    }
                }
                if let Some(dead_letter) = &f.dead_letter {
                    flows.add(&mut keys, &this, dead_letter, "on failure".into());
                }
                for layer in &f.layers {
                    flows.add(&mut keys, &this, layer, "layer".into());
                }
                // A written (shared) role or log group; the derived ones are not drawn.
                if let Some(role @ Reference::Stack(_)) = &f.role {
                    flows.add(&mut keys, &this, role, "runs as".into());
                }
                if let Some(group @ Reference::Stack(_)) = &f.logging.log_group {
                    flows.add(&mut keys, &this, group, "logs to".into());
                }
            }
            ResourceSpec::Queue(q) => {
                if let Some(dead_letter) = &q.dead_letter {
                    flows.add(
                        &mut keys,
                        &this,
                        &dead_letter.queue,
                        format!("redrive after {}", dead_letter.max_receive_count),
                    );
                }
            }
            ResourceSpec::Rule(rule) => {
                if let Some(bus) = &rule.bus {
                    flows.add(&mut keys, bus, &this, "matches".into());
                }
                for target in &rule.targets {
                    flows.add(&mut keys, &this, &target.destination, target.id.clone());
                    if let Some(dead_letter) = &target.dead_letter {
                        flows.add(
                            &mut keys,
                            &this,
                            dead_letter,
                            format!("{} failed", target.id),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    // Only flows between nodes on the diagram (a bus given by ARN is drawn as external).
    let index: BTreeMap<&String, usize> = keys.keys().enumerate().map(|(i, k)| (k, i)).collect();
    let mut edges: Vec<Edge> = flows
        .0
        .iter()
        .filter_map(|(from, to, label)| {
            Some(Edge {
                from: *index.get(from)?,
                to: *index.get(to)?,
                label: label.clone(),
            })
        })
        .collect();
    edges.sort();
    let mut nodes: Vec<Node> = keys
        .iter()
        .map(|(key, (kind, name))| {
            let resource = written.iter().find(|r| r.id.to_string() == *key);
            let (notes, flagged) = match resource {
                Some(r) => notes_of(stack, r, code_bytes, sync.contains(key), buffered.get(key)),
                None => (vec![key.clone()], false),
            };
            Node {
                key: key.clone(),
                kind: *kind,
                name: name.clone(),
                notes,
                flagged,
                layer: 0,
                row: 0,
            }
        })
        .collect();
    lay_out(&mut nodes, &edges);
    Diagram {
        stack: stack.name.clone(),
        nodes,
        edges,
    }
}

/// The flows found so far, as (from, to, label) node keys.
#[derive(Default)]
struct Flows(BTreeSet<(String, String, String)>);

impl Flows {
    /// A flow from `from` to `to`; an end outside the stack (an ARN) becomes an external node.
    fn add(
        &mut self,
        keys: &mut BTreeMap<String, (NodeKind, String)>,
        from: &Reference,
        to: &Reference,
        label: String,
    ) {
        for end in [from, to] {
            if let Reference::Arn(arn) = end {
                keys.entry(arn.clone()).or_insert((
                    NodeKind::External,
                    crate::kinds::desired::arn_name(arn).to_string(),
                ));
            }
        }
        self.0.insert((node_key(from), node_key(to), label));
    }
}

fn node_key(reference: &Reference) -> String {
    match reference {
        Reference::Stack(id) => id.to_string(),
        Reference::Arn(arn) => arn.clone(),
    }
}

fn label_of(keys: &BTreeMap<String, (NodeKind, String)>, key: &str) -> String {
    keys.get(key)
        .map_or_else(|| key.to_string(), |(_, name)| name.clone())
}

fn verb_of(target: &Reference) -> &'static str {
    match target {
        Reference::Stack(id) => match id.kind {
            Kind::Table => "reads/writes",
            Kind::Queue => "sends",
            Kind::EventBus => "puts events",
            Kind::Function => "invokes",
            _ => "uses",
        },
        Reference::Arn(_) => "uses",
    }
}

/// A function's cold-start profile: memory, runtime, architecture, package sizes, and on a
/// synchronous path its provisioned concurrency (or the flag that it has none); a queue's
/// consumer is buffered instead.
fn notes_of(
    stack: &Stack,
    r: &Resource,
    code_bytes: &BTreeMap<ResourceId, u64>,
    synchronous: bool,
    buffered_by: Option<&Vec<String>>,
) -> (Vec<String>, bool) {
    let ResourceSpec::Function(f) = &r.spec else {
        return (Vec::new(), false);
    };
    let arch = match f.architecture {
        Architecture::Arm64 => "arm64",
        Architecture::X86_64 => "x86_64",
    };
    let mut notes = vec![format!(
        "{} MB · {} · {arch}",
        f.memory_size,
        f.runtime.as_deref().unwrap_or("image")
    )];
    let mut sizes = Vec::new();
    if let Some(bytes) = code_bytes.get(&r.id) {
        sizes.push(format!("code {}", kib(*bytes)));
    }
    let layer_bytes: u64 = f
        .layers
        .iter()
        .filter_map(|l| match l {
            Reference::Stack(id) => code_bytes.get(id),
            Reference::Arn(_) => None,
        })
        .sum();
    if !f.layers.is_empty() {
        let layers = match f.layers.len() {
            1 => "1 layer".to_string(),
            n => format!("{n} layers"),
        };
        sizes.push(format!("{layers} {}", kib(layer_bytes)));
    }
    if !sizes.is_empty() {
        notes.push(sizes.join(" · "));
    }
    let provisioned = f
        .alias
        .as_ref()
        .and_then(|a| a.provisioned_concurrency.as_ref().map(|pc| (a, pc)));
    let mut flagged = false;
    if synchronous {
        match provisioned {
            Some((alias, pc)) => {
                let schedules: Vec<&str> = pc.schedules.iter().map(|s| s.name.as_str()).collect();
                let mut line = format!("PC on {}: baseline {}", alias.name, pc.baseline);
                if !schedules.is_empty() {
                    line.push_str(&format!(", schedules {}", schedules.join(", ")));
                }
                notes.push(line);
            }
            None => {
                notes.push(
                    "synchronous, no provisioned concurrency: cold starts reach users".into(),
                );
                flagged = true;
            }
        }
    }
    if let Some(queues) = buffered_by {
        notes.push(format!("buffered by {}", queues.join(", ")));
    }
    let _ = stack;
    (notes, flagged)
}

fn kib(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Layers along the flow: a node sits one column right of the furthest node flowing into it
/// (longest path; a cycle is cut where it closes), then rows by kind and name, so the same
/// spec gives the same picture.
fn lay_out(nodes: &mut [Node], edges: &[Edge]) {
    let n = nodes.len();
    let mut layer = vec![0usize; n];
    // At most n passes settle a graph without cycles; a cycle stops at the bound.
    for _ in 0..n {
        let mut changed = false;
        for e in edges {
            if e.from != e.to && layer[e.to] < layer[e.from] + 1 && layer[e.from] + 1 < n {
                layer[e.to] = layer[e.from] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut by_layer: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, l) in layer.iter().enumerate() {
        by_layer.entry(*l).or_default().push(i);
    }
    for members in by_layer.values_mut() {
        members.sort_by(|a, b| {
            (nodes[*a].kind, &nodes[*a].name).cmp(&(nodes[*b].kind, &nodes[*b].name))
        });
        for (row, i) in members.iter().enumerate() {
            nodes[*i].layer = layer[*i];
            nodes[*i].row = row;
        }
    }
}

/// The package size of every function and layer built from a directory (the zip slsctl would
/// upload), for the diagram's cold-start notes. A directory that cannot be read is left out.
pub fn package_sizes(stack: &Stack) -> BTreeMap<ResourceId, u64> {
    let mut sizes = BTreeMap::new();
    for r in &stack.resources {
        let dir = match &r.spec {
            ResourceSpec::Function(Function {
                code: Code::Directory(dir),
                ..
            }) => dir,
            ResourceSpec::Layer(layer) => &layer.content,
            _ => continue,
        };
        if let Ok(package) = crate::artifact::package(dir) {
            sizes.insert(r.id.clone(), package.bytes.len() as u64);
        }
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Stack {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/examples/orders");
        crate::kinds::load_stack(&root)
            .unwrap_or_else(|_| panic!("the example loads"))
            .0
    }

    #[test]
    fn the_example_flows_from_the_api_to_the_table_and_through_the_queue() {
        let d = of(&example(), &BTreeMap::new());
        let edge = |from: &str, to: &str| {
            d.edges
                .iter()
                .find(|e| d.nodes[e.from].key == from && d.nodes[e.to].key == to)
        };
        assert_eq!(
            edge("Api/public", "Function/create-order").map(|e| e.label.as_str()),
            Some("POST /orders")
        );
        assert!(edge("Function/create-order", "Table/app").is_some());
        assert!(edge("Function/create-order", "EventBus/orders").is_some());
        assert!(edge("EventBus/orders", "Rule/order-placed").is_some());
        assert!(edge("Rule/order-placed", "Queue/order-events").is_some());
        assert!(edge("Queue/order-events", "Function/fulfil-order").is_some());
        assert!(edge("Queue/order-events", "Queue/order-events-dlq").is_some());
        assert!(edge("Function/fulfil-order", "Layer/shared-libs").is_some());
        // Nothing derived is drawn: roles and log groups would repeat the functions.
        assert!(d
            .nodes
            .iter()
            .all(|n| !matches!(n.kind, NodeKind::Resource(Kind::Role | Kind::LogGroup))));
        // Left to right along the flow.
        let layer = |key: &str| d.nodes.iter().find(|n| n.key == key).unwrap().layer;
        assert!(layer("Api/public") < layer("Function/create-order"));
        assert!(layer("Function/create-order") < layer("EventBus/orders"));
        assert!(layer("Rule/order-placed") < layer("Queue/order-events"));
        assert!(layer("Queue/order-events") < layer("Function/fulfil-order"));
    }

    #[test]
    fn cold_starts_are_marked_on_synchronous_functions_only() {
        let d = of(&example(), &BTreeMap::new());
        let node = |key: &str| d.nodes.iter().find(|n| n.key == key).unwrap();
        let create = node("Function/create-order");
        assert!(!create.flagged);
        assert!(
            create
                .notes
                .iter()
                .any(|n| n == "PC on live: baseline 2, schedules business-hours, evening"),
            "{:?}",
            create.notes
        );
        // get-order answers a route without provisioned concurrency.
        assert!(node("Function/get-order").flagged);
        // fulfil-order is asynchronous: buffered by its queue, never flagged.
        let fulfil = node("Function/fulfil-order");
        assert!(!fulfil.flagged);
        assert!(fulfil.notes.iter().any(|n| n == "buffered by order-events"));
    }
}
