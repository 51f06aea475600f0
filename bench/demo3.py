"""A typical small Streamlit attention demo, the yardstick for `bench/load.py` and `bench/latency.py`.

It reads the same share-link keys as the app (s = sentence, n = tokens, seed), computes random
attention weights for the words in its sentence box and draws them the way most demos do: three
`plotly.express` figures passed to `st.plotly_chart`, nothing cached. The sentence box and the d_k
slider carry the app's widget keys ("sentence", "d_k"), so a browser drives both pages the same way.
"""

import numpy as np
import plotly.express as px
import streamlit as st

params = st.query_params
st.title("Attention demo")
words = st.text_input("Sentence", params.get("s") or "the cat sat on the mat", key="sentence").split()
words = words or ["the"]
n = min(max(int(params.get("n", len(words))), 1), 512)
tokens = [words[i % len(words)] for i in range(n)]
rng = np.random.default_rng(int(params.get("seed", 0)))

d_k = st.slider("d_k", 1, 64, 16, key="d_k")
q, k = rng.normal(size=(2, n, d_k))
scores = q @ k.T / np.sqrt(d_k)
weights = np.exp(scores - scores.max(axis=1, keepdims=True))
weights /= weights.sum(axis=1, keepdims=True)
labels = [f"{i}:{t}" for i, t in enumerate(tokens)]

st.plotly_chart(px.imshow(weights, x=labels, y=labels, zmin=0, zmax=1, title="Attention weights"))
st.plotly_chart(px.bar(x=labels, y=weights.max(axis=1), title="Largest weight per query"))
st.plotly_chart(px.line(x=labels, y=-(weights * np.log(weights)).sum(axis=1), title="Entropy per query"))
