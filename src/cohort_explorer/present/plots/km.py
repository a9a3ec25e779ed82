"""Kaplan–Meier figure: step curves with CI bands, censor marks and the number-at-risk table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cohort_explorer.present.format import escape, format_number, format_p, format_percent
from cohort_explorer.present.labels import group_names, hr_adjustment, unit_word
from cohort_explorer.present.plots.theme import (
    FONT_SIZE,
    LINE_STYLES,
    THEMES,
    base_layout,
    group_colour,
    rgba,
)
from cohort_explorer.stats.km_display import MAX_STEPS, STEP_RESOLUTION  # noqa: F401 - re-exported
from cohort_explorer.stats.km_display import display_points as _display_points

__all__ = ["km_figure", "km_height", "time_ticks", "time_range", "at_risk_at", "plot_area_height",
           "landmark_label_positions", "LANDMARK_LABEL"]

# --------------------------------------------------------------------------- Kaplan–Meier
def time_ticks(max_time: float, time_unit: str | None = None, *, max_ticks: int = 9) -> np.ndarray:
    """Return evenly spaced tick times from 0 covering ``max_time``.

    Steps are natural for the unit (months: 3, 6, 12, 24…; days: 30, 90, 180, 365…; otherwise
    1, 2, 5 × 10^k), with at most ``max_ticks`` ticks.
    """
    max_time = float(max_time) if np.isfinite(max_time) and max_time > 0 else 1.0
    unit = (time_unit or "").lower()
    if unit.startswith("month"):
        steps = [1, 3, 6, 12, 24, 36, 60, 120, 240]
    elif unit.startswith("day"):
        steps = [7, 30, 90, 180, 365, 730, 1825, 3650]
    elif unit.startswith("week"):
        steps = [1, 4, 13, 26, 52, 104, 260]
    else:
        exponent = math.floor(math.log10(max_time / max_ticks)) if max_time > 0 else 0
        steps = [m * 10.0**e for e in (exponent, exponent + 1) for m in (1, 2, 2.5, 5)]
    step = next((s for s in steps if max_time / s <= max_ticks - 1), steps[-1])
    return np.arange(0.0, max_time + step * 0.999, step)


def at_risk_at(km: Any, n: int, times: Sequence[float]) -> list[int]:
    """Number at risk (time ≥ t) at each ``t`` from a Kaplan–Meier result's listed times."""
    listed = np.asarray(km.time, dtype=float)
    at_risk = np.asarray(km.at_risk, dtype=float)
    out = []
    for t in times:
        index = int(np.searchsorted(listed, t, side="left"))
        out.append(int(n) if index == 0 and (listed.size == 0 or t <= listed[0])
                   else int(at_risk[index]) if index < listed.size else 0)
    return out


