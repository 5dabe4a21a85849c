//! One module per resource kind, each behind the same contract ([`ResourceKind`]), listed once in
//! [`REGISTRY`]. A kind's module holds what is specific to it: validation, desired props,
//! observation, the immutable and data-bearing fields, apply and its AWS calls. The frame around
//! them knows no kind: the loader (`spec`) is handed [`validate_document`], the pure planner
//! (`plan`) is handed [`rules`], the executor (`apply`) calls [`ResourceKind::apply`].
//!
//! Adding a kind: a module here implementing [`TypedKind`] (which makes it a [`ResourceKind`]),
//! one line in [`REGISTRY`], and its domain type in `model` (the vocabulary every layer shares).

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
use std::sync::Arc;

use serde_json::Value;

use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack, Traffic};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::diag::{Diagnostic, Diagnostics};
use crate::spec::load::{KindParser, Loaded, ResourceDocument, ResourceSpecWire, Sources};
use crate::spec::validate::{Ctx, Entry, KindCatalog, Validator};
use crate::spec::yaml::SourceMap;

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
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec>;

    /// Deserialize a document of this kind into its wire type.
    fn parse(
        &self,
        padded: &str,
        file: &Arc<Path>,
        dir: &Path,
        map: &SourceMap,
    ) -> Result<Box<dyn ResourceDocument>, Box<Diagnostic>>;

    /// The JSON Schema of a document of this kind (`slsctl schema`).
    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> Value;

    /// Top-level field names of its `spec` (for `ignoreChanges`).
    fn spec_field_names(&self) -> Vec<String>;

    /// Values the document marks sensitive (masked in the texts kept for snippets).
    fn sensitive_values<'d>(&self, _document: &'d dyn ResourceDocument) -> Vec<&'d str> {
        Vec::new()
    }

    /// Facts about the document that other documents' checks need.
    fn entry_facts(
        &self,
        _v: &Validator<'_>,
        _document: &dyn ResourceDocument,
        _entry: &mut Entry,
    ) {
    }

    /// Its `spec.traffic` assumptions, for the cost estimate.
    fn traffic(
        &self,
        _v: &mut Validator<'_>,
        _ctx: &Ctx<'_>,
        _document: &dyn ResourceDocument,
    ) -> Option<Traffic> {
        None
    }

    /// Checks that need the rest of the stack.
    fn cross_checks(
        &self,
        _v: &mut Validator<'_>,
        _ctx: &Ctx<'_>,
        _stack: &Stack,
        _resource: &Resource,
        _document: &dyn ResourceDocument,
    ) {
    }

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

    /// How the observation driver reads this kind: the resource types it is listed under and
    /// its reads (see [`observe::Observer`]).
    fn observer(&self) -> &'static observe::Observer;
}

/// What a kind's module writes: [`ResourceKind`] with its document already of the kind's wire
/// type, and what is a plain function of the kind's module named rather than wrapped. The one
/// blanket impl below turns it into a [`ResourceKind`], so the downcast, the parsing and the
/// schema are written once rather than once per kind.
pub(crate) trait TypedKind: Sync + 'static {
    /// The kind's `spec` exactly as written in YAML.
    type Wire: ResourceSpecWire + schemars::JsonSchema;
    /// Its domain type, what [`TypedKind::VALIDATE`] builds.
    type Model;

    /// The one-line description of its documents in the JSON Schema.
    const DESCRIPTION: &'static str;
    /// See [`ResourceKind::rules`].
    const RULES: KindRules;
    /// See [`ResourceKind::observer`].
    const OBSERVER: &'static observe::Observer;
    /// The checks of its own document, building its domain type...
    const VALIDATE: ValidateFn<Self>;
    /// ...and the [`ResourceSpec`] variant holding it.
    const SPEC: fn(Self::Model) -> ResourceSpec;
    /// See [`ResourceKind::apply`].
    const APPLY: ApplyFn;
    /// Its checks beyond its own document (none unless it says so).
    const CHECKS: Checks<Self::Wire> = Checks::NONE;

    /// Amend or refuse the physical name the common checks derived (see
    /// [`ResourceKind::validate`]); runs before [`TypedKind::VALIDATE`].
    fn check_physical_name(
        &self,
        _v: &mut Validator<'_>,
        _ctx: &Ctx<'_>,
        _l: &Loaded<Self::Wire>,
        _physical_name: &mut String,
    ) {
    }

    /// See [`ResourceKind::desired_props`].
    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
        props: &mut Props,
        sensitive: &mut std::collections::BTreeSet<String>,
    );
}

