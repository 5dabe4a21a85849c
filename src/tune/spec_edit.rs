//! `tune --apply`: write the chosen `memorySize` into the function's spec file as a targeted text
//! edit — the value replaced where the loader located it, or the field inserted as the first
//! key of `spec:` — so that every comment, blank line and the layout stay as they were. The file
//! is then loaded again and must still validate with the new size, or it is put back.

use std::path::{Path, PathBuf};

use crate::model::{Location, ResourceSpec, Stack};
use crate::spec::yaml;

/// What `--apply` changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecEdit {
    pub file: PathBuf,
    /// The line now holding `memorySize` (1-based).
    pub line: u32,
    /// The size the spec had before (`None`: the field was absent, Lambda's default applied).
    pub previous_mb: Option<u32>,
}

/// Set `Function/<function>`'s `spec.memorySize` in its file under `dir`, and check that the
/// stack still loads with it. On any failure the file is left (or put back) as it was.
pub fn write_memory_size(
    dir: &Path,
    stack: &Stack,
    function: &str,
    memory_mb: u32,
) -> Result<SpecEdit, String> {
    let resource = stack
        .resources
        .iter()
        .find(|r| r.id.kind == crate::model::Kind::Function && r.id.name == function)
        .ok_or_else(|| format!("Function/{function} is not in the spec"))?;
    if resource.derived_from.is_some() {
        return Err(format!(
            "Function/{function} is derived, not written in a file"
        ));
    }
    let origin = resource
        .origin
        .clone()
        .ok_or_else(|| format!("the file of Function/{function} is not known"))?;
    let path = origin.file.to_path_buf();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let (edited, line, previous) = edit_memory_size(&text, &origin, memory_mb)?;
    if edited == text {
        return Ok(SpecEdit {
            file: path,
            line,
            previous_mb: previous.and_then(|p| p.parse().ok()),
        });
    }
    write_atomically(&path, &edited)?;
    let check = match crate::kinds::load_stack(dir) {
        Ok((reloaded, _)) => match reloaded.get(&resource.id).map(|r| &r.spec) {
            Some(ResourceSpec::Function(f)) if f.memory_size == memory_mb => Ok(()),
            _ => Err(format!(
                "after the edit, Function/{function} does not have memorySize {memory_mb}"
            )),
        },
        Err((diagnostics, sources)) => Err(format!(
            "after the edit the stack no longer validates:\n{}",
            diagnostics.render(&|p| sources.get(p))
        )),
    };
    if let Err(problem) = check {
        write_atomically(&path, &text)?;
        return Err(format!(
            "{problem}; {} was put back as it was",
            path.display()
        ));
    }
    Ok(SpecEdit {
        file: path,
        line,
        previous_mb: previous.and_then(|p| p.parse().ok()),
    })
}

/// Write through a file beside it and a rename, so that an interrupted write never leaves half
/// a spec.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let temporary = path.with_extension("yaml.slsctl-tune");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write {}: {e}", path.display())
        })
}

