"""Harrell's concordance of a Cox model as R ``coxph`` counts it, with a fast path.

Pairs are counted as in :func:`cohort_explorer.stats.cox.fit.concordance_counts` (comparable:
the shorter time is an event; a row censored at an event's time is still at risk; events tied
in time are not compared). When the data have few distinct (time, event) groups times few
distinct linear predictors — the usual case: a handful of categorical terms and a rounded age,
follow-up in days or tenths of months — the counts are read off one cumulative 2-D histogram
(rows per group and predictor rank) in O(n + groups x ranks) instead of O(n log^2 n). Both give
the same integers (a test checks).
"""

from __future__ import annotations

import numpy as np

from cohort_explorer.stats.cox.fit import concordance_counts as _counts_by_blocks
from cohort_explorer.stats.cox.order import rank_codes

__all__ = ["concordance_counts"]

#: Largest groups x ranks table of the fast path (int64: 8 bytes a cell).
MAX_CELLS = 4_000_000


def concordance_counts(time: np.ndarray, event: np.ndarray, lp: np.ndarray) -> tuple[int, int, int]:
    """Concordant, discordant and predictor-tied comparable pairs (R ``coxph``)."""
    rank, _ = rank_codes(lp)  # np.unique(lp, return_inverse=True), by hashing
    n_ranks = int(rank.max()) + 1 if rank.size else 0
    # (time, event) groups in the order of the block algorithm: time descending, censored first
    is_event = np.asarray(event) > 0
    ascending, times = rank_codes(time)
    time_rank = times.size - 1 - ascending  # the rank of -time
    group = time_rank * 2 + is_event
    n_groups = 2 * times.size
    if n_groups * (n_ranks + 1) > MAX_CELLS:
        return _counts_by_blocks(time, event, lp)
    table = np.bincount(group * n_ranks + rank, minlength=n_groups * n_ranks)
    table = table.reshape(n_groups, n_ranks)
    # rows in every earlier group (the partners of an event), by rank: exclusive cumulative sum
    before = np.cumsum(table, axis=0) - table
    below = np.cumsum(before, axis=1) - before  # partners with a smaller rank
    g, r = group[is_event], rank[is_event]
    less = int(below[g, r].sum())
    less_equal = less + int(before[g, r].sum())
    partners = int(before.sum(axis=1)[g].sum())
    return less, partners - less_equal, less_equal - less
