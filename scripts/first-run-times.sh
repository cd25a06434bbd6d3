#!/usr/bin/env bash
# The README's two "Set up and run" commands from an empty target directory, timed: wall, user
# and sys CPU time, peak memory, the load average before and after, and cargo's --timings
# report of each build (copied out before the target directory is deleted). Usage:
#   scripts/first-run-times.sh LABEL [OUT_DIR=/tmp/first-run-LABEL]
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
# `--timings` only reports (no effect on what is built); the commands are otherwise the README's.
# The second is timed in two parts, its compile (`--no-run`) and then the run itself (nothing
# left to compile): together they are `cargo test --workspace`.
step run cargo run --release --timings -- hunt
step test-build cargo test --workspace --no-run --timings
step test cargo test --workspace
grep -E "^test result|FAILED|panicked" "$out/test.log" | sort | uniq -c | tee -a "$out/summary.txt"
du -sh "$target" | tee -a "$out/summary.txt"
rm -rf "$root"
