#!/usr/bin/env bash
# capacity.html as a browser builds it: a small two-axis sweep, opened in headless Chromium
# (--dump-dom after the page's script ran): the page says it drew (data-state="drawn", not
# "failed"), draws a chart per curve (uPlot canvases), shows the answer, the pass/fail map
# with a link per point to its report, and the Universal Scalability table; the file fetches
# nothing; and two sweeps give the same bytes.
# Usage: capacity_test.sh ESTATE_BINARY SOURCE_DIR
set -euo pipefail
estate=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); src=$(cd "$2" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
chromium=""
for c in chromium chromium-browser google-chrome; do command -v "$c" >/dev/null && { chromium=$(command -v "$c"); break; }; done
[ -n "$chromium" ] || fail "Chromium is not installed (scripts/setup installs it)"

args=(sweep "$src/scenarios/steady_state.json" --set duration=30m --vary "demand.scale=1,2,3" --vary "erp.quota.rate=300/min,600/min,1200/min" --seeds 1 --quiet)
"$estate" "${args[@]}" --out "$tmp/a" || fail "estate sweep failed"
"$estate" "${args[@]}" --out "$tmp/b" --jobs 1 || fail "estate sweep failed"
html="$tmp/a/capacity.html"
cmp -s "$html" "$tmp/b/capacity.html" || fail "two sweeps gave different capacity.html"
if grep -Eiq "<(link|iframe|object|embed|base)[ >]|<img [^>]*src=\"?(https?:)?//|@import" "$html"; then fail "capacity.html references something outside itself"; fi

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$tmp/profile" --window-size=1280,2000 \
  --virtual-time-budget=5000 --dump-dom "file://$html" >"$tmp/dom.html" 2>"$tmp/chromium.err" || fail "chromium failed: $(tail -5 "$tmp/chromium.err")"
grep -q 'data-state="drawn"' "$tmp/dom.html" || { grep -o 'failed to build[^<]*' "$tmp/dom.html" >&2 || true; fail "the page did not draw"; }
canvases=$(grep -o '<canvas' "$tmp/dom.html" | wc -l)
# Three curves (one per quota) of three or four charts each, and the USL fits.
[ "$canvases" -ge 9 ] || fail "expected at least 9 charts, found $canvases"
grep -q 'id="answer"' "$tmp/dom.html" || fail "no answer on top"
! grep -q '\[object ' "$tmp/dom.html" || fail "the page shows an element as text ([object ...])"
grep -q '<code>demand.scale</code> × <code>erp.quota.rate</code>' "$tmp/dom.html" || fail "the header does not name both axes"
grep -q 'class="passmap"' "$tmp/dom.html" || fail "no pass/fail map"
links=$(grep -o 'href="points/p00[0-8]/report.html"' "$tmp/dom.html" | sort -u | wc -l)
[ "$links" = 9 ] || fail "expected a link to each of 9 point reports, found $links"
grep -q 'Universal Scalability Law' "$tmp/dom.html" || fail "no USL section"
for p in p000 p008; do [ -f "$tmp/a/points/$p/report.html" ] || fail "no report for $p"; done
echo "capacity.html drawn: $canvases charts"
