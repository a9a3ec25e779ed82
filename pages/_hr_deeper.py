"""Deeper panels of the Hazard ratios page: stratification, subgroup forest, univariable screen
and "where does this patient fall" (predicted survival). Not a page; statistics come from
``analyze``. What is entered in the patient panel is used for one computation and neither
stored nor cached nor logged.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st
from pages._analysis import run_analysis
from pages._common import (
    dataset,
    display_names,
    md,
    persisted,
    show_error,
    theme,
    time_unit,
)
from pages._figure_cache import cached_figure
from pages._figures import chart_config, is_phone
from pages._text import show_table
from pages._widgets import column_key

from cohort_explorer.analysis import analyze
from cohort_explorer.analysis.stratify import category_levels
from cohort_explorer.errors import CohortError
from cohort_explorer.present import plots
from cohort_explorer.present.deeper_tables import (
    METHODS,
    prediction_table,
    screen_table,
    subgroup_table,
)
from cohort_explorer.present.messages import app_message
from cohort_explorer.present.plots.theme import FONT_SIZE
from cohort_explorer.present.term_labels import subgroup_term_labels
from cohort_explorer.spec import parse_group_spec
from cohort_explorer.spec.terms import parse_covariate

MAX_LEVELS = 8


def _columns(df: pd.DataFrame, spec) -> list[str]:
    used = {spec.time_col, spec.event_col}
    ids = set(st.session_state.get("data_identifiers", ()))
    return [str(c) for c in df.columns if str(c) not in used and str(c) not in ids]


def strata_choice(df: pd.DataFrame, spec) -> str | None:
    """Optional stratification column (a stratified Cox model and log-rank test)."""
    options = ["(none)"] + [c for c in _columns(df, spec)
                            if 2 <= df[c].nunique() <= MAX_LEVELS]
    chosen = persisted(st.selectbox, "Stratify the Cox model by (optional)", "hr_strata",
                       "(none)", options=options,
                       help="Each stratum gets its own baseline hazard (R strata()); no hazard "
                            "ratio is estimated for the stratification variable.")
    return None if chosen == "(none)" else chosen


def _subgroup_options(df: pd.DataFrame, spec) -> dict[str, str]:
    options = {}
    for column in _columns(df, spec):
        levels = df[column].nunique()
        if df[column].dtype.kind in "if" and levels > MAX_LEVELS:
            options[f"{column} (split at the median)"] = f"{column}:median"
        elif 2 <= levels <= MAX_LEVELS:
            options[column] = column
    return options


def subgroup_panel(df: pd.DataFrame, spec, result) -> None:
    """Forest of the grouping's HR within subgroups, overall HR on top, interaction p."""
    st.subheader("Subgroup forest")
    if spec.group_by is None:
        if st.session_state.get("km_spec") is None:  # no Survival analysis yet this session
            st.info("The subgroup forest compares the Survival page's grouping (e.g. the "
                    "marker's quartiles) within subgroups: choose it there, then come back.",
                    icon=":material/info:")
            st.page_link("pages/survival.py", label="Go to the Survival page",
                         icon=":material/show_chart:")
        else:
            st.info("Include the grouping from the Survival page (above) to compare it within "
                    "subgroups.", icon=":material/info:")
        return
    options = _subgroup_options(df, spec)
    default = [o for o in ("cyto_risk", "sex") if o in options]
    chosen = persisted(st.multiselect, "Subgroup variables", "hr_subgroups", default,
                       options=list(options))
    if not chosen:
        return
    sub_spec = replace(spec, subgroups=tuple(options[c] for c in chosen))
    st.session_state["hr_subgroup_spec"] = sub_spec
    sub_result = run_analysis(sub_spec)
    if sub_result is None:
        return
    column = sub_result.group_column or ""
    names = display_names()
    phone = is_phone()  # the rows' labels on two lines, smaller type
    figure = cached_figure("subgroups", (repr(sub_spec), phone),
                           lambda: plots.subgroup_forest_figure(
                               result.cox, sub_result.subgroups, group_column=column,
                               theme=theme(), groups=sub_result.groups, names=names,
                               font_size=11 if phone else FONT_SIZE,
                               width_hint=360 if phone else 1000))
    st.plotly_chart(figure,  # on a phone no toolbar over the top rows
                    config=chart_config(phone), theme=None, key="hr_subgroup_plot",
                    alt="Hazard ratio of the grouping within each subgroup")
    st.dataframe(subgroup_table(sub_result.subgroups, labels=subgroup_term_labels(
        sub_result, names=names), names=names), hide_index=True, key="hr_subgroup_table")
    st.caption(METHODS["subgroups"])


