#!/usr/bin/env bash
# Check the emulator against 1NCE's published OpenAPI file with schemathesis, using the checks the
# design asks for. `make test` runs it after the pytest suite (`make conformance` alone):
#
#   emulator/scripts/schemathesis.sh [MAX_EXAMPLES]
#
# schemathesis is installed, pinned with the hypothesis release it was seen working with, into its
# own virtualenv (SCHEMATHESIS_VENV, keyed by those versions), so that its pytest plugin never loads
# in the project's test runs. One worker: with two, hypothesis describes strategies from two threads
# at once, and CPython 3.11's ast.parse is not thread-safe (it can fail at random with "SystemError:
# AST constructor recursion depth mismatch", CPython issue 106905), which failed a CI run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SPEC="$ROOT/tests/emulator/data/1nce-cloud-integrator-openapi.yml"
PINS="schemathesis==4.32.5 hypothesis==6.170.17"
VENV=${SCHEMATHESIS_VENV:-$HOME/.cache/pulumi-onence/schemathesis-4.32.5-hypothesis-6.170.17}
PY="$ROOT/.venv/bin/python"
MAX_EXAMPLES=${1:-100}
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection,ignored_auth

if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086 # the pins are words
  "$VENV/bin/pip" install --quiet $PINS
fi

WORK=$(mktemp -d)
USERS="st-user:st-$RANDOM-$RANDOM"
ONENCE_EMULATOR_USERS="$USERS" "$PY" -m onence_emulator --port 0 --time-scale 0.001 \
  --delivery-timeout 2 >"$WORK/url" 2>"$WORK/log" &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do [ -s "$WORK/url" ] && break; sleep 0.1; done
URL=$(head -n1 "$WORK/url")
[ -n "$URL" ] || { echo "emulator did not start:" >&2; cat "$WORK/log" >&2; exit 1; }

# A token and a few integrations, so that the operations on an id reach real data: half of them
# INTEGRATION_FAILED (an ERROR event they cannot receive), so that restart answers 200 as well as 409.
TOKEN=$(curl -sf -u "$USERS" -H 'Content-Type: application/json' \
  -d '{"grant_type":"client_credentials"}' "$URL/oauth/token" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
IDS=()
for i in $(seq 1 30); do
  TYPE=$([ $((i % 2)) -eq 0 ] && echo ERROR || echo LIFECYCLE)
  IDS+=("$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"st-$i\",\"url\":\"https://127.0.0.1:9/st-$i\",\"headers\":{},\"eventTypes\":[{\"type\":\"$TYPE\"}]}" \
    "$URL/v1/integrate/clouds/webhooks" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
done
ROOT=${URL%/management-api}
curl -sf -o /dev/null -H 'Content-Type: application/json' -d '{"type":"ERROR"}' "$ROOT/_emulator/events"
DRAINED=$(curl -sf -XPOST "$ROOT/_emulator/drain?timeout=30")
[ "$DRAINED" = '{"idle":true}' ] || { echo "deliveries did not settle: $DRAINED" >&2; exit 1; }
{
  echo '[dictionaries.ids]'
  printf 'values = [%s]\n' "$(printf '"%s",' "${IDS[@]}" | sed 's/,$//')"
  echo '[parameters]'
  echo '"path.integrationId" = { dictionary = "ids", probability = 0.8 }'
} >"$WORK/schemathesis.toml"

# CI gives a seed (SCHEMATHESIS_SEED) so that each run judges the same cases; without one, each run
# explores new ones and prints its seed to reproduce them.
SEED=()
[ -z "${SCHEMATHESIS_SEED:-}" ] || SEED=(--seed "$SCHEMATHESIS_SEED")

cd "$WORK"
"$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "$SPEC" --url "$URL" \
  -H "Authorization: Bearer $TOKEN" --checks "$CHECKS" \
  --include-path-regex '^/v1/integrate/clouds(/webhooks.*|/\{integrationId\}|/eventTypes)?$' \
  --max-examples "$MAX_EXAMPLES" --workers 1 --no-color "${SEED[@]}"
