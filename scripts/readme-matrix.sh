#!/usr/bin/env bash
# Regenerate the fix-guard matrix (every variant x every family, observed vs declared) and splice
# it into README.md between the lines `<!-- matrix:start -->` and `<!-- matrix:end -->`.
#
#   scripts/readme-matrix.sh [MATRIX OPTIONS...]     e.g. --seed 1 --cases 200
#
# Extra arguments go to `mapihang matrix` (the defaults are the documented budget). The README is
# only rewritten when the matrix ran, agreed with every declaration (exit 0), and both markers are
# present once, start before end; otherwise it is left untouched and the script exits non-zero.
# Set README=path to splice into another file (the tests do).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readme="${README:-$root/README.md}"
start='<!-- matrix:start -->'
end='<!-- matrix:end -->'

die() { echo "readme-matrix: $*" >&2; exit 1; }

[ -f "$readme" ] || die "$readme not found"
starts=$(grep -cxF -- "$start" "$readme" || true)
ends=$(grep -cxF -- "$end" "$readme" || true)
[ "$starts" = 1 ] && [ "$ends" = 1 ] ||
  die "$readme must hold exactly one line '$start' and one line '$end' (found $starts and $ends)"
start_line=$(grep -nxF -- "$start" "$readme" | cut -d: -f1)
end_line=$(grep -nxF -- "$end" "$readme" | cut -d: -f1)
[ "$start_line" -lt "$end_line" ] || die "'$start' must come before '$end' in $readme"

table="$(mktemp)"
out="$(mktemp "$(dirname "$readme")/.readme-matrix.XXXXXX")"
trap 'rm -f "$table" "$out"' EXIT

status=0
(cd "$root" && cargo run --release --quiet --bin mapihang -- matrix --format markdown "$@") >"$table" || status=$?
if [ "$status" -eq 1 ]; then
  cat "$table" >&2
  die "the matrix disagrees with the declared expectations (see the cells marked ❌); README not changed"
elif [ "$status" -ne 0 ]; then
  die "mapihang matrix failed (exit $status); README not changed"
fi
[ -s "$table" ] || die "mapihang matrix printed nothing; README not changed"

{
  head -n "$start_line" "$readme"
  echo
  cat "$table"
  echo
  tail -n "+$end_line" "$readme"
} >"$out"
if cmp -s "$out" "$readme"; then
  echo "readme-matrix: $readme already up to date"
else
  chmod --reference="$readme" "$out" 2>/dev/null || true
  mv "$out" "$readme"
  echo "readme-matrix: matrix spliced into $readme (lines $start_line..$end_line)"
fi
