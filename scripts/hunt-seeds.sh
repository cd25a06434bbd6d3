#!/usr/bin/env bash
# Hunt the hang under `original` in family `any` from N seeds (default 20) and print, per seed,
# the cases tried, the shrunk ops and users, the preemptions, the time to detection and to the
# end of shrinking; then the medians. Used for the numbers in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-20}
cargo build --release -q
for seed in $(seq 1 "$seeds"); do
  ./target/release/mapihang hunt --family any --invariant poller-signals --seed "$seed" --format json || [ $? -eq 1 ]
done | python3 -c '
import json, sys, statistics
dec = json.JSONDecoder(); text = sys.stdin.read(); i = 0; rows = []
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    obj, i = dec.raw_decode(text, i); rows.append(obj)
print("seed verdict cases ops users preemptions detection_ms total_ms")
for n, r in enumerate(rows, 1):
    h = r["hunt"]
    print(n, r["verdict"], h["cases_tried"], h["shrunk_ops"], h["users"], h["preemptions"], h["detection_ms"], h["total_ms"])
found = sum(r["verdict"] == "violation" for r in rows)
ok = sum(r["hunt"]["shrunk_ops"] <= 6 and r["hunt"]["users"] == 2 for r in rows)
print(f"found {found}/{len(rows)}; shrunk to <= 6 ops and 2 users: {ok}/{len(rows)}")
print("median detection_ms", statistics.median(r["hunt"]["detection_ms"] for r in rows))
print("median total_ms", statistics.median(r["hunt"]["total_ms"] for r in rows))
'
