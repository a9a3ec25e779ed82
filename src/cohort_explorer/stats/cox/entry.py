"""Counting-process helpers of the Cox model with delayed entry (R ``Surv(entry, time, event)``).

:func:`prepare_entry` checks entry times and applies R's timefix to entry and exit together;
:func:`late_entry_pairs` counts the pairs that the plain concordance counts but that delayed
entry removes: an event at t and a patient who enters only at or after t.
"""

from __future__ import annotations

import numpy as np

from cohort_explorer.errors import ColumnError
from cohort_explorer.stats.cox.fit import timefix

__all__ = ["prepare_entry", "late_entry_pairs"]

_CHUNK = 2_000_000  # pairs per block of the pair count


def prepare_entry(entry, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry as float (finite, >= 0, < time); entry and time after R's joint timefix."""
    entry = np.asarray(entry, dtype=float).ravel()
    if entry.size != time.size:
        raise ColumnError(f"entry ({entry.size}) and time ({time.size}) differ in length")
    if not np.all(np.isfinite(entry)) or np.any(entry < 0):
        raise ColumnError("entry times must be finite numbers >= 0")
    if np.any(entry >= time):
        raise ColumnError(f"{int((entry >= time).sum())} rows enter at or after their "
                          "follow-up time; entry must be before time")
    both = timefix(np.concatenate((entry, time)))
    return both[: time.size], both[time.size:]


def late_entry_pairs(entry: np.ndarray, time: np.ndarray, event: np.ndarray,
                     lp: np.ndarray) -> tuple[int, int, int]:
    """(concordant, discordant, tied) pairs of an event at t with a patient entering >= t.

    Such a patient is not at risk at t (R's counting-process concordance leaves the pair
    out), but the plain count includes it, since its time is after t.
    """
    late = np.flatnonzero(entry > 0)
    events = np.flatnonzero(event > 0)
    concordant = discordant = tied = 0
    if late.size == 0 or events.size == 0:
        return 0, 0, 0
    step = max(1, _CHUNK // late.size)
    for start in range(0, events.size, step):
        chunk = events[start:start + step]
        pair = entry[late][None, :] >= time[chunk][:, None]
        diff = lp[chunk][:, None] - lp[late][None, :]
        concordant += int(np.count_nonzero(pair & (diff > 0)))
        discordant += int(np.count_nonzero(pair & (diff < 0)))
        tied += int(np.count_nonzero(pair & (diff == 0)))
    return concordant, discordant, tied
