"""The key numbers of a survival analysis, in the words a tumor board reads them.

:func:`key_numbers` turns an ``AnalysisResult`` into a short list of labelled numbers: patients
and events, the group test, median follow-up, and per group the survival at the first landmark
with its CI and the hazard ratio against the reference (labelled unadjusted or adjusted). The
Survival page shows them as tiles above the chart, presentation mode in large type, and the
report in its summary; all three read the same list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cohort_explorer.present.format import format_number, format_p, is_missing
from cohort_explorer.present.labels import group_names, hr_adjustment, landmark_title, unit_word

__all__ = ["KeyNumber", "key_numbers"]


@dataclass(frozen=True)
class KeyNumber:
    """One number with what it is (``label``), the number (``value``) and a detail line
    (``detail``: a CI, an HR; may be empty)."""

    label: str
    value: str
    detail: str = ""


def _percent_ci(estimate: Any, lower: Any, upper: Any) -> tuple[str, str]:
    if is_missing(estimate):
        return "no estimate", ""
    value = f"{float(estimate) * 100:.0f}%"
    if is_missing(lower) or is_missing(upper):
        return value, ""
    return value, f"{float(lower) * 100:.0f}–{float(upper) * 100:.0f}%"


def _hr(result: Any, label: str, conf: str) -> str:
    cox = getattr(result, "cox", None)
    if cox is None:
        return ""
    name = f"{result.group_column}={label}"
    term = next((t for t in cox.terms if t.term == name), None)
    if term is None:
        return ""
    if not term.estimable or is_missing(term.hr):
        return "HR not estimable"
    return (f"HR {format_number(term.hr)} ({conf} CI {format_number(term.lower)}–"
            f"{format_number(term.upper)})")


def key_numbers(result: Any, *, endpoint: str | None = None, time_unit: str | None = None,
                time_scale: float = 1.0) -> list[KeyNumber]:
    """Key numbers of ``result`` (see the module docstring), first landmark only.

    Parameters
    ----------
    result : AnalysisResult
    endpoint : str, optional
        Endpoint name for the landmark labels ("PFS at 3 years").
    time_unit : str, optional
        Display time unit; ``time_scale`` converts the data's times into it.

    Returns
    -------
    list of KeyNumber
    """
    spec = getattr(result, "spec", None)
    conf = f"{(getattr(spec, 'conf_level', None) or 0.95) * 100:g}%"
    out = [KeyNumber("Patients", str(result.n), f"{result.events} events")]
    if getattr(result, "trend", None) is not None and result.logrank is not None:
        out.append(KeyNumber("Log-rank", format_p(result.logrank.p),
                             f"trend {format_p(result.trend.p)}"))
    elif getattr(result, "logrank", None) is not None:
        out.append(KeyNumber("Log-rank", format_p(result.logrank.p),
                             f"{len(result.groups)} groups"))
    follow = getattr(result, "follow_up", None)
    if follow is not None and not is_missing(follow.median):
        out.append(KeyNumber("Median follow-up",
                             unit_word(round(float(follow.median) * time_scale, 1), time_unit),
                             "reverse Kaplan–Meier"))
    adjustment = hr_adjustment(getattr(result, "cox", None), spec,
                               group_column=getattr(result, "group_column", None))
    several = len(result.groups) > 1
    names = group_names(result.groups)
    for index, group in enumerate(result.groups):
        landmarks = list(getattr(group, "landmarks", None) or ())
        hr = "reference" if index == 0 and several and getattr(result, "cox", None) else \
            _hr(result, str(group.label), conf)
        if hr.startswith("HR ") and hr != "HR not estimable":
            hr = f"{hr}, {adjustment}"
        name = names[index] if several else "All patients"
        if landmarks:
            first = landmarks[0]
            value, ci = _percent_ci(first.survival, first.lower, first.upper)
            title = landmark_title(first.time, endpoint=endpoint, time_unit=time_unit,
                                   scale=time_scale)
            detail = "; ".join(p for p in (f"{conf} CI {ci}" if ci else "", hr) if p)
            out.append(KeyNumber(f"{name} · {title}", value, detail))
        elif hr:
            out.append(KeyNumber(name, f"n = {group.n}", hr))
    return out
