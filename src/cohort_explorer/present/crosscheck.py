"""An independent second opinion: Kaplan–Meier, log-rank and Cox recomputed with lifelines.

:func:`lifelines_cross_check` refits the analysis set of a result with lifelines (imported here
only) and reports, per quantity, the largest difference from the app's numbers and where
lifelines differs from R — and so from the app — by design:

* the median: lifelines takes the first time with S(t) ≤ 0.5; R's ``quantile.survfit`` (the
  app) takes the middle of a stretch where the curve is flat at exactly 0.5;
* confidence bands: lifelines gives log–log (its "exponential Greenwood") bands only;
* concordance: lifelines' ``concordance_index`` counts pairs tied on time differently from R's
  ``coxph`` (agreement to about 1e-3);
* the proportional-hazards test: lifelines follows R survival < 3, the app ``cox.zph`` of
  survival ≥ 3; not compared.

Cox is fitted with lifelines' Efron ties and a tight convergence tolerance (its default stops
about 4e-5 short of R's answer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.analysis.analysis_frame import analysis_frame

__all__ = ["CrossCheckRow", "CrossCheck", "lifelines_cross_check", "format_cross_check",
           "cross_check_frame"]

KM_TOL = 1e-6
COX_TOL = 1e-6
CONCORDANCE_TOL = 1e-3


@dataclass(frozen=True)
class CrossCheckRow(Result):
    """Largest relative difference (absolute below 1e-6) between the app and lifelines."""

    quantity: str
    difference: float | None
    compared: int
    tolerance: float | None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.tolerance is None or (self.difference is not None
                                          and self.difference <= self.tolerance)


@dataclass(frozen=True)
class CrossCheck(Result):
    rows: tuple[CrossCheckRow, ...]
    lifelines_version: str

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)


def _largest(app, other) -> tuple[float, int]:
    a = np.asarray(app, dtype=float).ravel()
    b = np.asarray(other, dtype=float).ravel()
    both = np.isfinite(a) & np.isfinite(b)
    diff = np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), 1e-6)
    mismatched = int(np.sum(np.isfinite(a) != np.isfinite(b)))
    largest = float(diff.max()) if diff.size else 0.0
    return (np.inf if mismatched else largest), int(a.size)


def _km_rows(result, frame) -> list[CrossCheckRow]:
    from lifelines import KaplanMeierFitter

    level = result.spec.conf_level if result.spec is not None else 0.95
    log_log = result.spec is None or result.spec.conf_type == "log-log"
    surv, band, medians = [[], []], [[], []], [[], []]
    for i, group in enumerate(result.groups, start=1):
        rows = frame.data[frame.data["group"] == i]
        kmf = KaplanMeierFitter(alpha=1 - level).fit(rows["time"], rows["event"])
        times = group.km.time
        surv[0].append(group.km.survival)
        surv[1].append(kmf.survival_function_at_times(times).to_numpy())
        ci = kmf.confidence_interval_survival_function_.reindex(times, method="ffill")
        band[0].append(np.concatenate([group.km.lower, group.km.upper]))
        band[1].append(np.concatenate([ci.iloc[:, 0].to_numpy(), ci.iloc[:, 1].to_numpy()]))
        medians[0].append([group.median.estimate])
        medians[1].append([kmf.median_survival_time_])
    out = [CrossCheckRow("Kaplan–Meier survival", *_largest(np.concatenate(surv[0]),
                                                            np.concatenate(surv[1])), KM_TOL)]
    if log_log:
        app_band, ll_band = np.concatenate(band[0]), np.concatenate(band[1])
        # where R reports no bound (S = 1), lifelines gives 1: compare where both have one
        ll_band = np.where(np.isfinite(app_band), ll_band, np.nan)
        out.append(CrossCheckRow("Kaplan–Meier log–log confidence bounds",
                                 *_largest(app_band, ll_band), KM_TOL))
    else:
        out.append(CrossCheckRow("Kaplan–Meier confidence bounds", None, 0, None,
                                 "not compared: lifelines gives log–log bands only"))
    diff, n = _largest(np.concatenate(medians[0]), np.concatenate(medians[1]))
    out.append(CrossCheckRow("median survival", diff, n, None,
                             "by design: lifelines takes the first time with S ≤ 0.5, R "
                             "(quantile.survfit) the middle of a stretch flat at 0.5"))
    return out


def _logrank_row(result, frame) -> list[CrossCheckRow]:
    if result.logrank is None:
        return []
    from lifelines.statistics import multivariate_logrank_test

    test = multivariate_logrank_test(frame.data["time"], frame.data["group"], frame.data["event"])
    return [CrossCheckRow("log-rank χ² and p",
                          *_largest([result.logrank.statistic, result.logrank.p],
                                    [test.test_statistic, test.p_value]), KM_TOL)]


def _cox_rows(result, frame) -> list[CrossCheckRow]:
    cox = result.cox
    if cox is None or not frame.coefficients:
        return []
    from lifelines import CoxPHFitter

    estimable = [j for j, t in enumerate(cox.terms) if t.estimable]
    if len(estimable) < len(cox.terms):
        return [CrossCheckRow("Cox model", None, 0, None,
                              "not compared: a coefficient is not estimable (its fit diverges)")]
    columns = [f"x{j + 1}" for j in range(len(frame.coefficients))]
    stratified = bool(getattr(cox, "strata", None)) and "strata" in frame.data
    data = frame.data[["time", "event", *columns, *(["strata"] if stratified else [])]]
    level = result.spec.conf_level if result.spec is not None else 0.95
    fitter = CoxPHFitter(alpha=1 - level).fit(
        data, duration_col="time", event_col="event",
        strata=["strata"] if stratified else None,
        fit_options={"precision": 1e-12, "max_steps": 500})
    summary = fitter.summary.loc[columns]
    app = np.array([[t.coef, t.se, t.hr, t.lower, t.upper, t.p] for t in cox.terms])
    lower, upper = (c for c in summary.columns if c.startswith("exp(coef) ") and "%" in c)
    other = summary[["coef", "se(coef)", "exp(coef)", lower, upper, "p"]].to_numpy()
    lr = fitter.log_likelihood_ratio_test()
    return [
        CrossCheckRow("Cox coefficients and standard errors",
                      *_largest(app[:, :2], other[:, :2]), COX_TOL),
        CrossCheckRow("Cox hazard ratios and confidence limits",
                      *_largest(app[:, 2:5], other[:, 2:5]), COX_TOL),
        CrossCheckRow("Cox Wald p-values", *_largest(app[:, 5], other[:, 5]), COX_TOL),
        CrossCheckRow("Cox likelihood-ratio test",
                      *_largest([cox.lr_test.statistic, cox.lr_test.p],
                                [lr.test_statistic, lr.p_value]), COX_TOL),
        CrossCheckRow("Cox concordance",
                      *_largest([cox.concordance], [fitter.concordance_index_]),
                      CONCORDANCE_TOL, "lifelines counts pairs tied on time differently"),
        CrossCheckRow("proportional-hazards test", None, 0, None,
                      "not compared: lifelines follows R survival < 3, the app cox.zph "
                      "of survival ≥ 3"),
    ]


def lifelines_cross_check(df: pd.DataFrame, result, cox_result=None) -> CrossCheck:
    """Recompute KM, log-rank and Cox of ``result`` (from ``analyze(df, spec)``) with lifelines.

    ``cox_result``, another analysis of ``df`` (the report's Hazard ratios model), supplies the
    Cox model instead of ``result``'s.

    Returns
    -------
    CrossCheck
        One row per quantity: the largest difference, how many numbers were compared, the
        tolerance (``None``: shown, not checked) and a note where lifelines differs by design.
    """
    import lifelines

    frame = analysis_frame(df, result.spec)
    cox_result = result if cox_result is None else cox_result
    cox_frame = frame if cox_result is result else analysis_frame(df, cox_result.spec)
    rows = (_km_rows(result, frame) + _logrank_row(result, frame)
            + _cox_rows(cox_result, cox_frame))
    return CrossCheck(rows=tuple(rows), lifelines_version=lifelines.__version__)


def format_cross_check(check: CrossCheck) -> str:
    """The cross-check as plain text (one line per quantity)."""
    lines = [f"Cross-check with lifelines {check.lifelines_version} (largest difference, "
             "relative; absolute below 1e-6):"]
    for row in check.rows:
        shown = "—" if row.difference is None else f"{row.difference:.1e}"
        status = "" if row.tolerance is None else ("  ok" if row.ok else "  DIFFERS")
        note = f"  ({row.note})" if row.note else ""
        lines.append(f"  {row.quantity}: {shown} over {row.compared} numbers{status}{note}")
    return "\n".join(lines)


def cross_check_frame(check: CrossCheck) -> pd.DataFrame:
    """The cross-check as a table (quantity, largest difference, numbers, tolerance, result)."""
    return pd.DataFrame({
        "Quantity": [row.quantity for row in check.rows],
        "Largest difference": ["—" if row.difference is None else f"{row.difference:.1e}"
                               for row in check.rows],
        "Numbers compared": [row.compared for row in check.rows],
        "Tolerance": ["shown only" if row.tolerance is None else f"{row.tolerance:.0e}"
                      for row in check.rows],
        "Result": ["" if row.tolerance is None else ("agrees" if row.ok else "DIFFERS")
                   for row in check.rows],
        "Note": [row.note for row in check.rows],
    })
