"""The cut-point explorer: the HR at every candidate cut and the bootstrap of the selected cut.

``candidate_hrs``: the Cox hazard ratio (Efron ties) of ``x > cut`` vs ``x <= cut`` at every
candidate cut of the maxstat search, fitted for all candidates at once (one binary covariate
per candidate, Newton-Raphson with step halving, vectorised over the candidates). A cut with
no events on one side has no finite HR (NaN).

``bootstrap_cutpoint``: B resamples of the analysis set's rows with replacement —
``rng = numpy.random.default_rng(seed)``, ``idx = rng.integers(0, N, size=(B, N))`` (drawn in
row blocks, which gives the same numbers as one draw), rows in analysis-set order — and the
maxstat search (log-rank scores, standardised statistic, minprop 0.1, maxprop 0.9) rerun on
each, vectorised over resamples. A resample without an admissible cut (or without events) is
skipped and counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cohort_explorer._result import Result
from cohort_explorer.errors import OptionError

__all__ = ["CutBootstrap", "BootstrapCancelled", "candidate_hrs", "bootstrap_cutpoint"]

DEFAULT_B = 1000
DEFAULT_SEED = 20170101
_BLOCK_ELEMENTS = 2_000_000  # resample rows x patients per vectorised block
MAX_ELEMENTS = 200_000_000  # B x N beyond this is refused (memory and time)


class BootstrapCancelled(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised when the progress callback returns False (the user cancelled)."""


@dataclass(frozen=True)
class CutBootstrap(Result):
    """Selected cut of each resample and their summary (type-7 percentiles)."""

    B: int  # noqa: N815 - the JSON key "B"
    seed: int
    cuts: np.ndarray
    skipped: int
    median: float
    lower: float
    upper: float
    same_quartile_share: float


# --------------------------------------------------------------------------- HR per candidate
def _binary_cox(time: np.ndarray, event: np.ndarray, x: np.ndarray,
                iterations: int = 60) -> np.ndarray:
    """Efron Cox coefficient of each 0/1 column of ``x`` (rows sorted by time).

    With a binary covariate the risk sets need only counts: at each event time the number
    at risk and dying with x = 1 and in total, so every iteration works on (Efron terms x
    candidates) arrays and no exp over the rows is needed.
    """
    new_block = np.concatenate(([True], time[1:] != time[:-1]))
    starts = np.flatnonzero(new_block)
    deaths = np.add.reduceat(event, starts)
    event_blocks = np.flatnonzero(deaths > 0)
    counts = deaths[event_blocks].astype(int)
    term_block = np.repeat(np.arange(event_blocks.size), counts)
    first = np.cumsum(counts) - counts
    fraction = ((np.arange(term_block.size) - np.repeat(first, counts))
                / np.repeat(counts, counts))[:, None]
    at_risk_all = np.cumsum(np.add.reduceat(np.ones_like(time), starts)[::-1])[::-1]
    at_risk_x = np.cumsum(np.add.reduceat(x, starts, axis=0)[::-1], axis=0)[::-1]
    dead_x = np.add.reduceat(x * event[:, None], starts, axis=0)
    n_all = at_risk_all[event_blocks][term_block][:, None]
    d_all = deaths[event_blocks][term_block][:, None]
    n_x = at_risk_x[event_blocks][term_block]
    d_x = dead_x[event_blocks][term_block]
    base = (n_all - n_x) - fraction * (d_all - d_x)  # Efron denominator part with x = 0
    exposed = n_x - fraction * d_x  # ... and with x = 1 (times exp(beta))
    x_events = dead_x.sum(axis=0)

    def evaluate(beta):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            part = exposed * np.exp(beta)
            denom = base + part
            mean = part / denom
            loglik = beta * x_events - np.log(denom).sum(axis=0)
            return loglik, x_events - mean.sum(axis=0), (mean - mean**2).sum(axis=0)

    beta = np.zeros(x.shape[1])
    loglik, score, info = evaluate(beta)
    for _ in range(iterations):
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(info > 0, score / info, 0.0)
        trial = beta + step
        new_loglik, new_score, new_info = evaluate(trial)
        for _ in range(30):  # step halving where the likelihood went down
            worse = ~(new_loglik >= loglik - 1e-12 * np.abs(loglik))
            if not worse.any():
                break
            trial = np.where(worse, (beta + trial) / 2, trial)
            new_loglik, new_score, new_info = evaluate(trial)
        moved = np.abs(trial - beta)
        beta, loglik, score, info = trial, new_loglik, new_score, new_info
        if np.all(moved < 1e-11 * np.maximum(1, np.abs(beta))):
            break
    return beta


