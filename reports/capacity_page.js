/* capacity.html: builds the capacity report from sweep.json's content (#estate-data), drawing
 * with uPlot (inlined before this script). The answer on top, then the thresholds, the curves
 * against load (throughput, latency with its knee and threshold lines, utilisation per
 * resource), the pass/fail map of a two-axis sweep, the Universal Scalability fits, and every
 * point linked to its own report. When built, the body carries data-state="drawn" (or
 * "failed"), for tests/html. */
(function () {
  'use strict';
  const S = JSON.parse(document.getElementById('estate-data').textContent);
  const root = document.getElementById('report');
  const isNum = v => typeof v === 'number' && isFinite(v);
  const DASH = '\u2013';
  function sig(x, d) {
    if (!isNum(x)) return DASH;
    if (x === 0) return '0';
    const a = Math.abs(x);
    if (a >= 10 ** d) return String(Math.round(x));
    let s = x.toFixed(Math.min(12, Math.max(0, d - 1 - Math.floor(Math.log10(a)))));
    if (s.indexOf('.') >= 0) s = s.replace(/0+$/, '').replace(/\.$/, '');
    return s;
  }
  function dur(s) {
    if (!isNum(s)) return DASH;
    if (s <= 0) return '0s';
    if (s < 1) return Math.round(s * 1e3) + 'ms';
    if (s < 59.95) return sig(Number(s.toFixed(1)), 3) + 's';
    if (s < 3599.5) { const t = Math.round(s), m = Math.floor(t / 60), r = t % 60; return m + 'm' + (r ? String(r).padStart(2, '0') + 's' : ''); }
    const t = Math.round(s / 60), hh = Math.floor(t / 60), m = t % 60;
    return hh + 'h' + (m ? String(m).padStart(2, '0') + 'm' : '');
  }
  const pct = f => (isNum(f) ? sig(f * 100, 3) + '%' : DASH);
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) if (kid != null && kid !== false) el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    return el;
  }
  const code = s => h('code', null, s);
  function section(id, title, intro) {
    const s = h('section', { id }, h('h2', null, title), intro ? h('p', { class: 'intro' }, intro) : null);
    root.appendChild(s);
    return s;
  }
  function table(headers, rows, align) {
    const right = i => (align ? align[i] === 'r' : i > 0);
    return h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, headers.map((t, i) => h('th', { class: right(i) ? 'n' : null }, t)))),
      h('tbody', null, rows.map(r => h('tr', null, r.map((c, i) => h('td', { class: right(i) ? 'n' : null }, c)))))));
  }
  const pointLink = p => h('a', { href: p.report }, p.id);
  const badge = p => h('span', { class: 'badge ' + (p.passed ? 'ok' : 'bad') }, p.passed ? 'pass' : p.integrity_ok === false ? 'INTEGRITY' : 'fail');

  const axes = S.axes || [], points = S.points || [], an = S.analysis || {};
  const byId = Object.fromEntries(points.map(p => [p.id, p]));
  const thresholds = S.thresholds || [];
  const mainFlow = (thresholds.find(t => /^latency\./.test(t.metric)) || { metric: 'latency.order_to_erp.p99' }).metric.split('.')[1];
  const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7d8c', '#57606a', '#fb8500', '#3d5a80'];

  // A chart of y against the swept value: series = [{label, ys, color, dash}], marks = [{x, label}] (vertical), hlines = [{y, label}].
  function chart(parent, spec) {
    const fig = parent.appendChild(h('figure', { class: 'chart', 'data-kind': 'sweep' }, h('h3', null, spec.title)));
    const plot = fig.appendChild(h('div', { class: 'chart-body' }, h('div', { class: 'ytitle' }, spec.yTitle), h('div', { class: 'plot' }))).lastChild;
    fig.appendChild(h('div', { class: 'xtitle' }, spec.xTitle));
    const legend = fig.appendChild(h('div', { class: 'legend' }));
    if (spec.note) fig.appendChild(h('figcaption', null, spec.note));
    const fmtY = spec.fmt || (v => sig(v, 3));
    const opts = {
      width: Math.max(280, plot.clientWidth || 560), height: 240,
      legend: { mount: (u, el) => legend.appendChild(el) },
      scales: { x: { time: false }, y: spec.yLog ? { distr: 3 } : { range: (u, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.08 : 1] } },
      axes: [{ values: (u, vs) => vs.map(v => sig(v, 3)) }, { values: (u, vs) => vs.map(fmtY), size: 60 }],
      series: [{ label: spec.xTitle, value: (u, v) => sig(v, 4) }].concat(spec.series.map((s, i) => ({
        label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: 1.5, dash: s.dash,
        points: { size: 6, fill: s.color || COLORS[i % COLORS.length] }, value: (u, v) => (v == null ? DASH : fmtY(v)),
      }))),
      hooks: { draw: [u => {
        const c = u.ctx;
        c.save();
        c.font = '11px sans-serif';
        for (const m of spec.marks || []) {
          const x = u.valToPos(m.x, 'x', true);
          c.strokeStyle = '#9a6700'; c.setLineDash([4, 3]); c.beginPath(); c.moveTo(x, u.bbox.top); c.lineTo(x, u.bbox.top + u.bbox.height); c.stroke();
          c.fillStyle = '#9a6700'; c.fillText(m.label, x + 4, u.bbox.top + 12);
        }
        for (const l of spec.hlines || []) {
          const y = u.valToPos(l.y, 'y', true);
          if (!isFinite(y) || y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
          c.strokeStyle = '#d1242f'; c.setLineDash([6, 4]); c.beginPath(); c.moveTo(u.bbox.left, y); c.lineTo(u.bbox.left + u.bbox.width, y); c.stroke();
          c.fillStyle = '#d1242f'; c.fillText(l.label, u.bbox.left + 4, y - 4);
        }
        c.restore();
      }] },
    };
    new uPlot(opts, [spec.xs].concat(spec.series.map(s => s.ys)), plot);
  }

  function header() {
    root.appendChild(h('header', null,
      h('h1', null, (S.scenario || {}).name || 'sweep', h('span', { class: 'sub' }, ' \u2014 estate capacity')),
      h('p', { class: 'meta' },
        h('span', null, 'axes ', axes.map(a => code(a.path))),
        h('span', null, h('b', null, String(points.length)), ' points \u00d7 ', h('b', null, String((S.seeds || []).length)), ' seeds (common random numbers)'),
        h('span', null, 'scenario ', code((S.scenario || {}).file || '')),
        h('span', null, 'estate ', S.estate_version || ''),
        h('span', null, 'sweep ', code(S.sweep_id || '')))));
    const ok = points.every(p => p.integrity_ok !== false);
    const box = root.appendChild(h('div', { class: 'verdict ' + (ok ? 'ok' : 'bad'), id: 'answer' }, h('div', { class: 'verdict-head' }, h('b', null, 'Answer'))));
    const items = (an.recommendations || []).map(r => r + '.');
    for (const c of an.curves || []) {
      const b = c.bottleneck;
      const where = Object.keys(c.fixed || {}).length ? ' (' + Object.entries(c.fixed).map(([k, v]) => k + '=' + v).join(', ') + ')' : '';
      let s = 'Along ' + c.axis + where + ': bottleneck ' + (b ? b.resource + ' (' + pct(b.peak_utilization) + ' at peak' + (b.window ? ', ' + b.window + ' window' : '') + ')' + (b.saturated ? ', saturated first at ' + b.at : ', not saturated in the range') : 'none measured');
      if (c.saturation) s += '; throughput stops tracking offered load at ' + c.saturation.at;
      const k = (c.knees || {})[mainFlow];
      if (k) s += '; ' + mainFlow + ' p99 knee at ' + k.at + ' (' + dur(k.p99_s) + ')';
      items.push(s + '.');
    }
    box.appendChild(h('ul', null, items.map(t => h('li', null, t))));
    if (!ok) box.appendChild(h('p', { class: 'bad-text' }, 'Some points failed integrity: they are marked, not dropped.'));
    const s = section('thresholds', 'Thresholds', 'Every point is judged on these (pooled over its seeds).');
    s.appendChild(thresholds.length ? h('ul', null, thresholds.map(t => h('li', null, code(t.text)))) : h('p', { class: 'muted' }, 'None set: a point fails only on integrity.'));
  }

  function limitLines(flowMetricRe) {
    return thresholds.filter(t => flowMetricRe.test(t.metric) && isNum(t.limit)).map(t => ({ y: t.limit, label: t.text }));
  }

  function curves() {
    const cs = an.curves || [];
    if (!cs.length) return;
    const s = section('curves', 'Against load', 'Each line holds the other axes fixed. Throughput is orders recorded in the ERP during the demand period; the knee is Kneedle on p99; utilisation is each resource\u2019s busiest of the demand period and its timeline windows.');
    for (const c of cs) {
      const ps = c.points.map(id => byId[id]);
      const xs = ps.map(p => p.numbers[c.axis]);
      const where = Object.entries(c.fixed || {}).map(([k, v]) => k + '=' + v).join(', ');
      const grid = s.appendChild(h('div', { class: 'charts' }));
      if (where) grid.before(h('h3', null, where));
      chart(grid, { title: 'Throughput against offered load', xTitle: c.axis, yTitle: 'orders/s', xs,
        series: [{ label: 'offered', ys: ps.map(p => p.offered_per_s), color: '#57606a', dash: [5, 4] }, { label: 'throughput', ys: ps.map(p => p.throughput_per_s) }],
        marks: c.saturation ? [{ x: byId[c.saturation.point].numbers[c.axis], label: 'saturation' }] : [] });
      const k = (c.knees || {})[mainFlow];
      chart(grid, { title: mainFlow + ' latency against load', xTitle: c.axis, yTitle: 'seconds', xs, fmt: dur,
        series: ['p50_s', 'p90_s', 'p99_s'].map(q => ({ label: q.replace('_s', ''), ys: ps.map(p => (p.latency[mainFlow] || {})[q]) })),
        marks: k ? [{ x: byId[k.point].numbers[c.axis], label: 'knee' }] : [], hlines: limitLines(new RegExp('^latency\\.' + mainFlow + '\\.')) });
      const names = Object.keys(ps[0].resources || {}).filter(n => ps.some(p => (p.resources[n] || {}).peak_utilization > 0.05));
      chart(grid, { title: 'Utilisation per resource (busiest window)', xTitle: c.axis, yTitle: 'utilisation', xs, fmt: pct,
        series: names.map(n => ({ label: n, ys: ps.map(p => (p.resources[n] || {}).peak_utilization) })),
        hlines: [{ y: 0.9, label: 'saturation 90%' }] });
      const ov = ps.map(p => p.oversell_rate);
      if (ov.some(v => v > 0))
        chart(grid, { title: 'Oversell against load', xTitle: c.axis, yTitle: 'oversell', xs, fmt: pct, series: [{ label: 'oversell rate', ys: ov }], hlines: limitLines(/^oversell\./) });
    }
  }

  function settingCharts() {
    // Oversell and latency against a non-load axis, when there is one and no load axis.
    if (an.load_axis || !axes.length) return;
    const a = axes[0];
    if (a.role !== 'resource' && a.role !== 'load') return;
    const s = section('knob', 'Against ' + a.path, 'Latency and oversell as ' + a.path + ' moves (the other axes at their first value).');
    const ps = points.filter(p => p.coords.slice(1).every(c => c === 0));
    const grid = s.appendChild(h('div', { class: 'charts' }));
    const xs = ps.map(p => p.numbers[a.path]);
    chart(grid, { title: mainFlow + ' latency', xTitle: a.path, yTitle: 'seconds', xs, fmt: dur,
      series: ['p50_s', 'p90_s', 'p99_s'].map(q => ({ label: q.replace('_s', ''), ys: ps.map(p => (p.latency[mainFlow] || {})[q]) })),
      hlines: limitLines(new RegExp('^latency\\.' + mainFlow + '\\.')) });
    chart(grid, { title: 'Oversell', xTitle: a.path, yTitle: 'oversell', xs, fmt: pct, series: [{ label: 'oversell rate', ys: ps.map(p => p.oversell_rate) }], hlines: limitLines(/^oversell\./) });
  }

  function passMap() {
    if (axes.length !== 2) return;
    const [a0, a1] = axes;
    const s = section('map', 'Pass/fail map', 'Rows ' + a0.path + ', columns ' + a1.path + '. Each cell links to its point\u2019s report.');
    const cols = a1.values.length;
    s.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'passmap' },
      h('thead', null, h('tr', null, h('th', null, a0.path + ' \\ ' + a1.path), a1.values.map(v => h('th', { class: 'n' }, v)))),
      h('tbody', null, a0.values.map((v, r) => h('tr', null, h('th', null, v), a1.values.map((_, c) => {
        const p = points[r * cols + c];
        return h('td', { class: 'cell ' + (p.passed ? 'ok' : 'bad'), title: (p.failed || []).join('\n') }, h('a', { href: p.report }, p.passed ? 'pass' : p.integrity_ok === false ? 'integrity' : 'fail'));
      })))))));
  }

  function usl() {
    const fits = (an.usl || []).filter(u => u.model);
    if (!(an.usl || []).length) return;
    const s = section('usl', 'Universal Scalability Law', 'Throughput X against each resource axis, X(N) = \u03bbN / (1 + \u03c3(N\u22121) + \u03baN(N\u22121)): \u03c3 is contention, \u03ba coherency; the fitted curve beside the measured points.');
    s.appendChild(table(['axis', 'at', 'model', '\u03bb', '\u03c3', '\u03ba', 'R\u00b2', 'RMSE', 'predicted peak'], (an.usl || []).map(u => [code(u.axis),
      Object.entries(u.fixed || {}).map(([k, v]) => k + '=' + v).join(', ') || DASH, u.model || ('no fit: ' + u.why),
      sig(u.lambda, 4), sig(u.sigma, 4), sig(u.kappa, 4), sig(u.r2, 4), sig(u.rmse_per_s, 4),
      u.model ? (u.peak_at == null ? 'none (\u03ba = 0)' : 'at ' + sig(u.peak_at, 4) + ', ' + sig(u.peak_throughput_per_s, 4) + '/s') : DASH]), 'llllrrrrl'));
    const grid = s.appendChild(h('div', { class: 'charts' }));
    for (const u of fits.slice(0, 6)) {
      const ps = points.filter(p => Object.entries(u.fixed || {}).every(([k, v]) => p.values[k] === v)).sort((a, b) => a.numbers[u.axis] - b.numbers[u.axis]);
      chart(grid, { title: 'Throughput against ' + u.axis + (Object.keys(u.fixed || {}).length ? ' (' + Object.entries(u.fixed).map(([k, v]) => k + '=' + v).join(', ') + ')' : ''),
        xTitle: u.axis, yTitle: 'orders/s', xs: ps.map(p => p.numbers[u.axis]),
        series: [{ label: 'measured', ys: ps.map(p => p.throughput_per_s) }, { label: 'USL fit', ys: u.predicted_per_s, color: '#9a6700', dash: [5, 4] }] });
    }
  }

  function pointsTable() {
    const s = section('points', 'Points', 'Each point pooled over its seeds; its report holds everything else.');
    s.appendChild(table(['point'].concat(axes.map(a => a.path), ['offered', 'throughput', mainFlow + ' p99', 'oversell', 'busiest resource', 'verdict']),
      points.map(p => {
        let best = null;
        for (const [n, r] of Object.entries(p.resources || {})) if (!best || r.peak_utilization > best[1]) best = [n, r.peak_utilization];
        return [pointLink(p)].concat(axes.map(a => p.values[a.path]), [sig(p.offered_per_s, 4) + '/s', sig(p.throughput_per_s, 4) + '/s',
          dur((p.latency[mainFlow] || {}).p99_s), pct(p.oversell_rate), best ? best[0] + ' ' + pct(best[1]) : DASH, badge(p)]);
      }), 'l' + axes.map(() => 'l').join('') + 'rrrrll'));
  }

  try {
    header();
    curves();
    settingCharts();
    passMap();
    usl();
    pointsTable();
    root.appendChild(h('footer', null, 'Rendered from sweep.json by estate; charts drawn with uPlot. The page fetches nothing: it opens offline.'));
    setTimeout(() => { document.body.dataset.state = 'drawn'; }, 0);
  } catch (e) {
    document.body.dataset.state = 'failed';
    root.appendChild(h('pre', { class: 'error' }, 'The capacity page failed to build: ' + String(e)));
  }
})();
