//! The architecture's rules, checked on the source text of `src/`:
//! - no import cycle among the top-level modules (`apply`, `aws`, `model`, `plan`, …: the first
//!   path component under `src/`), so that each layer can be read, tested and changed without
//!   the ones above it;
//! - no source file over 800 lines, so that what one thing does stays in one readable place.
//!
//! An import is a `crate::X` or `super::…` path anywhere in a file's code (not in comments or
//! string literals); code compiled only for tests (`#[cfg(test)]` items, and the files of
//! `#[cfg(test)] mod x;`) does not count: tests may reach across layers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regex_lite::Regex;

const MAX_LINES: usize = 800;

/// Where one module imports another: the first place found, for the failure message.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Site {
    file: String,
    line: usize,
    path: String,
}

/// Top-level module → the top-level modules it imports, each with one place that does.
type Graph = BTreeMap<String, BTreeMap<String, Site>>;

#[test]
fn no_import_cycle_among_top_level_modules() {
    let sources = read_sources();
    let graph = import_graph(&sources);
    assert!(
        graph.len() > 5,
        "found only {:?}: is src/ where it should be?",
        graph.keys()
    );
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "{}",
        cycles
            .iter()
            .map(|c| describe(c, &graph))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The directions the design names, beyond having no cycle: the model knows nothing of how a
/// spec is loaded, validation does not reach into the plan engine, and `text` is a leaf anyone
/// may use.
#[test]
fn the_named_layers_point_one_way() {
    let graph = import_graph(&read_sources());
    let imports = |from: &str, to: &str| graph.get(from).and_then(|e| e.get(to));
    for (from, to) in [("model", "spec"), ("spec", "plan")] {
        if let Some(site) = imports(from, to) {
            panic!(
                "{from} must not import {to}: src/{}:{} ({})",
                site.file, site.line, site.path
            );
        }
    }
    let text = &graph["text"];
    assert!(
        text.is_empty(),
        "text must import nothing from the crate: {text:?}"
    );
}

#[test]
fn no_source_file_over_800_lines() {
    let mut offenders: Vec<(usize, String)> = read_sources()
        .into_iter()
        .map(|(path, text)| (text.lines().count(), path))
        .filter(|(lines, _)| *lines > MAX_LINES)
        .collect();
    offenders.sort_by(|a, b| b.cmp(a));
    assert!(
        offenders.is_empty(),
        "source files over {MAX_LINES} lines (split them along their seams):\n{}",
        offenders
            .iter()
            .map(|(lines, path)| format!("  src/{path}: {lines} lines"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The check itself, on sources made up for it: what it must see and what it must not.
#[test]
fn the_import_check_reads_paths_and_skips_comments_strings_and_test_code() {
    let sources: Vec<(String, String)> = [
        (
            "lib.rs",
            "pub mod alpha;\npub mod beta;\npub mod gamma;\npub mod delta;\n",
        ),
        (
            "alpha/mod.rs",
            r##"mod more;
use crate::beta::Thing; // but not crate::gamma here
/* nor crate::gamma /* nested */ crate::gamma */
const TEXT: &str = "crate::gamma";
const RAW: &str = r#"crate::gamma "quoted""#;
fn lifetimes<'a>(x: &'a str) -> char { let _ = x; '"' }
#[cfg(test)]
mod tests {
    use crate::gamma::Hidden;
    fn inner() { let _ = crate::delta::x; }
}
#[cfg(test)]
mod fixtures;
"##,
        ),
        // Compiled only for tests (declared `#[cfg(test)] mod fixtures;`): not an import.
        ("alpha/fixtures.rs", "use crate::delta::Fixture;\n"),
        // `super` in a child file stays in `alpha`; grouped imports are each counted.
        (
            "alpha/more.rs",
            "use super::Local;\nuse crate::{gamma::One, beta::{Two, Three}};\n",
        ),
        // `super` from a top-level file is the crate root.
        ("beta.rs", "use super::{alpha::A, self as _};\n"),
        // An inline module's `super::super` leaves `gamma` for the root.
        (
            "gamma.rs",
            "pub mod inner {\n    use super::super::delta::D;\n}\nfn f() {}\n",
        ),
        ("delta.rs", "pub fn d() -> u8 { b'x' }\n"),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t.to_string()))
    .collect();

    let graph = import_graph(&sources);
    let edges = |module: &str| -> Vec<&str> {
        graph[module].keys().map(String::as_str).collect::<Vec<_>>()
    };
    assert_eq!(edges("alpha"), ["beta", "gamma"]);
    assert_eq!(edges("beta"), ["alpha"]);
    assert_eq!(edges("gamma"), ["delta"]);
    assert!(edges("delta").is_empty());
    assert_eq!(
        graph["alpha"]["gamma"],
        Site {
            file: "alpha/more.rs".into(),
            line: 2,
            path: "crate::{gamma".into()
        }
    );
    assert_eq!(graph["gamma"]["delta"].line, 2);

    let found = cycles(&graph);
    let pair = || vec!["alpha".to_string(), "beta".to_string()];
    assert_eq!(
        found,
        [Knot {
            modules: pair(),
            cycle: pair()
        }]
    );
    let text = describe(&found[0], &graph);
    assert!(
        text.starts_with("import cycle: alpha -> beta -> alpha\n"),
        "{text}"
    );
    assert!(
        text.contains("alpha -> beta at src/alpha/mod.rs:2 (crate::beta)"),
        "{text}"
    );
    assert!(
        text.contains("beta -> alpha at src/beta.rs:1 (super::{alpha)"),
        "{text}"
    );
}

/// Every `.rs` file under `src/`, as (path relative to `src/` with `/` separators, text).
fn read_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path: PathBuf = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let relative = path.strip_prefix(&root).expect("under src/");
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((name, text));
            }
        }
    }
    files.sort();
    files
}

