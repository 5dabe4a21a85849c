//! Reading a spec directory: files → documents → typed wire documents, with every problem of
//! every file collected (not only the first).

use std::any::Any;
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_saphyr::{DuplicateKeyPolicy, MessageFormatter};

use super::diag::{did_you_mean, Diagnostic, Diagnostics, Location};
use super::kind::Catalog;
use super::wire::*;
use super::yaml::{self, DocumentSlice, SourceMap};
use crate::model::Kind;

/// A spec file larger than this is refused before it is read: specs are a few KiB.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// The whole tree may not exceed this.
pub const MAX_TREE_BYTES: u64 = 64 * 1024 * 1024;
/// Directory nesting below the root that is still walked.
const MAX_DIR_DEPTH: usize = 32;

/// The text of every file read, for rendering snippets under diagnostics.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: BTreeMap<Arc<Path>, Arc<str>>,
}

impl Sources {
    pub fn get(&self, file: &Path) -> Option<Arc<str>> {
        self.files.get(file).cloned()
    }

    pub fn files(&self) -> impl Iterator<Item = &Arc<Path>> {
        self.files.keys()
    }
}

/// One typed document and where it came from.
#[derive(Debug)]
pub struct Loaded<S> {
    pub document: DocumentWire<S>,
    pub source_map: SourceMap,
    /// The directory holding the file (canonical), for resolving relative paths.
    pub dir: PathBuf,
}

impl<S> Loaded<S> {
    pub fn value(&self, path: &str) -> Option<Location> {
        self.source_map.value(path)
    }

    pub fn origin(&self) -> Option<Location> {
        self.source_map.nearest("metadata.name")
    }
}

/// What the loader needs of a resource kind's wire type: which kind it is, and the fields every
/// kind shares. Each kind's module implements it for its `*SpecWire`.
pub trait ResourceSpecWire: DeserializeOwned + std::fmt::Debug + Send + Sync + 'static {
    const KIND: Kind;
    fn physical_name(&self) -> Option<&String>;
    fn deletion_policy(&self) -> Option<DeletionPolicyWire>;
    fn ignore_changes(&self) -> &[String];
}

/// A resource document of any kind, seen through what every kind shares; the kind's module gets
/// its typed document back with [`AnyDocument::typed`].
pub trait ResourceDocument: std::fmt::Debug + Send + Sync {
    fn kind(&self) -> Kind;
    fn metadata(&self) -> &MetadataWire;
    fn source_map(&self) -> &SourceMap;
    fn origin(&self) -> Option<Location>;
    fn physical_name(&self) -> Option<&String>;
    fn deletion_policy(&self) -> Option<DeletionPolicyWire>;
    fn ignore_changes(&self) -> &[String];
    fn as_any(&self) -> &dyn Any;
}

impl<S: ResourceSpecWire> ResourceDocument for Loaded<S> {
    fn kind(&self) -> Kind {
        S::KIND
    }
    fn metadata(&self) -> &MetadataWire {
        &self.document.metadata
    }
    fn source_map(&self) -> &SourceMap {
        &self.source_map
    }
    fn origin(&self) -> Option<Location> {
        Loaded::origin(self)
    }
    fn physical_name(&self) -> Option<&String> {
        self.document.spec.physical_name()
    }
    fn deletion_policy(&self) -> Option<DeletionPolicyWire> {
        self.document.spec.deletion_policy()
    }
    fn ignore_changes(&self) -> &[String] {
        self.document.spec.ignore_changes()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A document: the stack's own, or a resource of a kind the loader does not need to know.
// One Stack document per tree; boxing it would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum AnyDocument {
    Stack(Loaded<StackSpecWire>),
    Resource(Box<dyn ResourceDocument>),
}

impl AnyDocument {
    pub fn kind(&self) -> Kind {
        match self {
            AnyDocument::Stack(_) => Kind::Stack,
            AnyDocument::Resource(r) => r.kind(),
        }
    }

    pub fn resource(&self) -> Option<&dyn ResourceDocument> {
        match self {
            AnyDocument::Resource(r) => Some(r.as_ref()),
            AnyDocument::Stack(_) => None,
        }
    }
}

/// One document's text as the loader holds it: padded with blank lines so that lines and
/// columns match its file, the file's name as shown, its directory and its source map.
pub struct DocumentText<'a> {
    pub padded: &'a str,
    pub file: &'a Arc<Path>,
    pub dir: &'a Path,
    pub map: &'a SourceMap,
}

