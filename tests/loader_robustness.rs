//! The spec loader never panics, never hangs, and always locates its errors, whatever the input:
//! arbitrary bytes, arbitrary YAML built from the spec's own vocabulary, and the public YAML test
//! suite's inputs when `../shared` is there, and the project's own corpus (tests/data/yaml-corpus),
//! which needs nothing beside the repository.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const STACK: &str =
    "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: fuzz}\nspec: {}\n";

/// Load a tree holding a Stack document and `content` as a second file; check the invariants.
fn load_with(content: &[u8]) {
    let dir = support::spec_dir(&[("stack.yaml", STACK)]);
    std::fs::write(dir.path().join("input.yaml"), content).unwrap();
    check(dir.path());
}

fn check(root: &Path) {
    let started = Instant::now();
    let result = slsctl::kinds::load_stack(root);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "loading took {:?}",
        started.elapsed()
    );
    if let Err((diagnostics, sources)) = result {
        assert!(
            !diagnostics.is_empty(),
            "a failed load reports at least one problem"
        );
        for d in diagnostics.iter() {
            // Problems inside the input file carry a line and column inside that file.
            if let Some(location) = &d.location {
                assert!(location.line >= 1 && location.column >= 1, "{d:?}");
                if let Some(text) = sources.get(&location.file) {
                    assert!(
                        location.line as usize <= text.lines().count().max(1) + 1,
                        "line beyond the file: {d:?}"
                    );
                }
            }
        }
        // Rendering must not panic either (snippets cut lines at char boundaries).
        let _ = diagnostics.render(&|p| sources.get(p));
    }
}

/// YAML text built from the spec's vocabulary, with anchors, aliases and odd scalars.
fn yaml_value(depth: u32) -> BoxedStrategy<String> {
    let scalar = prop_oneof![
        Just("yes".to_string()),
        Just("no".to_string()),
        Just("~".to_string()),
        Just("\"quoted\"".to_string()),
        Just("arn:aws:sqs:us-east-1:123456789012:q".to_string()),
        Just("Queue/q".to_string()),
        Just("*a".to_string()),
        Just("&a x".to_string()),
        Just("!!binary aGk=".to_string()),
        Just("0x1F".to_string()),
        Just("1e400".to_string()),
        Just("-5".to_string()),
        "[a-z]{1,8}",
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    if depth == 0 {
        return scalar.boxed();
    }
    let key = prop_oneof![
        Just("apiVersion"),
        Just("kind"),
        Just("metadata"),
        Just("name"),
        Just("spec"),
        Just("memorySize"),
        Just("timeout"),
        Just("code"),
        Just("path"),
        Just("triggers"),
        Just("queue"),
        Just("environment"),
        Just("ref"),
        Just("attr"),
        Just("deadLetter"),
        Just("routes"),
        Just("pattern"),
        Just("targets"),
        Just("fifo"),
        Just("<<"),
    ];
    prop_oneof![
        scalar,
        prop::collection::vec((key, yaml_value(depth - 1)), 0..5).prop_map(|pairs| {
            let body: Vec<String> = pairs
                .into_iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            format!("{{{}}}", body.join(", "))
        }),
        prop::collection::vec(yaml_value(depth - 1), 0..4)
            .prop_map(|items| format!("[{}]", items.join(", "))),
    ]
    .boxed()
}

fn document() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just("Function"),
        Just("Queue"),
        Just("Table"),
        Just("Rule"),
        Just("Api"),
        Just("Layer"),
        Just("EventBus"),
        Just("Stack"),
        Just("Nope"),
    ];
    (kind, "[a-z][a-z0-9-]{0,10}", yaml_value(4)).prop_map(|(kind, name, spec)| {
        format!("apiVersion: slsctl.dev/v1alpha1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec: {spec}\n")
    })
}

fn config() -> Config {
    Config {
        cases: 300,
        // Seeded so CI explores the same inputs every run; change the seed to explore more.
        rng_seed: RngSeed::Fixed(0x51_5c_71),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        load_with(&bytes);
    }

    #[test]
    fn arbitrary_yaml_never_panics(docs in prop::collection::vec(document(), 1..4)) {
        load_with(docs.join("---\n").as_bytes());
    }
}

/// Load every `.yaml` file of `corpus` on its own and after a valid document; the number of files.
fn load_corpus(corpus: &Path) -> usize {
    let mut paths: Vec<_> = std::fs::read_dir(corpus)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", corpus.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .collect();
    paths.sort();
    for path in &paths {
        let content = std::fs::read(path).unwrap();
        // As a file of its own, and as a second document after a valid one.
        load_with(&content);
        let mut after =
            b"apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {}\n---\n"
                .to_vec();
        after.extend_from_slice(&content);
        load_with(&after);
    }
    paths.len()
}

/// The project's own corpus (tests/data/yaml-corpus): odd, valid and invalid YAML, committed so
/// that this test runs from a clone of the repository alone.
#[test]
fn the_projects_yaml_corpus_loads_or_fails_cleanly() {
    let corpus = support::project_root().join("tests/data/yaml-corpus");
    let cases = load_corpus(&corpus);
    assert!(
        cases >= 60,
        "only {cases} corpus files found in {}",
        corpus.display()
    );
    println!("YAML corpus: the project's own, {cases} files");
}

/// The public YAML test suite's inputs, when the shared test data sits beside the repository
/// (`../shared`); without it, says so and leaves the work to the project's own corpus.
#[test]
fn yaml_test_suite_inputs_load_or_fail_cleanly() {
    let corpus = support::project_root().join("../shared/testdata/yaml-test-suite");
    if !corpus.is_dir() {
        println!(
            "YAML corpus: the YAML test suite is not at {} (no ../shared); only the project's own corpus ran",
            corpus.display()
        );
        return;
    }
    let cases = load_corpus(&corpus);
    assert!(
        cases > 300,
        "only {cases} corpus files found in {}",
        corpus.display()
    );
    println!("YAML corpus: the YAML test suite, {cases} files");
}
