"""Cohort Explorer — Streamlit entry point: page config, navigation, sidebar, session state.

Run with ``streamlit run app.py`` (``make run``). The pages are listed explicitly (no sections:
sidebar navigation with sections fails axe's list rules). The synthetic sample cohort is loaded
for every new session; the pages only collect choices and render the engine's results.
"""

from __future__ import annotations

import streamlit as st
from pages._common import (
    ensure_dataset,
    load_query_params,
    md,
    notice_synthetic,
    save_query_params,
    time_unit,
)

st.set_page_config(
    page_title="Cohort Explorer",
    page_icon=":material/monitor_heart:",
    layout="wide",
    initial_sidebar_state="expanded",
    menu_items={"About": "Cohort Explorer: Kaplan–Meier, log-rank and Cox models that match "
                         "R's survival package. Synthetic demo data only unless you upload."},
)

PAGES = [
    st.Page("pages/data.py", title="Data", icon=":material/table:", url_path="data",
            default=True),
    st.Page("pages/cohort.py", title="Cohort", icon=":material/groups:", url_path="cohort"),
    st.Page("pages/survival.py", title="Survival", icon=":material/show_chart:",
            url_path="survival"),
    st.Page("pages/hazard_ratios.py", title="Hazard ratios", icon=":material/forest:",
            url_path="hazard-ratios"),
    st.Page("pages/report.py", title="Report", icon=":material/description:",
            url_path="report"),
]

navigation = st.navigation(PAGES, position="sidebar")
load_query_params()
ensure_dataset()

with st.sidebar:
    st.markdown("**Active dataset**")
    st.markdown(md(st.session_state.get("data_name", "none")))
    rows, columns = st.session_state.get("data_shape", (0, 0))
    st.markdown(f"{rows} rows × {columns} columns · time in {md(time_unit())}")
    where = st.session_state.get("data_where") or []
    if where:
        st.markdown("**Subgroup filter:** " + md(" and ".join(where)))
    endpoint = st.session_state.get("app_endpoint") or st.session_state.get("km_endpoint")
    if endpoint:
        st.markdown(f"**Active endpoint:** {md(endpoint)}")
    notice_synthetic()

navigation.run()
save_query_params()
