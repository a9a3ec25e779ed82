"""Kaplan–Meier arrays of registry-size groups, thinned as the plot thins them.

A group with more than :data:`THIN_ABOVE` distinct times (continuous times in a registry of
10⁷ rows) would put tens of megabytes of arrays into every result, page and JSON. Its arrays
keep only the rows the plot draws (S or a confidence bound enters a new band of
:data:`~cohort_explorer.stats.km_display.STEP_RESOLUTION`), the rows where the number at risk
enters a new band of n × STEP_RESOLUTION (so a number-at-risk table read from them is off by
less than 0.05% of n), and the first and last. Each kept row has its own time, survival,
bounds, standard error and number at risk; its ``events`` and ``censored`` add up the rows
dropped since the previous kept row, so the totals stay. Medians, landmarks, RMST and the
tests are computed from the full arrays before this. ``full_km=True`` keeps every row.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cohort_explorer.errors import Notice
from cohort_explorer.stats.km_core import read_only
from cohort_explorer.stats.km_display import STEP_RESOLUTION, display_points

__all__ = ["THIN_ABOVE", "thin_groups", "thin_km"]

#: KM arrays with more distinct times than this are thinned (unless full arrays are asked for).
THIN_ABOVE = 1_000_000

_OWN = ("time", "survival", "lower", "upper", "std_err", "at_risk")
_SUMMED = ("events", "censored")


def thin_km(km, n: int):
    """``km`` with the rows described in the module docstring (``km`` itself when short)."""
    size = np.asarray(km.time).size
    if size <= THIN_ABOVE:
        return km
    surv = np.asarray(km.survival, dtype=float)
    lower = np.asarray(km.lower, dtype=float)
    upper = np.asarray(km.upper, dtype=float)
    keep = display_points(surv, np.where(np.isfinite(lower), lower, surv),
                          np.where(np.isfinite(upper), upper, surv))
    risk_band = np.floor(np.asarray(km.at_risk, dtype=float) / max(1.0, n * STEP_RESOLUTION))
    keep = np.union1d(keep, np.flatnonzero(np.diff(risk_band) != 0) + 1)
    start = np.concatenate(([0], keep[:-1] + 1))  # each kept row sums the rows since the last
    out = {name: read_only(np.asarray(getattr(km, name))[keep].copy()) for name in _OWN}
    for name in _SUMMED:
        values = np.asarray(getattr(km, name))
        out[name] = read_only(np.add.reduceat(values, start)[: keep.size])
    return replace(km, **out)


def thin_groups(groups, full_km: bool):
    """The groups with thinned KM arrays, and a notice when any was thinned."""
    if full_km:
        return groups, []
    thinned = tuple(replace(g, km=thin_km(g.km, g.n)) for g in groups)
    changed = [(g.label, np.asarray(g.km.time).size, np.asarray(t.km.time).size)
               for g, t in zip(groups, thinned, strict=True) if t.km is not g.km]
    if not changed:
        return groups, []
    label, total, kept = changed[0]
    return thinned, [Notice(
        f"The Kaplan–Meier arrays of {len(changed)} group(s) were thinned as the plot is "
        f"(group {label}: {kept:,} of {total:,} distinct times kept); medians, landmarks and "
        "tests use every time. Use --full-km for every row.", "km_thinned",
        {"groups": len(changed), "group": label, "kept": kept, "times": total},
        severity="info")]
