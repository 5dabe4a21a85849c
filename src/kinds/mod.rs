//! One module per resource kind, each behind the same contract ([`ResourceKind`]), listed once in
//! [`REGISTRY`]. A kind's module holds what is specific to it: validation, desired props,
//! observation, the immutable and data-bearing fields, apply and its AWS calls. The frame around
//! them knows no kind: the loader (`spec`) is handed each kind as a [`DocumentKind`], the pure
//! planner (`plan`) is handed [`rules`], the executor (`apply`) calls [`ResourceKind::apply`].
//!
//! Adding a kind: a module here with the files every kind has (`wire`, `validate`, `props`,
//! `observe`, `apply`), its [`kind_module!`] declaration and [`TypedKind`] impl (which make it a
//! [`ResourceKind`]), one line in [`REGISTRY`], and its domain type in `model` (the vocabulary
//! every layer shares).

pub mod context;
pub mod desired;
pub mod observe;

pub mod alarm;
pub mod api;
pub mod dashboard;
pub mod event_bus;
pub mod function;
pub mod layer;
pub mod log_group;
pub mod metric_filter;
pub mod queue;
pub mod role;
pub mod rule;
pub mod table;

use std::collections::BTreeSet;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use serde_json::Value;

use crate::artifact::Package;
use crate::aws::permissions::Through;
use crate::aws::AwsError;
use crate::model::{Kind, Reference, Resource, ResourceId, ResourceSpec, Stack, Traffic};
use crate::plan::{
    DesiredResource, FieldValue, KindRules, ObservedResource, Props, ResourceAction,
};
use crate::spec::diag::{Diagnostic, Diagnostics};
use crate::spec::kind::{Check, Checking, DocumentKind, Validated};
use crate::spec::load::{DocumentText, Loaded, ResourceDocument, ResourceSpecWire, Sources};
use crate::spec::validate::{Entry, Validator};
use desired::Wanted;

pub use context::{ApplyCtx, Deferred, Prepared};
pub use desired::Context;

/// A future an object-safe trait can return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What every resource kind provides to the frame: to the loader and the validator as a
/// [`DocumentKind`], and to the planner, the observation driver and the executor here.
pub(crate) trait ResourceKind: DocumentKind {
    fn kind(&self) -> Kind;

    /// The kind as the loader sees it.
    fn as_document(&self) -> &dyn DocumentKind;

    /// What the pure planner must know: immutable fields, whether it holds data, its rank among
    /// deletions.
    fn rules(&self) -> KindRules;

    /// The JSON Schema of a document of this kind (`slsctl schema`).
    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> Value;

    /// Whether a spec may write resources of this kind (see [`TypedKind::WRITABLE`]).
    fn writable(&self) -> bool;

    /// The props the spec wants for one resource of this kind (ownership tags included), and
    /// the fields among them whose values are stored hashed.
    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
    ) -> (Props, BTreeSet<String>);

    /// Carry out one planned action on this kind.
    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>>;

    /// How the observation driver reads this kind: the resource types it is listed under and
    /// its reads (see [`observe::Observer`]).
    fn observer(&self) -> &'static observe::Observer;

    /// The ARN of one resource of this kind, as the resources referring to it name it before
    /// it exists (see [`TypedKind::ARN`]).
    fn arn(&self, stack: &Stack, resource: &Resource, ctx: &Context) -> FieldValue;

    /// See [`TypedKind::EVENT_KEY`].
    fn event_key(&self) -> Option<EventKey>;

    /// See [`TypedKind::CHANGES_THROUGH`].
    fn changes_through(&self) -> &'static [Through];

    /// The directory one of its resources is deployed from (see [`TypedKind::PACKAGED`]).
    fn package_dir<'r>(&self, resource: &'r Resource) -> Option<&'r Path>;

    /// Record a resource's package in the context its desired props read.
    fn learn_package(&self, ctx: &mut Context, id: &ResourceId, package: &Package);

    /// See [`TypedKind::LEARN_OBSERVED`].
    fn learn_observed(&self, ctx: &mut Context, observed: &ObservedResource);

    /// See [`TypedKind::SETTLE_OBSERVED`].
    fn settle_observed(&self, desired: &DesiredResource, observed: &mut ObservedResource);

    /// See [`TypedKind::EXPLAIN_UPDATE`].
    fn explain_update(&self, resource: &Resource, live: &Props, action: &mut ResourceAction);

    /// See [`TypedKind::SECRETS`].
    fn secrets(&self, resource: &Resource) -> Vec<String>;
}

