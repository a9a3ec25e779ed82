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

    def materialize(self, name: str, sql: str, params: dict, keep_if_below: int) -> str | None:
        """Keep a query's result as an in-memory temporary table when it has fewer than
        ``keep_if_below`` rows; its quoted name, or None (then use the rows)."""
        table = self.dialect.quote(name)
        self.query(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", params)
        if self.query(f"SELECT COUNT(*) FROM {table}")[0][0] < keep_if_below:
            return table
        self.query(f"DROP TABLE {table}")
        return None

    @staticmethod
    def sample_sql(sql: str, rows: int, fraction: float, seed: int) -> str:
        """A seeded reservoir sample of ``rows`` rows of the query's result."""
        return (f"SELECT * FROM ({sql}) AS sampled USING SAMPLE reservoir({int(rows)} ROWS) "
                f"REPEATABLE ({int(seed)})")

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
            raise OptionError("--engine spark needs pyspark: pip install 'cohort-explorer[spark]'"
                              ) from None
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

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        return [tuple(row) for row in self.spark.sql(sql, args=params or {}).collect()]

    def order_stats(self, plan, positions: list[int], n: int) -> dict[int, float]:
        """Values at 1-based positions of the sorted grouping values (row_number)."""
        return dict(self.query(plan.order_stats_sql(positions), plan.params))

    def query_frame(self, sql: str, params: dict | None = None):
        """The rows of a query as a pandas DataFrame (Arrow transfer)."""
        return self.spark.sql(sql, args=params or {}).toPandas()

    def materialize(self, name: str, sql: str, params: dict, keep_if_below: int) -> str | None:
        """A cached temporary view of the query when it has fewer than ``keep_if_below`` rows."""
        frame = self.spark.sql(sql, args=params or {}).cache()
        if frame.count() >= keep_if_below:
            frame.unpersist()
            return None
        frame.createOrReplaceTempView(name)
        return self.dialect.quote(name)

    @staticmethod
    def sample_sql(sql: str, rows: int, fraction: float, seed: int) -> str:
        """A seeded Bernoulli sample of about ``rows`` rows (``rand(seed)``), capped at rows."""
        return (f"SELECT * FROM ({sql}) AS sampled WHERE rand({int(seed)}) < "
                f"{min(1.0, float(fraction) * 1.05)!r} LIMIT {int(rows)}")

    def columns(self) -> dict[str, str]:
        from pyspark.sql.types import BooleanType, NumericType

        schema = self.spark.sql(f"SELECT * FROM {self.relation} LIMIT 0").schema
        return {f.name: ("bool" if isinstance(f.dataType, BooleanType) else
                         "numeric" if isinstance(f.dataType, NumericType) else "text")
                for f in schema.fields}

    def close(self) -> None:
        pass


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
            .getOrCreate())


def open_source(engine: str, path: str, **options):
    """``duckdb`` or ``spark`` source for ``path``."""
    if engine == "duckdb":
        return DuckDBSource(path, **options)
    if engine == "spark":
        return SparkSource(path, **options)
    raise OptionError(f"--engine {engine}: use memory, duckdb or spark")
