"""The Fine–Gray proportional subdistribution hazards model, as R ``cmprsk::crr``.

A patient with a competing event stays in the risk set after it, weighted by the
probability of still being uncensored, G(t-) / G(T-), where G is the Kaplan–Meier estimate of
the censoring distribution; the weighted Breslow partial likelihood is maximised by crr's
Newton iteration (its convergence rule, line search and defaults: ``gtol = 1e-6``, 10
iterations), and the variance is crr's sandwich H^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)')
H^-1, where psi_i accounts for the estimated censoring weights. Risk-set sums are cumulative
sums over the sorted times; nothing loops over patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stats.competing import check_time_state
from cohort_explorer.stats.distributions import norm_ppf, norm_sf
from cohort_explorer.stats.km_core import km_table

__all__ = ["FineGrayTerm", "FineGray", "fine_gray"]

GTOL = 1e-6  # crr(gtol = 1e-6)
MAX_ITER = 10  # crr(maxiter = 10)
EPS = np.finfo(float).eps


@dataclass(frozen=True)
class FineGrayTerm(Result):
    """One subdistribution hazard ratio with its sandwich-based Wald CI and p."""

    term: str
    coef: float
    se: float
    hr: float
    lower: float
    upper: float
    p: float


@dataclass(frozen=True)
class FineGray(Result):
    """A fitted Fine–Gray model."""

    terms: tuple[FineGrayTerm, ...]
    n: int
    events: int
    competing_events: int
    converged: bool
    iterations: int


class _Data:
    """Sorted data, censoring weights and the type-1 event times."""

    def __init__(self, time: np.ndarray, state: np.ndarray, x: np.ndarray) -> None:
        order = np.argsort(time, kind="stable")
        self.time, self.state, self.x = time[order], state[order], x[order]
        censoring = km_table(self.time, self.state == 0)
        # G(t-): the censoring curve just before each time (crr: ftime * (1 - 100 eps))
        row = np.searchsorted(censoring["time"], self.time * (1 - 100 * EPS), side="right") - 1
        self.g = np.where(row >= 0, censoring["surv"][np.maximum(row, 0)], 1.0)
        self.event_times, self.d = np.unique(self.time[self.state == 1], return_counts=True)
        # rows with time >= t_k start at first[k]; competing events before t_k end there too
        self.first = np.searchsorted(self.time, self.event_times, side="left")
        self.g_event = self.g[self.first]  # G(t_k-)
        self.competing = self.state == 2

    def sums(self, b: np.ndarray, order: int = 2):
        """S0 (, S1, S2) at each type-1 event time and the risks exp(x b)."""
        r = np.exp(self.x @ b)
        values_by_order = [r]
        if order >= 1:
            values_by_order.append(r[:, None] * self.x)
        if order >= 2:
            values_by_order.append(values_by_order[1][:, :, None] * self.x[:, None, :])
        out = []
        for values in values_by_order:
            tail = np.concatenate((np.cumsum(values[::-1], axis=0)[::-1],
                                   np.zeros((1,) + values.shape[1:])))
            weighted = np.where(self.competing.reshape((-1,) + (1,) * (values.ndim - 1)),
                                values / self.g.reshape((-1,) + (1,) * (values.ndim - 1)), 0.0)
            head = np.concatenate((np.zeros((1,) + values.shape[1:]), np.cumsum(weighted, axis=0)))
            g = self.g_event.reshape((-1,) + (1,) * (values.ndim - 1))
            out.append(tail[self.first] + g * head[self.first])
        return r, out

    def evaluate(self, b: np.ndarray):
        """crr's objective (minus the log pseudo-likelihood), gradient and Hessian."""
        _, (s0, s1, s2) = self.sums(b)
        events = self.state == 1
        d = self.d.astype(float)
        f = -float((self.x[events] @ b).sum()) + float(d @ np.log(s0))
        mean = s1 / s0[:, None]
        grad = -self.x[events].sum(axis=0) + d @ mean
        hess = np.einsum("k,kij->ij", d / s0, s2) - np.einsum("k,ki,kj->ij", d, mean, mean)
        return f, grad, hess

    def objective(self, b: np.ndarray) -> float:
        _, (s0,) = self.sums(b, order=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -float((self.x[self.state == 1] @ b).sum()) + float(self.d @ np.log(s0))


def _newton(data: _Data, p: int) -> tuple[np.ndarray, bool, int]:
    """crr's Newton-Raphson with backtracking (same stopping rule and defaults)."""
    b = np.zeros(p)
    for iteration in range(MAX_ITER + 1):
        f, grad, hess = data.evaluate(b)
        if np.max(np.abs(grad) * np.maximum(np.abs(b), 1)) < max(abs(f), 1) * GTOL:
            return b, True, iteration
        if iteration == MAX_ITER:
            return b, False, iteration
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return b, False, iteration
        new = b + step
        f_new = data.objective(new)
        halvings = 0
        while not np.isfinite(f_new) or f_new > f + 1e-4 * float(step @ grad):
            halvings += 1
            step = step * 0.5
            new = b + step
            f_new = data.objective(new)
            if halvings > 20:
                return b, False, iteration
        b = new
    return b, False, MAX_ITER  # pragma: no cover - the loop always returns


def _sandwich(data: _Data, b: np.ndarray) -> np.ndarray:
    """crr's robust variance: H^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') H^-1."""
    r, (s0, s1, s2) = data.sums(b)
    d = data.d.astype(float)
    xbar = s1 / s0[:, None]
    hess = np.einsum("k,kij->ij", d / s0, s2) - np.einsum("k,ki,kj->ij", d, xbar, xbar)
    time, x, g = data.time, data.x, data.g
    a = d / s0
    bk = a[:, None] * xbar
    # last event time <= T_i (index into cumulative sums, 0 = none)
    upto = np.searchsorted(data.event_times, time, side="right")

    def cum(values):
        return np.concatenate((np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)))

    cum_a, cum_b = cum(a), cum(bk)
    cum_ga, cum_gb = cum(data.g_event * a), cum(data.g_event[:, None] * bk)
    eta = -r[:, None] * (x * cum_a[upto][:, None] - cum_b[upto])
    later_a = cum_ga[-1] - cum_ga[upto]
    later_b = cum_gb[-1] - cum_gb[upto]
    comp = data.competing
    eta[comp] -= (r[comp] / g[comp])[:, None] * (x[comp] * later_a[comp][:, None] - later_b[comp])
    events = data.state == 1
    own = np.searchsorted(data.event_times, time[events])
    eta[events] += x[events] - xbar[own]
    # psi: the censoring martingale part, at each distinct time u with a censoring
    unique, inverse = np.unique(time, return_inverse=True)
    inverse = inverse.ravel()
    n_censored = np.bincount(inverse, weights=data.state == 0, minlength=unique.size)
    at_risk = np.bincount(inverse, minlength=unique.size)[::-1].cumsum()[::-1].astype(float)
    before = np.searchsorted(time, unique, side="left")  # rows with time < u
    w0 = cum(np.where(comp, r / g, 0.0))[before]
    w1 = cum(np.where(comp[:, None], (r / g)[:, None] * x, 0.0))[before]
    from_u = np.searchsorted(data.event_times, unique, side="left")  # event times >= u
    ga, gb = data.g_event * a, data.g_event[:, None] * bk
    rev_a = np.concatenate((np.cumsum(ga[::-1])[::-1], [0.0]))[from_u]
    rev_b = np.concatenate((np.cumsum(gb[::-1], axis=0)[::-1], np.zeros((1, x.shape[1]))))[from_u]
    q = w1 * rev_a[:, None] - w0[:, None] * rev_b
    drift = np.cumsum((n_censored / at_risk**2)[:, None] * q, axis=0)
    psi = -drift[inverse]
    cens = data.state == 0
    psi[cens] += q[inverse[cens]] / at_risk[inverse[cens], None]
    total = eta + psi
    h_inv = np.linalg.inv(hess)
    return h_inv @ (total.T @ total) @ h_inv.T


