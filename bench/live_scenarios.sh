#!/usr/bin/env bash
# Plays every shipped scenario live with the embedded pipeline (time-scaled), beside its
# simulation, and prints each threshold's value in both with the verdicts: the check that
# live mode passes the same thresholds as the simulation.
#   bench/live_scenarios.sh [TIME_SCALE] [DRAIN_TIME_SCALE]     (defaults 120 and 7200)
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-120}"
drain="${2:-7200}"
scripts/setup
scripts/build release --target estate >/dev/null
estate=build/release/estate
out=out/live_scenarios
mkdir -p "$out"
for f in scenarios/*.json; do
  name=$(basename "$f" .json)
  [ "$name" = schema ] && continue
  echo "== $name: simulation, then live at ${scale}x (drain ${drain}x)" >&2
  "$estate" run "$f" --out "$out/$name/sim" --quiet || true
  start=$(date +%s)
  "$estate" live "$f" --time-scale "$scale" --drain-time-scale "$drain" --out "$out/$name/live" --quiet || true
  echo "   live took $(( $(date +%s) - start )) s" >&2
done
/usr/bin/python3 - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
print("| scenario | threshold | simulation | live | live verdict |")
print("|---|---|---|---|---|")
for name in sorted(os.listdir(out)):
    try:
        sim = json.load(open(os.path.join(out, name, "sim", "report.json")))
        live = json.load(open(os.path.join(out, name, "live", "report.json")))
    except OSError:
        continue
    by = {t["metric"]: t for t in sim.get("thresholds", [])}
    for t in live.get("thresholds", []):
        s = by.get(t["metric"], {})
        shown = lambda x: x.get("message", "").split(" = ", 1)[-1].split(",")[0] if x else "-"
        print(f"| {name} | `{t['metric']} {t['limit_text']}` | {shown(s)} ({s.get('verdict')}) | {shown(t)} | {t['verdict']} |")
    late = live["live"]["estate_side"]["late_sends"]["order_webhooks"]
    print(f"| {name} | (live run) | exit {sim['verdict']['exit_code']} | exit {live['verdict']['exit_code']}, {live['live']['wall_s']:.0f} s wall, "
          f"webhooks late {late['late']} of {late['sends']} (p99 {late['p99_ms']} ms) | |")
EOF
