"""Where the rows live: in memory (numpy, :func:`cohort_explorer.analysis.analyze`) or pushed
down to a SQL engine (DuckDB, Spark SQL: :func:`.pushdown.analyze_pushdown`). Both compute the
same per-(group, time) counts and per-time Efron sums, so the numbers agree to rounding."""

from __future__ import annotations

import os

__all__ = ["AUTO_PUSHDOWN_BYTES", "choose_engine"]

#: ``--engine auto`` pushes files larger than this down to DuckDB (smaller: in memory).
AUTO_PUSHDOWN_BYTES = 1024**3


def choose_engine(engine: str, path: str | os.PathLike) -> str:
    """``memory``, ``duckdb`` or ``spark``; ``auto`` is DuckDB only for files over 1 GB."""
    if engine != "auto":
        return engine
    try:
        size = os.path.getsize(path) if os.path.isfile(path) else 0
    except OSError:
        size = 0
    return "duckdb" if size > AUTO_PUSHDOWN_BYTES else "memory"
