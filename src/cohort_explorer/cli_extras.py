"""CLI options and text output for competing risks, delayed entry and times from dates.

Kept apart from :mod:`cohort_explorer.cli` so the main command stays small: ``add_options``
registers ``--competing``, ``--fine-gray``, ``--entry`` and ``--dates`` (with
``--time-unit``, ``--date-order``, ``--event-name``); ``spec_fields`` turns them into
:class:`~cohort_explorer.spec.AnalysisSpec` fields; ``text_lines`` prints their results.
"""

from __future__ import annotations

import argparse

from cohort_explorer.errors import OptionError
from cohort_explorer.present.format import format_hr, format_p

__all__ = ["add_options", "spec_fields", "text_lines"]


def add_options(parser: argparse.ArgumentParser) -> None:
    """Register the options of competing risks, delayed entry and dates on ``analyze``."""
    parser.add_argument("--competing", metavar="COL=VALUE",
                        help="competing event: cumulative incidence per group and Gray's test")
    parser.add_argument("--fine-gray", action="store_true",
                        help="with --competing: Fine-Gray subdistribution hazard ratios")
    parser.add_argument("--entry", metavar="COL",
                        help="delayed entry: patients are at risk on (entry, time]")
    parser.add_argument("--dates", metavar="START,EVENT,LAST",
                        help="build time and event from start, event and last-contact dates "
                             "(replaces --time/--event)")
    parser.add_argument("--time-unit", choices=("days", "months", "years"), default="days",
                        help="with --dates: unit of the time (months = days/30.4375)")
    parser.add_argument("--date-order", choices=("dmy", "mdy", "ymd"),
                        help="with --dates: how to read dates like 03/04/2021")
    parser.add_argument("--event-name", metavar="NAME",
                        help="with --dates: name of the endpoint (e.g. OS)")


def spec_fields(args: argparse.Namespace) -> dict:
    """AnalysisSpec fields from the parsed options; checks --time/--event versus --dates."""
    dates = tuple(c.strip() for c in (args.dates or "").split(",") if c.strip())
    if args.dates and len(dates) != 3:
        raise OptionError(f"--dates {args.dates}: give three columns START,EVENT,LAST")
    if dates and (args.time or args.event):
        raise OptionError("--dates builds time and event: drop --time and --event")
    if not dates and not (args.time and args.event):
        raise OptionError("--time and --event are required (or --dates START,EVENT,LAST)")
    used = [name for name, given in (("--time-unit", args.time_unit != "days"),
                                     ("--date-order", args.date_order),
                                     ("--event-name", args.event_name)) if given]
    if used and not dates:
        raise OptionError(f"{', '.join(used)} only apply with --dates START,EVENT,LAST")
    return {"competing": args.competing, "fine_gray": args.fine_gray, "entry_col": args.entry,
            "dates": dates, "time_unit": args.time_unit, "date_order": args.date_order,
            "event_name": args.event_name}


def text_lines(result, level: float) -> list[str]:
    """Readable lines for the competing-risk results and the entry note."""
    lines = []
    if result.entry:
        lines.append(f"Delayed entry: patients at risk from {result.entry} (left truncation)")
    c = result.competing
    if c is not None:
        lines += ["", f"Competing risks: event {c.event}, competing event {c.competing}"]
        for g in c.groups:
            marks = ", ".join(
                f"{lm.time:g}: {lm.estimate:.1%}" if lm.estimate == lm.estimate
                else f"{lm.time:g}: not available" for lm in g.landmarks)
            lines.append(f"  {g.label}: n={g.n}, events={g.events}, competing={g.competing_events}"
                         + (f"; cumulative incidence at {marks}" if marks else ""))
        if c.gray is not None:
            lines.append(f"  Gray's test: chi2 = {c.gray.statistic:.3f}, df = {c.gray.df}, "
                         f"{format_p(c.gray.p)}")
    if result.fine_gray is not None:
        lines.append("Fine-Gray subdistribution hazard ratios (sandwich SE):")
        for t in result.fine_gray.terms:
            lines.append(f"  {t.term}: {format_hr(t.hr, t.lower, t.upper, conf_level=level)}, "
                         f"{format_p(t.p)}")
    return lines
