//! Colour for people, never for machines: plan markers and diagnostics are painted only when the
//! stream is a terminal and `NO_COLOR` is unset (<https://no-color.org>), or when the user asks
//! with `--color always`. The renderers stay colourless (their snapshots and JSON never hold
//! escape codes); painting is a pass over their finished text, line by line.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color auto|always|never`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set to a non-empty value.
    #[default]
    Auto,
    /// Colour even into a pipe or file (and despite `NO_COLOR`: the flag is the user's latest word).
    Always,
    /// No colour.
    Never,
}

/// Whether to paint a stream: the decision alone, without looking at the process, so that it
/// can be tested.
pub fn decide(choice: ColorChoice, is_terminal: bool, no_color: Option<&str>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && no_color.is_none_or(str::is_empty),
    }
}

struct Streams {
    stdout: bool,
    stderr: bool,
}

static STREAMS: OnceLock<Streams> = OnceLock::new();

/// Settle the choice once, at start-up, for both streams.
pub fn init(choice: ColorChoice) {
    let no_color = std::env::var("NO_COLOR").ok();
    let _ = STREAMS.set(Streams {
        stdout: decide(choice, std::io::stdout().is_terminal(), no_color.as_deref()),
        stderr: decide(choice, std::io::stderr().is_terminal(), no_color.as_deref()),
    });
}

fn stdout_enabled() -> bool {
    STREAMS.get().is_some_and(|s| s.stdout)
}

/// Whether stderr gets colour (`--color`, `NO_COLOR`, a terminal): logs follow it too.
pub fn stderr_enabled() -> bool {
    STREAMS.get().is_some_and(|s| s.stderr)
}

const RESET: &str = "\x1b[0m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD_RED: &str = "\x1b[1;31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

/// The colour of a plan marker: green creates, yellow updates, red deletions and replacements.
fn marker_colour(marker: &str) -> Option<&'static str> {
    match marker {
        "+" => Some(GREEN),
        "~" => Some(YELLOW),
        "-" | "-/+" => Some(RED),
        "!" => Some(BOLD_RED),
        _ => None,
    }
}

/// Paint the marker of a line indented by `indent` spaces and followed by a space, if it has one.
fn paint_marker(line: &str, indent: usize) -> Option<String> {
    let rest = line.strip_prefix(&" ".repeat(indent))?;
    let (marker, tail) = rest.split_once(' ')?;
    let colour = marker_colour(marker)?;
    let pad = &line[..indent];
    Some(format!("{pad}{colour}{marker}{RESET} {tail}"))
}

/// `text` with each line (without its newline) replaced by what `paint` makes of it.
fn paint_lines(text: &str, paint: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        out.push_str(&paint(body));
        out.push_str(newline);
    }
    out
}

/// A rendered plan (`render::plan_text`) with coloured markers, refusals and hints.
pub fn paint_plan(text: &str) -> String {
    paint_lines(text, |body| {
        if let Some(rest) = body.strip_prefix("    hint: ") {
            format!("    {CYAN}hint:{RESET} {rest}")
        } else if body.starts_with("Refused") || body.starts_with("Not deleted") {
            format!("{BOLD_RED}{body}{RESET}")
        } else if body.starts_with("Plan: ") || body.starts_with("No changes.") {
            format!("{BOLD}{body}{RESET}")
        } else if let Some(rest) = body.strip_prefix("      # ") {
            format!("      {DIM}# {rest}{RESET}")
        } else if let Some(painted) = paint_marker(body, 2).or_else(|| paint_marker(body, 6)) {
            painted
        } else if let Some(painted) = paint_marker(body, 10) {
            // The line-by-line diff of a multi-line value.
            painted
        } else {
            body.to_string()
        }
    })
}

/// Rendered diagnostics (`spec::diag`) with `error`, `hint`, `note` and the caret coloured.
pub fn paint_diagnostics(text: &str) -> String {
    paint_lines(text, |body| {
        if let Some(rest) = body.strip_prefix("error: ") {
            format!("{BOLD_RED}error:{RESET} {rest}")
        } else if let Some((location, rest)) = body
            .split_once(": error: ")
            .filter(|_| !body.starts_with(' '))
        {
            format!("{BOLD}{location}:{RESET} {BOLD_RED}error:{RESET} {rest}")
        } else if let Some(rest) = body.strip_prefix("  hint: ") {
            format!("  {CYAN}hint:{RESET} {rest}")
        } else if let Some(rest) = body.strip_prefix("  note: ") {
            format!("  {CYAN}note:{RESET} {rest}")
        } else if is_caret_line(body) {
            let at = body.len() - 1;
            format!("{}{RED}^{RESET}", &body[..at])
        } else {
            body.to_string()
        }
    })
}

/// The caret under a snippet's column: `  <spaces> | <spaces>^`.
fn is_caret_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.len() >= 2
        && trimmed.starts_with('|')
        && trimmed.ends_with('^')
        && trimmed[1..trimmed.len() - 1].trim().is_empty()
}

