"""Report page: download figures (PNG/SVG), tables (CSV/XLSX) and the self-contained HTML report."""

from __future__ import annotations

import re

import streamlit as st
from pages._analysis import run_analysis
from pages._common import (
    begin_page,
    dataset,
    display_names,
    end_page,
    filtered_dataset,
    md,
    show_error,
    theme,
    time_unit,
    where_key,
)
from pages._figures import (
    SessionFigure,
    display_scale,
    display_unit,
    download_menu,
    endpoint_key,
    endpoint_of,
    session_figures,
)
from pages._report_deeper import deeper_parts, deeper_r_parts
from pages._review import fingerprint, r_script_download

from cohort_explorer.analysis.model_rows import model_rows
from cohort_explorer.errors import CohortError
from cohort_explorer.present import exports, plots, report
from cohort_explorer.present.messages import app_message, split_model_notices
from cohort_explorer.present.term_labels import cox_term_labels


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "analysis"


def _endpoint_notes(km_spec, hr_spec, endpoint: str):
    """Say when the analyses are not for the app-wide endpoint; the ``hr_spec`` to report."""
    chosen = st.session_state.get("app_endpoint")
    if chosen and chosen != endpoint:
        st.info(f"The Survival analysis is for {md(endpoint)}; open the Survival page to update "
                f"it for {md(chosen)}.", icon=":material/info:")
    if hr_spec is None or endpoint_key(hr_spec) == endpoint_key(km_spec):
        return hr_spec
    cox_endpoint = endpoint_of(hr_spec)
    update = (f"it is included once the Survival analysis is for {md(cox_endpoint)} too"
              if cox_endpoint == chosen
              else f"open the Hazard ratios page to fit it for {md(chosen or endpoint)}")
    st.info(f"The Cox model of the Hazard ratios page is for {md(cox_endpoint)}, not "
            f"{md(endpoint)}, so this report leaves it out; {update}.", icon=":material/info:")
    return None


def _figure_previews(figures) -> None:
    st.subheader("Figures")
    st.markdown("Each figure as it goes into the report; download it for a slide or a journal "
                "(PNG 300 dpi, SVG or PDF; drawn when you click).")
    for figure in figures:
        with st.container(border=True, key=f"report_fig_{figure.name}"):
            st.markdown(f"**{md(figure.caption)}**")
            st.plotly_chart(figure.build(light=theme() == "light"), config=plots.PLOTLY_CONFIG,
                            theme=None, key=f"report_preview_{figure.name}", alt=figure.caption)
            download_menu(figure.build, figure.name, key=f"report_export_{figure.name}",
                          axis_titles=figure.name == "kaplan-meier")


def _table_downloads(km_result, hr_result) -> None:
    st.subheader("Tables (CSV and Excel, formula-safe)")
    names = display_names()
    tables = report.result_tables(km_result, time_unit(), names=names)
    if hr_result is not None and hr_result.cox is not None:
        tables["cox_model"] = report.result_tables(hr_result, time_unit(), names=names)["cox"]
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


def _table_one_section() -> list:
    """The Cohort page's Table 1 of this session (groups named with their cut-offs), when it
    was made on the data and filter of the report."""
    stored = st.session_state.get("cohort_table_one")
    if stored is None or stored[0] != where_key():
        return []
    return [("Baseline characteristics (Table 1)", stored[1], stored[2])]


def _html_download(km_result, hr_result, hr_spec, figures, endpoint: str,
                   sections=()) -> None:
    st.subheader("HTML report")
    notes, cox_warnings = [], []
    if hr_result is not None and hr_result.cox is not None:
        others, cox_warnings = split_model_notices(hr_result.warnings)
        notes += [f"Cox model: {app_message(w)}" for w in others if w not in km_result.warnings]
    interactive = st.checkbox("Interactive figures (larger file, needs JavaScript; default: "
                              "static SVG images)", key="report_interactive")
    # Everything from the session is read now: the download callback runs outside the page.
    dataset_name = st.session_state.get("data_name")
    synthetic = bool(st.session_state.get("data_synthetic"))
    unit, scale = display_unit(), display_scale()
    digest = fingerprint()
    appendix = st.checkbox("Append an independent cross-check with lifelines (KM, log-rank, "
                           "Cox)", value=True, key="report_cross_check")
    df = dataset()
    drawn = {f.name: f.build(light=True) for f in figures}
    captions = {f.name: f.caption for f in figures}
    rows, cox_labels, names = None, None, display_names()
    if hr_result is not None and hr_result.cox is not None:
        try:
            rows = model_rows(df, hr_spec)
        except CohortError:
            rows = None
        cox_labels = cox_term_labels(hr_result, names=names, model=rows)

    def build() -> bytes:
        images = {}
        if not interactive and drawn:
            try:
                images = plots.figure_images(drawn, ("svg",))
            except plots.StaticExportError:
                images = {}  # no Chromium: the interactive figures instead
        cox = hr_result.cox if hr_result is not None else None
        check = None
        if appendix:
            from cohort_explorer.present.crosscheck import lifelines_cross_check

            check = lifelines_cross_check(
                df, km_result, hr_result if hr_result is not None and hr_result.cox else None)
        return report.html_report(
            km_result, km_result.spec, dataset_name=dataset_name, synthetic=synthetic,
            time_unit=unit, time_scale=scale, endpoint=endpoint, figures=drawn, images=images,
            notes=notes, captions=captions, cox=cox, cox_spec=hr_spec, cox_rows=rows,
            cox_warnings=cox_warnings, cox_labels=cox_labels, names=names,
            fingerprint=digest, cross_check=check, sections=sections,
        ).encode("utf-8")

    st.markdown("The report holds the choices in words, each section's patients, the figures, "
                "tables, warnings, the methods paragraph and software versions in one file that "
                "opens offline and reads on a phone.")
    st.download_button("Download the HTML report", build,
                       file_name=f"cohort-report-{_slug(endpoint)}.html", mime="text/html",
                       key="report_html", type="primary", on_click="ignore")


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
    endpoint = endpoint_of(km_spec)  # the endpoint last analysed, not the one chosen since
    hr_spec = _endpoint_notes(km_spec, st.session_state.get("hr_spec"), endpoint)
    hr_result = run_analysis(hr_spec) if hr_spec is not None else None
    if km_result is not None:
        st.markdown(f"Current analysis: **{md(endpoint)}** by "
                    f"{md(st.session_state.get('km_group_label', 'all patients'))}; "
                    f"{km_result.n} patients, {km_result.events} events.")
        try:
            figures = session_figures() if hr_spec is not None else [
                f for f in session_figures() if f.name in ("kaplan-meier", "cutpoint",
                                                           "cumulative-incidence")]
            deeper_figures, deeper_captions, sections = deeper_parts(km_result, hr_result)
            sections = _table_one_section() + list(sections)
            figures += [SessionFigure(name, deeper_captions.get(name, name),
                                      lambda fig=fig, **_: fig)
                        for name, fig in deeper_figures.items()]
        except CohortError as error:
            show_error(error)
            figures, sections = [], []
        _html_download(km_result, hr_result, hr_spec, figures, endpoint, sections)
        _figure_previews(figures)
        _table_downloads(km_result, hr_result)
        _patient_download()
        try:
            extra = deeper_r_parts(km_result, hr_result)
        except CohortError:  # already said above, with the report's deeper parts
            extra = []
        r_script_download(dataset(), km_result, hr_result, extra)
end_page()
