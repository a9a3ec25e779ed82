"""Plotly figures built from result objects; nothing here fits or tests anything.

Every function takes results computed by the engine (``analysis.analyze``, ``cox``,
``cutpoint``, ``cohort``) and returns a ``plotly.graph_objects.Figure``. User text (column
names, group labels) is passed in raw and escaped here with :func:`_format.escape`, because
plotly renders a subset of HTML in titles, legends, tick labels and hover text.

Look: Okabe–Ito colour-blind-safe palette, one line style per group, large fonts (readable on a
projector), a light and a dark variant (``theme="dark"``).

Static export (PNG/SVG) goes through kaleido driving the system Chromium:
:func:`figure_images` (implemented in ``_export``).

References
----------
Okabe M, Ito K. Color Universal Design (CUD): how to make figures and presentations that are
friendly to colorblind people. 2008. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cohort_explorer._export import StaticExportError, chromium_path, figure_images
from cohort_explorer._format import escape, format_hr, format_number, format_p, is_missing

__all__ = [
    "OKABE_ITO",
    "LINE_STYLES",
    "PLOTLY_CONFIG",
    "StaticExportError",
    "km_figure",
    "forest_figure",
    "cutpoint_figure",
    "biomarker_figure",
    "ph_residual_figure",
    "time_ticks",
    "at_risk_at",
    "figure_images",
    "chromium_path",
]

#: Okabe–Ito palette, ordered so that the first colours contrast best on white.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
#: Line styles cycled with the colours so groups differ without colour too.
LINE_STYLES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
#: ``config`` for ``st.plotly_chart``: trimmed toolbar, no logo, PNG button at print size.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": [
        "select2d", "lasso2d", "autoScale2d", "toggleSpikelines",
        "hoverClosestCartesian", "hoverCompareCartesian", "zoomIn2d", "zoomOut2d",
    ],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

_FONT_SIZE = 17
_THEMES = {
    "light": {"paper": "#FFFFFF", "plot": "#FFFFFF", "text": "#1A1A1A", "grid": "#D9D9D9",
              "black": "#000000"},
    "dark": {"paper": "#121417", "plot": "#121417", "text": "#F2F2F2", "grid": "#3A3F47",
             "black": "#E6E6E6"},
}


def _colour(index: int, theme: str) -> str:
    colour = OKABE_ITO[index % len(OKABE_ITO)]
    return _THEMES[theme]["black"] if colour == "#000000" else colour


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _layout(fig: go.Figure, theme: str, *, height: int, title: str | None = None) -> go.Figure:
    if theme not in _THEMES:
        raise ValueError(f"theme must be 'light' or 'dark', not {theme!r}")
    colours = _THEMES[theme]
    fig.update_layout(
        template="simple_white" if theme == "light" else "plotly_dark",
        paper_bgcolor=colours["paper"], plot_bgcolor=colours["plot"],
        font={"size": _FONT_SIZE, "color": colours["text"],
              "family": "Arial, Helvetica, sans-serif"},
        height=height, margin={"l": 80, "r": 30, "t": 70 if title else 30, "b": 60},
        hoverlabel={"font_size": _FONT_SIZE - 1},
        title={"text": title, "x": 0.0, "xanchor": "left"} if title else None,
    )
    fig.update_xaxes(showline=True, linecolor=colours["text"], gridcolor=colours["grid"],
                     ticks="outside", tickcolor=colours["text"], zeroline=False)
    fig.update_yaxes(showline=True, linecolor=colours["text"], gridcolor=colours["grid"],
                     ticks="outside", tickcolor=colours["text"], zeroline=False)
    return fig


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
    colour = _colour(index, theme)
    time, surv, lower, upper = _step_arrays(group.km)
    group_id = f"g{index}"
    if show_ci:
        fig.add_trace(go.Scatter(x=time, y=upper, mode="lines", line={"width": 0, "shape": "hv"},
                                 hoverinfo="skip", showlegend=False, legendgroup=group_id),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=time, y=lower, mode="lines", line={"width": 0, "shape": "hv"},
                                 fill="tonexty", fillcolor=_rgba(colour, 0.15), hoverinfo="skip",
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
            textfont={"color": _colour(index, theme), "size": _FONT_SIZE}, showlegend=False,
            hoverinfo="skip"), row=2, col=1)
    _layout(fig, theme, height=height)
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
                       font={"size": _FONT_SIZE}, row=2, col=1)
    if landmark is not None and np.isfinite(landmark):
        fig.add_vline(x=float(landmark), line={"dash": "dot", "width": 1.5,
                                               "color": _THEMES[theme]["text"]}, row=1, col=1)
    annotation = _test_annotation(result)
    if annotation:
        fig.add_annotation(text=annotation, xref="x domain", yref="y domain", x=0.01, y=0.02,
                           xanchor="left", yanchor="bottom", showarrow=False,
                           font={"size": _FONT_SIZE}, row=1, col=1)
    fig.update_layout(legend={"title": {"text": escape(group_title) if group_title else None},
                              "orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.01,
                              "yanchor": "bottom"},
                      hovermode="closest")
    return fig


# --------------------------------------------------------------------------- Cox forest plot
def forest_figure(cox: Any, *, title: str | None = None, theme: str = "light",
                  labels: Mapping[str, str] | None = None) -> go.Figure:
    """Forest plot of a Cox model: HR and CI per term on a log axis, with the numbers beside.

    Parameters
    ----------
    cox : CoxResult
        ``terms`` with ``term``, ``hr``, ``lower``, ``upper``, ``p``, ``estimable``, ``reason``.
    title : str, optional
    theme : {"light", "dark"}
    labels : mapping, optional
        Display names for terms (e.g. ``{"ikzf1=Q2-Q4": "IKZF1 Q2–Q4 vs Q1"}``).

    Returns
    -------
    plotly.graph_objects.Figure
        Non-estimable terms appear as a row reading "not estimable" with no marker.
    """
    terms = list(cox.terms)
    names = [escape((labels or {}).get(t.term, t.term)) for t in terms]
    y = list(range(len(terms)))[::-1]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.62, 0.38],
                        horizontal_spacing=0.02)
    ok = [bool(t.estimable) and not is_missing(t.hr) for t in terms]

    def values(field: str) -> np.ndarray:
        pairs = zip(terms, ok, strict=True)
        return np.array([getattr(t, field) if k else np.nan for t, k in pairs], dtype=float)

    hr, lower, upper = values("hr"), values("lower"), values("upper")
    colour = _colour(0, theme)
    fig.add_trace(go.Scatter(
        x=hr, y=y, mode="markers", showlegend=False,
        marker={"symbol": "square", "size": 13, "color": colour},
        error_x={"type": "data", "symmetric": False, "array": upper - hr,
                 "arrayminus": hr - lower, "color": colour, "thickness": 2.5, "width": 6},
        customdata=np.column_stack([lower, upper]),
        hovertemplate="HR %{x:.2f} (%{customdata[0]:.2f}–%{customdata[1]:.2f})<extra></extra>",
    ), row=1, col=1)
    text = [
        (f"{format_number(t.hr)} ({format_number(t.lower)}–{format_number(t.upper)})  "
         f"{format_p(t.p)}") if k else f"not estimable: {escape(t.reason or 'no estimate')}"
        for t, k in zip(terms, ok, strict=True)
    ]
    fig.add_trace(go.Scatter(x=[0] * len(terms), y=y, mode="text", text=text,
                             textposition="middle right", showlegend=False, hoverinfo="skip"),
                  row=1, col=2)
    _layout(fig, theme, height=max(260, 90 + 52 * len(terms)),
            title=escape(title) if title else None)
    finite = np.concatenate([lower[np.isfinite(lower)], upper[np.isfinite(upper)], [1.0]])
    span = [math.log10(max(finite.min() / 1.3, 1e-3)), math.log10(min(finite.max() * 1.3, 1e3))]
    fig.add_vline(x=1.0, line={"dash": "dash", "width": 1.5, "color": _THEMES[theme]["text"]},
                  row=1, col=1)
    ticks = [v for v in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)
             if span[0] <= math.log10(v) <= span[1]]
    fig.update_xaxes(type="log", range=span, title={"text": "Hazard ratio (95% CI, log scale)"},
                     tickvals=ticks, ticktext=[f"{v:g}" for v in ticks], row=1, col=1)
    fig.update_xaxes(visible=False, range=[0, 1], row=1, col=2)
    fig.update_yaxes(tickvals=y, ticktext=names, range=[-0.7, len(terms) - 0.3], row=1, col=1)
    fig.update_yaxes(showline=False, ticks="", row=1, col=2)
    fig.add_annotation(text="HR (95% CI)  p", x=0, y=1.0, xref="x2 domain", yref="paper",
                       xanchor="left", yanchor="bottom", showarrow=False)
    return fig


# --------------------------------------------------------------------------- cut point
def cutpoint_figure(cutpoint: Any, *, column: str, theme: str = "light") -> go.Figure:
    """Standardised log-rank statistic over the candidate cut points, the maximum marked.

    Shows the corrected (Lau94) p-value only; the naive p of the selected split is never shown.
    """
    colour = _colour(0, theme)
    fig = go.Figure(go.Scatter(
        x=np.asarray(cutpoint.candidates, dtype=float),
        y=np.asarray(cutpoint.statistics, dtype=float), mode="lines+markers",
        line={"color": colour, "width": 2.5}, marker={"size": 6}, showlegend=False,
        hovertemplate="cut %{x:.4g}<br>M = %{y:.3f}<extra></extra>"))
    fig.add_vline(x=float(cutpoint.cutpoint),
                  line={"dash": "dash", "color": _colour(1, theme), "width": 2})
    _layout(fig, theme, height=420)
    fig.add_annotation(
        text=(f"cut = {format_number(cutpoint.cutpoint, 3)} · max M = "
              f"{format_number(cutpoint.statistic, 2)} · corrected {format_p(cutpoint.p_corrected)}"
              " (Lau94)"),
        xref="paper", yref="paper", x=0, y=1.02, xanchor="left", yanchor="bottom",
        showarrow=False)
    fig.update_xaxes(title={"text": f"Cut point of {escape(column)} (x ≤ cut vs x > cut)"})
    fig.update_yaxes(title={"text": "Standardised log-rank statistic M"})
    return fig


# --------------------------------------------------------------------------- PH check
def ph_residual_figure(ph: Any, term: str, *, theme: str = "light",
                       height: int = 460) -> go.Figure:
    """Scaled Schoenfeld residuals of one Cox coefficient over time, as R ``plot.cox.zph``.

    Residuals against KM-transformed time (raw-time tick labels), R's 4-df natural-spline
    smooth with its +-2 se band, and a dashed line at the Cox coefficient (a constant effect);
    the title gives the term and its PH test p. A term that is not estimable gives an empty
    figure with a message; an unknown term raises ``OptionError``. Implemented in
    ``_ph_plot`` (see :func:`cohort_explorer._ph_plot.ph_residual_figure`).

    Parameters
    ----------
    ph : PHTest
        ``cox.proportional_hazards_test(...)`` / ``analysis.analyze(...).ph_test``.
    term : str
        A coefficient name from ``ph.residuals.terms``.
    theme : {"light", "dark"}
    height : int

    Returns
    -------
    plotly.graph_objects.Figure
    """
    from cohort_explorer import _ph_plot  # imported here: _ph_plot uses this module's style

    return _ph_plot.ph_residual_figure(ph, term, theme=theme, height=height)


# --------------------------------------------------------------------------- biomarker
def biomarker_figure(
    data: pd.DataFrame, value_col: str, category_col: str, order: Sequence[Any], *,
    trend: Any = None, log_scale: bool = False, theme: str = "light",
) -> go.Figure:
    """Box plot with every patient as a point, one box per ordered category.

    Parameters
    ----------
    data : DataFrame
    value_col, category_col : str
        The biomarker (numeric) and the ordered category (e.g. ISS stage).
    order : sequence
        Category order on the x axis (e.g. ``["I", "II", "III"]``).
    trend : object, optional
        A trend test result with ``p`` (e.g. ``cohort.jonckheere_terpstra``), shown in the title.
    log_scale : bool
        Logarithmic value axis (expression data are right-skewed).
    theme : {"light", "dark"}
    """
    fig = go.Figure()
    for index, level in enumerate(order):
        values = pd.to_numeric(data.loc[data[category_col] == level, value_col],
                               errors="coerce").dropna()
        label = escape(level)
        colour = _colour(index, theme)
        fig.add_trace(go.Box(
            y=values, name=f"{label} (n={values.size})", boxpoints="all", jitter=0.35,
            pointpos=0, marker={"color": colour, "size": 8, "opacity": 0.75},
            line={"color": colour, "width": 2}, fillcolor=_rgba(colour, 0.12), showlegend=False,
            hovertemplate="%{y:.3g}<extra></extra>"))
    title = None
    if trend is not None:
        title = f"Jonckheere–Terpstra trend test: {format_p(getattr(trend, 'p', np.nan))}"
    _layout(fig, theme, height=460, title=title)
    fig.update_xaxes(title={"text": escape(category_col)})
    fig.update_yaxes(title={"text": escape(value_col)}, type="log" if log_scale else "linear")
    values = pd.to_numeric(data[value_col], errors="coerce")
    positive = values[values > 0]
    if log_scale and len(positive):
        ticks = _log_ticks(float(positive.min()), float(positive.max()))
        fig.update_yaxes(tickvals=ticks, ticktext=[f"{v:g}" for v in ticks])
    return fig


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks covering [low, high] for a logarithmic axis."""
    exponents = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    ticks = [m * 10.0**e for e in exponents for m in (1, 2, 5)]
    inside = [t for t in ticks if low / 1.5 <= t <= high * 1.5]
    return inside or [low, high]
