"""What tempers "the head that looks from one piece to another most", said in one or two sentences.

A head can put the most weight on a key because almost every piece looks there (a column of its map,
such as [CLS] or a full stop), which says little about the one query asked about; and the runner-up
head may come within a hair. The Pretrained tab and the lesson's trained step both say so.
"""

from attention import lesson
from views.common import literal


def caveat(trace, ranked, query, key):  # EncoderTrace, rank_heads(...), int, int -> str Markdown
    """What tempers the best head: whether its key is a column (most pieces look there most) and how
    close the runner-up head comes."""
    layer, head, _ = ranked[0]
    looking, rows = lesson.looked_at_by(trace.weights[layer, head], key), len(trace.tokens)
    verb = "looks" if looking == 1 else "look"
    text = f"In that head {looking} of {rows} pieces {verb} at {literal(trace.tokens[key])} most"
    asker = literal(trace.tokens[query])
    text += f": a column, not a link from {asker}." if lesson.is_column(looking, rows) else "."
    second = lesson.runner_up(ranked)
    if second is not None:
        (other_layer, other_head, other), gap = second
        close = f"ties it ({other:.3f})" if round(gap, 3) == 0 else f"is within {gap:.3f} ({other:.3f})"
        text += f" The runner-up, layer {other_layer} head {other_head}, {close}."
    return text
