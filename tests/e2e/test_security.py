"""Issue 9 in a real browser: shared links and uploads are not a way in.

* Every page, opened with every query parameter set to a Markdown image + link + bare URL +
  e-mail payload (and with an uploaded file whose names and values carry it), shows no link
  and no image pointing outside the server, and the browser requests nothing from any
  non-loopback host (requests that try are recorded and aborted).
* A 60,000-character filter in a link does not freeze the server: the health endpoint answers
  promptly while the page runs.
* Two sessions whose filter lists would have shared a joined cache key each see their own rows.
* The server itself (run under an audit hook, ``audited_server.py``) resolves and connects to
  nothing outside loopback, also when a page of a foreign origin opens a WebSocket, and an
  upload of several MB opens no file for writing (no spool file in /tmp).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
import urllib.request
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import quote, urlsplit

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import SAMPLE_CSV
from tests.e2e.script_runs import REPORT_LIMIT_MS, track
from tests.e2e.test_journeys import (
    PAGES,
    _analysis_controls,
    _go,
    _loaded,
    _no_failure,
    _open,
    _pick,
    _rerun,
)
from tests.streamlit_server import free_port, start_server, stop_server

pytestmark = pytest.mark.browser

PAYLOAD = ("![x](http://198.51.100.7/leak.png) [Session expired - sign in again]"
           "(https://phish.example/login) https://phish.example/bare www.phish.example "
           "help@phish.example :red[**URGENT**] $\\color{red}{X}$ <img src=http://198.51.100.7/i>")
#: The same without ':', '=' and ',' (a composite flag's name must fit NAME=any:COLS):
#: protocol-relative links, a www. name and an e-mail address.
NAME_PAYLOAD = ("![x](//198.51.100.7/leak.png) [Session expired - sign in again]"
                "(//phish.example/login) www.phish.example help@phish.example **URGENT** $x$")
HEADINGS = {name: {"hazard-ratios": "Hazard ratios"}.get(name, name.capitalize())
            for name in PAGES}
#: Every parameter the app mirrors in the URL (pages/_common.py MIRRORED).
PARAMS = ("app_endpoint", "km_kind", "km_col", "km_rule", "km_cuts", "km_order", "km_composite",
          "km_composite_name", "km_reference", "km_landmarks", "km_rmst", "km_pairwise",
          "km_trend", "km_ci", "km_landmark_from", "km_response_col", "hr_terms",
          "hr_with_group", "cohort_biomarker", "cohort_category", "cohort_order", "data_where",
          "data_time_unit", "data_sha256")


def _loopback(url: str) -> bool:
    scheme = urlsplit(url).scheme
    if scheme in ("data", "blob", "about", "chrome-error", "javascript"):
        return True
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class Outside:
    """Records, and aborts, every request of a browser context to a non-loopback host."""

    def __init__(self, context) -> None:
        self.urls: list[str] = []
        context.route(lambda url: not _loopback(url), self._abort)
        context.on("request", self._seen)

    def _abort(self, route) -> None:
        self.urls.append(route.request.url)
        route.abort()

    def _seen(self, request) -> None:
        if not _loopback(request.url) and request.url not in self.urls:
            self.urls.append(request.url)


def _outside_links_and_images(page: Page) -> list[str]:
    found = page.evaluate("""() => [
        ...[...document.querySelectorAll('a[href]')].map(a => a.href),
        ...[...document.querySelectorAll('img[src], image[href], source[src]')]
            .map(e => e.src || e.getAttribute('href')),
        ...[...document.querySelectorAll('link[href]')].map(l => l.href)]""")
    return [url for url in found if url and not _loopback(url)]


def _visit_every_page(page: Page, base: str, query: str, artifacts: Path, tag: str) -> list:
    problems = []
    for name, path in PAGES.items():
        _open(page, f"{base}/{path}?{query}" if query else f"{base}/{path}", HEADINGS[name])
        charts = page.get_by_test_id("stPlotlyChart")
        if charts.count():
            expect(charts.first.locator(".main-svg").first).to_be_visible()
        _no_failure(page)
        page.screenshot(path=str(artifacts / f"security-{tag}-{name}.png"), full_page=True)
        problems += [(name, url) for url in _outside_links_and_images(page)]
        text = page.get_by_test_id("stMain").inner_text()
        assert "Traceback" not in text
    return problems


def test_hostile_link_on_every_page_is_inert(browser, app_url, artifacts):
    context = track(browser.new_context(viewport={"width": 1400, "height": 2400}))
    outside = Outside(context)
    page = context.new_page()
    try:
        every = "&".join(f"{key}={quote(PAYLOAD)}" for key in PARAMS)
        problems = _visit_every_page(page, app_url, every, artifacts, "every-param")
        # the note names the ignored settings, never their values
        _open(page, f"{app_url}/survival?{every}", "Survival")
        expect(page.get_by_text("Some settings of the link were ignored")).to_be_visible()
        # user text that is accepted and shown: a composite's name (Cox table, legend,
        # sidebar) and a category order, on every page
        shown = "&".join([
            "km_kind=" + quote("Composite (any of several 0/1 flags)"),
            "km_composite_name=" + quote(NAME_PAYLOAD),
            "data_where=" + quote(f"sex!={PAYLOAD}")])
        problems += _visit_every_page(page, app_url, shown, artifacts, "composite")
        _open(page, f"{app_url}/survival?{shown}", "Survival")
        expect(page.get_by_test_id("stTable").filter(has_text="(//phish.example/login)").first) \
            .to_be_visible()  # the payload is there, as text
    finally:
        context.close()
    assert problems == []
    assert outside.urls == []


def test_hostile_upload_on_every_page_is_inert(browser, app_url, artifacts, tmp_path):
    df = pd.read_csv(SAMPLE_CSV)
    df["cyto_risk"] = df["cyto_risk"].map({"high": PAYLOAD, "standard": "standard"})
    df = df.rename(columns={"ikzf3": PAYLOAD})
    path = tmp_path / "hostile.csv"
    df.to_csv(path, index=False)
    context = track(browser.new_context(viewport={"width": 1400, "height": 2400}))
    outside = Outside(context)
    page = context.new_page()
    try:
        _open(page, app_url, "Data")
        _rerun(page, lambda: page.get_by_test_id("stFileUploader").locator("input[type=file]")
               .set_input_files(path))
        expect(page.get_by_test_id("stSidebar").get_by_text("hostile.csv")).to_be_visible()
        problems = []
        for name in PAGES:  # by the sidebar: the session keeps its upload
            _go(page, HEADINGS[name])
            if name == "survival":
                _analysis_controls(page)  # the controls are in a folded panel
                _pick(page, "Stratify by", "Category")
                expect(page.get_by_test_id("stTable").filter(has_text="phish.example").first) \
                    .to_be_visible()
            _no_failure(page)
            page.screenshot(path=str(artifacts / f"security-upload-{name}.png"), full_page=True)
            problems += [(name, url) for url in _outside_links_and_images(page)]
    finally:
        context.close()
    assert problems == []
    assert outside.urls == []


def _health_times(url: str, stop: threading.Event, times: list[float]) -> None:
    while not stop.is_set():
        start = time.monotonic()
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=30) as response:
                response.read()
        except OSError:
            times.append(float("inf"))
        else:
            times.append(time.monotonic() - start)
        stop.wait(0.2)


def test_a_60000_character_filter_link_does_not_freeze_the_server(page: Page, app_url):
    stop, times = threading.Event(), []
    poller = threading.Thread(target=_health_times, args=(app_url, stop, times), daemon=True)
    poller.start()
    try:
        _open(page, f"{app_url}/cohort?data_where=a{'+' * 60_000}b", "Cohort")
        expect(page.get_by_text("Some settings of the link were ignored")).to_be_visible()
        expect(page.get_by_text("data_where (longer than 1,000 characters)")).to_be_visible()
        _no_failure(page)
    finally:
        stop.set()
        poller.join(timeout=40)
    assert len(times) >= 2 and max(times) < 2.0, times


def test_filter_lists_of_two_sessions_never_share_a_cache_entry(browser, app_url):
    """['age>50|ikzf1>0.5'] and ['age>50', 'ikzf1>0.5'] joined to the same key before."""
    df = pd.read_csv(SAMPLE_CSV)
    expected = int(((df["age"] > 50) & (df["ikzf1"] > 0.5)).sum())
    contexts = [track(browser.new_context(viewport={"width": 1400, "height": 1400}))
                for _ in range(2)]
    try:
        alice, bob = (c.new_page() for c in contexts)
        _open(alice, f"{app_url}/cohort?data_where={quote('age>50|ikzf1>0.5')}", "Cohort")
        _open(bob, f"{app_url}/cohort?data_where={quote('age>50')}&data_where="
                   f"{quote('ikzf1>0.5')}", "Cohort")
        expect(bob.get_by_text(f"Table 1 describes the {expected} patients")).to_be_visible()
        expect(bob.get_by_test_id("stTable").first).to_be_visible()
        _no_failure(bob)
        expect(alice.get_by_test_id("stAlertContentError").first).to_be_visible()
        expect(alice.get_by_text("Table 1 describes")).to_have_count(0)
        _no_failure(alice)
        alice.reload()  # Alice again, after Bob: still her own (failing) filter
        _loaded(alice, "Cohort")
        expect(alice.get_by_text("Table 1 describes")).to_have_count(0)
        _no_failure(alice)
    finally:
        for context in contexts:
            context.close()


# --------------------------------------------------------------------------- the server itself
@pytest.fixture(scope="module")
def audited(chromium_path, artifacts):
    """The app under the audit hook on its own loopback port: (url, path of the audit log)."""
    log = artifacts / "audit.jsonl"
    log.unlink(missing_ok=True)
    port = free_port()
    process = start_server(port, artifacts / "audited-server.log",
                           launcher="tests/e2e/audited_server.py",
                           env={"AUDIT_LOG": str(log), "BROWSER_PATH": chromium_path})
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        stop_server(process)


def _events(log: Path, start: int = 0) -> list[dict]:
    lines = log.read_text().splitlines()
    assert json.loads(lines[0]) == {"event": "open-write", "detail": os.devnull}  # hook alive
    return [json.loads(line) for line in lines[start:]]


def _not_loopback(events: list[dict]) -> list[dict]:
    bad = []
    for event in events:
        if event["event"] == "resolve" and event["detail"] not in ("localhost", "127.0.0.1",
                                                                   "::1", "None"):
            bad.append(event)
        elif event["event"] == "connect":
            detail = event["detail"]
            host = detail[0] if isinstance(detail, list) else detail
            try:
                if not ip_address(host).is_loopback:
                    bad.append(event)
            except ValueError:
                if not str(host).startswith("/"):  # a Unix socket is local
                    bad.append(event)
    return bad


def _foreign_origin_handshake(url: str) -> int:
    """A WebSocket upgrade to /_stcore/stream with Origin http://evil.example: status code."""
    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               "Origin: http://evil.example\r\nSec-WebSocket-Protocol: streamlit\r\n\r\n")
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(request.encode())
        status = sock.recv(4096).split(b"\r\n", 1)[0]
    return int(status.split()[1])


