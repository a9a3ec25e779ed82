"""Stratified Cox partial likelihood, R ``coxph(... + strata(S))``.

Each stratum has its own baseline hazard: its risk sets contain only its own rows. The
partial log-likelihood, score and information are the sums over the strata of the unstratified
quantities (one ``RiskSets`` of ``fit.py`` per stratum); the coefficients are
shared. :func:`~cohort_explorer.stats.cox.fit.newton_raphson` iterates on this object exactly as
on an unstratified one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["StratifiedRiskSets", "stratum_codes", "within_strata"]


def stratum_codes(strata) -> np.ndarray:
    """Integer code per row for any array of stratum labels (missing not allowed)."""
    _, codes = np.unique(np.asarray(strata).astype(str), return_inverse=True)
    return codes.ravel()


class StratifiedRiskSets:
    """One ``RiskSets`` per stratum (``part`` builds them); ``evaluate`` sums them."""

    def __init__(self, part, time: np.ndarray, event: np.ndarray, x: np.ndarray,
                 strata: np.ndarray, entry: np.ndarray | None = None) -> None:
        codes = stratum_codes(strata)
        self.parts = [part(time[codes == k], event[codes == k], x[codes == k],
                           None if entry is None else entry[codes == k])
                      for k in np.unique(codes)]

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Summed Efron log partial likelihood, score and information at ``beta``."""
        loglik, score, info = 0.0, np.zeros(beta.size), np.zeros((beta.size, beta.size))
        for part in self.parts:
            part_loglik, part_score, part_info = part.evaluate(beta)
            loglik += part_loglik
            score = score + part_score
            info = info + part_info
        return loglik, score, info


def within_strata(count, time, event, lp, strata) -> tuple[int, ...]:
    """``count(time, event, lp)`` (concordance counts) summed over strata (R compares pairs
    within a stratum only); plain ``count`` when ``strata`` is None."""
    if strata is None:
        return count(time, event, lp)
    codes = stratum_codes(strata)
    parts = [count(time[codes == k], event[codes == k], lp[codes == k]) for k in np.unique(codes)]
    return tuple(int(sum(part[i] for part in parts)) for i in range(len(parts[0])))
