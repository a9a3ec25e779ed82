"""Command line: ``cohort-explorer analyze | validate | make-sample | app``.

Thin: parses options into an :class:`~cohort_explorer.spec.analysis_spec.AnalysisSpec`, calls the same
``analyze`` as the app and formats the result. Anything the user can fix ends with one line on
stderr and exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cohort_explorer import __version__, cli_engine, cli_extras
from cohort_explorer.cli_deeper import add_deeper_options, deeper_spec_fields, deeper_text
from cohort_explorer.cli_review import add_review_options, review
from cohort_explorer.errors import CohortError, ColumnError, DataFileError, OptionError
from cohort_explorer.present.cutoffs import group_labels, term_adjustment
from cohort_explorer.present.format import (
    format_hr,
    format_median,
    format_p,
    format_survival,
    format_time,
)

if TYPE_CHECKING:  # the engine (numpy, pandas, scipy) loads only after the options are parsed
    from cohort_explorer.analysis import AnalysisResult
    from cohort_explorer.spec import AnalysisSpec

__all__ = ["main", "build_parser"]

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (exit 2)."""

    def error(self, message: str):  # noqa: D102 - argparse API
        raise OptionError(f"{message} (see {self.prog} --help)")


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def _add_data_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("data", help="cohort file: CSV/TSV/XLSX/Parquet/SPSS/Stata/SAS")
    parser.add_argument("--time", required=required, help="follow-up time column")
    parser.add_argument("--event", required=required, metavar="COL[=VALUE]",
                        help="event column (0/1 or true/false), or COL=VALUE: VALUE marks an event")
    parser.add_argument("--group-by", metavar="SPEC",
                        help="COL | COL:quartiles | :tertiles | :median | :q1-vs-rest | :cut=V1,V2 "
                             "| :optimal | :order=L1,L2")
    parser.add_argument("--derive", action="append", default=[], metavar="NAME=any:COL1,COL2")
    parser.add_argument("--where", action="append", default=[], metavar="EXPR")
    parser.add_argument("--sheet", help="XLSX sheet name or 0-based index (default: the first)")
    parser.add_argument("--samples", metavar="FILE",
                        help="cBioPortal data_clinical_sample.txt to join to DATA (the patient "
                             "file) on PATIENT_ID; each patient gets their first sample")
    parser.add_argument("--max-size", type=_positive, metavar="MB",
                        help="refuse files larger than this (no limit by default)")
    parser.add_argument("--output", choices=("json", "text"), default="json")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cohort-explorer``."""
    parser = _Parser(prog="cohort-explorer", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"cohort-explorer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    analyze_cmd = commands.add_parser("analyze", help="Kaplan–Meier, log-rank and Cox analysis")
    _add_data_options(analyze_cmd, required=False)  # or --dates (cli_extras)
    analyze_cmd.add_argument("--covariates", metavar="TERM[,TERM...]",
                             help="COL, COL:cat, COL:cat:ref=LEVEL, COL:log2, COL:z")
    analyze_cmd.add_argument("--reference", metavar="LABEL", help="reference group (listed first)")
    analyze_cmd.add_argument("--landmark", type=_floats, default=(), metavar="T[,T...]")
    analyze_cmd.add_argument("--rmst", type=_positive, metavar="TAU")
    analyze_cmd.add_argument("--conf-type", choices=("log-log", "log", "plain"), default="log-log")
    analyze_cmd.add_argument("--conf-level", type=float, default=0.95)
    analyze_cmd.add_argument("--trend", action="store_true", help="log-rank test for trend")
    analyze_cmd.add_argument("--pairwise", choices=("holm", "BH"), help="pairwise log-rank tests")
    analyze_cmd.add_argument("--strata", metavar="COL",
                             help="stratified log-rank test and stratified Cox model")
    analyze_cmd.add_argument("--landmark-from", type=float, metavar="L",
                             help="landmark analysis: patients at risk at L, time from L")
    analyze_cmd.add_argument("--response-time", metavar="COL",
                             help="with --landmark-from: when the grouping value was reached")
    cli_extras.add_options(analyze_cmd)
    add_review_options(analyze_cmd)
    cli_engine.add_options(analyze_cmd)

    add_deeper_options(analyze_cmd)

    validate_cmd = commands.add_parser("validate", help="print the data validation report")
    _add_data_options(validate_cmd, required=False)

    sample_cmd = commands.add_parser("make-sample", help="write a synthetic cohort (CSV)")
    sample_cmd.add_argument("--n", type=int, default=None, help="number of patients (default 60)")
    sample_cmd.add_argument("--seed", type=int, default=None)
    sample_cmd.add_argument("--out", required=True, help="output CSV path")

    app_cmd = commands.add_parser("app", help="start the web app")
    app_cmd.add_argument("--port", type=int, default=8501)
    return parser


def _split_event(text: str) -> tuple[str, str | None]:
    column, sep, value = text.partition("=")
    if sep and not value:
        raise OptionError(f"--event {text}: give the event value after '=', e.g. {column}=2")
    return column, (value if sep else None)


def _read(args, columns=None) -> object:
    from cohort_explorer.io import read_upload
    from cohort_explorer.io.guards import check_regular_file

    paths = [Path(args.data)] + ([Path(args.samples)] if getattr(args, "samples", None) else [])
    for path in paths:
        check_regular_file(path)
    max_bytes = int(args.max_size * 1024 * 1024) if args.max_size else None
    sheet = int(args.sheet) if args.sheet and args.sheet.isdigit() else args.sheet
    df = read_upload([(path.name, path) for path in paths], sheet=sheet, max_bytes=max_bytes,
                     columns=columns)
    for notice in df.attrs.get("notices", ()):
        print(f"cohort-explorer: note: {notice}", file=sys.stderr)
    return df


def _spec(args) -> AnalysisSpec:
    from cohort_explorer.spec import AnalysisSpec

    extras = cli_extras.spec_fields(args)
    event_col, event_value = _split_event(args.event) if args.event else ("", None)
    covariates = tuple(t.strip() for t in (args.covariates or "").split(",") if t.strip())
    return AnalysisSpec(
        time_col=args.time or "", event_col=event_col, event_value=event_value,
        group_by=args.group_by, derive=tuple(args.derive), where=tuple(args.where),
        covariates=covariates, reference=args.reference, landmarks=tuple(args.landmark),
        rmst_tau=args.rmst, conf_type=args.conf_type, conf_level=args.conf_level,
        pairwise=args.pairwise, trend=args.trend, strata=args.strata,
        landmark_from=args.landmark_from, response_time_col=args.response_time,
        **extras,
        **deeper_spec_fields(args),
    )


def _text_header(result: AnalysisResult) -> list[str]:
    lines = [f"Patients analysed: {result.n}, events: {result.events}"]
    if result.excluded.count:
        reasons = "; ".join(f"{k}: {v}" for k, v in result.excluded.reasons.items() if v)
        lines.append(f"Excluded: {result.excluded.count} ({reasons})")
    if result.filtered:
        lines.append(f"Filtered out by --where: {result.filtered}")
    fu = result.follow_up
    if fu is not None:
        lines.append(f"Median follow-up (reverse KM): {format_time(fu.median)} "
                     f"[IQR {format_time(fu.q1)}–{format_time(fu.q3)}]")
    return lines


def _num(value: float) -> str:
    """Two decimals, or 4 significant digits for huge values (--rmst 1e308 stays readable)."""
    return f"{value:.2f}" if abs(value) < 1e9 else f"{value:.4g}"


def _text_groups(result: AnalysisResult, level: float) -> list[str]:
    ci = f"{level * 100:g}% CI"
    lines = []
    numeric = any(g.interval is not None for g in result.groups)
    names = group_labels(result.groups, result.group_column if numeric else None)
    for g, name in zip(result.groups, names, strict=True):
        m = g.median
        lines.append(f"{name}: n={g.n}, events={g.events}, median "
                     f"{format_median(m.estimate, m.lower, m.upper, conf_level=level)}")
        for lm in g.landmarks:
            shown = format_survival(lm.survival, lm.lower, lm.upper, conf_level=level)
            lines.append(f"  survival at {lm.time:g}: {shown} (at risk {lm.at_risk})")
        if g.rmst is not None:
            r = g.rmst
            lines.append(f"  RMST to {r.tau:g}: {_num(r.estimate)} ({ci} {_num(r.lower)}–{_num(r.upper)})")
    for d in result.rmst_differences or ():
        lines.append(f"RMST difference {d.group} − {d.reference} to {d.tau:g}: {_num(d.estimate)} "
                     f"({ci} {_num(d.lower)} to {_num(d.upper)}), {format_p(d.p)}")
    return lines


def _text_tests(result: AnalysisResult) -> list[str]:
    lines = []
    for name, test in (("Log-rank", result.logrank), ("Trend", result.trend),
                       ("Stratified log-rank", result.stratified_logrank)):
        if test is not None and test.statistic != test.statistic:  # NaN: see the warnings
            lines.append(f"{name}: not defined (zero variance; see the warnings)")
        elif test is not None:
            lines.append(f"{name}: chi2 = {test.statistic:.3f}, df = {test.df}, {format_p(test.p)}")
    for pair in result.pairwise or ():
        lines.append(f"  {pair.group1} vs {pair.group2}: {format_p(pair.p_adjusted)} (adjusted)")
    if result.cutpoint is not None:
        c = result.cutpoint
        lines.append(f"Optimal cut point of {c.column}: {c.cutpoint:g} (statistic {c.statistic:.3f}, "
                     f"corrected {format_p(c.p_corrected)}, {c.method})")
    return lines


def _text_cox(result: AnalysisResult, level: float) -> list[str]:
    cox = result.cox
    if cox is None:
        return []
    lines = ["", f"Cox model (Efron ties), n={cox.n}, events={cox.events}, "
                 f"concordance {cox.concordance:.3f}"]
    for t in cox.terms:
        adjusted = term_adjustment(t.term, result.group_column, cox.adjusted_for)
        shown = (f"{format_hr(t.hr, t.lower, t.upper, conf_level=level)}, {format_p(t.p)} "
                 f"({adjusted})"
                 if t.estimable
                 else f"not estimable: {t.reason}")
        lines.append(f"  {t.term}: {shown}")
    lr = cox.lr_test
    lines.append(f"  Likelihood-ratio test: chi2 = {lr.statistic:.3f}, df = {lr.df}, {format_p(lr.p)}")
    return lines


def format_text(result: AnalysisResult) -> str:
    """Readable summary: groups, medians, landmarks, tests, Cox table (never the KM arrays)."""
    level = result.spec.conf_level if result.spec is not None else 0.95
    lines = _text_header(result) + [""] + _text_groups(result, level) + _text_tests(result)
    lines += _text_cox(result, level) + cli_extras.text_lines(result, level)
    lines += deeper_text(result, level)
    if result.warnings:
        lines += [""] + [f"Warning: {w}" for w in result.warnings]
    return "\n".join(lines)


def _sheet_hint(args, error: ColumnError) -> ColumnError:
    """Add the workbook's other sheets to a missing-column message (the first sheet was read)."""
    from cohort_explorer.io import list_sheets

    if args.sheet is not None or not str(error).startswith("No column"):
        return error
    sheets = list_sheets(Path(args.data), filename=Path(args.data).name)
    if len(sheets) < 2:
        return error
    listed = ", ".join(repr(s) for s in sheets)
    return ColumnError(f"{error} (read the first sheet of {listed}; choose one with --sheet NAME)")


