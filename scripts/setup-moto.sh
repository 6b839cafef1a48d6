#!/usr/bin/env bash
# Installs moto server into ./.venv (ignored by git) unless it is already there.
# Idempotent and quiet when nothing is to do; prints the python path on success.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
moto_version="5.2.5"
if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null; then
  exit 0
fi
echo "setting up moto server $moto_version in $venv" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version" >&2
