#!/usr/bin/python3
"""The CI gate run live: `estate gate SUITE --live` plays each scenario against the pipeline
under test (here the embedded one) one after another, writes the same junit.xml and
summary.md as a simulated gate, exits 1 when a threshold fails live and 0 when all hold, and
each scenario's report says it was live.

usage: gate_live_test.py ESTATE SRC_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import Failures, tiny_scenario  # noqa: E402

F = Failures()


def gate(estate, args, timeout=180):
    return subprocess.run([estate, "gate"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def main():
    estate = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        suite = os.path.join(tmp, "suite")
        os.makedirs(suite)
        tiny_scenario(suite, name="alpha", thresholds={"latency.order_ack.p99": "< 1m", "integrity.lost_orders": "== 0"})
        tiny_scenario(suite, name="beta", channels={"storefront": {"rate": "1/s"}, "marketplace": {"rate": "1/s"}},
                      thresholds={"oversell.rate": "< 1%"})
        out = os.path.join(tmp, "g1")
        p = gate(estate, [suite, "--live", "--time-scale", "60", "--drain-time-scale", "600", "--out", out])
        F.check(p.returncode == 0, f"live gate: expected exit 0, got {p.returncode}\n{p.stdout[-1500:]}\n{p.stderr[-1500:]}")
        junit = open(os.path.join(out, "junit.xml")).read() if os.path.exists(os.path.join(out, "junit.xml")) else ""
        F.check(junit.count("<testsuite ") == 2, f"live gate: junit.xml should hold two testsuites:\n{junit[:800]}")
        F.check(os.path.exists(os.path.join(out, "summary.md")), "live gate: no summary.md")
        for name in ["alpha", "beta"]:
            path = os.path.join(out, name, "report.json")
            if F.check(os.path.exists(path), f"live gate: no {name}/report.json"):
                r = json.load(open(path))
                F.check(r["run"]["mode"] == "live" and r["live"]["pipeline"] == "embedded", f"{name}: not a live report: {r['run']}")
                F.check(os.path.exists(os.path.join(out, name, "endpoints.env")), f"{name}: no endpoints.env")
        # A threshold that cannot hold live fails the gate, named in the summary.
        out2 = os.path.join(tmp, "g2")
        p = gate(estate, [os.path.join(suite, "alpha.json"), "--live", "--time-scale", "60", "--drain-time-scale", "600",
                          "--threshold", "latency.order_ack.p50 < 1ms", "--out", out2, "--quiet"])
        F.check(p.returncode == 1, f"live gate with an impossible threshold: expected exit 1, got {p.returncode}\n{p.stderr[-1500:]}")
        F.check("latency.order_ack.p50" in p.stderr, f"live gate: the failing threshold is not named on stderr:\n{p.stderr[-800:]}")
    F.exit()


if __name__ == "__main__":
    main()
