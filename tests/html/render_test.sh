#!/usr/bin/env bash
# report.html as a person sees it. A short peak_promotion run, with a warehouse outage inside
# the promotion, writes report.html. render_check.py opens it in headless Chromium and judges
# from outside, from a screenshot of the whole page (the page never measures itself): every
# chart is drawn (pixels in each key series' colour in its plot area), both windows and the
# drain are shaded where the timeline puts them in every chart over time, every window is
# labelled and no two labels overlap, the page logged no error or warning and requested
# nothing. Then XPath on the DOM after drawing: axes titled with units, legends naming the
# expected series, the tables (all-zero rows folded), the 3PL shown as its dock-to-ship. And
# two runs give byte-identical pages. Set ESTATE_HTML_SCREENSHOT=/path.png to keep the
# screenshot.
# Usage: render_test.sh ESTATE_BINARY SOURCE_DIR
set -euo pipefail
estate=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); src=$(cd "$2" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
start=$(date +%s)

chromium=""
for c in chromium chromium-browser google-chrome; do command -v "$c" >/dev/null && { chromium=$(command -v "$c"); break; }; done
[ -n "$chromium" ] || fail "Chromium is not installed (scripts/setup installs it)"
command -v xmllint >/dev/null || fail "xmllint is not installed (libxml2-utils; scripts/setup installs it)"
[ -x /usr/bin/python3 ] || fail "Debian's python3 is not installed (scripts/setup installs it)"

# --- two runs, from a directory outside the repository: the page needs nothing from it. The
# description carries markup and a U+2028, which must reach the page as text (a scenario's
# name cannot: it names the output folder, so it is letters, digits, '.', '_' and '-').
name='peak.markup_test-1'
description=$'promo </script><b>not bold</b> & "quoted" \xe2\x80\xa8 after a line separator'
# The promotion from 30m to 1h30m and wh2 down from 40m to 1h: overlapping windows whose
# labels would collide.
timeline='[{"at": "30m", "for": "1h", "promotion": {"multiplier": 8, "skus": {"top": 10}, "channels": ["storefront", "marketplace"], "ramp": "10m"}},
  {"at": "40m", "for": "20m", "outage": {"system": "wh2", "mode": "down"}}]'
args=(run "$src/scenarios/peak_promotion.json" --quiet --set duration=2h --set "timeline=$timeline"
  --set "name=$name" --set "description=$description")
for run in a b; do
  rc=0
  (cd "$tmp" && "$estate" "${args[@]}" --out "$tmp/$run") >"$tmp/$run.out" 2>&1 || rc=$?
  # 0 ok, 1 a threshold failed, 3 an integrity check failed: the report is written in all three.
  case $rc in 0|1|3) ;; *) cat "$tmp/$run.out" >&2; fail "estate run exited $rc" ;; esac
done
html="$tmp/a/report.html"
[ -s "$html" ] || fail "no report.html"
cmp -s "$html" "$tmp/b/report.html" || fail "two runs of the same scenario gave different report.html"

# --- the file itself: offline by construction.
grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">" "$html" ||
  fail "report.html has no Content-Security-Policy forbidding fetches"
if grep -Eiq "<(link|iframe|object|embed|base)[ >]|<img [^>]*src=\"?(https?:)?//|@import|url\( *['\"]?(https?:)?//" "$html"; then
  fail "report.html references something outside itself"
fi
grep -q 'uPlot (v1\.6\.' "$html" || fail "uPlot is not inlined"
size=$(wc -c <"$html")
[ "$size" -lt 3000000 ] || fail "report.html is $size bytes"

# --- render it and judge the pixels from outside; keep the DOM after drawing for XPath.
dom="$tmp/dom.html"
/usr/bin/python3 "$src/tests/html/render_check.py" "$chromium" "$html" "$tmp/a/report.json" "$dom" ${ESTATE_HTML_SCREENSHOT:+"$ESTATE_HTML_SCREENSHOT"} ||
  fail "report.html as drawn (above)"
if [ -n "${ESTATE_HTML_SCREENSHOT:-}" ]; then echo "screenshot: $ESTATE_HTML_SCREENSHOT"; fi

x() { xmllint --html --xpath "$1" "$dom" 2>/dev/null || true; }
num() { local v; v=$(x "$1"); echo "${v:-0}"; }
expect() {  # expect DESCRIPTION XPATH-NUMBER EXPECTED
  local got; got=$(num "$2")
  [ "$got" = "$3" ] || fail "$1: expected $3, got $got"
}
atleast() {  # atleast DESCRIPTION XPATH-NUMBER MINIMUM
  local got; got=$(num "$2")
  [ "$got" -ge "$3" ] 2>/dev/null || fail "$1: expected at least $3, got $got"
}

# Text from the report is shown as text, not markup.
[ "$(x 'string(//h1/text())')" = "$name" ] || fail "the scenario name is not shown as written: $(x 'string(//h1)')"
x 'string(//p[@class="desc"])' | grep -qF 'promo </script><b>not bold</b> & "quoted"' || fail "the description is not shown as written"
expect "markup injected by the description" 'count(//b[.="not bold"])' 0

# The expected charts: per flow one over time and one distribution, one per stage, and
# oversell, stock variance, channel-view variance and 429s/retries.
flows=6
stages=$(grep -c '"servers":' "$tmp/a/report.json")
docks=$(grep -c '"system": "3pl"' "$tmp/a/report.json" || true)
[ "$docks" -ge 1 ] || fail "the run has no 3PL"
charts=$((2 * flows + stages + 4))
fig='//figure[contains(@class,"chart")]'
expect "charts" "count($fig)" "$charts"
expect "charts over time" "count($fig[@data-kind=\"time\"])" $((flows + stages + 4))
expect "distribution charts" "count($fig[@data-kind=\"distribution\"])" "$flows"
expect "charts with a canvas" "count($fig[.//canvas])" "$charts"
expect "timeline windows in the run" "count(//table[contains(@class,'timeline')]/tbody/tr[not(contains(., 'drain'))])" 2

