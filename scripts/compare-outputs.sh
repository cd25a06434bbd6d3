#!/usr/bin/env bash
# Run two mapihang binaries on the same commands and diff what they print, byte for byte, with
# wall times masked: the check that a refactoring changed no output.
#
#   scripts/compare-outputs.sh OLD_BINARY NEW_BINARY [OUT_DIR]
#
# Each binary is copied to OUT_DIR/{old,new}/target/release/mapihang (so both suggest commands as
# `cargo run --release --`) and run from the repository root on the example scenarios: check
# (text, json, --out with --explain), explain in every format, replay (own variant and another),
# advise, variants, scenario, hunt, matrix (text, json, markdown), exhaustive (a small bound,
# text, json, --all, --out), corpus add and corpus check, import-fuzz on the fuzz seeds, and bad
# input. Stdout, stderr, the exit code and every file written are compared; `elapsed_ms`,
# `detection_ms`, `total_ms` and "N ms" in text are masked. `stress` runs on real threads (not
# deterministic) and is left out. Exits 1 when anything differs (the diff is printed).
set -uo pipefail

old="${1:?usage: compare-outputs.sh OLD_BINARY NEW_BINARY [OUT_DIR]}"
new="${2:?usage: compare-outputs.sh OLD_BINARY NEW_BINARY [OUT_DIR]}"
dir="${3:-$(mktemp -d)}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

for side in old new; do
  rm -rf "${dir:?}/$side"
  mkdir -p "$dir/$side/target/release" "$dir/$side/files" "$dir/$side/corpus"
done
cp "$old" "$dir/old/target/release/mapihang"
cp "$new" "$dir/new/target/release/mapihang"

mask() {
  sed -E \
    -e 's/"(elapsed_ms|detection_ms|total_ms)": [0-9]+/"\1": T/g' \
    -e 's/[0-9]+ ms\b/T ms/g' \
    -e 's/[0-9.]+ (µs|s)\b/T \1/g'
}

n=0
# run NAME ARGS...: run both binaries with ARGS (FILES stands for the side's output folder,
# CORPUS for its corpus folder) and record stdout, stderr and the exit code.
run() {
  local name="$1"
  shift
  n=$((n + 1))
  for side in old new; do
    local args=()
    for a in "$@"; do
      a="${a//FILES/$dir/$side/files}"
      a="${a//CORPUS/$dir/$side/corpus}"
      args+=("$a")
    done
    (cd "$root" && "$dir/$side/target/release/mapihang" "${args[@]}" \
      >"$dir/$side/$n-$name.out" 2>"$dir/$side/$n-$name.err"
    echo "exit $?" >>"$dir/$side/$n-$name.err")
    for f in "$dir/$side/$n-$name.out" "$dir/$side/$n-$name.err"; do
      sed -i "s#$dir/$side#DIR#g" "$f"
      mask <"$f" >"$f.m" && mv "$f.m" "$f"
    done
  done
}

run variants-text variants
run variants-json variants --format json
for family in service-account same-user multi-user mixed crc-collision any; do
  run "scenario-$family" scenario --family "$family" --seed 3
done

