"""Cumulative incidence figure: Aalen–Johansen curves per group with CI bands and numbers at risk."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cohort_explorer.present.format import escape, format_p
from cohort_explorer.present.labels import group_names
from cohort_explorer.present.plots.km import (
    _legend_columns,
    _spacing,
    _subtitle_lines,
    _table_share,
    at_risk_at,
    gap_lines,
    km_height,
    time_range,
    time_ticks,
)
from cohort_explorer.present.plots.theme import (
    FONT_SIZE,
    LINE_STYLES,
    THEMES,
    base_layout,
    group_colour,
    rgba,
)

__all__ = ["cif_figure"]


def _steps(cif: Any) -> tuple[np.ndarray, ...]:
    time = np.concatenate([[0.0], np.asarray(cif.time, dtype=float)])
    estimate = np.concatenate([[0.0], np.asarray(cif.estimate, dtype=float)])
    lower = np.concatenate([[0.0], np.asarray(cif.lower, dtype=float)])
    upper = np.concatenate([[0.0], np.asarray(cif.upper, dtype=float)])
    lower = np.where(np.isfinite(lower), lower, estimate)  # R: no bound where the CIF is 0
    upper = np.where(np.isfinite(upper), upper, estimate)
    return time, estimate, lower, upper


def cif_figure(result: Any, *, time_unit: str | None = None, endpoint: str | None = None,
               group_title: str | None = None, show_ci: bool | None = None,
               theme: str = "light", time_scale: float = 1.0,
               font_size: int = FONT_SIZE, width_hint: int = 1000) -> go.Figure:
    """Cumulative incidence of the event of interest per group, with numbers at risk beneath.

    Parameters
    ----------
    result : AnalysisResult
        With ``competing`` (per group ``cif`` time/estimate/lower/upper) and ``groups`` (their
        Kaplan–Meier ``at_risk``: the patients still event-free and followed, either event).
    time_unit, endpoint, group_title, show_ci, theme, time_scale, font_size, width_hint
        As :func:`~cohort_explorer.present.plots.km.km_figure`: the title, subtitle and
        legend rows are laid out above the curves for ``width_hint`` pixels (never over each
        other), and the curves' plot area gets the KM figure's height.

    Returns
    -------
    plotly.graph_objects.Figure
        Row 1: rising step curves (0 to 1); row 2: numbers at risk at the ticks. Gray's test
        is in the subtitle.
    """
    competing = result.competing
    if competing is None:
        raise ValueError("the result has no competing-risk analysis (--competing)")
    groups = list(competing.groups)
    if show_ci is None:
        show_ci = len(groups) <= 2
    km_groups = {str(g.label): g for g in result.groups}
    # the KM legend's names, cut-offs included (Q1 (≤ 0.643)): the same groups, the same words
    cut_names = dict(zip(km_groups, group_names(list(result.groups)), strict=True))
    phone = width_hint < 600  # the counts stay in the table beneath the figure
    names = [escape(f"{cut_names.get(str(g.label), g.label)}" + (
        "" if phone else f" (n={g.n}, events={g.events}, competing={g.competing_events})"))
        for g in groups]
    parts = [f"Competing event: {competing.competing}", "Aalen–Johansen estimate"]
    if competing.gray is not None:
        parts.append(f"Gray's test {format_p(competing.gray.p)}")
    lines = _subtitle_lines(parts, font_size, width_hint)
    subtitle = "<br>".join(escape(line) for line in lines)
    # As the KM figure: title, subtitle lines, then the legend's rows, all above the curves
    title_px = round(font_size * 1.15 * 1.5) * (2 if phone and group_title else 1)
    sub_px = round((font_size - 1) * 1.45)
    top = title_px + sub_px * len(lines) + 16  # Plotly sets the subtitle off a little
    columns = _legend_columns(names, font_size, width_hint)
    legend_px = -(-len(names) // columns) * round(font_size * 1.6)  # rows x row height
    margin = {"t": top + legend_px + 10, "b": 16, "l": 70, "r": 24}
    table_px = font_size * 1.75 * len(groups) + font_size * 2.2
    height = km_height(width_hint, margin["t"] + margin["b"], table_px, font_size,
                       gap_lines(width_hint))
    table_share = _table_share(height, table_px)
    spacing = _spacing(height - margin["t"] - margin["b"], font_size, gap_lines(width_hint))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=spacing,
                        row_heights=[1 - table_share, table_share])
    max_time = max((float(np.max(g.cif.time)) for g in groups if len(g.cif.time)), default=1.0)
    ticks = time_ticks(max_time * time_scale, time_unit)
    text_colour = THEMES[theme]["text"]
    labels = []
    for index, group in enumerate(groups):
        colour = group_colour(index, theme)
        time, estimate, lower, upper = _steps(group.cif)
        time = time * time_scale
        if show_ci:
            fig.add_trace(go.Scatter(x=time, y=upper, mode="lines", hoverinfo="skip",
                                     line={"width": 0, "shape": "hv"}, showlegend=False,
                                     legendgroup=f"g{index}"), row=1, col=1)
            fig.add_trace(go.Scatter(x=time, y=lower, mode="lines", hoverinfo="skip",
                                     line={"width": 0, "shape": "hv"}, fill="tonexty",
                                     fillcolor=rgba(colour, 0.15), showlegend=False,
                                     legendgroup=f"g{index}"), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=time, y=estimate, mode="lines", name=names[index], legendgroup=f"g{index}",
            line={"color": colour, "width": 3, "shape": "hv", "dash": LINE_STYLES[index % 6]},
            hovertemplate="%{fullData.name}<br>t = %{x:.4g}<br>cumulative incidence "
                          "%{y:.1%}<extra></extra>"), row=1, col=1)
        label = escape(group.label)
        labels.append(label)
        km_group = km_groups.get(str(group.label))
        counts = (at_risk_at(km_group.km, km_group.n, ticks / time_scale)
                  if km_group is not None else [""] * len(ticks))
        fig.add_trace(go.Scatter(x=ticks, y=[label] * len(ticks), mode="text",
                                 text=[str(c) for c in counts], showlegend=False,
                                 hoverinfo="skip",
                                 textfont={"color": text_colour, "size": font_size}),
                      row=2, col=1)
    base_layout(fig, theme, height=height, font_size=font_size)
    x_range = time_range(ticks[-1], font_size=font_size, width_hint=width_hint,
                         widest_count=max((int(g.n) for g in groups), default=0))
    unit = escape(time_unit) if time_unit else ""
    # shared_xaxes hides the upper row's tick labels: the time axis is labelled there
    fig.update_xaxes(range=x_range, tickvals=ticks, ticktext=[f"{t:g}" for t in ticks],
                     showticklabels=True,
                     title={"text": f"Time ({unit})" if unit else "Time", "standoff": 6},
                     row=1, col=1)
    fig.update_xaxes(range=x_range, tickvals=ticks, showticklabels=False, showline=False,
                     showgrid=False, ticks="", row=2, col=1)
    what = escape(endpoint) if endpoint else "Event"
    fig.update_yaxes(range=[0, 1.04], tickformat=".0%", automargin=True,
                     title={"text": f"Cumulative incidence ({what})"}, row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], showgrid=False,
                     showline=False, ticks="", automargin=True,
                     range=[-0.6, len(labels) - 0.4], row=2, col=1)
    fig.add_annotation(text="Number at risk", xref="paper", yref="y2 domain", x=0, y=1.0,
                       xanchor="left", yanchor="bottom", showarrow=False,
                       font={"size": font_size, "color": text_colour})
    title = f"Cumulative incidence of {escape(competing.event)}"
    if group_title:
        title += ("<br>" if phone else " ") + f"by {escape(group_title)}"
    fig.update_layout(
        # a title on two lines is drawn up by its second line: moved down by one
        title={"text": title, "x": 0.0, "xanchor": "left", "pad": {"l": 6 if phone else 0},
               "xref": "container" if phone else "paper",  # a phone: from the left edge
               "y": 1 - (6 + (title_px // 2 if "<br>" in title else 0)) / height,
               "yanchor": "top", "yref": "container",
               "font": {"size": round(font_size * 1.15)},
               "subtitle": {"text": subtitle, "font": {"size": font_size - 1}}},
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "xref": "container",
                "y": 1 - top / height, "yref": "container", "yanchor": "top",
                "font": {"size": font_size}, "traceorder": "normal"},
        margin=margin, hovermode="closest")
    return fig
