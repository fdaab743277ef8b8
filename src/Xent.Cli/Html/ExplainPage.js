'use strict';
// The page of `xent explain --html`. Xent's engine computed the numbers in the JSON block #xent-data at the
// walkthrough's values; this script recomputes everything in double precision from the same parameters, checks on
// load that it reproduces the embedded numbers, and redraws the four sections as the learner moves the sliders.
// Nothing here fetches anything: the charts are SVG markup built as strings, and the page's policy forbids requests.
(function () {
  const D = JSON.parse(document.getElementById('xent-data').textContent);
  const f32 = Math.fround;
  const NAME = D.parameter;
  const SPECIES = D.species;
  const HIDDEN = D.hiddenNames;
  const ORDER = D.parameters.map(p => p.name);
  // The engine keeps parameters and inputs in float32; rounding them the same way makes the page's inputs identical.
  const WALK = Object.fromEntries(D.parameters.map(p => [p.name, f32(p.value)]));
  const SAMPLES = D.samples.map(s => ({ x: [f32(s.petalWidth), f32(s.sepalWidth)], y: s.species }));
  const INPUT_NAMES = ['petal width', 'sepal width'];

  // The two Dense layers: weights [outputs][inputs], as WorkedExample lays them out.
  const HIDDEN_W = [['w1', 'w2'], ['w3', 'w4']];
  const HIDDEN_B = ['b1', 'b2'];
  const OUTPUT_W = [['w5', 'w6'], ['w7', 'w8'], ['w9', 'w10']];
  const OUTPUT_B = ['b3', 'b4', 'b5'];
  const LOCATION = {};
  HIDDEN_W.forEach((row, j) => row.forEach((n, i) => { LOCATION[n] = { layer: 0, bias: false, row: j, column: i }; }));
  HIDDEN_B.forEach((n, j) => { LOCATION[n] = { layer: 0, bias: true, row: j, column: 0 }; });
  OUTPUT_W.forEach((row, k) => row.forEach((n, j) => { LOCATION[n] = { layer: 1, bias: false, row: k, column: j }; }));
  OUTPUT_B.forEach((n, k) => { LOCATION[n] = { layer: 1, bias: true, row: k, column: 0 }; });

  // ---------------------------------------------------------------------------------------------------------------
  // The mathematics, in double precision.

  // One sample through the network: z = W·x + b, h = ReLU(z), raw = V·h + c, p = softmax(raw), ce = −ln p(observed).
  function forward(P, s) {
    const x = SAMPLES[s].x, y = SAMPLES[s].y;
    const z = HIDDEN_W.map((row, j) => P[row[0]] * x[0] + P[row[1]] * x[1] + P[HIDDEN_B[j]]);
    const h = z.map(v => Math.max(0, v));
    const raw = OUTPUT_W.map((row, k) => P[row[0]] * h[0] + P[row[1]] * h[1] + P[OUTPUT_B[k]]);
    // Subtract the largest raw output before exp so that exp cannot overflow; −ln p = log Σ e^raw − raw(observed).
    const max = Math.max(...raw);
    const e = raw.map(r => Math.exp(r - max));
    const sum = e[0] + e[1] + e[2];
    const p = e.map(v => v / sum);
    return { x, y, z, h, raw, exp: raw.map(r => Math.exp(r)), p, ce: max + Math.log(sum) - raw[y] };
  }

  function totalCrossEntropy(P, samples = [0, 1, 2]) {
    let total = 0;
    for (const s of samples) total += forward(P, s).ce;
    return total;
  }

  // Backpropagation, layer by layer as Xent's Network.Backward does it: the fused softmax-cross-entropy gradient
  // p − onehot at the raw outputs, then Vᵀ·that through the output layer, ReLU′ and the hidden layer.
  function backpropagate(P, samples = [0, 1, 2]) {
    const g = Object.fromEntries(ORDER.map(n => [n, 0]));
    for (const s of samples) {
      const f = forward(P, s);
      const dRaw = f.p.map((v, k) => v - (k === f.y ? 1 : 0));
      const dHidden = [0, 0];
      for (let k = 0; k < 3; k++) {
        for (let j = 0; j < 2; j++) {
          g[OUTPUT_W[k][j]] += dRaw[k] * f.h[j];
          dHidden[j] += dRaw[k] * P[OUTPUT_W[k][j]];
        }
        g[OUTPUT_B[k]] += dRaw[k];
      }
      for (let j = 0; j < 2; j++) {
        const dz = f.z[j] > 0 ? dHidden[j] : 0;
        for (let i = 0; i < 2; i++) g[HIDDEN_W[j][i]] += dz * f.x[i];
        g[HIDDEN_B[j]] += dz;
      }
    }
    return g;
  }

  // Central difference (CE(θ + h) − CE(θ − h)) / 2h, as the engine's NumericDerivative (h = 1e-5, double precision).
  function numericDerivative(P, name, samples = [0, 1, 2], h = 1e-5) {
    const v = P[name];
    return (totalCrossEntropy({ ...P, [name]: v + h }, samples) - totalCrossEntropy({ ...P, [name]: v - h }, samples)) / (2 * h);
  }

  // The chain rule for one parameter and one sample, factor by factor, named exactly as Xent's ChainRule names them.
  function chainRule(P, name, s) {
    const l = LOCATION[name];
    const f = forward(P, s);
    const observed = f.y, p = f.p[observed], species = SPECIES[observed];
    const dCeDp = -1 / p;
    // ∂p_observed/∂raw_k for the softmax: p·(1 − p) when k is the observed class, −p·p_k otherwise.
    const dpDraw = k => p * ((k === observed ? 1 : 0) - f.p[k]);
    const factors = [{ name: `∂CE/∂p(${species}) = −1/p`, value: dCeDp }];
    let formula, product, closedForm = null, closedFormText = null;
    if (l.layer === 1) {
      const k = l.row, raw = SPECIES[k];
      const dRawDParam = l.bias ? 1 : f.h[l.column];
      factors.push({ name: `∂p(${species})/∂raw(${raw}) = ${k === observed ? 'p·(1 − p)' : `−p·p(${raw})`}`, value: dpDraw(k) });
      factors.push({ name: l.bias ? `∂raw(${raw})/∂${name}` : `∂raw(${raw})/∂${name} = ${HIDDEN[l.column]} node value`, value: dRawDParam });
      product = dCeDp * dpDraw(k) * dRawDParam;
      formula = `∂CE/∂p × ∂p/∂raw(${raw}) × ∂raw(${raw})/∂${name}`;
      if (l.bias) {
        closedForm = f.p[k] - (k === observed ? 1 : 0);
        closedFormText = k === observed ? `p(${raw}) − 1` : `p(${raw})`;
      }
    } else {
      const j = l.row, node = HIDDEN[j];
      let sum = 0;
      for (let k = 0; k < 3; k++) {
        const raw = SPECIES[k], w = P[OUTPUT_W[k][j]];
        factors.push({ name: `∂p(${species})/∂raw(${raw})`, value: dpDraw(k) });
        factors.push({ name: `∂raw(${raw})/∂${node} = output weight`, value: w });
        sum += dpDraw(k) * w;
      }
      const relu = f.z[j] > 0 ? 1 : 0;
      const dZdParam = l.bias ? 1 : f.x[l.column];
      factors.push({ name: `∂${node}/∂z = ReLU′(z = ${fmt(f.z[j])})`, value: relu });
      factors.push({ name: l.bias ? `∂z(${node})/∂${name}` : `∂z(${node})/∂${name} = ${l.column === 0 ? 'petal width' : 'sepal width'}`, value: dZdParam });
      product = dCeDp * sum * relu * dZdParam;
      formula = `∂CE/∂p × Σ_k (∂p/∂raw_k × ∂raw_k/∂${node}) × ∂${node}/∂z × ∂z/∂${name}`;
    }
    return { factors, formula, product, closedForm, closedFormText };
  }

  // Every parameter at its walkthrough value except the studied one; float32 like the engine's Set(name, (float)value).
  function paramsAt(value) {
    return { ...WALK, [NAME]: f32(value) };
  }

  // One row of the descent table, as WorkedExample.Descend computes it.
  function descentRow(value, learningRate) {
    const P = paramsAt(value);
    const derivative = backpropagate(P)[NAME];
    return { value, loss: totalCrossEntropy(P), derivative, step: derivative * learningRate };
  }

  // The engine's stopping rule, checked after each row: not finite, below the tolerance, or the step limit.
  function stopAfter(row, count) {
    if (!Number.isFinite(row.step)) return { reason: 'the derivative is not finite; lower the learning rate', converged: false };
    if (Math.abs(row.step) < D.tolerance) return { reason: `the step size ${g3(Math.abs(row.step))} is below the tolerance ${g3(D.tolerance)}`, converged: true };
    if (count >= D.maxSteps) return { reason: `reached the maximum of ${D.maxSteps} steps`, converged: false };
    return null;
  }

  function descend(start, learningRate) {
    const rows = [];
    let value = start;
    for (;;) {
      const row = descentRow(value, learningRate);
      rows.push(row);
      const stop = stopAfter(row, rows.length);
      if (stop) return { rows, final: value, ...stop };
      value -= row.step;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Formatting: numbers as `xent explain` prints them (C#'s "0.####" and "G3").

  function fmt(v, digits = 4) {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
    let s = v.toFixed(digits);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
    return s === '-0' ? '0' : s;
  }

  function g3(v) {
    if (v === 0) return '0';
    const exponent = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(3)))));
    if (exponent > -5 && exponent < 3) return String(Number(v.toPrecision(3)));
    const [mantissa, e] = v.toExponential(2).split('e');
    const n = Number(e);
    return `${mantissa.replace(/\.?0+$/, '')}E${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }

  function esc(text) {
    return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  // A number in a cell with a data-key the tests (and curious readers) can find it by.
  function num(key, v) {
    return `<span class="num" data-key="${esc(key)}">${fmt(v)}</span>`;
  }

  const $ = id => document.getElementById(id);

  // ---------------------------------------------------------------------------------------------------------------
  // Charts: SVG markup with a frame, axes and a clip-free path builder (points outside the frame break the line).

  function frame(o) {
    const width = o.width || 560, height = o.height || 340, left = 52, right = 12, top = 14, bottom = 42;
    const c = { ...o, width, height };
    c.X = v => left + (v - o.xmin) * (width - left - right) / (o.xmax - o.xmin);
    c.Y = v => height - bottom - (v - o.ymin) * (height - top - bottom) / (o.ymax - o.ymin);
    let s = `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.label)}" font-size="14">`;
    s += `<rect x="${left}" y="${top}" width="${width - left - right}" height="${height - top - bottom}" fill="#fbfcfd" stroke="#d5dae2"/>`;
    for (const t of ticks(o.xmin, o.xmax, 6)) {
      s += `<line x1="${c.X(t)}" x2="${c.X(t)}" y1="${top}" y2="${height - bottom}" stroke="#eceff3"/>`;
      s += `<text x="${c.X(t)}" y="${height - bottom + 17}" text-anchor="middle" fill="#5b6575">${fmt(t, 3)}</text>`;
    }
    for (const t of ticks(o.ymin, o.ymax, 5)) {
      s += `<line x1="${left}" x2="${width - right}" y1="${c.Y(t)}" y2="${c.Y(t)}" stroke="#eceff3"/>`;
      s += `<text x="${left - 6}" y="${c.Y(t) + 5}" text-anchor="end" fill="#5b6575">${fmt(t, 3)}</text>`;
    }
    s += `<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle" fill="#1d2430">${esc(o.xlabel)}</text>`;
    c.open = s;
    c.inside = (x, y) => Number.isFinite(y) && x >= o.xmin && x <= o.xmax && y >= o.ymin && y <= o.ymax;
    return c;
  }

  function ticks(lo, hi, count) {
    const raw = (hi - lo) / count, magnitude = 10 ** Math.floor(Math.log10(raw)), r = raw / magnitude;
    const step = (r >= 7.5 ? 10 : r >= 3.5 ? 5 : r >= 1.5 ? 2 : 1) * magnitude;
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }

  function curvePath(c, points) {
    let d = '', pen = false;
    for (const [x, y] of points) {
      if (!c.inside(x, y)) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${c.X(x).toFixed(1)} ${c.Y(y).toFixed(1)}`;
      pen = true;
    }
    return d;
  }

  // The part of the line y = y0 + slope·(x − x0) with x in [a, b] that lies inside the frame.
  function linePath(c, x0, y0, slope, a, b) {
    let lo = Math.max(a, c.xmin), hi = Math.min(b, c.xmax);
    if (slope !== 0) {
      const x1 = x0 + (c.ymin - y0) / slope, x2 = x0 + (c.ymax - y0) / slope;
      lo = Math.max(lo, Math.min(x1, x2));
      hi = Math.min(hi, Math.max(x1, x2));
    } else if (y0 < c.ymin || y0 > c.ymax) return '';
    if (!(hi > lo)) return '';
    const y = x => y0 + slope * (x - x0);
    return `M${c.X(lo).toFixed(1)} ${c.Y(y(lo)).toFixed(1)}L${c.X(hi).toFixed(1)} ${c.Y(y(hi)).toFixed(1)}`;
  }

  function dot(c, x, y, r, fill, stroke = '#fff') {
    return c.inside(x, y) ? `<circle cx="${c.X(x).toFixed(1)}" cy="${c.Y(y).toFixed(1)}" r="${r}" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>` : '';
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State: the studied parameter's value θ (shared by every section), the chosen sample, p, the learning rate and the
  // descent table being filled.

  const state = {
    theta: WALK[NAME],
    sample: 0,
    p: forward(WALK, 0).p[SAMPLES[0].y],
    learningRate: D.learningRate,
    rows: [],
    stop: null,
    timer: null,
    range: [D.range[0], D.range[1]],
    curve: null,
  };

  const COLORS = { positive: '#1d4ed8', negative: '#b91c1c', off: '#c4cad3', accent: '#c2410c', ce: '#1d4ed8', sr: '#7c3aed', ink: '#1d2430', muted: '#5b6575' };

  // ---------------------------------------------------------------------------------------------------------------
  // 1. The network and the forward pass.

  const NODE = {
    petal: [70, 112], sepal: [70, 272], bias1: [70, 402],
    upper: [320, 112], lower: [320, 272], bias2: [320, 402],
    setosa: [610, 92], versicolor: [610, 232], virginica: [610, 372],
  };
  // [from, to, parameter]. Each label sits at the same fraction of its edge within a layer, which puts the labels in
  // two columns just before the nodes they feed, spaced by the nodes' heights so that none overlaps another.
  const EDGES = [
    ['petal', 'upper', 'w1'], ['sepal', 'upper', 'w2'], ['bias1', 'upper', 'b1'],
    ['petal', 'lower', 'w3'], ['sepal', 'lower', 'w4'], ['bias1', 'lower', 'b2'],
    ['upper', 'setosa', 'w5'], ['lower', 'setosa', 'w6'], ['bias2', 'setosa', 'b3'],
    ['upper', 'versicolor', 'w7'], ['lower', 'versicolor', 'w8'], ['bias2', 'versicolor', 'b4'],
    ['upper', 'virginica', 'w9'], ['lower', 'virginica', 'w10'], ['bias2', 'virginica', 'b5'],
  ];
  const LABEL_AT = { 0: 0.72, 1: 0.766 };

  // The buttons are made once (so that keyboard focus stays on them); each redraw only marks the chosen one.
  function renderSamples() {
    const box = $('sample-buttons');
    if (!box.firstChild) {
      box.innerHTML = SAMPLES.map((s, i) =>
        `<button type="button" role="radio" data-sample="${i}">Sample ${i + 1}: ${esc(SPECIES[s.y])} ` +
        `<small>(petal ${fmt(s.x[0])}, sepal ${fmt(s.x[1])})</small></button>`).join('');
    }
    for (const b of box.querySelectorAll('button')) b.setAttribute('aria-checked', String(Number(b.dataset.sample) === state.sample));
  }

  function renderNetwork(P) {
    const f = forward(P, state.sample);
    const value = { petal: f.x[0], sepal: f.x[1], bias1: 1, bias2: 1, upper: f.h[0], lower: f.h[1] };
    SPECIES.forEach((sp, k) => { value[sp] = f.raw[k]; });
    let s = '<svg viewBox="0 0 800 432" role="img" aria-label="The network: 2 inputs, 2 ReLU hidden nodes, 3 outputs and a softmax, with the 15 parameters on its edges" font-size="15">';
    s += `<text x="70" y="22" text-anchor="middle" fill="${COLORS.muted}">inputs</text><text x="320" y="22" text-anchor="middle" fill="${COLORS.muted}">hidden (ReLU)</text>`;
    s += `<text x="610" y="22" text-anchor="middle" fill="${COLORS.muted}">raw outputs</text><text x="715" y="22" text-anchor="middle" fill="${COLORS.muted}">softmax</text>`;
    // Edges: colour by the sign of what flows along them for the chosen sample (weight × the value at its source),
    // width by its size; an edge carrying nothing (its source is 0, e.g. a hidden node ReLU switched off) is grey.
    const labels = [];
    for (const [from, to, name] of EDGES) {
      const t = LABEL_AT[LOCATION[name].layer];
      const [x1, y1] = NODE[from], [x2, y2] = NODE[to];
      const flow = P[name] * value[from];
      const width = flow === 0 ? 1.2 : 1.2 + 4.5 * Math.min(1, Math.abs(flow) / 2.5);
      const color = flow === 0 ? COLORS.off : flow > 0 ? COLORS.positive : COLORS.negative;
      if (name === NAME) s += `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${COLORS.accent}" stroke-width="${width + 7}" stroke-opacity="0.35" stroke-linecap="round"/>`;
      s += `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" stroke-width="${width.toFixed(2)}"${flow === 0 ? ' stroke-dasharray="5 4"' : ''}><title>${esc(name)} × ${esc(from)} = ${fmt(P[name])} × ${fmt(value[from])} = ${fmt(flow)}</title></line>`;
      const lx = x1 + (x2 - x1) * t, ly = y1 + (y2 - y1) * t;
      // A white card under each label (its width estimated from the character count) keeps crossing edges out of it.
      const text = `${name} = ${fmt(P[name])}`, w = 8.2 * text.length + 6;
      labels.push(`<rect x="${(lx - w / 2).toFixed(1)}" y="${(ly - 10).toFixed(1)}" width="${w.toFixed(1)}" height="20" rx="4" fill="#fff" fill-opacity="0.92"/>` +
        `<text x="${lx.toFixed(1)}" y="${(ly + 5).toFixed(1)}" text-anchor="middle" fill="${name === NAME ? COLORS.accent : COLORS.ink}" font-weight="${name === NAME ? 700 : 400}" data-edge="${esc(name)}">${esc(text)}</text>`);
    }
    // Softmax: raw → p, with a bar for each probability.
    SPECIES.forEach((sp, k) => {
      const [x, y] = NODE[sp];
      s += `<line x1="${x + 30}" y1="${y}" x2="652" y2="${y}" stroke="${COLORS.muted}" stroke-width="1.2"/>`;
      s += `<rect x="652" y="${y - 24}" width="138" height="48" rx="6" fill="${k === f.y ? '#fff4e6' : '#f5f7fa'}" stroke="${k === f.y ? COLORS.accent : '#d5dae2'}"/>`;
      s += `<rect x="658" y="${y + 9}" width="${(126 * f.p[k]).toFixed(1)}" height="8" rx="2" fill="${COLORS.ce}"/>`;
      s += `<text x="721" y="${y + 2}" text-anchor="middle" fill="${COLORS.ink}">p = <tspan font-weight="700" data-key="net.p.${sp}">${fmt(f.p[k])}</tspan></text>`;
      if (k === f.y) s += `<text x="721" y="${y - 30}" text-anchor="middle" fill="${COLORS.accent}" font-size="13">observed species</text>`;
    });
    s += labels.join('');
    for (const [node, [x, y]] of Object.entries(NODE)) {
      const bias = node.startsWith('bias');
      const off = (node === 'upper' || node === 'lower') && value[node] === 0;
      s += `<circle cx="${x}" cy="${y}" r="${bias ? 17 : 30}" fill="${off ? '#eef0f3' : '#fff'}" stroke="${COLORS.ink}" stroke-width="1.5"/>`;
      s += `<text x="${x}" y="${y + 5}" text-anchor="middle" font-weight="700" font-size="14" fill="${COLORS.ink}" data-key="net.${node}">${bias ? '1' : fmt(value[node])}</text>`;
      if (!bias) s += `<text x="${x}" y="${y - 37}" text-anchor="middle" fill="${COLORS.ink}">${esc(node === 'petal' || node === 'sepal' ? `${node} width` : node)}</text>`;
      if (node === 'upper' || node === 'lower') {
        const j = node === 'upper' ? 0 : 1;
        s += `<text x="${x - 8}" y="${y + 50}" stroke="#fff" stroke-width="4" paint-order="stroke" fill="${COLORS.muted}" font-size="13" data-key="net.z.${node}">z = ${fmt(f.z[j])}${off ? ' → ReLU gives 0' : ''}</text>`;
      }
    }
    s += '</svg>';
    $('network').innerHTML = s;

    const i = state.sample, x = f.x;
    const lines = [];
    HIDDEN.forEach((node, j) => {
      const [a, b] = HIDDEN_W[j], c = HIDDEN_B[j];
      lines.push(`z(${node}) = ${a}·petal + ${b}·sepal + ${c} = (${fmt(P[a])})(${fmt(x[0])}) + (${fmt(P[b])})(${fmt(x[1])}) + ${fmt(P[c])} = ${num(`s${i + 1}.z.${node}`, f.z[j])}; ` +
        `${node} = ReLU(${fmt(f.z[j])}) = <b>${fmt(f.h[j])}</b>`);
    });
    SPECIES.forEach((sp, k) => {
      const [a, b] = OUTPUT_W[k], c = OUTPUT_B[k];
      lines.push(`raw(${sp}) = ${a}·upper + ${b}·lower + ${c} = (${fmt(P[a])})(${fmt(f.h[0])}) + (${fmt(P[b])})(${fmt(f.h[1])}) + ${fmt(P[c])} = <b>${fmt(f.raw[k])}</b>`);
    });
    const sum = f.exp[0] + f.exp[1] + f.exp[2];
    lines.push(`softmax: e<sup>raw</sup> = ${f.exp.map(v => fmt(v)).join(', ')}; their sum is ${fmt(sum)}; p = e<sup>raw</sup> / sum = ${f.p.map(v => fmt(v)).join(', ')}`);
    lines.push(`cross entropy for this ${esc(SPECIES[f.y])}: −ln p(${esc(SPECIES[f.y])}) = −ln ${fmt(f.p[f.y])} = <b>${fmt(f.ce)}</b>`);
    $('forward-steps').innerHTML = lines.map(l => `<p>${l}</p>`).join('');
  }

  function renderForwardTable(P) {
    const fs = [0, 1, 2].map(s => forward(P, s));
    let h = '<thead><tr><th></th>' + fs.map((f, i) => `<th>sample ${i + 1}: ${esc(SPECIES[f.y])}</th>`).join('') + '</tr></thead><tbody>';
    const row = (label, key, get) => { h += `<tr><td>${label}</td>` + fs.map((f, i) => `<td${i === state.sample ? ' class="chosen-cell"' : ''}>${num(`s${i + 1}.${key}`, get(f))}</td>`).join('') + '</tr>'; };
    row('petal width', 'petal', f => f.x[0]);
    row('sepal width', 'sepal', f => f.x[1]);
    HIDDEN.forEach((n, j) => row(`${n} = ReLU(…)`, `hidden.${n}`, f => f.h[j]));
    SPECIES.forEach((sp, k) => row(`raw ${sp}`, `raw.${sp}`, f => f.raw[k]));
    SPECIES.forEach((sp, k) => row(`p(${sp})`, `p.${sp}`, f => f.p[k]));
    row('−ln p(observed)', 'ce', f => f.ce);
    $('forward-table').innerHTML = h + '</tbody>';
    const total = fs.reduce((a, f) => a + f.ce, 0);
    $('forward-total').innerHTML = `Total cross entropy = ${fs.map(f => fmt(f.ce)).join(' + ')} = <b>${num('total.ce', total)}</b>`;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 2. Cross entropy against the squared residual.

  function renderLoss(P) {
    const fs = [0, 1, 2].map(s => forward(P, s));
    const c = frame({ xmin: 0, xmax: 1, ymin: 0, ymax: 3, xlabel: 'p, the probability of the observed species', label: 'Cross entropy and squared residual against p' });
    const grid = Array.from({ length: 400 }, (_, i) => 0.0025 + 0.9975 * i / 399);
    let s = c.open;
    s += `<path d="${curvePath(c, grid.map(p => [p, -Math.log(p)]))}" fill="none" stroke="${COLORS.ce}" stroke-width="2.5"/>`;
    s += `<path d="${curvePath(c, grid.map(p => [p, (1 - p) * (1 - p)]))}" fill="none" stroke="${COLORS.sr}" stroke-width="2.5"/>`;
    fs.forEach((f, i) => {
      const p = f.p[f.y];
      s += `<path d="${linePath(c, p, -Math.log(p), -1 / p, p - 0.12, p + 0.12)}" stroke="${COLORS.ink}" stroke-width="1.5"/>`;
      s += `<path d="${linePath(c, p, (1 - p) * (1 - p), -2 * (1 - p), p - 0.12, p + 0.12)}" stroke="${COLORS.ink}" stroke-width="1.5"/>`;
      s += dot(c, p, -Math.log(p), 4.5, COLORS.ce) + dot(c, p, (1 - p) * (1 - p), 4.5, COLORS.sr);
      // Samples 1 and 2 start with nearly the same p, so 2's number goes below its point and the others' above.
      if (c.inside(p, -Math.log(p))) s += `<text x="${c.X(p) + 4}" y="${c.Y(-Math.log(p)) + (i === 1 ? 20 : -9)}" font-size="12" fill="${COLORS.ink}">${i + 1}</text>`;
    });
    const p = state.p;
    s += `<line x1="${c.X(p)}" x2="${c.X(p)}" y1="${c.Y(0)}" y2="${c.Y(3)}" stroke="${COLORS.accent}" stroke-dasharray="4 4"/>`;
    s += `<path d="${linePath(c, p, -Math.log(p), -1 / p, 0, 1)}" stroke="${COLORS.ce}" stroke-dasharray="6 4" stroke-width="1.5"/>`;
    s += `<path d="${linePath(c, p, (1 - p) * (1 - p), -2 * (1 - p), 0, 1)}" stroke="${COLORS.sr}" stroke-dasharray="6 4" stroke-width="1.5"/>`;
    s += dot(c, p, -Math.log(p), 6, COLORS.accent) + dot(c, p, (1 - p) * (1 - p), 6, COLORS.accent);
    s += `<text x="${c.X(0.45)}" y="${c.Y(2.75)}" fill="${COLORS.ce}" font-weight="700">cross entropy −ln p</text>`;
    s += `<text x="${c.X(0.45)}" y="${c.Y(2.45)}" fill="${COLORS.sr}" font-weight="700">squared residual (1 − p)²</text>`;
    s += `<text x="${c.X(0.45)}" y="${c.Y(2.15)}" fill="${COLORS.muted}" font-size="13">1, 2, 3: the samples, with their slopes</text>`;
    $('loss-chart').innerHTML = s + '</svg>';

    $('p-value').textContent = fmt(p);
    const ratio = (1 / p) / (2 * (1 - p));
    $('p-readout').innerHTML =
      `<div><small>cross entropy −ln p</small><b>${num('p.ce', -Math.log(p))}</b></div>` +
      `<div><small>its slope −1/p</small><b>${num('p.ceSlope', -1 / p)}</b></div>` +
      `<div><small>squared residual (1 − p)²</small><b>${num('p.sr', (1 - p) * (1 - p))}</b></div>` +
      `<div><small>its slope −2(1 − p)</small><b>${num('p.srSlope', -2 * (1 - p))}</b></div>` +
      `<div><small>cross entropy's slope is steeper by</small><b>${Number.isFinite(ratio) ? `${fmt(ratio, 2)}×` : 'far (the residual is flat at p = 1)'}</b></div>`;

    let t = '<thead><tr><th>sample</th><th>p</th><th>−ln p</th><th>slope −1/p</th><th>(1 − p)²</th><th>slope −2(1 − p)</th></tr></thead><tbody>';
    fs.forEach((f, i) => {
      const q = f.p[f.y];
      t += `<tr><td>${i + 1}: ${esc(SPECIES[f.y])}</td><td>${num(`s${i + 1}.observedP`, q)}</td><td>${fmt(-Math.log(q))}</td><td>${fmt(-1 / q)}</td><td>${fmt((1 - q) * (1 - q))}</td><td>${fmt(-2 * (1 - q))}</td></tr>`;
    });
    $('loss-table').innerHTML = t + '</tbody>';
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 3. The chain rule.

  function renderChain(P) {
    let html = '';
    let summary = '<thead><tr><th></th><th>chain-rule product</th><th>backpropagation</th><th>finite difference</th></tr></thead><tbody>';
    let totals = [0, 0];
    for (let i = 0; i < 3; i++) {
      const c = chainRule(P, NAME, i);
      const backprop = backpropagate(P, [i])[NAME];
      const numeric = numericDerivative(P, NAME, [i]);
      totals = [totals[0] + c.product, totals[1] + backprop];
      html += `<div class="chain-sample"><h3>Sample ${i + 1} (${esc(SPECIES[SAMPLES[i].y])}): ∂CE/∂${esc(NAME)}</h3><p class="formula">= ${esc(c.formula)}</p><table><tbody>`;
      c.factors.forEach((factor, n) => { html += `<tr><td>${esc(factor.name)}</td><td>${num(`s${i + 1}.factor${n}`, factor.value)}</td></tr>`; });
      html += `<tr><td><b>product</b></td><td><b>${num(`s${i + 1}.product`, c.product)}</b></td></tr>`;
      html += `<tr><td>backpropagation</td><td>${num(`s${i + 1}.backprop`, backprop)}</td></tr>`;
      if (c.closedForm !== null) html += `<tr><td>closed form ${esc(c.closedFormText)}</td><td>${fmt(c.closedForm)}</td></tr>`;
      html += '</tbody></table></div>';
      summary += `<tr><td>sample ${i + 1}</td><td>${fmt(c.product)}</td><td>${fmt(backprop)}</td><td>${fmt(numeric)}</td></tr>`;
    }
    const numeric = numericDerivative(P, NAME);
    summary += `<tr><td><b>sum: ∂(total CE)/∂${esc(NAME)}</b></td><td><b>${num('total.product', totals[0])}</b></td><td><b>${num('total.backprop', totals[1])}</b></td>` +
      `<td><b><span class="num" data-key="total.numeric">${numeric.toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}</span></b></td></tr>`;
    $('chain').innerHTML = html;
    $('chain-summary').innerHTML = summary + '</tbody>';
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 4. Gradient descent.

  function ensureRange(v) {
    let [lo, hi] = state.range;
    if (!Number.isFinite(v) || Math.abs(v) > 1e4 || (v >= lo && v <= hi)) return;
    const margin = 0.1 * (hi - lo);
    if (v < lo) lo = Math.floor((v - margin) * 10) / 10;
    if (v > hi) hi = Math.ceil((v + margin) * 10) / 10;
    state.range = [lo, hi];
    state.curve = null;
    for (const id of ['theta', 'theta-top']) { $(id).min = lo; $(id).max = hi; }
  }

  function lossCurve() {
    if (!state.curve) {
      const [lo, hi] = state.range;
      state.curve = Array.from({ length: 301 }, (_, i) => { const v = lo + (hi - lo) * i / 300; return [v, totalCrossEntropy(paramsAt(v))]; });
    }
    return state.curve;
  }

  function renderDescent() {
    const curve = lossCurve();
    const ys = curve.map(p => p[1]).filter(Number.isFinite);
    const ymin = Math.min(...ys), ymax = Math.max(...ys), pad = 0.06 * (ymax - ymin || 1);
    const [lo, hi] = state.range;
    const c = frame({ xmin: lo, xmax: hi, ymin: Math.max(0, ymin - pad), ymax: ymax + pad, xlabel: NAME, label: `Total cross entropy against ${NAME}` });
    const here = descentRow(state.theta, state.learningRate);
    let s = c.open;
    s += `<text x="60" y="32" fill="${COLORS.ink}" font-weight="700">total cross entropy</text>`;
    s += `<path d="${curvePath(c, curve)}" fill="none" stroke="${COLORS.ce}" stroke-width="2.5"/>`;
    const span = (hi - lo) / 5;
    s += `<path d="${linePath(c, here.value, here.loss, here.derivative, here.value - span, here.value + span)}" stroke="${COLORS.accent}" stroke-width="2"/>`;
    // The path of the steps taken so far.
    // Long runs: every row up to 200, then an evenly thinned selection, so the drawing stays small.
    const rows = state.rows.length <= 400 ? state.rows
      : state.rows.filter((_, i) => i < 200 || i % Math.ceil(state.rows.length / 200) === 0 || i === state.rows.length - 1);
    const path = rows.map(r => [r.value, r.loss]).concat(state.stop ? [] : [[here.value, here.loss]]);
    if (path.length > 1) s += `<path d="${curvePath(c, path)}" fill="none" stroke="${COLORS.ink}" stroke-width="1.2" stroke-dasharray="3 3"/>`;
    rows.forEach(r => { s += dot(c, r.value, r.loss, 4, COLORS.ink); });
    // Where the next step would land: along the tangent by −step, then onto the curve.
    if (!state.stop && Number.isFinite(here.step)) {
      const next = here.value - here.step, landing = totalCrossEntropy(paramsAt(next));
      s += `<path d="${linePath(c, here.value, here.loss, here.derivative, Math.min(here.value, next), Math.max(here.value, next))}" stroke="${COLORS.accent}" stroke-width="4" stroke-opacity="0.5"/>`;
      s += c.inside(next, landing) ? `<circle cx="${c.X(next).toFixed(1)}" cy="${c.Y(landing).toFixed(1)}" r="6" fill="none" stroke="${COLORS.accent}" stroke-width="2"/>` : '';
    }
    s += dot(c, here.value, here.loss, 7, COLORS.accent);
    $('descent-chart').innerHTML = s + '</svg>';

    $('descent-readout').innerHTML =
      `<div><small>${esc(NAME)}</small><b>${num('d.value', here.value)}</b></div>` +
      `<div><small>total cross entropy</small><b>${num('d.loss', here.loss)}</b></div>` +
      `<div><small>derivative (the tangent's slope)</small><b>${num('d.derivative', here.derivative)}</b></div>` +
      `<div><small>step size = derivative × ${fmt(state.learningRate)}</small><b>${num('d.step', here.step)}</b></div>` +
      `<div><small>next ${esc(NAME)} = value − step size</small><b>${num('d.next', here.value - here.step)}</b></div>`;
    $('lr-value').textContent = fmt(state.learningRate, 4);
    $('step').disabled = !!state.stop;
    $('run').disabled = !!state.stop && !state.timer;
    $('run').textContent = state.timer ? 'Pause' : 'Run';
  }

  const TABLE_HEAD = `<thead><tr><th>step</th><th>${esc(NAME)}</th><th>total CE</th><th>derivative</th><th>step size</th><th>new ${esc(NAME)}</th></tr></thead>`;

  function tableRow(i, r, stop) {
    return `<tr><td>${i}</td><td>${num(`row${i}.value`, r.value)}</td><td>${num(`row${i}.loss`, r.loss)}</td><td>${num(`row${i}.derivative`, r.derivative)}</td>` +
      `<td>${num(`row${i}.step`, r.step)}</td><td>${stop ? '(stop)' : num(`row${i}.new`, r.value - r.step)}</td></tr>`;
  }

  function clearDescent() {
    state.rows = [];
    state.stop = null;
    $('descent-table').innerHTML = TABLE_HEAD + '<tbody></tbody>';
    $('descent-status').textContent = `Press Step or Run to go downhill from ${NAME} = ${fmt(state.theta)}.`;
  }

  // One step of the descent from the current value: a row of the table, then either a move or the stop.
  function stepOnce() {
    if (state.stop) return;
    const row = descentRow(state.theta, state.learningRate);
    state.rows.push(row);
    const stop = stopAfter(row, state.rows.length);
    const i = state.rows.length - 1;
    if (stop) {
      state.stop = stop;
      $('descent-status').textContent = `Final ${NAME} = ${fmt(state.theta)} after ${i} steps: ${stop.reason}.`;
    } else {
      state.theta -= row.step;
      ensureRange(state.theta);
      $('descent-status').textContent = `Step ${i + 1}: ${NAME} ${fmt(row.value)} → ${fmt(state.theta)}.`;
    }
    // The table lists the first LISTED_ROWS rows and the last one, as the CLI shortens its table, so a run of a
    // million steps does not put a million rows into the page.
    const body = $('descent-table').tBodies[0];
    if (i < LISTED_ROWS || stop) body.insertAdjacentHTML('beforeend', tableRow(i, row, !!stop));
    if (i === LISTED_ROWS) body.insertAdjacentHTML('beforeend', `<tr><td>…</td><td colspan="5">rows ${LISTED_ROWS} and on are not listed; the chart shows them</td></tr>`);
  }

  const LISTED_ROWS = 1000;

  // Run: step on a timer, slowly at first so each step can be watched, then several per tick for long runs.
  function run() {
    if (state.timer) { clearTimeout(state.timer); state.timer = null; renderAll(); return; }
    const tick = () => {
      const batch = state.rows.length < 20 ? 1 : state.rows.length < 200 ? 5 : Math.max(50, Math.floor(state.rows.length / 10));
      for (let i = 0; i < batch && !state.stop; i++) stepOnce();
      state.timer = state.stop ? null : setTimeout(tick, state.rows.length < 20 ? 350 : 60);
      renderAll();
    };
    tick();
  }

  function stopRunning() {
    if (state.timer) { clearTimeout(state.timer); state.timer = null; }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Everything at once.

  function renderAll() {
    const P = paramsAt(state.theta);
    for (const id of ['theta', 'theta-top']) { if (Number($(id).value) !== state.theta) $(id).value = state.theta; }
    $('theta-top-value').textContent = fmt(state.theta);
    $('theta-value').textContent = fmt(state.theta);
    renderSamples();
    renderNetwork(P);
    renderForwardTable(P);
    renderLoss(P);
    renderChain(P);
    renderDescent();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The self-check: at the walkthrough's values (and along the engine's descent), the script must give Xent's numbers.

  function selfCheck() {
    const checks = [];
    // float32 engine against a double-precision page: a relative 1e-5 is a hundred float32 roundings. `scale` widens
    // the absolute part for numbers that multiply a rounding error (the step size is the derivative × learning rate).
    const close = (label, engine, page, scale = 1) => {
      const diff = engine === null ? (Number.isFinite(page) ? Infinity : 0) : Math.abs(engine - page);
      checks.push({ label, engine, page, diff, ok: diff <= 1e-5 * Math.max(scale, Math.abs(engine ?? 0)) });
    };
    const same = (label, engine, page) => checks.push({ label, engine, page, diff: engine === page ? 0 : Infinity, ok: engine === page });
    D.forward.forEach((e, i) => {
      const f = forward(WALK, i);
      e.preActivation.forEach((v, j) => close(`sample ${i + 1} z(${HIDDEN[j]})`, v, f.z[j]));
      e.hidden.forEach((v, j) => close(`sample ${i + 1} ${HIDDEN[j]}`, v, f.h[j]));
      e.raw.forEach((v, k) => close(`sample ${i + 1} raw(${SPECIES[k]})`, v, f.raw[k]));
      e.probabilities.forEach((v, k) => close(`sample ${i + 1} p(${SPECIES[k]})`, v, f.p[k]));
      close(`sample ${i + 1} −ln p`, e.crossEntropy, f.ce);
    });
    close('total cross entropy', D.totalCrossEntropy, totalCrossEntropy(WALK));
    close(`∂(total CE)/∂${NAME} by backpropagation`, D.derivative, backpropagate(WALK)[NAME]);
    close(`∂(total CE)/∂${NAME} by finite difference`, D.numericDerivative, numericDerivative(WALK, NAME));
    D.chain.forEach((e, i) => {
      const c = chainRule(WALK, NAME, i);
      same(`sample ${i + 1} formula`, e.formula, c.formula);
      same(`sample ${i + 1} factor count`, e.factors.length, c.factors.length);
      e.factors.forEach((factor, n) => {
        same(`sample ${i + 1} factor ${n + 1} name`, factor.name, c.factors[n] ? c.factors[n].name : null);
        close(`sample ${i + 1} ${factor.name}`, factor.value, c.factors[n] ? c.factors[n].value : NaN);
      });
      close(`sample ${i + 1} product`, e.product, c.product);
      close(`sample ${i + 1} backpropagation`, e.backpropagated, backpropagate(WALK, [i])[NAME]);
      if (e.closedForm !== undefined) close(`sample ${i + 1} closed form`, e.closedForm, c.closedForm);
    });
    // The descent row by row at the engine's own values of the parameter: comparing the two runs end to end instead
    // would compare float32 with double rounding amplified by every step (at large learning rates, chaotically).
    const rows = D.descent.steps;
    let stopsWhereXentStops = true;
    rows.forEach((e, i) => {
      const r = descentRow(e.value, D.learningRate);
      close(`descent step ${i}: total CE at ${NAME} = ${e.value}`, e.totalCrossEntropy, r.loss);
      close(`descent step ${i}: derivative`, e.derivative, r.derivative);
      close(`descent step ${i}: step size`, e.stepSize, r.step, Math.max(1, D.learningRate));
      const stop = stopAfter(r, i + 1);
      if (i < D.descent.stepCount - 1 ? stop !== null : stop === null || stop.reason !== D.descent.stopReason) stopsWhereXentStops = false;
    });
    same(`descent: the stopping rule stops at row ${D.descent.stepCount - 1} with Xent's reason`, true, D.descent.truncated || stopsWhereXentStops);
    D.curve.values.forEach((v, i) => close(`total CE at ${NAME} = ${fmt(v)}`, D.curve.totalCrossEntropy[i], totalCrossEntropy(paramsAt(v))));

    const bad = checks.filter(c => !c.ok);
    const worst = checks.filter(c => typeof c.engine === 'number').reduce((m, c) => Math.max(m, c.diff), 0);
    const el = $('self-check');
    el.dataset.ok = String(bad.length === 0);
    el.dataset.count = String(checks.length);
    el.dataset.failed = String(bad.length);
    el.dataset.maxDiff = String(worst);
    el.className = `check ${bad.length === 0 ? 'ok' : 'bad'}`;
    el.textContent = bad.length === 0
      ? `✓ Self-check: this page's script reproduces all ${checks.length} of Xent's embedded numbers (largest difference ${worst.toExponential(1)}), ` +
        `including the ${D.descent.stepCount} rows of Xent's descent from ${fmt(D.start)}${D.descent.truncated ? ` (the first ${rows.length} embedded)` : ''}.`
      : `✗ Self-check: ${bad.length} of ${checks.length} numbers differ from Xent's; the first is ${bad[0].label}: Xent ${bad[0].engine}, page ${bad[0].page}.`;
    const own = descend(D.start, D.learningRate);
    let t = '<table><thead><tr><th>number</th><th>Xent</th><th>this page</th><th>difference</th></tr></thead><tbody>';
    for (const c of checks) {
      const show = v => typeof v === 'number' ? String(v) : esc(v);
      t += `<tr${c.ok ? '' : ' class="bad"'}><td>${esc(c.label)}</td><td>${show(c.engine)}</td><td>${show(c.page)}</td><td>${typeof c.engine === 'number' ? c.diff.toExponential(1) : c.ok ? 'same' : 'differs'}</td></tr>`;
    }
    $('self-check-table').innerHTML = t + '</tbody></table>';
    $('engine-descent').textContent = `Xent's own run (the table \`xent explain\` prints): from ${NAME} = ${fmt(D.start)} with learning rate ${fmt(D.learningRate)}, ` +
      `first step ${fmt(D.descent.steps[0].value)} → ${fmt(D.descent.steps[0].value - D.descent.steps[0].stepSize)}; ` +
      `final ${NAME} = ${fmt(D.descent.final)} after ${D.descent.stepCount - 1} steps: ${D.descent.stopReason}. Tolerance ${g3(D.tolerance)}, at most ${D.maxSteps} steps. ` +
      `This page's own run from the same start: final ${NAME} = ${fmt(own.final)} after ${own.rows.length - 1} steps.`;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring. The address's fragment can set the starting point, e.g. #b3=-1&sample=2&p=0.1&lr=0.5&steps=3&run&only=4.

  let violations = 0;
  document.addEventListener('securitypolicyviolation', () => { violations++; document.body.dataset.cspViolations = String(violations); });
  document.body.dataset.cspViolations = '0';

  function setTheta(v) {
    stopRunning();
    ensureRange(v);
    state.theta = v;
    clearDescent();
    renderAll();
  }

  function init() {
    const [lo, hi] = state.range;
    for (const id of ['theta', 'theta-top']) {
      const el = $(id);
      el.min = lo; el.max = hi;
      el.addEventListener('input', () => setTheta(Number(el.value)));
    }
    $('theta-reset').addEventListener('click', () => setTheta(WALK[NAME]));
    $('start-value').textContent = fmt(D.start);
    const lr = $('lr');
    lr.min = String(Math.min(-2, Math.floor(Math.log10(D.learningRate))));
    lr.max = String(Math.max(1, Math.ceil(Math.log10(D.learningRate))));
    lr.value = String(Math.log10(D.learningRate));
    lr.addEventListener('input', () => {
      stopRunning();
      // Two significant digits, so that the slider lands on learning rates one would type (0.5, not 0.50119).
      state.learningRate = Number((10 ** Number(lr.value)).toPrecision(2));
      clearDescent();
      renderAll();
    });
    const pSlider = $('p-slider');
    pSlider.addEventListener('input', () => { state.p = Number(pSlider.value); renderAll(); });
    $('sample-buttons').addEventListener('click', e => {
      const b = e.target.closest('button[data-sample]');
      if (b) { state.sample = Number(b.dataset.sample); renderAll(); }
    });
    $('step').addEventListener('click', () => { stopRunning(); stepOnce(); renderAll(); });
    $('run').addEventListener('click', run);
    $('restart').addEventListener('click', () => setTheta(D.start));

    pSlider.value = String(state.p);
    selfCheck();
    clearDescent();
    renderAll();

    // The fragment drives the same controls a learner would: it moves the sliders and presses the buttons.
    const q = new URLSearchParams(location.hash.slice(1));
    const move = (el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); };
    const given = q.get(NAME) ?? q.get('value');
    if (given !== null && given.trim() !== '' && Number.isFinite(Number(given))) { ensureRange(Number(given)); move($('theta'), Number(given)); }
    const sample = Number(q.get('sample'));
    if (Number.isInteger(sample) && sample >= 1 && sample <= 3) $('sample-buttons').querySelector(`[data-sample="${sample - 1}"]`).click();
    const p = Number(q.get('p'));
    if (q.has('p') && p > 0 && p <= 1) move(pSlider, p);
    const rate = Number(q.get('lr'));
    if (q.has('lr') && rate > 0 && Number.isFinite(rate)) {
      lr.min = String(Math.min(Number(lr.min), Math.floor(Math.log10(rate))));
      lr.max = String(Math.max(Number(lr.max), Math.ceil(Math.log10(rate))));
      move(lr, Math.log10(rate));
    }
    const steps = Number(q.get('steps'));
    if (Number.isInteger(steps) && steps > 0) for (let i = 0; i < steps && !state.stop; i++) $('step').click();
    if (q.has('run')) $('run').click();
    // only=N shows just that section (for a screenshot of it, or to hand out one part).
    if ($(`section-${q.get('only')}`)) document.body.dataset.only = q.get('only');
    document.body.dataset.ready = 'true';
  }

  init();
  // After everything has loaded: how many resources the browser fetched for this page (it must be none).
  window.addEventListener('load', () => { document.body.dataset.resources = String(performance.getEntriesByType('resource').length); });
})();
