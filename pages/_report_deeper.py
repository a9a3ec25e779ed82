"""Report page helper: the deeper analyses (Biomarker page, subgroup forest, screen, landmark
differences) for the report, when they are for the same endpoint as the Survival analysis."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from pages._analysis import run_analysis
from pages._common import data_key, time_unit
from pages._figures import endpoint_key

from cohort_explorer.present.report_deeper import deeper_report_parts


def _same_endpoint(spec, km_spec) -> bool:
    """For the Survival analysis' endpoint (the one chosen there, also when its competing-risk
    analysis reads the event from a cause column)."""
    return spec is not None and endpoint_key(spec) == endpoint_key(km_spec)


def _session_parts(km_result, hr_result) -> tuple[dict, dict]:
    """The deeper analyses shown this session for the Survival endpoint, and their specs."""
    km_spec = km_result.spec
    parts: dict = {"survival": km_result, "time_unit": time_unit()}
    specs: dict = {}
    bio = st.session_state.get("bio_specs")
    if bio and _same_endpoint(bio[0], km_spec):
        cut_spec, spline_spec, quartile_spec = bio
        specs.update(cut=cut_spec, spline=spline_spec, quartiles=quartile_spec)
        parts["cut"] = run_analysis(cut_spec)
        parts["spline"] = run_analysis(spline_spec)
        parts["quartiles"] = run_analysis(quartile_spec)
        stored = st.session_state.get("bio_boot")
        if stored is not None and stored[2] == cut_spec and stored[0][0] == data_key():
            parts["bootstrap"] = stored[1]
    sub_spec = st.session_state.get("hr_subgroup_spec")
    if hr_result is not None and _same_endpoint(sub_spec, km_spec):
        specs["subgroups"] = sub_spec
        parts["subgroups"] = run_analysis(sub_spec)
        parts["overall_cox"] = hr_result.cox
    screen_spec = st.session_state.get("hr_screen_spec")
    if _same_endpoint(screen_spec, km_spec):
        specs["screen"] = screen_spec
        parts["screen"] = run_analysis(screen_spec)
    return parts, specs


def deeper_parts(km_result, hr_result) -> tuple[dict, dict, list]:
    """Figures, captions and table sections of the deeper analyses shown this session."""
    return deeper_report_parts(**_session_parts(km_result, hr_result)[0])


def deeper_r_parts(km_result, hr_result) -> list[tuple]:
    """The same analyses for the report's R script: ``[(title, spec, result, kind)]``."""
    parts, specs = _session_parts(km_result, hr_result)
    out = []
    if "cut" in parts:
        cut = parts["cut"]
        if "bootstrap" in parts and cut.cutpoint is not None:  # the bootstrap shown, replayed
            cut = replace(cut, cutpoint=replace(cut.cutpoint, bootstrap=parts["bootstrap"]))
        out += [("Biomarker cut point", specs["cut"], cut, "deeper"),
                ("Biomarker spline", specs["spline"], parts["spline"], "deeper"),
                ("HR per quartile", specs["quartiles"], parts["quartiles"], "cox")]
    for key, title in (("subgroups", "Subgroup forest"), ("screen", "Univariable screen")):
        if key in parts:
            out.append((title, specs[key], parts[key], "deeper"))
    return out


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