def _run_analyze(args) -> int:
    from cohort_explorer.blas import one_blas_thread_from_start

    one_blas_thread_from_start()  # thin products only: threads would wait, not help
    from cohort_explorer import jsonout
    from cohort_explorer._result import numeric_arrays_kept
    from cohort_explorer.allocator import arrow_on_malloc, keep_freed_memory
    from cohort_explorer.analysis import analyze
    from cohort_explorer.io.columns import spec_columns

    keep_freed_memory()  # one-shot process: fewer page faults on large temporary arrays
    arrow_on_malloc()  # the same for the CSV parser
    spec = _spec(args)
    result = cli_engine.analyze_elsewhere(args, spec)  # DuckDB/Spark, or None: in memory
    data = None
    if result is not None and not Path(args.data).is_file():  # a Spark table: no file to hash
        print(jsonout.dumps(result.to_dict()) if args.output == "json" else format_text(result))
        return 0
    if result is None:
        data = _read(args, columns=spec_columns(spec))  # only the columns the options name
        try:
            try:
                result = analyze(data, spec)
            except ColumnError:
                data = _read(args)  # the same analysis on every column
                result = analyze(data, spec)
        except ColumnError as error:
            raise _sheet_hint(args, error) from None
    if args.output == "json":
        with numeric_arrays_kept():  # jsonout writes long arrays without Python lists
            output = result.to_dict()
        review(args, data, spec, result, output)
        print(jsonout.dumps(output))
    else:
        extra = review(args, data, spec, result, None)
        print(format_text(result) + (f"\n\n{extra}" if extra else ""))
    return 0


