//! Validation: wire documents → the domain model, with every problem reported.
//!
//! One pass per document turns wire types into model types (ranges, exclusive choices, defaults),
//! resolving references against an index of every document; then cross-resource checks run on
//! the resolved model (route timeouts, FIFO triggers, visibility timeouts, cycles). Every
//! diagnostic points at the exact field, and cross-resource ones add a note at the other end.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::OnceLock;

use super::diag::{did_you_mean, Diagnostic, Diagnostics, Location};
use super::load::{load_tree, AnyDocument, Loaded, LoadedTree, Sources};
use super::wire::*;
use crate::model::*;

/// Annotation that adopts an existing, untagged resource (with `spec.physicalName`).
pub const ADOPT_ANNOTATION: &str = "slsctl.dev/adopt";
const KNOWN_ANNOTATIONS: &[&str] = &[ADOPT_ANNOTATION];

/// How the loader validates one resource document: its kind's module does it (the registry's
/// `crate::kinds::validate_document`), given the name the common checks derived.
pub(crate) type ValidateKind = for<'v, 'c, 'd, 'n> fn(
    &'v mut Validator<'_>,
    &'c Ctx<'_>,
    &'d AnyDocument,
    &'n mut String,
) -> Option<ResourceSpec>;

/// Load and validate the stack in `root`, each resource through `validate_kind`. On failure,
/// every problem found is returned.
pub(crate) fn load_stack_with(
    root: &Path,
    validate_kind: ValidateKind,
) -> Result<(Stack, Sources), (Diagnostics, Sources)> {
    let tree = load_tree(root);
    let LoadedTree {
        root,
        canonical_root,
        documents,
        unparsed,
        mut diagnostics,
        sources,
    } = tree;
    let result = Validator::run(&root, &canonical_root, &documents, &unparsed, validate_kind);
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
    known: bool,
    pub(crate) origin: Option<Location>,
    fifo: bool,
    timeout: u32,
    timeout_at: Option<Location>,
    fifo_at: Option<Location>,
    visibility_timeout: u32,
    visibility_at: Option<Location>,
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
    validate_kind: ValidateKind,
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
    macro_rules! parts {
        ($l:expr) => {
            (
                $l.document.metadata.name.as_str(),
                &$l.source_map,
                $l.origin(),
            )
        };
    }
    match document {
        AnyDocument::Stack(l) => parts!(l),
        AnyDocument::Function(l) => parts!(l),
        AnyDocument::Layer(l) => parts!(l),
        AnyDocument::Queue(l) => parts!(l),
        AnyDocument::EventBus(l) => parts!(l),
        AnyDocument::Rule(l) => parts!(l),
        AnyDocument::Table(l) => parts!(l),
        AnyDocument::Api(l) => parts!(l),
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
        validate_kind: ValidateKind,
    ) -> Result<Stack, Diagnostics> {
        let mut v = Validator {
            validate_kind,
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
        match document {
            AnyDocument::Function(f) => {
                entry.timeout = f
                    .document
                    .spec
                    .timeout
                    .or(self.defaults.timeout)
                    .unwrap_or(3)
                    .clamp(0, u32::MAX as i64) as u32;
                entry.timeout_at = f.value("spec.timeout").or_else(|| f.origin());
            }
            AnyDocument::Queue(q) => {
                entry.fifo = q.document.spec.fifo.unwrap_or(false);
                entry.fifo_at = q.value("spec.fifo").or_else(|| q.origin());
                entry.visibility_timeout = q
                    .document
                    .spec
                    .visibility_timeout
                    .unwrap_or(30)
                    .clamp(0, u32::MAX as i64) as u32;
                entry.visibility_at = q.value("spec.visibilityTimeout").or_else(|| q.origin());
            }
            AnyDocument::Table(t) => entry.has_stream = t.document.spec.stream.is_some(),
            _ => {}
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
        let fields = spec_fields(kind);
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
        macro_rules! common {
            ($l:expr) => {
                self.common(
                    &ctx,
                    kind,
                    &$l.document.metadata,
                    &$l.document.spec.physical_name,
                    $l.document.spec.deletion_policy,
                    &$l.document.spec.ignore_changes,
                )
            };
        }
        macro_rules! parts {
            ($l:expr) => {
                (
                    &$l.document.metadata.labels,
                    common!($l),
                    &$l.document.spec.ignore_changes,
                )
            };
        }
        let (labels, (mut physical_name, deletion_policy, adopt), ignore_changes) = match document {
            AnyDocument::Stack(_) => return None,
            AnyDocument::Function(l) => parts!(l),
            AnyDocument::Layer(l) => parts!(l),
            AnyDocument::Queue(l) => parts!(l),
            AnyDocument::EventBus(l) => parts!(l),
            AnyDocument::Rule(l) => parts!(l),
            AnyDocument::Table(l) => parts!(l),
            AnyDocument::Api(l) => parts!(l),
        };
        let validate_kind = self.validate_kind;
        let spec = validate_kind(self, &ctx, document, &mut physical_name)?;
        let traffic = self.traffic(&ctx, document);
        Some(Resource {
            id: ResourceId::new(kind, name),
            physical_name,
            deletion_policy,
            ignore_changes: ignore_changes.clone(),
            adopt,
            labels: labels.clone(),
            origin,
            spec,
            traffic,
        })
    }

    /// `spec.traffic` of any kind, with sizes and durations checked.
    pub(crate) fn traffic(&mut self, ctx: &Ctx, document: &AnyDocument) -> Option<Traffic> {
        let positive = |v: &mut Self, field: &str, value: Option<f64>, default: f64| match value {
            Some(x) if !(x.is_finite() && x >= 0.0) => {
                v.diagnostics.push(
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
        };
        let mut t = Traffic::default();
        match document {
            AnyDocument::Function(l) => {
                let w = l.document.spec.traffic.as_ref()?;
                t.requests_per_month = w.requests_per_month.unwrap_or(0);
                t.average_duration_ms =
                    positive(self, "averageDurationMs", w.average_duration_ms, 0.0);
                t.provisioned_requests_per_month = w.provisioned_requests_per_month;
                t.provisioned_duration_ms = w.provisioned_duration_ms.map(|d| {
                    positive(
                        self,
                        "provisionedDurationMs",
                        Some(d),
                        t.average_duration_ms,
                    )
                });
                if w.provisioned_requests_per_month
                    .is_some_and(|p| p > t.requests_per_month)
                {
                    self.diagnostics.push(
                        ctx.error(
                            "spec.traffic.provisionedRequestsPerMonth",
                            "more provisioned requests than requests in total",
                        )
                        .hint("provisionedRequestsPerMonth is the part of requestsPerMonth served by provisioned concurrency"),
                    );
                }
            }
            AnyDocument::Queue(l) => {
                let w = l.document.spec.traffic.as_ref()?;
                t.messages_per_month = w.messages_per_month.unwrap_or(0);
                t.average_message_size_kb =
                    positive(self, "averageMessageSizeKB", w.average_message_size_kb, 1.0);
            }
            AnyDocument::EventBus(l) => {
                let w = l.document.spec.traffic.as_ref()?;
                t.events_per_month = w.events_per_month.unwrap_or(0);
                t.average_event_size_kb =
                    positive(self, "averageEventSizeKB", w.average_event_size_kb, 1.0);
            }
            AnyDocument::Table(l) => {
                let w = l.document.spec.traffic.as_ref()?;
                t.writes_per_month = w.writes_per_month.unwrap_or(0);
                t.reads_per_month = w.reads_per_month.unwrap_or(0);
                t.average_item_size_kb =
                    positive(self, "averageItemSizeKB", w.average_item_size_kb, 1.0);
                t.strongly_consistent_reads = w.strongly_consistent_reads.unwrap_or(false);
                t.storage_gb = positive(self, "storageGB", w.storage_gb, 0.0);
            }
            AnyDocument::Api(l) => {
                let w = l.document.spec.traffic.as_ref()?;
                t.requests_per_month = w.requests_per_month.unwrap_or(0);
            }
            _ => return None,
        }
        Some(t)
    }

    pub(crate) fn queue(&mut self, ctx: &Ctx, l: &Loaded<QueueSpecWire>) -> Option<Queue> {
        let s = &l.document.spec;
        let fifo = s.fifo.unwrap_or(false);
        if !fifo {
            for (field, present) in [
                (
                    "spec.contentBasedDeduplication",
                    s.content_based_deduplication.is_some(),
                ),
                ("spec.deduplicationScope", s.deduplication_scope.is_some()),
                (
                    "spec.fifoThroughputLimit",
                    s.fifo_throughput_limit.is_some(),
                ),
            ] {
                if present {
                    self.diagnostics.push(
                        ctx.key_error(
                            field,
                            format!(
                                "`{}` applies to FIFO queues only",
                                field.trim_start_matches("spec.")
                            ),
                        )
                        .hint("set `fifo: true`, or remove the field"),
                    );
                }
            }
        }
        if s.fifo_throughput_limit == Some(FifoThroughputLimitWire::PerMessageGroupId)
            && s.deduplication_scope == Some(DeduplicationScopeWire::Queue)
        {
            self.diagnostics.push(
                ctx.error("spec.fifoThroughputLimit", "high-throughput FIFO (perMessageGroupId) needs deduplicationScope: messageGroup")
                    .note(ctx.at("spec.deduplicationScope"), "deduplicationScope is set here"),
            );
        }
        let encryption = match (s.sqs_managed_sse, &s.kms_master_key_id) {
            (Some(true), Some(_)) => {
                self.diagnostics.push(
                    ctx.error(
                        "spec.sqsManagedSse",
                        "choose one encryption: sqsManagedSse or kmsMasterKeyId",
                    )
                    .note(ctx.at("spec.kmsMasterKeyId"), "kmsMasterKeyId is set here"),
                );
                QueueEncryption::SqsManaged
            }
            (_, Some(key)) => QueueEncryption::Kms {
                key_id: key.clone(),
                data_key_reuse_period: self.int(
                    ctx,
                    "spec.kmsDataKeyReusePeriod",
                    s.kms_data_key_reuse_period,
                    300,
                    60,
                    86400,
                    " s",
                ),
            },
            (Some(false), None) => QueueEncryption::None,
            (None | Some(true), None) => QueueEncryption::SqsManaged,
        };
        let dead_letter = s.dead_letter.as_ref().and_then(|d| {
            let queue = self.reference(ctx, "spec.deadLetter.queue", &d.queue, &[Kind::Queue])?;
            let max_receive_count = self.int(
                ctx,
                "spec.deadLetter.maxReceiveCount",
                Some(d.max_receive_count),
                5,
                1,
                1000,
                "",
            );
            Some(QueueDeadLetter {
                queue,
                max_receive_count,
            })
        });
        if let Some(QueueDeadLetter {
            queue: Reference::Stack(target),
            ..
        }) = &dead_letter
        {
            let own = &l.document.metadata.name;
            if &target.name == own {
                self.diagnostics.push(ctx.error(
                    "spec.deadLetter.queue",
                    "a queue cannot be its own dead-letter queue",
                ));
            } else if let Some(entry) = self.lookup(Kind::Queue, &target.name) {
                if entry.fifo != fifo {
                    let (this, that) = if fifo {
                        ("FIFO", "standard")
                    } else {
                        ("standard", "FIFO")
                    };
                    self.diagnostics.push(
                        ctx.error("spec.deadLetter.queue", format!("the dead-letter queue of a {this} queue must also be {this}, but `{}` is {that}", target.name))
                            .note(entry.fifo_at.clone(), format!("Queue `{}` is defined here", target.name)),
                    );
                }
            }
        }
        Some(Queue {
            fifo,
            content_based_deduplication: s.content_based_deduplication.unwrap_or(false),
            deduplication_scope: s.deduplication_scope.map(|d| match d {
                DeduplicationScopeWire::MessageGroup => "messageGroup".to_string(),
                DeduplicationScopeWire::Queue => "queue".to_string(),
            }),
            fifo_throughput_limit: s.fifo_throughput_limit.map(|d| match d {
                FifoThroughputLimitWire::PerQueue => "perQueue".to_string(),
                FifoThroughputLimitWire::PerMessageGroupId => "perMessageGroupId".to_string(),
            }),
            visibility_timeout: self.int(
                ctx,
                "spec.visibilityTimeout",
                s.visibility_timeout,
                30,
                0,
                43200,
                " s",
            ),
            message_retention_period: self.int(
                ctx,
                "spec.messageRetentionPeriod",
                s.message_retention_period,
                345_600,
                60,
                1_209_600,
                " s",
            ),
            delay_seconds: self.int(ctx, "spec.delaySeconds", s.delay_seconds, 0, 0, 900, " s"),
            maximum_message_size: self.int(
                ctx,
                "spec.maximumMessageSize",
                s.maximum_message_size,
                262_144,
                1024,
                1_048_576,
                " bytes",
            ),
            receive_message_wait_time: self.int(
                ctx,
                "spec.receiveMessageWaitTime",
                s.receive_message_wait_time,
                0,
                0,
                20,
                " s",
            ),
            encryption,
            dead_letter,
            restrict_redrive_sources: s.restrict_redrive_sources.unwrap_or(false),
        })
    }

    pub(crate) fn event_bus(
        &mut self,
        ctx: &Ctx,
        l: &Loaded<EventBusSpecWire>,
    ) -> Option<EventBus> {
        let s = &l.document.spec;
        let archive = s.archive.as_ref().map(|a| {
            if let Some(pattern) = &a.pattern {
                if let Err((path, message)) = check_event_pattern(pattern) {
                    self.diagnostics.push(
                        ctx.error(&format!("spec.archive.pattern{path}"), message)
                            .hint(
                            "leaf values of an event pattern are lists, e.g. source: [orders.api]",
                        ),
                    );
                }
            }
            Archive {
                retention_days: self.int(
                    ctx,
                    "spec.archive.retentionDays",
                    a.retention_days,
                    0,
                    0,
                    i64::from(u32::MAX),
                    " days",
                ),
                pattern: a.pattern.clone(),
            }
        });
        Some(EventBus {
            description: s.description.clone().unwrap_or_default(),
            archive,
        })
    }

    pub(crate) fn rule(&mut self, ctx: &Ctx, l: &Loaded<RuleSpecWire>) -> Option<Rule> {
        let s = &l.document.spec;
        let bus = s
            .bus
            .as_ref()
            .and_then(|b| self.reference(ctx, "spec.bus", b, &[Kind::EventBus]));
        let trigger = match (&s.pattern, &s.schedule) {
            (Some(pattern), None) => {
                if let Err((path, message)) = check_event_pattern(pattern) {
                    self.diagnostics
                        .push(ctx.error(&format!("spec.pattern{path}"), message).hint(
                            "leaf values of an event pattern are lists, e.g. source: [orders.api]",
                        ));
                }
                RuleTrigger::Pattern(pattern.clone())
            }
            (None, Some(schedule)) => {
                if let Err(message) = check_schedule_expression(schedule, false) {
                    self.diagnostics.push(
                        ctx.error("spec.schedule", message)
                            .hint("e.g. rate(5 minutes) or cron(0 12 * * ? *)"),
                    );
                }
                if s.bus.is_some() {
                    self.diagnostics.push(
                        ctx.error(
                            "spec.schedule",
                            "scheduled rules run only on the account's default bus",
                        )
                        .hint("remove `bus:` from this rule")
                        .note(ctx.at("spec.bus"), "the rule names a bus here"),
                    );
                }
                RuleTrigger::Schedule(schedule.clone())
            }
            _ => {
                self.diagnostics.push(
                    ctx.key_error(
                        "spec",
                        "a rule needs exactly one of `pattern` and `schedule`",
                    )
                    .field("spec.pattern")
                    .hint("`pattern` matches events; `schedule` runs on a timer"),
                );
                return None;
            }
        };
        if s.targets.len() > 5 {
            self.diagnostics.push(
                ctx.error(
                    "spec.targets[5]",
                    format!(
                        "{} targets; EventBridge allows at most 5 per rule",
                        s.targets.len()
                    ),
                )
                .hint(
                    "fan out through a second rule with the same pattern, or through an SNS topic",
                )
                .note(ctx.at("spec.targets[0]"), "the rule's targets start here"),
            );
        }
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut targets = Vec::new();
        for (i, t) in s.targets.iter().enumerate() {
            let base = format!("spec.targets[{i}]");
            if let Some(first) = ids.insert(t.id.as_str(), i) {
                self.diagnostics.push(
                    ctx.error(
                        &format!("{base}.id"),
                        format!("duplicate target id `{}`", t.id),
                    )
                    .note(
                        ctx.at(&format!("spec.targets[{first}].id")),
                        "first used here",
                    ),
                );
            }
            if t.id.is_empty()
                || t.id.len() > 64
                || !t
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            {
                self.diagnostics.push(
                    ctx.error(
                        &format!("{base}.id"),
                        format!("`{}` is not a valid target id", t.id),
                    )
                    .hint("1 to 64 letters, digits, `.`, `-` and `_`"),
                );
            }
            let choices = [
                ("queue", &t.queue, Kind::Queue),
                ("function", &t.function, Kind::Function),
                ("bus", &t.bus, Kind::EventBus),
            ];
            let given =
                choices.iter().filter(|c| c.1.is_some()).count() + usize::from(t.arn.is_some());
            if given != 1 {
                self.diagnostics.push(ctx.key_error(
                    &base,
                    "a target names exactly one of `queue`, `function`, `bus` or `arn`",
                ));
                continue;
            }
            let destination = if let Some(arn) = &t.arn {
                if !arn.starts_with("arn:") {
                    self.diagnostics
                        .push(ctx.error(&format!("{base}.arn"), format!("`{arn}` is not an ARN")));
                    continue;
                }
                Reference::Arn(arn.clone())
            } else {
                let (field, written, kind) = choices
                    .iter()
                    .find(|c| c.1.is_some())
                    .map(|c| (c.0, c.1.as_deref().unwrap_or(""), c.2))
                    .unwrap_or(("queue", "", Kind::Queue));
                let Some(r) = self.reference(ctx, &format!("{base}.{field}"), written, &[kind])
                else {
                    continue;
                };
                r
            };
            if let (Reference::Stack(target), Some(Reference::Stack(own))) = (&destination, &bus) {
                if target == own {
                    self.diagnostics.push(
                        ctx.error(
                            &format!("{base}.bus"),
                            "a rule must not send events back to its own bus",
                        )
                        .hint("that loops every matching event forever"),
                    );
                }
            }
            if let Reference::Stack(id) = &destination {
                if id.kind == Kind::Queue {
                    if let Some(entry) = self.lookup(Kind::Queue, &id.name) {
                        if entry.fifo && t.message_group_id.is_none() {
                            self.diagnostics.push(
                                ctx.key_error(
                                    &base,
                                    format!(
                                        "queue `{}` is FIFO, so the target needs a messageGroupId",
                                        id.name
                                    ),
                                )
                                .field(format!("{base}.messageGroupId"))
                                .note(
                                    entry.fifo_at.clone(),
                                    format!("Queue `{}` is FIFO here", id.name),
                                ),
                            );
                        }
                    }
                }
            }
            let input = match (&t.input_path, &t.input_transformer) {
                (Some(_), Some(_)) => {
                    self.diagnostics.push(ctx.key_error(
                        &format!("{base}.inputTransformer"),
                        "choose one of `inputPath` and `inputTransformer`",
                    ));
                    TargetInput::Event
                }
                (Some(path), None) => {
                    if !path.starts_with('$') {
                        self.diagnostics.push(
                            ctx.error(
                                &format!("{base}.inputPath"),
                                format!("`{path}` is not a JSONPath"),
                            )
                            .hint("e.g. $.detail"),
                        );
                    }
                    TargetInput::Path(path.clone())
                }
                (None, Some(tr)) => {
                    if tr.input_paths_map.len() > 100 {
                        self.diagnostics.push(ctx.error(
                            &format!("{base}.inputTransformer.inputPathsMap"),
                            "an input transformer maps at most 100 paths",
                        ));
                    }
                    TargetInput::Transformer {
                        paths: tr.input_paths_map.clone(),
                        template: tr.input_template.clone(),
                    }
                }
                (None, None) => TargetInput::Event,
            };
            let retry = t.retry_policy.as_ref();
            let maximum_retry_attempts = retry.and_then(|r| r.maximum_retry_attempts).map(|v| {
                self.int(
                    ctx,
                    &format!("{base}.retryPolicy.maximumRetryAttempts"),
                    Some(v),
                    185,
                    0,
                    185,
                    "",
                )
            });
            let maximum_event_age_in_seconds =
                retry.and_then(|r| r.maximum_event_age_in_seconds).map(|v| {
                    self.int(
                        ctx,
                        &format!("{base}.retryPolicy.maximumEventAgeInSeconds"),
                        Some(v),
                        86400,
                        60,
                        86400,
                        " s",
                    )
                });
            let dead_letter = t.dead_letter.as_ref().and_then(|d| {
                self.reference(
                    ctx,
                    &format!("{base}.deadLetter.queue"),
                    &d.queue,
                    &[Kind::Queue],
                )
            });
            if let Some(Reference::Stack(dlq)) = &dead_letter {
                if let Some(entry) = self.lookup(Kind::Queue, &dlq.name) {
                    if entry.fifo {
                        self.diagnostics.push(
                            ctx.error(&format!("{base}.deadLetter.queue"), format!("EventBridge dead-letter queues must be standard queues, but `{}` is FIFO", dlq.name))
                                .note(entry.fifo_at.clone(), format!("Queue `{}` is FIFO here", dlq.name)),
                        );
                    }
                }
            }
            let to_bus = match &destination {
                Reference::Stack(id) => id.kind == Kind::EventBus,
                Reference::Arn(arn) => arn.contains(":event-bus/"),
            };
            if let Some(role) = &t.role {
                let valid = role.starts_with("arn:")
                    && role.split(':').nth(2) == Some("iam")
                    && role
                        .split(':')
                        .nth(5)
                        .is_some_and(|rest| rest.starts_with("role/") && rest.len() > 5);
                if !valid {
                    self.diagnostics.push(
                        ctx.error(
                            &format!("{base}.role"),
                            format!("`{role}` is not an IAM role ARN"),
                        )
                        .hint("arn:aws:iam::ACCOUNT:role/NAME"),
                    );
                }
            } else if to_bus {
                self.diagnostics.push(
                    ctx.key_error(
                        &base,
                        "an event-bus target needs a `role` that EventBridge assumes to put events on that bus",
                    )
                    .field(format!("{base}.role"))
                    .hint("add `role: arn:aws:iam::ACCOUNT:role/NAME`, a role that trusts events.amazonaws.com and allows events:PutEvents on the target bus"),
                );
            }
            targets.push(Target {
                id: t.id.clone(),
                destination,
                role: t.role.clone(),
                input,
                message_group_id: t.message_group_id.clone(),
                maximum_retry_attempts,
                maximum_event_age_in_seconds,
                dead_letter,
            });
        }
        Some(Rule {
            bus,
            trigger,
            enabled: s.state != Some(RuleStateWire::Disabled),
            description: s.description.clone().unwrap_or_default(),
            targets,
        })
    }

    pub(crate) fn table(&mut self, ctx: &Ctx, l: &Loaded<TableSpecWire>) -> Option<Table> {
        let s = &l.document.spec;
        let key = |k: &KeyWire| Key {
            name: k.name.clone(),
            key_type: match k.key_type {
                KeyTypeWire::S => KeyType::S,
                KeyTypeWire::N => KeyType::N,
                KeyTypeWire::B => KeyType::B,
            },
        };
        // Each attribute used in a key has one type across the table and its indexes (AWS derives
        // a single AttributeDefinitions list from them).
        let mut attribute_types: HashMap<String, (KeyTypeWire, String)> = HashMap::new();
        let mut check_key = |v: &mut Self, k: &KeyWire, field: &str| {
            if k.name.is_empty() || k.name.len() > 255 {
                v.diagnostics.push(ctx.error(
                    &format!("{field}.name"),
                    "key attribute names have 1 to 255 characters",
                ));
            }
            match attribute_types.get(&k.name) {
                Some((other, at)) if *other != k.key_type => {
                    v.diagnostics.push(
                        ctx.error(
                            &format!("{field}.type"),
                            format!(
                                "attribute `{}` is used with type {:?} here and {:?} elsewhere",
                                k.name, k.key_type, other
                            ),
                        )
                        .hint("an attribute has one type in all keys and indexes of a table")
                        .note(ctx.at(&format!("{at}.type")), "the other use"),
                    );
                }
                Some(_) => {}
                None => {
                    attribute_types.insert(k.name.clone(), (k.key_type, field.to_string()));
                }
            }
        };
        check_key(self, &s.partition_key, "spec.partitionKey");
        if let Some(k) = &s.sort_key {
            check_key(self, k, "spec.sortKey");
            if k.name == s.partition_key.name {
                self.diagnostics.push(ctx.error(
                    "spec.sortKey.name",
                    "the sort key must differ from the partition key",
                ));
            }
        }
        let provisioned = s.billing_mode == Some(BillingModeWire::Provisioned);
        let billing = if provisioned {
            match (s.read_capacity, s.write_capacity) {
                (Some(r), Some(w)) => Billing::Provisioned {
                    read: self.int(ctx, "spec.readCapacity", Some(r), 1, 1, 40_000, ""),
                    write: self.int(ctx, "spec.writeCapacity", Some(w), 1, 1, 40_000, ""),
                },
                _ => {
                    self.diagnostics.push(
                        ctx.key_error(
                            "spec.billingMode",
                            "PROVISIONED billing needs readCapacity and writeCapacity",
                        )
                        .hint("or use billingMode: PAY_PER_REQUEST"),
                    );
                    Billing::OnDemand
                }
            }
        } else {
            for field in ["spec.readCapacity", "spec.writeCapacity"] {
                if ctx.at(field).is_some() {
                    self.diagnostics.push(
                        ctx.key_error(field, "capacity applies to PROVISIONED billing only")
                            .hint("remove it, or set billingMode: PROVISIONED"),
                    );
                }
            }
            Billing::OnDemand
        };
        if s.global_secondary_indexes.len() > 20 {
            self.diagnostics.push(ctx.error(
                "spec.globalSecondaryIndexes",
                "a table has at most 20 global secondary indexes",
            ));
        }
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut gsis = Vec::new();
        for (i, g) in s.global_secondary_indexes.iter().enumerate() {
            let base = format!("spec.globalSecondaryIndexes[{i}]");
            if let Some(first) = names.insert(g.name.as_str(), i) {
                self.diagnostics.push(
                    ctx.error(
                        &format!("{base}.name"),
                        format!("duplicate index name `{}`", g.name),
                    )
                    .note(
                        ctx.at(&format!("spec.globalSecondaryIndexes[{first}].name")),
                        "first used here",
                    ),
                );
            }
            if g.name.len() < 3
                || g.name.len() > 255
                || !g
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                self.diagnostics.push(
                    ctx.error(
                        &format!("{base}.name"),
                        format!("`{}` is not a valid index name", g.name),
                    )
                    .hint("3 to 255 letters, digits, `_`, `-` and `.`"),
                );
            }
            check_key(self, &g.partition_key, &format!("{base}.partitionKey"));
            if let Some(k) = &g.sort_key {
                check_key(self, k, &format!("{base}.sortKey"));
            }
            let projection = match g.projection.unwrap_or(ProjectionWire::All) {
                ProjectionWire::Include => {
                    if g.non_key_attributes.is_empty() {
                        self.diagnostics.push(ctx.error(
                            &format!("{base}.projection"),
                            "INCLUDE projection needs nonKeyAttributes",
                        ));
                    }
                    Projection::Include(g.non_key_attributes.clone())
                }
                other => {
                    if !g.non_key_attributes.is_empty() {
                        self.diagnostics.push(ctx.key_error(
                            &format!("{base}.nonKeyAttributes"),
                            "nonKeyAttributes apply to INCLUDE projections only",
                        ));
                    }
                    if other == ProjectionWire::KeysOnly {
                        Projection::KeysOnly
                    } else {
                        Projection::All
                    }
                }
            };
            let capacity = match (provisioned, g.read_capacity, g.write_capacity) {
                (true, Some(r), Some(w)) => Some((
                    self.int(
                        ctx,
                        &format!("{base}.readCapacity"),
                        Some(r),
                        1,
                        1,
                        40_000,
                        "",
                    ),
                    self.int(
                        ctx,
                        &format!("{base}.writeCapacity"),
                        Some(w),
                        1,
                        1,
                        40_000,
                        "",
                    ),
                )),
                (true, _, _) => {
                    self.diagnostics.push(ctx.key_error(
                        &base,
                        "an index of a PROVISIONED table needs readCapacity and writeCapacity",
                    ));
                    None
                }
                (false, None, None) => None,
                (false, _, _) => {
                    self.diagnostics.push(ctx.key_error(
                        &format!("{base}.readCapacity"),
                        "capacity applies to PROVISIONED billing only",
                    ));
                    None
                }
            };
            gsis.push(Gsi {
                name: g.name.clone(),
                partition_key: key(&g.partition_key),
                sort_key: g.sort_key.as_ref().map(key),
                projection,
                capacity,
            });
        }
        Some(Table {
            partition_key: key(&s.partition_key),
            sort_key: s.sort_key.as_ref().map(key),
            billing,
            global_secondary_indexes: gsis,
            time_to_live_attribute: s.time_to_live_attribute.clone(),
            point_in_time_recovery: s.point_in_time_recovery.unwrap_or(false),
            stream: s.stream.map(|v| {
                match v {
                    StreamViewWire::NewImage => "NEW_IMAGE",
                    StreamViewWire::OldImage => "OLD_IMAGE",
                    StreamViewWire::NewAndOldImages => "NEW_AND_OLD_IMAGES",
                    StreamViewWire::KeysOnly => "KEYS_ONLY",
                }
                .to_string()
            }),
            table_class: match s.table_class {
                Some(TableClassWire::StandardInfrequentAccess) => "STANDARD_INFREQUENT_ACCESS",
                _ => "STANDARD",
            }
            .to_string(),
            deletion_protection: s.deletion_protection.unwrap_or(true),
            sse: self.table_sse(ctx, s.sse.as_ref()),
        })
    }

    pub(crate) fn table_sse(&mut self, ctx: &Ctx, sse: Option<&TableSseWire>) -> TableSse {
        let Some(sse) = sse else {
            return TableSse::AwsOwned;
        };
        match (sse.sse_type, &sse.kms_master_key_id) {
            (SseTypeWire::AwsOwned, None) => TableSse::AwsOwned,
            (SseTypeWire::AwsOwned, Some(_)) => {
                self.diagnostics.push(
                    ctx.key_error(
                        "spec.sse.kmsMasterKeyId",
                        "a KMS key applies to `type: KMS` only",
                    )
                    .hint("set `type: KMS`, or remove kmsMasterKeyId"),
                );
                TableSse::AwsOwned
            }
            (SseTypeWire::Kms, None) => TableSse::AwsManaged,
            (SseTypeWire::Kms, Some(key)) => {
                let is_arn =
                    key.starts_with("arn:") && key.contains(":kms:") && key.contains(":key/");
                let is_id = !key.is_empty()
                    && key.len() <= 2048
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if !is_arn && !is_id {
                    let hint = if key.starts_with("alias/") || key.contains(":alias/") {
                        "DynamoDB reports a table's key by its key ARN, so an alias would show as a change on every plan; use the key ARN or key id"
                    } else {
                        "a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or a key id"
                    };
                    self.diagnostics.push(
                        ctx.error(
                            "spec.sse.kmsMasterKeyId",
                            format!("`{key}` is not a KMS key ARN or key id"),
                        )
                        .hint(hint),
                    );
                }
                TableSse::CustomerManaged(key.clone())
            }
        }
    }

    pub(crate) fn api(&mut self, ctx: &Ctx, l: &Loaded<ApiSpecWire>) -> Option<Api> {
        let s = &l.document.spec;
        let stage = s.stage.clone().unwrap_or_else(|| "prod".to_string());
        if stage.is_empty()
            || stage.len() > 128
            || !stage
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            self.diagnostics.push(
                ctx.error("spec.stage", format!("`{stage}` is not a valid stage name"))
                    .hint("letters, digits, `-` and `_`, at most 128 characters"),
            );
        }
        if s.routes.is_empty() {
            self.diagnostics
                .push(ctx.error("spec.routes", "an Api needs at least one route"));
        }
        let mut seen: HashMap<(HttpMethodWire, String), usize> = HashMap::new();
        let mut routes = Vec::new();
        for (i, r) in s.routes.iter().enumerate() {
            let base = format!("spec.routes[{i}]");
            if let Err(message) = check_route_path(&r.path) {
                self.diagnostics
                    .push(ctx.error(&format!("{base}.path"), message).hint(
                    "paths start with `/`; `{id}` is a parameter and `{proxy+}` a greedy one, last",
                ));
            }
            if let Some(first) = seen.insert((r.method, r.path.clone()), i) {
                self.diagnostics.push(
                    ctx.error(
                        &base,
                        format!("route {} {} is defined twice", r.method.as_str(), r.path),
                    )
                    .note(
                        ctx.at(&format!("spec.routes[{first}]")),
                        "first defined here",
                    ),
                );
            }
            let Some(function) = self.reference(
                ctx,
                &format!("{base}.function"),
                &r.function,
                &[Kind::Function],
            ) else {
                continue;
            };
            routes.push(Route {
                method: r.method.as_str().to_string(),
                path: r.path.clone(),
                function,
            });
        }
        let throttling = s.throttling.as_ref().map(|t| {
            if !(t.rate_limit.is_finite() && t.rate_limit >= 0.0) {
                self.diagnostics.push(ctx.error(
                    "spec.throttling.rateLimit",
                    "the rate limit is a non-negative number of requests per second",
                ));
            }
            Throttling {
                rate_limit: t.rate_limit,
                burst_limit: self.int(
                    ctx,
                    "spec.throttling.burstLimit",
                    Some(t.burst_limit),
                    0,
                    0,
                    1_000_000,
                    "",
                ),
            }
        });
        let endpoint_type = match s.endpoint_type {
            Some(EndpointTypeWire::Edge) => "EDGE",
            Some(EndpointTypeWire::Private) => {
                // AWS refuses to deploy a PRIVATE API without a resource policy that lets its
                // VPC endpoints in; slsctl does not manage API resource policies yet.
                self.diagnostics.push(
                    ctx.error(
                        "spec.endpointType",
                        "a PRIVATE API cannot be deployed without a resource policy naming its VPC endpoints, which slsctl does not manage yet",
                    )
                    .hint("use `endpointType: REGIONAL` (or EDGE)"),
                );
                "PRIVATE"
            }
            _ => "REGIONAL",
        };
        let domain = s.domain.as_ref().map(|d| {
            if !valid_hostname(&d.name) {
                self.diagnostics.push(ctx.error(
                    "spec.domain.name",
                    format!("`{}` is not a domain name", d.name),
                ));
            }
            let parts: Vec<&str> = d.certificate_arn.split(':').collect();
            if parts.len() < 6 || parts[0] != "arn" || parts[2] != "acm" {
                self.diagnostics.push(
                    ctx.error(
                        "spec.domain.certificateArn",
                        format!("`{}` is not an ACM certificate ARN", d.certificate_arn),
                    )
                    .hint("arn:aws:acm:REGION:ACCOUNT:certificate/ID"),
                );
            } else if endpoint_type == "EDGE" && parts[3] != "us-east-1" {
                self.diagnostics.push(
                    ctx.error(
                        "spec.domain.certificateArn",
                        "an EDGE endpoint's certificate must be in us-east-1",
                    )
                    .hint("CloudFront reads certificates from us-east-1 only"),
                );
            }
            if let Some(base) = &d.base_path {
                if base.starts_with('/') || base.is_empty() {
                    self.diagnostics.push(
                        ctx.error(
                            "spec.domain.basePath",
                            format!("`{base}` is not a base path"),
                        )
                        .hint("write it without a leading slash, e.g. v1"),
                    );
                }
            }
            Domain {
                name: d.name.clone(),
                certificate_arn: d.certificate_arn.clone(),
                base_path: d.base_path.clone(),
            }
        });
        Some(Api {
            endpoint_type: endpoint_type.to_string(),
            stage,
            description: s.description.clone().unwrap_or_default(),
            routes,
            throttling,
            tracing: s.tracing.unwrap_or(false),
            domain,
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
            match &resource.spec {
                ResourceSpec::Api(api) => {
                    for (i, route) in api.routes.iter().enumerate() {
                        let Reference::Stack(target) = &route.function else {
                            continue;
                        };
                        let Some(entry) = self.lookup(Kind::Function, &target.name) else {
                            continue;
                        };
                        if entry.timeout > 29 {
                            let at = entry.timeout_at.clone();
                            self.diagnostics.push(
                                ctx.error(&format!("spec.routes[{}].function", original_route_index(documents, &resource.id, i)), format!("route {} {} calls `{}`, whose timeout of {} s exceeds API Gateway's 29 s integration timeout", route.method, route.path, target.name, entry.timeout))
                                    .hint("lower the function's timeout to 29 s or less, or put a queue between the API and the slow work")
                                    .note(at, format!("Function `{}` sets its timeout here", target.name)),
                            );
                        }
                    }
                }
                ResourceSpec::Function(function) => {
                    // Each rule that targets the function and each API that routes to it is
                    // one statement of its resource policy, which AWS caps at 20 KB.
                    let own = Reference::Stack(resource.id.clone());
                    let statements = stack
                        .resources
                        .iter()
                        .filter(|r| match &r.spec {
                            ResourceSpec::Rule(rule) => {
                                rule.targets.iter().any(|t| t.destination == own)
                            }
                            ResourceSpec::Api(api) => api.routes.iter().any(|r| r.function == own),
                            _ => false,
                        })
                        .count();
                    if statements * POLICY_STATEMENT_BYTES > POLICY_LIMIT_BYTES {
                        self.diagnostics.push(
                            ctx.error(
                                "metadata.name",
                                format!(
                                    "{statements} rules and APIs invoke this function; their permissions would pass the 20 KB AWS allows a function's resource policy (about {} statements)",
                                    POLICY_LIMIT_BYTES / POLICY_STATEMENT_BYTES
                                ),
                            )
                            .hint("route the events through fewer rules (one rule can match several patterns' events), or put a queue or a bus in between"),
                        );
                    }
                    for (i, trigger) in function.triggers.iter().enumerate() {
                        let Reference::Stack(queue) = &trigger.queue else {
                            continue;
                        };
                        let Some(entry) = self.lookup(Kind::Queue, &queue.name) else {
                            continue;
                        };
                        let (fifo, fifo_at, visibility_timeout, visibility_at) = (
                            entry.fifo,
                            entry.fifo_at.clone(),
                            entry.visibility_timeout,
                            entry.visibility_at.clone(),
                        );
                        let field = format!(
                            "spec.triggers[{}]",
                            original_trigger_index(documents, &resource.id, &queue.name)
                                .unwrap_or(i)
                        );
                        if fifo && trigger.maximum_batching_window > 0 {
                            let at = fifo_at.clone();
                            self.diagnostics.push(
                                ctx.error(&format!("{field}.maximumBatchingWindow"), format!("queue `{}` is FIFO, and Lambda does not support a batching window on FIFO queues", queue.name))
                                    .hint("remove maximumBatchingWindow from this trigger")
                                    .note(at, format!("Queue `{}` is FIFO here", queue.name)),
                            );
                        }
                        if fifo && trigger.batch_size > 10 {
                            let at = fifo_at.clone();
                            self.diagnostics.push(
                                ctx.error(&format!("{field}.batchSize"), format!("queue `{}` is FIFO, and Lambda reads at most 10 messages per batch from FIFO queues", queue.name))
                                    .note(at, format!("Queue `{}` is FIFO here", queue.name)),
                            );
                        }
                        if visibility_timeout < function.timeout {
                            let at = visibility_at.clone();
                            self.diagnostics.push(
                                ctx.error(&format!("{field}.queue"), format!("queue `{}` has a visibility timeout of {} s, shorter than this function's timeout of {} s", queue.name, visibility_timeout, function.timeout))
                                    .hint("Lambda refuses the trigger: messages would reappear while still being processed; AWS recommends 6× the function timeout")
                                    .note(at, format!("Queue `{}` sets its visibility timeout here", queue.name)),
                            );
                        }
                    }
                }
                _ => {}
            }
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

/// Index of a route in the document (routes that failed to resolve are skipped in the model).
pub(crate) fn original_route_index(
    documents: &[AnyDocument],
    id: &ResourceId,
    model_index: usize,
) -> usize {
    documents
        .iter()
        .find_map(|d| match d {
            AnyDocument::Api(l) if l.document.metadata.name == id.name => Some(l),
            _ => None,
        })
        .map(|l| {
            l.document
                .spec
                .routes
                .iter()
                .enumerate()
                .filter(|(_, r)| !r.function.is_empty())
                .nth(model_index)
                .map_or(model_index, |(i, _)| i)
        })
        .unwrap_or(model_index)
}

pub(crate) fn original_trigger_index(
    documents: &[AnyDocument],
    id: &ResourceId,
    queue: &str,
) -> Option<usize> {
    documents.iter().find_map(|d| match d {
        AnyDocument::Function(l) if l.document.metadata.name == id.name => l
            .document
            .spec
            .triggers
            .iter()
            .position(|t| t.queue == queue),
        _ => None,
    })
}

pub(crate) fn kinds_text(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Top-level `spec` field names of a kind, from the generated schema, for `ignoreChanges`.
pub(crate) fn spec_fields(kind: Kind) -> &'static [String] {
    static FIELDS: OnceLock<HashMap<Kind, Vec<String>>> = OnceLock::new();
    FIELDS
        .get_or_init(|| {
            Kind::ALL
                .into_iter()
                .map(|k| (k, super::schema::spec_field_names(k)))
                .collect()
        })
        .get(&kind)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A Lambda function's resource policy: at most 20 KB, and what one slsctl statement (an
/// invoke permission for a rule or an API, with its source ARN condition) takes at most.
const POLICY_LIMIT_BYTES: usize = 20 * 1024;
const POLICY_STATEMENT_BYTES: usize = 400;

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

pub(crate) fn valid_hostname(name: &str) -> bool {
    name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
        })
}

/// `rate(5 minutes)`, `cron(…)` checked field by field, or (for Auto Scaling)
/// `at(yyyy-mm-ddThh:mm:ss)`: the cost estimate's parser, so that one parser decides.
pub(crate) fn check_schedule_expression(expression: &str, allow_at: bool) -> Result<(), String> {
    crate::cost::schedule::check_expression(expression, allow_at)
}

/// EventBridge patterns are objects whose leaves are lists (`source: [orders.api]`).
pub(crate) fn check_event_pattern(pattern: &serde_json::Value) -> Result<(), (String, String)> {
    fn walk(value: &serde_json::Value, path: String) -> Result<(), (String, String)> {
        match value {
            serde_json::Value::Object(map) => {
                if map.is_empty() {
                    return Err((
                        path,
                        "an event pattern object must not be empty".to_string(),
                    ));
                }
                for (key, child) in map {
                    let child_path = format!("{path}.{key}");
                    match child {
                        serde_json::Value::Object(_) => walk(child, child_path)?,
                        serde_json::Value::Array(_) => {}
                        _ => {
                            return Err((
                                child_path,
                                format!("`{key}` must be a list of values to match"),
                            ))
                        }
                    }
                }
                Ok(())
            }
            _ => Err((path, "an event pattern is a mapping".to_string())),
        }
    }
    walk(pattern, String::new())
}

pub(crate) fn check_route_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("route path `{path}` does not start with `/`"));
    }
    if path == "/" {
        return Ok(());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() {
            return Err(format!("route path `{path}` has an empty segment"));
        }
        if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (name, greedy) = match param.strip_suffix('+') {
                Some(name) => (name, true),
                None => (param, false),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`{segment}` is not a valid path parameter"));
            }
            if greedy && i + 1 != segments.len() {
                return Err(format!(
                    "greedy parameter `{segment}` must be the last segment"
                ));
            }
        } else if !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | ':' | '@'))
        {
            return Err(format!(
                "route path segment `{segment}` has characters API Gateway does not accept"
            ));
        }
    }
    Ok(())
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
    fn route_paths() {
        assert!(check_route_path("/orders/{id}").is_ok());
        assert!(check_route_path("/{proxy+}").is_ok());
        assert!(check_route_path("/{proxy+}/x").is_err());
        assert!(check_route_path("orders").is_err());
        assert!(check_route_path("/a//b").is_err());
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
