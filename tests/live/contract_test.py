#!/usr/bin/python3
"""The wire contract (contract/openapi.yaml) against the code that serves it.

    /usr/bin/python3 tests/live/contract_test.py BUILD/estate SRC_DIR

Runs with Debian's python3 (python3-yaml, python3-jsonschema 4.10). Every body is checked
with jsonschema (Draft 2020-12, $refs resolved in the whole document); nothing here knows a
body's shape but the document.

1. `estate serve` on a tiny scenario (with an admin token), with a stub pipeline of our own
   (http.server on 127.0.0.1) that validates every callback the mocks make against the
   document, also for fields the document does not name. Every operation the estate serves
   is called with valid requests (orders placed by hand through the admin API, their wire
   ids taken from the webhooks), with invalid ones (malformed JSON, unknown orders and ids,
   wrong methods, ...), and under every outage mode; each answer's status must be one the
   document lists for the operation, its body must validate against the schema for that
   status and content type, and documented headers (Retry-After) must be there. Where the
   test knows whether a body is valid, the document's request schema must agree with the
   code. The stub must receive order webhooks (a duplicate storm's too, each with
   Idempotency-Key = its order id), WMS events (shipped, short_pick), a 945 and an 846, all
   valid. Ids follow the document's "Ids": order ids are base + 1, 2, ...; every event id
   received decodes to its location and this run's base; the ids posted to the ERP are the
   events' own or made by that formula from the base of the order ids seen. Also: HEAD
   (the headers of the 405/404 problem, no body), query strings (ignored, also by the admin
   API), /_estatefoo (not the admin API), the admin API's checks of factor, error_rate and
   burst, GET /_estate/state's clock, and the answer timeout (at least 1 s of wall time).
2. `estate live` with the embedded reference pipeline: one valid request per pipeline path,
   and a few invalid ones, checked against the document; then SIGINT (it must exit and
   write its report). Before it, `estate live` and `estate serve` must refuse (exit 2,
   naming the name) scenarios whose location or channel names are not URL-safe.
3. The routes the code serves (listed below, and the route literals found in the sources)
   must all be in the document, and every operation of the document must have been
   answered with a 2xx.

Only 127.0.0.1 is ever contacted. Every process started is stopped (its process group), on
failure too; the whole test is bounded by HARD_TIMEOUT_S. Exit 0 only if everything agreed.
"""
import copy
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

import yaml
from jsonschema import Draft202012Validator, RefResolver

HARD_TIMEOUT_S = 90
HOST = "127.0.0.1"
ADMIN_TOKEN = "contract-test-token"
# The document's "Ids": a run's ids lie in [base + 1, base + 2^37), base a random multiple of
# 2^37 from 2^37 to 65,534 * 2^37; orders are base + 1, 2, ...; event ids are
# base + (location index + 1) * 2^32 + the location's sequence number (from 1).
ID_SPAN = 1 << 37
EVENT_STRIDE = 1 << 32
ID_LIMIT = 1 << 53
URL_SAFE = re.compile(r"^[A-Za-z0-9._~-]+$")
LATE_ANSWER_S = 0.5  # the stub answers one 846 this late: within the estate's answer timeout (at least 1 s)

# The routes the code serves, as (method, path template, side). Estate side: Codec::decode_estate
# (wire/codec.cpp) and the admin API (harness/admin.cpp); pipeline side: Codec::decode_pipeline.
# GET /_estate/ is the same route as GET /_estate (a trailing slash is dropped when matching).
ROUTES_IN_CODE = [
    ("post", "/erp/sales-orders", "estate"),
    ("post", "/erp/shipments", "estate"),
    ("post", "/erp/stock-movements", "estate"),
    ("get", "/erp/inventory/{location}", "estate"),
    ("put", "/erp/inventory/{location}/{sku}", "estate"),
    ("post", "/wms/{location}/releases", "estate"),
    ("get", "/wms/{location}/inventory", "estate"),
    ("post", "/3pl/{location}/shipping-orders", "estate"),
    ("get", "/3pl/{location}/inventory", "estate"),
    ("post", "/channels/{channel}/order-acks", "estate"),
    ("post", "/channels/{channel}/order-cancellations", "estate"),
    ("put", "/channels/{channel}/availability/{sku}", "estate"),
    ("put", "/channels/{channel}/availability", "estate"),
    ("get", "/_estate", "estate"),
    ("get", "/_estate/health", "estate"),
    ("get", "/_estate/state", "estate"),
    ("post", "/_estate/orders", "estate"),
    ("post", "/_estate/outages", "estate"),
    ("post", "/_estate/outages/{system}/end", "estate"),
    ("post", "/_estate/throttle", "estate"),
    ("post", "/_estate/throttle/end", "estate"),
    ("post", "/_estate/duplicates", "estate"),
    ("post", "/_estate/duplicates/{source}/end", "estate"),
    ("post", "/orders", "pipeline"),
    ("post", "/warehouse-events", "pipeline"),
    ("post", "/warehouse-files/945", "pipeline"),
    ("post", "/warehouse-files/846", "pipeline"),
]

SKUS = 20

# The estate for `estate serve`: one WMS (a name with a '-', to check endpoints.env's names),
# one 3PL with short intervals, a channel that checks availability and one that does not (its
# orders can be bigger than any stock: short picks), 20 SKUs of 50 units at each location.
SERVE_SCENARIO = {
    "name": "contract_serve",
    "seed": 3,
    "duration": "1h",
    "catalogue": {"skus": SKUS, "stock": {"min_units": 50}},
    "locations": {
        "wh-1": {"kind": "wms", "latency": "1ms", "pick_time": "1s", "pack_time": "1s"},
        "tpl": {"kind": "3pl", "latency": "1ms", "dock_to_ship": "1m",
                "intervals": {"orders": "1m", "advice": "1m", "inventory": "5m"}},
    },
    "channels": {
        # A generous webhook timeout (1 s of wall time at 600x): the stub validates before it answers.
        "storefront": {"delivery": {"latency": "1ms", "duplicates": 0, "timeout": "10m"}},
        "b2b": {"feed": {"mode": "none"}, "delivery": {"latency": "1ms", "duplicates": 0, "timeout": "10m"}},
    },
    "erp": {"latency": "1ms", "service_time": "10ms"},
}

# The estate for `estate live` with the embedded pipeline: a long run with little demand.
LIVE_SCENARIO = {
    "name": "contract_live",
    "seed": 5,
    # Longer than the test (100 s of wall time at 60x), so it is interrupted, not finished.
    "duration": "100m",
    "catalogue": {"skus": SKUS, "stock": {"min_units": 50}},
    "locations": {
        "wh1": {"kind": "wms", "latency": "1ms"},
        "tpl": {"kind": "3pl", "latency": "1ms"},
        "w.h_~3-": {"kind": "wms", "latency": "1ms"},  # every character a URL-safe name may have
    },
    "channels": {
        "storefront": {"rate": "1/h", "delivery": {"latency": "1ms", "duplicates": 0}},
        "b2b": {"rate": "1/h", "feed": {"mode": "none"}, "delivery": {"latency": "1ms", "duplicates": 0}},
    },
    "erp": {"latency": "1ms"},
}


class Timeout(Exception):
    pass


# ================================================================================ the document

