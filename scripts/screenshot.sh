#!/usr/bin/env bash
# Render a mapihang report as HTML and take a PNG screenshot of it with headless Chromium.
#
#   scripts/screenshot.sh REPORT.json OUT.png [WIDTH,HEIGHT]
#
# REPORT.json is what `mapihang check ... --out REPORT.json` (or `hunt`) writes. The HTML is
# rendered by the library directly (`cargo run -p mapihang-core --example explain`), not by the
# CLI, so the script works whatever state the CLI is in. The page is self-contained (no network,
# no external CSS, scripts or fonts); the window is 1400x900 unless WIDTH,HEIGHT is given.
#
# Needs Debian's Chromium at /usr/bin/chromium (`apt-get install -y chromium`), or set CHROMIUM.
# Example (the picture the README shows):
#
#   cargo run --release -- check examples/scenarios/seed-repro.json --out /tmp/seed-report.json
#   scripts/screenshot.sh /tmp/seed-report.json docs/images/seed-hang.png
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
    echo "usage: $0 REPORT.json OUT.png [WIDTH,HEIGHT]" >&2
    exit 2
fi
report=$1
out=$2
size=${3:-1400,900}
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
    echo "$0: no Chromium at $chromium (apt-get install -y chromium, or set CHROMIUM)" >&2
    exit 2
fi
if [[ ! -r $report ]]; then
    echo "$0: cannot read $report" >&2
    exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
html=$work/report.html

(cd "$root" && cargo run --quiet --release -p mapihang-core --example explain -- \
    "$(realpath "$report")" html "$html")

# A throwaway profile and no background services: nothing is fetched, nothing is kept.
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size="$size" \
    --screenshot="$(realpath -m "$out")" "file://$html" >"$work/chromium.log" 2>&1 || {
    cat "$work/chromium.log" >&2
    exit 1
}
[[ -s $out ]] || { echo "$0: Chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
