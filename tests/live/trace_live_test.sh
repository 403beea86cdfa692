#!/usr/bin/env bash
# A replayed order log drives the live host through the same channel code as the simulated
# one: 20 minutes of the shipped replay scenario's lunchtime campaign, superposed to 2.5 times
# its volume, place the same customers' orders live (at 600x) as in simulation, byte for byte
# in the recorded logs.
set -u
estate="$1"; src="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
args=("$src/scenarios/trace_replay.json" --quiet --set duration=20m --set demand.trace.from=12h --set demand.scale=2.5
      --set 'locations={"wh1": {"kind": "wms"}}')
"$estate" run "${args[@]}" --out "$tmp/sim" --record-orders "$tmp/sim.csv" >"$tmp/out" 2>&1
code=$?; [ "$code" -le 1 ] || { echo "FAIL: the simulated run exited $code"; cat "$tmp/out"; fail=1; }
"$estate" live "${args[@]}" --time-scale 600 --drain-time-scale 3600 --out "$tmp/live" --record-orders "$tmp/live.csv" >"$tmp/out" 2>&1
code=$?; [ "$code" -le 1 ] || { echo "FAIL: the live run exited $code"; cat "$tmp/out"; fail=1; }
cmp -s "$tmp/sim.csv" "$tmp/live.csv" || { echo "FAIL: live placed other orders than simulation"; diff "$tmp/sim.csv" "$tmp/live.csv" | head; fail=1; }
/usr/bin/python3 - "$tmp/sim/report.json" "$tmp/live/report.json" <<'PY' || fail=1
import json, sys
sim, live = (json.load(open(f)) for f in sys.argv[1:3])
assert live["run"]["mode"] == "live", live["run"]["mode"]
for r in (sim, live):
    t = r["trace"]
    inside = t["log_orders"] - t["outside_run"]["before"] - t["outside_run"]["after"]
    assert inside > 10 and t["orders_placed"] >= 2 * inside and t["copies"] > 0, t  # superposed copies were placed
assert sim["trace"] == live["trace"], (sim["trace"], live["trace"])
assert sim["run"]["customers"] == live["run"]["customers"] == sim["trace"]["orders_placed"], (sim["run"], live["run"])
PY
exit $fail
