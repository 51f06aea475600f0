"""Settings to URL parameters and back, so a state of the page can be shared as a link.

A link only carries the settings that differ from the defaults, under short stable keys. Reading
one never fails: a link may be old, hand-edited or hostile, so every value that cannot be used
falls back to its default (or is clamped into its range) with a plain-English notice saying so,
naming the key as the link wrote it (`scale=maybe`, not the setting's name `scaling`).
"""

import math
import re
from dataclasses import MISSING, fields

from attention.pipeline import CHOICES, LIMITS, MAX_CHARS, Settings

KEYS = {  # Settings field -> URL key; never rename a key, or old links stop working
    "sentence": "s",
    "seq_len": "n",
    "d_model": "dm",
    "d_k": "dk",
    "n_heads": "h",
    "seed": "seed",
    "embedding": "emb",
    "weight_init": "init",
    "mask": "mask",
    "window": "w",
    "prefix": "p",
    "scaling": "scale",
    "temperature": "tau",
    "positions": "pos",
}
CELL_KEY = "cell"  # the selected query, key cell as "i,j"
TAB_KEY = "tab"  # the tab the page opens on, by its name
OLD_TABS = {"From the notebook": "Letters to numbers"}  # renamed tabs: an old link still opens them
FIELDS = {KEYS[f.name]: f.name for f in fields(Settings)}  # URL key -> field; KeyError if a field lacks a key
DEFAULTS = {f.name: f.default for f in fields(Settings) if f.default is not MISSING}
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _show(text, quote=True, limit=40):  # str -> str, a value shortened (and quoted) for a notice
    text = text if len(text) <= limit else text[:limit] + "…"
    return repr(text) if quote else text


def _text(value):  # str | list[str] | anything -> str | None, the last value given
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return None if value is None else str(value)


def _format(value):  # bool | int | float | str -> str
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)  # repr: reads back as the same float


def to_params(settings, cell=None):  # Settings, (int, int) | None -> dict[str, str]
    """The URL parameters of a state: only the settings that differ from their defaults."""
    params = {
        key: _format(getattr(settings, name))
        for name, key in KEYS.items()
        if getattr(settings, name) != DEFAULTS[name]
    }
    if cell is not None:
        params[CELL_KEY] = f"{int(cell[0])},{int(cell[1])}"
    return params


def _number(name, text, kind):  # str, str, int | float -> (number | None, notice | None)
    """Parse a number and clamp it into its range; None (use the default) if it is not one."""
    default, (low, high), key = DEFAULTS[name], LIMITS[name], KEYS[name]
    digits = text.strip()
    try:
        if kind is int and len(digits) > 30 and digits.lstrip("+-").isdecimal():
            value = -math.inf if digits.startswith("-") else math.inf  # too long for int(); clamped below
        else:
            value = kind(digits)
    except (ValueError, OverflowError):
        word = "a whole number" if kind is int else "a number"
        return None, f"{key}={_show(text)} is not {word}; using the default {default}"
    if kind is float and not math.isfinite(value):
        return None, f"{key}={_show(text)} is not a finite number; using the default {default}"
    if value < low:
        return low, f"{key}={_show(text.strip(), quote=False)} is below {low}; using {low}"
    if value > high:
        return high, f"{key}={_show(text.strip(), quote=False)} is above {high}; using {high}"
    return value, None


def _choice(name, text):  # str, str -> (str | None, notice | None)
    """One of CHOICES[name], forgiving case and `_`/`-` for spaces ("char_codes" is "char codes")."""
    wanted = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
    for option in CHOICES[name]:
        if option.lower() == wanted:
            return option, None
    return None, f"{KEYS[name]}={_show(text)} unknown; using {DEFAULTS[name]!r}"


def _flag(name, text):  # str, str -> (bool | None, notice | None)
    wanted = text.strip().lower()
    if wanted in TRUE or wanted in FALSE:
        return wanted in TRUE, None
    shown = "on" if DEFAULTS[name] else "off"
    return None, f"{KEYS[name]}={_show(text)} is not true/false (1/0); using the default {shown}"


def cut_sentence(text):  # str -> (str, notice | None), at most MAX_CHARS characters
    if len(text) > MAX_CHARS:
        return text[:MAX_CHARS], f"sentence of {len(text)} characters cut to {MAX_CHARS}"
    return text, None


def _parse(name, text):  # field name, str -> (value | None, notice | None)
    default = DEFAULTS[name]
    if name == "sentence":
        text, notice = cut_sentence(text)
        return text, notice and f"{KEYS[name]}: {notice}"
    if name in CHOICES:
        return _choice(name, text)
    if isinstance(default, bool):
        return _flag(name, text)
    return _number(name, text, int if isinstance(default, int) else float)


def _cell(text, seq_len):  # str, int -> ((int, int) | None, notice | None)
    try:
        i, j = (int(part) for part in text.split(","))
    except ValueError:
        return None, f'cell={_show(text)} is not two whole numbers "i,j"; ignored'
    if not (0 <= i < seq_len and 0 <= j < seq_len):
        return None, f"cell={_show(text)} is outside the {seq_len}×{seq_len} grid; ignored"
    return (i, j), None


def _settings(values, notices):  # dict of parsed fields, list -> Settings
    """Settings from the parsed values; a combination Settings rejects loses values until it passes."""
    values = dict(values)
    while True:
        try:
            return Settings(**values)
        except ValueError as error:  # a rule across fields, checked only by Settings
            name = next(reversed(values))
            said = re.sub(r"\b(\w+)=", lambda m: f"{KEYS.get(m[1], m[1])}=", str(error))  # the link's keys
            notices.append(f"{said}; using the default {KEYS[name]}={_format(DEFAULTS[name])}")
            del values[name]


def _read(params, ignore):  # Mapping -> (parsed fields, cell text | None, notices)
    """Parse the value of each known key; name each unknown key in a notice."""
    values, cell_text, notices = {}, None, []
    for key, raw in dict(params).items():
        key, text = str(key), _text(raw)
        if key in ignore:
            continue
        if key not in FIELDS and key != CELL_KEY:
            notices.append(f"unknown setting {_show(key)} ignored")
        elif key == CELL_KEY:
            cell_text = text
        elif text is not None:
            value, notice = _parse(FIELDS[key], text)
            notices += [notice] if notice else []
            if value is not None:
                values[FIELDS[key]] = value
    return values, cell_text, notices


def from_params(params, ignore=()):  # Mapping[str, str | list[str]], keys -> (Settings, cell | None, notices)
    """Settings (and a selected cell) from URL parameters. Never raises: bad values fall back, with notices.

    `ignore` lists keys the page uses for other things, skipped without a notice.
    """
    values, cell_text, notices = _read(params, ignore)
    settings = _settings(values, notices)
    cell, notice = _cell(cell_text, settings.length) if cell_text is not None else (None, None)
    return settings, cell, notices + ([notice] if notice else [])
