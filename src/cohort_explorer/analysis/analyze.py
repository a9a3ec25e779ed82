"""One analysis function, called by both the CLI and the app, so they never disagree.

``analyze(df, spec)`` takes a DataFrame and an :class:`AnalysisSpec` (the same vocabulary as the
CLI options in ``docs/methods.md``) and returns an :class:`AnalysisResult` whose ``to_dict()`` is
the CLI's JSON contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cohort_explorer import __version__, stats
from cohort_explorer._result import Result, jsonable
from cohort_explorer.analysis.analysis_set import (
    AnalysisSet,
    Excluded,
    analysis_set,
    check_landmark_options,
    group_spec,
    late_label,
)
from cohort_explorer.analysis.competing import competing_results, entry_tests
from cohort_explorer.analysis.deeper import DEEPER_KEYS, deeper_analyses, drop_unasked
from cohort_explorer.analysis.design import build_design
from cohort_explorer.analysis.extras import apply_dates, check_options, date_warnings, restrict
from cohort_explorer.analysis.stratify import (
    Grouping,
    cut_grouping,
    group_rows,
    move_reference,
    numeric_column,
)
from cohort_explorer.data.identifiers import is_id_column_name
from cohort_explorer.errors import CohortError, OptionError
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.terms import parse_covariate
from cohort_explorer.stats import cutpoint
from cohort_explorer.stats.cox import fit_cox, proportional_hazards_test
from cohort_explorer.stats.entry import kaplan_meier_entry

__all__ = ["GroupResult", "Excluded", "RMSTDifference", "AnalysisResult", "analyze"]



RESPONSE_WORDS = ("response", "resp", "remission")


@dataclass(frozen=True)
class GroupResult(Result):
    label: str
    n: int
    events: int
    median: stats.Estimate
    landmarks: tuple[stats.Landmark, ...]
    rmst: stats.RMST | None
    km: stats.KaplanMeier


@dataclass(frozen=True)
class RMSTDifference(Result):
    """RMST of ``group`` minus that of ``reference`` up to ``tau``; se = sqrt(se1^2 + se2^2)."""

    group: str
    reference: str
    tau: float
    estimate: float
    se: float
    lower: float
    upper: float
    p: float


@dataclass(frozen=True)
class AnalysisResult(Result):
    n: int
    events: int
    excluded: Excluded
    filtered: int
    follow_up: stats.FollowUp | None
    groups: tuple[GroupResult, ...]
    logrank: stats.LogRank | None
    trend: stats.LogRank | None = None
    pairwise: tuple[stats.PairwiseLogRank, ...] | None = None
    stratified_logrank: stats.LogRank | None = None
    rmst_differences: tuple[RMSTDifference, ...] | None = None
    cox: Any = None  # cox.CoxResult | None
    ph_test: Any = None  # cox.PHTest | None: R cox.zph(transform="km") of that model
    cutpoint: cutpoint.Cutpoint | None = None
    competing: Any = None  # analysis.competing.CompetingResult | None
    fine_gray: Any = None  # stats.fine_gray.FineGray | None
    entry: str | None = None  # the entry-time column when delayed entry is used
    landmark_differences: tuple | None = None  # deeper.py: the optional analyses of issue 10
    spline: Any = None
    subgroups: tuple | None = None
    screen: tuple | None = None
    prediction: Any = None
    warnings: tuple[str, ...] = ()
    software: dict[str, str] = field(default_factory=dict)
    group_column: str | None = None
    spec: AnalysisSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON contract (``docs/methods.md``): optional parts only when asked for."""
        out = jsonable({k: v for k, v in self.__dict__.items() if k != "spec"})
        for group in out["groups"]:
            if group["rmst"] is None:
                del group["rmst"]
        for key in ("trend", "pairwise", "stratified_logrank", "rmst_differences", "cutpoint",
                    "ph_test", "competing", "fine_gray", "entry",
                    *DEEPER_KEYS):
            if out[key] is None:
                del out[key]
        drop_unasked(out)
        if self.competing is not None:
            out["competing"] = self.competing.to_dict()
        return out


