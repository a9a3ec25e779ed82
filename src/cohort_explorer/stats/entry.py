"""Delayed entry (left truncation): Kaplan–Meier and log-rank with patients at risk on (entry, time].

A patient who enters follow-up at ``entry`` (e.g. referral after diagnosis) cannot have had
the event before; counting them at risk from time 0 makes early survival look too good.
:func:`kaplan_meier_entry` is R ``survfit(Surv(entry, time, event) ~ 1)`` (same times, n.risk =
#{entry < t <= time}, Greenwood SE, the usual bands) and returns the same
:class:`~cohort_explorer.stats.km.KaplanMeier` as :func:`~cohort_explorer.stats.km.kaplan_meier`,
so medians, quantiles and landmarks work unchanged. :func:`logrank_entry` is survdiff's
log-rank statistic (O - E and the hypergeometric variance) computed on those risk sets; with
all entries 0 it equals :func:`~cohort_explorer.stats.logrank.logrank_test`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cohort_explorer.errors import OptionError
from cohort_explorer.stats.cox.entry import check_entry, fix_entry
from cohort_explorer.stats.km import KaplanMeier
from cohort_explorer.stats.km_core import (
    check_conf,
    check_group,
    check_time_event,
    confidence_band,
    read_only,
)
from cohort_explorer.stats.logrank import LogRank, chi_square

__all__ = ["check_entry", "kaplan_meier_entry", "logrank_entry"]


def _risk_sets(entry: np.ndarray, time: np.ndarray, at: np.ndarray) -> np.ndarray:
    """#{entry < t <= time} at each t of ``at`` (sorted)."""
    leaving = time.size - np.searchsorted(np.sort(time), at, side="left")  # time >= t
    not_in = entry.size - np.searchsorted(np.sort(entry), at, side="left")  # entry >= t
    return leaving - not_in


def kaplan_meier_entry(entry: Any, time: Any, event: Any, *, conf_level: float = 0.95,
                       conf_type: str = "log-log") -> KaplanMeier:
    """Kaplan–Meier estimate with delayed entry, as R ``survfit(Surv(entry, time, event) ~ 1)``.

    Parameters
    ----------
    entry : array-like of float
        Time each patient enters follow-up (>= 0, before ``time``).
    time, event, conf_level, conf_type
        As :func:`~cohort_explorer.stats.km.kaplan_meier`.

    Returns
    -------
    KaplanMeier
        One row per distinct exit time; ``at_risk`` is #{entry < t <= time}.

    References
    ----------
    Tsai WY, Jewell NP, Wang MC (1987). A note on the product-limit estimator under right
    censoring and left truncation. Biometrika 74:883-886.
    """
    check_conf(conf_type, conf_level)
    time, event = check_time_event(time, event)
    entry, time = fix_entry(check_entry(entry, time), time)
    unique, inverse = np.unique(time, return_inverse=True)
    inverse = inverse.ravel()
    rows = np.bincount(inverse, minlength=unique.size)
    n_event = np.bincount(inverse, weights=event, minlength=unique.size).astype(np.int64)
    n_risk = _risk_sets(entry, time, unique)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        hazard_var = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        se_log = np.sqrt(np.cumsum(hazard_var))
        std_err = surv * se_log
    lower, upper = confidence_band(surv, se_log, conf_type, conf_level)
    return KaplanMeier(
        time=read_only(unique), survival=read_only(surv), lower=read_only(lower),
        upper=read_only(upper), std_err=read_only(std_err),
        at_risk=read_only(n_risk.astype(np.int64)), events=read_only(n_event),
        censored=read_only((rows - n_event).astype(np.int64)), conf_type=conf_type,
        conf_level=float(conf_level),
    )


def logrank_entry(entry: Any, time: Any, event: Any, group: Any, *,
                  levels: Sequence[Any] | None = None) -> LogRank:
    """Log-rank test on the risk sets {entry < t <= time}: survdiff's O - E and variance.

    At each event time, a group's expected events are its share of the patients at risk
    times the deaths; the variance is the hypergeometric one, as R ``survdiff(rho = 0)``.
    The statistic is (O - E)' V^- (O - E) over groups with expected > 0.
    """
    time, event = check_time_event(time, event)
    entry, time = fix_entry(check_entry(entry, time), time)
    codes, levels = check_group(group, time.size, "group", levels)
    k = len(levels)
    if np.count_nonzero(np.bincount(codes, minlength=k)) < 2:
        raise OptionError("need at least two groups with patients to compare survival")
    death_times, deaths = np.unique(time[event], return_counts=True)
    at_risk = np.column_stack([_risk_sets(entry[codes == g], time[codes == g], death_times)
                               for g in range(k)]).astype(float)
    dead = np.column_stack([np.bincount(np.searchsorted(death_times, time[event & (codes == g)]),
                                        minlength=death_times.size) for g in range(k)])
    total = at_risk.sum(axis=1)
    share = at_risk / total[:, None]
    expected = share.T @ deaths
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(total > 1, deaths * (total - deaths) / (total - 1.0), 0.0)
    variance = np.diag(share.T @ weight) - (share * weight[:, None]).T @ share
    observed = dead.sum(axis=0).astype(float)
    statistic, df, p = chi_square(observed, expected, variance)
    return LogRank(statistic, df, p, read_only(observed), read_only(expected),
                   read_only(variance))
