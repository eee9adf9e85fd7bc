# Sourced by scripts that run a client suite against a fresh `customerd serve`
# on an SQLite file in a scratch directory:
#
#   source .ci/serve.sh; serve_fresh path/to/customerd
#
# sets $scratch, $server_pid, $key (the first API key) and $http (host:port),
# and stops the server and removes the scratch directory on exit.

serve_fresh() {
  local bin=$1
  scratch=$(mktemp -d)
  server_pid=
  trap 'serve_cleanup' EXIT
  "$bin" serve --database-url "sqlite://$scratch/c.db?mode=rwc" \
    --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 >"$scratch/stdout" 2>"$scratch/log" &
  server_pid=$!
  key= http=
  for _ in $(seq 600); do
    key=$(grep -m1 -o '^sk_test_[A-Za-z0-9_]*' "$scratch/stdout" || true)
    http=$(sed -n 's/^Listening: .*http=\([^ ]*\).*$/\1/p' "$scratch/stdout")
    [[ -n $key && -n $http ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/log" >&2; return 1; }
    sleep 0.1
  done
  echo "customerd was not ready within 60s" >&2
  return 1
}

serve_cleanup() {
  if [[ -n ${server_pid:-} ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "${scratch:-}"
}
