//! Spec files → a validated [`crate::model::Stack`].
//!
//! `yaml` scans the raw text (documents, source map, duplicate keys, YAML 1.1 booleans, limits),
//! `load` deserialises each document into the `wire` types with serde-saphyr, and `validate`
//! turns wire types into the domain model, collecting every problem as a `diag::Diagnostic`.

pub(crate) mod alarms;
pub mod diag;
mod fields;
pub(crate) mod kind;
pub mod load;
pub mod schema;
mod stack;
pub mod validate;
pub mod wire;
pub mod yaml;
