"""Shared helper for result dataclasses: JSON-safe ``to_dict()``.

Results are frozen dataclasses. ``to_dict`` converts numpy scalars and arrays to Python
types and every non-finite float (NaN, inf) to ``None`` so the output is strict JSON.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

__all__ = ["Result", "array_list", "jsonable", "numeric_arrays_kept"]

#: Set by :func:`numeric_arrays_kept`: long numeric arrays stay numpy arrays in ``to_dict``.
_KEEP_ARRAYS: ContextVar[bool] = ContextVar("keep_numeric_arrays", default=False)
_MIN_KEPT = 8  # shorter arrays become lists (jsonout indents short lists one value a line)


@contextmanager
def numeric_arrays_kept():
    """Within this block ``to_dict`` leaves numeric arrays of 8 or more rows as numpy arrays
    (for :func:`cohort_explorer.jsonout.dumps`, which writes them as the lists they stand for,
    NaN/inf as null): no million-element Python lists for a JSON dump."""
    token = _KEEP_ARRAYS.set(True)
    try:
        yield
    finally:
        _KEEP_ARRAYS.reset(token)


def _array_list(array: np.ndarray) -> list | np.ndarray:
    if (array.dtype.kind in "fiub" and array.ndim in (1, 2) and len(array) >= _MIN_KEPT
            and _KEEP_ARRAYS.get()):
        return array
    return array_list(array)


def array_list(array: np.ndarray) -> list:
    """``array.tolist()`` with NaN/inf as None, converted in bulk (no call per element)."""
    if array.dtype.kind == "f":
        out = array.tolist()
        bad = ~np.isfinite(array)
        if bad.any():
            if array.ndim == 1:
                for i in np.flatnonzero(bad).tolist():
                    out[i] = None
            else:
                return [array_list(row) for row in array]
        return out
    if array.dtype.kind in "iub":
        return array.tolist()
    return [jsonable(v) for v in array.tolist()]


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON-safe Python (NaN/inf -> None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return _array_list(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


class Result:
    """Mixin for frozen result dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe nested dicts and lists (no NaN, ``None`` instead)."""
        return jsonable(self)
