//! Any bytes as a spec file beside a valid Stack document: the loader must return a stack or
//! located diagnostics, and rendering them must not panic. (libFuzzer reports panics, hangs
//! past `-timeout` and memory past `-rss_limit_mb`.)
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// One directory for the whole run; each input overwrites `input.yaml`.
fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("slsctl-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("stack.yaml"),
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: fuzz}\nspec: {}\n",
        )
        .unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let root = root();
    std::fs::write(root.join("input.yaml"), data).unwrap();
    if let Err((diagnostics, sources)) = slsctl::spec::load_stack(root) {
        assert!(!diagnostics.is_empty());
        for d in diagnostics.iter() {
            if let Some(location) = &d.location {
                assert!(location.line >= 1 && location.column >= 1);
            }
        }
        let _ = diagnostics.render(&|p| sources.get(p));
    }
});
