"""Competing risks: Aalen–Johansen cumulative incidence and Gray's test.

``state`` codes every patient as 0 (censored), 1 (the event of interest) or 2 (a competing
event). :func:`cumulative_incidence` is R ``survfit(Surv(time, factor(state)) ~ 1)``'s
``pstate`` of state 1 with its infinitesimal-jackknife standard error and pointwise CI
(``conf.type`` log-log, log or plain); :func:`gray_test` is ``cmprsk::cuminc(...)$Tests`` for
cause 1 (Gray 1988, rho = 0). The Fine–Gray model is :mod:`cohort_explorer.stats.fine_gray`.

Everything is vectorised over the distinct times (cumulative sums); no loop runs over patients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cohort_explorer._result import Result
from cohort_explorer.errors import ColumnError
from cohort_explorer.stats.distributions import chi2_sf
from cohort_explorer.stats.km_core import (
    check_conf,
    check_group,
    distinct_times,
    read_only,
    z_value,
)

__all__ = ["CumulativeIncidence", "CIFLandmark", "GrayTest", "check_time_state",
           "cumulative_incidence", "cif_landmarks", "gray_test"]


@dataclass(frozen=True, eq=False)
class CumulativeIncidence(Result):
    """Aalen–Johansen cumulative incidence of the event of interest, one row per distinct time.

    ``std_err`` is the infinitesimal-jackknife standard error of the estimate (R
    ``fit$std.err`` of the state); ``lower``/``upper`` NaN where R reports NA. ``at_risk`` is
    the number with time >= t. Arrays are read-only.
    """

    time: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    std_err: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    competing_events: np.ndarray
    censored: np.ndarray
    conf_type: str
    conf_level: float


@dataclass(frozen=True)
class CIFLandmark(Result):
    """Cumulative incidence at ``time`` with its CI; NaN (null) past the group's last time."""

    time: float
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class GrayTest(Result):
    """Gray's k-sample test of equal cumulative incidence (chi-square, groups - 1 df)."""

    statistic: float
    df: int
    p: float


