// One Plotly figure that updates in place. The payload (charts/wire.py) is a JSON header plus typed
// arrays; the figure keeps its plot div for the life of the component and is redrawn with
// Plotly.react only when its hash changed. plotly.js is loaded once, from the app's static folder
// (static/plotly.min.js, beside this file). Label text reaches Plotly only as data (already
// escaped); nothing here writes HTML. This module is loaded once per page: its variables are shared
// by every instance, which is how the maps of one hover group find each other.
const PLOTLY_URL = "app/static/plotly.min.js";
const TYPES = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int32: Int32Array };
const GROUPS = new Map(); // group name -> Set of the charts whose maps are linked on hover
let plotlyLoading = null;

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
  const axis = gd._fullLayout?.[`${id[0]}axis${id.slice(1)}`];
  if (!axis) return undefined;
  return {
    index: (value) => axis.d2c(value),
    pixel: (position) => axis._offset + axis.l2p(position),
    start: axis._offset,
    length: axis._length,
  };
}

function decode(bytes) {
  const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n)));
  return { head, body: bytes.slice(4 + n).buffer }; // a fresh, aligned buffer
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
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x, wire)]));
}

// The figure's heatmaps: their axes, their number of cells, and an identity for each label list, so
// maps drawn on the same tokens can be linked on hover. spec: as sent; data: the restored traces.
function heatmaps(spec, data) {
  const key = (labels) => labels?.$labels ?? JSON.stringify(labels ?? null);
  return spec.data.flatMap((t, k) => {
    if (t.type !== "heatmap") return [];
    const z = data[k].z ?? [];
    const cells = z.length * (z[0]?.length ?? 0);
    return [{ id: k, xaxis: t.xaxis || "x", yaxis: t.yaxis || "y", xkey: key(t.x), ykey: key(t.y), cells }];
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

function onHover(chart, event) {
  const pt = event.points[0];
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

async function draw(Plotly, chart, wire) {
  const spec = restore(wire.head.spec, wire);
  delete spec.layout.width;
  spec.layout.autosize = true;
  const config = { displaylogo: false, responsive: false, ...wire.head.config };
  await Plotly.react(chart.gd, { data: spec.data, layout: spec.layout, frames: spec.frames, config });
  chart.hash = wire.head.hash;
  for (const b of chart.bands.values()) b.remove();
  chart.bands.clear();
  chart.heats = heatmaps(wire.head.spec, spec.data);
  if (!chart.listening) {
    chart.gd.on("plotly_hover", (e) => onHover(chart, e));
    chart.gd.on("plotly_unhover", () => clearBands(chart));
    chart.gd.on("plotly_click", (e) => onClick(chart, e));
    chart.listening = true;
  }
}

async function render(chart, bytes) {
  const Plotly = await loadPlotly();
  const wire = decode(bytes);
  join(chart, wire.head.group ?? null);
  clearBands(chart);
  if (chart.hash !== wire.head.hash) await draw(Plotly, chart, wire);
}

// Newest data wins: a change that arrives while drawing is drawn next; older ones are skipped.
async function drain(chart) {
  if (chart.busy) return;
  chart.busy = true;
  try {
    while (chart.next) {
      const bytes = chart.next;
      chart.next = null;
      await render(chart, bytes);
    }
    chart.error.textContent = "";
  } catch (err) {
    chart.error.textContent = `The chart could not be drawn: ${err.message}`;
  } finally {
    chart.busy = false;
  }
}

function follow(chart) {
  let width = chart.root.clientWidth;
  const observer = new ResizeObserver(() => {
    const now = chart.root.clientWidth;
    if (now === width || !window.Plotly) return;
    width = now;
    clearBands(chart);
    if (chart.hash) window.Plotly.Plots.resize(chart.gd);
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
  const chart = { root, gd, over, error, hash: null, heats: [], bands: new Map(), group: null };
  Object.assign(chart, { next: null, busy: false, listening: false });
  chart.observer = follow(chart);
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
    join(chart, null);
    if (window.Plotly) window.Plotly.purge(chart.gd);
    chart.root.remove();
    chart.error.remove();
    if (parentElement.__liveChart === chart) delete parentElement.__liveChart;
  };
}
