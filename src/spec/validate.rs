//! Validation: wire documents → the domain model, with every problem reported.
//!
//! One pass per document turns wire types into model types (ranges, exclusive choices, defaults),
//! resolving references against an index of every document; then cross-resource checks run on
//! the resolved model (route timeouts, FIFO triggers, visibility timeouts, cycles). Every
//! diagnostic points at the exact field, and cross-resource ones add a note at the other end.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::diag::{did_you_mean, Diagnostic, Diagnostics, Location};
use super::load::{
    load_tree, resolve_inside_root, AnyDocument, KindParser, Loaded, LoadedTree, ResourceDocument,
    Sources,
};
use super::wire::*;
// The kinds' validation still living here moves to their modules (issue 14).
use crate::kinds::{function::wire::*, layer::wire::*};
use crate::model::*;

/// Annotation that adopts an existing, untagged resource (with `spec.physicalName`).
pub const ADOPT_ANNOTATION: &str = "slsctl.dev/adopt";
const KNOWN_ANNOTATIONS: &[&str] = &[ADOPT_ANNOTATION];

/// What validation needs from the kinds' modules (the registry, `crate::kinds`, implements it):
/// each kind checks its own documents; the frame does what every kind shares.
pub(crate) trait KindCatalog: KindParser {
    /// Check one document and build its domain type. `physical_name` is the name the common
    /// checks derived; a kind may amend it (a FIFO queue's `.fifo`) or refuse it.
    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec>;

    /// Facts about the document that other documents' checks need (see [`Entry`]).
    fn entry_facts(&self, v: &Validator<'_>, document: &dyn ResourceDocument, entry: &mut Entry);

    /// `spec.traffic`, for the cost estimate, when the kind has one.
    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
    ) -> Option<Traffic>;

    /// Checks that need other resources of the stack.
    fn cross_checks(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        stack: &Stack,
        resource: &Resource,
        document: &dyn ResourceDocument,
    );

    /// Top-level field names of the kind's `spec` (for `ignoreChanges`).
    fn spec_field_names(&self, kind: Kind) -> Vec<String>;
}

/// Load and validate the stack in `root`, each resource through its kind's module. On failure,
/// every problem found is returned.
pub(crate) fn load_stack_with(
    root: &Path,
    kinds: &dyn KindCatalog,
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
    pub(crate) fn error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        let at = self.map.value(field).or_else(|| self.map.nearest(field));
        Diagnostic::new(message)
            .at(at)
            .resource(self.id.clone())
            .field(field)
    }

    pub(crate) fn key_error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        let at = self.map.key(field).or_else(|| self.map.nearest(field));
        Diagnostic::new(message)
            .at(at)
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
    index: BTreeMap<String, Vec<(Kind, usize)>>,
    entries: Vec<Entry>,
    pub(crate) diagnostics: Diagnostics,
    kinds: &'a dyn KindCatalog,
}

