#!/usr/bin/env bash
# fuzz/nightly.sh BUDGET_SECONDS [TARGET...]: mapihang's nightly fuzz run.
#
# Run from anywhere; works on stable Rust with cargo-fuzz installed (`cargo install --locked
# cargo-fuzz`). The targets are in fuzz/fuzz_targets/ (see core/src/fuzz.rs for what each does).
#
#   1. Build every target: `cargo fuzz build --sanitizer none`. With RUSTC_BOOTSTRAP=1 and
#      MAPIHANG_ASAN=1, AddressSanitizer instead (cargo-fuzz's default, which needs unstable
#      flags: RUSTC_BOOTSTRAP=1 lets stable accept them), in its own target dir.
#   2. Replay the committed inputs once each (-runs=0): fuzz/seeds/<t>/ and fuzz/regressions/<t>/
#      for every target must run clean, except that every fuzz/regressions/hunt_original/ file
#      must still crash hunt_original (the hang is still found) and must not crash guard_fixed.
#   3. Fuzz each guard target (guard_fixed, scenario_json; or the TARGETs given) for
#      BUDGET_SECONDS, growing fuzz/corpus/<t>/ (cache it between nights) from the seeds.
#   4. On a crash (or timeout, or OOM): minimise it (`cargo fuzz tmin`) and import it
#      (`mapihang import-fuzz`) into fuzz/artifacts/<t>/import/: a report that
#      `mapihang replay` re-runs, and a corpus entry to commit once the bug is understood.
#
# Exit code: 0 when every replay behaved and no guard target found anything; 1 otherwise
# (a crash of a guard target is a bug in the fixed variant, the model or a parser); 2 on usage.
# hunt_original may be given as a TARGET too: its crashes are expected and only imported.
#
# Environment: MAPIHANG_ASAN=1 (with RUSTC_BOOTSTRAP=1) for AddressSanitizer;
# MAPIHANG_FUZZ_ARGS for extra libFuzzer flags (e.g. "-jobs=2 -workers=2").
set -uo pipefail

usage() {
    echo "usage: fuzz/nightly.sh BUDGET_SECONDS [hunt_original|guard_fixed|scenario_json ...]" >&2
    exit 2
}
[[ $# -ge 1 && $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || usage
budget=$1
shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(guard_fixed scenario_json)
for t in "${targets[@]}"; do
    case $t in hunt_original | guard_fixed | scenario_json) ;; *) usage ;; esac
done

cd "$(dirname "$0")/.." || exit 2
fuzz=fuzz
all_targets=(hunt_original guard_fixed scenario_json)

# The build flags every cargo fuzz command of this run shares (a mismatch would rebuild).
if [[ ${MAPIHANG_ASAN:-0} == 1 ]]; then
    if [[ ${RUSTC_BOOTSTRAP:-0} != 1 ]]; then
        echo "nightly: MAPIHANG_ASAN=1 needs RUSTC_BOOTSTRAP=1 (or a nightly toolchain)" >&2
        exit 2
    fi
    build_args=(--target-dir target/fuzz-asan)
    sanitizer="address"
else
    build_args=(--sanitizer none)
    sanitizer="none"
fi
# Every execution is bounded (core's fuzz::STEPS_MAX), so one taking seconds is a harness bug.
libfuzzer_args=(-timeout=10 -rss_limit_mb=4096 -print_final_stats=1)
# shellcheck disable=SC2206 # word splitting of the extra flags is intended
extra_args=(${MAPIHANG_FUZZ_ARGS:-})

failures=0
fail() {
    echo "nightly: FAIL: $*" >&2
    failures=$((failures + 1))
}

echo "== build (sanitizer: $sanitizer)"
cargo fuzz build "${build_args[@]}" || {
    echo "nightly: the fuzz targets do not build" >&2
    exit 1
}

# The directories of committed inputs for target $1 that exist.
committed() {
    local dirs=() d
    for d in "$fuzz/seeds/$1" "$fuzz/regressions/$1"; do
        [[ -d $d ]] && dirs+=("$d")
    done
    echo "${dirs[@]}"
}

# Run target $1 once over the inputs in the directories or files $2...; succeeds if none crashed.
replay() {
    local target=$1
    shift
    cargo fuzz run "${build_args[@]}" "$target" "$@" -- -runs=0 "${libfuzzer_args[@]}" \
        -artifact_prefix="$log_dir/replay-" >>"$log_dir/replay-$target.log" 2>&1
}

