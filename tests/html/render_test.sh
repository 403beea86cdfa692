#!/usr/bin/env bash
# report.html as a person sees it. A short peak_promotion run writes report.html; headless
# Chromium opens it and the test reads the DOM after the page's script has run. It proves:
# every chart is drawn (its canvas has pixels in its series' colours, counted by the page
# after drawing), the promotion window is shaded in every chart over time, axes are titled
# with units, legends name the expected series, the tables are there, the page made no
# network request (CSP, and Chromium's net log), and two runs give byte-identical pages.
# Set ESTATE_HTML_SCREENSHOT=/path.png to also keep a screenshot to look at.
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

# --- two runs, from a directory outside the repository: the page needs nothing from it. The
# description carries markup and a U+2028, which must reach the page as text (a scenario's
# name cannot: it names the output folder, so it is letters, digits, '.', '_' and '-').
name='peak.markup_test-1'
description=$'promo </script><b>not bold</b> & "quoted" \xe2\x80\xa8 after a line separator'
args=(run "$src/scenarios/peak_promotion.json" --quiet --set duration=2h --set timeline.0.at=30m --set timeline.0.for=1h
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

# --- render it: the DOM after the page's script ran, and Chromium's record of the network.
chrome=("$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --disable-extensions --hide-scrollbars --window-size=1400,4000
  --virtual-time-budget=10000)
timeout 120 "${chrome[@]}" --user-data-dir="$tmp/profile1" --log-net-log="$tmp/net.json" --dump-dom "file://$html" \
  >"$tmp/dom.html" 2>"$tmp/chromium.log" || { tail -20 "$tmp/chromium.log" >&2; fail "Chromium failed"; }
if [ -n "${ESTATE_HTML_SCREENSHOT:-}" ]; then
  timeout 120 "${chrome[@]}" --user-data-dir="$tmp/profile2" --screenshot="$ESTATE_HTML_SCREENSHOT" "file://$html" >/dev/null 2>&1 ||
    fail "Chromium could not take the screenshot"
  echo "screenshot: $ESTATE_HTML_SCREENSHOT"
fi
dom="$tmp/dom.html"

# A request made by the page carries the page's (file://) network isolation key; Chromium's
# own background traffic, if any, does not.
[ -s "$tmp/net.json" ] || fail "Chromium wrote no net log"
if grep -q '"network_isolation_key":"file:' "$tmp/net.json"; then
  grep -o '"url":"[^"]*"' "$tmp/net.json" | sort -u | head >&2
  fail "the page made network requests"
fi

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

# The page ran to the end, without errors and without anything blocked by its policy.
[ "$(x 'string(//body/@data-state)')" = drawn ] || fail "the page did not finish drawing: $(x 'string(//body/@data-error-text)')"
expect "script errors ($(x 'string(//body/@data-error-text)'))" 'number(//body/@data-errors)' 0
expect "requests blocked by the page's policy" 'number(//body/@data-csp-violations)' 0

# Text from the report is shown as text, not markup.
[ "$(x 'string(//h1/text())')" = "$name" ] || fail "the scenario name is not shown as written: $(x 'string(//h1)')"
x 'string(//p[@class="desc"])' | grep -qF 'promo </script><b>not bold</b> & "quoted"' || fail "the description is not shown as written"
expect "markup injected by the description" 'count(//b[.="not bold"])' 0

# The expected charts: per flow one over time and one distribution, one per stage, and
# oversell, stock variance, channel-view variance and 429s/retries.
flows=6
stages=$(grep -c '"servers":' "$tmp/a/report.json")
charts=$((2 * flows + stages + 4))
fig='//figure[contains(@class,"chart")]'
expect "charts" "count($fig)" "$charts"
expect "charts the page counted" 'number(//body/@data-charts)' "$charts"
expect "charts over time" "count($fig[@data-kind=\"time\"])" $((flows + stages + 4))
expect "distribution charts" "count($fig[@data-kind=\"distribution\"])" "$flows"
expect "charts with a canvas" "count($fig[.//canvas])" "$charts"

# Drawn: every chart has pixels in its series' colours in its plot area.
expect "charts with too little drawn" "count($fig[not(@data-ink) or number(@data-ink) < 100])" 0
for series in p50 p90 p99 'share of events' cumulative throughput 'stock variance (% of units)' 'channel-view variance' 'ERP 429s'; do
  x "$fig/@data-ink-series" | grep -q "$series=[1-9]" || fail "no chart drew series '$series'"
done
if x "$fig/@data-ink-series" | grep -Eq '(^|[";])(p50|p90|p99|share of events|cumulative|throughput)=0([;"]|$)'; then
  fail "a chart left a key series undrawn: $(x "$fig/@data-ink-series" | grep -Eo '[^";]*(p50|p90|p99|share of events|cumulative|throughput)=0' | head -3)"
fi

# The promotion window is shaded in every chart over time (the page reads the pixel back).
expect "timeline windows in the run" "count(//table[contains(@class,'timeline')]/tbody/tr[not(contains(., 'drain'))])" 1
expect "charts over time without the window in view" "count($fig[@data-kind=\"time\"][not(@data-windows=\"1\")])" 0
expect "charts over time where the window is not shaded" "count($fig[@data-kind=\"time\"][not(@data-windows-drawn=\"1\")])" 0

# Titled axes with units, and legends naming the series.
expect "charts without a title" "count($fig[normalize-space(h3)=\"\"])" 0
expect "time axes titled with their unit" "count($fig[@data-kind=\"time\"][.//div[@class=\"xtitle\"][starts-with(., \"Simulated time (\")]])" $((flows + stages + 4))
expect "y axes without a unit in their title" "count($fig//div[contains(@class,\"ytitle\")][not(contains(., \"(\"))])" 0
expect "stage charts with a right-hand axis title" "count($fig//div[@class=\"ytitle right\"][.=\"Jobs (waiting, in service)\"])" "$stages"
label='//tr[contains(@class,"u-series")]//div[@class="u-label"]'
for s in p50 p90 p99 max; do expect "latency legends with '$s'" "count($fig[@data-kind=\"time\"]$label[.=\"$s\"])" "$flows"; done
for s in throughput 'waiting (peak)' 'in service'; do expect "stage legends with '$s'" "count($fig$label[.=\"$s\"])" "$stages"; done
expect "distribution legends with 'cumulative'" "count($fig[@data-kind=\"distribution\"]$label[.=\"cumulative\"])" "$flows"
atleast "legend entries" "count($fig$label)" $((charts * 3))

# The tables: verdict, integrity, outages, oversell by channel, latency summary, stages.
x 'string(//*[@id="verdict"])' | grep -Eq 'Integrity (OK|FAILED)' || fail "no verdict"
x 'string(//table[contains(@class,"integrity")])' | grep -q 'Lost orders' || fail "no integrity table"
x 'string(//section[@id="integrity"])' | grep -q 'Outages' || fail "no outages table"
expect "latency table rows" 'count(//table[contains(@class,"latency")]/tbody/tr)' "$flows"
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
