#!/usr/bin/env bash
# Regenerate every sample output in README.md from the real binary.
#
#   scripts/readme-samples.sh
#
# A sample is a block of the README between a line `<!-- sample: ARGS [| lines N] [| mask MODE] -->`
# and the line `<!-- sample:end -->`: the script runs `mapihang ARGS` (the release build, from the
# repository root), keeps the first N lines of its stdout (then a line `...`) and puts it there in
# a ```text fence. `mask` only tells the test what varies from run to run: `timings` (the default:
# numbers followed by ms, µs or s) or `numbers` (every number: real-thread counts). The matrix table
# has its own script (scripts/readme-matrix.sh). `tests/it/readme.rs` runs the same commands and
# fails when a sample drifts from what the binary prints, with what `mask` names masked.
# Set README=path to rewrite another file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readme="${README:-$root/README.md}"
[ -f "$readme" ] || { echo "readme-samples: $readme not found" >&2; exit 1; }

(cd "$root" && cargo build --release --quiet --bin mapihang)
bin="$root/target/release/mapihang"

out="$(mktemp "$(dirname "$readme")/.readme-samples.XXXXXX")"
trap 'rm -f "$out"' EXIT

in_sample=0
count=0
while IFS= read -r line || [ -n "$line" ]; do
  if [ "$in_sample" = 1 ]; then
    if [ "$line" = "<!-- sample:end -->" ]; then
      printf '%s\n' "$line" >>"$out"
      in_sample=0
    fi
    continue
  fi
  printf '%s\n' "$line" >>"$out"
  case "$line" in
    "<!-- sample: "*" -->")
      spec="${line#<!-- sample: }"
      spec="${spec% -->}"
      args="${spec%%|*}"
      lines=""
      rest="${spec#"$args"}"
      if [[ "$rest" =~ lines\ ([0-9]+) ]]; then lines="${BASH_REMATCH[1]}"; fi
      text="$(cd "$root" && eval "set -- $args" && "$bin" "$@" 2>/dev/null || true)"
      {
        echo '```text'
        if [ -n "$lines" ] && [ "$(printf '%s\n' "$text" | wc -l)" -gt "$lines" ]; then
          printf '%s\n' "$text" | head -n "$lines"
          echo '...'
        else
          printf '%s\n' "$text"
        fi
        echo '```'
      } >>"$out"
      in_sample=1
      count=$((count + 1))
      ;;
  esac
done <"$readme"
[ "$in_sample" = 0 ] || { echo "readme-samples: a sample has no '<!-- sample:end -->'" >&2; exit 1; }

if cmp -s "$out" "$readme"; then
  echo "readme-samples: $count sample(s), $readme already up to date"
else
  chmod --reference="$readme" "$out" 2>/dev/null || true
  mv "$out" "$readme"
  echo "readme-samples: $count sample(s) regenerated in $readme"
fi