/// How a kind checks its own document and builds its domain type (its `validate::validate`).
pub(crate) type ValidateFn<T> = fn(
    &mut Validator<'_>,
    &Ctx<'_>,
    &Loaded<<T as TypedKind>::Wire>,
) -> Option<<T as TypedKind>::Model>;

/// How a kind carries out one planned action (see [`ResourceKind::apply`]).
pub(crate) type ApplyFn =
    for<'a> fn(&'a ApplyCtx, &'a ResourceAction) -> BoxFuture<'a, Result<(), AwsError>>;

/// A kind's checks beyond its own document, each one optional: the functions of its `checks`
/// module (see the [`ResourceKind`] method of the same name).
pub(crate) struct Checks<W: 'static> {
    pub sensitive_values: Option<SensitiveValuesFn<W>>,
    pub entry_facts: Option<EntryFactsFn<W>>,
    pub traffic: Option<TrafficFn<W>>,
    pub cross_checks: Option<CrossChecksFn<W>>,
}

pub(crate) type SensitiveValuesFn<W> = fn(&Loaded<W>) -> Vec<&str>;
pub(crate) type EntryFactsFn<W> = fn(&Validator<'_>, &Loaded<W>, &mut Entry);
pub(crate) type TrafficFn<W> = fn(&mut Validator<'_>, &Ctx<'_>, &Loaded<W>) -> Option<Traffic>;
pub(crate) type CrossChecksFn<W> = fn(&mut Validator<'_>, &Ctx<'_>, &Stack, &Resource, &Loaded<W>);

impl<W> Checks<W> {
    pub const NONE: Checks<W> = Checks {
        sensitive_values: None,
        entry_facts: None,
        traffic: None,
        cross_checks: None,
    };
}

/// The document as `T`'s wire type. The registry routes a document by its kind, and a kind
/// only parses into its own wire type, so `None` means a document routed to the wrong module.
fn typed<T: TypedKind>(document: &dyn ResourceDocument) -> Option<&Loaded<T::Wire>> {
    document.as_any().downcast_ref::<Loaded<T::Wire>>()
}

impl<T: TypedKind> ResourceKind for T {
    fn kind(&self) -> Kind {
        T::Wire::KIND
    }

    fn rules(&self) -> KindRules {
        T::RULES
    }

    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let l = typed::<T>(document)?;
        self.check_physical_name(v, ctx, l, physical_name);
        Some((T::SPEC)((T::VALIDATE)(v, ctx, l)?))
    }

    fn parse(
        &self,
        padded: &str,
        file: &Arc<Path>,
        dir: &Path,
        map: &SourceMap,
    ) -> Result<Box<dyn ResourceDocument>, Box<Diagnostic>> {
        Ok(Box::new(crate::spec::load::parse_typed::<T::Wire>(
            padded, file, dir, map,
        )?))
    }

    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> Value {
        crate::spec::schema::document_schema::<T::Wire>(generator, T::Wire::KIND, T::DESCRIPTION)
    }

    fn spec_field_names(&self) -> Vec<String> {
        crate::spec::schema::field_names::<T::Wire>()
    }

    fn sensitive_values<'d>(&self, document: &'d dyn ResourceDocument) -> Vec<&'d str> {
        match (T::CHECKS.sensitive_values, typed::<T>(document)) {
            (Some(check), Some(l)) => check(l),
            _ => Vec::new(),
        }
    }

    fn entry_facts(&self, v: &Validator<'_>, document: &dyn ResourceDocument, entry: &mut Entry) {
        if let (Some(check), Some(l)) = (T::CHECKS.entry_facts, typed::<T>(document)) {
            check(v, l, entry);
        }
    }

    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
    ) -> Option<Traffic> {
        T::CHECKS.traffic?(v, ctx, typed::<T>(document)?)
    }

    fn cross_checks(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        stack: &Stack,
        resource: &Resource,
        document: &dyn ResourceDocument,
    ) {
        if let (Some(check), Some(l)) = (T::CHECKS.cross_checks, typed::<T>(document)) {
            check(v, ctx, stack, resource, l);
        }
    }

    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
        props: &mut Props,
        sensitive: &mut std::collections::BTreeSet<String>,
    ) {
        TypedKind::desired_props(self, stack, resource, ctx, props, sensitive);
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        (T::APPLY)(ctx, action)
    }

    fn observer(&self) -> &'static observe::Observer {
        T::OBSERVER
    }
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

