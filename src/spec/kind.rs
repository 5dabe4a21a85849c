//! What the loader and the validator ask of one resource kind's module. The frame parses and
//! checks what every kind shares (metadata, names, deletion policies, references, cycles); the
//! kind parses its own `spec`, checks it and builds its domain type. `crate::kinds` implements
//! [`DocumentKind`] once for every kind and hands the loader a [`Catalog`].

use super::diag::Diagnostic;
use super::load::{DocumentText, Loaded, ResourceDocument};
use super::validate::{Ctx, Entry, Validator};
use crate::model::{Kind, Resource, ResourceId, ResourceSpec, Stack, Traffic};

/// One resource kind, as the loader and the validator see it.
pub(crate) trait DocumentKind: Sync {
    /// Deserialize one document of this kind into the kind's wire type.
    fn parse(&self, text: &DocumentText<'_>) -> Result<Box<dyn ResourceDocument>, Box<Diagnostic>>;

    /// Values the document marks sensitive: they are masked in the texts kept for snippets.
    fn sensitive_values<'d>(&self, document: &'d dyn ResourceDocument) -> Vec<&'d str>;

    /// Check one document and build its domain type. `physical_name` is the name the common
    /// checks derived; a kind may amend it (a FIFO queue's `.fifo`) or refuse it. Problems go
    /// to the validator's diagnostics; `None` when the document cannot be used.
    fn validate(&self, c: Checking<'_, '_>, physical_name: &mut String) -> Option<Validated>;

    /// The longest physical name AWS accepts for a resource of this kind.
    fn name_limit(&self) -> usize;

    /// The service its ARNs name, for references written as ARNs.
    fn arn_service(&self) -> &'static str;

    /// Facts about the document that other documents' checks need (see [`Entry`]).
    fn entry_facts(&self, v: &Validator<'_>, document: &dyn ResourceDocument, entry: &mut Entry);

    /// `spec.traffic`, for the cost estimate, when the kind has one.
    fn traffic(&self, c: Checking<'_, '_>) -> Option<Traffic>;

    /// Checks that need other resources of the stack.
    fn cross_checks(&self, c: Checking<'_, '_>, stack: &Stack, resource: &Resource);

    /// Top-level field names of the kind's `spec` (for `ignoreChanges`).
    fn spec_field_names(&self) -> Vec<String>;

    /// Resources the spec implies without writing them, derived from `resource` once every
    /// document is validated (a function's execution role and log group). They are planned,
    /// owned and pruned like written ones, and `resource` depends on them.
    fn derive(&self, stack: &Stack, resource: &Resource) -> Vec<Resource>;

    /// Resources the stack as a whole implies (its dashboard), derived once every document is
    /// validated and every resource's own derivations are added; `derived_from` is
    /// `Stack/<name>`, and nothing depends on them.
    fn derive_for_stack(&self, stack: &Stack) -> Vec<Resource>;
}

/// A document its kind has checked: its domain type, and the resources of the stack it refers
/// to (sorted, without repeats).
pub(crate) struct Validated {
    pub spec: ResourceSpec,
    pub refers_to: Vec<ResourceId>,
}

/// The kinds a document can be: each resource kind's module, by kind (`None` for `Stack`).
pub(crate) type Catalog = fn(Kind) -> Option<&'static dyn DocumentKind>;

/// A document on its way to its kind's checks: the validator (where problems go), the
/// document's context for diagnostics, and the document, not yet of its kind's wire type.
pub(crate) struct Checking<'c, 'v> {
    pub v: &'c mut Validator<'v>,
    pub ctx: &'c Ctx<'c>,
    pub document: &'c dyn ResourceDocument,
}

/// One document under a kind's checks: the validator (where problems go), the document's
/// context for diagnostics, and the document as the kind's wire type `W`.
pub(crate) struct Check<'c, 'v, W> {
    pub v: &'c mut Validator<'v>,
    pub ctx: &'c Ctx<'c>,
    pub l: &'c Loaded<W>,
}

impl<'c, W> Check<'c, '_, W> {
    /// The document's `spec`.
    pub fn spec(&self) -> &'c W {
        &self.l.document.spec
    }

    /// A number of `spec.traffic` (see [`Validator::traffic_number`]).
    pub fn traffic_number(&mut self, field: &str, value: Option<f64>, default: f64) -> f64 {
        self.v.traffic_number(self.ctx, field, value, default)
    }
}
