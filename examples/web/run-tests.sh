#!/usr/bin/env bash
# Browser tests of customerd's grpc-web and of the gateway's docs page: lints the proto (and checks it against
# the previous commit for breaking changes), generates the page's client code,
# starts customerd on free ports with a fresh SQLite database, and drives the
# example page in headless Chromium. Run from anywhere; exits non-zero on any
# failure.
#
#   CUSTOMERD_BIN=path/to/customerd   use this binary instead of building one
#   BUF_AGAINST='.git#ref=main,subdir=proto'  what `buf breaking` compares with
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# A relative CUSTOMERD_BIN is taken from where the script was started.
bin=${CUSTOMERD_BIN:+$(realpath "$CUSTOMERD_BIN")}
web="$repo/examples/web"
artifacts="$repo/target/browser-artifacts"
started=$SECONDS

step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - started)); }

step "Chromium"
if [[ ! -x /usr/bin/chromium && -z "${CHROMIUM_PATH:-}" ]]; then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
"${CHROMIUM_PATH:-/usr/bin/chromium}" --version

step "npm ci"
cd "$web"
npm ci --no-audit --no-fund --loglevel=error
buf="$web/node_modules/.bin/buf"

step "buf lint"
cd "$repo"
"$buf" lint
echo "buf lint: ok"

step "buf breaking"
against=${BUF_AGAINST:-}
if [[ -z $against ]]; then
  has_parent() { git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; }
  if ! has_parent && [[ $(git rev-parse --is-shallow-repository) == true ]]; then
    git fetch -q --deepen=1 2>/dev/null || true
  fi
  if ! has_parent; then
    echo "note: HEAD has no parent commit here; nothing to check for breaking changes"
  elif ! git cat-file -e 'HEAD~1:proto' 2>/dev/null; then
    echo "note: HEAD~1 has no proto/ directory; nothing to check for breaking changes"
  else
    against='.git#ref=HEAD~1,subdir=proto'
  fi
fi
if [[ -n $against ]]; then
  "$buf" breaking --against "$against"
  echo "buf breaking against $against: ok"
fi

step "generate, typecheck and build the page"
cd "$web"
npm run --silent generate
npm run --silent typecheck
npm run --silent build

step "customerd binary"
if [[ -z $bin ]]; then
  cargo build --release --bin customerd --manifest-path "$repo/Cargo.toml"
  bin="${CARGO_TARGET_DIR:-$repo/target}/release/customerd"
fi
[[ -x $bin ]] || { echo "no customerd binary at $bin" >&2; exit 1; }
echo "$bin"

step "start customerd"
read -r grpc_port page_port refused_port < <(node -e '
  const net = require("node:net");
  const servers = [0, 1, 2].map(() => net.createServer().listen(0, "127.0.0.1"));
  Promise.all(servers.map((s) => new Promise((r) => s.on("listening", r)))).then(() => {
    console.log(servers.map((s) => s.address().port).join(" "));
    servers.forEach((s) => s.close());
  });')
scratch=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  mkdir -p "$artifacts"
  cp "$scratch/customerd.log" "$artifacts/customerd.log" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
"$bin" serve \
  --database-url "sqlite://$scratch/customers.db?mode=rwc" \
  --grpc-addr "127.0.0.1:$grpc_port" \
  --http-addr 127.0.0.1:0 \
  --cors-allowed-origins "http://127.0.0.1:$page_port" \
  >"$scratch/stdout" 2>"$scratch/customerd.log" &
server_pid=$!

# customerd prints the first API key, then where it listens once it does.
api_key=
http_addr=
for _ in $(seq 600); do
  api_key=$(grep -m1 -o '^sk_test_[A-Za-z0-9_]*' "$scratch/stdout" || true)
  http_addr=$(sed -n 's/^Listening: .*http=\([^ ]*\).*$/\1/p' "$scratch/stdout")
  [[ -n $api_key && -n $http_addr ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "customerd exited before it was ready:" >&2
    cat "$scratch/customerd.log" >&2
    exit 1
  fi
  sleep 0.1
done
[[ -n $api_key && -n $http_addr ]] || { echo "customerd was not ready within 60s" >&2; exit 1; }
echo "customerd on 127.0.0.1:$grpc_port (REST on $http_addr), allowing http://127.0.0.1:$page_port"

step "browser tests"
mkdir -p "$artifacts"
CUSTOMERD_URL="http://127.0.0.1:$grpc_port" \
CUSTOMERD_HTTP_URL="http://$http_addr" \
CUSTOMERD_API_KEY="$api_key" \
PAGE_PORT="$page_port" \
REFUSED_PAGE_PORT="$refused_port" \
ARTIFACT_DIR="$artifacts" \
  node --test --test-reporter=spec --test-concurrency=1 test/customers-page.test.js test/docs-page.test.js

step "done"
echo "screenshots: $artifacts/customers-page.png $artifacts/live-events.png $artifacts/docs-page.png"
