"""Forest plot of a Cox model in the style of survminer ``ggforest``.

One row per level: the variable and level names, n and events, the hazard ratio with its CI on
a log axis, and aligned ``HR (CI)`` and ``p`` columns; reference levels have their own row; the
axis says which side favours what; a footnote gives the model (n, events, covariates,
likelihood-ratio p, C-index). The height follows the number of rows (exports fit the content).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cohort_explorer.present.format import escape, format_number, format_p, is_missing
from cohort_explorer.present.plots.theme import FONT_SIZE, THEMES, base_layout, group_colour

__all__ = ["forest_figure", "forest_rows"]

#: Left edges of the text columns, in paper coordinates, and the plot's x domain.
_COLUMNS = {"variable": 0.0, "level": 0.15, "n": 0.31, "events": 0.37}
_PLOT_DOMAIN = (0.45, 0.75)
_RIGHT = {"hr": 0.77, "p": 0.95}
#: Below this width (pixels) the compact layout: one label column, no n/events columns.
COMPACT_WIDTH = 600


def forest_rows(cox: Any, model: Sequence[Any] | None = None) -> list[dict]:
    """The rows to draw: from ``model_rows`` when given (reference rows, n, events), else one
    row per coefficient named as in the model (``cyto_risk=high``)."""
    terms = {t.term: t for t in cox.terms}
    rows: list[dict] = []
    if model:
        for variable in model:
            for index, level in enumerate(variable.levels):
                rows.append({
                    "variable": variable.variable if index == 0 else "",
                    "level": level.level if variable.categorical else "",
                    "n": level.n, "events": level.events, "reference": level.reference,
                    "term": terms.get(level.term) if level.term else None})
        return rows
    for term in cox.terms:
        rows.append({"variable": str(term.term), "level": "", "n": None, "events": None,
                     "reference": False, "term": term})
    return rows


def _model_note(cox: Any, adjusted_for: Sequence[str] | None) -> str:
    parts = [f"n = {int(cox.n)}, events = {int(cox.events)}"] if hasattr(cox, "n") else []
    if adjusted_for is not None:
        parts.append("covariates: " + (", ".join(adjusted_for) if adjusted_for else "none"))
    lr = getattr(cox, "lr_test", None)
    if lr is not None:
        parts.append(f"likelihood-ratio test {format_p(lr.p)}")
    if not is_missing(getattr(cox, "concordance", None)):
        parts.append(f"C-index {float(cox.concordance):.2f}")
    if not parts:
        return ""
    return "Cox model (Efron ties): " + "; ".join(parts[:2]) + "\n" + "; ".join(parts[2:])


def _row_cells(cell, row: dict, ok: bool, names: Mapping[str, str], *, compact: bool,
               hr_x: float) -> None:
    """The text cells of one row: names (one column when compact), n/events, HR (CI), p."""
    variable = escape(names.get(row["variable"], row["variable"])) if row["variable"] else ""
    if compact:  # one label column: the variable's first row bold, its levels below
        label = (f"<b>{variable}</b> " if variable else "") + escape(row["level"] or "")
        cell(_COLUMNS["variable"], label.strip())
    else:
        if variable:
            cell(_COLUMNS["variable"], variable, bold=True)
        if row["level"]:
            cell(_COLUMNS["level"], escape(row["level"]))
        if row["n"] is not None:
            cell(_COLUMNS["n"] + 0.04, str(row["n"]), "right")
            cell(_COLUMNS["events"] + 0.05, str(row["events"]), "right")
    term = row["term"]
    if row["reference"]:
        cell(hr_x, "reference")
    elif ok:
        cell(hr_x, f"{format_number(term.hr)} ({format_number(term.lower)}–"
                   f"{format_number(term.upper)})")
        cell(1.0, format_p(term.p, prefix=False), "right")
    elif term is not None:
        cell(hr_x, "not estimable")
        cell(1.0, escape(term.reason or ""), "right")


def forest_figure(cox: Any, *, title: str | None = None, theme: str = "light",
                  labels: Mapping[str, str] | None = None, model: Sequence[Any] | None = None,
                  conf_level: float = 0.95, adjusted_for: Sequence[str] | None = None,
                  font_size: int = FONT_SIZE, width_hint: int = 1000) -> go.Figure:
    """Forest plot of a Cox model: rows of levels, HR and CI on a log axis, numbers beside.

    Parameters
    ----------
    cox : CoxResult
        ``terms`` with ``term``, ``hr``, ``lower``, ``upper``, ``p``, ``estimable``, ``reason``;
        ``n``, ``events``, ``lr_test``, ``concordance`` for the footnote.
    title : str, optional
    theme : {"light", "dark"}
    labels : mapping, optional
        Display names for variables (e.g. ``{"cyto_risk": "Cytogenetic risk"}``).
    model : sequence of ModelVariable, optional
        From ``analysis.model_rows``: reference rows and n/events per level.
    conf_level : float
        Level of the intervals (the column header says it: "HR (95% CI)").
    adjusted_for : sequence of str, optional
        The model's variables, for the footnote.
    font_size : int
    width_hint : int
        Expected width in pixels. Below ``COMPACT_WIDTH`` (a phone) the variable and level
        share one column and n/events are left out, so the HR (CI) and p columns fit.

    Returns
    -------
    plotly.graph_objects.Figure
        Non-estimable terms read "not estimable" with no marker; reference rows "reference".
    """
    rows = forest_rows(cox, model)
    names = dict(labels or {})
    count = len(rows)
    y = list(range(count))[::-1]
    colour = group_colour(0, theme)
    text_colour = THEMES[theme]["text"]
    ok = [r["term"] is not None and bool(r["term"].estimable) and not is_missing(r["term"].hr)
          for r in rows]

    def values(field: str) -> np.ndarray:
        return np.array([getattr(r["term"], field) if k else np.nan
                         for r, k in zip(rows, ok, strict=True)], dtype=float)

    hr, lower, upper = values("hr"), values("lower"), values("upper")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=hr, y=y, mode="markers", showlegend=False, xaxis="x", yaxis="y",
        marker={"symbol": "square", "size": round(font_size * 0.75), "color": colour},
        error_x={"type": "data", "symmetric": False, "array": upper - hr,
                 "arrayminus": hr - lower, "color": colour, "thickness": 2.5, "width": 6},
        customdata=np.column_stack([lower, upper]),
        hovertemplate="HR %{x:.2f} (%{customdata[0]:.2f}–%{customdata[1]:.2f})<extra></extra>"))
    level = f"{conf_level * 100:g}%"
    height = 150 + round(font_size * 2.1) * count
    base_layout(fig, theme, height=height, title=escape(title) if title else None,
                font_size=font_size)

    def cell(x: float, row: int, text: str, anchor: str = "left", bold: bool = False) -> None:
        fig.add_annotation(x=x, y=y[row], xref="paper", yref="y", text=text, showarrow=False,
                           xanchor=anchor, font={"color": text_colour, "size": font_size,
                                                 "weight": "bold" if bold else "normal"})

    compact = width_hint < COMPACT_WIDTH
    hr_x, domain = (_RIGHT["hr"], _PLOT_DOMAIN) if not compact else (0.55, (0.35, 0.53))
    for index, row in enumerate(rows):
        _row_cells(lambda x, text, anchor="left", bold=False, i=index: cell(x, i, text, anchor,
                                                                           bold),
                   row, ok[index], names, compact=compact, hr_x=hr_x)
    headers = ((_COLUMNS["variable"], "Variable", "left"), (_COLUMNS["level"], "Level", "left"),
               (_COLUMNS["n"] + 0.04, "n", "right"),
               (_COLUMNS["events"] + 0.05, "Events", "right"))
    for x, text, anchor in (headers[:1] if compact else headers) + (
            (hr_x, f"HR ({level} CI)", "left"), (1.0, "p", "right")):
        fig.add_annotation(x=x, y=1.0, xref="paper", yref="paper", yanchor="bottom", text=text,
                           showarrow=False, xanchor=anchor,
                           font={"color": text_colour, "size": font_size, "weight": "bold"})
    finite = np.concatenate([lower[np.isfinite(lower)], upper[np.isfinite(upper)], [1.0]])
    span = [math.log10(max(finite.min() / 1.3, 1e-3)), math.log10(min(finite.max() * 1.3, 1e3))]
    fig.add_vline(x=1.0, line={"dash": "dash", "width": 1.5, "color": text_colour})
    steps = (0.01, 0.1, 1, 10, 100) if compact else (  # compact: decades, never crowded
        0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)
    ticks = [v for v in steps if span[0] <= math.log10(v) <= span[1]]
    if len(ticks) < 2:  # a narrow span: halves and doubles
        ticks = [v for v in (0.25, 0.5, 1, 2, 4) if span[0] <= math.log10(v) <= span[1]]
    fig.update_xaxes(type="log", range=span, domain=list(domain),
                     title={"text": f"Hazard ratio ({level} CI, log scale)",
                            "font": {"size": font_size - 1}},
                     tickvals=ticks, ticktext=[f"{v:g}" for v in ticks], showgrid=False)
    fig.update_yaxes(visible=False, range=[-0.7, count - 0.3])
    sides = ((0.0, "← lower hazard", "right" if compact else "left"),
             (1.0, "higher hazard →", "left" if compact else "right"))  # compact: beside
    for x, text, anchor in sides:
        fig.add_annotation(x=x, y=0.0, xref="x domain", yref="paper", yanchor="top",
                           yshift=-round(font_size * 3.3), text=text, showarrow=False,
                           xanchor=anchor,
                           font={"color": text_colour, "size": font_size - 3})
    note = _model_note(cox, adjusted_for)
    fig.add_annotation(x=0.0, y=0.0, xref="paper", yref="paper", yanchor="top",
                       yshift=-round(font_size * 4.8),
                       text=escape(note).replace("\n", "<br>"), showarrow=False,
                       xanchor="left", align="left",
                       font={"color": text_colour, "size": font_size - 3})
    fig.update_layout(margin={"l": 12, "r": 12, "t": (70 if title else 36) + 20, "b": round(font_size * 8.2)},
                      hovermode="closest")
    return fig
