"""The rows of a Cox model as a reader sees them: each variable, its levels, n and events.

A forest plot or a Cox table in the style of survminer ``ggforest`` lists every variable of the
model with its reference level and, per level, the patients and events of the model's analysis
set. :func:`model_rows` gives those rows from the same analysis set, grouping and design matrix
as :func:`cohort_explorer.analysis.analyze` (nothing is re-derived by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.analysis.analysis_set import analysis_set, check_landmark_options
from cohort_explorer.analysis.analyze import _grouping
from cohort_explorer.analysis.design import build_design
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.terms import parse_covariate

__all__ = ["ModelLevel", "ModelVariable", "model_rows"]


@dataclass(frozen=True)
class ModelLevel(Result):
    """One row: a level of a categorical variable (``term`` None for the reference) or a
    numeric term, with the patients and events of the model's analysis set."""

    level: str
    term: str | None
    n: int
    events: int
    reference: bool


@dataclass(frozen=True)
class ModelVariable(Result):
    """A variable of the Cox model: the grouping or a covariate, with its rows in order."""

    variable: str
    categorical: bool
    grouping: bool
    levels: tuple[ModelLevel, ...]


def model_rows(df: pd.DataFrame, spec: AnalysisSpec) -> tuple[ModelVariable, ...]:
    """Variables of the Cox model of ``spec`` with reference levels, n and events per row.

    Parameters
    ----------
    df : DataFrame
        The data given to ``analyze``.
    spec : AnalysisSpec
        The analysis whose Cox model is shown (grouping and ``covariates``).

    Returns
    -------
    tuple of ModelVariable
        In model order: the grouping (reference group first), then each covariate. A
        categorical variable's first row is its reference level (``term`` None); a numeric
        term has one row covering all patients of the model.
    """
    check_landmark_options(spec)
    terms = [parse_covariate(t) for t in spec.covariates]
    aset = analysis_set(df, spec, terms)
    grouping, _, _ = _grouping(aset, spec)
    several = len(grouping.labels) > 1
    design, term_groups = build_design(aset.data, terms, grouping if several else None)
    event = np.asarray(aset.event, dtype=bool)
    out = []
    for key, columns in term_groups.items():
        is_group = several and key == grouping.column and columns and \
            columns[0].startswith(f"{grouping.column}=")
        categorical = is_group or any("=" in c for c in columns) and all(
            c.startswith(f"{key}=") for c in columns)
        if not categorical:
            out.append(ModelVariable(key, False, False, (
                ModelLevel(key, columns[0], int(event.size), int(event.sum()), False),)))
            continue
        block = design[columns].to_numpy(dtype=float) > 0.5
        reference_rows = ~block.any(axis=1)
        reference = (str(grouping.labels[0]) if is_group
                     else _reference_level(aset.data[key], columns))
        levels = [ModelLevel(reference, None, int(reference_rows.sum()),
                             int(event[reference_rows].sum()), True)]
        for j, column in enumerate(columns):
            rows = block[:, j]
            levels.append(ModelLevel(column.split("=", 1)[1], column, int(rows.sum()),
                                     int(event[rows].sum()), False))
        out.append(ModelVariable(key, True, bool(is_group), tuple(levels)))
    return tuple(out)


def _reference_level(values: pd.Series, columns: list[str]) -> str:
    """The level of a categorical covariate that has no dummy column (its reference)."""
    from cohort_explorer.analysis.stratify import category_levels

    named = {c.split("=", 1)[1] for c in columns}
    rest = [level for level in category_levels(values) if level not in named]
    return rest[0] if rest else "reference"
