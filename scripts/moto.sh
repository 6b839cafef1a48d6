#!/usr/bin/env bash
# Starts moto server on a free loopback port in the background; prints
# `export AWS_ENDPOINT_URL=...` lines to eval. Used by the demo and the benchmark
# (the Rust tests start their own). Stop it with: kill "$MOTO_PID".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-moto.sh"
port=$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$root/target"
MOTO_ENABLE_RECORDING=True MOTO_RECORDER_FILEPATH="$root/target/moto-$port.recording" "$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$root/target/moto-$port.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if "$root/.venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
    cat <<EOV
export MOTO_PID=$pid
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
EOV
    exit 0
  fi
  sleep 0.2
done
echo "moto server did not start; see $root/target/moto-$port.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
