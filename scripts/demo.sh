#!/usr/bin/env bash
# The main job on the local emulator: start moto, point the SDK at it, and run slsctl on the
# reference stack. Today that is `validate`; `plan` and `apply` join as the engine lands.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --locked --quiet
endpoint=$(scripts/emulator.sh start)
trap 'scripts/emulator.sh stop' EXIT
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
echo "emulator: $endpoint"
./target/debug/slsctl validate -f specs/examples/orders
