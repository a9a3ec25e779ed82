"""The warnings of an analysis as coded :class:`~cohort_explorer.errors.Notice` objects.

The text of each notice is the CLI's wording (unchanged, tests pin it); the app words the same
code and fields in plain language (:func:`cohort_explorer.present.messages.app_message`).
Thresholds come from :mod:`cohort_explorer.thresholds`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cohort_explorer.data.identifiers import patient_id_column
from cohort_explorer.data.repeats import repeated_count
from cohort_explorer.errors import Notice
from cohort_explorer.thresholds import MIN_GROUP_SIZE, PH_ALPHA

__all__ = ["group_notices", "duplicate_id_notices", "ph_notices", "run_notices",
           "cox_notices", "RESPONSE_WORDS"]

RESPONSE_WORDS = ("response", "resp", "remission")


def group_notices(groups: Sequence, rmst_tau: float | None) -> list[Notice]:
    """Small groups, groups without events, RMST horizons past a group's follow-up."""
    out = []
    if len(groups) > 1:
        for g in groups:
            if g.n < MIN_GROUP_SIZE:
                out.append(Notice(
                    f"Group {g.label} has only {g.n} patients: estimates are imprecise; "
                    "read its p-value and hazard ratio with caution.",
                    "small_group", {"group": g.label, "n": g.n, "minimum": MIN_GROUP_SIZE}))
            if g.events == 0:
                out.append(Notice(
                    f"Group {g.label} has no events: its median is not reached and its hazard "
                    "ratio is not estimable.", "group_without_events", {"group": g.label}))
    if rmst_tau is not None:
        out += [Notice(
            f"RMST: tau {rmst_tau:g} is beyond the last follow-up time of group {g.label}; "
            "the curve is carried forward (as R does).",
            "rmst_beyond_follow_up", {"group": g.label, "tau": rmst_tau})
            for g in groups if g.rmst is not None and g.rmst.truncated]
    return out


def duplicate_id_notices(df: pd.DataFrame) -> list[Notice]:
    """Warn (counts only, no values) when the patient identifier repeats an ID.

    Only the patient identifier is checked (:func:`patient_id_column`): a sample ID, a
    constant study or centre code repeat by design.
    """
    column = patient_id_column(df)
    if column is None:
        return []
    repeated = repeated_count(df[column])
    if not repeated:
        return []
    return [Notice(
        f"{repeated} row(s) repeat a patient ID already seen in '{column}'. The "
        "analysis assumes one row per patient: remove or merge the repeated rows.",
        "repeated_patient_id", {"column": column, "repeated": repeated})]


def ph_notices(ph) -> list[Notice]:
    """A warning naming the terms whose Schoenfeld test (R ``cox.zph``) has p < PH_ALPHA."""
    violated = [] if ph is None else [label for label, test in ph.terms if test.p < PH_ALPHA]
    if not violated:
        return []
    return [Notice(
        f"Proportional hazards may not hold for {', '.join(violated)} (scaled Schoenfeld "
        f"residuals, R cox.zph, p < {PH_ALPHA:g}): the hazard ratio averages an effect that "
        "changes over time; look at the Kaplan-Meier curves and the proportional-hazards check.",
        "ph_violation", {"terms": violated, "alpha": PH_ALPHA})]


def cox_notices(cox) -> list[Notice]:
    """The Cox fit's own warnings (convergence, not estimable terms, events per variable)."""
    return list(cox.warnings)  # already coded (stats.cox.notices)


def is_post_baseline(column: str) -> bool:
    return any(word in column.lower() for word in RESPONSE_WORDS)


def run_notices(*, events: int, n_groups: int, spec, column: str, found_cut,
                competing: str | None = None) -> dict[str, list]:
    """Notices about the run as a whole: ``"early"`` ones (before the tests), ``"late"`` ones
    and ``"competing"`` (a competing event makes the Cox model cause-specific)."""
    early, late, rival = [], [], []
    if competing is not None:
        rival.append(Notice(
            f"{competing} is a competing event: the Cox model is cause-specific (competing events "
            "censored); the cumulative incidence gives the probability of the event of interest.",
            "competing_cause_specific", {"competing": competing}, severity="info"))
    if events == 0:
        early.append(Notice("All patients are censored: no medians, tests or hazard ratios.",
                            "all_censored"))
    if n_groups == 1 and spec.group_by:
        early.append(Notice(f"Only one group in {column}: no log-rank test.", "one_group",
                            {"column": column}))
    if spec.group_by and is_post_baseline(column) and spec.landmark_from is None:
        late.append(Notice(
            f"Grouping by {column} (measured after time zero) risks immortal-time bias: "
            "patients must survive long enough to respond. Use a landmark analysis.",
            "immortal_time", {"column": column}))
    if found_cut is not None:
        late.append(Notice(
            f"The cut point {found_cut.cutpoint:g} was chosen to maximise the log-rank "
            f"statistic; its naive log-rank p is not valid alone. Corrected p (Lau94) = "
            f"{found_cut.p_corrected:.3g}.",
            "optimal_cut_selected",
            {"column": found_cut.column, "cutpoint": found_cut.cutpoint,
             "p_corrected": found_cut.p_corrected}))
    return {"early": early, "late": late, "competing": rival}
