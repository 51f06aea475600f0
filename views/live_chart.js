// Plotly figures that update in place. The payload (charts/wire.py) is a JSON header plus typed
// arrays; each figure keeps its own plot div for the life of the component, and only figures whose
// hash changed are redrawn with Plotly.react. plotly.js is loaded once, from the app's static folder.
// Label text reaches Plotly only as data (already escaped); nothing here writes HTML.
// This module is loaded once per page: its variables are shared by every instance.
const PLOTLY_URL = "app/static/plotly.min.js";
const TYPES = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int32: Int32Array };
const GROUPS = new Map(); // group name -> Set of instance states whose maps are linked on hover
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

function decode(bytes) {
  const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n)));
  return { head, body: bytes.slice(4 + n).buffer }; // a fresh, aligned buffer
}

function restore(v, wire, base) {
  if (Array.isArray(v)) return v.map((x) => restore(x, wire, base));
  if (v === null || typeof v !== "object") return v;
  if ("$array" in v) {
    const count = v.shape.reduce((a, b) => a * b, 1);
    const start = base + v.offset;
    const flat =
      v.$array === "float64" // 8-byte values may sit on a 4-byte boundary: view a copy
        ? new Float64Array(wire.body.slice(start, start + 8 * count))
        : new TYPES[v.$array](wire.body, start, count);
    if (v.shape.length !== 2) return flat;
    const width = v.shape[1];
    return Array.from({ length: v.shape[0] }, (_, i) => flat.subarray(i * width, (i + 1) * width));
  }
  if ("$labels" in v) {
    const items = wire.head.labels[v.$labels];
    return v.index ? Array.from(restore(v.index, wire, base), (i) => items[i]) : items;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x, wire, base)]));
}

// The heatmaps of a figure with their axes and an identity for each label list, so maps drawn on
// the same tokens can be linked on hover.
function heatmaps(spec) {
  const key = (labels) => labels?.$labels ?? JSON.stringify(labels ?? null);
  return spec.data
    .filter((t) => t.type === "heatmap")
    .map((t) => ({ xaxis: t.xaxis || "x", yaxis: t.yaxis || "y", xkey: key(t.x), ykey: key(t.y) }));
}

function band(plot, heat, axisName) {
  heat.bands ??= {};
  if (!heat.bands[axisName]) {
    const div = document.createElement("div");
    div.className = "lc-band";
    plot.over.appendChild(div);
    heat.bands[axisName] = div;
  }
  return heat.bands[axisName];
}

function axes(gd, heat) {
  const full = gd._fullLayout;
  return [full[`xaxis${heat.xaxis.slice(1)}`], full[`yaxis${heat.yaxis.slice(1)}`]];
}

function showBand(plot, heat, along, label) {
  const [xa, ya] = axes(plot.gd, heat);
  const a = along === "y" ? ya : xa;
  const c = a?.d2c(label);
  if (c === undefined || c < 0 || Number.isNaN(c)) return;
  const p0 = a._offset + a.l2p(c - 0.5);
  const p1 = a._offset + a.l2p(c + 0.5);
  const [lo, size] = [Math.min(p0, p1), Math.abs(p1 - p0)];
  const box = along === "y" ? [xa._offset, lo, xa._length, size] : [lo, ya._offset, size, ya._length];
  const s = band(plot, heat, along).style;
  [s.left, s.top, s.width, s.height] = box.map((p) => `${p}px`);
  s.display = "block";
}

function peers(state) {
  return state.group === null ? [state] : GROUPS.get(state.group);
}

function join(state, group) {
  if (state.group === group) return;
  GROUPS.get(state.group)?.delete(state);
  state.group = group;
  if (group === null) return;
  if (!GROUPS.has(group)) GROUPS.set(group, new Set());
  GROUPS.get(group).add(state);
}

function clearBands(state) {
  for (const peer of peers(state)) {
    for (const el of peer.root.querySelectorAll(".lc-band")) el.style.display = "none";
  }
}

// The heatmap a hovered or clicked point belongs to: the heatmap itself, or a cell overlay
// (a scatter with one marker per cell) drawn on the same axes.
function sourceHeat(plot, pt) {
  const heat = plot.heats.find((h) => h.xaxis === pt.xaxis._id && h.yaxis === pt.yaxis._id);
  if (!heat || pt.data.type === "heatmap") return heat;
  const z = plot.gd._fullData.find((t) => t.type === "heatmap" && (t.xaxis || "x") === heat.xaxis)?.z;
  return z && pt.data.x?.length === z.length * (z[0]?.length ?? 0) ? heat : undefined;
}

