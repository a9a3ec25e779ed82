"""Forest plot of a Cox model in the style of survminer ``ggforest``.

One row per level: the variable (its display name) and the level (a group with its cut-offs,
``Q2 (> 0.643 to ≤ 1.12)``, worded as in the Kaplan–Meier legend; a covariate's level; the
unit of a numeric term), n and events, the hazard ratio with its CI on a log axis, and aligned
``HR (CI)`` and ``p`` columns; reference levels have their own row; the axis says which side
favours what; a footnote gives the model (n, events, covariates, likelihood-ratio p, C-index).

The text columns are as wide as their longest text at the figure's width and font size (a
text that would leave the plot too little room is wrapped, its row made taller), so nothing is
cut; the height follows the rows (exports fit the content).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cohort_explorer.present.format import escape, format_number, format_p, is_missing
from cohort_explorer.present.plots.text_fit import text_px, wrap_px
from cohort_explorer.present.plots.theme import FONT_SIZE, THEMES, base_layout, group_colour
from cohort_explorer.present.term_labels import level_names, term_names

__all__ = ["forest_figure", "forest_rows", "COMPACT_WIDTH"]

#: Below this width (pixels) the compact layout: one label column, no n/events columns.
COMPACT_WIDTH = 600
_MARGIN = 12  # left and right margins (px)
_PAD = 6  # an annotation's text sits about 3 px inside its box on each side


def forest_rows(cox: Any, model: Sequence[Any] | None = None, *,
                names: Mapping[str, str] | None = None, groups: Sequence[Any] | None = None,
                group_column: str | None = None) -> list[dict]:
    """The rows to draw, in words: ``variable`` (display name, on a variable's first row) and
    ``level`` (:mod:`cohort_explorer.present.term_labels`), ``n``, ``events``, ``reference``
    and the Cox ``term`` (None for a reference row).

    From ``model_rows`` when given (reference rows, n, events); else one row per coefficient,
    with the grouping's reference group first when ``groups`` and ``group_column`` are given.
    """
    names = dict(names or {})
    references = {str(v.variable): str(v.levels[0].level) for v in (model or ())
                  if v.categorical and not v.grouping and v.levels}
    words = term_names([t.term for t in cox.terms], group_column=group_column, groups=groups,
                       covariates=getattr(cox, "adjusted_for", None) or (), names=names,
                       references=references)
    levels = level_names(groups)
    terms = {t.term: t for t in cox.terms}
    rows: list[dict] = []
    if model:
        for variable in model:
            for index, level in enumerate(variable.levels):
                word = words.get(level.term) if level.term else None
                if variable.grouping:
                    text = levels.get(level.level, level.level)
                elif variable.categorical or word is None:
                    text = level.level if variable.categorical else ""
                else:
                    text = word.level
                shown = word.variable if word is not None else names.get(
                    str(variable.variable), str(variable.variable))
                rows.append({"variable": shown if index == 0 else "", "level": text,
                             "n": level.n, "events": level.events,
                             "reference": level.reference,
                             "term": terms.get(level.term) if level.term else None})
        return rows
    prefix = f"{group_column}="
    # a model of the grouping alone has the groups' patients: their n and events are the rows'
    counted = {str(g.label): g for g in groups or ()} if group_column and all(
        t.term.startswith(prefix) for t in cox.terms) else {}

    def count(label: str | None, what: str):
        group = counted.get(label) if label is not None else None
        return int(getattr(group, what)) if group is not None else None

    first = str(groups[0].label) if groups else None
    previous = None
    for term in cox.terms:
        word = words[term.term]
        grouping = bool(group_column) and term.term.startswith(prefix)
        if grouping and previous != word.variable and groups:  # its reference group first
            rows.append({"variable": word.variable, "level": word.reference,
                         "n": count(first, "n"), "events": count(first, "events"),
                         "reference": True, "term": None})
            previous = word.variable
        own = term.term[len(prefix):] if grouping else None
        rows.append({"variable": word.variable if word.variable != previous else "",
                     "level": word.level, "n": count(own, "n"), "events": count(own, "events"),
                     "reference": False, "term": term})
        previous = word.variable
    return rows


def _model_note(cox: Any, adjusted_for: Sequence[str] | None,
                names: Mapping[str, str]) -> list[str]:
    parts = [f"n = {int(cox.n)}, events = {int(cox.events)}"] if hasattr(cox, "n") else []
    if adjusted_for is not None:
        parts.append("covariates: " + (", ".join(names.get(a, a) for a in adjusted_for)
                                       if adjusted_for else "none"))
    lr = getattr(cox, "lr_test", None)
    if lr is not None:
        parts.append(f"likelihood-ratio test {format_p(lr.p)}")
    if not is_missing(getattr(cox, "concordance", None)):
        parts.append(f"C-index {float(cox.concordance):.2f}")
    if not parts:
        return []
    return ["Cox model (Efron ties): " + "; ".join(parts[:2]), "; ".join(parts[2:])]


def _estimate(row: dict, ok: bool) -> tuple[str, str]:
    """The row's ``HR (CI)`` and ``p`` texts (plain)."""
    term = row["term"]
    if row["reference"]:
        return "reference", ""
    if ok:
        return (f"{format_number(term.hr)} ({format_number(term.lower)}–"
                f"{format_number(term.upper)})", format_p(term.p, prefix=False))
    return ("not estimable", "") if term is not None else ("", "")


@dataclass(frozen=True)
class _Layout:
    """Column positions (pixels from the left of the plotting area), each row's lines."""

    width: float
    gap: float
    variable: float
    level: float
    n_right: float
    events_right: float
    plot: tuple[float, float]
    hr: float
    labels: list  # per row: (variable lines, level lines) or, compact, the label's lines


def _wrapped_label(variable: str, level: str, budget: float, size: int) -> list[str]:
    """Compact label lines (markup): the variable bold, then its level; on one line when they
    fit ``budget`` pixels, else the variable's lines above the level's."""
    width = (text_px(variable, size, bold=True) if variable else 0.0) + (
        text_px(f" {level}", size) if level else 0.0)
    if width <= budget:
        return [" ".join(p for p in ((f"<b>{escape(variable)}</b>" if variable else ""),
                                     escape(level)) if p)]
    lines = [f"<b>{escape(s)}</b>" for s in wrap_px(variable, budget, size, bold=True)
             ] if variable else []
    return lines + ([escape(s) for s in wrap_px(level, budget, size)] if level else [])


def _layout(rows: list[dict], texts: list[tuple[str, str]], header: str, *, compact: bool,
            size: int, width_hint: int) -> _Layout:
    """Where each text column goes at ``width_hint`` pixels: as wide as its longest text, the
    plot taking the rest (at least a quarter, a fifth when the names need the room); names
    that still do not fit are wrapped."""
    width = max(width_hint - 2 * _MARGIN, 200)
    hr_w = max([text_px(header, size, bold=True)] + [text_px(h, size) for h, _ in texts])
    p_w = max([text_px("p", size, bold=True)] + [text_px(p, size) for _, p in texts])
    if not compact:
        return _wide_layout(rows, width, hr_w, p_w, size)
    gap = round(size * 0.5) + _PAD
    right = hr_w + p_w + 2 * gap  # HR (CI), p, and the gaps before each
    budget = max(width - right - gap - max(width * 0.13, size * 4), size * 6)
    labels = [_wrapped_label(r["variable"], r["level"], budget, size) for r in rows]
    label_w = max([text_px("Variable", size, bold=True)] + [
        text_px(line.replace("<b>", "").replace("</b>", ""), size, bold=True)
        for lines in labels for line in lines])
    label_w = min(label_w, budget)
    return _Layout(width, gap, 0.0, 0.0, 0.0, 0.0, (label_w + gap, width - right),
                   width - p_w - gap - hr_w, labels)


def _wide_layout(rows: list[dict], width: float, hr_w: float, p_w: float,
                 size: int) -> _Layout:
    n_w = max([text_px("n", size, bold=True)] + [text_px(str(r["n"]), size) for r in rows
                                                 if r["n"] is not None])
    events_w = max([text_px("Events", size, bold=True)] + [
        text_px(str(r["events"]), size) for r in rows if r["events"] is not None])
    var_w = max([text_px("Variable", size, bold=True)] + [
        text_px(r["variable"], size, bold=True) for r in rows])
    level_w = max([text_px("Level", size, bold=True)] + [text_px(r["level"], size)
                                                          for r in rows])
    for gap_share, plot_share in ((1.3, 0.25), (0.9, 0.2)):  # roomy first, then tighter
        gap = round(size * gap_share) + _PAD
        right = hr_w + p_w + 2 * gap  # HR (CI), p, and the gaps before each
        room = width - right - n_w - events_w - 4 * gap - max(width * plot_share, size * 5)
        if var_w + level_w <= room:
            break
    if var_w + level_w > room:  # wrap: the variable gets 40% of the room, or what the
        var_w = min(var_w, max(room * 0.4, room - level_w, size * 5))  # levels leave
        level_w = max(room - var_w, size * 5)
    labels = [(wrap_px(r["variable"], var_w, size, bold=True) if r["variable"] else [],
               wrap_px(r["level"], level_w, size) if r["level"] else []) for r in rows]
    level_x = var_w + gap
    n_right = level_x + level_w + gap + n_w
    events_right = n_right + gap + events_w
    return _Layout(width, gap, 0.0, level_x, n_right, events_right,
                   (events_right + gap, width - right), width - p_w - gap - hr_w, labels)


def forest_figure(cox: Any, *, title: str | None = None, theme: str = "light",
                  labels: Mapping[str, str] | None = None, model: Sequence[Any] | None = None,
                  conf_level: float = 0.95, adjusted_for: Sequence[str] | None = None,
                  font_size: int = FONT_SIZE, width_hint: int = 1000,
                  groups: Sequence[Any] | None = None,
                  group_column: str | None = None) -> go.Figure:
    """Forest plot of a Cox model: rows of levels, HR and CI on a log axis, numbers beside.

    Parameters
    ----------
    cox : CoxResult
        ``terms`` with ``term``, ``hr``, ``lower``, ``upper``, ``p``, ``estimable``, ``reason``;
        ``n``, ``events``, ``lr_test``, ``concordance`` for the footnote.
    title : str, optional
    theme : {"light", "dark"}
    labels : mapping, optional
        Display names of columns (e.g. ``{"cyto_risk": "Cytogenetic risk"}``).
    model : sequence of ModelVariable, optional
        From ``analysis.model_rows``: reference rows and n/events per level.
    conf_level : float
        Level of the intervals (the column header says it: "HR (95% CI)").
    adjusted_for : sequence of str, optional
        The model's variables (column names), for the footnote.
    font_size : int
    width_hint : int
        Expected width in pixels: the text columns are sized for it. Below ``COMPACT_WIDTH``
        (a phone) the variable and level share one column and n/events are left out.
    groups : sequence, optional
        ``result.groups``: the grouping's levels are shown with their cut-offs.
    group_column : str, optional
        The grouping column (needed without ``model`` to know the grouping's terms).

    Returns
    -------
    plotly.graph_objects.Figure
        Non-estimable terms read "not estimable" (the reason in the plot's row) with no
        marker; reference rows "reference". Every user text is escaped.
    """
    names = dict(labels or {})
    rows = forest_rows(cox, model, names=names, groups=groups, group_column=group_column)
    size = font_size
    text_colour = THEMES[theme]["text"]
    colour = group_colour(0, theme)
    ok = [r["term"] is not None and bool(r["term"].estimable) and not is_missing(r["term"].hr)
          for r in rows]
    texts = [_estimate(r, k) for r, k in zip(rows, ok, strict=True)]
    level = f"{conf_level * 100:g}%"
    header = f"HR ({level} CI)"
    compact = width_hint < COMPACT_WIDTH
    lay = _layout(rows, texts, header, compact=compact, size=size, width_hint=width_hint)
    span = lay.plot[1] - lay.plot[0]  # why a term is not estimable: in its row of the plot
    reasons = [wrap_px(r["term"].reason, span, size - 3) if r["term"] is not None and not k
               and r["term"].reason else [] for r, k in zip(rows, ok, strict=True)]
    y, total = _row_centres(lay, compact, [len(lines) * (size - 3) / size for lines in reasons])
    row_px = round(size * 1.7)  # one single-line row
    fig = go.Figure()

    def values(field: str) -> np.ndarray:
        return np.array([getattr(r["term"], field) if k else np.nan
                         for r, k in zip(rows, ok, strict=True)], dtype=float)

    hr, lower, upper = values("hr"), values("lower"), values("upper")
    fig.add_trace(go.Scatter(
        x=hr, y=y, mode="markers", showlegend=False, xaxis="x", yaxis="y",
        marker={"symbol": "square", "size": round(size * 0.75), "color": colour},
        error_x={"type": "data", "symmetric": False, "array": upper - hr,
                 "arrayminus": hr - lower, "color": colour, "thickness": 2.5, "width": 6},
        customdata=np.column_stack([lower, upper]),
        hovertemplate="HR %{x:.2f} (%{customdata[0]:.2f}–%{customdata[1]:.2f})<extra></extra>"))
    base_layout(fig, theme, height=400, title=escape(title) if title else None,
                font_size=size)

    _text_cells(fig, rows, texts, reasons, lay, y, size=size, colour=text_colour,
                compact=compact, header=header)
    _axis(fig, lower, upper, lay, size=size, level=level, compact=compact, count=total,
          colour=text_colour)
    note = [line for part in _model_note(cox, adjusted_for, names) if part
            for line in wrap_px(part, lay.width - 4, size - 3)]
    note_y = _sides_y(size) + round((size - 3) * 1.3 + size * 0.6)
    if note:
        fig.add_annotation(**_place(0.0, lay), y=0.0, xref="paper", yref="paper",
                           yanchor="top", yshift=-note_y,
                           text="<br>".join(escape(s) for s in note),
                           showarrow=False, xanchor="left", align="left",
                           font={"color": text_colour, "size": size - 3})
    bottom = note_y + round(len(note) * (size - 3) * 1.35) + 10
    head = (70 if title else 36) + 20
    # The text columns live in the margins (pixels); the plot takes the width between them.
    fig.update_layout(margin={"l": round(_MARGIN + lay.plot[0]), "t": head, "b": bottom,
                              "r": round(_MARGIN + lay.width - lay.plot[1])},
                      height=head + bottom + round(row_px * (total + 0.4)),  # fits its rows
                      hovermode="closest")
    return fig


def _row_centres(lay: _Layout, compact: bool,
                 extra: list[float]) -> tuple[list[float], float]:
    """Each row's centre on the y axis and the rows' total height, in units of one
    single-line row: a wrapped label (or ``extra`` lines in the plot) makes its row taller."""
    counts = [max(len(lab) if compact else max(1, len(lab[0]), len(lab[1])), more)
              for lab, more in zip(lay.labels, extra, strict=True)]
    heights = [1.0 if k <= 1.01 else (k * 1.2 + 0.5) / 1.7 for k in counts]
    total = sum(heights)
    y, top = [], total
    for h in heights:
        y.append(top - h / 2 - 0.5)
        top -= h
    return y, total


def _place(px: float, lay: _Layout) -> dict:
    """A text column's position: pixels from the plot's left edge (columns left of the plot)
    or right edge (right of it), so the columns keep their widths whatever the figure's
    width; only the plot between them stretches or shrinks."""
    if px <= lay.plot[0]:
        return {"x": 0.0, "xshift": round(px - lay.plot[0], 1)}
    return {"x": 1.0, "xshift": round(px - lay.plot[1], 1)}


def _text_cells(fig: go.Figure, rows: list[dict], texts: list[tuple[str, str]],
                reasons: list[list[str]], lay: _Layout, y: list[float], *, size: int,
                colour: str, compact: bool, header: str) -> None:
    """The column headers and every row's texts: names, n/events, HR (CI), p, and the reason
    a term is not estimable (in its row of the plot, where the marker would be)."""

    def cell(px: float, row: int, text: str, anchor: str = "left", *, bold: bool = False) -> None:
        if text:
            fig.add_annotation(**_place(px, lay), y=y[row], xref="paper", yref="y", text=text,
                               showarrow=False, xanchor=anchor, align=anchor,
                               font={"color": colour, "size": size,
                                     "weight": "bold" if bold else "normal"})

    for i, row in enumerate(rows):
        if compact:
            cell(0.0, i, "<br>".join(lay.labels[i]))
        else:
            variable_lines, level_lines = lay.labels[i]
            cell(0.0, i, "<br>".join(escape(s) for s in variable_lines), bold=True)
            cell(lay.level, i, "<br>".join(escape(s) for s in level_lines))
            if row["n"] is not None:
                cell(lay.n_right, i, str(row["n"]), "right")
                cell(lay.events_right, i, str(row["events"]), "right")
        estimate, p = texts[i]
        cell(lay.hr, i, estimate)
        cell(lay.width, i, p, "right")
        if reasons[i]:
            fig.add_annotation(x=0.5, y=y[i], xref="x domain", yref="y", showarrow=False,
                               text="<br>".join(escape(s) for s in reasons[i]),
                               font={"color": colour, "size": size - 3})
    headers = [(0.0, "Variable", "left"), (lay.hr, header, "left"), (lay.width, "p", "right")]
    if not compact:
        headers[1:1] = [(lay.level, "Level", "left"), (lay.n_right, "n", "right"),
                        (lay.events_right, "Events", "right")]
    for px, text, anchor in headers:
        fig.add_annotation(**_place(px, lay), y=1.0, xref="paper", yref="paper",
                           yanchor="bottom", text=text, showarrow=False, xanchor=anchor,
                           font={"color": colour, "size": size, "weight": "bold"})


def _sides_y(size: int) -> int:
    """Pixels below the plot of the "lower/higher hazard" words: under the tick labels and
    the axis title (standoff ``size // 2``)."""
    return round(5 + size * 1.3 + size // 2 + (size - 1) * 1.3 + 4)


def _axis(fig: go.Figure, lower: np.ndarray, upper: np.ndarray, lay: _Layout, *, size: int,
          level: str, compact: bool, count: float, colour: str) -> None:
    """The log HR axis over the plot column, the line of no effect and the "favours" words."""
    finite = np.concatenate([lower[np.isfinite(lower)], upper[np.isfinite(upper)], [1.0]])
    span = [math.log10(max(finite.min() / 1.3, 1e-3)), math.log10(min(finite.max() * 1.3, 1e3))]
    fig.add_vline(x=1.0, line={"dash": "dash", "width": 1.5, "color": colour})
    plot_px = lay.plot[1] - lay.plot[0]
    # pixels a decade of the axis has (a quarter less allowed for a narrower page)
    per_decade = 0.75 * plot_px / max(span[1] - span[0], 0.3)
    if per_decade >= 6 * size:
        steps = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)
    elif per_decade >= 3 * size:
        steps = (0.01, 0.1, 0.5, 1, 2, 10, 100)
    else:  # narrow: decades only
        steps = (0.01, 0.1, 1, 10, 100)
    ticks = [v for v in steps if span[0] <= math.log10(v) <= span[1]]
    if len(ticks) < 2:  # a narrow span: halves and doubles
        ticks = [v for v in (0.25, 0.5, 1, 2, 4) if span[0] <= math.log10(v) <= span[1]]
    title = f"Hazard ratio ({level} CI, log scale)"
    if text_px(title, size - 1) > plot_px + 2 * lay.gap:
        title = "HR, log scale"
    fig.update_xaxes(type="log", range=span,
                     domain=[0.0, 1.0],
                     title={"text": title, "font": {"size": size - 1}, "standoff": size // 2},
                     tickvals=ticks, ticktext=[f"{v:g}" for v in ticks], showgrid=False)
    fig.update_yaxes(visible=False, range=[-0.7, count - 0.3])
    # beside the plot, under the columns (never over each other, however narrow the plot)
    for x, text, anchor in ((0.0, "← lower hazard", "right"), (1.0, "higher hazard →", "left")):
        fig.add_annotation(x=x, y=0.0, xref="x domain", yref="paper", yanchor="top",
                           yshift=-_sides_y(size), text=text, showarrow=False, xanchor=anchor,
                           font={"color": colour, "size": size - 3})
