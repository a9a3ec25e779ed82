"""Fast, indented JSON for large results (the CLI's ``--output json``).

``json.dumps(..., indent=2)`` runs Python's pure-Python encoder (the C encoder only serves
``indent=None``): for a million-row analysis with per-event residuals that takes seconds. Here
the structure is indented as before, while every long list of plain numbers is written on one
line by the C encoder. The text parses to exactly the same values (strict JSON: no NaN/inf).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

__all__ = ["dumps"]

_SCALAR_SET = {int, float, bool, type(None)}
_MIN_INLINE = 8  # shorter lists keep the usual one-value-per-line layout


def _inline(value: list | tuple) -> bool:
    """A long list of numbers, or a long list of rows of numbers (a matrix)."""
    if len(value) < _MIN_INLINE:
        return False
    kinds = {type(v) for v in value}
    if kinds <= _SCALAR_SET:
        return True
    if kinds <= {list, tuple}:
        return {type(x) for row in value for x in row} <= _SCALAR_SET
    return False


def _placeholders(value: Any, found: list[list], token: str) -> Any:
    if isinstance(value, dict):
        return {k: _placeholders(v, found, token) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if _inline(value):
            found.append(value)
            return f"{token}{len(found) - 1}"
        return [_placeholders(v, found, token) for v in value]
    return value


def dumps(value: Any) -> str:
    """``json.dumps(value, indent=2, allow_nan=False)`` with long numeric lists on one line."""
    found: list[list] = []
    token = f"@@list-{secrets.token_hex(8)}-"  # cannot occur in the data by chance
    skeleton = json.dumps(_placeholders(value, found, token), indent=2, allow_nan=False)
    if not found:
        return skeleton
    encoder = json.JSONEncoder(allow_nan=False, separators=(", ", ": "))
    pieces = skeleton.split(f'"{token}')
    parts = [pieces[0]]
    for piece in pieces[1:]:
        index, rest = piece.split('"', 1)
        parts.append(encoder.encode(found[int(index)]))
        parts.append(rest)
    return "".join(parts)