/// Deserialize one document into wire type `S`, with problems as diagnostics (for the kinds'
/// [`super::kind::DocumentKind::parse`]).
pub fn parse_typed<S: DeserializeOwned>(
    text: &DocumentText<'_>,
) -> Result<Loaded<S>, Box<Diagnostic>> {
    let DocumentText {
        padded,
        file: display,
        dir,
        map,
    } = *text;
    let document: DocumentWire<S> = serde_saphyr::from_str_with_options(padded, yaml_options())
        .map_err(|e| Box::new(serde_diagnostic(&e, display, map, padded)))?;
    Ok(Loaded {
        document,
        source_map: map.clone(),
        dir: dir.to_path_buf(),
    })
}

/// A document whose kind and name are known but whose body failed to load: other documents may
/// still refer to it, and must not get a second, misleading "no such resource" error.
#[derive(Debug)]
pub struct Unparsed {
    pub kind: Kind,
    pub name: String,
    pub origin: Option<Location>,
}

/// Everything read from a spec directory.
#[derive(Debug)]
pub struct LoadedTree {
    /// The root as given (used to display file names).
    pub root: PathBuf,
    /// The canonical root (used for the escape checks).
    pub canonical_root: PathBuf,
    pub documents: Vec<AnyDocument>,
    pub unparsed: Vec<Unparsed>,
    pub diagnostics: Diagnostics,
    pub sources: Sources,
}

/// Read every `*.yaml` / `*.yml` below `root`.
pub fn load_tree(root: &Path, kinds: Catalog) -> LoadedTree {
    let mut tree = LoadedTree {
        root: root.to_path_buf(),
        canonical_root: root.to_path_buf(),
        documents: Vec::new(),
        unparsed: Vec::new(),
        diagnostics: Diagnostics::default(),
        sources: Sources::default(),
    };
    let canonical_root = match fs::canonicalize(root) {
        Ok(path) if path.is_dir() => path,
        Ok(_) => {
            tree.diagnostics.push(
                Diagnostic::new(format!("{} is not a directory", root.display()))
                    .hint("pass the directory that holds the stack's YAML files"),
            );
            return tree;
        }
        Err(error) => {
            tree.diagnostics.push(
                Diagnostic::new(format!("cannot read {}: {error}", root.display()))
                    .hint("pass the directory that holds the stack's YAML files"),
            );
            return tree;
        }
    };
    tree.canonical_root = canonical_root.clone();

    let mut files = Vec::new();
    let mut visited = HashSet::new();
    walk(
        &canonical_root,
        &canonical_root,
        Path::new(""),
        0,
        &mut visited,
        &mut files,
        &mut tree.diagnostics,
    );

    let mut total: u64 = 0;
    for (relative, absolute) in files {
        let display: Arc<Path> = Arc::from(root.join(&relative).as_path());
        let size = fs::metadata(&absolute).map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE_BYTES {
            tree.diagnostics.push(
                Diagnostic::new(format!(
                    "file is {size} bytes; spec files may be at most {MAX_FILE_BYTES} bytes"
                ))
                .at(Some(Location::new(display, 1, 1)))
                .hint("is a generated or data file lying in the spec directory?"),
            );
            continue;
        }
        total += size;
        if total > MAX_TREE_BYTES {
            tree.diagnostics.push(
                Diagnostic::new(format!(
                    "the spec tree holds more than {MAX_TREE_BYTES} bytes of YAML"
                ))
                .hint("point -f at a single stack's directory"),
            );
            break;
        }
        let bytes = match fs::read(&absolute) {
            Ok(bytes) => bytes,
            Err(error) => {
                tree.diagnostics.push(
                    Diagnostic::new(format!("cannot read file: {error}"))
                        .at(Some(Location::new(display, 1, 1))),
                );
                continue;
            }
        };
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(text) => Arc::from(text),
            Err(error) => {
                let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
                let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
                let column =
                    valid.len() - valid.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
                tree.diagnostics.push(
                    Diagnostic::new("file is not valid UTF-8")
                        .at(Some(Location::new(display, line as u32, column as u32)))
                        .hint("YAML spec files must be UTF-8; re-save the file as UTF-8"),
                );
                continue;
            }
        };
        tree.sources.files.insert(display.clone(), text.clone());
        let dir = absolute.parent().unwrap_or(&canonical_root).to_path_buf();
        load_file(&display, &dir, &text, &mut tree, kinds);
    }
    mask_sensitive_sources(&mut tree, kinds);
    tree
}

