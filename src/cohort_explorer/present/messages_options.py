"""The app's wording of the engine's errors about choices (groupings, covariates, landmarks,
competing events, predictions, engines): what is wrong and which control fixes it, in plain
language. The CLI's wording of the same codes (``str(error)``) names its options instead.

Merged into :data:`cohort_explorer.present.messages.APP_WORDING`; each entry takes the error's
``fields``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["OPTION_WORDING"]

#: What each analysis option is called in the app (the CLI names them ``--spline`` etc.).
ANALYSES = {
    "spline": "the spline curve", "subgroups": "the subgroup forest",
    "screen": "the covariate screen", "predict": "the prediction for a new patient",
    "strata": "strata", "competing": "a competing event", "fine-gray": "the Fine–Gray model",
    "landmark-from": "a landmark analysis", "derive": "combined flags", "where": "filters",
    "pairwise": "pairwise tests", "trend": "the trend test", "entry": "delayed entry",
    "dates": "follow-up from dates", "bootstrap": "the bootstrap", "rmst": "restricted mean",
    "response-time": "a landmark analysis",
}


def _listed(values: Any, limit: int = 8) -> str:
    items = [str(v) for v in (values or [])]
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _analyses(options: Any) -> str:
    return _listed([ANALYSES.get(str(o), str(o).replace("-", " ")) for o in options or []])


def _screen(f: Mapping[str, Any]) -> str:
    from cohort_explorer.present.messages import APP_WORDING  # the full table, at call time

    inner = APP_WORDING.get(f.get("problem") or "")
    detail = ""
    if inner is not None:
        try:
            detail = " " + inner(f.get("problem_fields") or {})
        except (KeyError, TypeError, ValueError):
            detail = ""
    return f"The screened covariate {f['term']} cannot be fitted.{detail}"


OPTION_WORDING: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "event_value_absent": lambda f: (
        f"No patient has the value '{f['value']}' in '{f['column']}' (it holds "
        f"{_listed(f.get('values'))}). Choose which of those values means the event happened."),
    "landmark_negative": lambda f: (
        f"The landmark ({f['landmark']:g}) must be a time of 0 or more after time zero."),
    "response_time_without_landmark": lambda f: (
        "The time the response was reached is used only in a landmark analysis: run the "
        "landmark analysis, or leave the response time out."),
    "derive_name_taken": lambda f: (
        f"The data already has a column '{f['name']}': give the combined flag another name."),
    "conf_type_unknown": lambda f: (
        f"The confidence interval type '{f['value']}' is unknown: choose log-log, log or plain."),
    "fine_gray_without_terms": lambda f: (
        "The Fine–Gray model needs something to model: choose a grouping or covariates."),
    "subgroups_need_groups": lambda f: (
        "The subgroup forest compares the groups within subgroups: first group the patients "
        "into at least two groups on the Survival page."),
    "subgroups_optimal_cut": lambda f: (
        f"An optimal cut of {f['column']} cannot define subgroups: split it at the median, into "
        "quartiles or at cut-offs you choose."),
    "entry_not_combinable": lambda f: (
        f"Delayed entry (an entry-time column) cannot be combined with {_analyses(f['options'])} "
        "yet: leave out the entry time or these analyses."),
    "bootstrap_needs_optimal": lambda f: (
        "The bootstrap resamples the optimal cut-off: choose the optimal split first."),
    "predict_with_strata": lambda f: (
        "A stratified model has one baseline per stratum, so it cannot predict for a new "
        "patient: remove the strata to predict."),
    "screen_term_failed": _screen,
    "term_twice": lambda f: (
        f"The model holds {f['term']} twice: choose it once."),
    "reference_level_unknown": lambda f: (
        f"'{f['level']}' is not a value of {f['column']}"
        + (f"; choose the reference among {_listed(f['levels'])}." if f.get("levels")
           else "; choose one of its values as the reference.")),
    "covariate_is_grouping": lambda f: (
        f"{f['column']} is already the grouping of the model, so it cannot be a covariate too: "
        f"remove {f['column']} from the covariates, or group by another column."),
    "constant_covariate": lambda f: (
        f"{f['column']} has the same value for every analysed patient, so it cannot be in the "
        "model: remove it from the covariates."),
    "competing_syntax": lambda f: (
        "Choose the column and the value that mark the competing event."),
    "fine_gray_needs_competing": lambda f: (
        "The Fine–Gray model needs a competing event: choose the column and the value that mark "
        "it."),
    "dates_need_three": lambda f: (
        "Follow-up from dates needs three date columns: the start of follow-up, the event date "
        "and the last-contact date."),
    "competing_value_absent": lambda f: (
        f"No patient has the value '{f['value']}' in '{f['column']}' (it holds "
        f"{_listed(f.get('values'))}): choose the value that marks the competing event."),
    "predict_not_a_number": lambda f: (
        f"The patient's {f['column']} must be a number, not '{f['value']}'."),
    "predict_needs_model": lambda f: (
        "A prediction needs a Cox model: choose a grouping or covariates first."),
    "predict_no_events": lambda f: (
        "No analysed patient has the event, so there is no Cox model to predict from."),
    "predict_syntax": lambda f: (
        f"'{f['item']}' cannot be read: give each of the patient's values as a column and "
        "a value."),
    "predict_not_a_group": lambda f: (
        f"'{f['value']}' is not a group of {f['column']}: choose one of {_listed(f['groups'])}."),
    "predict_not_a_level": lambda f: (
        f"'{f['value']}' is not a value of {f['column']}: choose one of {_listed(f['levels'])}."),
    "predict_log2_positive": lambda f: (
        f"{f['column']} is on the log2 scale, so the patient's value must be above 0 (not "
        f"{f['value']})."),
    "cut_values_invalid": lambda f: (
        f"The cut-offs of {f['column']} must be different numbers (given: "
        f"{_listed(f.get('values'))})."),
    "cut_values_missing": lambda f: (
        f"Give the {'cut-offs' if f.get('kind') == 'cut' else 'order of the groups'} of "
        f"{f['column']}."),
    "reference_group_unknown": lambda f: (
        f"'{f['reference']}' is not a group of {f['column']}: choose the reference among "
        f"{_listed(f['groups'])}."),
    "order_missing_levels": lambda f: (
        f"The order of {f['column']}'s groups leaves out {_listed(f['missing'])}: add them to "
        "the order, or filter those patients out on the Data page."),
    "derive_not_binary": lambda f: (
        f"'{f['column']}' must hold 0/1 (or true/false) to be combined into a flag; it holds "
        f"{f['examples']}."),
    "date_order_unknown": lambda f: (
        f"The date order '{f['value']}' is unknown: choose day/month/year, month/day/year or "
        "year/month/day."),
    "time_unit_unknown": lambda f: (
        f"The time unit '{f['value']}' is unknown: choose days, months or years."),
    "date_order_ambiguous": lambda f: (
        f"Dates in '{f['column']}' such as {f['example']} could be day/month or month/day: "
        "choose the date order (day/month/year or month/day/year)."),
    "pushdown_time_not_numeric": lambda f: (
        f"'{f['column']}' must hold numbers to be analysed where the data are stored."),
    "pushdown_not_available": lambda f: (
        f"{_analyses([f['option']]).capitalize()} cannot be computed where the data are stored "
        "yet: analyse an extract of the data instead."),
    "pushdown_grouping": lambda f: (
        "This grouping cannot be computed where the data are stored yet: group by a column, "
        "its quartiles, tertiles, median or Q1 vs rest."),
    "engine_unknown": lambda f: (
        f"The data engine '{f['engine']}' is unknown: choose memory, DuckDB or Spark."),
    "spark_missing": lambda f: (
        "Spark is not installed on this server: ask its administrator to install pyspark."),
    "grouping_rule_unknown": lambda f: (
        f"'{f['rule']}' is not a way to group {f['column']}: choose its values, quartiles, "
        "tertiles, median, Q1 vs rest, cut-offs, an order or the optimal cut."),
    "grouping_empty": lambda f: "Choose the column to group the patients by.",
    "derive_syntax": lambda f: (
        "A combined flag needs a name and the 0/1 columns it combines (for example high_risk "
        "from del17p and t_4_14)."),
    "covariate_empty": lambda f: "A covariate is empty: choose the covariates again.",
    "reference_level_missing": lambda f: (
        f"Choose the reference level of {f['term'].split(':')[0]}."),
    "bootstrap_count": lambda f: "The bootstrap needs at least 1 resample.",
    "bootstrap_too_large": lambda f: (
        f"{f['resamples']:,} resamples of {f['patients']:,} patients is too large "
        f"({f['rows']:,} resampled rows; at most {f['maximum']:,}): choose fewer resamples."),
    "spline_no_events": lambda f: (
        f"No analysed patient has the event, so no spline of {f['column']} can be fitted."),
    "km_thinned": lambda f: (
        f"The curves of {f['groups']} group(s) are drawn from fewer points (group {f['group']}: "
        f"{f['kept']:,} of {f['times']:,} times), as the plot shows them; medians, landmarks "
        "and tests use every time."),
}