def _run_validate(args) -> int:
    import json

    from cohort_explorer.data.validation import validate_cohort

    event_col, event_value = _split_event(args.event) if args.event else (None, None)
    group_cols = (args.group_by,) if args.group_by else ()  # the rule too: no advice to add it
    report = validate_cohort(_read(args), time_col=args.time, event_col=event_col,
                             event_value=event_value, group_cols=group_cols)
    if args.output == "json":
        print(json.dumps(report.to_dict(), indent=2, allow_nan=False))
    else:
        print(f"{report.n_rows} rows, {report.n_columns} columns")
        for issue in report.issues:
            print(f"[{issue.severity}] {issue.message}")
    return 1 if any(i.severity == "error" for i in report.issues) else 0


def _run_make_sample(args) -> int:
    from cohort_explorer import sample

    n = sample.SAMPLE_N if args.n is None else args.n
    if n < 1:
        raise OptionError("--n must be at least 1")
    seed = sample.SAMPLE_SEED if args.seed is None else args.seed
    sample.write_sample(args.out, n=n, seed=seed)
    print(f"Wrote {n} synthetic patients to {args.out}", file=sys.stderr)
    return 0


def _run_app(args) -> int:
    import os

    from cohort_explorer.app_files import candidates, find_app_dir

    folder = find_app_dir()
    if folder is None:
        looked = ", ".join(str(c) for c in candidates())
        raise DataFileError(f"the app's files (app.py, pages/) were not found; looked in {looked}"
                            "; set COHORT_EXPLORER_HOME to the folder that holds them")
    launcher = (["serve.py"] if (folder / "serve.py").is_file()  # hardened start (serve.py)
                else ["-m", "streamlit", "run", "app.py"])
    os.chdir(folder)  # .streamlit/config.toml applies
    os.execv(sys.executable, [sys.executable, *launcher, "--server.port", str(args.port)])
    return 0  # not reached: the server replaced this process (signals reach it directly)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cohort-explorer`` console script; returns the exit code."""
    runners = {"analyze": _run_analyze, "validate": _run_validate,
               "make-sample": _run_make_sample, "app": _run_app}
    try:
        args = build_parser().parse_args(argv)
        return runners[args.command](args)
    except CohortError as error:
        print(f"cohort-explorer: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"cohort-explorer: error: cannot read or write a file: {error.strerror or error}",
              file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
