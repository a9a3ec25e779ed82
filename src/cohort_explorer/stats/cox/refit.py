"""Many Cox fits on the same rows: one sort, Efron's sums per block of tied times.

The spline (spline, linear and covariate-only models), the subgroup forest (one model per
level, the main-effects and the interaction model) and similar analyses refit the same
(time, event) rows with different design columns. :class:`SortedCohort` sorts the rows once
and keeps the structure of tied times; :meth:`SortedCohort.fit` then runs R ``coxfit6``'s
Newton-Raphson (:func:`~cohort_explorer.stats.cox.fit.iterate`, unchanged) on
:class:`BlockRiskSets`, whose log partial likelihood, score and information are Efron's, summed
per block of tied times instead of per event:

- the risk-set sums S0, S1 are block sums and reverse cumulative sums;
- Efron's l-th of d tied deaths has denominator S0 - (l/d) D0 (D = the deaths' sums), so the
  score and the information need only the per-block sums over l of 1/den, (l/d)/den,
  1/den², (l/d)/den² and (l/d)²/den²;
- the risk-set part of the information, the sum over events of S2/den, is one
  ``X' diag(v) X``.

Every one of these sums is a sum over rows, so rows with the same time, event status and
design row can be merged into one row with a count (a weight): a design of a few dummies
(the subgroup forest) on 100,000 rows becomes a few thousand rows. The numbers are those of
:class:`~cohort_explorer.stats.cox.fit.RiskSets` up to summation order (tests compare both
with R). Plain (time, event) data only: no delayed entry, no strata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort_explorer.blas import one_blas_thread
from cohort_explorer.stats.cox.fit import (
    ITER_MAX,
    NewtonFit,
    _scaling,
    efron_term_sums,
    efron_terms,
    iterate,
    newton_raphson,
    timefix,
    weighted_gram,
)
from cohort_explorer.stats.cox.order import time_order

__all__ = ["SortedCohort", "BlockRiskSets", "fit_rows"]

#: Merge equal rows only when that leaves at most this share of the rows.
MERGE_SHARE = 0.5
#: From this many rows fit_rows keeps BLAS on one thread (OpenBLAS threads products of
#: ~100,000 rows; at 1M rows the fit took 0.90 s CPU for 0.52 s wall, on one thread ~0.35 s both).
ONE_THREAD_ROWS = 50_000
#: Rows looked at first to see whether a large design has any rows alike.
_PROBE = 20_000


class SortedCohort:
    """Rows sorted by time once, with their blocks of tied times and Efron's terms.

    Parameters
    ----------
    time, event : array_like
        Follow-up time (R's timefix is applied) and 0/1 event, in any order.
    timefixed : bool, default False
        The times are already R-timefixed (:func:`~cohort_explorer.stats.cox.fit.timefix`).
    """

    def __init__(self, time, event, *, timefixed: bool = False) -> None:
        raw = np.asarray(time, dtype=float)
        order = time_order(raw).order  # np.argsort(raw, kind="stable"), by hashing
        raw_sorted = raw[order]
        # timefixed: the times already went through R's timefix (fixing twice could merge
        # more where the mean of the distinct times moved)
        self._setup(order, raw_sorted, np.asarray(event, dtype=float)[order],
                    fixed=raw_sorted if timefixed else None)

    @classmethod
    def _sorted(cls, order, raw_sorted, event_sorted, weight=None, fixed=None) -> SortedCohort:
        cohort = cls.__new__(cls)
        cohort._setup(order, raw_sorted, event_sorted, weight, fixed)
        return cohort

    def _setup(self, order: np.ndarray | None, raw_sorted: np.ndarray,
               event_sorted: np.ndarray, weight: np.ndarray | None = None,
               fixed: np.ndarray | None = None) -> None:
        self.order = order  # original row of each sorted row (None: rows given sorted)
        self.raw = raw_sorted
        self.time = _timefix_sorted(raw_sorted) if fixed is None else fixed
        self.event = event_sorted
        self.weight = weight  # counts of merged rows, None = all 1
        self.n = raw_sorted.size
        new_block = np.concatenate(([True], self.time[1:] != self.time[:-1]))
        self.starts = np.flatnonzero(new_block)
        self.block = np.cumsum(new_block) - 1
        self.n_blocks = self.starts.size
        self.event_rows = np.flatnonzero(self.event > 0)
        ev_block = self.block[self.event_rows]
        first = np.concatenate(([True], ev_block[1:] != ev_block[:-1]))[:ev_block.size]
        self.event_starts = np.flatnonzero(first)  # runs of event rows, one per event block
        self.event_blocks = ev_block[self.event_starts]
        # each event block's first row, counted from the last row (0 = the last row)
        self.event_from_end = self.n - 1 - self.starts[self.event_blocks]
        if weight is None:
            deaths = np.diff(np.append(self.event_starts, ev_block.size))
        else:
            deaths = np.rint(np.add.reduceat(weight[self.event_rows],
                                             self.event_starts)).astype(int)
        # term_block indexes event_blocks
        self.term_block, self.term_fraction = efron_terms(np.arange(deaths.size), deaths)

    @property
    def events(self) -> int:
        return int(self.term_block.size)

    def subset(self, rows) -> SortedCohort:
        """The cohort restricted to ``rows`` (boolean mask, original order), without a re-sort;
        R's timefix applies to the subset's own times (as a model on those rows alone)."""
        rows = np.asarray(rows, dtype=bool)
        kept = rows[self.order]
        order = (np.cumsum(rows) - 1)[self.order[kept]]
        return SortedCohort._sorted(order, self.raw[kept], self.event[kept])

    def _row_codes(self, x: np.ndarray, alike) -> tuple[np.ndarray, int] | None:
        """A code per row (original order), equal exactly for equal design rows, and the
        number of codes; None when the rows are not worth merging."""
        limit = MERGE_SHARE * self.n
        if alike is not None:
            codes = np.asarray(alike, dtype=np.int64)
            return codes, int(codes.max()) + 1 if codes.size else 0
        # one hashed number per row (a fixed random combination of the columns), checked:
        # rows that share a number but differ are never merged (nothing is merged then)
        mix = np.random.default_rng(20170101).uniform(1.0, 2.0, x.shape[1])
        combined = x @ mix
        if combined.size >= 4 * _PROBE:  # a continuous column: mostly distinct rows already
            probe = combined[::combined.size // _PROBE]  # in every k-th row (cheap to see)
            if pd.unique(probe).size > MERGE_SHARE * probe.size:
                return None
        codes, rows = pd.factorize(combined)
        if rows.size > limit:
            return None
        first = np.flatnonzero(codes > np.concatenate(([-1], np.maximum.accumulate(codes)[:-1])))
        if not np.array_equal(x, x[first][codes]):
            return None
        return codes, rows.size

    def _merge(self, x: np.ndarray, alike) -> tuple[SortedCohort, np.ndarray] | None:
        """Rows of equal block, event and design row as one weighted row: the merged cohort
        and the original row of each of its rows (None: few rows would merge)."""
        found = self._row_codes(x, alike)
        if found is None:
            return None
        codes, size = found
        key = (self.block.astype(np.int64) * 2 + (self.event > 0)) * size + codes[self.order]
        merged, values = pd.factorize(key)  # codes in order of first appearance
        if values.size > MERGE_SHARE * self.n:
            return None
        first = np.flatnonzero(merged > np.concatenate(([-1], np.maximum.accumulate(merged)[:-1])))
        counts = np.bincount(merged).astype(float)
        cohort = SortedCohort._sorted(None, self.raw[first], self.event[first], counts,
                                      self.time[first])
        return cohort, self.order[first]

    def design_rows(self, x, alike=None) -> int:
        """How many rows a fit of the design ``x`` works on (after merging equal rows)."""
        merged = self._merge(np.asarray(x, dtype=float).reshape(self.n, -1), alike)
        return self.n if merged is None else merged[0].n

    def fit(self, x, *, init: np.ndarray | None = None, max_iter: int = ITER_MAX,
            alike=None, merge: bool = True) -> NewtonFit:
        """R ``coxfit6`` on the design ``x`` (n, p), original order; Efron ties.

        ``init`` (original scale) starts the iterations there instead of at 0, as R's
        ``coxph(init = )``: ``loglik_null`` is then the log-likelihood at ``init``. Use it
        where only the maximised log-likelihood is needed (it agrees to ~1e-10; the
        coefficients only to the convergence tolerance), and refit from 0 when the fit does
        not converge (R's path from 0 decides where a runaway coefficient stops).
        ``alike``: a code per row that is equal exactly when the design rows are (e.g. the
        group codes of a dummy design), so that equal rows are found without looking;
        ``merge=False`` skips looking (a continuous column: no two rows alike).
        """
        x = np.asarray(x, dtype=float).reshape(self.n, -1)
        means, scale = _scaling(x)  # R's centring and scaling, on every row
        merged = self._merge(x, alike) if merge else None
        if merged is None:
            risk_sets = BlockRiskSets(self, ((x - means) * scale)[self.order])
        else:
            cohort, rows = merged
            risk_sets = BlockRiskSets(cohort, (x[rows] - means) * scale)
        return iterate(risk_sets, means, scale, max_iter, init=init)

    def null_loglik(self) -> float:
        """Log partial likelihood of the model without covariates (beta = 0)."""
        return BlockRiskSets(self, np.zeros((self.n, 1))).evaluate(np.zeros(1))[0]


def fit_rows(time: np.ndarray, event: np.ndarray, x: np.ndarray, *, entry=None, strata=None,
             max_iter: int = ITER_MAX) -> NewtonFit:
    """:func:`~cohort_explorer.stats.cox.fit.newton_raphson` on R-timefixed times; plain
    (time, event) data go through :class:`SortedCohort`, where rows alike in time, event and
    design are one weighted row (a few dummies and a rounded age: a sixth of 1M rows)."""
    if x.shape[0] >= ONE_THREAD_ROWS:  # products of 5 columns: BLAS threads would only wait
        with one_blas_thread():
            return _fit_rows(time, event, x, entry, strata, max_iter)
    return _fit_rows(time, event, x, entry, strata, max_iter)


def _fit_rows(time, event, x, entry, strata, max_iter: int) -> NewtonFit:
    if entry is None and strata is None:
        return SortedCohort(time, event, timefixed=True).fit(x, max_iter=max_iter)
    return newton_raphson(time, event, x, max_iter=max_iter, entry=entry, strata=strata)


def _timefix_sorted(time: np.ndarray) -> np.ndarray:
    """:func:`~cohort_explorer.stats.cox.fit.timefix` of sorted times (from their runs)."""
    if time.size == 0:
        return time
    run = np.concatenate(([True], time[1:] != time[:-1]))
    unique = time[run]
    fixed = timefix(unique)
    if fixed is unique:
        return time
    return np.repeat(fixed, np.diff(np.append(np.flatnonzero(run), time.size)))


class BlockRiskSets:
    """Efron's log partial likelihood, score and information of one design on a cohort.

    ``x_sorted`` is (rows, p) in the cohort's sorted order; it is kept as (p, rows).
    """

    def __init__(self, cohort: SortedCohort, x_sorted: np.ndarray) -> None:
        self.c = cohort
        self.xt = np.ascontiguousarray(np.asarray(x_sorted, dtype=float).T)
        weight = np.ones(cohort.n) if cohort.weight is None else cohort.weight
        self.weight = weight
        self.event_weight = weight[cohort.event_rows]
        self.event_x_sum = (self.xt[:, cohort.event_rows] * self.event_weight).sum(axis=1)

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        c, xt = self.c, self.xt
        eta = xt.T @ beta  # (beta @ xt stalls in multi-threaded BLAS under load)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            risk = self.weight * np.exp(eta)
            rows = np.empty((xt.shape[0] + 1, c.n))  # risk and risk * x
            rows[0] = risk
            np.multiply(xt, risk, out=rows[1:])
            # at-risk sums of each event block: one running sum from the last row back, as R's
            # coxfit6 adds them up (no per-block sums: a million singleton blocks cost 20 ms
            # per reduceat)
            s = np.cumsum(rows[:, ::-1], axis=1)[:, c.event_from_end]
            dead = rows[:, c.event_rows]  # the deaths' sums: runs of event rows per block
            d = dead if c.event_starts.size == c.event_rows.size else np.add.reduceat(
                dead, c.event_starts, axis=1)
            s0, s1, d0, d1 = s[0], s[1:], d[0], d[1:]
            k, frac = c.term_block, c.term_fraction
            m = c.event_starts.size
            denom = s0[k] - frac * d0[k]
            a, b = efron_term_sums(k, frac, denom, m, 1)
            cc, dd, ee = efron_term_sums(k, frac, denom, m, 2)
            loglik = float((eta[c.event_rows] * self.event_weight).sum() - np.log(denom).sum())
            score = self.event_x_sum - s1 @ a + d1 @ b
            # sum over events of S2/den (minus the deaths' (l/d) D2/den) as X' diag(v) X
            w1 = np.zeros(c.n_blocks)
            w1[c.event_blocks] = a
            w2 = np.zeros(c.n_blocks)
            w2[c.event_blocks] = b
            row_weight = np.cumsum(w1)[c.block]
            row_weight[c.event_rows] -= w2[c.block[c.event_rows]]
            part1 = weighted_gram(xt, risk * row_weight)
            cross = (s1 * dd) @ d1.T
            part2 = (s1 * cc) @ s1.T - cross - cross.T + (d1 * ee) @ d1.T
        return loglik, score, part1 - part2
