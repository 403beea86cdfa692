"""Helpers for the live-mode tests: start estate on loopback, read its endpoints.env, talk
HTTP (and raw bytes) to it, and always clean up. Only 127.0.0.1 is ever a target."""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time


class Failures:
    def __init__(self):
        self.items = []

    def check(self, ok, message):
        if not ok:
            self.items.append(message)
            print("FAIL:", message, flush=True)
        return ok

    def exit(self):
        if self.items:
            print(f"\n{len(self.items)} failure(s)")
            raise SystemExit(1)
        print("ok")


class Estate:
    """An estate process (live or serve) in its own process group, stopped on exit."""

    def __init__(self, argv, out_dir, timeout=60):
        self.out_dir = out_dir
        self.log = open(os.path.join(out_dir, "estate.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.env = {}
        self.timeout = timeout

    def wait_endpoints(self, timeout=20):
        path = os.path.join(self.out_dir, "endpoints.env")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"estate exited {self.proc.returncode} before listening:\n{self.output()}")
            if os.path.exists(path):
                with open(path) as f:
                    text = f.read()
                if "ESTATE_ADMIN_URL" in text:
                    self.env = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
                    return self.env
            time.sleep(0.05)
        raise RuntimeError("estate did not write endpoints.env in time:\n" + self.output())

    def base(self):
        url = self.env["ESTATE_ADMIN_URL"]
        return url[: url.index("/_estate")]

    def port(self):
        return int(self.base().rsplit(":", 1)[1])

    def wait(self, timeout=None):
        try:
            return self.proc.wait(timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise

    def signal(self, sig):
        os.killpg(self.proc.pid, sig)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def output(self):
        self.log.flush()
        with open(os.path.join(self.out_dir, "estate.log")) as f:
            return f.read()[-4000:]

    def report(self):
        with open(os.path.join(self.out_dir, "report.json")) as f:
            return json.load(f)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.log.close()


def request(port, method, path, body=None, headers=None, timeout=10):
    """One HTTP request to 127.0.0.1:port; returns (status, headers, parsed JSON or raw text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = json.dumps(body) if isinstance(body, (dict, list)) else body
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    conn.request(method, path, body=data, headers=hdrs)
    res = conn.getresponse()
    raw = res.read().decode("utf-8", "replace")
    conn.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw
    return res.status, dict(res.getheaders()), parsed


def raw_exchange(port, payload, timeout=5):
    """Sends raw bytes; returns everything the server sends back before closing (or timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(payload)
    chunks = []
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    except socket.timeout:
        pass
    s.close()
    return b"".join(chunks)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tiny_scenario(directory, **overrides):
    """A small estate that plays in seconds at a high time scale."""
    doc = {
        "name": "tiny",
        "duration": "2m",
        "drain": {"max": "20m"},
        "catalogue": {"skus": 20},
        "locations": {"wh1": {"kind": "wms", "pickers": 100, "packers": 100,
                              "pick_time": "5s", "pack_time": "5s"}},
        "channels": {"storefront": {"rate": "2/s"}},
    }
    doc.update(overrides)
    path = os.path.join(directory, doc["name"] + ".json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path
