"""Which steps of a very long Kaplan–Meier curve can be seen: the plot draws only those, and
the pushdown engine thins KM arrays of more than a million distinct times the same way."""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_STEPS", "STEP_RESOLUTION", "display_points"]

#: Above this many steps a curve is thinned for display (a browser draws every point).
MAX_STEPS = 4000
#: Steps closer than this (in S, lower and upper) to the last drawn one are not drawn.
STEP_RESOLUTION = 5e-4


def display_points(surv: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Indices of the steps to draw: all of them for a normal cohort; for a very large one
    only the steps where S or a bound enters a new STEP_RESOLUTION band (a difference
    invisible at plot size), plus the first and last. Bounds must be finite (the plot draws
    a missing bound at S)."""
    n = surv.size
    if n <= MAX_STEPS:
        return np.arange(n)
    bins = np.floor(np.vstack([surv, lower, upper]) / STEP_RESOLUTION)
    moved = np.any(np.diff(bins, axis=1) != 0, axis=0)
    keep = np.flatnonzero(np.concatenate([[True], moved]))
    return np.union1d(keep, [n - 1])
