#!/usr/bin/env bash
# The README's "Set up and run" commands from an empty target directory (the first run's two,
# then the full test suite), timed: wall, user and sys CPU time, peak memory, the load average before and
# after, and cargo's --timings report of each build (copied out before the target directory is
# deleted). Usage:
#   scripts/first-run-times.sh LABEL [OUT_DIR=/tmp/first-run-LABEL]
# SKIP_FULL=1 leaves out the third step (the full suite, MAPIHANG_FULL=1).
# Crates must already be downloaded (`cargo fetch`): the README's figures exclude downloads.
# The machine is shared: compare CPU time (user + sys), not wall time, between variants.
set -euo pipefail
cd "$(dirname "$0")/.."
label="${1:?usage: scripts/first-run-times.sh LABEL [OUT_DIR]}"
out="${2:-/tmp/first-run-$label}"
# A directory named `target`, as on a fresh clone: repro lines (and the README samples the tests
# compare) say `cargo run --release --` only for a binary under a `target/` directory.
root="/tmp/h12-cold-$label"
target="$root/target"
rm -rf "$root"
mkdir -p "$out"
export CARGO_TARGET_DIR="$target"
cargo fetch -q
step() {
    local name="$1"
    shift
    echo "== $name: $*" | tee -a "$out/summary.txt"
    uptime | tee -a "$out/summary.txt"
    # hunt exits 1 when it finds the hang (it always does): that is not a failure here.
    /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.log" 2>&1 || true
    uptime | tee -a "$out/summary.txt"
    grep -E "Elapsed|User time|System time|Maximum resident|Exit status" "$out/$name.time" \
        | tee -a "$out/summary.txt"
    local html
    html=$(ls -t "$target"/cargo-timings/cargo-timing-2*.html 2>/dev/null | head -1 || true)
    if [ -n "$html" ]; then cp "$html" "$out/$name-timings.html"; fi
    rm -f "$target"/cargo-timings/cargo-timing-2*.html
}
# `--timings` only reports (no effect on what is built); the commands are otherwise the README's:
# the release build and the hunt, the quick test suite (its compile and its run: the command a
# first run types), and then the full suite (MAPIHANG_FULL=1: what CI runs; nothing is left to
# compile, it only runs the tests). `test.log` lists the quick run's per-binary times.
step run cargo run --release --timings -- hunt
step test cargo test --workspace --timings
grep -E "^test result|FAILED|panicked" "$out/test.log" | sort | uniq -c | tee -a "$out/summary.txt"
if [ "${SKIP_FULL:-}" != 1 ]; then
    step full env MAPIHANG_FULL=1 cargo test --workspace
    grep -E "^test result|FAILED|panicked" "$out/full.log" | sort | uniq -c \
        | tee -a "$out/summary.txt"
fi
du -sh "$target" | tee -a "$out/summary.txt"
rm -rf "$root"
