#!/usr/bin/env bash
# The demo: starts moto server (a local AWS emulator, installed into ./.venv if
# missing), creates what the example spec expects to exist (a bucket with a statement
# of its own in the bucket policy, which s3dest must keep, and the Datadog integration
# role that Datadog's own setup would have made), then runs
# validate, plan, apply, plan again (no changes) and outputs. Never touches real AWS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --quiet --locked --bin s3dest
eval "$(./scripts/moto.sh)"
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
s3dest=("$root/target/debug/s3dest")
spec=specs/acme.yaml

.venv/bin/python - <<'PY'
import json, os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
s3.create_bucket(Bucket="acme-vendor-exports")
s3.put_bucket_policy(Bucket="acme-vendor-exports", Policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowCloudTrailLogs", "Effect": "Allow",
                   "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
                   "Resource": "arn:aws:s3:::acme-vendor-exports/AWSLogs/*"}]}))
iam = boto3.client("iam", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
iam.create_role(RoleName="DatadogIntegrationRole", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::464622532012:root"},
                   "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"sts:ExternalId": "datadog-generated-id"}}}]}))
PY

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
step s3dest validate $spec;              "${s3dest[@]}" validate $spec
step s3dest plan $spec;                  "${s3dest[@]}" plan $spec
step s3dest apply $spec --auto-approve;  "${s3dest[@]}" apply $spec --auto-approve
step s3dest plan $spec --detailed-exitcode; "${s3dest[@]}" plan $spec --detailed-exitcode
step s3dest outputs $spec;               "${s3dest[@]}" outputs $spec
