//! The structural pass over a YAML file, before any typed deserialisation.
//!
//! serde-saphyr turns a document into our wire types and reports where a value is wrong, but a
//! serde deserialiser stops at the first error and knows nothing about our field paths. This pass
//! walks the parser's event stream once and gives the loader what serde cannot:
//! - where each document starts and ends, so that each is deserialised on its own and one broken
//!   document does not hide the errors of the others;
//! - a source map from field path (`spec.triggers[0].queue`) to `line:column`, so that checks made
//!   after deserialisation (references, ranges) can still point at the exact place;
//! - every duplicate key and every YAML 1.1 boolean (`yes`, `no`, `on`, `off`), all at once;
//! - a depth limit, checked before serde ever recurses.
//!
//! Aliases are not expanded here (an alias is one node in the source map); serde-saphyr enforces
//! the alias-expansion budget when it replays them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

use super::diag::{Diagnostic, Location};

/// Nesting deeper than this is refused. Real specs stay below 10 levels; event patterns a few more.
pub const MAX_DEPTH: usize = 64;
/// More nodes than this in one file is refused: a spec file is small, a generated bomb is not.
pub const MAX_NODES_PER_FILE: usize = 200_000;
/// More documents than this in one file is refused.
pub const MAX_DOCUMENTS_PER_FILE: usize = 1_000;

/// Plain scalars that YAML 1.1 reads as booleans but YAML 1.2 (and slsctl) read as strings.
/// `y`/`n` (and `Y`/`N`) are left out, as yamllint does: almost no YAML 1.1 parser treated them
/// as booleans, and `N` is DynamoDB's number type (`type: N`), which must not need quotes.
const YAML11_BOOLEANS: &[&str] = &[
    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
];

/// Where a field's key and value are.
#[derive(Clone, Debug)]
pub struct FieldSpan {
    pub key: Option<(u32, u32)>,
    pub value: (u32, u32),
}

/// Field path → location, for one document.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    file: Option<Arc<Path>>,
    fields: HashMap<String, FieldSpan>,
    /// Every key and value start in document order, to map an error position back to a path;
    /// the flag tells a key from a value.
    order: Vec<((u32, u32), String, bool)>,
    /// Paths whose value is a mapping.
    mappings: std::collections::HashSet<String>,
}

impl SourceMap {
    fn location(&self, (line, column): (u32, u32)) -> Option<Location> {
        self.file
            .as_ref()
            .map(|file| Location::new(file.clone(), line, column))
    }

    /// Location of a field's value (`spec.memorySize` → where `512` is).
    pub fn value(&self, path: &str) -> Option<Location> {
        self.fields.get(path).and_then(|f| self.location(f.value))
    }

    /// Location of a field's key, falling back to its value (for a sequence item).
    pub fn key(&self, path: &str) -> Option<Location> {
        self.fields
            .get(path)
            .and_then(|f| self.location(f.key.unwrap_or(f.value)))
    }

    /// The nearest located ancestor of `path` (or itself): useful when a field is absent.
    pub fn nearest(&self, path: &str) -> Option<Location> {
        let mut current = path;
        loop {
            if let Some(location) = self.key(current) {
                return Some(location);
            }
            match current.rfind(['.', '[']) {
                Some(cut) => current = &current[..cut],
                None => return self.value(""),
            }
        }
    }

    /// The field path whose key or value starts last at or before `line:column`.
    pub fn path_at(&self, line: u32, column: u32) -> Option<&str> {
        let index = self
            .order
            .partition_point(|(pos, _, _)| *pos <= (line, column));
        index
            .checked_sub(1)
            .map(|i| self.order[i].1.as_str())
            .filter(|path| !path.is_empty())
    }

