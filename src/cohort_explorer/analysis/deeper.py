"""The deeper analyses of ``analyze``: cut-point explorer, spline, subgroup forest, screen,
landmark differences and one patient's predicted survival (conventions in docs/methods.md).

Each part runs only when its option is given (``--bootstrap``, ``--spline``, ``--subgroups``,
``--screen``, ``--predict``; landmark differences whenever there are landmarks and at least two
groups) and returns result objects for :class:`~cohort_explorer.analysis.analyze.AnalysisResult`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from cohort_explorer.analysis.analysis_set import AnalysisSet, analysis_set, group_spec
from cohort_explorer.analysis.design import build_design
from cohort_explorer.analysis.prediction_input import predict_patient
from cohort_explorer.analysis.stratify import Grouping, group_rows, numeric_column
from cohort_explorer.blas import one_blas_thread
from cohort_explorer.errors import CohortError, OptionError
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.terms import Term, parse_covariate
from cohort_explorer.stats.cox import fit_cox
from cohort_explorer.stats.cox.refit import SortedCohort
from cohort_explorer.stats.cut_explorer import DEFAULT_SEED, bootstrap_cutpoint, candidate_hrs
from cohort_explorer.stats.landmark_diff import landmark_differences
from cohort_explorer.stats.screen import ScreenRow, bh_adjust
from cohort_explorer.stats.spline import cox_spline
from cohort_explorer.stats.subgroups import subgroup_forest

__all__ = ["DEEPER_KEYS", "deeper_analyses", "drop_unasked"]

DEEPER_KEYS = ("landmark_differences", "spline", "subgroups", "screen", "prediction")


def drop_unasked(out: dict[str, Any]) -> None:
    """JSON: new keys only when asked (``cox.strata``, ``cutpoint.bootstrap``); no plot-only
    arrays (the spline's rug of patient values, the predicted curve)."""
    for key, field in (("spline", "rug"), ("prediction", "curve")):
        if out.get(key) is not None:
            out[key].pop(field, None)
    if out.get("cox") is not None and out["cox"].get("strata") is None:
        del out["cox"]["strata"]
    if out.get("cutpoint") is not None and out["cutpoint"].get("bootstrap") is None:
        del out["cutpoint"]["bootstrap"]


def _cutpoint(aset: AnalysisSet, spec: AnalysisSpec, found, progress):
    if found is None:
        if spec.bootstrap is not None:
            raise OptionError("--bootstrap resamples the optimal cut point: use it with "
                              "--group-by COL:optimal",
            code="bootstrap_needs_optimal", fields={})
        return None
    x = numeric_column(aset.data, found.column).to_numpy()
    found = replace(found, hrs=candidate_hrs(aset.time, aset.event, x, found.candidates),
                    quartiles=np.quantile(x, [0.25, 0.5, 0.75]))
    if spec.bootstrap is not None:
        seed = DEFAULT_SEED if spec.seed is None else spec.seed
        found = replace(found, bootstrap=bootstrap_cutpoint(
            aset.time, aset.event, x, cutpoint=found.cutpoint, B=spec.bootstrap, seed=seed,
            progress=progress))
    return found


def _covariate_design(data: pd.DataFrame, terms: list[Term], skip: str) -> pd.DataFrame:
    kept = [t for t in terms if t.column != skip]
    return build_design(data, kept, None)[0] if kept else pd.DataFrame(index=data.index)


def _spline(aset: AnalysisSet, spec: AnalysisSpec, terms: list[Term]):
    column = spec.spline
    if column not in aset.data.columns:
        raise OptionError(f"--spline {column}: no such column in the data",
            code="unknown_column", fields={"column": column})
    x = numeric_column(aset.data, column).to_numpy()
    keep = np.isfinite(x)
    data = aset.data.loc[keep]
    cov = _covariate_design(data, terms, column)
    return cox_spline(aset.time[keep], aset.event[keep], x[keep],
                      cov.to_numpy(dtype=float) if cov.shape[1] else None, column=column,
                      adjusted_for=tuple(spec.covariates), conf_level=spec.conf_level)


def _subgroup(aset: AnalysisSet, spec: AnalysisSpec, terms: list[Term], grouping: Grouping,
              text: str, cohort: SortedCohort):
    if len(grouping.labels) < 2:
        raise OptionError("--subgroups compares the groups within subgroups: give a "
                          "--group-by with at least two groups",
            code="subgroups_need_groups", fields={})
    sspec = group_spec(aset.data, text)
    if sspec.column not in aset.data.columns:
        raise OptionError(f"--subgroups {text}: no column '{sspec.column}' in the data",
            code="unknown_column", fields={"column": sspec.column})
    if sspec.kind == "optimal":
        raise OptionError(f"--subgroups {text}: an optimal cut is not a subgroup; use "
                          ":median, :quartiles or :cut=",
            code="subgroups_optimal_cut", fields={"column": sspec.column})
    present = aset.data[sspec.column].notna().to_numpy()
    data = aset.data.loc[present]
    sub = group_rows(data, sspec, role="subgroup")
    if len(sub.labels) < 2:
        only = sub.labels[0] if sub.labels else "none"
        raise OptionError(f"--subgroups {text}: {sspec.column} has one level ({only}) in the "
                          "analysis set; a subgroup forest needs at least two",
                          code="subgroup_one_level", column=sspec.column, level=only)
    cov = _covariate_design(data, terms, sspec.column)
    return subgroup_forest(aset.time[present], aset.event[present], grouping.codes[present],
                           grouping.labels, grouping.column, sub.codes, sub.labels, sspec.column,
                           cov, conf_level=spec.conf_level,
                           cohort=cohort if present.all() else cohort.subset(present))


def _screen(df: pd.DataFrame, spec: AnalysisSpec) -> tuple[ScreenRow, ...]:
    own = replace(spec, group_by=None, covariates=(), strata=None, response_time_col=None,
                  spline=None, subgroups=(), screen=(), predict=(), bootstrap=None)
    rows = []
    for text in spec.screen:
        term = parse_covariate(text)
        aset = analysis_set(df, own, [term])
        design, groups = build_design(aset.data, [term], None)
        try:
            fit = fit_cox(aset.time, aset.event, design, term_groups=groups,
                          conf_level=spec.conf_level)
        except CohortError as error:
            raise OptionError(f"--screen {text}: {error}",
            code="screen_term_failed", fields={"term": text, "problem": error.code, "problem_fields": dict(error.fields)}) from None
        lr_p = fit.lr_test.p if all(t.estimable for t in fit.terms) else np.nan
        rows.append(ScreenRow(term=text, n=fit.n, events=fit.events, lr_statistic=
                              fit.lr_test.statistic, lr_df=fit.lr_test.df, lr_p=lr_p,
                              q=np.nan, coefficients=fit.terms))
    q = bh_adjust([r.lr_p for r in rows])
    return tuple(replace(r, q=float(v)) for r, v in zip(rows, q, strict=True))


def deeper_analyses(df: pd.DataFrame, aset: AnalysisSet, spec: AnalysisSpec,
                    terms: list[Term], grouping: Grouping, natural: tuple[str, ...],
                    groups, found, progress=None) -> dict[str, Any]:
    """The optional parts of the result (``None`` when not asked) and their warnings.

    Their many Cox refits run with BLAS on one thread (:mod:`cohort_explorer.blas`); with
    none asked (no refits) threadpoolctl is not entered (its look-up of the libraries: ~40 ms).
    """
    if found is None and not (spec.spline or spec.subgroups or spec.screen or spec.predict):
        return _deeper(df, aset, spec, terms, grouping, natural, groups, found, progress)
    with one_blas_thread():
        return _deeper(df, aset, spec, terms, grouping, natural, groups, found, progress)


def _deeper(df, aset, spec, terms, grouping, natural, groups, found, progress):
    asked = [name for name, on in (("--spline", spec.spline), ("--subgroups", spec.subgroups),
                                   ("--screen", spec.screen), ("--predict", spec.predict),
                                   ("--strata", spec.strata)) if on]
    if spec.entry_col and asked:
        raise OptionError(f"{', '.join(asked)} with --entry (delayed entry) is not available "
                          "yet; drop --entry or these options",
            code="entry_not_combinable", fields={"options": [name.lstrip("-") for name in asked]})
    out: dict[str, Any] = {"cutpoint": _cutpoint(aset, spec, found, progress), "warnings": []}
    curves = [(g.label, g.km) for g in groups]
    out["landmark_differences"] = (landmark_differences(curves, list(spec.landmarks),
                                                        spec.conf_level)
                                   if spec.landmarks and len(groups) > 1 else None)
    out["spline"] = _spline(aset, spec, terms) if spec.spline else None
    if spec.subgroups:  # one time sort of the analysis set for every subgroup variable
        cohort = SortedCohort(aset.time, aset.event)
        out["subgroups"] = tuple(_subgroup(aset, spec, terms, grouping, s, cohort)
                                 for s in spec.subgroups)
    else:
        out["subgroups"] = None
    out["screen"] = _screen(df, spec) if spec.screen else None
    out["prediction"] = None
    if spec.predict:
        if spec.strata:
            raise OptionError("--predict with --strata is not available: the stratified model "
                              "has one baseline per stratum; drop --strata to predict",
            code="predict_with_strata", fields={})
        out["prediction"] = predict_patient(aset, spec, terms, grouping, natural)
        out["warnings"] += list(out["prediction"].warnings)
    return out