def test_the_server_makes_no_outside_request(browser, audited, artifacts):
    url, log = audited
    context = track(browser.new_context(viewport={"width": 1400, "height": 1400}))
    outside = Outside(context)
    page = context.new_page()
    try:  # a whole journey in one session: every page by the sidebar, the HTML report
        _open(page, url, "Data")
        for name in list(PAGES)[1:]:
            _go(page, HEADINGS[name])
            _no_failure(page)
        with page.expect_download(timeout=REPORT_LIMIT_MS) as info:  # built on click
            page.get_by_role("button", name="Download the HTML report").click()
        assert info.value.suggested_filename.endswith(".html")
    finally:
        context.close()
    assert _foreign_origin_handshake(url) in (400, 403)  # refused, and no lookup to decide
    assert outside.urls == []
    assert _not_loopback(_events(log)) == []


def test_an_upload_writes_nothing_to_disk(browser, audited, tmp_path):
    """A 6 MB upload (Starlette spooled parts over 1 MB to an anonymous file in /tmp)."""
    url, log = audited
    df = pd.read_csv(SAMPLE_CSV)
    big = pd.concat([df] * 1_000, ignore_index=True)
    big["patient_id"] = [f"MARKER-{i:07d}" for i in range(len(big))]
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)
    assert path.stat().st_size > 5_000_000
    context = track(browser.new_context(viewport={"width": 1400, "height": 1400}))
    page = context.new_page()
    try:
        _open(page, url, "Data")
        start = len(log.read_text().splitlines())
        _rerun(page, lambda: page.get_by_test_id("stFileUploader").locator("input[type=file]")
               .set_input_files(path))
        expect(page.get_by_test_id("stSidebar").get_by_text("big.csv")).to_be_visible()
        expect(page.get_by_text(f"{len(big)} rows", exact=False).first).to_be_visible()
        _no_failure(page)
    finally:
        context.close()
    writes = [e for e in _events(log, start) if e["event"] == "open-write"
              and not e["detail"].endswith((".pyc", ".log")) and "__pycache__" not in e["detail"]
              and not e["detail"].startswith("/dev/")]
    assert writes == []
