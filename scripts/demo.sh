#!/usr/bin/env bash
# The main job on the local emulator: start moto, point the SDK at it, apply the reference stack
# and show that the plan right after the apply is empty.
#
# The execution roles are created first because moto refuses CreateFunction without them (real
# accounts have them already; slsctl does not manage IAM yet).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --locked --quiet
endpoint=$(scripts/emulator.sh start)
trap 'scripts/emulator.sh stop' EXIT
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
echo "emulator: $endpoint"
.venv/bin/python - <<'PY'
import json, boto3
iam = boto3.client("iam")
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
for name in ["orders-create-order", "orders-get-order", "orders-fulfil-order"]:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
PY
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
