"""One new patient's values (``--predict COL=V,...``) -> group, design row, predicted survival.

The grouping column takes the raw value, placed into its group by the analysis's own cut points
(the patient's quartile is reported); every covariate needs a value; numeric values outside the
range of the analysis set give a warning (an extrapolation). Nothing entered is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cohort_explorer._result import Result, jsonable
from cohort_explorer.analysis.analysis_set import AnalysisSet, group_spec
from cohort_explorer.analysis.design import build_design
from cohort_explorer.analysis.stratify import (
    Grouping,
    _cut_labels,
    category_levels,
    cut_groups,
    match_level,
    numeric_column,
)
from cohort_explorer.errors import Notice, OptionError
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.terms import Term
from cohort_explorer.stats.km import Estimate, KaplanMeier, landmark_survival, survival_quantile
from cohort_explorer.stats.prediction import predicted_curve

__all__ = ["Prediction", "design_row", "parse_predict", "predict_patient"]

LABEL = ("a cohort-based estimate from the Cox model of this analysis, not a prognosis for "
         "this patient")


@dataclass(frozen=True)
class Prediction(Result):
    """Predicted survival of one patient; ``curve`` is for the plot, not in ``to_dict()``."""

    input: dict[str, str]
    group: str | None
    landmarks: tuple
    median: Estimate
    label: str
    warnings: tuple[str, ...]
    curve: KaplanMeier

    def to_dict(self) -> dict[str, Any]:
        return jsonable({k: v for k, v in self.__dict__.items() if k != "curve"})


def parse_predict(items) -> dict[str, str]:
    """``("age=60", "sex=F")`` or ``"age=60,sex=F"`` -> {"age": "60", "sex": "F"}."""
    if isinstance(items, str):
        items = items.split(",")
    values: dict[str, str] = {}
    for item in items:
        column, sep, value = str(item).rpartition("=")  # names may hold "=", values not
        if not sep or not column.strip() or not value.strip():
            raise OptionError(f"--predict {item}: give COL=VALUE pairs separated by commas",
            code="predict_syntax", fields={"item": item})
        values[column.strip()] = value.strip()
    return values


def _number(column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise OptionError(f"--predict {column}={text}: {column} needs a number",
            code="predict_not_a_number", fields={"column": column, "value": text}) from None
    if not np.isfinite(value):
        raise OptionError(f"--predict {column}={text}: {column} needs a finite number",
            code="predict_not_a_number", fields={"column": column, "value": text})
    return value


def _range_warning(aset: AnalysisSet, column: str, value: float) -> list[str]:
    x = numeric_column(aset.data, column).to_numpy()
    low, high = np.nanmin(x), np.nanmax(x)
    if low <= value <= high:
        return []
    return [Notice(f"Prediction: {column} = {value:g} is outside the range of the analysed "
                   f"patients ({low:g} to {high:g}); the estimate extrapolates the model.",
                   "prediction_out_of_range",
                   {"column": column, "value": value, "low": float(low), "high": float(high)})]


def _group_of(aset, spec, grouping: Grouping, natural, values, warnings) -> str | None:
    if not spec.group_by or len(grouping.labels) < 2:
        return None
    gspec = group_spec(aset.data, spec.group_by)
    if gspec.column not in values:
        raise OptionError(f"--predict: give the patient's {gspec.column} (the grouping column)",
                          code="prediction_missing_value", column=gspec.column)
    text = values[gspec.column]
    if gspec.kind in ("category", "order"):
        label = match_level(text, grouping.labels)
        if label not in grouping.labels:
            raise OptionError(f"--predict {gspec.column}={text}: not a group; groups are "
                              f"{', '.join(grouping.labels)}",
            code="predict_not_a_group", fields={"column": gspec.column, "value": text, "groups": list(grouping.labels)})
        return label
    value = _number(gspec.column, text)
    warnings += _range_warning(aset, gspec.column, value)
    code = int(cut_groups(np.array([value]), list(grouping.breaks))[0])
    labels = (_cut_labels(list(grouping.breaks)) if gspec.kind in ("cut", "optimal")
              else list(natural))
    return labels[code]


def _design_row(aset, terms: list[Term], grouping, group, values, warnings) -> tuple:
    design, _ = build_design(aset.data, terms, grouping if len(grouping.labels) > 1 else None)
    row = dict.fromkeys(design.columns, 0.0)
    if group is not None:
        row.update({f"{grouping.column}={label}": float(label == group)
                    for label in grouping.labels[1:]})
    for term in terms:
        if term.column not in values:
            raise OptionError(f"--predict: give the patient's {term.column} (a covariate of "
                              "the model); every covariate needs a value",
                              code="prediction_missing_value", column=term.column)
        text = values[term.column]
        if term.kind == "cat":
            levels = category_levels(aset.data[term.column])
            level = match_level(text, levels)
            if level not in levels:
                raise OptionError(f"--predict {term.column}={text}: not a level of "
                                  f"{term.column}; levels are {', '.join(levels)}",
            code="predict_not_a_level", fields={"column": term.column, "value": text, "levels": list(levels)})
            for name in design.columns:
                if name.startswith(f"{term.column}="):
                    row[name] = float(name == f"{term.column}={level}")
            continue
        value = _number(term.column, text)
        warnings += _range_warning(aset, term.column, value)
        if term.kind == "log2":
            if value <= 0:
                raise OptionError(f"--predict {term.column}={text}: log2 needs a value > 0",
            code="predict_log2_positive", fields={"column": term.column, "value": text})
            value = float(np.log2(value))
        elif term.kind == "z":
            x = numeric_column(aset.data, term.column).to_numpy()
            value = (value - x.mean()) / np.std(x, ddof=1)
        row[term.name] = value
    return design, np.array([row[c] for c in design.columns])


def design_row(aset: AnalysisSet, spec: AnalysisSpec, terms: list[Term], grouping: Grouping,
               natural) -> np.ndarray:
    """The ``--predict`` patient as a row of the Cox design (the model's coefficient order)."""
    values = parse_predict(spec.predict)
    group = _group_of(aset, spec, grouping, natural, values, [])
    return _design_row(aset, terms, grouping, group, values, [])[1]


def predict_patient(aset: AnalysisSet, spec: AnalysisSpec, terms: list[Term],
                    grouping: Grouping, natural) -> Prediction:
    """Place the patient of ``spec.predict`` and predict survival from the Cox model."""
    values = parse_predict(spec.predict)
    warnings: list[str] = []
    group = _group_of(aset, spec, grouping, natural, values, warnings)
    design, row = _design_row(aset, terms, grouping, group, values, warnings)
    if design.shape[1] == 0:
        raise OptionError("--predict needs a Cox model: give a --group-by or --covariates",
            code="predict_needs_model", fields={})
    if aset.event.sum() == 0:
        raise OptionError("--predict: no events in the analysis set, no Cox model",
            code="predict_no_events", fields={})
    curve = predicted_curve(aset.time, aset.event, design.to_numpy(dtype=float), row,
                            conf_type=spec.conf_type, conf_level=spec.conf_level)
    return Prediction(input=values, group=group,
                      landmarks=landmark_survival(curve, list(spec.landmarks)),
                      median=survival_quantile(curve, 0.5), label=LABEL,
                      warnings=tuple(warnings), curve=curve)
