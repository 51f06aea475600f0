// Which keyed parts of the page lie far from the screen (views/near.py). The page draws a far part as
// an empty slot of the height it had; this watcher tells it, as the visitor scrolls or the page
// changes, which parts are far ({key: height in whole pixels}) through the state value "far", so a
// part is built again before it is scrolled into view. A report that would repeat the last one is not
// sent: every report is a run of the page.
const SETTLE_MS = 120; // a check waits this long after the last scroll or change before it measures

// The nearest ancestor that scrolls (Streamlit's main area), or null: the window.
function scroller(element) {
  for (let e = element.parentElement; e; e = e.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(e).overflowY)) return e;
  }
  return null;
}

function view(root) { // -> {top, bottom} of the part of the page in view, in the window's pixels
  if (!root) return { top: 0, bottom: window.innerHeight };
  const r = root.getBoundingClientRect();
  return { top: r.top, bottom: r.bottom };
}

// {key: height} of the watched parts far from the view. A part left out is built again within
// margins.near pixels of the view, a part built is left out past margins.far (more): a visitor who
// stops near the boundary does not start a run with every small scroll. A part keeps the height it
// had when it went far (heights): its empty slot is then measured as exactly that.
function farParts(keys, margins, seen, heights) {
  const far = {};
  for (const key of keys) {
    const part = document.querySelector(`.st-key-${CSS.escape(key)}`);
    if (!part) continue; // not on the page (yet): built, as the page does without a report
    const r = part.getBoundingClientRect();
    const margin = heights.has(key) ? margins.near : margins.far;
    if (r.bottom >= seen.top - margin && r.top <= seen.bottom + margin) heights.delete(key);
    else far[key] = heights.get(key) ?? heights.set(key, Math.round(r.height)).get(key);
  }
  return far;
}

function watcher(parentElement) {
  const w = { keys: [], margins: { near: 0, far: 0 }, send: null, sent: JSON.stringify({}), timer: null };
  w.heights = new Map(); // key -> the height a part had when it went far
  w.check = () => {
    clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      const far = farParts(w.keys, w.margins, view(w.root), w.heights);
      const said = JSON.stringify(far);
      if (said === w.sent || !w.send) return;
      w.sent = said;
      w.send("far", far);
    }, SETTLE_MS);
  };
  w.root = scroller(parentElement);
  const target = w.root ?? window;
  target.addEventListener("scroll", w.check, { passive: true });
  window.addEventListener("resize", w.check);
  // The page grows or shrinks (a longer sentence, a part drawn or left out): the parts move.
  w.resized = new ResizeObserver(w.check);
  w.resized.observe(w.root?.firstElementChild ?? document.body);
  w.stop = () => {
    clearTimeout(w.timer);
    target.removeEventListener("scroll", w.check);
    window.removeEventListener("resize", w.check);
    w.resized.disconnect();
  };
  return w;
}

export default function ({ data, parentElement, setStateValue }) {
  const w = (parentElement.__near ??= watcher(parentElement));
  w.keys = data?.keys ?? [];
  w.margins = { near: data?.near ?? 0, far: data?.far ?? 0 };
  w.send = setStateValue;
  w.check();
  return () => {
    w.stop();
    if (parentElement.__near === w) delete parentElement.__near;
  };
}
