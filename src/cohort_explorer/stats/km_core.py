"""Helpers of the Kaplan–Meier and log-rank modules: input checks and Kaplan-Meier arithmetic.

Everything here is vectorised numpy (sort once, ``bincount``/``cumsum``); no Python loop runs
over patients. The rules copy R ``survival`` 3.5.3 line by line where it matters:
``aeqSurv`` (timefix), ``survfitKM`` (Greenwood), ``survfit_confint``, ``findq``
(``quantile.survfit``) and ``survmean`` (restricted mean).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stats.distributions import norm_ppf
from cohort_explorer.stats.ranks import rank_codes

__all__ = [
    "CONF_TYPES",
    "TOLERANCE",
    "check_conf",
    "check_conf_level",
    "check_group",
    "check_time_event",
    "confidence_band",
    "distinct_times",
    "find_quantile",
    "km_table",
    "km_table_from_counts",
    "read_only",
    "z_value",
]

#: R ``sqrt(.Machine$double.eps)``: the tolerance of ``aeqSurv`` and ``quantile.survfit``.
TOLERANCE = float(np.sqrt(np.finfo(float).eps))
CONF_TYPES = ("log-log", "log", "plain")


# ---------------------------------------------------------------------------- input checks
def _to_float(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D float64 array (pandas NA -> NaN) or raise ColumnError."""
    try:
        if isinstance(values, (pd.Series, pd.Index)):
            array = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ColumnError(f"{name} must be numeric; convert the column to numbers first") from error
    if array.ndim != 1:
        raise ColumnError(f"{name} must be one-dimensional (got shape {array.shape})")
    return array


