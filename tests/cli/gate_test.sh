#!/usr/bin/env bash
# The CI gate: the shipped suite passes; one --set that breaks the design fails it with a
# message naming metric, value, limit and baseline; junit.xml validates against the JUnit
# conventions CI servers read; bad input exits 2; every output is byte-identical across runs
# and across --jobs.
set -u
estate=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); src="$2"  # absolute: one run starts elsewhere
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "FAIL: $*"; fail=1; }
run() {  # run CODE -- command...   (stdout+stderr in $tmp/out)
  local code="$1"; shift 2
  "$@" >"$tmp/out" 2>&1; local got=$?
  [ "$got" = "$code" ] || { say "'$*' exited $got, expected $code"; cat "$tmp/out"; }
}
has() { grep -qF -- "$2" "$1" || { say "$1 does not say: $2"; head -50 "$1"; }; }
matches() { grep -qE -- "$2" "$1" || { say "$1 does not match: $2"; head -50 "$1"; }; }
d='[0-9hms.]+'  # a duration as reports print it
valid_junit() {
  xmllint --noout --schema "$src/tests/cli/junit.xsd" "$1" 2>"$tmp/xmllint" || { say "$1 is not valid JUnit"; cat "$tmp/xmllint"; }
  # The counts in the attributes match the elements.
  local cases failures declared_tests declared_failures
  cases=$(xmllint --xpath 'count(//testcase)' "$1"); failures=$(xmllint --xpath 'count(//testcase/failure)' "$1")
  declared_tests=$(xmllint --xpath 'string(/testsuites/@tests)' "$1"); declared_failures=$(xmllint --xpath 'string(/testsuites/@failures)' "$1")
  [ "$cases" = "$declared_tests" ] && [ "$failures" = "$declared_failures" ] || say "$1 declares $declared_tests tests/$declared_failures failures, has $cases/$failures"
}

figures() {  # figures REPORT 'PATH = VALUE [TOLERANCE]' 'PATH > VALUE' ...   (figures the README quotes)
  /usr/bin/python3 - "$@" >"$tmp/figures" 2>&1 <<'PY' || { say "$1 does not show the README's figures:"; cat "$tmp/figures"; }
import json, sys
report = json.load(open(sys.argv[1]))
bad = 0
for spec in sys.argv[2:]:
    path, op, want, *tol = spec.split()
    value = report
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    want, tol = float(want), float(tol[0]) if tol else 0.0
    if not (abs(value - want) <= tol if op == "=" else value > want if op == ">" else value < want):
        print(f"  {path} = {value}; the README says {op} {want:g}" + (f" (within {tol:g})" if tol else ""))
        bad = 1
sys.exit(bad)
PY
}

# 1. The shipped suite passes, and records a baseline.
run 0 -- "$estate" gate "$src/scenarios" --out "$tmp/g1" --jobs 2
has "$tmp/g1/summary.md" "## estate gate: PASS"
valid_junit "$tmp/g1/junit.xml"
for s in steady_state peak_promotion warehouse_outage duplicate_storm; do
  for f in report.json report.html summary.md junit.xml; do [ -s "$tmp/g1/$s/$f" ] || say "missing $s/$f"; done
  valid_junit "$tmp/g1/$s/junit.xml"
done
# The figures README.md quotes for the shipped scenarios, at the seeds in their files
# (README, "Shipped scenarios").
figures "$tmp/g1/steady_state/report.json" 'scenario.seed = 7' 'latency.order_ack.p50_s = 0.7 0.05' \
  'latency.order_ack.p99_s = 1080 60' 'latency.inventory_to_channel.p50_s = 1750 30' 'oversell.rate = 0' \
  'reconciliation.settled_variance = 0' 'integrity.lost_orders = 0' 'integrity.duplicate_effects = 0'
figures "$tmp/g1/peak_promotion/report.json" 'scenario.seed = 11' 'oversell.rate = 0.0176 0.00005' \
  'oversell.by_channel.marketplace.rate = 0.039 0.0005' 'oversell.by_channel.edi.rate = 0.121 0.0005' \
  'oversell.by_channel.storefront.rate = 0.0005 0.00005' 'oversell.by_sku_class.A.rate = 0.022 0.0005' \
  'oversell.refused_at_channel.no_availability = 21697' 'reconciliation.peak_channel_view_variance = 0.160 0.0005' \
  'retries.erp_429 = 35500 500' 'retries.erp_calls.by_flow.shipment_confirmations.erp_429 = 35200 500' \
  'windows.promotion.during.calls.erp_429 < 500' 'integrity.lost_orders = 0'
