"""Survival difference between each group and the reference at fixed times.

S_g(t) - S_ref(t) with se = sqrt(se_g^2 + se_ref^2), the Greenwood standard errors of S
(R ``summary(fit, times = t)$std.err``), and a Wald CI. ``null`` (NaN) where either survival
is null; where a standard error is NaN (a survival of 0) the difference is given and its CI
is null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort_explorer._result import Result
from cohort_explorer.stats.km import KaplanMeier, landmark_survival
from cohort_explorer.stats.km_core import z_value

__all__ = ["LandmarkDifference", "landmark_std_err", "landmark_differences"]


@dataclass(frozen=True)
class LandmarkDifference(Result):
    time: float
    group: str
    reference: str
    difference: float
    lower: float
    upper: float
    se: float


def landmark_std_err(km: KaplanMeier, times) -> np.ndarray:
    """Greenwood SE of S at each time (0 before the first listed time, NaN beyond the last)."""
    times = np.asarray(times, dtype=float)
    row = np.searchsorted(km.time, times, side="right") - 1
    se = np.where(row >= 0, km.std_err[np.maximum(row, 0)], 0.0)
    return np.where(times > km.time[-1], np.nan, se)


def landmark_differences(curves: list[tuple[str, KaplanMeier]], times,
                         conf_level: float = 0.95) -> tuple[LandmarkDifference, ...]:
    """Each group (after the first, the reference) minus the reference at each time."""
    if len(curves) < 2 or len(times) == 0:
        return ()
    z = z_value(conf_level)
    ref_label, ref_km = curves[0]
    ref_surv = np.array([lm.survival for lm in landmark_survival(ref_km, times)])
    ref_se = landmark_std_err(ref_km, times)
    out = []
    for label, km in curves[1:]:
        surv = np.array([lm.survival for lm in landmark_survival(km, times)])
        se = np.hypot(landmark_std_err(km, times), ref_se)
        for t, s, r, e in zip(times, surv, ref_surv, se, strict=True):
            diff = s - r
            out.append(LandmarkDifference(float(t), label, ref_label, float(diff),
                                          float(diff - z * e), float(diff + z * e), float(e)))
    return tuple(out)
