"""Server time of a Survival-page rerun (AppTest ``run()`` wall time), warm cache.

Targets (issue 4): <= 150 ms on the 60-patient sample, <= 2 s on 100,000 rows, and an
unchanged rerun served from the cache. Called by ``bench/bench.py``; never collected by pytest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from cohort_explorer.sample import make_sample  # noqa: E402

RULES = ("Quartiles", "Q1 vs rest", "Median split", "Tertiles")


def _run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run(timeout=120)
    elapsed = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"app raised: {[e.value for e in at.exception]}")
    return elapsed


def _survival_page(rows: int | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    _run(at)
    if rows is not None:
        data = make_sample(rows, seed=3).to_csv(index=False).encode()
        at.file_uploader(key="data_upload").set_value((f"synthetic_{rows}.csv", data, "text/csv"))
        print(f"  upload + parse + Data page of {len(data) / 2**20:.1f} MB: {_run(at):.2f} s")
    at.switch_page("pages/survival.py")
    _run(at)
    return at


def measure(rows: int | None, repeat: int) -> None:
    label = "sample (60 rows)" if rows is None else f"{rows:,} rows"
    print(f"\nSurvival page rerun, {label}:")
    at = _survival_page(rows)
    for rule in RULES:  # warm the cache for every choice
        at.selectbox(key="km_rule_w").set_value(rule)
        _run(at)
    changed = []
    for i in range(repeat * len(RULES)):
        at.selectbox(key="km_rule_w").set_value(RULES[i % len(RULES)])
        changed.append(_run(at))
    unchanged = [_run(at) for _ in range(repeat)]
    target = 0.150 if rows is None else 2.0
    median = statistics.median(changed)
    print(f"  after a widget change: median {median * 1000:.0f} ms, "
          f"max {max(changed) * 1000:.0f} ms (target <= {target * 1000:.0f} ms: "
          f"{'ok' if median <= target else 'MISSED'})")
    print(f"  unchanged inputs: median {statistics.median(unchanged) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    measure(None, args.repeat)
    measure(args.rows, args.repeat)


if __name__ == "__main__":
    main()