log_dir=$(mktemp -d)
echo "== replay committed inputs (logs: $log_dir)"
for t in "${all_targets[@]}"; do
    read -r -a dirs <<<"$(committed "$t")"
    if [[ $t == hunt_original ]]; then
        # Seeds run clean or crash (both fine); each regression must still crash.
        count=0
        for f in "$fuzz"/regressions/hunt_original/*; do
            count=$((count + 1))
            if replay hunt_original "$f"; then
                fail "$f no longer crashes hunt_original: the model stopped finding the hang"
            fi
        done
        echo "hunt_original: replayed $count regression(s), each expected to crash"
        continue
    fi
    if [[ $t == guard_fixed && -d $fuzz/regressions/hunt_original ]]; then
        dirs+=("$fuzz/regressions/hunt_original")
    fi
    [[ ${#dirs[@]} -gt 0 ]] || continue
    if replay "$t" "${dirs[@]}"; then
        echo "$t: committed inputs run clean"
    else
        fail "$t crashes on a committed input (see $log_dir/replay-$t.log)"
        tail -n 30 "$log_dir/replay-$t.log" >&2
    fi
done

# Import one artifact of target $1: minimise it, then write a report and a corpus entry.
import() {
    local target=$1 artifact=$2 min dir
    dir=$fuzz/artifacts/$target/import
    mkdir -p "$dir"
    min=$artifact
    case $(basename "$artifact") in
    crash-*)
        if cargo fuzz tmin "${build_args[@]}" "$target" "$artifact" -r 1000 \
            >"$log_dir/tmin-$(basename "$artifact").log" 2>&1; then
            # cargo fuzz tmin writes fuzz/artifacts/<t>/minimized-from-<sha1 of the original>.
            local candidate
            candidate=$fuzz/artifacts/$target/minimized-from-$(sha1sum "$artifact" | cut -d' ' -f1)
            [[ -f $candidate ]] && min=$candidate
        fi
        ;;
    esac
    local report
    report=$dir/$(basename "$min").report.json
    cargo run --quiet --release -- import-fuzz "$min" --target "$target" --out "$report" \
        --corpus "$dir/corpus" >"$dir/$(basename "$min").txt" 2>&1
    echo "imported $min: $report ($dir/$(basename "$min").txt)"
    head -n 12 "$dir/$(basename "$min").txt"
}

for t in "${targets[@]}"; do
    echo "== fuzz $t for ${budget}s"
    corpus=$fuzz/corpus/$t
    artifacts=$fuzz/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    before=$(ls "$artifacts")
    args=("${libfuzzer_args[@]}" -max_total_time="$budget" "${extra_args[@]}")
    [[ $t == scenario_json ]] && args+=(-dict="$fuzz/scenario_json.dict")
    read -r -a dirs <<<"$(committed "$t")"
    # hunt_original's regressions crash it at once: it starts from its seeds only.
    [[ $t == hunt_original ]] && dirs=("$fuzz/seeds/hunt_original")
    cargo fuzz run "${build_args[@]}" "$t" "$corpus" "${dirs[@]}" -- "${args[@]}" \
        2>&1 | tee "$log_dir/fuzz-$t.log" | grep -E "^(#[0-9]+ +(DONE|pulse))|^stat::|panicked|ERROR" || true
    found=0
    for a in "$artifacts"/*; do
        [[ -f $a ]] || continue
        name=$(basename "$a")
        case $name in crash-* | timeout-* | oom-* | leak-* | slow-unit-*) ;; *) continue ;; esac
        grep -qxF "$name" <<<"$before" && continue
        found=$((found + 1))
        import "$t" "$a"
    done
    if [[ $found -gt 0 && $t != hunt_original ]]; then
        fail "$t found $found crash(es): see $artifacts/import/"
    elif [[ $t == hunt_original ]]; then
        echo "$t: $found crash(es) (expected: the hang is found)"
    else
        echo "$t: nothing found in ${budget}s"
    fi
done

if [[ $failures -gt 0 ]]; then
    echo "nightly: $failures failure(s)" >&2
    exit 1
fi
echo "nightly: passed"
