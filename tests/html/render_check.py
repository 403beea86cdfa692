#!/usr/bin/python3
"""Opens report.html in headless Chromium and judges what it drew from outside the page.

The page only draws; this script drives Chromium over the DevTools protocol (on a pipe, no
port), waits until the page says it has built everything (body[data-state]), asks the DOM
where each chart's plot area is and which colour each legend entry has, takes one
screenshot of the whole page, and reads the pixels:

  - every chart has ink in its plot area, and every key series (p50, p90, p99, share of
    events, cumulative, throughput) has pixels in its own colour there;
  - in every chart over time, each timeline window is shaded where the timeline puts it
    (columns before, inside, in the overlap of two windows, after, and in the drain, checked
    against the blended colours), and every window in view has a label: pixels in its label
    colour near the top of the plot, with no two labels overlapping;
  - the page logged no exception, no console error or warning (so no blocked fetch and no
    browser intervention) and requested nothing but itself.

It writes the DOM after drawing to DOM_OUT (for the XPath checks in render_test.sh) and, if
asked, the screenshot. Usage:
  render_check.py CHROMIUM PAGE.html REPORT.json DOM_OUT [SCREENSHOT.png]
Exit 0 when everything holds, 1 with the reasons otherwise.
"""
import base64
import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
import zlib

WIDTH = 1400


