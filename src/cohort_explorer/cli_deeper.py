"""The CLI's options and text output for the deeper analyses (methods in docs/methods.md):
``--subgroups``, ``--screen``, ``--spline``, ``--bootstrap B --seed S``,
``--predict COL=V,...`` (``--strata`` is the existing option, now also stratifying Cox)."""

from __future__ import annotations

import argparse
from typing import Any

from cohort_explorer.present.format import format_hr, format_median, format_p, format_survival

__all__ = ["add_deeper_options", "deeper_spec_fields", "deeper_text"]


def _items(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def _whole_number(minimum: int, what: str):
    """An argparse ``type``: a whole number >= ``minimum`` (``what`` names it in the error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {text!r}")
        return value
    return parse


def add_deeper_options(parser: argparse.ArgumentParser) -> None:
    """Add the options of the deeper analyses to ``cohort-explorer analyze``."""
    parser.add_argument("--subgroups", metavar="COL[,COL...]",
                        help="forest of the grouping's HR per level of each subgroup variable "
                             "(COL, COL:median, COL:order=...) with the interaction p")
    parser.add_argument("--screen", metavar="TERM[,TERM...]",
                        help="univariable Cox model per term (--covariates syntax), BH q-values")
    parser.add_argument("--spline", metavar="COL",
                        help="restricted cubic spline of COL (4 knots) in the Cox model, "
                             "adjusted for --covariates")
    parser.add_argument("--bootstrap", type=_whole_number(1, "the number of resamples"), metavar="B",
                        help="with COL:optimal: bootstrap the cut point B times")
    parser.add_argument("--seed", type=_whole_number(0, "the seed"), metavar="S",
                        help="seed of the bootstrap (default 20170101)")
    parser.add_argument("--predict", metavar="COL=V[,COL=V...]",
                        help="predicted survival of one new patient (grouping column: raw value)")


def deeper_spec_fields(args) -> dict[str, Any]:
    """The AnalysisSpec fields of the deeper options."""
    return {"subgroups": _items(args.subgroups), "screen": _items(args.screen),
            "spline": args.spline, "bootstrap": args.bootstrap, "seed": args.seed,
            "predict": _items(args.predict)}


def _cutpoint_lines(result) -> list[str]:
    boot = getattr(result.cutpoint, "bootstrap", None) if result.cutpoint is not None else None
    if boot is None:
        return []
    return [f"Bootstrap of the cut point ({boot.B} resamples, seed {boot.seed}, {boot.skipped} "
            f"skipped): median {boot.median:g}, 95% interval {boot.lower:g} to {boot.upper:g}, "
            f"same quartile as the cut in {boot.same_quartile_share:.0%}"]


def _term_text(t, level: float) -> str:
    if not t.estimable:
        return f"not estimable: {t.reason}"
    return f"{format_hr(t.hr, t.lower, t.upper, conf_level=level)}, {format_p(t.p)}"


def deeper_text(result, level: float) -> list[str]:
    """Readable lines for the deeper analyses present in ``result``."""
    lines = _cutpoint_lines(result)
    for d in result.landmark_differences or ():
        lines.append(f"Survival difference {d.group} − {d.reference} at {d.time:g}: "
                     + ("not estimable" if d.difference != d.difference else
                        f"{d.difference * 100:+.1f} points"
                        + ("" if d.lower != d.lower else
                           f" ({level * 100:g}% CI {d.lower * 100:+.1f} to {d.upper * 100:+.1f})")))
    if result.spline is not None:
        sp = result.spline
        lines.append(f"Spline of {sp.column} (knots {', '.join(f'{k:g}' for k in sp.knots)}; HR vs "
                     f"median {sp.reference:g}): non-linear {format_p(sp.p_nonlinear)}, overall "
                     f"{format_p(sp.p_overall)}")
    for sub in result.subgroups or ():
        inter = "not estimable" if sub.interaction is None else format_p(sub.interaction.p)
        lines.append(f"Subgroups by {sub.variable} (interaction {inter}):")
        for lv in sub.levels:
            for t in lv.terms:
                lines.append(f"  {lv.level} (n={lv.n}, events={lv.events}) {t.term}: "
                             f"{_term_text(t, level)}")
    if result.screen:
        lines.append("Univariable screen:")
        for row in result.screen:
            q = "q not available" if row.q != row.q else f"q = {row.q:.3g}"
            lines.append(f"  {row.term} (n={row.n}): LR {format_p(row.lr_p)}, {q}")
    if result.prediction is not None:
        pr = result.prediction
        lines.append(f"Predicted survival ({pr.label}); group {pr.group}:")
        for lm in pr.landmarks:
            lines.append(f"  at {lm.time:g}: "
                         f"{format_survival(lm.survival, lm.lower, lm.upper, conf_level=level)}")
        m = pr.median
        lines.append(f"  median {format_median(m.estimate, m.lower, m.upper, conf_level=level)}")
    return [""] + lines if lines else []