def software_versions() -> dict[str, str]:
    """Versions of the packages that computed the numbers (for reports and JSON)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"cohort_explorer": __version__, "python": platform.python_version()}
    for name in ("numpy", "pandas", "scipy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are requirements
            continue
    return out


def _grouping(aset: AnalysisSet, spec: AnalysisSpec) -> tuple[Grouping, Any, tuple[str, ...]]:
    """The groups (reference first), the optimal cut if asked, and the groups' natural order.

    The natural order (quantiles ascending, ``:order=``, sorted categories) scores the trend
    test: choosing another Cox reference must not change it.
    """
    if spec.group_by is None:
        return Grouping("", ("All",), np.zeros(len(aset.time), dtype=int)), None, ("All",)
    gspec = group_spec(aset.data, spec.group_by)
    if gspec.kind == "order" and spec.landmark_from is not None and spec.response_time_col:
        gspec = replace(gspec, values=(*gspec.values, late_label(spec)))
    found = None
    if gspec.kind == "optimal":
        x = numeric_column(aset.data, gspec.column).to_numpy()
        found = cutpoint.optimal_cutpoint(aset.time, aset.event, x, column=gspec.column)
        grouping = cut_grouping(gspec.column, x, [found.cutpoint])
    else:
        grouping = group_rows(aset.data, gspec)
    return move_reference(grouping, spec.reference), found, grouping.labels


def _group_result(label, time, event, spec: AnalysisSpec, entry=None) -> GroupResult:
    if entry is None:
        km = stats.kaplan_meier(time, event, conf_level=spec.conf_level, conf_type=spec.conf_type)
    else:
        km = kaplan_meier_entry(entry, time, event, conf_level=spec.conf_level,
                                conf_type=spec.conf_type)
    rmst = None
    if spec.rmst_tau is not None:
        rmst = stats.restricted_mean(km, spec.rmst_tau, conf_level=spec.conf_level)
    return GroupResult(
        label=label,
        n=int(time.size),
        events=int(event.sum()),
        median=stats.survival_quantile(km, 0.5),
        landmarks=stats.landmark_survival(km, list(spec.landmarks)),
        rmst=rmst,
        km=km,
    )


def _rmst_differences(groups: tuple[GroupResult, ...], conf_level: float):
    """Each group's RMST minus the reference group's (the first), Wald CI and p."""
    if len(groups) < 2 or groups[0].rmst is None:
        return None
    from cohort_explorer.stats.distributions import norm_ppf, norm_sf

    z = norm_ppf(1 - (1 - conf_level) / 2)
    ref = groups[0]
    out = []
    for g in groups[1:]:
        estimate = g.rmst.estimate - ref.rmst.estimate
        se = float(np.hypot(g.rmst.se, ref.rmst.se))
        p = float(2 * norm_sf(abs(estimate / se))) if se > 0 else float("nan")
        out.append(RMSTDifference(g.label, ref.label, g.rmst.tau, estimate, se,
                                  estimate - z * se, estimate + z * se, p))
    return tuple(out)


def _group_warnings(groups: tuple[GroupResult, ...], spec: AnalysisSpec) -> list[str]:
    warnings = []
    if len(groups) > 1:
        for g in groups:
            if g.n < 10:
                warnings.append(
                    f"Group {g.label} has only {g.n} patients: estimates are imprecise; "
                    "read its p-value and hazard ratio with caution."
                )
            if g.events == 0:
                warnings.append(
                    f"Group {g.label} has no events: its median is not reached and its hazard "
                    "ratio is not estimable."
                )
    if spec.rmst_tau is not None:
        warnings += [
            f"RMST: tau {spec.rmst_tau:g} is beyond the last follow-up time of group {g.label}; "
            "the curve is carried forward (as R does)."
            for g in groups if g.rmst is not None and g.rmst.truncated
        ]
    return warnings


def _duplicate_id_warnings(df: pd.DataFrame) -> list[str]:
    """Warn (counts only, no values) when a patient-ID column repeats an ID."""
    out = []
    for column in df.columns:
        if is_id_column_name(column):
            repeated = int(df[column].dropna().duplicated().sum())
            if repeated:
                out.append(
                    f"{repeated} row(s) repeat a patient ID already seen in '{column}'. The "
                    "analysis assumes one row per patient: remove or merge the repeated rows."
                )
    return out


def _ph_test(aset: AnalysisSet, design: pd.DataFrame, cox, term_groups):
    """R ``cox.zph(transform = "km")`` of the fitted model, or None when nothing is testable."""
    if not any(t.estimable for t in cox.terms):
        return None
    try:
        return proportional_hazards_test(aset.time, aset.event, design, cox,
                                         term_groups=term_groups)
    except (CohortError, np.linalg.LinAlgError):
        return None


def _ph_warnings(ph) -> list[str]:
    """A warning naming the terms whose Schoenfeld test (R ``cox.zph``) has p < 0.05."""
    violated = [] if ph is None else [label for label, test in ph.terms if test.p < 0.05]
    if not violated:
        return []
    return [f"Proportional hazards may not hold for {', '.join(violated)} (scaled Schoenfeld "
            "residuals, R cox.zph, p < 0.05): the hazard ratio averages an effect that changes "
            "over time; look at the Kaplan-Meier curves and the proportional-hazards check."]


def _is_post_baseline(column: str) -> bool:
    return any(word in column.lower() for word in RESPONSE_WORDS)


def _trend(aset, labels: np.ndarray, natural: tuple[str, ...], spec: AnalysisSpec):
    """Trend over the groups in their natural order; "not reached by L" has no rank."""
    ranked = [label for label in natural
              if not (spec.landmark_from is not None and label == late_label(spec))]
    keep = np.isin(labels, ranked)
    if len(ranked) < 2:
        raise OptionError("The trend test needs at least two ordered groups")
    return stats.logrank_trend(aset.time[keep], aset.event[keep], labels[keep], levels=ranked)


def _tests(aset, grouping: Grouping, natural: tuple[str, ...], spec: AnalysisSpec) -> dict[str, Any]:
    labels = grouping.label_array()
    levels = list(grouping.labels)
    two_groups = len(levels) > 1
    needs_two = [name for name, wanted in (("trend", spec.trend), ("pairwise", spec.pairwise)) if wanted]
    if needs_two and not two_groups:
        raise OptionError(f"The {' and '.join(needs_two)} test needs at least two groups; there is one")
    if not two_groups or aset.event.sum() == 0:
        return {}
    out: dict[str, Any] = {"logrank": stats.logrank_test(aset.time, aset.event, labels, levels=levels)}
    if spec.trend:
        out["trend"] = _trend(aset, labels, natural, spec)
    if spec.pairwise:
        out["pairwise"] = stats.pairwise_logrank(
            aset.time, aset.event, labels, levels=list(natural), method=spec.pairwise
        )
    if spec.strata:
        strata = aset.data[spec.strata].astype(str).to_numpy()
        out["stratified_logrank"] = stats.logrank_test(
            aset.time, aset.event, labels, levels=levels, strata=strata
        )
    return out


def analyze(df: pd.DataFrame, spec: AnalysisSpec, *, progress=None) -> AnalysisResult:
    """Run the analysis described by ``spec`` on ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient.
    spec : AnalysisSpec
        The choices, in the vocabulary of the CLI.
    progress : callable, optional
        ``progress(done, total)`` during the cut-point bootstrap; returning False cancels it
        (:class:`~cohort_explorer.stats.cut_explorer.BootstrapCancelled`).

    Returns
    -------
    AnalysisResult
        Groups with Kaplan–Meier curves, medians, landmarks (and RMST); log-rank tests; a Cox
        model of the grouping and covariates; the optimal cut point when asked; warnings.

    Raises
    ------
    CohortError
        Anything the user can fix (unknown column, bad option, nothing analysable).
    """
    if spec.conf_type not in ("log-log", "log", "plain"):
        raise OptionError(f"--conf-type {spec.conf_type}: use log-log, log or plain")
    check_landmark_options(spec)
    check_options(spec)
    df, spec, date_reasons = apply_dates(df, spec)
    terms = [parse_covariate(t) for t in spec.covariates]
    aset, extras = restrict(analysis_set(df, spec, terms), spec, date_reasons)
    grouping, found_cut, natural = _grouping(aset, spec)
    groups = tuple(
        _group_result(label, aset.time[grouping.codes == i], aset.event[grouping.codes == i], spec,
                      None if extras.entry is None else extras.entry[grouping.codes == i])
        for i, label in enumerate(grouping.labels)
    )
    warnings = _duplicate_id_warnings(aset.data) + _group_warnings(groups, spec)
    events = int(aset.event.sum())
    if events == 0:
        warnings.append("All patients are censored: no medians, tests or hazard ratios.")
    if len(groups) == 1 and spec.group_by:
        warnings.append(f"Only one group in {grouping.column}: no log-rank test.")
    tests = (_tests(aset, grouping, natural, spec) if extras.entry is None
             else entry_tests(aset, extras, grouping, natural, spec))
    cox = ph_test = None
    design, term_groups = build_design(aset.data, terms, grouping if len(groups) > 1 else None)
    if events > 0 and design.shape[1] > 0:
        strata = aset.data[spec.strata].astype(str).to_numpy() if spec.strata else None
        cox = fit_cox(aset.time, aset.event, design, term_groups=term_groups,
                      conf_level=spec.conf_level, entry=extras.entry, strata=strata)
        cox = replace(cox, strata=spec.strata)
        ph_test = (None if extras.entry is not None or spec.strata
                   else _ph_test(aset, design, cox, term_groups))
        warnings += list(cox.warnings) + _ph_warnings(ph_test)
    if spec.group_by and _is_post_baseline(grouping.column) and spec.landmark_from is None:
        warnings.append(
            f"Grouping by {grouping.column} (measured after time zero) risks immortal-time bias: "
            "patients must survive long enough to respond. Use a landmark analysis."
        )
    if found_cut is not None:
        warnings.append(
            f"The cut point {found_cut.cutpoint:g} was chosen to maximise the log-rank statistic; "
            f"its naive log-rank p is not valid alone. Corrected p (Lau94) = {found_cut.p_corrected:.3g}."
        )
    competing, fine_gray = competing_results(aset, grouping, extras, spec, design)
    warnings += date_warnings(date_reasons, spec)
    if competing is not None:
        warnings.append(f"{competing.competing} is a competing event: the Cox model is "
                        "cause-specific (competing events censored); the cumulative incidence "
                        "gives the probability of the event of interest.")
    extra = deeper_analyses(df, aset, spec, terms, grouping, natural, groups, found_cut, progress)
    warnings += extra.pop("warnings")
    follow_up = stats.median_follow_up(aset.time, aset.event)
    return AnalysisResult(
        n=int(aset.time.size),
        events=events,
        excluded=aset.excluded,
        filtered=aset.filtered,
        follow_up=follow_up,
        groups=groups,
        logrank=tests.get("logrank"),
        trend=tests.get("trend"),
        pairwise=tests.get("pairwise"),
        stratified_logrank=tests.get("stratified_logrank"),
        rmst_differences=_rmst_differences(groups, spec.conf_level),
        cox=cox,
        ph_test=ph_test,
        competing=competing,
        fine_gray=fine_gray,
        entry=spec.entry_col,
        warnings=tuple(warnings),
        software=software_versions(),
        group_column=grouping.column or None,
        spec=spec,
        **extra,
    )
