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

__all__ = ["km_figure", "time_ticks", "at_risk_at"]

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


#: Above this many steps a curve is thinned for display (a browser draws every point).
MAX_STEPS = 4000
#: Steps closer than this (in S, lower and upper) to the last drawn one are not drawn.
STEP_RESOLUTION = 5e-4


def _display_points(surv: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Indices of the steps to draw: all of them for a normal cohort; for a very large one
    only the steps where S or a bound enters a new STEP_RESOLUTION band (a difference
    invisible at plot size), plus the first and last. Tables and exports are never thinned."""
    n = surv.size
    if n <= MAX_STEPS:
        return np.arange(n)
    bins = np.floor(np.vstack([surv, lower, upper]) / STEP_RESOLUTION)
    moved = np.any(np.diff(bins, axis=1) != 0, axis=0)
    keep = np.flatnonzero(np.concatenate([[True], moved]))
    return np.union1d(keep, [n - 1])


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


def _landmark_marks(fig, groups, landmark: float, scale: float, theme: str, unit: str | None,
                    font_size: int) -> None:
    """The landmark line, labelled with its time, and each curve's estimate where it crosses."""
    text_colour = THEMES[theme]["text"]
    x = float(landmark) * scale
    fig.add_vline(x=x, line={"dash": "dot", "width": 1.5, "color": text_colour}, row=1, col=1)
    fig.add_annotation(text=escape(unit_word(x, unit)), x=x, xref="x", yref="y domain", y=1.0,
                       xanchor="left", yanchor="top", showarrow=False,
                       font={"size": font_size - 2, "color": text_colour}, xshift=4)
    placed: list[tuple[float, str]] = []
    for index, group in enumerate(groups):
        estimate = next((lm.survival for lm in (getattr(group, "landmarks", None) or ())
                         if abs(float(lm.time) - float(landmark)) < 1e-9), None)
        if estimate is None or not np.isfinite(float(estimate)):
            continue
        text = format_percent(estimate, 0)
        near = [t for y, t in placed if abs(y - float(estimate)) < 0.06]
        position = "middle right" if not near else ("bottom right" if len(near) == 1
                                                     else "top right")
        if text in near:
            text = ""  # the same number is already written there
        placed.append((float(estimate), text))
        fig.add_trace(go.Scatter(
            x=[x], y=[float(estimate)], mode="markers+text", showlegend=False,
            legendgroup=f"g{index}", text=[text],
            textposition=position, textfont={"color": text_colour, "size": font_size - 2},
            marker={"symbol": "diamond", "size": 9, "color": group_colour(index, theme),
                    "line": {"width": 1, "color": text_colour}},
            hovertemplate=f"{escape(str(group.label))}: %{{y:.1%}} at %{{x:.4g}}<extra></extra>",
        ), row=1, col=1)


def _legend_rows(names: Sequence[str], font_size: int, width: int) -> int:
    """Rows a horizontal legend takes at ``width`` pixels (items packed left to right)."""
    available, rows, used = max(width - 90, 200), 1, 0.0
    for name in names:
        item = 52 + 0.56 * font_size * len(name)
        if used and used + item > available:
            rows, used = rows + 1, 0.0
        used += item
    return rows


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
        Figure height in pixels; by default 560 plus room for each at-risk row.
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
        Expected width in pixels (a phone: 360); the legend's rows are sized for it.
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
    row_px = font_size * 1.75
    if height is None:
        height = int(560 + row_px * max(0, len(groups) - 2) + (font_size - FONT_SIZE) * 14)
    table_px = row_px * len(groups) + font_size * 2.2
    table_share = min(0.42, table_px / max(height - 190, 200))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.13,
                        row_heights=[1 - table_share, table_share])
    max_time = max((float(np.max(g.km.time)) for g in groups if len(g.km.time)), default=1.0)
    ticks = time_ticks(max_time * time_scale, time_unit)
    data_ticks = ticks / time_scale
    hr_words = hr_adjustment(getattr(result, "cox", None), spec,
                             group_column=getattr(result, "group_column", None))
    labels, names = [], []
    display_names = group_names(groups, with_n=True)
    text_colour = THEMES[theme]["text"]
    for index, group in enumerate(groups):
        label = escape(group.label)
        labels.append(label)
        hr_text = _group_hr_text(result, str(group.label), index, level)
        show_hr = hr_in_legend and width_hint >= 600  # a phone: the HRs stay in the table
        name = escape(display_names[index]) + (f" · {hr_text}" if hr_text and show_hr else "")
        names.append(name)
        _add_km_group(fig, group, index, theme, show_ci=show_ci, legend_name=name,
                      scale=time_scale)
        counts = at_risk_at(group.km, group.n, data_ticks)
        fig.add_trace(go.Scatter(
            x=ticks, y=[label] * len(ticks), mode="text", text=[str(c) for c in counts],
            textfont={"color": text_colour, "size": font_size}, showlegend=False,
            hoverinfo="skip"), row=2, col=1)
    base_layout(fig, theme, height=height, font_size=font_size)
    unit = escape(time_unit) if time_unit else ""
    x_range = [-0.03 * ticks[-1], ticks[-1] * 1.02]
    default_x = f"Time ({unit})" if unit else "Time"
    fig.update_xaxes(range=x_range, tickvals=ticks, ticktext=[f"{t:g}" for t in ticks],
                     showticklabels=True,
                     title={"text": escape(x_title) if x_title else default_x, "standoff": 6},
                     row=1, col=1)
    fig.update_xaxes(range=x_range, tickvals=ticks, showticklabels=False, showline=False,
                     showgrid=False, ticks="", row=2, col=1)
    default_y = f"{escape(endpoint)} probability" if endpoint else "Survival probability"
    fig.update_yaxes(range=[0, 1.04], tickformat=".0%", automargin=True,
                     title={"text": escape(y_title) if y_title else default_y}, row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], showgrid=False,
                     showline=False, ticks="", automargin=True,
                     range=[-0.6, len(labels) - 0.4], row=2, col=1)
    fig.add_annotation(text="Number at risk", xref="paper", yref="y2 domain", x=0, y=1.0,
                       xanchor="left", yanchor="bottom", showarrow=False,
                       font={"size": font_size, "color": text_colour})
    if landmark is not None and np.isfinite(landmark):
        _landmark_marks(fig, groups, float(landmark), time_scale, theme, time_unit, font_size)
    default_title = " by ".join(escape(t) for t in (endpoint or "Survival", group_title) if t)
    parts = [f"{int(result.n)} patients, {int(result.events)} events"
             if hasattr(result, "n") else "", _test_text(result)]
    if getattr(result, "cox", None) is not None and len(groups) > 1:
        parts.append(f"Cox HR ({level * 100:g}% CI) {hr_words}")
    parts = [p for p in parts if p]
    narrow = width_hint < 600
    subtitle = ("<br>" if narrow else " · ").join(escape(p) for p in parts)
    sub_lines = len(parts) if narrow and parts else 1
    title_px, sub_px = round(font_size * 1.15 * 1.5), round((font_size - 1) * 1.45)
    legend_px = _legend_rows(names, font_size, width_hint) * round(font_size * 1.6)
    top = title_px + (sub_px * sub_lines if subtitle else 0) + 8
    fig.update_layout(
        title={"text": escape(title) if title else default_title, "x": 0.0, "xanchor": "left",
               "xref": "paper", "y": 1 - 6 / height, "yanchor": "top", "yref": "container",
               "font": {"size": round(font_size * 1.15)},
               "subtitle": {"text": subtitle, "font": {"size": font_size - 1}}},
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "xref": "container",
                "y": 1 - top / height, "yref": "container", "yanchor": "top",
                "font": {"size": font_size}, "traceorder": "normal"},
        margin={"t": top + legend_px + 10, "b": 16, "l": 70, "r": 24},
        hovermode="closest")
    return fig
