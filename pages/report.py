"""Report page: download figures (PNG/SVG), tables (CSV/XLSX) and the self-contained HTML report."""

from __future__ import annotations

import re

import streamlit as st
from pages._common import (
    begin_page,
    dataset,
    end_page,
    endpoints,
    filtered_dataset,
    md,
    run_analysis,
    show_error,
    theme,
    time_unit,
)
from pages._report_deeper import deeper_parts
from pages._review import fingerprint, r_script_download

from cohort_explorer.errors import CohortError
from cohort_explorer.present import exports, plots, report


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "analysis"


def _endpoint_key(spec) -> tuple:
    return spec.time_col, spec.event_col, spec.event_value


def _endpoint_of(spec) -> str:
    """Name of the Data page's endpoint that ``spec`` analyses (its time column if none is)."""
    return next((e["name"] for e in endpoints()
                 if (e["time_col"], e["event_col"], e["event_value"]) == _endpoint_key(spec)),
                spec.time_col)


def _endpoint_notes(km_spec, hr_spec, endpoint: str):
    """Say when the analyses are not for the app-wide endpoint; the ``hr_spec`` to report."""
    chosen = st.session_state.get("app_endpoint")
    if chosen and chosen != endpoint:
        st.info(f"The Survival analysis is for {md(endpoint)}; open the Survival page to update "
                f"it for {md(chosen)}.", icon=":material/info:")
    if hr_spec is None or _endpoint_key(hr_spec) == _endpoint_key(km_spec):
        return hr_spec
    cox_endpoint = _endpoint_of(hr_spec)
    update = (f"it is included once the Survival analysis is for {md(cox_endpoint)} too"
              if cox_endpoint == chosen
              else f"open the Hazard ratios page to fit it for {md(chosen or endpoint)}")
    st.info(f"The Cox model of the Hazard ratios page is for {md(cox_endpoint)}, not "
            f"{md(endpoint)}, so this report leaves it out; {update}.", icon=":material/info:")
    return None


def _figures(km_result, hr_result, endpoint: str) -> dict:
    figures = {"kaplan-meier": plots.km_figure(
        km_result, time_unit=time_unit(), endpoint=endpoint,
        group_title=km_result.group_column,
        landmark=km_result.spec.landmarks[0] if km_result.spec.landmarks else None)}
    if hr_result is not None and hr_result.cox is not None:
        figures["forest"] = plots.forest_figure(hr_result.cox)
        worst = next(iter((hr_result.ph_test.plottable() if hr_result.ph_test else {}).items()),
                     None)
        if worst is not None and worst[1] < 0.05:  # PH in doubt: show the evidence
            figures["ph-residuals"] = plots.ph_residual_figure(hr_result.ph_test, worst[0])
    if getattr(km_result, "competing", None) is not None:
        figures["cumulative-incidence"] = plots.cif_figure(
            km_result, time_unit=time_unit(), endpoint=endpoint,
            group_title=km_result.group_column)
    if km_result.cutpoint is not None:
        figures["cutpoint"] = plots.cutpoint_figure(km_result.cutpoint,
                                                    column=km_result.group_column)
    return figures


def _figure_downloads(figures: dict, key: str) -> None:
    st.subheader("Figures (PNG and SVG, numbers at risk included)")
    images = st.session_state.get("report_images")
    if images is None or images[0] != key:
        if st.button("Prepare PNG and SVG files", key="report_prepare", type="primary"):
            try:
                with st.spinner("Rendering figures with Chromium…"):
                    rendered = plots.figure_images(figures)
            except plots.StaticExportError as error:
                show_error(error)
                return
            st.session_state["report_images"] = (key, rendered)
            st.rerun()
        return
    for (name, fmt), data in sorted(images[1].items()):
        st.download_button(f"Download {name}.{fmt}", data, file_name=f"{name}.{fmt}",
                           mime="image/png" if fmt == "png" else "image/svg+xml",
                           key=f"report_dl_{name}_{fmt}", on_click="ignore")


