#!/usr/bin/env bash
# Capacity planning from the command line: a 2-D sweep run whole equals, byte for byte, the
# same sweep run as shards in separate processes (index given, or read from Kubernetes' and
# Slurm's variables) and merged; every bad input is refused with exit 2 and names what is
# wrong; headroom answers in one line.
set -u
. "$(dirname "$0")/lib.sh"

# A short steady state keeps this quick.
sc="$tmp/steady.json"
sed 's/"duration": "[^"]*"/"duration": "20m"/' "$src/scenarios/steady_state.json" >"$sc"
vary=(--vary "demand.scale=1..2 step 1" --vary "erp.quota.rate=300/min,900/min")

# Whole, then as 3 shards (separate processes, one --jobs each), merged.
run 0 -- "$estate" sweep "$sc" "${vary[@]}" --seeds 2 --out "$tmp/whole" --quiet
for f in sweep.json capacity.md capacity.html points/p000/report.json points/p003/report.html; do
  [ -f "$tmp/whole/$f" ] || say "the sweep wrote no $f"
done
[ "$(json "$tmp/whole/sweep.json" 'len(r["points"])')" = 4 ] || say "a 2x2 sweep does not have 4 points"
[ "$(json "$tmp/whole/sweep.json" 'r["axes"][0]["role"] + " " + r["axes"][1]["role"]')" = "load resource" ] || say "axes roles"
has "$tmp/whole/capacity.md" "## Answer"
has "$tmp/whole/capacity.md" "## Pass/fail map"
run 0 -- "$estate" sweep "$sc" "${vary[@]}" --seeds 2 --shard 0/3 --jobs 1 --out "$tmp/s0" --quiet
JOB_COMPLETION_INDEX=1 run 0 -- "$estate" sweep "$sc" "${vary[@]}" --seeds 2 --shard 3 --jobs 1 --out "$tmp/s1" --quiet
SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 run 0 -- "$estate" sweep "$sc" "${vary[@]}" --seeds 2 --shard 3 --jobs 1 --out "$tmp/s2" --quiet
[ -f "$tmp/s1/shard-0001-of-0003.json" ] || say "JOB_COMPLETION_INDEX did not pick shard 1"
[ -f "$tmp/s2/shard-0002-of-0003.json" ] || say "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN did not pick shard 2"
run 0 -- "$estate" merge "$tmp/s2" "$tmp/s0" "$tmp/s1/shard-0001-of-0003.json" --out "$tmp/merged" --quiet
diff -r "$tmp/whole" "$tmp/merged" >"$tmp/diff" || { say "merged shards differ from the whole sweep"; head -20 "$tmp/diff"; }
# The merged p99 rests on both seeds' samples: its count is the seeds' sum.
total=$(json "$tmp/merged/points/p001/report.json" 'r["latency"]["order_ack"]["count"]')
seeds=$(json "$tmp/merged/points/p001/report.json" 'sum(r["replications"]["intervals"]["/latency/order_ack/p99_s"]["per_seed"]) > 0')
[ "$total" -gt 0 ] && [ "$seeds" = True ] || say "the merged point holds no pooled latency"

# Bad input: exit 2, naming what is wrong.
run 2 -- "$estate" sweep "$sc" --vary "demand.scael=1,2"
has "$tmp/err" "demand.scael"
run 2 -- "$estate" sweep "$sc" --vary "erp.quota.rate=5s,10s"
has "$tmp/err" "erp.quota.rate"
run 2 -- "$estate" sweep "$sc" --vary "demand.scale=3..1 step 1"
has "$tmp/err" "empty"
run 2 -- "$estate" sweep "$sc" --vary "demand.scale=1..2 step 0.3"
has "$tmp/err" "does not land on 2"
run 2 -- "$estate" sweep "$sc" --vary "erp.quota.rate=300/min..1200/s step 150/min"
has "$tmp/err" "same unit"
run 2 -- "$estate" sweep "$sc" --vary "demand.scale=1..2"
has "$tmp/err" "expected a step"
run 2 -- "$estate" sweep "$sc" "${vary[@]}" --shard 3/3
has "$tmp/err" "out of range"
run 2 -- env -u JOB_COMPLETION_INDEX -u SLURM_ARRAY_TASK_ID "$estate" sweep "$sc" "${vary[@]}" --shard 3
has "$tmp/err" "JOB_COMPLETION_INDEX"
run 2 -- "$estate" merge "$tmp/s0" "$tmp/s1"
has "$tmp/err" "missing 2/3"
run 2 -- "$estate" merge "$tmp/s0" "$tmp/s0/shard-0000-of-0003.json" "$tmp/s1" "$tmp/s2"
has "$tmp/err" "given twice"
# A shard of another sweep (another seed count), and one of another estate version.
run 0 -- "$estate" sweep "$sc" "${vary[@]}" --seeds 1 --shard 2/3 --out "$tmp/other" --quiet
run 2 -- "$estate" merge "$tmp/s0" "$tmp/s1" "$tmp/other"
has "$tmp/err" "expected shards of one sweep"
mkdir -p "$tmp/old"
sed 's/"estate_version":"[^"]*"/"estate_version":"0.0.1"/' "$tmp/s2/shard-0002-of-0003.json" >"$tmp/old/shard-0002-of-0003.json"
run 2 -- "$estate" merge "$tmp/s0" "$tmp/s1" "$tmp/old"
has "$tmp/err" "estate 0.0.1"

# Headroom: one line, with the first threshold to break; none without thresholds.
run 0 -- "$estate" headroom "$sc" --seeds 2 --tolerance 10% --out "$tmp/hr"
has "$tmp/out" "today's demand (95% CI"
has "$tmp/out" "the first threshold to break is"
[ "$(json "$tmp/hr/headroom.json" 'r["bracketed"] and r["low"] <= r["value"] <= r["high"]')" = True ] || say "headroom interval"
echo '{"duration": "10m"}' >"$tmp/bare.json"
run 2 -- "$estate" headroom "$tmp/bare.json"
has "$tmp/err" "needs thresholds"
run 2 -- "$estate" headroom "$sc" --vary erp.quota.rate
has "$tmp/err" "needs a range"
exit $fail
