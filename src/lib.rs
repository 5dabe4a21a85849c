//! slsctl: a reconciling operator for AWS serverless stacks, without a state file.
//!
//! Data flows one way (see ARCHITECTURE in the README):
//! spec files → [`spec`] (wire types → validated [`model`]) → [`plan`] (pure) → apply → controller.
//! [`aws`] is the only module that talks to AWS.

pub mod apply;
pub mod artifact;
pub mod aws;
pub mod cli;
pub mod controller;
pub mod cost;
pub mod engine;
pub mod kinds;
pub mod model;
pub mod plan;
pub mod policy;
pub mod render;
pub mod source;
pub mod spec;
pub mod text;