/// The registry as the loader and the validator see it.
struct Registry;

impl KindParser for Registry {
    fn parse(
        &self,
        kind: Kind,
        padded: &str,
        file: &Arc<Path>,
        dir: &Path,
        map: &SourceMap,
    ) -> Result<Box<dyn ResourceDocument>, Box<Diagnostic>> {
        match of(kind) {
            Some(k) => k.parse(padded, file, dir, map),
            None => Err(Box::new(Diagnostic::new(format!(
                "`{kind}` is not a resource kind"
            )))),
        }
    }

    fn sensitive_values<'d>(&self, document: &'d dyn ResourceDocument) -> Vec<&'d str> {
        of(document.kind()).map_or_else(Vec::new, |k| k.sensitive_values(document))
    }
}

impl KindCatalog for Registry {
    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        of(document.kind())?.validate(v, ctx, document, physical_name)
    }

    fn entry_facts(&self, v: &Validator<'_>, document: &dyn ResourceDocument, entry: &mut Entry) {
        if let Some(k) = of(document.kind()) {
            k.entry_facts(v, document, entry);
        }
    }

    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
    ) -> Option<Traffic> {
        of(document.kind())?.traffic(v, ctx, document)
    }

    fn cross_checks(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        stack: &Stack,
        resource: &Resource,
        document: &dyn ResourceDocument,
    ) {
        if let Some(k) = of(document.kind()) {
            k.cross_checks(v, ctx, stack, resource, document);
        }
    }

    fn spec_field_names(&self, kind: Kind) -> Vec<String> {
        of(kind).map_or_else(Vec::new, |k| k.spec_field_names())
    }
}

/// Load and validate the stack in `root`. On failure, every problem found is returned.
pub fn load_stack(root: &Path) -> Result<(Stack, Sources), (Diagnostics, Sources)> {
    crate::spec::validate::load_stack_with(root, &Registry)
}

/// The JSON Schema of one spec document of any kind (`slsctl schema`).
pub fn json_schema() -> Value {
    crate::spec::schema::json_schema(&|generator| {
        REGISTRY
            .iter()
            .map(|k| k.document_schema(generator))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_has_one_branch_per_kind_and_closed_objects() {
        let schema = json_schema();
        let branches = schema["oneOf"].as_array().unwrap();
        assert_eq!(branches.len(), Kind::ALL.len());
        let function = &schema["$defs"]["FunctionSpec"];
        assert_eq!(function["additionalProperties"], json!(false));
        assert!(function["properties"]["memorySize"].is_object());
        assert_eq!(
            function["properties"]["memorySize"]["maximum"],
            json!(10240)
        );
    }

    #[test]
    fn spec_fields_come_from_the_wire_types() {
        let fields = Registry.spec_field_names(Kind::Queue);
        assert!(fields.iter().any(|f| f == "visibilityTimeout"));
        assert!(fields.iter().any(|f| f == "deadLetter"));
    }

    #[test]
    fn every_resource_kind_is_registered_once() {
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Stack) {
            let modules = REGISTRY.iter().filter(|k| k.kind() == kind).count();
            assert_eq!(modules, 1, "{kind} has {modules} modules in the registry");
        }
    }
}
