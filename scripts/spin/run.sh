#!/usr/bin/env bash
# SPIN on the Promela model of mapihang's machinery as implemented (scripts/spin/gen.py).
# Installs nothing: needs `spin` (Debian package spin 6.5.2), gcc and python3 on the PATH.
# Usage: scripts/spin/run.sh [scenario:variant ...]   (default: the pairs below; a scenario is
# examples/scenarios/NAME.json, else scripts/spin/scenarios/NAME.json)
# For each pair it regenerates scripts/spin/models/SCENARIO-VARIANT.pml and runs, in a scratch dir:
#   POR / NOREDUCE: full state space, every check off (-E, no assertions compiled in): states
#                   stored, transitions, pan's elapsed time;
#   signals:        invalid end states on (poller-signals);
#   owns, iso:      the model compiled with -DCHK_OWNS (poller-owns-list) / -DCHK_ISO
#                   (list-isolation) assertions, invalid end states off;
#   no-leak:        the model compiled with -DCHK_LEAK (an idle poller at the end is an invalid
#                   end state too; only judged where poller-signals holds, as mapihang does);
#   budget:         the model compiled with -DBUDGET (polls_max modelled, with an assertion that
#                   it is never reached): states stored, and whether the assertion held;
#   coarse:         -DCOARSE, a coarser model that is NOT mapihang's (see gen.py): states stored;
#   hist:           -DHIST, ids and each actor's log kept as ghost state (an estimate of what
#                   they add to a fingerprint): states stored, with POR and without.
# Each "viol" column says yes (with the pan error) or no; -c1 (stop at the first error) for those.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pairs=("$@")
[ ${#pairs[@]} -eq 0 ] && pairs=(seed-repro:fixed seed-repro:original brief-second-user:fixed brief-second-user:original crc-collision:fixed crc-collision:original)
mkdir -p "$here/models"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build DIR MODEL [spin -D flags] -- [gcc flags]
build() {
  local dir=$1 model=$2; shift 2
  local sflags=() gflags=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do sflags+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  gflags=("$@")
  mkdir -p "$dir" && cp "$model" "$dir/m.pml"
  (cd "$dir" && spin "${sflags[@]}" -a m.pml >/dev/null && gcc -w -O2 -DSAFETY "${gflags[@]}" -o pan pan.c) || { echo "build failed: $dir" >&2; exit 1; }
}
stat() { # file -> "states transitions seconds"
  local s t e
  s=$(awk '/states, stored/{print $1; exit}' "$1")
  t=$(awk '/transitions \(= stored\+matched\)/{print $1; exit}' "$1")
  e=$(awk '/pan: elapsed time/{print ($4 == 0 ? "<0.01" : $4); exit}' "$1")
  echo "$s $t $e"
}
viol() { # file -> yes(N)/no
  local n; n=$(awk '/errors:/{print $NF; exit}' "$1")
  if [ "${n:-0}" != "0" ]; then echo "yes: $(grep -m1 -E '^pan:[0-9]+:' "$1" | sed 's/^pan:[0-9]*: *//; s/ (at depth.*//')"; else echo no; fi
}

printf '| scenario | variant | POR states | POR transitions | POR time | NOREDUCE states | NOREDUCE transitions | NOREDUCE time | poller-signals | poller-owns-list | list-isolation | no-leak | with budget: states (POR), budget reached | coarse: states (POR) | hist: states (POR / NOREDUCE) |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for pair in "${pairs[@]}"; do
  s=${pair%%:*}; v=${pair##*:}
  model="$here/models/$s-$v.pml"
  json="$root/examples/scenarios/$s.json"; [ -f "$json" ] || json="$here/scenarios/$s.json"
  python3 "$here/gen.py" "$json" "$v" > "$model"
  d="$work/$s-$v"
  build "$d/por" "$model" -- ;                          (cd "$d/por" && ./pan -E -m100000 > out.txt 2>&1; ./pan -m100000 > sig.txt 2>&1)
  build "$d/nored" "$model" -- -DNOREDUCE;              (cd "$d/nored" && ./pan -E -m100000 > out.txt 2>&1)
  build "$d/owns" "$model" -DCHK_OWNS -- ;              (cd "$d/owns" && ./pan -E -m100000 > out.txt 2>&1)
  build "$d/iso" "$model" -DCHK_ISO -- ;                (cd "$d/iso" && ./pan -E -m100000 > out.txt 2>&1)
  build "$d/leak" "$model" -DCHK_LEAK -- ;              (cd "$d/leak" && ./pan -m100000 > out.txt 2>&1)
  build "$d/coarse" "$model" -DCOARSE -- ;              (cd "$d/coarse" && ./pan -E -m100000 > out.txt 2>&1)
  build "$d/hist" "$model" -DHIST -- ;                  (cd "$d/hist" && ./pan -E -m100000 > out.txt 2>&1)
  build "$d/histn" "$model" -DHIST -- -DNOREDUCE;       (cd "$d/histn" && ./pan -E -m100000 > out.txt 2>&1)
  build "$d/budget" "$model" -DBUDGET -- ;              (cd "$d/budget" && ./pan -E -A -m100000 > out.txt 2>&1; ./pan -E -m100000 > chk.txt 2>&1)
  read -r ps pt pe <<<"$(stat "$d/por/out.txt")"
  read -r ns nt ne <<<"$(stat "$d/nored/out.txt")"
  read -r bs _ _ <<<"$(stat "$d/budget/out.txt")"
  read -r cs _ _ <<<"$(stat "$d/coarse/out.txt")"
  read -r hs _ _ <<<"$(stat "$d/hist/out.txt")"
  read -r hn _ _ <<<"$(stat "$d/histn/out.txt")"
  sig=$(viol "$d/por/sig.txt")
  if [ "$sig" = no ]; then leak=$(viol "$d/leak/out.txt"); else leak="(not judged: hang)"; fi
  b=$(viol "$d/budget/chk.txt"); [ "$b" = no ] && b="never" || b="reached ($b)"
  printf '| %s | %s | %s | %s | %s s | %s | %s | %s s | %s | %s | %s | %s | %s, %s | %s | %s / %s |\n' "$s" "$v" "$ps" "$pt" "$pe" "$ns" "$nt" "$ne" \
    "$sig" "$(viol "$d/owns/out.txt")" "$(viol "$d/iso/out.txt")" "$leak" "$bs" "$b" "$cs" "$hs" "$hn"
  [ -n "${KEEP:-}" ] && { mkdir -p "$KEEP"; cp -r "$d" "$KEEP/"; }
done
