#!/usr/bin/env bash
# The main job on the local emulator: start moto, point the SDK at it, apply the reference stack
# and show that the plan right after the apply is empty.
#
# Nothing is created by hand first: the functions' execution roles come from the spec (derived
# from the wiring), like everything else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --locked --quiet
endpoint=$(scripts/emulator.sh start)
trap 'scripts/emulator.sh stop' EXIT
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
echo "emulator: $endpoint"
slsctl=./target/debug/slsctl
stack=specs/examples/orders
echo; echo "\$ slsctl validate -f $stack"
$slsctl validate -f $stack
echo; echo "\$ slsctl apply -f $stack --auto-approve"
$slsctl apply -f $stack --auto-approve
echo; echo "\$ slsctl plan -f $stack --detailed-exitcode"
set +e
$slsctl plan -f $stack --detailed-exitcode
code=$?
set -e
echo "exit code: $code (0 = no changes)"
exit $code