    /// The mapping an error at `line:column` belongs to: the mapping itself when the position is
    /// its start, the mapping holding the key when the position is a key.
    pub fn mapping_at(&self, line: u32, column: u32) -> String {
        let index = self
            .order
            .partition_point(|(pos, _, _)| *pos <= (line, column));
        let Some((_, path, is_key)) = index.checked_sub(1).map(|i| &self.order[i]) else {
            return String::new();
        };
        if !is_key && self.mappings.contains(path) {
            return path.clone();
        }
        match path.rfind(['.', '[']) {
            Some(cut) => path[..cut].to_string(),
            None => String::new(),
        }
    }
}

/// One document of a file: its text range and source map.
#[derive(Debug)]
pub struct DocumentSlice {
    /// Byte range of the document in the file.
    pub start: usize,
    pub end: usize,
    /// 1-based line and 0-based column of `start`.
    pub start_line: u32,
    pub start_column: u32,
    /// `false` for a document holding only a null (an empty `---` section).
    pub has_content: bool,
    pub source_map: SourceMap,
}

impl DocumentSlice {
    /// The document's text, padded so that serde-saphyr reports the same line and column as the
    /// whole file would.
    pub fn padded_text(&self, text: &str) -> String {
        let body = &text[self.start..self.end];
        let mut padded = String::with_capacity(body.len() + self.start_line as usize + 8);
        for _ in 1..self.start_line {
            padded.push('\n');
        }
        for _ in 0..self.start_column {
            padded.push(' ');
        }
        padded.push_str(body);
        padded
    }
}

/// The result of the structural pass over one file.
#[derive(Debug, Default)]
pub struct FileStructure {
    pub documents: Vec<DocumentSlice>,
    /// Problems found by the pass; a syntax error ends the pass, the others do not.
    pub diagnostics: Vec<Diagnostic>,
}

