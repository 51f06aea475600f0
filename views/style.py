"""The page's own CSS: less blank space above the title, and a layout that works on a phone.

One static string, injected once per run with `st.html`; it never contains user text. Below
PHONE px wide (Streamlit collapses the sidebar there):
- the sidebar's toggle, an unlabelled "»", reads "» Settings";
- a chart's toolbar (Plotly's modebar, shown on hover or tap) sits in a strip of its own above the
  chart, instead of over its title, so the PNG export stays one tap away;
- a formula too wide for the screen scrolls inside its own box instead of running off the edge;
- the tab bar scrolls sideways (Streamlit's own style; kept here so it cannot silently go).
"""

import streamlit as st

PHONE = 640  # px: at most this wide, the phone layout applies
MODEBAR = 28  # px, the height of the strip above a chart for its toolbar

STYLE = f"""<style>
.block-container {{padding-top: 2.2rem; padding-bottom: 2rem;}}
@media (max-width: {PHONE}px) {{
  [data-testid=stExpandSidebarButton] {{width: auto; padding: 0 0.6rem 0 0.3rem; gap: 0.3rem;
    border: 1px solid rgba(49, 51, 63, 0.3); border-radius: 0.5rem;}}
  [data-testid=stExpandSidebarButton]::after {{content: "Settings"; font-size: 0.95rem;
    color: rgb(49, 51, 63);}}
  .lc-fig {{margin-top: {MODEBAR}px;}}
  .js-plotly-plot .modebar-container {{top: -{MODEBAR}px !important;}}
  .katex-display {{overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0;}}
  [role=tablist] {{overflow-x: auto;}}
}}
</style>"""  # static: no user text


def apply_style():
    """Inject the page's CSS (call once per run, before the first element)."""
    st.html(STYLE)