/// The parts every kind's module has under the same names: `wire::<Kind>SpecWire`,
/// `validate::validate`, `props::props`, `observe::OBSERVER` and `apply::run`, and its variant of
/// [`ResourceSpec`]. [`kind_module!`] writes this impl from the kind's name, so a kind states
/// only what is its own ([`TypedKind`]).
pub(crate) trait KindModule: Sync + 'static {
    /// The kind's `spec` exactly as written in YAML.
    type Wire: ResourceSpecWire + schemars::JsonSchema;
    /// Its domain type, what [`KindModule::VALIDATE`] builds.
    type Model;
    /// The one-line description of its documents in the JSON Schema (its doc comment).
    const DESCRIPTION: &'static str;
    /// The checks of its own document, building its domain type.
    const VALIDATE: ValidateFn<Self>;
    /// Its desired props, ownership tags aside (`props::props`).
    const PROPS: PropsFn<Self>;
    /// The longest physical name AWS accepts for it.
    const NAME_LIMIT: usize;
    /// The service its ARNs name (`arn:aws:<service>:…`).
    const ARN_SERVICE: &'static str;
    /// The fields of its model that refer to other resources (`validate::references`): their
    /// stack resources are created before it.
    const REFERENCES: ReferencesFn<Self>;
    /// See [`ResourceKind::observer`].
    const OBSERVER: &'static observe::Observer;
    /// See [`ResourceKind::apply`].
    const APPLY: ApplyFn;
    /// The [`ResourceSpec`] variant holding a model of this kind...
    fn into_spec(model: Self::Model) -> ResourceSpec;
    /// ...and the way back.
    fn model_of(spec: &ResourceSpec) -> Option<&Self::Model>;
}

