"""Hazard ratios page: Cox model builder, forest plot, concordance, EPV, PH check."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st
from pages._analysis import run_analysis
from pages._common import (
    begin_page,
    column_labeller,
    dataset,
    display_names,
    end_page,
    md,
    persisted,
    show_table,
    suggestion,
    theme,
    time_unit,
    warnings_box,
)
from pages._competing import entry_notice
from pages._figure_cache import cached_figure
from pages._figures import (
    chart_config,
    download_menu,
    forest_builder,
    is_phone,
    present_button,
    wide_or_narrow,
)
from pages._hr_deeper import prediction_panel, screen_panel, strata_choice, subgroup_panel
from pages._widgets import column_key, endpoint_select, preset_reference

from cohort_explorer.analysis.stratify import category_levels
from cohort_explorer.errors import CohortError
from cohort_explorer.present import plots
from cohort_explorer.present.format import format_p
from cohort_explorer.present.labels import hr_adjustment
from cohort_explorer.present.tables import display_cox_table
from cohort_explorer.present.term_labels import cox_term_labels
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.grouping import parse_group_spec
from cohort_explorer.spec.terms import parse_covariate

TRANSFORMS = {"as is (per unit)": "", "per doubling (log2)": "log2",
              "per standard deviation": "z", "categorical": "cat"}
KIND_TO_LABEL = {"numeric": "as is (per unit)", "log2": "per doubling (log2)",
                 "z": "per standard deviation", "cat": "categorical"}


def _restore_terms() -> None:
    """Turn covariate strings from the URL (``hr_terms``) into the builder's widget state."""
    if "hr_cols" in st.session_state or not st.session_state.get("hr_terms"):
        return
    columns = []
    for text in st.session_state["hr_terms"]:
        try:
            term = parse_covariate(text)
        except CohortError:
            continue
        columns.append(term.column)
        st.session_state[column_key("hr_tf", term.column)] = KIND_TO_LABEL.get(
            term.kind, "as is (per unit)")
        if term.reference:
            st.session_state[column_key("hr_ref", term.column)] = term.reference
    st.session_state["hr_cols"] = columns


def _term(df: pd.DataFrame, column: str) -> str:
    numeric = df[column].dtype.kind in "if"
    options = list(TRANSFORMS) if numeric else ["categorical"]
    default = "categorical" if not numeric or df[column].dropna().nunique() <= 2 else \
        "as is (per unit)"
    left, right = st.columns(2)
    with left:
        label = persisted(st.selectbox, f"{md(column)}: coding", column_key("hr_tf", column),
                          default, options=options)
    kind = TRANSFORMS[label]
    if kind != "cat":
        return f"{column}:{kind}" if kind else column
    levels = category_levels(df[column])  # the engine's labels: 1.0 -> "1"
    preferred = preset_reference(column, levels)  # the CLI's first level, or the sample's preset
    with right:
        reference = persisted(st.selectbox, f"{md(column)}: reference level",
                              column_key("hr_ref", column), preferred, options=levels)
    return f"{column}:cat:ref={reference}"


def _builder(df: pd.DataFrame) -> tuple[list[str], bool]:
    _restore_terms()
    sugg = suggestion()
    used = {c for e in st.session_state.get("data_endpoints", [])
            for c in (e["time_col"], e["event_col"])}
    candidates = [c for c in list(sugg.group_candidates) + list(sugg.biomarker_candidates)
                  if c in df.columns and c not in used]
    candidates += [str(c) for c in df.columns if str(c) not in candidates and str(c) not in used
                   and str(c) not in set(st.session_state.get("data_identifiers", ()))]
    km_spec = st.session_state.get("km_spec")
    with_group = False
    if km_spec is not None and km_spec.group_by:
        with_group = persisted(
            st.checkbox, "Include the grouping from the Survival page: "
            + md(st.session_state.get("km_group_label", km_spec.group_by)),
            "hr_with_group", True)
    if with_group:  # the grouping's column is in the model already: not a covariate too
        grouped = _group_column(km_spec.group_by)
        if grouped in candidates:
            candidates.remove(grouped)
            st.markdown(f"{md(grouped)} is in the model as the Survival page's grouping, so it "
                       "is not offered as a covariate as well.")
    default = [c for c in ("cyto_risk",) if c in candidates]
    columns = persisted(st.multiselect, "Covariates", "hr_cols", default, options=candidates,
                        format_func=column_labeller())
    terms = [_term(df, column) for column in columns]
    st.session_state["hr_terms"] = terms
    return terms, with_group


