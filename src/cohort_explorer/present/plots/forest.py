"""Forest plot of a Cox model's hazard ratios (log axis, one row per coefficient)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cohort_explorer.present.format import escape, format_number, format_p, is_missing
from cohort_explorer.present.plots.theme import THEMES, base_layout, group_colour

__all__ = ["forest_figure"]


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
    colour = group_colour(0, theme)
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
    base_layout(fig, theme, height=max(260, 90 + 52 * len(terms)),
            title=escape(title) if title else None)
    finite = np.concatenate([lower[np.isfinite(lower)], upper[np.isfinite(upper)], [1.0]])
    span = [math.log10(max(finite.min() / 1.3, 1e-3)), math.log10(min(finite.max() * 1.3, 1e3))]
    fig.add_vline(x=1.0, line={"dash": "dash", "width": 1.5, "color": THEMES[theme]["text"]},
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
