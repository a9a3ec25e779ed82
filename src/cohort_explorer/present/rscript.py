"""A reproducible R script of an analysis: R recomputes every number and compares.

:func:`r_script` writes an R program that reads the analysis set (the numeric CSV of
:func:`~cohort_explorer.analysis.analysis_frame.analysis_frame`, identifiers never included),
recomputes each number of the result with R's ``survival`` (``maxstat`` for an optimal cut and
its bootstrap, replayed from the resample indices the script embeds; ``cmprsk`` for Gray's test
and the Fine–Gray model; ``rms`` for a spline), including the subgroup forest, the univariable
screen (from its own CSV: each term has its own complete cases) and a patient's predicted
survival, prints it beside the app's value and stops with an error when any differs beyond its
tolerance (1e-6 relative; counts exactly; concordance 1e-3; Fine–Gray and the Cox models of the
forest, screen and prediction 1e-5). R never reads the original file, codes
events, filters or parses dates: those steps are already in the CSV.

User text (labels, coefficient names, file names) reaches the script only as escaped string
literals (:mod:`cohort_explorer.present.rlang`); comments hold no user text.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from cohort_explorer import __version__
from cohort_explorer.analysis.analysis_frame import AnalysisFrame, analysis_frame
from cohort_explorer.analysis.review_frames import ScreenFrame, screen_frame
from cohort_explorer.present.rlang import r_integers, r_number, r_numbers, r_string, r_strings
from cohort_explorer.present.rscript_deeper import (
    bootstrap_code,
    prediction_code,
    screen_code,
    subgroups_code,
)

__all__ = ["RPart", "r_script", "r_script_files", "write_r_script"]


@dataclass(frozen=True)
class RPart:
    """One analysis of the script: its title, result, analysis set and CSV file name.

    ``cox_only`` checks only the Cox model (the report's model from the Hazard ratios page);
    ``deeper_only`` only the optimal cut, spline, subgroup forest, screen, prediction and
    bootstrap (another page's analysis whose survival curves the script checks elsewhere).
    ``screen`` is the univariable screen's own table (its terms' complete cases), read from
    ``screen_csv``.
    """

    title: str
    result: Any  # AnalysisResult
    frame: AnalysisFrame
    csv_name: str
    cox_only: bool = False
    screen: ScreenFrame | None = None
    deeper_only: bool = False
    screen_csv: str = ""


def _r_list(items: dict[str, str]) -> str:
    return "list(" + ", ".join(f"{k} = {v}" for k, v in items.items()) + ")"


def _group_values(group) -> str:
    km = group.km
    items = {
        "n": str(group.n), "events": str(group.events),
        "km": _r_list({"time": r_numbers(km.time), "survival": r_numbers(km.survival),
                       "lower": r_numbers(km.lower), "upper": r_numbers(km.upper),
                       "at_risk": r_numbers(km.at_risk), "events": r_numbers(km.events),
                       "censored": r_numbers(km.censored)}),
        "median": r_numbers([group.median.estimate, group.median.lower, group.median.upper]),
        "landmarks": _r_list({
            "time": r_numbers(lm.time for lm in group.landmarks),
            "survival": r_numbers(lm.survival for lm in group.landmarks),
            "lower": r_numbers(lm.lower for lm in group.landmarks),
            "upper": r_numbers(lm.upper for lm in group.landmarks),
            "at_risk": r_numbers(lm.at_risk for lm in group.landmarks)}),
    }
    if group.rmst is not None:
        r = group.rmst
        items["rmst"] = r_numbers([r.tau, r.estimate, r.se, r.lower, r.upper])
    return _r_list(items)


def _survival_values(result, frame: AnalysisFrame) -> str:
    fu = result.follow_up
    items = {"n": str(result.n), "events": str(result.events),
             "follow_up": "NULL" if fu is None else r_numbers([fu.median, fu.q1, fu.q3]),
             "groups": "list(" + ", ".join(_group_values(g) for g in result.groups) + ")"}
    index = {label: i + 1 for i, label in enumerate(frame.labels)}
    diffs = [_r_list({"group": str(index[d.group]),
                      "values": r_numbers([d.estimate, d.se, d.lower, d.upper, d.p])})
             for d in result.rmst_differences or ()]
    items["rmst_differences"] = "list(" + ", ".join(diffs) + ")"
    lands = [_r_list({"group": str(index[d.group]), "time": r_number(d.time),
                      "values": r_numbers([d.difference, d.se, d.lower, d.upper])})
             for d in getattr(result, "landmark_differences", None) or ()]
    items["landmark_differences"] = "list(" + ", ".join(lands) + ")"
    return _r_list(items)


def _test(test) -> str:
    return "NULL" if test is None else r_numbers([test.statistic, test.df, test.p])


def _tests_values(result, frame: AnalysisFrame) -> str:
    index = {label: i + 1 for i, label in enumerate(frame.labels)}
    items = {"logrank": _test(result.logrank), "stratified": _test(result.stratified_logrank),
             "trend": "NULL", "pairwise": "NULL"}
    if result.trend is not None:
        items["trend"] = _r_list({"ranked": r_integers(index[g] for g in frame.ranked),
                                  "values": r_numbers([result.trend.statistic, result.trend.p])})
    if result.pairwise:
        method = result.spec.pairwise if result.spec is not None else "holm"
        items["pairwise"] = _r_list({
            "method": r_string(method),
            "pairs": "list(" + ", ".join(r_integers([index[p.group1], index[p.group2]])
                                         for p in result.pairwise) + ")",
            "p": "list(" + ", ".join(r_numbers([p.p, p.p_adjusted])
                                     for p in result.pairwise) + ")"})
    return _r_list(items)


def _cox_values(cox, ph, frame: AnalysisFrame) -> str:
    terms = [r_numbers([t.coef, t.se, t.hr, t.lower, t.upper, t.p]) for t in cox.terms]
    wald = [_test(test) for test in cox.wald_tests.values()]
    items = {"estimable": "c(" + ", ".join("TRUE" if t.estimable else "FALSE"
                                           for t in cox.terms) + ")",
             "terms": "list(" + ", ".join(terms) + ")",
             "lr": _test(cox.lr_test), "concordance": r_number(cox.concordance),
             "wald": "list(" + ", ".join(wald) + ")", "zph": "NULL",
             "stratified": "TRUE" if getattr(cox, "strata", None) else "FALSE"}
    if ph is not None and len(ph.terms) == len(frame.terms):
        items["zph"] = _r_list({"chisq": r_numbers(t.statistic for _, t in ph.terms),
                                "p": r_numbers(t.p for _, t in ph.terms),
                                "global": _test(ph.global_test)})
    return _r_list(items)


def _competing_values(result) -> str:
    groups = [_r_list({"counts": r_numbers([g.events, g.competing_events]),
                       "time": r_numbers(g.cif.time), "estimate": r_numbers(g.cif.estimate),
                       "lower": r_numbers(g.cif.lower), "upper": r_numbers(g.cif.upper)})
              for g in result.competing.groups]
    items = {"groups": "list(" + ", ".join(groups) + ")", "gray": _test(result.competing.gray),
             "fine_gray": "NULL", "fine_gray_names": "NULL"}
    if result.fine_gray is not None:
        terms = result.fine_gray.terms
        items["fine_gray"] = "list(" + ", ".join(
            r_numbers([t.coef, t.se, t.hr, t.lower, t.upper, t.p]) for t in terms) + ")"
        items["fine_gray_names"] = r_strings(t.term for t in terms)
    return _r_list(items)


def _deeper_code(part: RPart) -> list[str]:
    """Subgroup forest, screen, predicted survival and bootstrap (``rscript_deeper``)."""
    result, frame, title = part.result, part.frame, part.title
    lines = []
    if getattr(result, "subgroups", None):
        lines.append(subgroups_code(title, result, frame))
    if getattr(result, "screen", None) and part.screen is not None:
        md5 = hashlib.md5(part.screen.to_csv_bytes()).hexdigest()  # noqa: S324 - integrity only
        lines += [f"s <- read_part({r_string(part.screen_csv)}, {r_string(md5)})",
                  screen_code(title, result, part.screen)]
    if getattr(result, "prediction", None) is not None and frame.patient is not None:
        if all(t.estimable for t in result.cox.terms):
            lines.append(prediction_code(title, result, frame))
        else:  # said, never silently left out
            said = r_string("the predicted survival is not compared: a coefficient of the Cox "
                            "model is not estimable (R diverges)")
            lines.append(f"cat({r_string(title)}, {said}, \"\\n\")")
    boot = getattr(getattr(result, "cutpoint", None), "bootstrap", None)
    if boot is not None:
        lines += bootstrap_code(title, boot, len(frame.data))
    return lines


def _part_code(number: int, part: RPart) -> list[str]:
    result, frame = part.result, part.frame
    spec = result.spec
    csv_md5 = hashlib.md5(part.frame.to_csv_bytes()).hexdigest()  # noqa: S324 - integrity only
    title = r_string(part.title)
    lines = [f"# ---- analysis {number}",
             f"d <- read_part({r_string(part.csv_name)}, {r_string(csv_md5)})",
             f"labels <- {r_strings(frame.labels)}",
             f"coefficients <- {r_strings(frame.coefficients)}",
             "terms <- list(" + ", ".join(r_integers(t) for t in frame.terms) + ")"]
    if not part.cox_only and not part.deeper_only:
        conf_type = spec.conf_type if spec is not None else "log-log"
        conf_level = spec.conf_level if spec is not None else 0.95
        lines += [f"check_groups({title}, d, labels, {r_string(conf_type)}, "
                  f"{r_number(conf_level)}, {_survival_values(result, frame)})",
                  f"check_tests({title}, d, labels, {_tests_values(result, frame)})"]
        if getattr(result, "competing", None) is not None:
            lines.append(f"check_competing({title}, d, labels, {r_string(conf_type)}, "
                         f"{r_number(conf_level)}, {_competing_values(result)})")
    if result.cutpoint is not None and not part.cox_only:
        c = result.cutpoint
        lines.append(f"check_cutpoint({title}, d, "
                     f"{r_numbers([c.cutpoint, c.statistic, c.p_corrected])})")
    spline = getattr(result, "spline", None)
    if spline is not None and not part.cox_only:
        column = spec.spline
        cov = [f"x{j}" for k in frame.covariate_terms if frame.term_columns[k - 1] != column
               for j in frame.terms[k - 1]]
        values = _r_list({"knots": r_numbers(spline.knots), "p": r_numbers(
            [spline.p_nonlinear, spline.p_overall]), "reference": r_number(spline.reference),
            "x": r_numbers(spline.x), "hr": r_numbers(spline.hr),
            "lower": r_numbers(spline.lower), "upper": r_numbers(spline.upper)})
        lines.append(f"check_spline({title}, d, {r_strings(cov)}, "
                     f"{r_number(spec.conf_level)}, {values})")
    if not part.cox_only:
        lines += _deeper_code(part)
    if result.cox is not None and frame.coefficients and not part.deeper_only:
        level = spec.conf_level if spec is not None else 0.95
        lines.append(f"check_cox({title}, d, terms, coefficients, {r_number(level)}, "
                     f"{_cox_values(result.cox, result.ph_test, frame)})")
    return lines


def r_script(parts: list[RPart], *, dataset_sha256: str | None = None) -> str:
    """The R program that recomputes ``parts`` and compares (see the module doc).

    Parameters
    ----------
    parts : list of RPart
    dataset_sha256 : str, optional
        SHA-256 of the data file the analyses read (printed by the script).

    Returns
    -------
    str
        R source; run it with ``Rscript`` beside the CSV file(s) of ``parts``.
    """
    package = resources.files("cohort_explorer.present")
    preamble = "".join(package.joinpath(name).read_text(encoding="utf-8")
                       for name in ("rscript_preamble.R", "rscript_deeper.R"))
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = [
        "# Cohort Explorer: reproducible analysis. Run with `Rscript` in the folder that holds",
        "# this script and its analysis-set CSV file(s). R recomputes every number with the",
        "# survival package (maxstat for an optimal cut point), prints it beside the app's value",
        "# and stops with an error if any differs beyond its tolerance.",
        f"# Written by cohort-explorer {__version__} on {stamp}.",
        "# CSV columns: time, event (0/1), group (index into `labels`), strata, x1... (the Cox",
        "# design columns, named in `coefficients`), cut_x (the variable of an optimal cut).",
        "",
        preamble,
        f"dataset_sha256 <- {r_string(dataset_sha256 or 'unknown')}",
        "cat(\"Dataset SHA-256:\", dataset_sha256, \"\\n\")",
    ]
    for number, part in enumerate(parts, start=1):
        sha = hashlib.sha256(part.frame.to_csv_bytes()).hexdigest()
        head.append(f"cat(\"Analysis set\", {r_string(part.csv_name)}, \"SHA-256:\", "
                    f"{r_string(sha)}, \"\\n\")")
        head += _part_code(number, part)
    head += ["", "report()", ""]
    return "\n".join(head)


def _part(df: pd.DataFrame, title: str, spec, result, name: str, **kind) -> RPart:
    screen = screen_frame(df, spec) if getattr(result, "screen", None) else None
    return RPart(title, result, analysis_frame(df, spec), f"{name}-data.csv", screen=screen,
                 screen_csv=f"{name}-screen-data.csv", **kind)


def r_script_files(df: pd.DataFrame, spec, result, *, stem: str = "analysis",
                   dataset_sha256: str | None = None, title: str = "Survival",
                   cox: tuple | None = None,
                   extra: Sequence[tuple[str, Any, Any, str]] = ()) -> dict[str, bytes]:
    """The files to hand a reviewer: ``{stem}.R`` and the analysis-set CSV(s).

    ``cox`` = ``(spec, result)`` adds the Cox model of another analysis of the same data
    (the report's Hazard ratios model), checked from its own analysis set. ``extra`` =
    ``[(title, spec, result, kind)]`` adds the report's other analyses of the same data, each from
    its own analysis set (``{stem}-1-data.csv``, …): ``kind`` "cox" checks its Cox model,
    "deeper" its cut point, spline, subgroup forest, screen, prediction and bootstrap.
    """
    parts = [_part(df, title, spec, result, stem)]
    if cox is not None:
        parts.append(_part(df, "Cox model", *cox, f"{stem}-cox", cox_only=True))
    for k, (name, other_spec, other, kind) in enumerate(extra, start=1):
        parts.append(_part(df, name, other_spec, other, f"{stem}-{k}", cox_only=kind == "cox",
                           deeper_only=kind == "deeper"))
    files = {}
    for part in parts:
        files[part.csv_name] = part.frame.to_csv_bytes()
        if part.screen is not None:
            files[part.screen_csv] = part.screen.to_csv_bytes()
    files[f"{stem}.R"] = r_script(parts, dataset_sha256=dataset_sha256).encode("utf-8")
    return files


def write_r_script(path: str | Path, df: pd.DataFrame, spec, result, *,
                   dataset_sha256: str | None = None) -> list[Path]:
    """Write the R script at ``path`` and its CSV beside it; the paths written."""
    path = Path(path)
    stem = path.stem or "analysis"
    files = r_script_files(df, spec, result, stem=stem, dataset_sha256=dataset_sha256)
    written = []
    for name, data in files.items():
        target = path if name == f"{stem}.R" else path.with_name(name)
        target.write_bytes(data)
        written.append(target)
    return written