#[derive(Default)]
pub(crate) struct FunctionDefaults {
    pub(crate) runtime: Option<String>,
    pub(crate) architecture: Option<ArchitectureWire>,
    pub(crate) memory_size: Option<i64>,
    pub(crate) timeout: Option<i64>,
    pub(crate) tracing: Option<TracingWire>,
    pub(crate) ephemeral_storage: Option<i64>,
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
/// The length of the ownership marker a layer version's description carries
/// (`aws::lambda::layer_description`: `[slsctl:stack=S slsctl:resource=Layer/N sha256=<64 hex>]`).
pub fn layer_marker_len(stack: &str, layer: &str) -> usize {
    "[slsctl:stack= slsctl:resource=Layer/ sha256=]".len() + stack.len() + layer.len() + 64
}

pub fn valid_stack_name(name: &str) -> bool {
    valid_logical_name(name) && name.len() <= 64
}

impl<'a> Validator<'a> {
    fn run(
        root: &'a Path,
        canonical_root: &'a Path,
        documents: &'a [AnyDocument],
        unparsed: &'a [super::load::Unparsed],
        kinds: &'a dyn KindCatalog,
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
            self.kinds.entry_facts(self, resource, &mut entry);
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

    /// Resolve a reference written as a logical name (of one of `kinds`) or a full ARN.
    pub(crate) fn reference(
        &mut self,
        ctx: &Ctx,
        field: &str,
        written: &str,
        kinds: &[Kind],
    ) -> Option<Reference> {
        if written.starts_with("arn:") {
            let parts: Vec<&str> = written.splitn(6, ':').collect();
            if parts.len() < 6 || parts[2].is_empty() || parts[5].is_empty() {
                self.diagnostics.push(
                    ctx.error(field, format!("`{written}` is not a valid ARN"))
                        .hint("ARNs look like arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE"),
                );
                return None;
            }
            let expected_services: Vec<&str> = kinds
                .iter()
                .map(|k| match k {
                    Kind::Function | Kind::Layer => "lambda",
                    Kind::Queue => "sqs",
                    Kind::EventBus | Kind::Rule => "events",
                    Kind::Table => "dynamodb",
                    Kind::Api => "apigateway",
                    Kind::Stack => "",
                })
                .collect();
            if !expected_services.contains(&parts[2]) {
                self.diagnostics.push(ctx.error(
                    field,
                    format!(
                        "`{written}` is an ARN of service `{}`, but a {} is expected here",
                        parts[2],
                        kinds_text(kinds)
                    ),
                ));
                return None;
            }
            return Some(Reference::Arn(written.to_string()));
        }
        for kind in kinds {
            if self.exists(*kind, written) {
                return Some(Reference::Stack(ResourceId::new(*kind, written)));
            }
        }
        // Not found with the expected kind: say whether it exists as another kind.
        let other = self
            .index
            .get(written)
            .and_then(|v| v.first())
            .map(|(k, i)| (*k, self.entries[*i].origin.clone()));
        let diagnostic = match other {
            Some((kind, origin)) => ctx
                .error(
                    field,
                    format!(
                        "`{written}` is a {kind}, but a {} is expected here",
                        kinds_text(kinds)
                    ),
                )
                .note(origin, format!("{kind} `{written}` is defined here")),
            None => {
                let candidates: Vec<&str> = self
                    .index
                    .iter()
                    .filter(|(_, v)| v.iter().any(|(k, _)| kinds.contains(k)))
                    .map(|(n, _)| n.as_str())
                    .collect();
                let hint = match did_you_mean(written, candidates.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if candidates.is_empty() => format!(
                        "this stack defines no {}; add one, or give a full ARN for a resource outside the stack",
                        kinds_text(kinds)
                    ),
                    None => format!(
                        "{} in this stack: {}; or give a full ARN",
                        kinds_text(kinds),
                        candidates.join(", ")
                    ),
                };
                ctx.error(
                    field,
                    format!("no {} named `{written}` in this stack", kinds_text(kinds)),
                )
                .hint(hint)
            }
        };
        self.diagnostics.push(diagnostic);
        None
    }

    /// An integer field with a default and an inclusive range.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn int(
        &mut self,
        ctx: &Ctx,
        field: &str,
        value: Option<i64>,
        default: i64,
        min: i64,
        max: i64,
        unit: &str,
    ) -> u32 {
        let v = value.unwrap_or(default);
        if v < min || v > max {
            let name = field.rsplit('.').next().unwrap_or(field);
            self.diagnostics.push(
                ctx.error(field, format!("{name} {v} is outside {min}..={max}{unit}"))
                    .hint(format!("AWS accepts {min} to {max}{unit} here")),
            );
            return default.clamp(0, u32::MAX as i64) as u32;
        }
        v as u32
    }

    fn common(
        &mut self,
        ctx: &Ctx,
        kind: Kind,
        meta: &MetadataWire,
        physical: &Option<String>,
        policy: Option<DeletionPolicyWire>,
        ignore: &[String],
    ) -> (String, DeletionPolicy, bool) {
        let physical_name = physical
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.stack_name, meta.name));
        let max = kind.max_physical_name_len();
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
            self.kinds.spec_field_names(kind)
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