/// The file's text with the document at `origin` (its `metadata.name`) given `spec.memorySize:
/// memory_mb`; with the line of the field and the text of the value it replaced.
pub fn edit_memory_size(
    text: &str,
    origin: &Location,
    memory_mb: u32,
) -> Result<(String, u32, Option<String>), String> {
    let structure = yaml::scan(&origin.file, text);
    let document = structure
        .documents
        .iter()
        .find(|d| {
            d.source_map
                .key("metadata.name")
                .is_some_and(|l| l.line == origin.line && l.column == origin.column)
        })
        .ok_or_else(|| format!("no document at {origin}"))?;
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let line_start = |line: u32| -> usize {
        lines[..(line as usize - 1).min(lines.len())]
            .iter()
            .map(|l| l.len())
            .sum()
    };
    if let Some(value) = document.source_map.value("spec.memorySize") {
        // Replace the value's token (a number, or an alias to one), nothing else of the line.
        let start = line_start(value.line);
        let line = lines
            .get(value.line as usize - 1)
            .ok_or_else(|| format!("{value} is past the end of the file"))?;
        let from = byte_at_column(line, value.column);
        let length = line[from..]
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | ']' | '#'))
            .unwrap_or(line.len() - from);
        let previous = line[from..from + length].to_string();
        let value_text = memory_mb.to_string();
        // A comment aligned after the value stays in its column: the spaces before it absorb
        // the change of width, as long as one space is left.
        let rest = &line[from + length..];
        let spaces = rest.len() - rest.trim_start_matches(' ').len();
        let mut end = start + from + length;
        let mut padding = String::new();
        if rest[spaces..].starts_with('#') {
            if value_text.len() > previous.len() {
                let shrink = (value_text.len() - previous.len()).min(spaces.saturating_sub(1));
                end += shrink;
            } else {
                padding = " ".repeat(previous.len() - value_text.len());
            }
        }
        let mut edited = String::with_capacity(text.len() + 8);
        edited.push_str(&text[..start + from]);
        edited.push_str(&value_text);
        edited.push_str(&padding);
        edited.push_str(&text[end..]);
        return Ok((edited, value.line, Some(previous)));
    }
    let spec = document
        .source_map
        .key("spec")
        .ok_or_else(|| format!("the document at {origin} has no `spec:`"))?;
    let spec_line = lines
        .get(spec.line as usize - 1)
        .ok_or_else(|| format!("{spec} is past the end of the file"))?;
    let after_key = spec_line[byte_at_column(spec_line, spec.column)..]
        .split_once(':')
        .map_or("", |(_, rest)| rest)
        .trim();
    if !after_key.is_empty() && !after_key.starts_with('#') {
        return Err(format!(
            "{spec}: `spec:` is written on one line (`{}`), where a field cannot be added without rewriting it\n  hint: add `memorySize: {memory_mb}` to it by hand",
            spec_line.trim_end()
        ));
    }
    // The indentation of spec's own keys: that of its first key below it.
    let spec_indent = spec.column as usize - 1;
    let indent = lines[spec.line as usize..]
        .iter()
        .map(|l| l.trim_end_matches(['\n', '\r']))
        .find(|l| {
            let trimmed = l.trim_start();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        })
        .map(|l| l.len() - l.trim_start().len())
        .filter(|&n| n > spec_indent)
        .unwrap_or(spec_indent + 2);
    let at = line_start(spec.line + 1);
    let mut edited = String::with_capacity(text.len() + indent + 16);
    edited.push_str(&text[..at]);
    if !edited.ends_with('\n') {
        edited.push_str(newline);
    }
    edited.push_str(&" ".repeat(indent));
    edited.push_str(&format!("memorySize: {memory_mb}"));
    edited.push_str(newline);
    edited.push_str(&text[at..]);
    Ok((edited, spec.line + 1, None))
}

/// The byte offset of a 1-based character column in `line`.
fn byte_at_column(line: &str, column: u32) -> usize {
    line.char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(line.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const TWO_DOCUMENTS: &str = "\
# Order functions.
apiVersion: slsctl.dev/v1alpha1
kind: Function
metadata:
  name: create-order
spec:
  handler: app.handler   # the entry point
  code: {path: functions/create_order}
  memorySize: 512        # raised after the launch
  timeout: 10
---
apiVersion: slsctl.dev/v1alpha1
kind: Function
metadata:
  name: get-order
spec:
    # reads only
    handler: app.handler
    code: {path: functions/get_order}
";

    fn origin(line: u32) -> Location {
        Location::new(Arc::from(Path::new("functions.yaml")), line, 3)
    }

    #[test]
    fn replaces_the_value_and_keeps_the_comment_beside_it() {
        let (edited, line, previous) = edit_memory_size(TWO_DOCUMENTS, &origin(5), 1024).unwrap();
        assert_eq!(line, 9);
        assert_eq!(previous.as_deref(), Some("512"));
        assert_eq!(
            edited,
            TWO_DOCUMENTS.replace(
                "  memorySize: 512        # raised",
                "  memorySize: 1024       # raised"
            )
        );
    }

    #[test]
    fn a_shorter_value_keeps_the_comment_in_its_column() {
        let (edited, _, _) = edit_memory_size(TWO_DOCUMENTS, &origin(5), 10240).unwrap();
        let (edited, _, _) = edit_memory_size(&edited, &origin(5), 128).unwrap();
        assert_eq!(
            edited,
            TWO_DOCUMENTS.replace("memorySize: 512 ", "memorySize: 128 ")
        );
    }

    #[test]
    fn inserts_the_field_at_the_indentation_of_specs_keys() {
        let (edited, line, previous) = edit_memory_size(TWO_DOCUMENTS, &origin(15), 256).unwrap();
        assert_eq!((line, previous), (17, None));
        assert_eq!(
            edited,
            TWO_DOCUMENTS.replace(
                "spec:\n    # reads",
                "spec:\n    memorySize: 256\n    # reads"
            )
        );
    }

    #[test]
    fn a_one_line_spec_is_refused_with_a_hint() {
        let text = "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata:\n  name: f\nspec: {handler: a.b, code: {path: f}}\n";
        let error = edit_memory_size(text, &origin(4), 256).unwrap_err();
        assert!(error.contains("functions.yaml:5:1"), "{error}");
        assert!(error.contains("hint: add `memorySize: 256`"), "{error}");
    }

    #[test]
    fn keeps_windows_line_endings() {
        let text = TWO_DOCUMENTS.replace('\n', "\r\n");
        let (edited, _, _) = edit_memory_size(&text, &origin(15), 256).unwrap();
        assert!(edited.contains("spec:\r\n    memorySize: 256\r\n    # reads"));
        assert!(!edited.replace("\r\n", "").contains('\n'));
    }
}
