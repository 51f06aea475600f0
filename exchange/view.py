"""The rest of a page's state in its address: what is shown, beyond the settings that compute it.

The head the stages show, the colours of the weights, whether the first two maps share one colour
range, whether the heads' concatenation and W_O are open, and the state pinned on the Compare tab
(its own settings, as a nested query string). Like `exchange.share`, reading never fails: a value
that cannot be used is dropped with a notice.
"""

from urllib.parse import parse_qsl, urlencode

from exchange.share import from_params, to_params

VIEW_KEYS = {
    "head": "hd",
    "colour": "col",
    "shared_range": "sr",
    "animate": "anim",
    "pinned": "pin",
    "combined": "comb",
}  # -> URL
DEFAULTS = {
    "head": 0,
    "colour": "row",
    "shared_range": True,
    "animate": False,
    "pinned": None,
    "combined": False,
}
FLAGS = ("shared_range", "animate", "combined")  # written 1 or 0
COLOURS = ("row", "0-1")
TOUR = "tour"  # the 1-based step of the guided lesson the page opens at


def view_params(view):  # dict of view state -> dict[str, str], only what differs from the defaults
    out = {}
    for name, key in VIEW_KEYS.items():
        value = view.get(name, DEFAULTS[name])
        if value == DEFAULTS[name]:
            continue
        if name == "pinned":
            out[key] = urlencode(to_params(value))
        elif name in FLAGS:
            out[key] = "1" if value else "0"
        else:
            out[key] = str(value)
    return out


def _read(name, text, n_heads):  # -> (value | None, notice | None)
    shown, key = repr(text[:20]), VIEW_KEYS[name]  # a notice names the key as the link wrote it
    if name == "head":
        ok = text.isdecimal() and len(text) < 4 and int(text) < n_heads
        return (int(text), None) if ok else (None, f"{key}={shown} is not a head 0..{n_heads - 1}; ignored")
    if name == "colour":
        known = " or ".join(COLOURS)
        return (text, None) if text in COLOURS else (None, f"{key}={shown} is not {known}; ignored")
    if name in FLAGS:
        return (text != "0", None) if text in ("0", "1") else (None, f"{key}={shown} is not 0 or 1; ignored")
    pinned, _, notices = from_params(dict(parse_qsl(text, keep_blank_values=True)))
    return pinned, (f"{key} (the pinned state): " + "; ".join(notices)) if notices else None


def from_view_params(params, n_heads):  # Mapping[str, str], int -> (dict of view state, notices)
    """The view state a link carries; n_heads bounds the head. Unknown or bad values are dropped."""
    view, notices = {}, []
    for name, key in VIEW_KEYS.items():
        text = params.get(key)
        if text is None:
            continue
        value, notice = _read(name, str(text), n_heads)
        notices += [notice] if notice else []
        if value is not None:
            view[name] = value
    return view, notices


def step_from_link(text, n_steps):  # str | None, int -> (int | None, str | None)
    """The 0-based step a link's 1-based `tour` value names, or None and a notice saying why not."""
    if text is None:
        return None, None
    shown = text if len(text) <= 40 else text[:40] + "…"
    digits = text.strip()
    if not digits.isascii() or not digits.isdecimal():
        return None, f"tour={shown!r} is not a step number; the lesson has steps 1 to {n_steps}"
    number = int(digits) if len(digits.lstrip("0")) <= 6 else 0  # "9" * 5000 would be slow to read
    if not 1 <= number <= n_steps:
        return None, f"tour={shown} is not a step of the lesson (1 to {n_steps}); ignored"
    return number - 1, None
