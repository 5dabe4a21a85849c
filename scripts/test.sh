#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the pinned emulator into .venv and Debian's
# Chromium (for the status-page test), then runs every test. The tests start the emulator
# themselves (one per test binary, on a free port).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/emulator.sh install
if [ "${SLSCTL_SKIP_BROWSER:-}" != 1 ] && [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
# The benchmark, once on a tiny stack, as a smoke test (`cargo bench` runs it for real).
cargo test --locked --benches
cargo test --locked --lib --bins --tests
