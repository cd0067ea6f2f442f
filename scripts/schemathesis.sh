#!/usr/bin/env bash
# API fuzzing against the daemon's own OpenAPI document with schemathesis (issue 13): the real
# daemon (SQLite, fake clock, an operator token) on a free loopback port, then `schemathesis
# run` on `GET /openapi.json`. Every 5xx and every response that does not match the document
# (status code, content type, headers, body schema) fails the run.
#
#   scripts/schemathesis.sh          short run (CI): a few examples per operation, ~2 minutes
#   scripts/schemathesis.sh long     long run: many examples and the stateful phase, ~30 minutes
#
# Environment: SCHEMATHESIS_MAX_EXAMPLES / SCHEMATHESIS_MAX_TIME override the mode's figures;
# SCHEMATHESIS_SEED fixes the seed (default: fixed for the short run, random for the long one);
# CARGO_TARGET_DIR is honoured. Reports go to $SCHEMATHESIS_REPORT_DIR (default: a temp dir,
# printed at the end). Exit status: schemathesis's (0 when every check passed).
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
mode=${1:-short}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

case "$mode" in
short)
    max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-10}
    max_time=${SCHEMATHESIS_MAX_TIME:-120}
    phases=examples,coverage,fuzzing
    seed=${SCHEMATHESIS_SEED:-1313}
    ;;
long)
    max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-500}
    max_time=${SCHEMATHESIS_MAX_TIME:-1800}
    phases=examples,coverage,fuzzing,stateful
    seed=${SCHEMATHESIS_SEED:-$RANDOM}
    ;;
*)
    echo "usage: $0 [short|long]" >&2
    exit 2
    ;;
esac

if ! schemathesis --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION" >&2
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --quiet -p dispatcher --bin touchgate
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
binary="$target_dir/debug/touchgate"

work=$(mktemp -d)
report_dir=${SCHEMATHESIS_REPORT_DIR:-$work/report}
random_secret() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }
token="schemathesis-$(random_secret)"
# Provider webhooks are signed by scripts/schemathesis_hooks.py with these (the transports
# point at a closed loopback port: nothing leaves the machine).
export TOUCHGATE_PUBLIC_BASE_URL=http://touchgate.test
export TOUCHGATE_WEBHOOK_SECRET="$(random_secret)"
export TOUCHGATE_TWILIO_TOKEN="$(random_secret)"
export TOUCHGATE_WHATSAPP_TOKEN="$(random_secret)"
export TOUCHGATE_WHATSAPP_APP_SECRET="$(random_secret)"
export TOUCHGATE_WHATSAPP_VERIFY_TOKEN="$(random_secret)"
cat >"$work/touchgate.toml" <<TOML
[server]
public_base_url = "$TOUCHGATE_PUBLIC_BASE_URL"

[webhooks]
secret_env = "TOUCHGATE_WEBHOOK_SECRET"

[channels.sms]
transport = "twilio"
base_url = "http://127.0.0.1:9"
account_sid = "AC00000000000000000000000000000000"
auth_token_env = "TOUCHGATE_TWILIO_TOKEN"
from = "+14155550100"

[channels.whatsapp]
transport = "meta"
base_url = "http://127.0.0.1:9"
phone_number_id = "1234567890"
access_token_env = "TOUCHGATE_WHATSAPP_TOKEN"
app_secret_env = "TOUCHGATE_WHATSAPP_APP_SECRET"
verify_token_env = "TOUCHGATE_WHATSAPP_VERIFY_TOKEN"
TOML
daemon=
stop_daemon() {
    if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
        kill -TERM "$daemon" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$daemon" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$daemon" 2>/dev/null || true
        wait "$daemon" 2>/dev/null || true
    fi
}
trap stop_daemon EXIT

(
    cd "$work"
    TOUCHGATE_CONFIG="$work/touchgate.toml" \
        TOUCHGATE_DATABASE_URL="sqlite://$work/t.db" \
        TOUCHGATE_LISTEN=127.0.0.1:0 \
        TOUCHGATE_ADDRESS_FILE="$work/addr" \
        TOUCHGATE_OPERATOR_TOKEN="$token" \
        TOUCHGATE_FAKE_CLOCK=2026-11-25T18:00:00Z \
        RUST_LOG="${RUST_LOG:-warn}" \
        exec "$binary" serve
) >"$work/daemon.log" 2>&1 &
daemon=$!

for _ in $(seq 600); do
    [ -s "$work/addr" ] && break
    if ! kill -0 "$daemon" 2>/dev/null; then
        echo "the daemon exited before it listened:" >&2
        cat "$work/daemon.log" >&2
        exit 1
    fi
    sleep 0.1
done
[ -s "$work/addr" ] || { echo "the daemon did not listen within 60 s" >&2; exit 1; }
address=$(cat "$work/addr")

# The account and lead the hooks' valid touches name.
python3 - "$address" "$token" <<'PY'
import json, sys, urllib.request
address, token = sys.argv[1:3]
sys.path.insert(0, "scripts")
import schemathesis_hooks as hooks
for path, body in [
    ("/v1/accounts/" + hooks.ACCOUNT_ID, hooks.ACCOUNT),
    ("/v1/leads/" + hooks.LEAD_ID, hooks.LEAD),
]:
    req = urllib.request.Request(
        "http://" + address + path,
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
    )
    urllib.request.urlopen(req, timeout=30).read()
PY
echo "daemon at http://$address (log: $work/daemon.log); $mode run, seed $seed" >&2

status=0
PYTHONPATH="$root/scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks \
    schemathesis run "http://$address/openapi.json" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,response_headers_conformance \
        --phases "$phases" \
        --max-examples "$max_examples" \
        --max-time "$max_time" \
        --seed "$seed" \
        --workers 1 \
        --request-timeout 30 \
        --suppress-health-check all \
        --report junit,ndjson \
        --report-dir "$report_dir" ||
        status=$?

if ! kill -0 "$daemon" 2>/dev/null; then
    echo "the daemon died during the run:" >&2
    tail -50 "$work/daemon.log" >&2
    status=1
fi
stop_daemon
if grep -q "panicked" "$work/daemon.log"; then
    echo "the daemon panicked during the run:" >&2
    grep -A5 "panicked" "$work/daemon.log" >&2
    status=1
fi
echo "schemathesis: exit $status; reports in $report_dir, daemon log $work/daemon.log" >&2
exit "$status"