/// The module path of a file: `aws/error.rs` is `aws::error`, `aws/mod.rs` is `aws`, `lib.rs`
/// the crate root. `main.rs` is another crate (the binary): `None`.
fn module_path(file: &str) -> Option<Vec<String>> {
    if file == "main.rs" || file.starts_with("bin/") {
        return None;
    }
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    Some(parts)
}

/// A source file, read for its imports.
struct Parsed {
    file: String,
    module: Vec<String>,
    /// Without comments, literals and test-only items.
    code: String,
    /// The modules it declares `#[cfg(test)] mod x;`, as module paths.
    test_modules: Vec<Vec<String>>,
}

fn import_graph(sources: &[(String, String)]) -> Graph {
    let parsed: Vec<Parsed> = sources
        .iter()
        .filter_map(|(file, text)| {
            let module = module_path(file)?;
            let (code, test_modules) = without_test_code(&blank_comments_and_literals(text));
            let test_modules = test_modules
                .into_iter()
                .map(|name| [module.clone(), vec![name]].concat())
                .collect();
            Some(Parsed {
                file: file.clone(),
                module,
                code,
                test_modules,
            })
        })
        .collect();
    let test_modules: Vec<&Vec<String>> = parsed.iter().flat_map(|p| &p.test_modules).collect();
    let top_level: BTreeSet<String> = parsed
        .iter()
        .filter_map(|p| p.module.first().cloned())
        .collect();

    let mut graph: Graph = top_level
        .iter()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    for p in &parsed {
        let Some(top) = p.module.first() else {
            continue; // the crate root only declares the modules
        };
        if test_modules.iter().any(|t| p.module.starts_with(t)) {
            continue;
        }
        for (target, line, path) in imports(&p.module, &p.code) {
            if &target != top && top_level.contains(&target) {
                graph
                    .get_mut(top)
                    .expect("every top-level module is a node")
                    .entry(target)
                    .or_insert(Site {
                        file: p.file.clone(),
                        line,
                        path,
                    });
            }
        }
    }
    graph
}

