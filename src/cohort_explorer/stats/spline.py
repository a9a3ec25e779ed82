"""A continuous marker as a restricted cubic spline in the Cox model.

Four knots at the 5/35/65/95% quantiles (R ``quantile`` type 7) of the marker; the basis is
R ``rms::rcspline.eval(x, knots, inclx = TRUE)`` (x and two non-linear columns, rms's default
``norm = 2``); the model is ``coxph(Surv ~ basis + covariates, ties = "efron")``. The curve is
the hazard ratio against the marker's median at 100 points from its 1st to its 99th
percentile, with Wald bounds from the basis differences and the coefficients' covariance.
p non-linear: likelihood-ratio test against the linear model (2 df); p overall: against the
model without the marker (3 df).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort_explorer._result import Result, jsonable
from cohort_explorer.errors import OptionError
from cohort_explorer.stats.cox.refit import SortedCohort
from cohort_explorer.stats.distributions import chi2_sf, norm_ppf

__all__ = ["SplineCurve", "rcspline_eval", "spline_knots", "cox_spline"]

KNOT_PROBS = (0.05, 0.35, 0.65, 0.95)
MIN_DISTINCT = 5
GRID_POINTS = 100


@dataclass(frozen=True)
class SplineCurve(Result):
    """HR (vs the median) along the marker, its CI band and the likelihood-ratio tests.

    ``rug`` (the marker values of the analysed patients, for the plot) is not part of
    ``to_dict()``: the JSON carries no patient-level values beyond the survival curves.
    """

    column: str
    knots: np.ndarray
    reference: float
    x: np.ndarray
    hr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p_nonlinear: float
    p_overall: float
    n: int
    events: int
    adjusted_for: tuple[str, ...]
    rug: np.ndarray

    def to_dict(self) -> dict:
        return jsonable({k: v for k, v in self.__dict__.items() if k != "rug"})


def rcspline_eval(x, knots) -> np.ndarray:
    """R ``rms::rcspline.eval(x, knots, inclx = TRUE)`` (norm = 2): columns x, s_1 .. s_{k-2}."""
    x = np.asarray(x, dtype=float)
    knots = np.asarray(knots, dtype=float)
    k = knots.size
    last, before_last = knots[-1], knots[-2]
    scale = (last - knots[0]) ** (2 / 3)
    columns = [x]
    for j in range(k - 2):
        def cube(v):
            return np.maximum((x - v) / scale, 0.0) ** 3
        columns.append(cube(knots[j]) + ((before_last - knots[j]) * cube(last)
                                         - (last - knots[j]) * cube(before_last))
                       / (last - before_last))
    return np.column_stack(columns)


def spline_knots(x, column: str = "x") -> np.ndarray:
    """The 4 knots (5/35/65/95% quantiles, type 7); exit-2 error when they coincide."""
    x = np.asarray(x, dtype=float)
    distinct = np.unique(x).size
    knots = np.quantile(x, KNOT_PROBS)
    if distinct < MIN_DISTINCT:
        raise OptionError(
            f"--spline {column}: a restricted cubic spline with 4 knots needs a continuous "
            f"marker with at least {MIN_DISTINCT} distinct values; {column} has {distinct} "
            "distinct value(s) in the analysis set. Use it as a category or a cut instead.",
            code="spline_few_values", column=column, distinct=distinct, minimum=MIN_DISTINCT)
    if np.any(np.diff(knots) <= 0):
        raise OptionError(
            f"--spline {column}: the 4 knots (5/35/65/95% quantiles) of {column} coincide: "
            f"most patients share a few of its {distinct} distinct values. Use it as a "
            "category or a cut instead.", code="spline_knots_coincide", column=column,
            distinct=distinct)
    return knots


def _covariates_loglik(cohort: SortedCohort, cov: np.ndarray, init: np.ndarray) -> float:
    """Maximised log-likelihood of the covariates alone, started at their values in the spline
    model (the same maximum; R's path from 0 when that does not converge)."""
    with np.errstate(all="ignore"):
        fit = cohort.fit(cov, init=init)
        if not fit.converged:
            fit = cohort.fit(cov)
    return fit.loglik


def cox_spline(time, event, x, covariates: np.ndarray | None = None, *, column: str = "x",
               adjusted_for: tuple[str, ...] = (), conf_level: float = 0.95) -> SplineCurve:
    """Fit the spline Cox model and return the HR curve vs the median with its tests.

    Parameters
    ----------
    time, event : array_like
        Follow-up time and 0/1 event (the analysis set, marker non-missing).
    x : array_like
        The continuous marker.
    covariates : ndarray (n, q), optional
        Adjustment design columns (already coded), fitted alongside the spline.
    """
    event = np.asarray(event, dtype=float)
    x = np.asarray(x, dtype=float)
    if event.sum() == 0:
        raise OptionError(f"--spline {column}: no events in the analysis set",
            code="spline_no_events", fields={"column": column})
    knots = spline_knots(x, column)
    basis = rcspline_eval(x, knots)
    cov = np.empty((x.size, 0)) if covariates is None else np.asarray(covariates, dtype=float)
    cohort = SortedCohort(time, event)  # one sort for the three models
    with np.errstate(all="ignore"):
        fit = cohort.fit(np.column_stack([basis, cov]))
        linear = cohort.fit(np.column_stack([x, cov])).loglik
    full, coef, var = fit.loglik, fit.coef, fit.var
    without = _covariates_loglik(cohort, cov, coef[3:]) if cov.shape[1] else fit.loglik_null
    reference = float(np.median(x))
    grid = np.linspace(*np.quantile(x, (0.01, 0.99)), GRID_POINTS)
    diff = rcspline_eval(grid, knots) - rcspline_eval(np.array([reference]), knots)
    log_hr = diff @ coef[:3]
    se = np.sqrt(np.einsum("ij,jk,ik->i", diff, var[:3, :3], diff))
    z = norm_ppf(1 - (1 - conf_level) / 2)
    return SplineCurve(
        column=column, knots=knots, reference=reference, x=grid, hr=np.exp(log_hr),
        lower=np.exp(log_hr - z * se), upper=np.exp(log_hr + z * se),
        p_nonlinear=float(chi2_sf(2 * (full - linear), 2)),
        p_overall=float(chi2_sf(2 * (full - without), 3)),
        n=int(x.size), events=int(event.sum()), adjusted_for=tuple(adjusted_for),
        rug=np.sort(x))