def _step_arrays(km: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    time = np.concatenate([[0.0], np.asarray(km.time, dtype=float)])
    surv = np.concatenate([[1.0], np.asarray(km.survival, dtype=float)])
    lower = np.concatenate([[1.0], np.asarray(km.lower, dtype=float)])
    upper = np.concatenate([[1.0], np.asarray(km.upper, dtype=float)])
    # R reports no bound where S = 1 (log-log) or S = 0: draw a zero-width band there.
    lower = np.where(np.isfinite(lower), lower, surv)
    upper = np.where(np.isfinite(upper), upper, surv)
    if time.size > 1 and time[1] == 0.0:  # an event at time 0: start from the listed value
        time, surv, lower, upper = time[1:], surv[1:], lower[1:], upper[1:]
    keep = _display_points(surv, lower, upper)
    return time[keep], surv[keep], lower[keep], upper[keep]


def _censor_marks(km: Any) -> tuple[np.ndarray, np.ndarray]:
    """Censoring times and heights; at most MAX_STEPS marks, evenly spread, on a huge cohort."""
    censored = np.flatnonzero(np.asarray(km.censored, dtype=float) > 0)
    if censored.size > MAX_STEPS:
        censored = censored[np.linspace(0, censored.size - 1, MAX_STEPS).astype(int)]
    return (np.asarray(km.time, dtype=float)[censored],
            np.asarray(km.survival, dtype=float)[censored])


def _group_hr_text(result: Any, label: str, index: int, conf_level: float) -> str:
    cox = getattr(result, "cox", None)
    if cox is None or not getattr(result, "group_column", None):
        return ""
    if index == 0:
        return "reference"
    name = f"{result.group_column}={label}"
    for term in getattr(cox, "terms", ()):
        if term.term == name:
            if not term.estimable:
                return "HR not estimable"
            return f"HR {format_number(term.hr)} ({format_number(term.lower)}–" \
                   f"{format_number(term.upper)})"  # the subtitle says CI level and adjustment
    return ""


def _test_text(result: Any) -> str:
    """The group tests, for the subtitle (outside the data area)."""
    parts = []
    if getattr(result, "logrank", None) is not None:
        parts.append(f"Log-rank {format_p(result.logrank.p)}")
    if getattr(result, "trend", None) is not None:
        parts.append(f"trend {format_p(result.trend.p)}")
    cut = getattr(result, "cutpoint", None)
    if cut is not None:
        parts.append(f"optimal cut, corrected {format_p(cut.p_corrected)} (Lau94)")
    return " · ".join(parts)


def _add_km_group(fig, group, index, theme, *, show_ci, legend_name, scale):
    colour = group_colour(index, theme)
    time, surv, lower, upper = _step_arrays(group.km)
    time = time * scale
    group_id = f"g{index}"
    if show_ci:
        fig.add_trace(go.Scatter(x=time, y=upper, mode="lines", line={"width": 0, "shape": "hv"},
                                 hoverinfo="skip", showlegend=False, legendgroup=group_id),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=time, y=lower, mode="lines", line={"width": 0, "shape": "hv"},
                                 fill="tonexty", fillcolor=rgba(colour, 0.15), hoverinfo="skip",
                                 showlegend=False, legendgroup=group_id), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=time, y=surv, mode="lines", name=legend_name, legendgroup=group_id,
        line={"color": colour, "width": 3, "shape": "hv", "dash": LINE_STYLES[index % 6]},
        customdata=np.column_stack([lower, upper]),
        hovertemplate="%{fullData.name}<br>t = %{x:.4g}<br>S(t) = %{y:.1%} "
                      "(%{customdata[0]:.0%}–%{customdata[1]:.0%})<extra></extra>",
    ), row=1, col=1)
    censor_time, censor_surv = _censor_marks(group.km)
    if censor_time.size:  # "+" marks (as R): never mistaken for the dashes of a line style
        fig.add_trace(go.Scatter(
            x=censor_time * scale, y=censor_surv, mode="markers", legendgroup=group_id,
            showlegend=False, hoverinfo="skip",
            marker={"symbol": "cross-thin-open", "size": 10,
                    "line": {"width": 2, "color": colour}, "color": colour},
        ), row=1, col=1)


#: Name of the annotations that label the curves' estimates at the landmark (tests find them).
LANDMARK_LABEL = "landmark estimate"
#: Y range of the curves (a little above 100% so the top step is not on the frame).
Y_TOP = 1.04


def landmark_label_positions(estimates: Sequence[float], label_height: float,
                             *, top: float = Y_TOP) -> list[float]:
    """Heights for labels of ``estimates`` (in the plot's y units) so that no two overlap.

    Each label is centred at its estimate when it can be; labels closer than ``label_height``
    are stacked in the order of their estimates (the higher estimate keeps the higher label),
    and all stay within ``[label_height / 2, top - label_height / 2]``.
    """
    half = label_height / 2
    order = sorted(range(len(estimates)), key=lambda i: -float(estimates[i]))
    placed: dict[int, float] = {}
    previous = None
    for i in order:  # top down: never above the previous label's slot
        y = min(float(estimates[i]), top - half)
        if previous is not None:
            y = min(y, previous - label_height)
        placed[i] = previous = y
    previous = None
    for i in reversed(order):  # bottom up: never below the frame or the next label's slot
        y = max(placed[i], half)
        if previous is not None:
            y = max(y, previous + label_height)
        placed[i] = previous = y
    return [placed[i] for i in range(len(estimates))]


