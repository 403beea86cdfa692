#!/usr/bin/env python3
"""A deliberately naive order and inventory sync pipeline for estate, written against
contract/openapi.yaml only, in Python 3 with the standard library.

    python3 pipeline.py --port 9000 --endpoints out/x/endpoints.env

It does the whole job on a clean day: it books every order in the ERP, acknowledges it to its
channel, releases it to a warehouse (a WMS release, or a 940 to a 3PL on an interval), posts
shipments and stock movements to the ERP from warehouse events and 945 files, cancels lines a
warehouse could not pick, and publishes availability to every channel after each change.

It is naive on purpose, the way a first integration often is (see README.md for what the
estate's report shows for each):

* no idempotency: it never deduplicates order webhooks, warehouse events or files, and sends
  no Idempotency-Key to the ERP or the warehouses, so a redelivered webhook becomes a second
  ERP sales order and a second release, and a redelivered event a second ERP shipment;
* no reservations: it acknowledges every line of every order, routes every order to the first
  location in endpoints.env, and publishes the warehouses' on-hand as it hears about it,
  ignoring what is ordered and not yet shipped;
* synchronous ERP calls: the sales order is created inside the webhook handler before the
  202, with a tiny retry (two more tries) on 429/503 that waits what the ERP asks;
* no reconciliation: it never reads or corrects the ERP's counts.

It listens on 127.0.0.1 only, prints one line per problem to stderr and nothing per request.
"""
import argparse
import http.client
import http.server
import json
import os
import queue
import sys
import threading
import time
import urllib.parse

START = time.time()
ARGS = None


