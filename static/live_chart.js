// One Plotly figure that updates in place. The payload (charts/wire.py) is a JSON header plus typed
// arrays; the figure keeps its plot div for the life of the component and is redrawn only when its
// hash changed: when only its cells, names, title, shapes or colour ranges changed (its "frame" is the
// one drawn), the cells are repainted in place (see "Cells repainted in place"); when only sizes
// changed (its "form" is the one drawn), it is drawn anew on the same plot ("New sizes on the plot as
// drawn"); otherwise with Plotly.react; far from the screen, when it comes near ("Drawn near the
// screen"). plotly.js is loaded once, from the app's static folder (static/plotly.min.js, beside this
// file). Label text reaches Plotly only as data (already escaped); nothing here writes HTML. This
// module is loaded once per page: its variables are shared by every instance, which is how the maps of
// one hover group find each other.
const PLOTLY_URL = "app/static/plotly.min.js";
const TYPES = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int32: Int32Array };
const GROUPS = new Map(); // group name -> Set of the charts whose maps are linked on hover
let plotlyLoading = null;
// The styling many maps share, sent by name (charts/wire.py BASES): read once, beside this script and
// under the same version, so the two always match; a failed read is reported and tried again.
const BASES_URL = new URL(`chart_bases.json${new URL(import.meta.url).search}`, import.meta.url);
let BASES = null;
let basesLoading = null;

function loadBases() {
  basesLoading ??= fetch(BASES_URL)
    .then((response) => {
      if (!response.ok) throw new Error(`could not load ${BASES_URL.pathname}: ${response.status}`);
      return response.json();
    })
    .then((bases) => (BASES = bases))
    .catch((error) => {
      basesLoading = null;
      throw error;
    });
  return basesLoading;
}

// The component's rules, added to the page once (a component's own CSS would travel in every message).
const CSS = `
.lc-fig { position: relative; }
.lc-over { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.lc-band { position: absolute; display: none; background: rgba(255, 146, 43, 0.14);
  box-shadow: inset 0 0 0 1px rgba(232, 89, 12, 0.9); }
.lc-error { color: #c92a2a; }
`;
if (!document.getElementById("lc-style")) {
  const style = Object.assign(document.createElement("style"), { id: "lc-style", textContent: CSS });
  document.head.appendChild(style);
}

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  plotlyLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL(PLOTLY_URL, document.baseURI).href;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => {
      plotlyLoading = null;
      reject(new Error(`could not load ${PLOTLY_URL}: is server.enableStaticServing on?`));
    };
    document.head.appendChild(script);
  });
  return plotlyLoading;
}

// The one place that reads plotly.js internals, written for plotly.js 4.1.1 (static/plotly.min.js):
// a drawn axis, gd._fullLayout.xaxis<N> or yaxis<N>, with its pixel offset and length (_offset,
// _length) and its conversions from a value to its position (d2c: a category's index) and from a
// position to pixels (l2p). No public API says where a category sits on screen.
function drawnAxis(gd, id) {
  const axis = gd._fullLayout?.[axisName(id)];
  if (!axis) return undefined;
  return {
    index: (value) => axis.d2c(value),
    pixel: (position) => axis._offset + axis.l2p(position),
    start: axis._offset,
    length: axis._length,
  };
}

// [uint32 n] [n bytes: the JSON header, zlib-compressed] [0-3 zero bytes] [body] (charts/wire.py); the
// body is zlib of its bytes in four planes when the header says body: "planes" (charts/planes.py).
async function decode(bytes) {
  const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const head = JSON.parse(await inflate(bytes.subarray(4, 4 + n)).text());
  const sent = bytes.subarray(4 + n + ((4 - (n % 4)) % 4));
  if (head.body !== "planes") return { head, body: sent.slice().buffer }; // a fresh, aligned buffer
  const planes = new Uint8Array(await inflate(sent).arrayBuffer());
  if (planes.length !== head.size || head.size % 4) throw new Error(`a body of ${planes.length} bytes`);
  return { head, body: interleaved(planes) };
}

const inflate = (bytes) => new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate")));

// A body sent in four planes (byte 0 of every 4-byte value, then byte 1, ...) -> the bytes as packed.
function interleaved(planes) {
  const m = planes.length / 4, out = new Uint8Array(planes.length);
  for (let j = 0; j < 4; j++) for (let i = 0; i < m; i++) out[4 * i + j] = planes[j * m + i];
  return out.buffer;
}

function restore(v, wire) {
  if (Array.isArray(v)) return v.map((x) => restore(x, wire));
  if (v === null || typeof v !== "object") return v;
  if ("$array" in v) {
    const count = v.shape.reduce((a, b) => a * b, 1);
    const flat =
      v.$array === "float64" // 8-byte values may sit on a 4-byte boundary: view a copy
        ? new Float64Array(wire.body.slice(v.offset, v.offset + 8 * count))
        : new TYPES[v.$array](wire.body, v.offset, count);
    if (v.shape.length !== 2) return flat;
    const width = v.shape[1];
    return Array.from({ length: v.shape[0] }, (_, i) => flat.subarray(i * width, (i + 1) * width));
  }
  if ("$labels" in v) {
    const items = wire.head.labels[v.$labels];
    return v.index ? Array.from(restore(v.index, wire), (i) => items[i]) : items;
  }
  const own = Object.entries(v).filter(([k]) => k !== "$base");
  if ("$base" in v && !BASES?.[v.$base]) throw new Error(`unknown shared style ${v.$base}`);
  const out = "$base" in v ? structuredClone(BASES[v.$base]) : {}; // a copy: Plotly may change it
  for (const [k, x] of own) out[k] = restore(x, wire);
  if (!out.z?.$derive) return out;
  if (!derivedZ.has(v)) derivedZ.set(v, DERIVED[out.z.$derive](out)); // the weights of 512 tokens: 20 ms
  return { ...out, z: derivedZ.get(v) };
}

// A trace as sent -> its derived z, made once per payload however often the figure is restored (a replot
// restores it to measure, to draw and to check its fit). Nothing changes a z once made.
const derivedZ = new WeakMap();

// A heatmap's z made from the trace as restored (charts/wire.py DERIVED): from its text rows (the
// weights travel once), or from the few cells it sent (a layer of marks), every other cell blank.
const DERIVED = {
  text: (trace) => trace.text,
  "row_scaled(text)": (trace) =>
    trace.text.map((row) => {
      const top = row.reduce((a, v) => (v > a ? v : a), -Infinity); // NaN (masked) never wins
      return row.map((v) => (top > 0 ? v / top : 0 * v)); // a Float32Array: rounded as numpy's float32
    }),
  cells: ({ z }) => {
    const [m, n] = z.shape;
    const rows = Array.from({ length: m }, () => new Float32Array(n).fill(NaN));
    z.at.forEach((at, k) => {
      rows[Math.floor(at / n)][at % n] = z.value[k];
    });
    return rows;
  },
};

