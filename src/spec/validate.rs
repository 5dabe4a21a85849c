//! Validation: wire documents → the domain model, with every problem reported.
//!
//! One pass per document turns wire types into model types (ranges, exclusive choices, defaults),
//! resolving references against an index of every document; then cross-resource checks run on
//! the resolved model (route timeouts, FIFO triggers, visibility timeouts, cycles). Every
//! diagnostic points at the exact field, and cross-resource ones add a note at the other end.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::diag::{did_you_mean, Diagnostic, Diagnostics, Location};
use super::kind::{Catalog, Checking};
use super::load::{load_tree, AnyDocument, Loaded, LoadedTree, ResourceDocument, Sources};
use super::wire::*;
use crate::model::*;

pub(crate) use super::fields::{
    aws_name, check_schedule_expression, valid_region, within, KeyedList,
    DEFAULT_LOG_RETENTION_DAYS, LAMBDA_EPHEMERAL_STORAGE, LAMBDA_MEMORY_SIZE, LAMBDA_TIMEOUT,
    LOG_RETENTION_DAYS,
};

/// Annotation that adopts an existing, untagged resource (with `spec.physicalName`).
pub const ADOPT_ANNOTATION: &str = "slsctl.dev/adopt";
const KNOWN_ANNOTATIONS: &[&str] = &[ADOPT_ANNOTATION];

/// Load and validate the stack in `root`, each resource through its kind's module. On failure,
/// every problem found is returned.
pub(crate) fn load_stack_with(
    root: &Path,
    kinds: Catalog,
) -> Result<(Stack, Sources), (Diagnostics, Sources)> {
    let tree = load_tree(root, kinds);
    let LoadedTree {
        root,
        canonical_root,
        documents,
        unparsed,
        mut diagnostics,
        sources,
    } = tree;
    let result = Validator::run(&root, &canonical_root, &documents, &unparsed, kinds);
    match result {
        Ok(stack) if diagnostics.is_empty() => Ok((stack, sources)),
        Ok(_) => {
            diagnostics.sort();
            Err((diagnostics, sources))
        }
        Err(more) => {
            diagnostics.0.extend(more.0);
            diagnostics.sort();
            Err((diagnostics, sources))
        }
    }
}

/// What the index knows about each document, for resolving references.
pub(crate) struct Entry {
    /// False for a document that failed to load: it exists by name, but its facts are unknown
    /// and no cross-resource check may rely on them.
    pub(crate) known: bool,
    pub(crate) origin: Option<Location>,
    pub(crate) fifo: bool,
    pub(crate) timeout: u32,
    pub(crate) timeout_at: Option<Location>,
    pub(crate) fifo_at: Option<Location>,
    pub(crate) visibility_timeout: u32,
    pub(crate) visibility_at: Option<Location>,
    pub(crate) has_stream: bool,
}

/// Per-document context for diagnostics.
pub(crate) struct Ctx<'a> {
    pub(crate) id: String,
    pub(crate) map: &'a super::yaml::SourceMap,
}

impl Ctx<'_> {
    /// An error about `field`'s value (or, when it is absent, the nearest thing written).
    pub(crate) fn error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(self.map.value(field), field, message.into())
    }

    /// An error about `field`'s key (a name that is not allowed, say).
    pub(crate) fn key_error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(self.map.key(field), field, message.into())
    }

    fn diagnostic(&self, at: Option<Location>, field: &str, message: String) -> Diagnostic {
        Diagnostic::new(message)
            .at(at.or_else(|| self.map.nearest(field)))
            .resource(self.id.clone())
            .field(field)
    }

    pub(crate) fn at(&self, field: &str) -> Option<Location> {
        self.map.value(field)
    }
}

pub(crate) struct Validator<'a> {
    pub(crate) canonical_root: &'a Path,
    pub(crate) stack_name: String,
    pub(crate) defaults: FunctionDefaults,
    pub(crate) index: BTreeMap<String, Vec<(Kind, usize)>>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) diagnostics: Diagnostics,
    pub(crate) kinds: Catalog,
}

