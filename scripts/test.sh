#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the pinned emulator into .venv, then runs
# every test. The tests start the emulator themselves (one per test binary, on a free port).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/emulator.sh install
# The benchmark, once on a tiny stack, as a smoke test (`cargo bench` runs it for real).
cargo test --locked --benches
cargo test --locked --lib --bins --tests
