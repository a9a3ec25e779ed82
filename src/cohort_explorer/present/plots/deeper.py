"""Figures of the deeper analyses: cut-point explorer, bootstrap of the cut, spline, subgroup
forest and one patient's predicted survival. User text is escaped (:func:`escape`)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cohort_explorer.present.format import escape, format_number, format_p
from cohort_explorer.present.plots.biomarker import _log_ticks
from cohort_explorer.present.plots.km import _subtitle_lines
from cohort_explorer.present.plots.theme import FONT_SIZE, base_layout, group_colour, rgba
from cohort_explorer.present.term_labels import level_names

__all__ = ["cut_explorer_figure", "bootstrap_figure", "spline_figure",
           "subgroup_forest_figure", "prediction_figure"]


def _finite(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _headline(fig: go.Figure, parts: Sequence[str], *, font_size: int, width_hint: int,
              below_px: int = 0) -> None:
    """The figure's key numbers above the plot, packed into lines that fit ``width_hint``
    pixels (one part a line on a phone), with the top margin they need: a long line was cut
    at the figure's edge (1440x900: the bootstrap's share in the same quartile)."""
    lines = _subtitle_lines(parts, font_size, width_hint)
    line_px = round((font_size - 1) * 1.45)
    fig.add_annotation(text="<br>".join(escape(line) for line in lines), xref="paper",
                       yref="paper", x=0, y=1, yshift=below_px + 4, xanchor="left",
                       yanchor="bottom", align="left", showarrow=False,
                       font={"size": font_size - 1})
    fig.update_layout(margin={"t": line_px * len(lines) + below_px + 16})


def _log_axis(low: float, high: float, *, sparse: bool = False) -> dict:
    """A log axis labelled 1-2-5 in full (0.5, 2, 5, 10): Plotly's own minor labels read "5"
    for 0.5 and 50 alike. ``sparse`` (a phone's narrow axis): 1-5 only, upright."""
    ticks = _log_ticks(max(low, 1e-6), max(high, low * 1.0001, 1e-6))
    if sparse:
        ticks = [t for t in ticks if f"{t:g}".strip("0.")[:1] in ("1", "5")] or ticks
    return {"type": "log", "tickvals": ticks, "ticktext": [f"{t:g}" for t in ticks],
            **({"tickangle": 0} if sparse else {})}


def cut_explorer_figure(cutpoint: Any, *, column: str, quartiles: Sequence[float] = (),
                        theme: str = "light", font_size: int = FONT_SIZE,
                        width_hint: int = 1000) -> go.Figure:
    """M at every candidate cut with the Cox HR (right axis), the selected cut and the
    quartile boundaries on the same axis; only the Lau94-corrected p is shown. The key
    numbers and the quartile labels are above the plot (laid out for ``width_hint``)."""
    fig = go.Figure()
    x = np.asarray(cutpoint.candidates, dtype=float)
    fig.add_trace(go.Scatter(x=x, y=np.asarray(cutpoint.statistics, float), mode="lines+markers",
                             name="Standardised statistic M", line={"color": group_colour(0, theme),
                                                                     "width": 2.5},
                             hovertemplate="cut %{x:.4g}<br>M = %{y:.3f}<extra></extra>"))
    if getattr(cutpoint, "hrs", None) is not None:
        fig.add_trace(go.Scatter(x=x, y=_finite(cutpoint.hrs), mode="lines", yaxis="y2",
                                 name="HR above vs at or below the cut",
                                 line={"color": group_colour(2, theme), "dash": "dot"},
                                 hovertemplate="cut %{x:.4g}<br>HR %{y:.2f}<extra></extra>"))
    fig.add_vline(x=float(cutpoint.cutpoint), line={"dash": "dash", "width": 2,
                                                    "color": group_colour(1, theme)})
    for index, value in enumerate(quartiles):
        fig.add_vline(x=float(value), line={"dash": "dot", "width": 1.5,
                                            "color": group_colour(6, theme)},
                      annotation_text=f"Q{index + 1}|Q{index + 2}", annotation_position="top",
                      annotation_font_size=font_size - 3)
    base_layout(fig, theme, height=440, font_size=font_size)
    _headline(fig, [f"selected cut = {format_number(cutpoint.cutpoint, 3)}",
                    f"max M = {format_number(cutpoint.statistic, 2)}",
                    f"corrected {format_p(cutpoint.p_corrected)} (Lau94)"],
              font_size=font_size, width_hint=width_hint,
              below_px=round(font_size * 1.4) if len(quartiles) else 0)
    raw = getattr(cutpoint, "hrs", None)
    hrs = _finite(raw if raw is not None else [])
    hrs = hrs[np.isfinite(hrs) & (hrs > 0)]
    hr_axis = _log_axis(float(hrs.min()), float(hrs.max())) if hrs.size else {"type": "log"}
    fig.update_layout(yaxis2={"title": {"text": "Hazard ratio (log scale)"}, "overlaying": "y",
                              "side": "right", "showgrid": False, **hr_axis},
                      yaxis={"title": {"text": "Standardised log-rank statistic M"}},
                      legend={"orientation": "h", "y": -0.25}, margin={"r": 80})
    fig.update_xaxes(title={"text": f"Cut point of {escape(column)}"})
    return fig


def bootstrap_figure(boot: Any, *, cutpoint: float, column: str, theme: str = "light",
                     font_size: int = FONT_SIZE, width_hint: int = 1000) -> go.Figure:
    """Histogram of the cut selected in each resample, the original cut and the 95% interval."""
    fig = go.Figure(go.Histogram(x=np.asarray(boot.cuts, float), marker={
        "color": rgba(group_colour(0, theme), 0.7)}, name="resamples",
        hovertemplate="cut %{x}<br>%{y} resamples<extra></extra>"))
    fig.add_vline(x=float(cutpoint), line={"dash": "dash", "width": 2,
                                           "color": group_colour(1, theme)})
    fig.add_vrect(x0=float(boot.lower), x1=float(boot.upper), line_width=0,
                  fillcolor=rgba(group_colour(2, theme), 0.15))
    base_layout(fig, theme, height=380, font_size=font_size)
    _headline(fig, [f"95% of the cuts between {format_number(boot.lower, 3)} and "
                    f"{format_number(boot.upper, 3)}",
                    f"{boot.same_quartile_share:.0%} in the same quartile",
                    f"{boot.B} resamples (seed {boot.seed})"],
              font_size=font_size, width_hint=width_hint)
    where = "<br>" if width_hint < 600 else " "
    fig.update_xaxes(title={"text": f"Selected cut of {escape(column)}{where}in each resample"})
    fig.update_yaxes(title={"text": "Resamples"})
    return fig


def spline_figure(spline: Any, *, theme: str = "light", font_size: int = FONT_SIZE,
                  width_hint: int = 1000) -> go.Figure:
    """HR vs the median along the marker with its CI band and a rug of the patients."""
    colour = group_colour(0, theme)
    x = np.asarray(spline.x, float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate(
        [np.asarray(spline.upper, float), np.asarray(spline.lower, float)[::-1]]),
        fill="toself", fillcolor=rgba(colour, 0.18), line={"width": 0}, hoverinfo="skip",
        name="95% CI"))
    fig.add_trace(go.Scatter(x=x, y=np.asarray(spline.hr, float), mode="lines", name="HR",
                             line={"color": colour, "width": 3},
                             hovertemplate="%{x:.3g}: HR %{y:.2f}<extra></extra>"))
    rug = np.asarray(getattr(spline, "rug", ()), float)
    rug = rug[(rug >= x[0]) & (rug <= x[-1])]
    if rug.size:
        fig.add_trace(go.Scatter(x=rug, y=np.full(rug.size, 0.0), yaxis="y2", mode="markers",
                                 marker={"symbol": "line-ns-open", "size": 12,
                                         "color": rgba(group_colour(0, theme), 0.6)},
                                 name="patients", hoverinfo="skip"))
    fig.add_hline(y=1.0, line={"dash": "dash", "width": 1, "color": group_colour(6, theme)})
    base_layout(fig, theme, height=440, font_size=font_size)
    adjusted = (", adjusted for " + ", ".join(spline.adjusted_for)
                if spline.adjusted_for else "")
    _headline(fig, [f"HR vs the median ({format_number(spline.reference, 3)}){adjusted}",
                    f"p for non-linearity {format_p(spline.p_nonlinear, prefix=False)}",
                    f"p overall {format_p(spline.p_overall, prefix=False)}"],
              font_size=font_size, width_hint=width_hint)
    band = np.concatenate([np.asarray(spline.lower, float), np.asarray(spline.upper, float)])
    band = band[np.isfinite(band) & (band > 0)]
    y_axis = _log_axis(float(band.min()), float(band.max())) if band.size else {"type": "log"}
    fig.update_layout(yaxis={**y_axis, "title": {"text": "Hazard ratio vs the median "
                                                         "(log scale)"}},
                      showlegend=False,
                      yaxis2={"overlaying": "y", "range": [0, 10], "visible": False})
    phone = width_hint < 600
    knots = ", ".join(format_number(k, 3) for k in spline.knots)
    title = (f"{escape(spline.column)}<br>restricted cubic spline<br>knots {knots}" if phone
             else f"{escape(spline.column)} (restricted cubic spline, knots {knots})")
    fig.update_xaxes(title={"text": title})
    if phone:  # the axis title on three lines
        fig.update_layout(margin={"b": 60 + round(font_size * 2.8)})
    return fig