#[derive(Default)]
pub(crate) struct FunctionDefaults {
    pub(crate) runtime: Option<String>,
    pub(crate) architecture: Option<ArchitectureWire>,
    pub(crate) memory_size: Option<i64>,
    pub(crate) timeout: Option<i64>,
    pub(crate) tracing: Option<TracingWire>,
    pub(crate) ephemeral_storage: Option<i64>,
    /// As written: checked once, on the Stack document.
    pub(crate) log_retention_days: Option<RetentionWire>,
}

pub(crate) fn name_and_map(
    document: &AnyDocument,
) -> (&str, &super::yaml::SourceMap, Option<Location>) {
    match document {
        AnyDocument::Stack(l) => (l.document.metadata.name.as_str(), &l.source_map, l.origin()),
        AnyDocument::Resource(r) => (r.metadata().name.as_str(), r.source_map(), r.origin()),
    }
}

pub(crate) fn valid_logical_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
}

/// The rule for stack and resource names, as a hint.
pub const NAME_RULE: &str =
    "names use a-z, 0-9 and `-`, start with a letter, and have at most 64 characters";

/// A name that follows `NAME_RULE` (the controller holds its stack names to it too).
pub fn valid_stack_name(name: &str) -> bool {
    valid_logical_name(name) && name.len() <= 64
}

