"""Univariable screen: one Cox model per candidate term, BH-adjusted over the terms' LR p.

The q-values are R ``p.adjust(p, "BH")`` over the terms with a likelihood-ratio p (a term
whose coefficient is not estimable has no p and no q; as in R, the adjustment counts only the
p-values present).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort_explorer._result import Result
from cohort_explorer.stats.cox import CoxTerm

__all__ = ["ScreenRow", "bh_adjust"]


@dataclass(frozen=True)
class ScreenRow(Result):
    term: str
    n: int
    events: int
    lr_statistic: float
    lr_df: int
    lr_p: float
    q: float
    coefficients: tuple[CoxTerm, ...]


def bh_adjust(p_values) -> np.ndarray:
    """Benjamini-Hochberg q-values, NaN kept as NaN and not counted (R ``p.adjust``)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.size, np.nan)
    present = np.isfinite(p)
    if present.any():
        from scipy import stats  # imported when used (slow to import)

        out[present] = stats.false_discovery_control(p[present], method="bh")
    return out
