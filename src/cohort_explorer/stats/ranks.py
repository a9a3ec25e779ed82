"""Sorted distinct values and each value's rank by hashing instead of sorting all n values.

``np.unique(values, return_inverse=True)`` sorts all n values (about 0.1 s a million rows);
survival times usually take few distinct values, so hashing them (``pandas.factorize``) and
sorting only the distinct ones gives the same arrays faster (tests check). Used by the Cox fit
(:mod:`cohort_explorer.stats.cox.order`), the Kaplan-Meier table and the log-rank test.

Within :func:`reused_sorts` (the Cox fit and its PH test, :mod:`cohort_explorer.analysis.staged`)
each result for equal input arrays is computed once: the fit's time fix, time order and
concordance and the PH test's own time fix, order and KM transform all rank the same times.
Inputs are compared by value (``np.array_equal``, ~1 ms a million rows), never by identity;
shared results are read-only, so no caller can change another's.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["distinct_sorted", "rank_codes", "reused", "reused_sorts"]

_MEMO: ContextVar[list | None] = ContextVar("reused_sorts", default=None)
_MEMO_MAX = 8  # entries kept (each holds its inputs: ~16-24 MB a million rows)


@contextmanager
def reused_sorts():
    """Within this block :func:`reused` answers equal inputs from one computation (a block
    inside another shares the outer one's results)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set([])
    try:
        yield
    finally:
        _MEMO.reset(token)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)


def _frozen(value):
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple):
        for item in value:
            _frozen(item)
    return value


def reused(kind: str, arrays: tuple, compute: Callable[[], Any], *, owned: bool = False):
    """``compute()``, or inside :func:`reused_sorts` the result of an earlier call with the
    same ``kind`` and equal ``arrays`` (numpy arrays or None). ``owned``: the arrays are the
    caller's private copies (kept as they are; else copied for the comparison later)."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    for known_kind, known, result in memo:
        if known_kind == kind and len(known) == len(arrays) and all(
                _same(a, b) for a, b in zip(known, arrays, strict=True)):
            return result
    result = compute()
    kept = tuple(a if a is None or owned else np.array(a, copy=True) for a in arrays)
    memo.append((kind, kept, _frozen(result)))
    del memo[:-_MEMO_MAX]
    return result


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for finite float values, by hashing."""
    return rank_codes(values)[1]


def rank_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` reversed: (rank of each value, sorted
    distinct values), for finite float values; found by hashing instead of sorting."""
    values = np.asarray(values, dtype=float).ravel() + 0.0  # -0.0 -> 0.0, as unique sees them
    return reused("rank_codes", (values,), lambda: _rank_codes(values), owned=True)


def _rank_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, distinct = pd.factorize(values)
    if codes.size and codes.min() < 0:  # NaN: keep numpy's own handling
        unique, inverse = np.unique(values, return_inverse=True)
        return inverse.ravel(), unique
    sorter = np.argsort(distinct)
    rank = np.empty(distinct.size, dtype=np.int64)
    rank[sorter] = np.arange(distinct.size)
    return rank[codes], distinct[sorter]