def subgroup_forest_figure(overall: Any, subgroups: Sequence[Any], *, group_column: str,
                           theme: str = "light", groups: Sequence[Any] | None = None,
                           names: Mapping[str, str] | None = None, font_size: int = FONT_SIZE,
                           width_hint: int = 1000) -> go.Figure:
    """The grouping's HR overall (top) and within each level of each subgroup variable, with
    n/events per row and the interaction p per variable; not-estimable rows say so.

    ``groups`` (the analysis' groups) names each group with its cut-offs as the KM legend does
    and the axis the reference group; ``names`` gives columns' display names. Below 600 px
    (``width_hint``, a phone) each row's subgroup and group are on two lines, so that the
    labels leave the plot room (one line needed 320 px of a 360-px figure)."""
    rows: list[tuple[str, str, Any]] = []
    prefix = f"{group_column}="
    levels = level_names(groups)
    names = dict(names or {})

    def group(term: str) -> str:
        level = term[len(prefix):] if term.startswith(prefix) else term
        return levels.get(level, level)

    for term in (overall.terms if overall is not None else ()):
        if term.term.startswith(prefix):
            rows.append((f"All patients (n={overall.n}, events={overall.events})",
                         group(term.term), term))
    for sub in subgroups:
        inter = ("interaction not estimable" if sub.interaction is None
                 else f"interaction {format_p(sub.interaction.p)}")
        rows.append((f"<b>{escape(names.get(sub.variable, sub.variable))}</b>"
                     f"{'<br>' if width_hint < 600 else ' '}({inter})", "", None))
        for level in sub.levels:
            for term in level.terms:
                rows.append((f"  {escape(level.level)} (n={level.n}, events={level.events})",
                             group(term.term), term))
    reference = next(iter(levels.values()), "") if groups else ""
    colour = group_colour(0, theme)
    fig = go.Figure()
    phone = width_hint < 600
    joint = "<br>" if phone else " · "
    labels = [f"{label}{joint}{escape(group)}" if group else label for label, group, _ in rows]
    y = list(range(len(rows)))[::-1]
    est = [(yy, t) for yy, (_, _, t) in zip(y, rows, strict=True) if t is not None and t.estimable]
    fig.add_trace(go.Scatter(
        x=[t.hr for _, t in est], y=[yy for yy, _ in est], mode="markers",
        marker={"symbol": "square", "size": 10, "color": colour},
        error_x={"type": "data", "symmetric": False,
                 "array": [t.upper - t.hr for _, t in est],
                 "arrayminus": [t.hr - t.lower for _, t in est]},
        hovertemplate="HR %{x:.2f}<extra></extra>", showlegend=False))
    blocked = [yy for yy, (_, _, t) in zip(y, rows, strict=True) if t is not None and not t.estimable]
    if blocked:  # one text trace (an annotation per row makes big forests slow to build)
        fig.add_trace(go.Scatter(x=[1.0] * len(blocked), y=blocked, mode="text",
                                 text=["not estimable"] * len(blocked), showlegend=False,
                                 hoverinfo="skip"))
    fig.add_vline(x=1.0, line={"dash": "dash", "width": 1, "color": group_colour(6, theme)})
    row_px = round(font_size * (2.9 if phone else 2.0))
    base_layout(fig, theme, height=max(320, row_px * len(rows) + 120), font_size=font_size)
    against = escape(reference) if reference else "the reference group"
    bounds = [v for _, _, t in rows if t is not None and t.estimable for v in (t.lower, t.upper)]
    bounds = [float(v) for v in bounds if v is not None and np.isfinite(v) and v > 0]
    x_axis = _log_axis(min(bounds), max(bounds), sparse=phone) if bounds else {"type": "log"}
    longest = max((len(html.unescape(line)) for text in labels
                   for line in re.sub(r"</?b>", "", text).split("<br>")), default=10)
    fig.update_layout(xaxis={**x_axis, "title": {"text": f"Hazard ratio vs{joint if phone else ' '}"
                                                         f"{against} (log scale)"}},
                      yaxis={"tickvals": y, "ticktext": labels, "automargin": True},
                      margin={"l": round(0.56 * font_size * longest) + 16 if phone else 320,
                              # a phone: the table's toolbar below reaches up over the axis title
                              "b": 60 + 3 * font_size if phone else 60})
    return fig


