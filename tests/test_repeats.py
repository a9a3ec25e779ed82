"""data/repeats.py equals the pandas expressions it replaces (validation, notices, roles)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.data import roles
from cohort_explorer.data.repeats import all_same, repeated_count

COLUMNS = [
    ["P1", "P2", "P1", None, np.nan, "P3", "P2", "P1"],  # text with repeats and missing
    [f"P{i}" for i in range(3000)],  # text, no repeats
    ["a", "A", "a ", "é", "é", "日本", "日本"],  # case, spaces, non-ASCII
    [1, 2, 2, np.nan, 3.0, 3],  # numbers
    ["1", 1, 1.0, "1"],  # mixed objects: pandas decides
    [np.nan, None],  # nothing present
    [],
]


@pytest.mark.parametrize("values", COLUMNS)
def test_repeated_count_is_pandas_duplicated(values):
    column = pd.Series(values, dtype=object)
    assert repeated_count(column) == int(column.dropna().duplicated().sum())
    numeric = pd.to_numeric(column, errors="coerce")
    assert repeated_count(numeric) == int(numeric.dropna().duplicated().sum())


@pytest.mark.parametrize("values", [
    ["x"] * 2500, ["x"] * 2500 + ["y"], ["x"] * 5 + ["y"], [np.nan] * 3 + ["x"] * 2000,
    [np.nan, None], [], [1.0] * 1500 + [np.nan], [1, 1.0, True],
])
def test_all_same_is_a_full_comparison(values):
    column = pd.Series(values, dtype=object)
    present = column.dropna()
    expected = bool(len(present)) and bool((present == present.iloc[0]).all())
    assert all_same(column) is expected


@pytest.mark.parametrize("values", [
    list(range(20000)), [i % 7 for i in range(20000)], [i % 13 for i in range(20000)],
    [f"g{i % 12}" for i in range(20000)], [f"g{i % 14}" for i in range(20000)],
    [0] * 19990 + list(range(10)),  # few values in the head, more further down
])
def test_distinct_counts_exactly_up_to_the_cap(values):
    column = pd.Series(values)
    exact = int(column.nunique(dropna=True))
    assert roles._distinct(column) == (exact if exact <= roles.DISTINCT_CAP
                                       else roles.DISTINCT_CAP + 1) or (
        exact > roles.DISTINCT_CAP and roles._distinct(column) > roles.DISTINCT_CAP)
