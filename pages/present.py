"""Presentation mode: one figure of the session and its key numbers, full screen, in large type.

Opened from a figure's "Present full screen" button. The navigation and the sidebar are hidden
(``app.py``); the arrow keys move between the session's figures (Kaplan–Meier, cut point,
forest plot, residual plot); Esc goes back to the page it came from, where every choice is as
it was (choices live in the session, this page changes none of them).
"""

from __future__ import annotations

import streamlit as st
from pages._common import begin_page, end_page, md
from pages._figures import session_figures

from cohort_explorer.present import plots
from cohort_explorer.present.messages import short_message

#: Type sizes for a meeting room at 1920 x 1080: figure text 27 px (smallest 24), numbers 36 px.
FONT_SIZE = 27
FIGURE_HEIGHT = 800
#: Room a caution above the figure takes (one line of 25.5 px type and its box).
CAUTION_HEIGHT = 80


def key_tile(number, index: int) -> None:
    """One key number in type a meeting room reads: its label and its detail (CI, HR) as
    level-4 headings (1.5 rem = 25.5 px), the number as a metric value (2.25 rem = 38 px).
    Streamlit has no text-size option and the app injects no CSS, so the sizes come from the
    theme's heading scale (``baseFontSize`` 17 px); two groups' tiles fit beside an 860 px
    figure."""
    with st.container(border=True, key=f"present_tile_{index}", gap="small"):
        st.markdown(f"#### {md(number.label)}")
        st.metric(md(number.label), number.value, label_visibility="collapsed")
        if number.detail:
            st.markdown(f"#### {md(number.detail)}")


def cautions(notices) -> None:
    """The notices about the Cox model of the figure's hazard ratios (e.g. too few events per
    variable), one line each across the screen above the figure, in large type."""
    for notice in notices:
        st.warning(f"#### {md(short_message(notice))}", icon=":material/warning:")


def _leave(back: str) -> None:
    st.session_state.pop("app_present", None)
    st.switch_page(back)


def _toolbar(names: list[str], captions: dict[str, str], current: str, back: str) -> str:
    index = names.index(current)
    with st.container(horizontal=True, key="present_toolbar", vertical_alignment="center"):
        if st.button("Previous figure", icon=":material/arrow_back:", shortcut="Left",
                     key="present_prev", disabled=len(names) < 2):
            index = (index - 1) % len(names)
        if st.button("Next figure", icon=":material/arrow_forward:", shortcut="Right",
                     key="present_next", disabled=len(names) < 2):
            index = (index + 1) % len(names)
        if st.button("Back to the analysis", icon=":material/close:", shortcut="Esc",
                     key="present_exit"):
            _leave(back)
        st.markdown(f"Figure {index + 1} of {len(names)}: {md(captions[names[index]])}")
    return names[index]


begin_page()
state = dict(st.session_state.get("app_present") or {})
back = state.get("back", "pages/survival.py")
figures = {f.name: f for f in session_figures()}
if not figures:
    st.title("Presentation")
    st.info("No figure yet: open the Survival page and choose a grouping first.")
    if st.button("Back", key="present_back_empty"):
        _leave(back)
else:
    names = list(figures)
    current = state.get("figure") if state.get("figure") in figures else names[0]
    current = _toolbar(names, {n: f.caption for n, f in figures.items()}, current, back)
    st.session_state["app_present"] = {**state, "figure": current, "back": back}
    shown = figures[current]
    height = FIGURE_HEIGHT - CAUTION_HEIGHT * len(shown.cautions)  # all on one screen
    cautions(shown.cautions)  # above the figure and numbers they are about
    tiles = [n for n in shown.numbers if n.label != "Median follow-up"]  # in the report
    if tiles:  # the figure and, beside it, its key numbers (HRs with their labels)
        grid = len(tiles) > 4  # 3+ groups: two tiles a row, so all fit beside the figure
        left, right = st.columns([2, 1] if grid else [3, 1], gap="medium")
        with right, st.container(key="present_numbers", gap="small"):
            for start in range(0, len(tiles), 2 if grid else 1):
                row = tiles[start:start + (2 if grid else 1)]
                places = st.columns(2, gap="small") if grid else [st.container()]
                for offset, (place, number) in enumerate(zip(places, row, strict=False)):
                    with place:
                        key_tile(number, start + offset)
        with left:
            figure = shown.build(font_size=FONT_SIZE, width_hint=1150 if grid else 1350,
                                 height=height, hr_in_legend=False)
            st.plotly_chart(figure, config=plots.PLOTLY_CONFIG, theme=None,
                            key="present_chart", alt=shown.caption)
    else:
        figure = shown.build(font_size=FONT_SIZE, width_hint=1800, height=height)
        st.plotly_chart(figure, config=plots.PLOTLY_CONFIG, theme=None, key="present_chart",
                        alt=shown.caption)
end_page()
