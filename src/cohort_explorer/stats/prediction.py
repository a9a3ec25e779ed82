"""Predicted survival of one new patient from a Cox model, R ``survfit(coxph_fit, newdata)``.

Efron-tied baseline cumulative hazard and its variance as R ``agsurv`` (``survtype = 3``,
``vartype = 3``, the defaults after ``ties = "efron"``): at a time with d deaths the hazard
increment is ``sum_{j<d} 1/(S0 - j/d * S0_deaths) / d`` per death. The new patient's
cumulative hazard is ``H0(t) exp(x'b)`` and the variance of log S is
``(var H0(t) + d(t)' V d(t)) exp(2 x'b)``, ``d(t) = H0(t) x - xbar(t)`` (covariates centred);
the CI follows the Kaplan-Meier convention (log-log by default).
"""

from __future__ import annotations

import numpy as np

from cohort_explorer.stats.cox.fit import newton_raphson, timefix
from cohort_explorer.stats.km import KaplanMeier
from cohort_explorer.stats.km_core import confidence_band, read_only

__all__ = ["predicted_curve"]


def _baseline(time, event, x, coef):
    """Per distinct time: cumulative hazard, its variance and the cumulated xbar (agsurv)."""
    unique, inverse = np.unique(time, return_inverse=True)
    inverse = inverse.ravel()
    k = unique.size
    risk = np.exp(x @ coef)
    nrisk = np.bincount(inverse, weights=risk, minlength=k)[::-1].cumsum()[::-1]
    xsum = np.column_stack([np.bincount(inverse, weights=risk * x[:, j], minlength=k)
                            for j in range(x.shape[1])])[::-1].cumsum(axis=0)[::-1]
    dead = event > 0
    deaths = np.bincount(inverse, weights=event, minlength=k)
    erisk = np.bincount(inverse[dead], weights=risk[dead], minlength=k)
    xsum2 = np.column_stack([np.bincount(inverse[dead], weights=(risk * x[:, j])[dead],
                                         minlength=k) for j in range(x.shape[1])])
    counts = deaths.astype(int)
    term = np.repeat(np.arange(k), counts)  # one Efron term per death
    first = np.cumsum(counts) - counts
    frac = (np.arange(term.size) - np.repeat(first, counts)) / np.repeat(counts, counts)
    temp = 1.0 / (nrisk[term] - erisk[term] * frac)
    d = counts[term]
    sum1 = np.bincount(term, weights=temp / d, minlength=k)
    sum2 = np.bincount(term, weights=temp**2 / d, minlength=k)
    xbar = np.column_stack([
        np.bincount(term, weights=(xsum[term, j] - xsum2[term, j] * frac) * temp**2 / d,
                    minlength=k) for j in range(x.shape[1])])
    at_risk = np.bincount(inverse, minlength=k)[::-1].cumsum()[::-1]
    censored = np.bincount(inverse, weights=1 - event, minlength=k)
    return (unique, np.cumsum(deaths * sum1), np.cumsum(deaths * sum2),
            np.cumsum(deaths[:, None] * xbar, axis=0), at_risk, deaths, censored)


def predicted_curve(time, event, x, new_x, *, conf_type: str = "log-log",
                    conf_level: float = 0.95) -> KaplanMeier:
    """Survival curve of a patient with design row ``new_x`` under the Cox model of ``x``.

    Returns a :class:`KaplanMeier`-shaped curve (``std_err`` of S, bounds by ``conf_type``)
    so medians and landmarks follow the same rules as for Kaplan-Meier curves.
    """
    time = timefix(np.asarray(time, dtype=float))
    event = np.asarray(event, dtype=float)
    x = np.asarray(x, dtype=float)
    fit = newton_raphson(time, event, x)
    coef = np.where(np.isfinite(fit.coef), fit.coef, 0.0)
    means = x.mean(axis=0)
    xc = x - means
    times, cumhaz, varhaz, xbar, at_risk, deaths, censored = _baseline(time, event, xc, coef)
    x2 = np.asarray(new_x, dtype=float) - means
    risk2 = float(np.exp(x2 @ coef))
    dt = cumhaz[:, None] * x2[None, :] - xbar
    var_log = (varhaz + np.einsum("ij,jk,ik->i", dt, fit.var, dt)) * risk2**2
    se_log = np.sqrt(np.maximum(var_log, 0.0))
    surv = np.exp(-cumhaz * risk2)
    lower, upper = confidence_band(surv, se_log, conf_type, conf_level)
    return KaplanMeier(
        time=read_only(times), survival=read_only(surv), lower=read_only(lower),
        upper=read_only(upper), std_err=read_only(surv * se_log),
        at_risk=read_only(at_risk.astype(np.int64)), events=read_only(deaths.astype(np.int64)),
        censored=read_only(censored.astype(np.int64)), conf_type=conf_type,
        conf_level=conf_level)
