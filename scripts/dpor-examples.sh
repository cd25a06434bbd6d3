#!/usr/bin/env bash
# check --scheduler dpor on the example scenarios: verdict, executions, traces, pruned, complete, ms.
# Usage: cargo build --release && scripts/dpor-examples.sh
set -uo pipefail
cd "$(dirname "$0")/.."
for pair in seed-repro:fixed seed-repro:original brief-second-user:original brief-second-user:fixed crc-collision:original mixed:original same-user:original service-account:original service-account:fixed; do
  s=${pair%%:*}; v=${pair##*:}
  start=$(date +%s.%N)
  out=$(timeout 200 ${MAPIHANG:-target/release/mapihang} check examples/scenarios/$s.json --variant $v --scheduler dpor --schedules 10000000 --format json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['verdict'], d['executions'], d['traces'], d['pruned'], d['complete'], d['elapsed_ms'])" 2>/dev/null)
  echo "$s $v ${out:-timeout>200s}"
done
