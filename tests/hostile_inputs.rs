//! Hostile spec trees given to the `slsctl validate` binary: each is a clear, located error, in
//! bounded time and memory (peak RSS of the process, read with getrusage through Python's
//! `resource` module, which CI has for the emulator anyway), and never a panic.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const STACK: &str =
    "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: hostile}\nspec: {}\n";

struct Run {
    code: i32,
    stderr: String,
    seconds: f64,
    peak_rss_mib: f64,
}

/// Run `slsctl validate -f root` under a tiny Python wrapper that reports the child's peak RSS.
fn validate(root: &Path) -> Run {
    let script = "import resource, subprocess, sys\n\
                  p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n\
                  sys.stderr.buffer.write(p.stderr)\n\
                  print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let started = Instant::now();
    let out = Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_slsctl"), "validate", "-f"])
        .arg(root)
        .output()
        .expect("python3 runs");
    let seconds = started.elapsed().as_secs_f64();
    let report = String::from_utf8_lossy(&out.stdout);
    let mut fields = report.split_whitespace();
    let code: i32 = fields
        .next()
        .and_then(|c| c.parse().ok())
        .expect("exit code");
    let kib: f64 = fields
        .next()
        .and_then(|k| k.parse().ok())
        .expect("ru_maxrss");
    Run {
        code,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        seconds,
        peak_rss_mib: kib / 1024.0,
    }
}

/// A tree with the Stack document and `file` holding `content`.
fn tree(file: &str, content: &[u8]) -> tempfile::TempDir {
    let dir = support::spec_dir(&[("stack.yaml", STACK)]);
    std::fs::write(dir.path().join(file), content).unwrap();
    dir
}

fn check(case: &str, root: &Path, expected: &[&str]) {
    let run = validate(root);
    eprintln!(
        "{case}: exit {}, {:.2} s, peak RSS {:.1} MiB",
        run.code, run.seconds, run.peak_rss_mib
    );
    assert_eq!(
        run.code, 1,
        "{case}: an error, not a crash:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{case}:\n{}", run.stderr);
    for needle in expected {
        assert!(
            run.stderr.contains(needle),
            "{case}: expected {needle:?} in:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("nothing was applied"),
        "{case}:\n{}",
        run.stderr
    );
    assert!(run.seconds < 10.0, "{case}: took {:.1} s", run.seconds);
    assert!(
        run.peak_rss_mib < 150.0,
        "{case}: peak RSS {:.1} MiB",
        run.peak_rss_mib
    );
}

#[test]
fn an_alias_expansion_bomb() {
    let mut bomb = String::from(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: a}\nspec: {}\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let dir = tree("bomb.yaml", bomb.as_bytes());
    check("alias bomb", dir.path(), &["bomb.yaml:"]);
}

#[test]
fn ten_thousand_levels_of_nesting() {
    let deep = format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: a}}\nspec: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let dir = tree("deep.yaml", deep.as_bytes());
    check("10,000-deep nesting", dir.path(), &["deep.yaml:4:"]);
    let mappings = format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: a}}\nspec: {}x{}\n",
        "{a: ".repeat(10_000),
        "}".repeat(10_000)
    );
    let dir = tree("deep.yaml", mappings.as_bytes());
    check("10,000 nested mappings", dir.path(), &["deep.yaml:4:"]);
}

#[test]
fn a_100_mb_file() {
    let dir = support::spec_dir(&[("stack.yaml", STACK)]);
    let file = std::fs::File::create(dir.path().join("huge.yaml")).unwrap();
    // Sparse: 100 MB on paper, nothing on disk; the loader must refuse it by its size.
    file.set_len(100 * 1024 * 1024).unwrap();
    check(
        "100 MB file",
        dir.path(),
        &["huge.yaml", "104857600 bytes", "at most 4194304 bytes"],
    );
}

#[test]
fn duplicate_keys() {
    let dir = tree(
        "dup.yaml",
        b"apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: a}\nspec:\n  delaySeconds: 1\n  delaySeconds: 2\n",
    );
    check("duplicate keys", dir.path(), &["dup.yaml:6:3", "duplicate"]);
}

#[test]
fn non_utf8_input() {
    let mut bytes =
        b"apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: a}\nspec: {description: caf".to_vec();
    bytes.extend_from_slice(&[0xe9, 0xff, 0xfe]);
    bytes.extend_from_slice(b"}\n");
    let dir = tree("latin1.yaml", &bytes);
    check(
        "non-UTF-8",
        dir.path(),
        &["latin1.yaml:4:", "not valid UTF-8", "hint:"],
    );
}

#[test]
fn a_symlink_out_of_the_spec_root() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.yaml"),
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: stolen}\nspec: {}\n",
    )
    .unwrap();
    let dir = support::spec_dir(&[("stack.yaml", STACK)]);
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("linked.yaml"),
    )
    .unwrap();
    check(
        "symlink out of the root",
        dir.path(),
        &["linked.yaml is a symlink", "outside the spec root", "hint:"],
    );
}

/// The whole tree is capped too: many files each under the per-file cap.
#[test]
fn a_tree_over_the_total_cap() {
    let dir = support::spec_dir(&[("stack.yaml", STACK)]);
    for i in 0..20 {
        let file = std::fs::File::create(dir.path().join(format!("part{i:02}.yaml"))).unwrap();
        file.set_len(4 * 1024 * 1024 - 1).unwrap();
    }
    let started = Instant::now();
    check(
        "20 files of 4 MB",
        dir.path(),
        &["more than 67108864 bytes"],
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}
