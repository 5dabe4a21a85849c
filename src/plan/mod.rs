//! The plan engine: pure functions from (desired, observed) to an ordered plan.
//! So far it holds the dependency graph, which validation uses to reject cycles.

pub mod graph;