# Titled axes with units, and legends naming the series.
expect "charts without a title" "count($fig[normalize-space(h3)=\"\"])" 0
expect "time axes titled with their unit" "count($fig[@data-kind=\"time\"][.//div[@class=\"xtitle\"][starts-with(., \"Simulated time (\")]])" $((flows + stages + 4))
expect "y axes without a unit in their title" "count($fig//div[contains(@class,\"ytitle\")][not(contains(., \"(\"))])" 0
expect "stage charts with a right-hand axis title" "count($fig//div[@class=\"ytitle right\"][.=\"Jobs (waiting, in service)\"])" $((stages - docks))
expect "3PL charts with a right-hand axis title" "count($fig//div[@class=\"ytitle right\"][.=\"Orders (waiting, at the dock)\"])" "$docks"
label='//tr[contains(@class,"u-series")]//div[@class="u-label"]'
for s in p50 p90 p99 max; do expect "latency legends with '$s'" "count($fig[@data-kind=\"time\"]$label[.=\"$s\"])" "$flows"; done
for s in throughput 'waiting (peak)'; do expect "stage legends with '$s'" "count($fig$label[.=\"$s\"])" "$stages"; done
expect "stage legends with 'in service'" "count($fig$label[.=\"in service\"])" $((stages - docks))
# The 3PL's station is its dock-to-ship wait (waves and cut-offs), not workers in service.
expect "3PL legends with 'at the dock (waves, cut-offs)'" "count($fig$label[.=\"at the dock (waves, cut-offs)\"])" "$docks"
expect "3PL charts titled as its dock-to-ship" "count($fig[contains(h3, \"3PL dock-to-ship\")][not(contains(h3, \"workers\"))])" "$docks"
expect "3PL stage rows named as its dock-to-ship" "count(//table[contains(@class,\"stages\")]/tbody/tr[contains(td[1], \"3PL dock-to-ship\")])" "$docks"
expect "distribution legends with 'cumulative'" "count($fig[@data-kind=\"distribution\"]$label[.=\"cumulative\"])" "$flows"
atleast "legend entries" "count($fig$label)" $((charts * 3))

# The tables: verdict, integrity, outages, oversell by channel, latency summary, stages.
x 'string(//*[@id="verdict"])' | grep -Eq 'Integrity (OK|FAILED)' || fail "no verdict"
x 'string(//table[contains(@class,"integrity")])' | grep -q 'Lost orders' || fail "no integrity table"
# All-zero rows are folded under the table, counted in its summary; none is left in it (a
# check with its mark stays: its zero is the verdict).
folded=$(num 'count(//section[@id="integrity"]//details[contains(@class,"zero-rows")]//tbody/tr)')
[ "$folded" -ge 1 ] || fail "no all-zero integrity rows folded (the run has some: lost orders by stage)"
[ "$(x 'normalize-space(//section[@id="integrity"]//details[contains(@class,"zero-rows")]/summary)')" = "$folded rows all zero" ] ||
  fail "the folded rows' summary does not count them: $(x 'string(//section[@id="integrity"]//details/summary)')"
expect "all-zero integrity rows left unfolded" 'count(//table[contains(@class,"integrity") and not(contains(@class,"folded"))]/tbody/tr[normalize-space(td[2])="0" and not(td[3]//span)])' 0
expect "folded integrity rows that are not zero" 'count(//table[contains(@class,"integrity") and contains(@class,"folded")]/tbody/tr[normalize-space(td[2])!="0" and normalize-space(td[2])!="0%"])' 0
x 'string(//section[@id="integrity"])' | grep -q 'Outages' || fail "no outages table"
expect "latency table rows" 'count(//table[@class="latency"]/tbody/tr)' "$flows"
# Every flow's p99 for each channel (all six flows have channels) and each window's own figures.
expect "p99 by channel rows" 'count(//table[contains(@class,"latency-by_channel")]/tbody/tr)' "$flows"
expect "rows of the windows table (inside and after each window)" 'count(//section[@id="timeline"]//table[not(contains(@class,"timeline"))]/tbody/tr)' \
  "$(/usr/bin/python3 -c "import json,sys; print(2 * len(json.load(open(sys.argv[1]))['windows']))" "$tmp/a/report.json")"
expect "stage table rows" 'count(//table[contains(@class,"stages")]/tbody/tr)' "$stages"
x 'string(//section[@id="oversell"])' | grep -q 'marketplace' || fail "no oversell by channel"
x 'string(//section[@id="oversell"])' | grep -q 'By SKU class' || fail "no oversell by SKU class"
# Thresholds, when the report has them: one row each, with its verdict.
passes=$(grep -c '"verdict": "pass"' "$tmp/a/report.json" || true)
fails=$(grep -c '"verdict": "fail"' "$tmp/a/report.json" || true)
if grep -q '"thresholds": \[' "$tmp/a/report.json"; then
  expect "threshold rows" 'count(//table[contains(@class,"thresholds")]/tbody/tr)' $((passes + fails))
  expect "PASS verdicts" 'count(//table[contains(@class,"thresholds")]//span[.="PASS"])' "$passes"
  expect "FAIL verdicts" 'count(//table[contains(@class,"thresholds")]//span[.="FAIL"])' "$fails"
else
  x 'string(//*[@id="verdict"])' | grep -q 'No thresholds' || fail "no word on the absent thresholds"
fi

echo "ok: $charts charts drawn, no requests, byte-identical ($size bytes, $(( $(date +%s) - start )) s)"