// The figure's heatmaps: their axes, their number of cells, and an identity for each label list, so
// maps drawn on the same tokens can be linked on hover. spec: as sent; data: the restored traces.
function heatmaps(spec, data) {
  const key = (labels) => labels?.$labels ?? JSON.stringify(labels ?? null);
  const axes = new Set(); // a later heatmap on the same axes is a layer over the map (its marks): not a map
  return spec.data.flatMap((t, k) => {
    const drawn = data[k]; // as restored: bases and derived arrays made whole
    const [xaxis, yaxis] = [drawn.xaxis || "x", drawn.yaxis || "y"];
    if (drawn.type !== "heatmap" || axes.has(`${xaxis} ${yaxis}`)) return [];
    axes.add(`${xaxis} ${yaxis}`);
    const z = drawn.z ?? [];
    const cells = z.length * (z[0]?.length ?? 0);
    return [{ id: k, xaxis, yaxis, xkey: key(t.x), ykey: key(t.y), cells }];
  });
}

function band(chart, heat, along) {
  const name = `${heat.id}${along}`;
  if (!chart.bands.has(name)) {
    const div = document.createElement("div");
    div.className = "lc-band";
    chart.over.appendChild(div);
    chart.bands.set(name, div);
  }
  return chart.bands.get(name);
}

function showBand(chart, heat, along, label) {
  const xa = drawnAxis(chart.gd, heat.xaxis);
  const ya = drawnAxis(chart.gd, heat.yaxis);
  const axis = along === "y" ? ya : xa;
  const c = axis?.index(label);
  if (!xa || !ya || c === undefined || c < 0 || Number.isNaN(c)) return;
  const [p0, p1] = [axis.pixel(c - 0.5), axis.pixel(c + 0.5)];
  const [lo, size] = [Math.min(p0, p1), Math.abs(p1 - p0)];
  const box = along === "y" ? [xa.start, lo, xa.length, size] : [lo, ya.start, size, ya.length];
  const s = band(chart, heat, along).style;
  [s.left, s.top, s.width, s.height] = box.map((p) => `${p}px`);
  s.display = "block";
}

function peers(chart) {
  return chart.group === null ? [chart] : GROUPS.get(chart.group);
}

function join(chart, group) {
  if (chart.group === group) return;
  GROUPS.get(chart.group)?.delete(chart);
  chart.group = group;
  if (group === null) return;
  if (!GROUPS.has(group)) GROUPS.set(group, new Set());
  GROUPS.get(group).add(chart);
}

function clearBands(chart) {
  for (const peer of peers(chart)) for (const b of peer.bands.values()) b.style.display = "none";
}

// The heatmap a hovered or clicked point belongs to: the heatmap itself, or a cell overlay (a
// scatter with one marker per cell) drawn on the same axes. pt.data is the trace as given to Plotly.
function sourceHeat(chart, pt) {
  const [xaxis, yaxis] = [pt.data.xaxis || "x", pt.data.yaxis || "y"];
  const heat = chart.heats.find((h) => h.xaxis === xaxis && h.yaxis === yaxis);
  if (!heat || pt.data.type === "heatmap") return heat;
  return pt.data.x?.length === heat.cells ? heat : undefined;
}

// ---- The line view (charts/lines.py): hovering or tapping a token shows only its lines -------------
// Its lines are layout shapes named "h{head} q{query} k{key}"; its token ends are two scatter traces
// whose meta.side says which end ("q" or "k") they are. Other lines fade; leaving shows them all.
const FADED = "0.06";

function isolate(chart, side, index) {
  chart.isolated = side === null ? null : [side, index]; // applied again to lines moved in place
  const shapes = chart.gd._fullLayout?.shapes ?? [];
  for (const group of chart.gd.querySelectorAll(".shape-group[data-index]")) {
    const ends = /^h\d+ q(\d+) k(\d+)$/.exec(shapes[+group.dataset.index]?.name ?? "");
    if (!ends) continue;
    const end = Number(side === "q" ? ends[1] : ends[2]);
    group.style.opacity = side === null || end === index ? "" : FADED;
  }
}

function onHover(chart, event) {
  const pt = event.points[0];
  const side = pt?.data?.meta?.side;
  isolate(chart, side ?? null, side ? pt.pointIndex : null);
  const src = pt && sourceHeat(chart, pt);
  clearBands(chart);
  if (!src) return;
  for (const other of peers(chart)) {
    for (const heat of other.heats) {
      if (heat.ykey === src.ykey) showBand(other, heat, "y", pt.y);
      if (heat.xkey === src.xkey) showBand(other, heat, "x", pt.x);
    }
  }
}

function plain(v) {
  if (v === undefined || (typeof v === "number" && !Number.isFinite(v))) return null;
  return ArrayBuffer.isView(v) || Array.isArray(v) ? Array.from(v, plain) : v;
}

function onClick(chart, event) {
  const pt = event.points[0];
  if (!pt) return;
  const heat = sourceHeat(chart, pt);
  const index = (id, value) => (heat ? (drawnAxis(chart.gd, id)?.index(value) ?? null) : null);
  chart.send("click", {
    trace: pt.curveNumber,
    x: plain(pt.x),
    y: plain(pt.y),
    z: plain(pt.z),
    row: index(heat?.yaxis, pt.y),
    col: index(heat?.xaxis, pt.x),
    customdata: plain(pt.customdata),
  });
}

// ---- Cells repainted in place --------------------------------------------------------------------
// Plotly draws a heatmap as one <image> of one pixel per cell, stretched over the plot area and drawn
// pixelated, and prints its numbers as <text> nodes (one per cell, row by row). When only the values
// changed, Plotly.react would redraw the whole plot (axes, ticks, colour bar, numbers, shapes): here
// the cells are painted on a canvas of one pixel per cell from the colour scale's lookup table, the
// numbers are rewritten, and the plot's own data (gd.data, and what hover and clicks read) is kept
// current, so the hover and a click answer with the new values and an export draws them.
// Reads plotly.js 4.1.1 internals, like drawnAxis: gd._fullData, gd.calcdata and the nodes' __data__.
const LUT_SIZE = 4096; // entries: a channel is off by at most 0.2 of 255 on any scale with 17 stops
const TEMPLATE = /^%\{(text|z):\.(\d+)f\}$/; // the cell numbers this repaints: "%{text:.2f}"
const rgbContext = document.createElement("canvas").getContext("2d");