    pub(crate) fn stack(&mut self, doc: &Loaded<StackSpecWire>, root: &Path) -> Stack {
        let ctx = Ctx {
            id: format!("Stack/{}", doc.document.metadata.name),
            map: &doc.source_map,
        };
        let spec = &doc.document.spec;
        if let Some(region) = &spec.region {
            if !valid_region(region) {
                self.diagnostics.push(
                    ctx.error(
                        "spec.region",
                        format!("`{region}` is not an AWS region name"),
                    )
                    .hint("regions look like `us-east-1` or `eu-central-1`"),
                );
            }
        }
        if let Some(account) = &spec.account_id {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                self.diagnostics.push(
                    ctx.error(
                        "spec.accountId",
                        format!("`{account}` is not a 12-digit AWS account id"),
                    )
                    .hint("quote it so that leading zeros survive: accountId: \"012345678901\""),
                );
            }
        }
        self.tags(&ctx, &spec.tags);
        if let Some(budget) = &spec.budget {
            if !(budget.monthly_usd.is_finite() && budget.monthly_usd > 0.0) {
                self.diagnostics.push(ctx.error(
                    "spec.budget.monthlyUSD",
                    "the monthly budget must be a positive amount",
                ));
            }
        }
        let exceptions = spec
            .policy
            .as_ref()
            .map(|p| self.policy_exceptions(&ctx, &p.exceptions))
            .unwrap_or_default();
        if let Some(defaults) = spec.defaults.as_ref().and_then(|d| d.function.as_ref()) {
            self.int(
                &ctx,
                "spec.defaults.function.memorySize",
                defaults.memory_size,
                128,
                128,
                10240,
                " MB",
            );
            self.int(
                &ctx,
                "spec.defaults.function.timeout",
                defaults.timeout,
                3,
                1,
                900,
                " s",
            );
            self.int(
                &ctx,
                "spec.defaults.function.ephemeralStorage",
                defaults.ephemeral_storage,
                512,
                512,
                10240,
                " MB",
            );
            if let Some(runtime) = &defaults.runtime {
                self.runtime(&ctx, "spec.defaults.function.runtime", runtime);
            }
        }
        let keep_versions = self.int(&ctx, "spec.keepVersions", spec.keep_versions, 3, 1, 100, "");
        Stack {
            name: doc.document.metadata.name.clone(),
            root: root.to_path_buf(),
            keep_versions,
            region: spec.region.clone(),
            account_id: spec.account_id.clone(),
            tags: spec.tags.clone(),
            prune: spec.prune.unwrap_or(true),
            drift: match spec.drift {
                Some(DriftWire::Report) => DriftMode::Report,
                _ => DriftMode::Heal,
            },
            budget_monthly_usd: spec.budget.as_ref().map(|b| b.monthly_usd),
            policy: spec
                .policy
                .as_ref()
                .map(|p| PolicyConfig {
                    required_tags: p.required_tags.clone(),
                    memory_mb: p
                        .memory_mb
                        .as_ref()
                        .map(|m| MemoryRange {
                            min: m.min,
                            max: m.max,
                        })
                        .unwrap_or(PolicyConfig::default().memory_mb),
                    exceptions,
                })
                .unwrap_or_default(),
            resources: Vec::new(),
            origin: ctx.at("metadata.name"),
        }
    }

    /// Opt-outs of policy rules: a rule id, a reason (required: it is what the plan shows), and
    /// the resources they cover as `Kind/name`.
    fn policy_exceptions(
        &mut self,
        ctx: &Ctx,
        exceptions: &[crate::spec::wire::PolicyExceptionWire],
    ) -> Vec<crate::model::PolicyException> {
        let mut out = Vec::new();
        for (i, e) in exceptions.iter().enumerate() {
            let field = format!("spec.policy.exceptions[{i}]");
            if e.rule.is_empty()
                || !e
                    .rule
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            {
                self.diagnostics.push(
                    ctx.error(&format!("{field}.rule"), format!("`{}` is not a rule id", e.rule))
                        .hint("the rule ids of the default pack are listed in docs/spec.md, e.g. table-pitr"),
                );
            }
            if e.reason.trim().is_empty() {
                self.diagnostics.push(
                    ctx.error(&format!("{field}.reason"), "an exception needs a reason")
                        .hint(
                            "say why the rule does not apply here; validate and every plan show it",
                        ),
                );
            }
            for (j, resource) in e.resources.iter().enumerate() {
                let valid = resource
                    .split_once('/')
                    .is_some_and(|(kind, name)| Kind::parse(kind).is_some() && !name.is_empty());
                if !valid {
                    self.diagnostics.push(
                        ctx.error(
                            &format!("{field}.resources[{j}]"),
                            format!("`{resource}` is not a resource id"),
                        )
                        .hint("resources are named Kind/name, e.g. Table/audit"),
                    );
                }
            }
            out.push(crate::model::PolicyException {
                rule: e.rule.clone(),
                resources: e.resources.clone(),
                reason: e.reason.trim().to_string(),
            });
        }
        out
    }

    pub(crate) fn tags(&mut self, ctx: &Ctx, tags: &BTreeMap<String, String>) {
        // AWS allows 50 tags per resource, slsctl's own included: a resource carries up to
        // five of them (stack, resource, a non-default deletion policy, a function's alias and
        // its S3 code source), and the stack's tags go on every resource.
        const OWN_TAGS: usize = 5;
        if tags.len() > 50 - OWN_TAGS {
            self.diagnostics.push(
                ctx.error(
                    "spec.tags",
                    format!(
                        "{} tags; at most {} fit beside slsctl's own tags (AWS allows 50 per resource)",
                        tags.len(),
                        50 - OWN_TAGS
                    ),
                )
                .hint("slsctl adds up to 5 tags of its own: slsctl:stack, slsctl:resource, slsctl:deletion-policy, slsctl:alias, slsctl:code-source"),
            );
        }
        for (key, value) in tags {
            let field = format!("spec.tags.{key}");
            if key.starts_with("aws:") || key.starts_with("slsctl:") {
                self.diagnostics.push(
                    ctx.key_error(&field, format!("tag key `{key}` uses a reserved prefix"))
                        .hint("`aws:` belongs to AWS and `slsctl:` to slsctl's ownership tags"),
                );
            } else if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
                self.diagnostics.push(ctx.key_error(
                    &field,
                    "tag keys have 1 to 128 characters and values at most 256",
                ));
            }
        }
    }

    pub(crate) fn runtime(&mut self, ctx: &Ctx, field: &str, runtime: &str) {
        const KNOWN: &[&str] = &[
            "nodejs24.x",
            "nodejs22.x",
            "nodejs20.x",
            "python3.14",
            "python3.13",
            "python3.12",
            "python3.11",
            "python3.10",
            "java25",
            "java21",
            "java17",
            "java11",
            "java8.al2",
            "dotnet10",
            "dotnet8",
            "ruby3.4",
            "ruby3.3",
            "provided.al2023",
            "provided.al2",
        ];
        if KNOWN.contains(&runtime) || plausible_runtime(runtime) {
            return;
        }
        let hint = match did_you_mean(runtime, KNOWN.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("Lambda runtimes include {}", KNOWN[..6].join(", ")),
        };
        self.diagnostics.push(
            ctx.error(field, format!("unknown Lambda runtime `{runtime}`"))
                .hint(hint),
        );
    }

    // -----------------------------------------------------------------------------------------
    // Resources

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
        let (mut physical_name, deletion_policy, adopt) = self.common(
            &ctx,
            kind,
            document.metadata(),
            &document.physical_name().cloned(),
            document.deletion_policy(),
            document.ignore_changes(),
        );
        let (labels, ignore_changes) = (&document.metadata().labels, document.ignore_changes());
        let kinds = self.kinds;
        let spec = kinds.validate(self, &ctx, document, &mut physical_name)?;
        let traffic = kinds.traffic(self, &ctx, document);
        Some(Resource {
            id: ResourceId::new(kind, name),
            physical_name,
            deletion_policy,
            ignore_changes: ignore_changes.to_vec(),
            adopt,
            labels: labels.clone(),
            origin,
            spec,
            traffic,
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

    pub(crate) fn function(&mut self, ctx: &Ctx, l: &Loaded<FunctionSpecWire>) -> Option<Function> {
        let s = &l.document.spec;
        let code = self.code(ctx, l)?;
        let is_image = matches!(code, Code::Image(_));
        let runtime = s.runtime.clone().or_else(|| {
            if is_image {
                None
            } else {
                self.defaults.runtime.clone()
            }
        });
        if is_image {
            for (field, present) in [
                ("spec.handler", s.handler.is_some()),
                ("spec.runtime", s.runtime.is_some()),
                ("spec.layers", !s.layers.is_empty()),
            ] {
                if present {
                    self.diagnostics.push(
                        ctx.key_error(field, format!("`{}` does not apply to a container image", field.trim_start_matches("spec.")))
                            .hint("the image's own entry point and contents replace handler, runtime and layers"),
                    );
                }
            }
        } else {
            if s.handler.is_none() {
                self.diagnostics.push(
                    ctx.key_error("spec", "missing field `handler`")
                        .field("spec.handler")
                        .hint("e.g. handler: app.handler (file app.py, function handler)"),
                );
            }
            match &runtime {
                None => self.diagnostics.push(
                    ctx.key_error("spec", "missing field `runtime`")
                        .field("spec.runtime")
                        .hint("set spec.runtime, or spec.defaults.function.runtime on the Stack"),
                ),
                Some(r) => self.runtime(
                    ctx,
                    if s.runtime.is_some() {
                        "spec.runtime"
                    } else {
                        "spec"
                    },
                    r,
                ),
            }
        }
        let role = match &s.role {
            Some(role) if valid_role_arn(role) => role.clone(),
            Some(role) => {
                self.diagnostics.push(
                    ctx.error("spec.role", format!("`{role}` is not an IAM role ARN"))
                        .hint("arn:aws:iam::ACCOUNT:role/NAME"),
                );
                String::new()
            }
            None => {
                self.diagnostics.push(
                    ctx.key_error("spec", "missing field `role`")
                        .field("spec.role")
                        .hint("the execution role's ARN, arn:aws:iam::ACCOUNT:role/NAME"),
                );
                String::new()
            }
        };
        let memory_size = self.int(
            ctx,
            "spec.memorySize",
            s.memory_size.or(self.defaults.memory_size),
            128,
            128,
            10240,
            " MB",
        );
        let timeout = self.int(
            ctx,
            "spec.timeout",
            s.timeout.or(self.defaults.timeout),
            3,
            1,
            900,
            " s",
        );
        let ephemeral_storage = self.int(
            ctx,
            "spec.ephemeralStorage",
            s.ephemeral_storage.or(self.defaults.ephemeral_storage),
            512,
            512,
            10240,
            " MB",
        );
        let architecture = match s.architecture.or(self.defaults.architecture) {
            Some(ArchitectureWire::Arm64) => Architecture::Arm64,
            _ => Architecture::X86_64,
        };
        let tracing = match s.tracing.or(self.defaults.tracing) {
            Some(TracingWire::Active) => Tracing::Active,
            _ => Tracing::PassThrough,
        };
        if let Some(d) = &s.description {
            if d.chars().count() > 256 {
                self.diagnostics.push(ctx.error(
                    "spec.description",
                    "a function description has at most 256 characters",
                ));
            }
        }
        if s.layers.len() > 5 {
            self.diagnostics.push(ctx.error(
                "spec.layers",
                format!("{} layers; a function can use at most 5", s.layers.len()),
            ));
        }
        let layers = s
            .layers
            .iter()
            .enumerate()
            .filter_map(|(i, layer)| {
                self.reference(ctx, &format!("spec.layers[{i}]"), layer, &[Kind::Layer])
            })
            .collect();

        let mut environment = BTreeMap::new();
        let mut literal_bytes = 0usize;
        for (key, value) in &s.environment {
            let field = format!("spec.environment.{key}");
            if !valid_env_name(key) {
                self.diagnostics.push(
                    ctx.key_error(
                        &field,
                        format!("`{key}` is not a valid environment variable name"),
                    )
                    .hint(
                        "at least two characters: letters, digits and `_`, starting with a letter",
                    ),
                );
            } else if RESERVED_ENV.contains(&key.as_str()) {
                self.diagnostics.push(
                    ctx.key_error(&field, format!("`{key}` is reserved by Lambda"))
                        .hint("Lambda sets this variable itself; choose another name"),
                );
            }
            let value = match value {
                EnvValueWire::Literal(text) => {
                    literal_bytes += key.len() + text.len();
                    EnvValue::Literal(text.clone())
                }
                EnvValueWire::Ref(r) => match self.env_ref(ctx, &field, r) {
                    Some(v) => v,
                    None => continue,
                },
            };
            environment.insert(key.clone(), value);
        }
        // Lambda's limit is 4 KB for all variables; references add their resolved values later.
        if literal_bytes > 4096 {
            self.diagnostics.push(
                ctx.error(
                    "spec.environment",
                    format!(
                        "the environment holds {literal_bytes} bytes; Lambda allows 4 KB in all"
                    ),
                )
                .hint("move large values to SSM Parameter Store or Secrets Manager"),
            );
        }
        for (i, name) in s.sensitive_environment.iter().enumerate() {
            if !s.environment.contains_key(name) {
                let hint = did_you_mean(name, s.environment.keys().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| "list names of spec.environment".to_string());
                self.diagnostics.push(
                    ctx.error(
                        &format!("spec.sensitiveEnvironment[{i}]"),
                        format!("`{name}` is not in spec.environment"),
                    )
                    .hint(hint),
                );
            }
        }
        let reserved_concurrency = s.reserved_concurrency.map(|_| {
            self.int(
                ctx,
                "spec.reservedConcurrency",
                s.reserved_concurrency,
                0,
                0,
                1_000_000,
                "",
            )
        });
        let dead_letter = s
            .dead_letter
            .as_ref()
            .and_then(|d| self.reference(ctx, "spec.deadLetter.queue", &d.queue, &[Kind::Queue]));
        let alias = s
            .alias
            .as_ref()
            .map(|a| self.alias(ctx, a, reserved_concurrency));

        let mut triggers = Vec::new();
        let mut trigger_queues: HashMap<String, usize> = HashMap::new();
        for (i, t) in s.triggers.iter().enumerate() {
            let base = format!("spec.triggers[{i}]");
            if let Some(first) = trigger_queues.insert(t.queue.clone(), i) {
                self.diagnostics.push(
                    ctx.error(
                        &format!("{base}.queue"),
                        format!("queue `{}` is already a trigger of this function", t.queue),
                    )
                    .note(
                        ctx.at(&format!("spec.triggers[{first}].queue")),
                        "first trigger here",
                    ),
                );
            }
            let Some(queue) =
                self.reference(ctx, &format!("{base}.queue"), &t.queue, &[Kind::Queue])
            else {
                continue;
            };
            let batch_size = self.int(
                ctx,
                &format!("{base}.batchSize"),
                t.batch_size,
                10,
                1,
                10000,
                "",
            );
            let window = self.int(
                ctx,
                &format!("{base}.maximumBatchingWindow"),
                t.maximum_batching_window,
                0,
                0,
                300,
                " s",
            );
            if batch_size > 10 && window == 0 {
                self.diagnostics.push(
                    ctx.error(&format!("{base}.batchSize"), format!("a batch size of {batch_size} needs a batching window"))
                        .hint("Lambda requires maximumBatchingWindow of at least 1 second when batchSize is above 10"),
                );
            }
            let maximum_concurrency = t.maximum_concurrency.map(|_| {
                self.int(
                    ctx,
                    &format!("{base}.maximumConcurrency"),
                    t.maximum_concurrency,
                    2,
                    2,
                    1000,
                    "",
                )
            });
            triggers.push(Trigger {
                queue,
                batch_size,
                maximum_batching_window: window,
                report_batch_item_failures: t.report_batch_item_failures.unwrap_or(false),
                maximum_concurrency,
                enabled: t.enabled.unwrap_or(true),
            });
        }
        Some(Function {
            handler: if is_image { None } else { s.handler.clone() },
            runtime,
            code,
            role,
            memory_size,
            timeout,
            architecture,
            ephemeral_storage,
            tracing,
            description: s.description.clone().unwrap_or_default(),
            layers,
            environment,
            sensitive_environment: s.sensitive_environment.clone(),
            reserved_concurrency,
            dead_letter,
            alias,
            triggers,
        })
    }

    pub(crate) fn code(&mut self, ctx: &Ctx, l: &Loaded<FunctionSpecWire>) -> Option<Code> {
        let c = &l.document.spec.code;
        let given = [c.path.is_some(), c.s3.is_some(), c.image_uri.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given != 1 {
            self.diagnostics.push(
                ctx.key_error(
                    "spec.code",
                    if given == 0 {
                        "`code` names no source"
                    } else {
                        "`code` names more than one source"
                    },
                )
                .hint(
                    "give exactly one of `path` (a directory), `s3` ({bucket, key}) or `imageUri`",
                ),
            );
            return None;
        }
        if let Some(path) = &c.path {
            return match resolve_inside_root(&l.dir, self.canonical_root, path) {
                Ok(resolved) => Some(Code::Directory(resolved)),
                Err(message) => {
                    self.diagnostics.push(ctx.error("spec.code.path", message).hint("code.path is relative to this file and must stay inside the spec directory"));
                    None
                }
            };
        }
        if let Some(s3) = &c.s3 {
            if s3.bucket.is_empty() || s3.key.is_empty() {
                self.diagnostics
                    .push(ctx.error("spec.code.s3", "an S3 code source needs a bucket and a key"));
                return None;
            }
            return Some(Code::S3 {
                bucket: s3.bucket.clone(),
                key: s3.key.clone(),
                object_version: s3.object_version.clone(),
            });
        }
        let image = c.image_uri.clone().unwrap_or_default();
        if !image.contains(".dkr.ecr.") {
            self.diagnostics.push(ctx.error("spec.code.imageUri", format!("`{image}` is not an Amazon ECR image URI")).hint("Lambda runs images from ECR: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…"));
            return None;
        }
        Some(Code::Image(image))
    }

    pub(crate) fn env_ref(&mut self, ctx: &Ctx, field: &str, r: &EnvRefWire) -> Option<EnvValue> {
        let Some((kind_name, name)) = r.reference.split_once('/') else {
            self.diagnostics.push(
                ctx.error(
                    &format!("{field}.ref"),
                    format!("`{}` is not of the form Kind/name", r.reference),
                )
                .hint("e.g. {ref: Queue/order-events, attr: url}"),
            );
            return None;
        };
        let Some(kind) = Kind::parse(kind_name).filter(|k| *k != Kind::Stack) else {
            let names = Kind::ALL.map(Kind::as_str);
            let hint = did_you_mean(kind_name, names)
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("kinds are {}", names[1..].join(", ")));
            self.diagnostics.push(
                ctx.error(
                    &format!("{field}.ref"),
                    format!("unknown kind `{kind_name}`"),
                )
                .hint(hint),
            );
            return None;
        };
        let target = self.reference(ctx, &format!("{field}.ref"), name, &[kind])?;
        let attr = match r.attr.as_deref() {
            None | Some("name") => RefAttr::Name,
            Some("arn") => RefAttr::Arn,
            Some("url") if kind == Kind::Queue => RefAttr::Url,
            Some("streamArn") if kind == Kind::Table => {
                if self.lookup(kind, name).is_some_and(|e| !e.has_stream) {
                    let origin = self.lookup(kind, name).and_then(|e| e.origin.clone());
                    self.diagnostics.push(
                        ctx.error(
                            &format!("{field}.attr"),
                            format!("Table `{name}` has no stream, so it has no streamArn"),
                        )
                        .hint("set spec.stream on the table, e.g. NEW_AND_OLD_IMAGES")
                        .note(origin, format!("Table `{name}` is defined here")),
                    );
                    return None;
                }
                RefAttr::StreamArn
            }
            Some(other) => {
                let allowed: &[&str] = match kind {
                    Kind::Queue => &["name", "arn", "url"],
                    Kind::Table => &["name", "arn", "streamArn"],
                    _ => &["name", "arn"],
                };
                let hint = did_you_mean(other, allowed.iter().copied())
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| format!("a {kind} offers {}", allowed.join(", ")));
                self.diagnostics.push(
                    ctx.error(
                        &format!("{field}.attr"),
                        format!("a {kind} has no attribute `{other}`"),
                    )
                    .hint(hint),
                );
                return None;
            }
        };
        Some(EnvValue::Ref { target, attr })
    }

    pub(crate) fn alias(&mut self, ctx: &Ctx, a: &AliasWire, reserved: Option<u32>) -> Alias {
        let valid = !a.name.is_empty()
            && a.name.len() <= 128
            && a.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !a.name.chars().all(|c| c.is_ascii_digit());
        if !valid {
            self.diagnostics.push(
                ctx.error(
                    "spec.alias.name",
                    format!("`{}` is not a valid alias name", a.name),
                )
                .hint("letters, digits, `-` and `_`, not only digits, at most 128 characters"),
            );
        }
        let provisioned_concurrency = a.provisioned_concurrency.as_ref().map(|pc| {
            let base = "spec.alias.provisionedConcurrency";
            let baseline = self.int(ctx, &format!("{base}.baseline"), pc.baseline, 0, 0, 1_000_000, "");
            if pc.schedules.len() > 200 {
                self.diagnostics.push(ctx.error(&format!("{base}.schedules"), "Application Auto Scaling allows at most 200 scheduled actions per alias"));
            }
            let mut names: HashMap<&str, usize> = HashMap::new();
            let mut schedules = Vec::new();
            for (i, s) in pc.schedules.iter().enumerate() {
                let field = format!("{base}.schedules[{i}]");
                if let Some(first) = names.insert(s.name.as_str(), i) {
                    self.diagnostics.push(ctx.error(&format!("{field}.name"), format!("duplicate schedule name `{}`", s.name)).note(ctx.at(&format!("{base}.schedules[{first}].name")), "first used here"));
                }
                if s.name.is_empty() || s.name.len() > 256 || s.name.contains([':', '/', '|']) {
                    self.diagnostics.push(ctx.error(&format!("{field}.name"), format!("`{}` is not a valid scheduled action name", s.name)).hint("1 to 256 characters without `:`, `/` or `|`"));
                }
                if let Err(message) = check_schedule_expression(&s.cron, true) {
                    self.diagnostics.push(ctx.error(&format!("{field}.cron"), message).hint("e.g. cron(0 8 ? * MON-FRI *), rate(1 hour) or at(2026-12-24T18:00:00)"));
                }
                if let Some(tz) = &s.timezone {
                    if !valid_timezone(tz) {
                        self.diagnostics.push(ctx.error(&format!("{field}.timezone"), format!("`{tz}` is not an IANA time zone")).hint("e.g. Europe/Berlin, America/New_York or UTC"));
                    }
                }
                let min = self.int(ctx, &format!("{field}.min"), Some(s.min), 0, 0, 1_000_000, "");
                let max = self.int(ctx, &format!("{field}.max"), Some(s.max), 0, 0, 1_000_000, "");
                if min > max {
                    self.diagnostics.push(ctx.error(&format!("{field}.min"), format!("min {min} is above max {max}")).note(ctx.at(&format!("{field}.max")), "max is set here"));
                }
                schedules.push(PcSchedule { name: s.name.clone(), expression: s.cron.clone(), timezone: s.timezone.clone(), min, max });
            }
            if let Some(t) = pc.target_utilization {
                if !(0.1..=0.9).contains(&t) {
                    self.diagnostics.push(ctx.error(&format!("{base}.targetUtilization"), format!("target utilization {t} is outside 0.1..=0.9")).hint("Lambda's provisioned-concurrency utilization metric is tracked between 10% and 90%"));
                }
            }
            let max = pc.max.map(|_| self.int(ctx, &format!("{base}.max"), pc.max, 0, 0, 1_000_000, ""));
            if let Some(m) = max {
                if m < baseline {
                    self.diagnostics.push(ctx.error(&format!("{base}.max"), format!("max {m} is below the baseline {baseline}")));
                }
            }
            // Target tracking moves the value between the bounds in force; with no schedule and
            // no `max` above the baseline, they are equal and it could never move.
            if pc.target_utilization.is_some() && schedules.is_empty() && max.unwrap_or(baseline) <= baseline {
                self.diagnostics.push(
                    ctx.error(&format!("{base}.targetUtilization"), "target tracking without schedules needs a `max` above the baseline to move between")
                        .hint("add `max: N`, the most provisioned concurrency Auto Scaling may set"),
                );
            }
            if let Some(reserved) = reserved {
                let (peak, field) = std::iter::once((baseline, format!("{base}.baseline")))
                    .chain(max.map(|m| (m, format!("{base}.max"))))
                    .chain(schedules.iter().enumerate().map(|(i, s)| (s.max, format!("{base}.schedules[{i}].max"))))
                    .max_by_key(|(v, _)| *v)
                    .unwrap_or((0, String::new()));
                if peak > reserved {
                    self.diagnostics.push(
                        ctx.error(&field, format!("provisioned concurrency {peak} exceeds the function's reserved concurrency {reserved}"))
                            .hint("Lambda cannot provision more than the function may run; raise reservedConcurrency or lower the schedule")
                            .note(ctx.at("spec.reservedConcurrency"), "reservedConcurrency is set here"),
                    );
                }
            }
            ProvisionedConcurrency { baseline, schedules, target_utilization: pc.target_utilization, max }
        });
        Alias {
            name: a.name.clone(),
            provisioned_concurrency,
        }
    }

    pub(crate) fn layer(&mut self, ctx: &Ctx, l: &Loaded<LayerSpecWire>) -> Option<Layer> {
        let s = &l.document.spec;
        let content = match resolve_inside_root(&l.dir, self.canonical_root, &s.content.path) {
            Ok(path) => path,
            Err(message) => {
                self.diagnostics
                    .push(ctx.error("spec.content.path", message).hint(
                    "content.path is relative to this file and must stay inside the spec directory",
                ));
                return None;
            }
        };
        if s.compatible_runtimes.len() > 15 {
            self.diagnostics.push(ctx.error(
                "spec.compatibleRuntimes",
                "a layer lists at most 15 compatible runtimes",
            ));
        }
        for (i, r) in s.compatible_runtimes.iter().enumerate() {
            self.runtime(ctx, &format!("spec.compatibleRuntimes[{i}]"), r);
        }
        // A layer version carries its ownership in its description (versions cannot be tagged),
        // and AWS allows 256 characters in all.
        if let Some(description) = s.description.as_deref().filter(|d| !d.is_empty()) {
            let marker = layer_marker_len(&self.stack_name, &l.document.metadata.name);
            let room = 256usize.saturating_sub(marker + 1);
            if description.chars().count() > room {
                self.diagnostics.push(
                    ctx.error(
                        "spec.description",
                        format!(
                            "a layer description has at most {room} characters here: AWS allows 256, and slsctl's ownership marker takes {}",
                            marker + 1
                        ),
                    )
                    .hint("shorten the description"),
                );
            }
        }
        Some(Layer {
            content,
            compatible_runtimes: s.compatible_runtimes.clone(),
            compatible_architectures: s
                .compatible_architectures
                .iter()
                .map(|a| match a {
                    ArchitectureWire::Arm64 => Architecture::Arm64,
                    ArchitectureWire::X86_64 => Architecture::X86_64,
                })
                .collect(),
            description: s.description.clone().unwrap_or_default(),
            license_info: s.license_info.clone(),
        })
    }

    // -----------------------------------------------------------------------------------------
    // Checks that need more than one resource

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
            let kinds = self.kinds;
            kinds.cross_checks(self, &ctx, stack, resource, document);
        }
        if let Err(cycles) = crate::plan::graph::creation_order(stack) {
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

const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// A Lambda function's resource policy: at most 20 KB, and what one slsctl statement (an
/// invoke permission for a rule or an API, with its source ARN condition) takes at most.
pub(crate) const POLICY_LIMIT_BYTES: usize = 20 * 1024;
pub(crate) const POLICY_STATEMENT_BYTES: usize = 400;

/// Lambda's `EnvironmentVariableName`: `[a-zA-Z]([a-zA-Z0-9_])+`, so at least two characters.
pub(crate) fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() >= 2
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(crate) fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn valid_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
}

