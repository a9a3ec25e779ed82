"""Speed and memory benchmark: Cohort Explorer against R ``survival`` and lifelines, one run.

Run with ``make bench`` (never collected by pytest). Every ratio below compares numbers measured
in this same run, on the same files, so machine load (2 shared cores) affects both sides alike.

1. Start-up: ``cohort-explorer --version`` / ``--help`` and ``analyze`` on R's 228-row lung data.
2. Whole processes on ``make-sample`` cohorts (100k and 1M rows): ``cohort-explorer analyze``
   (quartile KM + log-rank + Cox with age and cytogenetic risk, its concordance and the PH
   test; JSON and text output) against an Rscript (read.csv + survfit + survdiff + coxph, which
   computes the concordance) and a lifelines script (read_csv + KaplanMeierFitter per group +
   multivariate_logrank_test + CoxPHFitter with its concordance). Wall time and peak memory.
3. The Cox fit alone (Efron, 5 coefficients, concordance): ``fit_cox`` against R ``coxph``.
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
           "--covariates", "age,cyto_risk:cat"]

R_WHOLE = r"""
suppressMessages(library(survival))
d <- read.csv(commandArgs(TRUE)[1])
d$g <- cut(d$ikzf1, quantile(d$ikzf1), include.lowest = TRUE, labels = paste0("Q", 1:4))
km <- survfit(Surv(pfs_months, pfs_event) ~ g, data = d)
print(summary(km)$table)
print(survdiff(Surv(pfs_months, pfs_event) ~ g, data = d))
print(summary(coxph(Surv(pfs_months, pfs_event) ~ g + age + cyto_risk, data = d)))
"""

R_COX = r"""
suppressMessages(library(survival))
d <- read.csv(commandArgs(TRUE)[1])
d$g <- cut(d$ikzf1, quantile(d$ikzf1), include.lowest = TRUE, labels = paste0("Q", 1:4))
times <- replicate(3, {st <- system.time(
    f <<- coxph(Surv(pfs_months, pfs_event) ~ g + age + cyto_risk, data = d))
    c(st[["elapsed"]], st[["user.self"]] + st[["sys.self"]])})
cat("cox", min(times[1, ]), length(coef(f)), f$concordance[["concordance"]], min(times[2, ]), "\n")
"""

LIFELINES_WHOLE = r"""
import sys
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

d = pd.read_csv(sys.argv[1])
d["g"] = pd.qcut(d["ikzf1"], 4, labels=["Q1", "Q2", "Q3", "Q4"])
for label, rows in d.groupby("g", observed=True):
    km = KaplanMeierFitter().fit(rows["pfs_months"], rows["pfs_event"], label=str(label))
    print(label, km.median_survival_time_)