/// Diagnostics quote the offending line of a file, and that line may hold a value listed in
/// `sensitiveEnvironment` (an over-long environment, a typo beside it). The texts kept for
/// snippets have every such value overwritten with `*`, character for character so that columns
/// stay right. Values shorter than 4 characters are left: masking every `1` would garble the
/// snippets and hide nothing worth hiding.
fn mask_sensitive_sources(tree: &mut LoadedTree, kinds: Catalog) {
    let mut secrets: Vec<&str> = tree
        .documents
        .iter()
        .filter_map(AnyDocument::resource)
        .flat_map(|document| {
            kinds(document.kind()).map_or_else(Vec::new, |k| k.sensitive_values(document))
        })
        .filter(|value| value.chars().count() >= 4)
        .collect();
    if secrets.is_empty() {
        return;
    }
    // Longest first, so that a secret containing another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for text in tree.sources.files.values_mut() {
        if secrets.iter().any(|s| text.contains(s)) {
            let mut masked = text.to_string();
            for secret in &secrets {
                masked = masked.replace(secret, &"*".repeat(secret.chars().count()));
            }
            *text = Arc::from(masked);
        }
    }
}

/// Collect spec files below `dir`, sorted, following symlinks only while they stay inside the root.
fn walk(
    root: &Path,
    dir: &Path,
    relative: &Path,
    depth: usize,
    visited: &mut HashSet<PathBuf>,
    files: &mut Vec<(PathBuf, PathBuf)>,
    diagnostics: &mut Diagnostics,
) {
    if depth > MAX_DIR_DEPTH || !visited.insert(dir.to_path_buf()) {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        diagnostics.push(Diagnostic::new(format!(
            "cannot read directory {}",
            relative.display()
        )));
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        // Hidden entries (.git, editor swap files) are never part of a spec.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let child_relative = relative.join(&name);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let target = if meta.file_type().is_symlink() {
            match fs::canonicalize(&path) {
                Ok(target) if target.starts_with(root) => target,
                Ok(target) => {
                    // A linked directory outside the root is skipped quietly: it may be a layer's
                    // content, whose own check reports the escape where the spec names it.
                    if is_spec_file(&path) {
                        diagnostics.push(
                            Diagnostic::new(format!(
                                "{} is a symlink to {}, outside the spec root; it is not read",
                                child_relative.display(),
                                target.display()
                            ))
                            .hint("copy the file into the spec directory instead of linking it"),
                        );
                    }
                    continue;
                }
                Err(_) => continue,
            }
        } else {
            path.clone()
        };
        if target.is_dir() {
            walk(
                root,
                &target,
                &child_relative,
                depth + 1,
                visited,
                files,
                diagnostics,
            );
        } else if is_spec_file(&path) {
            files.push((child_relative, target));
        }
    }
}

fn is_spec_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    // `yes`/`no`/`on`/`off` are not booleans; the structural pass explains why.
    options.strict_booleans = true;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.with_snippet = false;
    // Aliases are replayed by serde-saphyr; these bounds make an alias bomb ("billion laughs")
    // fail fast instead of expanding to gigabytes.
    options.alias_limits.max_total_replayed_events = 20_000;
    options.alias_limits.max_replay_stack_depth = 16;
    options.alias_limits.max_alias_expansions_per_anchor = 1_000;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = yaml::MAX_DEPTH;
    budget.max_nodes = yaml::MAX_NODES_PER_FILE;
    budget.max_documents = 1;
    options.budget = Some(budget);
    options
}

fn load_file(display: &Arc<Path>, dir: &Path, text: &str, tree: &mut LoadedTree, kinds: Catalog) {
    let structure = yaml::scan(display, text);
    // Places the structural pass already explained; serde would report them again, less clearly.
    let explained: HashSet<(u32, u32)> = structure
        .diagnostics
        .iter()
        .filter_map(|d| d.location.as_ref().map(|l| (l.line, l.column)))
        .collect();
    let mut structural = structure.diagnostics;
    for slice in structure.documents {
        if !slice.has_content {
            continue;
        }
        let (identity, result) = load_document(display, dir, text, &slice, tree, kinds);
        if let Some((kind, name)) = &identity {
            // Name the resource on the structural problems that lie inside this document.
            let last_line =
                slice.start_line + text[slice.start..slice.end].matches('\n').count() as u32;
            for d in structural.iter_mut() {
                if d.resource.is_none()
                    && d.location
                        .as_ref()
                        .is_some_and(|l| (slice.start_line..=last_line).contains(&l.line))
                {
                    d.resource = Some(format!("{kind}/{name}"));
                }
            }
        }
        if let Err(mut diagnostic) = result {
            if let Some((kind, name)) = identity {
                diagnostic
                    .resource
                    .get_or_insert_with(|| format!("{kind}/{name}"));
                tree.unparsed.push(Unparsed {
                    kind,
                    name,
                    origin: slice.source_map.nearest("metadata.name"),
                });
            }
            let already = diagnostic
                .location
                .as_ref()
                .is_some_and(|l| explained.contains(&(l.line, l.column)));
            if !already {
                tree.diagnostics.push(*diagnostic);
            }
        }
    }
    for diagnostic in structural {
        tree.diagnostics.push(diagnostic);
    }
}

