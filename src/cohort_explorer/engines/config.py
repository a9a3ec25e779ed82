"""Admin-configured data sources of the app (registry scale): named in the server's config file,
never given by the browser or the URL.

The file named by the environment variable ``COHORT_EXPLORER_SOURCES`` (TOML) lists them::

    [sources.registry]
    engine = "duckdb"              # or "spark"
    location = "/data/registry"     # a Parquet file or folder (duckdb, spark), a CSV (duckdb),
                                   # or a table name such as "warehouse.oncology.myeloma" (spark)
    memory_limit = "2GB"           # duckdb only
    threads = 2                    # duckdb only: cores one analysis may use (default: all)
    label = "Myeloma registry 2010-2024"

The page offers these names only; a choice is looked up here, so a path can never come from a
request. Analyses of these sources return aggregates (KM tables, tests, Cox coefficients).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ENV", "SourceConfig", "load_sources", "open_configured"]

ENV = "COHORT_EXPLORER_SOURCES"


@dataclass(frozen=True)
class SourceConfig:
    name: str
    engine: str
    location: str
    label: str
    memory_limit: str = "2GB"
    threads: int | None = None


def load_sources(path: str | os.PathLike | None = None) -> dict[str, SourceConfig]:
    """The configured sources by name ({} when the server has none)."""
    path = path or os.environ.get(ENV)
    if not path or not Path(path).is_file():
        return {}
    with open(path, "rb") as handle:
        table = tomllib.load(handle).get("sources", {})
    out = {}
    for name, item in table.items():
        engine = str(item.get("engine", "duckdb"))
        if engine not in ("duckdb", "spark") or "location" not in item:
            continue
        out[str(name)] = SourceConfig(str(name), engine, str(item["location"]),
                                      str(item.get("label", name)),
                                      str(item.get("memory_limit", "2GB")),
                                      _threads(item.get("threads")))
    return out


def _threads(value) -> int | None:
    """A positive whole number of threads, else None (DuckDB's default: all cores)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else None


def open_configured(name: str, sources: dict[str, SourceConfig]):
    """Open the source configured under ``name`` (KeyError for any other name)."""
    from cohort_explorer.engines.sources import DuckDBSource, SparkSource

    config = sources[name]
    if config.engine == "duckdb":
        return DuckDBSource(config.location, memory_limit=config.memory_limit,
                            threads=config.threads)
    return SparkSource(config.location)
