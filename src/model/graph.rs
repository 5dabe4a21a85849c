//! The dependency graph of a stack: resources are created after what they refer to and deleted
//! before it. Pure: no I/O, no async.

use std::collections::BTreeMap;

use crate::model::{ResourceId, Stack};

/// Resources in an order where every resource comes after its dependencies, or the cycles that
/// make such an order impossible (each cycle listed once, starting from its smallest id).
pub fn creation_order(stack: &Stack) -> Result<Vec<ResourceId>, Vec<Vec<ResourceId>>> {
    let edges: BTreeMap<&ResourceId, Vec<&ResourceId>> = stack
        .resources
        .iter()
        .map(|r| {
            let deps = r
                .dependencies()
                .into_iter()
                .filter(|d| stack.get(d).is_some())
                .collect();
            (&r.id, deps)
        })
        .collect();

    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks: BTreeMap<&ResourceId, Mark> = edges.keys().map(|k| (*k, Mark::New)).collect();
    let mut order = Vec::with_capacity(edges.len());
    let mut cycles: Vec<Vec<ResourceId>> = Vec::new();

    // Iterative depth-first search: a spec with a long reference chain must not overflow the stack.
    for start in edges.keys() {
        if marks[start] != Mark::New {
            continue;
        }
        let mut path: Vec<(&ResourceId, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Active);
        while let Some((node, next)) = path.last_mut() {
            let deps = &edges[node];
            if let Some(dep) = deps.get(*next) {
                *next += 1;
                match marks[dep] {
                    Mark::New => {
                        marks.insert(dep, Mark::Active);
                        path.push((dep, 0));
                    }
                    Mark::Active => {
                        let from = path.iter().position(|(n, _)| n == dep).unwrap_or(0);
                        let mut cycle: Vec<ResourceId> =
                            path[from..].iter().map(|(n, _)| (*n).clone()).collect();
                        let smallest = cycle
                            .iter()
                            .enumerate()
                            .min_by(|a, b| a.1.cmp(b.1))
                            .map_or(0, |(i, _)| i);
                        cycle.rotate_left(smallest);
                        if !cycles.contains(&cycle) {
                            cycles.push(cycle);
                        }
                    }
                    Mark::Done => {}
                }
            } else {
                marks.insert(node, Mark::Done);
                order.push((*node).clone());
                path.pop();
            }
        }
    }
    if cycles.is_empty() {
        Ok(order)
    } else {
        Err(cycles)
    }
}
