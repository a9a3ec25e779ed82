"""Scaled Schoenfeld residual plot of the proportional-hazards check, as R ``plot.cox.zph``.

The smooth is R's: a natural cubic spline with 4 degrees of freedom (``ns(df = 4,
intercept = TRUE)``, knots at the 1/3 and 2/3 quantiles and the range of the 40 prediction
points together with the event times) fitted by least squares, drawn at 40 points with the
band ``fit +- 2 sqrt(var_j * p' (X'X)^-1 p)``. The x axis is the Kaplan–Meier scale the test
uses, labelled with raw times picked as R picks them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from cohort_explorer.errors import OptionError
from cohort_explorer.present.format import escape, format_number, format_p
from cohort_explorer.present.plots.theme import THEMES, base_layout, group_colour, rgba

__all__ = ["ph_residual_figure", "natural_spline_smooth", "km_scale_ticks"]

SMOOTH_DF = 4  # plot.cox.zph(df = 4)
SMOOTH_POINTS = 40  # plot.cox.zph(nsmo = 40)


def _natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Natural cubic spline basis with an intercept (1, x, d_k - d_{K-1}); spans R ``ns``."""
    last = knots[-1]

    def d(k: int) -> np.ndarray:
        return (np.clip(x - knots[k], 0, None) ** 3
                - np.clip(x - last, 0, None) ** 3) / (last - knots[k])

    columns = [np.ones_like(x), x] + [d(k) - d(len(knots) - 2) for k in range(len(knots) - 2)]
    return np.column_stack(columns)


