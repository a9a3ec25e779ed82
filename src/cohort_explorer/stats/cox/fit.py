"""Vectorised Efron partial likelihood and R ``coxph.fit``'s Newton-Raphson, for ``cox.py``.

The data are sorted by time once; every iteration then needs one ``exp``, a few
``np.add.reduceat`` over the blocks of tied times, reverse cumulative sums over those blocks
and one weighted ``X'WX`` product. The iteration itself copies R survival 3.5.3
``coxfit6.c`` step by step (centring and scaling, step halving, the relative log-likelihood
convergence test with ``eps = 1e-9``, at most 20 iterations, Cholesky with
``toler.chol = eps^0.75``) so that the coefficient R stops at is the one returned here, even
when a coefficient runs off to infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort_explorer.stats.cox.order import distinct_sorted, rank_codes, time_order
from cohort_explorer.stats.cox.strata import StratifiedRiskSets
from cohort_explorer.stats.ranks import reused

__all__ = ["RiskSets", "efron_terms", "efron_term_sums", "weighted_gram", "two_values", "NewtonFit", "newton_raphson", "iterate", "timefix", "concordance_counts",
           "cholesky2", "chsolve2", "chinv2"]

EPS = 1e-9  # coxph.control()$eps
TOLER_CHOL = np.finfo(float).eps ** 0.75  # coxph.control()$toler.chol
TOLER_INF = np.sqrt(EPS)  # coxph.control()$toler.inf
ITER_MAX = 20  # coxph.control()$iter.max


def efron_terms(blocks: np.ndarray, deaths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Efron's terms of tied deaths: for ``deaths[i]`` deaths in block ``blocks[i]``, one term
    per death with its block and its fraction ``l/d`` (the l-th of d tied deaths, l = 0..d-1,
    removes l/d of the deaths' risk from the denominator)."""
    counts = np.asarray(deaths, dtype=np.intp)
    term_block = np.repeat(blocks, counts)
    within = np.arange(term_block.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return term_block, within / np.repeat(counts, counts).astype(float)


def efron_term_sums(term_block: np.ndarray, fraction: np.ndarray, denom: np.ndarray,
                    n_blocks: int, power: int, weight=None) -> tuple[np.ndarray, ...]:
    """Per block ``sum_l w_l f_l^k / D_l^power`` for k = 0 .. power over Efron's terms ``l``
    (``D_l`` the term's denominator, ``f_l`` its fraction, ``w_l`` an optional weight): all the
    score and the information need per block, whatever form the risk-set sums come in."""
    base = 1.0 / denom if power == 1 else 1.0 / (denom * denom)
    if weight is not None:
        base = weight * base
    rows = np.empty((power + 1, base.size))
    rows[0] = base
    for k in range(power):
        np.multiply(rows[k], fraction, out=rows[k + 1])
    steps = np.diff(term_block)
    if base.size and not np.any(steps < 0):  # terms block by block, as efron_terms gives them
        # one reduceat over runs of terms: ~8x faster than a weighted bincount per power
        starts = np.concatenate(([0], np.flatnonzero(steps) + 1))
        sums = np.zeros((power + 1, n_blocks))
        sums[:, term_block[starts]] = rows if starts.size == base.size else np.add.reduceat(
            rows, starts, axis=1)  # (one death per block: the terms are the sums)
        return tuple(sums)
    return tuple(np.bincount(term_block, weights=r, minlength=n_blocks) for r in rows)


_GRAM_CHUNK = 32768  # columns per product: (p, chunk) stays in the core's cache


def weighted_gram(xt: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``X' diag(weight) X`` for ``xt`` = X' of shape (p, n), in chunks of columns: no (p, n)
    temporary and a cache-sized BLAS product each (4-6x faster at a million rows than
    ``(xt * weight) @ xt.T``; the same sums in another grouping)."""
    p, n = xt.shape
    out = np.zeros((p, p))
    buffer = np.empty((p, min(n, _GRAM_CHUNK)))
    for lo in range(0, n, _GRAM_CHUNK):
        part = xt[:, lo:lo + _GRAM_CHUNK]
        scaled = buffer[:, :part.shape[1]]
        np.multiply(part, weight[lo:lo + _GRAM_CHUNK], out=scaled)
        out += scaled @ part.T
    return out


def timefix(time: np.ndarray) -> np.ndarray:
    """Merge times that differ only by rounding error, as R ``aeqSurv`` (``coxph`` timefix)."""
    unique = distinct_sorted(time[np.isfinite(time)])
    if unique.size < 2:
        return time
    tolerance = np.sqrt(np.finfo(float).eps)
    gaps = np.diff(unique)
    tied = (gaps <= tolerance) | (gaps / np.mean(np.abs(unique)) <= tolerance)
    if not tied.any():
        return time
    cuts = unique[np.concatenate(([True], ~tied))]
    return cuts[np.searchsorted(cuts, time, side="right") - 1]


def two_values(column: np.ndarray) -> np.ndarray | None:
    """``np.unique(column)`` when the column holds exactly two values, else None; O(n)."""
    first = column[0]
    other = column != first
    if not other.any():
        return None
    second = column[int(np.argmax(other))]
    if np.any(other & (column != second)):
        return None
    return np.array(sorted((first, second)), dtype=column.dtype)


def _blocks(time: np.ndarray, event: np.ndarray, entry: np.ndarray | None) -> tuple:
    """:class:`RiskSets`' order, sorted times and events, blocks of tied times and Efron terms
    (everything but the covariates)."""
    order = time_order(time).order  # np.argsort(time, kind="stable"), faster
    sorted_time = time[order]
    sorted_event = event[order].astype(float)
    new_block = np.concatenate(([True], sorted_time[1:] != sorted_time[:-1]))
    starts = np.flatnonzero(new_block)
    block = np.cumsum(new_block) - 1  # block index of each sorted row
    deaths = np.add.reduceat(sorted_event, starts)
    event_blocks = np.flatnonzero(deaths > 0)
    term_block, term_fraction = efron_terms(event_blocks, deaths[event_blocks].astype(int))
    # delayed entry: the first block a row is at risk in (blocks with time <= entry before)
    entry_block = None if entry is None else np.searchsorted(
        sorted_time[starts], entry[order], side="right")
    return (order, sorted_time, sorted_event, starts, block, starts.size, term_block,
            term_fraction, sorted_event > 0, entry_block)


class RiskSets:
    """Time-sorted data with the block structure of tied times and Efron's terms.

    Parameters
    ----------
    time, event : ndarray
        Follow-up time and 0/1 event indicator, any order.
    x : ndarray, shape (n, p)
        Covariates (already centred/scaled if wanted).
    entry : ndarray, optional
        Delayed entry (counting-process data, R ``Surv(entry, time, event)``): a row is at
        risk at the event times t with entry < t <= time. None keeps the plain risk sets.
    """

    def __init__(self, time: np.ndarray, event: np.ndarray, x: np.ndarray,
                 entry: np.ndarray | None = None) -> None:
        # the same times and events give the same blocks (a Cox fit and its PH test): once
        # inside ranks.reused_sorts
        (self.order, self.time, self.event, self.starts, self.block, self.n_blocks,
         self.term_block, self.term_fraction, self.is_event, self.entry_block) = reused(
            "risk-set blocks", (time, event, entry), lambda: _blocks(time, event, entry))
        self.n = self.time.size
        self.x = np.ascontiguousarray(x[self.order], dtype=float)
        self.xt = np.ascontiguousarray(self.x.T)  # (p, n): per-block sums over long rows
        self.x_event_sum = self.x[self.is_event].sum(axis=0)

    def _reverse_cumsum(self, values: np.ndarray) -> np.ndarray:
        block_sums = np.add.reduceat(values, self.starts, axis=0)
        out = np.cumsum(block_sums[::-1], axis=0)[::-1]
        if self.entry_block is not None:  # minus the rows that have not entered yet
            columns = values.reshape(values.shape[0], -1)
            late = np.column_stack([np.bincount(self.entry_block, weights=c,
                                                minlength=self.n_blocks + 1)
                                    for c in columns.T])
            not_yet = np.cumsum(late[::-1], axis=0)[::-1][1:]
            out = out - not_yet.reshape(out.shape)
        return out

    def terms(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Risk ``exp(eta)`` per row and, per Efron term, the denominator and weighted x sum."""
        risk = np.exp(eta)
        risk_x = risk[:, None] * self.x
        s0 = self._reverse_cumsum(risk)
        s1 = self._reverse_cumsum(risk_x)
        dead_risk = risk * self.event
        d0 = np.add.reduceat(dead_risk, self.starts)
        d1 = np.add.reduceat(dead_risk[:, None] * self.x, self.starts, axis=0)
        tb, frac = self.term_block, self.term_fraction
        denom = s0[tb] - frac * d0[tb]
        xsum = s1[tb] - frac[:, None] * d1[tb]
        return risk, denom, xsum

    def information(self, risk: np.ndarray, denom: np.ndarray, xsum: np.ndarray,
                    term_weight: np.ndarray | None = None) -> np.ndarray:
        """``sum_t w_t (C_t/denom_t - a_t a_t' / denom_t^2)`` over Efron terms ``t``.

        ``C_t`` (the weighted sum of ``x x'`` over the risk set) is never formed: its sum
        over terms is one ``X' diag(v) X`` with per-row weights ``v`` built from cumulative
        sums of ``w_t / denom_t`` over the blocks each row is at risk in.
        """
        w = np.ones_like(denom) if term_weight is None else term_weight
        w1 = np.bincount(self.term_block, weights=w / denom, minlength=self.n_blocks)
        w2 = np.bincount(self.term_block, weights=w * self.term_fraction / denom,
                         minlength=self.n_blocks)
        at_risk_weight = np.cumsum(w1)
        accumulated = at_risk_weight[self.block]
        if self.entry_block is not None:  # only the blocks after entry
            before = np.concatenate(([0.0], at_risk_weight))[self.entry_block]
            accumulated = accumulated - before
        row_weight = risk * (accumulated - self.event * w2[self.block])
        part1 = weighted_gram(self.xt, row_weight)
        return part1 - (xsum * (w / denom**2)[:, None]).T @ xsum

    def _at_risk_sums(self, rows: np.ndarray) -> np.ndarray:
        """Per block, the sums of ``rows`` (k, n) over the rows at risk: shape (k, n_blocks)."""
        block_sums = np.add.reduceat(rows, self.starts, axis=1)
        out = np.cumsum(block_sums[:, ::-1], axis=1)[:, ::-1]
        if self.entry_block is not None:  # minus the rows that have not entered yet
            late = np.stack([np.bincount(self.entry_block, weights=r, minlength=self.n_blocks + 1)
                             for r in rows])
            out = out - np.cumsum(late[:, ::-1], axis=1)[:, ::-1][:, 1:]
        return out

    def block_sums(self, eta: np.ndarray) -> EfronBlocks:
        """Risk ``exp(eta)`` per row; per block the at-risk and deaths' sums of risk and
        risk * x; per Efron term the denominator (see :meth:`evaluate`)."""
        risk = np.exp(eta)
        rows = np.empty((self.xt.shape[0] + 1, self.n))
        rows[0] = risk
        np.multiply(self.xt, risk, out=rows[1:])
        s = self._at_risk_sums(rows)
        d = np.add.reduceat(rows * self.event, self.starts, axis=1)  # the deaths' sums
        tb, frac = self.term_block, self.term_fraction
        return EfronBlocks(risk, s[0], s[1:], d[0], d[1:], s[0][tb] - frac * d[0][tb])

    def _term_sums(self, denom: np.ndarray, weight, power: int) -> tuple[np.ndarray, ...]:
        """Per block ``sum_l w_l f_l^k / D_l^power`` for k = 0 .. power."""
        return efron_term_sums(self.term_block, self.term_fraction, denom, self.n_blocks,
                               power, weight)

    def block_score(self, blocks: EfronBlocks, weight=None) -> np.ndarray:
        """``sum_l w_l a_l / D_l`` over Efron terms (``a_l = s1 - f_l d1``), per block
        (shape (p, n_blocks)); sum it over axis 1 for the score's subtracted part."""
        w1, w2 = self._term_sums(blocks.denom, weight, 1)
        return blocks.s1 * w1 - blocks.d1 * w2

    def block_information(self, blocks: EfronBlocks, weight=None) -> np.ndarray:
        """:meth:`information` from the block sums (optional weight per Efron term)."""
        w1, w2 = self._term_sums(blocks.denom, weight, 1)
        accumulated = np.cumsum(w1)[self.block]
        if self.entry_block is not None:  # only the blocks after entry
            accumulated = accumulated - np.concatenate(([0.0], np.cumsum(w1)))[self.entry_block]
        row_weight = blocks.risk * (accumulated - self.event * w2[self.block])
        part1 = weighted_gram(self.xt, row_weight)
        e0, e1, e2 = self._term_sums(blocks.denom, weight, 2)
        s1, d1 = blocks.s1, blocks.d1
        cross = (s1 * e1) @ d1.T
        return part1 - ((s1 * e0) @ s1.T - cross - cross.T + (d1 * e2) @ d1.T)

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Efron log partial likelihood, score and information at ``beta``.

        The same sums as :meth:`terms` and :meth:`information`, gathered per block of tied
        times instead of per Efron term: with ``D_l = s0 - f_l d0`` (``f_l = l/d`` for the
        l-th of d tied deaths), ``sum_l a_l / D_l`` for ``a_l = s1 - f_l d1`` is
        ``s1 sum_l 1/D_l - d1 sum_l f_l/D_l``, and likewise the ``a_l a_l' / D_l^2`` part of
        the information needs only ``sum_l f_l^k / D_l^2`` (k = 0, 1, 2) per block. Only
        scalars are formed per term, (p, blocks) arrays per block.
        """
        eta = self.x @ beta
        blocks = self.block_sums(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            loglik = float(eta[self.is_event].sum() - np.log(blocks.denom).sum())
            score = self.x_event_sum - self.block_score(blocks).sum(axis=1)
            info = self.block_information(blocks)
        return loglik, score, info


@dataclass(frozen=True)
class EfronBlocks:
    """:meth:`RiskSets.block_sums`: per row ``risk``; per block of tied times the at-risk sums
    ``s0`` (n_blocks,), ``s1`` (p, n_blocks) and the deaths' ``d0``, ``d1``; per Efron term
    the denominator ``denom``."""

    risk: np.ndarray
    s0: np.ndarray
    s1: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    denom: np.ndarray


# --------------------------------------------------------------------------- R's linear algebra
def cholesky2(matrix: np.ndarray, toler: float) -> tuple[np.ndarray, int]:
    """R survival ``cholesky2``: LDL' with singular pivots set to zero; returns (factor, rank)."""
    m = np.array(matrix, dtype=float)
    n = m.shape[0]
    diag = np.diag(m)
    pos = diag[np.isfinite(diag)]
    eps = float(pos.max()) if pos.size and pos.max() > 0 else 0.0
    eps = toler if eps == 0 else eps * toler
    m = np.triu(m) + np.triu(m, 1).T  # lower triangle from the upper one
    rank, nonneg = 0, 1
    for i in range(n):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            if pivot < -8 * eps:
                nonneg = -1
            continue
        rank += 1
        for j in range(i + 1, n):
            temp = m[j, i] / pivot
            m[j, i] = temp
            m[j, j] -= temp * temp * pivot
            m[j + 1:, j] -= temp * m[j + 1:, i]
    return m, rank * nonneg


def chsolve2(factor: np.ndarray, y: np.ndarray) -> np.ndarray:
    """R survival ``chsolve2``: solve with a ``cholesky2`` factor (singular rows give 0)."""
    n = factor.shape[0]
    b = np.array(y, dtype=float)
    for i in range(n):
        b[i] -= b[:i] @ factor[i, :i]
    for i in range(n - 1, -1, -1):
        if factor[i, i] == 0:
            b[i] = 0.0
        else:
            b[i] = b[i] / factor[i, i] - b[i + 1:] @ factor[i + 1:, i]
    return b


def chinv2(factor: np.ndarray) -> np.ndarray:
    """R survival ``chinv2``: inverse from a ``cholesky2`` factor; singular rows/cols are 0."""
    m = np.array(factor, dtype=float)
    n = m.shape[0]
    for i in range(n):
        if m[i, i] > 0:
            m[i, i] = 1 / m[i, i]
            for j in range(i + 1, n):
                m[j, i] = -m[j, i]
                m[j, :i] += m[j, i] * m[i, :i]
    for i in range(n):
        if m[i, i] == 0:
            m[:i, i] = 0.0
            m[i, i:] = 0.0
        else:
            for j in range(i + 1, n):
                temp = m[j, i] * m[j, j]
                m[i, j] = temp
                m[i, i:j] += temp * m[j, i:j]
    upper = np.triu(m)
    return upper + np.triu(upper, 1).T


# --------------------------------------------------------------------------- Newton-Raphson
@dataclass
class NewtonFit:
    """Raw result of :func:`newton_raphson`, on the original covariate scale."""

    coef: np.ndarray
    var: np.ndarray
    score: np.ndarray
    loglik_null: float
    loglik: float
    iterations: int
    rank: int
    converged: bool
    means: np.ndarray


def _scaling(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and scale factors as coxfit6 (0/1/-1 columns are left alone: nocenter)."""
    n, p = x.shape
    means = np.zeros(p)
    scale = np.ones(p)
    for j in range(p):
        column = x[:, j]
        if np.all(np.isin(column, (-1.0, 0.0, 1.0))):
            continue
        means[j] = column.mean()
        spread = np.abs(column - means[j]).sum()
        scale[j] = n / spread if spread > 0 else 1.0
    return means, scale


def newton_raphson(time: np.ndarray, event: np.ndarray, x: np.ndarray,
                   max_iter: int = ITER_MAX, entry: np.ndarray | None = None,
                   strata: np.ndarray | None = None) -> NewtonFit:
    """Fit the Efron Cox model exactly as R ``coxfit6`` iterates (see module docstring).

    With ``entry`` the risk sets are those of counting-process data (R ``agfit4``);
    ``strata``: one label per row for a stratified model (R ``strata(S)``), see ``strata.py``.
    """
    means, scale = _scaling(x)
    scaled = (x - means) * scale
    risk_sets = (RiskSets(time, event, scaled, entry) if strata is None
                 else StratifiedRiskSets(RiskSets, time, event, scaled, strata, entry))
    return iterate(risk_sets, means, scale, max_iter)


def iterate(risk_sets, means: np.ndarray, scale: np.ndarray, max_iter: int = ITER_MAX,
            init: np.ndarray | None = None) -> NewtonFit:
    """R ``coxfit6``'s Newton-Raphson on anything with ``evaluate(beta) -> (loglik, score,
    information)`` of the centred and scaled covariates (in memory, or SQL aggregates).
    ``init``: starting coefficients (R ``coxph(init=)``; ``loglik_null`` is then at ``init``)."""
    p = means.size
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float) / scale
    loglik_null, score, info = risk_sets.evaluate(beta)
    factor, rank = cholesky2(info, TOLER_CHOL)
    new_beta = beta + chsolve2(factor, score)
    best = loglik_null
    halving = 0
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        new_loglik, score, info = risk_sets.evaluate(new_beta)
        factor, rank = cholesky2(info, TOLER_CHOL)
        finite = np.isfinite(new_loglik) and np.all(np.isfinite(score)) and np.all(
            np.isfinite(info))
        # R: fabs(1 - loglik/newlk) <= eps is false when newlk is 0 (0/0, x/0: no convergence)
        if finite and new_loglik != 0 and abs(1 - best / new_loglik) <= EPS:
            best, beta, converged = new_loglik, new_beta, True
            break
        if not finite or new_loglik < best:
            halving += 1
            new_beta = (new_beta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = new_loglik
            step = chsolve2(factor, score)
            beta, new_beta = new_beta, new_beta + step
    if not converged:
        # R recomputes at the last accepted beta (but skips the Cholesky; we do not).
        best, score, info = risk_sets.evaluate(beta)
        factor, rank = cholesky2(info, TOLER_CHOL)
    var = chinv2(factor) * np.outer(scale, scale)
    return NewtonFit(coef=beta * scale, var=var, score=score / scale, loglik_null=loglik_null,
                     loglik=best, iterations=iterations, rank=rank, converged=converged,
                     means=means)


# --------------------------------------------------------------------------- concordance
def concordance_counts(time: np.ndarray, event: np.ndarray, lp: np.ndarray) -> tuple[int, int, int]:
    """Concordant, discordant and predictor-tied comparable pairs as R ``coxph`` counts them.

    A pair is comparable when the shorter time is an event; a subject censored at an
    event's time counts as still at risk; pairs of events at the same time are not
    comparable (``tied.y``). Concordant: the event has the larger linear predictor.

    Sorted by time (descending, censored first), the comparable partners of an event are a
    prefix of the rows. Each prefix is split into aligned blocks of 2^k rows (as in a Fenwick
    tree); per level k one sort of (block, rank) keys and one ``searchsorted`` of all events
    with bit k in their prefix length count the partners with a smaller or equal predictor.
    The sorted keys of level k are those of level k - 1 with pairs of blocks merged (a stable
    sort of two sorted runs per block: linear), so the keys cost O(n log n) in all; vectorised.
    """
    n = time.size
    rank, _ = rank_codes(lp)  # np.unique(lp, return_inverse=True), by hashing
    n_ranks = np.int64(rank.max() + 1)
    ascending, distinct_times = rank_codes(time)
    time_rank = distinct_times.size - 1 - ascending  # the rank of -time
    # one int64 key: time descending, censored first, then by rank (faster than lexsort)
    order = np.argsort((time_rank.astype(np.int64).ravel() * 2 + (event > 0)) * n_ranks + rank)
    t_sorted, e_sorted, rank = time[order], event[order], rank[order]
    new_group = np.concatenate(([True], (t_sorted[1:] != t_sorted[:-1])
                                | (e_sorted[1:] != e_sorted[:-1])))
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    is_event = e_sorted > 0
    prefix = group_start[is_event].astype(np.int64)  # partners = sorted rows before the group
    query = rank[is_event]  # sorted within each group, so the needles below come in runs
    less = less_equal = 0
    keys = np.arange(n, dtype=np.int64) * n_ranks + rank  # (block of 2^level rows, rank), sorted
    for level in range(max(1, int(n).bit_length())):
        if level:  # merge pairs of blocks: two sorted runs each, which timsort merges in O(n)
            keys = np.sort(((keys // n_ranks) >> 1) * n_ranks + keys % n_ranks, kind="stable")
        use = ((prefix >> level) & 1) == 1
        if not use.any():
            continue
        block = (prefix[use] >> level) - 1
        needles = np.sort(block * n_ranks + query[use], kind="stable")  # sorted: fast search
        base = int((block << level).sum())
        less += int(np.searchsorted(keys, needles, side="left").sum()) - base
        less_equal += int(np.searchsorted(keys, needles, side="right").sum()) - base
    return less, int(prefix.sum()) - less_equal, less_equal - less
