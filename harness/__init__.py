"""What the tests and the benchmarks share: a Streamlit server, a browser on the page, the wire protocol.

- `harness.server`: `streamlit_server(...)` serves an app on a free loopback port and stops it for sure;
  the one place that starts `streamlit run`.
- `harness.browser`: Debian's Chromium for Playwright, and `open_page(page, url)`, which waits until the
  page's script has finished and every chart is drawn.
- `harness.protocol`: one visitor's page load at Streamlit's websocket protocol level, no browser.

Tests and benchmarks both import this package; neither imports the other.
"""