class Contract:
    """The OpenAPI document: operations by method and path, schemas validated with jsonschema."""

    def __init__(self, doc):
        self.doc = doc
        self.strict_doc = strict_copy(doc)
        self.resolver = RefResolver(base_uri="", referrer=doc)
        self.strict_resolver = RefResolver(base_uri="", referrer=self.strict_doc)
        self.templates = []  # (regex, template, side)
        for template, item in doc["paths"].items():
            side = "pipeline" if "servers" in item else "estate"
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "$"
            self.templates.append((re.compile(rx), template, side))
        # Concrete paths before templated ones (OpenAPI's matching rule).
        self.templates.sort(key=lambda t: t[1].count("{"))

    def deref(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            assert ref.startswith("#/"), ref
            obj = self.doc
            for part in ref[2:].split("/"):
                obj = obj[part.replace("~1", "/").replace("~0", "~")]
        return obj

    def match(self, side, path):
        """The path template a concrete path falls under (or None)."""
        path = urllib.parse.urlsplit(path).path
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        for rx, template, s in self.templates:
            if s == side and rx.match(path):
                return template
        return None

    def operation(self, template, method):
        item = self.doc["paths"][template]
        return item.get(method.lower())

    def operations(self):
        for template, item in self.doc["paths"].items():
            side = "pipeline" if "servers" in item else "estate"
            for method in ("get", "put", "post", "delete", "patch"):
                if method in item:
                    yield side, method, template, item[method]

    def response(self, op, status):
        """The response object the document gives for a status: the code, its range, default."""
        responses = op["responses"]
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in responses:
                return key, self.deref(responses[key])
        return None, None

    def parameters(self, template, op):
        params = [self.deref(p) for p in self.doc["paths"][template].get("parameters", [])]
        params += [self.deref(p) for p in op.get("parameters", [])]
        return params

    def errors(self, schema, instance, strict=False):
        resolver = self.strict_resolver if strict else self.resolver
        if strict:
            schema = strict_copy(schema)
        v = Draft202012Validator(schema, resolver=resolver)
        found = sorted(v.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
        if strict:  # the fields the document does not name, also inside the oneOf branch that fits
            found = [x for e in found for x in extra_fields(e)]
        return ["%s: %s" % ("/" + "/".join(str(p) for p in e.absolute_path), e.message[:300]) for e in found]


def extra_fields(error):
    """The additionalProperties errors under an error; of a oneOf/anyOf, only those of the
    branches that fail on nothing else (the branch the body is meant for)."""
    if error.validator == "additionalProperties":
        yield error
        return
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        for subs in branches.values():
            extra = [x for sub in subs for x in extra_fields(sub)]
            if len(extra) == len(list(leaves(subs))):
                yield from extra
        return
    for sub in error.context or ():
        yield from extra_fields(sub)


def leaves(errors):
    for e in errors:
        if e.context and e.validator in ("oneOf", "anyOf", "allOf"):
            yield from leaves(e.context)
        else:
            yield e


def strict_copy(node):
    """A copy in which every object schema with properties forbids others: the document must
    name every field the estate sends (request schemas stay open, since the codec ignores
    unknown fields; this view is only used on what the estate itself sends)."""
    node = copy.deepcopy(node)

    def walk(n):
        if isinstance(n, dict):
            if n.get("type") == "object" and "properties" in n and "additionalProperties" not in n:
                n["additionalProperties"] = False
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)
    walk(node)
    return node


# ================================================================================== reporting

class Failures:
    def __init__(self):
        self.items = []
        self.lock = threading.Lock()

    def add(self, label, message):
        with self.lock:
            self.items.append((label, message))
        print(f"FAIL [{label}] {message}", flush=True)


FAILS = Failures()


# ================================================================================== HTTP calls

class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def checked_url(url):
    parts = urllib.parse.urlsplit(url)
    if parts.hostname != HOST:
        raise RuntimeError(f"refusing to contact {url}: only {HOST} is allowed")
    return parts


def http_call(base_url, method, path, body=None, headers=None, timeout=5.0):
    """One request on a fresh connection; None when no answer came within the timeout."""
    parts = checked_url(base_url)
    conn = http.client.HTTPConnection(HOST, parts.port, timeout=timeout)
    try:
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn.request(method.upper(), parts.path.rstrip("/") + path if path else parts.path, body=data, headers=h)
        r = conn.getresponse()
        return Answer(r.status, r.getheaders(), r.read())
    except (socket.timeout, TimeoutError):
        return None
    finally:
        conn.close()


def raw_call(base_url, raw, timeout=5.0):
    """Sends raw bytes and parses the answer (for requests http.client cannot make)."""
    parts = checked_url(base_url)
    with socket.create_connection((HOST, parts.port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, rest = data.partition(b"\r\n\r\n")
                if sep:
                    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                    if m and len(rest) >= int(m.group(1)):
                        break
        except (socket.timeout, ConnectionResetError):
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1.1 "):
        return None
    status = int(lines[0].split()[1])
    headers = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:] if ":" in l]
    m = re.search(r"(?i)content-length:\s*(\d+)", head.decode("latin-1"))
    return Answer(status, headers, body[:int(m.group(1))] if m else body)


# ====================================================================== checking an exchange

class Checker:
    def __init__(self, contract):
        self.c = contract
        self.covered = {}  # (side, method, template) -> set of statuses seen
        self.bases = {}    # side -> base URL (the document's paths are relative to it)

    def check_response(self, label, op_desc, resp_obj, answer):
        """The answer against one documented response: headers, content type, body schema."""
        c = self.c
        for name, h in (resp_obj.get("headers") or {}).items():
            h = c.deref(h)
            value = answer.headers.get(name.lower())
            if value is None:
                if h.get("required"):
                    FAILS.add(label, f"{op_desc}: the documented header {name} is missing")
                continue
            schema = h.get("schema", {})
            inst = value
            if schema.get("type") == "integer":
                try:
                    inst = int(value)
                except ValueError:
                    FAILS.add(label, f"{op_desc}: header {name}: {value!r} is not an integer")
                    continue
            for e in c.errors(schema, inst):
                FAILS.add(label, f"{op_desc}: header {name}={value!r}: {e}")
        content = resp_obj.get("content")
        if not answer.body:
            if content:
                FAILS.add(label, f"{op_desc}: no body, but the document gives one ({', '.join(content)})")
            return
        if not content:
            FAILS.add(label, f"{op_desc}: a body the document does not describe: {answer.body[:200]!r}")
            return
        ctype = answer.headers.get("content-type", "").split(";")[0].strip()
        if ctype not in content:
            FAILS.add(label, f"{op_desc}: Content-Type {ctype!r}, the document has {list(content)}")
            return
        try:
            body = answer.json()
        except ValueError:
            FAILS.add(label, f"{op_desc}: the body is not JSON: {answer.body[:200]!r}")
            return
        errs = c.errors(content[ctype].get("schema", {}), body)
        if errs:
            more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
            FAILS.add(label, f"{op_desc}: body {answer.body[:300].decode(errors='replace')}: {errs[0]}{more}")

    def exchange(self, label, side, base_url, method, path, body=None, headers=None, expect=None,
                 doc_valid=None, timeout=5.0):
        """Sends a request and checks the answer against the document.

        expect: the statuses this test expects (None: any the document allows; () : no
        answer at all, a blackhole). doc_valid: whether the document's request schema should
        accept the body (None: not asked, e.g. when only the scenario's catalogue makes it
        invalid)."""
        c = self.c
        full = urllib.parse.urlsplit(base_url).path.rstrip("/") + path
        rel = full[len(urllib.parse.urlsplit(self.bases[side]).path.rstrip("/")):] or "/"
        template = c.match(side, rel)
        op = c.operation(template, method) if template else None
        op_desc = f"{method.upper()} {rel}" + (f" ({method.upper()} {template})" if template and template != rel else "")
        if op is not None and doc_valid is not None and isinstance(body, (dict, list)):
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                FAILS.add(label, f"{op_desc}: the document has no JSON request body")
            else:
                errs = c.errors(schema, body)
                if doc_valid and errs:
                    FAILS.add(label, f"{op_desc}: the document refuses a body the code takes: {errs[0]}")
                if not doc_valid and not errs:
                    FAILS.add(label, f"{op_desc}: the document allows a body the code refuses: {json.dumps(body)[:200]}")
        answer = http_call(base_url, method, path, body=body, headers=headers, timeout=timeout)
        if expect == ():
            if answer is not None:
                FAILS.add(label, f"{op_desc}: expected no answer (blackhole), got {answer.status} {answer.body[:200]!r}")
            return None
        if answer is None:
            FAILS.add(label, f"{op_desc}: no answer within {timeout}s")
            return None
        if expect is not None and answer.status not in expect:
            FAILS.add(label, f"{op_desc}: expected {sorted(expect)}, got {answer.status} {answer.body[:300]!r}")
        self.check_answer(label, side, method, rel, template, op, answer, op_desc)
        return answer

    def check_answer(self, label, side, method, rel, template, op, answer, op_desc):
        c = self.c
        path = urllib.parse.urlsplit(rel).path
        admin = side == "estate" and (path == "/_estate" or path.startswith("/_estate/"))  # whole segments
        if op is None:
            # Not an operation of the document: 404 (no such path), 405 (no such method), or
            # the admin API's 404 for both.
            if admin:
                want, name = {404}, "AdminNotFound"
            elif template is None:
                want, name = {404}, "NotFound"
            else:
                want, name = {405}, "MethodNotAllowed"
            if answer.status in (413, 431, 400):
                name = {413: "ContentTooLarge", 431: "HeaderTooLarge", 400: "AdminBadRequest" if admin else "BadRequest"}[answer.status]
            elif answer.status not in want:
                FAILS.add(label, f"{op_desc}: not in the document, so {sorted(want)} ({name}) was due; got {answer.status}")
                return
            self.check_response(label, op_desc, c.deref(c.doc["components"]["responses"][name]), answer)
            return
        key, resp_obj = c.response(op, answer.status)
        self.covered.setdefault((side, method.lower(), template), set()).add(answer.status)
        if resp_obj is None:
            FAILS.add(label, f"{op_desc}: status {answer.status} is not in the document ({', '.join(op['responses'])}): {answer.body[:200]!r}")
            return
        self.check_response(label, f"{op_desc} -> {answer.status}", resp_obj, answer)

    def head(self, label, side, base_url, path, headers=None):
        """HEAD is answered as GET would be (RFC 9110 9.3.2): the same status and headers
        (Content-Type, Content-Length, Allow on a 405), and no body."""
        rel_base = urllib.parse.urlsplit(self.bases[side]).path.rstrip("/")
        full = urllib.parse.urlsplit(base_url).path.rstrip("/") + path
        rel = full[len(rel_base):] or "/"
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        raw = f"HEAD {full} HTTP/1.1\r\nHost: {HOST}\r\n{extra}Connection: close\r\n\r\n".encode()
        a = raw_call(base_url, raw, timeout=3)
        desc = f"HEAD {rel}"
        if a is None:
            FAILS.add(label, f"{desc}: no answer")
            return
        if a.body:
            FAILS.add(label, f"{desc}: a body came with the answer to a HEAD: {a.body[:200]!r}")
        other = http_call(base_url, "get", path, headers=headers)  # what GET answers, with its body
        if other is None:
            FAILS.add(label, f"{desc}: GET of the same path did not answer")
            return
        want = other.status
        if a.status != want:
            FAILS.add(label, f"{desc}: expected {want}, as GET answers, got {a.status}")
            return
        for h in ("content-type", "allow"):
            if a.headers.get(h) != other.headers.get(h):
                FAILS.add(label, f"{desc}: {h} {a.headers.get(h)!r}, GET's is {other.headers.get(h)!r}")
        # (The admin API's state says the time, so its length may differ by a digit.)
        if want != 204 and not path.endswith("/state") and a.headers.get("content-length") != str(len(other.body)):
            FAILS.add(label, f"{desc}: Content-Length {a.headers.get('content-length')}, GET's body has {len(other.body)} bytes")
        # On a kept-alive connection the next answer must follow the HEAD's headers directly.
        parts = checked_url(base_url)
        conn = http.client.HTTPConnection(HOST, parts.port, timeout=3)
        try:
            conn.request("HEAD", full, headers=headers or {})
            r1 = conn.getresponse()
            r1.read()
            conn.request("GET", full, headers=headers or {})
            r2 = conn.getresponse()
            r2.read()
            if r1.status != want or r2.status != want:
                FAILS.add(label, f"{desc}, then GET on the same connection: {r1.status}, {r2.status}")
        except (OSError, http.client.HTTPException) as e:
            FAILS.add(label, f"{desc}, then GET on the same connection: {type(e).__name__}: {e}")
        finally:
            conn.close()


# ================================================================================ stub pipeline

class Stub:
    """A pipeline of our own: validates every callback against the document, answers 202."""

    def __init__(self, contract):
        self.c = contract
        self.received = []  # (path, headers, body or None, errors)
        self.lock = threading.Lock()
        self.delay_first = {}  # path -> wall seconds to wait before answering its first request
        self.delayed = {}      # path -> the raw body that was answered late
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                with stub.lock:
                    delay = stub.delay_first.pop(self.path, 0)
                    if delay:
                        stub.delayed[self.path] = raw
                time.sleep(delay)  # within the estate's answer timeout (at least 1 s of wall time)
                # Answer first (the estate gives up after its answer timeout: 1 s of wall
                # time at 600x), then check what came.
                known = stub.c.match("pipeline", self.path) is not None
                self.send_response(202 if known else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                errs = stub.validate(self.command, self.path, self.headers, raw)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                with stub.lock:
                    stub.received.append((self.path, dict(self.headers), body, errs))

            do_POST = do_PUT = do_GET = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def validate(self, method, path, headers, raw):
        c = self.c
        template = c.match("pipeline", path)
        op = c.operation(template, method) if template else None
        desc = f"{method} {path}"
        if op is None:
            return ["404", f"{desc}: the estate called a path or method the document does not give the pipeline"]
        errs = []
        for p in c.parameters(template, op):
            if p["in"] != "header":
                continue
            value = headers.get(p["name"])
            if value is None:
                if p.get("required"):
                    errs.append(f"{desc}: the required header {p['name']} is missing")
                continue
            errs += [f"{desc}: header {p['name']}={value!r}: {e}" for e in c.errors(p.get("schema", {}), value)]
        content = op.get("requestBody", {}).get("content", {})
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype not in content:
            return errs + [f"{desc}: Content-Type {ctype!r}, the document has {list(content)}"]
        try:
            body = json.loads(raw)
        except ValueError:
            return errs + [f"{desc}: the body is not JSON: {raw[:200]!r}"]
        schema = content[ctype]["schema"]
        shown = raw[:300].decode(errors="replace")
        errs += [f"{desc}: {shown}: {e}" for e in c.errors(schema, body)]
        errs += [f"{desc}: {shown}: a field the document does not name: {e}" for e in c.errors(schema, body, strict=True)]
        return errs

    def snapshot(self):
        with self.lock:
            return list(self.received)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ===================================================================================== helpers

def _die_with_parent():
    # In the child: SIGTERM when this test dies, however it dies (estate ends a run on SIGTERM).
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def start(cmd, log_path):
    log = open(log_path, "wb")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=_die_with_parent)


def stop(proc, sig=signal.SIGKILL):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def read_endpoints(path, proc, log_path, wait_s=15):
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if os.path.exists(path):
            text = open(path).read()
            if "ESTATE_TIME_SCALE=" in text:
                return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)
        if proc.poll() is not None:
            raise RuntimeError(f"estate exited ({proc.returncode}) before writing {path}:\n" + tail(log_path))
        time.sleep(0.05)
    raise RuntimeError(f"no {path} after {wait_s}s:\n" + tail(log_path))


