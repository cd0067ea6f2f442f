#!/usr/bin/env bash
# The long fuzz runs (issue 13): every libFuzzer target of fuzz/ for FUZZ_RUNS inputs (default
# 10 million), one after the other, at the lowest priority; prints inputs, seconds and
# inputs/s per target and appends them to fuzz/results.tsv. The targets run the same checks as
# the stable harnesses (`crates/*/tests/fuzz_*.rs`), through cargo-fuzz on a nightly
# toolchain. Without one, it falls back on the stable harnesses with PROPTEST_CASES=FUZZ_RUNS.
#
#   scripts/fuzz-long.sh                 every target
#   scripts/fuzz-long.sh email bodies    some targets
#
# Environment: FUZZ_RUNS (inputs per target), FUZZ_MAX_TIME (seconds per target at most; the
# run then stops short of FUZZ_RUNS and reports what it did), FUZZ_TOOLCHAIN (default nightly), FUZZ_TIMEOUT
# (seconds one input may take before libFuzzer reports a hang; default 10), CARGO_TARGET_DIR
# (default fuzz/target), FUZZ_NO_TRACE_COMPARES=1 (build without libFuzzer's comparison tracing:
# coverage of edges only, several times the inputs per second where the instrumented comparisons
# dominate, e.g. csv-core building its DFA in `scrub`; the results say "libfuzzer-edges"; keep
# its CARGO_TARGET_DIR apart from the default build's, or each switch rebuilds everything).
# A finding stops the run and leaves the input in fuzz/artifacts/<target>/; replay it with
# `cargo +nightly fuzz run <target> <file>`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${FUZZ_RUNS:-10000000}
toolchain=${FUZZ_TOOLCHAIN:-nightly}
timeout=${FUZZ_TIMEOUT:-10}
target_dir=${CARGO_TARGET_DIR:-$root/fuzz/target}
results="$root/fuzz/results.tsv"

# Target, largest input in bytes (inputs are bounded: a hang is an input that takes more than
# FUZZ_TIMEOUT seconds, not a large one).
targets=(
    "inbound 4096"
    "contacts 256"
    "registry_line 512"
    "registry_import 8192"
    "registry_segment 16384"
    "email 16384"
    "bodies 8192"
    "form 4096"
    "config 8192"
    "scrub 4096"
)
if [ $# -gt 0 ]; then
    wanted=" $* "
    selected=()
    for t in "${targets[@]}"; do
        case "$wanted" in *" ${t%% *} "*) selected+=("$t") ;; esac
    done
    targets=("${selected[@]}")
fi

