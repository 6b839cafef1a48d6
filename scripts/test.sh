#!/usr/bin/env bash
# Runs every test: formatting, the pure crates' unit, property and snapshot tests,
# and the integration tests against moto server (installed into ./.venv if missing,
# started on a free loopback port by the tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-moto.sh
cargo fmt --all --check
# One profile (dev) for everything: the AWS SDK is compiled once.
cargo test --workspace --locked --no-fail-fast
