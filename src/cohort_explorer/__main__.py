"""``python -m cohort_explorer ...``: the same command line as ``cohort-explorer ...``."""

from __future__ import annotations

import sys

from cohort_explorer.cli import main

if __name__ == "__main__":
    sys.exit(main())
