"""Tables, verdicts and method sentences of the deeper analyses (for the pages and the report).

Display tables are plain text cells (the pages render them with ``st.dataframe``/``st.table``
and the report with escaped HTML), so user text never becomes markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cohort_explorer.present.format import (
    format_hr,
    format_number,
    format_p,
    is_missing,
)
from cohort_explorer.present.labels import group_names

__all__ = ["bootstrap_verdict", "landmark_difference_table", "subgroup_table", "screen_table",
           "prediction_table", "METHODS"]

METHODS = {
    "cutpoint": ("Cut-point explorer: the standardised log-rank statistic of R maxstat "
                 "(smethod LogRank, 10%–90% of patients on each side) at every candidate cut, "
                 "with the Cox hazard ratio above vs at or below each cut; the selected cut's "
                 "p-value is Lausen & Schumacher's (1994) correction for the search."),
    "bootstrap": ("Bootstrap of the cut: resamples of the patients with replacement (numpy "
                  "default_rng with the stated seed), the maxstat search repeated in each; the "
                  "2.5th–97.5th percentiles of the selected cuts and the share falling in the "
                  "same quartile as the original cut."),
    "spline": ("Restricted cubic spline: the marker with 4 knots at its 5/35/65/95% quantiles "
               "(R rms::rcspline.eval) in a Cox model (Efron ties, with the stated adjustment); "
               "hazard ratios relative to the median with Wald 95% bands; p for non-linearity "
               "(likelihood ratio, 2 df) and overall (3 df)."),
    "quartiles": ("Hazard ratio of each quartile of the marker against the lowest quartile "
                  "(Cox model, Efron ties; quartile breaks R quantile type 7)."),
    "subgroups": ("Subgroup forest: the grouping's hazard ratio within each level of each "
                  "subgroup variable (Cox model per level); interaction p = likelihood-ratio "
                  "test of the model with the grouping × subgroup interaction against the model "
                  "without it. Subgroup results are exploratory."),
    "screen": ("Univariable screen: one Cox model per candidate (its own complete cases), "
               "likelihood-ratio p per term, Benjamini–Hochberg q over the terms."),
    "landmark_differences": ("Survival difference from the reference group at each landmark "
                             "with a Wald 95% CI from the Greenwood standard errors."),
    "prediction": ("Predicted survival for entered values: the Cox model's survival curve for "
                   "a patient with these covariates (R survfit.coxph, Efron baseline hazard), "
                   "a cohort-based estimate, not a prognosis."),
}


def bootstrap_verdict(boot: Any, column: str) -> str:
    """Plain-language reading of the bootstrap of a cut point."""
    if boot is None or is_missing(boot.lower):
        return "No resample had an admissible cut: the cut point cannot be assessed."
    low, high = f"{boot.lower:.4g}", f"{boot.upper:.4g}"
    share = boot.same_quartile_share
    moves = (f"The cut of {column} moves between {low} and {high} in 95% of {boot.B} resamples "
             f"and stays in the original quartile in {share:.0%} of them")
    if share >= 0.8:
        return (f"{moves}: fairly stable for a data-driven cut, but it was still chosen to fit "
                "these data — confirm it in an independent cohort before using it.")
    return f"{moves}: treat it as exploratory, not as a threshold for decisions."


def _ci_points(value: float, lower: float, upper: float) -> str:
    if is_missing(value):
        return "NA"
    text = f"{value * 100:+.1f}"
    if is_missing(lower) or is_missing(upper):
        return f"{text} (CI not available)"
    return f"{text} ({lower * 100:+.1f} to {upper * 100:+.1f})"


def landmark_difference_table(result: Any, time_unit: str = "") -> pd.DataFrame:
    """Survival difference (percentage points) vs the reference at each landmark, with CI."""
    unit = f" {time_unit}" if time_unit else ""
    groups = list(getattr(result, "groups", None) or ())
    named = dict(zip((str(g.label) for g in groups), group_names(groups), strict=True))
    rows = [{"Landmark": f"{d.time:g}{unit}", "Group": named.get(str(d.group), str(d.group)),
             "Reference": named.get(str(d.reference), str(d.reference)),
             "Difference in survival, points (95% CI)": _ci_points(d.difference, d.lower, d.upper)}
            for d in (getattr(result, "landmark_differences", None) or ())]
    return pd.DataFrame(rows)


def _term_cells(term: Any, conf_level: float) -> dict[str, str]:
    if not term.estimable or is_missing(term.hr):
        return {"Hazard ratio": "not estimable", "p": "NA",
                "Note": term.reason or "not estimable"}
    return {"Hazard ratio": format_hr(term.hr, term.lower, term.upper, conf_level=conf_level),
            "p": format_p(term.p, prefix=False), "Note": ""}


def subgroup_table(subgroups: Any, conf_level: float = 0.95, *,
                   labels: Mapping[str, str] | None = None,
                   names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per subgroup level and group term, with n, events and the interaction p.

    ``labels``: term name -> what it compares (``cox_term_labels``: the groups with their
    cut-offs); ``names``: columns' display names."""
    rows = []
    labels, names = dict(labels or {}), dict(names or {})
    for sub in subgroups or ():
        inter = "NA" if sub.interaction is None else format_p(sub.interaction.p, prefix=False)
        for level in sub.levels:
            for term in level.terms:
                rows.append({"Subgroup": f"{names.get(sub.variable, sub.variable)} = "
                                         f"{level.level}", "n": level.n,
                             "Events": level.events, "Term": labels.get(term.term, term.term),
                             **_term_cells(term, conf_level), "Interaction p": inter})
    return pd.DataFrame(rows)


def screen_table(screen: Any, conf_level: float = 0.95) -> pd.DataFrame:
    """One row per coefficient of each screened term: HR (CI), Wald p, LR p and BH q (numbers
    kept numeric where sorting matters)."""
    rows = []
    for row in screen or ():
        for term in row.coefficients:
            rows.append({"Candidate": row.term, "Coefficient": term.term, "n": row.n,
                         "Events": row.events,
                         "HR": None if is_missing(term.hr) else round(float(term.hr), 3),
                         "95% CI": ("not estimable" if not term.estimable else
                                    f"{format_number(term.lower)}–{format_number(term.upper)}"),
                         "LR p": None if is_missing(row.lr_p) else float(row.lr_p),
                         "BH q": None if is_missing(row.q) else float(row.q)})
    return pd.DataFrame(rows)


def prediction_table(prediction: Any, time_unit: str = "") -> pd.DataFrame:
    """Predicted survival at the landmarks and the median, with CI."""
    unit = f" {time_unit}" if time_unit else ""
    rows = []
    for lm in prediction.landmarks:
        value = "NA (beyond follow-up)" if is_missing(lm.survival) else (
            f"{lm.survival:.1%} ({format_number(lm.lower * 100, 1)}–"
            f"{format_number(lm.upper * 100, 1)}%)")
        rows.append({"Estimate": f"Survival at {lm.time:g}{unit}", "Value": value})
    m = prediction.median
    no_interval = is_missing(m.lower) and is_missing(m.upper)  # no "(95% CI NA–NA)"
    rows.append({"Estimate": "Median survival",
                 "Value": ("not reached" if is_missing(m.estimate) else
                           f"{format_number(m.estimate)}{unit}")
                 + ("" if no_interval else
                    f" (95% CI {format_number(m.lower)}–{format_number(m.upper)})")})
    return pd.DataFrame(rows)
