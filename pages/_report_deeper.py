"""Report page helper: the deeper analyses (Biomarker page, subgroup forest, screen, landmark
differences) for the report, when they are for the same endpoint as the Survival analysis."""

from __future__ import annotations

import streamlit as st
from pages._common import data_key, run_analysis, time_unit

from cohort_explorer.present.report_deeper import deeper_report_parts


def _same_endpoint(spec, km_spec) -> bool:
    return spec is not None and (spec.time_col, spec.event_col, spec.event_value) == (
        km_spec.time_col, km_spec.event_col, km_spec.event_value)


def deeper_parts(km_result, hr_result) -> tuple[dict, dict, list]:
    """Figures, captions and table sections of the deeper analyses shown this session."""
    km_spec = km_result.spec
    parts: dict = {"survival": km_result, "time_unit": time_unit()}
    specs = st.session_state.get("bio_specs")
    if specs and _same_endpoint(specs[0], km_spec):
        cut_spec, spline_spec, quartile_spec = specs
        parts["cut"] = run_analysis(cut_spec)
        parts["spline"] = run_analysis(spline_spec)
        parts["quartiles"] = run_analysis(quartile_spec)
        stored = st.session_state.get("bio_boot")
        if stored is not None and stored[2] == cut_spec and stored[0][0] == data_key():
            parts["bootstrap"] = stored[1]
    sub_spec = st.session_state.get("hr_subgroup_spec")
    if hr_result is not None and _same_endpoint(sub_spec, km_spec):
        parts["subgroups"] = run_analysis(sub_spec)
        parts["overall_cox"] = hr_result.cox
    screen_spec = st.session_state.get("hr_screen_spec")
    if _same_endpoint(screen_spec, km_spec):
        parts["screen"] = run_analysis(screen_spec)
    return deeper_report_parts(**parts)


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