def fine_gray(time, state, design: pd.DataFrame, *, conf_level: float = 0.95) -> FineGray:
    """Fit the Fine–Gray model of the subdistribution hazard of state 1, as ``cmprsk::crr``.

    Parameters
    ----------
    time : array-like of float
        Follow-up time (finite, >= 0).
    state : array-like of int
        0 censored, 1 event of interest, 2 competing event.
    design : pandas.DataFrame
        Numeric design matrix (dummy-coded), one column per coefficient, named as the terms.
    conf_level : float, default 0.95

    Returns
    -------
    FineGray
        Subdistribution hazard ratios exp(coef) with se = sqrt(diag(sandwich variance)),
        Wald CI and p, as ``crr(time, state, design, failcode = 1, cencode = 0)``.

    References
    ----------
    Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution of a
    competing risk. J Am Stat Assoc 94:496-509.
    """
    if not 0 < conf_level < 1:
        raise OptionError(f"conf_level must be between 0 and 1 (got {conf_level})")
    time, state = check_time_state(time, state)
    if not isinstance(design, pd.DataFrame) or design.shape[1] == 0:
        raise OptionError("the Fine-Gray model needs at least one term")
    x = design.to_numpy(dtype=float)
    if x.shape[0] != time.size or not np.all(np.isfinite(x)):
        raise ColumnError("the Fine-Gray design must have one finite row per patient")
    if not np.any(state == 1):
        raise ColumnError("no events of interest: the Fine-Gray model needs at least one")
    data = _Data(time, state, x)
    b, converged, iterations = _newton(data, x.shape[1])
    var = _sandwich(data, b)
    z = norm_ppf(1 - (1 - conf_level) / 2)
    terms = []
    for j, name in enumerate(design.columns):
        coef, se = float(b[j]), float(np.sqrt(var[j, j]))
        p = float(2 * norm_sf(abs(coef / se))) if se > 0 else float("nan")
        with np.errstate(over="ignore"):
            hr, lower, upper = np.exp([coef, coef - z * se, coef + z * se])
        terms.append(FineGrayTerm(str(name), coef, se, float(hr), float(lower), float(upper), p))
    return FineGray(terms=tuple(terms), n=int(time.size), events=int((state == 1).sum()),
                    competing_events=int((state == 2).sum()), converged=converged,
                    iterations=iterations)
