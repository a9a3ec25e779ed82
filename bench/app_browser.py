"""The app as a person meets it, timed in a real browser (Playwright + Debian Chromium).

1. First page of a fresh server: from ``page.goto`` to the Data page drawn and settled
   (target <= 3 s).
2. Upload of a ``--rows`` CSV (default 1M rows) on the Data page, then the Survival page until
   the Kaplan–Meier plot is drawn (target <= 8 s), and until the page is complete (its Cox
   table shown and no script running).
3. A Survival-page rerun after a widget change (the split), until the new plot is drawn
   (target <= 1 s, median of ``--repeat`` changes).

Never collected by pytest; loopback only. ``python bench/app_browser.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.streamlit_server import free_port, start_server, stop_server  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SPLITS = ("Q1 vs rest", "Quartiles", "Median split", "Tertiles")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the server's work, which on a
    shared machine varies much less with the load than wall time does."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled(page) -> None:
    from playwright.sync_api import expect

    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=180_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=180_000)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=180_000)


class Runs:
    """Counts the server's ``script_finished`` messages on the page's WebSocket: a rerun is
    over when its message has arrived (the page's "running" attribute alone misses reruns
    whose start and end render in one batch; see bench/soak.py)."""

    def __init__(self, page) -> None:
        self.finished = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        try:
            message = ForwardMsg.FromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg
            return
        if message.WhichOneof("type") == "script_finished" and message.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            self.finished += 1

    def after(self, page, before: int, timeout: float = 300.0) -> None:
        """Wait (polling the page's event loop) until a run finished after ``before``."""
        deadline = time.perf_counter() + timeout
        while self.finished <= before:
            if time.perf_counter() > deadline:
                raise TimeoutError("no script_finished")
            page.wait_for_timeout(5)


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def open_panel(page) -> None:
    """The choices are folded under 'Change the analysis': open the panel once."""
    panel = page.get_by_test_id("stExpander").filter(has_text="Change the analysis")
    split = panel.get_by_role("combobox", name="Split")
    if not split.is_visible():
        panel.get_by_text("Change the analysis").first.click()
    split.wait_for(state="visible", timeout=30_000)
    settled(page)


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    from cohort_explorer.sample import write_sample

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="cohort-app-bench-") as tmp:
        csv = Path(tmp) / f"cohort_{args.rows}.csv"
        write_sample(csv, n=args.rows, seed=3)
        port = free_port()
        server = start_server(port, Path(tmp) / "server.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM,
                                            args=["--no-sandbox", "--disable-dev-shm-usage"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                runs = Runs(page)
                cpu = cpu_seconds(server.pid)
                start = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/")
                expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(
                    timeout=120_000)
                settled(page)
                first = time.perf_counter() - start
                print(f"first page of a fresh server: {first:.2f} s (target <= 3 s); server CPU "
                      f"{cpu_seconds(server.pid) - cpu:.2f} s")

                cpu = cpu_seconds(server.pid)
                start = time.perf_counter()
                page.get_by_test_id("stFileUploader").locator("input[type=file]") \
                    .set_input_files(str(csv))
                expect(page.get_by_test_id("stSidebar").get_by_text(csv.name)).to_be_visible(
                    timeout=300_000)
                settled(page)
                page.get_by_role("link", name="Survival").click()
                expect(page.get_by_role("heading", name="Survival", level=1)).to_be_visible()
                chart = page.get_by_test_id("stPlotlyChart").first
                expect(chart.locator(".main-svg").first).to_be_visible(timeout=300_000)
                upload = time.perf_counter() - start
                upload_cpu = cpu_seconds(server.pid) - cpu
                expect(page.get_by_text("Hazard ratios against").first).to_be_visible(
                    timeout=300_000)
                settled(page)
                whole = time.perf_counter() - start
                print(f"upload of {csv.stat().st_size / 2**20:.0f} MB ({args.rows:,} rows) to a "
                      f"drawn KM: {upload:.2f} s (target <= 8 s; server CPU {upload_cpu:.2f} s); "
                      f"page complete with the Cox model: {whole:.2f} s (server CPU "
                      f"{cpu_seconds(server.pid) - cpu:.2f} s)")

                open_panel(page)
                times, cpus = [], []
                for i in range(args.repeat * len(SPLITS)):
                    split = SPLITS[i % len(SPLITS)]
                    before = runs.finished
                    cpu = cpu_seconds(server.pid)
                    start = time.perf_counter()
                    choose(page, "Split", split)
                    runs.after(page, before)
                    settled(page)
                    expect(chart.locator(".main-svg").first).to_be_visible()
                    times.append(time.perf_counter() - start)
                    cpus.append(cpu_seconds(server.pid) - cpu)
                print(f"Survival rerun after changing the split, {args.rows:,} rows: median "
                      f"{statistics.median(times):.2f} s, max {max(times):.2f} s "
                      f"(target <= 1 s; first round includes cache misses: "
                      f"{', '.join(f'{t:.2f}' for t in times[:len(SPLITS)])}); server CPU median "
                      f"{statistics.median(cpus):.2f} s, first round "
                      f"{', '.join(f'{t:.2f}' for t in cpus[:len(SPLITS)])}")
                browser.close()
        finally:
            stop_server(server)
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()
