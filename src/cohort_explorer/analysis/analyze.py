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
from cohort_explorer.analysis.intervals import GroupInterval, grouping_intervals
from cohort_explorer.analysis.notices import (
    duplicate_id_notices,
    group_notices,
    ph_notices,
    run_notices,
)
from cohort_explorer.analysis.plausibility import plausibility_warnings
from cohort_explorer.analysis.staged import PendingModels, complete
from cohort_explorer.analysis.stratify import (
    Grouping,
    cut_grouping,
    group_rows,
    move_reference,
    numeric_column,
)
from cohort_explorer.errors import OptionError
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.terms import parse_covariate
from cohort_explorer.stats import cutpoint
from cohort_explorer.stats.entry import kaplan_meier_entry

__all__ = ["GroupResult", "Excluded", "RMSTDifference", "AnalysisResult", "analyze",
           "analyze_in_stages"]





@dataclass(frozen=True)
class GroupResult(Result):
    label: str
    n: int
    events: int
    median: stats.Estimate
    landmarks: tuple[stats.Landmark, ...]
    rmst: stats.RMST | None
    km: stats.KaplanMeier
    #: The grouping column's values in this group (numeric groupings), else None.
    interval: GroupInterval | None = None


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
        out["notices"] = [jsonable(n.to_dict()) if hasattr(n, "to_dict")
                          else {"code": "warning", "severity": "warning", "fields": {},
                                "message": str(n)} for n in self.warnings]
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
    import importlib
    import platform

    out = {"cohort_explorer": __version__, "python": platform.python_version()}
    for name in ("numpy", "pandas", "scipy"):  # __version__: no metadata file to parse
        out[name] = str(importlib.import_module(name).__version__)
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


def _intervals(aset: AnalysisSet, spec: AnalysisSpec, grouping: Grouping,
               natural: tuple[str, ...]) -> dict[str, GroupInterval]:
    """The interval of each group of a numeric grouping (``groups[].interval``), by label."""
    if spec.group_by is None:
        return {}
    gspec = group_spec(aset.data, spec.group_by)
    if gspec.kind not in ("quartiles", "tertiles", "median", "q1-vs-rest", "cut", "optimal"):
        return {}
    x = numeric_column(aset.data, gspec.column).to_numpy()
    return grouping_intervals(gspec.kind, natural, grouping.breaks, x)


def _group_result(label, time, event, spec: AnalysisSpec, entry=None,
                  interval: GroupInterval | None = None) -> GroupResult:
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
        interval=interval,
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


_ph_warnings = ph_notices  # the name engines.pushdown imports


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
    return complete(*analyze_in_stages(df, spec, progress=progress))


def analyze_in_stages(df: pd.DataFrame, spec: AnalysisSpec, *,
                      progress=None) -> tuple[AnalysisResult, PendingModels | None]:
    """:func:`analyze` without its Cox model and PH test, and what they need
    (``analysis.staged.complete`` adds them: the curves can be shown first)."""
    if spec.conf_type not in ("log-log", "log", "plain"):
        raise OptionError(f"--conf-type {spec.conf_type}: use log-log, log or plain",
            code="conf_type_unknown", fields={"value": spec.conf_type})
    check_landmark_options(spec)
    check_options(spec)
    df, spec, date_reasons = apply_dates(df, spec)
    terms = [parse_covariate(t) for t in spec.covariates]
    aset, extras = restrict(analysis_set(df, spec, terms), spec, date_reasons)
    grouping, found_cut, natural = _grouping(aset, spec)
    intervals = _intervals(aset, spec, grouping, natural)
    groups = tuple(
        _group_result(label, aset.time[grouping.codes == i], aset.event[grouping.codes == i], spec,
                      None if extras.entry is None else extras.entry[grouping.codes == i],
                      intervals.get(label))
        for i, label in enumerate(grouping.labels)
    )
    events = int(aset.event.sum())
    run = run_notices(events=events, n_groups=len(groups), spec=spec, column=grouping.column,
                      found_cut=found_cut, competing=None)
    warnings = duplicate_id_notices(aset.data) + group_notices(groups, spec.rmst_tau)
    warnings += run["early"]
    tests = (_tests(aset, grouping, natural, spec) if extras.entry is None
             else entry_tests(aset, extras, grouping, natural, spec))
    pending = None
    design, term_groups = build_design(aset.data, terms, grouping if len(groups) > 1 else None)
    if events > 0 and design.shape[1] > 0:
        strata = aset.data[spec.strata].astype(str).to_numpy() if spec.strata else None
        pending = PendingModels(aset.time, aset.event, design, term_groups, extras.entry, strata,
                                spec.strata, tuple(spec.covariates), spec.conf_level,
                                position=len(warnings))
    warnings += run["late"]
    competing, fine_gray = competing_results(aset, grouping, extras, spec, design)
    warnings += date_warnings(date_reasons, spec)
    warnings += plausibility_warnings(aset.time, spec.time_col, tests.get("logrank"))
    if competing is not None:
        warnings += run_notices(events=events, n_groups=len(groups), spec=spec,
                                column=grouping.column, found_cut=None,
                                competing=competing.competing)["competing"]
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
        competing=competing,
        fine_gray=fine_gray,
        entry=spec.entry_col,
        warnings=tuple(warnings),
        software=software_versions(),
        group_column=grouping.column or None,
        spec=spec,
        **extra,
    ), pending
