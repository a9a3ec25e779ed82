"""Where the rows live for the pushdown engine: a DuckDB connection over a Parquet/CSV source,
or a Spark session over a table or Parquet path. Each runs SQL from :mod:`.plan` with bound
parameters and returns plain rows; nothing row-level leaves the engine except the seeded sample
that :meth:`sample` is asked for (at most 1M rows).

DuckDB runs with file system access switched off except for the configured source
(``allowed_paths``/``allowed_directories``, then ``enable_external_access = false`` and a
locked configuration), with ``temp_directory`` empty (nothing spilled to disk) and a memory
limit.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cohort_explorer.engines.dialect import DUCKDB, SPARK
from cohort_explorer.errors import DataFileError, OptionError

__all__ = ["DuckDBSource", "SparkSource", "open_source"]

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
            "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "REAL", "INT", "LONG", "SHORT",
            "BYTE")


def _kind(type_name: str) -> str:
    upper = type_name.upper()
    if upper.startswith("BOOL"):
        return "bool"
    return "numeric" if upper.split("(")[0] in _NUMERIC else "text"


class DuckDBSource:
    """A Parquet file, a folder of Parquet files or a CSV file, read by DuckDB in place."""

    dialect = DUCKDB

    def __init__(self, path: str | os.PathLike, *, memory_limit: str = "2GB",
                 threads: int | None = None) -> None:
        import duckdb

        path = Path(path).resolve()
        if not path.exists():
            raise DataFileError(f"No such file or folder: {path}")
        config = {"memory_limit": memory_limit, "temp_directory": ""}
        if threads:
            config["threads"] = threads
        self.con = duckdb.connect(":memory:", config=config)
        self.con.execute("SET enable_progress_bar = false")
        if path.is_dir():
            self.con.execute("SET allowed_directories = $dirs", {"dirs": [str(path) + os.sep]})
            pattern, reader = str(path / "**" / "*.parquet"), "read_parquet"
        else:
            self.con.execute("SET allowed_paths = $paths", {"paths": [str(path)]})
            pattern = str(path)
            reader = "read_parquet" if path.read_bytes()[:4] == b"PAR1" else "read_csv"
        self.con.execute("SET enable_external_access = false")
        self.con.execute("SET lock_configuration = true")
        self.label = path.name
        self._params = {"source_path": pattern}
        self.relation = f"{reader}($source_path)"

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        params = {k: v for k, v in {**self._params, **(params or {})}.items()
                  if re.search(rf"\${re.escape(k)}\b", sql)}
        return self.con.execute(sql, params).fetchall()

    def order_stats(self, plan, positions: list[int], n: int) -> dict[int, float]:
        """Values at 1-based positions of the sorted grouping values (no full sort)."""
        values = self.query(plan.order_stats_disc_sql(positions, n), plan.params)[0][0]
        return dict(zip(positions, values, strict=True))

    def query_frame(self, sql: str, params: dict | None = None):
        """The rows of a query as a pandas DataFrame (columnar transfer, for the sample)."""
        params = {k: v for k, v in {**self._params, **(params or {})}.items()
                  if re.search(rf"\${re.escape(k)}\b", sql)}
        return self.con.execute(sql, params).df()

    def materialize(self, name: str, sql: str, params: dict, width: int) -> str | None:
        """Keep a query's result (``width`` numeric columns) as an in-memory temporary table
        when it takes at most a quarter of the memory limit; its quoted name, or None (then
        the caller reads the source again). DuckDB running out of memory while building it is
        the same as not keeping it: nothing spills to disk."""
        import duckdb

        table = self.dialect.quote(name)
        try:
            self.query(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", params)
            rows = int(self.query(f"SELECT COUNT(*) FROM {table}")[0][0])
        except duckdb.OutOfMemoryException:
            rows = None
        limit = _bytes(self.query("SELECT current_setting('memory_limit')")[0][0])
        if rows is None or rows * 8 * (width + 1) > limit / 4:
            self.query(f"DROP TABLE IF EXISTS {table}")
            return None
        return table

    def columns(self) -> dict[str, str]:
        rows = self.con.execute(f"DESCRIBE SELECT * FROM {self.relation}", self._params).fetchall()
        return {str(r[0]): _kind(str(r[1])) for r in rows}

    def close(self) -> None:
        self.con.close()


class SparkSource:
    """A Spark table (``catalog.schema.table``) or a Parquet path, in a local or given session."""

    dialect = SPARK

    def __init__(self, source: str, *, session=None) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:  # pragma: no cover - the [spark] extra
            raise OptionError("--engine spark needs pyspark: pip install 'cohort-explorer[spark]'",
            code="spark_missing", fields={}) from None
        self.spark = session or _local_session(SparkSession)
        self.spark.sparkContext.setLogLevel("ERROR")
        path = Path(source)
        if path.exists():
            frame = self.spark.read.parquet(str(path.resolve()))
            self.relation = self.dialect.quote("cohort_explorer_source")
            frame.createOrReplaceTempView("cohort_explorer_source")
        else:
            self.relation = ".".join(self.dialect.quote(part) for part in source.split("."))
        self.label = path.name or source
        self._cached = []

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        return [tuple(row) for row in self.spark.sql(sql, args=params or {}).collect()]

    def order_stats(self, plan, positions: list[int], n: int) -> dict[int, float]:
        """Values at 1-based positions of the sorted grouping values (running counts of the
        distinct values)."""
        return plan.order_stats_from(self.query(plan.order_stats_sql(positions), plan.params),
                                     positions)

    def query_frame(self, sql: str, params: dict | None = None):
        """The rows of a query as a pandas DataFrame (Arrow transfer)."""
        return self.spark.sql(sql, args=params or {}).toPandas()

    def materialize(self, name: str, sql: str, params: dict, width: int) -> str | None:
        """The query's result computed once and kept (memory, then Spark's local dirs) under a
        temporary view ``name`` of this session; dropped by :meth:`close`. A local checkpoint,
        not ``cache()``: the view of a cached parameterised query is not matched to its cache,
        so every later query would recompute it from the source."""
        frame = self.spark.sql(sql, args=params or {}).localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)
        self._cached.append((name, frame))
        return self.dialect.quote(name)

    def columns(self) -> dict[str, str]:
        from pyspark.sql.types import BooleanType, NumericType

        schema = self.spark.sql(f"SELECT * FROM {self.relation} LIMIT 0").schema
        return {f.name: ("bool" if isinstance(f.dataType, BooleanType) else
                         "numeric" if isinstance(f.dataType, NumericType) else "text")
                for f in schema.fields}

    def close(self) -> None:
        for name, _ in self._cached:  # the checkpoint's blocks go with the last reference
            self.spark.catalog.dropTempView(name)
        self._cached = []


_UNITS = {"": 1, "BYTES": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _bytes(setting: str) -> float:
    """DuckDB's ``memory_limit`` setting ('1.8 GiB', '476.8 MiB') in bytes (2 GB if unread)."""
    found = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(setting))
    if not found or found.group(2).upper() not in _UNITS:
        return 2e9
    return float(found.group(1)) * _UNITS[found.group(2).upper()]


def _local_session(builder_cls):
    """A quiet local Spark session (2 cores) whose scratch space is a private temp folder."""
    import tempfile

    scratch = tempfile.mkdtemp(prefix="cohort-spark-")
    return (builder_cls.builder.master("local[2]").appName("cohort-explorer")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.local.dir", scratch)
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # the sample, columnar
            .getOrCreate())


def open_source(engine: str, path: str, **options):
    """``duckdb`` or ``spark`` source for ``path``."""
    if engine == "duckdb":
        return DuckDBSource(path, **options)
    if engine == "spark":
        return SparkSource(path, **options)
    raise OptionError(f"--engine {engine}: use memory, duckdb or spark",
            code="engine_unknown", fields={"engine": engine})
