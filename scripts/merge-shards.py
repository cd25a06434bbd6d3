#!/usr/bin/env python3
"""Merge the JSON of `mapihang exhaustive --shard I/N --format json` runs into one summary.

Checks that the shards are 1/N..N/N of one run (same variant, bound, preemptions), then sums
them: the merged run is complete only when every shard is, and passes only when every shard
passes. Exit 0 pass, 1 a violation, 3 incomplete, 2 bad input."""
import json
import sys


def main(paths):
    shards = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            shards.append(json.load(f))
    if not shards:
        print("merge-shards: no shard files", file=sys.stderr)
        return 2
    first = shards[0]
    count = int(first["shard"].split("/")[1]) if first.get("shard") else 1
    seen = sorted(int(s["shard"].split("/")[0]) for s in shards if s.get("shard"))
    same = all(
        s["variant"] == first["variant"]
        and s["bound"] == first["bound"]
        and s["preemptions"] == first["preemptions"]
        for s in shards
    )
    if not same or seen != list(range(1, count + 1)):
        print(f"merge-shards: shards {seen} of {count} do not make one run", file=sys.stderr)
        return 2
    merged = {
        "variant": first["variant"],
        "bound": first["bound"],
        "shards": count,
        "scenarios": sum(s["scenarios"] for s in shards),
        "scenarios_checked": sum(s["scenarios_checked"] for s in shards),
        "schedules_run": sum(s["schedules_run"] for s in shards),
        "incomplete_scenarios": sum(s["incomplete_scenarios"] for s in shards),
        "violating_scenarios": sum(s["violating_scenarios"] for s in shards),
        "complete": all(s["complete"] for s in shards),
        "verdict": "violation" if any(s["verdict"] == "violation" for s in shards) else "pass",
    }
    print(json.dumps(merged, indent=2))
    if merged["verdict"] == "violation":
        return 1
    return 0 if merged["complete"] else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
