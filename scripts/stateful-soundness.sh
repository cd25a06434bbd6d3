#!/usr/bin/env bash
# The stateful search against DPOR on generated scenarios (every family, every built-in variant
# without code of its own, every size up to 3 threads of 4 ops in turn: tests/it/stateful.rs),
# until N cases are compared on which DPOR finished within BUDGET executions: the stateful search
# must finish too, with the same violated invariants and the same terminal outcomes. Every
# disagreement is reported with its case (seed, variant, scenario); one line per case on stderr,
# then the totals.
#
#   scripts/stateful-soundness.sh [N=300] [BUDGET=1000000] [JOBS=2]
#
# MAX_CASES (environment) caps the cases tried (default 10 N). Release build, at nice 10.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAPIHANG_STATEFUL_SOUNDNESS="${1:-300}"
export MAPIHANG_STATEFUL_BUDGET="${2:-1000000}"
export MAPIHANG_STATEFUL_JOBS="${3:-2}"
if [ -n "${MAX_CASES:-}" ]; then export MAPIHANG_STATEFUL_MAX_CASES="$MAX_CASES"; fi
exec nice -n 10 cargo test --release --test it stateful::stateful_sees_what_dpor_sees -- --nocapture