# ---------------------------------------------------------------------------- Chromium
class Chromium:
    """Chromium with --remote-debugging-pipe: commands on fd 3, answers and events on fd 4."""

    def __init__(self, binary, profile):
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()

        def child():
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [binary, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--disable-extensions', '--hide-scrollbars', '--force-color-profile=srgb',
                '--remote-debugging-pipe', f'--user-data-dir={profile}', 'about:blank']
        self.log = open(os.path.join(profile, 'chromium.log'), 'wb')
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=child, pass_fds=(3, 4))
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b''
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b'\0' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('Chromium did not answer in time')
            ready, _, _ = select.select([self.res_r], [], [], left)
            if ready:
                chunk = os.read(self.res_r, 1 << 20)
                if not chunk:
                    raise RuntimeError('Chromium closed the pipe')
                self.buf += chunk
        msg, self.buf = self.buf.split(b'\0', 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b'\0')
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get('id') == self.next_id:
                if 'error' in m:
                    raise RuntimeError(f'{method}: {m["error"]}')
                return m.get('result', {})
            self.events.append(m)

    def wait_event(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get('method') == method:
                return self.events.pop(i)
        while True:
            m = self._read_message(deadline)
            if m.get('method') == method:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.call('Browser.close', timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# ---------------------------------------------------------------------------- PNG
def decode_png(data):
    """8-bit RGB or RGBA, not interlaced (what Chromium writes): (width, height, bpp, pixels)."""
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat = 8, []
    while pos < len(data):
        n, = struct.unpack('>I', data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(f'unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})')
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    raw = zlib.decompress(b''.join(idat))
    stride = w * bpp
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return w, h, bpp, bytes(out)


class Image:
    def __init__(self, png):
        self.w, self.h, self.bpp, self.px = decode_png(png)

    def at(self, x, y):
        i = (y * self.w + x) * self.bpp
        return self.px[i], self.px[i + 1], self.px[i + 2]

    def colours(self, x0, y0, x1, y1):
        """{(r, g, b): count} over a rectangle."""
        out = {}
        for y in range(max(0, y0), min(self.h, y1)):
            row = self.px[(y * self.w + max(0, x0)) * self.bpp:(y * self.w + min(self.w, x1)) * self.bpp]
            for c in zip(row[0::self.bpp], row[1::self.bpp], row[2::self.bpp]):
                out[c] = out.get(c, 0) + 1
        return out


def dist2(a, b):
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2


def over(fg, alpha, bg):
    """fg painted with alpha over bg, as the canvas blends it."""
    return tuple(round(f * alpha + b * (1 - alpha)) for f, b in zip(fg, bg))


def parse_colour(css):
    """'rgb(31, 111, 180)' or 'rgba(...)' -> (31, 111, 180)."""
    inner = css[css.index('(') + 1:css.index(')')]
    return tuple(int(float(v)) for v in inner.split(',')[:3])


def parse_alpha(css):
    inner = css[css.index('(') + 1:css.index(')')].split(',')
    return float(inner[3]) if len(inner) > 3 else 1.0


# ---------------------------------------------------------------------------- the page
LAYOUT = r"""
JSON.stringify([...document.querySelectorAll('figure.chart')].map(fig => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; };
  const plot = fig.querySelector('.u-over');
  return {
    kind: fig.dataset.kind,
    title: fig.querySelector('h3').textContent,
    plot: plot ? box(plot) : null,
    series: [...fig.querySelectorAll('tr.u-series')].slice(1).map(tr => ({
      label: tr.querySelector('.u-label').textContent,
      colour: getComputedStyle(tr.querySelector('.u-marker')).borderColor,
      fill: getComputedStyle(tr.querySelector('.u-marker')).backgroundColor,
    })),
  };
}))
"""

# Series that must show in every chart that has them, and those that must show in some chart.
KEY_SERIES = ('p50', 'p90', 'p99', 'share of events', 'cumulative', 'throughput')
SOME_CHART = ('stock variance (% of units)', 'channel-view variance', 'ERP 429s')

# The page's colours for timeline windows (html_page.js WINDOW_COLORS), the drain's shade and
# the labels' ink (the window's colour at 55%).
WINDOW_RGB = {'promotion': (230, 160, 0), 'outage': (214, 39, 40), 'throttle': (214, 39, 40),
              'duplicates': (148, 103, 189), 'reorder': (148, 103, 189), 'drift': (23, 190, 207),
              'replenishment': (44, 160, 44), 'returns': (44, 160, 44), 'transfer': (44, 160, 44),
              'late_batch': (140, 86, 75)}
DRAIN_RGB = (90, 90, 90)
WHITE = (255, 255, 255)


def js_round(x):
    return int(x + 0.5)


def label_ink(rgb):
    return tuple(js_round(c * 0.55) for c in rgb)


def main():
    chromium, page, report_path, dom_out = sys.argv[1:5]
    shot_out = sys.argv[5] if len(sys.argv) > 5 else ''
    report = json.load(open(report_path))
    failures = []
    fail = failures.append

    profile = tempfile.mkdtemp(prefix='estate-html-')
    browser = Chromium(chromium, profile)
    url = 'file://' + os.path.abspath(page)
    try:
        target = browser.call('Target.createTarget', {'url': 'about:blank'})['targetId']
        session = browser.call('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
        for domain in ('Page', 'Runtime', 'Log', 'Network'):
            browser.call(f'{domain}.enable', session=session)
        browser.call('Emulation.setDeviceMetricsOverride',
                     {'width': WIDTH, 'height': 1000, 'deviceScaleFactor': 1, 'mobile': False}, session=session)
        browser.call('Page.navigate', {'url': url}, session=session)
        browser.wait_event('Page.loadEventFired')

        def evaluate(expr, await_promise=False):
            r = browser.call('Runtime.evaluate', {'expression': expr, 'returnByValue': True,
                                                  'awaitPromise': await_promise}, session=session)
            if 'exceptionDetails' in r:
                raise RuntimeError(f'evaluating {expr[:40]!r}: {r["exceptionDetails"]}')
            return r['result'].get('value')

        state, deadline = None, time.monotonic() + 60
        while state not in ('drawn', 'failed') and time.monotonic() < deadline:
            state = evaluate('document.body.dataset.state || ""')
            if state not in ('drawn', 'failed'):
                time.sleep(0.1)
        if state != 'drawn':
            fail(f'the page did not finish drawing (state {state!r})')
        # The whole page in one viewport, then two frames for any resize to be drawn.
        height = int(evaluate('document.documentElement.scrollHeight'))
        browser.call('Emulation.setDeviceMetricsOverride',
                     {'width': WIDTH, 'height': height, 'deviceScaleFactor': 1, 'mobile': False}, session=session)
        frames = 'new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))'
        evaluate(frames, await_promise=True)
        charts = json.loads(evaluate(LAYOUT))
        if os.environ.get('ESTATE_HTML_LAYOUT'):  # for debugging a failure: where the charts are
            with open(os.environ['ESTATE_HTML_LAYOUT'], 'w') as f:
                json.dump(charts, f, indent=1)
        shot = base64.b64decode(browser.call('Page.captureScreenshot', {'format': 'png'}, session=session)['data'])
        with open(dom_out, 'w') as f:
            f.write(evaluate('document.documentElement.outerHTML'))
    finally:
        browser.close()
    if shot_out:
        with open(shot_out, 'wb') as f:
            f.write(shot)

    # What the page said and asked for, as the browser saw it.
    for e in browser.events:
        m, p = e.get('method'), e.get('params', {})
        if m == 'Runtime.exceptionThrown':
            d = p.get('exceptionDetails', {})
            fail('script error: ' + str((d.get('exception') or {}).get('description') or d.get('text')))
        elif m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'warning', 'assert'):
            fail(f'console {p["type"]}: ' + ' '.join(str(a.get('value', a.get('description', ''))) for a in p.get('args', [])))
        elif m == 'Log.entryAdded' and p.get('entry', {}).get('level') in ('error', 'warning'):
            entry = p['entry']
            fail(f'browser {entry["level"]} ({entry.get("source")}): {entry.get("text", "")[:200]}')
        elif m == 'Network.requestWillBeSent':
            req = p.get('request', {}).get('url', '')
            if req != url:
                fail(f'the page requested {req[:120]}')

    img = Image(shot)
    if img.w != WIDTH:
        fail(f'screenshot is {img.w} px wide, not {WIDTH}')

    # ------------------------------------------------------------------ ink per chart
    drawn_somewhere = set()
    for c in charts:
        name = f'chart "{c["title"]}"'
        if not c['plot']:
            fail(f'{name} has no plot area')
            continue
        x, y, w, h = (js_round(v) for v in c['plot'])
        colours = img.colours(x, y, x + w, y + h)
        total = 0
        for s in c['series']:
            # A series' ink: its line's colour, or for bars (no line) its fill over white.
            inks = [parse_colour(s['colour'])]
            if s.get('fill', '').startswith('rgb') and parse_alpha(s['fill']) >= 0.5:
                inks.append(over(parse_colour(s['fill']), parse_alpha(s['fill']), WHITE))
            n = sum(k for col, k in colours.items() if any(dist2(col, rgb) < 48 * 48 for rgb in inks))
            s['ink'] = n
            total += n
            if n >= 20:
                drawn_somewhere.add(s['label'])
            if s['label'] in KEY_SERIES and n < 20:
                fail(f'{name}: series "{s["label"]}" left undrawn ({n} pixels in its colour)')
        if total < 100:
            fail(f'{name}: too little drawn ({total} pixels in its series\' colours)')
    for label in SOME_CHART:
        if label not in drawn_somewhere:
            fail(f'no chart drew series "{label}"')

    # ------------------------------------------------------------------ timeline windows
    duration = report['scenario']['duration_s']
    windows = [w for w in report.get('timeline', []) if w.get('kind') in WINDOW_RGB]
    spans = [w for w in windows if w['end_s'] > w['start_s']]
    if not spans:
        fail('the test needs a timeline window with a length')
    time_charts = [c for c in charts if c['kind'] == 'time' and c['plot']]
    first = min(spans, key=lambda w: w['start_s']) if spans else None
    for c in time_charts:
        name = f'chart "{c["title"]}"'
        x, y, w, h = (js_round(v) for v in c['plot'])
        body = (y + h // 3, y + h - 1)  # below the labels
        # A series' fill (the area under a line) may lie over the shade.
        fills = [(parse_colour(s['fill']), parse_alpha(s['fill'])) for s in c['series']
                 if s.get('fill', '').startswith('rgb') and 0 < parse_alpha(s['fill']) < 1]

        strokes = [parse_colour(s['colour']) for s in c['series']]

        def share(col, rgb, tol=6, spread=1):
            """Of a column's pixels below the labels that are not a series' line, the share
            showing rgb, bare or under a series' fill; the best of the columns within spread
            (a grid line, or a line's steep stretch, may run through one)."""
            accept = [rgb] + [over(f, a, rgb) for f, a in fills]
            memo = {}

            def kind(p):  # 1: the shade, 0: a line, -1: something else
                k = memo.get(p)
                if k is None:
                    k = 1 if any(dist2(p, r) <= tol * tol for r in accept) else 0 if any(dist2(p, r) <= 48 * 48 for r in strokes) else -1
                    memo[p] = k
                return k

            best = 0.0
            for cx in range(col - spread, col + spread + 1):
                if x < cx < x + w - 1:
                    ks = [kind(img.at(cx, yy)) for yy in range(*body)]
                    n, other = ks.count(1), ks.count(-1)
                    best = max(best, n / max(1, n + other))
            return best

        if not first or first['start_s'] <= 0:
            continue
        # Where is t = first window's start? The axis starts at 0 on the plot's left edge, so
        # the first column mostly in that window's shade gives the scale; the start of the
        # drain, further right, refines it.
        shade0 = over(WINDOW_RGB[first['kind']], 0.15, WHITE)
        edge = next((cx for cx in range(x + 1, x + w - 1) if share(cx, shade0) >= 0.5), None)
        if edge is None:
            fail(f'{name}: the {first["kind"]} window is not shaded')
            continue
        px_per_s = (edge - x) / first['start_s']
        if duration > first['start_s'] and x + duration * px_per_s < x + w - 20:
            guess = js_round(x + duration * px_per_s)
            drain = over((0, 0, 0), 0.035, WHITE)
            found = next((cx for cx in range(guess - 20, guess + 20) if share(cx, drain) >= 0.5 and share(cx - 3, drain) < 0.5), None)
            if found is None:
                fail(f'{name}: the drain is not shaded from {duration / 60:.0f} min')
            else:
                px_per_s = (found - x) / duration
        col = lambda t: js_round(x + t * px_per_s)

        def expected(t):
            """The colour the page paints at time t: the drain, then each window over it, in
            timeline order, each at 15%."""
            rgb = WHITE
            if duration < t:
                rgb = over((0, 0, 0), 0.035, rgb)
            for win in spans:
                if win['start_s'] <= t <= win['end_s']:
                    rgb = over(WINDOW_RGB[win['kind']], 0.15, rgb)
            return rgb

        # Sample the middle of every stretch between consecutive edges (window starts and
        # ends, the end of the demand) that is wide enough to hit.
        view_end = (w - 2) / px_per_s
        edges = sorted({0.0, duration} | {v for win in spans for v in (win['start_s'], win['end_s'])})
        edges = [e for e in edges if e < view_end] + [view_end]
        for a, b in zip(edges, edges[1:]):
            if (b - a) * px_per_s < 10:
                continue
            t = (a + b) / 2
            rgb = expected(t)
            got = share(col(t), rgb, spread=max(1, int((b - a) * px_per_s * 0.3)))
            if got < 0.5:
                fail(f'{name}: at {t / 60:.0f} min expected the shade {rgb} in most of the column, '
                     f'found it in {got:.0%} (pixel {img.at(col(t), body[1] - 2)})')
        # Labels: every window in view (and the drain) has pixels in its label ink in the top
        # half of the plot, and no two labels overlap.
        inks = [(f'{win["kind"]} label', label_ink(WINDOW_RGB[win['kind']])) for win in windows if win['start_s'] < view_end]
        if duration < view_end:
            inks.append(('drain label', label_ink(DRAIN_RGB)))
        which = {}  # colour -> index of the ink it is, or -1
        pts = [[] for _ in inks]
        for yy in range(y + 1, y + h // 2):
            for xx in range(x + 1, x + w - 1):
                px = img.at(xx, yy)
                k = which.get(px)
                if k is None:
                    k = next((i for i, (_, ink) in enumerate(inks) if dist2(px, ink) <= 40 * 40), -1)
                    which[px] = k
                if k >= 0:
                    pts[k].append((xx, yy))
        boxes = []
        for (what, ink), p in zip(inks, pts):
            if len(p) < 10:
                fail(f'{name}: no {what} ({len(p)} pixels in {ink})')
                continue
            boxes.append((what, min(q[0] for q in p), max(q[0] for q in p), min(q[1] for q in p), max(q[1] for q in p)))
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                if a[1] <= b[2] and b[1] <= a[2] and a[3] <= b[4] and b[3] <= a[4]:
                    fail(f'{name}: the {a[0]} and the {b[0]} overlap')

    # Latency lines come from windows of enough events, not from the per-interval series.
    html = open(page, encoding='utf-8').read()
    start = html.index('<script type="application/json" id="estate-data">') + len('<script type="application/json" id="estate-data">')
    data = json.loads(html[start:html.index('</script>', start)])
    for flow, v in data.get('latency', {}).items():
        if 'series' in v:
            fail(f'latency.{flow}: the page carries the per-interval series')
        if v.get('count', 0) > 0 and not (v.get('plot_windows') or {}).get('t_s'):
            fail(f'latency.{flow}: the page has no windows to draw from')

    for f in failures:
        print('FAIL:', f, file=sys.stderr)
    print(f'{len(charts)} charts judged from a {img.w}x{img.h} screenshot; {len(time_charts)} over time, '
          f'{len(failures)} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
