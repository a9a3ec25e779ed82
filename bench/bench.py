"""Speed and memory benchmark: Cohort Explorer against lifelines and R, measured in one run.

Run with ``make bench`` (never collected by pytest). Uses synthetic cohorts from
``cohort_explorer.sample`` (100k and 1M rows) and prints, per task, the best of a few
repetitions in seconds and the ratio to lifelines and to R's ``survival`` (when ``Rscript`` is
installed). Also times ``read_table`` on a ~100 MB CSV and a Survival-page rerun in AppTest.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cohort_explorer import stats  # noqa: E402
from cohort_explorer.analysis import analyze  # noqa: E402
from cohort_explorer.io import read_table  # noqa: E402
from cohort_explorer.sample import make_sample  # noqa: E402
from cohort_explorer.spec import AnalysisSpec  # noqa: E402
from cohort_explorer.stats import cox  # noqa: E402

R_SCRIPT = r"""
suppressMessages(library(survival))
d <- read.csv(commandArgs(TRUE)[1])
d$g <- cut(d$ikzf1, quantile(d$ikzf1), include.lowest = TRUE)
best <- function(f) min(replicate(3, system.time(f())[["elapsed"]]))
cat("km", best(function() survfit(Surv(pfs_months, pfs_event) ~ g, data = d)), "\n")
cat("logrank", best(function() survdiff(Surv(pfs_months, pfs_event) ~ g, data = d)), "\n")
cat("cox", best(function() coxph(Surv(pfs_months, pfs_event) ~ g + age + log2(crbn), data = d)), "\n")
"""


def best_of(func, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def r_timings(csv_path: Path) -> dict[str, float]:
    if shutil.which("Rscript") is None:
        return {}
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as handle:
        handle.write(R_SCRIPT)
    try:
        out = subprocess.run(["Rscript", handle.name, str(csv_path)], capture_output=True,
                             text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if line.strip()}


def lifelines_tasks(df, groups):
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    t, e = df["pfs_months"].to_numpy(), df["pfs_event"].to_numpy()

    def km():
        for g in np.unique(groups):
            KaplanMeierFitter().fit(t[groups == g], e[groups == g])

    def logrank():
        multivariate_logrank_test(t, groups, e)

    design = _design(df, groups)

    def fit_cox():
        frame = design.assign(T=t, E=e)
        CoxPHFitter().fit(frame, "T", "E", fit_options={"precision": 1e-12})

    return {"km": km, "logrank": logrank, "cox": fit_cox}


def _design(df, groups):
    import pandas as pd

    design = pd.DataFrame({f"g=Q{k}": (groups == k).astype(float) for k in (2, 3, 4)})
    design["age"] = df["age"].to_numpy(float)
    design["log2(crbn)"] = np.log2(df["crbn"].to_numpy(float))
    return design


def our_tasks(df, groups):
    t, e = df["pfs_months"].to_numpy(), df["pfs_event"].to_numpy()
    design = _design(df, groups)

    def km():
        for g in np.unique(groups):
            stats.kaplan_meier(t[groups == g], e[groups == g])

    return {
        "km": km,
        "logrank": lambda: stats.logrank_test(t, e, groups),
        "cox": lambda: cox.fit_cox(t, e, design),
    }


def bench_size(n: int, workdir: Path, repeat: int) -> None:
    df = make_sample(n, seed=7)
    groups = np.searchsorted(np.quantile(df["ikzf1"], [0.25, 0.5, 0.75]), df["ikzf1"]) + 1
    csv_path = workdir / f"bench_{n}.csv"
    df.to_csv(csv_path, index=False)
    ours = {k: best_of(f, repeat) for k, f in our_tasks(df, groups).items()}
    theirs = {k: best_of(f, 1 if n > 200_000 else repeat) for k, f in lifelines_tasks(df, groups).items()}
    rtimes = r_timings(csv_path)
    print(f"\n== {n:,} patients, 4 IKZF1 quartile groups (best wall time, s; ratio < 1 = we are faster) ==")
    print(f"{'task':<10}{'ours s':>10}{'lifelines s':>13}{'R s':>9}{'ours÷lifelines':>16}{'ours÷R':>8}")
    for task, seconds in ours.items():
        r = rtimes.get(task)
        r_text = f"{r:9.3f}" if r is not None else f"{'n/a':>9}"
        ratio_r = f"{seconds / r:7.2f}x" if r else f"{'n/a':>8}"
        print(f"{task:<10}{seconds:10.3f}{theirs[task]:13.3f}{r_text}"
              f"{seconds / theirs[task]:15.2f}x{ratio_r}")
    spec = AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:quartiles", landmarks=(36.0,),
                        covariates=("age", "crbn:log2"))
    print(f"analyze() end to end: {best_of(lambda: analyze(df, spec), repeat):.3f} s")


def bench_read(workdir: Path) -> None:
    df = make_sample(1_000_000, seed=11)
    path = workdir / "big.csv"
    while True:
        df.to_csv(path, index=False)
        size = path.stat().st_size
        if size >= 100 * 1024 * 1024:
            break
        df = df.loc[np.tile(df.index, 2)].reset_index(drop=True).iloc[: int(len(df) * 110e6 / size)]
    data = path.read_bytes()
    seconds = best_of(lambda: read_table(io.BytesIO(data), filename="big.csv"), 2)
    print(f"\nread_table on a {size / 2**20:.0f} MB CSV ({len(df):,} rows): {seconds:.2f} s "
          f"(target <= 10 s)")


def bench_app(repeat: int) -> None:
    script = ROOT / "bench" / "app_rerun.py"
    if script.exists():
        subprocess.run([sys.executable, str(script), "--repeat", str(repeat)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cohort-bench-") as tmp:
        for n in (int(v) for v in args.sizes.split(",")):
            bench_size(n, Path(tmp), args.repeat)
        bench_read(Path(tmp))
    bench_app(args.repeat)
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the benchmark process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