for path in "$root"/examples/scenarios/*.json; do
  s="examples/scenarios/$(basename "$path")"
  b="$(basename "$path" .json)"
  run "check-$b-text" check "$s"
  run "check-$b-json" check "$s" --format json --scheduler pct --schedules 300 --seed 7
  run "check-$b-dpor" check "$s" --scheduler dpor --schedules 20000
  run "check-$b-fixed" check "$s" --variant fixed --format json --scheduler dfs --preemptions 1 --schedules 500
  run "check-$b-steps" check "$s" --steps-max 40 --schedules 50
  run "check-$b-out" check "$s" --out "FILES/$b.json" --explain svg
  for format in text mermaid svg html; do
    run "explain-$b-$format" explain "FILES/$b.json" --format "$format"
  done
  run "replay-$b" replay "FILES/$b.json"
  run "replay-$b-json" replay "FILES/$b.json" --format json
  run "replay-$b-fixed" replay "FILES/$b.json" --variant fixed
  run "replay-$b-timeout" replay "FILES/$b.json" --variant wrong-wait-timeout --schedules 50 --format json
  run "advise-$b" advise "$s" --dpor-budget 2000 --schedules 200
  run "advise-$b-json" advise "$s" --dpor-budget 2000 --schedules 200 --format json
  run "corpus-add-$b" corpus add "$s" --dir CORPUS --note "from $b"
done
run corpus-add-report-json corpus add FILES/seed-repro.json --dir CORPUS --format json
run corpus-check-text corpus check --dir CORPUS
run corpus-check-json corpus check --dir CORPUS --format json

run hunt-text hunt --family same-user --cases 30 --schedules 50 --seed 2
run hunt-json hunt --family crc-collision --cases 30 --schedules 50 --format json
run hunt-fixed hunt --variant fixed --family any --cases 5 --schedules 20
run hunt-fixed-json hunt --variant fixed --family any --cases 5 --schedules 20 --format json
run hunt-cut hunt --variant fixed --family any --cases 3 --schedules 10 --steps-max 30
run hunt-cut-json hunt --variant fixed --family any --cases 3 --schedules 10 --steps-max 30 --format json
run hunt-out hunt --family same-user --cases 30 --schedules 50 --out FILES/hunt.json
run matrix-text matrix --cases 2 --schedules 20 --variant original,fixed,wrong-respawn --jobs 1
run matrix-json matrix --cases 2 --schedules 20 --variant original,fixed --format json --jobs 1
run matrix-md matrix --cases 2 --schedules 20 --format markdown --jobs 1
run matrix-cut matrix --cases 1 --schedules 5 --variant fixed --steps-max 20 --jobs 1
run exhaustive-text exhaustive --ops 1 --jobs 1
run exhaustive-json exhaustive --ops 1 --format json --jobs 1
run exhaustive-fixed exhaustive --variant fixed --ops 2 --users 1 --jobs 1
run exhaustive-all exhaustive --ops 2 --users 1 --all --jobs 1 --preemptions 1
run exhaustive-out exhaustive --ops 1 --out FILES/ex.json --jobs 1 --collide
run exhaustive-none exhaustive --variant fixed --ops 1 --out FILES/none.json --jobs 1 --shard 1/2
run exhaustive-bad exhaustive --threads 9
for target in hunt_original guard_fixed scenario_json; do
  for seed in $(ls "$root/fuzz/seeds/$target" | head -3); do
    run "fuzz-$target-$seed" import-fuzz "fuzz/seeds/$target/$seed" --target "$target"
    run "fuzz-$target-$seed-json" import-fuzz "fuzz/seeds/$target/$seed" --target "$target" --format json --out "FILES/fuzz-$target-$seed.json"
  done
done
run bad-missing check no/such/file.json
run bad-json check Cargo.toml
run bad-schedules check examples/scenarios/seed-repro.json --schedules 0
run bad-variant check examples/scenarios/seed-repro.json --variant nope
run bad-replay replay examples/scenarios/seed-repro.json
run bad-explain explain FILES/ex.json --format nope
run bad-corpus corpus check --dir no/such/dir
run bad-usage check
run help --help
for command in variants check replay hunt scenario advise explain import-fuzz matrix exhaustive stress "corpus add" "corpus check"; do
  # shellcheck disable=SC2086
  run "help-${command// /-}" $command --help
done

status=0
for side in old new; do
  for sub in files corpus; do
    for f in "$dir/$side/$sub"/*; do
      [ -f "$f" ] && sed "s#$dir/$side#DIR#g" "$f" | mask >"$dir/$side/$sub-$(basename "$f")"
    done
  done
done
if diff -r -x target -x files -x corpus "$dir/old" "$dir/new" >"$dir/diff.txt"; then
  echo "compare-outputs: $n commands, identical (masked: wall times) in $dir"
else
  status=1
  cat "$dir/diff.txt"
  echo "compare-outputs: $n commands, DIFFERENT (see $dir/diff.txt)"
fi
exit $status
