// Timestamps inside the page for bench/latency.py, installed before the app's own scripts run.
// key: last keydown; sent/recv: [time, bytes] of every websocket message; changed: last DOM
// mutation under stMain or 'plotly_afterplot'; paint: the task after the next frame following it.
(() => {
  const probe = { key: 0, sent: [], recv: [], changed: 0, paint: 0 };
  const size = (data) => data.byteLength ?? data.size ?? data.length;
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => probe.recv.push([performance.now(), size(event.data)]));
    }
    send(data) {
      probe.sent.push([performance.now(), size(data)]);
      return super.send(data);
    }
  };
  const afterFrame = () => {
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { probe.paint = performance.now(); };
      channel.port2.postMessage(0);
    });
  };
  const changed = () => { probe.changed = performance.now(); afterFrame(); };
  const hook = () => {
    for (const el of document.querySelectorAll(".js-plotly-plot")) {
      if (!el.__probed && typeof el.on === "function") {
        el.__probed = true;
        el.on("plotly_afterplot", changed);
      }
    }
  };
  const inMain = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    return Boolean(el && el.closest && el.closest("[data-testid=stMain]"));
  };
  new MutationObserver((records) => {
    if (records.some((r) => inMain(r.target))) {
      changed();
      hook();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener("keydown", () => { probe.key = performance.now(); }, true);
  probe.reset = () => { probe.key = 0; probe.changed = 0; probe.paint = 0; };
  probe.snapshot = () => ({
    key: probe.key, changed: probe.changed, paint: probe.paint, now: performance.now(),
    sent: probe.sent,
    recv: probe.recv,
  });
  probe.zBytes = () => {
    let bytes = 0;
    for (const el of document.querySelectorAll(".js-plotly-plot")) {
      for (const t of el._fullData || []) {
        // a layer of marks (meta.z "cells", charts/wire.py) is no matrix of numbers: not counted
        if (t.type === "heatmap" && t.z && t.meta?.z !== "cells") bytes += t.z.length * (t.z[0] ? t.z[0].length : 0) * 4;
      }
    }
    return bytes;
  };
  window.__probe = probe;
})();
