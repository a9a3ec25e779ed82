"""Words and tables for competing risks and delayed entry (pages, report and exports).

``ONE_MINUS_KM`` says why 1 − Kaplan–Meier overstates the risk when competing events exist;
``method_sentence`` describes the competing-risk analysis; the display tables format the
cumulative incidence at the landmarks and the Fine–Gray model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cohort_explorer.present.format import format_hr, format_p, format_survival
from cohort_explorer.present.term_labels import cox_term_labels

__all__ = ["ONE_MINUS_KM", "ENTRY_SENTENCE", "method_sentence", "display_cif_table",
           "display_fine_gray_table", "FINE_GRAY_SENTENCE"]

ONE_MINUS_KM = (
    "Why not 1 − Kaplan–Meier? Kaplan–Meier treats a patient who died of another cause as if "
    "they could still have the event later (as censored). They cannot: a patient who died "
    "without progression will never progress. So 1 − Kaplan–Meier estimates the risk in a "
    "world where the competing event does not exist and overstates the real probability of "
    "the event. The cumulative incidence (Aalen–Johansen) counts competing events as what "
    "they are, and its curves are the probability of the event by each time.")

ENTRY_SENTENCE = (
    "Delayed entry (left truncation): patients were counted at risk only from their entry "
    "time ({column}) to the end of their follow-up, for the Kaplan–Meier curves, the log-rank "
    "test and the Cox model; median follow-up (reverse Kaplan–Meier) ignores entry.")


def method_sentence(result: Any) -> str:
    """One paragraph describing the competing-risk methods of ``result``."""
    c = result.competing
    text = (f"Competing risks: the event of interest was {c.event} and the competing event "
            f"{c.competing}. Cumulative incidence was estimated per group by the Aalen–Johansen "
            "method with pointwise confidence intervals from the infinitesimal-jackknife "
            "standard error (as R survival's survfit for multi-state data) and compared "
            "between groups with Gray's test (R cmprsk::cuminc). The Cox model is "
            "cause-specific: competing events were censored.")
    if result.fine_gray is not None:
        text += (" Subdistribution hazard ratios were estimated by the Fine–Gray model with "
                 "censoring weights and its sandwich variance (R cmprsk::crr).")
    return text


def display_cif_table(result: Any, time_unit: str | None = None,
                      conf_level: float = 0.95) -> pd.DataFrame:
    """Per group: n, events, competing events, cumulative incidence at the landmarks."""
    rows = []
    unit = f" {time_unit}" if time_unit else ""
    for group in result.competing.groups:
        row = {"Group": str(group.label), "N": int(group.n), "Events": int(group.events),
               "Competing events": int(group.competing_events)}
        for lm in group.landmarks:
            row[f"Cumulative incidence at {lm.time:g}{unit}"] = format_survival(
                lm.estimate, lm.lower, lm.upper, conf_level=conf_level)
        rows.append(row)
    return pd.DataFrame(rows)


#: What the Fine–Gray table shows, in words, beside it (page and report).
FINE_GRAY_SENTENCE = (
    "Fine–Gray model: subdistribution hazard ratios (censoring weights, sandwich variance, as "
    "R cmprsk::crr); a patient with the competing event stays in the risk set, so a ratio "
    "above 1 means a higher cumulative incidence of the event.")


def display_fine_gray_table(result: Any, conf_level: float = 0.95) -> pd.DataFrame:
    """The Fine–Gray subdistribution hazard ratios with CI and p; terms in words as the Cox
    table's ('ikzf1 Q2 (> 0.643 to ≤ 1.12) vs Q1 (≤ 0.643)', not 'ikzf1=Q2')."""
    words = cox_term_labels(result)
    return pd.DataFrame([
        {"Term": words.get(t.term, t.term),
         "Subdistribution HR (CI)": format_hr(t.hr, t.lower, t.upper, conf_level=conf_level),
         "p": format_p(t.p, prefix=False)}
        for t in result.fine_gray.terms])


def report_sections(result: Any, time_unit: str | None, conf_level: float,
                    table_html) -> list[str]:
    """HTML parts of the report for competing risks (``table_html`` renders an escaped table)."""
    from cohort_explorer.present.format import escape

    if getattr(result, "competing", None) is None:
        return []
    c = result.competing
    parts = ["<h2>Cumulative incidence with a competing event</h2>",
             f"<p>{escape(ONE_MINUS_KM)}</p>",
             table_html(display_cif_table(result, time_unit, conf_level))]
    if c.gray is not None:
        parts.append(f"<p>{escape(f'Gray test {format_p(c.gray.p)} (chi-square {c.gray.statistic:.2f}, {c.gray.df} df)')}</p>")
    if result.fine_gray is not None:
        parts += ["<h3>Fine–Gray subdistribution hazard ratios</h3>",
                  table_html(display_fine_gray_table(result, conf_level)),
                  f"<p>{escape(FINE_GRAY_SENTENCE)}</p>"]
    return parts


def methods_sentences(result: Any) -> list[str]:
    """Method sentences for competing risks and delayed entry (empty when neither is used)."""
    out = []
    if getattr(result, "entry", None):
        out.append(ENTRY_SENTENCE.format(column=result.entry))
    if getattr(result, "competing", None) is not None:
        out.append(method_sentence(result))
    return out
