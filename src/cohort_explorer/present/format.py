"""Display helpers: p-values, hazard ratios, percentages and times as the UI shows them.

Conventions (``docs/methods.md``, *Display*): p as ``p = 0.013`` or ``p < 0.001``; HR and survival
with their 95% CI; percentages to whole numbers on plots and one decimal in tables. A missing
value (``NaN``/``None``, R's ``NA``) is shown as ``NA`` — never as a number.

Also :func:`escape`, the one function that turns user text (column names, labels, file names)
into inert text for HTML and plotly, which renders a subset of HTML in every string.
"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = [
    "NA",
    "escape",
    "is_missing",
    "format_p",
    "format_number",
    "format_hr",
    "format_median",
    "ci_digits",
    "format_ci",
    "format_percent",
    "format_survival",
    "format_time",
]

NA = "NA"


def is_missing(value: Any) -> bool:
    """Return True for ``None`` and non-finite floats (the engine's "null")."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def escape(text: Any) -> str:
    """Return ``text`` as a string safe to place inside HTML or a plotly label.

    Plotly renders ``<b>``, ``<a href>``, ``<span style>`` and entities in titles, legends,
    tick labels, annotations and hover text, so every user-supplied string goes through this
    function before it reaches a figure or the HTML report. Quotes are escaped too (attributes).

    Parameters
    ----------
    text : Any
        The value to display; ``None`` becomes an empty string.

    Returns
    -------
    str
    """
    if text is None:
        return ""
    return html.escape(str(text), quote=True)


def format_p(p: Any, *, prefix: bool = True) -> str:
    """Format a p-value: ``p = 0.013``, ``p = 0.25``, ``p < 0.001``.

    Three decimals below 0.1 and two above, except that a value is never rounded across
    0.05 (0.0496 is shown as ``p = 0.0496``, not ``0.050``) and never shown as 1 or 0.

    Parameters
    ----------
    p : float or None
        The p-value; missing gives ``p = NA``.
    prefix : bool
        Include ``p = `` / ``p < `` (default); without it ``0.013`` or ``<0.001``.

    Returns
    -------
    str
    """
    if is_missing(p):
        return "p = NA" if prefix else NA
    p = float(p)
    if p < 0.001:
        return "p < 0.001" if prefix else "<0.001"
    if p > 0.99:
        return "p > 0.99" if prefix else ">0.99"
    decimals = 3 if p < 0.1 else 2
    text = f"{p:.{decimals}f}"
    if (float(text) >= 0.05) != (p >= 0.05):
        text = f"{p:.4f}"
    return f"p = {text}" if prefix else text


def format_number(value: Any, digits: int = 2) -> str:
    """Format a number with ``digits`` decimals; large values with 3 significant digits."""
    if is_missing(value):
        return NA
    value = float(value)
    if abs(value) >= 1000:
        return f"{value:.3g}" if abs(value) >= 1e6 else f"{value:,.0f}"
    return f"{value:.{digits}f}"


def format_ci(lower: Any, upper: Any, digits: int = 2, *, conf_level: float = 0.95) -> str:
    """Format a confidence interval as ``95% CI 1.02–3.58`` (``NA`` for a missing bound)."""
    level = f"{conf_level * 100:g}%"
    return f"{level} CI {format_number(lower, digits)}–{format_number(upper, digits)}"


def format_hr(hr: Any, lower: Any, upper: Any, *, conf_level: float = 0.95) -> str:
    """Format a hazard ratio with its CI: ``HR 1.91 (95% CI 1.02–3.58)``.

    A missing HR (a term that is not estimable) gives ``HR not estimable``.
    """
    if is_missing(hr):
        return "HR not estimable"
    digits = ci_digits(hr, lower, upper)
    return (f"HR {format_number(hr, digits)} "
            f"({format_ci(lower, upper, digits, conf_level=conf_level)})")


def ci_digits(estimate: Any, lower: Any, upper: Any, digits: int = 2, most: int = 4) -> int:
    """Decimals (``digits`` or more, up to ``most``) that keep an estimate and its bounds apart.

    ``1.056 (1.051–1.062)`` is never shown as ``1.06 (1.05–1.06)``: values that differ are
    given enough decimals to differ on screen.
    """
    values = [float(v) for v in (estimate, lower, upper) if not is_missing(v)]
    for d in range(digits, most + 1):
        distinct = {v for v in values}
        if len({format_number(v, d) for v in distinct}) == len(distinct):
            return d
    return most


def format_percent(value: Any, decimals: int = 1) -> str:
    """Format a proportion in [0, 1] as a percentage: ``86.2%`` (``decimals=0``: ``86%``)."""
    if is_missing(value):
        return NA
    return f"{float(value) * 100:.{decimals}f}%"


def format_survival(
    survival: Any, lower: Any, upper: Any, *, decimals: int = 1, conf_level: float = 0.95
) -> str:
    """Format a survival probability with its CI: ``86.2% (95% CI 70.1–94.0)``."""
    if is_missing(survival):
        return NA

    def bound(value: Any) -> str:
        return NA if is_missing(value) else f"{float(value) * 100:.{decimals}f}"

    if is_missing(lower) and is_missing(upper):  # e.g. 0 after the curve dropped to 0
        return format_percent(survival, decimals)
    level = f"{conf_level * 100:g}%"
    return f"{format_percent(survival, decimals)} ({level} CI {bound(lower)}–{bound(upper)})"


def format_median(estimate: Any, lower: Any, upper: Any, *, conf_level: float = 0.95,
                  unit: str = "") -> str:
    """A median time with its CI for text output: ``24.5 (95% CI 18–NA)``; ``not reached``
    where the curve never falls to one half, without an interval when neither bound exists."""
    text = "not reached" if is_missing(estimate) else format_time(estimate, unit)
    if is_missing(lower) and is_missing(upper):
        return text
    return f"{text} ({conf_level * 100:g}% CI {format_time(lower)}–{format_time(upper)})"


def format_time(value: Any, unit: str = "", digits: int = 1) -> str:
    """Format a time such as a median: ``36.0 months``; whole numbers lose their decimals."""
    if is_missing(value):
        return NA
    value = float(value)
    text = f"{value:.0f}" if value == round(value) else f"{value:.{digits}f}"
    return f"{text} {unit}".strip()
