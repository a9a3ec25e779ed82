"""Biomarker page: where would a cut go, how stable is it, is the effect linear, HR per quartile."""

from __future__ import annotations

import streamlit as st
from pages._analysis import run_analysis
from pages._biomarker_panels import bootstrap_panel, cut_panel, quartile_panel, spline_panel
from pages._common import (
    begin_page,
    column_labeller,
    dataset,
    end_page,
    md,
    persisted,
    readable,
    suggestion,
)
from pages._widgets import endpoint_select

from cohort_explorer.spec import AnalysisSpec


def _markers(df, endpoint) -> list[str]:
    used = {endpoint["time_col"], endpoint["event_col"]}
    ids = set(st.session_state.get("data_identifiers", ()))
    numeric = [str(c) for c in df.columns if df[c].dtype.kind in "if" and str(c) not in used
               and str(c) not in ids and df[c].nunique() >= 5]
    preferred = [c for c in suggestion().biomarker_candidates if c in numeric]
    return preferred + [c for c in numeric if c not in preferred]


def _adjustment(df, marker: str, endpoint) -> tuple[str, ...]:
    used = {endpoint["time_col"], endpoint["event_col"], marker}
    ids = set(st.session_state.get("data_identifiers", ()))
    options = [str(c) for c in df.columns if str(c) not in used and str(c) not in ids]
    chosen = persisted(st.multiselect, "Adjust the spline for (optional)", "bio_adjust", [],
                       options=options)
    return tuple(c if df[c].dtype.kind in "if" and df[c].nunique() > 2 else f"{c}:cat"
                 for c in chosen)


def _spec(endpoint, **options) -> AnalysisSpec:
    return AnalysisSpec(time_col=endpoint["time_col"], event_col=endpoint["event_col"],
                        event_value=endpoint["event_value"],
                        where=tuple(st.session_state.get("data_where", ())), **options)


begin_page()
st.title("Biomarker")
df = dataset()
with st.container(border=True):
    endpoint = endpoint_select("bio")
    markers = _markers(df, endpoint) if endpoint is not None else []
    marker = adjust = None
    if endpoint is not None and not markers:
        st.info("No continuous marker (a numeric column with at least 5 distinct values).")
    elif endpoint is not None:
        default = "ikzf1" if "ikzf1" in markers else markers[0]
        marker = persisted(st.selectbox, "Continuous marker", "bio_marker", default,
                           options=markers, format_func=column_labeller())
        adjust = _adjustment(df, marker, endpoint)
if marker is not None:
    st.markdown(f"Exploring **{md(readable(marker))}** as a prognostic marker. Cuts chosen here are "
                "data-driven: the bootstrap and the spline show how much to trust them.")
    cut_spec = _spec(endpoint, group_by=f"{marker}:optimal")
    spline_spec = _spec(endpoint, spline=marker, covariates=adjust)
    quartile_spec = _spec(endpoint, group_by=f"{marker}:quartiles")
    st.session_state["bio_specs"] = (cut_spec, spline_spec, quartile_spec)
    cut_result = run_analysis(cut_spec)
    if cut_result is not None and cut_result.cutpoint is not None:
        cut_panel(cut_result, marker)
        bootstrap_panel(cut_spec, cut_result.cutpoint, marker)
    spline_result = run_analysis(spline_spec)
    if spline_result is not None:
        spline_panel(spline_result)
    quartile_result = run_analysis(quartile_spec)
    if quartile_result is not None:
        quartile_panel(quartile_result, marker)
end_page()