function rgb(colour) {
  rgbContext.fillStyle = "#000";
  rgbContext.fillStyle = colour;
  const hex = rgbContext.fillStyle; // "#rrggbb" for any opaque colour
  if (!/^#[0-9a-f]{6}$/.test(hex)) return null;
  return [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
}

// A trace's colours: [lo, hi] and a lookup table of LUT_SIZE rgb triples from lo to hi, interpolated
// linearly between the scale's stops as Plotly does; null when the range is Plotly's to choose.
function colourScale(gd, k, trace) {
  const full = gd._fullData?.[k];
  if (!full) return null;
  const axis = full.coloraxis ? gd._fullLayout[full.coloraxis] : null;
  const given = axis ? (gd.layout[full.coloraxis] ?? {}) : trace;
  const [lo, hi] = axis ? [given.cmin, given.cmax] : [given.zmin, given.zmax];
  if (typeof lo !== "number" || typeof hi !== "number" || !(hi > lo)) return null;
  const stops = (axis ?? full).colorscale?.map(([at, c]) => [at, rgb(c)]);
  if (!stops || stops.some(([, c]) => c === null) || (axis ?? full).reversescale) return null;
  const table = new Uint8ClampedArray(3 * LUT_SIZE);
  for (let e = 0, s = 0; e < LUT_SIZE; e++) {
    const t = e / (LUT_SIZE - 1);
    while (s < stops.length - 2 && t > stops[s + 1][0]) s++;
    const [[a, ca], [b, cb]] = [stops[s], stops[s + 1]];
    const f = b > a ? Math.min(1, Math.max(0, (t - a) / (b - a))) : 0;
    for (let ch = 0; ch < 3; ch++) table[3 * e + ch] = Math.round(ca[ch] + f * (cb[ch] - ca[ch]));
  }
  return { lo, hi, table };
}

function lutIndex(scale, v) {
  const t = (v - scale.lo) / (scale.hi - scale.lo);
  return Math.round(Math.min(1, Math.max(0, t)) * (LUT_SIZE - 1));
}

// The cells as a PNG of one pixel each, in the order Plotly lays them (a reversed axis flips them).
function cellImage(z, scale, flipRows, flipCols) {
  const [m, n] = [z.length, z[0]?.length ?? 0];
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [n, m];
  const context = canvas.getContext("2d");
  const image = context.createImageData(n, m);
  const px = image.data;
  for (let i = 0; i < m; i++) {
    const row = z[i];
    const r = flipRows ? m - 1 - i : i;
    for (let j = 0; j < n; j++) {
      const v = row[j];
      if (!Number.isFinite(v)) continue; // masked: transparent, the plot's background shows
      const p = 4 * (r * n + (flipCols ? n - 1 - j : j));
      const e = 3 * lutIndex(scale, v);
      px[p] = scale.table[e];
      px[p + 1] = scale.table[e + 1];
      px[p + 2] = scale.table[e + 2];
      px[p + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}

function heatGroup(gd, k) {
  return [...gd.querySelectorAll("g.hm")].find((g) => g.__data__?.[0]?.trace?.index === k);
}

// The cell numbers rewritten: Plotly's own text, colour (white on dark cells, its #444 on light ones,
// by tinycolor's brightness) and none on a masked cell.
function relabel(group, trace, scale) {
  const nodes = group.querySelectorAll("g.heatmap-label text");
  if (!nodes.length) return true;
  const format = TEMPLATE.exec(trace.texttemplate ?? "");
  const z = trace.z;
  const [m, n] = [z.length, z[0]?.length ?? 0];
  if (!format || nodes.length !== m * n) return false;
  const source = format[1] === "text" ? trace.text : z;
  nodes.forEach((node, c) => {
    const [i, j] = [Math.floor(c / n), c % n];
    const [v, shown] = [z[i][j], source?.[i]?.[j]];
    node.textContent = Number.isFinite(v) && Number.isFinite(shown) ? shown.toFixed(+format[2]) : "";
    if (!Number.isFinite(v)) return;
    const e = 3 * lutIndex(scale, v);
    const bright = (299 * scale.table[e] + 587 * scale.table[e + 1] + 114 * scale.table[e + 2]) / 1000;
    node.style.fill = bright < 128 ? "rgb(255, 255, 255)" : "rgb(68, 68, 68)";
  });
  return true;
}

// A masked cell prints no number (Plotly would print "NaN" from a text of NaN).
function blankMasked(gd) {
  for (const node of gd.querySelectorAll("g.heatmap-label text")) {
    if (node.__data__ && !Number.isFinite(node.__data__.z)) node.textContent = "";
  }
}

// The new values into the plot's data and what hover reads (calcdata: masked cells undefined).
function keepData(gd, k, trace) {
  const cd0 = gd.calcdata?.[k]?.[0];
  if (!cd0) return false;
  for (const held of [gd.data[k], gd._fullData[k]]) {
    held.z = trace.z;
    if ("text" in trace) held.text = trace.text;
  }
  cd0.z = trace.z.map((row) => Array.from(row, (v) => (Number.isFinite(v) ? v : undefined)));
  if ("text" in trace) cd0.text = trace.text;
  return true;
}

// Repaint every heatmap of a figure drawn on the same frame (or those of `only`, a Set of trace
// indices); false when one cannot be (then the caller replots). Everything is checked before anything
// changes.
function repaint(gd, spec, only = null) {
  const plans = [];
  for (const [k, trace] of spec.data.entries()) {
    if (trace.type !== "heatmap" || (only && !only.has(k))) continue;
    const scale = colourScale(gd, k, trace);
    const group = heatGroup(gd, k);
    const image = group?.querySelector("image");
    const [xa, ya] = [drawnAxis(gd, trace.xaxis || "x"), drawnAxis(gd, trace.yaxis || "y")];
    if (!scale || !image || !xa || !ya || !trace.z?.length) return false;
    const [m, n] = [trace.z.length, trace.z[0].length];
    plans.push({
      k,
      trace,
      scale,
      group,
      image,
      flipRows: ya.pixel(0) > ya.pixel(m - 1),
      flipCols: xa.pixel(0) > xa.pixel(n - 1),
    });
  }
  for (const p of plans) {
    if (!keepData(gd, p.k, p.trace) || !relabel(p.group, p.trace, p.scale)) return false;
    p.image.setAttribute("href", cellImage(p.trace.z, p.scale, p.flipRows, p.flipCols));
    p.image.style.imageRendering = "pixelated";
  }
  return true;
}

// ---- Labels and numbers fitted to the map as drawn ------------------------------------------------
// A figure whose layout says meta.fit carries every tick label and every cell's number: only here is
// its pixel size known. Each axis gets the largest label font (LABEL_SIZES) at which labels `pitch` px
// apart stay apart, slanted labels turning upright before they shrink, and every k-th label only when
// even the smallest size is too big (its title then says "1 in k labelled"); the numbers get the
// largest NUMBER_SIZES font at which the widest one fits inside a cell, and none when none fits.
const LABEL_SIZES = [12, 11, 10, 9]; // px
const NUMBER_SIZES = [11, 10, 9]; // px
const UPRIGHT = -89.9; // as charts/figures.py: at exactly -90 Plotly sets the axis title over long labels
const COLOURBAR_ROOM = 80; // px a colour bar takes from the plot's width, until measured (charts/figures.py BAR_ROOM)
const textContext = document.createElement("canvas").getContext("2d");

function pitch(size, angle) {
  const line = 1.2 * size + 0.1; // a 12 px label's box is 14 px tall, with half a pixel between
  return angle === -45 ? 1.35 * line : line; // 45°: the boxes' distance along the axis is √2 × theirs, less overlap
}

function textWidth(text, size, family) {
  textContext.font = `${size}px ${family}`;
  return textContext.measureText(text).width;
}

// A ruler's labels (layout.meta.rulers: d0, d1, ..) keep RULER_SIZE at any length, every 2^j-th one
// labelled: a longer ruler (a d_k step) keeps every label drawn before, or every 2nd, 4th, .. one, and the
// map is drawn anew on the plot as drawn (resize), where labels of a new size would need a replot.
const RULER_SIZE = 10; // px

function rulerFit(axis, n, length) {
  const angle = axis.tickangle ?? 0;
  let step = 1;
  while (step < n && pitch(RULER_SIZE, angle) * n > length * step) step *= 2;
  return { angle, size: RULER_SIZE, step };
}

function axisFit(axis, n, length) {
  const angles = axis.tickangle === -45 ? [-45, UPRIGHT] : [axis.tickangle ?? 0];
  for (const angle of angles) {
    const size = LABEL_SIZES.find((s) => pitch(s, angle) <= length / n);
    if (size) return { angle, size, step: 1 };
  }
  const angle = angles.at(-1);
  return { angle, size: LABEL_SIZES.at(-1), step: Math.ceil((pitch(LABEL_SIZES.at(-1), angle) * n) / length) };
}

function numberSize(trace, cell, family) {
  const format = TEMPLATE.exec(trace.texttemplate ?? "");
  if (!format) return undefined;
  const digits = "0".repeat(+format[2]);
  const wide = Math.max(...["0", "8"].map((d) => textWidth(`${d}.${digits.replaceAll("0", d)}`, 1, family)));
  return NUMBER_SIZES.find((s) => wide * s + 3 <= cell.x && 1.2 * s <= cell.y) ?? null;
}

// The fit for axis lengths {axis id: px}: {axes: {id: {angle, size, step, count}}, numbers: {trace: size | null}}.
function fitPlan(spec, lengths) {
  if (!spec.layout.meta?.fit || !lengths) return null;
  const counts = fittedAxes(spec);
  const family = spec.layout.font?.family ?? "sans-serif";
  const plan = { axes: {}, numbers: {} };
  const rulers = spec.layout.meta.rulers ?? [];
  for (const [id, count] of Object.entries(counts)) {
    const axis = spec.layout[axisName(id)];
    // labels too long to size the margins for keep the figure's own thinning (Plotly's automargin)
    if (axis?.tickvals && !axis.automargin && lengths[id] > 0) {
      const fit = rulers.includes(id) ? rulerFit : axisFit;
      plan.axes[id] = { ...fit(axis, count, lengths[id]), count };
    }
  }
  spec.data.forEach((t, k) => {
    if (t.type !== "heatmap" || !t.texttemplate) return;
    const [x, y] = [t.xaxis || "x", t.yaxis || "y"];
    plan.numbers[k] = numberSize(t, { x: lengths[x] / counts[x], y: lengths[y] / counts[y] }, family);
  });
  return plan;
}

const axisName = (id) => `${id[0]}axis${id.slice(1)}`; // "x2" -> "xaxis2" (charts/figures.py subplot: never "x1")

// The heatmaps' axes: id -> how many categories they show (a window of rows, or every one).
function fittedAxes(spec) {
  const counts = {};
  for (const t of spec.data) {
    if (t.type !== "heatmap") continue;
    const [x, y] = [t.xaxis || "x", t.yaxis || "y"];
    const range = spec.layout[axisName(y)]?.range;
    counts[x] = t.z[0]?.length || 1;
    counts[y] = range ? Math.round(Math.abs(range[1] - range[0])) : t.z.length || 1;
  }
  return counts;
}

function applyFit(spec, plan) {
  for (const [id, fit] of Object.entries(plan.axes)) {
    const axis = spec.layout[axisName(id)];
    const sent = Math.max(1, Math.round(fit.count / axis.tickvals.length)); // the figure's own thinning
    const step = Math.ceil(fit.step / sent); // of the labels sent
    const keep = (_, i) => i % step === 0;
    Object.assign(axis, { tickangle: fit.angle, tickfont: { ...axis.tickfont, size: fit.size } });
    [axis.tickvals, axis.ticktext] = [axis.tickvals.filter(keep), axis.ticktext?.filter(keep)];
    if (step > 1 && axis.title?.text) {
      const bare = axis.title.text.replace(/ \(1 in \d+ labelled\)$/, "");
      axis.title = { ...axis.title, text: `${bare} (1 in ${step * sent} labelled)` };
    }
  }
  for (const [k, size] of Object.entries(plan.numbers)) {
    const trace = spec.data[k];
    if (size === null) delete trace.texttemplate;
    else trace.textfont = { ...trace.textfont, size };
  }
  return spec;
}

// The plot's axis lengths as drawn (measured), or before its first drawing, as they will be drawn.
function axisLengths(chart, spec, measured) {
  const m = { l: 80, r: 80, t: 100, b: 80, ...spec.layout.margin };
  const scale = spec.data.some((t) => t.type === "heatmap" && t.showscale !== false);
  const bar = scale && m.r < COLOURBAR_ROOM ? COLOURBAR_ROOM : 0; // a right margin of that much holds it
  const plot = { x: chart.width - m.l - m.r - bar, y: spec.layout.height - m.t - m.b };
  const length = (id) => {
    const drawn = measured && drawnAxis(chart.gd, id);
    const [lo, hi] = spec.layout[axisName(id)]?.domain ?? [0, 1];
    return drawn ? drawn.length : plot[id[0]] * (hi - lo);
  };
  return Object.fromEntries(Object.keys(fittedAxes(spec)).map((id) => [id, length(id)]));
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// A category axis's names, as hover, clicks and ticks read them (kept until plotly.js recomputes them).
function categorize(axis, names) {
  axis._categories = names.slice();
  axis._categoriesMap = Object.fromEntries(names.map((name, i) => [name, i]));
}

// New words of the same number: each heatmap's category axes take the new names in place
// (categorize). false when an axis is not a category axis of as many names.
function rename(gd, spec) {
  for (const [k, trace] of spec.data.entries()) {
    if (trace.type !== "heatmap") continue;
    for (const along of ["x", "y"]) {
      const [names, held] = [trace[along], gd.data[k][along]];
      if (same(names, held)) continue;
      const id = trace[`${along}axis`] || along;
      const axis = gd._fullLayout[axisName(id)];
      if (axis?.type !== "category" || !Array.isArray(names) || names.length !== held?.length) return false;
      categorize(axis, names);
      gd.data[k][along] = gd._fullData[k][along] = names;
    }
  }
  return true;
}

// New tick labels at the same positions (new words of the same number), written into the labels as
// drawn, as Plotly prints them, and into the layout Plotly draws them from next time: Plotly.relayout
// would measure and redraw every tick of the figure. The labels are escaped text (charts/figures.py),
// so Plotly prints them with &amp; &lt; &gt; decoded and nothing else; false (Plotly.relayout draws
// them) for markup, for an axis that sizes its margin to its labels, or when the ticks drawn are not
// at these positions. Reads plotly.js 4.1.1 internals: a tick's <text> in g.<axis id>tick, its
// __data__ ({x: position, text}), a category axis's _categoriesMap (name -> position; d2c would add
// a name it does not know).
const ENTITY = { amp: "&", lt: "<", gt: ">" };

function retick(gd, name, axis) {
  const [full, held] = [gd._fullLayout[name], gd.layout[name]];
  const { tickvals, ticktext } = axis;
  if (!full || !held || full.automargin || !["category", "linear"].includes(full.type)) return false;
  if (!Array.isArray(tickvals) || !Array.isArray(ticktext) || tickvals.length !== ticktext.length) return false;
  if (ticktext.some((t) => typeof t !== "string" || /[<>]/.test(t))) return false;
  const position = (v) => (full.type === "category" ? full._categoriesMap?.[v] : v);
  const at = new Map(tickvals.map((v, i) => [position(v), ticktext[i]]));
  const nodes = [...gd.querySelectorAll(`g.${full._id}tick > text`)];
  if (nodes.some((node) => !at.has(node.__data__?.x))) return false;
  for (const node of nodes) {
    const label = at.get(node.__data__.x);
    node.textContent = label.replace(/&(amp|lt|gt);/g, (_, e) => ENTITY[e]);
    node.setAttribute("data-unformatted", label);
    node.__data__.text = label;
  }
  [held.tickvals, held.ticktext, full.tickvals, full.ticktext] = [tickvals, ticktext, tickvals, ticktext];
  return true;
}

// ---- Shapes moved in place ------------------------------------------------------------------------
// Plotly.relayout of new shapes removes and draws again every shape of the figure (a shape's position
// is an edit of type "calc"). The line view's lines are many small shapes, and the weights' outlines a
// path each, of which a change moves most and adds or removes a few: each shape that changed has its d and
// style rewritten in place, as plotly.js 4.1.1's shapes drawOne writes them (getPathString,
// Color.stroke and fill, Drawing.dashLine), and the layout and full layout hold the new shapes; shapes
// past the old number are added, or removed, by Plotly.relayout, which leaves the others be. Checked
// first on each shape that changed: the path and style made here for it as it was must be the ones
// plotly.js wrote; otherwise, and for a shape of another type, reference or layer, Plotly.relayout
// draws them all.
const pathScratch = document.createElementNS("http://www.w3.org/2000/svg", "path");

// -> {rgb, alpha} as Color.stroke and fill write a colour, for an opaque or a wholly transparent one;
// null for any other alpha (a canvas rounds it to two digits, plotly.js does not).
function cssColour(colour) {
  const opaque = rgb(colour);
  if (opaque) return { rgb: `rgb(${opaque.join(", ")})`, alpha: 1 };
  const clear = /^rgba\((\d+), (\d+), (\d+), 0\)$/.exec(rgbContext.fillStyle); // as rgb() just parsed it
  return clear ? { rgb: `rgb(${clear[1]}, ${clear[2]}, ${clear[3]})`, alpha: 0 } : null;
}

function dashStyle(dash, width) {
  const w = Math.max(+width || 1, 3);
  const parts = { dot: [1, 1], dash: [3, 3], longdash: [5, 5], dashdot: [3, 1, 1, 1], longdashdot: [5, 2, 1, 2] };
  if (dash === "solid") return "";
  return parts[dash] ? parts[dash].map((f) => `${f * w}px`).join(",") : dash;
}

function shapeStyle(s) { // -> the path's style text, or null for what is not drawn so here
  const width = +s.line?.width || 0;
  const stroke = cssColour(width ? s.line.color : "rgba(0,0,0,0)");
  const fill = cssColour(s.fillcolor ?? "rgba(0,0,0,0)");
  if (!stroke || !fill || s.editable || s.label?.text || s.label?.texttemplate) return null;
  pathScratch.removeAttribute("style");
  const style = [["opacity", s.opacity], ["stroke", stroke.rgb], ["stroke-opacity", stroke.alpha]];
  style.push(["fill", fill.rgb], ["fill-opacity", fill.alpha], ["stroke-dasharray", dashStyle(s.line?.dash, width)]);
  style.push(["stroke-width", `${width}px`]);
  for (const [name, value] of style) pathScratch.style.setProperty(name, `${value}`);
  return pathScratch.style.cssText;
}

function shapePath(gd, s) { // -> the path's d for a line, rectangle or outlinePath on data or paper references, or null
  const size = gd._fullLayout._size;
  const at = (ref, v, letter) => {
    if (ref === "paper") return letter === "x" ? size.l + size.w * v : size.t + size.h * (1 - v);
    const axis = /^[xy]\d*$/.test(ref) && gd._fullLayout[axisName(ref)];
    return axis ? axis._offset + axis.r2p(v) : NaN;
  };
  const shifted = s.x0shift || s.x1shift || s.y0shift || s.y1shift || [s.xsizemode, s.ysizemode].includes("pixel");
  if (shifted) return null;
  if (s.type === "path") return outlinePath(s.path, (v, letter) => at(s[`${letter}ref`], v, letter));
  const [x0, x1, y0, y1] = [at(s.xref, s.x0, "x"), at(s.xref, s.x1, "x"), at(s.yref, s.y0, "y"), at(s.yref, s.y1, "y")];
  if ([x0, x1, y0, y1].some((v) => !Number.isFinite(v))) return null;
  if (s.type === "line") return `M${x0},${y0}L${x1},${y1}`;
  return s.type === "rect" ? `M${x0},${y0}H${x1}V${y1}H${x0}Z` : null;
}

// A path of straight segments (M, L, H, V, Z: the weights' outlines) in data positions, in pixels, as
// plotly.js's convertPath writes it: each number replaced, every separator kept; null for other paths.
function outlinePath(path, at) {
  if (typeof path !== "string" || !/^[MLHVZ\d.,\s-]*$/.test(path)) return null;
  let finite = true;
  const d = path.replace(/[MLHVZ][^MLHVZ]*/g, (segment) => {
    const kind = segment[0];
    let k = 0;
    const params = segment.slice(1).replace(/[^\s,]+/g, (v) => {
      const letter = kind === "V" || (kind !== "H" && k % 2) ? "y" : "x";
      const p = at(v, letter);
      k += 1;
      finite &&= Number.isFinite(p);
      return p;
    });
    finite &&= k === { M: 2, L: 2, H: 1, V: 1, Z: 0 }[kind];
    return kind + params;
  });
  return finite ? d : null;
}

const keysOf = (s) => JSON.stringify([Object.keys(s).sort(), Object.keys(s.line ?? {}).sort()]);

// -> the Plotly.relayout edits that add or remove the shapes past those moved in place ({} for none),
// or null when the shapes cannot be moved in place (then Plotly.relayout draws them all).
function moveShapes(gd, shapes) {
  const [inputs, fulls] = [gd.layout.shapes ?? [], gd._fullLayout.shapes ?? []];
  const n = Math.min(shapes.length, inputs.length);
  if (!n || fulls.length !== inputs.length) return null;
  const paths = new Map();
  for (const group of gd.querySelectorAll(".shape-group[data-index]")) {
    const path = group.querySelector("path"); // Plotly's redraw of all shapes leaves empty groups behind
    if (path) paths.set(+group.dataset.index, path);
  }
  const shown = fulls.flatMap((f, i) => (f.visible !== false ? [i] : []));
  if (paths.size !== shown.length || !shown.every((i) => paths.has(i))) return null;
  const moves = [];
  for (const [i, now] of shapes.slice(0, n).entries()) {
    const [old, path] = [inputs[i], paths.get(i)];
    if (same(now, old)) continue;
    const fixed = ["type", "xref", "yref", "layer", "visible"].every((key) => now[key] === old[key]);
    if (!fixed || keysOf(now) !== keysOf(old) || !path) return null;
    // the check: drawn as plotly.js drew it
    if (shapePath(gd, fulls[i]) !== path.getAttribute("d") || shapeStyle(fulls[i]) !== path.style.cssText) return null;
    const next = { ...fulls[i], ...now, line: { ...fulls[i].line, ...now.line }, _input: now };
    const [d, style] = [shapePath(gd, next), shapeStyle(next)];
    if (!d || style === null || (next.line.width && !next.line.color)) return null; // no default colour here
    moves.push([i, next, d, style]);
  }
  for (const [i, next, d, style] of moves) {
    paths.get(i).setAttribute("d", d);
    paths.get(i).style.cssText = style;
    Object.assign(fulls[i], next);
  }
  // the shapes past the first n: Plotly draws those added (one at a time, the others kept) or removes them
  gd.layout.shapes = [...shapes.slice(0, n), ...inputs.slice(n)];
  const edits = {};
  for (let i = n; i < shapes.length; i++) edits[`shapes[${i}]`] = shapes[i];
  for (let i = inputs.length - 1; i >= n; i--) edits[`shapes[${i}]`] = null;
  return edits;
}

// The title, the shapes and the axes' ticks, where they changed: the Plotly.relayout edits that redraw
// them alone (ticks rewritten in place and shapes moved in place need none).
function layoutEdits(gd, layout) {
  const update = {};
  if (!same(layout.title, gd.layout.title)) update.title = layout.title;
  const shapes = layout.shapes ?? [];
  if (!same(shapes, gd.layout.shapes ?? [])) Object.assign(update, moveShapes(gd, shapes) ?? { shapes });
  for (const name of Object.keys(layout).filter((key) => /^[xy]axis\d*$/.test(key))) {
    const held = gd.layout[name];
    const moved = ["tickvals", "ticktext"].some((key) => !same(layout[name][key], held?.[key]));
    if (!moved || retick(gd, name, layout[name])) continue;
    for (const key of ["tickvals", "ticktext"]) update[`${name}.${key}`] = layout[name][key];
  }
  return update;
}

// New colour ranges (a heatmap's zmin/zmax, a colour axis's cmin/cmax; charts/wire.py RANGES), held
// in the plot's data and layout, with its colour bars alone redrawn: a restyle (or relayout) of a
// colour bar's own length, unchanged, is an edit of type "colorbars", which redraws the bars from the
// new range; Plotly.react would replot the figure. The cells follow (repaint reads the ranges). ->
// {traces, bars, layout}: the restyle of the bars' traces and the relayout edits, for `apply`; or null,
// before anything changed, for a range that is not two numbers, low to high, or a colour axis no map
// of the plot uses (the caller replots).
function rangeEdits(gd, spec) {
  const valid = (lo, hi) => typeof lo === "number" && typeof hi === "number" && hi > lo;
  const traces = spec.data.flatMap((t, k) => {
    const held = gd.data[k];
    return t.type === "heatmap" && held && (t.zmin !== held.zmin || t.zmax !== held.zmax) ? [k] : [];
  });
  const axes = Object.keys(spec.layout).filter((name) => {
    const [now, held] = [spec.layout[name], gd.layout[name]];
    return /^coloraxis\d*$/.test(name) && held && (now.cmin !== held.cmin || now.cmax !== held.cmax);
  });
  if (traces.some((k) => !valid(spec.data[k].zmin, spec.data[k].zmax))) return null;
  if (axes.some((n) => !gd._fullLayout[n] || !valid(spec.layout[n].cmin, spec.layout[n].cmax))) return null;
  // held in the data and layout Plotly's next supplyDefaults reads, and in the full ones it made, which
  // a trace without a colour bar (not restyled) and a change with no Plotly call at all read
  for (const k of traces) {
    const range = { zmin: spec.data[k].zmin, zmax: spec.data[k].zmax };
    Object.assign(gd.data[k], range);
    Object.assign(gd._fullData[k], range);
  }
  for (const n of axes) {
    const range = { cmin: spec.layout[n].cmin, cmax: spec.layout[n].cmax };
    Object.assign(gd.layout[n], range);
    Object.assign(gd._fullLayout[n], range);
  }
  const bars = traces.filter((k) => gd._fullData[k].showscale);
  const shown = axes.filter((n) => gd._fullLayout[n].showscale);
  return {
    traces: bars.length ? { "colorbar.len": bars.map((k) => gd._fullData[k].colorbar.len) } : {},
    bars,
    layout: Object.fromEntries(shown.map((n) => [`${n}.colorbar.len`, gd._fullLayout[n].colorbar.len])),
  };
}

// The edits of one change in one Plotly call: each call of Plotly.restyle, relayout or update fills
// in the whole figure's defaults again (5-10 ms for a figure of three maps), so a change that moves a
// title, a range and a colour bar costs one, not three.
async function apply(Plotly, gd, ranges, layout) {
  const edits = { ...layout, ...ranges.layout };
  if (ranges.bars.length) await Plotly.update(gd, ranges.traces, edits, ranges.bars);
  else if (Object.keys(edits).length) await Plotly.relayout(gd, edits);
}

// ---- A big map's cells painted here in a replot too -----------------------------------------------
// Plotly colours a heatmap's cells one at a time through its colour scale: most of a replot of a
// 512 × 512 map (100-190 ms). A replot hands Plotly the cells of a map of BIG_MAP cells or more blank
// but one (a heatmap with no cell at all is not drawn, and has no image), so its image costs next to
// nothing, and repaint() paints the real cells on that image through the lookup table before the frame
// is shown, the plot's data, calcdata and hover made current as after any repaint. Only maps with no
// cell numbers and a colour range given (Plotly would find it from the cells); when the image cannot
// be painted so, Plotly draws the cells after all.
const BIG_MAP = 4096; // cells: 64 × 64

function givenRange(spec, trace) { // -> [lo, hi] of the trace's colours as the figure gives them, or null
  const [lo, hi] = trace.coloraxis
    ? [spec.layout[trace.coloraxis]?.cmin, spec.layout[trace.coloraxis]?.cmax]
    : [trace.zmin, trace.zmax];
  return typeof lo === "number" && typeof hi === "number" && hi > lo ? [lo, hi] : null;
}

// -> {data: the traces with the big maps' cells blank, traces: Set of their indices}, or null: none.
function blankCells(spec) {
  const traces = new Set();
  const data = spec.data.map((t, k) => {
    const [m, n] = [t.z?.length ?? 0, t.z?.[0]?.length ?? 0];
    const range = t.type === "heatmap" && !t.texttemplate && m * n >= BIG_MAP && givenRange(spec, t);
    if (!range) return t;
    traces.add(k);
    const blank = new Float32Array(n).fill(NaN); // one row for all: Plotly copies the cells it reads
    const first = blank.slice();
    first[0] = range[0];
    return { ...t, z: Array.from({ length: m }, (_, i) => (i === 0 ? first : blank)) };
  });
  return traces.size ? { data, traces } : null;
}

async function plot(Plotly, chart, wire, lengths) {
  const spec = restore(wire.head.spec, wire);
  delete spec.layout.width;
  spec.layout.autosize = true;
  const plan = fitPlan(spec, lengths);
  if (plan) applyFit(spec, plan);
  const config = { displaylogo: false, responsive: false, ...wire.head.config };
  const figure = { data: spec.data, layout: spec.layout, frames: spec.frames, config };
  const blank = blankCells(spec);
  await Plotly.react(chart.gd, blank ? { ...figure, data: blank.data } : figure);
  const painted = !!blank && repaint(chart.gd, spec, blank.traces);
  if (blank && !painted) {
    // new outer arrays: Plotly.react takes an array it holds already (repaint may have kept one) as unchanged
    const data = spec.data.map((t) => (Array.isArray(t.z) ? { ...t, z: [...t.z] } : t));
    await Plotly.react(chart.gd, { ...figure, data });
  }
  chart.gd.dataset.cells = painted ? "table" : "plotly"; // who painted the cells of this replot
  blankMasked(chart.gd);
  [chart.fit, chart.wire] = [JSON.stringify(plan), wire];
  return spec;
}

async function draw(Plotly, chart, wire) {
  const lengths = axisLengths(chart, restore(wire.head.spec, wire), !!chart.hash);
  const spec = await plot(Plotly, chart, wire, lengths);
  await refit(Plotly, chart);
  [chart.hash, chart.frame, chart.form] = [wire.head.hash, wire.head.frame, wire.head.form];
  chart.repaints = chart.gd.dataset.repaints = 0; // changes drawn in place since this replot
  for (const b of chart.bands.values()) b.remove();
  chart.bands.clear();
  chart.heats = heatmaps(wire.head.spec, spec.data);
  if (!chart.listening) {
    chart.gd.on("plotly_hover", (e) => onHover(chart, e));
    chart.gd.on("plotly_unhover", () => {
      clearBands(chart);
      isolate(chart, null, null);
    });
    chart.gd.on("plotly_click", (e) => onClick(chart, e));
    chart.gd.on("plotly_afterplot", () => blankMasked(chart.gd)); // a resize prints the numbers anew
    chart.listening = true;
  }
}

async function render(chart, bytes) {
  const [Plotly] = await Promise.all([loadPlotly(), loadBases()]);
  const wire = await decoded(chart, bytes);
  join(chart, wire.head.group ?? null);
  clearBands(chart);
  if (chart.hash === wire.head.hash) return;
  if (chart.frame === wire.head.frame && (await inPlace(Plotly, chart, wire))) return;
  const reshaped = wire.head.form && chart.form === wire.head.form && chart.frame !== wire.head.frame;
  if (reshaped && (await resize(Plotly, chart, wire))) return;
  await draw(Plotly, chart, wire);
}

// Labels and numbers fitted anew when the plot as drawn has other axis lengths than the fit assumed.
async function refit(Plotly, chart) {
  const spec = chart.wire && restore(chart.wire.head.spec, chart.wire);
  const lengths = spec && axisLengths(chart, spec, true);
  if (spec && JSON.stringify(fitPlan(spec, lengths)) !== chart.fit) await plot(Plotly, chart, chart.wire, lengths);
}

// The figure's new cells, names, title, shapes and colour ranges on the plot as drawn; false when it
// must be replotted.
async function inPlace(Plotly, chart, wire) {
  const spec = restore(wire.head.spec, wire);
  const plan = fitPlan(spec, axisLengths(chart, spec, true));
  if (JSON.stringify(plan) !== chart.fit) return false; // fonts and angles change only in a replot
  if (plan) applyFit(spec, plan);
  if (!rename(chart.gd, spec)) return false;
  const drawn = JSON.stringify(axisLengths(chart, spec, true));
  const ranges = rangeEdits(chart.gd, spec);
  if (!ranges) return false;
  await apply(Plotly, chart.gd, ranges, layoutEdits(chart.gd, spec.layout));
  if (chart.isolated) isolate(chart, ...chart.isolated); // a hovered token's lines stay picked out
  // a colour bar or title whose new text is wider or narrower moves the margins: Plotly then lays the
  // plot out again, and the labels and numbers are fitted anew in a replot
  if (JSON.stringify(axisLengths(chart, spec, true)) !== drawn) return false;
  if (!repaint(chart.gd, spec)) return false;
  [chart.hash, chart.wire] = [wire.head.hash, wire];
  chart.heats = heatmaps(wire.head.spec, spec.data); // maps on the same new names link on hover
  chart.gd.dataset.repaints = ++chart.repaints;
  return true;
}

// ---- New sizes on the plot as drawn ---------------------------------------------------------------
// A figure of the same form (charts/wire.py "form") with more or fewer rows or columns: after a d_k
// step, the maps of Q, K, V, their projections and the output. Plotly.react would replot it (every
// tick, title and colour bar drawn anew); here each heatmap's cells are computed again by its trace
// module, its category axes take the new names, and Plotly.relayout of the resized axes' ranges draws
// those axes and the cells: plotly.js joins ticks to the ones drawn by their text and position, so
// the ticks that stay are kept and only new ones are added. Figures of heatmaps alone, whose numbers
// and other axes keep their fit and ranges, and whose resized axes keep their labels' size and angle
// (only Plotly places an axis title clear of labels of a new size; every k-th label may change) and
// carry no shapes if they autorange (Plotly finds shapes' extent in a replot). Reads plotly.js 4.1.1
// internals: a full trace's _module.calc (what Plotly.react runs for a trace), gd.calcdata, an axis's
// _categories and _categoriesMap (categorize) and an axis title's <text class="{id}title">. false,
// before anything changed, when it cannot be drawn so (then the caller replots); false after, when the
// margins moved (a replot fits them).
function resizedAxes(gd, spec) {
  const resized = new Set();
  for (const [k, t] of spec.data.entries()) {
    for (const along of ["x", "y"]) {
      if (t[along]?.length !== gd.data[k]?.[along]?.length) resized.add(t[`${along}axis`] || along);
    }
  }
  return resized;
}

function titleNode(gd, id) {
  return gd.querySelector(`g.g-${id}title > text.${id}title`);
}

// -> {resized: Set of axis ids, plan} when the figure can be drawn anew on the plot as drawn, else null.
// Nothing changes here.
function resizable(chart, spec) {
  const gd = chart.gd;
  const names = (t) => Array.isArray(t.x) && Array.isArray(t.y);
  if (spec.frames || spec.data.length !== gd.data.length || !spec.data.every((t) => t.type === "heatmap" && names(t))) {
    return null;
  }
  const resized = resizedAxes(gd, spec);
  const axis = (id) => [spec.layout[axisName(id)], gd.layout[axisName(id)], gd._fullLayout[axisName(id)]];
  for (const id of resized) {
    const [now, held, full] = axis(id);
    if (!now || !held || full?.type !== "category") return null;
    // an autorange would still hold the shapes drawn on it before (Plotly finds their extent in a replot)
    if ((now.autorange || !now.range) && full._shapeIndices?.length) return null;
  }
  const plan = fitPlan(spec, axisLengths(chart, spec, true));
  const fit = chart.fit && JSON.parse(chart.fit);
  if (!resized.size || !same(plan?.numbers, fit?.numbers)) return null;
  // labels of another size or angle would need the axis title moved: a replot places it
  const ids = new Set([...Object.keys(plan?.axes ?? {}), ...Object.keys(fit?.axes ?? {})]);
  const drawnAlike = (a, b) => a && b && a.angle === b.angle && a.size === b.size;
  for (const id of ids) {
    const [now, was] = [plan?.axes[id], fit?.axes[id]];
    if (resized.has(id) ? !drawnAlike(now, was) : !same(now, was)) return null;
  }
  if (plan) applyFit(spec, plan);
  const old = restore(chart.wire.head.spec, chart.wire);
  for (const name of Object.keys(spec.layout).filter((key) => /^[xy]axis\d*$/.test(key))) {
    const [now, was] = [spec.layout[name], old.layout[name] ?? {}];
    const id = name.replace("axis", "");
    if (resized.has(id)) {
      const text = now.title?.text ?? "";
      const changed = text !== (gd.layout[name].title?.text ?? "");
      if (changed && (/[<>&]/.test(text) || !titleNode(gd, id))) return null;
    } else if (!["title", "range", "autorange"].every((key) => same(now[key], was[key]))) {
      return null; // an axis not resized keeps its title and range
    }
  }
  return { resized, plan };
}

async function resize(Plotly, chart, wire) {
  const gd = chart.gd;
  const spec = restore(wire.head.spec, wire);
  const able = resizable(chart, spec);
  if (!able) return false;
  const { resized, plan } = able;
  const drawn = JSON.stringify(axisLengths(chart, spec, true));
  const ranges = {};
  for (const id of resized) {
    const name = axisName(id);
    const [axis, held, full] = [spec.layout[name], gd.layout[name], gd._fullLayout[name]];
    for (const key of ["tickvals", "ticktext", "tickangle"]) if (key in axis) held[key] = full[key] = axis[key];
    if (axis.tickfont) [held.tickfont, full.tickfont] = [axis.tickfont, { ...full.tickfont, ...axis.tickfont }];
    const text = axis.title?.text ?? "";
    if (text !== (held.title?.text ?? "")) {
      held.title = { ...held.title, text };
      full.title = { ...full.title, text };
      titleNode(gd, id).textContent = text;
    }
    if (axis.autorange || !axis.range) ranges[`${name}.autorange`] = axis.autorange || true;
    else ranges[`${name}.range`] = axis.range;
  }
  for (const [k, t] of spec.data.entries()) {
    const trace = gd._fullData[k];
    for (const along of ["x", "y"]) categorize(gd._fullLayout[axisName(t[`${along}axis`] || along)], t[along]);
    for (const key of ["x", "y", "z", "text"]) if (key in t) gd.data[k][key] = trace[key] = t[key];
    trace._extremes = {};
    const cd = trace._module.calc(gd, trace);
    cd[0].trace = trace;
    cd[0].t ??= {};
    gd.calcdata[k] = cd;
  }
  const colours = rangeEdits(gd, spec); // the colour range the cells are drawn on
  if (!colours) return false;
  // the resized axes, then every trace's cells; the title, shapes and the ticks of axes not resized
  await apply(Plotly, gd, colours, { ...ranges, ...layoutEdits(gd, spec.layout) });
  blankMasked(gd);
  if (JSON.stringify(axisLengths(chart, spec, true)) !== drawn) return false;
  [chart.hash, chart.frame, chart.wire, chart.fit] = [wire.head.hash, wire.head.frame, wire, JSON.stringify(plan)];
  chart.heats = heatmaps(wire.head.spec, spec.data);
  chart.gd.dataset.repaints = ++chart.repaints;
  return true;
}

// ---- Drawn near the screen ------------------------------------------------------------------------
// A chart far from the screen (NEAR: within a few hundred pixels of the part of the page in view) is
// not drawn: its newest data waits, the page keeps its height, and it is drawn as it comes near. A
// change of the settings then draws only the maps a visitor can see. The root says data-waiting
// while data waits; its plot, if drawn before, still holds the data drawn then.
const NEAR = "300px 0px";

// The nearest ancestor that scrolls (Streamlit's main area), or null: the window.
function scroller(element) {
  for (let e = element.parentElement; e; e = e.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(e).overflowY)) return e;
  }
  return null;
}

function watch(chart) {
  const observer = new IntersectionObserver(
    (entries) => {
      chart.near = entries.at(-1).isIntersecting;
      drain(chart); // near: drawn; far: said to wait
    },
    { root: scroller(chart.root), rootMargin: NEAR },
  );
  observer.observe(chart.root);
  return observer;
}

// Data held while the chart is far: the space its figure will take is kept (a waiting chart that was
// never drawn would otherwise be 0 px tall, and everything below would move when it is drawn). Until
// the first look (watch), whether it is far is not known: it waits without saying so.
async function hold(chart, bytes) {
  const wire = await decoded(chart, bytes);
  const waits = wire.head.hash !== chart.hash; // false: drawn already
  if (waits && !chart.hash) chart.fig.style.minHeight = `${wire.head.spec.layout?.height ?? 450}px`;
  if (waits && chart.near === false) chart.root.dataset.waiting = "1";
  else delete chart.root.dataset.waiting;
  return waits;
}

// The payload decoded once, whether it waits first or not.
async function decoded(chart, bytes) {
  if (chart.decoded?.bytes !== bytes) chart.decoded = { bytes, wire: await decode(bytes) };
  return chart.decoded.wire;
}

// Newest data wins: a change that arrives while drawing is drawn next; older ones are skipped. A
// chart whose width changed while it was far is fitted to it first.
async function drain(chart) {
  if (chart.busy) return;
  chart.busy = true;
  let bytes = null;
  try {
    if (chart.near && chart.resized && window.Plotly) {
      chart.resized = false;
      await window.Plotly.Plots.resize(chart.gd);
      await refit(window.Plotly, chart);
    }
    while (chart.next) {
      bytes = chart.next;
      if (chart.near !== true) {
        const waits = await hold(chart, bytes);
        if (chart.next !== bytes) continue; // newer data came meanwhile
        if (!waits) chart.next = null;
        else if (!chart.near) break; // drawn when it comes near (watch)
        continue;
      }
      chart.next = null;
      delete chart.root.dataset.waiting; // drawing now
      await render(chart, bytes);
      chart.fig.style.minHeight = "";
      chart.decoded = null;
      chart.error.textContent = "";
    }
  } catch (err) {
    chart.next ??= bytes; // tried again when it next comes near, or with newer data
    chart.error.textContent = `The chart could not be drawn: ${err.message}`;
  } finally {
    chart.busy = false;
  }
}

// The chart's width as last laid out (chart.width, whole pixels), kept from its ResizeObserver: reading
// clientWidth while other charts and Streamlit's elements have just changed would lay the whole page
// out again, once per chart. A new width fits the plot to it.
function follow(chart) {
  chart.width = chart.root.clientWidth; // at mount, before the observer's first report
  const observer = new ResizeObserver(([entry]) => {
    const now = Math.round(entry.borderBoxSize[0].inlineSize); // as clientWidth would read it
    if (now === chart.width) return;
    chart.width = now;
    if (!window.Plotly) return;
    clearBands(chart);
    if (!chart.hash) return;
    if (chart.near === false) {
      chart.resized = true; // fitted when it comes near (drain)
      return;
    }
    const Plotly = window.Plotly;
    Promise.resolve(Plotly.Plots.resize(chart.gd)).then(() => !chart.busy && refit(Plotly, chart));
  });
  observer.observe(chart.root);
  return observer;
}

// <div.lc-root> holds <div.lc-fig>: the plot and, above it, the overlay the hover bands are drawn in.
function mount(parentElement) {
  const root = document.createElement("div");
  root.className = "lc-root";
  const fig = document.createElement("div");
  fig.className = "lc-fig";
  const gd = document.createElement("div");
  const over = document.createElement("div");
  over.className = "lc-over";
  const error = document.createElement("div");
  error.className = "lc-error";
  fig.append(gd, over);
  root.appendChild(fig);
  parentElement.append(root, error);
  const chart = { root, fig, gd, over, error, hash: null, heats: [], bands: new Map(), group: null };
  Object.assign(chart, { next: null, busy: false, listening: false, near: undefined, resized: false });
  chart.observer = follow(chart);
  chart.watcher = watch(chart);
  return chart;
}

export default function ({ data, parentElement, setTriggerValue }) {
  parentElement.__liveChart ??= mount(parentElement);
  const chart = parentElement.__liveChart;
  chart.send = setTriggerValue;
  if (data) {
    chart.next = data;
    drain(chart);
  }
  // Called when the element leaves the page (or when a stale call is superseded): start afresh.
  return () => {
    chart.observer.disconnect();
    chart.watcher.disconnect();
    join(chart, null);
    if (window.Plotly) window.Plotly.purge(chart.gd);
    chart.root.remove();
    chart.error.remove();
    if (parentElement.__liveChart === chart) delete parentElement.__liveChart;
  };
}
