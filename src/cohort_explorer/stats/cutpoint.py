"""Optimal cut point of a continuous variable: maximally selected log-rank statistic.

Reproduces R ``maxstat::maxstat.test(Surv(time, event) ~ x, smethod = "LogRank",
pmethod = "Lau94", minprop = 0.1, maxprop = 0.9)``: the standardised two-sample linear rank
statistic with log-rank scores, maximised over the cut points, and Lausen & Schumacher's
(1994) p-value that corrects for having searched over all of them. A seeded permutation
p-value is available on request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cohort_explorer._result import Result
from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stats.distributions import norm_cdf

__all__ = ["Cutpoint", "logrank_scores", "optimal_cutpoint"]

METHOD = "maxstat LogRank, Lau94"
_CHUNK_ELEMENTS = 4_000_000  # permutation matrix size per chunk


@dataclass(frozen=True)
class Cutpoint(Result):
    """The selected cut (``x <= cutpoint`` vs ``x > cutpoint``) and the whole search."""

    column: str
    cutpoint: float
    statistic: float
    p_corrected: float
    method: str
    candidates: np.ndarray
    statistics: np.ndarray
    n_below: int
    n_above: int
    p_permutation: float
    hrs: np.ndarray | None = None  # Cox HR (x > cut vs x <= cut) per candidate (cut_explorer)
    bootstrap: object = None  # cut_explorer.CutBootstrap when asked
    quartiles: np.ndarray | None = None  # the marker's quartile breaks (type 7), for the plot


def logrank_scores(time, event) -> np.ndarray:
    """Log-rank (Savage) scores ``a_i = d_i - sum_{t_j <= t_i} d_j / (N - r_j + 1)``.

    ``r_j`` is the largest rank among the times tied with ``t_j`` (R
    ``exactRankTests::cscores(Surv(time, event), type = "LogRank")``).

    Parameters
    ----------
    time, event : array_like
        Follow-up time and 0/1 event indicator.

    Returns
    -------
    ndarray
        One score per subject, in input order.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    n = time.size
    order = np.argsort(time, kind="stable")
    max_rank = np.searchsorted(time[order], time, side="right")  # r_i, 1-based
    fraction = event / (n - max_rank + 1)
    cumulative = np.cumsum(fraction[order])
    return event - cumulative[max_rank - 1]


def _candidate_counts(x_sorted: np.ndarray, minprop: float, maxprop: float) -> np.ndarray:
    """``m`` = #{x <= cut} for each admissible cut, exactly as ``maxstat:::cmaxstat``."""
    n = x_sorted.size
    new_value = np.concatenate(([True], x_sorted[1:] != x_sorted[:-1]))
    m = np.flatnonzero(new_value)  # number of observations below each distinct value
    if minprop == 0 and maxprop == 1:
        return m[1:-1]
    m = m[m >= max(1, math.floor(n * minprop))]
    return m[m <= math.floor(n * maxprop)]


def _standardized(cumulative: np.ndarray, m: np.ndarray, n: int, total: float,
                  total_sq: float) -> np.ndarray:
    expected = m / n * total
    variance = m * (n - m) / (n**2 * (n - 1)) * (n * total_sq - total**2)
    return np.abs((cumulative - expected) / np.sqrt(variance))


def lausen94(statistic: float, n: int, m: np.ndarray) -> float:
    """Lausen & Schumacher (1994) improved Bonferroni p-value (``maxstat:::pLausen94``), uncapped."""
    b = statistic
    d = 0.0
    if m.size > 1:
        m1, m2 = m[:-1].astype(float), m[1:].astype(float)
        t = np.sqrt(1 - m1 * (n - m2) / ((n - m1) * m2))
        d = float(np.sum(1 / np.pi * np.exp(-b**2 / 2) * (t - (b**2 / 4 - 1) * t**3 / 6)))
    return float(1 - (norm_cdf(b) - norm_cdf(-b)) + d)


def _check(time, event, x, column: str, minprop: float, maxprop: float):
    time = np.asarray(time, dtype=float).ravel()
    event = np.asarray(event, dtype=float).ravel()
    x = np.asarray(x, dtype=float).ravel()
    if not (time.size == event.size == x.size):
        raise ValueError("time, event and x must have the same length")
    if not 0 <= minprop < maxprop <= 1:
        raise OptionError(f"minprop ({minprop}) and maxprop ({maxprop}) must satisfy "
                          "0 <= minprop < maxprop <= 1")
    if not np.all(np.isfinite(x)):
        raise ColumnError(f"{column} has missing or non-numeric values; remove those rows "
                          "before searching for a cut point")
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise ColumnError("time must be finite and >= 0 for the cut-point search")
    if not np.all(np.isin(event, (0.0, 1.0))):
        raise ColumnError("event must be coded 0/1 (1 = event) with no missing values")
    if event.sum() == 0:
        raise OptionError(f"no events: an optimal cut point of {column} cannot be searched "
                          "for when every row is censored")
    return time, event, x


