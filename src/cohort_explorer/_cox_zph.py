"""Score test of R survival >= 3 ``cox.zph`` (``transform = "km"``), for ``cox.py``.

Vectorised version of R's ``zph1.c``: for ``beta(t) = beta + theta g(t)`` the score for
``theta`` at ``theta = 0`` and the full 2p x 2p information, with Efron's handling of ties.
"""

from __future__ import annotations

import numpy as np

from cohort_explorer._cox_fit import RiskSets

__all__ = ["km_transform", "zph_scores"]


def km_transform(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """``1 - S(t-)`` of the pooled Kaplan-Meier curve at each subject's time (R ``cox.zph``)."""
    unique, inverse = np.unique(time, return_inverse=True)
    deaths = np.bincount(inverse, weights=event, minlength=unique.size)
    counts = np.bincount(inverse, minlength=unique.size)
    at_risk = counts[::-1].cumsum()[::-1]
    survival = np.cumprod(1 - deaths / at_risk)
    before = np.concatenate(([1.0], survival))[inverse]  # S at the previous listed time
    return 1 - before


def zph_scores(time: np.ndarray, event: np.ndarray, x: np.ndarray,
               eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score for the time-interaction terms and the 2p x 2p information matrix.

    Parameters
    ----------
    time, event : ndarray
        Follow-up and 0/1 events.
    x : ndarray, shape (n, p)
        Covariates of the model (estimable columns only).
    eta : ndarray
        Linear predictor of the fitted model.

    Returns
    -------
    score : ndarray, shape (p,)
        ``sum_t g(t) (x_death - xbar(t))`` (the first p score components are 0 at the MLE).
    info : ndarray, shape (2p, 2p)
        ``[[I, I_g], [I_g, I_gg]]`` with ``I_g = sum g V``, ``I_gg = sum g^2 V``.
    """
    transformed = km_transform(time, event)
    gtime = transformed - transformed[event > 0].mean()
    x = x - x.mean(axis=0)
    risk_sets = RiskSets(time, event, x)
    risk, denom, xsum = risk_sets.terms(eta[risk_sets.order] - eta.mean())
    g_block = gtime[risk_sets.order][risk_sets.starts]
    g = g_block[risk_sets.term_block]
    dead = risk_sets.is_event
    score = (g_block[risk_sets.block[dead]][:, None] * risk_sets.x[dead]).sum(axis=0)
    score -= ((g / denom)[:, None] * xsum).sum(axis=0)
    i11 = risk_sets.information(risk, denom, xsum)
    i12 = risk_sets.information(risk, denom, xsum, g)
    i22 = risk_sets.information(risk, denom, xsum, g * g)
    info = np.block([[i11, i12], [i12.T, i22]])
    return score, info
