#!/usr/bin/env bash
# The official Stripe SDKs (Python `stripe` from PyPI, Node `stripe` from npm),
# unchanged but for their API base, against a fresh `customerd serve`: customers,
# subscriptions, payments through the raw request call, and typed errors.
# Exits non-zero on any failure.
#
#   sdk/run-tests.sh path/to/customerd
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 path/to/customerd" >&2; exit 2; }
bin=$(realpath "$1")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/target/sdk-venv"

# The venv is rebuilt when the pins change.
if ! cmp -s "$repo/sdk/python/requirements.txt" "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repo/sdk/python/requirements.txt"
  cp "$repo/sdk/python/requirements.txt" "$venv/requirements.txt"
fi
(cd "$repo/sdk/node" && npm ci --no-audit --no-fund --loglevel=error)

# shellcheck source=../.ci/serve.sh
source "$repo/.ci/serve.sh"
serve_fresh "$bin"
export CUSTOMERD_URL="http://$http" CUSTOMERD_KEY="$key"

# Both suites run even when the first fails; the exit code reports either.
cd "$repo"
status=0
echo "== Python stripe SDK"
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -q sdk/python || status=1
echo "== Node stripe SDK"
node --test sdk/node/ || status=1
if [[ $status -ne 0 ]]; then
  echo "customerd log (stderr) follows:" >&2
  tail -n 50 "$scratch/log" >&2
fi
exit "$status"
