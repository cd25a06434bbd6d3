#!/bin/bash -eu
# ClusterFuzzLite build: the guard targets (a crash there is a bug), with their seed corpora and
# dictionary. hunt_original is left out: it crashes at once by design (it finds the MAPICDO hang).
# `fuzz/` is a workspace member, so the binaries land in the target dir given here.
cd "$SRC/mapihang"
cargo fuzz build -O --target-dir fuzz/target
out_dir=fuzz/target/x86_64-unknown-linux-gnu/release
for target in guard_fixed scenario_json; do
    cp "$out_dir/$target" "$OUT/"
    if [ -d "fuzz/seeds/$target" ]; then
        (cd "fuzz/seeds/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
done
# guard_fixed also starts from the hang's regressions: the schedules that broke `original`.
(cd fuzz/regressions/hunt_original && zip -q -r "$OUT/guard_fixed_seed_corpus.zip" .)
cp fuzz/scenario_json.dict "$OUT/scenario_json.dict"