/// `error: …` for the end of a failed command.
pub fn error_line(message: &str) -> String {
    if stderr_enabled() {
        format!("{BOLD_RED}error:{RESET} {message}")
    } else {
        format!("error: {message}")
    }
}

/// A plan for stdout, painted when stdout takes colour.
pub fn plan_for_stdout(text: &str) -> String {
    if stdout_enabled() {
        paint_plan(text)
    } else {
        text.to_string()
    }
}

/// A plan for stderr (when stdout carries JSON or YAML), painted when stderr takes colour.
pub fn plan_for_stderr(text: &str) -> String {
    if stderr_enabled() {
        paint_plan(text)
    } else {
        text.to_string()
    }
}

/// Diagnostics for stderr, painted when stderr takes colour.
pub fn diagnostics_for_stderr(text: &str) -> String {
    if stderr_enabled() {
        paint_diagnostics(text)
    } else {
        text.to_string()
    }
}

/// A status word for stdout (`slsctl get`), in the given colour when stdout takes colour.
pub fn status_for_stdout(word: &str, in_sync: bool, width: usize) -> String {
    let padded = format!("{word:<width$}");
    if !stdout_enabled() {
        return padded;
    }
    let colour = if in_sync { GREEN } else { YELLOW };
    format!("{colour}{word}{RESET}{}", &padded[word.len()..])
}

/// An apply's finished line for stderr: the ✓ green, the ✗ red.
pub fn outcome_for_stderr(line: &str) -> String {
    if !stderr_enabled() {
        return line.to_string();
    }
    for (mark, colour) in [("✓", GREEN), ("✗", RED)] {
        if let Some((pad, rest)) = line.split_once(mark).filter(|(p, _)| p.trim().is_empty()) {
            return format!("{pad}{colour}{mark}{RESET}{rest}");
        }
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_a_terminal_unless_no_color_is_set() {
        assert!(decide(ColorChoice::Auto, true, None));
        assert!(!decide(ColorChoice::Auto, true, Some("1")));
        // An empty NO_COLOR counts as unset (no-color.org).
        assert!(decide(ColorChoice::Auto, true, Some("")));
        assert!(!decide(ColorChoice::Auto, false, None));
    }

    #[test]
    fn always_and_never_win_over_the_terminal_and_no_color() {
        assert!(decide(ColorChoice::Always, false, Some("1")));
        assert!(!decide(ColorChoice::Never, true, None));
    }

    #[test]
    fn plan_markers_are_painted_and_the_text_is_otherwise_unchanged() {
        let plan = "Stack s (account 1, us-east-1)\n\n  + Queue/jobs (s-jobs) will be created\n      + delaySeconds = 0\n\n  -/+ Queue/old (s-old) must be replaced\n      # fifo: SQS cannot\n  ~ Function/f (s-f) will be updated in place\n      ~ memorySize: 128 → 256\n  - Rule/r (s-r) will be deleted\nRefused (nothing will be applied until these are resolved):\n  ! a Queue named `x` already exists\n    hint: rename it\nPlan: 1 to create, 1 to update, 1 to replace, 1 to delete, 0 to release; 0 unchanged.\n";
        let painted = paint_plan(plan);
        assert!(painted.contains(&format!("  {GREEN}+{RESET} Queue/jobs")));
        assert!(painted.contains(&format!("      {GREEN}+{RESET} delaySeconds = 0")));
        assert!(painted.contains(&format!("  {RED}-/+{RESET} Queue/old")));
        assert!(painted.contains(&format!("  {YELLOW}~{RESET} Function/f")));
        assert!(painted.contains(&format!("  {RED}-{RESET} Rule/r")));
        assert!(painted.contains(&format!("  {BOLD_RED}!{RESET} a Queue")));
        assert!(painted.contains(&format!("    {CYAN}hint:{RESET} rename it")));
        let stripped = strip(&painted);
        assert_eq!(stripped, plan, "painting only adds escape codes");
    }

    #[test]
    fn diagnostics_are_painted_and_the_text_is_otherwise_unchanged() {
        let text = "q.yaml:4:8: error: unknown field `delaySecond`\n  at: Queue/q spec.delaySecond\n  4 | spec: {delaySecond: 5}\n    |        ^\n  hint: did you mean `delaySeconds`?\n  note: f.yaml:9:12: here\n\nerror: 1 problem in 1 file; nothing was applied\n";
        let painted = paint_diagnostics(text);
        assert!(painted.contains(&format!(
            "q.yaml:4:8:{RESET} {BOLD_RED}error:{RESET} unknown"
        )));
        assert!(painted.contains(&format!("  {CYAN}hint:{RESET} did you mean")));
        assert!(painted.contains(&format!("  {CYAN}note:{RESET} f.yaml")));
        assert!(painted.contains(&format!("       {RED}^{RESET}")));
        assert!(painted.contains(&format!("{BOLD_RED}error:{RESET} 1 problem")));
        assert_eq!(strip(&painted), text);
    }

    /// The text without its escape codes.
    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
