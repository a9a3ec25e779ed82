"""Kaplan–Meier figure: step curves with CI bands, censor marks and the number-at-risk table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cohort_explorer.present.format import escape, format_hr, format_p
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


def _group_hr_text(result: Any, label: str, index: int) -> str:
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
            return format_hr(term.hr, term.lower, term.upper)
    return ""


def _test_annotation(result: Any) -> str:
    parts = []
    if getattr(result, "logrank", None) is not None:
        parts.append(f"Log-rank {format_p(result.logrank.p)}")
    if getattr(result, "trend", None) is not None:
        parts.append(f"trend {format_p(result.trend.p)}")
    cut = getattr(result, "cutpoint", None)
    if cut is not None:
        parts.append(f"optimal cut, corrected {format_p(cut.p_corrected)} (Lau94)")
    return "; ".join(parts)


def _add_km_group(fig, group, index, theme, *, show_ci, legend_name):
    colour = group_colour(index, theme)
    time, surv, lower, upper = _step_arrays(group.km)
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
        hovertemplate="%{fullData.name}<br>t = %{x}<br>S(t) = %{y:.1%} "
                      "(%{customdata[0]:.0%}–%{customdata[1]:.0%})<extra></extra>",
    ), row=1, col=1)
    censor_time, censor_surv = _censor_marks(group.km)
    if censor_time.size:
        fig.add_trace(go.Scatter(
            x=censor_time,
            y=censor_surv,
            mode="markers", legendgroup=group_id, showlegend=False, hoverinfo="skip",
            marker={"symbol": "line-ns-open", "size": 11, "line": {"width": 2, "color": colour},
                    "color": colour},
        ), row=1, col=1)


def km_figure(
    result: Any,
    *,
    time_unit: str | None = None,
    endpoint: str | None = None,
    group_title: str | None = None,
    landmark: float | None = None,
    show_ci: bool = True,
    theme: str = "light",
    height: int = 640,
) -> go.Figure:
    """Kaplan–Meier curves with CI bands, censor marks and a number-at-risk table beneath.

    Parameters
    ----------
    result : AnalysisResult
        From ``analysis.analyze``: ``groups[i].km`` (time, survival, lower, upper, at_risk,
        censored), ``groups[i].label``/``n``, optional ``logrank``, ``trend``, ``cox``
        (the group HRs go in the legend) and ``cutpoint``.
    time_unit : str, optional
        Axis label and tick spacing (``"months"`` gives ticks every 6/12 months).
    endpoint : str, optional
        Y-axis title, e.g. ``"PFS"`` gives "PFS probability".
    group_title : str, optional
        Legend title (the grouping column).
    landmark : float, optional
        Draws a dotted vertical line at this time (e.g. 36 months).
    show_ci : bool
        Draw the confidence bands.
    theme : {"light", "dark"}
    height : int
        Figure height in pixels (the at-risk table takes about a quarter).

    Returns
    -------
    plotly.graph_objects.Figure
        Row 1: the curves; row 2: numbers at risk at the x-axis ticks, sharing the time axis.
    """
    groups = list(result.groups)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.16,
                        row_heights=[0.74, 0.26])
    max_time = max((float(np.max(g.km.time)) for g in groups if len(g.km.time)), default=1.0)
    ticks = time_ticks(max_time, time_unit)
    labels = []
    for index, group in enumerate(groups):
        label = escape(group.label)
        labels.append(label)
        hr_text = _group_hr_text(result, str(group.label), index)
        name = f"{label} (n={group.n})" + (f" · {hr_text}" if hr_text else "")
        _add_km_group(fig, group, index, theme, show_ci=show_ci, legend_name=name)
        counts = at_risk_at(group.km, group.n, ticks)
        fig.add_trace(go.Scatter(
            x=ticks, y=[label] * len(ticks), mode="text", text=[str(c) for c in counts],
            textfont={"color": group_colour(index, theme), "size": FONT_SIZE}, showlegend=False,
            hoverinfo="skip"), row=2, col=1)
    base_layout(fig, theme, height=height)
    fig.update_layout(margin={"t": 40 + 28 * math.ceil(len(groups) / 2), "b": 20})
    unit = escape(time_unit) if time_unit else ""
    x_range = [-0.03 * ticks[-1], ticks[-1] * 1.02]
    fig.update_xaxes(range=x_range, tickvals=ticks, showticklabels=True,
                     title={"text": f"Time ({unit})" if unit else "Time", "standoff": 8},
                     row=1, col=1)
    fig.update_xaxes(range=x_range, tickvals=ticks, showticklabels=False, showline=False,
                     showgrid=False, ticks="", row=2, col=1)
    y_title = f"{escape(endpoint)} probability" if endpoint else "Survival probability"
    fig.update_yaxes(range=[0, 1.04], tickformat=".0%", title={"text": y_title}, row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], showgrid=False,
                     showline=False, ticks="", range=[-0.6, len(labels) - 0.4], row=2, col=1)
    fig.add_annotation(text="Number at risk", xref="paper", yref="y2 domain", x=0, y=1.0,
                       xanchor="left", yanchor="bottom", showarrow=False,
                       font={"size": FONT_SIZE}, row=2, col=1)
    if landmark is not None and np.isfinite(landmark):
        fig.add_vline(x=float(landmark), line={"dash": "dot", "width": 1.5,
                                               "color": THEMES[theme]["text"]}, row=1, col=1)
    annotation = _test_annotation(result)
    if annotation:
        fig.add_annotation(text=annotation, xref="x domain", yref="y domain", x=0.01, y=0.02,
                           xanchor="left", yanchor="bottom", showarrow=False,
                           font={"size": FONT_SIZE}, row=1, col=1)
    fig.update_layout(legend={"title": {"text": escape(group_title) if group_title else None},
                              "orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.01,
                              "yanchor": "bottom"},
                      hovermode="closest")
    return fig