def check_time_state(time: Any, state: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate times (finite, >= 0) and states (0, 1, 2); return float time, int state."""
    time = np.asarray(time, dtype=float).ravel()
    state = np.asarray(state, dtype=float).ravel()
    if time.size != state.size:
        raise ColumnError(f"time and state differ in length ({time.size} vs {state.size})")
    if time.size == 0:
        raise ColumnError("no rows to analyse: time and state are empty")
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise ColumnError("time must be finite and >= 0 in every row")
    if not np.all(np.isin(state, (0.0, 1.0, 2.0))):
        raise ColumnError("state must be 0 (censored), 1 (event) or 2 (competing event)")
    return time, state.astype(np.int64)


def _counts(time: np.ndarray, state: np.ndarray) -> dict[str, np.ndarray]:
    unique, inverse = distinct_times(time)
    m = unique.size
    rows = np.bincount(inverse, minlength=m)
    d1 = np.bincount(inverse, weights=state == 1, minlength=m)
    d2 = np.bincount(inverse, weights=state == 2, minlength=m)
    n_risk = rows[::-1].cumsum()[::-1].astype(float)
    return {"time": unique, "rows": rows, "d1": d1, "d2": d2, "n": n_risk}


def _aalen_johansen(c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """CIF of state 1 and its infinitesimal-jackknife variance at every distinct time.

    The influence of patient i on the CIF is followed along the distinct times: while at
    risk it is the same for everyone (``u``); at its own time an event adds a jump; after
    that it changes only through the all-cause survival, i.e. linearly in the CIF:
    ``U_i(t) = alpha_i + a_i CIF(t)``. The variance at t is the sum of the squared
    influences, so cumulative sums of alpha^2, alpha a and a^2 give it at every t.
    """
    n, d1, d2 = c["n"], c["d1"], c["d2"]
    h = (d1 + d2) / n
    h1 = d1 / n
    surv = np.cumprod(1.0 - h)
    before = np.concatenate(([1.0], surv[:-1]))  # S(t-)
    cif = np.cumsum(before * h1)
    # dS/dw for a patient still at risk (no event yet): D_j = (1 - h_j) D_{j-1} + S_{j-1} h_j/n_j
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(h < 1, h / (n * (1.0 - h)), 0.0)
    d_risk = surv * np.cumsum(ratio)
    # everyone at risk has an event (the last time, S drops to 0): D = S(t-) / n
    d_risk = np.where(h >= 1, before / n, d_risk)
    d_prev = np.concatenate(([0.0], d_risk[:-1]))
    u_risk = np.cumsum(d_prev * h1 - before * h1 / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(surv > 0, 1.0 / surv, 0.0)
    jump = before / n
    # finishing at t_k: censored (u, D), cause 1 (u + jump, D - jump), cause 2 (u, D - jump)
    censored = c["rows"] - d1 - d2
    kinds = ((censored, u_risk, d_risk), (d1, u_risk + jump, d_risk - jump),
             (d2, u_risk, d_risk - jump))
    s_aa = np.zeros_like(cif)
    s_ab = np.zeros_like(cif)
    s_bb = np.zeros_like(cif)
    for count, u, d in kinds:
        a = d * inv_s
        alpha = u - a * cif
        s_aa += count * alpha * alpha
        s_ab += count * alpha * a
        s_bb += count * a * a
    after = n - c["rows"]  # still at risk after t
    variance = (after * u_risk**2 + np.cumsum(s_aa) + 2 * cif * np.cumsum(s_ab)
                + cif**2 * np.cumsum(s_bb))
    return cif, np.maximum(variance, 0.0)


def _band(p: np.ndarray, se: np.ndarray, conf_type: str, conf_level: float):
    """R ``survfit_confint(p, se, logse = FALSE)``; NaN where R gives NA."""
    z = z_value(conf_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        se_log = np.where(se == 0, 0.0, se / p)
        if conf_type == "plain":
            half = se_log * p * z
            return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
        if conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            return np.exp(np.log(xx) - z * se_log), np.minimum(np.exp(np.log(xx) + z * se_log), 1.0)
        xx = np.where((p == 0) | (p == 1), np.nan, p)
        shift = z * se_log / np.log(xx)
        loglog = np.log(-np.log(xx))
        return np.exp(-np.exp(loglog - shift)), np.exp(-np.exp(loglog + shift))


def cumulative_incidence(time: Any, state: Any, *, conf_level: float = 0.95,
                         conf_type: str = "log-log") -> CumulativeIncidence:
    """Aalen–Johansen cumulative incidence of state 1 with competing state 2.

    Parameters
    ----------
    time : array-like of float
        Follow-up times, finite and >= 0.
    state : array-like of int
        0 censored, 1 event of interest, 2 competing event.
    conf_level : float, default 0.95
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        Transformation of the pointwise interval of the incidence, as R ``survfit``.

    Returns
    -------
    CumulativeIncidence
        One row per distinct time (event of either kind or censoring), as R
        ``survfit(Surv(time, factor(state)) ~ 1)`` lists them; ``estimate`` = its ``pstate``
        of state 1, ``std_err`` its infinitesimal-jackknife standard error.

    References
    ----------
    Aalen OO, Johansen S (1978). An empirical transition matrix for non-homogeneous Markov
    chains based on censored observations. Scand J Stat 5:141-150. Therneau T (2023).
    survival 3.5-3, ``survfit`` for multi-state data (infinitesimal jackknife variance).
    """
    check_conf(conf_type, conf_level)
    time, state = check_time_state(time, state)
    c = _counts(time, state)
    cif, variance = _aalen_johansen(c)
    se = np.sqrt(variance)
    lower, upper = _band(cif, se, conf_type, conf_level)
    return CumulativeIncidence(
        time=read_only(c["time"]), estimate=read_only(cif), lower=read_only(lower),
        upper=read_only(upper), std_err=read_only(se), at_risk=read_only(c["n"].astype(np.int64)),
        events=read_only(c["d1"].astype(np.int64)),
        competing_events=read_only(c["d2"].astype(np.int64)),
        censored=read_only((c["rows"] - c["d1"] - c["d2"]).astype(np.int64)),
        conf_type=conf_type, conf_level=float(conf_level),
    )


def cif_landmarks(cif: CumulativeIncidence, times: Sequence[float]) -> tuple[CIFLandmark, ...]:
    """Cumulative incidence at fixed times (right-continuous), as ``summary(fit, times=)``.

    Before the first listed time the incidence is 0 with bounds 0 (R's origin row); past
    the last listed time every number is NaN (null).
    """
    times = np.atleast_1d(np.asarray(times, dtype=float))
    grid = np.concatenate(([-np.inf], cif.time))
    values = [np.concatenate(([0.0], v)) for v in (cif.estimate, cif.lower, cif.upper)]
    row = np.searchsorted(grid, times, side="right") - 1
    beyond = times > cif.time[-1]
    est, lower, upper = (np.where(beyond, np.nan, v[row]) for v in values)
    return tuple(CIFLandmark(float(t), float(e), float(lo), float(up))
                 for t, e, lo, up in zip(times, est, lower, upper, strict=True))


# ---------------------------------------------------------------------------- Gray's test
def _group_table(time, state, codes, k):
    """Per distinct time and group: at risk, cause-1 and cause-2 events (times with events)."""
    unique = np.unique(time)  # cuminc uses the raw times (no timefix)
    inverse = np.searchsorted(unique, time)
    m = unique.size
    index = inverse * k + codes
    rows = np.bincount(index, minlength=m * k).reshape(m, k)
    d1 = np.bincount(index, weights=state == 1, minlength=m * k).reshape(m, k)
    d2 = np.bincount(index, weights=state == 2, minlength=m * k).reshape(m, k)
    rs = rows[::-1].cumsum(axis=0)[::-1].astype(float)
    keep = (d1 + d2).sum(axis=1) > 0
    return rs[keep], d1[keep], d2[keep]


def gray_test(time: Any, state: Any, group: Any, *,
              levels: Sequence[Any] | None = None) -> GrayTest:
    """Gray's test that the cumulative incidence of cause 1 is equal across groups.

    The score of each group (weight rho = 0) and its variance follow Gray (1988), as
    ``cmprsk::cuminc(time, state, group, cencode = 0)$Tests`` for cause 1: at every time
    with an event, the group's cause-1 events minus those expected under a common
    subdistribution hazard; the statistic is s' V^-1 s over the first k - 1 groups.

    References
    ----------
    Gray RJ (1988). A class of K-sample tests for comparing the cumulative incidence of a
    competing risk. Ann Stat 16:1141-1154.
    """
    time, state = check_time_state(time, state)
    codes, levels = check_group(group, time.size, "group", levels)
    k = len(levels)
    if k < 2:
        return GrayTest(float("nan"), 0, float("nan"))
    rs, d1, d2 = _group_table(time, state, codes, k)
    if rs.shape[0] == 0:
        return GrayTest(float("nan"), k - 1, float("nan"))
    nd1 = d1.sum(axis=1)
    at = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at, 1.0 - (d1 + d2) / np.where(at, rs, 1.0), 1.0)
        skm = np.cumprod(factor, axis=0)  # right-continuous all-cause KM per group
        skmm = np.vstack((np.ones((1, k)), skm[:-1]))  # left-continuous
        f1_jump = np.where(at, skmm * d1 / np.where(at, rs, 1.0), 0.0)
    f1m = np.vstack((np.zeros((1, k)), np.cumsum(f1_jump, axis=0)[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(at, rs / skmm, 0.0)
    tr = t1.sum(axis=1)
    tq = (t1 * (1.0 - f1m)).sum(axis=1)
    f = np.cumsum(nd1 / tr)
    fm = np.concatenate(([0.0], f[:-1]))
    # a_t = diag(t1) - t1 t1' / tr (rows/columns of groups not at risk are 0)
    a = t1[:, :, None] * (np.eye(k)[None] - t1[:, None, :] / tr[:, None, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(nd1 > 0, nd1 / (tr * (1.0 - fm)), 0.0)
    c = np.cumsum(a * step[:, None, None], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(at, d1 - nd1[:, None] * rs * (1.0 - f1m) / (skmm * tq[:, None]), 0.0)
    s = score.sum(axis=0)[: k - 1]
    v = np.zeros((k - 1, k - 1))
    v3 = np.zeros(k)
    v2 = np.zeros((k - 1, k))
    with np.errstate(divide="ignore", invalid="ignore"):
        # cause-1 events
        use = at & (nd1 > 0)[:, None]
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where(nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1) / (tr[:, None] * skmm - 1), 1.0)
        t3 = np.where(use, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        v3 += (t4 * t4 * t3).sum(axis=0)
        t1m = a[:, : k - 1, :] - t4[:, None, :] * c[:, : k - 1, :]  # (time, i, group)
        v2 += np.einsum("tik,tk->ik", t1m, t4 * t3)
        v += np.einsum("tik,tjk,tk->ij", t1m, t1m, t3)
        # competing events
        use2 = (skm > 0) & (d2 > 0)
        t4b = np.where(use2, (1.0 - f[:, None]) / skm, 0.0)
        t5b = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        t3b = np.where(use2, t5b * skmm**2 * d2 / rs**2, 0.0)
        v3 += (t4b * t4b * t3b).sum(axis=0)
        t1b = t4b[:, None, :] * c[:, : k - 1, :]
        v2 -= np.einsum("tik,tk->ik", t1b, t4b * t3b)
        v += np.einsum("tik,tjk,tk->ij", t1b, t1b, t3b)
    cf = c[-1][: k - 1]
    v += (cf * v3) @ cf.T + cf @ v2.T + v2 @ cf.T
    try:
        statistic = float(s @ np.linalg.solve(v, s))
    except np.linalg.LinAlgError:
        return GrayTest(float("nan"), k - 1, float("nan"))
    return GrayTest(statistic, k - 1, float(chi2_sf(statistic, k - 1)))