def _screen_terms(df: pd.DataFrame, spec) -> dict[str, str]:
    terms = {}
    for column in _columns(df, spec):
        levels = df[column].nunique()
        if df[column].dtype.kind in "if" and levels > 2:
            terms[column] = column
        elif 2 <= levels <= MAX_LEVELS:
            terms[column] = f"{column}:cat"
    return terms


def _take_into_model(terms: dict[str, str]) -> None:
    """Button callback: the selected candidates become the model's covariates."""
    chosen = st.session_state.get("hr_screen_take", [])
    labels = {"": "as is (per unit)", "cat": "categorical"}
    for column in chosen:
        kind = "cat" if terms[column].endswith(":cat") else ""
        key = column_key("hr_tf", column)
        st.session_state[key] = st.session_state[f"{key}_w"] = labels[kind]
    st.session_state["hr_cols"] = st.session_state["hr_cols_w"] = list(chosen)


def screen_panel(df: pd.DataFrame, spec) -> None:
    """Univariable Cox per candidate with BH q; selected ones go into the model."""
    st.subheader("Univariable screen")
    terms = _screen_terms(df, spec)
    chosen = persisted(st.multiselect, "Candidates to screen", "hr_screen", [],
                       options=list(terms))
    if not chosen:
        st.caption("Choose candidate covariates to see each one's unadjusted hazard ratio, "
                   "p and Benjamini–Hochberg q in one sortable table.")
        return
    screen_spec = replace(spec, group_by=None, covariates=(), strata=None,
                          screen=tuple(terms[c] for c in chosen))
    st.session_state["hr_screen_spec"] = screen_spec
    result = run_analysis(screen_spec)
    if result is None:
        return
    st.dataframe(screen_table(result.screen), hide_index=True, key="hr_screen_table",
                 column_config={"LR p": st.column_config.NumberColumn(format="%.4f"),
                                "BH q": st.column_config.NumberColumn(format="%.4f")})
    st.caption(METHODS["screen"] + " Click a column header to sort.")
    st.multiselect("Take into the multivariable model", chosen, key="hr_screen_take")
    st.button("Use these as the model's covariates", key="hr_screen_use",
              on_click=_take_into_model, args=(terms,))


def _group_input(df: pd.DataFrame, spec) -> tuple[str, str] | None:
    if spec.group_by is None:
        return None
    column = spec.group_by if spec.group_by in df.columns else parse_group_spec(
        spec.group_by).column
    if column in df.columns and df[column].dtype.kind in "if" and df[column].nunique() > 2:
        value = st.number_input(f"{md(column)} (raw value; placed in its group by the "
                                "analysis's cut points)", value=None, key="hr_pred_group")
        return column, value
    levels = category_levels(df[column]) if column in df.columns else ["0", "1"]
    return column, st.selectbox(md(column), levels, index=None, key="hr_pred_group_cat")


def prediction_panel(df: pd.DataFrame, spec, result) -> None:
    """One patient's values -> group, highlighted curve, predicted survival with CI."""
    st.subheader("Where does this patient fall?")
    st.caption("A cohort-based estimate from this Cox model, not a prognosis. Nothing you "
               "enter is stored, cached or logged.")
    if spec.strata:
        st.info("Prediction is not available for a stratified model; remove the stratification.")
        return
    with st.form("hr_predict_form", border=True):
        values = {}
        group = _group_input(df, spec)
        if group is not None:
            values[group[0]] = group[1]
        for text in spec.covariates:
            column = parse_covariate(text).column
            if df[column].dtype.kind in "if" and df[column].nunique() > 2:
                values[column] = st.number_input(md(column), value=None, key=column_key("hr_pred", column))
            else:
                values[column] = st.selectbox(md(column), category_levels(df[column]),
                                              index=None, key=column_key("hr_pred", column))
        submitted = st.form_submit_button("Estimate survival for these values")
    if not submitted:
        return
    entered = tuple(f"{k}={v}" for k, v in values.items() if v is not None and v != "")
    if not entered:
        st.error("Enter the patient's values first (every field of the model).",
                 icon=":material/error:")
        return
    km_spec = st.session_state.get("km_spec")
    landmarks = km_spec.landmarks if km_spec is not None else ()
    try:
        found = analyze(dataset(), replace(spec, predict=entered, landmarks=landmarks))
    except CohortError as error:
        show_error(error)
        return
    pred = found.prediction
    for warning in pred.warnings:
        st.warning(md(app_message(warning)), icon=":material/warning:")
    if pred.group is not None:
        st.markdown(f"This patient falls in group **{md(pred.group)}**.")
    st.plotly_chart(plots.prediction_figure(found.groups, pred, time_unit=time_unit(),
                                            theme=theme()),
                    config=plots.PLOTLY_CONFIG, theme=None, key="hr_pred_plot",
                    alt="Kaplan–Meier curves with this patient's group highlighted")
    show_table(prediction_table(pred, time_unit()))
    st.caption(METHODS["prediction"])


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