impl<'a> Validator<'a> {
    fn run(
        root: &'a Path,
        canonical_root: &'a Path,
        documents: &'a [AnyDocument],
        unparsed: &'a [super::load::Unparsed],
        kinds: Catalog,
    ) -> Result<Stack, Diagnostics> {
        let mut v = Validator {
            kinds,
            canonical_root,
            stack_name: String::new(),
            defaults: FunctionDefaults::default(),
            index: BTreeMap::new(),
            entries: Vec::new(),
            diagnostics: Diagnostics::default(),
        };

        // The one Stack document.
        let stacks: Vec<&Loaded<StackSpecWire>> = documents
            .iter()
            .filter_map(|d| match d {
                AnyDocument::Stack(s) => Some(s),
                _ => None,
            })
            .collect();
        let stack_doc = match stacks.as_slice() {
            [] => {
                v.diagnostics.push(
                    Diagnostic::new(format!(
                        "no `kind: Stack` document under {}",
                        root.display()
                    ))
                    .hint(
                        "every stack directory holds exactly one Stack document naming the stack",
                    ),
                );
                None
            }
            [one] => Some(*one),
            [first, rest @ ..] => {
                for other in rest {
                    v.diagnostics.push(
                        Diagnostic::new("more than one Stack document in this tree")
                            .at(other.origin())
                            .resource(format!("Stack/{}", other.document.metadata.name))
                            .hint("a directory tree holds exactly one stack; point -f at one stack's directory")
                            .note(first.origin(), format!("Stack `{}` is defined here", first.document.metadata.name)),
                    );
                }
                Some(*first)
            }
        };
        if let Some(doc) = stack_doc {
            v.stack_name = doc.document.metadata.name.clone();
            if let Some(function) = doc
                .document
                .spec
                .defaults
                .as_ref()
                .and_then(|d| d.function.as_ref())
            {
                v.defaults = FunctionDefaults {
                    runtime: function.runtime.clone(),
                    architecture: function.architecture,
                    memory_size: function.memory_size,
                    timeout: function.timeout,
                    tracing: function.tracing,
                    ephemeral_storage: function.ephemeral_storage,
                    log_retention_days: function.log_retention_days,
                };
            }
        }

        // Index every resource by name, reporting duplicates and bad names.
        let mut seen: HashMap<(Kind, String), Option<Location>> = HashMap::new();
        for document in documents {
            let kind = document.kind();
            let (name, map, origin) = name_and_map(document);
            if !valid_stack_name(name) {
                v.diagnostics.push(
                    Diagnostic::new(format!("invalid name `{name}`"))
                        .at(map.value("metadata.name"))
                        .resource(format!("{kind}/{name}"))
                        .field("metadata.name")
                        .hint(NAME_RULE),
                );
            }
            if kind == Kind::Stack {
                continue;
            }
            if let Some(first) = seen.get(&(kind, name.to_string())) {
                v.diagnostics.push(
                    Diagnostic::new(format!("duplicate {kind} name `{name}`"))
                        .at(map.value("metadata.name"))
                        .resource(format!("{kind}/{name}"))
                        .field("metadata.name")
                        .hint("names are unique per kind inside a stack; rename one of them")
                        .note(first.clone(), "the first one is defined here"),
                );
                continue;
            }
            seen.insert((kind, name.to_string()), origin.clone());
            let entry = v.entry_for(document, origin);
            v.index
                .entry(name.to_string())
                .or_default()
                .push((kind, v.entries.len()));
            v.entries.push(entry);
        }

        for u in unparsed {
            if u.kind == Kind::Stack || seen.contains_key(&(u.kind, u.name.clone())) {
                continue;
            }
            seen.insert((u.kind, u.name.clone()), u.origin.clone());
            v.index
                .entry(u.name.clone())
                .or_default()
                .push((u.kind, v.entries.len()));
            v.entries.push(Entry {
                known: false,
                origin: u.origin.clone(),
                fifo: false,
                timeout: 0,
                timeout_at: None,
                fifo_at: None,
                visibility_timeout: 0,
                visibility_at: None,
                has_stream: true,
            });
        }

        let mut stack = match stack_doc {
            Some(doc) => v.stack(doc, root),
            None => Stack {
                name: String::new(),
                root: root.to_path_buf(),
                region: None,
                account_id: None,
                tags: BTreeMap::new(),
                prune: true,
                drift: DriftMode::Heal,
                budget_monthly_usd: None,
                policy: PolicyConfig::default(),
                keep_versions: 3,
                permissions_boundary: None,
                observability: Observability::default(),
                resources: Vec::new(),
                origin: None,
            },
        };

        let mut converted: BTreeSet<(Kind, String)> = BTreeSet::new();
        for document in documents {
            let kind = document.kind();
            let (name, _, _) = name_and_map(document);
            if kind == Kind::Stack || !converted.insert((kind, name.to_string())) {
                continue;
            }
            if let Some(resource) = v.resource(document) {
                stack.resources.push(resource);
            }
        }
        stack.resources.sort_by(|a, b| a.id.cmp(&b.id));
        v.derive(&mut stack);

        v.cross_checks(&stack, documents);

        if v.diagnostics.is_empty() {
            Ok(stack)
        } else {
            Err(v.diagnostics)
        }
    }

    /// Facts about a document that other documents' checks need.
    pub(crate) fn entry_for(&self, document: &AnyDocument, origin: Option<Location>) -> Entry {
        let mut entry = Entry {
            known: true,
            origin,
            fifo: false,
            timeout: 0,
            timeout_at: None,
            fifo_at: None,
            visibility_timeout: 30,
            visibility_at: None,
            has_stream: false,
        };
        if let Some(resource) = document.resource() {
            if let Some(k) = (self.kinds)(resource.kind()) {
                k.entry_facts(self, resource, &mut entry);
            }
        }
        entry
    }

    /// Whether a resource of that kind and name exists (loaded or not).
    pub(crate) fn exists(&self, kind: Kind, name: &str) -> bool {
        self.index
            .get(name)
            .is_some_and(|v| v.iter().any(|(k, _)| *k == kind))
    }

