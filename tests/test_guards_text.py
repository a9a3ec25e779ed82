"""The longest-text limit (io/guards.py) measured by Arrow as ``str.len`` measures it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.mark.parametrize("values", [
    ["ab", "日本語です", np.nan, "xyz12", "é" * 5],  # characters, not bytes; the first longest
    [np.nan, np.nan],  # no text
    ["a", 3, [1, 2, 3, 4]],  # mixed objects: str.len as before
    [1.5, 2.5],
])
def test_longest_text_as_str_len(values):
    from cohort_explorer.io.guards import _longest_text

    column = pd.Series(values, dtype=object)
    try:
        lengths = column.str.len()
    except AttributeError:
        expected = None
    else:
        longest = lengths.max()
        expected = (None if longest != longest else
                    (int(longest), int(lengths.fillna(0).to_numpy().argmax())))
    assert _longest_text(column) == expected
