#!/usr/bin/env bash
# DPOR against unbounded DFS on generated scenarios (every family, every built-in variant in
# turn, every size up to 3 threads of 4 ops in turn: tests/it/dpor.rs), until N cases are
# compared on which DFS finished within DFS_BUDGET schedules: the same violated invariants, the
# same terminal outcomes, never more executions. Every disagreement is reported with its case
# (seed, variant, scenario) at the end, not only the first; one line per case on stderr, then
# the totals (cases tried, compared, skipped and why, executions and seconds of each search).
#
#   scripts/dpor-soundness.sh [N=300] [DFS_BUDGET=2000000] [JOBS=2] [PREFILTER=]
#
# PREFILTER=T runs DPOR first within T executions and skips, without running DFS, a case it does
# not finish (counted apart as "prefiltered"): a speed-up for a run with a deadline, at the cost
# of leaving out cases DFS might have finished. Without it DFS runs first on every case, the
# definition of the comparison. MAX_CASES (environment) caps the cases tried (default 40 N).
# Release build (the search is CPU-heavy; debug assertions, and with them the sim layer's
# footprint checks, are off: `cargo test` runs those), at nice 10: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAPIHANG_DPOR_SOUNDNESS="${1:-300}"
export MAPIHANG_DPOR_DFS_BUDGET="${2:-2000000}"
export MAPIHANG_DPOR_JOBS="${3:-2}"
if [ -n "${4:-}" ]; then export MAPIHANG_DPOR_PREFILTER="$4"; fi
if [ -n "${MAX_CASES:-}" ]; then export MAPIHANG_DPOR_MAX_CASES="$MAX_CASES"; fi
exec nice -n 10 cargo test --release --test it dpor::dpor_sees_what_unbounded_dfs_sees -- --nocapture
