"""The lesson's answers and live numbers: each computed from the traces the page draws, then worded.

A question's `Reveal` is computed before the learner answers, from the state on screen and the
state its reveal will apply, so the answer checked is the one the maps then show. An ungraded
question's reveal (which word random weights favour) also says how many words other seeds pick.
"""

from dataclasses import dataclass

import streamlit as st

from attention import lesson
from attention.diff import shuffle_words
from attention.rollout import rank_heads
from attention.scaling import row_stats, saturation_summary
from charts import figures as fg
from exchange.checkpoint import INSTALL_HINT, ModelNotInstalled
from views.caveat import caveat
from views.common import literal
from views.lesson_steps import KEY, WORD
from views.live_chart import draw
from views.traces import compute, encode

CHOICE_LIMIT = 40  # tokens offered as answers to "which word"
SEEDS = range(20)  # the draws an observation is shown over: no right answer when they disagree


@dataclass(frozen=True)
class Reveal:
    labels: dict  # choice -> Markdown label, in the order offered
    right: frozenset  # the choices counted right
    answer: str  # Markdown: the answer the page shows
    why: str  # Markdown: one line of why, with the numbers
    changes: dict  # settings the reveal applies


def weights_of(settings, h):  # Settings, int -> [seq, seq], the head's weights (masked = 0)
    trace = compute(settings)
    return trace, trace.attention.weights[min(h, settings.n_heads - 1)]


def top_key(page, question, query):
    """Where the followed word looks most once the reveal has added it (the last word without it)."""
    settings = page.settings.replace(**question.reveal)
    trace, w = weights_of(settings, page.head)
    query = followed(trace)
    key, weight = lesson.top_key(w, query)
    labels = {j: literal(trace.tokens[j]) for j in word_choices(trace)}
    right = frozenset(j for j in labels if lesson.is_top(w, query, j))
    word, top = literal(trace.tokens[query]), literal(trace.tokens[key])
    tops, seeds = seeds_top(settings, page.head), f"Seeds 0 to {len(SEEDS) - 1}"
    if len(tops) > 1:
        draws = f"{seeds} pick {len(tops)} different words: random weights have no favourite"
    else:  # a setting of the visitor's (a narrow mask, say) leaves the row no choice
        draws = f"{seeds} all pick {literal(next(iter(tops)))}: the settings leave that row no other choice"
    why = (
        f"{word} puts {weight:.2f} on {top}: the row's largest score gets its largest weight. {draws} "
        "(step 10 asks a trained model)."
    )
    return Reveal(labels, right, top, why, dict(question.reveal))


def followed(trace):  # Trace -> int, the row of WORD (the last word when the sentence lacks it)
    query = lesson.find_word(trace.words, WORD)
    return len(trace.words) - 1 if query is None else query


def seeds_top(settings, h):  # Settings, int -> set of the words WORD looks at most, one per seed of SEEDS
    """The word the followed row puts most weight on at every seed of SEEDS: the draw decides it."""
    tops = set()
    for seed in SEEDS:
        trace, w = weights_of(settings.replace(seed=seed), h)
        tops.add(trace.tokens[lesson.top_key(w, followed(trace))[0]])
    return tops


def sharpness(page, question, query):
    after = page.settings.replace(**question.reveal)
    (_, wb), (_, wa) = weights_of(page.settings, page.head), weights_of(after, page.head)
    answer, b, a = lesson.sharpness(wb, wa)
    why = (
        f"Mean row entropy {b:.2f} → {a:.2f} bits; now {saturation_summary(row_stats(wa))}. Raw scores "
        f"spread like √d_k (√{after.d_k} = {after.root_d_k:.0f}), and softmax hands a wide gap almost "
        "all the weight."
    )
    return Reveal(question.choices, frozenset({answer}), question.choices[answer], why, dict(question.reveal))


def first_row(page, question, query):
    after = page.settings.replace(**question.reveal)
    answer, own = lesson.first_row(weights_of(after, page.head)[1])
    why = (
        f"The first word has no word before it: its only visible key is itself (weight {own:.2f}), and "
        "softmax over a single score gives exactly 1. The masked cells are drawn blank."
    )
    return Reveal(question.choices, frozenset({answer}), question.choices[answer], why, dict(question.reveal))