/// A document's kind and name, when its header could be read.
type Identity = Option<(Kind, String)>;

/// Load one document. Returns its kind and name when the header could be read, so that a
/// failure further down still leaves the resource known by name.
fn load_document(
    display: &Arc<Path>,
    dir: &Path,
    text: &str,
    slice: &DocumentSlice,
    tree: &mut LoadedTree,
    kinds: Catalog,
) -> (Identity, Result<(), Box<Diagnostic>>) {
    let padded = slice.padded_text(text);
    let map = &slice.source_map;
    // Duplicate keys are reported by the structural pass and again by the typed parse; the header
    // only needs kind and name, so it takes the last value rather than failing.
    let mut header_options = yaml_options();
    header_options.duplicate_keys = DuplicateKeyPolicy::LastWins;
    let header: HeaderWire = match serde_saphyr::from_str_with_options(&padded, header_options) {
        Ok(header) => header,
        Err(e) => {
            return (
                None,
                Err(Box::new(serde_diagnostic(&e, display, map, &padded))),
            )
        }
    };
    let identity = header
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .zip(header.metadata.as_ref().and_then(|m| m.name.clone()));
    let result = load_typed(display, dir, &padded, slice, header, tree, kinds);
    (identity, result)
}

fn load_typed(
    display: &Arc<Path>,
    dir: &Path,
    padded: &str,
    slice: &DocumentSlice,
    header: HeaderWire,
    tree: &mut LoadedTree,
    kinds: Catalog,
) -> Result<(), Box<Diagnostic>> {
    let map = &slice.source_map;

    let at_start = || {
        Some(Location::new(
            display.clone(),
            slice.start_line,
            slice.start_column + 1,
        ))
    };
    match header.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(Box::new(
                Diagnostic::new(format!("unsupported apiVersion `{other}`"))
                    .at(map.value("apiVersion"))
                    .field("apiVersion")
                    .hint(format!("this slsctl reads `apiVersion: {API_VERSION}`")),
            ))
        }
        None => {
            return Err(Box::new(
                Diagnostic::new("missing field `apiVersion`")
                    .at(at_start())
                    .hint(format!("add `apiVersion: {API_VERSION}`")),
            ))
        }
    }
    let Some(kind_name) = header.kind else {
        return Err(Box::new(
            Diagnostic::new("missing field `kind`").at(at_start()).hint(
                "add `kind:` with one of Stack, Function, Layer, Queue, EventBus, Rule, Table, Api",
            ),
        ));
    };
    let Some(kind) = Kind::parse(&kind_name) else {
        let names = Kind::ALL.map(Kind::as_str);
        let hint = match did_you_mean(&kind_name, names) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("kinds are {}", names.join(", ")),
        };
        return Err(Box::new(
            Diagnostic::new(format!("unknown kind `{kind_name}`"))
                .at(map.value("kind"))
                .field("kind")
                .hint(hint),
        ));
    };

    let text = DocumentText {
        padded,
        file: display,
        dir,
        map,
    };
    let document = match kind {
        Kind::Stack => AnyDocument::Stack(parse_typed(&text)?),
        kind => match kinds(kind) {
            Some(k) => AnyDocument::Resource(k.parse(&text)?),
            None => {
                return Err(Box::new(Diagnostic::new(format!(
                    "`{kind}` is not a resource kind"
                ))))
            }
        },
    };
    tree.documents.push(document);
    Ok(())
}