def natural_spline_smooth(x, y, variance: float, *, df: int = SMOOTH_DF,
                          n_points: int = SMOOTH_POINTS):
    """Least-squares natural-spline smooth of ``y`` on ``x`` with R ``plot.cox.zph``'s band.

    Parameters
    ----------
    x, y : array_like
        KM-transformed event times and the scaled residuals of one coefficient.
    variance : float
        The coefficient's diagonal element of R ``cox.zph()$var``.
    df : int, default 4
        Degrees of freedom of the spline, intercept included.
    n_points : int, default 40
        Number of equally spaced points the smooth is evaluated at.

    Returns
    -------
    tuple of ndarray or None
        ``(grid, fit, lower, upper)`` with ``lower/upper = fit -+ 2 se``; None when the
        spline is singular (too few distinct times; R skips the plot with a warning).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(y)
    if not keep.any() or df < 2:
        return None
    grid = np.linspace(x.min(), x.max(), n_points)
    both = np.concatenate((grid, x))
    inner = np.quantile(both, np.linspace(0, 1, df)[1:-1])
    knots = np.concatenate(([both.min()], inner, [both.max()]))
    if np.any(np.diff(knots) <= 0):
        return None
    design = _natural_spline_basis(x[keep], knots)
    if np.linalg.matrix_rank(design) < df:
        return None
    q, r = np.linalg.qr(design)
    r_inverse = np.linalg.inv(r)
    predict = _natural_spline_basis(grid, knots)
    fit = predict @ (r_inverse @ (q.T @ y[keep]))
    se_factor = np.einsum("ij,ij->i", predict @ r_inverse, predict @ r_inverse)
    band = 2 * np.sqrt(variance * se_factor)
    return grid, fit, fit - band, fit + band


def _signif(value: float, digits: int = 2) -> float:
    return float(f"{value:.{digits}g}")


def km_scale_ticks(transformed, raw_time, n_ticks: int = 8) -> tuple[np.ndarray, list[str]]:
    """Raw-time tick labels at their KM-scale positions, as R ``plot.cox.zph``.

    ``n_ticks`` equally spaced KM-scale positions (the even points of a 2n+1 grid) are mapped
    to raw time by linear interpolation, rounded to 2 significant digits and mapped back.
    """
    transformed = np.asarray(transformed, dtype=float)
    raw_time = np.asarray(raw_time, dtype=float)
    if transformed.size == 0:
        return np.array([]), []
    _, first = np.unique(transformed, return_index=True)
    xx, times = transformed[first], raw_time[first]
    probes = np.linspace(xx.min(), xx.max(), 2 * n_ticks + 1)[1::2]
    labels = np.array([_signif(v) for v in np.interp(probes, xx, times)])
    inside = (labels >= times.min()) & (labels <= times.max())
    positions = np.interp(labels[inside], times, xx)
    return positions, [f"{v:g}" for v in labels[inside]]


def _column(ph: Any, term: str) -> int:
    residuals = getattr(ph, "residuals", None)
    if residuals is None:
        raise OptionError("this proportional-hazards check has no residuals to plot")
    if term not in residuals.terms:
        raise OptionError(f"no Cox term {term!r} in the proportional-hazards check; terms are "
                          f"{list(residuals.terms)}")
    return residuals.terms.index(term)


def _title(ph: Any, term: str, tested_as: str, label: str) -> str:
    """Three lines (a long term name does not run off the figure): what, which term, its test."""
    test = dict(ph.terms).get(tested_as)
    p_text = format_p(None if test is None else test.p)
    if tested_as == term:
        return f"Scaled Schoenfeld residuals:<br>{escape(label)}<br>(PH test {p_text})"
    df = "" if test is None else f", {test.df} df"
    return (f"Scaled Schoenfeld residuals:<br>{escape(label)}<br>(PH test of {escape(tested_as)}"
            f"{df}: {p_text})")


def ph_residual_figure(ph: Any, term: str, *, theme: str = "light",
                       height: int = 460, label: str | None = None) -> go.Figure:
    """Scaled Schoenfeld residuals of one Cox coefficient over time, as R ``plot.cox.zph``.

    Parameters
    ----------
    ph : PHTest
        From ``cox.proportional_hazards_test`` (``analysis.analyze(...).ph_test``), with
        ``residuals``.
    term : str
        A coefficient name, one of ``ph.residuals.terms`` (e.g. ``"sex"``, ``"ph.ecog=2"``).
    theme : {"light", "dark"}
    height : int
        Figure height in pixels.
    label : str, optional
        What the term compares, in words (``cyto_risk high vs standard``,
        ``present.term_labels``); the term's name when not given.

    Returns
    -------
    plotly.graph_objects.Figure
        The residuals (an estimate of beta(t)) against the KM-transformed event time (the
        scale of the test) with raw-time tick labels; the 4-df natural-spline smooth with its
        +-2 se band (R's ``plot.cox.zph``); a dashed horizontal line at the Cox coefficient,
        where a constant effect (proportional hazards) would lie. The title names the term
        and the p of its test (of the whole factor for a dummy). A term that is not estimable
        gives a figure with no traces and a message saying so.

    Raises
    ------
    OptionError
        ``term`` is not a coefficient of the model, or ``ph`` has no residuals.

    References
    ----------
    Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on weighted
    residuals. Biometrika 1994;81:515-526.
    """
    j = _column(ph, term)
    residuals = ph.residuals
    x, y = np.asarray(residuals.time, float), np.asarray(residuals.values, float)[:, j]
    raw = np.asarray(residuals.raw_time, float)
    fig = go.Figure()
    label = label or term
    base_layout(fig, theme, height=height, title=_title(ph, term, residuals.tested_as[j], label))
    # R's "Beta(t) for TERM"; a long label is in the title only (the axis is ~400 px tall)
    fig.update_yaxes(title={"text": f"β(t) for {escape(label)}" if len(label) <= 32 else "β(t)"})
    fig.update_xaxes(title={"text": "Time (Kaplan–Meier scale)"})
    if not np.isfinite(y).any():
        fig.add_annotation(text=f"{escape(label)} is not estimable: no residuals to plot",
                           xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return fig
    _add_traces(fig, x, y, raw, float(residuals.coef[j]), float(residuals.variance[j]), theme)
    positions, labels = km_scale_ticks(x, raw)
    fig.update_xaxes(tickvals=positions, ticktext=labels)
    # The legend's long entries wrap onto up to four lines under the axis title: pixels
    # below the plot for them (the plot keeps its height), a three-line title above it.
    fig.update_layout(legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 0.01,
                              "yanchor": "bottom", "yref": "container"},
                      margin={"t": 100, "b": 175}, height=height + 135,
                      title={"font": {"size": 16}, "y": 0.97, "yanchor": "top"},
                      hovermode="closest")
    return fig


def _add_traces(fig: go.Figure, x, y, raw, coef: float, variance: float, theme: str) -> None:
    keep = np.isfinite(y)
    smooth = natural_spline_smooth(x, y, variance)
    line_colour = group_colour(1, theme)
    if smooth is not None:
        grid, fit, lower, upper = smooth
        fig.add_trace(go.Scatter(x=grid, y=upper, mode="lines", line={"width": 0},
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=grid, y=lower, mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor=rgba(line_colour, 0.15),
                                 name="± 2 SE", hoverinfo="skip"))
    # WebGL keeps the browser responsive when a large cohort has many thousand events.
    scatter = go.Scattergl if int(keep.sum()) > 5000 else go.Scatter
    fig.add_trace(scatter(
        x=x[keep], y=y[keep], mode="markers", name="Scaled Schoenfeld residual",
        marker={"color": group_colour(0, theme), "size": 7, "opacity": 0.6},
        customdata=raw[keep], hovertemplate="t = %{customdata:.4g}<br>residual = %{y:.3g}"
                                            "<extra></extra>"))
    if smooth is not None:
        fig.add_trace(go.Scatter(x=grid, y=fit, mode="lines",
                                 name="Spline smooth (4 df), estimate of β(t)",
                                 line={"color": line_colour, "width": 3}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=[float(x.min()), float(x.max())], y=[coef, coef], mode="lines",
        name=f"Cox coefficient β = {format_number(coef, 3)}",
        line={"color": THEMES[theme]["text"], "dash": "dash", "width": 2}, hoverinfo="skip"))
