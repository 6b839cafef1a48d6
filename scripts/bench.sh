#!/usr/bin/env bash
# Benchmark (prints figures; not a test): applies, then plans N destinations over
# B buckets against moto server, and compares with a naive one-call-per-object script
# run in the same invocation. Usage: scripts/bench.sh [N] [B]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --quiet --locked --bin s3dest
eval "$(./scripts/moto.sh)"
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
exec .venv/bin/python scripts/bench.py "$root/target/debug/s3dest" "${1:-200}" "${2:-20}"