    /// Facts about a loaded resource, for cross-resource checks.
    pub(crate) fn lookup(&self, kind: Kind, name: &str) -> Option<&Entry> {
        self.index
            .get(name)?
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, i)| &self.entries[*i])
            .filter(|e| e.known)
    }

    // -----------------------------------------------------------------------------------------
    // Shared helpers

    /// What every kind shares: the physical name (derived, or written, at most `max` characters
    /// for this kind), the deletion policy, adoption, `ignoreChanges`.
    fn common(
        &mut self,
        ctx: &Ctx,
        (kind, max): (Kind, usize),
        meta: &MetadataWire,
        physical: &Option<String>,
        policy: Option<DeletionPolicyWire>,
        ignore: &[String],
    ) -> (String, DeletionPolicy, bool) {
        let physical_name = physical
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.stack_name, meta.name));
        if physical_name.chars().count() > max {
            let field = if physical.is_some() {
                "spec.physicalName"
            } else {
                "metadata.name"
            };
            self.diagnostics.push(
                ctx.error(
                    field,
                    format!(
                        "physical name `{physical_name}` has {} characters; AWS allows at most {max} for a {kind}",
                        physical_name.chars().count()
                    ),
                )
                .hint("shorten the stack or resource name, or set spec.physicalName"),
            );
        }
        let deletion_policy = match policy {
            None => kind.default_deletion_policy(),
            Some(DeletionPolicyWire::Delete) => DeletionPolicy::Delete,
            Some(DeletionPolicyWire::Retain) => DeletionPolicy::Retain,
            Some(DeletionPolicyWire::DeleteIfEmpty) if kind == Kind::Queue => {
                DeletionPolicy::DeleteIfEmpty
            }
            Some(DeletionPolicyWire::DeleteIfEmpty) => {
                self.diagnostics.push(
                    ctx.error(
                        "spec.deletionPolicy",
                        format!("`delete-if-empty` applies to queues, not to a {kind}"),
                    )
                    .hint("use `delete` or `retain`"),
                );
                kind.default_deletion_policy()
            }
        };
        for key in meta.annotations.keys() {
            if key.starts_with("slsctl.dev/") && !KNOWN_ANNOTATIONS.contains(&key.as_str()) {
                let hint = did_you_mean(key, KNOWN_ANNOTATIONS.iter().copied())
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| {
                        format!("known annotations: {}", KNOWN_ANNOTATIONS.join(", "))
                    });
                self.diagnostics.push(
                    ctx.key_error(
                        &format!("metadata.annotations.{key}"),
                        format!("unknown annotation `{key}`"),
                    )
                    .hint(hint),
                );
            }
        }
        let adopt = match meta.annotations.get(ADOPT_ANNOTATION).map(String::as_str) {
            None | Some("false") => false,
            Some("true") => {
                if physical.is_none() {
                    self.diagnostics.push(
                        ctx.error(
                            &format!("metadata.annotations.{ADOPT_ANNOTATION}"),
                            "adoption needs the existing resource's name",
                        )
                        .hint("set spec.physicalName to the name of the resource to adopt"),
                    );
                }
                true
            }
            Some(other) => {
                self.diagnostics.push(ctx.error(
                    &format!("metadata.annotations.{ADOPT_ANNOTATION}"),
                    format!("`{other}` is not \"true\" or \"false\""),
                ));
                false
            }
        };
        let fields = if ignore.is_empty() {
            Vec::new()
        } else {
            (self.kinds)(kind).map_or_else(Vec::new, |k| k.spec_field_names())
        };
        for (i, path) in ignore.iter().enumerate() {
            let first = path.split(['.', '[']).next().unwrap_or("");
            if !fields.iter().any(|f| f == first) {
                let hint = did_you_mean(first, fields.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| {
                        "name a field of this resource's spec, e.g. `description`".to_string()
                    });
                self.diagnostics.push(
                    ctx.error(
                        &format!("spec.ignoreChanges[{i}]"),
                        format!("`{path}` is not a field of a {kind}"),
                    )
                    .hint(hint),
                );
            }
        }
        (physical_name, deletion_policy, adopt)
    }

    // -----------------------------------------------------------------------------------------
    // Stack

    // -----------------------------------------------------------------------------------------
    // Resources

    /// One document, handed to its kind's checks.
    fn checking<'c>(
        &'c mut self,
        ctx: &'c Ctx<'c>,
        document: &'c dyn ResourceDocument,
    ) -> Checking<'c, 'a> {
        Checking {
            v: self,
            ctx,
            document,
        }
    }

    pub(crate) fn resource(&mut self, document: &AnyDocument) -> Option<Resource> {
        let kind = document.kind();
        let (name, map, origin) = name_and_map(document);
        let ctx = Ctx {
            id: format!("{kind}/{name}"),
            map,
        };
        let AnyDocument::Resource(document) = document else {
            return None;
        };
        let document = document.as_ref();
        let kind_module = (self.kinds)(kind)?;
        let (mut physical_name, deletion_policy, adopt) = self.common(
            &ctx,
            (kind, kind_module.name_limit()),
            document.metadata(),
            &document.physical_name().cloned(),
            document.deletion_policy(),
            document.ignore_changes(),
        );
        let (labels, ignore_changes) = (&document.metadata().labels, document.ignore_changes());
        let validated = kind_module.validate(self.checking(&ctx, document), &mut physical_name)?;
        let traffic = kind_module.traffic(self.checking(&ctx, document));
        Some(Resource {
            id: ResourceId::new(kind, name),
            physical_name,
            deletion_policy,
            ignore_changes: ignore_changes.to_vec(),
            adopt,
            labels: labels.clone(),
            origin,
            spec: validated.spec,
            traffic,
            depends_on: validated.refers_to,
            derived_from: None,
            order: DerivedOrder::Before,
        })
    }

    /// A `spec.traffic` number: finite and non-negative, else `default` with a diagnostic.
    pub(crate) fn traffic_number(
        &mut self,
        ctx: &Ctx,
        field: &str,
        value: Option<f64>,
        default: f64,
    ) -> f64 {
        match value {
            Some(x) if !(x.is_finite() && x >= 0.0) => {
                self.diagnostics.push(
                    ctx.error(
                        &format!("spec.traffic.{field}"),
                        format!("`{x}` is not a non-negative number"),
                    )
                    .hint("traffic assumptions feed the cost estimate only"),
                );
                default
            }
            Some(x) => x,
            None => default,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Checks that need more than one resource

    /// Add the resources the spec implies without writing them (see [`DocumentKind::derive`]);
    /// the resource each is derived from depends on it, or, for one that watches it, it depends
    /// on that resource, or neither (`Resource::order`). One the spec also writes is refused:
    /// two sources for one resource would fight over it. Then those the stack as a whole
    /// implies (see [`DocumentKind::derive_for_stack`]), which see every other resource,
    /// derived ones included.
    fn derive(&mut self, stack: &mut Stack) {
        self.derive_per_resource(stack);
        let mut for_stack: Vec<Resource> = Vec::new();
        for kind in Kind::ALL {
            let Some(module) = (self.kinds)(kind) else {
                continue;
            };
            for implied in module.derive_for_stack(stack) {
                let clash = stack
                    .get(&implied.id)
                    .map(|r| r.origin.clone())
                    .or_else(|| {
                        for_stack
                            .iter()
                            .find(|r| r.id == implied.id)
                            .map(|r| r.origin.clone())
                    });
                if let Some(there) = clash {
                    self.diagnostics.push(
                        Diagnostic::new(format!(
                            "{} is what slsctl derives for the stack, but the spec defines it too",
                            implied.id
                        ))
                        .at(stack.origin.clone())
                        .hint(format!(
                            "rename the written {} (names are unique per kind)",
                            implied.id.kind
                        ))
                        .note(there, format!("{} is defined here", implied.id)),
                    );
                    continue;
                }
                for_stack.push(implied);
            }
        }
        stack.resources.extend(for_stack);
        stack.resources.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// The resources each resource implies (see [`DocumentKind::derive`]).
    fn derive_per_resource(&mut self, stack: &mut Stack) {
        let mut derived: BTreeMap<ResourceId, Resource> = BTreeMap::new();
        let mut needs: Vec<(usize, ResourceId)> = Vec::new();
        for (at, resource) in stack.resources.iter().enumerate() {
            let Some(kind) = (self.kinds)(resource.id.kind) else {
                continue;
            };
            for implied in kind.derive(stack, resource) {
                let clash = stack
                    .get(&implied.id)
                    .map(|written| (written.origin.clone(), "the spec defines it too"))
                    .or_else(|| {
                        derived
                            .get(&implied.id)
                            .map(|other| (other.origin.clone(), "it is derived twice"))
                    });
                if let Some((there, why)) = clash {
                    self.diagnostics.push(
                        Diagnostic::new(format!(
                            "{} is what slsctl derives for {}, but {why}",
                            implied.id, resource.id
                        ))
                        .at(resource.origin.clone())
                        .resource(resource.id.to_string())
                        .hint(format!(
                            "rename the written {} (names are unique per kind), or have {} name it explicitly, so that nothing is derived",
                            implied.id.kind, resource.id
                        ))
                        .note(there, format!("{} is defined here", implied.id)),
                    );
                    continue;
                }
                let mut implied = implied;
                match implied.order {
                    DerivedOrder::After => implied.depends_on.push(resource.id.clone()),
                    DerivedOrder::Before => needs.push((at, implied.id.clone())),
                    DerivedOrder::Beside => {}
                }
                derived.insert(implied.id.clone(), implied);
            }
        }
        for (at, id) in needs {
            let depends_on = &mut stack.resources[at].depends_on;
            depends_on.push(id);
            depends_on.sort();
            depends_on.dedup();
        }
        stack.resources.extend(derived.into_values());
        stack.resources.sort_by(|a, b| a.id.cmp(&b.id));
    }

    pub(crate) fn cross_checks(&mut self, stack: &Stack, documents: &[AnyDocument]) {
        let maps: HashMap<ResourceId, &super::yaml::SourceMap> = documents
            .iter()
            .map(|d| {
                let (name, map, _) = name_and_map(d);
                (ResourceId::new(d.kind(), name), map)
            })
            .collect();
        for resource in &stack.resources {
            let Some(map) = maps.get(&resource.id) else {
                continue;
            };
            let ctx = Ctx {
                id: resource.id.to_string(),
                map,
            };
            let Some(document) = documents
                .iter()
                .filter_map(AnyDocument::resource)
                .find(|d| d.kind() == resource.id.kind && d.metadata().name == resource.id.name)
            else {
                continue;
            };
            if let Some(k) = (self.kinds)(resource.id.kind) {
                k.cross_checks(self.checking(&ctx, document), stack, resource);
            }
        }
        if let Err(cycles) = crate::model::graph::creation_order(stack) {
            for cycle in cycles {
                let text: Vec<String> = cycle
                    .iter()
                    .chain(cycle.first())
                    .map(ToString::to_string)
                    .collect();
                let first = stack.get(&cycle[0]).and_then(|r| r.origin.clone());
                let mut diagnostic = Diagnostic::new(format!("dependency cycle: {}", text.join(" → ")))
                    .at(first)
                    .resource(cycle[0].to_string())
                    .hint("references decide the order of creation; break the cycle by using an ARN or removing one reference");
                for id in &cycle[1..] {
                    diagnostic = diagnostic.note(
                        stack.get(id).and_then(|r| r.origin.clone()),
                        format!("{id} is part of the cycle"),
                    );
                }
                self.diagnostics.push(diagnostic);
            }
        }
    }
}

pub(crate) fn kinds_text(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A Lambda function's resource policy: at most 20 KB, and what one slsctl statement (an
/// invoke permission for a rule or an API, with its source ARN condition) takes at most.
pub(crate) const POLICY_LIMIT_BYTES: usize = 20 * 1024;
pub(crate) const POLICY_STATEMENT_BYTES: usize = 400;