enum Frame {
    Map {
        path: String,
        pending_key: Option<String>,
        seen: HashMap<String, (u32, u32)>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

fn position(span: &Span) -> (u32, u32) {
    (
        u32::try_from(span.start.line()).unwrap_or(u32::MAX),
        u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
    )
}

/// Byte offset of a marker; the parser gives byte offsets for string input, but fall back to
/// converting the character index rather than trusting that.
fn byte_offset(text: &str, marker: &serde_saphyr::granit_parser::Marker) -> usize {
    marker.byte_offset().unwrap_or_else(|| {
        text.char_indices()
            .nth(marker.index())
            .map_or(text.len(), |(i, _)| i)
    })
}

fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Run the structural pass over one file's text.
pub fn scan(file: &Arc<Path>, text: &str) -> FileStructure {
    let mut out = FileStructure::default();
    let at = |pos: (u32, u32)| Some(Location::new(file.clone(), pos.0, pos.1));
    let mut stack: Vec<Frame> = Vec::new();
    let mut current: Option<DocumentSlice> = None;
    let mut nodes = 0usize;
    // Set when a limit is hit: the rest of the file is not examined.
    let mut refused = false;

    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(pair) => pair,
            Err(error) => {
                let marker = error.marker();
                let pos = (
                    u32::try_from(marker.line()).unwrap_or(u32::MAX),
                    u32::try_from(marker.col() + 1).unwrap_or(u32::MAX),
                );
                let info = error.info();
                let hint = if info.contains("recursion") {
                    "the document nests too deeply; a spec needs only a few levels"
                } else {
                    "check the indentation and the quoting around this place"
                };
                out.diagnostics.push(
                    Diagnostic::new(format!("invalid YAML: {info}"))
                        .at(at(pos))
                        .hint(hint),
                );
                // A syntax error leaves the documents before it usable, the current one not.
                return out;
            }
        };
        match event {
            Event::DocumentStart(..) => {
                if out.documents.len() >= MAX_DOCUMENTS_PER_FILE {
                    out.diagnostics.push(
                        Diagnostic::new(format!(
                            "more than {MAX_DOCUMENTS_PER_FILE} documents in one file"
                        ))
                        .at(at(position(&span)))
                        .hint("split the stack into several files"),
                    );
                    return out;
                }
                let start = byte_offset(text, &span.start);
                current = Some(DocumentSlice {
                    start,
                    end: text.len(),
                    start_line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
                    start_column: u32::try_from(span.start.col()).unwrap_or(u32::MAX),
                    has_content: false,
                    source_map: SourceMap {
                        file: Some(file.clone()),
                        ..SourceMap::default()
                    },
                });
                stack.clear();
            }
            Event::DocumentEnd => {
                if let Some(mut document) = current.take() {
                    document.end = byte_offset(text, &span.end).max(document.start);
                    if !refused {
                        out.documents.push(document);
                    }
                }
            }
            Event::Scalar(..)
            | Event::Alias(..)
            | Event::MappingStart(..)
            | Event::SequenceStart(..) => {
                let Some(document) = current.as_mut() else {
                    continue;
                };
                if refused {
                    continue;
                }
                nodes += 1;
                if nodes > MAX_NODES_PER_FILE {
                    out.diagnostics.push(
                        Diagnostic::new(format!(
                            "more than {MAX_NODES_PER_FILE} YAML nodes in one file"
                        ))
                        .at(at(position(&span)))
                        .hint(
                            "a spec file describes a handful of resources; is this file generated?",
                        ),
                    );
                    refused = true;
                    continue;
                }
                let pos = position(&span);
                let map = &mut document.source_map;

                // A scalar in key position of a mapping is a key, not a value.
                if let Some(Frame::Map {
                    path,
                    pending_key,
                    seen,
                }) = stack.last_mut()
                {
                    if pending_key.is_none() {
                        let key = match &event {
                            Event::Scalar(value, ..) => value.to_string(),
                            _ => {
                                out.diagnostics.push(
                                    Diagnostic::new("a mapping key must be a plain string")
                                        .at(at(pos))
                                        .field(path.clone()),
                                );
                                refused = true;
                                continue;
                            }
                        };
                        let field = join_key(path, &key);
                        if let Some(first) = seen.get(&key) {
                            out.diagnostics.push(
                                Diagnostic::new(format!("duplicate key `{key}`"))
                                    .at(at(pos))
                                    .field(field.clone())
                                    .hint("YAML parsers disagree on which value wins; keep one")
                                    .note(at(*first), "first defined here"),
                            );
                        } else {
                            seen.insert(key.clone(), pos);
                        }
                        map.order.push((pos, field.clone(), true));
                        map.fields.insert(
                            field,
                            FieldSpan {
                                key: Some(pos),
                                value: pos,
                            },
                        );
                        *pending_key = Some(key);
                        continue;
                    }
                }

                // A value: find its path from the parent frame.
                let field = match stack.last_mut() {
                    None => String::new(),
                    Some(Frame::Map {
                        path, pending_key, ..
                    }) => join_key(path, pending_key.as_deref().unwrap_or("?")),
                    Some(Frame::Seq { path, index }) => format!("{path}[{index}]"),
                };
                document.has_content |= !matches!(&event, Event::Scalar(v, ScalarStyle::Plain, ..) if v.is_empty() || v == "~" || v == "null");
                map.order.push((pos, field.clone(), false));
                if matches!(event, Event::MappingStart(..)) {
                    map.mappings.insert(field.clone());
                }
                map.fields
                    .entry(field.clone())
                    .and_modify(|f| f.value = pos)
                    .or_insert(FieldSpan {
                        key: None,
                        value: pos,
                    });

                match &event {
                    Event::Scalar(value, ScalarStyle::Plain, ..)
                        if YAML11_BOOLEANS.contains(&value.as_ref()) =>
                    {
                        let lower = value.to_ascii_lowercase();
                        let boolean = matches!(lower.as_str(), "yes" | "on");
                        out.diagnostics.push(
                            Diagnostic::new(format!(
                                "`{value}` is a YAML 1.1 boolean: some tools read it as {boolean}, slsctl would read the string \"{value}\""
                            ))
                            .at(at(pos))
                            .field(field.clone())
                            .hint(format!(
                                "write `{boolean}` for a boolean, or quote it (\"{value}\") for a string"
                            )),
                        );
                    }
                    _ => {}
                }

                match event {
                    Event::MappingStart(..) | Event::SequenceStart(..) => {
                        if stack.len() >= MAX_DEPTH {
                            out.diagnostics.push(
                                Diagnostic::new(format!(
                                    "the document nests deeper than {MAX_DEPTH} levels"
                                ))
                                .at(at(pos))
                                .field(field)
                                .hint("a spec needs only a few levels; is this file generated?"),
                            );
                            refused = true;
                            continue;
                        }
                        stack.push(if matches!(event, Event::MappingStart(..)) {
                            Frame::Map {
                                path: field,
                                pending_key: None,
                                seen: HashMap::new(),
                            }
                        } else {
                            Frame::Seq {
                                path: field,
                                index: 0,
                            }
                        });
                    }
                    _ => advance(&mut stack),
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if refused {
                    continue;
                }
                stack.pop();
                advance(&mut stack);
            }
            _ => {}
        }
    }
    if let Some(document) = current.take() {
        if !refused {
            out.documents.push(document);
        }
    }
    if refused {
        // A file that hit a limit contributes nothing: its documents are not trusted.
        out.documents.clear();
    }
    out
}

/// A value has been completed in the innermost container.
fn advance(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Map { pending_key, .. }) => *pending_key = None,
        Some(Frame::Seq { index, .. }) => *index += 1,
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Arc<Path> {
        Arc::from(Path::new("t.yaml"))
    }

