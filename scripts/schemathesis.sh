#!/usr/bin/env bash
# Property-based API tests: Schemathesis with every check against the OpenAPI document of a
# server started here on a fresh demo database, signed in as group.admin.
#
#   scripts/schemathesis.sh target/debug/server
#
# The run is bounded (a fixed seed and a fixed number of examples per operation) and takes a
# few minutes. Exits non-zero when Schemathesis reports a failure or the server panicked.
# Overrides: SCHEMATHESIS_PORT (default: the first free port from 3190),
# SCHEMATHESIS_MAX_EXAMPLES (default 100), SCHEMATHESIS_SEED (default 1),
# SCHEMATHESIS_REPORT_DIR (JUnit report; default target/schemathesis).
set -euo pipefail

server_bin=${1:?usage: scripts/schemathesis.sh SERVER_BINARY}
[ -x "$server_bin" ] || { echo "schemathesis: no server binary at $server_bin" >&2; exit 2; }
server_bin=$(realpath "$server_bin")
cd "$(dirname "$0")/.."
st=tools/venv/bin/schemathesis
[ -x "$st" ] || { echo "schemathesis: $st missing: run scripts/setup.sh" >&2; exit 2; }

max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
seed=${SCHEMATHESIS_SEED:-1}
report_dir=${SCHEMATHESIS_REPORT_DIR:-target/schemathesis}
# A fixed throwaway key: it only encrypts the secrets of this run's temporary database.
secret_key=5c4e7e57000000000000000000000000000000000000000000000000005c4e7e

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${SCHEMATHESIS_PORT:-}
if [ -z "$port" ]; then
  for candidate in $(seq 3190 3219); do
    if ! port_in_use "$candidate"; then port=$candidate; break; fi
  done
  [ -n "$port" ] || { echo "schemathesis: no free port in 3190-3219" >&2; exit 2; }
fi
base="http://127.0.0.1:$port/api/v01"
# Straight to the local server, whatever proxy the environment names (curl and Schemathesis).
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

data_dir=$(mktemp -d "${TMPDIR:-/tmp}/fusion-schemathesis-XXXXXX")
log="$data_dir/server.log"
server_pid=""
st_pid=""

show_log() {
  echo "---- last 80 lines of the server log ($log) ----" >&2
  tail -n 80 "$log" >&2 || true
  echo "---- end of the server log ----" >&2
}
cleanup() {
  local status=$?
  if [ -n "$st_pid" ]; then
    kill "$st_pid" 2>/dev/null || true
    wait "$st_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    # The server finishes its requests and wizard steps on SIGTERM (a grace of 10 s).
    for _ in $(seq 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ "$status" -eq 0 ] || show_log
  rm -rf "$data_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> schemathesis: starting $server_bin on 127.0.0.1:$port (database in $data_dir)"
LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}" \
  FUSION_DEMO=true \
  FUSION_TIME_SCALE=0 \
  FUSION_SECRET_KEY="$secret_key" \
  RUST_LOG=warn \
  "$server_bin" --database-url "sqlite://$data_dir/fusion.db" >"$log" 2>&1 &
server_pid=$!

# Wait for the OpenAPI document (the demo data is seeded before the server listens).
for attempt in $(seq 600); do
  if curl -fsS -o /dev/null --max-time 2 "$base/openapi.json" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "schemathesis: the server exited before answering" >&2
    exit 1
  fi
  if [ "$attempt" -eq 600 ]; then
    echo "schemathesis: no answer from $base/openapi.json after 60 s" >&2
    exit 1
  fi
  sleep 0.1
done

# Sign in: the access token of `{access_token, refresh_token}`.
login=$(curl -fsS --max-time 10 "$base/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"group.admin","password":"demo-group"}') ||
  { echo "schemathesis: sign-in as group.admin failed" >&2; exit 1; }
token=$(printf '%s' "$login" | tools/venv/bin/python -c '
import json, sys
body = json.load(sys.stdin)
print(body.get("access_token") or "")') || token=""
[ -n "$token" ] || { echo "schemathesis: no token in the sign-in response: $login" >&2; exit 1; }

# Nothing carries over between runs or lands in the work tree: no cache of past requests
# and crashes (.schemathesis/), no Hypothesis database, Hypothesis' files in the temp folder.
# Passing a config file also keeps a stray schemathesis.toml up the tree from applying.
cat >"$data_dir/schemathesis.toml" <<'TOML'
[cache]
enabled = false

# The vendor page answers 400 ("Error while processing the request") when a well-formed
# request breaks a rule of the subscription's state: an MS tenant already onboarded
# elsewhere, no integration to reset, nothing to unlink, a wizard without credentials,
# voice routing before onboarding, a link to itself, create_app for a sip-trunks
# subscription (found through the lists' ids), a password alone with no stored MS
# Teams administrator, or an administrator to remove that is not the stored one
# (`msteams/admins`, the vendor client's). For these operations (only) a 400
# to schema-valid data is the contract; that their bodies' constraints match the parsers
# is proven in server/tests/api/openapi.rs.
[[operations]]
include-path-regex = "/(msteams/(applications|admins|reset_secret|unlink|link|wizard|update_vrp)|downloads/create_app)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]

# A list's `next` is valid only as a previous page issued it, for the same list and other
# parameters (an HMAC-signed continuation token): the document can state its shape only,
# so a `next` the generator makes up is 400, as it must be (proven, with the lists' other
# refusals, in server/tests/api/tree_of_authority.rs and bad_input.rs). An empty list is the
# documented 404, which the check accepts anyway.
[[operations]]
include-path-regex = '/draas/[^/]+/(groups|distributors|resellers|tenants|tenants/[^/]+/subscriptions)$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
TOML
export HYPOTHESIS_STORAGE_DIRECTORY="$data_dir/hypothesis"

# Every check, positive and negative data, every phase; logout, and the mock controls'
# reset and scenario replacement (which end every session and rewrite the data), would
# end the session the other requests use, so they are left out (their contract is proven
# in server/tests/api/mock.rs). Fixed seed and examples: the same cases every run.
mkdir -p "$report_dir"
cmd=(
  "$st" --config-file "$data_dir/schemathesis.toml" run "$base/openapi.json"
  --checks all
  --mode all
  --header "Authorization: Bearer $token"
  --exclude-path-regex '/auth/logout|/mock/v1/(reset|scenario)'
  --max-examples "$max_examples"
  --seed "$seed"
  --workers 1
  --request-timeout 30
  --generation-database none
  --report junit --report-junit-path "$report_dir/junit.xml"
  --no-color
)
echo "==> schemathesis: ${cmd[*]/"Bearer $token"/Bearer <token>}"
# In the background so that a signal to this script ends the run at once (see cleanup).
timeout -k 30 900 "${cmd[@]}" &
st_pid=$!
status=0
wait "$st_pid" || status=$?
st_pid=""

if grep -q "panicked" "$log"; then
  echo "schemathesis: the server panicked during the run" >&2
  grep -n -A5 "panicked" "$log" | head -n 60 >&2
  [ "$status" -ne 0 ] || status=1
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "schemathesis: the server is no longer running" >&2
  [ "$status" -ne 0 ] || status=1
fi
if [ "$status" -ne 0 ]; then
  [ "$status" -ne 124 ] || echo "schemathesis: the run took longer than 900 s" >&2
  echo "schemathesis: FAILED (exit $status); JUnit report in $report_dir/junit.xml" >&2
  exit "$status"
fi
echo "==> schemathesis: passed"
