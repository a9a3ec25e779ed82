"""Registry scale: a 10M-row Parquet cohort analysed by pushdown (``make bench-scale``).

Writes a synthetic cohort of ``--rows`` rows (``make_sample`` in chunks, straight to Parquet,
never whole in memory), then runs ``cohort-explorer analyze --engine duckdb`` (quartile KM +
log-rank + Cox with age and cytogenetic risk; concordance and PH test on the 1M-row seeded
sample) as its own process, reporting its wall time and peak memory (targets: <= 30 s, <= 2 GB),
and the same with ``--engine spark`` (pyspark local mode, when installed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

ANALYZE = ["--time", "pfs_months", "--event", "pfs_event", "--group-by", "ikzf1:quartiles",
           "--covariates", "age,cyto_risk:cat", "--landmark", "36", "--output", "text"]
COLUMNS = ["patient_id", "age", "ikzf1", "cyto_risk", "pfs_months", "pfs_event"]


def write_cohort(path: Path, rows: int, chunk: int = 1_000_000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cohort_explorer.sample import make_sample

    writer = None
    try:
        for i, start in enumerate(range(0, rows, chunk)):
            part = make_sample(min(chunk, rows - start), seed=100 + i)[COLUMNS]
            part["patient_id"] = [f"P{start + k:09d}" for k in range(len(part))]
            table = pa.Table.from_pandas(part, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def run(command: list[str]) -> tuple[float, float, str, float]:
    """Wall time, peak memory (GNU time's %M of the command itself, MB), stdout and the CPU
    seconds (user + system) of the command: on a shared machine the CPU time says what an idle
    one would take (about CPU / cores for the parallel parts, at most CPU)."""
    start = time.perf_counter()
    proc = subprocess.run([shutil.which("time") or "/usr/bin/time", "-f", "@@peak %M %U %S",
                           *command], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{proc.stderr[-3000:]}")
    found = [line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("@@peak")]
    kb, user, system = (float(v) for v in found[-1]) if found else (0.0, 0.0, 0.0)
    return elapsed, kb / 1024, proc.stdout, user + system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="cohort-scale-") as tmp:
        path = Path(tmp) / "registry.parquet"
        start = time.perf_counter()
        write_cohort(path, args.rows)
        print(f"wrote {args.rows:,} rows, {path.stat().st_size / 2**20:.0f} MB Parquet in "
              f"{time.perf_counter() - start:.0f} s")
        cli = [sys.executable, "-m", "cohort_explorer.cli", "analyze", str(path), *ANALYZE]
        load = os.getloadavg()[0]
        seconds, mb, out, cpu = run(cli + ["--engine", "duckdb"])
        print(f"\nDuckDB pushdown, KM + log-rank + Cox (+ sampled concordance/PH): "
              f"{seconds:.1f} s, CPU {cpu:.1f} s, peak {mb:.0f} MB, load {load:.1f} -> "
              f"{os.getloadavg()[0]:.1f} (targets <= 30 s, <= 2048 MB: "
              f"{'ok' if seconds <= 30 and mb <= 2048 else 'MISSED'})")
        print("\n".join("  " + line for line in out.splitlines()[:12]))
        if not args.no_spark and shutil.which("java"):
            try:
                import pyspark  # noqa: F401
            except ImportError:
                print("Spark: pyspark not installed (pip install 'cohort-explorer[spark]')")
            else:
                load = os.getloadavg()[0]
                seconds, mb, _, cpu = run(cli + ["--engine", "spark"])
                print(f"\nSpark local[2] pushdown: {seconds:.1f} s, load {load:.1f} -> "
                      f"{os.getloadavg()[0]:.1f}, driver peak {mb:.0f} MB, driver CPU "
                      f"{cpu:.1f} s (the JVM's memory and CPU are not included)")
    print(f"load at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