figures "$tmp/g1/warehouse_outage/report.json" 'scenario.seed = 23' 'latency.order_to_warehouse.p99_s = 6900 60' \
  'latency.order_to_ship.p99_s = 24600 60' 'retries.by_system.wh2.unavailable > 0' \
  'integrity.dead_letters.wh2:unavailable > 0' 'integrity.lost_orders = 0' 'reconciliation.settled_variance = 0' \
  'outages.0.recover_s = 15060 600'
figures "$tmp/g1/duplicate_storm/report.json" 'scenario.seed = 5' 'integrity.duplicates_dropped = 1053' \
  'integrity.duplicate_effects = 0'
run 0 -- "$estate" baseline "$tmp"/g1/*/report.json --out "$tmp/base.json"
has "$tmp/base.json" '"estate_baseline": 2'

# 2. Against its own baseline nothing moved (the simulation is deterministic), and the
#    outputs are byte-identical to a serial run without a baseline... except the baseline
#    columns, so compare two baseline runs with different --jobs.
run 0 -- "$estate" gate "$src/scenarios" --baseline "$tmp/base.json" --out "$tmp/g2" --jobs 1
has "$tmp/g2/summary.md" "| +0.0% | pass |"
# (Under the sanitizers the same code runs in the other gates; the plain pass compares --jobs.)
if [ -z "${ESTATE_SANITIZED:-}" ]; then
  run 0 -- "$estate" gate "$src/scenarios" --baseline "$tmp/base.json" --out "$tmp/g3" --jobs 2
  for f in junit.xml summary.md steady_state/report.json steady_state/report.html peak_promotion/summary.md; do
    cmp -s "$tmp/g2/$f" "$tmp/g3/$f" || say "$f differs between --jobs 1 and --jobs 2"
  done
fi

# 3. Breaking the design with one --set fails the gate (exit 1), naming metric, value,
#    limit and baseline.
run 1 -- "$estate" gate "$src/scenarios/steady_state.json" --baseline "$tmp/base.json" --out "$tmp/g4" --set erp.quota.rate=300/min
has "$tmp/g4/summary.md" "## estate gate: FAIL"
matches "$tmp/g4/summary.md" "latency\.order_to_erp\.p99 = $d, limit &lt; 25m, baseline $d \(\+[0-9.]+%\): FAILED the limit, regressed beyond the 10% budget"
matches "$tmp/g4/junit.xml" "failure type=\"threshold\" message=\"latency\.order_to_erp\.p99 = $d, limit &lt; 25m, baseline $d"
valid_junit "$tmp/g4/junit.xml"
# The terminal gets plain text, not the Markdown of summary.md (no &lt;, \==, ** or pipes).
has "$tmp/out" "estate gate: FAIL, 1 scenario, 11 checks, 4 failed (1 scenario)"
matches "$tmp/out" "^steady_state +latency\.order_to_erp\.p99 +$d +< 25m +$d +\+[0-9.]+% +FAIL$"
matches "$tmp/out" "^  - steady_state: latency\.order_to_erp\.p99 = $d, limit < 25m, baseline $d \(\+[0-9.]+%\): FAILED the limit"
if grep -nE '&lt;|\\==|\*\*|\|' "$tmp/out"; then say "the gate's terminal output carries Markdown"; fi
# A regression within the limit but beyond the budget also fails, as a regression.
run 1 -- "$estate" gate "$src/scenarios/steady_state.json" --baseline "$tmp/base.json" --out "$tmp/g5" --set erp.quota.rate=330/min --max-regression 5%
has "$tmp/g5/junit.xml" 'failure type="regression"'
# Idempotency off under the duplicate storm: an integrity failure (exit 3), named in junit.
run 3 -- "$estate" gate "$src/scenarios/duplicate_storm.json" --out "$tmp/g6" --set pipeline.idempotency.enabled=false
has "$tmp/g6/junit.xml" 'name="integrity.duplicate_effects == 0"'
has "$tmp/g6/summary.md" "integrity.duplicate_effects = "
figures "$tmp/g6/duplicate_storm/report.json" 'integrity.duplicate_effects_by_kind.erp_order = 1047' \
  'integrity.duplicate_effects_by_kind.shipment = 1161'  # the README's figures

# 4. Bad input: exit 2 with what and where.
# The same scenario, edited: with --strict its baseline no longer applies (without, a note:
# replications_test.sh).
sed 's/"seed": 7/"seed": 8/' "$src/scenarios/steady_state.json" >"$tmp/steady_state.json"
run 2 -- "$estate" gate "$tmp/steady_state.json" --baseline "$tmp/base.json" --out "$tmp/x" --strict
has "$tmp/out" "base.json: /scenarios/steady_state/file_hash: expected"
has "$tmp/out" "recorded from a different version of this scenario"
printf '{"name": "newcomer", "duration": "1h"}' >"$tmp/newcomer.json"
run 2 -- "$estate" gate "$tmp/newcomer.json" --baseline "$tmp/base.json" --out "$tmp/x"
has "$tmp/out" 'expected a baseline for scenario "newcomer"; this baseline was recorded from: duplicate_storm, peak_promotion, steady_state, trace_replay, warehouse_outage'
run 2 -- "$estate" gate "$src/scenarios" --baseline "$tmp/nope.json" --out "$tmp/x"
has "$tmp/out" "nope.json: /: cannot read the file"
run 2 -- "$estate" gate "$src/scenarios" --baseline "$src/scenarios/steady_state.json" --out "$tmp/x"
has "$tmp/out" "expected a baseline written by 'estate baseline'"
run 2 -- "$estate" gate "$tmp/missing_dir" --out "$tmp/x"
has "$tmp/out" "missing_dir: /: cannot read the file or folder"
run 2 -- "$estate" run "$src/scenarios/steady_state.json" --threshold "latency.order_to_erp.p98 < 1s" --out "$tmp/x"
has "$tmp/out" 'no metric "latency.order_to_erp.p98" in report.json; nearest: latency.order_to_erp.p9'
run 2 -- "$estate" run "$src/scenarios/steady_state.json" --threshold "oversell.rate ~ 1%" --out "$tmp/x"
has "$tmp/out" 'expected METRIC OP VALUE'
printf '{"duration": "1h", "thresholds": {"latency.order_ack.p99": "=< 5s"}}' >"$tmp/op.json"
run 2 -- "$estate" validate "$tmp/op.json"
has "$tmp/out" 'op.json: /thresholds/latency.order_ack.p99: expected a limit like "< 30s", "<= 0.5%" or "== 0", got "=< 5s"'
printf '{"duration": "1h", "thresholds": {"latency.order_ack": "< 5s"}}' >"$tmp/group.json"
run 2 -- "$estate" validate "$tmp/group.json"
has "$tmp/out" '"latency.order_ack" is a group of metrics, not a number'
run 2 -- "$estate" gate "$src/scenarios" --max-regression ten --out "$tmp/x"
has "$tmp/out" "--max-regression: /: expected a percentage like 10%"
[ -e "$tmp/x" ] && say "a refused gate wrote output"

# 5. A/B: compare two reports, and --vs on the same random numbers.
run 0 -- "$estate" compare "$tmp/g1/steady_state/report.json" "$tmp/g4/steady_state/report.json"
matches "$tmp/out" "^\| \`latency\.order_to_erp\.p99\` \| $d \| $d \| \+$d \| \+[0-9.]+% \|$"
run 0 -- "$estate" run "$src/scenarios/steady_state.json" --out "$tmp/ab" --set duration=2h --vs "pipeline.reservation.enabled=false channels.storefront.feed.mode=batch"
for f in A/report.json B/report.json A/report.html compare.md; do [ -s "$tmp/ab/$f" ] || say "missing ab/$f"; done
has "$tmp/ab/compare.md" "vs pipeline.reservation.enabled=false channels.storefront.feed.mode=batch"
# Same demand on both sides: the same number of orders placed.
a=$(grep -o '"orders_placed": [0-9]*' "$tmp/ab/A/report.json"); b=$(grep -o '"orders_placed": [0-9]*' "$tmp/ab/B/report.json")
[ "$a" = "$b" ] || say "A and B placed different numbers of orders ($a vs $b): not common random numbers"
# 6. Regressions from review.
# A scenario name names a folder: it cannot climb out of --out.
# Without --out a run writes to out/<name>, so run from $tmp/w/x: out/../../escaped would be
# $tmp/w/escaped.
printf '{"name": "../../escaped", "duration": "30m"}' >"$tmp/climb.json"
mkdir -p "$tmp/w/x"
run 2 -- env -C "$tmp/w/x" "$estate" run "$tmp/climb.json"
has "$tmp/out" 'climb.json: /name: expected a scenario name of letters, digits'
[ -e "$tmp/w/escaped" ] && say "a scenario name wrote outside out/"
printf '{"duration": "30m"}' >"$tmp/has space.json"
run 2 -- "$estate" validate "$tmp/has space.json"
has "$tmp/out" '(from the file name; set "name")'
# Metrics under dotted keys, and keys that used to appear only when something happened.
run 0 -- "$estate" validate "$src/scenarios/warehouse_outage.json" --threshold "stages.pipeline.ingest.peak_queue < 1000" \
  --threshold "stages.wh1.pick.utilization < 90%" --threshold "retries.by_system.wh2.unavailable < 100000" \
  --threshold "integrity.dead_letters.erp:throttled == 0" --threshold "integrity.conservation_ok == true"
has "$tmp/out" "17 thresholds"
# A non-canonical array index is refused at validation, not crashed on after the run.
run 2 -- "$estate" validate "$src/scenarios/warehouse_outage.json" --threshold "outages.00.recover_s < 1h"
has "$tmp/out" 'no metric "outages.00.recover_s"'
# A limit's unit must be its metric's.
run 2 -- "$estate" validate "$src/scenarios/steady_state.json" --threshold "oversell.rate < 30s"
has "$tmp/out" '"oversell.rate" is not a duration'
run 2 -- "$estate" validate "$src/scenarios/steady_state.json" --threshold "latency.order_to_erp.p99 < 5%"
has "$tmp/out" 'is not a rate or fraction'
# A plain number on a rate cannot mean 0.5% by accident (it would be 50%, a limit that never
# fails); 0 is the same in every unit.
run 2 -- "$estate" validate "$src/scenarios/steady_state.json" --threshold "oversell.rate < 0.5"
has "$tmp/out" '"oversell.rate" is a rate or fraction and a plain number is ambiguous: write "< 0.5%", or "< 50%" for what 0.5 means as a fraction; got "< 0.5"'
printf '{"duration": "1h", "thresholds": {"reconciliation.peak_variance": "<= 0.01"}}' >"$tmp/plain.json"
run 2 -- "$estate" validate "$tmp/plain.json"
has "$tmp/out" 'plain.json: /thresholds/reconciliation.peak_variance: "reconciliation.peak_variance" is a rate or fraction'
run 0 -- "$estate" validate "$src/scenarios/steady_state.json" --threshold "oversell.rate == 0" --threshold "oversell.rate <= 0.1%"
# Numbers in messages are written out, never with an exponent (1.46261e+06).
run 1 -- "$estate" run "$src/scenarios/steady_state.json" --threshold "run.events < 1000" --quiet --out "$tmp/events"
matches "$tmp/out" "run\.events = [0-9]{7}, limit < 1000: FAILED the limit"
if grep -nE '[0-9]e[-+][0-9]' "$tmp/out" "$tmp/events/summary.md" "$tmp/events/junit.xml"; then say "a number with an exponent in a human output"; fi
run 2 -- "$estate" validate "$src/scenarios/steady_state.json" --threshold "integrity.conservation_ok == 0.5"
has "$tmp/out" 'is true or false'
run 2 -- "$estate" validate "$src/scenarios/steady_state.json" --threshold "scenario.seed == 7"
has "$tmp/out" 'no metric "scenario.seed"'
# A baseline recorded with another seed is another dice roll.
run 0 -- "$estate" run "$src/scenarios/steady_state.json" --seed 9 --quiet --out "$tmp/s9"
run 0 -- "$estate" baseline "$tmp/s9/report.json" --out "$tmp/base9.json"
run 2 -- "$estate" gate "$src/scenarios/steady_state.json" --baseline "$tmp/base9.json" --out "$tmp/x9" --strict
has "$tmp/out" '/scenarios/steady_state/seed: expected seed 7'
run 0 -- "$estate" gate "$src/scenarios/steady_state.json" --baseline "$tmp/base9.json" --out "$tmp/x9"
has "$tmp/out" 'the baseline was recorded with seed 9, this run uses 7'
run 2 -- "$estate" baseline "$tmp/s9/report.json" --set duration=1h --out "$tmp/x.json"
has "$tmp/out" 'does not apply to report.json files'
run 2 -- "$estate" baseline "$tmp/s9/report.json" "$src/scenarios/steady_state.json" --out "$tmp/x.json"
has "$tmp/out" 'expected either report.json files or scenarios, not a mix'
run 2 -- "$estate" baseline "$tmp/s9/report.json" "$tmp/s9/report.json" --out "$tmp/x.json"
has "$tmp/out" 'appears twice'
# --quiet still says why a gate failed.
"$estate" gate "$src/scenarios/steady_state.json" --quiet --out "$tmp/gq" --set erp.quota.rate=300/min >"$tmp/gq.out" 2>"$tmp/gq.err"
[ $? = 1 ] || say "a failing quiet gate did not exit 1"
[ -s "$tmp/gq.out" ] && say "a quiet gate printed on stdout"
has "$tmp/gq.err" "latency.order_to_erp.p99 = "
# --vs values may contain spaces.
run 0 -- "$estate" run "$src/scenarios/steady_state.json" --out "$tmp/ab2" --set duration=1h --vs "description=hello world pipeline.feed.safety_buffer=1"
has "$tmp/ab2/B/report.json" '"description": "hello world"'
has "$tmp/ab2/B/report.json" '"--vs pipeline.feed.safety_buffer=1"'
exit $fail
