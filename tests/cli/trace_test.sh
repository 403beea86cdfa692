#!/usr/bin/env bash
# Trace replay through the CLI: a rate-driven run recorded with --record-orders and replayed
# from that log reproduces its demand (the replay's own recording is byte-identical, and the
# per-channel orders and units are equal), in CSV and JSON Lines; recording does not change
# the report; the volume scale thins a replay; a malformed log, a promotion on a trace and a
# bad --record-orders are refused with exit 2 naming what and where.
set -u
estate="$1"; src="$2"
source "$(dirname "$0")/expect.sh"
same() { cmp -s "$1" "$2" || { echo "FAIL: $1 and $2 differ"; diff "$1" "$2" | head -10; fail=1; }; }
# Demand figures of two reports, channel by channel: customers, orders placed, units accepted,
# refusals at the channel and orders acknowledged.
same_demand() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || fail=1
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def figures(r):
    out = {"customers": r["run"]["customers"], "orders_placed": r["run"]["orders_placed"],
           "accepted_units": r["oversell"]["accepted_units"]}
    for c, v in r["oversell"]["by_channel"].items():
        out[c + ".accepted_units"] = v["accepted_units"]
        out[c + ".refused_at_channel"] = v["refused_at_channel"]
    for c, v in r["latency"]["order_ack"]["by_channel"].items():
        out[c + ".orders_acked"] = v["count"]
    return out
fa, fb = figures(a), figures(b)
bad = [k for k in fa if fa[k] != fb.get(k)]
for k in bad: print(f"FAIL: {k}: {fa[k]} recorded, {fb.get(k)} replayed")
if fa["customers"] < 1000: print(f"FAIL: only {fa['customers']} customers: the test needs a real demand"); bad.append(1)
sys.exit(1 if bad else 0)
PY
}

# A rate-driven hour with stock to spare, so every customer's order is placed in both runs.
base='"duration": "1h", "seed": 4, "catalogue": {"skus": 200, "stock": {"cover": "30d"}}'
printf '{%s}' "$base" >"$tmp/rates.json"
expect 0 "" -- "$estate" run "$tmp/rates.json" --quiet --out "$tmp/r0"
expect 0 "" -- "$estate" run "$tmp/rates.json" --quiet --out "$tmp/r1" --record-orders "$tmp/rec1.csv"
same "$tmp/r0/report.json" "$tmp/r1/report.json"  # recording does not change the report
head -1 "$tmp/rec1.csv" | grep -qx 'time,channel,sku,quantity,order' || { echo "FAIL: rec1.csv header: $(head -1 "$tmp/rec1.csv")"; fail=1; }

# 1. Replayed (CSV) and recorded again: the same log, the same demand.
printf '{%s, "demand": {"trace": {"file": "rec1.csv"}}}' "$base" >"$tmp/replay.json"
expect 0 "" -- "$estate" run "$tmp/replay.json" --quiet --out "$tmp/r2" --record-orders "$tmp/rec2.csv"
same "$tmp/rec1.csv" "$tmp/rec2.csv"
same_demand "$tmp/r1/report.json" "$tmp/r2/report.json"
/usr/bin/python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["trace"]
assert t["orders_placed"] == t["log_orders"] and t["copies"] == 0 and t["outside_run"] == {"before": 0, "after": 0}, t
' "$tmp/r2/report.json" || { echo "FAIL: the replay's trace section"; fail=1; }

# 2. The same through JSON Lines.
expect 0 "" -- "$estate" run "$tmp/replay.json" --quiet --out "$tmp/r3" --record-orders "$tmp/rec3.jsonl"
printf '{%s, "demand": {"trace": {"file": "rec3.jsonl"}}}' "$base" >"$tmp/replay_jsonl.json"
expect 0 "" -- "$estate" run "$tmp/replay_jsonl.json" --quiet --out "$tmp/r4" --record-orders "$tmp/rec4.csv"
same "$tmp/rec1.csv" "$tmp/rec4.csv"
same_demand "$tmp/r1/report.json" "$tmp/r4/report.json"

# 3. The volume scale on a replay, by --set as a sweep sets it: 0.5 keeps about half.
expect 0 "" -- "$estate" run "$tmp/replay.json" --quiet --out "$tmp/r5" --set demand.scale=0.5
/usr/bin/python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["trace"]
n, k = t["log_orders"], t["orders_placed"]
assert abs(k - n / 2) < 4 * (n / 4) ** 0.5 and t["thinned"] == n - k, t
' "$tmp/r5/report.json" || { echo "FAIL: scale 0.5 did not keep about half"; fail=1; }

# 4. Malformed logs: exit 2, naming the file, the line and the column.
sed '5s/,[a-z0-9]*,/,shop,/' "$tmp/rec1.csv" >"$tmp/bad_channel.csv"
printf '{%s, "demand": {"trace": {"file": "bad_channel.csv"}}}' "$base" >"$tmp/bad1.json"
expect 2 "bad_channel.csv: line 5, column 2 (channel): expected a channel of the scenario" -- "$estate" run "$tmp/bad1.json" --out "$tmp/x"
expect 2 "bad_channel.csv: line 5, column 2 (channel)" -- "$estate" validate "$tmp/bad1.json"
printf 'time,channel,sku,quantity\n5,storefront,1,1\n4.5,marketplace,2,1\n' >"$tmp/unsorted.csv"
printf '{%s, "demand": {"trace": {"file": "unsorted.csv"}}}' "$base" >"$tmp/bad2.json"
expect 2 "unsorted.csv: line 3, column 1 (time): expected a time at or after line 2's (5 s into the log), got \"4.5\"" -- "$estate" validate "$tmp/bad2.json"
printf '{"time": 1, "channel": "storefront", "sku": 999, "quantity": 1}\n' >"$tmp/bad_sku.jsonl"
printf '{%s, "demand": {"trace": {"file": "bad_sku.jsonl"}}}' "$base" >"$tmp/bad3.json"
expect 2 "bad_sku.jsonl: line 1, /sku: expected a SKU number (the catalogue's, 0 the most popular) from 0 to 199, got \"999\"" -- "$estate" validate "$tmp/bad3.json"
printf '{%s, "demand": {"trace": {"file": "nope.csv"}}}' "$base" >"$tmp/bad4.json"
expect 2 "bad4.json: /demand/trace/file: cannot read the order log" -- "$estate" validate "$tmp/bad4.json"
printf '{%s, "demand": {"trace": {"file": "rec1.csv"}}, "timeline": [{"at": "10m", "for": "10m", "promotion": {}}]}' "$base" >"$tmp/bad5.json"
expect 2 "bad5.json: /timeline/0/promotion: unexpected with demand.trace" -- "$estate" validate "$tmp/bad5.json"
expect 2 "--record-orders: /: expected a file ending in .csv, .jsonl or .ndjson" -- "$estate" run "$tmp/rates.json" --out "$tmp/x" --record-orders "$tmp/rec.txt"
expect 2 "does not combine with --vs or --seeds" -- "$estate" run "$tmp/rates.json" --out "$tmp/x" --record-orders "$tmp/rec.csv" --seeds 2

# 5. The shipped replay scenario reads its shipped log.
expect 0 "ok: $src/scenarios/trace_replay.json" -- "$estate" validate "$src/scenarios/trace_replay.json"

exit $fail
