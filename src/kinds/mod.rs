//! One module per resource kind, each behind the same contract ([`ResourceKind`]), listed once in
//! [`REGISTRY`]. A kind's module holds what is specific to it: validation, desired props,
//! observation, the immutable and data-bearing fields, apply and its AWS calls. The frame around
//! them knows no kind: the loader (`spec`) is handed [`validate_document`], the pure planner
//! (`plan`) is handed [`rules`], the executor (`apply`) calls [`ResourceKind::apply`].
//!
//! Adding a kind: a module here implementing [`ResourceKind`], one line in [`REGISTRY`], and its
//! domain type in `model` (the vocabulary every layer shares).

pub mod context;
pub mod desired;
pub mod observe;

pub mod api;
pub mod event_bus;
pub mod function;
pub mod layer;
pub mod queue;
pub mod rule;
pub mod table;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::diag::Diagnostics;
use crate::spec::load::{AnyDocument, Sources};
use crate::spec::validate::{Ctx, Validator};

pub use context::{ApplyCtx, Deferred, Prepared};
pub use desired::Context;

/// A future an object-safe trait can return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What every resource kind provides to the frame.
pub(crate) trait ResourceKind: Sync {
    fn kind(&self) -> Kind;

    /// What the pure planner must know: immutable fields, whether it holds data, its rank among
    /// deletions.
    fn rules(&self) -> KindRules;

    /// Check one document of this kind and build its domain type. `physical_name` is the name
    /// the common checks derived; a kind may amend it (a FIFO queue's `.fifo`) or refuse it.
    /// Problems go to `v`'s diagnostics; `None` when the document cannot be used.
    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &AnyDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec>;

    /// The props the spec wants for one resource of this kind (ownership tags included).
    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
        props: &mut Props,
        sensitive: &mut std::collections::BTreeSet<String>,
    );

    /// Carry out one planned action on this kind.
    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>>;

    /// The resource types (`lambda:function`, `sqs`...) under which the one stack-wide
    /// `tagging:GetResources` query finds this kind; none for a kind found by a listing of its
    /// own (REST APIs come with their tags, layers carry ownership in their descriptions).
    fn tagged_types(&self) -> &'static [&'static str] {
        &[]
    }

    /// Read this kind's live resources into `ctx`: those the tagging query found
    /// (`ctx.tagged`) and those the spec wants under names the stack does not own.
    fn observe<'a>(&'a self, ctx: &'a observe::ObserveCtx) -> BoxFuture<'a, Result<(), AwsError>>;
}

/// Every kind a stack can hold, once. Order is irrelevant; lookups go through [`of`].
static REGISTRY: &[&dyn ResourceKind] = &[
    &function::FunctionKind,
    &layer::LayerKind,
    &queue::QueueKind,
    &event_bus::EventBusKind,
    &rule::RuleKind,
    &table::TableKind,
    &api::ApiKind,
];

/// The module of `kind`. `Kind::Stack` is the stack document itself, not a resource kind.
pub(crate) fn of(kind: Kind) -> Option<&'static dyn ResourceKind> {
    REGISTRY.iter().copied().find(|k| k.kind() == kind)
}

/// Each kind's planning rules, for [`crate::plan::PlanOptions::rules`].
pub fn rules(kind: Kind) -> KindRules {
    of(kind).map_or(KindRules::PLAIN, |k| k.rules())
}

/// Validate one document through its kind's module (handed to the loader).
pub(crate) fn validate_document(
    v: &mut Validator<'_>,
    ctx: &Ctx<'_>,
    document: &AnyDocument,
    physical_name: &mut String,
) -> Option<ResourceSpec> {
    of(document.kind())?.validate(v, ctx, document, physical_name)
}

/// Load and validate the stack in `root`. On failure, every problem found is returned.
pub fn load_stack(root: &Path) -> Result<(Stack, Sources), (Diagnostics, Sources)> {
    crate::spec::validate::load_stack_with(root, validate_document)
}
