"""The analysis set of one analysis as plain numbers, for a reviewer to recompute elsewhere.

:func:`analysis_frame` redoes what :func:`~cohort_explorer.analysis.analyze` does before any
statistic (derive, filter, validity, exclusions, landmark, grouping, Cox design) and returns the
rows as a purely numeric table: ``time``, ``event`` (0/1), ``group`` (1-based index into the
group labels, reference first), ``strata`` (1-based code), ``x1``… (the Cox design columns, one
per coefficient), ``cut_x`` (the raw grouping column of an optimal cut), ``entry`` (delayed
entry), ``state`` (0 censored, 1 event, 2 competing event) and ``sub1``… (the level of each
``--subgroups`` variable, empty where it is missing). Times from dates are already times here. Column names,
labels and identifiers stay out of the table: they travel separately (``labels``,
``coefficients``), so a program reading the table never parses user text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cohort_explorer.analysis.analysis_set import analysis_set, group_spec, late_label
from cohort_explorer.analysis.analyze import _grouping
from cohort_explorer.analysis.design import build_design
from cohort_explorer.analysis.extras import apply_dates, check_options, restrict
from cohort_explorer.analysis.review_frames import patient_row, subgroup_codes
from cohort_explorer.analysis.stratify import category_levels, numeric_column
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.terms import parse_covariate

__all__ = ["AnalysisFrame", "analysis_frame"]


@dataclass(frozen=True)
class AnalysisFrame:
    """The rows an analysis used, as numbers, and the names that go with them.

    Attributes
    ----------
    data : pandas.DataFrame
        ``time``, ``event``, ``group`` and, when used, ``strata``, ``x1``…, ``cut_x``.
    labels : tuple of str
        Group labels; ``group`` = i means ``labels[i - 1]``; the first is the Cox reference.
    ranked : tuple of str
        The groups of the trend test in their natural order (weights 1…k).
    strata_levels : tuple of str
        ``strata`` = i means ``strata_levels[i - 1]``.
    coefficients : tuple of str
        The Cox coefficient of each design column ``x1``, ``x2``, … (the app's term names).
    terms : tuple of tuple of int
        The design columns (1-based) that form each model term, in model order.
    term_columns : tuple of str
        The data column of each model term (the grouping's first when it is in the model).
    covariate_terms : tuple of int
        Which model terms (1-based) are ``--covariates`` (the others: the grouping).
    subgroup_levels : tuple of tuple of str
        ``sub1`` = i means ``subgroup_levels[0][i - 1]``, and so on.
    patient : tuple of float, optional
        The ``--predict`` patient's values of ``x1``, ``x2``, ….
    """

    data: pd.DataFrame
    labels: tuple[str, ...]
    ranked: tuple[str, ...]
    strata_levels: tuple[str, ...]
    coefficients: tuple[str, ...]
    terms: tuple[tuple[int, ...], ...]
    term_columns: tuple[str, ...] = ()
    covariate_terms: tuple[int, ...] = ()
    subgroup_levels: tuple[tuple[str, ...], ...] = ()
    patient: tuple[float, ...] | None = None

    def to_csv_bytes(self) -> bytes:
        """The numbers as CSV (UTF-8, ``\\n``, full double precision)."""
        return self.data.to_csv(index=False, lineterminator="\n",
                                float_format="%.17g").encode("utf-8")


def analysis_frame(df: pd.DataFrame, spec: AnalysisSpec) -> AnalysisFrame:
    """The analysis set of ``analyze(df, spec)`` as a numeric table (see the module doc)."""
    check_options(spec)
    df, spec, date_reasons = apply_dates(df, spec)
    terms = [parse_covariate(t) for t in spec.covariates]
    aset, extras = restrict(analysis_set(df, spec, terms), spec, date_reasons)
    grouping, found_cut, natural = _grouping(aset, spec)
    out = pd.DataFrame({"time": aset.time.astype(float), "event": aset.event.astype(int),
                        "group": grouping.codes.astype(int) + 1})
    if extras.entry is not None:
        out["entry"] = extras.entry.astype(float)
    if extras.state is not None:
        out["state"] = extras.state.astype(int)
    strata_levels: tuple[str, ...] = ()
    if spec.strata:
        values = aset.data[spec.strata].astype(str)
        strata_levels = tuple(category_levels(values))
        out["strata"] = values.map({v: i + 1 for i, v in enumerate(strata_levels)}).to_numpy()
    design, term_groups = build_design(aset.data, terms,
                                       grouping if len(grouping.labels) > 1 else None)
    names = list(design.columns)
    for j, name in enumerate(names):
        out[f"x{j + 1}"] = design[name].to_numpy(float)
    groups = tuple(tuple(names.index(c) + 1 for c in members) for members in term_groups.values())
    in_model = len(grouping.labels) > 1 and bool(term_groups)
    term_columns = ((grouping.column,) if in_model else ()) + tuple(t.column for t in terms)
    covariate_terms = tuple(range(2 if in_model else 1, len(term_columns) + 1))
    if spec.spline:
        out["spline_x"] = numeric_column(aset.data, spec.spline).to_numpy(float)
    if found_cut is not None:
        column = group_spec(aset.data, spec.group_by).column
        out["cut_x"] = numeric_column(aset.data, column).to_numpy(float)
    subgroups, subgroup_levels = subgroup_codes(aset, spec) if spec.subgroups else ({}, ())
    for name, codes in subgroups.items():
        out[name] = codes
    patient = (patient_row(aset, spec, terms, grouping, natural)
               if spec.predict and names else None)
    late = late_label(spec) if spec.landmark_from is not None else None
    ranked = tuple(label for label in natural if label != late)
    return AnalysisFrame(data=out.reset_index(drop=True), labels=tuple(grouping.labels),
                         ranked=ranked, strata_levels=strata_levels,
                         coefficients=tuple(names), terms=groups,
                         term_columns=term_columns[:len(groups)],
                         covariate_terms=covariate_terms[:len(groups)],
                         subgroup_levels=subgroup_levels, patient=patient)

