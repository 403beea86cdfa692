#!/usr/bin/python3
"""Bad input and hostile peers in live mode: whatever arrives over the wire, estate answers
with a problem (RFC 9457) or closes the connection, counts it, and keeps serving; a pipeline
that never answers, answers garbage or floods the mocks still gets a run that ends and a
report; Ctrl-C and SIGTERM end a run with a partial report; a port in use, an unreachable
pipeline and a scenario live mode cannot play are refused with exit 2.

usage: hostile_test.py ESTATE SRC_DIR
"""
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import Estate, Failures, free_port, raw_exchange, request, tiny_scenario  # noqa: E402

F = Failures()


def problem(body, status):
    return isinstance(body, dict) and body.get("status") == status and str(body.get("type", "")).startswith("urn:estate:problem:")


def edge_limits(estate, tmp):
    """Limits at the edge, on `estate serve` with small limits."""
    scenario = tiny_scenario(tmp)
    out = os.path.join(tmp, "serve")
    os.makedirs(out)
    with Estate([estate, "serve", scenario, "--out", out, "--max-header-bytes", "1024", "--max-body-bytes", "4096",
                 "--max-connections", "40", "--idle-timeout", "1"], out) as e:
        e.wait_endpoints()
        port = e.port()
        # Not HTTP at all: 400 with a problem body, then the connection is closed.
        reply = raw_exchange(port, b"HELLO THERE\r\n\r\n")
        F.check(reply.startswith(b"HTTP/1.1 400"), f"garbage request: expected 400, got {reply[:60]!r}")
        F.check(b"application/problem+json" in reply and b'"status":400' in reply, f"garbage request: no problem body: {reply[:300]!r}")
        # A header over the limit: 431.
        reply = raw_exchange(port, b"GET /_estate/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2000 + b"\r\n\r\n")
        F.check(reply.startswith(b"HTTP/1.1 431"), f"big header: expected 431, got {reply[:60]!r}")
        # A body over the limit: 413.
        body = b"{" + b" " * 5000 + b"}"
        reply = raw_exchange(port, b"POST /erp/sales-orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                             str(len(body)).encode() + b"\r\n\r\n" + body)
        F.check(reply.startswith(b"HTTP/1.1 413"), f"big body: expected 413, got {reply[:60]!r}")
        # Bodies that break the contract: 400 naming the path, 422 for an order nobody placed.
        st, _, b = request(port, "POST", "/erp/sales-orders", "{not json")
        F.check(st == 400 and problem(b, 400), f"malformed JSON: expected a 400 problem, got {st} {b}")
        st, _, b = request(port, "POST", "/erp/sales-orders", {"order_id": "seven", "lines": []})
        F.check(st == 400 and problem(b, 400) and "/order_id" in b.get("detail", ""), f"wrong type: expected a 400 naming /order_id, got {st} {b}")
        st, _, b = request(port, "POST", "/erp/sales-orders", {"order_id": 999999, "lines": [{"line": 0, "sku": 1, "qty": 1}]})
        F.check(st == 422 and problem(b, 422), f"unknown order: expected a 422 problem, got {st} {b}")
        st, _, b = request(port, "DELETE", "/erp/sales-orders")
        F.check(st == 405 and problem(b, 405), f"wrong method: expected a 405 problem, got {st} {b}")
        st, _, b = request(port, "GET", "/nowhere")
        F.check(st == 404 and problem(b, 404), f"unknown path: expected a 404 problem, got {st} {b}")
        # More connections than the limit: the extra ones are closed on accept, the rest served.
        conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(60)]
        time.sleep(0.3)
        closed = 0
        for c in conns:
            c.settimeout(0.2)
            try:
                if c.recv(1) == b"":
                    closed += 1
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed += 1
        F.check(closed >= 20, f"connection limit 40: expected at least 20 of 60 connections closed, {closed} were")
        for c in conns:
            c.close()
        # A request trickled in and never finished (slowloris) is closed after the idle timeout.
        s = socket.create_connection(("127.0.0.1", port), timeout=6)
        s.sendall(b"GET /_estate/health HTTP/1.1\r\nHo")
        start = time.time()
        try:
            got = s.recv(100)
        except socket.timeout:
            got = None
        F.check(got == b"" and time.time() - start < 5, f"slowloris: expected the connection closed within the 1 s idle timeout, got {got!r} after {time.time() - start:.1f} s")
        s.close()
        # Still standing.
        st, _, b = request(port, "GET", "/_estate/health")
        F.check(st == 200 and b == {"ok": True}, f"after all that, health: {st} {b}")
        st, _, b = request(port, "GET", "/_estate/state")
        F.check(st == 200 and isinstance(b, dict) and "systems" in b, f"after all that, state: {st} {b}")
        e.signal(signal.SIGTERM)
        F.check(e.wait(10) == 0, "serve did not stop cleanly on SIGTERM")


class HostilePipeline:
    """A pipeline at a URL that misbehaves: 'silent' reads requests and never answers,
    'garbage' answers bytes that are not HTTP, 'flood' answers 202 but hammers the ERP with
    requests (valid ones, then malformed ones)."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.estate_port = None
        self.stopped = False
        self.conns = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        buf = b""
        try:
            while not self.stopped:
                data = c.recv(65536)
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    head, rest = buf.split(b"\r\n\r\n", 1)
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    if len(rest) < length:
                        break
                    body, buf = rest[:length], rest[length:]
                    self.answer(c, head, body)
        except OSError:
            return

    def answer(self, c, head, body):
        if self.mode == "silent":
            return
        if self.mode == "garbage":
            c.sendall(b"\x00\x01 this is not HTTP \xff\r\n\r\n")
            return
        c.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
        if self.mode == "flood" and b"/orders" in head.split(b"\r\n")[0] and self.estate_port:
            order = json.loads(body)
            threading.Thread(target=self.flood, args=(order,), daemon=True).start()

    def flood(self, order):
        lines = [{"line": l["line"], "sku": l["sku"], "qty": l["qty"]} for l in order["lines"]]
        for i in range(40):
            try:
                request(self.estate_port, "POST", "/erp/sales-orders", {"order_id": order["order_id"], "channel": order["channel"], "lines": lines},
                        timeout=5)
                request(self.estate_port, "POST", "/erp/shipments", "{\"shipment_id\": [}", timeout=5)
            except OSError:
                return

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def hostile_pipelines(estate, tmp):
    for mode in ["silent", "garbage", "flood"]:
        p = HostilePipeline(mode)
        out = os.path.join(tmp, mode)
        os.makedirs(out)
        scenario = tiny_scenario(out, channels={"storefront": {"rate": "1/s", "delivery": {"timeout": "2s", "attempts": 2, "retry_base": "5s", "retry_cap": "10s"}}})
        port = free_port()
        p.estate_port = port
        start = time.time()
        try:
            with Estate([estate, "live", scenario, "--pipeline", f"http://127.0.0.1:{p.port}", "--time-scale", "30", "--port", str(port),
                         "--out", out, "--quiet", "--quiet-period", "1"], out, timeout=120) as e:
                code = e.wait()
                took = time.time() - start
                F.check(code in (1, 3), f"{mode} pipeline: expected exit 1 or 3, got {code}:\n{e.output()}")
                F.check(took < 90, f"{mode} pipeline: the run took {took:.0f} s")
                try:
                    r = e.report()
                except (OSError, ValueError) as err:
                    F.check(False, f"{mode} pipeline: no report.json ({err})")
                    continue
                live = r["live"]["estate_side"]
                lost = r["integrity"]["lost_orders_by_stage"]
                if mode == "silent":
                    F.check(lost["never_delivered"] > 0, f"silent pipeline: orders never delivered should be counted, got {lost}")
                    F.check(live["sent"]["timeouts"] > 0, f"silent pipeline: timeouts should be counted, got {live['sent']}")
                if mode == "garbage":
                    F.check(live["sent"]["io_errors"] > 0, f"garbage pipeline: garbled answers should be counted, got {live['sent']}")
                    F.check(lost["never_delivered"] > 0, f"garbage pipeline: orders never delivered should be counted, got {lost}")
                if mode == "flood":
                    v = live["contract_violations"]
                    F.check(v["total"] > 0 and v["examples"], f"flooding pipeline: malformed requests should be counted with examples, got {v}")
                    F.check(r["retries"]["erp_429"] > 0 or live["served"]["shed"] > 0,
                            f"flooding pipeline: expected 429s from the ERP's quota, got {r['retries']['erp_429']}")
                    # It posts each order again and again without an Idempotency-Key: the ERP books
                    # it each time, and the report must say so (exit 3).
                    F.check(r["integrity"]["duplicate_effects"] > 0 and code == 3,
                            f"flooding pipeline: orders booked repeatedly should fail integrity, got {r['integrity']['duplicate_effects']}, exit {code}")
        finally:
            p.stop()


def signals_end_runs(estate, tmp):
    for sig in [signal.SIGINT, signal.SIGTERM]:
        out = os.path.join(tmp, f"sig{int(sig)}")
        os.makedirs(out)
        scenario = tiny_scenario(out, duration="1h")
        with Estate([estate, "live", scenario, "--time-scale", "30", "--out", out, "--quiet"], out, timeout=60) as e:
            e.wait_endpoints()
            time.sleep(3)
            e.signal(sig)
            start = time.time()
            code = e.wait(30)
            F.check(time.time() - start < 15, f"{sig.name}: took {time.time() - start:.0f} s to stop")
            F.check(code == 1, f"{sig.name}: expected exit 1 (a partial run cannot pass), got {code}:\n{e.output()}")
            try:
                r = e.report()
                F.check(r["verdict"]["partial"] is True and r["live"]["interrupted"] is True, f"{sig.name}: report not marked partial: {r['verdict']}")
                F.check(any("interrupted" in x for x in r["verdict"]["reasons"]), f"{sig.name}: no reason given: {r['verdict']}")
                F.check(r["run"]["orders_placed"] > 0, f"{sig.name}: the partial report has no orders")
            except (OSError, ValueError) as err:
                F.check(False, f"{sig.name}: no report.json ({err})")


def refused_at_start(estate, tmp):
    scenario = tiny_scenario(tmp)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    taken = busy.getsockname()[1]
    cases = [
        (["live", scenario, "--port", str(taken)], "cannot listen on 127.0.0.1:" + str(taken)),
        (["live", scenario, "--pipeline", f"http://127.0.0.1:{free_port()}"], "cannot reach the pipeline"),
        (["live", scenario, "--pipeline", "https://127.0.0.1:9"], "https is not supported"),
        (["live", scenario, "--pipeline", "ftp://x"], "expected a URL like http://"),
        (["live", scenario, "--time-scale", "0"], "--time-scale"),
        (["live", scenario, "--listen", "not-an-address"], "--listen"),
        (["serve", scenario, "--for", "soon"], "--for"),
    ]
    stage = tiny_scenario(tmp, name="stage", timeline=[{"at": "30s", "for": "30s", "outage": {"system": "allocate", "mode": "down"}}])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    cases.append((["live", stage, "--pipeline", f"http://127.0.0.1:{listener.getsockname()[1]}"], "/timeline/0"))
    for args, text in cases:
        out = os.path.join(tmp, "refused")
        import subprocess
        p = subprocess.run([estate] + args + ["--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        F.check(p.returncode == 2, f"{' '.join(args)}: expected exit 2, got {p.returncode}: {p.stderr[-300:]}")
        F.check(text in p.stderr, f"{' '.join(args)}: stderr should say {text!r}: {p.stderr[-300:]}")
    busy.close()
    listener.close()


def main():
    estate = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        for part in [edge_limits, refused_at_start, signals_end_runs, hostile_pipelines]:
            sub = os.path.join(tmp, part.__name__)
            os.makedirs(sub)
            print(f"-- {part.__name__}", flush=True)
            part(estate, sub)
    F.exit()


if __name__ == "__main__":
    main()
