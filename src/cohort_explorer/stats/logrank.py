"""The log-rank family: global, stratified, trend and pairwise tests (R ``survdiff``).

Global, stratified, trend and pairwise tests as R ``survdiff`` / survminer
``pairwise_survdiff``. ``observed_expected`` is R ``survdiff.fit`` (rho = 0) vectorised: one
``np.unique`` and two ``bincount`` calls per stratum build the at-risk and event counts per
(time, group); the hypergeometric variance is a k x k matrix product. ``adjust_p`` is R
``p.adjust``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cohort_explorer._result import Result
from cohort_explorer.errors import OptionError
from cohort_explorer.stats.distributions import chi2_sf
from cohort_explorer.stats.km_core import check_group, check_time_event, distinct_times, read_only

__all__ = [
    "LogRank",
    "PairwiseLogRank",
    "adjust_p",
    "chi_square",
    "logrank_test",
    "logrank_trend",
    "observed_expected",
    "pairwise_logrank",
    "trend_chi_square",
]

ADJUST_METHODS = ("holm", "BH")


@dataclass(frozen=True, eq=False)
class LogRank(Result):
    """A log-rank test; ``observed``/``expected``/``variance`` follow the ``levels`` order."""

    statistic: float
    df: int
    p: float
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray


@dataclass(frozen=True)
class PairwiseLogRank(Result):
    """One pair's log-rank test (1 df) with its multiplicity-adjusted p."""

    group1: str
    group2: str
    statistic: float
    p: float
    p_adjusted: float


# ---------------------------------------------------------------------------- arithmetic
def _one_stratum(inverse: np.ndarray, codes: np.ndarray, event: np.ndarray, k: int):
    """Observed, expected and variance for one stratum (``inverse`` indexes its times).

    Only times with a death matter. A row whose time index is i is at risk at every death
    time with index <= i, i.e. at the first ``rank[i]`` death times; counting rows per
    (rank, group) and summing from the top gives the at-risk table at the death times.
    """
    deaths_at = np.bincount(inverse, weights=event)
    has_death = deaths_at > 0
    rank = np.cumsum(has_death)
    n_deaths = int(rank[-1])
    row_rank = rank[inverse]
    total_deaths = deaths_at[has_death]
    at_risk = np.empty((n_deaths, k))
    for code in range(k):
        counts = np.bincount(row_rank[codes == code], minlength=n_deaths + 1)
        at_risk[:, code] = counts[::-1].cumsum()[::-1][1:]
    total_risk = np.bincount(row_rank, minlength=n_deaths + 1)[::-1].cumsum()[::-1][1:]
    share = at_risk / total_risk[:, None]
    expected = share.T @ total_deaths
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(
            total_risk > 1,
            total_deaths * (total_risk - total_deaths) / (total_risk - 1.0),
            0.0,
        )
    variance = np.diag(share.T @ weight) - (share * weight[:, None]).T @ share
    observed = np.bincount(codes, weights=event, minlength=k)
    return observed, expected, variance


def observed_expected(
    time: np.ndarray,
    event: np.ndarray,
    codes: np.ndarray,
    k: int,
    strata: np.ndarray | None = None,
):
    """R ``survdiff(rho = 0)``: per-group observed and expected events and the k x k variance.

    With ``strata`` (integer codes) the three are summed over strata, as
    ``survdiff(Surv ~ group + strata(S))`` reports them (``rowSums`` of obs/exp).
    """
    _, inverse = distinct_times(time)
    event = event.astype(float)
    if strata is None:
        return _one_stratum(inverse, codes, event, k)
    observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for stratum in np.unique(strata):
        rows = strata == stratum
        _, local = np.unique(inverse[rows], return_inverse=True)
        o, e, v = _one_stratum(local.ravel(), codes[rows], event[rows], k)
        observed += o
        expected += e
        variance += v
    return observed, expected, variance


