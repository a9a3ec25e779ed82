"""Biomarker figures: the cut-point statistic curve and a marker across ordered categories."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cohort_explorer.present.format import escape, format_number, format_p
from cohort_explorer.present.plots.theme import base_layout, group_colour, rgba

__all__ = ["cutpoint_figure", "biomarker_figure"]


# --------------------------------------------------------------------------- cut point
def cutpoint_figure(cutpoint: Any, *, column: str, theme: str = "light") -> go.Figure:
    """Standardised log-rank statistic over the candidate cut points, the maximum marked.

    Shows the corrected (Lau94) p-value only; the naive p of the selected split is never shown.
    """
    colour = group_colour(0, theme)
    fig = go.Figure(go.Scatter(
        x=np.asarray(cutpoint.candidates, dtype=float),
        y=np.asarray(cutpoint.statistics, dtype=float), mode="lines+markers",
        line={"color": colour, "width": 2.5}, marker={"size": 6}, showlegend=False,
        hovertemplate="cut %{x:.4g}<br>M = %{y:.3f}<extra></extra>"))
    fig.add_vline(x=float(cutpoint.cutpoint),
                  line={"dash": "dash", "color": group_colour(1, theme), "width": 2})
    base_layout(fig, theme, height=420)
    fig.add_annotation(
        text=(f"cut = {format_number(cutpoint.cutpoint, 3)} · max M = "
              f"{format_number(cutpoint.statistic, 2)} · corrected {format_p(cutpoint.p_corrected)}"
              " (Lau94)"),
        xref="paper", yref="paper", x=0, y=1.02, xanchor="left", yanchor="bottom",
        showarrow=False)
    fig.update_xaxes(title={"text": f"Cut point of {escape(column)} (x ≤ cut vs x > cut)"})
    fig.update_yaxes(title={"text": "Standardised log-rank statistic M"})
    return fig


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
        colour = group_colour(index, theme)
        fig.add_trace(go.Box(
            y=values, name=f"{label} (n={values.size})", boxpoints="all", jitter=0.35,
            pointpos=0, marker={"color": colour, "size": 8, "opacity": 0.75},
            line={"color": colour, "width": 2}, fillcolor=rgba(colour, 0.12), showlegend=False,
            hovertemplate="%{y:.3g}<extra></extra>"))
    title = None
    if trend is not None:
        title = f"Jonckheere–Terpstra trend test: {format_p(getattr(trend, 'p', np.nan))}"
    base_layout(fig, theme, height=460, title=title)
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
