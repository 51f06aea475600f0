"""A small page for the in-place repaint's browser test (tests/test_browser_canvas.py).

The first screen's weights map (numbers in the cells, row maxima outlined, a focused row) and a signed
map, side by side, on five tokens (the first five words typed), with the cells above the diagonal
masked. A slider moves the values and the titles and nothing else, and new words of the same length
change only the labels: each is a change the browser draws in place. Cell
(i, j) holds ((7·step + 5·i + 3·j) mod 11) / 10 in the weights map, twice that minus 1 in the signed
one: a test knows every colour and every number the page must show.
"""

import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from charts.figures import heatmap  # noqa: E402
from charts.weights import weights_map  # noqa: E402
from views.live_chart import draw  # noqa: E402

FILL = "·"  # a position the words typed do not reach


def values(step):  # int -> [5, 5], the weights map's cells, NaN above the diagonal
    i, j = np.indices((5, 5))
    w = ((7 * step + 5 * i + 3 * j) % 11) / 10
    return np.where(j <= i, w, np.nan)


step = st.slider("step", 0, 10, 0, key="step")
TOKENS = (st.text_input("words", "the cat sat on mat", key="words").split() + [FILL] * 5)[:5]
w = values(step)
figures = {
    "weights": weights_map(w, TOKENS, f"Weights: step {step}", colour="0-1", focus_row=step % 5),
    "signed": heatmap(2 * w - 1, TOKENS, TOKENS, f"Signed: step {step}", zrange=1.0),
}
click = draw(figures, key="canvas", columns=2)
if click is not None:
    st.text(f"clicked name={click['name']} row={click['row']} col={click['col']} z={click['z']:.4f}")