def _landmark_marks(fig, groups, landmark: float, scale: float, theme: str, unit: str | None,
                    font_size: int, plot_px: float) -> None:
    """The landmark line, labelled with its time above the plot, a marker where each curve
    crosses it and, beside it, the group's estimate ("Q1 86%"); labels of close estimates are
    stacked (a thin leader goes from each label to its marker), never drawn over each other."""
    text_colour = THEMES[theme]["text"]
    x = float(landmark) * scale
    fig.add_vline(x=x, line={"dash": "dot", "width": 1.5, "color": text_colour}, row=1, col=1)
    fig.add_annotation(text=escape(unit_word(x, unit)), x=x, xref="x", yref="y domain", y=1.0,
                       xanchor="center", yanchor="bottom", showarrow=False,
                       font={"size": font_size - 2, "color": text_colour})
    found = []
    for index, group in enumerate(groups):
        estimate = next((lm.survival for lm in (getattr(group, "landmarks", None) or ())
                         if abs(float(lm.time) - float(landmark)) < 1e-9), None)
        if estimate is not None and np.isfinite(float(estimate)):
            found.append((index, group, float(estimate)))
    label_size = font_size - 2
    label_height = (label_size * 1.3) * Y_TOP / max(plot_px, 1.0)
    heights = landmark_label_positions([e for _, _, e in found], label_height)
    named = len(groups) > 1
    for (index, group, estimate), y in zip(found, heights, strict=True):
        fig.add_trace(go.Scatter(
            x=[x], y=[estimate], mode="markers", showlegend=False, legendgroup=f"g{index}",
            marker={"symbol": "diamond", "size": 9, "color": group_colour(index, theme),
                    "line": {"width": 1, "color": text_colour}},
            hovertemplate=f"{escape(str(group.label))}: %{{y:.1%}} at %{{x:.4g}}<extra></extra>",
        ), row=1, col=1)
        text = format_percent(estimate, 0)
        fig.add_annotation(
            name=LANDMARK_LABEL, text=f"{escape(str(group.label))} {text}" if named else text,
            x=x, y=estimate, xref="x", yref="y", ax=round(font_size * 0.9), ay=y,
            axref="pixel", ayref="y", xanchor="left", yanchor="middle", showarrow=True,
            arrowhead=0, arrowwidth=1, arrowcolor=text_colour, standoff=4,
            bgcolor=rgba(THEMES[theme]["plot"], 0.85),  # readable over a curve or a mark
            font={"size": label_size, "color": text_colour})


def plot_area_height(fig: go.Figure) -> float:
    """Pixel height of the curves' plot area (row 1) of a figure from :func:`km_figure`."""
    margin = fig.layout.margin
    inner = float(fig.layout.height) - float(margin.t) - float(margin.b)
    low, high = fig.layout.yaxis.domain
    return inner * (float(high) - float(low))


def _widest_item(names: Sequence[str], font_size: int) -> int:
    """Estimated pixel width of the widest legend item (symbol and text)."""
    return round(max((52 + 0.56 * font_size * len(name) for name in names), default=1.0))