    #[test]
    fn maps_paths_to_locations() {
        let text = "kind: Function\nspec:\n  triggers:\n    - queue: q1\n      batchSize: 10\n";
        let s = scan(&file(), text);
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        let map = &s.documents[0].source_map;
        assert_eq!(map.value("spec.triggers[0].queue").unwrap().line, 4);
        assert_eq!(map.value("spec.triggers[0].queue").unwrap().column, 14);
        assert_eq!(map.key("spec.triggers[0].batchSize").unwrap().column, 7);
        assert_eq!(map.path_at(5, 18), Some("spec.triggers[0].batchSize"));
        assert_eq!(map.nearest("spec.triggers[0].missing").unwrap().line, 4);
    }

    #[test]
    fn splits_documents_and_keeps_their_positions() {
        let text = "a: 1\n---\nb: 2\n---\n# only a comment\n";
        let s = scan(&file(), text);
        assert_eq!(s.documents.len(), 3);
        let second = &s.documents[1];
        assert!(second.has_content);
        assert!(!s.documents[2].has_content);
        let padded = second.padded_text(text);
        assert_eq!(padded.lines().position(|l| l.contains("b: 2")), Some(2));
    }

    #[test]
    fn reports_every_duplicate_key_and_yaml11_boolean() {
        let text = "a: 1\na: 2\nb: {c: yes, d: 'no', e: off}\nb: 3\n";
        let s = scan(&file(), text);
        let messages: Vec<_> = s.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].contains("duplicate key `a`"));
        assert!(messages.iter().any(|m| m.starts_with("`yes`")));
        assert!(messages.iter().any(|m| m.starts_with("`off`")));
        assert!(
            !messages.iter().any(|m| m.starts_with("`no`")),
            "quoted is fine"
        );
    }

    #[test]
    fn refuses_deep_nesting() {
        let text = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let s = scan(&file(), &text);
        assert!(s.documents.is_empty());
        assert!(
            s.diagnostics[0].message.contains("nests deeper than 64"),
            "{:?}",
            s.diagnostics
        );

        // Far deeper input stops in the parser's own recursion limit, with a located error.
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let s = scan(&file(), &text);
        assert!(s.documents.is_empty());
        assert!(s.diagnostics[0].location.is_some());
    }
}
