"""Safe ways to show user text: every token, word and link value is shown literally, never rendered."""

import re

import streamlit as st

from charts.figures import visible


def literal(text):  # str -> str
    """Markdown that shows `text` exactly as typed: a code span fenced longer than any backtick run.

    Invisible format and control characters are named (charts.figures.visible), never left to act.
    """
    text = visible(text)
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def plain(text):  # str -> str
    """Markdown that shows `text` as plain text: every ASCII punctuation mark backslash-escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(text.split()))


def prose(title, *blocks):  # str, Markdown paragraphs and formulas (`formula`) -> None
    """A stage's heading, paragraphs and formulas as one Markdown element.

    Every element is a message and a render on every rerun, so a stage's text is one element, not
    a subheader, a paragraph and a formula each. A visitor's text goes here only as `literal` code
    spans (the token chips, `chip_row`), never as Markdown of its own.
    """
    st.markdown("\n\n".join([f"### {title}", *blocks]))


def formula(tex):  # LaTeX -> a Markdown block of display maths
    return f"$$\n{tex}\n$$"


def chip_row(tokens):  # list[str] -> Markdown
    """The tokens as a row of code-span chips, each shown literally."""
    return " ".join(literal(t) for t in tokens)


def chips(tokens):  # list[str] -> None
    st.markdown(chip_row(tokens))
