#!/usr/bin/env bash
# DPOR against unbounded DFS on N generated scenarios (at most 3 threads of 4 ops, every family,
# every built-in variant in turn) on which DFS finishes within the budget: the same violated
# invariants, the same terminal outcomes, never more executions. Usage:
#   scripts/dpor-soundness.sh [N=300] [DFS_BUDGET=2000000]
set -euo pipefail
cd "$(dirname "$0")/.."
MAPIHANG_DPOR_SOUNDNESS="${1:-300}" MAPIHANG_DPOR_DFS_BUDGET="${2:-2000000}" \
    cargo test --release --test it dpor::dpor_sees_what_unbounded_dfs_sees -- --nocapture
