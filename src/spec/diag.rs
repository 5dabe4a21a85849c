//! Diagnostics: what a user sees when a spec is wrong.
//!
//! Every diagnostic carries `file:line:column` when the source is known, the field path inside the
//! document, a `hint:` when there is an obvious fix, and notes that point at the *other* end of a
//! cross-resource problem (the function a route points at, the queue a trigger reads).

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// Defined in the model, which must not depend on `spec`; the loader and validation use it
// from here.
pub use crate::model::Location;

/// A secondary message that points at a related place, e.g. where a referenced resource is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub location: Option<Location>,
    pub message: String,
}

/// One problem found in a spec tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Option<Location>,
    /// `Kind/name` of the resource the problem belongs to, when known.
    pub resource: Option<String>,
    /// Field path inside the document, e.g. `spec.triggers[0].queue`.
    pub field: Option<String>,
    pub message: String,
    pub hint: Option<String>,
    pub notes: Vec<Note>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            location: None,
            resource: None,
            field: None,
            message: message.into(),
            hint: None,
            notes: Vec::new(),
        }
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.field = (!field.is_empty()).then_some(field);
        self
    }

    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    pub fn note(mut self, location: Option<Location>, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            location,
            message: message.into(),
        });
        self
    }

    /// Order used for reports: by file, then line, then column; diagnostics without a place last.
    pub fn sort_key_cmp(&self, other: &Self) -> Ordering {
        let key = |d: &Self| {
            d.location
                .as_ref()
                .map(|l| (0u8, l.file.to_path_buf(), l.line, l.column))
                .unwrap_or((1, PathBuf::new(), 0, 0))
        };
        key(self)
            .cmp(&key(other))
            .then_with(|| self.message.cmp(&other.message))
    }
}

/// The whole set of problems of one spec tree, sorted, ready to print.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn sort(&mut self) {
        self.0.sort_by(Diagnostic::sort_key_cmp);
        self.0.dedup();
    }

    /// Render all diagnostics for a terminal. `source` gives the text of a file so that the
    /// offending line can be shown under the message.
    pub fn render(&self, source: &dyn Fn(&Path) -> Option<Arc<str>>) -> String {
        let mut out = String::new();
        for diagnostic in &self.0 {
            render_one(&mut out, diagnostic, source);
            out.push('\n');
        }
        let files: std::collections::BTreeSet<_> = self
            .0
            .iter()
            .filter_map(|d| d.location.as_ref().map(|l| l.file.clone()))
            .collect();
        let _ = writeln!(
            out,
            "error: {} {} in {} {}; nothing was applied",
            self.0.len(),
            plural(self.0.len(), "problem", "problems"),
            files.len().max(1),
            plural(files.len().max(1), "file", "files"),
        );
        out
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn render_one(out: &mut String, d: &Diagnostic, source: &dyn Fn(&Path) -> Option<Arc<str>>) {
    match &d.location {
        Some(location) => {
            let _ = writeln!(out, "{location}: error: {}", d.message);
        }
        None => {
            let _ = writeln!(out, "error: {}", d.message);
        }
    }
    match (&d.resource, &d.field) {
        (Some(resource), Some(field)) => {
            let _ = writeln!(out, "  at: {resource} {field}");
        }
        (Some(resource), None) => {
            let _ = writeln!(out, "  at: {resource}");
        }
        (None, Some(field)) => {
            let _ = writeln!(out, "  at: {field}");
        }
        (None, None) => {}
    }
    if let Some(location) = &d.location {
        if let Some(text) = source(&location.file) {
            snippet(out, &text, location);
        }
    }
    if let Some(hint) = &d.hint {
        let _ = writeln!(out, "  hint: {hint}");
    }
    for note in &d.notes {
        match &note.location {
            Some(location) => {
                let _ = writeln!(out, "  note: {location}: {}", note.message);
            }
            None => {
                let _ = writeln!(out, "  note: {}", note.message);
            }
        }
    }
}

/// Show the offending line with a caret under the column. Long lines are cut so that a
/// minified or generated file cannot flood the terminal.
fn snippet(out: &mut String, text: &str, location: &Location) {
    const MAX_WIDTH: usize = 120;
    let Some(line) = text.lines().nth(location.line.saturating_sub(1) as usize) else {
        return;
    };
    let column = location.column.saturating_sub(1) as usize;
    let chars: Vec<char> = line.chars().collect();
    let start = column.saturating_sub(MAX_WIDTH / 2).min(chars.len());
    let end = (start + MAX_WIDTH).min(chars.len());
    let shown: String = chars[start..end]
        .iter()
        .map(|c| if c.is_control() { ' ' } else { *c })
        .collect();
    let gutter = location.line.to_string();
    let pad = " ".repeat(gutter.len());
    let _ = writeln!(out, "  {gutter} | {}", shown.trim_end());
    let _ = writeln!(out, "  {pad} | {}^", " ".repeat(column - start.min(column)));
}

/// Suggest the closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(distance, c)| *distance <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// Levenshtein distance; inputs are field names, so the quadratic cost is irrelevant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_field_names_only() {
        let fields = ["memorySize", "timeout", "handler"];
        assert_eq!(did_you_mean("memroySize", fields), Some("memorySize"));
        assert_eq!(did_you_mean("memorysize", fields), Some("memorySize"));
        assert_eq!(did_you_mean("timeot", fields), Some("timeout"));
        assert_eq!(did_you_mean("colour", fields), None);
    }

    #[test]
    fn snippet_points_at_the_column() {
        let mut out = String::new();
        let loc = Location::new(Arc::from(Path::new("a.yaml")), 2, 5);
        snippet(&mut out, "a: 1\nbcd: xyz\n", &loc);
        assert_eq!(out, "  2 | bcd: xyz\n    |     ^\n");
    }
}
