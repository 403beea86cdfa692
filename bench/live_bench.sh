#!/usr/bin/env bash
# Live-mode throughput on this machine, in one run, everything on loopback:
#   1. one estate mock endpoint (estate serve, one thread, pinned to CPU 0) against nginx's
#      `return 200` (one worker, pinned to CPU 0), both driven by wrk (pinned to CPU 1);
#   2. estate's own load driver (estate drive, CPU 1) against wrk (CPU 1), on the same nginx;
#   3. the driver's open-model accuracy: the rate it achieves at fractions of its capacity.
# Each figure is the median of three runs. Prints a Markdown table and writes
# out/bench/live_bench.json.
#   bench/live_bench.sh [SECONDS_PER_RUN]      (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
scripts/setup bench
scripts/build release --target estate >/dev/null
estate=build/release/estate
work=$(mktemp -d)
out=out/bench
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wrk_rate() {  # wrk_rate URL [wrk args...] -> requests/s
  local url="$1"; shift
  taskset -c 1 wrk -t1 -c64 -d"${secs}s" "$@" "$url" | awk '/Requests\/sec/ {print $2}'
}
drive_json() {  # drive_json URL RATE [args...] -> the driver's JSON result
  local url="$1" rate="$2"; shift 2
  taskset -c 1 "$estate" drive "$url" --rate "$rate/s" --for "${secs}s" --connections 64 "$@"
}
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# --- nginx, one worker on CPU 0
ngx_port=$(free_port)
mkdir -p "$work/ngx"
cat >"$work/ngx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/ngx/nginx.pid;
error_log $work/ngx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $work/ngx/body; proxy_temp_path $work/ngx/proxy; fastcgi_temp_path $work/ngx/fcgi;
  uwsgi_temp_path $work/ngx/uwsgi; scgi_temp_path $work/ngx/scgi;
  server { listen 127.0.0.1:$ngx_port; location / { return 200; } }
}
EOF
taskset -c 0 nginx -c "$work/ngx/nginx.conf" &
pids+=($!)

# --- estate serve (the mocks, one thread) on CPU 0
est_port=$(free_port)
cat >"$work/bench.json" <<'EOF'
{"name": "bench", "catalogue": {"skus": 50}, "locations": {"wh1": {"kind": "wms"}}, "channels": {"storefront": {}}}
EOF
taskset -c 0 "$estate" serve "$work/bench.json" --port "$est_port" --out "$work/serve" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/serve/endpoints.env" ] && (exec 3<>"/dev/tcp/127.0.0.1/$ngx_port") 2>/dev/null && break; sleep 0.1; done

# The mock endpoint: a channel's availability feed (PUT, JSON body, decoded, applied, 204).
cat >"$work/put.lua" <<'EOF'
wrk.method = "PUT"
wrk.body = '{"available": 7}'
wrk.headers["Content-Type"] = "application/json"
EOF
endpoint="http://127.0.0.1:$est_port/channels/storefront/availability/3"
nginx_url="http://127.0.0.1:$ngx_port/"
echo "bench: nginx return 200 vs estate's PUT /channels/storefront/availability/3 (wrk, ${secs}s x 3)" >&2
nginx_rps=$(for i in 1 2 3; do wrk_rate "$nginx_url"; done | median)
mock_rps=$(for i in 1 2 3; do wrk_rate "$endpoint" -s "$work/put.lua"; done | median)

echo "bench: estate drive vs wrk on nginx" >&2
drive_max=$(for i in 1 2 3; do drive_json "$nginx_url" "$(/usr/bin/python3 -c "print(int(2*$nginx_rps))")" | field "['achieved_rate_per_s']"; done | median)

echo "bench: open-model accuracy" >&2
accuracy=()
for frac in 0.1 0.25 0.5 0.75 0.9; do
  rate=$(/usr/bin/python3 -c "print(int($frac*$drive_max))")
  r=$(drive_json "$nginx_url" "$rate")
  accuracy+=("$frac $rate $(echo "$r" | field "['achieved_rate_per_s']") $(echo "$r" | field "['late_sends']['behind']['p99_ms']") $(echo "$r" | field "['latency_from_schedule']['p99_ms']")")
done

/usr/bin/python3 - "$nginx_rps" "$mock_rps" "$drive_max" "$out/live_bench.json" "${accuracy[@]}" <<'EOF'
import json, sys
nginx, mock, drive, path = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rows = [a.split() for a in sys.argv[5:]]
acc = [{"fraction": float(f), "requested_per_s": float(r), "achieved_per_s": float(a), "achieved_over_requested": float(a) / float(r),
        "late_p99_ms": float(l), "latency_from_schedule_p99_ms": float(p)} for f, r, a, l, p in rows]
result = {"nginx_return_200_per_s": nginx, "estate_mock_endpoint_per_s": mock, "mock_over_nginx": mock / nginx,
          "wrk_per_s": nginx, "estate_drive_per_s": drive, "drive_over_wrk": drive / nginx, "open_model": acc}
with open(path, "w") as f:
    json.dump(result, f, indent=2)
print("| what | figure | target |")
print("|---|---|---|")
print(f"| nginx `return 200`, one worker, by wrk | {nginx:,.0f} req/s | |")
print(f"| estate mock endpoint (`PUT .../availability/3`), one thread, by wrk | {mock:,.0f} req/s = **{mock / nginx:.2f}x nginx** | >= 0.7x |")
print(f"| wrk against that nginx | {nginx:,.0f} req/s | |")
print(f"| `estate drive` against that nginx | {drive:,.0f} req/s = **{drive / nginx:.2f}x wrk** | >= 0.8x |")
for a in acc:
    print(f"| `estate drive` open model at {a['fraction']:.0%} of its capacity ({a['requested_per_s']:,.0f}/s) | achieved {a['achieved_per_s']:,.0f}/s "
          f"= {a['achieved_over_requested'] * 100:.2f}%, sends late p99 {a['late_p99_ms']} ms | within 1% |")
EOF
echo "bench: written $out/live_bench.json" >&2
