"""The app's wording of the engine's coded errors and notices: plain language, no CLI flags.

The CLI prints ``str(error)`` (its own wording, with options such as ``--event``); the app calls
:func:`app_message`, which words the same ``code`` and ``fields`` for a clinician and says
what to do in the app. Pages never look at message text: they use ``.code`` (e.g. to offer the
event values as buttons for ``event_coding``). Every code the engine uses has an entry here or
in :mod:`~cohort_explorer.present.messages_options`; a message without a code is already plain
(tests/test_app_messages.py checks both).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cohort_explorer.present.messages_options import OPTION_WORDING

__all__ = ["APP_WORDING", "CLI_SYNTAX", "COX_MODEL_CODES", "SHORT_WORDING", "app_message",
           "message_code", "short_message", "split_model_notices"]


def _values(values: Any, limit: int = 6) -> str:
    items = [str(v) for v in (values or [])][:limit]
    return ", ".join(items)


def _event_coding(f: Mapping[str, Any]) -> str:
    held = f" The column holds {_values(f['values'])}." if f.get("values") else ""
    example = f" (for example {f['suggested']})" if f.get("suggested") is not None else ""
    return (f"Which value of '{f['column']}' means the event happened?{held} Choose the value "
            f"that marks the event{example}.")


def _mixed(f: Mapping[str, Any]) -> str:
    return (f"'{f['column']}' mixes cBioPortal status values ({_values(f.get('n_label_values'))}) "
            f"with other values ({_values(f.get('other_values'))}). Correct those cells so that "
            "every value reads like 1:DECEASED or 0:LIVING"
            + (", then upload the file again; the data loaded before are kept."
               if f.get("when") == "upload" else ", or choose which value means the event."))


def _ties(f: Mapping[str, Any]) -> str:
    return (f"Too many patients share the same value of {f['column']} to split it into "
            f"{f.get('kind', 'quantile')} groups. Split it at the median or at cut-offs you "
            "choose instead.")


APP_WORDING: dict[str, Callable[[Mapping[str, Any]], str]] = {
    # errors
    "event_coding": _event_coding,
    "event_not_a_flag": lambda f: (
        f"'{f['column']}' has a different value in almost every row, so it cannot record whether "
        "the event happened. Choose the column that does (for example a status or event column)."),
    "event_mixed_n_label": _mixed,
    "unknown_column": lambda f: (
        f"The data has no column '{f['column']}'."
        + (f" Did you mean {_values(f['close'], 3)}?" if f.get("close") else "")
        + " Choose one of the columns of this file."),
    "quantile_ties": _ties,
    "filter_syntax": lambda f: (
        f"The filter '{f['filter']}' cannot be read: use a column, a comparison (=, ≠, <, ≤, >, ≥) "
        "and a value."),
    "filter_not_a_number": lambda f: (
        f"The filter {f['filter']} compares with '{f['value']}', which is not a number: use = or "
        "≠ for a category, or compare with a number."),
    "cbioportal_header": lambda f: (
        f"This cBioPortal file's header rows (the lines starting with '#') are damaged: "
        f"{f.get('problem')}. Download the file from cBioPortal again, or delete the '#' lines "
        "and upload it as a plain table."),
    "cbioportal_sample_without_patient": lambda f: (
        "This is a cBioPortal sample file: one row per sample and no survival data. Add the "
        "study's data_clinical_patient.txt in the second upload box below, or upload the "
        "patient file alone."),
    "cbioportal_pair": lambda f: (
        "Two files can only be read together when they are a cBioPortal patient file and its "
        "sample file: remove the second file, or give the study's other clinical file there."),
    "no_file": lambda f: "Upload a table with one row per patient.",
    "too_many_files": lambda f: (
        "Upload one table, or a cBioPortal patient file together with its sample file."),
    "spline_few_values": lambda f: (
        f"{f['column']} has {f['distinct']} distinct value(s) in the analysed patients; a spline "
        f"needs a continuous marker with at least {f['minimum']}. Choose another marker, or "
        "compare its values as groups."),
    "spline_knots_coincide": lambda f: (
        f"Most patients share a few values of {f['column']}, so the spline's knots coincide. "
        "Choose another marker, or compare its values as groups."),
    "subgroup_one_level": lambda f: (
        f"{f['column']} has a single value ({f['level']}) among the analysed patients (the "
        "filter may have removed the others): a subgroup comparison needs at least two. Choose "
        "another subgroup variable or loosen the filter."),
    "competing_is_the_event": lambda f: (
        f"The competing event ({f['column']} = {f['value']}) is the event of interest itself: "
        "choose another value for the competing event."),
    "competing_and_event": lambda f: (
        f"{f['rows']} patients are coded both as the event of interest ({f['event']}) and as "
        f"the competing event ({f['competing']}); each patient can have only one. Choose "
        "another competing event."),
    "no_dated_rows": lambda f: (
        "No patient gets a follow-up time from these dates ("
        + "; ".join(f"{k}: {v}" for k, v in f["reasons"].items())
        + "). Check that the start, event and last-contact columns are the right ones."),
    "prediction_missing_value": lambda f: (
        f"Enter the patient's {f['column']}: the model needs a value for each of its terms."),
    "prediction_out_of_range": lambda f: (
        f"{f['column']} = {f['value']:g} is outside the range of the analysed patients "
        f"({f['low']:g} to {f['high']:g}): the estimate extrapolates the model."),
    # notices of an analysis
    "small_group": lambda f: (
        f"Group {f['group']} has only {f['n']} patients, so its estimates are imprecise: read its "
        "p-value and hazard ratio with caution."),
    "group_without_events": lambda f: (
        f"Group {f['group']} has no events: its median is not reached and its hazard ratio "
        "cannot be estimated."),
    "rmst_beyond_follow_up": lambda f: (
        f"The restricted mean horizon ({f['tau']:g}) lies beyond the last follow-up of group "
        f"{f['group']}; its curve is carried forward to the horizon."),
    "repeated_patient_id": lambda f: (
        f"{f['repeated']} row(s) repeat a patient ID already seen in '{f['column']}'. The "
        "analysis needs one row per patient: remove or merge the repeated rows."),
    "ph_violation": lambda f: (
        f"Proportional hazards may not hold for {', '.join(f['terms'])}: the effect seems to "
        f"change over time (check p < {f['alpha']:g}), so the hazard ratio is an average. Look at "
        "the Kaplan–Meier curves and the proportional-hazards check."),
    "low_events_per_variable": lambda f: (
        f"Only {f['epv']:.1f} events per variable in the Cox model ({f['events']} events for "
        f"{f['coefficients']} coefficients; at least {f['minimum']:g} are advised): the model may "
        "be overfitted. Use fewer covariates."),
    "cox_not_converged": lambda f: (
        "The Cox model did not converge: its estimates are unreliable. Use fewer covariates or "
        "merge sparse groups."),
    "term_not_estimable": lambda f: f"{f['term']}: {f['reason']}.",
    "all_censored": lambda f: (
        "Every patient is censored (no events): there are no medians, tests or hazard ratios."),
    "one_group": lambda f: (
        f"All patients fall into one group of {f['column']}, so there is nothing to compare."),
    "immortal_time": lambda f: (
        f"{f['column']} is measured after time zero: grouping by it risks immortal-time bias "
        "(patients must live long enough to respond). Use the landmark analysis."),
    "optimal_cut_selected": lambda f: (
        f"The cut-off {f['cutpoint']:g}"
        + (f" of {f['column']}" if f.get("column") else "")
        + " was chosen to give the largest log-rank difference, so "
        f"the plain log-rank p is too optimistic; the corrected p (Lau 1994) is "
        f"{f['p_corrected']:.3g}."),
    "competing_cause_specific": lambda f: (
        f"{f['competing']} is a competing event: the hazard ratios are cause-specific (competing "
        "events counted as censored); the cumulative incidence gives the probability of the "
        "event of interest."),
    "km_thinned": lambda f: (
        f"The survival curve arrays keep {f['kept']:,} of {f['times']:,} distinct times (as the "
        "plot draws them); medians, landmarks and tests use every time."),
    "rows_sampled": lambda f: (
        f"The concordance and the proportional-hazards check use a random sample of "
        f"{f['sample']:,} of the {f['n']:,} patients; every other number uses all patients."),
    "time_looks_like_yyyymmdd": lambda f: (
        f"'{f['column']}' holds numbers such as {f['example']} that look like calendar dates "
        "(yyyymmdd), not follow-up times. Compute the time from the start date to the event or "
        "last contact (or give the date columns) and use that."),
    "logrank_undefined": lambda f: (
        "The log-rank test has no p-value here: at every time with events, every patient still "
        "at risk has the event, so the groups cannot be compared. It needs follow-up times that "
        "differ between patients."),
    "nested_columns": lambda f: (
        "The file has nested columns (lists, structs or maps); a cohort table needs one value "
        "per cell. Flatten or drop those columns and save the file again."),
    # reading and mapping
    "cbioportal_first_sample": lambda f: (
        f"Patient and sample files joined: each of the {f['patients']} patients has the values "
        f"of their first sample ({f['patients_with_several_samples']} patient(s) have more than "
        f"one sample; {f['patients_without_sample']} have none)."),
    "no_endpoint_found": lambda f: (
        "No follow-up time and event columns were recognised by their names. Choose the column "
        "with the follow-up time and the column that says whether the event happened."),
}

APP_WORDING.update(OPTION_WORDING)

#: A command-line option (``--event``) or a CLI value pattern (``COL=VALUE``): never in an app
#: message (tests/test_app_messages.py proves it for every code).
CLI_SYNTAX = re.compile(r"(?<![\w-])--[a-z]|\b[A-Z][A-Z0-9_]*=[A-Z][A-Z0-9_.]*\b")
#: Said when a coded message's fields do not fit its wording (a programming error).
GENERIC = "The analysis cannot be run with these choices: change them and try again."


#: Notices about a fitted Cox model: shown only where that model is shown (its table, forest
#: plot or hazard ratios), never in a page's general warnings.
COX_MODEL_CODES = frozenset({"low_events_per_variable", "cox_not_converged",
                             "term_not_estimable"})


def split_model_notices(messages: Any) -> tuple[list, list]:
    """``(others, cox_model)``: the notices of ``messages`` about the Cox model
    (:data:`COX_MODEL_CODES`) apart from the rest, each in its order."""
    others, model = [], []
    for message in messages or ():
        (model if message_code(message) in COX_MODEL_CODES else others).append(message)
    return others, model


def message_code(obj: Any) -> str | None:
    """The code of an error or notice (None for plain text)."""
    return getattr(obj, "code", None)


#: One-line wordings for presentation mode (large type on one screen); others use APP_WORDING.
SHORT_WORDING: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "low_events_per_variable": lambda f: (
        f"Caution: only {f['epv']:.1f} events per variable in the Cox model (at least "
        f"{f['minimum']:g} advised): the hazard ratios may be overfitted."),
    "cox_not_converged": lambda f: (
        "Caution: the Cox model did not converge; its hazard ratios are unreliable."),
}


def short_message(obj: Any) -> str:
    """A one-line app wording of ``obj`` where one exists (:data:`SHORT_WORDING`), else
    :func:`app_message`."""
    wording = SHORT_WORDING.get(message_code(obj) or "")
    if wording is not None:
        try:
            return wording(getattr(obj, "fields", None) or {})
        except (KeyError, TypeError, ValueError):
            pass
    return app_message(obj)


def app_message(obj: Any) -> str:
    """Plain-language text of a coded error or notice for the app (never a CLI option).

    Parameters
    ----------
    obj : CohortError, Notice, validation Issue or str
        Anything the engine raised, returned as a warning or found when validating.

    Returns
    -------
    str
        The wording of :data:`APP_WORDING` for its code with its fields. A message without a
        code is the engine's text as it is: the engine gives a code to every message whose
        CLI wording names an option (a test checks every raise site), so no option is stripped
        here.
    """
    code, fields = message_code(obj), getattr(obj, "fields", None) or {}
    wording = APP_WORDING.get(code) if code else None
    if wording is not None:
        try:
            return wording(fields)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return GENERIC  # fields of another shape: never the CLI's text
    return getattr(obj, "message", None) or str(obj)
