"""Fast, indented JSON for large results (the CLI's ``--output json``).

``json.dumps(..., indent=2)`` runs Python's pure-Python encoder (the C encoder only serves
``indent=None``): for a million-row analysis with per-event residuals that takes seconds. Here
the structure is indented as before, while every long list of plain numbers is written on one
line, by ``orjson`` when it is installed (shortest round-trip floats, about 15 times faster than
the ``json`` C encoder, which is the fallback). The text parses to exactly the same values
(strict JSON: no NaN/inf); only the spelling of some floats differs (``0.00001`` for ``1e-05``).
"""

from __future__ import annotations

import json
import secrets
from itertools import chain
from typing import Any

__all__ = ["dumps"]

_SCALAR_SET = {int, float, bool, type(None)}
_MIN_INLINE = 8  # shorter lists keep the usual one-value-per-line layout

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None


def _inline(value: list | tuple) -> bool:
    """A long list of numbers, or a long list of rows of numbers (a matrix)."""
    if len(value) < _MIN_INLINE:
        return False
    kinds = set(map(type, value))
    if kinds <= _SCALAR_SET:
        return True
    if kinds <= {list, tuple}:
        return set(map(type, chain.from_iterable(value))) <= _SCALAR_SET
    return False


def _is_array(value: Any) -> bool:
    """A numpy array (kept by ``_result.numeric_arrays_kept``), without importing numpy."""
    return type(value).__name__ == "ndarray" and hasattr(value, "dtype")


def _placeholders(value: Any, found: list[list], token: str) -> Any:
    if _is_array(value):
        found.append(value)
        return f"{token}{len(found) - 1}"
    if isinstance(value, dict):
        return {k: _placeholders(v, found, token) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if _inline(value):
            found.append(value)
            return f"{token}{len(found) - 1}"
        return [_placeholders(v, found, token) for v in value]
    return value


def _nones(value: list | tuple) -> int:
    if value and isinstance(value[0], (list, tuple)):
        return sum(row.count(None) for row in value)
    return value.count(None)


def _encode_array(array, encoder: json.JSONEncoder) -> str:
    """A numeric numpy array as the list ``_result.array_list`` makes of it (NaN/inf: null)."""
    import numpy as np

    if orjson is None or array.dtype.kind not in "fiub":
        from cohort_explorer._result import array_list

        return encoder.encode(array_list(array))
    kind = {"f": np.float64, "b": np.bool_, "u": np.uint64}.get(array.dtype.kind, np.int64)
    array = np.ascontiguousarray(array, dtype=kind)
    return orjson.dumps(array, option=orjson.OPT_SERIALIZE_NUMPY).replace(b",", b", ").decode()


def _encode_list(value: list | tuple, encoder: json.JSONEncoder) -> str:
    """One inline list as ``[1.5, 2.0, null]`` (rows: ``[[1.0, 2.0], [3.0, null]]``)."""
    if _is_array(value):
        return _encode_array(value, encoder)
    if orjson is not None:
        try:
            text = orjson.dumps(value)
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
            return encoder.encode(value)
        if b"null" in text and text.count(b"null") != _nones(value):  # NaN, inf -> null
            raise ValueError("Out of range float values are not JSON compliant")
        return text.replace(b",", b", ").decode()
    return encoder.encode(value)


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
        parts.append(_encode_list(found[int(index)], encoder))
        parts.append(rest)
    return "".join(parts)
