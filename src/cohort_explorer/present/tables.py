"""Result tables: the numbers of an ``AnalysisResult`` as DataFrames, numeric and display.

The numeric tables are what CSV/XLSX exports contain (proportions, not percentages; ``NaN``
where R has ``NA``); the display tables are what pages and the HTML report show, formatted by
:mod:`.format` (``86.2% (95% CI 70.1–94.0)``, ``p = 0.013``). Both come from the same result, so
what is shown and what is exported agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cohort_explorer.present.format import (
    format_ci,
    format_hr,
    format_number,
    format_p,
    format_survival,
    format_time,
    is_missing,
)
from cohort_explorer.present.labels import group_names, hr_adjustment, landmark_title

__all__ = [
    "display_rmst_table",
    "group_table",
    "tests_table",
    "pairwise_table",
    "cox_table",
    "km_table",
    "display_group_table",
    "display_tests_table",
    "display_pairwise_table",
    "display_cox_table",
    "group_table_lines",
]


def _num(value: Any) -> float:
    return np.nan if is_missing(value) else float(value)


def _landmark_label(time: float, time_unit: str | None) -> str:
    return format_time(time, time_unit or "")


def group_table(result: Any, time_unit: str | None = None) -> pd.DataFrame:
    """Per group: n, events, median with CI, survival at each landmark with CI and at risk."""
    rows = []
    for group in result.groups:
        row: dict[str, Any] = {"group": str(group.label), "n": int(group.n),
                               "events": int(group.events)}
        median = group.median
        row["median"] = _num(getattr(median, "estimate", np.nan))
        row["median_lower"] = _num(getattr(median, "lower", np.nan))
        row["median_upper"] = _num(getattr(median, "upper", np.nan))
        for landmark in group.landmarks or ():
            label = _landmark_label(landmark.time, time_unit)
            row[f"survival at {label}"] = _num(landmark.survival)
            row[f"lower at {label}"] = _num(landmark.lower)
            row[f"upper at {label}"] = _num(landmark.upper)
            row[f"at risk at {label}"] = int(landmark.at_risk)
        rmst = getattr(group, "rmst", None)
        if rmst is not None:
            row["rmst"] = _num(rmst.estimate)
            row["rmst_lower"] = _num(rmst.lower)
            row["rmst_upper"] = _num(rmst.upper)
        rows.append(row)
    return pd.DataFrame(rows)


def tests_table(result: Any) -> pd.DataFrame:
    """Global log-rank and trend tests (statistic, df, p); empty if neither applies."""
    rows = []
    for name, test in (("log-rank", getattr(result, "logrank", None)),
                       ("log-rank trend", getattr(result, "trend", None))):
        if test is not None:
            rows.append({"test": name, "statistic": _num(test.statistic), "df": int(test.df),
                         "p": _num(test.p)})
    cut = getattr(result, "cutpoint", None)
    if cut is not None:
        rows.append({"test": f"maximally selected log-rank (cut = {cut.cutpoint:g})",
                     "statistic": _num(cut.statistic), "df": np.nan,
                     "p": _num(cut.p_corrected)})
    return pd.DataFrame(rows, columns=["test", "statistic", "df", "p"])


def pairwise_table(result: Any) -> pd.DataFrame:
    """Pairwise log-rank tests with adjusted p-values; empty if not requested."""
    rows = [{"group 1": str(pair.group1), "group 2": str(pair.group2),
             "statistic": _num(pair.statistic), "p": _num(pair.p),
             "p adjusted": _num(pair.p_adjusted)}
            for pair in (getattr(result, "pairwise", None) or ())]
    return pd.DataFrame(rows, columns=["group 1", "group 2", "statistic", "p", "p adjusted"])


def cox_table(cox: Any, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Cox terms: the engine's name (as in the JSON) and its ``label`` in words
    (:func:`cohort_explorer.present.term_labels.cox_term_labels`: ``ikzf1 Q2 (> 0.643 to ≤
    1.12) vs Q1 (≤ 0.643)``; the name itself without ``labels``), HR, CI, p, coefficient, SE,
    whether estimable and why not."""
    labels = labels or {}
    rows = [{"term": str(t.term), "label": labels.get(str(t.term), str(t.term)),
             "hr": _num(t.hr), "lower": _num(t.lower),
             "upper": _num(t.upper), "p": _num(t.p), "coef": _num(t.coef), "se": _num(t.se),
             "estimable": bool(t.estimable), "reason": t.reason or ""}
            for t in (getattr(cox, "terms", None) or ())]
    return pd.DataFrame(rows, columns=["term", "label", "hr", "lower", "upper", "p", "coef",
                                       "se", "estimable", "reason"])