/// The top-level module each `crate::`/`super::` path in `code` leads to, with its line and the
/// path's start as written. `module` is the file's module path; inline `mod x { … }` blocks
/// are followed so that their `super` resolves.
fn imports(module: &[String], code: &str) -> Vec<(String, usize, String)> {
    let token = Regex::new(
        r"\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{|\{|\}|\b(crate|super)((?:\s*::\s*super\b)*)\s*::\s*(\{|[A-Za-z_][A-Za-z0-9_]*)",
    )
    .expect("a valid pattern");
    let mut found = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(caps) = token.captures_at(code, at) {
        let whole = caps.get(0).expect("a match");
        at = whole.end();
        let line = code[..whole.start()].matches('\n').count() + 1;
        if let Some(name) = caps.get(1) {
            inline.push((name.as_str().to_string(), depth));
            depth += 1;
        } else if whole.as_str() == "{" {
            depth += 1;
        } else if whole.as_str() == "}" {
            depth = depth.saturating_sub(1);
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
        } else {
            let here: Vec<String> = module
                .iter()
                .cloned()
                .chain(inline.iter().map(|(n, _)| n.clone()))
                .collect();
            let base: Vec<String> = if &caps[2] == "crate" {
                Vec::new()
            } else {
                let ups = 1 + caps[3].matches("super").count();
                here[..here.len().saturating_sub(ups)].to_vec()
            };
            let written: String = whole.as_str().split_whitespace().collect();
            let group = &caps[4] == "{";
            let names = if group {
                let (names, end) = group_heads(code, whole.end());
                at = end;
                names
            } else {
                vec![caps[4].to_string()]
            };
            for name in names {
                // As written, up to the name that decides the module: `crate::plan`, `super::{spec`.
                let written = if group {
                    format!("{written}{name}")
                } else {
                    written.clone()
                };
                let target = match base.first() {
                    Some(top) => top.clone(),
                    None if name == "self" => continue,
                    None => name,
                };
                found.push((target, line, written));
            }
        }
    }
    found
}

/// The first name of each item of a `{ a::b, c::{d, e}, f }` group whose `{` ends at `start`,
/// and where the group ends.
fn group_heads(code: &str, start: usize) -> (Vec<String>, usize) {
    let mut heads = Vec::new();
    let mut depth = 1;
    let mut item_start = true;
    let mut end = code.len();
    let mut chars = code[start..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = start + i + 1;
                    break;
                }
            }
            ',' if depth == 1 => item_start = true,
            c if item_start && (c.is_alphabetic() || c == '_') => {
                let mut name = c.to_string();
                while let Some(&(_, n)) = chars.peek() {
                    if !(n.is_alphanumeric() || n == '_') {
                        break;
                    }
                    name.push(n);
                    chars.next();
                }
                heads.push(name);
                item_start = false;
            }
            _ => {}
        }
    }
    (heads, end)
}