def _group_column(group_by: str) -> str | None:
    try:
        return parse_group_spec(group_by).column
    except CohortError:
        return None


def _spec(endpoint: dict, terms: list[str], with_group: bool) -> AnalysisSpec:
    km_spec = st.session_state.get("km_spec")
    group = km_spec if with_group and km_spec is not None else None
    return AnalysisSpec(
        time_col=endpoint["time_col"], event_col=endpoint["event_col"],
        event_value=endpoint["event_value"],
        group_by=group.group_by if group else None, derive=group.derive if group else (),
        reference=group.reference if group else None,
        landmark_from=group.landmark_from if group else None,
        response_time_col=group.response_time_col if group else None,
        where=tuple(st.session_state.get("data_where", ())), covariates=tuple(terms),
        entry_col=st.session_state.get("data_entry_col") or None)  # delayed entry (Data page)


def _model(result, spec: AnalysisSpec, df: pd.DataFrame) -> None:
    cox = result.cox
    words = cox_term_labels(result, names=display_names())  # "ikzf1 Q2 (> 0.643 ...) vs Q1 (...)"
    warnings_box(result.warnings)  # this page shows the model: its EPV notice is here, once
    blocked = [t.term for t in cox.terms if not t.estimable]
    if blocked:
        st.warning("Not estimable: " + md("; ".join(
            f"{words.get(t.term, t.term)} ({t.reason})" for t in cox.terms if not t.estimable)),
            icon=":material/block:")
    if result.excluded.count:
        reasons = "; ".join(f"{k}: {v}" for k, v in result.excluded.reasons.items() if v)
        st.info(f"Complete cases: {cox.n} patients are in the model; {result.excluded.count} "
                f"rows were left out ({md(reasons)}). Kaplan–Meier numbers on the Survival page "
                "can differ for this reason.", icon=":material/info:")
    cols = st.columns(4)
    cols[0].metric("Patients", cox.n)
    cols[1].metric("Events", cox.events)
    cols[2].metric("Concordance", f"{cox.concordance:.3f}")
    cols[3].metric("Events per variable", f"{cox.events_per_variable:.1f}")
    st.markdown(f"Likelihood-ratio test: χ² = {cox.lr_test.statistic:.2f}, {cox.lr_test.df} df, "
                f"**{format_p(cox.lr_test.p)}** · ties: Efron")
    build = forest_builder(result, spec)
    phone = is_phone()
    # built once per session and model (plotly construction was most of this page's rerun)
    figure = cached_figure("forest", (repr(spec), phone), lambda: build(
        font_size=11 if phone else 17, width_hint=360 if phone else 1000))
    if phone:
        st.plotly_chart(figure, config=chart_config(True),
                        theme=None, key="hr_forest", alt="Forest plot of hazard ratios")
    else:
        narrow = cached_figure("forest_narrow", repr(spec), lambda: build(
            font_size=14, width_hint=520))
        wide_or_narrow(figure, narrow, key="hr_forest", alt="Forest plot of hazard ratios")
    with st.container(horizontal=True, key="hr_figure_tools"):
        present_button("forest", "pages/hazard_ratios.py", key="hr_present",
                       help="The figure in large type; arrow keys move between the session's "
                            "figures; Esc comes back here.")
        download_menu(build, "forest", key="hr_export", axis_titles=False)
    adjustment = hr_adjustment(cox, spec, group_column=result.group_column)
    st.markdown(f"Hazard ratios of this model are **{md(adjustment)}**"
                + (" (each term is adjusted for the others)." if adjustment != "unadjusted"
                   else "."))
    show_table(display_cox_table(cox, spec.conf_level, labels=words))
    _ph_section(result.ph_test, spec, cox_term_labels(result, names=display_names()))


