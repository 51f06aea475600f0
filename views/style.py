"""The page's own CSS: less blank space above the title, and a layout that works on a phone.

One static string, injected once per run with `st.html`; it never contains user text. Below
PHONE px wide (Streamlit collapses the sidebar there):
- the sidebar's toggle, an unlabelled "»", reads "» Settings";
- a chart's toolbar (Plotly's modebar, shown on hover or tap) sits in a strip of its own above the
  chart, instead of over its title, so the PNG export stays one tap away;
- a formula too wide for the screen scrolls inside its own box instead of running off the edge;
- the tab bar scrolls sideways (Streamlit's own style; kept here so it cannot silently go);
- the first screen's map starts inside the first screenful: the introduction's paragraph is left out
  (the lesson says the same), the title takes one line, d_k keeps its slider without the exact box, and
  the controls in a keyed row (ROWS) put their first column on a line of its own and the others two by
  two instead of one below the other, and the weights map comes before the two score maps;
- the formula beside the title is left out (the Step by step tab writes out each step), the trained head's
  layer and head menus share a line, and the lesson's panel takes at most LESSON_HEIGHT % of the
  screen and scrolls inside, so the map a step names is on screen below it;
- a paragraph's box of several lines shows three of them; on the trained source, whose maps d_k, √d_k
  and the seed do not move (its line says so), their row steps aside;
- the line on the maps' source shows its first three lines ("Untrained weights: random W_Q, W_K, W_V
  (…) of …, so the maps show how attention computes, not …"), the rest on a tap; while the lesson runs,
  two (the lesson says the weights are random) and the Weights and Colours menus step aside (the
  lesson sets both).

On every screen, while the lesson runs its panel stands in for the introduction's paragraph, so the map
a step names is on screen below it at 1440 × 900 (tests/test_browser_lesson.py measures it).
"""

import streamlit as st

PHONE = 640  # px: at most this wide, the phone layout applies
MODEBAR = 28  # px, the height of the strip above a chart for its toolbar
ROWS = ("dk_row", "first_row")  # keyed containers whose columns go two by two on a phone
LESSON_HEIGHT = 30  # % of the screen's height the lesson's panel may take; it scrolls inside beyond
PAIRED = ", ".join(f".st-key-{key} .stColumn:not(:first-child)" for key in ROWS)

LESSON = ".stApp:has(.st-key-lesson)"  # the page while the lesson runs

STYLE = f"""<style>
.block-container {{padding-top: 2.2rem; padding-bottom: 2rem;}}
{LESSON} .st-key-intro [data-testid=stCaptionContainer] {{display: none;}}
@media (max-width: {PHONE}px) {{
  [data-testid=stExpandSidebarButton] {{width: auto; padding: 0 0.6rem 0 0.3rem; gap: 0.3rem;
    border: 1px solid rgba(49, 51, 63, 0.3); border-radius: 0.5rem;}}
  [data-testid=stExpandSidebarButton]::after {{content: "Settings"; font-size: 0.95rem;
    color: rgb(49, 51, 63);}}
  .lc-fig {{margin-top: {MODEBAR}px;}}
  .js-plotly-plot .modebar-container {{top: -{MODEBAR}px !important;}}
  .katex-display {{overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0;}}
  [role=tablist] {{overflow-x: auto;}}
  .st-key-intro [data-testid=stCaptionContainer] {{display: none;}}
  .st-key-intro {{margin-top: 0.8rem;}}
  .st-key-intro h2 {{font-size: 1.6rem;}}
  .stColumn:has(.st-key-d_k_exact):not(:has(.stSlider)) {{display: none;}}
  {PAIRED} {{min-width: calc(50% - 1rem) !important;}}
  .st-key-first_maps .stColumn:last-child {{order: -1;}}
  .st-key-intro .stColumn:has(.katex) {{display: none;}}
  .st-key-first_menus .stColumn:not(:last-child) {{min-width: calc(50% - 1rem) !important;}}
  .st-key-lesson {{max-height: {LESSON_HEIGHT}vh; overflow-y: auto;}}
  .stApp:has(.st-key-first_menus) .st-key-dk_row {{display: none;}}
  .st-key-sentence, .st-key-sentence .stTextArea {{height: auto !important;}}
  .st-key-sentence textarea {{height: 3.3lh !important; min-height: 0 !important;}}
  .st-key-first_row [data-testid=stCaptionContainer] {{display: -webkit-box;
    -webkit-box-orient: vertical; -webkit-line-clamp: 3; overflow: hidden;}}
  .st-key-first_row [data-testid=stCaptionContainer]:hover {{-webkit-line-clamp: unset;}}
  {LESSON} .st-key-first_row [data-testid=stCaptionContainer] {{-webkit-line-clamp: 2;}}
  {LESSON} .st-key-first_row .stColumn:not(:first-child) {{display: none;}}
}}
</style>"""  # static: no user text


def apply_style():
    """Inject the page's CSS (call once per run, before the first element)."""
    st.html(STYLE)
