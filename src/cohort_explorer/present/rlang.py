"""R source literals: user text and numbers written so R reads them back as data, never code.

A string becomes one double-quoted R literal in which only printable ASCII other than ``\\`` and
``"`` appears as itself; every other character is a ``\\u{…}``/``\\U{…}`` escape (NUL and lone
surrogates, which R strings cannot hold, become U+FFFD). Nothing a column name, label or file
name contains can end the literal, start a new line or a comment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["r_string", "r_number", "r_strings", "r_numbers", "r_integers"]


def r_string(text: Any) -> str:
    """``text`` as an R string literal (see the module doc)."""
    out = ['"']
    for ch in str(text):
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif 32 <= code < 127:
            out.append(ch)
        elif code == 0 or 0xD800 <= code <= 0xDFFF:
            out.append("\\u{fffd}")
        elif code <= 0xFFFF:
            out.append(f"\\u{{{code:04x}}}")
        else:
            out.append(f"\\U{{{code:08x}}}")
    out.append('"')
    return "".join(out)


def r_number(value: Any) -> str:
    """A number as R source: shortest round-trip digits; ``NA`` for None/NaN, ``Inf``."""
    if value is None:
        return "NA"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    value = float(value)
    if math.isnan(value):
        return "NA"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return repr(value)


def r_strings(values: Iterable[Any]) -> str:
    """``c("a", "b")`` (``character(0)`` when empty)."""
    items = [r_string(v) for v in values]
    return f"c({', '.join(items)})" if items else "character(0)"


def r_numbers(values: Iterable[Any]) -> str:
    """``c(1.5, NA, 3)`` (``numeric(0)`` when empty)."""
    items = [r_number(v) for v in values]
    return f"c({', '.join(items)})" if items else "numeric(0)"


def r_integers(values: Iterable[Any]) -> str:
    """``c(1L, 2L)`` (``integer(0)`` when empty)."""
    items = [f"{int(v)}L" for v in values]
    return f"c({', '.join(items)})" if items else "integer(0)"
