//! Progress of an apply on stderr: plain lines for logs, CI and tests; on a terminal, the same
//! finished lines scroll by above one status line that fits the terminal's width and shows the
//! elapsed time of the apply and of each running action, refreshed every second.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::color;
use crate::apply::{ActionReport, Outcome, Progress};
use crate::plan::ResourceAction;

/// Progress as plain lines on stderr (one when an action starts, one when it ends).
pub struct Lines;

impl Lines {
    fn finished_line(report: &ActionReport) -> String {
        match &report.outcome {
            Outcome::Done => format!("  ✓ {} ({:.1}s)", report.id, report.seconds),
            Outcome::Failed(why) => format!("  ✗ {}: {why}", report.id),
            Outcome::Skipped(why) => format!("  - {} skipped: {why}", report.id),
        }
    }
}

impl Progress for Lines {
    fn started(&self, action: &ResourceAction) {
        eprintln!(
            "  {} {}: {:?}…",
            action.action.marker(),
            action.id,
            action.action
        );
    }
    fn finished(&self, report: &ActionReport) {
        eprintln!(
            "{}",
            color::outcome_for_stderr(&Self::finished_line(report))
        );
    }
    fn waiting(&self, id: &crate::model::ResourceId, what: &str) {
        eprintln!("  … {id}: {what}");
    }
}

#[derive(Default)]
struct LiveState {
    done: usize,
    /// Running actions by label (`+ Function/api`), with when they started.
    running: BTreeMap<String, Instant>,
}

/// Progress on a terminal: finished actions scroll by, one status line at the bottom.
pub struct Live {
    total: usize,
    started: Instant,
    state: Mutex<LiveState>,
    stopped: AtomicBool,
}

impl Live {
    /// Start the display and its once-a-second refresh (for the elapsed times); call
    /// [`Live::stop`] when the apply ends.
    pub fn start(total: usize) -> Arc<Live> {
        let live = Arc::new(Live {
            total,
            started: Instant::now(),
            state: Mutex::default(),
            stopped: AtomicBool::new(false),
        });
        let ticker = Arc::downgrade(&live);
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            let Some(live) = ticker.upgrade() else { break };
            if live.stopped.load(Ordering::Relaxed) {
                break;
            }
            let state = live.state.lock().unwrap_or_else(|e| e.into_inner());
            live.redraw(&state);
        });
        live
    }

    /// Clear the status line for good (the summary follows).
    pub fn stop(&self) {
        let _state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.stopped.store(true, Ordering::Relaxed);
        eprint!("\r\x1b[K");
    }

    fn redraw(&self, state: &LiveState) {
        if self.stopped.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        let running: Vec<(String, Duration)> = state
            .running
            .iter()
            .map(|(label, since)| (label.clone(), now.duration_since(*since)))
            .collect();
        let line = status_line(
            state.done,
            self.total,
            now.duration_since(self.started),
            &running,
            terminal_width(),
        );
        eprint!("\r\x1b[K{line}");
    }
}

/// The terminal's width in columns (stderr's), 80 when it cannot be told.
fn terminal_width() -> usize {
    terminal_size::terminal_size_of(std::io::stderr())
        .map(|(width, _)| usize::from(width.0))
        .filter(|w| *w > 0)
        .unwrap_or(80)
}

/// `[3/10 12s] + Function/api 4s, ~ Queue/jobs 1s`, cut to fit `width` columns (one column is
/// left free so that the cursor never wraps the line).
pub fn status_line(
    done: usize,
    total: usize,
    elapsed: Duration,
    running: &[(String, Duration)],
    width: usize,
) -> String {
    let items: Vec<String> = running
        .iter()
        .map(|(label, time)| format!("{label} {}", seconds(*time)))
        .collect();
    let line = format!("[{done}/{total} {}] {}", seconds(elapsed), items.join(", "));
    fit(line.trim_end(), width.saturating_sub(1))
}

fn seconds(time: Duration) -> String {
    let secs = time.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// `text` cut to at most `width` characters, with `…` where it was cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

impl Progress for Live {
    fn started(&self, action: &ResourceAction) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.running.insert(
            format!("{} {}", action.action.marker(), action.id),
            Instant::now(),
        );
        self.redraw(&state);
    }
    fn finished(&self, report: &ActionReport) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.done += 1;
        let suffix = format!(" {}", report.id);
        state.running.retain(|label, _| !label.ends_with(&suffix));
        eprint!("\r\x1b[K");
        Lines.finished(report);
        self.redraw(&state);
    }
    fn waiting(&self, id: &crate::model::ResourceId, what: &str) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        eprint!("\r\x1b[K");
        Lines.waiting(id, what);
        self.redraw(&state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_shows_counts_and_elapsed_times() {
        let running = [
            ("+ Function/api".to_string(), Duration::from_secs(4)),
            ("~ Queue/jobs".to_string(), Duration::from_millis(1500)),
        ];
        assert_eq!(
            status_line(3, 10, Duration::from_secs(75), &running, 200),
            "[3/10 1m15s] + Function/api 4s, ~ Queue/jobs 1s"
        );
        assert_eq!(
            status_line(0, 2, Duration::ZERO, &[], 80),
            "[0/2 0s]",
            "nothing running yet"
        );
    }

    #[test]
    fn the_status_line_fits_the_terminal_width() {
        let running: Vec<(String, Duration)> = (0..20)
            .map(|i| (format!("+ Function/handler-{i}"), Duration::from_secs(i)))
            .collect();
        let full = status_line(1, 40, Duration::from_secs(9), &running, 10_000);
        assert!(full.starts_with("[1/40 9s] + Function/handler-0 0s, + Function/handler-1 1s"));
        for width in [20, 40, 80, 132] {
            let line = status_line(1, 40, Duration::from_secs(9), &running, width);
            assert_eq!(line.chars().count(), width - 1, "{line}");
            let kept = line.strip_suffix('…').expect("cut lines end with …");
            assert!(full.starts_with(kept), "{line}");
        }
        // Wide enough: nothing is cut.
        let short = status_line(1, 2, Duration::from_secs(1), &running[..1], 80);
        assert!(!short.contains('…'), "{short}");
    }
}