def shuffle(page, question, query):
    changes = {"sentence": shuffle_words(page.settings.sentence, page.settings.seed)}
    (tb, wb), (ta, wa) = (weights_of(s, page.head) for s in (page.settings, page.settings.replace(**changes)))
    answer, gap = lesson.shuffle_effect(tb.tokens, wb, ta.tokens, wa)
    if answer == "follows":
        why = (
            "Without positions a word's vector is the same wherever it stands, so every score is the "
            f"same number in a new place (largest change once the shuffle is undone: {gap:.1g}). With "
            "“Sinusoidal positions” on in the sidebar, the Compare tab's “Shuffle words” changes them."
        )
    else:
        why = f"The word's vectors depend on their place here: weights change by up to {gap:.2f}."
    return Reveal(question.choices, frozenset({answer}), question.choices[answer], why, changes)


REVEALS = {"top_key": top_key, "sharpness": sharpness, "first_row": first_row, "shuffle": shuffle}


def word_choices(trace):  # Trace -> list of positions offered as answers (real tokens only)
    return list(range(min(len(trace.words), CHOICE_LIMIT)))


def lab_numbers(page, query):
    """The scaling lab's measures, with and without ÷√d_k, at this d_k."""
    for scaling, name in ((False, "without ÷√d_k"), (True, "with ÷√d_k")):
        _, w = weights_of(page.settings.replace(scaling=scaling), page.head)
        bits = lesson.mean_entropy(w)
        st.markdown(f"- **{name}**: {saturation_summary(row_stats(w))}; mean row entropy {bits:.2f} bits")


def row_numbers(page, query):
    """The numbers of one row of weights: its largest weight, entropy, effective keys and sum."""
    if query is None:
        return
    tokens = page.trace.tokens
    r = lesson.row_numbers(page.trace.attention.weights[page.head], page.trace.allowed(), query)
    st.markdown(
        f"Row of {literal(tokens[query])}: largest weight {r.weight:.2f} (on {literal(tokens[r.key])}); "
        f"entropy {r.entropy_bits:.2f} bits of at most {r.most_bits:.2f}, i.e. about "
        f"{r.effective_keys:.1f} of {r.seen} words' worth of attention; sum {r.total:.6f}."
    )


def head_numbers(page, query):
    """Where the followed word looks most in each head, on one line."""
    if query is None:
        return
    trace, heads = page.trace, []
    for h in range(trace.settings.n_heads):
        key, weight = lesson.top_key(trace.attention.weights[h], query)
        heads.append(f"head {h}: {literal(trace.tokens[key])} {weight:.2f}")
    st.markdown(f"Where {literal(trace.tokens[query])} looks most: " + "; ".join(heads) + ".")


def model_numbers(page, query):
    """The trained model's head that looks from "it" to "animal" most, and that head's row."""
    try:
        trace = encode(page.settings.sentence)  # the Pretrained model tab's cached run
    except (ModelNotInstalled, ImportError):
        st.info(f"The trained model is not installed here: {INSTALL_HINT}.")
        return
    q, k = lesson.find_word(trace.tokens, WORD), lesson.find_word(trace.tokens, KEY)
    if q is None or k is None:
        st.info(
            f"This step follows “{WORD}” to “{KEY}”: the sentence needs both (Back, then Next restores it)."
        )
        return
    ranked = rank_heads(trace.weights, q, k)
    layer, head, weight = ranked[0]
    st.markdown(
        f"Of its {len(ranked)} heads, **layer {layer} head {head}** looks from “{WORD}” to “{KEY}” most: "
        f"**{weight:.2f}** of the row, shared among {len(trace.tokens)} word pieces. "
        + caveat(trace, ranked, q, k)
    )
    row = trace.weights[layer, head, q]
    fig = fg.bars(row, trace.tokens, f"Layer {layer} head {head}: where “{WORD}” looks", "weight", 240)
    draw({"lesson_model": fig}, key="lesson_model")


NUMBERS = {"lab": lab_numbers, "row": row_numbers, "heads": head_numbers, "model": model_numbers}
