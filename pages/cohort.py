"""Cohort page: Table 1 by the chosen grouping, and a biomarker across an ordered category."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from pages._common import (
    begin_page,
    column_labeller,
    display_names,
    end_page,
    filtered_dataset,
    md,
    persisted,
    session_cache,
    show_error,
    show_table,
    suggestion,
    theme,
    where_key,
)
from pages._widgets import default_order, endpoint_select, follow_column, group_builder

from cohort_explorer.analysis.analysis_set import group_spec
from cohort_explorer.analysis.intervals import row_intervals
from cohort_explorer.analysis.stratify import group_rows
from cohort_explorer.data.coding import coerce_event, coerce_time
from cohort_explorer.errors import CohortError, ColumnError
from cohort_explorer.present import plots
from cohort_explorer.present.cutoffs import group_labels
from cohort_explorer.stats import table_one

_TABLE_ONE_METHOD = (
    "Continuous: median [interquartile range], Kruskal–Wallis test. Categorical: n (%), χ² test, "
    "or Fisher's exact test when an expected count is below 5 (Monte Carlo p with "
    f"{table_one.FISHER_RESAMPLES:,} tables beyond 2×2). Numeric groups are named with their "
    "cut-offs.")
DEFAULT_VARIABLES = ("age", "sex", "iss_stage", "cyto_risk", "best_response", "ikzf1", "crbn")


@session_cache()
def _analysis_rows(key: tuple, time_col: str, event_col: str, event_value: str | None,
                   _df: pd.DataFrame) -> np.ndarray:
    """Rows with a valid time and event: those of the Survival analysis of the endpoint."""
    for column in (time_col, event_col):
        if column not in _df.columns:
            raise ColumnError(f"No column '{column}' in the data")
    time, _ = coerce_time(_df[time_col])
    event, _ = coerce_event(_df[event_col], event_value, column=event_col)
    return ~np.isnan(time) & ~np.isnan(event)


@session_cache()
def _table_one(key: tuple, variables: tuple, group_by: str | None, derive: tuple,
               orders: tuple, row_names: tuple, _df: pd.DataFrame) -> table_one.TableOne:
    from cohort_explorer.analysis.analysis_set import with_derived

    data = with_derived(_df, derive)  # as the Survival analysis: never over a data column
    labels, order = None, None
    if group_by:
        gspec = group_spec(data, group_by)
        grouping = group_rows(data, gspec)
        # groups named with their cut-offs, as in the legend and the CLI: Q1 (≤ 0.643)
        intervals = row_intervals(data, gspec.kind, gspec.column, grouping)
        names = group_labels([{"label": label, "interval": intervals.get(label)}
                              for label in grouping.labels])
        lookup = np.array([*names, None], dtype=object)
        labels, order = lookup[grouping.codes], names
    categorical = [v for v in variables if data[v].dtype.kind not in "if"
                   or data[v].dropna().nunique() <= 5]
    return table_one.table_one(data, list(variables), group=labels, group_order=order,
                            categorical=categorical, level_order=dict(orders),
                            names=dict(row_names))


@session_cache()
def _trend(key: tuple, value_col: str, category_col: str, order: tuple,
           _df: pd.DataFrame) -> table_one.TrendTest:
    return table_one.jonckheere_terpstra(_df[value_col], _df[category_col].astype(str), order)


def _table_section(df: pd.DataFrame, sugg) -> None:
    st.subheader("Baseline characteristics (Table 1)")
    endpoint = endpoint_select("cohort")
    choice = group_builder("cohort_group", df, sugg, allow_optimal=False)
    columns = [str(c) for c in df.columns]
    defaults = [c for c in DEFAULT_VARIABLES if c in columns] or \
        list(sugg.group_candidates[:4]) + list(sugg.biomarker_candidates[:2])
    variables = persisted(st.multiselect, "Characteristics", "cohort_variables", defaults,
                          options=columns, format_func=column_labeller())
    if not variables:
        st.info("Choose at least one characteristic.")
        return
    orders = tuple((v, tuple(default_order(df[v]))) for v in variables
                   if df[v].dtype.kind not in "if" and default_order(df[v]))
    key = where_key()
    try:
        if endpoint is not None:  # the patients of the Survival analysis: same quantile cuts
            keep = _analysis_rows(key, endpoint["time_col"], endpoint["event_col"],
                                  endpoint["event_value"], df)
            key = (key, endpoint["time_col"], endpoint["event_col"], endpoint["event_value"])
            df = df.loc[keep]
        row_names = tuple(display_names().items())  # readable names (cBioPortal '#' row)
        table = _table_one(key, tuple(variables), choice.group_by, choice.derive, orders,
                           row_names, df)
    except CohortError as error:
        show_error(error)
        return
    # for the report: this session's Table 1, with the data and filter it was made on
    st.session_state["cohort_table_one"] = (where_key(), _TABLE_ONE_METHOD, table.to_frame())
    if endpoint is not None:
        left_out = int((~keep).sum())
        st.markdown(f"Table 1 describes the {int(keep.sum())} patients with a valid "
                    f"{md(endpoint['name'])} time and event, the rows of the Survival analysis "
                    "(quantile cut points are computed on them)"
                    + (f"; {left_out} rows without are left out." if left_out else "."))
    show_table(table.to_frame())
    st.markdown(_TABLE_ONE_METHOD)


def _biomarker_section(df: pd.DataFrame, sugg) -> None:
    st.subheader("Biomarker across an ordered category")
    biomarkers = [c for c in sugg.biomarker_candidates if c in df.columns]
    categories = [c for c in sugg.group_candidates if c in df.columns]
    if not biomarkers or not categories:
        st.info("Needs a numeric biomarker and a categorical column.")
        return
    left, middle = st.columns(2)
    with left:
        value_col = persisted(st.selectbox, "Biomarker", "cohort_biomarker",
                              "ikzf1" if "ikzf1" in biomarkers else biomarkers[0],
                              options=biomarkers, format_func=column_labeller())
    with middle:
        category_col = persisted(st.selectbox, "Ordered category", "cohort_category",
                                 "iss_stage" if "iss_stage" in categories else categories[0],
                                 options=categories, format_func=column_labeller())
    known = ",".join(default_order(df[category_col])) or ",".join(
        sorted({str(v) for v in df[category_col].dropna().unique()}))
    follow_column("cohort_order", category_col, known)
    order_text = persisted(st.text_input, "Order (lowest first, comma-separated)",
                           "cohort_order", known)
    order = tuple(o.strip() for o in order_text.split(",") if o.strip())
    log_scale = persisted(st.checkbox, "Logarithmic axis", "cohort_log", True)
    try:
        trend = _trend(where_key(), value_col, category_col, order, df)
    except CohortError as error:
        show_error(error)
        return
    figure = plots.biomarker_figure(df.assign(**{category_col: df[category_col].astype(str)}),
                                    value_col, category_col, order, trend=trend,
                                    log_scale=log_scale, theme=theme())
    st.plotly_chart(figure, config=plots.PLOTLY_CONFIG, theme=None, key="cohort_chart",
                    alt=f"Box plot of {value_col} by {category_col}")
    st.markdown(f"Jonckheere–Terpstra trend test of {md(value_col)} across "
                f"{md(' < '.join(order))}: J = {trend.statistic:g}, z = {trend.z:.2f}, "
                f"**{'p < 0.001' if trend.p < 0.001 else f'p = {trend.p:.3f}'}** "
                f"(normal approximation, n = {trend.n}).")


begin_page()
st.title("Cohort")
try:
    data = filtered_dataset()
except CohortError as error:  # e.g. a subgroup filter that does not fit the data
    show_error(error)
else:
    sugg = suggestion()
    _table_section(data, sugg)
    _biomarker_section(data, sugg)
end_page()
