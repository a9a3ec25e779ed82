"""Survival page: endpoint, stratification, Kaplan–Meier with numbers at risk, tests and HRs."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from pages._common import (
    DEFAULT_LANDMARK,
    begin_page,
    dataset,
    end_page,
    md,
    persisted,
    run_analysis,
    show_table,
    suggestion,
    theme,
    time_unit,
    warnings_box,
)
from pages._competing import competing_controls, competing_section, entry_notice
from pages._survival_deeper import landmark_differences_section
from pages._widgets import endpoint_select, group_builder

from cohort_explorer.present import plots
from cohort_explorer.present.format import format_p, format_time
from cohort_explorer.present.tables import (
    display_cox_table,
    display_group_table,
    display_pairwise_table,
    display_rmst_table,
    display_tests_table,
)
from cohort_explorer.spec import AnalysisSpec

PAIRWISE = {"None": None, "Holm": "holm", "Benjamini–Hochberg": "BH"}
DEFAULT_RESPONSE_LANDMARK = {"months": 12.0, "days": 365.0, "weeks": 52.0, "years": 1.0}


def _landmarks(text: str) -> tuple[float, ...]:
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            st.error(f"Landmark {md(part)} is not a number; use e.g. 12, 36.")
            continue
        if value >= 0:
            values.append(value)
    return tuple(values)


def _options(choice) -> dict:
    unit = time_unit()
    left, middle, right = st.columns(3)
    with left:
        landmarks = persisted(st.text_input, f"Landmark times ({unit}, comma-separated)",
                              "km_landmarks", DEFAULT_LANDMARK.get(unit, "36"))
        rmst = persisted(st.text_input, f"Restricted mean survival up to ({unit}; empty = off)",
                         "km_rmst", "")
    with middle:
        pairwise = persisted(st.selectbox, "Pairwise log-rank tests", "km_pairwise", "None",
                             options=list(PAIRWISE))
    with right:
        show_ci = persisted(st.checkbox, "Show 95% confidence bands", "km_ci", True)
        trend = persisted(st.checkbox, "Test for trend across ordered groups", "km_trend",
                          choice.ordered)
    return {"landmarks": _landmarks(landmarks), "pairwise": PAIRWISE[pairwise],
            "show_ci": show_ci, "trend": trend, "rmst": _rmst_tau(rmst)}


def _rmst_tau(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        tau = float(text)
    except ValueError:
        tau = float("nan")
    if not tau > 0:
        st.error(f"RMST horizon {md(text)} must be a positive number of {md(time_unit())}.")
        return None
    return tau


def _landmark_exit() -> bool:
    """In landmark mode: say so and offer the way back (also when the analysis failed)."""
    if not st.session_state.get("km_landmark_from"):
        return False
    st.info(f"Landmark analysis from {md(st.session_state['km_landmark_from'])} "
            f"{md(time_unit())}: only patients event-free and followed beyond the landmark; "
            "time is measured from it; groups are the response reached by then.")
    if st.button("Back to the analysis from time zero", key="km_landmark_off"):
        st.session_state["km_landmark_from"] = ""
        st.rerun()
    return True


def _landmark_controls(result, choice, df) -> None:
    """Immortal-time guard: one click to a landmark analysis grouped by response reached by L."""
    if _landmark_exit():
        return
    if not any("immortal" in w for w in result.warnings):
        return
    numeric = [c for c in df.columns if c != choice.column and "resp" in c.lower()
               and df[c].dtype.kind in "if"]
    if not numeric:
        return
    with st.container(border=True):
        st.markdown("**Landmark analysis (guards against immortal-time bias)**")
        left, right = st.columns(2)
        with left:
            landmark = st.number_input(f"Landmark ({md(time_unit())})", min_value=0.0,
                                       value=DEFAULT_RESPONSE_LANDMARK.get(time_unit(), 12.0),
                                       key="km_landmark_value")
        with right:
            column = persisted(st.selectbox, "Time when the response was reached",
                               "km_response_col", numeric[0], options=numeric)
        if st.button(f"Run the landmark analysis at {landmark:g} {time_unit()}",
                     key="km_landmark_on", type="primary"):
            st.session_state["km_landmark_from"] = f"{landmark:g}"
            st.session_state["km_response_col"] = column
            st.rerun()


def _spec(endpoint, choice, options, reference=None) -> AnalysisSpec:
    landmark_from = st.session_state.get("km_landmark_from") or None
    return replace(AnalysisSpec(
        time_col=endpoint["time_col"], event_col=endpoint["event_col"],
        event_value=endpoint["event_value"], group_by=choice.group_by, derive=choice.derive,
        where=tuple(st.session_state.get("data_where", ())), reference=reference,
        landmarks=options["landmarks"], rmst_tau=options["rmst"], pairwise=options["pairwise"] if choice.group_by else None,
        trend=bool(options["trend"] and choice.group_by),
        landmark_from=float(landmark_from) if landmark_from and choice.group_by else None,
        response_time_col=st.session_state.get("km_response_col") if landmark_from else None,
    ), **options.get("extra", {}))


def _headline(result) -> None:
    cols = st.columns(4)
    cols[0].metric("Patients analysed", result.n)
    cols[1].metric("Events", result.events)
    cols[2].metric("Excluded rows", result.excluded.count)
    follow = result.follow_up
    median = getattr(follow, "median", None) if follow is not None else None
    cols[3].metric(f"Median follow-up ({time_unit()})", format_time(median))
    tests = []
    if result.logrank is not None:
        small = any(g.n < 10 or g.events == 0 for g in result.groups)
        caution = " — caution: a group has fewer than 10 patients or no events" if small else ""
        tests.append(f"**Log-rank {format_p(result.logrank.p)}** "
                     f"(χ² = {result.logrank.statistic:.2f}, {result.logrank.df} df){caution}")
    if result.trend is not None:
        tests.append(f"Trend test {format_p(result.trend.p)}")
    if result.cutpoint is not None:
        tests.append(f"Optimal cut {result.cutpoint.cutpoint:g}: corrected "
                     f"{format_p(result.cutpoint.p_corrected)} (Lau94; the naive p is not valid)")
    if tests:
        st.markdown(" · ".join(tests))
    if result.excluded.count:
        reasons = {k: v for k, v in result.excluded.reasons.items() if v}
        st.markdown("Excluded: " + md("; ".join(f"{k}: {v}" for k, v in reasons.items())))


def _results(result, choice, options, endpoint) -> None:
    _result_sections(result, choice, options, endpoint)
    landmark_differences_section(result)  # last: earlier tables keep their positions


def _result_sections(result, choice, options, endpoint) -> None:
    warnings_box(result.warnings)
    _headline(result)
    figure = plots.km_figure(
        result, time_unit=time_unit(), endpoint=endpoint["name"], group_title=choice.column,
        landmark=options["landmarks"][0] if options["landmarks"] else None,
        show_ci=options["show_ci"], theme=theme())
    st.plotly_chart(figure, config=plots.PLOTLY_CONFIG, theme=None, key="km_chart",
                    alt="Kaplan–Meier curves with numbers at risk")
    st.subheader("Median and landmark survival")
    show_table(display_group_table(result, time_unit()))
    if any(g.rmst is not None for g in result.groups):
        st.subheader("Restricted mean survival time")
        show_table(display_rmst_table(result, time_unit()))
    if result.logrank is not None:
        st.subheader("Tests")
        show_table(display_tests_table(result))
    if result.pairwise:
        st.subheader("Pairwise log-rank tests")
        show_table(display_pairwise_table(result))
    if result.cox is not None:
        st.subheader("Hazard ratios against the reference group")
        show_table(display_cox_table(result.cox))
    if result.cutpoint is not None:
        st.plotly_chart(plots.cutpoint_figure(result.cutpoint, column=choice.column,
                                              theme=theme()),
                        config=plots.PLOTLY_CONFIG, theme=None, key="km_cut_chart",
                        alt="Standardised log-rank statistic over the candidate cut points")


begin_page()
st.title("Survival")
df = dataset()
with st.container(border=True):
    endpoint = endpoint_select("km")
    choice = group_builder("km", df, suggestion())
    options = _options(choice)
    options["extra"] = competing_controls(df, endpoint)

if endpoint is not None:
    result = run_analysis(_spec(endpoint, choice, options))
    if result is not None and len(result.groups) > 1:
        labels = [str(g.label) for g in result.groups]
        reference = persisted(st.selectbox, "Reference group (hazard ratios, legend)",
                              "km_reference", labels[0], options=labels)
        if reference != labels[0]:
            result = run_analysis(_spec(endpoint, choice, options, reference))
    if result is None:
        _landmark_exit()
    else:
        st.session_state["km_spec"] = result.spec
        st.session_state["km_group_label"] = choice.description
        _landmark_controls(result, choice, df)
        entry_notice(result)
        _results(result, choice, options, endpoint)
        competing_section(result, endpoint, choice.column)
end_page()