def tail(path, n=30):
    try:
        return "\n".join(open(path, errors="replace").read().splitlines()[-n:])
    except OSError:
        return "(no log)"


def wait_for(predicate, timeout_s, step=0.05):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def lines_of(order_lines):
    return [{"line": i, "sku": l["sku"], "qty": l["qty"]} for i, l in enumerate(order_lines)]


# ======================================================================== ids (the document's "Ids")

def id_base_of(order_id):
    """The run's id base, from one of its order ids (orders are base + n, 1 <= n < 2^32)."""
    return order_id - order_id % ID_SPAN


def check_base(label, base, order_id):
    if not (ID_SPAN <= base <= ID_LIMIT - 2 * ID_SPAN and base % ID_SPAN == 0):
        FAILS.add(label, f"order id {order_id}: its base {base} is not a multiple of 2^37 from 2^37 to 65534 * 2^37")
    if not 1 <= order_id - base < EVENT_STRIDE:
        FAILS.add(label, f"order id {order_id} is not base + n with 1 <= n < 2^32 (base {base})")


def event_id(base, location_index, sequence):
    return base + (location_index + 1) * EVENT_STRIDE + sequence


def check_event_id(label, base, locations, body):
    """A received event's event_id against the formula: this run's base, the index of the
    location in the body, a sequence number from 1."""
    eid = body.get("event_id")
    if eid is None:
        return
    c = eid - base
    where = locations.index(body.get("location")) if body.get("location") in locations else None
    if not (0 < c < ID_SPAN) or c // EVENT_STRIDE != (where if where is not None else -2) + 1 or c % EVENT_STRIDE == 0:
        FAILS.add(label, f"event_id {eid} of a {body.get('type')} at {body.get('location')} is not base + "
                         f"(location index {where} + 1) * 2^32 + sequence (from 1) with this run's base {base}")


# ================================================================ part 1: estate serve + stub