def _table_downloads(km_result, hr_result) -> None:
    st.subheader("Tables (CSV and Excel, formula-safe)")
    tables = report.result_tables(km_result, time_unit())
    if hr_result is not None and hr_result.cox is not None:
        tables["cox_model"] = report.result_tables(hr_result, time_unit())["cox"]
    cols = st.columns(3)
    for index, (name, table) in enumerate(tables.items()):
        cols[index % 3].download_button(
            f"{name}.csv", lambda table=table: exports.to_csv_bytes(table),
            file_name=f"{name}.csv", mime="text/csv", key=f"report_csv_{name}",
            on_click="ignore")
    st.download_button("All tables as one Excel workbook (.xlsx)",
                       lambda: exports.to_xlsx_bytes(tables), file_name="cohort-tables.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="report_xlsx", on_click="ignore")


def _patient_download() -> None:
    st.subheader("Patient-level data (after filters)")
    try:
        data = filtered_dataset()
    except CohortError as error:  # a subgroup filter that does not fit the data
        show_error(error)
        return
    identifiers = st.session_state.get("data_identifiers", ())
    keep = identifiers if st.session_state.get("data_keep_ids") else ()
    columns = exports.export_columns([str(c) for c in data.columns], identifiers, keep)
    left_out = [c for c in data.columns if c not in columns]
    if left_out:
        st.markdown("Left out as possible patient identifiers: " + md(", ".join(left_out))
                    + " (keep them on the Data page).")
    st.download_button("Analysis data (.csv)", lambda: exports.to_csv_bytes(data[columns]),
                       file_name="cohort-data.csv", mime="text/csv", key="report_data_csv",
                       on_click="ignore")


def _html_download(km_result, hr_result, figures: dict, key: str, endpoint: str,
                   extra: tuple = ({}, [])) -> None:
    st.subheader("HTML report")
    images = st.session_state.get("report_images")
    images = images[1] if images is not None and images[0] == key else {}
    notes = []
    if hr_result is not None and hr_result.cox is not None:
        notes += [f"Cox model: {w}" for w in hr_result.warnings if w not in km_result.warnings]

    # Everything from the session is read now: the download callback runs outside the page.
    dataset_name = st.session_state.get("data_name")
    synthetic = bool(st.session_state.get("data_synthetic"))
    unit = time_unit()
    digest = fingerprint()
    appendix = st.checkbox("Append an independent cross-check with lifelines (KM, log-rank, "
                           "Cox)", value=True, key="report_cross_check")
    df = dataset()

    def build() -> bytes:
        result = km_result
        if hr_result is not None and hr_result.cox is not None:
            result = _with_cox(km_result, hr_result)
        check = None
        if appendix:
            from cohort_explorer.present.crosscheck import lifelines_cross_check

            check = lifelines_cross_check(
                df, km_result, hr_result if hr_result is not None and hr_result.cox else None)
        return report.html_report(
            result, km_result.spec, dataset_name=dataset_name, synthetic=synthetic,
            time_unit=unit, endpoint=endpoint, figures=figures, images=images, notes=notes,
            fingerprint=digest, cross_check=check,
            captions={"kaplan-meier": f"Kaplan–Meier estimate of {endpoint} with numbers at risk",
                      "forest": "Hazard ratios (Cox model)",
                      "cutpoint": "Maximally selected log-rank statistics",
                      "cumulative-incidence": "Cumulative incidence (Aalen–Johansen) with a "
                                              "competing event, numbers at risk",
                      "ph-residuals": "Scaled Schoenfeld residuals of the term whose "
                                      "proportional-hazards test has the smallest p (< 0.05)",
                      **extra[0]},
            sections=extra[1],
        ).encode("utf-8")

    st.markdown("The report holds the choices, figures, tables, warnings, the methods paragraph "
                "and software versions in one file that opens offline."
                + ("" if images else " Prepare the PNG/SVG files above to embed static images; "
                   "otherwise the figures are embedded interactively."))
    st.download_button("Download the HTML report", build,
                       file_name=f"cohort-report-{_slug(endpoint)}.html", mime="text/html",
                       key="report_html", type="primary", on_click="ignore")


def _with_cox(km_result, hr_result):
    """The survival result with the Cox model of the Hazard ratios page (for the report)."""
    import dataclasses

    return dataclasses.replace(km_result, cox=hr_result.cox)


begin_page()
st.title("Report")
km_spec = st.session_state.get("km_spec")
if km_spec is None:
    st.info("No analysis yet: open the Survival page and choose a grouping first.")
    st.page_link("pages/survival.py", label="Go to the Survival page",
                 icon=":material/show_chart:")
else:
    dataset()
    km_result = run_analysis(km_spec)
    endpoint = _endpoint_of(km_spec)  # the endpoint last analysed, not the one chosen since
    hr_spec = _endpoint_notes(km_spec, st.session_state.get("hr_spec"), endpoint)
    hr_result = run_analysis(hr_spec) if hr_spec is not None else None
    if km_result is not None:
        st.markdown(f"Current analysis: **{md(endpoint)}** by "
                    f"{md(st.session_state.get('km_group_label', 'all patients'))}; "
                    f"{km_result.n} patients, {km_result.events} events.")
        try:
            figures = _figures(km_result, hr_result, endpoint)
            deeper_figures, deeper_captions, sections = deeper_parts(km_result, hr_result)
            figures.update(deeper_figures)
        except CohortError as error:
            show_error(error)
            figures, deeper_captions, sections = {}, {}, []
        key = f"{km_spec!r}|{hr_spec!r}|{theme()}"
        _figure_downloads(figures, key)
        _table_downloads(km_result, hr_result)
        _patient_download()
        _html_download(km_result, hr_result, figures, key, endpoint, (deeper_captions, sections))
        r_script_download(dataset(), km_result, hr_result)
end_page()
