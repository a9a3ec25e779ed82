"""Survival page: endpoint, stratification, Kaplan–Meier with numbers at risk, tests and HRs."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from pages._analysis import run_analysis, run_first_stage
from pages._common import (
    DEFAULT_LANDMARK,
    begin_page,
    dataset,
    default_display_unit,
    display_names,
    end_page,
    landmarks_in,
    md,
    persisted,
    show_table,
    suggestion,
    theme,
    time_unit,
    warnings_box,
)
from pages._competing import (
    competing_controls,
    competing_section,
    entry_notice,
    suggests_competing,
)
from pages._figure_cache import cached_figure
from pages._figures import (
    display_scale,
    display_unit,
    download_menu,
    is_phone,
    km_builder,
    present_button,
)
from pages._survival_deeper import landmark_differences_section
from pages._widgets import endpoint_select, follow_column, group_builder

from cohort_explorer.present import plots
from cohort_explorer.present.format import format_p
from cohort_explorer.present.labels import TIME_UNITS, group_name, hr_adjustment, unit_word
from cohort_explorer.present.messages import message_code, split_model_notices
from cohort_explorer.present.tables import (
    display_cox_table,
    display_group_table,
    display_pairwise_table,
    display_rmst_table,
    display_tests_table,
    group_table_lines,
)
from cohort_explorer.present.term_labels import cox_term_labels
from cohort_explorer.spec import AnalysisSpec

PAIRWISE = {"None": None, "Holm": "holm", "Benjamini–Hochberg": "BH"}
#: The KM chart's widest (the main column of a 1920 px screen); it stretches up to this.
CHART_MAX_WIDTH = 1440
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


BANDS = {"Automatic (on for one or two groups)": None, "On": True, "Off": False}


def _options(choice) -> dict:
    left, middle, right = st.columns(3)
    with left:
        unit = persisted(st.selectbox, "Show times in", "km_display_unit",
                         default_display_unit(time_unit()), options=list(TIME_UNITS),
                         help=f"The data's times are in {time_unit()}; axes, tables and "
                              "landmarks use this unit.")
        landmarks_in(unit)
        landmarks = persisted(st.text_input, f"Landmark times ({unit}, comma-separated)",
                              "km_landmarks", DEFAULT_LANDMARK.get(unit, "36"))
        rmst = persisted(st.text_input, f"Restricted mean survival up to ({unit}; empty = off)",
                         "km_rmst", "")
    with middle:
        pairwise = persisted(st.selectbox, "Pairwise log-rank tests", "km_pairwise", "None",
                             options=list(PAIRWISE))
        bands = persisted(st.selectbox, "Confidence bands", "km_bands", list(BANDS)[0],
                          options=list(BANDS))
    with right:
        trend = False
        if choice.ordered and choice.levels >= 3:  # a trend needs three ordered groups
            trend = persisted(st.checkbox, "Test for trend across the ordered groups",
                              "km_trend", True)
    scale = display_scale()  # data unit -> display unit
    tau = _rmst_tau(rmst)
    st.session_state["km_show_ci"] = BANDS[bands]
    return {"landmarks": tuple(v / scale for v in _landmarks(landmarks)),
            "pairwise": PAIRWISE[pairwise], "show_ci": BANDS[bands], "trend": trend,
            "rmst": None if tau is None else tau / scale}


def _rmst_tau(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        tau = float(text)
    except ValueError:
        tau = float("nan")
    if not tau > 0:
        st.error(f"RMST horizon {md(text)} must be a positive number of {md(display_unit())}.")
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
    if not any(message_code(w) == "immortal_time" for w in result.warnings):
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


def key_line(result, endpoint: str) -> None:
    """Patients, events, the group test and follow-up in one line above the chart."""
    parts = [f"**{result.n} patients**, {result.events} events"]
    if result.logrank is not None:
        small = any(g.n < 10 or g.events == 0 for g in result.groups)
        parts.append(f"**Log-rank {format_p(result.logrank.p)}**"
                     + (f" (trend {format_p(result.trend.p)})" if result.trend else "")
                     + (" — caution: a group has fewer than 10 patients or no events"
                        if small else ""))
    if result.cutpoint is not None:
        parts.append(f"optimal cut {result.cutpoint.cutpoint:g}: corrected "
                     f"{format_p(result.cutpoint.p_corrected)} (Lau94; the naive p is not valid)")
    follow = result.follow_up
    if follow is not None and follow.median == follow.median:
        parts.append("median follow-up " + md(unit_word(round(follow.median * display_scale(),
                                                              1), display_unit())))
    st.markdown(f"{md(endpoint)}: " + " · ".join(parts))


def _notes(result, options) -> None:
    """Why some numbers are missing or differ: exclusions, landmarks beyond follow-up."""
    if result.excluded.count:
        reasons = {k: v for k, v in result.excluded.reasons.items() if v}
        st.markdown(f"{result.excluded.count} rows are not in the analysis: "
                    + md("; ".join(f"{k}: {v}" for k, v in reasons.items())) + ".")
    for landmark in options["landmarks"]:
        missing = [g for g in result.groups for lm in g.landmarks
                   if abs(lm.time - landmark) < 1e-9 and (lm.survival is None
                                                          or lm.survival != lm.survival)]
        if missing:  # a curve that dropped to 0 has the estimate 0 (R extend=TRUE)
            last = max(float(g.km.time[-1]) for g in missing if len(g.km.time))
            when = unit_word(round(landmark * display_scale(), 2), display_unit())
            which = ("" if len(missing) == len(result.groups)
                     else " for " + ", ".join(md(str(g.label)) for g in missing))
            st.info(f"No estimate at {md(when)}{which}: follow-up ends at "
                    f"{md(unit_word(round(last * display_scale(), 1), display_unit()))}. "
                    "Choose an earlier landmark under *Change the analysis*.",
                    icon=":material/info:")


def _results(result, choice, options, endpoint, done: bool = True):
    """Draw the results; without the Cox model yet (``done`` False) the place of its section
    is returned, to show that it is being fitted."""
    models = _result_sections(result, choice, options, endpoint, done)
    landmark_differences_section(result)  # last: earlier tables keep their positions
    return models


def _result_sections(result, choice, options, endpoint, done: bool = True):
    unit, scale = display_unit(), display_scale()
    table = display_group_table(result, unit, endpoint=endpoint["name"], time_scale=scale,
                                with_hr=True, conf_level=result.spec.conf_level)
    phone = is_phone()
    if phone:  # a wide table would scroll sideways: one line per group instead
        for name, line in group_table_lines(table):
            st.markdown(f"**{md(name)}**: " + md(line))
    else:
        show_table(table)
    build = km_builder(result, endpoint=endpoint["name"], group_title=choice.description,
                       show_ci=options["show_ci"])
    # Beside "Change the analysis", above the results: clicked without scrolling, so
    # presentation mode opens at its top (a page switch keeps the window's scroll position).
    with FIGURE_TOOLS, st.container(horizontal=True, key="km_figure_tools"):
        present_button("kaplan-meier", "pages/survival.py", key="km_present",
                       help="The figure and its key numbers in large type; arrow keys move "
                            "between the session's figures; Esc comes back here.")
        download_menu(build, "kaplan-meier", key="km_export")
    # As wide as the table up to 1440 px (a 1920 screen); the legend is laid out for 1000 px,
    # the plot area's height for 1440 (plots.PLOT_ASPECT of the width: never flat).
    # built once per session and choice (plotly construction is a good part of a rerun)
    figure = cached_figure(
        "km", (repr(result.spec), endpoint["name"], choice.description, options["show_ci"],
               phone, result.cox is not None, display_unit(), display_scale()),
        lambda: build(width_hint=360 if phone else 1000,
                      height_for_width=None if phone else CHART_MAX_WIDTH,
                      font_size=13 if phone else 17))
    with st.container(width=CHART_MAX_WIDTH if not phone else "stretch", key="km_chart_box"):
        st.plotly_chart(figure,
                        config={**plots.PLOTLY_CONFIG, "displayModeBar": not phone},
                        theme=None, key="km_chart",
                        alt=f"Kaplan–Meier curves of {endpoint['name']} with numbers at risk")
    key_line(result, endpoint["name"])
    others, model_notes = split_model_notices(result.warnings)
    warnings_box(others)  # the Cox model's own (EPV, convergence) stand beside its table
    _notes(result, options)
    if any(g.rmst is not None for g in result.groups):
        st.subheader("Restricted mean survival time")
        show_table(display_rmst_table(result, unit, time_scale=scale))
    if result.logrank is not None:
        st.subheader("Tests")
        show_table(display_tests_table(result))
    if result.pairwise:
        st.subheader("Pairwise log-rank tests")
        show_table(display_pairwise_table(result))
    models = None if done else st.empty()  # the Cox model comes next (see the page's end)
    if result.cox is not None:
        words = hr_adjustment(result.cox, result.spec, group_column=result.group_column)
        st.subheader(f"Hazard ratios against {md(group_name(result.groups[0]))}: "
                     f"Cox, {words}")
        show_table(display_cox_table(result.cox, labels=cox_term_labels(
            result, names=display_names())))
        warnings_box(model_notes)
    if result.cutpoint is not None:
        st.plotly_chart(plots.cutpoint_figure(result.cutpoint, column=choice.column,
                                              theme=theme()),
                        config=plots.PLOTLY_CONFIG, theme=None, key="km_cut_chart",
                        alt="Standardised log-rank statistic over the candidate cut points")
    return models


def _complete_models(spec, models) -> None:
    """Second stage of a first draw: fit the Cox model and PH test (cached for the session),
    then draw the page again from the complete analysis (hazard ratios in the legend and the
    tables). The curves were drawn already; at a million rows the model takes longer."""
    with models.container(), st.spinner("Fitting the Cox model (hazard ratios)…"):
        full = run_analysis(spec)
    if full is not None:  # on an error the message is shown; the curves stay
        st.rerun()


begin_page()
st.title("Survival")
df = dataset()
HEAD, FIGURE_TOOLS = st.columns([3, 2], vertical_alignment="top")
controls = HEAD.expander("Change the analysis: endpoint, grouping, landmarks, time unit"
                         + (", competing events" if suggests_competing(df) else ""),
                         icon=":material/tune:", key="km_controls")
with controls:
    endpoint = endpoint_select("km")
    choice = group_builder("km", df, suggestion())
    options = _options(choice)
    options["extra"] = competing_controls(df, endpoint)

models = None
if endpoint is not None:
    spec = _spec(endpoint, choice, options)
    result, done = run_first_stage(spec)
    if result is not None and len(result.groups) > 1:
        labels = [str(g.label) for g in result.groups]
        # a new grouping (or order) starts from its first group, as the command line does
        follow_column("km_reference", choice.group_by or "", labels[0])
        with controls:
            reference = persisted(st.selectbox, "Reference group (hazard ratios, legend)",
                                  "km_reference", labels[0], options=labels)
        if reference != labels[0]:
            spec = _spec(endpoint, choice, options, reference)
            result, done = run_first_stage(spec)
    if result is None:
        _landmark_exit()
    else:
        st.session_state["km_spec"] = result.spec
        # the endpoint chosen, also when a competing event re-codes the event (Report page)
        st.session_state["km_endpoint"] = (result.spec, (
            endpoint["time_col"], endpoint["event_col"], endpoint["event_value"]))
        st.session_state["km_group_label"] = choice.description
        _landmark_controls(result, choice, df)
        entry_notice(result)
        models = _results(result, choice, options, endpoint, done)
        competing_section(result, endpoint, choice.column)
end_page()
if models is not None:
    _complete_models(spec, models)
