"""``--engine``: where ``cohort-explorer analyze`` computes (kept out of ``cli.py``).

``memory`` reads the file into this process (the default for ordinary files); ``duckdb`` and
``spark`` push the aggregations down (:mod:`cohort_explorer.engines`) so the rows never enter
Python; ``auto`` (the default) uses DuckDB only for files over 1 GB, so today's results for
ordinary files do not change. With ``spark`` DATA may also be a table name.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cohort_explorer.errors import DataFileError, OptionError

__all__ = ["add_options", "analyze_elsewhere"]


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("auto", "memory", "duckdb", "spark"),
                        default="auto",
                        help="memory, or push the work down to DuckDB or Spark SQL (auto: "
                             "DuckDB for files over 1 GB)")
    parser.add_argument("--sample-rows", type=int, default=1_000_000, metavar="N",
                        help="with duckdb/spark: rows of the seeded sample for the concordance "
                             "and PH test (default 1,000,000)")
    parser.add_argument("--full-km", action="store_true",
                        help="with duckdb/spark: every row of the Kaplan–Meier arrays (by "
                             "default groups of over 1,000,000 distinct times are thinned as "
                             "the plot is)")


def analyze_elsewhere(args, spec):
    """The result computed by DuckDB or Spark, or None when the engine is ``memory``."""
    from cohort_explorer.engines import choose_engine

    engine = choose_engine(getattr(args, "engine", "memory"), args.data)
    if engine == "memory":
        return None
    from cohort_explorer.engines.pushdown import analyze_pushdown
    from cohort_explorer.engines.sources import open_source

    asked = [flag for flag, name in (("--r-script", "r_script"), ("--cross-check", "cross_check"))
             if getattr(args, name, None)]
    if asked:
        raise OptionError(f"{', '.join(asked)} with --engine {engine} is not available (they "
                          "need the rows in memory)")
    if engine == "duckdb" and not Path(args.data).exists():
        raise DataFileError(f"No such file: {args.data}")
    source = open_source(engine, args.data)
    try:
        return analyze_pushdown(source, spec, sample_rows=max(1, args.sample_rows),
                                full_km=bool(getattr(args, "full_km", False)))
    finally:
        source.close()