def optimal_cutpoint(time, event, x, *, column: str = "x", minprop: float = 0.1,
                     maxprop: float = 0.9, permutations: int = 0,
                     seed: int = 20170101) -> Cutpoint:
    """Find the cut of ``x`` that maximises the standardised log-rank statistic.

    Parameters
    ----------
    time, event : array_like
        Follow-up time and 0/1 event indicator.
    x : array_like
        The continuous variable (no missing values).
    column : str, default "x"
        Name of ``x``, used in messages and the result.
    minprop, maxprop : float, default 0.1 and 0.9
        Candidate cuts ``c`` are the distinct values of ``x`` with
        ``#{x <= c}`` in ``[max(1, floor(minprop N)), floor(maxprop N)]``.
    permutations : int, default 0
        Number of random permutations for a Monte-Carlo p-value of the maximum
        (``(1 + #{M* >= M}) / (B + 1)``); 0 skips it (``p_permutation`` is NaN).
    seed : int, default 20170101
        Seed of ``numpy.random.default_rng`` for the permutations.

    Returns
    -------
    Cutpoint
        ``cutpoint`` (groups ``x <= cutpoint`` and ``x > cutpoint``), ``statistic`` M,
        ``p_corrected`` = Lausen-Schumacher 1994 asymptotic p-value capped at 1, the
        candidate cuts with their standardised statistics, and the group sizes.

    Raises
    ------
    OptionError
        No events, no candidate cut, or invalid ``minprop``/``maxprop``/
        ``permutations``.
    ColumnError
        Missing values in ``x`` or invalid time/event.

    References
    ----------
    Lausen B, Schumacher M. Maximally selected rank statistics. Biometrics 1992;48:73-85.
    Lausen B, Schumacher M. Evaluating the effect of optimized cutoff values in the
    assessment of prognostic factors. Comput Stat Data Anal 1996;21:307-326 (Lau94 bound:
    Lausen B, Sauerbrei W, Schumacher M, 1994).
    Hothorn T, Lausen B. On the exact distribution of maximally selected rank statistics.
    Comput Stat Data Anal 2003;43:121-137 (R package maxstat).
    """
    if permutations < 0:
        raise OptionError(f"permutations must be >= 0 (got {permutations})")
    time, event, x = _check(time, event, x, column, minprop, maxprop)
    n = x.size
    order = np.argsort(x, kind="stable")
    x_sorted = x[order]
    y = logrank_scores(time, event)[order]
    m = _candidate_counts(x_sorted, minprop, maxprop)
    if m.size < 1:
        raise OptionError(
            f"{column} has {m.size} possible cut point(s) with at least {minprop:.0%} and at "
            f"most {maxprop:.0%} of the {n} rows below the cut; an optimal cut needs at least 1 "
            "(too many ties or too few rows)")
    total, total_sq = float(y.sum()), float((y**2).sum())
    statistics = _standardized(np.cumsum(y)[m - 1], m, n, total, total_sq)
    best = int(np.argmax(statistics))
    statistic = float(statistics[best])
    p_permutation = np.nan
    if permutations:
        p_permutation = _permutation_p(y, m, n, total, total_sq, statistic, permutations, seed)
    return Cutpoint(column=column, cutpoint=float(x_sorted[m[best] - 1]), statistic=statistic,
                    p_corrected=min(1.0, lausen94(statistic, n, m)), method=METHOD,
                    candidates=x_sorted[m - 1], statistics=statistics, n_below=int(m[best]),
                    n_above=int(n - m[best]), p_permutation=p_permutation)


def _permutation_p(y, m, n, total, total_sq, statistic, permutations, seed) -> float:
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_ELEMENTS // n)
    exceed = 0
    done = 0
    while done < permutations:
        size = min(chunk, permutations - done)
        shuffled = rng.permuted(np.broadcast_to(y, (size, n)), axis=1)
        maxima = _standardized(np.cumsum(shuffled, axis=1)[:, m - 1], m, n, total,
                               total_sq).max(axis=1)
        exceed += int(np.sum(maxima >= statistic * (1 - 1e-10)))
        done += size
    return (1 + exceed) / (permutations + 1)
