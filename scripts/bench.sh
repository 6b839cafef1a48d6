#!/usr/bin/env bash
# Benchmark (prints figures; not a test). Two parts, both against moto server:
#  1. applies, then plans N destinations over B buckets, and compares with a naive
#     one-call-per-object script run in the same invocation (bench.py);
#  2. through the fidelity proxy with IAM pagination at AWS's default page of 100, in an
#     account holding 5,000 unrelated roles and 500 users: calls, bytes and time per
#     destination for N=10 and N=200 (bench_fidelity.py);
#  3. one run over 20 specs in 20 accounts of 50 destinations each, next to 20 separate
#     invocations: wall time and calls per destination (bench_accounts.py).
# Usage: scripts/bench.sh [N] [B]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --quiet --locked --bin s3dest
cargo build --quiet --locked -p s3dest-fidelity --bin s3dest-fidelity
eval "$(./scripts/moto.sh)"
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
status=0
.venv/bin/python scripts/bench.py "$root/target/debug/s3dest" "${1:-200}" "${2:-20}" || status=1
.venv/bin/python scripts/bench_fidelity.py "$root/target/debug/s3dest" "$root/target/debug/s3dest-fidelity" || status=1
.venv/bin/python scripts/bench_accounts.py "$root/target/debug/s3dest" 20 50 || status=1
exit $status