def problem(msg):
    """One line per problem, on stderr."""
    sys.stderr.write(f"pipeline: {msg}\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------------------- HTTP client


class Client:
    """HTTP/1.1 calls to the estate over one keep-alive connection per thread."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.local = threading.local()

    def _conn(self, timeout):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self.local.conn = conn
            self.local.used = False
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self):
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
        self.local.conn = None

    def call(self, method, path, body=None, timeout=5.0):
        """Returns (status, headers, parsed body or None). Raises OSError (including
        socket.timeout) when there is no answer."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in (1, 2):
            conn = self._conn(timeout)
            reused = self.local.used
            try:
                conn.request(method, path, body=data, headers=headers)
                res = conn.getresponse()
                raw = res.read()
                self.local.used = True
                if res.getheader("Connection", "").lower() == "close":
                    self._drop()
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = None
                return res.status, res, parsed
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # An idle keep-alive connection the estate closed: try once on a fresh one.
                self._drop()
                if attempt == 2 or not reused:
                    raise OSError(str(e)) from e
            except (OSError, http.client.HTTPException) as e:
                self._drop()
                raise OSError(str(e) or type(e).__name__) from e
        raise OSError("unreachable")


def retry_wait(res, parsed):
    """What a 429/503 asks us to wait, in wall seconds (retry_after_ms first, then Retry-After)."""
    if isinstance(parsed, dict) and isinstance(parsed.get("retry_after_ms"), int):
        return parsed["retry_after_ms"] / 1000.0
    try:
        return float(res.getheader("Retry-After"))
    except (TypeError, ValueError):
        return 0.05


# ----------------------------------------------------------------------------------- the estate


def env_name(name):
    return "".join(c if c.isalnum() else "_" for c in name.upper())


class Estate:
    """What endpoints.env says, and everything the pipeline keeps about one estate run."""

    def __init__(self, env, mtime):
        self.env, self.mtime = env, mtime
        erp = urllib.parse.urlsplit(env["ESTATE_ERP_URL"])
        self.client = Client(erp.hostname, erp.port or 80)
        self.erp = erp.path.rstrip("/")
        self.scale = float(env.get("ESTATE_TIME_SCALE", "1") or 1)
        # Locations and channels in the order endpoints.env lists them; names from the URL paths.
        self.locations = []  # [(name, kind, path)]
        self.channels = []  # [(name, path)]
        for key, url in env.items():
            path = urllib.parse.urlsplit(url).path.rstrip("/")
            name = urllib.parse.unquote(path.rsplit("/", 1)[-1])
            if key.startswith("ESTATE_WMS_"):
                self.locations.append((name, "wms", path))
            elif key.startswith("ESTATE_3PL_"):
                self.locations.append((name, "3pl", path))
            elif key.startswith("ESTATE_CHANNEL_"):
                self.channels.append((name, path))
        self.location_path = {name: path for name, _, path in self.locations}
        self.channel_path = dict(self.channels)
        self.lock = threading.Lock()
        self.orders = {}  # order_id -> channel (to cancel short-picked lines)
        self.ledger = {}  # location -> [on_hand per SKU]: what the warehouses reported
        self.skus = 0
        self.sequence = int(time.time() * 1e6)  # figures' sequence, increasing across restarts
        self.pending_940 = {name: [] for name, kind, _ in self.locations if kind == "3pl"}
        self.work = queue.Queue()
        self.stopped = threading.Event()

    # Wall-clock timeouts: a scenario-time budget divided by the time scale.
    def timeout(self, scenario_s):
        return min(60.0, max(0.25, scenario_s / self.scale))

    def start(self):
        for _ in range(ARGS.workers):
            threading.Thread(target=self._worker, daemon=True).start()
        self._load_stock()
        for name in self.pending_940:
            threading.Thread(target=self._send_940s, args=(name,), daemon=True).start()

    def stop(self):
        self.stopped.set()

    def _worker(self):
        while not self.stopped.is_set():
            try:
                job = self.work.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                job()
            except Exception as e:  # a bug in a job must not kill the worker
                problem(f"internal error in a background job: {type(e).__name__}: {e}")

    def later(self, fn, *args):
        self.work.put(lambda: fn(*args))

    # ------------------------------------------------------------------ stock from the warehouses

    def _load_stock(self):
        """The starting ledger: every location's physical count (this is also where the
        catalogue size comes from)."""
        for name, kind, path in self.locations:
            for attempt in range(5):
                try:
                    status, _, body = self.client.call("GET", path + "/inventory", timeout=self.timeout(30))
                except OSError as e:
                    status, body = f"no answer ({e})", None
                if status == 200 and isinstance(body, dict) and isinstance(body.get("on_hand"), list):
                    with self.lock:
                        self.ledger[name] = list(body["on_hand"])
                        self.skus = max(self.skus, len(body["on_hand"]))
                    break
                time.sleep(0.2)
            else:
                problem(f"could not read the inventory of {name} ({status}); its stock counts as 0 until it reports")
        with self.lock:
            for name, _, _ in self.locations:
                self.ledger.setdefault(name, [])
                self.ledger[name].extend([0] * (self.skus - len(self.ledger[name])))

    def _grow(self, sku):
        if sku >= self.skus:
            self.skus = sku + 1
            for row in self.ledger.values():
                row.extend([0] * (self.skus - len(row)))

    def change_stock(self, location, sku, delta):
        with self.lock:
            self._grow(sku)
            if location not in self.ledger:
                self.ledger[location] = [0] * self.skus
            self.ledger[location][sku] += delta

    def set_stock(self, location, on_hand):
        with self.lock:
            self._grow(len(on_hand) - 1)
            row = self.ledger.setdefault(location, [0] * self.skus)
            changed = [sku for sku, units in enumerate(on_hand) if row[sku] != units]
            for sku in changed:
                row[sku] = on_hand[sku]
        return changed

    def publish(self, skus):
        """Availability of each SKU = on-hand summed over every location, as the warehouses
        reported it (nothing held back for orders not yet shipped), to every channel."""
        figures = []
        with self.lock:
            for sku in sorted(set(skus)):
                if 0 <= sku < self.skus:
                    self.sequence += 1
                    units = sum(row[sku] for row in self.ledger.values())
                    figures.append((sku, max(0, min(units, 2147483647)), self.sequence))
        for channel, path in self.channels:
            for sku, units, seq in figures:
                try:
                    status, _, body = self.client.call("PUT", f"{path}/availability/{sku}",
                                                       {"available": units, "sequence": seq}, timeout=self.timeout(30))
                    if status >= 300:
                        problem(f"availability of SKU {sku} to {channel}: {status} {detail(body)}")
                except OSError as e:
                    problem(f"availability of SKU {sku} to {channel}: no answer ({e})")

    # ----------------------------------------------------------------------------- ERP

    def erp_post(self, what, path, body):
        """POST to the ERP, without an Idempotency-Key. Retries twice on 429/503, waiting what
        the ERP asks. Returns (status, body); raises OSError when the ERP does not answer."""
        for attempt in range(3):
            status, res, parsed = self.client.call("POST", self.erp + path, body, timeout=self.timeout(ARGS.erp_timeout))
            if status in (429, 503) and attempt < 2:
                time.sleep(min(retry_wait(res, parsed), 5.0))
                continue
            if status >= 300:
                problem(f"ERP {what}: {status} {detail(parsed)}")
            return status, parsed
        return status, parsed

    # ----------------------------------------------------------------------------- orders

    def take_order(self, order):
        """Inside the webhook: book the order in the ERP. True when booked."""
        oid = order["order_id"]
        with self.lock:
            self.orders[oid] = order["channel"]
        try:
            status, _ = self.erp_post(f"sales order {oid}", "/sales-orders",
                                      {"order_id": oid, "channel": order["channel"], "lines": order["lines"]})
        except OSError as e:
            problem(f"ERP sales order {oid}: no answer ({e})")
            return False
        return status < 300 or (400 <= status < 500 and status != 429)  # a 4xx will not get better

    def fulfil(self, order):
        """After the 202: acknowledge every line to the channel, release to the first location."""
        oid, channel = order["order_id"], order["channel"]
        path = self.channel_path.get(channel)
        if path is None:
            problem(f"order {oid}: channel {channel!r} is not in endpoints.env; not acknowledged")
        else:
            try:
                status, _, body = self.client.call("POST", path + "/order-acks",
                                                   {"order_id": oid, "accepted_lines": [l["line"] for l in order["lines"]]},
                                                   timeout=self.timeout(30))
                if status >= 300:
                    problem(f"ack of order {oid} to {channel}: {status} {detail(body)}")
            except OSError as e:
                problem(f"ack of order {oid} to {channel}: no answer ({e})")
        if not self.locations:
            problem(f"order {oid}: no location in endpoints.env to release it to")
            return
        name, kind, path = self.locations[0]
        if kind == "3pl":
            with self.lock:
                self.pending_940[name].append({"order_id": oid, "lines": order["lines"]})
            return
        for attempt in range(3):
            try:
                status, _, body = self.client.call("POST", path + "/releases", {"order_id": oid, "lines": order["lines"]},
                                                   timeout=self.timeout(ARGS.warehouse_timeout))
            except OSError as e:
                status, body = f"no answer ({e})", None
            if isinstance(status, int) and status < 300:
                return
            if isinstance(status, int) and 400 <= status < 500 and status != 429:
                break
            time.sleep(0.1 * (attempt + 1))
        problem(f"release of order {oid} to {name} failed ({status} {detail(body)}); given up")

    def _send_940s(self, name):
        """Every --tpl-interval (scenario time), the releases collected for a 3PL as one 940."""
        path = self.location_path[name]
        while not self.stopped.wait(max(0.05, ARGS.tpl_interval / self.scale)):
            with self.lock:
                orders, self.pending_940[name] = self.pending_940[name], []
            if not orders:
                continue
            try:
                status, _, body = self.client.call("POST", path + "/shipping-orders", {"orders": orders},
                                                   timeout=self.timeout(ARGS.warehouse_timeout))
            except OSError as e:
                status, body = f"no answer ({e})", None
            if isinstance(status, int) and status < 300:
                continue
            problem(f"940 to {name} with {len(orders)} orders: {status} {detail(body)}"
                    + ("; refused for good" if isinstance(status, int) and 400 <= status < 500 and status != 429
                       else "; sending them again with the next file"))
            if not (isinstance(status, int) and 400 <= status < 500 and status != 429):
                with self.lock:
                    self.pending_940[name][:0] = orders

    # ------------------------------------------------------------------ warehouse events and files

    def warehouse_record(self, ev):
        """Applies one event (or 945 record). Returns (ok, SKUs whose stock changed); ok False
        means "not now" (the ERP failed), so the estate should send it again."""
        kind = ev.get("type")
        loc = ev.get("location")
        if kind == "shipped":
            try:
                status, _ = self.erp_post(f"shipment {ev['event_id']}", "/shipments",
                                          {"shipment_id": ev["event_id"], "order_id": ev["order_id"], "location": loc,
                                           "lines": ev["lines"], "shipped_at_us": ev["at_us"]})
            except OSError as e:
                problem(f"ERP shipment {ev['event_id']}: no answer ({e})")
                return False, []
            if status >= 500 or status == 429:
                return False, []
            for l in ev["lines"]:
                self.change_stock(loc, l["sku"], -l["qty"])
            return True, [l["sku"] for l in ev["lines"]]
        if kind == "movement":
            try:
                status, _ = self.erp_post(f"stock movement {ev['event_id']}", "/stock-movements",
                                          {"movement_id": ev["event_id"], "location": loc, "sku": ev["sku"],
                                           "delta": ev["delta"], "at_us": ev["at_us"]})
            except OSError as e:
                problem(f"ERP stock movement {ev['event_id']}: no answer ({e})")
                return False, []
            if status >= 500 or status == 429:
                return False, []
            self.change_stock(loc, ev["sku"], ev["delta"])
            return True, [ev["sku"]]
        if kind == "short_pick":
            oid = ev["order_id"]
            with self.lock:
                channel = self.orders.get(oid)
            if channel is None:
                problem(f"short pick of order {oid} line {ev['line']}: order unknown here; not cancelled")
                return True, []
            try:
                status, _, body = self.client.call("POST", self.channel_path[channel] + "/order-cancellations",
                                                   {"order_id": oid, "lines": [ev["line"]]}, timeout=self.timeout(30))
                if status >= 300:
                    problem(f"cancellation of order {oid} line {ev['line']} to {channel}: {status} {detail(body)}")
            except OSError as e:
                problem(f"cancellation of order {oid} line {ev['line']} to {channel}: no answer ({e})")
            return True, []
        problem(f"warehouse record of unknown type {kind!r} ignored")
        return True, []

    def shipping_advice(self, advice):
        """A 945, after its 202: every record in order; a record the ERP fails is given up."""
        changed = []
        for rec in advice["records"]:
            try:
                ok, skus = self.warehouse_record(rec)
            except (KeyError, TypeError) as e:
                problem(f"945 record from {advice.get('location')} unreadable ({e}); skipped")
                continue
            if not ok:
                problem(f"945 record {rec.get('type')} {rec.get('event_id', rec.get('order_id'))} "
                        f"from {advice.get('location')}: the ERP failed it; given up")
            changed += skus
        if changed:
            self.publish(changed)


def detail(body):
    if isinstance(body, dict):
        return body.get("detail") or body.get("type") or ""
    return ""


# ------------------------------------------------------------------------- endpoints.env, lazily

STATE_LOCK = threading.Lock()
STATE = None


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                env[k.strip()] = v.strip()
    return env


def estate(wait=10.0):
    """The estate of the current endpoints.env, read on the first request and again whenever
    the file changes (a new estate run: everything is forgotten). None if there is none."""
    global STATE
    path = ARGS.endpoints
    deadline = time.time() + wait
    while True:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            mtime = None
        if STATE is not None and (STATE.mtime == mtime or mtime is None):
            return STATE  # the same run (or its file was removed: carry on with what we have)
        # A file older than this process is a previous run's: wait a little for the new one.
        fresh = mtime is not None and mtime / 1e9 >= START - 1
        if mtime is not None and (fresh or time.time() >= deadline):
            with STATE_LOCK:
                if STATE is not None and STATE.mtime == mtime:
                    return STATE
                try:
                    env = read_env(path)
                except OSError:
                    env = {}
                if "ESTATE_ERP_URL" in env and "ESTATE_TIME_SCALE" in env:
                    if not fresh:
                        problem(f"{path} is older than this pipeline; using it anyway")
                    if STATE is not None:
                        STATE.stop()
                    state = Estate(env, mtime)
                    state.start()
                    STATE = state
                    return STATE
        if time.time() >= deadline:
            if STATE is None:
                problem(f"no usable {path} yet (is estate running with --out pointing there?)")
            return STATE
        time.sleep(0.05)


# ------------------------------------------------------------------------------------ the server


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "naive-pipeline"

    def log_message(self, *args):  # nothing per request
        pass

    def answer(self, status, body=None, content_type="application/json", headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        try:
            self.send_response(status)
            if data:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the caller gave up waiting; nothing to do about it

    def refuse(self, status, slug, title, detail_text, headers=()):
        self.answer(status, {"type": f"urn:estate:problem:{slug}", "title": title, "status": status,
                             "detail": detail_text}, "application/problem+json", headers)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def route(self):
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        for suffix in ("/warehouse-files/945", "/warehouse-files/846", "/warehouse-events", "/orders"):
            if path.endswith(suffix):
                return suffix
        return None

    def do_POST(self):
        route = self.route()
        body = self.body()
        if route is None:
            return self.refuse(404, "no-such-endpoint", "No such endpoint", f"nothing is served at {self.path}")
        if not isinstance(body, dict):
            return self.refuse(400, "malformed-body", "Malformed body", "/: expected a JSON object")
        state = estate()
        if state is None:
            return self.refuse(503, "unavailable", "Unavailable", "no endpoints.env to work with yet")
        try:
            if route == "/orders":
                return self.order(state, body)
            if route == "/warehouse-events":
                return self.event(state, body)
            if route == "/warehouse-files/945":
                if not isinstance(body.get("records"), list):
                    return self.refuse(400, "invalid-body", "Invalid body", "/records: expected an array")
                self.answer(202)
                return state.later(state.shipping_advice, body)
            if route == "/warehouse-files/846":
                return self.inventory(state, body)
        except (KeyError, TypeError, ValueError) as e:
            return self.refuse(400, "invalid-body", "Invalid body", f"missing or wrong field: {e}")

    def order(self, state, order):
        if not isinstance(order.get("order_id"), int) or not isinstance(order.get("lines"), list) \
                or not isinstance(order.get("channel"), str):
            return self.refuse(400, "invalid-body", "Invalid body", "expected order_id, channel and lines")
        if not state.take_order(order):
            return self.refuse(503, "unavailable", "Unavailable", "the ERP did not take the order; try again")
        self.answer(202, {"accepted": True})
        state.later(state.fulfil, order)

    def event(self, state, ev):
        ok, changed = state.warehouse_record(ev)
        if not ok:
            return self.refuse(503, "unavailable", "Unavailable", "the ERP did not take it; send it again")
        self.answer(202)
        if changed:
            state.later(state.publish, changed)  # after the 202: the figure then reflects this event

    def inventory(self, state, snap):
        on_hand = snap["on_hand"]
        if not isinstance(on_hand, list) or not all(isinstance(u, int) for u in on_hand) or not on_hand:
            return self.refuse(400, "invalid-body", "Invalid body", "/on_hand: expected an array of integers")
        changed = state.set_stock(snap["location"], on_hand)
        self.answer(202)
        if changed:
            state.later(state.publish, changed)

    def not_allowed(self):
        if self.route() is None:
            return self.refuse(404, "no-such-endpoint", "No such endpoint", f"nothing is served at {self.path}")
        self.refuse(405, "method-not-allowed", "Method not allowed", f"{self.command} {self.path}: use POST",
                    [("Allow", "POST")])

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = not_allowed


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, TimeoutError)):
            return  # the estate closed a connection (it gave up waiting); nothing to report
        problem(f"internal error serving {client_address[0]}:{client_address[1]}: {type(e).__name__}: {e}")


def main():
    global ARGS
    p = argparse.ArgumentParser(description="A deliberately naive sync pipeline for estate live.")
    p.add_argument("--port", type=int, default=9000, help="port to listen on (127.0.0.1 only)")
    p.add_argument("--endpoints", required=True, help="the endpoints.env estate writes into its --out folder")
    p.add_argument("--tpl-interval", type=float, default=900.0,
                   help="scenario seconds between 940 files to a 3PL (default 900, a 3PL's default intervals.orders)")
    p.add_argument("--erp-timeout", type=float, default=30.0, help="scenario seconds to wait for the ERP (default 30)")
    p.add_argument("--warehouse-timeout", type=float, default=30.0,
                   help="scenario seconds to wait for a WMS or 3PL (default 30)")
    p.add_argument("--workers", type=int, default=8, help="background threads for acks, releases and feeds")
    ARGS = p.parse_args()
    try:
        server = Server(("127.0.0.1", ARGS.port), Handler)
    except OSError as e:
        problem(f"cannot listen on 127.0.0.1:{ARGS.port}: {e}")
        return 1
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
