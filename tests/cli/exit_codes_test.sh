#!/usr/bin/env bash
# The CLI's contract: 0 ok, 1 a threshold failed, 2 bad input or usage (with file, path,
# expected, found), 3 integrity failure; the report is written on 1 and 3.
set -u
estate="$1"; src="$2"
source "$(dirname "$0")/expect.sh"

expect 0 "run" -- "$estate" --help
expect 0 "--set" -- "$estate" run --help
expect 2 "A subcommand is required" -- "$estate"
expect 2 "" -- "$estate" fly
expect 2 "nope.json: /: cannot read the file" -- "$estate" run "$tmp/nope.json"
printf '{"duration": "soon"}' >"$tmp/bad.json"
expect 2 "bad.json: /duration: expected a duration like \"90m\", got \"soon\"" -- "$estate" run "$tmp/bad.json" --out "$tmp/bad"
expect 2 "bad.json: /duration: expected a duration" -- "$estate" validate "$tmp/bad.json"
printf '{"duration": "1h",}' >"$tmp/syntax.json"
expect 2 "syntax.json: /: line 1, column 19: not valid JSON" -- "$estate" validate "$tmp/syntax.json"
expect 2 "(from --set pipeline.idempotncy.enabled=false)" -- "$estate" validate "$src/scenarios/steady_state.json" --set pipeline.idempotncy.enabled=false
expect 2 "" -- "$estate" run "$src/scenarios/steady_state.json" --seed abc
expect 0 "ok: $src/scenarios/peak_promotion.json" -- "$estate" validate "$src/scenarios/peak_promotion.json"
# The refused run above was given --out "$tmp/bad": it must not have created it.
[ -e "$tmp/bad" ] && { echo "FAIL: a refused run wrote output"; fail=1; }

# A threshold that fails: exit 1, the outputs written, the reason on stderr even with --quiet.
# The README's case: warehouse_outage at its own seed, with wh2 losing the events it held
# (179 lost, 179 shipments the ERP never records, settled variance 0.16%).
expect 1 "reconciliation.settled_variance = 0.1637%, limit == 0: FAILED the limit" -- "$estate" run \
  "$src/scenarios/warehouse_outage.json" --quiet --out "$tmp/lose" --set locations.wh2.on_recovery=lose
grep -qF "THRESHOLDS FAILED" "$tmp/err" || { echo "FAIL: exit 1 without saying THRESHOLDS FAILED"; cat "$tmp/err"; fail=1; }
for f in report.json summary.md junit.xml report.html; do [ -s "$tmp/lose/$f" ] || { echo "FAIL: exit 1 without $f"; fail=1; }; done
for figure in '"warehouse_events_lost": 179,' '"shipments_not_in_erp": 179,' '"thresholds_failed": 1,' '"exit_code": 1'; do
  grep -qF -- "$figure" "$tmp/lose/report.json" || { echo "FAIL: report.json does not have $figure"; fail=1; }
done

# Idempotency off under a duplicate storm: integrity fails (3) and the report is still written.
expect 3 "INTEGRITY FAILED" -- "$estate" run "$src/scenarios/duplicate_storm.json" --quiet --out "$tmp/storm" \
  --set duration=1h --set timeline.0.for=1h --set timeline.1.for=1h --set pipeline.idempotency.enabled=false
expect 3 "" -- "$estate" run "$src/scenarios/duplicate_storm.json" --quiet --out "$tmp/storm" \
  --set duration=1h --set timeline.0.for=1h --set timeline.1.for=1h --set pipeline.idempotency.enabled=false
grep -q '"duplicate_effects": [1-9]' "$tmp/storm/report.json" || { echo "FAIL: report.json missing or shows no duplicate effects"; fail=1; }
# The same run with idempotency on is clean.
expect 0 "duplicate effects 0" -- "$estate" run "$src/scenarios/duplicate_storm.json" --out "$tmp/ok" \
  --set duration=1h --set timeline.0.for=1h --set timeline.1.for=1h
exit $fail