function onHover(state, plot, event) {
  const pt = event.points[0];
  const src = pt && sourceHeat(plot, pt);
  clearBands(state);
  if (!src) return;
  for (const other of [...peers(state)].flatMap((peer) => peer.plots)) {
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

function onClick(state, plot, event) {
  const pt = event.points[0];
  if (!pt) return;
  const heat = sourceHeat(plot, pt);
  const [xa, ya] = heat ? axes(plot.gd, heat) : [pt.xaxis, pt.yaxis];
  state.send("click", {
    figure: plot.index,
    name: plot.name,
    trace: pt.curveNumber,
    x: plain(pt.x),
    y: plain(pt.y),
    z: plain(pt.z),
    row: heat ? ya.d2c(pt.y) : null,
    col: heat ? xa.d2c(pt.x) : null,
    customdata: plain(pt.customdata),
  });
}

function addPlot(state, index) {
  const wrap = document.createElement("div");
  wrap.className = "lc-fig";
  const gd = document.createElement("div");
  const over = document.createElement("div");
  over.className = "lc-over";
  wrap.append(gd, over);
  state.root.appendChild(wrap);
  const plot = { index, wrap, gd, over, hash: null, heats: [], listening: false };
  state.plots.push(plot);
  return plot;
}

async function draw(Plotly, state, plot, wire, fig) {
  const spec = restore(fig.spec, wire, fig.offset);
  delete spec.layout.width;
  spec.layout.autosize = true;
  const config = { displaylogo: false, responsive: false, ...fig.config };
  await Plotly.react(plot.gd, { data: spec.data, layout: spec.layout, frames: spec.frames, config });
  plot.hash = fig.hash;
  plot.name = fig.name;
  for (const heat of plot.heats) for (const b of Object.values(heat.bands ?? {})) b.remove();
  plot.heats = heatmaps(fig.spec);
  if (!plot.listening) {
    plot.gd.on("plotly_hover", (e) => onHover(state, plot, e));
    plot.gd.on("plotly_unhover", () => clearBands(state));
    plot.gd.on("plotly_click", (e) => onClick(state, plot, e));
    plot.listening = true;
  }
}

async function render(state, bytes) {
  const Plotly = await loadPlotly();
  const wire = decode(bytes);
  const figures = wire.head.figures;
  join(state, wire.head.group ?? null);
  clearBands(state);
  while (state.plots.length > figures.length) {
    const plot = state.plots.pop();
    Plotly.purge(plot.gd);
    plot.wrap.remove();
  }
  for (let k = 0; k < figures.length; k++) {
    const plot = state.plots[k] ?? addPlot(state, k);
    if (plot.hash !== figures[k].hash) await draw(Plotly, state, plot, wire, figures[k]);
  }
}

// Newest data wins: a change that arrives while drawing is drawn next; older ones are skipped.
async function drain(state) {
  if (state.busy) return;
  state.busy = true;
  try {
    while (state.next) {
      const bytes = state.next;
      state.next = null;
      await render(state, bytes);
    }
    state.error.textContent = "";
  } catch (err) {
    state.error.textContent = `Charts could not be drawn: ${err.message}`;
  } finally {
    state.busy = false;
  }
}

function follow(state) {
  let width = state.root.clientWidth;
  const observer = new ResizeObserver(() => {
    const now = state.root.clientWidth;
    if (now === width || !window.Plotly) return;
    width = now;
    clearBands(state);
    for (const plot of state.plots) if (plot.hash) window.Plotly.Plots.resize(plot.gd);
  });
  observer.observe(state.root);
  return observer;
}

function mount(parentElement) {
  const root = document.createElement("div");
  root.className = "lc-root";
  const error = document.createElement("div");
  error.className = "lc-error";
  parentElement.append(root, error);
  const state = { root, error, plots: [], next: null, busy: false, group: null };
  state.observer = follow(state);
  return state;
}

export default function ({ data, parentElement, setTriggerValue }) {
  parentElement.__liveCharts ??= mount(parentElement);
  const state = parentElement.__liveCharts;
  state.send = setTriggerValue;
  if (data) {
    state.next = data;
    drain(state);
  }
  // Called when the element leaves the page (or when a stale call is superseded): start afresh.
  return () => {
    state.observer.disconnect();
    join(state, null);
    if (window.Plotly) for (const plot of state.plots) window.Plotly.purge(plot.gd);
    state.root.remove();
    state.error.remove();
    if (parentElement.__liveCharts === state) delete parentElement.__liveCharts;
  };
}