def check_time_event(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate survival times and 0/1 event flags; return (float64 time, bool event)."""
    time = _to_float(time, "time")
    event = _to_float(event, "event")
    if time.size != event.size:
        raise ColumnError(f"time and event differ in length ({time.size} vs {event.size})")
    if time.size == 0:
        raise ColumnError("no rows to analyse: time and event are empty")
    if np.isnan(time).any():
        raise ColumnError(f"time has {int(np.isnan(time).sum())} missing values; drop them first")
    if not np.isfinite(time).all():
        raise ColumnError("time has infinite values; drop or correct them first")
    if (time < 0).any():
        raise ColumnError(f"time has {int((time < 0).sum())} negative values; times must be >= 0")
    is_event = event == 1
    if not (is_event | (event == 0)).all():
        found = pd.unique(event[~(is_event | (event == 0))])[:5]
        shown = ", ".join("missing" if np.isnan(v) else f"{v:g}" for v in found)
        raise ColumnError(f"event must be 0/1 or true/false; found {shown}")
    return time, is_event


def check_group(values: Any, n: int, name: str, levels: Sequence[Any] | None = None):
    """Codes 0..k-1 for ``values`` in ``levels`` order (default: sorted unique values).

    Returns ``(codes, levels)``. Missing values raise ColumnError; values missing from an
    explicit ``levels`` raise OptionError. Levels with no rows are kept (their counts are 0).
    """
    if isinstance(values, (pd.Series, pd.Index, pd.Categorical)):
        values = np.asarray(values, dtype=object)
    array = np.asarray(values)
    if array.ndim != 1:
        raise ColumnError(f"{name} must be one-dimensional (got shape {array.shape})")
    if array.size != n:
        raise ColumnError(f"{name} and time differ in length ({array.size} vs {n})")
    if array.dtype.kind in "US":
        array = array.astype(object)  # factorize hashes objects faster than fixed-width text
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    if (codes < 0).any():
        raise ColumnError(f"{name} has {int((codes < 0).sum())} missing values; drop them first")
    uniques = list(np.asarray(uniques, dtype=object).tolist())
    if levels is None:
        try:
            levels = sorted(uniques)
        except TypeError:
            levels = sorted(uniques, key=str)
    levels = list(levels.tolist() if isinstance(levels, np.ndarray) else levels)
    position = {}
    for index, level in enumerate(levels):
        if level in position:
            raise OptionError(f"levels of {name} repeat {level!r}; list each level once")
        position[level] = index
    unknown = [u for u in uniques if u not in position]
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise OptionError(f"{name} has values not in levels: {shown}; add them to levels")
    mapping = np.array([position[u] for u in uniques], dtype=np.intp)
    return mapping[codes], tuple(levels)


def check_conf_level(conf_level: float) -> None:
    """Raise OptionError unless 0 < conf_level < 1."""
    if (
        isinstance(conf_level, (bool, np.bool_))
        or not isinstance(conf_level, (int, float, np.integer, np.floating))
        or not (0.0 < float(conf_level) < 1.0)
    ):
        raise OptionError(f"conf_level must be between 0 and 1 (e.g. 0.95); got {conf_level!r}")


def check_conf(conf_type: str, conf_level: float) -> None:
    """Raise OptionError unless conf_type is known and 0 < conf_level < 1."""
    if conf_type not in CONF_TYPES:
        raise OptionError(f"conf_type must be one of {', '.join(CONF_TYPES)}; got {conf_type!r}")
    check_conf_level(conf_level)


def read_only(array: np.ndarray) -> np.ndarray:
    """A contiguous, read-only copy-or-view of ``array`` (results are immutable)."""
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def z_value(conf_level: float) -> float:
    """Two-sided normal quantile, R ``qnorm(1 - (1 - conf.int) / 2)``."""
    return float(norm_ppf(1.0 - (1.0 - conf_level) / 2.0))


# ---------------------------------------------------------------------------- arithmetic
def _tie_runs(unique: np.ndarray) -> np.ndarray | None:
    """Start of each run of nearly equal sorted distinct times (R ``aeqSurv``), or None.

    Times closer than ``sqrt(eps)`` (absolutely, or relative to the mean absolute distinct
    time) are merged into the smallest of them, as ``survfit``/``survdiff`` do by default
    (``timefix = TRUE``), so 0.1 + 0.2 and 0.3 count as one time.
    """
    if unique.size < 2:
        return None
    gaps = np.diff(unique)
    tied = (gaps <= TOLERANCE) | (gaps / np.mean(np.abs(unique)) <= TOLERANCE)
    if not tied.any():
        return None
    return np.concatenate(([True], ~tied))


def distinct_times(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct times (after R's timefix) and the index of each row's time."""
    inverse, unique = rank_codes(time)  # np.unique(time, return_inverse=True), by hashing
    starts = _tie_runs(unique)
    if starts is not None:
        inverse = (np.cumsum(starts) - 1)[inverse]
        unique = unique[starts]
    return unique, inverse.ravel()


def km_table(time: np.ndarray, event: np.ndarray) -> dict[str, np.ndarray]:
    """Product-limit table at every distinct time (event or censoring), as ``survfit``.

    Returns time, n_risk, n_event, n_censor, surv and ``se_log`` (Greenwood standard error
    of log S, R's ``fit$std.err``: ``Inf`` once S reaches 0).
    """
    ranks, unique = rank_codes(time)  # np.unique(time, return_counts=True), by hashing
    rows = np.bincount(ranks, minlength=unique.size)
    n_event = np.bincount(ranks[np.asarray(event, dtype=bool)], minlength=unique.size)
    return km_table_from_counts(unique, rows, n_event)


def km_table_from_counts(unique: np.ndarray, rows: np.ndarray, n_event: np.ndarray):
    """:func:`km_table` from the sorted distinct times and the rows and events at each (what
    a SQL ``GROUP BY time`` returns): the same arithmetic, so the same numbers."""
    unique = np.asarray(unique, dtype=float)
    rows = np.asarray(rows, dtype=np.int64)
    n_event = np.asarray(n_event, dtype=np.int64)
    starts = _tie_runs(unique)
    if starts is not None:
        first = np.flatnonzero(starts)
        unique = unique[first]
        rows = np.add.reduceat(rows, first)
        n_event = np.add.reduceat(n_event, first)
    n_risk = rows[::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        hazard_var = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    return {
        "time": unique,
        "n_risk": n_risk.astype(np.int64),
        "n_event": n_event,
        "n_censor": (rows - n_event).astype(np.int64),
        "surv": surv,
        "se_log": np.sqrt(np.cumsum(hazard_var)),
    }


def confidence_band(surv: np.ndarray, se_log: np.ndarray, conf_type: str, conf_level: float):
    """Pointwise CI of S, R ``survfit_confint(logse = TRUE)``; NaN where R gives NA."""
    z = z_value(conf_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = se_log * surv * z
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if conf_type == "log":
            log_s = np.log(np.where(surv == 0, np.nan, surv))
            return np.exp(log_s - z * se_log), np.minimum(np.exp(log_s + z * se_log), 1.0)
        inner = np.where((surv == 0) | (surv == 1), np.nan, surv)
        shift = z * se_log / np.log(inner)
        loglog = np.log(-np.log(inner))
        return np.exp(-np.exp(loglog - shift)), np.exp(-np.exp(loglog + shift))


def _first_at_or_above(knots: np.ndarray, positions: np.ndarray, value: float) -> int | None:
    """R ``approx(knots, positions, value, method = "constant", f = 1)`` (NA -> None)."""
    if knots.size == 0 or value < knots[0] or value > knots[-1]:
        return None
    return int(positions[np.searchsorted(knots, value, side="left")])


def find_quantile(x: np.ndarray, y: np.ndarray, p: float, tol: float = TOLERANCE) -> float:
    """R ``survival:::findq`` for one probability ``p`` (NaN where R gives NA).

    ``x`` holds the times with the curve's origin (0) first, ``y`` the matching values of
    1 - S (or 1 - a confidence bound) with 0 first. The quantile is the first time the curve
    reaches 1 - p; where it stays within ``tol`` of 1 - p the midpoint of the flat stretch,
    and a flat stretch running to the end gives (start + last listed time) / 2.
    """
    finite = ~np.isnan(y)
    if not finite.any() or np.max(y[finite]) < p:
        return float("nan")
    xmax = x[-1]
    # duplicated(y): keep the first occurrence of each value (all NaN count as one value)
    valid_index = np.flatnonzero(finite)
    _, first = np.unique(y[valid_index], return_index=True)
    keep = valid_index[first]
    if not finite.all():
        keep = np.append(keep, np.flatnonzero(~finite)[0])
    keep.sort()
    x, y = x[keep], y[keep]
    finite = ~np.isnan(y)
    positions = np.flatnonzero(finite)
    order = np.argsort(y[finite], kind="stable")
    knots, positions = y[finite][order], positions[order]
    index1 = _first_at_or_above(knots + tol, positions, p)
    index2 = _first_at_or_above(knots - tol, positions, p)
    quantile = np.nan if index1 is None or index2 is None else (x[index1] + x[index2]) / 2.0
    if p == 0:
        quantile = x[0]
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        quantile = np.nan if index1 is None else (x[index1] + xmax) / 2.0
    return float(quantile)
