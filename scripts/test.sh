#!/usr/bin/env bash
# Runs every test: formatting, the pure crates' unit, property and snapshot tests,
# and the integration tests against moto server (installed into ./.venv if missing,
# started on a free loopback port by the tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-moto.sh
# The terminal tests run s3dest under util-linux's `script`; they fail rather than skip
# without it, so install it where it is missing (Debian: bsdutils).
if ! command -v script >/dev/null 2>&1; then
  echo "installing util-linux's script (bsdutils) for the terminal tests" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq bsdutils >&2; else sudo apt-get install -y -qq bsdutils >&2; fi
fi
cargo fmt --all --check
# One profile (dev) for everything: the AWS SDK is compiled once.
cargo test --workspace --locked --no-fail-fast
