"""Soak and concurrency test of the real app on loopback (``make soak``; never collected by pytest).

1. **Reruns**: one browser session on the Survival page of the sample cohort makes ``--reruns``
   (200) consecutive changes of choice (split rule, endpoint, confidence bands, optimal cut …);
   the resident memory (RSS) of the server process is sampled throughout. Pass: growth after
   a warm-up below ``--mem-limit`` MB (50).
2. **Concurrency**: ``--sessions`` (4) browser sessions change choices at the same time for
   ``--duration`` seconds (120). Reported: reruns done, errors (exception boxes, page errors,
   timeouts), and the rerun time (click to settled page) p50 / p95 / max. Pass: no error.
3. **Bomb files** (``bench/bombs.py``): ``--bomb-uploads`` (3) sessions, one after the other,
   each upload a 0.3 MB workbook of 300 shared strings of 1 MB; each session then closes.
   Reported: server RSS before, peak, after the uploads, and after the closed sessions were
   dropped (``server.disconnectedSessionTTL`` is 10 s for the soak; the app reaps closed
   sessions and trims the heap every 20 s); what the app said for each upload. Pass: peak
   growth and the growth left after the sessions closed both within ``--bomb-limit`` MB (300).

A rerun is timed from the click until the server's ``script_finished`` message for it has
arrived on the session's WebSocket (decoded with Streamlit's own protobuf classes) and the page
shows no running script and no stale element. (Watching the page's "running" attribute alone
misses reruns whose start and end React renders in one batch, which happens under load.) Everything is bounded (per-action timeout, ``--max-seconds`` overall) and the
server, bound to 127.0.0.1 on a free port, is always stopped. Results are printed and written
to ``bench/results/soak.json``. Exit code 1 when a pass condition fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bombs import BOMBS  # noqa: E402 - bench/bombs.py, beside this script
from tests.streamlit_server import free_port, start_server, stop_server  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
                 "--disable-backgrounding-occluded-windows"]
#: One cycle of choices on the Survival page (in its "Change the analysis" panel, opened
#: once per session); every step changes the state, the cycle ends where it started (PFS,
#: quartiles, confidence bands automatic).
BANDS_AUTO = "Automatic (on for one or two groups)"
CYCLE = (
    ("select", "Split", "Tertiles"),
    ("select", "Endpoint", "OS"),
    ("select", "Split", "Median split"),
    ("select", "Confidence bands", "On"),
    ("select", "Split", "Q1 vs rest"),
    ("select", "Endpoint", "PFS"),
    ("select", "Split", "Optimal cut point (maxstat)"),
    ("select", "Confidence bands", BANDS_AUTO),
    ("select", "Split", "Quartiles"),
)
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]');
}"""


