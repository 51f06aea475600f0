"""The "Beyond the weights" tab's part of the address: the part open and the controls of each part.

Like `exchange.share`, reading never fails: a number outside its range is clamped, a value that is
not a number, not 0/1 or not one of the choices falls back to its default, and each is named in a
notice with the key and the text the visitor wrote. The ranges depend on the text shown (a row is a
position of it), so the page passes them in: `toy_limits` for the toy's parts, `model_limits` for
MiniLM's, read once the model's trace exists. A value left out of the link is its default.
"""

import math

PARTS = ("contributions", "sinks", "kv-cache", "tiled", "sqrt-dk")
MODELS = ("toy", "minilm")
KEYS = {  # tab state -> URL key; never rename a key, or old links stop working
    "part": "bp",
    "model": "bm",
    "row": "bq",  # the toy's query row whose shares are shown
    "plus_one": "b1",  # softmax + 1 on the toy
    "offset": "bo",  # every score of the toy lowered by this much
    "prefill": "bf",
    "step": "bs",
    "block": "bb",  # keys per block of the online softmax
    "shown": "bn",  # the block after which the partial output is shown, 1-based
    "layer": "bl",  # MiniLM's head, once picked (bl and bh together)
    "head": "bh",
    "model_row": "bmq",
    "sink": "bk",  # the position of MiniLM's candidate sink key
    "eps": "be",
}
DEFAULTS = {"part": "contributions", "model": "toy", "row": 0, "plus_one": False, "offset": 0.0}
DEFAULTS |= {"prefill": 1, "step": 0, "block": 2, "shown": 1, "layer": None, "head": None}
DEFAULTS |= {"model_row": 1, "sink": 0, "eps": 0.3}
FLOATS = ("offset", "eps")
EPS_RANGE, OFFSET_RANGE = (0.0, 0.95), (0.0, 20.0)
TEXT_LIMIT = 30  # characters of a value quoted in a notice


def toy_limits(seq):  # int -> dict name -> range or choices, for the toy's controls
    return {
        "part": PARTS,
        "model": MODELS,
        "row": (0, seq - 1),
        "plus_one": (False, True),
        "offset": OFFSET_RANGE,
        "prefill": (1, seq),
        "step": lambda values: (0, seq - values["prefill"]),  # after the prefill is read
        "block": (1, seq),
        "shown": lambda values: (1, math.ceil(seq / values["block"])),
    }


def model_limits(n_layers, n_heads, seq):  # int, int, int -> dict name -> range, for MiniLM's controls
    positions = (0, seq - 1)
    heads = {"layer": (0, n_layers - 1), "head": (0, n_heads - 1)}
    return heads | {"model_row": positions, "sink": positions, "eps": EPS_RANGE}


def _show(text):
    return repr(text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…")


def _is_choice(limit):  # a tuple of choices (words, or False and True), not a (low, high) range
    return isinstance(limit[0], str | bool)


def _read(name, text, limit):  # -> (value, notice | None); limit: a (low, high) range or the choices
    key, default = KEYS[name], DEFAULTS[name]
    if isinstance(limit[0], str):
        if text in limit:
            return text, None
        return default, f"{key}={_show(text)} is not one of {', '.join(limit)}; using {default!r}"
    if isinstance(limit[0], bool):
        if text in ("0", "1"):
            return text == "1", None
        return default, f"{key}={_show(text)} is not 0 or 1; using the default {int(default)}"
    kind, word = (float, "a number") if name in FLOATS else (int, "a whole number")
    try:
        value = kind(text.strip()) if len(text) <= TEXT_LIMIT else None
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        fallback = _clamp(default, limit)
        return fallback, f"{key}={_show(text)} is not {word}; using the default {fallback}"
    low, high = limit
    if value < low:
        return low, f"{key}={text.strip()} is below {low}; using {low}"
    if value > high:
        return high, f"{key}={text.strip()} is above {high}; using {high}"
    return value, None


def _clamp(value, limit):  # a default outside a short text's range is brought into it
    return value if value is None else min(max(value, limit[0]), limit[1])


def from_params(params, limits):  # Mapping[str, str], dict name -> limit -> (values, notices)
    """The values of the names in `limits` (in KEYS order), from the link or their defaults."""
    values, notices = {}, []
    for name in (n for n in KEYS if n in limits):
        limit = limits[name](values) if callable(limits[name]) else limits[name]
        text = params.get(KEYS[name])
        if text is None:
            values[name] = DEFAULTS[name] if _is_choice(limit) else _clamp(DEFAULTS[name], limit)
            continue
        values[name], notice = _read(name, str(text), limit)
        notices += [notice] if notice else []
    return _one_head(values, params, notices)


def _one_head(values, params, notices):  # a layer without a head (or a head without one) names none
    given = [n for n in ("layer", "head") if n in values and KEYS[n] in params]
    if len(given) == 1:
        values |= {"layer": None, "head": None}
        notices.append(f"{KEYS[given[0]]}={_show(str(params[KEYS[given[0]]]))} names no head without "
                       f"{KEYS['head' if given[0] == 'layer' else 'layer']}; ignored")  # fmt: skip
    return values, notices


def fits(name, value, limits, values=None):  # -> bool, the value is one the link could hold now
    limit = limits[name](values or {}) if callable(limits[name]) else limits[name]
    if _is_choice(limit):
        return value in limit
    return value is not None and limit[0] <= value <= limit[1]


def nearest(name, value, limits, values=None):  # -> the value if it fits, else the nearest that does
    """A range's value clamped into it; a choice not offered falls back to its default."""
    limit = limits[name](values or {}) if callable(limits[name]) else limits[name]
    if _is_choice(limit):
        return value if value in limit else DEFAULTS[name]
    return _clamp(DEFAULTS[name] if value is None else value, limit)


def to_params(values):  # dict name -> value -> dict[str, str], only what differs from the defaults
    out = {}
    for name, value in values.items():
        if value is None or value == DEFAULTS[name]:
            continue
        out[KEYS[name]] = str(int(value)) if isinstance(value, bool) else _format(value)
    return out


def _format(value):
    return repr(float(value)) if isinstance(value, float) else str(value)
