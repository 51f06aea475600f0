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
