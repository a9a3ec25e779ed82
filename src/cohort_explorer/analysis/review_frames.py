"""The extra numbers a reviewer's R script needs for the deeper analyses.

Beside the analysis set of :func:`~cohort_explorer.analysis.analysis_frame.analysis_frame`:

- :func:`subgroup_codes`: per ``--subgroups`` variable, its level of every row of the analysis
  set (1-based, empty where the variable is missing) coded exactly as the subgroup forest codes
  it, and the level labels;
- :func:`patient_row`: the ``--predict`` patient as a row of the Cox design (``x1``…);
- :func:`screen_frame`: the univariable screen's rows — each term has its own complete cases —
  as one numeric table: ``time``, ``event`` and the design columns of every term, empty where a
  row is not among that term's complete cases.

Like the analysis set, these hold numbers only: labels and names travel separately.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cohort_explorer.analysis.analysis_set import AnalysisSet, analysis_set, group_spec
from cohort_explorer.analysis.design import build_design
from cohort_explorer.analysis.extras import apply_dates
from cohort_explorer.analysis.prediction_input import design_row
from cohort_explorer.analysis.stratify import Grouping, group_rows
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.terms import Term, parse_covariate

__all__ = ["ScreenFrame", "patient_row", "screen_frame", "subgroup_codes"]


def subgroup_codes(aset: AnalysisSet, spec: AnalysisSpec
                   ) -> tuple[dict[str, np.ndarray], tuple[tuple[str, ...], ...]]:
    """``({"sub1": codes, ...}, (levels of sub1, ...))`` for ``spec.subgroups``.

    Codes are 1-based into the levels, NaN where the variable is missing (rows the forest
    leaves out), computed on the rows where it is present, as the forest does.
    """
    columns: dict[str, np.ndarray] = {}
    levels: list[tuple[str, ...]] = []
    for k, text in enumerate(spec.subgroups, start=1):
        sspec = group_spec(aset.data, text)
        present = aset.data[sspec.column].notna().to_numpy()
        sub = group_rows(aset.data.loc[present], sspec)
        codes = np.full(present.size, np.nan)
        codes[present] = np.asarray(sub.codes) + 1
        columns[f"sub{k}"] = codes
        levels.append(tuple(str(label) for label in sub.labels))
    return columns, tuple(levels)


def patient_row(aset: AnalysisSet, spec: AnalysisSpec, terms: list[Term], grouping: Grouping,
                natural) -> tuple[float, ...]:
    """The ``--predict`` patient's design row (the columns ``x1``… of the analysis set)."""
    return tuple(float(v) for v in design_row(aset, spec, terms, grouping, natural))


@dataclass(frozen=True)
class ScreenFrame:
    """The screen's rows as numbers: ``time``, ``event``, ``s1_1``… (term 1's columns), …

    Attributes
    ----------
    data : pandas.DataFrame
    terms : tuple of tuple of str
        The design columns of each screened term, in ``--screen`` order.
    coefficients : tuple of tuple of str
        The app's coefficient names of each term (labels for the printout).
    """

    data: pd.DataFrame
    terms: tuple[tuple[str, ...], ...]
    coefficients: tuple[tuple[str, ...], ...]

    def to_csv_bytes(self) -> bytes:
        """The numbers as CSV (UTF-8, ``\\n``, full double precision, empty = missing)."""
        return self.data.to_csv(index=False, lineterminator="\n",
                                float_format="%.17g").encode("utf-8")


def screen_frame(df: pd.DataFrame, spec: AnalysisSpec) -> ScreenFrame:
    """The rows of every screened term, as ``analyze`` screens them."""
    df, spec, _ = apply_dates(df, spec)
    own = replace(spec, group_by=None, covariates=(), strata=None, response_time_col=None,
                  spline=None, subgroups=(), screen=(), predict=(), bootstrap=None)
    df = df.reset_index(drop=True)  # rows are matched by position across the terms
    base = analysis_set(df, own, [])
    out = pd.DataFrame({"time": np.asarray(base.time, dtype=float),
                        "event": np.asarray(base.event, dtype=int)}, index=base.data.index)
    terms, names = [], []
    for k, text in enumerate(spec.screen, start=1):
        aset = analysis_set(df, own, [parse_covariate(text)])
        design, _ = build_design(aset.data, [parse_covariate(text)], None)
        columns = [f"s{k}_{j}" for j in range(1, design.shape[1] + 1)]
        block = design.set_axis(columns, axis=1).astype(float)
        for column in columns:
            out[column] = block[column].reindex(out.index)
        terms.append(tuple(columns))
        names.append(tuple(str(c) for c in design.columns))
    return ScreenFrame(data=out.reset_index(drop=True), terms=tuple(terms),
                       coefficients=tuple(names))
