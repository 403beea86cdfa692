/* report.html: builds the page from the data reports/html.cpp embeds (#estate-data), drawing
 * the charts with uPlot (inlined before this script). All formatting of numbers lives here.
 *
 * The page draws and does nothing else: it never reads its own canvases back. When it has
 * built everything, the body carries data-state="drawn" (or "failed"); tests/html judges
 * what was drawn from outside, from a screenshot. */
(function () {
  'use strict';

  const D = JSON.parse(document.getElementById('estate-data').textContent);
  const root = document.getElementById('report');

  // ------------------------------------------------------------------ formatting
  const isNum = v => typeof v === 'number' && isFinite(v);
  const DASH = '\u2013';

  function group(n) {
    const s = String(Math.round(Math.abs(n)));
    return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  // Up to `digits` significant digits, without trailing zeros or exponents.
  function sig(x, digits) {
    if (x === 0) return '0';
    const a = Math.abs(x);
    if (a >= 10 ** digits) return group(x);
    const decimals = Math.min(12, Math.max(0, digits - 1 - Math.floor(Math.log10(a))));
    let s = x.toFixed(decimals);
    if (s.indexOf('.') >= 0) s = s.replace(/0+$/, '').replace(/\.$/, '');
    return s;
  }
  const pad2 = n => (n < 10 ? '0' : '') + n;

  const fmt = {
    int: v => (isNum(v) ? group(v) : DASH),
    num: (v, d = 3) => (isNum(v) ? sig(v, d) : DASH),
    // Durations as the terminal summary writes them: 120ms, 1.2s, 2m01s, 1h54m.
    dur(s) {
      if (!isNum(s)) return DASH;
      if (s <= 0) return '0s';
      if (s < 1e-3) return Math.round(s * 1e6) + '\u00b5s';
      if (s < 1) return Math.round(s * 1e3) + 'ms';
      if (s < 59.95) return sig(Number(s.toFixed(1)), 3) + 's';
      if (s < 3599.5) {
        const t = Math.round(s), m = Math.floor(t / 60), r = t % 60;
        return m + 'm' + (r ? pad2(r) + 's' : '');
      }
      const t = Math.round(s / 60), h = Math.floor(t / 60), m = t % 60;
      return h + 'h' + (m ? pad2(m) + 'm' : '');
    },
    // A fraction as a percentage: 17.7%, 3.29%, 0.072%.
    pct(f) {
      if (!isNum(f)) return DASH;
      const x = f * 100;
      if (x === 0) return '0%';
      const a = Math.abs(x);
      return (a >= 10 ? sig(x, 3) : a >= 1 ? x.toFixed(2).replace(/\.?0+$/, '') : sig(x, 2)) + '%';
    },
    rate: v => (isNum(v) ? sig(v, 3) + '/s' : DASH),
  };
  // A threshold's value in its unit ("s", "fraction", or a plain number).
  function fmtMetric(v, unit, metric) {
    if (!unit) unit = /_s$|\.p\d+$|mean$|max$/.test(metric || '') ? 's' : /rate|variance/.test(metric || '') ? 'fraction' : '';
    return unit === 's' ? fmt.dur(v) : unit === 'fraction' ? fmt.pct(v) : fmt.num(v, 6);
  }

  // ------------------------------------------------------------------ DOM helpers
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) {
      if (kid == null || kid === false) continue;
      el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  const code = s => h('code', null, s);
  const badge = (ok, yes, no) => h('span', { class: 'badge ' + (ok ? 'ok' : 'bad') }, ok ? yes : no);

  // A row is all zero when every value cell (after the first, the row's name) that shows
  // anything shows a zero: "0", "0%", "0s", "0/s" or a dash. A cell holding an element (a
  // check mark, a verdict) is never zero, nor is a total row. opts.ignore: columns that
  // describe rather than measure (a stage's workers).
  const ZERO_TEXT = /^(0|0%|0s|0\/s|\u2013)$/;
  function allZero(r, ignore) {
    if (r.cls === 'total') return false;
    let zeros = 0;
    for (let i = 1; i < r.length; i++) {
      if (ignore && ignore.includes(i)) continue;
      const c = r[i], v = c && typeof c === 'object' && !(c instanceof Node) ? c.v : c;
      if (v instanceof Node) return false;
      const t = v == null ? '' : String(v).trim();
      if (t === '') continue;
      if (!ZERO_TEXT.test(t)) return false;
      zeros++;
    }
    return zeros > 0;
  }
  // rows: arrays of cells; a cell is text, a Node, or {v, cls}; a row may carry cls and, for
  // when it is folded away from its neighbours, foldName (its name with its context).
  // align: one letter per column, "l" left or "r" right (default: the first column left, the
  // others right, as numbers). Rows that are all zero are folded into a <details> under the
  // table ("3 rows all zero"), so the rows that say something stand together.
  function table(headers, rows, cls, align, opts) {
    const right = i => (align ? align[i] === 'r' : i > 0);
    const head = () => h('thead', null, h('tr', null, headers.map((t, i) => h('th', { class: right(i) ? 'n' : null }, t))));
    const tr = (r, folded) => h('tr', { class: r.cls || null }, r.map((c, i) => {
      const cell = c && typeof c === 'object' && !(c instanceof Node) ? c : { v: c };
      const v = folded && i === 0 && r.foldName ? r.foldName : cell.v;
      return h('td', { class: [right(i) ? 'n' : null, folded && i === 0 ? null : cell.cls].filter(Boolean).join(' ') || null }, v);
    }));
    const fold = !(opts && opts.fold === false);
    const zero = rows.map(r => fold && allZero(r, opts && opts.ignore));
    const kept = rows.filter((r, i) => !zero[i]), folded = rows.filter((r, i) => zero[i]);
    // Wide tables scroll sideways on narrow screens instead of overflowing the page.
    const wrap = h('div', { class: 'table-wrap' });
    if (kept.length || !folded.length)
      wrap.appendChild(h('table', { class: cls || null }, head(), h('tbody', null, kept.map(r => tr(r, false)))));
    if (folded.length)
      wrap.appendChild(h('details', { class: 'zero-rows' },
        h('summary', null, `${folded.length} ${folded.length === 1 ? 'row' : 'rows'} all zero`),
        h('table', { class: [cls, 'folded'].filter(Boolean).join(' ') }, head(), h('tbody', null, folded.map(r => tr(r, true))))));
    return wrap;
  }
  function section(id, title, intro) {
    const s = h('section', { id }, h('h2', null, title), intro ? h('p', { class: 'intro' }, intro) : null);
    root.appendChild(s);
    return s;
  }
  const grid = parent => parent.appendChild(h('div', { class: 'charts' }));
  const pretty = k => k.replace(/_s$/, '').replace(/_/g, ' ');

  // ------------------------------------------------------------------ the run's clock
  const scen = D.scenario || {};
  const run = D.run || {};
  const duration = isNum(scen.duration_s) ? scen.duration_s : 0;
  const dt = isNum(run.series_interval_s) && run.series_interval_s > 0 ? run.series_interval_s : 60;
  const windows = (Array.isArray(D.timeline) ? D.timeline : []).filter(w => isNum(w.start_s));

  function lastT(cols) { const t = cols && cols.t_s; return t && t.length ? t[t.length - 1] : 0; }
  const tEnd = Math.max(isNum(run.sim_end_s) ? run.sim_end_s : 0, duration, dt,
    ...Object.values(D.latency || {}).map(f => { const e = f.plot_windows && f.plot_windows.end_s; return e && e.length ? e[e.length - 1] : 0; }),
    ...Object.values(D.stages || {}).map(s => lastT(s.series)),
    lastT((D.reconciliation || {}).sampled), lastT((D.reconciliation || {}).series), lastT((D.retries || {}).series),
    ...windows.map(w => (isNum(w.end_s) ? w.end_s : w.start_s)));
  // Hours on the time axis, minutes for runs of up to three hours.
  const TU = tEnd <= 3 * 3600 ? { s: 60, title: 'Simulated time (min)', incrs: [10, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200] }
    : { s: 3600, title: 'Simulated time (h)', incrs: [300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 43200, 86400, 172800, 345600, 691200] };

  // ------------------------------------------------------------------ palette
  const C = {
    blue: '#1f6fb4', orange: '#e08a00', red: '#d0312d', grey: '#7a7a7a', green: '#2b9a3e',
    purple: '#7b3fa0', teal: '#138a9b', brown: '#8c564b', pink: '#c2428f',
  };
  const WINDOW_COLORS = {
    promotion: [230, 160, 0], outage: [214, 39, 40], throttle: [214, 39, 40], duplicates: [148, 103, 189],
    reorder: [148, 103, 189], drift: [23, 190, 207], replenishment: [44, 160, 44], returns: [44, 160, 44],
    transfer: [44, 160, 44], late_batch: [140, 86, 75],
  };
  const windowRgb = w => WINDOW_COLORS[w.kind] || [120, 120, 120];
  const rgba = (rgb, a) => `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${a})`;
  const hexRgb = hex => [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));

  // ------------------------------------------------------------------ series shaping
  // Latency percentiles come from windows: consecutive intervals merged until they hold
  // 100 events over 5 minutes (report.json's latency.<flow>.plot_windows; longer when the flow
  // is quiet, and the last holds what is left). A percentile q is drawn only from a window with at least 1/(1 - q) events
  // (p99: 100), so it is never just the largest value of a quiet minute. Each window is a
  // point at its middle; the line breaks where windows are not contiguous (nothing
  // completed in between).
  const MIN_EVENTS = { p50_s: 2, p90_s: 10, p99_s: 100, max_s: 1 };
  function windowed(w, keys) {
    const t0 = col(w, 't_s'), t1 = col(w, 'end_s'), n = col(w, 'count');
    const x = [], out = keys.map(() => []);
    for (let i = 0; i < t0.length; i++) {
      x.push((t0[i] + t1[i]) / 2);
      keys.forEach((k, j) => {
        const v = col(w, k)[i];
        out[j].push(isNum(v) && v > 0 && n[i] >= (MIN_EVENTS[k] || 1) ? v : null);
      });
      if (i + 1 < t0.length && t0[i + 1] > t1[i]) {
        x.push((t1[i] + t0[i + 1]) / 2);
        out.forEach(o => o.push(null));
      }
    }
    return [x, ...out];
  }
  // Counters (retries, 429s) leave out intervals with none: those are zeros, drawn as such
  // (one zero either side of each run of points is enough for the line).
  function zeroFilled(t, ys) {
    const x = [], out = ys.map(() => []);
    const push = (tt, i) => { x.push(tt); out.forEach((o, k) => o.push(i == null ? 0 : ys[k][i])); };
    for (let i = 0; i < t.length; i++) {
      const prev = i ? t[i - 1] : -Infinity;
      if (t[i] - dt >= 0 && t[i] - dt > prev + dt * 1.5) push(t[i] - dt, null);
      push(t[i], i);
      if ((i + 1 < t.length ? t[i + 1] : Infinity) > t[i] + dt * 1.5) push(t[i] + dt, null);
    }
    return [x, ...out];
  }
  // Every time chart spans the whole run, so zooming and resetting agree across charts.
  function framed(data, fill) {
    const [x, ...ys] = data;
    if (!x.length || x[0] > 0) { x.unshift(0); ys.forEach(y => y.unshift(fill === undefined ? null : fill)); }
    if (x[x.length - 1] < tEnd) { x.push(tEnd); ys.forEach(y => y.push(fill === undefined ? null : fill)); }
    return [x, ...ys];
  }
  const col = (cols, k) => (cols && Array.isArray(cols[k]) ? cols[k] : []);
  const scaled = (arr, f) => arr.map(v => (isNum(v) ? v * f : v));

  // Points only where a value stands alone between gaps (a line needs two).
  function isolatedPoints(u, si, show) {
    if (show) return null;
    const y = u.data[si], idx = [];
    for (let i = 0; i < y.length; i++)
      if (y[i] != null && (i === 0 || y[i - 1] == null) && (i === y.length - 1 || y[i + 1] == null)) idx.push(i);
    return idx.length ? idx : null;
  }

  // ------------------------------------------------------------------ axes
  const DUR_LADDERS = [
    [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200,
      1800, 3600, 7200, 14400, 21600, 43200, 86400, 172800, 345600, 604800],
    [1e-4, 1e-3, 0.01, 0.1, 1, 10, 60, 600, 3600, 21600, 86400, 604800],
    [1e-4, 0.01, 1, 60, 3600, 86400],
  ];
  // Ticks on a log duration axis at round durations (100ms, 1s, 1m, 1h), as dense as fits.
  function durationSplits(minGapPx) {
    return (u, axisIdx, min, max) => {
      const axis = u.axes[axisIdx];
      const vertical = axis.side % 2 === 1;
      const dim = (vertical ? u.bbox.height : u.bbox.width) / devicePixelRatio || 200;
      const span = Math.log10(max / min);
      for (const ladder of DUR_LADDERS) {
        const ticks = ladder.filter(v => v >= min * 0.999 && v <= max * 1.001);
        let ok = true;
        for (let i = 1; i < ticks.length && ok; i++) ok = Math.log10(ticks[i] / ticks[i - 1]) / span * dim >= minGapPx;
        if (ok && ticks.length) return ticks;
      }
      return DUR_LADDERS[2].filter(v => v >= min * 0.999 && v <= max * 1.001);
    };
  }
  // Axis width from its widest label, so long labels ("1h30m", "12,000") never clip.
  function axisSize(u, values, axisIdx, cycleNum) {
    const axis = u.axes[axisIdx];
    if (cycleNum > 1) return axis._size;
    let size = axis.ticks.size + axis.gap;
    const longest = (values || []).reduce((a, v) => (String(v).length > a.length ? String(v) : a), '');
    if (longest) {
      u.ctx.font = axis.font[0];
      size += u.ctx.measureText(longest).width / devicePixelRatio;
    }
    return Math.ceil(size) + 6;
  }
  const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  const GRID = { stroke: 'rgba(0,0,0,0.08)', width: 1 };
  const TICKS = { stroke: 'rgba(0,0,0,0.25)', width: 1, size: 4 };
  function timeAxis() {
    return { scale: 'x', font: FONT, grid: GRID, ticks: TICKS, space: 56, incrs: TU.incrs, size: 28,
      values: (u, splits) => splits.map(v => sig(v / TU.s, 3)) };
  }
  function valueAxis(scale, side, format, opts) {
    return Object.assign({ scale, side, font: FONT, grid: side === 1 ? { show: false } : GRID, ticks: TICKS, size: axisSize,
      values: (u, splits) => splits.map(v => format(v)) }, opts || {});
  }
  function logDurationAxis(scale, side) {
    return valueAxis(scale, side, fmt.dur, Object.assign({ splits: durationSplits(side % 2 ? 16 : 56), filter: (u, splits) => splits },
      side % 2 ? {} : { size: 28 }));
  }
  const linearFrom0 = (u, min, max) => uPlot.rangeNum(0, isNum(max) && max > 0 ? max : 1, 0.1, true);

  // ------------------------------------------------------------------ charts
  const timeCharts = [];      // the charts over simulated time, zoomed together
  let syncingZoom = false;
  // The charts open on the scenario and as much of the drain again (when the drain is long,
  // it is mostly the 3PL's slow shipments); the whole run is a click (or a double-click) away.
  const defaultView = { min: 0, max: duration > 0 && tEnd > 2.5 * duration ? 2 * duration : tEnd };
  const view = Object.assign({}, defaultView);

  function setView(min, max) {
    view.min = min; view.max = max;
    syncingZoom = true;
    for (const u of timeCharts) u.setScale('x', { min, max });
    syncingZoom = false;
  }

  // Shades the timeline's windows (instants as dashed lines) and the drain, behind the
  // series, and labels every one in view. A label starts at its window (moved left if it
  // would leave the plot, shortened if wider than the plot) on the first row where it
  // overlaps no other label, so labels of close or overlapping windows are staggered.
  function drawWindows(u) {
    const ctx = u.ctx, { left, top, width, height } = u.bbox;
    const px = t => u.valToPos(t, 'x', true);
    const xmin = u.scales.x.min, xmax = u.scales.x.max;
    const dpr = devicePixelRatio;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    const labels = [];
    let drain = null;
    if (duration > 0 && tEnd > duration && xmax > duration) {
      const x0 = px(Math.max(duration, xmin)), x1 = px(xmax);
      ctx.fillStyle = 'rgba(0,0,0,0.035)';
      ctx.fillRect(x0, top, x1 - x0, height);
      drain = { text: 'drain (no new demand)', x: x0, rgb: [90, 90, 90] };
    }
    for (const w of windows) {
      const end = isNum(w.end_s) ? w.end_s : w.start_s;
      if (end < xmin || w.start_s > xmax) continue;
      const rgb = windowRgb(w);
      const x0 = px(w.start_s), x1 = px(end);
      if (end > w.start_s) {
        ctx.fillStyle = rgba(rgb, 0.15);
        ctx.fillRect(x0, top, Math.max(x1 - x0, dpr), height);
      } else {
        ctx.strokeStyle = rgba(rgb, 0.8);
        ctx.lineWidth = 1.5 * dpr;
        ctx.setLineDash([4 * dpr, 3 * dpr]);
        ctx.beginPath();
        ctx.moveTo(Math.round(x0) + 0.5, top);
        ctx.lineTo(Math.round(x0) + 0.5, top + height);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      labels.push({ text: w.label || w.kind, x: Math.max(x0, left), rgb });
    }
    // Left to right (ties in timeline order), the drain's label last.
    labels.sort((a, b) => a.x - b.x);
    if (drain) labels.push(drain);
    ctx.font = `${Math.round(11 * dpr)}px ${FONT.replace(/^12px /, '')}`;
    ctx.textBaseline = 'top';
    const pad = 4 * dpr, rowH = 15 * dpr, rows = [];
    for (const l of labels) {
      let text = l.text, w = ctx.measureText(text).width;
      while (w > width - 2 * pad && text.length > 4) { text = text.slice(0, -2) + '\u2026'; w = ctx.measureText(text).width; }
      const at = Math.max(left + pad, Math.min(l.x + pad, left + width - pad - w));
      let row = 0;
      while (row < rows.length && rows[row].some(([a, b]) => at < b + pad && at + w > a - pad)) row++;
      (rows[row] = rows[row] || []).push([at, at + w]);
      const y = top + 3 * dpr + row * rowH;
      ctx.fillStyle = 'rgba(255,255,255,0.8)';
      ctx.fillRect(at - 2 * dpr, y - dpr, w + 4 * dpr, rowH - dpr);
      ctx.fillStyle = rgba(l.rgb.map(c => Math.round(c * 0.55)), 1);
      ctx.fillText(text, at, y);
    }
    ctx.restore();
  }

  // A chart in a <figure>: title, HTML axis titles, uPlot canvas, legend, note.
  // spec: {title, note, x: 'time'|axis, xTitle, yTitle, y2Title, scales, axes, series, data, height}
  function chart(parent, spec) {
    const fig = h('figure', { class: 'chart', 'data-kind': spec.kind });
    fig.appendChild(h('h3', null, spec.title));
    const yTitle = h('div', { class: 'ytitle' }, spec.yTitle);
    const plot = h('div', { class: 'plot' });
    const body = h('div', { class: 'chart-body' + (spec.y2Title ? ' two-axes' : '') }, yTitle, plot,
      spec.y2Title ? h('div', { class: 'ytitle right' }, spec.y2Title) : null);
    fig.appendChild(body);
    fig.appendChild(h('div', { class: 'xtitle' }, spec.xTitle));
    const legend = fig.appendChild(h('div', { class: 'legend' }));
    if (spec.note) fig.appendChild(h('figcaption', null, spec.note));
    parent.appendChild(fig);

    const isTime = spec.kind === 'time';
    const width = Math.max(280, plot.clientWidth || 600);
    const opts = {
      width, height: spec.height || 240,
      legend: { mount: (u, el) => legend.appendChild(el) },
      cursor: isTime
        ? { sync: { key: 'estate-time' }, drag: { x: true, y: false }, bind: { dblclick: () => () => { setView(0, tEnd); return null; } } }
        : { drag: { x: true, y: false } },
      scales: spec.scales,
      axes: spec.axes,
      series: spec.series.map((s, i) => {
        if (i === 0) return s;
        const out = Object.assign({ width: 1.5, spanGaps: false }, s);
        if (!s.points) out.points = { size: 6, fill: s.stroke, filter: isolatedPoints };
        return out;
      }),
      hooks: {
        drawClear: isTime ? [u => drawWindows(u)] : [],
        draw: spec.onDraw ? [u => spec.onDraw(u)] : [],
        setScale: isTime ? [(u, key) => {
          const { min, max } = u.scales.x;
          if (key === 'x' && !syncingZoom && (min !== view.min || max !== view.max)) setView(min, max);
        }] : [],
      },
    };
    const u = new uPlot(opts, spec.data, plot);
    if (isTime) {
      syncingZoom = true;
      u.setScale('x', { min: view.min, max: view.max });
      syncingZoom = false;
    }
    if (isTime) timeCharts.push(u);
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        const w = Math.max(280, plot.clientWidth);
        if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: u.height });
      }).observe(plot);
    }
    return u;
  }

  const timeX = { label: 'time', value: (u, v) => (v == null ? DASH : fmt.dur(v)) };
  const line = (label, stroke, extra) => Object.assign({ label, stroke, value: (u, v) => (v == null ? DASH : fmt.num(v)) }, extra || {});

  // Percentiles of one flow over time, from windows that hold enough events (see windowed()).
  function latencyChart(parent, flow, title, note) {
    const f = D.latency[flow];
    const data = framed(windowed(f.plot_windows || {}, ['p50_s', 'p90_s', 'p99_s', 'max_s']));
    const v = (u, x) => (x == null ? DASH : fmt.dur(x));
    return chart(parent, {
      kind: 'time', title, note,
      xTitle: TU.title, yTitle: 'Latency (duration, log scale)',
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [timeAxis(), logDurationAxis('y', 3)],
      series: [timeX,
        line('p50', C.blue, { value: v }), line('p90', C.orange, { value: v }), line('p99', C.red, { value: v, width: 2 }),
        line('max', C.grey, { value: v, width: 1, alpha: 0.55, points: { size: 4, fill: C.grey, filter: isolatedPoints } })],
      data,
    });
  }

  // Histogram (share of events per log-spaced bin) and cumulative share, on a log time axis.
  function distributionChart(parent, flow, title) {
    const f = D.latency[flow];
    const bins = (Array.isArray(f.distribution) ? f.distribution : []).filter(b => isNum(b[0]) && b[0] > 0);
    const total = bins.reduce((a, b) => a + b[1], 0) || 1;
    let acc = 0;
    const x = bins.map(b => b[0]);
    const share = bins.map(b => (b[1] / total) * 100);
    const cdf = bins.map(b => ((acc += b[1]) / total) * 100);
    // The CDF starts at 0 one bin below the first.
    if (x.length) { x.unshift(x[0] / Math.pow(2, 1 / 8)); share.unshift(null); cdf.unshift(0); }
    const marks = [['p50', f.p50_s], ['p99', f.p99_s]].filter(m => isNum(m[1]) && m[1] > 0);
    const pctv = (u, v) => (v == null ? DASH : sig(v, 3) + '%');
    return chart(parent, {
      kind: 'distribution', title,
      xTitle: 'Latency (duration, log scale); bins are 9% wide', yTitle: 'Share of events per bin (%)', y2Title: 'Cumulative share (%)',
      scales: { x: { time: false, distr: 3, log: 10 }, y: { range: linearFrom0 }, cdf: { range: [0, 100] } },
      axes: [logDurationAxis('x', 2), valueAxis('y', 3, v => sig(v, 3) + '%'),
        valueAxis('cdf', 1, v => v + '%', { splits: () => [0, 25, 50, 75, 100] })],
      series: [{ label: 'latency', value: (u, v) => (v == null ? DASH : '\u2264 ' + fmt.dur(v)) },
        { label: 'share of events', stroke: C.blue, fill: rgba(hexRgb(C.blue), 0.6), width: 0, value: pctv,
          paths: uPlot.paths.bars({ size: [0.92, Infinity, 1], align: -1 }), points: { show: false } },
        { label: 'cumulative', stroke: C.purple, scale: 'cdf', width: 2, value: pctv, points: { show: false } }],
      data: [x, share, cdf],
      height: 200,
      onDraw(u) {
        const ctx = u.ctx, { top, height } = u.bbox, dpr = devicePixelRatio;
        ctx.save();
        ctx.font = `${Math.round(11 * dpr)}px ${FONT.replace(/^12px /, '')}`;
        ctx.textBaseline = 'top';
        marks.forEach(([name, v], i) => {
          const xp = Math.round(u.valToPos(v, 'x', true)) + 0.5;
          ctx.strokeStyle = 'rgba(60,60,60,0.7)';
          ctx.lineWidth = dpr;
          ctx.setLineDash([3 * dpr, 3 * dpr]);
          ctx.beginPath(); ctx.moveTo(xp, top); ctx.lineTo(xp, top + height); ctx.stroke();
          ctx.setLineDash([]);
          const text = `${name} ${fmt.dur(v)}`;
          const w = ctx.measureText(text).width;
          const right = xp + 4 * dpr + w < u.bbox.left + u.bbox.width;
          const tx = right ? xp + 4 * dpr : xp - 4 * dpr - w, ty = top + (3 + i * 15) * dpr;
          ctx.fillStyle = 'rgba(255,255,255,0.85)';
          ctx.fillRect(tx - 2 * dpr, ty - 1 * dpr, w + 4 * dpr, 14 * dpr);
          ctx.fillStyle = 'rgba(40,40,40,0.95)';
          ctx.fillText(text, tx, ty);
        });
        ctx.restore();
      },
    });
  }

  // ------------------------------------------------------------------ page: header & verdict
  const FLOW_TITLES = {
    order_ack: 'Order placed \u2192 acknowledged to the channel',
    order_to_erp: 'Order placed \u2192 booked in the ERP',
    order_to_warehouse: 'Order placed \u2192 released to the warehouse',
    order_to_ship: 'Order placed \u2192 fully shipped',
    ship_to_erp: 'Shipment \u2192 recorded in the ERP',
    inventory_to_channel: 'Stock change \u2192 visible on every channel (channel-view staleness)',
  };
  const flowTitle = f => FLOW_TITLES[f] || pretty(f);

  function header() {
    // A live run: against which pipeline, how fast, how late the load was, what the pipeline
    // did that the contract forbids.
    const liveLine = (l) => {
      const es = l.estate_side || {};
      const late = (es.late_sends || {}).order_webhooks || {};
      const viol = es.contract_violations || {};
      return h('p', { class: 'meta', id: 'live' },
        h('span', null, 'live against ', code(String(l.pipeline))),
        h('span', null, 'time scale ', h('b', null, `${l.time_scale}x`), `, ${fmt.int(l.wall_s)} s of wall time`),
        h('span', null, `order webhooks sent late: ${fmt.int(late.late || 0)} of ${fmt.int(late.sends || 0)} (p99 ${late.p99_ms} ms)`),
        h('span', { class: viol.total ? 'bad-text' : null }, `contract violations by the pipeline: ${fmt.int(viol.total || 0)}`),
        l.interrupted ? h('b', { class: 'bad-text' }, 'interrupted: partial') : null);
    };
    const v = D.verdict || {};
    const drainText = isNum(run.drain_s)
      ? ` + ${fmt.dur(run.drain_s)} drain` + (run.drained === false ? ' (stopped by its bound)' : ' (drained)') : '';
    root.appendChild(h('header', null,
      h('h1', null, scen.name || 'estate run', h('span', { class: 'sub' }, ' \u2014 estate report')),
      scen.description ? h('p', { class: 'desc' }, scen.description) : null,
      h('p', { class: 'meta' },
        h('span', null, 'seed ', h('b', null, String(scen.seed ?? DASH))),
        h('span', null, h('b', null, fmt.dur(duration)), (D.live ? ' played live' : ' simulated') + drainText),
        isNum(run.orders_placed) ? h('span', null, h('b', null, fmt.int(run.orders_placed)), ' orders') : null,
        isNum(run.events) ? h('span', null, fmt.int(run.events), ' events') : null,
        h('span', null, 'series every ', fmt.dur(dt)),
        scen.file ? h('span', null, code(scen.file)) : null,
        scen.hash ? h('span', null, 'scenario hash ', code(scen.hash)) : null,
        scen.estate_version ? h('span', null, 'estate ', scen.estate_version,
          scen.estate_commit ? [' (commit ', code(scen.estate_commit), ')'] : null) : null),
      D.live ? liveLine(D.live) : null));

    const ok = v.integrity_ok !== false;
    const gateFailed = isNum(v.thresholds_failed) && v.thresholds_failed > 0;
    const box = h('div', { class: 'verdict ' + (ok && !gateFailed ? 'ok' : 'bad'), id: 'verdict' },
      h('div', { class: 'verdict-head' },
        badge(ok, 'Integrity OK', 'Integrity FAILED'),
        h('span', null, ok ? ' nothing lost, nothing applied twice, stock conserved' : ' see the reasons below and the integrity table'),
        isNum(v.exit_code) ? h('span', { class: 'exit' }, 'exit code ', code(String(v.exit_code))) : null));
    if (isNum(v.thresholds) && v.thresholds > 0)
      box.appendChild(h('p', null, `Thresholds: ${v.thresholds} checked, `,
        h('b', { class: v.thresholds_failed ? 'bad-text' : 'ok-text' }, `${v.thresholds_failed || 0} failed`)));
    const list = (items, cls, title) => (Array.isArray(items) && items.length
      ? h('div', { class: cls }, h('b', null, title), h('ul', null, items.map(t => h('li', null, String(t))))) : null);
    for (const el of [list(v.reasons, 'reasons', 'Reasons'), list(v.warnings, 'warnings', 'Warnings')]) if (el) box.appendChild(el);
    root.appendChild(box);

    if (Array.isArray(D.thresholds) && D.thresholds.length) {
      const s = section('thresholds', 'Thresholds', 'Limits set on this run\u2019s metrics (and, with a baseline, on how far each may regress).');
      s.appendChild(table(['Metric', 'Limit', 'Value', 'Baseline', 'Change', 'Verdict', 'Detail'], D.thresholds.map(t => {
        const pass = t.verdict === 'pass';
        return [code(t.metric || t.pointer || '?'),
          t.limit_text || `${t.op || ''} ${fmtMetric(t.limit, t.unit, t.metric)}`,
          fmtMetric(t.value, t.unit, t.metric),
          t.baseline == null ? DASH : fmtMetric(t.baseline, t.unit, t.metric),
          isNum(t.delta) ? (t.delta > 0 ? '+' : '') + fmt.pct(t.delta) : DASH,
          badge(pass, 'PASS', 'FAIL'),
          t.message || ''];
      }), 'thresholds', 'lrrrrll'));
    } else {
      box.appendChild(h('p', { class: 'muted' }, 'No thresholds were set for this run.'));
    }
  }

  function kpis() {
    const L = D.latency || {}, o = D.oversell || {}, rc = D.reconciliation || {}, r = D.retries || {}, ig = D.integrity || {};
    const cards = [];
    const card = (label, value, detail, bad) => cards.push(h('div', { class: 'kpi' + (bad ? ' bad' : '') },
      h('div', { class: 'kpi-label' }, label), h('div', { class: 'kpi-value' }, value), h('div', { class: 'kpi-detail' }, detail || '')));
    if (L.order_ack) card('Order ack p99', fmt.dur(L.order_ack.p99_s), `p50 ${fmt.dur(L.order_ack.p50_s)}`);
    if (L.order_to_erp) card('Order \u2192 ERP p99', fmt.dur(L.order_to_erp.p99_s), `p50 ${fmt.dur(L.order_to_erp.p50_s)}`);
    if (L.order_to_ship) card('Order \u2192 shipped p99', fmt.dur(L.order_to_ship.p99_s), `p50 ${fmt.dur(L.order_to_ship.p50_s)}`);
    if (L.inventory_to_channel) card('Channel-view staleness p99', fmt.dur(L.inventory_to_channel.p99_s), `p50 ${fmt.dur(L.inventory_to_channel.p50_s)}`);
    if (isNum(o.rate)) card('Oversell', fmt.pct(o.rate), `${fmt.int(o.oversold_units)} of ${fmt.int(o.accepted_units)} units`);
    if (isNum(rc.peak_variance)) card('Stock variance ERP vs warehouses', `${fmt.pct(rc.peak_variance)} peak`, `settled ${fmt.pct(rc.settled_variance)}`, rc.settled_variance > 0);
    if (isNum(rc.peak_channel_view_variance)) card('Channel-view variance', `${fmt.pct(rc.peak_channel_view_variance)} peak`, `settled ${fmt.pct(rc.settled_channel_view_variance)}`);
    if (isNum(r.erp_429)) card('ERP 429s', fmt.int(r.erp_429), `${fmt.int(r.total)} retries in all`);
    if (isNum(ig.lost_orders)) card('Lost / doubled', `${fmt.int(ig.lost_orders)} / ${fmt.int(ig.duplicate_effects)}`, 'orders lost / effects applied twice', ig.lost_orders > 0 || ig.duplicate_effects > 0);
    root.appendChild(h('div', { class: 'kpis' }, cards));
  }

  function nav() {
    const links = [['integrity', 'Integrity'], ['timeline', 'Timeline'], ['latency', 'Latency'], ['oversell', 'Oversell'],
      ['inventory', 'Inventory accuracy'], ['retries', 'ERP quota & retries'], ['stages', 'Stages']];
    root.appendChild(h('nav', null, links.map(([id, t]) => h('a', { href: '#' + id }, t))));
  }

  // ------------------------------------------------------------------ tables
  const INTEGRITY_ROWS = [
    ['lost_orders', 'Lost orders (accepted, no terminal state after the drain)', 'zero', 'lost_orders_by_stage'],
    ['duplicate_effects', 'Side effects applied more than once', 'zero', 'duplicate_effects_by_kind'],
    ['orders_with_duplicate_effects', 'Orders with a doubled effect', 'zero'],
    ['duplicate_order_rate', 'Share of orders with a doubled effect', 'zero', null, 'pct'],
    ['conservation_ok', 'Stock conserved at every (SKU, location)', 'true'],
    ['conservation_violations', 'Records where stock is not conserved', 'zero'],
    ['dead_letter_events', 'Dead-letter events', null, 'dead_letters'],
    ['redrives', 'Dead letters redriven'],
    ['dead_lettered_orders', 'Orders still dead-lettered at the end', 'zero'],
    ['deliveries_failed', 'Channel deliveries that failed for good', 'zero'],
    ['warehouse_events_lost', 'Warehouse events lost', 'zero'],
    ['shipments_not_in_erp', 'Shipments never recorded in the ERP', 'zero'],
    ['duplicates_dropped', 'Duplicate deliveries dropped at ingest'],
    ['short_picks', 'Short picks at warehouses'],
    ['inventory_changes', 'Inventory changes at warehouses'],
    ['inventory_changes_applied', '\u2026 applied by the pipeline'],
    ['inventory_changes_reflected', '\u2026 reflected on every channel'],
  ];
  function integrityTable(parent) {
    const ig = D.integrity;
    if (!ig) return;
    const rows = [], used = new Set(['dead_letters']);
    const value = (v, kind) => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : kind === 'pct' ? fmt.pct(v) : fmt.int(v));
    const status = (v, rule) => {
      if (rule === 'zero') return { v: badge(!(v > 0), '\u2713', '\u2717') };
      if (rule === 'true') return { v: badge(v !== false, '\u2713', '\u2717') };
      return '';
    };
    const addSub = (obj, parent) => Object.entries(obj || {}).forEach(([k, n]) =>
      rows.push(Object.assign([{ v: pretty(k), cls: 'sub' }, value(n), ''], { cls: n > 0 ? 'nonzero' : 'zero-row', foldName: `${parent}: ${pretty(k)}` })));
    for (const [key, label, rule, sub, kind] of INTEGRITY_ROWS) {
      if (!(key in ig)) continue;
      used.add(key);
      rows.push([label, value(ig[key], kind), status(ig[key], rule)]);
      if (sub) { used.add(sub); addSub(ig[sub], label); }
    }
    for (const [k, v] of Object.entries(ig)) {
      if (used.has(k)) continue;
      if (v && typeof v === 'object') {
        // A heading row for its parts, unless every part is zero (they are folded away).
        if (Object.values(v).some(n => n > 0)) rows.push([pretty(k), '', '']);
        addSub(v, pretty(k));
      } else rows.push([pretty(k), value(v), '']);
    }
    parent.appendChild(h('div', { class: 'table-block' }, h('h3', null, 'Integrity after the drain'), table(['Check', 'Value', ''], rows, 'integrity')));
  }

  function outagesTable(parent) {
    const out = Array.isArray(D.outages) ? D.outages : [];
    const block = parent.appendChild(h('div', { class: 'table-block' }, h('h3', null, 'Outages')));
    if (!out.length) { block.appendChild(h('p', { class: 'muted' }, 'No outages in this scenario.')); return; }
    block.appendChild(table(['System', 'Mode', 'From', 'To', 'Length', 'Recovered after'], out.map(o => [
      code(o.system ?? '?'), o.mode ?? DASH, fmt.dur(o.start_s), fmt.dur(o.end_s),
      isNum(o.end_s) && isNum(o.start_s) ? fmt.dur(o.end_s - o.start_s) : DASH,
      o.recover_s == null ? { v: 'n/a', cls: 'muted' } : fmt.dur(o.recover_s)]), null, 'llrrrr'));
    block.appendChild(h('p', { class: 'note' }, 'Recovered after: time after the outage ended until the affected backlog (the system\u2019s stations and the stage that calls it) was back to its pre-outage level and every flow\u2019s p90 back within its pre-outage p90 (outages.<i>.backlog, outages.<i>.latency_recovery).'));
  }

  // Each timeline window's own figures: what started inside it, and in the recovery period
  // of the same length after it.
  function windowsTable(parent) {
    const W = D.windows || {};
    const keys = Object.keys(W);
    if (!keys.length) return;
    const block = parent.appendChild(h('div', { class: 'table-block' }, h('h3', null, 'Inside each window, and after it')));
    const p99 = (p, f) => { const v = p && p.latency && p.latency[f]; return v && v.count > 0 ? fmt.dur(v.p99_s) : DASH; };
    const rows = [];
    for (const k of keys) for (const side of ['during', 'after']) {
      const p = W[k][side] || {};
      rows.push([side === 'during' ? code(k) : { v: '\u2003after', cls: 'muted' }, `${fmt.dur(p.start_s)}\u2013${fmt.dur(p.end_s)}`,
        p99(p, 'order_to_erp'), p99(p, 'order_to_ship'), p99(p, 'order_ack'),
        p.oversell ? fmt.pct(p.oversell.rate) : DASH, p.calls ? fmt.int(p.calls.erp_429) : DASH]);
    }
    block.appendChild(table(['Window (windows.<name>)', 'Started in', 'order_to_erp p99', 'order_to_ship p99', 'order_ack p99', 'Oversell', 'ERP 429s'],
      rows, null, 'llrrrrr', { fold: false }));
  }

  function timelineSection() {
    const s = section('timeline', 'Timeline',
      'The scenario\u2019s events, shaded in every chart over simulated time; instants are dashed lines. '
      + 'Drag across any of those charts to zoom them all; double-click one to show the whole run.');
    const rows = windows.map(w => {
      const end = isNum(w.end_s) ? w.end_s : w.start_s;
      return [h('span', null, h('span', { class: 'swatch', style: `background:${rgba(windowRgb(w), 0.45)}` }), ' ', w.kind),
        w.label || '', fmt.dur(w.start_s), end > w.start_s ? fmt.dur(end) : 'instant', end > w.start_s ? fmt.dur(end - w.start_s) : DASH];
    });
    if (duration > 0 && tEnd > duration)
      rows.push([h('span', null, h('span', { class: 'swatch', style: 'background:rgba(0,0,0,0.12)' }), ' drain'),
        'no new demand; until every queue is empty and every retry has settled', fmt.dur(duration), fmt.dur(tEnd), fmt.dur(tEnd - duration)]);
    if (rows.length) s.appendChild(table(['Kind', 'What', 'From', 'To', 'Length'], rows, 'timeline', 'llrrr'));
    else s.appendChild(h('p', { class: 'muted' }, 'The scenario has no timeline events.'));
    const bar = s.appendChild(h('div', { class: 'zoom' }, 'Charts show: '));
    const button = (text, min, max) => bar.appendChild(h('button', { type: 'button', onclick: () => setView(min, max) }, text));
    if (defaultView.max < tEnd) button(`the first ${fmt.dur(defaultView.max)} (opened on)`, 0, defaultView.max);
    button(`the whole run, 0\u2013${fmt.dur(tEnd)}`, 0, tEnd);
    if (duration > 0 && tEnd > duration * 1.05) {
      button(`the scenario, 0\u2013${fmt.dur(duration)}`, 0, duration);
      button(`the drain, ${fmt.dur(duration)}\u2013${fmt.dur(tEnd)}`, duration, tEnd);
    }
    windowsTable(s);
  }

  // ------------------------------------------------------------------ sections
  function latencySection() {
    const L = D.latency || {};
    const flows = Object.keys(L);
    const s = section('latency', 'Latency per flow',
      'Each point is the percentiles of the events that completed in a window of consecutive intervals holding at least 100 of them '
      + 'over at least 5 minutes (longer when the flow is quiet), drawn at the window\u2019s middle, so a slow event appears where it finished. '
      + 'p99 is drawn only from windows of 100 events or more, p90 from 10, p50 from 2 (the last window holds what is left). '
      + 'Latencies start when an event was scheduled (no coordinated omission). A gap means nothing completed.');
    s.appendChild(table(['Flow', 'Events', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean'], flows.map(f => {
      const v = L[f], none = !(v.count > 0);
      return [h('span', null, code(f), h('div', { class: 'flow-desc' }, flowTitle(f))), fmt.int(v.count),
        ...['p50_s', 'p90_s', 'p95_s', 'p99_s', 'p999_s', 'max_s', 'mean_s'].map(k => (none ? DASH : fmt.dur(v[k])))];
    }), 'latency'));
    // The blend hides who waits: p99 of each flow for each channel and each fulfilling location.
    for (const [by, what] of [['by_channel', 'channel'], ['by_location', 'location']]) {
      const keys = [...new Set(flows.flatMap(f => Object.keys(L[f][by] || {})))];
      if (!keys.length) continue;
      s.appendChild(h('h3', { class: 'group' }, `p99 by ${what} (latency.<flow>.${by}.<${what}>.p99)`));
      s.appendChild(table(['Flow', ...keys], flows.filter(f => L[f][by]).map(f => [code(f),
        ...keys.map(k => { const v = L[f][by][k]; return v && v.count > 0 ? fmt.dur(v.p99_s) : DASH; })]), `latency-${by}`, null, { fold: false }));
    }
    const g = grid(s);
    for (const f of flows) {
      if (f === 'inventory_to_channel') continue;  // charted with inventory accuracy
      if (!(L[f].count > 0)) { g.appendChild(h('p', { class: 'muted' }, `${f}: no events.`)); continue; }
      latencyChart(g, f, `${flowTitle(f)} (${f})`);
    }
    s.appendChild(h('h3', { class: 'group' }, 'Latency distributions over the whole run'));
    const g2 = grid(s);
    for (const f of flows) if (L[f].count > 0 && (L[f].distribution || []).length) distributionChart(g2, f, `${f}: ${fmt.int(L[f].count)} events`);
  }

  function oversellSection() {
    const o = D.oversell;
    if (!o) return;
    const s = section('oversell', 'Oversell',
      'An accepted order line is oversold when no location has physical stock for it; it ends cancelled or backordered.');
    const g = grid(s);
    const t = col(o.series, 't_s'), units = col(o.series, 'cumulative_units');
    const data = t[0] === 0 ? [t.slice(), units.slice()] : [[0, ...t], [0, ...units]];
    if (data[0][data[0].length - 1] < tEnd) { data[0].push(tEnd); data[1].push(units.length ? units[units.length - 1] : 0); }
    chart(g, {
      kind: 'time', title: `Cumulative oversold units: ${fmt.int(o.oversold_units)} (${fmt.pct(o.rate)} of accepted units)`,
      xTitle: TU.title, yTitle: 'Oversold units (cumulative)',
      scales: { x: { time: false }, y: { range: linearFrom0 } },
      axes: [timeAxis(), valueAxis('y', 3, v => fmt.int(v))],
      series: [timeX, line('oversold units', C.red, { width: 2, fill: rgba(hexRgb(C.red), 0.07), value: (u, v) => fmt.int(v),
        paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } })],
      data,
      note: units.length ? null : 'Nothing was oversold.',
    });
    const tables = h('div', { class: 'table-block' });
    const ch = o.by_channel || {};
    const rows = Object.entries(ch).map(([name, c]) => [code(name), fmt.int(c.accepted_units), fmt.int(c.oversold_units),
      { v: fmt.pct(c.rate), cls: c.rate > 0.01 ? 'warn' : null }, fmt.pct(c.order_rate), fmt.int(c.refused_at_channel)]);
    rows.push(Object.assign([h('b', null, 'all'), fmt.int(o.accepted_units), fmt.int(o.oversold_units), h('b', null, fmt.pct(o.rate)),
      fmt.pct(o.order_rate), fmt.int((o.refused_at_channel || {}).no_availability)], { cls: 'total' }));
    tables.appendChild(h('h3', null, 'By channel'));
    tables.appendChild(table(['Channel', 'Accepted units', 'Oversold units', 'Oversell (units)', 'Orders with an oversold line', 'Refused at channel (no stock)'], rows));
    const cls = o.by_sku_class || {};
    tables.appendChild(h('h3', null, 'By SKU class'));
    tables.appendChild(table(['Class', 'Accepted units', 'Oversold units', 'Oversell (units)'],
      Object.entries(cls).map(([k, c]) => [k, fmt.int(c.accepted_units), fmt.int(c.oversold_units), fmt.pct(c.rate)])));
    if (o.sku_classes) tables.appendChild(h('p', { class: 'note' }, o.sku_classes));
    const ref = o.refused_at_channel || {};
    if (Object.keys(ref).length)
      tables.appendChild(h('p', { class: 'note' }, 'Orders refused at channels: ' + Object.entries(ref).map(([k, v]) => `${pretty(k)} ${fmt.int(v)}`).join(', ') + '.'));
    g.appendChild(tables);
  }

  function inventorySection() {
    const rc = D.reconciliation;
    const s = section('inventory', 'Inventory accuracy',
      'Stock variance: \u03a3|ERP \u2212 warehouse| / \u03a3 warehouse on-hand over every (SKU, location). Channel-view variance: '
      + '\u03a3|channel view \u2212 true availability| / \u03a3 true availability. Lines are sampled every interval; dots are the reconciliation runs (before any correction).');
    const g = grid(s);
    if (rc) {
      const smp = rc.sampled || {}, runs = rc.series || {};
      const pct = (u, v) => (v == null ? DASH : fmt.pct(v / 100));
      const runDots = (label, stroke) => line(label, stroke, { paths: () => null, points: { show: true, size: 7, fill: stroke, stroke }, value: pct });
      const joined = (sampledKeys, runKey) => uPlot.join([
        [col(smp, 't_s'), ...sampledKeys.map(k => scaled(col(smp, k), 100))],
        [col(runs, 't_s'), scaled(col(runs, runKey), 100)]]);
      chart(g, {
        kind: 'time', title: `Stock records, ERP vs warehouses: peak ${fmt.pct(rc.peak_variance)}, settled ${fmt.pct(rc.settled_variance)}`,
        xTitle: TU.title, yTitle: 'Variance (%)',
        scales: { x: { time: false }, y: { range: linearFrom0 } },
        axes: [timeAxis(), valueAxis('y', 3, v => fmt.pct(v / 100))],
        series: [timeX, line('stock variance (% of units)', C.purple, { value: pct, width: 2 }),
          line('records mismatched (% of records)', C.brown, { value: pct, dash: [5, 3] }),
          runDots('at reconciliation runs', C.pink)],
        data: framed(joined(['variance', 'record_mismatch_rate'], 'variance')),
      });
      chart(g, {
        kind: 'time', title: `Channel-view variance: peak ${fmt.pct(rc.peak_channel_view_variance)}, settled ${fmt.pct(rc.settled_channel_view_variance)}`,
        xTitle: TU.title, yTitle: 'Variance (% of availability)',
        scales: { x: { time: false }, y: { range: linearFrom0 } },
        axes: [timeAxis(), valueAxis('y', 3, v => fmt.pct(v / 100))],
        series: [timeX, line('channel-view variance', C.teal, { value: pct, width: 2 }), runDots('at reconciliation runs', C.pink)],
        data: framed(joined(['channel_view_variance'], 'channel_view_variance')),
      });
    }
    if (D.latency && D.latency.inventory_to_channel && D.latency.inventory_to_channel.count > 0)
      latencyChart(g, 'inventory_to_channel', 'Channel-view staleness: stock change \u2192 visible on every channel (inventory_to_channel)',
        'Each point: changes that became visible everywhere in a window of at least 100 of them (see Latency). Batch-fed channels publish on their interval, so points cluster there.');
    if (rc) {
      const block = g.appendChild(h('div', { class: 'table-block' }, h('h3', null, 'Reconciliation')));
      block.appendChild(table(['', 'Value'], [
        ['Stock variance, peak', fmt.pct(rc.peak_variance)], ['Stock variance, settled after the drain', fmt.pct(rc.settled_variance)],
        ['Records mismatched, peak', fmt.pct(rc.peak_record_mismatch_rate)], ['Records mismatched, settled', fmt.pct(rc.record_mismatch_rate)],
        ['Channel-view variance, peak', fmt.pct(rc.peak_channel_view_variance)], ['Channel-view variance, settled', fmt.pct(rc.settled_channel_view_variance)],
        ['Reconciliation runs', fmt.int(rc.checkpoints)], ['Corrections made', fmt.int(rc.corrections)], ['Units corrected', fmt.int(rc.corrected_units)],
      ]));
      if (Array.isArray(rc.findings) && rc.findings.length)
        block.appendChild(h('div', { class: 'reasons' }, h('b', null, 'Why the settled variance is not 0'), h('ul', null, rc.findings.map(f => h('li', null, f)))));
    }
  }

  function retriesSection() {
    const r = D.retries;
    if (!r) return;
    const s = section('retries', 'ERP quota, 429s and retries',
      `Requests refused by the ERP's quota (HTTP 429) and retries by the pipeline's connectors, per ${fmt.dur(dt)} interval.`);
    const g = grid(s);
    const per = dt === 60 ? 'per minute' : `per ${fmt.dur(dt)}`;
    const data = framed(zeroFilled(col(r.series, 't_s'), [col(r.series, 'erp_429'), col(r.series, 'retries')]), 0);
    chart(g, {
      kind: 'time', title: `ERP 429s and retries: ${fmt.int(r.erp_429)} 429s, ${fmt.int(r.total)} retries`,
      xTitle: TU.title, yTitle: `Requests (${per})`,
      scales: { x: { time: false }, y: { range: linearFrom0 } },
      axes: [timeAxis(), valueAxis('y', 3, v => fmt.int(v))],
      series: [timeX, line('ERP 429s', C.orange, { value: (u, v) => fmt.int(v), width: 2 }),
        line('retries (all systems)', C.blue, { value: (u, v) => fmt.int(v), dash: [5, 3] })],
      data,
    });
    const rows = [];
    for (const [sys, reasons] of Object.entries(r.by_system || {}))
      for (const [reason, n] of Object.entries(reasons || {})) rows.push([code(sys), reason, fmt.int(n)]);
    rows.push(Object.assign([h('b', null, 'all'), '', h('b', null, fmt.int(r.total))], { cls: 'total' }));
    g.appendChild(h('div', { class: 'table-block' }, h('h3', null, 'Retries by system and reason'),
      table(['System', 'Reason', 'Retries'], rows, null, 'llr'), h('p', { class: 'note' }, `ERP 429 responses: ${fmt.int(r.erp_429)}.`)));
  }

  // Jobs finished per second between one sample and the previous. During the drain samples
  // thin out; a series whose rates were taken over the base interval instead of the actual
  // gap (its rates times the base interval add up to the stage's departures) is rescaled so
  // the drain is not overstated.
  function stageThroughput(v) {
    const t = col(v.series, 't_s'), thr = col(v.series, 'throughput_per_s');
    const gap = i => t[i] - (i ? t[i - 1] : 0);
    let perBase = 0, perGap = 0;
    thr.forEach((r, i) => { if (isNum(r)) { perBase += r * dt; perGap += r * gap(i); } });
    const dep = v.departures;
    if (!isNum(dep) || Math.abs(perBase - dep) >= Math.abs(perGap - dep)) return thr;
    return thr.map((r, i) => (isNum(r) && gap(i) > 0 ? (r * dt) / gap(i) : r));
  }

  function stagesSection() {
    const st = D.stages || {};
    const names = Object.keys(st);
    if (!names.length) return;
    // A 3PL's one station is its dock-to-ship: the orders it holds between receiving them (the
    // 940) and shipping them, waiting mostly for waves and cut-offs rather than for labour;
    // its "workers" are how many orders it holds at once.
    const dock = v => v.system === '3pl';
    const anyDock = names.some(n => dock(st[n]));
    const s = section('stages', 'Stages: throughput and queues',
      'Every pipeline stage, the ERP and each warehouse station is a pool of workers with a bounded queue. '
      + 'Throughput is jobs finished per second over the interval; waiting is the peak queue in the interval. '
      + 'The table covers the demand period (the drain is apart in report.json\u2019s stages.<stage>.drain).'
      + (anyDock ? ' A 3PL is shown as its dock-to-ship wait: orders held from the 940 until shipment, waiting for waves and '
        + 'cut-offs rather than for labour; its workers are how many orders it holds at once, so its utilisation is not a measure of labour.' : ''));
    s.appendChild(table(['Stage', 'Workers', 'Jobs done', 'Refused', 'Throughput', 'Utilisation', 'Blocked', 'Mean queue', 'Peak queue', 'Held outside', 'Mean wait', 'L', '\u03bb\u00b7W'],
      names.map(n => {
        const v = st[n], l = v.little || {};
        const name = dock(v) ? h('span', null, code(n), h('div', { class: 'flow-desc' }, '3PL dock-to-ship (orders held, not labour)')) : code(n);
        return [name, dock(v) ? `${fmt.int(v.servers)} orders` : fmt.int(v.servers), fmt.int(v.departures), { v: fmt.int(v.refused), cls: v.refused > 0 ? 'warn' : null },
          fmt.rate(v.throughput_per_s), fmt.pct(v.utilization), { v: fmt.num(v.mean_blocked), cls: v.mean_blocked > 0 ? 'warn' : null },
          fmt.num(v.mean_queue), fmt.int(v.peak_queue), { v: fmt.int(v.peak_held_upstream), cls: v.peak_held_upstream > 0 ? 'warn' : null },
          fmt.dur(v.mean_wait_s),
          fmt.num(l.L), l.applies === false ? { v: `n/a: ${fmt.int(v.in_system_at_end)} jobs never left`, cls: 'warn' } : fmt.num(l.lambda_W)];
      }), 'stages', null, { ignore: [1] }));
    s.appendChild(h('p', { class: 'note' }, 'Blocked = mean workers that finished a job and were held waiting for room in a full queue downstream (they count in utilisation); held outside = peak jobs that waited outside this stage\u2019s full queue (pipeline.backpressure).'));
    s.appendChild(h('p', { class: 'note' }, 'L = mean jobs in the stage; \u03bb\u00b7W = arrival rate \u00d7 mean time in the stage (Little\u2019s law: they agree when the stage ends empty; n/a when it still held jobs at the end).'));
    const g = grid(s);
    for (const n of names) {
      const v = st[n], se = v.series || {};
      const data = framed([col(se, 't_s'), stageThroughput(v), col(se, 'peak_queue'), col(se, 'busy')].map(a => a.slice()));
      const isDock = dock(v);
      const workers = !isNum(v.servers) ? '' : isDock ? ` \u00b7 3PL dock-to-ship, up to ${fmt.int(v.servers)} orders at once`
        : ` \u00b7 ${fmt.int(v.servers)} workers`;
      chart(g, {
        kind: 'time', title: `${n}${workers}`, height: 190,
        xTitle: TU.title, yTitle: isDock ? 'Shipped (orders/s)' : 'Throughput (jobs/s)',
        y2Title: isDock ? 'Orders (waiting, at the dock)' : 'Jobs (waiting, in service)',
        scales: { x: { time: false }, y: { range: linearFrom0 }, jobs: { range: linearFrom0 } },
        axes: [timeAxis(), valueAxis('y', 3, v => sig(v, 3)), valueAxis('jobs', 1, v => fmt.int(v))],
        series: [timeX, line('throughput', C.blue, { value: (u, x) => fmt.rate(x), width: 1.5 }),
          line('waiting (peak)', C.orange, { scale: 'jobs', fill: rgba(hexRgb(C.orange), 0.15), value: (u, x) => fmt.int(x) }),
          line(isDock ? 'at the dock (waves, cut-offs)' : 'in service', C.green, { scale: 'jobs', value: (u, x) => fmt.int(x), dash: [5, 3] })],
        data,
        note: isDock ? 'Orders between the 940 and shipment: a wait for waves and cut-offs, not work in progress.' : null,
      });
    }
  }

  // ------------------------------------------------------------------ build
  function build() {
    header();
    kpis();
    nav();
    const s = section('integrity', 'Integrity and outages');
    const row = s.appendChild(h('div', { class: 'two-col' }));
    integrityTable(row);
    outagesTable(row);
    timelineSection();
    latencySection();
    oversellSection();
    inventorySection();
    retriesSection();
    stagesSection();
    const madeBy = scen.estate_version ? ' ' + scen.estate_version + (scen.estate_commit ? ' (commit ' + scen.estate_commit + ')' : '') : '';
    root.appendChild(h('footer', null, 'Rendered from report.json by estate' + madeBy + '; charts drawn with uPlot. The page fetches nothing: it opens offline.'));
    // uPlot draws in a microtask; by the next task every chart has been drawn once.
    setTimeout(() => { document.body.dataset.state = 'drawn'; }, 0);
  }

  try {
    build();
  } catch (e) {
    document.body.dataset.state = 'failed';
    root.appendChild(h('pre', { class: 'error' }, 'The report page failed to build: ' + String(e)));
  }
})();
