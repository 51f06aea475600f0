"""The second half of the pipeline: mask, softmax weights, and the output weights·V (per head and merged)."""

import streamlit as st

from attention.scaling import row_stats, row_sums, saturation_summary
from charts import figures as fg
from charts import grids
from charts.lines import line_view
from views.common import formula, prose
from views.live_chart import draw
from views.page import COMBINED, GRID_LIMIT, LARGE

MASK_TEXT = {
    "padding": "Padding keys are hidden: a [PAD] position holds no word, so nothing should be read from it.",
    "causal": "Causal: each token sees only itself and earlier tokens, as in a model that writes text "
    "left to right and must not peek at the future. Padding keys are hidden too.",
    "sliding window": "Sliding window: each token sees only the last {window} tokens, itself included: a "
    "causal mask with a horizon that keeps long sequences cheap. Padding keys are hidden too.",
    "prefix": "Prefix-LM: the first {prefix} tokens see each other fully (the prompt); later tokens are "
    "causal. Padding keys are hidden too.",
}


NOT_AGAIN = "the weights show the blank cells."
NO_PAD = (
    " Here no position is [PAD], so this mask hides nothing and every cell below may attend: fix a "
    "sequence length longer than the sentence, or choose the causal mask under More settings."
)
COMBINE = "How the heads combine: their concatenation and W_O"  # the expander's label
# The expander's own key: Streamlit forgets a widget's state in any run that does not draw it (another
# tab, one head), so the page keeps whether it is open under COMBINED and hands it over each run.
COMBINE_KEY = "combine_expander"


def mask_stage(trace, h):
    s = trace.settings
    if trace.mask is None:
        prose("5 · Mask", "No mask: every query may attend to every key (choose one under More settings).")
        return
    large = len(trace.tokens) > LARGE
    prose(
        "5 · Mask",
        MASK_TEXT[s.mask].format(window=s.window, prefix=s.prefix)
        + " A hidden score is set to −∞ before the softmax, so its weight is exactly 0; it is drawn blank."
        + (NO_PAD if s.mask == "padding" and not trace.n_pad else ""),
        *([f"Above {LARGE} tokens the masked scores are not drawn again: {NOT_AGAIN}"] if large else []),
    )
    mask_fig = fg.heatmap(
        trace.mask, trace.tokens, trace.tokens, "Mask (1 = may attend)", kind="mask", value="may attend"
    )
    figs = {"mask": mask_fig}
    if not large:  # above LARGE, one large map fewer to send and draw: the weights show it
        masked = fg.blank(trace.attention.scaled[h], trace.mask)
        title = "Scaled scores after the mask"
        figs["masked"] = fg.heatmap(masked, trace.tokens, trace.tokens, title, value="scaled score")
    draw(figs, key="mask", columns=2)  # two columns at any length: the mask keeps its place and size


def row_sum_check(weights, mask):  # [seq, seq], bool [seq, seq] | None -> str
    """A plain sentence on how close every row's sum is to 1."""
    sums = row_sums(weights, mask)
    text = f"✓ Every row sums to 1 (largest deviation {sums.worst:.1e}, rounding only)."
    return text + (f" {sums.dead} rows have every key masked and are all zeros." if sums.dead else "")


def weights_figure(trace, h, title):  # -> figure dict, the head's weights with masked cells blank
    return fg.heatmap(
        fg.blank(trace.attention.weights[h], trace.mask),
        trace.tokens,
        trace.tokens,
        title,
        kind="weights",
        value="weight",
    )


LINES_LEFT_OUT = f"Above {LARGE} tokens the line view is not drawn: its lines would cover one another."
LINES = (
    "In the line view below, each query (left) is joined to each key (right) by a line as thick as its "
    "weight; hover or tap a word on either side for its lines only."
)