def km_table(result: Any) -> pd.DataFrame:
    """Kaplan–Meier curves in long form (one row per group and listed time)."""
    frames = []
    for group in result.groups:
        km = group.km
        frames.append(pd.DataFrame({
            "group": str(group.label), "time": np.asarray(km.time, dtype=float),
            "at_risk": np.asarray(km.at_risk), "events": np.asarray(km.events),
            "censored": np.asarray(km.censored),
            "survival": np.asarray(km.survival, dtype=float),
            "lower": np.asarray(km.lower, dtype=float),
            "upper": np.asarray(km.upper, dtype=float)}))
    if not frames:
        return pd.DataFrame(columns=["group", "time", "at_risk", "events", "censored",
                                     "survival", "lower", "upper"])
    return pd.concat(frames, ignore_index=True)


def _scaled(value: Any, scale: float) -> float:
    return np.nan if is_missing(value) else float(value) * scale


def _group_hrs(result: Any, conf_level: float) -> tuple[str, dict[str, str]]:
    """Column title (``HR (95% CI), unadjusted``) and each group's HR against the first."""
    cox = getattr(result, "cox", None)
    column = getattr(result, "group_column", None)
    if cox is None or not column or len(result.groups) < 2:
        return "", {}
    words = hr_adjustment(cox, getattr(result, "spec", None), group_column=column)
    terms = {t.term: t for t in cox.terms}
    out = {str(result.groups[0].label): "reference"}
    for group in result.groups[1:]:
        term = terms.get(f"{column}={group.label}")
        if term is None:
            continue
        out[str(group.label)] = ("not estimable" if not term.estimable or is_missing(term.hr)
                                 else f"{format_number(term.hr)} "
                                      f"({format_number(term.lower)}–{format_number(term.upper)})")
    return f"HR ({conf_level * 100:g}% CI), {words}", out


def display_group_table(result: Any, time_unit: str | None = None,
                        conf_level: float = 0.95, *, endpoint: str | None = None,
                        time_scale: float = 1.0, with_hr: bool = False) -> pd.DataFrame:
    """:func:`group_table` formatted for reading: medians and landmark survival with CIs.

    Times are shown in ``time_unit`` (``time_scale`` converts the data's unit into it); the
    landmark columns name the endpoint (``PFS at 3 years``); groups carry their cut-offs.
    ``with_hr`` adds each group's hazard ratio against the reference, the column saying
    whether it is unadjusted or adjusted (and for what).
    """
    hr_title, hrs = _group_hrs(result, conf_level) if with_hr else ("", {})
    rows = []
    names = group_names(result.groups)
    for group, name in zip(result.groups, names, strict=True):
        median = group.median
        estimate = _scaled(getattr(median, "estimate", np.nan), time_scale)
        median_text = "not reached" if is_missing(estimate) else format_time(estimate)
        lower = _scaled(getattr(median, "lower", np.nan), time_scale)
        upper = _scaled(getattr(median, "upper", np.nan), time_scale)
        if not (is_missing(lower) and is_missing(upper)):  # no "(95% CI NA–NA)"
            median_text += f" ({format_ci(lower, upper, 1, conf_level=conf_level)})"
        row = {"Group": name, "N": int(group.n), "Events": int(group.events),
               f"Median ({time_unit or 'time'})": median_text}
        for landmark in group.landmarks or ():
            title = landmark_title(landmark.time, endpoint=endpoint, time_unit=time_unit,
                                   scale=time_scale)
            row[title] = format_survival(
                landmark.survival, landmark.lower, landmark.upper, conf_level=conf_level)
            row[f"At risk at {title.split(' at ', 1)[1]}"] = int(landmark.at_risk)
        if hr_title:
            row[hr_title] = hrs.get(str(group.label), "")
        rows.append(row)
    return pd.DataFrame(rows)