def chi_square(observed: np.ndarray, expected: np.ndarray, variance: np.ndarray):
    """survdiff's statistic: groups with expected > 0, first one dropped, ``solve(V, O - E)``.

    Returns ``(statistic, df, p)``. R's degenerate cases, made explicit:
    no events at all -> (NaN, 0, NaN) (R: chisq 0 on -1 df, p NA);
    one group with expected > 0 -> (0.0, 0, 1.0) as R;
    singular variance -> (NaN, df, NaN) (R stops with an error).
    """
    present = np.flatnonzero(expected > 0)
    if present.size == 0:
        return float("nan"), 0, float("nan")
    df = int(present.size - 1)
    if df == 0:
        return 0.0, 0, 1.0
    keep = present[1:]
    difference = (observed - expected)[keep]
    sub_variance = variance[np.ix_(keep, keep)]
    if np.any(np.diag(sub_variance) <= 0):
        return float("nan"), df, float("nan")
    try:
        statistic = float(difference @ np.linalg.solve(sub_variance, difference))
    except np.linalg.LinAlgError:
        return float("nan"), df, float("nan")
    return statistic, df, float(chi2_sf(statistic, df))


def trend_chi_square(observed: np.ndarray, expected: np.ndarray, variance: np.ndarray):
    """(sum w (O - E))^2 / (w' V w) with w = 1..k; returns ``(statistic, p)`` on 1 df.

    NaN when there are no events or the weighted variance is 0.
    """
    weights = np.arange(1, observed.size + 1, dtype=float)
    score = float(weights @ (observed - expected))
    information = float(weights @ variance @ weights)
    if not np.any(expected > 0) or information <= 0:
        return float("nan"), float("nan")
    statistic = score * score / information
    return statistic, float(chi2_sf(statistic, 1))


