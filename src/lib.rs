//! slsctl: a reconciling operator for AWS serverless stacks, without a state file.
//!
//! Data flows one way (see "How it is built" in the README): spec files → `spec` (the loader and
//! the checks every kind shares) and [`kinds`] (one module per resource kind, behind one contract)
//! → the validated [`model`] → [`plan`] (pure) → [`apply`] → [`controller`]; [`diagram`] draws
//! the model. [`aws`] holds the
//! clients every call goes through. The modules public here are those the binary and the tests
//! use; `cost`, `policy`, `spec` and `text` are internal.

pub mod apply;
pub mod artifact;
pub mod aws;
pub mod cli;
pub mod controller;
mod cost;
pub mod diagram;
pub mod engine;
pub mod import;
pub mod kinds;
pub mod model;
pub mod plan;
mod policy;
pub mod render;
pub mod source;
mod spec;
mod text;
pub mod tune;

/// What [`kinds::load_stack`] reports about a spec directory.
pub use spec::diag::{Diagnostic, Diagnostics};
pub use spec::load::Sources;
