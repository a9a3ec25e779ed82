"""Warnings about numbers that are computed but may not mean what they seem (issue 9, item 11).

* a follow-up time column holding yyyymmdd calendar dates (20210122 read as 20 million months);
* a log-rank test that is not defined because every patient at risk has the event at the one
  time where events happen (zero variance: the statistic would print as ``nan``).
"""

from __future__ import annotations

import numpy as np

from cohort_explorer.errors import Notice

__all__ = ["plausibility_warnings", "yyyymmdd_share"]


def yyyymmdd_share(time: np.ndarray) -> float:
    """Share of the values that read as calendar dates yyyymmdd (1900-01-01 to 2099-12-31)."""
    x = np.asarray(time, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0.0
    whole = (x == np.floor(x)) & (x >= 19000101) & (x <= 20991231)
    month = (x // 100) % 100
    day = x % 100
    dated = whole & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    return float(dated.mean())


def plausibility_warnings(time: np.ndarray, time_col: str, logrank) -> list[Notice]:
    """Warnings for the analysis set's ``time`` (column ``time_col``) and its log-rank test."""
    warnings = []
    if yyyymmdd_share(time) >= 0.9:
        example = int(np.asarray(time, dtype=float)[np.isfinite(time)][0])
        warnings.append(Notice(
            f"Column '{time_col}' holds numbers such as {example} that look like calendar dates "
            "(yyyymmdd), not follow-up times: medians and survival are then meaningless. "
            "Compute the time from the start date to the event or last contact and use that.",
            "time_looks_like_yyyymmdd", {"column": time_col, "example": example}))
    if logrank is not None and not np.isfinite(logrank.statistic):
        warnings.append(Notice(
            "The log-rank test is not defined here (no p-value): at every time with events, "
            "every patient still at risk has the event, so the test's variance is zero and the "
            "groups cannot be compared. This happens when all events fall at one time; it needs "
            "follow-up times that differ between patients.", "logrank_undefined", {}))
    return warnings