def adjust_p(p: np.ndarray, method: str) -> np.ndarray:
    """R ``p.adjust`` for "holm" and "BH"; NaN entries stay NaN and are not counted."""
    p = np.asarray(p, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    n = valid.size
    if n == 0:
        return adjusted
    values = p[valid]
    if method == "holm":
        order = np.argsort(values, kind="stable")
        scaled = (n - np.arange(n)) * values[order]
        result = np.minimum(1.0, np.maximum.accumulate(scaled))
    else:  # "BH"
        order = np.argsort(-values, kind="stable")
        scaled = n / np.arange(n, 0, -1) * values[order]
        result = np.minimum(1.0, np.minimum.accumulate(scaled))
    out = np.empty(n)
    out[order] = result
    adjusted[valid] = out
    return adjusted


# ---------------------------------------------------------------------------- tests
def _prepare(time, event, group, levels, strata):
    time, event = check_time_event(time, event)
    codes, levels = check_group(group, time.size, "group", levels)
    counts = np.bincount(codes, minlength=len(levels))
    if np.count_nonzero(counts) < 2:
        raise OptionError("need at least two groups with patients to compare survival")
    strata_codes = None if strata is None else check_group(strata, time.size, "strata")[0]
    return time, event, codes, levels, counts, strata_codes


def logrank_test(
    time: Any,
    event: Any,
    group: Any,
    *,
    levels: Sequence[Any] | None = None,
    strata: Any = None,
) -> LogRank:
    """Log-rank test of equal survival across groups, as R ``survdiff(rho = 0)``.

    The statistic is (O - E)' V^- (O - E) over groups with expected > 0, on (that number
    - 1) degrees of freedom; p from ``chi2.sf``. With ``strata`` the observed, expected and
    variance are summed over strata (``survdiff(Surv ~ group + strata(S))``).

    Parameters
    ----------
    time, event : array-like
        See :func:`kaplan_meier`.
    group : array-like
        Group label per patient (no missing values).
    levels : sequence, optional
        Group order of ``observed``/``expected``/``variance`` (default: sorted unique
        labels). Every label must be listed; levels without patients get zeros.
    strata : array-like, optional
        Stratum label per patient for a stratified test.

    Returns
    -------
    LogRank
        See the module docstring for no events, zero expected and a single group.

    References
    ----------
    Mantel N (1966). Evaluation of survival data and two new rank order statistics arising
    in its consideration. Cancer Chemother Rep 50:163-170. Peto R, Peto J (1972).
    Asymptotically efficient rank invariant test procedures. JRSS A 135:185-207.
    """
    time, event, codes, levels, _, strata_codes = _prepare(time, event, group, levels, strata)
    observed, expected, variance = observed_expected(time, event, codes, len(levels), strata_codes)
    statistic, df, p = chi_square(observed, expected, variance)
    return LogRank(statistic, df, p, read_only(observed), read_only(expected), read_only(variance))


def logrank_trend(
    time: Any,
    event: Any,
    group: Any,
    *,
    levels: Sequence[Any] | None = None,
    strata: Any = None,
) -> LogRank:
    """Log-rank test for trend across ordered groups, 1 df.

    (sum_g w_g (O_g - E_g))^2 / (w' V w) with scores w = 1..k in ``levels`` order (levels
    without patients get no score), O, E, V from :func:`logrank_test` (stratified if
    ``strata``). With no tied event times this equals the score test of a Breslow Cox model
    on the scores (checked against R ``coxph``). survminer's ``surv_pvalue(test.for.trend =
    TRUE)`` (survMisc) gives different numbers and is not used as the reference.

    Parameters
    ----------
    time, event, group, levels, strata
        As :func:`logrank_test`; ``levels`` sets the order of the scores.

    Returns
    -------
    LogRank
        ``df`` is 1; NaN statistic and p when there are no events.

    References
    ----------
    Collett D (2015). Modelling Survival Data in Medical Research, 3rd ed., section 2.7.
    """
    time, event, codes, levels, counts, strata_codes = _prepare(time, event, group, levels, strata)
    observed, expected, variance = observed_expected(time, event, codes, len(levels), strata_codes)
    present = np.flatnonzero(counts > 0)
    statistic, p = trend_chi_square(
        observed[present], expected[present], variance[np.ix_(present, present)]
    )
    return LogRank(statistic, 1, p, read_only(observed), read_only(expected), read_only(variance))


def pairwise_logrank(
    time: Any,
    event: Any,
    group: Any,
    *,
    levels: Sequence[Any] | None = None,
    method: str = "holm",
) -> tuple[PairwiseLogRank, ...]:
    """Log-rank test for every pair of groups with adjusted p, as survminer ``pairwise_survdiff``.

    Each pair is one ``survdiff`` on that pair's rows, p on 1 df (a pair without information
    gives statistic 0 and p 1, as survminer), adjusted over all k(k - 1)/2 pairs by R
    ``p.adjust`` ("holm" or "BH"). Pairs come in ``levels`` order: (1, 2), (1, 3), ...,
    (2, 3), ...; ``group1`` is the earlier level. Levels without patients are skipped.

    Parameters
    ----------
    time, event, group, levels
        As :func:`logrank_test`.
    method : {"holm", "BH"}, default "holm"

    Returns
    -------
    tuple of PairwiseLogRank

    References
    ----------
    Holm S (1979). A simple sequentially rejective multiple test procedure. Scand J Stat
    6:65-70. Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. JRSS B
    57:289-300.
    """
    if method not in ADJUST_METHODS:
        raise OptionError(f"method must be one of {', '.join(ADJUST_METHODS)}; got {method!r}")
    time, event, codes, levels, counts, _ = _prepare(time, event, group, levels, None)
    present = np.flatnonzero(counts > 0)
    pairs, statistics = [], []
    for position, first in enumerate(present):
        for second in present[position + 1 :]:
            rows = (codes == first) | (codes == second)
            pair_codes = (codes[rows] == second).astype(np.intp)
            observed, expected, variance = observed_expected(time[rows], event[rows], pair_codes, 2)
            # no events in the pair: survdiff's chisq is 0 (and survminer's p 1)
            statistic = chi_square(observed, expected, variance)[0] if expected.any() else 0.0
            pairs.append((first, second))
            statistics.append(statistic)
    statistics = np.asarray(statistics, dtype=float)
    p = chi2_sf(statistics, 1)
    adjusted = adjust_p(p, method)
    return tuple(
        PairwiseLogRank(str(levels[a]), str(levels[b]), float(s), float(pv), float(pa))
        for (a, b), s, pv, pa in zip(pairs, statistics, p, adjusted, strict=True)
    )