def _legend_columns(names: Sequence[str], font_size: int, width: int) -> int:
    """Legend items per row at ``width`` pixels (as many of the widest item as fit): the rows
    reserved above the curves are those needed at ``width`` (a wider screen may need fewer,
    leaving a gap, never more, which would cover the curves)."""
    available = max(width - 90, 200)
    return max(1, min(len(names), int(available // _widest_item(names, font_size))))


#: Plot-area height as a share of its width: KM curves read best at about 5:2, never flat.
PLOT_ASPECT = 0.4
def _spacing(inner_px: float, font_size: int, lines: float = 4.2) -> float:
    """Gap between the curves and the number-at-risk table, as a share of the inner height:
    room for the tick labels, the axis title and the "Number at risk" heading (about 4.2
    lines of text), whatever the figure's height."""
    return min(0.3, font_size * lines / max(inner_px, 1.0))


def gap_lines(width_hint: int) -> float:
    """Lines of text between the curves and the numbers at risk: on a phone the centred axis
    title reaches over the left-aligned "Number at risk" heading, so they go on separate
    lines (they touched at 390 px)."""
    return 5.4 if width_hint < 600 else 4.2


def time_range(last_tick: float, *, font_size: int, width_hint: int,
               widest_count: int) -> list[float]:
    """The time axis' range: the numbers at risk are centred on the ticks, so the first (at
    time 0) needs half its width and a gap left of 0, or it runs into its group's label (a
    phone showed 'Q115' for Q1's 15). 3% of the axis where that is room enough (a desktop)."""
    plot_px = max(width_hint - 94, 150)  # the figure less its side margins
    need_px = 0.6 * font_size * len(str(int(widest_count))) / 2 + 6
    share = max(0.03, need_px * 1.05 / max(plot_px - need_px, 1.0))
    return [-share * last_tick, last_tick * 1.02]


def _subtitle_lines(parts: Sequence[str], font_size: int, width: int) -> list[str]:
    """The subtitle's parts packed into lines that fit ``width`` pixels (one line when it
    fits; a phone gets one part a line)."""
    room = max(width - 110, 150)
    lines: list[str] = []
    for part in parts:
        joined = f"{lines[-1]} · {part}" if lines else part
        if lines and 0.56 * (font_size - 1) * len(joined) <= room and width >= 600:
            lines[-1] = joined
        else:
            lines.append(part)
    return lines


def _table_share(height: float, table_px: float) -> float:
    """Share of the inner height given to the number-at-risk table."""
    return min(0.42, table_px / max(height - 190, 200))


def km_height(width: int, margins_px: float, table_px: float,
              font_size: int = FONT_SIZE, lines: float = 4.2) -> int:
    """Smallest figure height whose curves' plot area is ``PLOT_ASPECT`` of its width (at
    least 300 px) for a figure ``width`` pixels wide with ``margins_px`` of top and bottom
    margin and a number-at-risk table of ``table_px``: a wide screen gets a taller figure,
    not a flat one."""
    target = max(300.0, PLOT_ASPECT * max(width - 130, 200))

    def plot(height: float) -> float:
        inner = height - margins_px
        return inner * (1 - _spacing(inner, font_size, lines)) * (
            1 - _table_share(height, table_px))

    low, high = margins_px + target, margins_px + 8 * target + 4 * table_px
    for _ in range(40):  # plot() grows with the height: bisect
        middle = (low + high) / 2
        low, high = (middle, high) if plot(middle) < target else (low, middle)
    return int(np.ceil(high))


def km_figure(
    result: Any,
    *,
    time_unit: str | None = None,
    endpoint: str | None = None,
    group_title: str | None = None,
    landmark: float | None = None,
    show_ci: bool | None = None,
    theme: str = "light",
    height: int | None = None,
    time_scale: float = 1.0,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    font_size: int = FONT_SIZE,
    conf_level: float | None = None,
    width_hint: int = 1000,
    hr_in_legend: bool = True,
    height_for_width: int | None = None,
) -> go.Figure:
    """Kaplan–Meier curves with CI bands, censor marks and a number-at-risk table beneath.

    Parameters
    ----------
    result : AnalysisResult
        From ``analysis.analyze``: ``groups[i].km`` (time, survival, lower, upper, at_risk,
        censored), ``groups[i].label``/``n``/``interval``, optional ``logrank``, ``trend``,
        ``cox`` (the group HRs go in the legend, labelled unadjusted or adjusted) and
        ``cutpoint``.
    time_unit : str, optional
        The *display* unit: axis label, landmark label and tick spacing.
    endpoint : str, optional
        Endpoint name (``"PFS"``): the default title and y-axis title ("PFS probability").
    group_title : str, optional
        What the groups are (the grouping, e.g. "ikzf1 quartiles"); in the title and legend.
    landmark : float, optional
        A landmark time in the *data's* unit: a dotted line labelled with its time and the
        curves' estimates there.
    show_ci : bool, optional
        Draw the confidence bands; by default only for one or two groups (more overlap).
    theme : {"light", "dark"}
    height : int, optional
        Figure height in pixels; by default (:func:`km_height`) the plot area is
        ``PLOT_ASPECT`` of the width (``width_hint``), with room for the at-risk rows.
    time_scale : float
        Factor from the data's time unit to ``time_unit`` (``labels.time_scale``).
    title, x_title, y_title : str, optional
        User titles (escaped); defaults: "PFS by ikzf1 quartiles", "Time (months)",
        "PFS probability".
    font_size : int
        Base font size (presentation mode uses 26).
    conf_level : float, optional
        Level of the intervals in the legend; default the analysis spec's (95%).
    width_hint : int
        Expected width in pixels (a phone: 360); the legend's rows are sized for it (give the
        narrowest width the figure may be shown at: a legend wider than reserved would cover
        the curves).
    height_for_width : int, optional
        The width the default height is computed for (default ``width_hint``): a page whose
        chart stretches from 1000 to 1440 px reserves the legend for 1000 and sizes the plot
        area for 1440.
    hr_in_legend : bool
        Each group's hazard ratio in the legend (off on phones, where they stay in the table,
        and in presentation mode, where they are among the key numbers).

    Returns
    -------
    plotly.graph_objects.Figure
        Row 1: the curves; row 2: numbers at risk at the x-axis ticks, sharing the time axis.
        The group tests (log-rank p) are in the subtitle, outside the data area.
    """
    if theme not in THEMES:
        raise ValueError(f"theme must be 'light' or 'dark', not {theme!r}")
    groups = list(result.groups)
    spec = getattr(result, "spec", None)
    level = conf_level or getattr(spec, "conf_level", None) or 0.95
    if show_ci is None:
        show_ci = len(groups) <= 2
    display_names = group_names(groups, with_n=True)
    show_hr = hr_in_legend and width_hint >= 600  # a phone: the HRs stay in the table
    labels, names = [], []
    for index, group in enumerate(groups):
        labels.append(escape(group.label))
        hr_text = _group_hr_text(result, str(group.label), index, level) if show_hr else ""
        names.append(escape(display_names[index]) + (f" · {hr_text}" if hr_text else ""))
    hr_words = hr_adjustment(getattr(result, "cox", None), spec,
                             group_column=getattr(result, "group_column", None))
    parts = [f"{int(result.n)} patients, {int(result.events)} events"
             if hasattr(result, "n") else "", _test_text(result)]
    if getattr(result, "cox", None) is not None and len(groups) > 1 and show_hr:
        parts.append(f"Cox HR ({level * 100:g}% CI) {hr_words}")  # says what the legend's are
    parts = [p for p in parts if p]
    lines = _subtitle_lines(parts, font_size, width_hint)
    subtitle = "<br>".join(escape(line) for line in lines)
    sub_lines = max(1, len(lines))
    title_px, sub_px = round(font_size * 1.15 * 1.5), round((font_size - 1) * 1.45)
    columns = _legend_columns(names, font_size, width_hint)
    legend_px = -(-len(names) // columns) * round(font_size * 1.6)  # rows x row height
    top = title_px + (sub_px * sub_lines if subtitle else 0) + 8
    marked = landmark is not None and bool(np.isfinite(landmark))
    landmark_px = round((font_size - 2) * 1.4) if marked else 0  # the landmark's time
    margin = {"t": top + legend_px + 10 + landmark_px, "b": 16, "l": 70, "r": 24}
    table_px = font_size * 1.75 * len(groups) + font_size * 2.2
    if height is None:
        height = km_height(height_for_width or width_hint, margin["t"] + margin["b"], table_px,
                           font_size, gap_lines(width_hint))
    table_share = _table_share(height, table_px)
    spacing = _spacing(height - margin["t"] - margin["b"], font_size, gap_lines(width_hint))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=spacing,
                        row_heights=[1 - table_share, table_share])
    max_time = max((float(np.max(g.km.time)) for g in groups if len(g.km.time)), default=1.0)
    ticks = time_ticks(max_time * time_scale, time_unit)
    data_ticks = ticks / time_scale
    text_colour = THEMES[theme]["text"]
    for index, group in enumerate(groups):
        _add_km_group(fig, group, index, theme, show_ci=show_ci, legend_name=names[index],
                      scale=time_scale)
        counts = at_risk_at(group.km, group.n, data_ticks)
        fig.add_trace(go.Scatter(
            x=ticks, y=[labels[index]] * len(ticks), mode="text",
            text=[str(c) for c in counts], textfont={"color": text_colour, "size": font_size},
            showlegend=False, hoverinfo="skip"), row=2, col=1)
    base_layout(fig, theme, height=height, font_size=font_size)
    unit = escape(time_unit) if time_unit else ""
    x_range = time_range(ticks[-1], font_size=font_size, width_hint=width_hint,
                         widest_count=max((int(g.n) for g in groups), default=0))
    default_x = f"Time ({unit})" if unit else "Time"
    fig.update_xaxes(range=x_range, tickvals=ticks, ticktext=[f"{t:g}" for t in ticks],
                     showticklabels=True,
                     title={"text": escape(x_title) if x_title else default_x, "standoff": 6},
                     row=1, col=1)
    fig.update_xaxes(range=x_range, tickvals=ticks, showticklabels=False, showline=False,
                     showgrid=False, ticks="", row=2, col=1)
    default_y = f"{escape(endpoint)} probability" if endpoint else "Survival probability"
    fig.update_yaxes(range=[0, Y_TOP], tickformat=".0%", automargin=True,
                     title={"text": escape(y_title) if y_title else default_y}, row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], showgrid=False,
                     showline=False, ticks="", automargin=True,
                     range=[-0.6, len(labels) - 0.4], row=2, col=1)
    fig.add_annotation(text="Number at risk", xref="paper", yref="y2 domain", x=0, y=1.0,
                       xanchor="left", yanchor="bottom", showarrow=False,
                       font={"size": font_size, "color": text_colour})
    default_title = " by ".join(escape(t) for t in (endpoint or "Survival", group_title) if t)
    fig.update_layout(
        title={"text": escape(title) if title else default_title, "x": 0.0, "xanchor": "left",
               "xref": "paper", "y": 1 - 6 / height, "yanchor": "top", "yref": "container",
               "font": {"size": round(font_size * 1.15)},
               "subtitle": {"text": subtitle, "font": {"size": font_size - 1}}},
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "xref": "container",
                "y": 1 - top / height, "yref": "container", "yanchor": "top",
                "font": {"size": font_size}, "traceorder": "normal"},
        margin=margin, hovermode="closest")
    if marked:  # after the layout: the labels are spaced by the plot area's pixel height
        _landmark_marks(fig, groups, float(landmark), time_scale, theme, time_unit, font_size,
                        plot_area_height(fig))
    return fig