def group_table_lines(table: pd.DataFrame) -> list[tuple[str, str]]:
    """:func:`display_group_table` as one line per group, for a screen too narrow for the
    table (a phone): ``("Q1 (≤ 0.643)", "N 15; Events 3; ...; HR: reference")``.

    Each cell reads "column value"; the reference group's hazard ratio reads ``HR:
    reference`` (not the column's title, ``HR (95% CI), unadjusted``, before "reference").
    """
    lines = []
    for row in table.to_dict("records"):
        name = str(row.pop("Group"))
        cells = [("HR: reference" if str(k).startswith("HR (") and v == "reference"
                  else f"{k} {v}") for k, v in row.items()]
        lines.append((name, "; ".join(cells)))
    return lines


def display_tests_table(result: Any) -> pd.DataFrame:
    """:func:`tests_table` with the statistic to two decimals and formatted p-values."""
    table = tests_table(result)
    return pd.DataFrame({
        "Test": table["test"],
        "Statistic": [f"{s:.2f}" for s in table["statistic"]],
        "df": ["" if is_missing(d) else str(int(d)) for d in table["df"]],
        "p": [format_p(p, prefix=False) for p in table["p"]],
    })


def display_pairwise_table(result: Any) -> pd.DataFrame:
    """:func:`pairwise_table` with formatted p-values."""
    table = pairwise_table(result)
    return pd.DataFrame({
        "Comparison": [f"{a} vs {b}" for a, b in zip(table["group 1"], table["group 2"],
                                                    strict=True)],
        "Statistic": [f"{s:.2f}" for s in table["statistic"]],
        "p": [format_p(p, prefix=False) for p in table["p"]],
        "p adjusted": [format_p(p, prefix=False) for p in table["p adjusted"]],
    })


def display_cox_table(cox: Any, conf_level: float = 0.95, *,
                      labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`cox_table` formatted: each term in words (``labels``, from
    :func:`cohort_explorer.present.term_labels.cox_term_labels`), ``HR 1.91 (95% CI
    1.02–3.58)``, p, and a note column."""
    labels = labels or {}
    rows = []
    for t in getattr(cox, "terms", None) or ():
        estimable = bool(t.estimable) and not is_missing(t.hr)
        rows.append({
            "Term": labels.get(str(t.term), str(t.term)),
            "Hazard ratio": format_hr(t.hr, t.lower, t.upper, conf_level=conf_level)
            if estimable else "not estimable",
            "p": format_p(t.p, prefix=False) if estimable else "NA",
            "Note": "" if estimable else (t.reason or "not estimable"),
        })
    return pd.DataFrame(rows, columns=["Term", "Hazard ratio", "p", "Note"])


def display_rmst_table(result: Any, time_unit: str = "", *,
                       time_scale: float = 1.0) -> pd.DataFrame:
    """Restricted mean survival time per group and its difference from the reference group
    (times in ``time_unit``; ``time_scale`` converts the data's unit into it)."""
    differences = {d.group: d for d in (getattr(result, "rmst_differences", None) or ())}
    unit = f" ({time_unit})" if time_unit else ""
    names = dict(zip((g.label for g in result.groups), group_names(result.groups),
                     strict=True))
    rows = []
    for g in result.groups:
        if g.rmst is None:
            continue
        d = differences.get(g.label)
        k = time_scale
        rows.append({
            "Group": names.get(g.label, str(g.label)),
            f"RMST up to {format_number(g.rmst.tau * k)}{unit}":
                f"{format_number(g.rmst.estimate * k)} "
                f"({format_ci(g.rmst.lower * k, g.rmst.upper * k)})",
            "Difference from reference": "reference" if d is None else
                f"{format_number(d.estimate * k)} ({format_ci(d.lower * k, d.upper * k)})",
            "p": "" if d is None else format_p(d.p, prefix=False),
        })
    return pd.DataFrame(rows)
