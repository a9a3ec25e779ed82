"""The session's figures, built once for the pages that show them (Survival, Hazard ratios,
Presentation mode, Report), and the "Download figure" menu (PNG 300 dpi, SVG, PDF at slide or
journal-column size, with the user's title and axis labels).

Not a page. Figures are built from the engine's results (``run_analysis``, cached by content);
the static files are rendered only when a download button is clicked (deferred data), so no
page waits for Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from pages._analysis import run_analysis
from pages._common import dataset, display_names, endpoints, md, theme, time_unit

from cohort_explorer.analysis.model_rows import model_rows
from cohort_explorer.errors import CohortError
from cohort_explorer.present import plots
from cohort_explorer.present.key_numbers import key_numbers
from cohort_explorer.present.labels import hr_adjustment, time_scale
from cohort_explorer.present.messages import split_model_notices
from cohort_explorer.present.plots.theme import FONT_SIZE
from cohort_explorer.present.term_labels import cox_term_labels
from cohort_explorer.spec.terms import parse_covariate

FORMATS = {"PNG (300 dpi)": "png", "SVG (vector)": "svg", "PDF (vector)": "pdf"}
MIMES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


@dataclass(frozen=True)
class SessionFigure:
    """A figure of the session: ``build(font_size=, width_hint=, title=, ...)`` draws it;
    ``cautions``: the notices about the Cox model whose hazard ratios it shows (EPV, ...)."""

    name: str
    caption: str
    build: Callable[..., object]
    numbers: tuple = ()
    cautions: tuple = ()


def display_unit() -> str:
    """The unit times are shown in (Survival page choice; default from the data's unit)."""
    from pages._common import default_display_unit

    return st.session_state.get("km_display_unit") or default_display_unit(time_unit())


def display_scale() -> float:
    return time_scale(time_unit(), display_unit())


def endpoint_key(spec) -> tuple:
    """The Data page's endpoint ``spec`` is for, as (time, event, event value): its own, or,
    for the Survival page's competing-risk analysis (the event read from the cause column),
    the endpoint chosen there, so that the Report keeps the analyses of that endpoint."""
    stored = st.session_state.get("km_endpoint")
    if stored is not None and getattr(spec, "competing", None) and stored[0] == spec:
        return stored[1]
    return spec.time_col, spec.event_col, spec.event_value


def endpoint_of(spec) -> str:
    """Name of the Data page's endpoint that ``spec`` analyses (its time column if none is)."""
    key = endpoint_key(spec)
    return next((e["name"] for e in endpoints()
                 if (e["time_col"], e["event_col"], e["event_value"]) == key), spec.time_col)


def is_phone() -> bool:
    """A phone-sized browser (from its user agent): narrower figures, smaller legends."""
    try:
        agent = st.context.headers.get("User-Agent", "") or ""
    except (AttributeError, RuntimeError):
        return False
    return bool(re.search(r"Mobile|Android|iPhone", agent))


def chart_config(phone: bool) -> dict:
    """Plotly's options for a chart: its toolbar, except on a phone, where the toolbar lies
    over the figure's title, key numbers or top rows."""
    return {**plots.PLOTLY_CONFIG, "displayModeBar": False} if phone else plots.PLOTLY_CONFIG


#: The narrowest plot area (pixels) the wide layout of a figure may be squeezed to.
MIN_PLOT_PX = 160


def wide_or_narrow(wide, narrow, *, key: str, alt: str) -> None:
    """Show ``wide`` where the page has room for its text columns and ``narrow`` (the compact
    layout) where it has not — a 1024-px window with the sidebar open leaves ~540 px.

    The server does not know the page's width, so both are sent and a CSS container query
    (static text and one computed number, no user data) shows the one that fits; the wide
    figure's text columns are in its margins (pixels), the plot takes the rest.
    """
    room = int(wide.layout.margin.l + wide.layout.margin.r + MIN_PLOT_PX)
    with st.container(key=f"{key}_box"):
        st.html(f"<style>.st-key-{key}_box{{container-type:inline-size}}"
                f"@container (min-width:{room}px){{.st-key-{key}_narrow{{display:none}}}}"
                f"@container (max-width:{room - 0.5}px){{.st-key-{key}{{display:none}}}}"
                "</style>")
        for figure, name in ((wide, key), (narrow, f"{key}_narrow")):
            st.plotly_chart(figure, config=plots.PLOTLY_CONFIG, theme=None, key=name, alt=alt)


def km_builder(result, *, endpoint: str, group_title: str | None, show_ci: bool | None = None):
    """A function drawing the KM figure of ``result`` at any font size / size / titles."""
    unit, scale = display_unit(), display_scale()
    landmark = result.spec.landmarks[0] if result.spec and result.spec.landmarks else None
    look = theme()

    def build(font_size: int = FONT_SIZE, width_hint: int = 1000, title: str | None = None, x_title: str | None = None,
              y_title: str | None = None, height: int | None = None, light: bool = False,
              hr_in_legend: bool = True, height_for_width: int | None = None):
        return plots.km_figure(
            result, time_unit=unit, time_scale=scale, endpoint=endpoint,
            group_title=group_title, landmark=landmark, show_ci=show_ci,
            theme="light" if light else look, font_size=font_size, width_hint=width_hint,
            title=title or None, x_title=x_title or None, y_title=y_title or None,
            height=height, hr_in_legend=hr_in_legend, height_for_width=height_for_width)

    return build


def forest_builder(result, spec):
    """A function drawing the forest plot of the Cox model of ``result``."""
    adjusted = [c for c in (result.group_column or "",) if c] + list(spec.covariates)
    look, names = theme(), display_names()  # read in the script run (a download draws later)

    def build(font_size: int = FONT_SIZE, width_hint: int = 1000, title: str | None = None,
              height: int | None = None, light: bool = False, **_):
        try:  # the model's rows are read when a figure is drawn, not on every rerun
            rows = model_rows(dataset(), spec)
        except CohortError:
            rows = None
        fig = plots.forest_figure(
            result.cox, model=rows, conf_level=spec.conf_level, title=title or None,
            adjusted_for=[parse_covariate(a).column for a in adjusted], font_size=font_size,
            theme="light" if light else look, width_hint=width_hint, labels=names,
            groups=result.groups, group_column=result.group_column)
        if height:
            fig.update_layout(height=max(height, fig.layout.height))
        return fig

    return build


def session_figures() -> list[SessionFigure]:
    """The figures of this session's analyses: KM (Survival page), the cut-point curve,
    the Cox forest plot and, when proportional hazards are in doubt, the residual plot."""
    out: list[SessionFigure] = []
    km_spec = st.session_state.get("km_spec")
    km = run_analysis(km_spec) if km_spec is not None else None
    if km is not None:
        endpoint = endpoint_of(km_spec)
        label = st.session_state.get("km_group_label") or km.group_column
        numbers = tuple(key_numbers(km, endpoint=endpoint, time_unit=display_unit(),
                                    time_scale=display_scale()))
        out.append(SessionFigure("kaplan-meier",
                                 f"Kaplan–Meier estimate of {endpoint} with numbers at risk",
                                 km_builder(km, endpoint=endpoint, group_title=label,
                                            show_ci=st.session_state.get("km_show_ci")),
                                 numbers, tuple(split_model_notices(km.warnings)[1])))
        if getattr(km, "competing", None) is not None:
            look, unit, scale = theme(), display_unit(), display_scale()
            out.append(SessionFigure(
                "cumulative-incidence", "Cumulative incidence (Aalen–Johansen) with a competing "
                "event, numbers at risk",
                lambda light=False, font_size=FONT_SIZE, **_: plots.cif_figure(
                    km, time_unit=unit, time_scale=scale, endpoint=endpoint,
                    group_title=km.group_column, theme="light" if light else look,
                    font_size=font_size)))
        if km.cutpoint is not None:
            look = theme()
            out.append(SessionFigure(
                "cutpoint", "Maximally selected log-rank statistics",
                lambda light=False, **_: plots.cutpoint_figure(
                    km.cutpoint, column=km.group_column, theme="light" if light else look)))
    hr_spec = st.session_state.get("hr_spec")
    hr = run_analysis(hr_spec) if hr_spec is not None else None
    if hr is not None and hr.cox is not None:
        words = hr_adjustment(hr.cox, hr_spec, group_column=hr.group_column)
        out.append(SessionFigure("forest", f"Hazard ratios (Cox model, {words})",
                                 forest_builder(hr, hr_spec),
                                 cautions=tuple(split_model_notices(hr.warnings)[1])))
        worst = next(iter((hr.ph_test.plottable() if hr.ph_test else {}).items()), None)
        if worst is not None and worst[1] < 0.05:
            look = theme()  # read in the script run (a download draws later)
            label = cox_term_labels(hr, names=display_names()).get(worst[0])
            out.append(SessionFigure(
                "ph-residuals", "Scaled Schoenfeld residuals of the term whose "
                "proportional-hazards test has the smallest p (< 0.05)",
                lambda light=False, **_: plots.ph_residual_figure(
                    hr.ph_test, worst[0], theme="light" if light else look, label=label)))
    return out


def download_menu(build: Callable[..., object], name: str, *, key: str,
                  axis_titles: bool = True) -> None:
    """A "Download figure" popover: format, size, title and axis labels; the file is drawn
    by Chromium only when its button is clicked."""
    with st.popover("Download figure", icon=":material/download:"):
        fmt_label = st.radio("Format", list(FORMATS), key=f"{key}_fmt", horizontal=True)
        size_key = st.radio("Size", list(plots.EXPORT_SIZES), key=f"{key}_size",
                            format_func=lambda k: plots.EXPORT_SIZES[k].label)
        title = st.text_input("Title (empty = the default)", key=f"{key}_title")
        x_title = y_title = ""
        if axis_titles:
            x_title = st.text_input("x-axis label (empty = the default)", key=f"{key}_x")
            y_title = st.text_input("y-axis label (empty = the default)", key=f"{key}_y")
        fmt, size = FORMATS[fmt_label], plots.EXPORT_SIZES[size_key]

        def render() -> bytes:  # runs on click, outside the script run: no session state here
            fig = build(font_size=size.font_size, width_hint=size.width, title=title,
                        x_title=x_title, y_title=y_title, height=size.height, light=True)
            return plots.export_figure(fig, fmt, width=size.width,
                                       height=int(fig.layout.height or size.height))

        if plots.chromium_path() is None:
            st.error("Figure files need Chromium on the server (apt-get install chromium).")
            return
        st.download_button(f"Download {name}-{size_key}.{fmt}", render,
                           file_name=f"{name}-{size_key}.{fmt}", mime=MIMES[fmt],
                           key=f"{key}_download", on_click="ignore", type="primary")
        st.markdown(f"{md(size.label)}, drawn on white for print; "
                    + ("300 dpi." if fmt == "png" else "vector (scales without loss)."))


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()


#: Set by the "Present full screen" button's callback, read (and cleared) on the next run.
PRESENT_REQUEST = "app_present_request"


def _request_present(figure: str, back: str) -> None:
    st.session_state["app_present"] = {"figure": figure, "back": back}
    st.session_state[PRESENT_REQUEST] = True


def present_button(figure: str, back: str, *, key: str, help: str) -> None:
    """"Present full screen" for ``figure``; Esc in presentation mode returns to ``back``.

    The click is recorded by the button's callback in session state, so a click that lands
    while another run of the page is under way (a second stage, a theme report) is not lost:
    whichever run reaches this button next switches to presentation mode."""
    st.button("Present full screen", icon=":material/slideshow:", key=key, help=help,
              on_click=_request_present, args=(figure, back))
    if st.session_state.pop(PRESENT_REQUEST, False):
        st.switch_page("pages/present.py")
