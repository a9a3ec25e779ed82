"""Cohort Explorer — Streamlit entry point: navigation, then the shared frame and the page.

Run with ``streamlit run app.py`` (``make run``). The pages are listed explicitly (no sections:
sidebar navigation with sections fails axe's list rules). The synthetic sample cohort is loaded
for every new session (``frame``); the pages only collect choices and render engine results.
Presentation mode (``pages/present.py``, opened from a figure) hides the navigation and the
sidebar: the figure gets the whole window.
"""

from __future__ import annotations

import streamlit as st
from pages._common import frame, page_config
from pages._server import harden

from cohort_explorer.engines.config import load_sources

harden()  # idempotent; serve.py already did it before the server started

page_config()  # before st.navigation: the favicon is ours, not a page icon from a CDN
DATA = st.Page("pages/data.py", title="Data", icon=":material/table:", url_path="data")


def _start() -> None:
    """The app's root opens the Data page, which keeps its own address ``/data`` (a default
    page is only served at the root, and ``/data`` would report "Page not found")."""
    st.switch_page(DATA)


PAGES = [
    st.Page(_start, title="Start", url_path="start", default=True, visibility="hidden"),
    DATA,
    st.Page("pages/cohort.py", title="Cohort", icon=":material/groups:", url_path="cohort"),
    st.Page("pages/survival.py", title="Survival", icon=":material/show_chart:",
            url_path="survival"),
    st.Page("pages/biomarker.py", title="Biomarker", icon=":material/biotech:",
            url_path="biomarker"),
    st.Page("pages/hazard_ratios.py", title="Hazard ratios", icon=":material/forest:",
            url_path="hazard-ratios"),
    st.Page("pages/report.py", title="Report", icon=":material/description:",
            url_path="report"),
    st.Page("pages/present.py", title="Presentation", icon=":material/slideshow:",
            url_path="present", visibility="hidden"),
]

if load_sources():  # an admin-configured registry (server config, never the browser)
    PAGES.append(st.Page("pages/registry.py", title="Registry", icon=":material/database:",
                         url_path="registry"))
presenting = bool(st.session_state.get("app_present"))
navigation = st.navigation(PAGES, position="hidden" if presenting else "sidebar")
st.session_state["app_ready"] = True
frame(sidebar=not presenting)
st.session_state["app_frame_done"] = True
navigation.run()
