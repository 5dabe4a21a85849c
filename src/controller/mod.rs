//! `slsctl controller`: the long-running reconciler (sources → work queue → reconcile → status).
//! Built so far: the work queue and the DynamoDB lease with its fence.

pub mod lease;
pub mod queue;