/// `text` with comments, string and character literals replaced by spaces (newlines kept, so
/// line numbers stay right): what is left is code.
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
                out.push(' ');
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && next == Some('r')))
            && (i == 0 || !ident(chars[i - 1]))
            && {
                let mut j = i + if c == 'b' { 2 } else { 1 };
                while chars.get(j) == Some(&'#') {
                    j += 1;
                }
                chars.get(j) == Some(&'"')
            }
        {
            // A raw string: r"…", r#"…"#, br#"…"#; it ends at `"` followed by as many `#`.
            let mut j = i + if c == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while chars[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &c in &chars[i..j.min(chars.len())] {
                blank(&mut out, c);
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    blank(&mut out, c);
                }
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\u{1F600}'); otherwise `'` starts a lifetime.
            let mut j = i + 1;
            if next == Some('\\') {
                j += 2;
            }
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            for &c in &chars[i..(j + 1).min(chars.len())] {
                blank(&mut out, c);
            }
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `code` without its `#[cfg(test)]` items (blanked, newlines kept), and the names of the
/// modules declared `#[cfg(test)] mod name;` (their files are test code too).
fn without_test_code(code: &str) -> (String, Vec<String>) {
    let attribute = Regex::new(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]").expect("a valid pattern");
    let module_declaration =
        Regex::new(r"^(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;")
            .expect("a valid pattern");
    let mut out = code.to_string();
    let mut test_modules = Vec::new();
    for found in attribute.find_iter(code) {
        let bytes = code.as_bytes();
        let mut i = found.end();
        // Other attributes of the same item.
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if bytes.get(i) != Some(&b'#') {
                break;
            }
            let mut depth = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        if let Some(declaration) = module_declaration.captures(&code[i..]) {
            test_modules.push(declaration[1].to_string());
        }
        // The item runs to its `;` or to the `}` that closes its first block.
        let mut nesting = 0i32;
        while i < bytes.len() {
            match bytes[i] {
                b'(' | b'[' => nesting += 1,
                b')' | b']' => nesting -= 1,
                b';' if nesting == 0 => break,
                b'{' if nesting == 0 => {
                    let mut depth = 0;
                    while i < bytes.len() {
                        match bytes[i] {
                            b'{' => depth += 1,
                            b'}' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let end = (i + 1).min(code.len());
        let blanked: String = code[found.start()..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(found.start()..end, &blanked);
    }
    (out, test_modules)
}

/// Modules that all import each other, directly or not (a strongly connected component), and
/// the shortest cycle through the first of them, as the modules in order.
#[derive(Debug, PartialEq)]
struct Knot {
    modules: Vec<String>,
    cycle: Vec<String>,
}

/// The knots of the graph: none when the imports form layers.
fn cycles(graph: &Graph) -> Vec<Knot> {
    let reachable = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::from([from]);
        while let Some(m) = queue.pop_front() {
            for next in graph.get(m).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    queue.push_back(next);
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reachable(m))).collect();
    let mut placed = BTreeSet::new();
    let mut found = Vec::new();
    for (module, from_here) in &reach {
        if placed.contains(*module) || !from_here.contains(*module) {
            continue;
        }
        let knot: BTreeSet<&String> = from_here
            .iter()
            .filter(|other| reach[other].contains(*module))
            .collect();
        placed.extend(knot.iter().map(|m| (*m).clone()));
        // Breadth-first inside the knot, back to where it started.
        let mut previous: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue: VecDeque<&String> = VecDeque::from([*module]);
        'search: while let Some(m) = queue.pop_front() {
            for next in graph[m].keys().filter(|n| knot.contains(n)) {
                if next == *module {
                    previous.insert(next, m);
                    break 'search;
                }
                if !previous.contains_key(next) {
                    previous.insert(next, m);
                    queue.push_back(next);
                }
            }
        }
        let mut cycle = vec![(*module).clone()];
        let mut at = previous[*module];
        while at != *module {
            cycle.push(at.clone());
            at = previous[at];
        }
        cycle[1..].reverse();
        found.push(Knot {
            modules: knot.into_iter().cloned().collect(),
            cycle,
        });
    }
    found
}

fn describe(knot: &Knot, graph: &Graph) -> String {
    let cycle = &knot.cycle;
    let mut text = format!("import cycle: {} -> {}\n", cycle.join(" -> "), cycle[0]);
    for (i, from) in cycle.iter().enumerate() {
        let to = &cycle[(i + 1) % cycle.len()];
        let site = &graph[from][to];
        let _ = writeln!(
            text,
            "  {from} -> {to} at src/{}:{} ({})",
            site.file, site.line, site.path
        );
    }
    if knot.modules.len() > cycle.len() {
        let _ = writeln!(
            text,
            "  (more cycles among {}: breaking this one may leave others)",
            knot.modules.join(", ")
        );
    }
    text
}
