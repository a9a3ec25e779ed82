"""The analysis set: derived columns, filters, valid rows, exclusions counted by reason.

Statistics.md, *Analysis set*: complete cases over time, event, grouping and covariates; invalid
values excluded and counted by their first reason; rows removed by ``--where`` are *filtered*.
A landmark analysis keeps the patients at risk after the landmark and measures time from it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.analysis.design import term_validity
from cohort_explorer.analysis.stratify import (
    apply_where,
    category_levels,
    derive_any,
    numeric_column,
)
from cohort_explorer.data.coding import coerce_event, coerce_time
from cohort_explorer.data.validation import looks_like_dates
from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.limits import check_levels
from cohort_explorer.spec.filters import shown
from cohort_explorer.spec.grouping import GroupSpec, parse_derive, parse_group_spec
from cohort_explorer.spec.terms import Term

if TYPE_CHECKING:
    from cohort_explorer.spec import AnalysisSpec

__all__ = [
    "Excluded", "AnalysisSet", "analysis_set", "check_landmark_options", "group_spec",
    "late_label", "with_derived",
]


@dataclass(frozen=True)
class Excluded(Result):
    """Rows that could not be analysed, counted by their first reason."""

    count: int
    reasons: dict[str, int]


@dataclass(frozen=True)
class AnalysisSet:
    data: pd.DataFrame
    time: np.ndarray
    event: np.ndarray
    excluded: Excluded
    filtered: int


def _check_columns(df: pd.DataFrame, columns: list[str]) -> None:

    for column in columns:
        if column not in df.columns:
            close = difflib.get_close_matches(column, [str(c) for c in df.columns], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ColumnError(f"No column '{column}' in the data{hint}", code="unknown_column",
                              fields={"column": column, "close": close})


def _group_validity(df: pd.DataFrame, spec: GroupSpec) -> np.ndarray:
    if spec.kind in ("category", "order"):
        return df[spec.column].notna().to_numpy()
    return numeric_column(df, spec.column).notna().to_numpy()


def _check_event_value(values: pd.Series, spec: AnalysisSpec) -> None:
    """``--event COL=VALUE`` where no row has VALUE is a typo, not an all-censored cohort."""
    flags, _ = coerce_event(values, spec.event_value, column=spec.event_col)
    if np.any(flags == 1):
        return
    found = category_levels(values)
    listed = ", ".join(found[:6]) + (f", ... ({len(found)} values)" if len(found) > 6 else "")
    raise OptionError(f"--event {spec.event_col}={spec.event_value}: no row of "
                      f"'{spec.event_col}' has the value {spec.event_value}; it holds {listed}",
            code="event_value_absent", fields={"column": spec.event_col, "value": spec.event_value, "values": found[:6]})


def check_landmark_options(spec: AnalysisSpec) -> None:
    if spec.landmark_from is not None and not spec.landmark_from >= 0:
        raise OptionError(f"--landmark-from {spec.landmark_from:g}: the landmark must be a time "
                          ">= 0 after time zero",
            code="landmark_negative", fields={"landmark": spec.landmark_from})
    if spec.response_time_col is not None and spec.landmark_from is None:
        raise OptionError("--response-time is used with --landmark-from L (a landmark analysis); "
                          "add --landmark-from or drop --response-time",
            code="response_time_without_landmark", fields={})


def late_label(spec: AnalysisSpec) -> str:
    return f"not reached by {spec.landmark_from:g}"


def group_spec(df: pd.DataFrame, text: str) -> GroupSpec:
    """``parse_group_spec``, except that a column's exact name groups by that column's values
    (names may contain ':', e.g. "Risk: cytogenetic", which would read as COL:RULE)."""
    if text in df.columns:
        return GroupSpec(text, "category")
    return parse_group_spec(text)


def _apply_landmark(df: pd.DataFrame, spec: AnalysisSpec, time: np.ndarray) -> tuple:
    """Landmark analysis: rows at risk after L, time from L, group by response reached by L."""
    at_risk = time > spec.landmark_from
    df = df.copy()
    if spec.response_time_col is not None and spec.group_by is not None:
        column = group_spec(df, spec.group_by).column
        reached = pd.to_numeric(df[spec.response_time_col], errors="coerce")
        late = ~(reached <= spec.landmark_from)
        df[column] = df[column].astype(object).where(~late, late_label(spec))
    return df, at_risk, time - spec.landmark_from


def with_derived(df: pd.DataFrame, derive: tuple[str, ...]) -> pd.DataFrame:
    """``df`` with the ``--derive`` flags added (never replacing a column of the data: a flag
    named like a column is refused, so no page can let a flag shadow the data)."""
    if not derive:
        return df
    data = df.copy()
    for text in derive:
        name, columns = parse_derive(text)
        if name in data.columns:
            raise OptionError(
                f"--derive {shown(text)}: the data already has a column '{name}'; give the "
                "derived flag a new name (it would replace that column)",
            code="derive_name_taken", fields={"name": name})
        _check_columns(data, columns)
        data[name] = derive_any(data, columns)
    return data


def analysis_set(df: pd.DataFrame, spec: AnalysisSpec, terms: list[Term]) -> AnalysisSet:
    data = with_derived(df, spec.derive)
    gspec = group_spec(data, spec.group_by) if spec.group_by else None
    needed = [spec.time_col, spec.event_col] + [t.column for t in terms]
    needed += [gspec.column] if gspec else []
    needed += [c for c in (spec.strata, spec.response_time_col) if c]
    _check_columns(data, needed)
    n_input = len(data)
    data = apply_where(data, spec.where)
    filtered = n_input - len(data)
    if n_input and not len(data):
        raise OptionError(f"The filter ({shown(' and '.join(spec.where))}) leaves no rows out of "
                          f"{n_input}; loosen or remove it.")
    time, time_reasons = coerce_time(data[spec.time_col])
    event, _ = coerce_event(data[spec.event_col], spec.event_value, column=spec.event_col)
    if spec.event_value is not None:
        _check_event_value(df[spec.event_col], spec)
    reasons: dict[str, int] = {k: int(v) for k, v in time_reasons.items()}
    keep = ~np.isnan(time)
    checks: list[tuple[np.ndarray, Any]] = [(~np.isnan(event), "missing event")]
    if gspec:
        checks.append((_group_validity(data, gspec), f"missing {gspec.column}"))
    checks += [term_validity(data, term) for term in terms]
    if spec.strata:
        checks.append((data[spec.strata].notna().to_numpy(), f"missing {spec.strata}"))
    for ok, reason in checks:
        dropped = keep & ~ok
        labels = np.broadcast_to(np.asarray(reason, dtype=object), dropped.shape)[dropped]
        for label, count in zip(*np.unique(labels.astype(str), return_counts=True), strict=True):
            reasons[str(label)] = reasons.get(str(label), 0) + int(count)
        keep &= ok
    if spec.landmark_from is not None:
        data, at_risk, time = _apply_landmark(data, spec, time)
        dropped = int((keep & ~at_risk).sum())
        reasons[f"event or censoring by landmark {spec.landmark_from:g}"] = dropped
        keep &= at_risk
    count = int((~keep).sum())
    if not keep.any() and looks_like_dates(data[spec.time_col]):
        raise ColumnError(
            f"Column '{spec.time_col}' holds calendar dates, not follow-up times. Compute the "
            "time from the start date (diagnosis or treatment) to the event or last contact, "
            "in months or days, and use that column."
        )
    if not keep.any():
        detail = ", ".join(f"{k}: {v}" for k, v in reasons.items() if v) or "no rows"
        raise ColumnError(f"Nothing to analyse: every row was excluded ({detail})")
    if spec.strata:  # one baseline hazard per stratum: the level cap as for a grouping
        check_levels(int(data.loc[keep, spec.strata].astype(str).nunique()),
                     f"strata column '{spec.strata}'", "Stratify by a column with fewer "
                     "levels, or merge rare levels.")
    return AnalysisSet(
        data=data if keep.all() else data.loc[keep],
        time=time[keep],
        event=event[keep].astype(int),
        excluded=Excluded(count, {k: v for k, v in reasons.items()}),
        filtered=filtered,
    )
