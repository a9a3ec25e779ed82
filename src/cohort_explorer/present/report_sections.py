"""Words of the HTML report: the choices as a reader writes them, each section's analysis set,
and the Cox model's patients, events, covariates and reference levels.

Plain text in, plain text out (:mod:`.report` escapes it). Kept apart from :mod:`.report` so
that the document's structure and its wording can each be read on one screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cohort_explorer.present.labels import hr_adjustment, unit_word

__all__ = ["choices_in_words", "km_analysis_set", "cox_analysis_set", "reference_levels"]

_RULES = {"quartiles": "quartiles", "tertiles": "tertiles", "median": "median split",
          "q1-vs-rest": "lowest quartile vs the rest", "optimal": "optimal cut point (maxstat)"}
_CONF = {"log-log": "log-log", "log": "log", "plain": "plain (linear)"}


def _grouping_words(group_by: str | None) -> str:
    if not group_by:
        return "none (all patients together)"
    column, _, rule = group_by.partition(":")
    if rule in _RULES:
        return f"{column}, {_RULES[rule]}"
    if rule.startswith("cut="):
        return f"{column}, cut at {rule[4:].replace(',', ', ')}"
    if rule.startswith("order="):
        return f"{column} (in the order {rule[6:].replace(',', ', ')})"
    return column


def _term_words(term: str) -> str:
    parts = term.split(":")
    column, kinds = parts[0], parts[1:]
    if not kinds:
        return f"{column} (per unit)"
    if kinds[0] == "log2":
        return f"{column} (per doubling)"
    if kinds[0] == "z":
        return f"{column} (per standard deviation)"
    reference = next((k[4:] for k in kinds if k.startswith("ref=")), None)
    return f"{column} (categories" + (f", reference {reference})" if reference else ")")


def choices_in_words(spec: Any, *, endpoint: str | None = None, time_unit: str | None = None,
                     time_scale: float = 1.0) -> dict[str, str]:
    """The analysis choices as a reader writes them (no internal keys such as ``time_col``).

    >>> from cohort_explorer.spec import AnalysisSpec
    >>> choices_in_words(AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:quartiles",
    ...                               landmarks=(36.0,)), endpoint="PFS", time_unit="years",
    ...                  time_scale=1 / 12)["Landmarks"]
    '3 years'
    """
    event = f"{spec.event_col} = {spec.event_value}" if spec.event_value else \
        f"{spec.event_col} (1 = event)"
    out = {
        "Endpoint": f"{endpoint or spec.time_col}: time {spec.time_col}, event {event}",
        "Groups": _grouping_words(spec.group_by),
    }
    if spec.derive:
        out["Combined flags"] = "; ".join(d.replace("=any:", " = any of ").replace(",", ", ")
                                          for d in spec.derive)
    if spec.reference:
        out["Reference group"] = spec.reference
    if spec.where:
        out["Patients included"] = "only where " + " and ".join(spec.where)
    if spec.landmarks:
        out["Landmarks"] = ", ".join(unit_word(round(t * time_scale, 4), time_unit)
                                     for t in spec.landmarks)
    if spec.rmst_tau:
        out["Restricted mean survival up to"] = unit_word(round(spec.rmst_tau * time_scale, 4),
                                                          time_unit)
    if spec.covariates:
        out["Covariates"] = ", ".join(_term_words(t) for t in spec.covariates)
    out["Confidence intervals"] = (f"{spec.conf_level * 100:g}%, "
                                   f"{_CONF.get(spec.conf_type, spec.conf_type)} scale")
    competing = getattr(spec, "competing", None)
    if competing:
        out["Competing event"] = str(competing)
    entry = getattr(spec, "entry_col", None)
    if entry:
        out["Delayed entry"] = f"at risk from {entry}"
    dates = getattr(spec, "dates", None)
    if dates:
        out["Times from dates"] = ", ".join(str(d) for d in dates)
    if spec.landmark_from is not None:
        out["Landmark analysis"] = (f"from {unit_word(spec.landmark_from * time_scale, time_unit)}"
                                    f"; response by then from {spec.response_time_col}")
    return out


def km_analysis_set(result: Any) -> str:
    """Who the Kaplan–Meier section describes, and who was left out and why."""
    excluded = getattr(result.excluded, "count", 0)
    reasons = {k: v for k, v in (getattr(result.excluded, "reasons", {}) or {}).items() if v}
    text = (f"Kaplan–Meier analysis set: {result.n} patients with a valid time, event and "
            f"group ({result.events} events)")
    if excluded:
        text += f"; {excluded} rows left out (" + "; ".join(f"{k}: {v}" for k, v in
                                                           reasons.items()) + ")"
    filtered = getattr(result, "filtered", 0)
    if filtered:
        text += f"; {filtered} rows outside the subgroup filter"
    return text + "."


def cox_analysis_set(cox: Any, spec: Any, km_n: int, *, group_column: str | None = None) -> str:
    """The Cox model's patients and events, what it is adjusted for, and why its n can differ
    from the Kaplan–Meier n (complete cases over the covariates)."""
    words = hr_adjustment(cox, spec, group_column=group_column)
    text = (f"Cox model analysis set: {cox.n} patients, {cox.events} events "
            f"(complete cases over time, event, grouping and covariates); hazard ratios "
            f"{words}.")
    if cox.n < km_n:
        text += (f" {km_n - cox.n} patients of the Kaplan–Meier analysis are not in the model "
                 "because a covariate is missing for them.")
    return text


def reference_levels(rows: Sequence[Any] | None) -> str:
    """``cyto_risk: standard; ikzf1: Q1`` — the reference level of each categorical variable."""
    if not rows:
        return ""
    pairs = [f"{v.variable}: {v.levels[0].level}" for v in rows if v.categorical and v.levels]
    return "; ".join(pairs)
