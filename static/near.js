// Which parts of the page lie far from the screen (views/near.py). The page draws a far part as an
// empty slot of the height it had; this watcher tells it, as the visitor scrolls or the page changes,
// which parts are far ({key: height in whole pixels}) through the state value "far", so a part is
// built again before it is scrolled into view. A report that would repeat the last one is not sent:
// every report is a run of the page.
const SETTLE_MS = 120; // a check waits this long after the last scroll or change before it measures
const PART = "near_"; // a watched part is a container keyed near_… (views/near.py PART)
const PARTS = `[class*="st-key-${PART}"]`;
const MARGINS = { near: 400, far: 500 }; // px from the screen: built within near, left out past far
// A part built again holds the height it had until every map in it is drawn (a map has no height
// until its data is read, and the page below would move up and back down), for at most HOLD_MS
// after it is built. Its maps are the chart components' elements, keyed live_… (views/live_chart.py
// KEY_PREFIX).
const HOLD_MS = 5000;
const MAPS = ".stElementContainer[class*='st-key-live_']";
// After a report the page keeps at least its height until the run it started has ended (Streamlit marks
// its root while a script runs), for at most PIN_MS.
const PIN_MS = 3000;

function running() {
  const state = document.querySelector("[data-testid=stApp]")?.dataset.testScriptState;
  return !!state && state !== "notRunning";
}

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

function keyOf(part) { // the part's key, from its class st-key-near_…
  const name = [...part.classList].find((c) => c.startsWith(`st-key-${PART}`));
  return name?.slice("st-key-".length);
}

// {key: height} of the watched parts far from the view, or null when none is laid out (the tab that
// holds them is hidden: nothing to say). A part left out is built again within MARGINS.near of the
// view, a part built is left out past MARGINS.far: a visitor who stops near the boundary does not
// start a run with every small scroll. A part keeps the height it had when it went far (w.heights),
// which its empty slot then has; a part coming near moves that height to w.held (keepPlaces).
function farParts(w) {
  const far = {};
  const seen = view(w.root);
  let laidOut = false;
  for (const part of document.querySelectorAll(PARTS)) {
    const key = keyOf(part);
    if (!key || !part.getClientRects().length) continue; // hidden (display: none): neither near nor far
    laidOut = true;
    const r = part.getBoundingClientRect();
    const margin = w.heights.has(key) ? MARGINS.near : MARGINS.far;
    const near = r.bottom >= seen.top - margin && r.top <= seen.bottom + margin;
    if (near && w.heights.has(key)) w.held.set(key, { height: w.heights.get(key), built: null });
    if (near) {
      w.heights.delete(key);
      continue;
    }
    w.held.delete(key); // far again before it was built: its slot keeps the height
    if (!w.heights.has(key)) w.heights.set(key, Math.round(r.height));
    far[key] = w.heights.get(key);
  }
  return laidOut ? far : null;
}

function drawn(map) {
  const root = map.querySelector(".lc-root");
  return !!root && (!!root.dataset.waiting || !!root.querySelector(".js-plotly-plot")?._fullLayout);
}

function setMinHeight(element, value) { // written only when it changes: each write is a change of the page
  if (element.style.minHeight !== value) element.style.minHeight = value;
}

// Each held part built again keeps its height until its maps are drawn; -> whether any is still held.
function keepPlaces(held) {
  const now = performance.now();
  for (const [key, hold] of held) {
    const part = document.querySelector(`.st-key-${CSS.escape(key)}`);
    if (!part) {
      held.delete(key);
      continue;
    }
    if (!part.children.length) continue; // its empty slot, of that height, until the run builds it
    hold.built ??= now;
    const done = [...part.querySelectorAll(MAPS)].every(drawn) || now - hold.built > HOLD_MS;
    setMinHeight(part, done ? "" : `${hold.height}px`);
    if (done) held.delete(key);
  }
  return held.size > 0;
}

function watcher(parentElement) {
  const root = scroller(parentElement);
  const w = {
    root,
    send: null, // setStateValue
    sent: JSON.stringify({}), // the last report: the page starts with every part built
    timer: null, // the check waiting for the page to settle
    frame: null, // the next frame's hold
    heights: new Map(), // key -> the height a part had when it went far
    held: new Map(), // key -> {height, built}: a part coming near, held at that height until drawn
    pin: null, // {page, scroller, ran, until}: the page's content kept as tall as when a report went
  };
  const target = root ?? window;
  const unpin = () => {
    if (!w.pin) return;
    setMinHeight(w.pin.page, "");
    w.pin.scroller.style.overflowAnchor = "";
    w.pin = null;
  };
  w.hold = () => { // once a frame while a part is held or the page pinned, before the frame is painted
    cancelAnimationFrame(w.frame);
    const holding = keepPlaces(w.held);
    if (w.pin && running()) w.pin.ran = true;
    const ended = w.pin && ((w.pin.ran && !running()) || performance.now() > w.pin.until);
    if (w.pin && !holding && ended) unpin();
    if (holding || w.pin) w.frame = requestAnimationFrame(w.hold);
  };
  // While the run a report starts replaces parts (Streamlit does so in steps, and a map has no height
  // until its data is read) the page never gets shorter, or the browser would scroll up to keep its
  // bottom in view; and the browser keeps the scroll where it is instead of following the node at the
  // top of the screen as the parts above it change (scroll anchoring). Every part ends as tall as it
  // was, so what is on the screen ends where it was.
  const pin = () => {
    const scrolling = root ?? document.scrollingElement;
    const page = root ? root.firstElementChild : document.body;
    if (!page) return;
    setMinHeight(page, `${page.getBoundingClientRect().height}px`);
    scrolling.style.overflowAnchor = "none";
    w.pin = { page, scroller: scrolling, ran: false, until: performance.now() + PIN_MS };
  };
  w.check = () => {
    clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      const far = farParts(w);
      const said = far && JSON.stringify(far);
      if (far && said !== w.sent && w.send) {
        w.sent = said;
        w.send("far", far);
        pin();
      }
      w.hold();
    }, SETTLE_MS);
  };
  target.addEventListener("scroll", w.check, { passive: true });
  window.addEventListener("resize", w.check);
  // The page grows or shrinks (a longer sentence, a part built or left out): the parts move.
  const resized = new ResizeObserver(w.check);
  resized.observe(root?.firstElementChild ?? document.body);
  w.stop = () => {
    clearTimeout(w.timer);
    cancelAnimationFrame(w.frame);
    target.removeEventListener("scroll", w.check);
    window.removeEventListener("resize", w.check);
    resized.disconnect();
    unpin();
    for (const key of w.held.keys()) {
      const part = document.querySelector(`.st-key-${CSS.escape(key)}`);
      if (part) setMinHeight(part, "");
    }
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