def _ph_section(ph, spec: AnalysisSpec, labels: dict[str, str]) -> None:
    st.subheader("Proportional-hazards check (scaled Schoenfeld residuals, R cox.zph)")
    if ph is None and spec.strata is not None:
        st.info("Not computed for a stratified model (each stratum has its own baseline "
                "hazard); remove the stratification to check proportional hazards.",
                icon=":material/info:")
        return
    if ph is None:
        st.info("No term can be tested (none is estimable).", icon=":material/info:")
        return
    rows = [{"Term": label, "χ²": f"{t.statistic:.2f}", "df": str(t.df),
             "p": format_p(t.p, prefix=False)} for label, t in ph.terms]
    rows.append({"Term": "GLOBAL", "χ²": f"{ph.global_test.statistic:.2f}",
                 "df": str(ph.global_test.df), "p": format_p(ph.global_test.p, prefix=False)})
    if not any(t.p < 0.05 for _, t in ph.terms):
        st.success("No evidence against proportional hazards (all p ≥ 0.05).",
                   icon=":material/check_circle:")  # a violation is in the engine's warnings
    show_table(pd.DataFrame(rows))
    _ph_figure(ph, spec, labels)


def _ph_figure(ph, spec: AnalysisSpec, labels: dict[str, str]) -> None:
    """Residual plot of one coefficient (default: the one whose PH test has the smallest p)."""
    p_of = ph.plottable()  # worst first
    if not p_of:
        return
    default = next(iter(p_of))
    options = [term for term in ph.residuals.terms if term in p_of]  # in model order
    if st.session_state.get("hr_ph_model") != tuple(options):  # another model: its worst term
        st.session_state["hr_ph_model"] = tuple(options)
        st.session_state["hr_ph_term"] = st.session_state["hr_ph_term_w"] = default
    term = persisted(st.selectbox, "Residual plot for", "hr_ph_term", default, options=options,
                     format_func=lambda term: f"{labels.get(term, term)} (PH test "
                                              f"{format_p(p_of[term])})")
    figure = cached_figure("ph", (repr(spec), term), lambda: plots.ph_residual_figure(
        ph, term, theme=theme(), label=labels.get(term)))
    st.plotly_chart(figure, config=plots.PLOTLY_CONFIG,
                    theme=None, key="hr_ph_plot", alt="Scaled Schoenfeld residuals over time")
    st.caption("Each point is an event; the curve (natural spline, 4 df, ± 2 SE band, as R "
               "plot.cox.zph) estimates how the coefficient changes over time. A curve that "
               "stays near the dashed line (the Cox coefficient) is consistent with "
               "proportional hazards; a trend means the effect changes over follow-up.")


begin_page()
st.title("Hazard ratios")
df = dataset()
with st.container(border=True):
    endpoint = endpoint_select("hr")
    terms, with_group = _builder(df)
    strata = strata_choice(df, _spec(endpoint, terms, with_group)) if endpoint else None
if endpoint is not None:
    if not terms and not with_group:
        st.info("Choose covariates (or include the Survival grouping) to fit a Cox model.")
    else:
        spec = replace(_spec(endpoint, terms, with_group), strata=strata)
        if spec.landmark_from is not None:
            st.info(f"Landmark model from {spec.landmark_from:g} {md(time_unit())}, as on the "
                    "Survival page: only patients event-free and followed beyond the landmark; "
                    "time is measured from it; groups are the response reached by then.",
                    icon=":material/info:")
        result = run_analysis(spec)
        if result is not None and result.cox is None:
            warnings_box(result.warnings)
            st.info("No Cox model: there are no events or nothing to estimate.")
        elif result is not None:
            st.session_state["hr_spec"] = spec
            entry_notice(result)
            _model(result, spec, df)
            subgroup_panel(df, spec, result)
            prediction_panel(df, spec, result)
    screen_panel(df, _spec(endpoint, [], False))
end_page()
