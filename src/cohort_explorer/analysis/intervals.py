"""The interval of grouping-column values behind each numeric group (``groups[].interval``).

Quantile, median and Q1-vs-rest groups are right-closed with the lowest value included:
Q1 = [min, q25], Q2 = (q25, q50], ..., the last group (q75, max]. Custom cuts and the optimal
cut are open towards -inf / +inf (a ``null`` bound): ``<=b1`` = (-inf, b1], ``>bk`` = (bk, inf).
Bounds are on the grouping column's scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort_explorer._result import Result
from cohort_explorer.analysis.stratify import Grouping, cut_labels, numeric_column

__all__ = ["GroupInterval", "grouping_intervals", "row_intervals"]

_QUANTILE_LIKE = {"quartiles", "tertiles", "median", "q1-vs-rest"}


@dataclass(frozen=True)
class GroupInterval(Result):
    """Values of a group: ``lower``/``upper`` (``None`` = unbounded) and whether each is included."""

    lower: float | None
    upper: float | None
    lower_closed: bool
    upper_closed: bool


def grouping_intervals(kind: str, labels: tuple[str, ...], breaks: tuple[float, ...],
                       x: np.ndarray) -> dict[str, GroupInterval]:
    """Interval of each label of a numeric grouping, in the grouping's own label order.

    Parameters
    ----------
    kind : str
        The grouping rule (``quartiles``, ``tertiles``, ``median``, ``q1-vs-rest``, ``cut``,
        ``optimal``); any other kind has no intervals (``{}``).
    labels : tuple of str
        The group labels as built (intervals in ascending order; for ``cut`` the labels of
        the non-empty intervals only).
    breaks : tuple of float
        The cut points (quantile breaks or the cuts).
    x : numpy.ndarray
        The grouping column on the analysis set (NaN = missing), for the minimum and maximum.
    """
    breaks = [float(b) for b in breaks]
    if kind in _QUANTILE_LIKE:
        present = x[~np.isnan(x)]
        lo, hi = float(present.min()), float(present.max())
        edges = [lo, *breaks, hi]
        return {
            label: GroupInterval(edges[i], edges[i + 1], i == 0, True)
            for i, label in enumerate(labels)
        }
    if kind in ("cut", "optimal"):
        edges = [None, *breaks, None]
        full = cut_labels(breaks)
        out = {
            label: GroupInterval(edges[i], edges[i + 1], False, edges[i + 1] is not None)
            for i, label in enumerate(full)
        }
        return {label: out[label] for label in labels if label in out}
    return {}


def row_intervals(df, kind: str, column: str, grouping: Grouping) -> dict[str, GroupInterval]:
    """:func:`grouping_intervals` of a grouping made by ``stratify.group_rows`` on ``df`` (the
    rows it was made on, e.g. Table 1's): the same intervals ``analyze`` reports."""
    if kind not in _QUANTILE_LIKE and kind not in ("cut", "optimal"):
        return {}
    x = numeric_column(df, column).to_numpy()
    return grouping_intervals(kind, tuple(grouping.labels), grouping.breaks, x)
