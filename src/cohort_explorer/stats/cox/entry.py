"""Counting-process helpers of the Cox model with delayed entry (R ``Surv(entry, time, event)``).

:func:`prepare_entry` checks entry times and applies R's timefix to entry and exit together;
:func:`late_entry_pairs` counts the pairs that the plain concordance counts but that delayed
entry removes: an event at t and a patient who enters only at or after t.
"""

from __future__ import annotations

import numpy as np

from cohort_explorer.errors import ColumnError
from cohort_explorer.stats.cox.fit import timefix

__all__ = ["check_entry", "fix_entry", "prepare_entry", "late_entry_pairs"]

def check_entry(entry, time: np.ndarray) -> np.ndarray:
    """Entry times as float: finite, >= 0 and before each patient's time."""
    entry = np.asarray(entry, dtype=float).ravel()
    if entry.size != time.size:
        raise ColumnError(f"entry ({entry.size}) and time ({time.size}) differ in length")
    if not np.all(np.isfinite(entry)) or np.any(entry < 0):
        raise ColumnError("entry times must be finite numbers >= 0")
    if np.any(entry >= time):
        raise ColumnError(f"{int((entry >= time).sum())} rows enter at or after their "
                          "follow-up time; entry must be before time")
    return entry


def fix_entry(entry: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R ``aeqSurv``: entry and exit times closer than sqrt(eps) are merged together."""
    both = timefix(np.concatenate((entry, time)))
    return both[: entry.size], both[entry.size:]


def prepare_entry(entry, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry as float (finite, >= 0, < time); entry and time after R's joint timefix."""
    return fix_entry(check_entry(entry, time), time)


def _prefix_rank_counts(rank: np.ndarray, n_ranks: int, prefix: np.ndarray,
                        query: np.ndarray) -> tuple[int, int]:
    """Sum over queries of #{j < prefix: rank_j < query} and of #{j < prefix: rank_j <= query}.

    Each prefix is split into aligned blocks of 2^k rows (as in a Fenwick tree); per level k
    one sort of (block, rank) keys and one ``searchsorted`` count the rows below the query's
    rank in its block (the rows of the lower blocks are subtracted). O(n log^2 n), vectorised.
    """
    n = rank.size
    position = np.arange(n, dtype=np.int64)
    less = less_equal = 0
    for level in range(max(1, int(n).bit_length())):
        use = ((prefix >> level) & 1) == 1
        if not use.any():
            continue
        keys = np.sort((position >> level) * n_ranks + rank)
        block = (prefix[use] >> level) - 1
        needles = block * n_ranks + query[use]
        base = int((block << level).sum())
        less += int(np.searchsorted(keys, needles, side="left").sum()) - base
        less_equal += int(np.searchsorted(keys, needles, side="right").sum()) - base
    return less, less_equal


def late_entry_pairs(entry: np.ndarray, time: np.ndarray, event: np.ndarray,
                     lp: np.ndarray) -> tuple[int, int, int]:
    """(concordant, discordant, tied) pairs of an event at t with a patient entering >= t.

    Such a patient is not at risk at t (R's counting-process concordance leaves the pair
    out), but the plain count includes it, since its time is after t.
    """
    late = np.flatnonzero(entry > 0)
    events = np.flatnonzero(event > 0)
    if late.size == 0 or events.size == 0:
        return 0, 0, 0
    order = late[np.argsort(-entry[late], kind="stable")]  # latest entry first
    _, ranks = np.unique(np.concatenate((lp[order], lp[events])), return_inverse=True)
    ranks = ranks.astype(np.int64).ravel()
    point_rank, query_rank = ranks[: order.size], ranks[order.size:]
    prefix = (order.size - np.searchsorted(np.sort(entry[late]), time[events], side="left")
              ).astype(np.int64)  # patients entering at or after each event time
    less, less_equal = _prefix_rank_counts(point_rank, int(ranks.max()) + 1, prefix, query_rank)
    return less, int(prefix.sum()) - less_equal, less_equal - less
