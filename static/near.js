// Which keyed parts of the page lie far from the screen (views/near.py). The page draws a far part as
// an empty slot of the height it had; this watcher tells it, as the visitor scrolls or the page
// changes, which parts are far ({key: height in whole pixels}) through the state value "far", so a
// part is built again before it is scrolled into view. A report that would repeat the last one is not
// sent: every report is a run of the page.
const SETTLE_MS = 120; // a check waits this long after the last scroll or change before it measures
const PART = "near_"; // a watched part is the container keyed near_… (views/near.py PART)
const PARTS = `[class*="st-key-${PART}"]`;
const MARGINS = { near: 400, far: 600 }; // px from the screen: built within near, left out past far

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
// had when it went far (heights): its empty slot is then measured as exactly that. A part coming
// near moves its height to held, kept until it is drawn (keepPlaces).
function farParts(margins, seen, heights, held) {
  const far = {};
  for (const part of document.querySelectorAll(PARTS)) {
    const key = [...part.classList].find((c) => c.startsWith(`st-key-${PART}`))?.slice("st-key-".length);
    if (!key) continue;
    const r = part.getBoundingClientRect();
    const margin = heights.has(key) ? margins.near : margins.far;
    if (r.bottom >= seen.top - margin && r.top <= seen.bottom + margin) {
      if (heights.has(key)) held.set(key, { height: heights.get(key), since: performance.now() });
      heights.delete(key);
    } else far[key] = heights.get(key) ?? heights.set(key, Math.round(r.height)).get(key);
  }
  return far;
}

// A part built again holds at least the height it had until every map in it is drawn (a map has no
// height until its data is read: the page below would move up and back down), for at most HOLD_MS.
// Its maps are the chart components' elements, keyed live_* (views/live_chart.py KEY_PREFIX).
const HOLD_MS = 5000;
// After a report the page keeps at least its height until the run it started has ended (Streamlit marks
// its root while a script runs), or PIN_MS if no run is seen.
const PIN_MS = 3000;
const running = () => document.querySelector("[data-testid=stApp]")?.dataset.testScriptState === "running";
const MAPS = ".stElementContainer[class*='st-key-live_']";

function drawn(map) {
  const root = map.querySelector(".lc-root");
  return !!root && (!!root.dataset.waiting || !!root.querySelector(".js-plotly-plot")?._fullLayout);
}

function keepPlaces(held) {
  for (const [key, { height, since }] of held) {
    const part = document.querySelector(`.st-key-${CSS.escape(key)}`);
    if (!part || !part.children.length) continue; // its empty slot: that height already
    const done = [...part.querySelectorAll(MAPS)].every(drawn) || performance.now() - since > HOLD_MS;
    const min = done ? "" : `${height}px`;
    if (part.style.minHeight !== min) part.style.minHeight = min; // written only when it changes
    if (done) held.delete(key);
  }
  return held.size > 0;
}

function watcher(parentElement) {
  const w = { send: null, sent: JSON.stringify({}), timer: null };
  w.heights = new Map(); // key -> the height a part had when it went far
  w.held = new Map(); // key -> {height, since}: a part coming near, held at that height until drawn
  w.pin = null; // {page, scroller, ran, until}: the page's content, kept as tall as it was when a report went
  w.hold = () => { // once a frame while a part is held or the page pinned, before the frame is painted
    cancelAnimationFrame(w.holding);
    const holding = keepPlaces(w.held);
    if (w.pin && running()) w.pin.ran = true;
    const ended = w.pin && ((w.pin.ran && !running()) || performance.now() > w.pin.until);
    const pinned = w.pin && (holding || !ended);
    if (w.pin && !pinned) {
      w.pin.page.style.minHeight = w.pin.scroller.style.overflowAnchor = "";
      w.pin = null;
    }
    if (holding || pinned) w.holding = requestAnimationFrame(w.hold);
  };
  w.check = () => {
    clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      const far = farParts(MARGINS, view(w.root), w.heights, w.held);
      w.hold();
      const said = JSON.stringify(far);
      if (said === w.sent || !w.send) return;
      w.sent = said;
      w.send("far", far);
      // While the run it starts replaces parts (Streamlit does so in steps, and a map has no height
      // until its data is read), the page never gets shorter, or the browser would scroll up to keep
      // its bottom in view, and the browser keeps the scroll where it is instead of following the
      // node at the top of the screen as the parts above it change (scroll anchoring): every part
      // ends as tall as it was, so what is on the screen ends where it was.
      const scroller = w.root ?? document.scrollingElement;
      const page = w.root ? w.root.firstElementChild : document.body;
      if (page) {
        page.style.minHeight = `${page.getBoundingClientRect().height}px`;
        scroller.style.overflowAnchor = "none";
        w.pin = { page, scroller, ran: false, until: performance.now() + PIN_MS };
        w.hold();
      }
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
    cancelAnimationFrame(w.holding);
    target.removeEventListener("scroll", w.check);
    window.removeEventListener("resize", w.check);
    w.resized.disconnect();
  };
  return w;
}

export default function ({ parentElement, setStateValue }) {
  const w = (parentElement.__near ??= watcher(parentElement));
  w.send = setStateValue;
  w.check();
  return () => {
    w.stop();
    if (parentElement.__near === w) delete parentElement.__near;
  };
}