/// ```ignore
/// kind_module! {
///     /// An SQS queue.
///     pub struct QueueKind: wire::QueueSpecWire => Queue, arn "sqs", name_limit 80;
/// }
/// ```
/// declares `QueueKind` and its [`KindModule`] impl: its model is `model::Queue`, held in
/// `ResourceSpec::Queue`, its one-line doc is its description in the JSON Schema, its ARNs name
/// the `sqs` service and AWS accepts physical names of at most 80 characters for it (the
/// service's Create* API reference).
macro_rules! kind_module {
    (
        #[doc = $description:literal]
        pub struct $kind:ident: $wire:ty => $variant:ident,
        arn $service:literal,
        name_limit $name_limit:literal;
    ) => {
        #[doc = $description]
        pub struct $kind;

        impl $crate::kinds::KindModule for $kind {
            type Wire = $wire;
            type Model = $crate::model::$variant;
            const DESCRIPTION: &'static str = $description;
            const NAME_LIMIT: usize = $name_limit;
            const ARN_SERVICE: &'static str = $service;
            const REFERENCES: $crate::kinds::ReferencesFn<Self> = validate::references;
            const VALIDATE: $crate::kinds::ValidateFn<Self> = validate::validate;
            const PROPS: $crate::kinds::PropsFn<Self> = props::props;
            const OBSERVER: &'static $crate::kinds::observe::Observer = &observe::OBSERVER;
            const APPLY: $crate::kinds::ApplyFn = |ctx, action| Box::pin(apply::run(ctx, action));

            fn into_spec(model: Self::Model) -> $crate::model::ResourceSpec {
                $crate::model::ResourceSpec::$variant(model)
            }

            fn model_of(spec: &$crate::model::ResourceSpec) -> Option<&Self::Model> {
                match spec {
                    $crate::model::ResourceSpec::$variant(model) => Some(model),
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use kind_module;

/// What a kind's module states about itself beyond its [`KindModule`] parts. The blanket impls
/// below turn it into a [`ResourceKind`], so the downcast, the parsing, the schema and the
/// ownership tags are written once rather than once per kind.
pub(crate) trait TypedKind: KindModule {
    /// See [`ResourceKind::rules`].
    const RULES: KindRules;
    /// Whether its resources carry the stack's ownership tags (a layer version cannot be
    /// tagged).
    const TAGGED: bool = true;
    /// Its checks beyond its own document (none unless it says so).
    const CHECKS: Checks<Self::Wire> = Checks::NONE;
    /// The resources one of its resources implies (see [`DocumentKind::derive`]); none unless
    /// it says so.
    const DERIVE: Option<DeriveFn<Self>> = None;
    /// The resources of this kind the stack as a whole implies (see
    /// [`DocumentKind::derive_for_stack`]): for what watches every resource, such as the
    /// dashboard, rather than what one resource implies. None unless it says so.
    const DERIVE_FOR_STACK: Option<DeriveForStackFn> = None;
    /// Whether a spec may write its resources; a kind only ever derived (the dashboard, the
    /// metric filters) says false: it is left out of the JSON Schema, and its `validate`
    /// refuses a document of it.
    const WRITABLE: bool = true;
    /// Its ARN computed before it exists, for the resources that refer to it.
    const ARN: ArnOf<Self> = ArnOf::Unknown;
    /// How CloudTrail events name its resources (the controller's event index keys a resource
    /// by it); `None`: no event of it is indexed.
    const EVENT_KEY: Option<EventKey>;
    /// What its creates, updates and deletes call: what `slsctl iam-policy` grants a stack
    /// that holds this kind. Calls it makes on other kinds' resources count (a rule adds
    /// invoke permissions to functions), and so does managing the role it derives (a function
    /// that now names a role ARN still deletes the role it derived before).
    const CHANGES_THROUGH: &'static [Through];
    /// Whether its resources are deployed from a directory of the spec, zipped reproducibly
    /// before the plan (a function's code, a layer's content); none unless it says so.
    const PACKAGED: Option<Packaged<Self>> = None;
    /// What the desired props of its resources need from what was observed of them (a layer
    /// whose live version holds the spec's content is used as it is).
    const LEARN_OBSERVED: Option<fn(&mut Context, &ObservedResource)> = None;
    /// Read what AWS reports the way the spec says it, where the spec cannot say it as AWS does
    /// (a table's AWS-managed key, named by an ARN slsctl cannot derive), before the diff.
    const SETTLE_OBSERVED: Option<fn(&DesiredResource, &mut ObservedResource)> = None;
    /// What the plan says of an update of one of its resources beyond the changed fields (a
    /// table's index changes, which take several ordered steps): `live` is what AWS holds.
    const EXPLAIN_UPDATE: Option<ExplainUpdateFn<Self>> = None;
    /// The values of a resource its spec marks sensitive, which the executor masks in every
    /// error it reports (a function's sensitive environment); none unless it says so.
    const SECRETS: Option<SecretsFn<Self>> = None;
}

/// See [`TypedKind::PACKAGED`]: the directory a resource is deployed from, and where the
/// package's digest goes for its desired props.
pub(crate) struct Packaged<T: KindModule + ?Sized> {
    pub dir: fn(&<T as KindModule>::Model) -> Option<&Path>,
    pub learn: fn(&mut Context, &ResourceId, &Package),
}

/// See [`TypedKind::SECRETS`].
pub(crate) type SecretsFn<T> = fn(&<T as KindModule>::Model) -> Vec<String>;

/// See [`TypedKind::EXPLAIN_UPDATE`].
pub(crate) type ExplainUpdateFn<T> = fn(&<T as KindModule>::Model, &Props, &mut ResourceAction);

/// How CloudTrail events name a kind's resources: `<service>:<resource type>` and then...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKey {
    /// ...its physical name (`sqs:queue:orders`);
    Name(&'static str),
    /// ...the id AWS gave it, observed as its `arn` (`apigateway:restapi:a1b2c3`): its name is
    /// not what its events carry.
    Id(&'static str),
}

/// How a kind's ARN is computed before it exists (see [`TypedKind::ARN`]).
pub(crate) enum ArnOf<T: KindModule + ?Sized> {
    /// `arn:<partition>:<the kind's service>:<region>:<account>:<path><physical name>`, the ARN
    /// of most kinds (`"table/"` for a table).
    Named(&'static str),
    /// From the resource, its model and the stack (a rule's ARN names its bus).
    Computed(fn(&Wanted<'_, <T as KindModule>::Model>) -> FieldValue),
    /// Not known before it is observed (an API's id is AWS's choice).
    Unknown,
}

/// See [`TypedKind::DERIVE_FOR_STACK`].
pub(crate) type DeriveForStackFn = fn(&Stack) -> Vec<Resource>;

/// See [`TypedKind::DERIVE`].
pub(crate) type DeriveFn<T> = fn(&Stack, &Resource, &<T as KindModule>::Model) -> Vec<Resource>;

/// See [`KindModule::REFERENCES`].
pub(crate) type ReferencesFn<T> = fn(&<T as KindModule>::Model) -> Vec<&Reference>;

/// The rules of a kind whose resources hold data (`held_unit`, for messages about it): deleting
/// or replacing one needs the user's explicit opt-in.
pub(crate) const fn holding(
    held_unit: &'static str,
    delete_rank: u8,
    immutable_fields: &'static [(&'static str, &'static str)],
) -> KindRules {
    KindRules {
        immutable_fields,
        data_bearing: true,
        held_unit,
        delete_rank,
        released: None,
        stack_wide: false,
    }
}

/// The rules of a kind whose resources hold no data.
pub(crate) const fn stateless(
    delete_rank: u8,
    immutable_fields: &'static [(&'static str, &'static str)],
) -> KindRules {
    KindRules {
        immutable_fields,
        delete_rank,
        ..KindRules::PLAIN
    }
}

/// How a kind checks its own document and builds its domain type (its `validate::validate`).
pub(crate) type ValidateFn<T> =
    fn(Check<'_, '_, <T as KindModule>::Wire>) -> Option<<T as KindModule>::Model>;

/// How a kind carries out one planned action (see [`ResourceKind::apply`]).
pub(crate) type ApplyFn =
    for<'a> fn(&'a ApplyCtx, &'a ResourceAction) -> BoxFuture<'a, Result<(), AwsError>>;

/// How a kind computes one resource's desired props; `sensitive` names the fields whose values
/// are stored hashed.
pub(crate) type PropsFn<T> =
    fn(&Wanted<'_, <T as KindModule>::Model>, &mut Props, &mut BTreeSet<String>);

/// A kind's checks beyond its own document, each one optional: the functions of its `checks`
/// module (see the [`DocumentKind`] method of the same name).
pub(crate) struct Checks<W: 'static> {
    /// Amend or refuse the physical name the common checks derived; runs before the kind's
    /// `validate`.
    pub physical_name: Option<PhysicalNameFn<W>>,
    pub sensitive_values: Option<SensitiveValuesFn<W>>,
    pub entry_facts: Option<EntryFactsFn<W>>,
    pub traffic: Option<TrafficFn<W>>,
    pub cross_checks: Option<CrossChecksFn<W>>,
}

pub(crate) type PhysicalNameFn<W> = fn(Check<'_, '_, W>, &mut String);
pub(crate) type SensitiveValuesFn<W> = fn(&Loaded<W>) -> Vec<&str>;
pub(crate) type EntryFactsFn<W> = fn(&Validator<'_>, &Loaded<W>, &mut Entry);
pub(crate) type TrafficFn<W> = fn(Check<'_, '_, W>) -> Option<Traffic>;
pub(crate) type CrossChecksFn<W> = fn(Check<'_, '_, W>, &Stack, &Resource);

impl<W> Checks<W> {
    pub const NONE: Checks<W> = Checks {
        physical_name: None,
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

impl<T: TypedKind> DocumentKind for T {
    fn parse(&self, text: &DocumentText<'_>) -> Result<Box<dyn ResourceDocument>, Box<Diagnostic>> {
        Ok(Box::new(crate::spec::load::parse_typed::<T::Wire>(text)?))
    }

    fn sensitive_values<'d>(&self, document: &'d dyn ResourceDocument) -> Vec<&'d str> {
        match (T::CHECKS.sensitive_values, typed::<T>(document)) {
            (Some(check), Some(l)) => check(l),
            _ => Vec::new(),
        }
    }

    fn validate(&self, c: Checking<'_, '_>, physical_name: &mut String) -> Option<Validated> {
        let Checking { v, ctx, document } = c;
        let l = typed::<T>(document)?;
        if let Some(check) = T::CHECKS.physical_name {
            check(Check { v, ctx, l }, physical_name);
        }
        let model = (T::VALIDATE)(Check { v, ctx, l })?;
        let mut refers_to: Vec<ResourceId> = (T::REFERENCES)(&model)
            .into_iter()
            .filter_map(|reference| match reference {
                Reference::Stack(id) => Some(id.clone()),
                Reference::Arn(_) => None,
            })
            .collect();
        refers_to.sort();
        refers_to.dedup();
        Some(Validated {
            spec: T::into_spec(model),
            refers_to,
        })
    }

    fn name_limit(&self) -> usize {
        T::NAME_LIMIT
    }

    fn arn_service(&self) -> &'static str {
        T::ARN_SERVICE
    }

    fn entry_facts(&self, v: &Validator<'_>, document: &dyn ResourceDocument, entry: &mut Entry) {
        if let (Some(check), Some(l)) = (T::CHECKS.entry_facts, typed::<T>(document)) {
            check(v, l, entry);
        }
    }

    fn traffic(&self, c: Checking<'_, '_>) -> Option<Traffic> {
        let l = typed::<T>(c.document)?;
        T::CHECKS.traffic?(Check {
            v: c.v,
            ctx: c.ctx,
            l,
        })
    }

    fn cross_checks(&self, c: Checking<'_, '_>, stack: &Stack, resource: &Resource) {
        if let (Some(check), Some(l)) = (T::CHECKS.cross_checks, typed::<T>(c.document)) {
            check(
                Check {
                    v: c.v,
                    ctx: c.ctx,
                    l,
                },
                stack,
                resource,
            );
        }
    }

    fn spec_field_names(&self) -> Vec<String> {
        crate::spec::schema::field_names::<T::Wire>()
    }

    fn derive(&self, stack: &Stack, resource: &Resource) -> Vec<Resource> {
        match (T::DERIVE, T::model_of(&resource.spec)) {
            (Some(derive), Some(model)) => derive(stack, resource, model),
            _ => Vec::new(),
        }
    }

    fn derive_for_stack(&self, stack: &Stack) -> Vec<Resource> {
        T::DERIVE_FOR_STACK.map_or_else(Vec::new, |derive| derive(stack))
    }
}

impl<T: TypedKind> ResourceKind for T {
    fn kind(&self) -> Kind {
        T::Wire::KIND
    }

    fn as_document(&self) -> &dyn DocumentKind {
        self
    }

    fn writable(&self) -> bool {
        T::WRITABLE
    }

    fn rules(&self) -> KindRules {
        T::RULES
    }

    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> Value {
        crate::spec::schema::document_schema::<T::Wire>(
            generator,
            T::Wire::KIND,
            T::DESCRIPTION.trim(),
        )
    }

    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
    ) -> (Props, BTreeSet<String>) {
        let mut props = Props::new();
        let mut sensitive = BTreeSet::new();
        if let Some(model) = T::model_of(&resource.spec) {
            let wanted = Wanted {
                stack,
                resource,
                model,
                ctx,
            };
            (T::PROPS)(&wanted, &mut props, &mut sensitive);
            if T::TAGGED {
                desired::tags(stack, resource, &mut props);
            }
        }
        (props, sensitive)
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

    fn arn(&self, stack: &Stack, resource: &Resource, ctx: &Context) -> FieldValue {
        match (T::ARN, T::model_of(&resource.spec)) {
            (ArnOf::Named(path), _) => FieldValue::known(
                ctx.arn(T::ARN_SERVICE, &format!("{path}{}", resource.physical_name)),
            ),
            (ArnOf::Computed(arn), Some(model)) => arn(&Wanted {
                stack,
                resource,
                model,
                ctx,
            }),
            _ => FieldValue::unknown(),
        }
    }

    fn event_key(&self) -> Option<EventKey> {
        T::EVENT_KEY
    }

    fn changes_through(&self) -> &'static [Through] {
        T::CHANGES_THROUGH
    }

    fn package_dir<'r>(&self, resource: &'r Resource) -> Option<&'r Path> {
        (T::PACKAGED?.dir)(T::model_of(&resource.spec)?)
    }

    fn learn_package(&self, ctx: &mut Context, id: &ResourceId, package: &Package) {
        if let Some(packaged) = T::PACKAGED {
            (packaged.learn)(ctx, id, package);
        }
    }

    fn learn_observed(&self, ctx: &mut Context, observed: &ObservedResource) {
        if let Some(learn) = T::LEARN_OBSERVED {
            learn(ctx, observed);
        }
    }

    fn settle_observed(&self, desired: &DesiredResource, observed: &mut ObservedResource) {
        if let Some(settle) = T::SETTLE_OBSERVED {
            settle(desired, observed);
        }
    }

    fn explain_update(&self, resource: &Resource, live: &Props, action: &mut ResourceAction) {
        if let (Some(explain), Some(model)) = (T::EXPLAIN_UPDATE, T::model_of(&resource.spec)) {
            explain(model, live, action);
        }
    }

    fn secrets(&self, resource: &Resource) -> Vec<String> {
        match (T::SECRETS, T::model_of(&resource.spec)) {
            (Some(secrets), Some(model)) => secrets(model),
            _ => Vec::new(),
        }
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
    &role::RoleKind,
    &log_group::LogGroupKind,
    &alarm::AlarmKind,
    &metric_filter::MetricFilterKind,
    &dashboard::DashboardKind,
];

/// The module of `kind`. `Kind::Stack` is the stack document itself, not a resource kind.
pub(crate) fn of(kind: Kind) -> Option<&'static dyn ResourceKind> {
    REGISTRY.iter().copied().find(|k| k.kind() == kind)
}

/// Each kind's planning rules, for [`crate::plan::PlanOptions::rules`].
pub fn rules(kind: Kind) -> KindRules {
    of(kind).map_or(KindRules::PLAIN, |k| k.rules())
}

/// What each kind's changes go through, for a stack's least IAM policy
/// ([`crate::aws::permissions::stack_policy`]).
pub fn changes_through(kind: Kind) -> &'static [Through] {
    of(kind).map_or(&[], |k| k.changes_through())
}

/// The registry as the loader and the validator see it (a [`crate::spec::kind::Catalog`]).
fn document_kind(kind: Kind) -> Option<&'static dyn DocumentKind> {
    of(kind).map(|k| k.as_document())
}

/// Load and validate the stack in `root`. On failure, every problem found is returned.
pub fn load_stack(root: &Path) -> Result<(Stack, Sources), (Diagnostics, Sources)> {
    crate::spec::validate::load_stack_with(root, document_kind)
}

/// The JSON Schema of one spec document of any kind (`slsctl schema`).
pub fn json_schema() -> Value {
    crate::spec::schema::json_schema(&|generator| {
        REGISTRY
            .iter()
            .filter(|k| k.writable())
            .map(|k| k.document_schema(generator))
            .collect()
    })
}

/// A stack loaded from YAML documents (the Stack document among them), with a code directory
/// `src/` for functions: the lib tests' way to build a validated stack.
#[cfg(test)]
pub(crate) fn test_stack(docs: &str) -> Stack {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/app.py"),
        "def handler(e, c):\n    return e\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("stack.yaml"), docs).unwrap();
    load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))))
        .0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_has_one_branch_per_kind_and_closed_objects() {
        let schema = json_schema();
        let branches = schema["oneOf"].as_array().unwrap();
        // Every kind a spec may write, and the Stack document; the kinds only ever derived
        // (the dashboard, the metric filters) have no branch.
        let written = REGISTRY.iter().filter(|k| k.writable()).count();
        assert_eq!(written, Kind::ALL.len() - 3);
        assert_eq!(branches.len(), written + 1);
        assert!(!schema.to_string().contains("DashboardSpec"));
        let function = &schema["$defs"]["FunctionSpec"];
        assert_eq!(function["additionalProperties"], json!(false));
        assert!(function["properties"]["memorySize"].is_object());
        assert_eq!(
            function["properties"]["memorySize"]["maximum"],
            json!(10240)
        );
    }

    /// What `slsctl iam-policy` grants for apply: each held kind's `CHANGES_THROUGH`, and
    /// nothing of the kinds the stack lacks.
    #[test]
    fn a_stack_is_granted_the_changes_of_the_kinds_it_holds_and_no_others() {
        let actions = |docs: &str| {
            crate::aws::permissions::stack_actions(
                &test_stack(&format!(
                    "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: s}}\nspec: {{region: us-east-1}}\n---\n{docs}"
                )),
                false,
                changes_through,
            )
        };
        let roles = actions(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Role\nmetadata: {name: shared}\nspec: {}\n",
        );
        assert!(roles.contains("iam:CreateRole") && roles.contains("iam:PutRolePolicy"));
        // Passing a role is for what runs with it; nothing else of a role touches Lambda.
        assert!(!roles.contains("iam:PassRole"), "{roles:?}");
        assert!(!roles
            .iter()
            .any(|a| a.starts_with("lambda:") && !crate::aws::permissions::is_read(a)));
        // A rule delivering to a queue: its own service, the queue's policy, its delivery role
        // (none here, but one it derived before may be left to delete) and passing it.
        let rule = actions(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {}\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: r}\nspec:\n  pattern: {source: [app]}\n  targets: [{id: to-q, queue: q}]\n",
        );
        for needed in [
            "events:PutRule",
            "events:PutTargets",
            "sqs:SetQueueAttributes",
            "iam:PassRole",
            "iam:DeleteRole",
        ] {
            assert!(rule.contains(needed), "{needed}: {rule:?}");
        }
        // Only a function's provisioned concurrency creates Auto Scaling's service-linked role.
        assert!(!rule.contains("iam:CreateServiceLinkedRole"));
        // Kinds the stack lacks are granted nothing (Lambda is granted by the service: a rule
        // adds invoke permissions to its target functions).
        assert!(!rule.contains("dynamodb:CreateTable") && !rule.contains("apigateway:POST"));
        assert!(rule.contains("lambda:AddPermission"));
    }

    #[test]
    fn spec_fields_come_from_the_wire_types() {
        let fields = document_kind(Kind::Queue).unwrap().spec_field_names();
        assert!(fields.iter().any(|f| f == "visibilityTimeout"));
        assert!(fields.iter().any(|f| f == "deadLetter"));
    }

    #[test]
    fn each_kind_reports_what_its_resources_refer_to() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/examples/orders");
        let (stack, _) = load_stack(&root).unwrap_or_else(|_| panic!("the example loads"));
        let depends_on = |kind, name: &str| -> Vec<String> {
            let id = crate::model::ResourceId::new(kind, name);
            let resource = stack
                .get(&id)
                .unwrap_or_else(|| panic!("{id} is in the example"));
            resource
                .dependencies()
                .iter()
                .map(|d| d.to_string())
                .collect()
        };
        // A function: its layer, its environment's table, its trigger's queue, each once, and
        // what is derived from it: its own log group and its execution role (it names none);
        // not its cold-start metric filter or its alarms, which watch it and come after it.
        assert_eq!(
            depends_on(Kind::Function, "fulfil-order"),
            [
                "Layer/shared-libs",
                "Queue/order-events",
                "Table/app",
                "LogGroup/fulfil-order",
                "Role/fulfil-order"
            ]
        );
        assert_eq!(
            depends_on(Kind::Alarm, "Function/fulfil-order/errorRate"),
            ["Function/fulfil-order"]
        );
        // Its metric filter goes on its log group, so after it, and watches the function, so
        // after that too.
        assert_eq!(
            depends_on(Kind::MetricFilter, "fulfil-order"),
            ["LogGroup/fulfil-order", "Function/fulfil-order"]
        );
        // The dashboard is the stack's, and waits for nothing.
        assert!(depends_on(Kind::Dashboard, "orders").is_empty());
        // A queue: its dead-letter queue; a rule: its bus, its target and the target's DLQ
        // (in `ResourceId` order: by kind, then name).
        assert_eq!(
            depends_on(Kind::Queue, "order-events"),
            ["Queue/order-events-dlq"]
        );
        assert_eq!(
            depends_on(Kind::Rule, "order-placed"),
            [
                "Queue/order-events",
                "Queue/order-events-dlq",
                "EventBus/orders"
            ]
        );
        assert!(depends_on(Kind::Table, "app").is_empty());
    }

    #[test]
    fn every_resource_kind_is_registered_once() {
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Stack) {
            let modules = REGISTRY.iter().filter(|k| k.kind() == kind).count();
            assert_eq!(modules, 1, "{kind} has {modules} modules in the registry");
        }
    }
}
