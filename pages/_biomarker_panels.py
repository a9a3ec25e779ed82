"""Panels of the Biomarker page (cut-point explorer, bootstrap, spline, HR per quartile).

Not a page. Each panel renders engine results; the statistics are computed by ``analyze``.
The bootstrap runs only on request, with a progress bar; clicking "Cancel" (or any other
control) reruns the page, which stops the running bootstrap at its next progress update.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from pages._common import data_key, dataset, display_names, md, show_error, theme
from pages._figure_cache import cached_figure
from pages._figures import chart_config, forest_builder, is_phone, wide_or_narrow
from pages._text import show_table

from cohort_explorer.analysis import analyze
from cohort_explorer.errors import CohortError
from cohort_explorer.present import plots
from cohort_explorer.present.deeper_tables import METHODS, bootstrap_verdict
from cohort_explorer.present.format import format_p
from cohort_explorer.present.plots.theme import FONT_SIZE
from cohort_explorer.present.tables import display_cox_table
from cohort_explorer.present.term_labels import cox_term_labels
from cohort_explorer.stats.cut_explorer import BootstrapCancelled

DEFAULT_SEED = 20170101


def _layout() -> dict:
    """Font size and width the figures are laid out for: a phone gets smaller type and its
    key numbers on more lines (the long lines were cut at the figure's edge)."""
    # 800: the main column of a 1280-px window (1440x900 gives these charts ~920 px)
    return {"font_size": 13, "width_hint": 360} if is_phone() else {
        "font_size": FONT_SIZE, "width_hint": 800}


def cut_panel(result, column: str) -> None:
    """The maxstat curve with the HR per candidate, the selected cut and quartile lines."""
    cut = result.cutpoint
    st.subheader("Where would a cut go? (maximally selected log-rank statistic)")
    layout = _layout()
    figure = cached_figure("cut", (repr(result.spec), layout["width_hint"]),
                           lambda: plots.cut_explorer_figure(
                               cut, column=column, quartiles=cut.quartiles, theme=theme(),
                               **layout))
    st.plotly_chart(figure,
                    config=chart_config(is_phone()), theme=None, key="bio_cut_plot",
                    alt="Standardised log-rank statistic and hazard ratio at every cut")
    st.markdown(f"Selected cut **{cut.cutpoint:g}** ({cut.n_below} patients at or below, "
                f"{cut.n_above} above); corrected **{format_p(cut.p_corrected)}** (Lau94). "
                "The dotted lines are the quartile boundaries.")
    st.caption(METHODS["cutpoint"])


def bootstrap_panel(cut_spec, cut, column: str) -> None:
    """Bootstrap of the selected cut on request: progress bar, cancel, histogram, verdict."""
    st.subheader("How stable is the cut? (bootstrap)")
    left, right = st.columns(2)
    resamples = int(left.number_input("Resamples (B)", min_value=100, max_value=5000,
                                      value=1000, step=100, key="bio_boot_b"))
    seed = int(right.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1,
                                  key="bio_boot_seed"))
    key = (data_key(), repr(cut_spec), resamples, seed)
    stored = st.session_state.get("bio_boot")
    if stored is None or stored[0] != key:
        if st.session_state.get("bio_boot_cancel"):
            st.info("Bootstrap cancelled; nothing was kept.", icon=":material/cancel:")
        if not st.button("Run the bootstrap", key="bio_boot_run", type="primary"):
            return
        cancel = st.empty()
        cancel.button("Cancel", key="bio_boot_cancel")
        bar = st.progress(0.0, text=f"0 of {resamples} resamples")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"{done} of {total} resamples")

        try:
            result = analyze(dataset(), replace(cut_spec, bootstrap=resamples, seed=seed),
                             progress=progress)
        except BootstrapCancelled:
            cancel.empty()
            bar.empty()
            st.info("Bootstrap cancelled; nothing was kept.", icon=":material/cancel:")
            return
        except CohortError as error:
            show_error(error)
            return
        bar.empty()
        cancel.empty()
        stored = (key, result.cutpoint.bootstrap, cut_spec)
        st.session_state["bio_boot"] = stored
    boot = stored[1]
    layout = _layout()
    figure = cached_figure("bootstrap", (stored[0], layout["width_hint"]),
                           lambda: plots.bootstrap_figure(boot, cutpoint=cut.cutpoint,
                                                          column=column, theme=theme(),
                                                          **layout))
    st.plotly_chart(figure,
                    config=chart_config(is_phone()), theme=None, key="bio_boot_plot",
                    alt="Histogram of the cut selected in each bootstrap resample")
    st.markdown(md(bootstrap_verdict(boot, column)))
    st.caption(METHODS["bootstrap"] + (f" {boot.skipped} resamples had no admissible cut."
                                       if boot.skipped else ""))


def spline_panel(result) -> None:
    """HR vs the marker's median along a restricted cubic spline, with its band and rug."""
    sp = result.spline
    st.subheader("Is the effect linear? (restricted cubic spline)")
    layout = _layout()
    figure = cached_figure("spline", (repr(result.spec), layout["width_hint"]),
                           lambda: plots.spline_figure(sp, theme=theme(), **layout))
    st.plotly_chart(figure, config=chart_config(is_phone()),
                    theme=None, key="bio_spline_plot",
                    alt="Hazard ratio against the marker's median along a spline")
    st.markdown(f"p for non-linearity **{format_p(sp.p_nonlinear, prefix=False)}** · "
                f"p overall **{format_p(sp.p_overall, prefix=False)}** · {sp.n} patients, "
                f"{sp.events} events")
    st.caption(METHODS["spline"])


def quartile_panel(result, column: str) -> None:
    """HR of Q2, Q3, Q4 against Q1, so a "Q1 vs rest" split can be judged."""
    st.subheader("Hazard ratio per quartile against Q1")
    if result.cox is None:
        st.info("No Cox model for the quartiles (no events).")
        return
    names = display_names()
    # as the Hazard ratios page's forest: n and events per quartile, a phone's compact layout,
    # and the narrow layout where a wide window's sidebar leaves too little room
    build = forest_builder(result, result.spec)
    alt = "Hazard ratio per quartile vs Q1"
    if is_phone():
        figure = cached_figure("quartiles_phone", repr(result.spec),
                               lambda: build(font_size=11, width_hint=360))
        st.plotly_chart(figure, config=chart_config(True),
                        theme=None, key="bio_quartile_plot", alt=alt)
    else:
        wide = cached_figure("quartiles", repr(result.spec), lambda: build())
        narrow = cached_figure("quartiles_narrow", repr(result.spec),
                               lambda: build(font_size=14, width_hint=520))
        wide_or_narrow(wide, narrow, key="bio_quartile_plot", alt=alt)
    show_table(display_cox_table(result.cox, labels=cox_term_labels(result, names=names)))
    st.caption(METHODS["quartiles"] + " If Q2–Q4 have similar hazard ratios, a 'Q1 vs rest' "
               "split is supported by the data; a gradient argues for keeping the marker "
               f"continuous ({md(column)} as a spline).")


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