# Seeds: the project's own samples of each input.
seed() {
    local dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    case "$1" in
    inbound)
        grep -hv '^#' crates/gate/tests/opt_out_corpus/*.txt | awk -F ' [|] ' 'NF >= 4 { print $4 }' |
            head -2000 | split -a 4 -l 1 - "$dir/corpus-" ;;
    contacts)
        for c in "U+14155550123" "U(415) 555-0123" "G+44 20 7946 0958" "Iana@example.com" \
            "Ahttps://www.linkedin.com/in/Ana-B/?trk=x" "Aurn:li:person:AbC" "U098765 43210"; do
            printf '%s' "$c" >"$dir/seed-$(printf '%s' "$c" | cksum | cut -d' ' -f1)"
        done ;;
    registry_line | registry_import)
        printf '2015550123,2021-01-01\r\n\n+442071234567\n201,5550123\nphone,registered\n' >"$dir/seed-lines" ;;
    email)
        cp crates/dispatcher/tests/data/inbound_email/*.eml "$dir/" ;;
    bodies)
        printf '%s' '{"channel":"sms","from":"+14155550123","body":"STOP","received_at":"2026-11-25T18:00:00Z"}' >"$dir/seed-inbound"
        printf '%s' '{"account_id":"a","lead_id":"l","channel":"sms","purpose":"marketing","content":{"body":"b"},"deadline":"2026-11-30T18:00:00Z"}' >"$dir/seed-touch"
        printf '%s' '{"phone":"+14155550123","email":"ana@example.com","consents":[{"channel":"sms","purpose":"marketing","granted_at":"2026-01-01T00:00:00Z"}]}' >"$dir/seed-lead"
        printf '%s' '{"status":"active","limits":{"sms":{"hourly":100}},"senders":{"sms":"+14155550100"}}' >"$dir/seed-account"
        printf '%s' '{"contact":"+14155550123","channel":"*","reason":"customer_request"}' >"$dir/seed-dnc" ;;
    form)
        printf '%s' 'From=%2B14155550123&To=%2B14155550100&Body=STOP&MessageSid=SM1' >"$dir/seed-form" ;;
    config)
        cp config/*.toml "$dir/" ;;
    scrub)
        printf 'name,phone\nAna,+14155550123\nBen,(202) 555-0143\nCy,+13125550188\nDi,415.555.0100\n' >"$dir/seed-list"
        printf 'phone;x\r\n"+1 (415) 555-0123",1\r\n' >"$dir/seed-crlf" ;;
    esac
}

use_libfuzzer=true
build_flags=(--release --sanitizer none)
engine_name=libfuzzer
if [ "${FUZZ_NO_TRACE_COMPARES:-0}" = 1 ]; then
    build_flags+=(--no-trace-compares)
    engine_name=libfuzzer-edges
fi
if ! cargo "+$toolchain" fuzz --version >/dev/null 2>&1; then
    echo "cargo fuzz on $toolchain is not available: running the stable harnesses instead" >&2
    use_libfuzzer=false
fi

if $use_libfuzzer; then
    cargo "+$toolchain" fuzz build "${build_flags[@]}" --target-dir "$target_dir"
fi
[ -s "$results" ] || printf 'date\ttarget\tengine\tinputs\tseconds\tinputs_per_second\n' >"$results"
for t in "${targets[@]}"; do
    name=${t%% *}
    max_len=${t##* }
    log="fuzz/logs/$name.log"
    mkdir -p fuzz/logs
    seed "$name"
    if $use_libfuzzer; then
        nice -n 19 cargo "+$toolchain" fuzz run "$name" "${build_flags[@]}" \
            --target-dir "$target_dir" "fuzz/corpus/$name" -- \
            -runs="$runs" -max_len="$max_len" -timeout="$timeout" -rss_limit_mb=2048 \
            -print_final_stats=1 ${FUZZ_MAX_TIME:+-max_total_time=$FUZZ_MAX_TIME} >"$log" 2>&1 || { tail -40 "$log" >&2; exit 1; }
        inputs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
        seconds=$(awk '/^Done [0-9]+ runs in/ { print $5 }' "$log" | tail -1)
        engine=$engine_name
    else
        case "$name" in
        inbound) krate=gate test=fuzz_parsers filter=inbound_messages ;;
        contacts) krate=gate test=fuzz_parsers filter=contacts_ ;;
        registry_line) krate=registry test=fuzz_import filter=lines_ ;;
        registry_import) krate=registry test=fuzz_import filter=imports_ ;;
        registry_segment) krate=registry test=fuzz_import filter=segments_ ;;
        email) krate=dispatcher test=fuzz_inputs filter=inbound_email ;;
        bodies) krate=dispatcher test=fuzz_inputs filter=request_bodies ;;
        form) krate=dispatcher test=fuzz_inputs filter=form_bodies ;;
        config) krate=dispatcher test=fuzz_inputs filter=config_files ;;
        scrub) krate=dispatcher test=fuzz_inputs filter=scrub_files ;;
        esac
        cargo test --release -p "$krate" --test "$test" --no-run >/dev/null 2>&1
        start=$(date +%s.%N)
        PROPTEST_CASES="$runs" nice -n 19 cargo test --release -p "$krate" --test "$test" "$filter" >"$log" 2>&1 || { tail -40 "$log" >&2; exit 1; }
        inputs=$runs
        seconds=$(echo "$(date +%s.%N) - $start" | bc)
        engine=proptest
    fi
    [ "${seconds%.*}" -gt 0 ] 2>/dev/null || seconds=1
    rate=$(echo "$inputs / $seconds" | bc)
    printf '%s\t%s\t%s\t%s\t%.0f\t%s\n' "$(date -u +%F)" "$name" "$engine" "$inputs" "$seconds" "$rate" |
        tee -a "$results"
done
