"""The reviewer's options of ``cohort-explorer analyze``: ``--r-script`` and ``--cross-check``.

Kept apart from :mod:`cohort_explorer.cli` (the parser and the common path stay small).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_review_options", "review"]


def add_review_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--r-script", metavar="FILE",
                        help="write an R script that recomputes every number with R survival and "
                             "compares, plus the analysis-set CSV it reads (FILE-data.csv)")
    parser.add_argument("--cross-check", choices=("lifelines",),
                        help="recompute KM, log-rank and Cox with lifelines; print the largest "
                             "difference per quantity")


def review(args, data, spec, result, output: dict[str, Any] | None) -> str | None:
    """Write the R script and run the cross-check that ``args`` ask for.

    Adds ``dataset_sha256`` (and ``cross_check``) to the JSON ``output``; returns the text to
    print after a text summary (or None).
    """
    from cohort_explorer.data.fingerprint import sha256_of_files

    paths = [Path(args.data)] + ([Path(args.samples)] if getattr(args, "samples", None) else [])
    kinds = None if data is None else data.attrs.get("file_kinds")
    fingerprint = sha256_of_files(paths, kinds)  # both files of a cBioPortal pair
    if output is not None:
        output["dataset_sha256"] = fingerprint
    text = []
    if getattr(args, "r_script", None):
        from cohort_explorer.present.rscript import write_r_script

        written = write_r_script(args.r_script, data, spec, result, dataset_sha256=fingerprint)
        names = ", ".join(str(p) for p in written)
        print(f"Wrote {names}; run: Rscript {written[-1].name} (in {written[-1].parent})",
              file=sys.stderr)
    if getattr(args, "cross_check", None) == "lifelines":
        from cohort_explorer.present.crosscheck import format_cross_check, lifelines_cross_check

        check = lifelines_cross_check(data, result)
        if output is not None:
            output["cross_check"] = check.to_dict()
        text.append(format_cross_check(check))
    if output is None:
        text.insert(0, f"Dataset SHA-256: {fingerprint}")
    return "\n".join(text) if text else None
