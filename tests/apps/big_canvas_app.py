"""A page for the browser test of big maps' replots (tests/test_browser_big_maps.py).

The first screen's weights map and a signed map of N × N cells, side by side, N from a number box
(default 80: 6,400 cells, past the component's BIG_MAP), the cells above the diagonal masked. Cell (i, j)
holds ((5·i + 3·j) mod 11) / 10 in the weights map (each row's largest is marked), twice that minus 1 in
the signed one: a test knows the colour of every cell. Longer names widen the margins: the component
replots the maps.
"""

import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from charts.figures import heatmap  # noqa: E402
from charts.weights import weights_map  # noqa: E402
from views.live_chart import draw  # noqa: E402


def values(n):  # int -> [n, n], the weights map's cells, NaN above the diagonal
    i, j = np.indices((n, n))
    return np.where(j <= i, ((5 * i + 3 * j) % 11) / 10, np.nan)


n = int(st.number_input("cells", 8, 200, 80, key="cells"))
long = st.checkbox("long names", key="long")  # wider labels, wider margins: the maps are replotted
TOKENS = [f"{'token-' if long else 't'}{k}" for k in range(n)]
w = values(n)
figures = {
    "weights": weights_map(w, TOKENS, f"Weights: {n}", colour="0-1"),
    "signed": heatmap(2 * w - 1, TOKENS, TOKENS, f"Signed: {n}", zrange=1.0),
}
click = draw(figures, key="big", columns=2)
if click is not None:
    st.text(f"clicked name={click['name']} row={click['row']} col={click['col']} z={click['z']:.4f}")
