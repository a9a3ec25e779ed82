"""From aggregates to statistics: the same arithmetic as the in-memory engine.

Per (group, time) counts of rows and events give each group's Kaplan–Meier table through the
very function the in-memory engine uses (:func:`~cohort_explorer.stats.km_core.
km_table_from_counts`), and the log-rank test through survdiff's formulas on the at-risk table
at the death times. Per-time Cox sums give Efron's log partial likelihood, score and
information (:class:`AggregateRiskSets`), which R ``coxfit6``'s Newton–Raphson
(:func:`~cohort_explorer.stats.cox.fit.iterate`) drives exactly as in memory.
"""

from __future__ import annotations

import numpy as np

from cohort_explorer.stats.cox.fit import efron_term_sums, efron_terms
from cohort_explorer.stats.km_core import TOLERANCE

__all__ = ["AggregateRiskSets", "logrank_from_counts", "merge_times", "time_runs"]


def time_runs(unique: np.ndarray) -> np.ndarray:
    """Index of each sorted distinct time's run of nearly equal times (R ``aeqSurv``)."""
    if unique.size < 2:
        return np.zeros(unique.size, dtype=np.intp)
    gaps = np.diff(unique)
    tied = (gaps <= TOLERANCE) | (gaps / np.mean(np.abs(unique)) <= TOLERANCE)
    return np.concatenate(([0], np.cumsum(~tied))).astype(np.intp)


def merge_times(time: np.ndarray, *columns: np.ndarray):
    """Sort per-time rows by time and add up the rows of times that R's timefix merges."""
    order = np.argsort(time, kind="stable")
    time = time[order]
    runs = time_runs(time)
    first = np.flatnonzero(np.concatenate(([True], runs[1:] != runs[:-1])))
    merged = [np.add.reduceat(np.asarray(c)[order], first, axis=0) for c in columns]
    return time[first], merged


def logrank_from_counts(rows: np.ndarray, deaths: np.ndarray):
    """survdiff's observed, expected and variance from (time x group) rows and deaths.

    The same formulas as ``stats.logrank._one_stratum`` (at-risk table at the death times by
    reverse cumulative sums), from counts instead of rows.
    """
    deaths_at = deaths.sum(axis=1)
    has_death = deaths_at > 0
    rank = np.cumsum(has_death)
    n_deaths = int(rank[-1])
    k = rows.shape[1]
    at_risk = np.empty((n_deaths, k))
    for code in range(k):
        counts = np.bincount(rank, weights=rows[:, code], minlength=n_deaths + 1)
        at_risk[:, code] = counts[::-1].cumsum()[::-1][1:]
    total_risk = np.bincount(rank, weights=rows.sum(axis=1), minlength=n_deaths + 1)
    total_risk = total_risk[::-1].cumsum()[::-1][1:]
    total_deaths = deaths_at[has_death]
    share = at_risk / total_risk[:, None]
    expected = share.T @ total_deaths
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(total_risk > 1,
                          total_deaths * (total_risk - total_deaths) / (total_risk - 1.0), 0.0)
    variance = np.diag(share.T @ weight) - (share * weight[:, None]).T @ share
    observed = deaths.sum(axis=0).astype(float)
    return observed, expected, variance


def _upper(p: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(p)


def _square(packed: np.ndarray, p: int) -> np.ndarray:
    """(T, p(p+1)/2) upper-triangle sums -> (T, p, p) symmetric."""
    out = np.zeros((packed.shape[0], p, p))
    a, b = _upper(p)
    out[:, a, b] = packed
    out[:, b, a] = packed
    return out


class AggregateRiskSets:
    """Efron's partial likelihood from per-time sums, computed by ``sums(beta)``.

    ``sums(beta)`` returns one row per distinct time: time, rows, then (in this order)
    S0 = sum w, S1 = sum w z, S2 = sum w z z' (upper triangle), the same three over the events,
    the number of events, and the events' sums of eta and z (w = exp(eta), eta = z beta).
    """

    def __init__(self, sums, p: int) -> None:
        self.sums, self.p = sums, p
        self._ties = None  # (deaths per time, tied-event layout): the same at every step

    def _tie_layout(self, dead: np.ndarray):
        """Per event: its time's index and Efron's fraction l/d (l = 0..d-1 among d ties)."""
        if self._ties is None or not np.array_equal(self._ties[0], dead):
            event_times = np.flatnonzero(dead > 0)
            tb, frac = efron_terms(event_times, np.rint(dead[event_times]).astype(int))
            self._ties = (dead.copy(), tb, frac)
        return self._ties[1:]

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        p = self.p
        m = p * (p + 1) // 2
        table = np.asarray(self.sums(beta), dtype=float)
        time, (rest,) = merge_times(table[:, 0], table[:, 2:])
        cut = np.cumsum([1, p, m, 1, p, m, 1, 1])
        s0, s1, s2, d0, d1, d2, dead, eta_sum, z_sum = np.split(rest, cut, axis=1)
        s0, d0, dead, eta_sum = s0[:, 0], d0[:, 0], dead[:, 0], eta_sum[:, 0]
        s2, d2 = _square(s2, p), _square(d2, p)
        r0 = s0[::-1].cumsum()[::-1]
        r1 = s1[::-1].cumsum(axis=0)[::-1]
        r2 = s2[::-1].cumsum(axis=0)[::-1]
        tb, frac = self._tie_layout(dead)
        denom = r0[tb] - frac * d0[tb]
        n = time.size
        with np.errstate(divide="ignore", invalid="ignore"):
            loglik = float(eta_sum.sum() - np.log(denom).sum())
            w1, wf = efron_term_sums(tb, frac, denom, n, 1)
            v0, v1, v2 = efron_term_sums(tb, frac, denom, n, 2)
        score = z_sum.sum(axis=0) - (r1 * w1[:, None] - d1 * wf[:, None]).sum(axis=0)
        info = (np.einsum("t,tab->ab", w1, r2) - np.einsum("t,tab->ab", wf, d2)
                - np.einsum("t,ta,tb->ab", v0, r1, r1)
                + np.einsum("t,ta,tb->ab", v1, r1, d1) + np.einsum("t,ta,tb->ab", v1, d1, r1)
                - np.einsum("t,ta,tb->ab", v2, d1, d1))
        return loglik, score, info
