"""User text made inert for Streamlit's Markdown: escaping and tables.

Not a page (``app.py`` lists the pages explicitly). Streamlit renders Markdown (GitHub-flavoured,
plus LaTeX, coloured ``:red[...]`` directives, ``:material/...:`` icons and emoji shortcodes) in
``st.markdown``/``st.caption``, alert bodies, widget labels and help, metric labels and in every
cell and header of ``st.table``. GitHub-flavoured Markdown also turns bare URLs, ``www.`` names
and e-mail addresses into links *after* backslash escapes are resolved, so escaping symbols is
not enough: :func:`md` also puts an invisible WORD JOINER (U+2060) where an autolink or a
shortcode would start. What the viewer reads is the original text.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

__all__ = ["md", "safe_frame", "show_table", "WORD_JOINER"]

WORD_JOINER = "\u2060"
#: Line breaks and other separators: Markdown blocks (lists, headings, code) start at a new line.
_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]")
#: Where an autolink literal (``http://``, ``https://``, ``www.``, ``x@y.z``, ``mailto:``) or a
#: ``:shortcode:`` (emoji, ``:material/icon:``) would be recognised in the rendered text.
_BREAK_POINTS = re.compile(r"(?i)(?<=[a-z])(?=:/)|(?<=www)(?=\.)|(?=@)|(?<=:)(?=[\w+\-/]+:)")
#: Markup characters escaped wherever they are.
_ALWAYS = frozenset("\\`*[]<>~$&|{}")
#: A block marker at the start of the text: heading, quote, list item, thematic break
#: (``# x``, ``> x``, ``- x``, ``+ x``, ``---``, ``1. x``); ``-5.2`` or ``86.2%`` are not.
_LEADING_MARKER = re.compile(r"[#+\-](?=[\s#+\-]|$)|>|\d{1,9}[.)](?=\s|$)")


def md(text: Any) -> str:
    """``text`` as Markdown that renders as exactly that text: no link, image, formula,
    colour, icon, emphasis, HTML or block structure. ``None`` becomes ``""``."""
    if text is None:
        return ""
    plain = _BREAK_POINTS.sub(WORD_JOINER, _BREAKS.sub(" ", str(text)))
    out = []
    last = len(plain) - 1
    for i, char in enumerate(plain):
        if char in _ALWAYS:
            out.append("\\" + char)
        elif char == "_" and not (0 < i < last and plain[i - 1].isalnum()
                                  and plain[i + 1].isalnum()):
            out.append("\\_")  # an underscore inside a word (cyto_risk) never emphasises
        elif char == ":" and i < last and plain[i + 1].isalpha():
            out.append("\\:")  # :red[...] directives
        else:
            out.append(char)
    escaped = "".join(out)
    body = escaped.lstrip(" ")
    lead = "&#32;" * (len(escaped) - len(body))  # four spaces would start a code block
    marker = _LEADING_MARKER.match(body)
    if marker:
        cut = marker.end() - 1
        body = body[:cut] + "\\" + body[cut:]
    return lead + body


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are :func:`md`-escaped."""
    safe = frame.copy()
    safe.columns = [md(c) for c in frame.columns]
    for index in range(frame.shape[1]):
        values = frame.iloc[:, index]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            safe.iloc[:, index] = values.map(lambda v: md(v) if isinstance(v, str) else v)
    return safe


def show_table(frame: pd.DataFrame) -> None:
    """``st.table`` (which renders Markdown in cells and headers) of inert text."""
    st.table(safe_frame(frame), hide_index=True)


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