/// Runtime names follow a few families; a name of a known family with a newer version is
/// accepted so that a new AWS runtime does not need a new slsctl.
pub(crate) fn plausible_runtime(runtime: &str) -> bool {
    let digits_then = |rest: &str, suffix: &str| {
        rest.strip_suffix(suffix)
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    };
    if let Some(rest) = runtime.strip_prefix("nodejs") {
        return digits_then(rest, ".x");
    }
    if let Some(rest) = runtime.strip_prefix("python3.") {
        return digits_then(rest, "");
    }
    if let Some(rest) = runtime.strip_prefix("java") {
        return digits_then(rest, "");
    }
    if let Some(rest) = runtime.strip_prefix("dotnet") {
        return digits_then(rest, "");
    }
    if let Some(rest) = runtime.strip_prefix("ruby3.") {
        return digits_then(rest, "");
    }
    false
}

/// A real IANA time zone, by the database the cost estimate uses too.
pub(crate) fn valid_timezone(tz: &str) -> bool {
    crate::cost::schedule::time_zone(tz).is_some()
}

/// `rate(5 minutes)`, `cron(…)` checked field by field, or (for Auto Scaling)
/// `at(yyyy-mm-ddThh:mm:ss)`: the cost estimate's parser, so that one parser decides.
pub(crate) fn check_schedule_expression(expression: &str, allow_at: bool) -> Result<(), String> {
    crate::cost::schedule::check_expression(expression, allow_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_expressions() {
        assert!(check_schedule_expression("cron(0 8 ? * MON-FRI *)", false).is_ok());
        assert!(check_schedule_expression("cron(0 8 * * *)", false).is_err());
        assert!(check_schedule_expression("rate(5 minutes)", false).is_ok());
        assert!(check_schedule_expression("rate(1 minute)", false).is_ok());
        assert!(check_schedule_expression("rate(1 hour)", false).is_ok());
        assert!(check_schedule_expression("rate(1 minutes)", false).is_err());
        assert!(check_schedule_expression("rate(5 minute)", false).is_err());
        assert!(check_schedule_expression("at(2026-12-24T18:00:00)", true).is_ok());
        assert!(check_schedule_expression("at(2026-12-24T18:00:00)", false).is_err());
        // Every field is checked, not only their number.
        for bad in [
            "cron(99 8 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 8 0 * ? *)",
            "cron(0 8 32 * ? *)",
            "cron(0 8 ? 13 * *)",
            "cron(0 8 ? FOO * *)",
            "cron(0 8 ? * 8 *)",
            "cron(0 8 ? * MON-FUN *)",
            "cron(0 8 * * ? 1969)",
            "cron(0 8 * * ? 2200)",
            "cron(*/0 8 * * ? *)",
            "cron(0 8 * * * *)",
            "cron(0 8 ? * ? *)",
            "cron(? 8 * * ? *)",
            "cron(0 8 , * ? *)",
            "cron(0 8 ? * 3#6 *)",
            "at(2026-02-30T18:00:00)",
            "at(tomorrow)",
        ] {
            assert!(
                check_schedule_expression(bad, true).is_err(),
                "{bad} is refused"
            );
        }
        let message = check_schedule_expression("cron(99 8 * * ? *)", false).unwrap_err();
        assert_eq!(
            message,
            "`cron(99 8 * * ? *)`: minutes: `99` is not a value from 0 to 59"
        );
        for good in [
            "cron(0/15 8-17 ? * MON-FRI *)",
            "cron(0 12 L * ? *)",
            "cron(0 12 15W * ? *)",
            "cron(0 12 ? * 6L *)",
            "cron(0 12 ? * MON#1 *)",
            "cron(0 12 ? * FRI-MON 2026-2030)",
            "cron(0,30 * 1,15 JAN,JUL ? *)",
        ] {
            assert!(
                check_schedule_expression(good, false).is_ok(),
                "{good}: {:?}",
                check_schedule_expression(good, false)
            );
        }
    }

    #[test]
    fn regions_and_runtimes() {
        assert!(valid_region("us-east-1"));
        assert!(valid_region("us-gov-west-1"));
        assert!(!valid_region("useast1"));
        assert!(!valid_region("us-east"));
        assert!(plausible_runtime("python3.15"));
        assert!(plausible_runtime("nodejs26.x"));
        assert!(!plausible_runtime("python312"));
    }
}
