"""The Pretrained model tab's part of the address: the head opened, the pieces asked about, the view.

Like `exchange.share`, reading never fails: a value the sentence's trace cannot use (a layer the model
lacks, a piece past the end, an unknown view) is dropped and named, so the tab falls back to its
default for it.
"""

KEYS = {  # tab state -> URL key; never rename a key, or old links stop working
    "pt_layer": "pl",
    "pt_head": "ph",
    "pt_query": "pq",
    "pt_key": "pk",
    "pt_view": "pv",
    "pt_hide": "px",  # [CLS] and [SEP] hidden
}
MEAN = "mean"  # the link's head for the average of a layer's heads
DEFAULT_VIEW = "weights"


def to_params(layer, head, query, key, view, hide):  # int, int | None, int, int, str, bool -> dict
    """The tab's URL parameters; the default view and shown [CLS]/[SEP] stay out of the link."""
    params = {"pt_layer": layer, "pt_head": MEAN if head is None else head, "pt_query": query, "pt_key": key}
    params |= {"pt_view": view} if view != DEFAULT_VIEW else {}
    params |= {"pt_hide": 1} if hide else {}
    return {KEYS[name]: str(value) for name, value in params.items()}


def from_params(params, n_layers, n_heads, n_tokens, views):  # Mapping, int, int, int, names -> (dict, list)
    """The tab state a link names, each value checked against the trace; -> (state, ignored "key=value")."""
    positions = {str(p): p for p in range(n_tokens)}
    allowed = {
        "pt_layer": {str(i): i for i in range(n_layers)},
        "pt_head": {str(h): h for h in range(n_heads)} | {MEAN: None},
        "pt_query": positions,
        "pt_key": positions,
        "pt_view": {v: v for v in views},
        "pt_hide": {"1": True, "0": False},
    }
    found = {name: str(params[key]) for name, key in KEYS.items() if key in params}
    valid = {name: allowed[name][v] for name, v in found.items() if v in allowed[name]}
    return valid, [f"{KEYS[name]}={v[:24]}" for name, v in found.items() if name not in valid]


SOURCE_KEYS = {"source": "src", "layer": "sl", "head": "sh"}  # the first screen's source; never rename
TRAINED = "trained"  # the link's `src` when the first screen draws a trained head


def source_to_params(trained, layer=None, head=None):  # bool, int | None, int | None -> dict[str, str]
    """The first screen's source in the link: nothing for the random projections (the default)."""
    if not trained:
        return {}
    chosen = {"layer": layer, "head": head}
    return {SOURCE_KEYS["source"]: TRAINED} | {
        SOURCE_KEYS[n]: str(v) for n, v in chosen.items() if v is not None
    }


def source_from_params(params, n_layers, n_heads):  # Mapping, int, int -> (trained, layer, head, ignored)
    """The source a link names; a layer or head the model lacks, or another source, is dropped and named."""
    text = {name: str(params[key]) for name, key in SOURCE_KEYS.items() if key in params}
    ignored = []
    trained = text.get("source") == TRAINED
    if "source" in text and not trained:
        ignored.append(f"{SOURCE_KEYS['source']}={text['source'][:24]}")
    chosen = {}
    for name, count in (("layer", n_layers), ("head", n_heads)):
        value = text.get(name)
        if value is None:
            continue
        if value.isdecimal() and len(value) < 4 and int(value) < count:
            chosen[name] = int(value)
        else:
            ignored.append(f"{SOURCE_KEYS[name]}={value[:24]}")
    if len(chosen) == 1:  # a head is a layer and a head: one alone names none
        ignored += [f"{SOURCE_KEYS[name]}={value}" for name, value in chosen.items()]
        chosen = {}
    return trained, chosen.get("layer"), chosen.get("head"), ignored
