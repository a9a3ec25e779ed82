"""Registry page: analyse a large data source the server's admin configured (DuckDB/Spark).

The sources are named in the server's config (``COHORT_EXPLORER_SOURCES``), never by the browser
or the URL; the rows stay in the engine and only aggregates come back (Kaplan–Meier tables,
tests, Cox coefficients; the concordance and PH test on a seeded sample, labelled).
"""

from __future__ import annotations

import streamlit as st
from pages._common import begin_page, end_page, md, show_error, theme, warnings_box
from pages._text import show_table

from cohort_explorer.engines.config import load_sources, open_configured
from cohort_explorer.errors import CohortError
from cohort_explorer.present import plots
from cohort_explorer.present.messages import split_model_notices
from cohort_explorer.present.tables import (
    display_cox_table,
    display_group_table,
    display_tests_table,
)
from cohort_explorer.present.term_labels import cox_term_labels
from cohort_explorer.spec import AnalysisSpec


@st.cache_resource(show_spinner=False)
def _columns(name: str) -> dict[str, str]:
    source = open_configured(name, load_sources())
    try:
        return source.columns()
    finally:
        source.close()


@st.cache_data(show_spinner=False, max_entries=32)
def _analyse(name: str, spec: AnalysisSpec):
    from cohort_explorer.engines.pushdown import analyze_pushdown

    source = open_configured(name, load_sources())
    try:
        return analyze_pushdown(source, spec)
    finally:
        source.close()


def main() -> None:
    begin_page()
    st.title("Registry")
    sources = load_sources()
    if not sources:
        st.info("No registry is configured on this server. An administrator names Parquet "
                "folders, DuckDB-readable files or Spark tables in the file given by the "
                "COHORT_EXPLORER_SOURCES environment variable (see docs/scaling.md).")
        end_page()
        return
    names = list(sources)
    name = st.selectbox("Data source", names, format_func=lambda n: sources[n].label,
                        key="registry_source")
    try:
        columns = _columns(name)
    except (CohortError, OSError) as error:
        show_error(error)
        end_page()
        return
    numeric = [c for c, kind in columns.items() if kind in ("numeric", "bool")]
    left, middle, right = st.columns(3)
    time_col = left.selectbox("Time", numeric, key="registry_time")
    event_col = middle.selectbox("Event (0/1)", numeric, key="registry_event",
                                 index=min(1, len(numeric) - 1))
    group = right.selectbox("Group by", ["(none)", *columns], key="registry_group")
    rule = ""
    if group != "(none)" and columns[group] == "numeric":
        rule = st.radio("Split", ["quartiles", "tertiles", "median", "as categories"],
                        horizontal=True, key="registry_rule")
    covariates = st.multiselect("Adjust the Cox model for", [c for c in columns if c != group],
                                key="registry_covariates")
    spec = AnalysisSpec(
        time_col, event_col,
        group_by=None if group == "(none)" else (
            group if rule in ("", "as categories") else f"{group}:{rule}"),
        covariates=tuple(c if columns[c] == "numeric" else f"{c}:cat" for c in covariates),
        landmarks=(12.0, 36.0))
    try:
        with st.spinner("Aggregating in the data source…"):
            result = _analyse(name, spec)
    except CohortError as error:
        show_error(error)
        end_page()
        return
    st.caption(md(f"{result.n:,} patients, {result.events:,} events — computed by "
                  f"{result.software.get('engine', '')} from aggregates; no row left the source."))
    others, model_notes = split_model_notices(result.warnings)
    warnings_box(others)
    st.plotly_chart(plots.km_figure(result, group_title=None if group == "(none)" else group,
                                    theme=theme()),
                    config=plots.PLOTLY_CONFIG, theme=None, key="registry_km")
    show_table(display_group_table(result, None))
    if result.logrank is not None:
        show_table(display_tests_table(result))
    if result.cox is not None:
        show_table(display_cox_table(result.cox, labels=cox_term_labels(result)))
        warnings_box(model_notes)  # beside the model they are about
    end_page()


main()