def weights_stage(trace, h):
    a = trace.attention
    large = len(trace.tokens) > LARGE
    prose(
        "6 · Softmax: the attention weights",
        "Softmax turns each row of scaled scores into weights between 0 and 1 that add up to 1: "
        "exponentiate, then divide by the row's total. Each row says how a query shares its attention "
        "among the keys: the third map at the top of the page, where the orange square marks where "
        "each query looks most (every square of a tie). A weight says how much of each value a word "
        "mixes in, not why: it is not an explanation of what a model decides.",
        formula(r"w_{ij} = \frac{e^{s_{ij} - \max_k s_{ik}}}{\sum_{j'} e^{s_{ij'} - \max_k s_{ik}}}"),
        saturation_summary(row_stats(a.weights[h])) + ": the Scaling lab tab explains why that matters.",
        LINES_LEFT_OUT if large else LINES,
    )
    st.success(row_sum_check(a.weights[h], trace.mask))
    if not large:  # the stage's last element: the output below keeps its place either way
        lines = line_view(
            fg.blank(a.weights[h], trace.mask), list(trace.tokens), "Line view: where each word looks"
        )
        draw({"lines": lines}, key="lines")


def output_stage(trace, h):
    a, s = trace.attention, trace.settings
    prose(
        "7 · Output: weights · V",
        "Each token's output is the weighted average of the value rows, mixed by its row of weights: "
        "a new vector for the token that carries what it found in the rest of the sentence.",
        formula(r"\text{output}_i = \sum_j w_{ij}\, v_j \qquad \text{output} = \text{weights} \cdot V"),
    )
    title = f"weights · V (head {h})"
    names = ("token", "dimension")
    out = fg.heatmap(
        a.heads[h], trace.tokens, fg.dims(s.d_k), title, names=names, value="output", width=grids.PAGE
    )
    draw({"head_out": out}, key="head_out")
    if s.n_heads == 1:
        return
    st.markdown(
        f"With {s.n_heads} heads, each head attends with its own W_Q, W_K, W_V; their outputs are "
        "placed side by side (concatenated) and W_O mixes them back to d_model numbers per token."
    )
    if len(trace.tokens) <= GRID_LIMIT:
        draw({"grid": grids.head_grid(a.weights, trace.tokens)}, key="grid")
    else:
        st.info(f"With more than {GRID_LIMIT} tokens the per-head grid is hidden; pick a head above.")
    st.session_state[COMBINE_KEY] = st.session_state.get(COMBINED, False)
    combine = st.expander(COMBINE, key=COMBINE_KEY, on_change=remember_combined)
    if combine.open:  # shut, its maps are neither built nor sent: a page load carries three maps fewer
        with combine:
            combined(trace)


def remember_combined():  # the expander opened or shut: kept where the link reads it
    st.session_state[COMBINED] = st.session_state[COMBINE_KEY]


def combined(trace):
    """How the heads' outputs become one: their concatenation, W_O, and the output it gives."""
    a, s = trace.attention, trace.settings
    st.markdown(
        formula(r"\text{MultiHead}(X) = [\text{head}_1, \dots, \text{head}_h]\, W_O")
        + f"\n\nThe concatenation is {s.n_heads} blocks of d_v = {s.d_k} columns, one block per head, "
        "with a line between heads; W_O's rows follow the same blocks."
    )
    shape = "{} × {}".format
    figs = {
        "Concatenated heads": grids.concat_map(
            a.concat, trace.tokens, s.n_heads, f"Concatenated heads: {shape(*a.concat.shape)}"
        ),
        "W_O": grids.w_o_map(
            trace.w_o, s.n_heads, fg.dims(trace.w_o.shape[1]), f"W_O: {shape(*trace.w_o.shape)}"
        ),
        "Output": fg.heatmap(
            a.output,
            trace.tokens,
            fg.dims(a.output.shape[1]),
            f"Output: {shape(*a.output.shape)}",
            names=("token", "dimension"),
        ),
    }
    draw(figs, key="heads_out", columns=3)