print(multivariate_logrank_test(d["pfs_months"], d["g"], d["pfs_event"]).p_value)
x = pd.get_dummies(d[["g", "cyto_risk"]], drop_first=True, dtype=float)
x[["age", "T", "E"]] = d[["age", "pfs_months", "pfs_event"]]
cph = CoxPHFitter().fit(x, "T", "E", fit_options={"precision": 1e-12})
print(cph.summary[["coef", "p"]], cph.concordance_index_)
"""


#: CPU seconds (user + sys) of the best run of each command, filled by :func:`run`: on a
#: machine shared with other CPU-heavy work the wall time swings with the neighbours' load,
#: the CPU time much less (ratios of both are printed).
CPU: dict[str, float] = {}


def run(command: list[str], repeat: int = 1) -> tuple[float, float]:
    """Best wall time (s) and the largest peak resident memory (MB) of ``repeat`` runs.

    The peak is GNU time's ``%M`` of the command itself: the rusage of a child forked from
    this (large) process would also count the pages it inherited before ``exec``. The least
    CPU time (user + sys, ``%U`` + ``%S``) goes to ``CPU[" ".join(command)]``.
    """
    best, peak, cpu = float("inf"), 0.0, float("inf")
    timer = shutil.which("time") or "/usr/bin/time"
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run([timer, "-f", "@@peak %M %U %S", *command],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(command)}\n{proc.stderr[-2000:]}")
        kb = [line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("@@peak")]
        best, peak = min(best, elapsed), max(peak, float(kb[-1][0]) / 1024 if kb else 0.0)
        if kb:
            cpu = min(cpu, float(kb[-1][1]) + float(kb[-1][2]))
    CPU[" ".join(command)] = cpu
    return best, peak


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cohort_explorer.cli", *args]


def script(workdir: Path, name: str, text: str) -> Path:
    path = workdir / name
    path.write_text(text)
    return path


def bench_startup(repeat: int) -> None:
    lung = ROOT / "tests" / "reference" / "data" / "analysis_lung.csv"
    print("\n== start-up (best of", repeat, "runs, s) ==")
    for label, args in (("--version", ["--version"]), ("--help", ["--help"]),
                        ("analyze, 228 rows", ["analyze", str(lung), "--time", "time", "--event",
                                               "status=2", "--group-by", "sex",
                                               "--covariates", "age,ph.ecog"])):
        seconds, _ = run(cli(*args), repeat)
        target = 0.8 if label.startswith("analyze") else 0.25
        print(f"{label:<20}{seconds:8.3f} s   target <= {target} s: "
              f"{'ok' if seconds <= target else 'MISSED'}")


def bench_whole(n: int, workdir: Path, repeat: int) -> dict[str, float]:
    from cohort_explorer.sample import write_sample

    csv = workdir / f"cohort_{n}.csv"
    write_sample(csv, n=n, seed=7)
    r_script = script(workdir, "whole.R", R_WHOLE)
    py_script = script(workdir, "whole_lifelines.py", LIFELINES_WHOLE)
    commands = {
        "cohort-explorer analyze (json)": cli("analyze", str(csv), *ANALYZE),
        "cohort-explorer analyze (text)": cli("analyze", str(csv), *ANALYZE, "--output", "text"),
    }
    if shutil.which("Rscript"):
        commands["Rscript survival"] = ["Rscript", str(r_script), str(csv)]
    commands["lifelines script"] = [sys.executable, str(py_script), str(csv)]
    rows = {label: run(command, 1 if label.startswith("lifelines") and n > 200_000 else repeat)
            for label, command in commands.items()}
    cpu = {label: CPU[" ".join(command)] for label, command in commands.items()}
    print(f"\n== whole process, {n:,} rows (best wall time; CPU user+sys; peak memory) ==")
    ours, ours_cpu = rows["cohort-explorer analyze (json)"][0], cpu["cohort-explorer analyze (json)"]
    for label, (seconds, mb) in rows.items():
        ratio = (f"ours(json)/this = {ours / seconds:5.2f}x wall, "
                 f"{ours_cpu / cpu[label]:5.2f}x CPU" if not label.startswith("cohort") else "")
        print(f"{label:<32}{seconds:8.2f} s {cpu[label]:7.2f} s CPU {mb:6.0f} MB   {ratio}")
    return {label: seconds for label, (seconds, _) in rows.items()} | {"csv": str(csv)}


def bench_cox(csv: str, workdir: Path, repeat: int) -> None:
    import numpy as np
    import pandas as pd

    from cohort_explorer.stats.cox import fit_cox

    d = pd.read_csv(csv, usecols=["pfs_months", "pfs_event", "ikzf1", "age", "cyto_risk"])
    q = np.searchsorted(np.quantile(d["ikzf1"], [0.25, 0.5, 0.75]), d["ikzf1"], side="left")
    design = pd.DataFrame({f"g=Q{k + 1}": (q == k).astype(float) for k in (1, 2, 3)})
    design["age"] = d["age"].to_numpy(float)
    design["cyto_risk=standard"] = (d["cyto_risk"] == "standard").to_numpy(float)
    t, e = d["pfs_months"].to_numpy(float), d["pfs_event"].to_numpy(float)
    times, cpu_times = [], []
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = fit_cox(t, e, design)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    ours, ours_cpu = min(times), min(cpu_times)
    line = (f"fit_cox (Efron, 5 coefficients, concordance {result.concordance:.6f}): {ours:.3f} s "
            f"({ours_cpu:.3f} s CPU)")
    if shutil.which("Rscript"):
        out = subprocess.run(["Rscript", str(script(workdir, "cox.R", R_COX)), csv],
                             capture_output=True, text=True, check=True).stdout.split()
        r_seconds, r_cpu = float(out[1]), float(out[4])
        line += (f"; R coxph {r_seconds:.3f} s ({r_cpu:.3f} s CPU, concordance "
                 f"{float(out[3]):.6f}); ratio {ours / r_seconds:.2f}x wall, "
                 f"{ours_cpu / r_cpu:.2f}x CPU (target <= 0.3x)")
    print(f"\n== Cox fit alone, {len(t):,} rows (best of {repeat}) ==\n{line}")


def bench_read(workdir: Path) -> None:
    """``read_table`` on a ~100 MB CSV (every column; target <= 10 s)."""
    import io

    from cohort_explorer.io import read_table
    from cohort_explorer.sample import make_sample

    data = make_sample(1_300_000, seed=11).to_csv(index=False).encode()
    start = time.perf_counter()
    read_table(io.BytesIO(data), filename="big.csv")
    print(f"\nread_table on a {len(data) / 2**20:.0f} MB CSV, every column: "
          f"{time.perf_counter() - start:.2f} s (target <= 10 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--app", action="store_true", help="also time the app (bench/app_rerun.py)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()}")
    # A user's second run finds the engine's byte code cached; where PYTHONDONTWRITEBYTECODE
    # is set (CI, this sandbox) nothing is cached and every run compiles ~80 modules (~0.2 s).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")],
                   check=True, stdout=subprocess.DEVNULL)
    bench_startup(args.repeat)
    targets = {100_000: 0.5, 1_000_000: 0.3}
    with tempfile.TemporaryDirectory(prefix="cohort-bench-") as tmp:
        results = {}
        for n in (int(v) for v in args.sizes.split(",")):
            results[n] = bench_whole(n, Path(tmp), args.repeat)
        print("\n== ratios (same run; < 1 = Cohort Explorer is faster) ==")
        for n, row in results.items():
            ours = row["cohort-explorer analyze (json)"]
            if "Rscript survival" in row:
                target = targets.get(n)
                print(f"{n:>9,} rows  ours/R         = {ours / row['Rscript survival']:5.2f}x"
                      + (f"  (target <= {target}x)" if target else "")
                      + "  (CPU ratios in the table above)")
            print(f"{n:>9,} rows  ours/lifelines = {ours / row['lifelines script']:5.2f}x"
                  + ("  (target <= 0.15x)" if n == 1_000_000 else ""))
        largest = max(results)
        bench_cox(results[largest]["csv"], Path(tmp), args.repeat)
        bench_read(Path(tmp))
    subprocess.run([sys.executable, str(ROOT / "bench" / "deeper.py")], check=False)
    print(f"\nload at the end {os.getloadavg()}")
    if args.app:
        subprocess.run([sys.executable, str(ROOT / "bench" / "app_rerun.py"), "--deeper"],
                       check=False)


if __name__ == "__main__":
    main()
