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


class EfronTerms:
    """The centred covariates' risk sets and Efron block sums at the fitted linear predictor,
    shared by :func:`zph_scores` and :func:`zph_residuals` (one sort, one information)."""

    def __init__(self, time, event, x, eta, entry=None) -> None:
        self.risk_sets = RiskSets(time, event, x - x.mean(axis=0), entry)
        self.blocks = self.risk_sets.block_sums(eta[self.risk_sets.order] - eta.mean())
        self._info = None
        self._km = None

    def information(self) -> np.ndarray:
        if self._info is None:
            self._info = self.risk_sets.block_information(self.blocks)
        return self._info

    def km_transform(self, time, event, entry=None) -> np.ndarray:
        if self._km is None:
            self._km = km_transform(time, event, entry)
        return self._km


def efron_terms(time, event, x, eta, entry=None) -> EfronTerms:
    """Risk sets of the centred covariates and Efron's sums at the linear predictor ``eta``
    (computed once and passed as ``terms=`` to both :func:`zph_scores` and
    :func:`zph_residuals`, which need the same)."""
    return EfronTerms(time, event, x, eta, entry)


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
    shared = terms or efron_terms(time, event, x, eta, entry)
    transformed = shared.km_transform(time, event, entry)
    gtime = transformed - transformed[event > 0].mean()
    risk_sets, blocks = shared.risk_sets, shared.blocks
    g_block = gtime[risk_sets.order][risk_sets.starts]
    g = g_block[risk_sets.term_block]
    dead = risk_sets.is_event
    score = (g_block[risk_sets.block[dead]][:, None] * risk_sets.x[dead]).sum(axis=0)
    score -= risk_sets.block_score(blocks, g).sum(axis=1)
    i11 = shared.information()
    i12 = risk_sets.block_information(blocks, g)
    i22 = risk_sets.block_information(blocks, g * g)
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
    shared = terms or efron_terms(time, event, x, eta, entry)
    risk_sets = shared.risk_sets
    counts = np.bincount(risk_sets.term_block, minlength=risk_sets.n_blocks)
    # per block, the mean over its Efron terms of the terms' means a_l / D_l
    block_means = (risk_sets.block_score(shared.blocks) / np.maximum(counts, 1)).T
    dead = risk_sets.is_event
    schoenfeld = risk_sets.x[dead] - block_means[risk_sets.block[dead]]
    vmean = shared.information() / dead.sum()
    values = np.linalg.solve(vmean, schoenfeld.T).T + coef
    order = risk_sets.order[dead]
    if entry is not None:  # R lists tied events of counting-process data in reverse row order
        listing = np.lexsort((-order, time[order]))
        order, values = order[listing], values[listing]
    return ZphResiduals(transformed_time=shared.km_transform(time, event, entry)[order],
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
