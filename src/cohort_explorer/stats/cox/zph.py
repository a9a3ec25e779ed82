"""Score test and scaled Schoenfeld residuals of R survival >= 3 ``cox.zph`` (``transform = "km"``).

Vectorised version of R's ``zph1.c``: for ``beta(t) = beta + theta g(t)`` the score for
``theta`` at ``theta = 0`` and the full 2p x 2p information, with Efron's handling of ties;
and the Schoenfeld residuals ``x_i - xbar(t_i)`` (for tied deaths ``xbar`` is the mean of the
Efron terms' means), scaled as ``cox.zph(terms = FALSE)$y``. For ``cox.py``.

With delayed entry (R ``Surv(entry, time, event)``, ``cox.zph``'s ``zph2.c``) the risk sets
are {entry < t <= time} throughout, the KM transform is that of the delayed-entry Kaplan-Meier
curve, and tied events are listed in R's order for counting-process data (time ascending,
ties in reverse row order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort_explorer.stats.cox.fit import RiskSets
from cohort_explorer.stats.cox.order import rank_codes

__all__ = ["km_transform", "efron_terms", "zph_scores", "ZphResiduals", "zph_residuals",
           "ph_test_units"]


def km_transform(time: np.ndarray, event: np.ndarray, entry: np.ndarray | None = None
                 ) -> np.ndarray:
    """``1 - S(t-)`` of the pooled Kaplan-Meier curve at each subject's time (R ``cox.zph``);
    with ``entry`` the curve of the risk sets {entry < t <= time}."""
    inverse, unique = rank_codes(time)  # np.unique(time, return_inverse=True), by hashing
    deaths = np.bincount(inverse, weights=event, minlength=unique.size)
    counts = np.bincount(inverse, minlength=unique.size)
    at_risk = counts[::-1].cumsum()[::-1]
    if entry is not None:  # minus those entering at or after each time
        at_risk = at_risk - (entry.size - np.searchsorted(np.sort(entry), unique, side="left"))
    survival = np.cumprod(1 - deaths / at_risk)
    before = np.concatenate(([1.0], survival))[inverse]  # S at the previous listed time
    return 1 - before


def efron_terms(time, event, x, eta, entry=None):
    """Risk sets of the centred covariates and Efron's terms at the linear predictor ``eta``
    (computed once and passed as ``terms=`` to both :func:`zph_scores` and
    :func:`zph_residuals`, which need the same)."""
    risk_sets = RiskSets(time, event, x - x.mean(axis=0), entry)
    risk, denom, xsum = risk_sets.terms(eta[risk_sets.order] - eta.mean())
    return risk_sets, risk, denom, xsum


def zph_scores(time: np.ndarray, event: np.ndarray, x: np.ndarray,
               eta: np.ndarray, terms=None, entry=None) -> tuple[np.ndarray, np.ndarray]:
    """Score for the time-interaction terms and the 2p x 2p information matrix.

    Parameters
    ----------
    time, event : ndarray
        Follow-up and 0/1 events.
    x : ndarray, shape (n, p)
        Covariates of the model (estimable columns only).
    eta : ndarray
        Linear predictor of the fitted model.
    entry : ndarray, optional
        Delayed entry times (after the joint timefix with ``time``).

    Returns
    -------
    score : ndarray, shape (p,)
        ``sum_t g(t) (x_death - xbar(t))`` (the first p score components are 0 at the MLE).
    info : ndarray, shape (2p, 2p)
        ``[[I, I_g], [I_g, I_gg]]`` with ``I_g = sum g V``, ``I_gg = sum g^2 V``.
    """
    transformed = km_transform(time, event, entry)
    gtime = transformed - transformed[event > 0].mean()
    risk_sets, risk, denom, xsum = terms or efron_terms(time, event, x, eta, entry)
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


@dataclass(frozen=True)
class ZphResiduals:
    """Raw output of :func:`zph_residuals`, one row per event in time order (R's order)."""

    transformed_time: np.ndarray  # R cox.zph()$x
    time: np.ndarray  # R $time
    values: np.ndarray  # R $y, shape (events, p)
    variance: np.ndarray  # diag(R $var), shape (p,)


def zph_residuals(time: np.ndarray, event: np.ndarray, x: np.ndarray, eta: np.ndarray,
                  coef: np.ndarray, terms=None, entry=None) -> ZphResiduals:
    """Scaled Schoenfeld residuals as R ``cox.zph(fit, transform = "km", terms = FALSE)``.

    Parameters
    ----------
    time, event, x, eta, entry
        As for :func:`zph_scores` (``x``: the estimable columns only, none constant).
    coef : ndarray, shape (p,)
        Coefficients of those columns.

    Returns
    -------
    ZphResiduals
        For the events sorted by time (stable, as R ``order``): the KM-transformed time, the
        time, and ``r V^-1 + coef`` where ``r`` are the Schoenfeld residuals and ``V`` the
        information divided by the number of events (R ``vmean``; every column is used at
        every event because no column is constant), with ``diag(V^-1)``.

    References
    ----------
    Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on weighted
    residuals. Biometrika 1994;81:515-526.
    """
    risk_sets, risk, denom, xsum = terms or efron_terms(time, event, x, eta, entry)
    term_means = xsum / denom[:, None]
    tb = risk_sets.term_block
    first = np.flatnonzero(np.concatenate(([True], tb[1:] != tb[:-1])))
    block_means = np.zeros((risk_sets.n_blocks, x.shape[1]))
    counts = np.diff(np.append(first, tb.size))
    block_means[tb[first]] = np.add.reduceat(term_means, first, axis=0) / counts[:, None]
    dead = risk_sets.is_event
    schoenfeld = risk_sets.x[dead] - block_means[risk_sets.block[dead]]
    vmean = risk_sets.information(risk, denom, xsum) / dead.sum()
    values = np.linalg.solve(vmean, schoenfeld.T).T + coef
    order = risk_sets.order[dead]
    if entry is not None:  # R lists tied events of counting-process data in reverse row order
        listing = np.lexsort((-order, time[order]))
        order, values = order[listing], values[listing]
    return ZphResiduals(transformed_time=km_transform(time, event, entry)[order],
                        time=time[order], values=values,
                        variance=np.diag(np.linalg.inv(vmean)))


def ph_test_units(names, groups) -> list[tuple[str, list[int]]]:
    """(label, column indices) of each test: a term group (a factor) at its first column,
    every other column alone (R ``cox.zph(terms = TRUE)``)."""
    member_of = {m: g for g, members in groups.items() for m in members}
    units: list[tuple[str, list[int]]] = []
    seen = set()
    for j, name in enumerate(names):
        group = member_of.get(name)
        if group is None:
            units.append((name, [j]))
        elif group not in seen:
            seen.add(group)
            units.append((group, [names.index(m) for m in groups[group]]))
    return units