/// Turn a serde-saphyr error into a diagnostic with the field path and a hint.
fn serde_diagnostic(
    error: &serde_saphyr::Error,
    file: &Arc<Path>,
    map: &SourceMap,
    text: &str,
) -> Diagnostic {
    let location = error.location().filter(|l| l.line() > 0).map(|l| {
        Location::new(
            file.clone(),
            u32::try_from(l.line()).unwrap_or(u32::MAX),
            u32::try_from(l.column()).unwrap_or(u32::MAX),
        )
    });
    let field = location
        .as_ref()
        .and_then(|l| map.path_at(l.line, l.column))
        .unwrap_or("")
        .to_string();
    let diagnostic = |message: String| Diagnostic::new(message).at(location.clone());
    match error {
        serde_saphyr::Error::SerdeUnknownField {
            field: name,
            expected,
            ..
        } => {
            let hint = match did_you_mean(name, expected.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None if expected.is_empty() => "this mapping takes no fields".to_string(),
                None => format!("fields here are: {}", expected.join(", ")),
            };
            diagnostic(format!("unknown field `{name}`"))
                .field(field)
                .hint(hint)
        }
        serde_saphyr::Error::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let hint = match did_you_mean(variant, expected.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("one of: {}", expected.join(", ")),
            };
            diagnostic(format!("unknown value `{variant}`"))
                .field(field)
                .hint(hint)
        }
        serde_saphyr::Error::SerdeMissingField { field: name, .. } => {
            // The error points inside the mapping that lacks the field; report it at that
            // mapping's key, which is where the user has to add it.
            let parent = location
                .as_ref()
                .map(|l| map.mapping_at(l.line, l.column))
                .unwrap_or_default();
            let at = if parent.is_empty() {
                location.clone()
            } else {
                map.key(&parent).or(location.clone())
            };
            let field = if parent.is_empty() {
                name.to_string()
            } else {
                format!("{parent}.{name}")
            };
            let hint = if parent.is_empty() {
                format!("add `{name}:`")
            } else {
                format!("add `{name}:` under `{parent}`")
            };
            Diagnostic::new(format!("missing field `{name}`"))
                .at(at)
                .field(field)
                .hint(hint)
        }
        serde_saphyr::Error::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => diagnostic(format!("expected {expected}, found {unexpected}")).field(field),
        serde_saphyr::Error::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => diagnostic(format!("invalid value {unexpected}, expected {expected}")).field(field),
        other => {
            let mut message = serde_saphyr::DefaultMessageFormatter
                .format_message(other)
                .to_string();
            // Scalar conversions fail with terse texts such as "invalid i64"; say what was
            // expected and what was found instead.
            if let Some(expected) = message.strip_prefix("invalid ").and_then(expected_for_type) {
                let found = location
                    .as_ref()
                    .map(|l| scalar_at(text, l.line, l.column))
                    .unwrap_or_default();
                message = format!("expected {expected}, found `{found}`");
            }
            let hint = if message.contains("alias") || message.contains("budget") {
                Some(
                    "anchors and aliases may share small values, not expand to large documents"
                        .to_string(),
                )
            } else {
                None
            };
            diagnostic(message).field(field).maybe_hint(hint)
        }
    }
}

fn expected_for_type(rust_type: &str) -> Option<&'static str> {
    match rust_type.trim() {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" => Some("an integer"),
        "f32" | "f64" => Some("a number"),
        "bool" => Some("true or false"),
        _ => None,
    }
}

/// The plain scalar that starts at `line:column` (up to a flow indicator or comment).
fn scalar_at(text: &str, line: u32, column: u32) -> String {
    let Some(row) = text.lines().nth(line.saturating_sub(1) as usize) else {
        return String::new();
    };
    let rest: String = row
        .chars()
        .skip(column.saturating_sub(1) as usize)
        .collect();
    let end = rest.find([',', '}', ']', '#']).unwrap_or(rest.len());
    let value = rest[..end].trim();
    value.chars().take(60).collect()
}

/// Resolve a relative path written in a spec file, refusing anything that leaves the root —
/// through `..`, an absolute path, or a symlink.
pub fn resolve_inside_root(
    dir: &Path,
    canonical_root: &Path,
    written: &str,
) -> Result<PathBuf, String> {
    let relative = Path::new(written);
    if relative.is_absolute() {
        return Err(format!(
            "`{written}` is absolute; paths are relative to the file and stay inside the spec root"
        ));
    }
    let joined = dir.join(relative);
    // Check the lexical form first so that a non-existent `../../x` is still reported as escaping.
    let mut lexical = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    if !lexical.starts_with(canonical_root) {
        return Err(format!("`{written}` leaves the spec root"));
    }
    match fs::canonicalize(&joined) {
        Ok(real) if real.starts_with(canonical_root) => Ok(real),
        Ok(real) => Err(format!(
            "`{written}` leaves the spec root through a symlink (it resolves to {})",
            real.display()
        )),
        Err(error) => Err(format!("`{written}` cannot be read: {error}")),
    }
}
