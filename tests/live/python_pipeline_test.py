#!/usr/bin/python3
"""The report catches what a naive pipeline does wrong.

examples/pipeline-py/pipeline.py is an external pipeline written against
contract/openapi.yaml only, and naive on purpose: no idempotency, no reservations,
synchronous ERP calls. This test plays small scenarios live against it, over loopback HTTP
and time-scaled, and checks the report:

  1. a duplicate storm (a channel re-delivers half its orders): exit 3, and
     integrity.duplicate_effects > 0 with ERP orders booked twice and shipments made twice;
     the embedded reference pipeline, on the same scenario, has none;
  2. a promotion on thin stock: oversell.rate > 0, and more than the same scenario without
     the promotion; the embedded pipeline has no duplicate effects there either;
  3. a clean day (no duplicates, ample stock, a quick ERP): exit 0, no lost orders, no
     duplicate effects, no contract violations, nothing on the pipeline's stderr.

usage: python_pipeline_test.py ESTATE SRC_DIR
Everything listens on 127.0.0.1; every process runs in its own process group and is killed
on the way out. Three runs at a time; about 30 s of wall time.
"""
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402

PYTHON = "/usr/bin/python3"
TIME_SCALE = 30  # 5 scenario minutes of demand in 10 s
DRAIN_TIME_SCALE = 300
QUIET_PERIOD = 1.0  # wall seconds without a request from the pipeline: settled
RUN_TIMEOUT = 120  # wall seconds for one estate run: a hang guard, not a performance limit
PARALLEL_RUNS = 3  # estate runs at a time (each with its own ports and, if naive, its own pipeline)

ERP_AMPLE = {"quota": {"rate": "200/s", "burst": 500}, "concurrency": 200}
WMS_QUICK = {"kind": "wms", "pickers": 300, "packers": 300, "pick_time": "5s", "pack_time": "5s"}


def push_channel(rate, **delivery):
    """A channel that pushes each order as a webhook (no batches) and is fed per change."""
    return {"kind": "storefront", "rate": rate, "feed": {"mode": "event"},
            "delivery": {"mode": "push", "duplicates": 0, **delivery}}