def prediction_figure(groups: Sequence[Any], prediction: Any, *, time_unit: str = "",
                      theme: str = "light") -> go.Figure:
    """The groups' KM curves (the patient's group highlighted) and the predicted curve."""
    fig = go.Figure()
    for index, group in enumerate(groups):
        mine = group.label == prediction.group
        fig.add_trace(go.Scatter(
            x=np.concatenate([[0.0], np.asarray(group.km.time, float)]),
            y=np.concatenate([[1.0], np.asarray(group.km.survival, float)]),
            mode="lines", line={"shape": "hv", "width": 4 if mine else 1.5,
                                "color": group_colour(index, theme)},
            opacity=1.0 if mine else 0.35,
            name=f"{escape(group.label)} (Kaplan–Meier){' — this patient' if mine else ''}"))
    curve = prediction.curve
    t = np.concatenate([[0.0], np.asarray(curve.time, float)])
    colour = group_colour(5, theme)
    for key, dash in (("lower", "dot"), ("upper", "dot")):
        fig.add_trace(go.Scatter(x=t, y=np.concatenate([[1.0], _finite(getattr(curve, key))]),
                                 mode="lines", line={"shape": "hv", "dash": dash, "width": 1,
                                                     "color": colour}, showlegend=False,
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=t, y=np.concatenate([[1.0], np.asarray(curve.survival, float)]),
                             mode="lines", line={"shape": "hv", "width": 3, "dash": "dash",
                                                 "color": colour},
                             name="Cox model estimate for these values (95% CI dotted)"))
    base_layout(fig, theme, height=440)
    fig.update_layout(legend={"orientation": "h", "y": -0.3})
    fig.update_xaxes(title={"text": f"Time ({escape(time_unit)})" if time_unit else "Time"})
    fig.update_yaxes(title={"text": "Survival probability"}, range=[0, 1.02])
    return fig