def candidate_hrs(time, event, x, candidates) -> np.ndarray:
    """Cox HR (Efron) of ``x > cut`` vs ``x <= cut`` at each candidate cut; NaN when one
    side has no events (the HR is 0 or infinite: not estimable)."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    x = np.asarray(x, dtype=float)
    candidates = np.asarray(candidates, dtype=float)
    order = np.argsort(time, kind="stable")
    time, event, x = time[order], event[order], x[order]
    out = np.full(candidates.size, np.nan)
    chunk = max(1, _BLOCK_ELEMENTS // max(1, time.size))
    for start in range(0, candidates.size, chunk):
        cuts = candidates[start:start + chunk]
        above = (x[:, None] > cuts[None, :]).astype(float)
        events_above = (above * event[:, None]).sum(axis=0)
        ok = (events_above > 0) & (events_above < event.sum())
        if ok.any():
            beta = _binary_cox(time, event, above[:, ok])
            values = np.full(cuts.size, np.nan)
            values[ok] = np.exp(beta)
            out[start:start + chunk] = values
    return out


# --------------------------------------------------------------------------- bootstrap
def _scores_sorted(t_rank: np.ndarray, time_sorted: np.ndarray, event_sorted: np.ndarray):
    """Log-rank scores of each resample (rows = resamples), in time order of each row."""
    positions = np.sort(t_rank, axis=1)
    times = time_sorted[positions]
    events = event_sorted[positions]
    b, n = times.shape
    # r = the largest (1-based) rank among the times tied with each element
    is_end = np.ones((b, n), dtype=bool)
    is_end[:, :-1] = times[:, 1:] != times[:, :-1]
    ends = np.where(is_end, np.arange(n), n)
    max_rank = np.minimum.accumulate(ends[:, ::-1], axis=1)[:, ::-1] + 1
    cumulative = np.cumsum(events / (n - max_rank + 1), axis=1)
    scores = events - np.take_along_axis(cumulative, max_rank - 1, axis=1)
    return positions, scores


def _select(idx, t_rank_of, time_sorted, event_sorted, x_rank_of, x_sorted_values,
            minprop, maxprop):
    """Selected cut per resample (NaN when none is admissible)."""
    b, n = idx.shape
    positions, scores = _scores_sorted(t_rank_of[idx], time_sorted, event_sorted)
    rows_x = x_rank_of[positions]  # the x rank of each element, in time order
    by_x = np.argsort(rows_x, axis=1, kind="stable")
    y = np.take_along_axis(scores, by_x, axis=1)
    xs = x_sorted_values[np.take_along_axis(rows_x, by_x, axis=1)]
    m = np.arange(1, n)  # m = #{x <= cut} for a cut between elements m-1 and m
    admissible = (xs[:, 1:] != xs[:, :-1]) & (m >= max(1, math.floor(n * minprop))) & (
        m <= math.floor(n * maxprop))
    total = y.sum(axis=1, keepdims=True)
    total_sq = (y**2).sum(axis=1, keepdims=True)
    expected = m / n * total
    variance = m * (n - m) / (n**2 * (n - 1)) * (n * total_sq - total**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.abs((np.cumsum(y, axis=1)[:, :-1] - expected) / np.sqrt(variance))
    statistic = np.where(admissible & np.isfinite(statistic), statistic, -np.inf)
    best = np.argmax(statistic, axis=1)
    found = np.isfinite(statistic[np.arange(b), best])
    return np.where(found, xs[np.arange(b), best], np.nan)


def bootstrap_cutpoint(time, event, x, *, cutpoint: float, B: int = DEFAULT_B,  # noqa: N803
                       seed: int = DEFAULT_SEED, minprop: float = 0.1, maxprop: float = 0.9,
                       progress: Callable[[int, int], bool | None] | None = None
                       ) -> CutBootstrap:
    """Bootstrap the maxstat cut (see module docstring).

    ``progress(done, B)`` is called after each block of resamples; returning False cancels
    (raises :class:`BootstrapCancelled`). ``same_quartile_share``: resamples whose cut falls
    in the quartile (breaks of the original ``x``, R type 7, right-closed) of ``cutpoint``.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    x = np.asarray(x, dtype=float)
    n = time.size
    if not isinstance(B, (int, np.integer)) or B < 1:
        raise OptionError(f"--bootstrap {B}: give the number of resamples, at least 1",
            code="bootstrap_count", fields={"resamples": B})
    if B * n > MAX_ELEMENTS:
        raise OptionError(f"--bootstrap {B} on {n} patients is too large ({B * n:,} resampled "
                          f"rows; at most {MAX_ELEMENTS:,}); use fewer resamples",
            code="bootstrap_too_large", fields={"resamples": B, "patients": n, "rows": B * n, "maximum": MAX_ELEMENTS})
    t_order = np.argsort(time, kind="stable")
    t_rank_of = np.empty(n, dtype=np.int64)
    t_rank_of[t_order] = np.arange(n)
    x_order = np.argsort(x, kind="stable")
    x_rank_of = np.empty(n, dtype=np.int64)
    x_rank_of[x_order] = np.arange(n)
    # x rank of each time-sorted position, so resampled rows are looked up once
    x_rank_by_time = x_rank_of[t_order]
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_ELEMENTS // n)
    cuts = np.empty(B)
    done = 0
    while done < B:
        size = min(block, B - done)
        idx = rng.integers(0, n, size=(size, n))
        cuts[done:done + size] = _select(idx, t_rank_of, time[t_order], event[t_order],
                                         x_rank_by_time, x[x_order], minprop, maxprop)
        done += size
        if progress is not None and progress(done, B) is False:
            raise BootstrapCancelled(f"bootstrap cancelled after {done} of {B} resamples")
    found = cuts[np.isfinite(cuts)]
    breaks = np.quantile(x, [0.25, 0.5, 0.75])
    quartile = np.searchsorted(breaks, found, side="left")
    share = float(np.mean(quartile == np.searchsorted(breaks, cutpoint, side="left"))
                  ) if found.size else np.nan
    lower, median, upper = (np.quantile(found, [0.025, 0.5, 0.975]) if found.size
                            else (np.nan,) * 3)
    return CutBootstrap(B=int(B), seed=int(seed), cuts=found, skipped=int(B - found.size),
                        median=float(median), lower=float(lower), upper=float(upper),
                        same_quartile_share=share)