def write(directory, doc):
    path = os.path.join(directory, doc["name"] + ".json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


def scenarios(directory):
    storm = {
        "name": "pypipe_storm", "seed": 5, "duration": "5m", "drain": {"max": "1h"},
        "description": "web re-delivers half its orders for the whole run",
        "catalogue": {"skus": 30, "stock": {"cover": "1d", "min_units": 50}},
        "locations": {"wh1": WMS_QUICK},
        "erp": ERP_AMPLE,
        "channels": {"web": push_channel("1.5/s"), "portal": push_channel("0.5/s")},
        "timeline": [{"at": "0s", "for": "5m", "duplicates": {"source": "web", "rate": 0.5, "delay": "10s"}}],
    }
    promo = {
        "name": "pypipe_promo", "seed": 7, "duration": "5m", "drain": {"max": "1h"},
        "description": "8x flash sale on the top 5 SKUs, 10 minutes of cover",
        "catalogue": {"skus": 30, "stock": {"cover": "10m", "min_units": 3}},
        "locations": {"wh1": WMS_QUICK},
        "erp": ERP_AMPLE,
        "channels": {"web": push_channel("1/s"), "portal": push_channel("1/s")},
        "timeline": [{"at": "1m", "for": "4m", "promotion": {"multiplier": 8, "skus": {"top": 5}}}],
    }
    no_promo = dict(promo, name="pypipe_no_promo", description="the same, without the sale", timeline=[])
    clean = {
        "name": "pypipe_clean", "seed": 3, "duration": "5m", "drain": {"max": "1h"},
        "description": "a good day: no duplicates, ample stock, a quick ERP",
        "catalogue": {"skus": 25, "stock": {"cover": "2d", "min_units": 50}},
        "locations": {"wh1": WMS_QUICK, "wh2": WMS_QUICK},
        "erp": dict(ERP_AMPLE, service_time="20ms", latency="5ms"),
        "channels": {"web": push_channel("1.5/s", timeout="30s"), "portal": push_channel("0.5/s", timeout="30s")},
    }
    return {name: write(directory, doc) for name, doc in
            [("storm", storm), ("promo", promo), ("no_promo", no_promo), ("clean", clean)]}


class Pipeline:
    """The naive pipeline, listening on a free loopback port, in its own process group."""

    def __init__(self, src, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        self.port = support.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.err_path = os.path.join(out_dir, "pipeline.err")
        self.err = open(self.err_path, "w")
        script = os.path.join(src, "examples", "pipeline-py", "pipeline.py")
        self.proc = subprocess.Popen([PYTHON, script, "--port", str(self.port),
                                      "--endpoints", os.path.join(out_dir, "endpoints.env")],
                                     stdout=subprocess.DEVNULL, stderr=self.err, start_new_session=True)
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                text = self.stderr()
                self.stop()
                raise RuntimeError(f"the pipeline exited {self.proc.returncode} before listening:\n{text}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.time() > deadline:
                    text = self.stderr()
                    self.stop()
                    raise RuntimeError("the pipeline did not listen within 10 s:\n" + text)
                time.sleep(0.05)

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 2), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.err.close()


def run_estate(estate, scenario, out_dir, pipeline_url):
    """One `estate live` run; returns (exit code, report or None, log tail). Always reaped."""
    os.makedirs(out_dir, exist_ok=True)
    argv = [estate, "live", scenario, "--port", "0", "--time-scale", str(TIME_SCALE),
            "--drain-time-scale", str(DRAIN_TIME_SCALE), "--out", out_dir, "--quiet"]
    if pipeline_url:
        argv += ["--pipeline", pipeline_url, "--quiet-period", str(QUIET_PERIOD)]
    log_path = os.path.join(out_dir, "estate.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
    with open(log_path) as f:
        tail = f.read()[-3000:]
    report = None
    path = os.path.join(out_dir, "report.json")
    if rc is not None and os.path.exists(path):
        with open(path) as f:
            report = json.load(f)
    return rc, report, tail


class Run:
    def __init__(self, label, rc, report, log, pipeline_err, wall):
        self.label, self.rc, self.report, self.log, self.pipeline_err, self.wall = label, rc, report, log, pipeline_err, wall

    def get(self, dotted, default=None):
        node = self.report
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def figures(self):
        if self.report is None:
            return f"exit {self.rc}, no report.json"
        i = self.report["integrity"]
        o = self.report["oversell"]
        kinds = ", ".join(f"{k} {v}" for k, v in i["duplicate_effects_by_kind"].items() if v)
        return (f"exit {self.rc}; lost orders {i['lost_orders']}; duplicate effects {i['duplicate_effects']}"
                f"{' (' + kinds + ')' if kinds else ''}; duplicates dropped {i['duplicates_dropped']}; "
                f"oversell {o['rate'] * 100:.2f}% ({o['oversold_units']} of {o['accepted_units']} units), "
                f"refused at channel {o['refused_at_channel']['no_availability']}; short picks {i['short_picks']}; "
                f"orders {self.report['run']['orders_placed']}; "
                f"contract violations {self.get('live.estate_side.contract_violations.total')}; {self.wall:.1f} s wall")


def play(estate, src, scenario, out_dir, label, naive):
    """Runs a scenario against the naive pipeline (or the embedded one)."""
    pipeline = Pipeline(src, out_dir) if naive else None
    t0 = time.time()
    try:
        rc, report, log = run_estate(estate, scenario, out_dir, pipeline.url if pipeline else None)
    finally:
        if pipeline:
            pipeline.stop()
    wall = time.time() - t0
    err = ""
    if pipeline:
        with open(pipeline.err_path) as fh:
            err = fh.read()
    run = Run(label, rc, report, log, err, wall)
    print(f"{label}: {run.figures()}", flush=True)
    return run


def main():
    estate, src = sys.argv[1], sys.argv[2]
    started = time.time()
    f = support.Failures()
    tmp = tempfile.mkdtemp(prefix="pypipe-")
    finished = False
    try:
        paths = scenarios(tmp)
        runs = {}
        plan = [("storm naive", "storm", True), ("storm embedded", "storm", False),
                ("promo naive", "promo", True), ("no promo naive", "no_promo", True),
                ("promo embedded", "promo", False), ("clean naive", "clean", True)]
        # The runs are independent and mostly wait on the wall clock: three at a time.
        with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            futures = {label: pool.submit(play, estate, src, paths[key], os.path.join(tmp, label.replace(" ", "-")),
                                          label, naive) for label, key, naive in plan}
            for label, future in futures.items():
                runs[label] = future.result()

        def reported(label):
            r = runs.get(label)
            ok = r is not None and r.report is not None
            f.check(ok, f"{label}: estate wrote no report (exit {r.rc if r else '-'}):\n{r.log if r else ''}")
            return r if ok else None

        # Every naive run still speaks the contract: nothing refused for good either way.
        for label in ("storm naive", "promo naive", "no promo naive", "clean naive"):
            r = runs.get(label)
            if r and r.report:
                v = r.get("live.estate_side.contract_violations", {})
                f.check(v.get("total") == 0, f"{label}: the naive pipeline broke the contract: {json.dumps(v)[:1500]}")
                lost = r.get("integrity.lost_orders")
                f.check(lost == 0, f"{label}: {lost} orders lost ({r.get('integrity.lost_orders_by_stage')}); "
                                   f"pipeline stderr:\n{r.pipeline_err[-1500:]}")

        # 1. A duplicate storm: exit 3, ERP orders booked twice and shipments made twice.
        r = reported("storm naive")
        if r:
            by_kind = r.get("integrity.duplicate_effects_by_kind", {})
            f.check(r.rc == 3, f"storm naive: estate exited {r.rc}, expected 3 (integrity failed); {r.figures()}")
            f.check(r.get("integrity.duplicate_effects", 0) > 0,
                    f"storm naive: integrity.duplicate_effects is {r.get('integrity.duplicate_effects')}, expected > 0")
            f.check(by_kind.get("erp_order", 0) > 0 and by_kind.get("shipment", 0) > 0,
                    f"storm naive: expected ERP orders booked twice and shipments made twice, got {by_kind}")
            f.check(any("side effects were applied more than once" in x for x in r.get("verdict.reasons", [])),
                    f"storm naive: the verdict does not name the duplicate effects: {r.get('verdict.reasons')}")
        e = reported("storm embedded")
        if e:
            f.check(e.get("integrity.duplicate_effects") == 0,
                    f"storm embedded: the reference pipeline has {e.get('integrity.duplicate_effects')} duplicate effects")
            f.check(e.get("integrity.duplicates_dropped", 0) > 0,
                    f"storm embedded: the reference pipeline dropped no duplicates ({e.figures()})")
            f.check(e.rc == 0, f"storm embedded: estate exited {e.rc}, expected 0; {e.figures()}")

        # 2. A promotion on thin stock: oversell, more than without the promotion.
        p, n = reported("promo naive"), reported("no promo naive")
        if p:
            f.check(p.get("oversell.rate", 0) > 0,
                    f"promo naive: oversell.rate is {p.get('oversell.rate')}, expected > 0; {p.figures()}")
        if p and n:
            f.check(n.get("oversell.rate", 1) < p.get("oversell.rate", 0),
                    f"no promo naive: oversell.rate {n.get('oversell.rate')} is not below the promotion's "
                    f"{p.get('oversell.rate')}")
        pe = reported("promo embedded")
        if pe:
            f.check(pe.get("integrity.duplicate_effects") == 0,
                    f"promo embedded: the reference pipeline has {pe.get('integrity.duplicate_effects')} duplicate effects")
            if p:
                f.check(pe.get("oversell.rate", 1) < p.get("oversell.rate", 0),
                        f"promo embedded: the reference pipeline oversells {pe.get('oversell.rate')}, "
                        f"not less than the naive one's {p.get('oversell.rate')}")

        # 3. A clean day: the naive pipeline does the job.
        c = reported("clean naive")
        if c:
            f.check(c.rc == 0, f"clean naive: estate exited {c.rc}, expected 0; {c.figures()}\n{c.log[-1500:]}")
            f.check(c.get("integrity.duplicate_effects") == 0,
                    f"clean naive: {c.get('integrity.duplicate_effects')} duplicate effects "
                    f"({c.get('integrity.duplicate_effects_by_kind')})")
            f.check(c.get("integrity.shipments_not_in_erp") == 0,
                    f"clean naive: {c.get('integrity.shipments_not_in_erp')} shipments not in the ERP")
            f.check(c.get("integrity.conservation_ok") is True, "clean naive: stock not conserved")
            f.check(c.get("latency.order_to_ship.count") == c.get("run.orders_placed"),
                    f"clean naive: {c.get('latency.order_to_ship.count')} of {c.get('run.orders_placed')} orders shipped")
            f.check(c.pipeline_err.strip() == "", f"clean naive: the pipeline reported problems:\n{c.pipeline_err[-1500:]}")
        finished = True
    finally:
        print(f"\n{time.time() - started:.0f} s of wall time")
        if f.items or not finished:
            print(f"outputs kept in {tmp} (scenarios, estate.log, pipeline.err, report.json per run)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    f.exit()


if __name__ == "__main__":
    main()
