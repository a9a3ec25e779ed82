"""Kaplan–Meier statistics that match R ``survival`` 3.5.3 (the log-rank family is in
:mod:`cohort_explorer.stats.logrank`).

Kaplan-Meier curves with Greenwood standard errors and pointwise confidence bands
(``survfit``), quantiles and medians (``quantile.survfit``), landmark survival
(``summary(fit, times = )``), restricted mean survival time (``summary(fit, rmean = )``),
median follow-up by reverse Kaplan-Meier, and the log-rank family: global and stratified
(``survdiff``), test for trend, and pairwise tests with Holm or Benjamini-Hochberg
adjustment (survminer ``pairwise_survdiff``), following docs/methods.md.

Inputs are array-likes (numpy or pandas) of equal length: ``time`` (finite, >= 0; 0 is
valid), ``event`` (0/1 or bool), ``group``/``strata`` (any hashable labels, no missing).
Invalid input raises :class:`~cohort_explorer.errors.ColumnError`, a bad option
:class:`~cohort_explorer.errors.OptionError`. NaN in a result means "null" (R ``NA``).
Like R (``timefix = TRUE``), times closer than ``sqrt(eps)`` count as one time.

Degenerate inputs have defined answers (each is tested):

* all patients censored: S = 1 throughout, medians NaN, log-log bounds NaN, follow-up from
  the reverse curve; log-rank statistic and p NaN (R: chisq 0 on -1 df, p NA);
* one patient: a one-row curve (S = 0 with NaN bounds and NaN ``std_err`` if it is an event);
* a group with no events: its curve stays at 1; in the log-rank test it counts normally;
* a group whose expected count is 0 (censored before any event) is left out of the
  test's degrees of freedom as ``survdiff`` does; if only one group is left the answer is
  statistic 0, df 0, p 1 (R);
* a single group: :func:`logrank_test`, :func:`logrank_trend` and :func:`pairwise_logrank`
  raise ``OptionError("need at least two groups")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cohort_explorer._result import Result
from cohort_explorer.errors import OptionError
from cohort_explorer.stats.km_core import (
    check_conf,
    check_conf_level,
    check_time_event,
    confidence_band,
    find_quantile,
    km_table,
    read_only,
    z_value,
)

__all__ = [
    "Estimate",
    "FollowUp",
    "KaplanMeier",
    "Landmark",
    "RMST",
    "kaplan_meier",
    "landmark_survival",
    "median_follow_up",
    "restricted_mean",
    "survival_quantile",
]


@dataclass(frozen=True, eq=False)
class KaplanMeier(Result):
    """A Kaplan-Meier curve, one row per distinct time (event or censoring), as ``survfit``.

    ``std_err`` is the Greenwood standard error **of S itself** (R ``summary(fit)$std.err``
    = ``fit$surv * fit$std.err``; R's ``fit$std.err`` is the SE of log S). It is NaN where
    S = 0 (R: ``0 * Inf``). ``lower``/``upper`` are NaN where R reports NA: S = 0 or 1 for
    log-log, S = 0 for log and plain. Arrays are read-only. Equality is identity.
    """

    time: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    std_err: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    conf_type: str
    conf_level: float


@dataclass(frozen=True)
class Estimate(Result):
    """A point estimate with its confidence interval (NaN = null, e.g. median not reached)."""

    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Landmark(Result):
    """S(t) with its CI and the number still at risk (time >= t); NaN beyond the last time
    (0 with NaN bounds when the curve has already dropped to 0)."""

    time: float
    survival: float
    lower: float
    upper: float
    at_risk: int


@dataclass(frozen=True)
class RMST(Result):
    """Restricted mean survival time up to ``tau``; ``truncated`` when tau > last time."""

    tau: float
    estimate: float
    se: float
    lower: float
    upper: float
    truncated: bool


@dataclass(frozen=True)
class FollowUp(Result):
    """Median follow-up and its quartiles from the reverse Kaplan-Meier curve."""

    median: float
    q1: float
    q3: float


# ---------------------------------------------------------------------------- Kaplan-Meier
def _fit(time: np.ndarray, event: np.ndarray, conf_level: float, conf_type: str,
         table: dict | None = None) -> KaplanMeier:
    table = km_table(time, event) if table is None else table
    lower, upper = confidence_band(table["surv"], table["se_log"], conf_type, conf_level)
    with np.errstate(invalid="ignore"):
        std_err = table["surv"] * table["se_log"]
    return KaplanMeier(
        time=read_only(table["time"]),
        survival=read_only(table["surv"]),
        lower=read_only(lower),
        upper=read_only(upper),
        std_err=read_only(std_err),
        at_risk=read_only(table["n_risk"]),
        events=read_only(table["n_event"]),
        censored=read_only(table["n_censor"]),
        conf_type=conf_type,
        conf_level=float(conf_level),
    )


def kaplan_meier(
    time: Any, event: Any, *, conf_level: float = 0.95, conf_type: str = "log-log"
) -> KaplanMeier:
    """Kaplan-Meier (product-limit) estimate with Greenwood SE and a pointwise CI.

    Parameters
    ----------
    time : array-like of float
        Follow-up times, finite and >= 0.
    event : array-like of 0/1 or bool
        1 (True) for an event, 0 (False) for censoring.
    conf_level : float, default 0.95
        Confidence level, strictly between 0 and 1.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        Transformation of the pointwise interval, as R ``survfit(conf.type = )``.

    Returns
    -------
    KaplanMeier
        One row per distinct time, as R ``survfit(Surv(time, event) ~ 1)`` lists them.

    Raises
    ------
    ColumnError
        Lengths differ, no rows, missing/infinite/negative time, event not 0/1.
    OptionError
        Unknown ``conf_type`` or ``conf_level`` outside (0, 1).

    References
    ----------
    Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations.
    JASA 53:457-481. Greenwood M (1926). The natural duration of cancer. Reports on Public
    Health and Medical Subjects 33. Kalbfleisch JD, Prentice RL (1980). The Statistical
    Analysis of Failure Time Data (log-log interval). Therneau T (2023). survival 3.5-3.
    """
    check_conf(conf_type, conf_level)
    time, event = check_time_event(time, event)
    return _fit(time, event, conf_level, conf_type)


def _quantile(km: KaplanMeier, p: float, curve: np.ndarray) -> float:
    x = np.concatenate(([0.0], km.time))
    with np.errstate(invalid="ignore"):
        y = np.concatenate(([0.0], 1.0 - curve))
    return find_quantile(x, y, p)


def survival_quantile(km: KaplanMeier, p: float = 0.5) -> Estimate:
    """Time by which a fraction ``p`` has had the event (the median for p = 0.5), with CI.

    As R ``quantile.survfit``: the smallest time with S(t) <= 1 - p; where the curve is flat
    at 1 - p (within sqrt(eps)) the midpoint of the flat stretch, and a flat stretch running
    to the end gives (start + last listed time) / 2. The CI applies the same rule to the
    curve's lower and upper bands (Brookmeyer-Crowley style). NaN = not reached.

    Note: R's ``print(fit)``/``summary(fit)$table`` median uses an older rule that differs
    only when the curve ends flat at exactly 1 - p (it reports the start of the stretch).

    Parameters
    ----------
    km : KaplanMeier
        The curve; its ``conf_type`` and ``conf_level`` set the interval.
    p : float, default 0.5
        Probability in [0, 1].

    Returns
    -------
    Estimate

    References
    ----------
    Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time.
    Biometrics 38:29-41.
    """
    if not isinstance(p, (int, float, np.integer, np.floating)) or not 0.0 <= float(p) <= 1.0:
        raise OptionError(f"p must be a probability between 0 and 1; got {p!r}")
    p = float(p)
    return Estimate(
        estimate=_quantile(km, p, km.survival),
        lower=_quantile(km, p, km.lower),
        upper=_quantile(km, p, km.upper),
    )


def _check_times(times: Any, what: str) -> np.ndarray:
    try:
        values = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError) as error:
        raise OptionError(f"{what} must be numbers; got {times!r}") from error
    if values.ndim != 1 or not np.isfinite(values).all() or (values < 0).any():
        raise OptionError(f"{what} must be finite numbers >= 0; got {times!r}")
    return values


def landmark_survival(km: KaplanMeier, times: Sequence[float]) -> tuple[Landmark, ...]:
    """Survival at fixed times with its CI and number at risk, as R ``summary(fit, times=)``.

    S(t) is right-continuous (an event at t counts), ``at_risk`` is the number with time >=
    t. Before the first listed time S = 1 with bounds 1 (R's ``survfit0`` origin row). For t
    beyond the curve's last time the entry is kept with survival, lower and upper NaN and
    ``at_risk`` 0 (R's ``extend = TRUE`` would carry the last value forward) — unless the
    curve has dropped to 0, when survival is 0 (bounds NaN), as R ``extend = TRUE`` gives.

    Parameters
    ----------
    km : KaplanMeier
    times : sequence of float
        Landmark times, finite and >= 0; one result per time, in the order given.

    Returns
    -------
    tuple of Landmark
    """
    times = _check_times(times, "landmark times")
    origin = km.time[0] != 0
    grid = np.concatenate(([0.0], km.time)) if origin else km.time
    values = [km.survival, km.lower, km.upper]
    if origin:
        values = [np.concatenate(([1.0], v)) for v in values]
    row = np.searchsorted(grid, times, side="right") - 1
    risk = np.append(km.at_risk, 0)[np.searchsorted(km.time, times, side="left")]
    beyond = times > km.time[-1]
    dropped = beyond & (km.survival[-1] == 0)  # R extend=TRUE: 0, bounds NA
    surv = np.where(dropped, 0.0, np.where(beyond, np.nan, values[0][row]))
    lower, upper = (np.where(beyond, np.nan, v[row]) for v in values[1:])
    return tuple(
        Landmark(float(t), float(s), float(lo), float(up), int(r))
        for t, s, lo, up, r in zip(times, surv, lower, upper, risk, strict=True)
    )


def restricted_mean(km: KaplanMeier, tau: float, *, conf_level: float = 0.95) -> RMST:
    """Restricted mean survival time up to ``tau`` with its SE and a normal CI.

    The area under S from 0 to tau and its variance
    sum_j A_j^2 d_j / (n_j (n_j - d_j)), A_j = area from t_j to tau, as R
    ``summary(survfit, rmean = tau)$table`` (``rmean``, ``se(rmean)``). CI = estimate
    +/- z se. If tau exceeds the last time the curve is carried forward to tau (R's value)
    and ``truncated`` is True: warn the user. R refuses tau below the first time; here
    that simply gives tau with SE 0.

    Parameters
    ----------
    km : KaplanMeier
    tau : float
        Truncation time, finite and >= 0.
    conf_level : float, default 0.95

    Returns
    -------
    RMST

    References
    ----------
    Royston P, Parmar MKB (2013). Restricted mean survival time: an alternative to the
    hazard ratio. BMC Med Res Methodol 13:152.
    """
    if np.ndim(tau) != 0:
        raise OptionError(f"tau must be one number; got {tau!r}")
    tau = float(_check_times(tau, "tau")[0])
    check_conf_level(conf_level)
    origin = km.time[0] != 0
    grid = np.concatenate(([0.0], km.time)) if origin else km.time
    surv = np.concatenate(([1.0], km.survival)) if origin else km.survival
    n_risk = np.concatenate(([km.at_risk[0]], km.at_risk)) if origin else km.at_risk
    n_event = np.concatenate(([0], km.events)) if origin else km.events
    keep = grid <= tau
    times = np.append(grid[keep], tau)
    steps = np.append(surv[keep], surv[keep][-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(n_risk == n_event, 0.0, n_event / (n_risk * (n_risk - n_event)))
    hazard = np.append(hazard[keep], 0.0)
    rectangles = np.diff(np.concatenate(([0.0], times))) * np.concatenate(([1.0], steps[:-1]))
    estimate = float(rectangles.sum())
    area_after = np.cumsum(rectangles[1:][::-1])
    # scaled by the largest area so that a huge tau (1e308) cannot overflow the squares
    scale = float(area_after.max()) if area_after.size and area_after.max() > 0 else 1.0
    se = scale * float(np.sqrt(np.sum((area_after / scale) ** 2 * hazard[::-1][1:])))
    z = z_value(conf_level)
    return RMST(
        tau=tau,
        estimate=estimate,
        se=se,
        lower=estimate - z * se,
        upper=estimate + z * se,
        truncated=bool(tau > km.time[-1]),
    )


def median_follow_up(time: Any, event: Any) -> FollowUp:
    """Median follow-up with quartiles by reverse Kaplan-Meier (censoring is the "event").

    The reverse curve is ``survfit(Surv(time, 1 - event) ~ 1)``; ``q1``/``median``/``q3`` are
    its 25/50/75% quantiles by the :func:`survival_quantile` rules (``q1`` is where the
    reverse curve first drops to <= 0.75). NaN where not reached (e.g. no one censored).

    References
    ----------
    Schemper M, Smith TL (1996). A note on quantifying follow-up in studies of failure
    time. Controlled Clinical Trials 17:343-346.
    """
    time, event = check_time_event(time, event)
    reverse = _fit(time, ~event, 0.95, "plain")
    q1, median, q3 = (_quantile(reverse, p, reverse.survival) for p in (0.25, 0.5, 0.75))
    return FollowUp(median=median, q1=q1, q3=q3)