# --------------------------------------------------------------------------- server
def rss_mb(pid: int) -> float:
    """Resident set size of one process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


# --------------------------------------------------------------------------- browser
class Session:
    """One browser context = one Streamlit session, driven through the Survival page."""

    def __init__(self, page, timeout_ms: int):
        self.page = page
        self.timeout_ms = timeout_ms
        self.step = 0
        self.errors: list[str] = []
        self.by_action: dict[str, list[float]] = {}
        self.finished = 0  # script_finished messages received (successful runs)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("websocket", self._watch)

    def _watch(self, websocket) -> None:
        websocket.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        try:
            message = ForwardMsg.FromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg (should not happen)
            return
        if message.WhichOneof("type") == "script_finished" and message.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            self.finished += 1

    async def _until(self, condition, what: str) -> None:
        deadline = time.perf_counter() + self.timeout_ms / 1000
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no {what} within {self.timeout_ms / 1000:g} s")
            await asyncio.sleep(0.01)

    async def open(self, url: str) -> None:
        await self.page.goto(f"{url}/survival")
        await self.page.get_by_role("heading", name="Survival", level=1).wait_for()
        # The choices are folded away under the results: open their panel once per session
        # (before the wait for a steady page below, in case opening it reruns).
        panel = self.page.get_by_test_id("stExpander").filter(has_text="Change the analysis")
        endpoint = panel.get_by_role("combobox", name="Endpoint")
        await panel.get_by_text("Change the analysis").first.wait_for(timeout=self.timeout_ms)
        if not await endpoint.is_visible():
            await panel.get_by_text("Change the analysis").first.click()
        await endpoint.wait_for(state="visible", timeout=self.timeout_ms)
        # A first load may run twice (the viewer's theme is reported and reruns): wait until
        # no run has finished for a second, so the first timed rerun is a steady one.
        while True:
            await self.page.wait_for_function(IDLE, timeout=self.timeout_ms)
            runs = self.finished
            await asyncio.sleep(1.0)
            if self.finished == runs and runs > 0:
                break

    async def _act(self, kind: str, label: str, option: str | None) -> None:
        page = self.page
        if kind == "select":
            await page.get_by_role("combobox", name=label).click()
            await page.get_by_role("option", name=option, exact=True).click()
        else:
            await page.get_by_text(label, exact=True).click()

    async def _diagnose(self, before: int, label: str) -> str:
        """What the page looked like when a rerun did not settle (for the error report)."""
        try:
            return await self.page.evaluate(
                """([before, label]) => {
                  const app = document.querySelector('[data-testid="stApp"]');
                  const box = [...document.querySelectorAll('input[role="combobox"]')]
                    .find(e => e.getAttribute('aria-label')?.startsWith(label));
                  return `runs ${before}, state ${app?.getAttribute(
                    'data-test-script-state')}, stale ${document.querySelectorAll(
                    '[data-stale="true"]').length}, exception ${document.querySelectorAll(
                    '[data-testid="stException"]').length}, ${label}=${box?.value ??
                    box?.getAttribute('aria-label')}, legend: ${[...document.querySelectorAll(
                    '.legendtext')].map(e => e.textContent).join(' | ').slice(0, 120)}`;
                }""", [before, label])
        except Exception as error:  # noqa: BLE001
            return f"no diagnosis: {type(error).__name__}"

    async def rerun(self) -> float | None:
        """Make the next change of choice; its rerun time in seconds (None on error)."""
        kind, label, option = CYCLE[self.step % len(CYCLE)]
        self.step += 1
        page = self.page
        before = self.finished
        try:
            start = time.perf_counter()
            await self._act(kind, label, option)
            await self._until(lambda: self.finished > before, "script_finished")
            await page.wait_for_function(IDLE, timeout=self.timeout_ms)
            elapsed = time.perf_counter() - start
        except Exception as error:  # noqa: BLE001 - any failure is counted and reported
            state = await self._diagnose(self.finished - before, label)
            self.errors.append(f"step {self.step} ({label} {option or ''}): "
                               f"{type(error).__name__}: {str(error).splitlines()[0][:100]}"
                               f" [{state}]")
            return None
        exceptions = await page.get_by_test_id("stException").count()
        if exceptions:
            self.errors.append(f"step {self.step}: exception box on screen")
            return None
        self.by_action.setdefault(f"{label}: {option or 'toggle'}", []).append(elapsed)
        return elapsed


def summary(times: list[float]) -> dict:
    if not times:
        return {"count": 0}
    ordered = sorted(times)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return {"count": len(times), "p50_s": round(statistics.median(ordered), 3),
            "p95_s": round(p95, 3), "max_s": round(ordered[-1], 3),
            "mean_s": round(statistics.fmean(ordered), 3)}


async def rerun_soak(browser, url: str, pid: int, reruns: int, warmup: int,
                     timeout_ms: int, deadline: float) -> dict:
    context = await browser.new_context(viewport={"width": 1400, "height": 1100})
    try:
        session = Session(await context.new_page(), timeout_ms)
        await session.open(url)
        start_rss = rss_mb(pid)
        samples, times = [(0, round(start_rss, 1))], []
        warm_rss = start_rss
        for index in range(1, reruns + 1):
            if time.monotonic() > deadline:
                session.errors.append(f"stopped by --max-seconds after {index - 1} reruns")
                break
            elapsed = await session.rerun()
            if elapsed is not None:
                times.append(elapsed)
            if index == warmup:
                warm_rss = rss_mb(pid)
            if index % 20 == 0 or index == reruns:
                samples.append((index, round(rss_mb(pid), 1)))
                print(f"  rerun {index:3d}: server RSS {samples[-1][1]:.1f} MB", flush=True)
        end_rss = rss_mb(pid)
    finally:
        await context.close()
    return {"reruns": len(times) + len(session.errors), "errors": session.errors,
            "rss_start_mb": round(start_rss, 1), "rss_after_warmup_mb": round(warm_rss, 1),
            "rss_end_mb": round(end_rss, 1),
            "growth_after_warmup_mb": round(end_rss - warm_rss, 1),
            "growth_total_mb": round(end_rss - start_rss, 1),
            "rss_samples": samples, "rerun_time": summary(times),
            "rerun_time_by_action": {k: summary(v) for k, v in session.by_action.items()}}


async def concurrent_soak(browser, url: str, pid: int, sessions: int, duration: float,
                          timeout_ms: int, deadline: float) -> dict:
    contexts = [await browser.new_context(viewport={"width": 1400, "height": 1100})
                for _ in range(sessions)]
    try:
        users = [Session(await c.new_page(), timeout_ms) for c in contexts]
        await asyncio.gather(*(u.open(url) for u in users))
        stop_at = min(time.monotonic() + duration, deadline)
        peak = rss_mb(pid)

        async def loop(user: Session) -> list[float]:
            times = []
            while time.monotonic() < stop_at:
                elapsed = await user.rerun()
                if elapsed is not None:
                    times.append(elapsed)
            return times

        async def watch_memory() -> None:
            nonlocal peak
            while time.monotonic() < stop_at:
                peak = max(peak, rss_mb(pid))
                await asyncio.sleep(1)

        started = time.monotonic()
        results = await asyncio.gather(*(loop(u) for u in users), watch_memory())
        wall = time.monotonic() - started
    finally:
        for context in contexts:
            await context.close()
    times = [t for user_times in results[:-1] for t in user_times]
    merged: dict[str, list[float]] = {}
    for user in users:
        for action, values in user.by_action.items():
            merged.setdefault(action, []).extend(values)
    by_action = {k: summary(v) for k, v in merged.items()}
    errors = [e for u in users for e in u.errors]
    return {"sessions": sessions, "seconds": round(wall, 1), "reruns": len(times),
            "reruns_per_session": [len(r) for r in results[:-1]], "errors": errors,
            "rss_peak_mb": round(peak, 1), "rerun_time": summary(times),
            "rerun_time_by_action": by_action}


#: Seconds a closed session is kept for reconnection on the soak's server (default 120).
SESSION_TTL = 10
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _outcome(page, name: str, timeout_ms: int) -> str:
    """Wait until the upload was read (its name in the sidebar) or refused (an error box)."""
    loaded = page.get_by_test_id("stSidebar").get_by_text(name)
    refused = page.get_by_test_id("stAlertContentError")
    deadline = time.perf_counter() + timeout_ms / 1000
    while time.perf_counter() < deadline:
        if await loaded.count():
            await page.wait_for_function(IDLE, timeout=timeout_ms)
            return "read"
        if await refused.count():
            return "refused: " + (await refused.first.inner_text())[:160].replace("\n", " ")
        await asyncio.sleep(0.1)
    return "timeout"


async def bomb_soak(browser, url: str, pid: int, uploads: int, timeout_ms: int,
                    release_seconds: float, deadline: float) -> dict:
    files = {name: build() for name, build in BOMBS.items()}
    samples: list[float] = []
    stop = asyncio.Event()

    async def watch_memory() -> None:
        while not stop.is_set():
            samples.append(rss_mb(pid))
            await asyncio.sleep(0.25)

    start = rss_mb(pid)
    watcher = asyncio.create_task(watch_memory())
    runs = []
    try:
        for index in range(uploads):
            for name, data in files.items():
                if time.monotonic() > deadline:
                    break
                context = await browser.new_context()
                try:
                    page = await context.new_page()
                    await page.goto(url)
                    await page.get_by_role("heading", name="Data", level=1).wait_for()
                    await page.wait_for_function(IDLE, timeout=timeout_ms)
                    began = time.perf_counter()
                    await page.get_by_test_id("stFileUploader").locator(
                        "input[type=file]").set_input_files(
                        files=[{"name": name, "mimeType": XLSX, "buffer": data}])
                    outcome = await _outcome(page, name, timeout_ms)
                    runs.append({"upload": index + 1, "file": name, "bytes": len(data),
                                 "outcome": outcome,
                                 "seconds": round(time.perf_counter() - began, 1),
                                 "rss_after_mb": round(rss_mb(pid), 1)})
                finally:
                    await context.close()
                print(f"   upload {index + 1}: {runs[-1]}", flush=True)
        after_uploads = rss_mb(pid)
        # the sessions are closed: wait for their TTL, the reaper and the trim
        released = after_uploads
        waited = time.monotonic() + release_seconds
        while time.monotonic() < min(waited, deadline):
            await asyncio.sleep(2.0)
            released = rss_mb(pid)
            if released - start <= 50:
                break
    finally:
        stop.set()
        await watcher
    peak = max(samples + [start])
    return {"files": {n: len(d) for n, d in files.items()}, "uploads": runs,
            "rss_start_mb": round(start, 1), "rss_peak_mb": round(peak, 1),
            "rss_after_uploads_mb": round(after_uploads, 1),
            "rss_after_sessions_closed_mb": round(released, 1),
            "peak_growth_mb": round(peak - start, 1),
            "growth_left_mb": round(released - start, 1)}


async def main_async(args) -> dict:
    from playwright.async_api import async_playwright

    RESULTS.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.max_seconds
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, RESULTS / "soak-server.log",
                          options=("--server.disconnectedSessionTTL", str(SESSION_TTL)))
    report: dict = {"url": url, "chromium": args.chromium}
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=args.chromium,
                                                       args=CHROMIUM_ARGS)
            try:
                if "reruns" in args.phases:
                    print(f"1. {args.reruns} consecutive reruns, one session ({url})",
                          flush=True)
                    report["reruns"] = await rerun_soak(browser, url, server.pid, args.reruns,
                                                        args.warmup, args.timeout * 1000,
                                                        deadline)
                if "concurrent" in args.phases:
                    print(f"2. {args.sessions} concurrent sessions for {args.duration:g} s",
                          flush=True)
                    report["concurrent"] = await concurrent_soak(
                        browser, url, server.pid, args.sessions, args.duration,
                        args.timeout * 1000, deadline)
                if "bombs" in args.phases:
                    print(f"3. bomb files, {args.bomb_uploads} sessions one after the other",
                          flush=True)
                    report["bombs"] = await bomb_soak(
                        browser, url, server.pid, args.bomb_uploads, args.timeout * 1000,
                        args.release_seconds, deadline)
            finally:
                await browser.close()
        report["server_rss_final_mb"] = round(rss_mb(server.pid), 1)
    finally:
        stop_server(server)
    return report


def verdict(report: dict, mem_limit: float, bomb_limit: float = 300.0) -> list[str]:
    failures = []
    reruns = report.get("reruns")
    if reruns and reruns["growth_after_warmup_mb"] >= mem_limit:
        failures.append(f"memory grew {reruns['growth_after_warmup_mb']} MB "
                        f"(limit {mem_limit:g} MB)")
    for part in ("reruns", "concurrent"):
        if part in report and report[part]["errors"]:
            failures.append(f"{part}: {len(report[part]['errors'])} error(s)")
    bombs = report.get("bombs")
    if bombs:
        if bombs["peak_growth_mb"] > bomb_limit:
            failures.append(f"bomb files: peak growth {bombs['peak_growth_mb']} MB "
                            f"(limit {bomb_limit:g} MB)")
        if bombs["growth_left_mb"] > bomb_limit:
            failures.append(f"bomb files: {bombs['growth_left_mb']} MB still held after the "
                            f"sessions closed (limit {bomb_limit:g} MB)")
        if any(run["outcome"] == "timeout" for run in bombs["uploads"]):
            failures.append("bomb files: an upload neither loaded nor was refused in time")
    return failures


def print_bombs(b: dict) -> None:
    print(f"  bomb files {b['files']}: server RSS {b['rss_start_mb']} MB at start, peak "
          f"{b['rss_peak_mb']} MB (+{b['peak_growth_mb']}), {b['rss_after_uploads_mb']} MB after "
          f"the uploads, {b['rss_after_sessions_closed_mb']} MB after the sessions closed "
          f"(+{b['growth_left_mb']})")
    for run in b["uploads"]:
        print(f"    upload {run['upload']} {run['file']}: {run['outcome']} in {run['seconds']} s, "
              f"RSS {run['rss_after_mb']} MB")


def print_report(report: dict, failures: list[str]) -> None:
    if "bombs" in report:
        print("\nSoak results")
        print_bombs(report["bombs"])
    if "reruns" not in report or "concurrent" not in report:
        print("PASS" if not failures else "FAIL: " + "; ".join(failures))
        return
    r, c = report["reruns"], report["concurrent"]
    print("\nSoak results")
    print(f"  reruns: {r['rerun_time'].get('count', 0)} ok, {len(r['errors'])} errors; server RSS "
          f"{r['rss_start_mb']} -> {r['rss_after_warmup_mb']} (after warm-up) -> "
          f"{r['rss_end_mb']} MB: growth {r['growth_after_warmup_mb']} MB after warm-up, "
          f"{r['growth_total_mb']} MB in all")
    print(f"  single-session rerun time: {r['rerun_time']}")
    print(f"  concurrent: {c['sessions']} sessions, {c['seconds']} s, {c['reruns']} reruns "
          f"({c['reruns_per_session']}), {len(c['errors'])} errors, peak RSS {c['rss_peak_mb']} MB")
    print(f"  concurrent rerun time: {c['rerun_time']}")
    for name, part in (("single", r), ("concurrent", c)):
        for action, stats in part["rerun_time_by_action"].items():
            print(f"    {name:10s} {action:42s} p50 {stats.get('p50_s')} s, "
                  f"p95 {stats.get('p95_s')} s (n={stats['count']})")
    for error in (r["errors"] + c["errors"])[:10]:
        print(f"  error: {error}")
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20,
                        help="reruns before the memory baseline (imports, caches)")
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds")
    parser.add_argument("--mem-limit", type=float, default=50.0, help="MB")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per rerun")
    parser.add_argument("--max-seconds", type=float, default=1200.0, help="overall bound")
    parser.add_argument("--bomb-uploads", type=int, default=3)
    parser.add_argument("--bomb-limit", type=float, default=300.0, help="MB")
    parser.add_argument("--release-seconds", type=float, default=90.0,
                        help="longest wait for the closed sessions' memory to be released")
    parser.add_argument("--phases", default="reruns,concurrent,bombs",
                        help="comma-separated: reruns, concurrent, bombs")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    args.phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    if not os.access(args.chromium, os.X_OK):
        print(f"Chromium not found at {args.chromium} (make chromium)", file=sys.stderr)
        return 2
    report = asyncio.run(main_async(args))
    failures = verdict(report, args.mem_limit, args.bomb_limit)
    report["pass"] = not failures
    report["failures"] = failures
    (RESULTS / "soak.json").write_text(json.dumps(report, indent=2))
    print_report(report, failures)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