def serve_part(contract, estate, tmp):
    ck = Checker(contract)
    stub = Stub(contract)
    # The first 846 is answered 0.5 s late: within the answer timeout (at least 1 s of wall
    # time), so it must not be sent again.
    stub.delay_first["/warehouse-files/846"] = LATE_ANSWER_S
    proc = None
    log_path = os.path.join(tmp, "serve.log")
    try:
        scenario = os.path.join(tmp, "serve.json")
        json.dump(SERVE_SCENARIO, open(scenario, "w"))
        out = os.path.join(tmp, "serve_out")
        proc = start([estate, "serve", scenario, "--pipeline", f"http://{HOST}:{stub.port}", "--time-scale", "600",
                      "--out", out, "--for", f"{HARD_TIMEOUT_S + 30}s", "--admin-token", ADMIN_TOKEN], log_path)  # ends by itself, should we be killed
        env = read_endpoints(os.path.join(out, "endpoints.env"), proc, log_path)

        # endpoints.env as the document's info.description has it.
        base = env.get("ESTATE_ADMIN_URL", "")[: -len("/_estate")]
        checked_url(base)
        want = {"ESTATE_ERP_URL": base + "/erp", "ESTATE_WMS_WH_1_URL": base + "/wms/wh-1",
                "ESTATE_3PL_TPL_URL": base + "/3pl/tpl", "ESTATE_CHANNEL_STOREFRONT_URL": base + "/channels/storefront",
                "ESTATE_CHANNEL_B2B_URL": base + "/channels/b2b", "ESTATE_PIPELINE_URL": f"http://{HOST}:{stub.port}",
                "ESTATE_ADMIN_URL": base + "/_estate", "ESTATE_ADMIN_TOKEN": ADMIN_TOKEN, "ESTATE_TIME_SCALE": "600"}
        for k, v in want.items():
            if env.get(k) != v:
                FAILS.add("endpoints.env", f"{k}: expected {v!r}, got {env.get(k)!r}")
        for k in env:
            if k not in want:
                FAILS.add("endpoints.env", f"{k} is not described in info.description")
        ck.bases = {"estate": base}
        erp, wms, tpl, admin = env["ESTATE_ERP_URL"], env["ESTATE_WMS_WH_1_URL"], env["ESTATE_3PL_TPL_URL"], env["ESTATE_ADMIN_URL"]
        shop, b2b = env["ESTATE_CHANNEL_STOREFRONT_URL"], env["ESTATE_CHANNEL_B2B_URL"]

        def E(label, url, method, path, body=None, auth=True, **kw):
            if url == admin and auth:  # the admin API wants the token (serve runs with --admin-token)
                kw["headers"] = dict(kw.get("headers") or {}, Authorization=f"Bearer {ADMIN_TOKEN}")
            return ck.exchange(label, "estate", url, method, path, body=body, **kw)

        # ------------------------------------------------------------------- admin, orders
        for p in ("", "/", "/health", "/state", "/health?x=1", "?x=1", "/state?verbose=1&x"):
            E("admin", admin, "get", p, expect={200})
        E("admin", admin, "get", "/state", auth=False, expect={401})
        E("admin", admin, "get", "/state?x=1", auth=False, expect={401})
        E("admin", admin, "post", "/outages", {"system": "erp", "mode": "down"}, auth=False, expect={401}, doc_valid=True)
        E("admin", admin, "get", "/health", auth=False, headers={"Authorization": "Bearer wrong"}, expect={401})
        # Not the admin API (whole segments): unknown paths of the mocks, with or without the token.
        E("admin", base, "get", "/_estatefoo", expect={404})
        E("admin", base, "get", "/_estate-x/health", expect={404})
        E("admin", base, "post", "/_estatefoo/outages", {"system": "erp", "mode": "down"}, expect={404})
        E("admin", base, "get", "/_estatefoo", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, expect={404})

        # GET /_estate/state's time_s is the live clock's scenario time (K = 600 here).
        def clock_read():
            t0 = time.monotonic()
            a = E("admin: clock", admin, "get", "/state", expect={200})
            return t0, time.monotonic(), (a.json().get("time_s") if a is not None and a.status == 200 else None)
        t0, t1, s1 = clock_read()
        time.sleep(0.3)
        t2, t3, s2 = clock_read()
        if s1 is None or s2 is None:
            FAILS.add("admin: clock", "GET /_estate/state gave no time_s")
        else:
            lo, hi = (t2 - t1) * 600 - 0.01, (t3 - t0) * 600 + 0.01
            if not (s1 > 0 and lo <= s2 - s1 <= hi):
                FAILS.add("admin: clock", f"time_s went from {s1} to {s2} in {t2 - t1:.3f} to {t3 - t0:.3f} wall s; at K = 600 "
                                          f"the live clock moves {lo:.1f} to {hi:.1f} scenario s (and is past 0)")
        placed = {}
        admin_ids = []  # admin answers whose order_id is not the wire id

        def webhook_for(channel, lines):
            """The order webhook the stub got for an order (each order here has its own SKUs)."""
            want = lines_of(lines)
            for path, headers, body, errs in stub.snapshot():
                if path == "/orders" and isinstance(body, dict) and body.get("channel") == channel and body.get("lines") == want:
                    return body
            return None

        def place(name, channel, lines):
            """Places an order by hand; its wire id is the order_id of the webhook the stub gets."""
            a = E("admin", admin, "post", "/orders", {"channel": channel, "lines": lines}, expect={201}, doc_valid=True)
            if a is None or a.status != 201:
                raise RuntimeError(f"could not place order {name}")
            if not wait_for(lambda: webhook_for(channel, lines) is not None, 10):
                raise RuntimeError(f"the stub pipeline got no webhook for order {name} ({channel}, {lines}) within 10s")
            wire = webhook_for(channel, lines)["order_id"]
            if a.json().get("order_id") != wire:
                admin_ids.append(f"{a.json().get('order_id')} for {wire}")
            placed[name] = (wire, channel, lines)
            return wire

        o1 = place("O1", "storefront", [{"sku": 1, "qty": 1}, {"sku": 2, "qty": 2}])  # ERP, WMS release, ships
        o2 = place("O2", "storefront", [{"sku": 3, "qty": 1}])                        # 940 to the 3PL
        o3 = place("O3", "b2b", [{"sku": 4, "qty": 1000000}])                         # short pick at the WMS
        o4 = None
        # The document's "Ids": serve has no demand, so the orders placed here are base + 1, 2, 3.
        id_base = id_base_of(o1)
        check_base("ids", id_base, o1)
        if [o1, o2, o3] != [id_base + 1, id_base + 2, id_base + 3]:
            FAILS.add("ids", f"the first orders of the run are {o1}, {o2}, {o3}, not base + 1, 2, 3 (base {id_base})")
        locations = list(SERVE_SCENARIO["locations"])  # location index: the order of the scenario's `locations`
        fresh = {name: iter(range(900000, 901000)) for name in locations}

        def new_event_id(location):
            """An event id of this run for the location, by the document's formula, that the
            location has not issued (its own are numbered from 1)."""
            return event_id(id_base, locations.index(location), next(fresh[location]))
        E("admin", admin, "post", "/orders", {"channel": "storefront", "lines": [{"sku": 4, "qty": 1000000}]},
          expect={409}, doc_valid=True)
        E("admin", admin, "post", "/orders", {"channel": "nowhere", "lines": [{"sku": 1, "qty": 1}]}, expect={422}, doc_valid=True)
        E("admin", admin, "post", "/orders", {"channel": "storefront", "lines": [{"sku": 1, "qty": 1}, {"sku": 1, "qty": 2}]},
          expect={422})
        E("admin", admin, "post", "/orders", {"channel": "storefront", "lines": []}, expect={422}, doc_valid=False)
        E("admin", admin, "post", "/orders", b"[1, 2]", expect={400})
        E("admin", admin, "post", "/orders", b"{not json", expect={400})
        E("admin", admin, "get", "/orders", expect={404})
        E("admin", admin, "post", "/nothing", {}, expect={404})
        E("admin", admin, "get", "/outages", expect={404})

        l1 = lines_of(placed["O1"][2])
        l2 = lines_of(placed["O2"][2])
        l3 = lines_of(placed["O3"][2])

        # ----------------------------------------------------- the flow: ERP, WMS, events back
        k = {"Idempotency-Key": f"so-{o1}"}
        E("erp", erp, "post", "/sales-orders", {"order_id": o1, "channel": "storefront", "lines": l1}, headers=k, expect={201}, doc_valid=True)
        E("erp", erp, "post", "/sales-orders", {"order_id": o1, "channel": "storefront", "lines": l1}, headers=k, expect={200}, doc_valid=True)
        E("erp", erp, "post", "/sales-orders", {"order_id": o3, "lines": l3, "extra": "ignored"}, expect={201}, doc_valid=True)
        E("wms", wms, "post", "/releases", {"order_id": o1, "lines": l1}, headers={"Idempotency-Key": f"rel-{o1}"}, expect={202}, doc_valid=True)
        E("wms", wms, "post", "/releases", {"order_id": o1, "lines": l1}, headers={"Idempotency-Key": f"rel-{o1}"}, expect={200}, doc_valid=True)
        E("wms", wms, "post", "/releases", {"order_id": o3, "lines": l3}, headers={"Idempotency-Key": f"rel-{o3}"}, expect={202}, doc_valid=True)

        def event(kind, order):
            for path, headers, body, errs in stub.snapshot():
                if path == "/warehouse-events" and isinstance(body, dict) and body.get("type") == kind and body.get("order_id") == order:
                    return body
            return None
        if not wait_for(lambda: event("shipped", o1) is not None, 10):
            raise RuntimeError(f"no shipped event for order {o1} from wh-1 within 10s")
        shipped = event("shipped", o1)
        check_event_id("ids", id_base, locations, shipped)
        # As the document says: the event's id is the shipment's id, its at_us the shipment's time.
        E("erp", erp, "post", "/shipments", {"shipment_id": shipped["event_id"], "order_id": o1, "location": shipped["location"],
                                              "lines": shipped["lines"], "shipped_at_us": shipped["at_us"]},
          headers={"Idempotency-Key": f"sh-{shipped['event_id']}"}, expect={201}, doc_valid=True)
        E("erp", erp, "post", "/shipments", {"shipment_id": shipped["event_id"], "order_id": o1, "location": shipped["location"],
                                              "lines": shipped["lines"], "shipped_at_us": shipped["at_us"]},
          headers={"Idempotency-Key": f"sh-{shipped['event_id']}"}, expect={200}, doc_valid=True)
        mv = new_event_id("wh-1")
        E("erp", erp, "post", "/stock-movements", {"movement_id": mv, "location": "wh-1", "sku": 6, "delta": 3, "at_us": 6},
          headers={"Idempotency-Key": f"mv-{mv}"}, expect={201}, doc_valid=True)
        E("erp", erp, "post", "/stock-movements", {"movement_id": mv, "location": "wh-1", "sku": 6, "delta": 3, "at_us": 6},
          headers={"Idempotency-Key": f"mv-{mv}"}, expect={200}, doc_valid=True)
        E("erp", erp, "post", "/stock-movements", {"movement_id": new_event_id("tpl"), "location": "tpl", "sku": 6, "delta": -1},
          expect={201}, doc_valid=True)
        # The ERP takes every id in [base + 2^32, base + 2^37) (it checks the range only), and
        # refuses every other: the orders' range, other runs' ids, ids past 2^53.
        for mid, want in ((id_base + EVENT_STRIDE, 201), (id_base + ID_SPAN - 1, 201), (event_id(id_base, 16, 1), 201),
                          (id_base + EVENT_STRIDE - 1, 422), (id_base + 5, 422), (o1, 422), (id_base + ID_SPAN, 422),
                          (id_base - 7, 422), (event_id(id_base + ID_SPAN, 0, 1), 422), (event_id(id_base - ID_SPAN, 0, 1), 422)):
            E("erp: id range", erp, "post", "/stock-movements", {"movement_id": mid, "location": "wh-1", "sku": 9, "delta": 0},
              expect={want}, doc_valid=True)
        E("erp: id range", erp, "post", "/stock-movements", {"movement_id": ID_LIMIT + id_base + EVENT_STRIDE + 1, "location": "wh-1",
                                                             "sku": 9, "delta": 0}, expect={422}, doc_valid=False)
        inv = E("erp", erp, "get", "/inventory/wh-1", expect={200})
        applied = inv.json()["movements_applied"][7] if inv is not None and inv.status == 200 else 0
        E("erp", erp, "put", "/inventory/wh-1/7", {"on_hand": 48, "movements_applied": applied}, expect={200}, doc_valid=True)
        E("erp", erp, "put", "/inventory/wh-1/7", {"on_hand": 48, "movements_applied": applied + 5}, expect={409}, doc_valid=True)
        E("erp", erp, "get", "/inventory/tpl", expect={200})
        # The document must say so: the ERP's count takes the key as the WMS's count does (ignored).
        key_param = [contract.deref(x) for x in contract.operation("/erp/inventory/{location}", "get").get("parameters", [])
                     if contract.deref(x).get("name") == "Idempotency-Key"]
        wms_param = [contract.deref(x) for x in contract.operation("/wms/{location}/inventory", "get").get("parameters", [])
                     if contract.deref(x).get("name") == "Idempotency-Key"]
        if key_param != wms_param:
            FAILS.add("erp: GET with a key", f"the document's Idempotency-Key of GET /erp/inventory/{{location}} ({key_param}) is "
                                             f"not the ignored one of the counts ({wms_param}); the code ignores it")
        # GET /erp/inventory ignores Idempotency-Key: a key a write used before does not make it
        # a replay (its 200 body must be the counts, which the schema checks), and a key it
        # carried is not remembered for a later write.
        def counts(a):
            return a is not None and a.status == 200 and "on_hand" in a.json()
        mv = new_event_id("wh-1")
        E("erp: GET with a key", erp, "post", "/stock-movements", {"movement_id": mv, "location": "wh-1", "sku": 10, "delta": 1},
          headers={"Idempotency-Key": f"key-{mv}"}, expect={201}, doc_valid=True)
        if not counts(E("erp: GET with a key", erp, "get", "/inventory/wh-1", headers={"Idempotency-Key": f"key-{mv}"}, expect={200})):
            FAILS.add("erp: GET with a key", "GET /erp/inventory/wh-1 with the key of an earlier write did not answer the counts")
        for _ in range(2):
            if not counts(E("erp: GET with a key", erp, "get", "/inventory/wh-1", headers={"Idempotency-Key": "count-1"}, expect={200})):
                FAILS.add("erp: GET with a key", "GET /erp/inventory/wh-1 with a key did not answer the counts")
        mv = new_event_id("wh-1")
        E("erp: GET with a key", erp, "post", "/stock-movements", {"movement_id": mv, "location": "wh-1", "sku": 10, "delta": -1},
          headers={"Idempotency-Key": "count-1"}, expect={201}, doc_valid=True)  # 200 would be a replay of the GET's key
        # invalid
        E("erp", erp, "post", "/sales-orders", b"{nope", expect={400})
        E("erp", erp, "post", "/sales-orders", {"order_id": o1, "lines": [{"line": 0, "sku": 1, "qty": "1"}]}, expect={400}, doc_valid=False)
        E("erp", erp, "post", "/sales-orders", {"order_id": o1}, expect={400}, doc_valid=False)
        E("erp", erp, "post", "/sales-orders", {"order_id": 0, "lines": l1}, expect={400}, doc_valid=False)
        E("erp", erp, "post", "/sales-orders", {"order_id": o1, "lines": []}, expect={400}, doc_valid=False)
        E("erp", erp, "post", "/sales-orders", {"order_id": 999999, "lines": l1}, expect={422}, doc_valid=True)
        E("erp", erp, "post", "/sales-orders", {"order_id": o1, "lines": [{"line": 0, "sku": 1, "qty": 5}]}, expect={422}, doc_valid=True)
        E("erp", erp, "post", "/sales-orders", {"order_id": o1, "lines": [{"line": 7, "sku": 1, "qty": 1}]}, expect={422}, doc_valid=True)
        E("erp", erp, "post", "/shipments", {"shipment_id": new_event_id("wh-1"), "order_id": o1, "location": "nowhere", "lines": l1},
          expect={422}, doc_valid=True)
        E("erp", erp, "post", "/shipments", {"shipment_id": id_base - 7, "order_id": o1, "location": "wh-1", "lines": l1},
          expect={422}, doc_valid=True)  # an id of no event of this run
        E("erp", erp, "post", "/shipments", {"shipment_id": o1, "order_id": o1, "location": "wh-1", "lines": l1},
          expect={422}, doc_valid=True)  # an order id is not an event id
        E("erp", erp, "post", "/stock-movements", {"movement_id": new_event_id("wh-1"), "location": "wh-1", "sku": 6, "delta": 2000000000},
          expect={400}, doc_valid=False)
        E("erp", erp, "post", "/stock-movements", {"movement_id": new_event_id("wh-1"), "location": "wh-1", "sku": SKUS + 5, "delta": 1},
          expect={400})
        E("erp", erp, "post", "/stock-movements", {"movement_id": id_base - 7, "location": "wh-1", "sku": 1, "delta": 1},
          expect={422}, doc_valid=True)
        E("erp", erp, "get", "/sales-orders", expect={405})
        E("erp", erp, "delete", "/shipments", expect={405})
        E("erp", erp, "post", "/inventory/wh-1", {}, expect={405})
        E("erp", erp, "get", "/inventory/nowhere", expect={422})
        E("erp", erp, "put", "/inventory/wh-1/99", {"on_hand": 1, "movements_applied": 0}, expect={422}, doc_valid=True)
        E("erp", erp, "put", "/inventory/wh-1/x", {"on_hand": 1, "movements_applied": 0}, expect={422})
        E("erp", erp, "put", "/inventory/wh-1/3", {"on_hand": 1}, expect={400}, doc_valid=False)
        E("erp", erp, "get", "/nothing", expect={404})

        # ---------------------------------------------------------------------------- WMS
        E("wms", wms, "get", "/inventory", headers={"Idempotency-Key": "ignored"}, expect={200})
        E("wms", wms, "post", "/releases", b"", expect={400})
        E("wms", wms, "post", "/releases", {"order_id": 999999, "lines": l1}, expect={422}, doc_valid=True)
        E("wms", wms, "post", "/releases", {"order_id": o1, "lines": [{"line": 1, "sku": 9, "qty": 2}]}, expect={422}, doc_valid=True)
        E("wms", wms, "get", "/releases", expect={405})
        E("wms", wms, "put", "/inventory", {}, expect={405})
        E("wms", base, "get", "/wms/tpl/inventory", expect={404})
        E("wms", base, "post", "/wms/nowhere/releases", {"order_id": o1, "lines": l1}, expect={404}, doc_valid=True)
        E("wms", wms, "post", "/shipping-orders", {"orders": []}, expect={404})

        # ---------------------------------------------------------------------------- 3PL
        order940 = {"order_id": o2, "lines": l2, "idempotency_key": f"940-{o2}"}
        E("3pl", tpl, "post", "/shipping-orders", {"orders": [order940]}, expect={202}, doc_valid=True)
        E("3pl", tpl, "post", "/shipping-orders", {"orders": [order940]}, headers={"Idempotency-Key": "ignored"}, expect={202}, doc_valid=True)
        E("3pl", tpl, "post", "/shipping-orders", {"orders": []}, expect={202}, doc_valid=True)
        E("3pl", tpl, "get", "/inventory", expect={200})
        E("3pl", tpl, "post", "/shipping-orders", {"orders": {}}, expect={400}, doc_valid=False)
        E("3pl", tpl, "post", "/shipping-orders", b"not json", expect={400})
        E("3pl", tpl, "post", "/shipping-orders", {"orders": [{"order_id": 999999, "lines": l2}]}, expect={422}, doc_valid=True)
        E("3pl", tpl, "get", "/shipping-orders", expect={405})
        E("3pl", base, "get", "/3pl/wh-1/inventory", expect={404})
        E("3pl", tpl, "post", "/releases", {"order_id": o2, "lines": l2}, expect={404})

        # ----------------------------------------------------------------------- channels
        E("channels", shop, "post", "/order-acks", {"order_id": o1, "accepted_lines": [0, 1]}, expect={204}, doc_valid=True)
        E("channels", b2b, "post", "/order-acks", {"order_id": o3, "accepted_lines": [0]}, expect={204}, doc_valid=True)
        E("channels", shop, "post", "/order-acks", {"order_id": o2, "accepted_lines": []}, expect={204}, doc_valid=True)
        E("channels", shop, "post", "/order-cancellations", {"order_id": o1, "lines": [1]}, expect={204}, doc_valid=True)
        E("channels", shop, "put", "/availability/3", {"available": 7, "sequence": 5, "version": 2}, expect={204}, doc_valid=True)
        E("channels", b2b, "put", "/availability/3", {"available": 7}, expect={204}, doc_valid=True)
        E("channels", shop, "put", "/availability", {"available": list(range(SKUS)), "sequence": 6, "version": 3}, expect={204}, doc_valid=True)
        E("channels", b2b, "put", "/availability", {"available": [5] * SKUS}, expect={204}, doc_valid=True)
        E("channels", b2b, "post", "/order-acks", {"order_id": o1, "accepted_lines": [0]}, expect={422}, doc_valid=True)
        E("channels", shop, "post", "/order-acks", {"order_id": 999999, "accepted_lines": [0]}, expect={422}, doc_valid=True)
        E("channels", shop, "post", "/order-cancellations", {"order_id": o1, "lines": [9]}, expect={422}, doc_valid=True)
        E("channels", shop, "post", "/order-cancellations", {"order_id": o1, "lines": [16]}, expect={400}, doc_valid=False)
        E("channels", shop, "put", "/availability/30", {"available": 1}, expect={422}, doc_valid=True)
        E("channels", shop, "put", "/availability/3", {"available": -1}, expect={400}, doc_valid=False)
        E("channels", shop, "put", "/availability", {"available": [1, 2, 3]}, expect={400})
        E("channels", shop, "put", "/availability", b"{", expect={400})
        E("channels", shop, "get", "/availability", expect={405})
        E("channels", shop, "post", "/availability/3", {"available": 1}, expect={405})
        E("channels", base, "post", "/channels/nowhere/order-acks", {"order_id": o1, "accepted_lines": [0]}, expect={404}, doc_valid=True)
        E("channels", base, "post", "/channels/storefront", {}, expect={404})

        # ------------------------------------------------------------------------ outages
        def outage(system, mode, **extra):
            E("admin", admin, "post", "/outages", dict(system=system, mode=mode, **extra), expect={200}, doc_valid=True)

        def end(system):
            E("admin", admin, "post", f"/outages/{system}/end", expect={200})

        outage("erp", "down")
        E("erp down", erp, "get", "/inventory/wh-1", expect={503})
        E("erp down", erp, "post", "/sales-orders", {"order_id": o2, "lines": l2}, expect={503}, doc_valid=True)
        outage("erp", "flaky", error_rate=1)
        E("erp flaky", erp, "post", "/stock-movements", {"movement_id": new_event_id("wh-1"), "location": "tpl", "sku": 1, "delta": 1},
          expect={500}, doc_valid=True)
        E("erp flaky", erp, "put", "/inventory/tpl/1", {"on_hand": 1, "movements_applied": 0}, expect={500}, doc_valid=True)
        outage("erp", "blackhole")
        E("erp blackhole", erp, "get", "/inventory/wh-1", expect=(), timeout=0.8)
        outage("erp", "slow", factor=2)
        E("erp slow", erp, "get", "/inventory/wh-1", expect={200})
        # slow needs a factor from 1 to 1e6, flaky an error_rate from 0 to 1 (each ignored with other modes).
        for body, valid in (({"mode": "slow"}, False), ({"mode": "slow", "factor": 0.5}, False),
                            ({"mode": "slow", "factor": 2000000}, False), ({"mode": "slow", "factor": "2"}, False),
                            ({"mode": "flaky"}, False), ({"mode": "flaky", "error_rate": 1.5}, False),
                            ({"mode": "flaky", "error_rate": -0.1}, False), ({"mode": "flaky", "error_rate": None}, False)):
            E("admin: outage fields", admin, "post", "/outages", dict(system="erp", **body), expect={422}, doc_valid=valid)
        outage("erp", "slow", factor=1000000)
        outage("erp", "flaky", error_rate=0)
        E("erp flaky 0", erp, "get", "/inventory/wh-1", expect={200})
        outage("erp", "down", factor=0.5, error_rate=7)  # ignored with other modes
        E("erp down", erp, "get", "/inventory/wh-1", expect={503})
        end("erp")
        E("admin", admin, "post", "/throttle", {"rate": "0/min"}, expect={200}, doc_valid=True)
        E("erp throttled", erp, "post", "/sales-orders", {"order_id": o2, "lines": l2}, expect={429}, doc_valid=True)
        a = E("erp throttled", erp, "get", "/inventory/tpl", expect={429})
        # A rate of 0 waits one scenario second: 1000 / K wall ms (K = 600), rounded; Retry-After in whole seconds, up.
        if a is not None and a.status == 429 and (a.json().get("retry_after_ms") != 2 or a.headers.get("retry-after") != "1"):
            FAILS.add("erp throttled", f"a wait of 1 scenario second at K = 600: retry_after_ms {a.json().get('retry_after_ms')} "
                                       f"(2 due), Retry-After {a.headers.get('retry-after')} (1 due)")
        E("admin", admin, "post", "/throttle/end", expect={200})
        E("admin", admin, "post", "/throttle", {"rate": "300/min", "burst": 50}, expect={200}, doc_valid=True)
        a = E("admin", admin, "post", "/throttle", {"rate": "300/min", "burst": 1}, expect={200}, doc_valid=True)
        if a is not None and a.status == 200 and a.json().get("burst") != 1:
            FAILS.add("admin", f"POST /_estate/throttle 300/min, burst 1: answered {a.json()}")
        for burst in (0, 0.5, -1, "5", None):
            E("admin: throttle burst", admin, "post", "/throttle", {"rate": "300/min", "burst": burst}, expect={422}, doc_valid=False)
        E("admin", admin, "post", "/throttle/end", expect={200})
        E("erp", erp, "get", "/inventory/tpl", expect={200})

        outage("wh-1", "down")
        E("wms down", wms, "get", "/inventory", expect={503})
        E("wms down", wms, "post", "/releases", {"order_id": o1, "lines": l1}, expect={503}, doc_valid=True)
        outage("wh-1", "flaky", error_rate=1.0)
        E("wms flaky", wms, "post", "/releases", {"order_id": o1, "lines": l1}, expect={500}, doc_valid=True)
        outage("wh-1", "blackhole")
        E("wms blackhole", wms, "get", "/inventory", expect=(), timeout=0.8)
        E("wms blackhole", wms, "post", "/releases", {"order_id": o1, "lines": l1}, headers={"Idempotency-Key": "bh"},
          expect=(), timeout=0.8, doc_valid=True)
        end("wh-1")

        outage("tpl", "down")
        E("3pl down", tpl, "get", "/inventory", expect={503})
        E("3pl down", tpl, "post", "/shipping-orders", {"orders": [order940]}, expect={503}, doc_valid=True)
        outage("tpl", "flaky", error_rate=1)
        E("3pl flaky", tpl, "post", "/shipping-orders", {"orders": [order940]}, expect={500}, doc_valid=True)
        E("3pl flaky", tpl, "get", "/inventory", expect={200})
        outage("tpl", "blackhole")
        E("3pl blackhole", tpl, "get", "/inventory", expect=(), timeout=0.8)
        E("3pl blackhole", tpl, "post", "/shipping-orders", {"orders": [order940]}, expect=(), timeout=0.8, doc_valid=True)
        end("tpl")

        E("admin", admin, "post", "/outages", {"system": "storefront", "mode": "slow"}, expect={422}, doc_valid=False)
        E("admin", admin, "post", "/outages", {"system": "storefront", "mode": "slow", "factor": 2}, expect={422}, doc_valid=True)
        E("admin", admin, "post", "/outages", {"system": "b2b", "mode": "blackhole"}, expect={422}, doc_valid=True)
        outage("storefront", "down")
        E("channel down", admin, "post", "/orders", {"channel": "storefront", "lines": [{"sku": 1, "qty": 1}]}, expect={409}, doc_valid=True)
        E("channel down", shop, "put", "/availability/3", {"available": 1}, expect={204}, doc_valid=True)
        end("storefront")
        E("admin", admin, "post", "/outages", {"system": "nowhere", "mode": "down"}, expect={422}, doc_valid=True)
        E("admin", admin, "post", "/outages", {"system": "erp", "mode": "sideways"}, expect={422}, doc_valid=False)
        E("admin", admin, "post", "/outages/nowhere/end", expect={404})
        E("admin", admin, "post", "/throttle", {"rate": "fast"}, expect={422}, doc_valid=False)
        E("admin", admin, "post", "/duplicates", {"source": "erp", "rate": 0.5}, expect={422}, doc_valid=True)
        E("admin", admin, "post", "/duplicates", {"source": "storefront", "rate": 2}, expect={422}, doc_valid=False)
        E("admin", admin, "post", "/duplicates/erp/end", expect={404})

        # --------------------------------------------------------- duplicates (at least once)
        E("admin", admin, "post", "/duplicates", {"source": "storefront", "rate": 1, "delay": "1s"}, expect={200}, doc_valid=True)
        o4 = place("O4", "storefront", [{"sku": 8, "qty": 1}])
        if o4 != id_base + 4:
            FAILS.add("ids", f"the fourth order of the run is {o4}, not base + 4 ({id_base + 4})")
        if admin_ids:
            FAILS.add("admin", "POST /_estate/orders: the answer's order_id is not the order's wire id (its webhook's "
                               f"order_id), as the document says: answered {', '.join(admin_ids)}")
        E("admin", admin, "post", "/duplicates/storefront/end", expect={200})
        E("admin", admin, "post", "/duplicates", {"source": "wh-1", "rate": 0}, expect={200}, doc_valid=True)
        E("admin", admin, "post", "/duplicates/wh-1/end", expect={200})

        # --------------------------------------------------------------------- HTTP layer
        a = raw_call(base, b"POST /erp/sales-orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        if a is None:
            FAILS.add("http", "no answer to a body over the limit")
        else:
            ck.check_answer("http", "estate", "post", "/erp/sales-orders", "/erp/sales-orders",
                            contract.operation("/erp/sales-orders", "post"), a, "POST /erp/sales-orders (64 MiB+)")
            if a.status != 413:
                FAILS.add("http", f"a body over the limit: expected 413, got {a.status}")
        a = raw_call(base, b"GET /wms/wh-1/inventory HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        if a is None:
            FAILS.add("http", "no answer to a header over the limit")
        else:
            ck.check_answer("http", "estate", "get", "/wms/wh-1/inventory", "/wms/{location}/inventory",
                            contract.operation("/wms/{location}/inventory", "get"), a, "GET /wms/wh-1/inventory (20 KB header)")
            if a.status != 431:
                FAILS.add("http", f"a header over the limit: expected 431, got {a.status}")
        a = raw_call(base, b"NOT HTTP AT ALL\r\n\r\n")
        if a is None or a.status != 400:
            FAILS.add("http", f"not HTTP: expected 400, got {a and a.status}")
        else:
            ck.check_response("http", "garbage -> 400", contract.deref(contract.doc["components"]["responses"]["BadRequest"]), a)
        # HEAD is answered as GET is, without the body.
        for url, path in ((erp, "/inventory/wh-1"), (wms, "/inventory"), (tpl, "/inventory"), (shop, "/availability/3"),
                          (erp, "/sales-orders"), (base, "/nothing"), (base, "/_estatefoo")):
            ck.head("http: HEAD", "estate", url, path)
        for path in ("", "/health", "/state"):
            ck.head("http: HEAD", "estate", admin, path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

        # ------------------------------------------------------------- what the stub received
        def kinds():
            got = set()
            for path, headers, body, errs in stub.snapshot():
                if not isinstance(body, dict):
                    continue
                if path == "/orders":
                    got.add("order webhook")
                elif path == "/warehouse-events" and body.get("location") == "wh-1":
                    got.add("WMS " + str(body.get("type")))
                elif path == "/warehouse-files/945" and any(r.get("order_id") == o2 for r in body.get("records", [])):
                    got.add("945 (with the 940's order)")
                elif path == "/warehouse-files/846":
                    got.add("846")
            return got
        wanted = {"order webhook", "WMS shipped", "WMS short_pick", "945 (with the 940's order)", "846"}
        if not wait_for(lambda: kinds() >= wanted, 15):
            FAILS.add("callbacks", f"within 15s the stub got {sorted(kinds())}, not {sorted(wanted - kinds())}")
        dup = [h.get("Idempotency-Key") for p, h, b, e in stub.snapshot() if p == "/orders" and isinstance(b, dict) and b.get("order_id") == o4]
        if not wait_for(lambda: len([1 for p, h, b, e in stub.snapshot()
                                     if p == "/orders" and isinstance(b, dict) and b.get("order_id") == o4]) >= 2, 5):
            FAILS.add("duplicates", f"order {o4} placed during a duplicate storm of rate 1 arrived {len(dup)} time(s), not twice")

        received = stub.snapshot()
        wrong_keys = []
        events = {}  # event_id -> the event, as first received
        for path, headers, body, errs in received:
            for e in errs:
                if e != "404":
                    FAILS.add("callback", e)
            if path == "/orders" and isinstance(body, dict) and headers.get("Idempotency-Key") != str(body.get("order_id")):
                wrong_keys.append(f"key {headers.get('Idempotency-Key')!r} for order {body.get('order_id')}")
            if path == "/orders" and isinstance(body, dict) and isinstance(body.get("order_id"), int):
                if not id_base < body["order_id"] < id_base + EVENT_STRIDE:
                    FAILS.add("ids", f"a webhook's order_id {body['order_id']} is not base + n, n < 2^32 (base {id_base})")
            records = [] if not isinstance(body, dict) else [body] if path == "/warehouse-events" else \
                body.get("records", []) if path == "/warehouse-files/945" else []
            for r in records:
                if isinstance(r, dict) and "event_id" in r:
                    check_event_id("ids", id_base, locations, r)
                    first = events.setdefault(r["event_id"], r)
                    if first != r:
                        FAILS.add("ids", f"event_id {r['event_id']} names two different events: {first} and {r}")
        # Each location numbers its events from 1: once everything sent has arrived (events are
        # redelivered until taken), the sequences seen per location are 1, 2, ..., n.
        def sequences():
            seen = {}
            for path, headers, body, errs in stub.snapshot():
                if not isinstance(body, dict):
                    continue
                for r in [body] if path == "/warehouse-events" else body.get("records", []) if path == "/warehouse-files/945" else []:
                    if isinstance(r, dict) and isinstance(r.get("event_id"), int):
                        seen.setdefault(r.get("location"), set()).add((r["event_id"] - id_base) % EVENT_STRIDE)
            return seen
        if not wait_for(lambda: all(v == set(range(1, len(v) + 1)) for v in sequences().values()), 5):
            FAILS.add("ids", f"the event sequences per location are not 1, 2, ..., n: "
                             f"{ {k: sorted(v) for k, v in sequences().items()} }")
        print(f"serve: event ids received: " + ", ".join(
            f"{e['location']}#{(i - id_base) % EVENT_STRIDE}" for i, e in sorted(events.items())), flush=True)
        late = stub.delayed.get("/warehouse-files/846")
        if late is None:
            FAILS.add("answer timeout", "no 846 was answered late (the stub's delay was not used)")
        else:
            copies = sum(1 for p, h, b, e in received if p == "/warehouse-files/846" and b == json.loads(late))
            if copies != 1:
                FAILS.add("answer timeout", f"the 846 answered {LATE_ANSWER_S} s late arrived {copies} times: the estate gave up "
                                            "before its answer timeout (at least 1 s of wall time, the document's Delivery guarantees)")
        if wrong_keys:
            FAILS.add("callback", f"POST /orders: the Idempotency-Key is not the order id (the document: \"The order id "
                                  f"(order_id) in decimal\") in {len(wrong_keys)} webhooks: {', '.join(sorted(set(wrong_keys)))}")
        covered_pipeline = {}
        for path, headers, body, errs in received:
            t = contract.match("pipeline", path)
            covered_pipeline.setdefault(t, 0)
            covered_pipeline[t] += 1
        print(f"serve: the stub pipeline received {len(received)} callbacks: " +
              ", ".join(f"{t} x{n}" for t, n in sorted(covered_pipeline.items(), key=str)), flush=True)

        # ---------------------------------------------------------------------- shutdown
        os.killpg(proc.pid, signal.SIGINT)
        try:
            rc = proc.wait(timeout=10)
            if rc != 0:
                FAILS.add("serve", f"estate serve exited {rc} on SIGINT:\n{tail(log_path)}")
        except subprocess.TimeoutExpired:
            FAILS.add("serve", "estate serve did not exit within 10s of SIGINT")
        return ck, set(t for t in covered_pipeline if t)
    finally:
        stop(proc)
        stub.stop()


# ======================================= part 2: names live and serve refuse, and the embedded pipeline

def refusal_part(contract, estate, tmp):
    """`estate live` and `estate serve` refuse (exit 2, before they listen or write
    endpoints.env) a scenario whose location or channel names are not URL-safe (the
    document's LocationName and ChannelName), and say which name."""
    for what, name in (("location", "wh 1"), ("location", "wh/1"), ("channel", "shop?x"), ("channel", "caf\u00e9")):
        for schema in ("LocationName", "ChannelName"):
            if not contract.errors(contract.doc["components"]["schemas"][schema], name):
                FAILS.add("names", f"the document's {schema} allows {name!r}, which live mode refuses")
        sc = copy.deepcopy(LIVE_SCENARIO)
        if what == "location":
            sc["locations"][name] = sc["locations"].pop("wh1")
        else:
            # The kind explicitly: "b2b" named it, and a channel without a kind is refused for that.
            sc["channels"][name] = dict(sc["channels"].pop("b2b"), kind="b2b")
        path = os.path.join(tmp, "refused.json")
        json.dump(sc, open(path, "w"))
        for mode, extra in (("live", []), ("serve", ["--for", "10s"])):
            out = os.path.join(tmp, "refused_out")
            log_path = os.path.join(tmp, "refused.log")
            proc = start([estate, mode, path, "--time-scale", "60", "--out", out] + extra, log_path)
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                rc = None
            finally:
                stop(proc)
            if rc != 2:
                FAILS.add("names", f"estate {mode} with the {what} name {name!r}: exit {rc}, not 2:\n{tail(log_path, 5)}")
            elif os.path.exists(os.path.join(out, "endpoints.env")):
                FAILS.add("names", f"estate {mode} with the {what} name {name!r} wrote endpoints.env before refusing")
            elif f"/{what}s/{name}: " not in open(log_path, encoding="utf-8", errors="replace").read():
                FAILS.add("names", f"estate {mode} with the {what} name {name!r} refused, but not for that name:\n{tail(log_path, 5)}")
            shutil.rmtree(out, ignore_errors=True)
    for schema, names in (("LocationName", LIVE_SCENARIO["locations"]), ("ChannelName", LIVE_SCENARIO["channels"])):
        for name in names:
            if not URL_SAFE.match(name) or contract.errors(contract.doc["components"]["schemas"][schema], name):
                FAILS.add("names", f"the test's own name {name!r} is not URL-safe by the document's {schema}")


def embedded_part(contract, estate, tmp):
    ck = Checker(contract)
    proc = None
    log_path = os.path.join(tmp, "live.log")
    try:
        scenario = os.path.join(tmp, "live.json")
        json.dump(LIVE_SCENARIO, open(scenario, "w"))
        out = os.path.join(tmp, "live_out")
        proc = start([estate, "live", scenario, "--time-scale", "60", "--out", out], log_path)
        env = read_endpoints(os.path.join(out, "endpoints.env"), proc, log_path)
        pipe, admin, tpl = env["ESTATE_PIPELINE_URL"], env["ESTATE_ADMIN_URL"], env["ESTATE_3PL_TPL_URL"]
        checked_url(pipe)
        ck.bases = {"estate": admin[: -len("/_estate")], "pipeline": pipe}

        a = ck.exchange("live admin", "estate", admin, "post", "/orders",
                        {"channel": "storefront", "lines": [{"sku": 2, "qty": 1}, {"sku": 5, "qty": 2}]}, expect={201}, doc_valid=True)
        if a is None or a.status != 201:
            raise RuntimeError("could not place an order in the live run")
        w = a.json()["order_id"]
        lines = [{"line": 0, "sku": 2, "qty": 1}, {"line": 1, "sku": 5, "qty": 2}]
        shop = env["ESTATE_CHANNEL_STOREFRONT_URL"]

        def known(order_id):  # a cancellation of no lines changes nothing: 204 for an order of the channel
            r = http_call(shop, "post", "/order-cancellations", {"order_id": order_id, "lines": []})
            return r is not None and r.status == 204
        if not known(w):
            raise RuntimeError(f"the admin API's order_id {w} is not a wire id the channel knows (the document: "
                               "\"the answer's order_id is the order's wire id\")")
        # Event ids by the document's formula, from the base of the order id: wh1 is location 0,
        # tpl 1, w.h_~3- 2 (the order of the scenario's `locations`).
        id_base = id_base_of(w)
        check_base("live ids", id_base, w)
        index = {name: i for i, name in enumerate(LIVE_SCENARIO["locations"])}
        wh1, tpl_i, wh3 = index["wh1"], index["tpl"], index["w.h_~3-"]
        time.sleep(0.5)  # 30 scenario seconds: the channel has delivered it to the pipeline
        snap = ck.exchange("live 3pl", "estate", tpl, "get", "/inventory", expect={200})
        counts = snap.json() if snap is not None and snap.status == 200 else {"on_hand": [0] * SKUS, "movements_reported": [0] * SKUS}

        def P(label, method, path, body=None, **kw):
            return ck.exchange(label, "pipeline", pipe, method, path, body=body, **kw)

        P("pipeline", "post", "/orders", {"order_id": w, "channel": "storefront", "placed_at_us": 0, "lines": lines},
          headers={"Idempotency-Key": str(w)}, expect={202}, doc_valid=True)
        P("pipeline", "post", "/warehouse-events", {"type": "movement", "event_id": event_id(id_base, wh1, 900001), "location": "wh1", "sku": 0,
                                                     "delta": 0, "movement_type": "adjustment", "at_us": 1}, expect={202}, doc_valid=True)
        P("pipeline", "post", "/warehouse-events?x=1", {"type": "movement", "event_id": event_id(id_base, wh3, 900001), "location": "w.h_~3-",
                                                         "sku": 0, "delta": 0, "movement_type": "receipt", "at_us": 1},
          expect={202}, doc_valid=True)  # a query string is ignored
        P("pipeline", "post", "/warehouse-files/945", {"location": "tpl", "at_us": 2, "records": [
            {"type": "shipped", "event_id": event_id(id_base, tpl_i, 900002), "location": "tpl", "order_id": w, "lines": lines[1:], "at_us": 2},
            {"type": "short_pick", "location": "tpl", "order_id": w, "line": 0, "sku": 2, "on_hand": 0, "movements_reported": 0, "at_us": 2},
            {"type": "movement", "event_id": event_id(id_base, tpl_i, 900003), "location": "tpl", "sku": 1, "delta": 0, "movement_type": "receipt", "at_us": 2},
        ]}, expect={202}, doc_valid=True)
        P("pipeline", "post", "/warehouse-files/846", {"location": "tpl", "at_us": 3, "on_hand": counts["on_hand"],
                                                       "movements_reported": counts["movements_reported"]}, expect={202}, doc_valid=True)
        # invalid
        P("pipeline", "get", "/orders", expect={405})
        P("pipeline", "post", "/orders", b"{x", expect={400})
        P("pipeline", "post", "/orders", {"order_id": w, "channel": "nowhere", "placed_at_us": 0, "lines": lines}, expect={422}, doc_valid=True)
        P("pipeline", "post", "/orders", {"order_id": w, "channel": "storefront", "placed_at_us": 0,
                                          "lines": [{"line": 1, "sku": 2, "qty": 1}]}, expect={400}, doc_valid=False)
        P("pipeline", "post", "/warehouse-events", {"type": "shipped", "event_id": event_id(id_base, wh1, 900010), "location": "wh1",
                                                     "order_id": id_base + 999999, "lines": lines, "at_us": 1}, expect={422}, doc_valid=True)
        P("pipeline", "post", "/warehouse-events", {"type": "teleported", "location": "wh1"}, expect={400}, doc_valid=False)
        # Event ids the reference pipeline refuses: outside the run's event ids (an order's range,
        # another run's), or of another location (one the scenario has, or one it has not).
        for bad in (id_base - 7, id_base + 5, w, id_base + ID_SPAN, event_id(id_base + ID_SPAN, wh1, 1), event_id(id_base - ID_SPAN, wh1, 1),
                    event_id(id_base, tpl_i, 900005), event_id(id_base, wh3, 900005), event_id(id_base, 5, 1)):
            P("pipeline: event ids", "post", "/warehouse-events", {"type": "movement", "event_id": bad, "location": "wh1", "sku": 0, "delta": 0,
                                                                   "movement_type": "adjustment", "at_us": 1}, expect={422}, doc_valid=True)
        P("pipeline: event ids", "post", "/warehouse-files/945", {"location": "tpl", "at_us": 2, "records": [
            {"type": "movement", "event_id": event_id(id_base, wh1, 900006), "location": "tpl", "sku": 1, "delta": 0, "movement_type": "receipt", "at_us": 2}]},
          expect={422}, doc_valid=True)  # a 945 record with an id of another location
        P("pipeline", "post", "/warehouse-files/945", {"location": "nowhere", "at_us": 1, "records": [
            {"type": "movement", "event_id": event_id(id_base, tpl_i, 900007), "location": "nowhere", "sku": 1, "delta": 0, "movement_type": "receipt", "at_us": 1}]},
          expect={422}, doc_valid=True)
        P("pipeline", "post", "/warehouse-files/846", {"location": "tpl", "at_us": 1, "on_hand": [1], "movements_reported": [0]}, expect={400})
        P("pipeline", "post", "/orders", {"order_id": w, "channel": "b2b", "placed_at_us": 0, "lines": lines},
          headers={"Idempotency-Key": str(w)}, expect={422}, doc_valid=True)  # the same order from another channel
        P("pipeline", "post", "/warehouse-events", {"type": "movement", "event_id": event_id(id_base, tpl_i, 900004), "location": "tpl",
                                                     "sku": 0, "delta": 0, "movement_type": "receipt", "at_us": 1},
          expect={422}, doc_valid=True)  # a 3PL sends files, not events
        P("pipeline", "post", "/warehouse-files/846", {"location": "wh1", "at_us": 3, "on_hand": counts["on_hand"],
                                                       "movements_reported": counts["movements_reported"]},
          expect={422}, doc_valid=True)  # a WMS sends events, not files
        P("pipeline", "put", "/warehouse-files/846", {}, expect={405})
        P("pipeline", "post", "/nothing", {}, expect={404})
        for path in ("/orders", "/warehouse-events", "/nothing"):
            ck.head("pipeline: HEAD", "pipeline", pipe, path)

        # SIGINT: the run stops, writes its report (partial) and exits with the report's code.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            FAILS.add("live SIGINT", "estate live did not exit within 20s of SIGINT")
            return ck
        report_path = os.path.join(out, "report.json")
        if not os.path.exists(report_path):
            FAILS.add("live SIGINT", f"no report.json after SIGINT (exit {rc}):\n{tail(log_path)}")
            return ck
        report = json.load(open(report_path))
        if report.get("live", {}).get("interrupted") is not True:
            FAILS.add("live SIGINT", "report.json does not say live.interrupted = true")
        want_rc = report.get("verdict", {}).get("exit_code")
        if rc != want_rc:
            FAILS.add("live SIGINT", f"estate live exited {rc} ({'killed by signal ' + str(-rc) if rc < 0 else 'exit code'}), "
                                     f"the report's verdict says {want_rc}:\n{tail(log_path, 8)}")
        for f in ("summary.md", "junit.xml", "report.html"):
            if not os.path.exists(os.path.join(out, f)):
                FAILS.add("live SIGINT", f"no {f} beside report.json after SIGINT")
        return ck
    finally:
        stop(proc)


# ================================================================== part 3: the routes, both ways

def routes_part(contract, src, covered):
    doc_ops = {(side, method, template) for side, method, template, op in contract.operations()}
    code = {(side, method, template) for method, template, side in ROUTES_IN_CODE}
    for r in sorted(code - doc_ops):
        FAILS.add("routes", f"the code serves {r[1].upper()} {r[2]} ({r[0]} side); the document does not have it")
    for r in sorted(doc_ops - code):
        FAILS.add("routes", f"the document has {r[1].upper()} {r[2]} ({r[0]} side); it is not in the test's list of routes the code serves")
    for r in sorted(doc_ops):
        statuses = covered.get(r, set())
        if not any(200 <= s < 300 for s in statuses):
            FAILS.add("coverage", f"{r[1].upper()} {r[2]} ({r[0]} side) was never answered with a 2xx (saw {sorted(statuses)})")

    # Route literals in the sources: each must be a path segment (or admin path) of the document.
    segments = {s for t in contract.doc["paths"] for s in t.split("/") if s and not s.startswith("{")}
    try:
        codec = open(os.path.join(src, "wire", "codec.cpp")).read()
        live = open(os.path.join(src, "harness", "admin.cpp")).read()
    except OSError as e:
        FAILS.add("routes", f"cannot read the sources: {e}")
        return
    literals = set(re.findall(r'seg\[\d\]\s*==\s*"([^"]+)"', codec)) | set(re.findall(r'seg\[\d\]\s*==\s*"([^"]+)"\s*\?', codec))
    if len(literals) < 10:
        FAILS.add("routes", f"found only {sorted(literals)} as route literals in wire/codec.cpp: has the routing changed shape?")
    for lit in sorted(literals - segments):
        FAILS.add("routes", f"wire/codec.cpp routes on the path segment {lit!r}, which no path of the document has")
    admin_literals = set(re.findall(r'p\s*==\s*"(/[^"]*)"', live))
    ending = re.findall(r'ended\(p,\s*"(/[^"]*)"\)', live)  # "/outages/" routes /outages/<name>/end
    if len(admin_literals) < 6:
        FAILS.add("routes", f"found only {sorted(admin_literals)} as admin routes in harness/admin.cpp: has the admin API changed shape?")
    admin_paths = [t[len("/_estate"):] for t in contract.doc["paths"] if t.startswith("/_estate")]
    if len(ending) < 2:
        FAILS.add("routes", f"found only {ending} as /<name>/end admin routes in harness/admin.cpp")
    for prefix in ending:
        if not any(re.fullmatch(re.escape(prefix) + r"\{[^}/]+\}/end", p) for p in admin_paths):
            FAILS.add("routes", f"the admin API (harness/admin.cpp) routes on {prefix}<name>/end, which no /_estate path of the document has")
    for lit in sorted(admin_literals):
        lit_n = lit.rstrip("/")
        if not any(p == lit_n or p.startswith(lit_n + "/") or p.endswith(lit) or lit_n == "" for p in admin_paths):
            FAILS.add("routes", f"the admin API (harness/admin.cpp) routes on {lit!r}, which no /_estate path of the document has")


# ========================================================================================= main

def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    estate, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    doc_path = os.path.join(src, "contract", "openapi.yaml")
    if not os.access(estate, os.X_OK):
        print(f"FAIL: {estate} is not an executable")
        return 1
    doc = yaml.safe_load(open(doc_path))
    Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    contract = Contract(doc)

    def on_alarm(signum, frame):
        raise Timeout(f"the test took more than {HARD_TIMEOUT_S}s")
    def on_term(signum, frame):
        raise Timeout(f"stopped by signal {signum}")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    signal.alarm(HARD_TIMEOUT_S)
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="estate-contract-")
    covered = {}
    try:
        ck, stub_paths = serve_part(contract, estate, tmp)
        covered.update({k: set(v) for k, v in ck.covered.items()})
        for side, method, template, op in contract.operations():
            if side == "pipeline" and template not in stub_paths:
                FAILS.add("callbacks", f"the mocks never called {method.upper()} {template} on the stub pipeline")
        print(f"serve: done in {time.monotonic() - started:.1f}s", flush=True)
        refusal_part(contract, estate, tmp)
        ck2 = embedded_part(contract, estate, tmp)
        for k, v in ck2.covered.items():
            covered.setdefault(k, set()).update(v)
        print(f"live: done in {time.monotonic() - started:.1f}s", flush=True)
        routes_part(contract, src, covered)
        print("statuses seen per operation:")
        for side, method, template, op in contract.operations():
            print(f"  {method.upper():4} {template:42} {' '.join(map(str, sorted(covered.get((side, method, template), set()))))}")
    except Timeout as e:
        FAILS.add("timeout", str(e))
    except Exception as e:  # a failure of the test itself, or of the estate under it
        FAILS.add("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
    finally:
        signal.alarm(0)
        if FAILS.items:
            print(f"(logs kept in {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    n_ops = sum(1 for _ in contract.operations())
    if FAILS.items:
        print(f"\ncontract_test: {len(FAILS.items)} disagreement(s) between contract/openapi.yaml and the code "
              f"({time.monotonic() - started:.1f}s)")
        return 1
    print(f"\ncontract_test: ok: {n_ops} operations agree with contract/openapi.yaml ({time.monotonic() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
