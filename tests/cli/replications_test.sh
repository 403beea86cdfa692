#!/usr/bin/env bash
# Replications, multi-variant A/B and a gate that lets designs change: --seeds writes every
# seed's report and pools them with intervals; each --vs is its own variant, a repeated one is
# refused, a failing variant is named on stderr; an edited scenario against its baseline is a
# note (and refused with --strict); a baseline records where and when it came from.
set -u
. "$(dirname "$0")/lib.sh"

# A short steady state keeps this quick.
sc="$tmp/steady.json"
sed 's/"duration": "[^"]*"/"duration": "2h"/' "$src/scenarios/steady_state.json" >"$sc"
seed=$(/usr/bin/python3 -c "
import json,re,sys; t=open(sys.argv[1]).read(); t=re.sub(r'^\s*//.*$','',t,flags=re.M); print(json.loads(t)['seed'])" "$sc")

# --seeds 3: three seed reports, a pooled one with intervals that hold their value.
run 0 -- "$estate" run "$sc" --seeds 3 --out "$tmp/rep" --quiet
for s in $seed $((seed + 1)) $((seed + 2)); do [ -f "$tmp/rep/seeds/$s/report.json" ] || say "no report for seed $s"; done
[ "$(json "$tmp/rep/report.json" 'r["replications"]["n"]')" = 3 ] || say "the pooled report is not of 3 seeds"
[ "$(json "$tmp/rep/report.json" 'all(v["low"] <= v["value"] <= v["high"] for v in r["replications"]["intervals"].values())')" = True ] ||
  say "an interval does not hold its value"
# Latency counts pool: the pooled p99 rests on every seed's samples.
total=$(json "$tmp/rep/report.json" 'r["latency"]["order_ack"]["count"]')
sum=0; for s in $seed $((seed + 1)) $((seed + 2)); do sum=$((sum + $(json "$tmp/rep/seeds/$s/report.json" 'r["latency"]["order_ack"]["count"]'))); done
[ "$total" = "$sum" ] || say "pooled order_ack count $total is not the seeds' sum $sum"
# Byte-identical across runs and --jobs.
run 0 -- "$estate" run "$sc" --seeds 3 --out "$tmp/rep2" --quiet --jobs 1
cmp -s "$tmp/rep/report.json" "$tmp/rep2/report.json" || say "replicated reports differ between runs"

# Multi-variant A/B: each --vs is a variant; the same one twice is refused.
run 2 -- "$estate" run "$sc" --vs channels.marketplace.feed.interval=1m --vs channels.marketplace.feed.interval=1m --out "$tmp/ab0"
has "$tmp/err" "is given twice"
run 0 -- "$estate" run "$sc" --seeds 2 --vs channels.marketplace.feed.interval=1m --vs "channels.marketplace.feed.mode=event" --out "$tmp/ab" --quiet
for v in A B C; do [ -f "$tmp/ab/$v/report.json" ] || say "no variant $v"; done
has "$tmp/ab/compare.md" "| C - A |"
has "$tmp/ab/compare.md" "latency.inventory_to_channel.by_channel.marketplace.p99"
has "$tmp/ab/compare.md" "the 95% interval of the seed-by-seed difference"
has "$tmp/ab/compare.html" "<th>C &minus; A</th>"
has "$tmp/ab/compare.html" "latency.inventory_to_channel.by_channel.marketplace.p99"
# A failing variant is named on stderr, even with --quiet.
run 3 -- "$estate" run "$src/scenarios/duplicate_storm.json" --set duration=1h --vs pipeline.idempotency.enabled=false --out "$tmp/ab3" --quiet
has "$tmp/err" "variant B (pipeline.idempotency.enabled=false) FAILED INTEGRITY"
has "$tmp/err" "side effects were applied more than once"
# Integrity must hold in every seed; the failing seeds are named.
run 3 -- "$estate" run "$src/scenarios/duplicate_storm.json" --set duration=1h --set pipeline.idempotency.enabled=false --seeds 2 --out "$tmp/r3" --quiet
grep -qE "seed [0-9]+: [0-9]+ side effects were applied more than once" "$tmp/err" || { say "the failing seeds are not named"; cat "$tmp/err"; }

# A baseline records version, commit (none outside a repository), date and seeds.
mkdir -p "$tmp/suite"; cp "$sc" "$tmp/suite/steady.json"
run 0 -- "$estate" baseline "$tmp/suite" --seeds 2 --out "$tmp/base.json" --quiet
[ "$(json "$tmp/base.json" 'sorted(k for k in r if k != "scenarios")')" = "['commit', 'estate_baseline', 'estate_commit', 'estate_version', 'recorded_at']" ] ||
  say "the baseline does not record version, commit and date: $(json "$tmp/base.json" 'list(r)')"
[ "$(json "$tmp/base.json" 'len(r["scenarios"]["steady_state"]["seeds"])')" = 2 ] || say "the baseline does not record its seeds"
[ "$(json "$tmp/base.json" 'len(r["scenarios"]["steady_state"]["per_seed"]) > 10')" = True ] || say "the baseline keeps no per-seed values"
# The same design: passes, no note.
run 0 -- "$estate" gate "$tmp/suite" --seeds 2 --baseline "$tmp/base.json" --out "$tmp/g1"
grep -q "NOTES" "$tmp/out" && say "an unchanged scenario got a note"
# An edited design: compared metric by metric, with a note; --strict refuses it.
sed -i 's/"description": "/"description": "edited: /' "$tmp/suite/steady.json"
run 0 -- "$estate" gate "$tmp/suite" --seeds 2 --baseline "$tmp/base.json" --out "$tmp/g2"
has "$tmp/out" "NOTES:"
has "$tmp/out" "the scenario file changed since the baseline was recorded"
has "$tmp/g2/summary.md" "### Notes"
run 2 -- "$estate" gate "$tmp/suite" --seeds 2 --baseline "$tmp/base.json" --out "$tmp/g3" --strict
has "$tmp/err" "(--strict)"
# A baseline's seeds against other seeds: not paired, and said so.
run 0 -- "$estate" gate "$tmp/suite" --seeds 2 --set seed=99 --baseline "$tmp/base.json" --out "$tmp/g4"
has "$tmp/out" "the comparison is not paired"
exit $fail
