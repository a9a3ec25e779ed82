"""Shared AppTest steps: run a script run, switch page, upload a file — each asserting that
the app raised nothing (``at.exception`` empty) after every run."""

from __future__ import annotations

import re

from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
TIMEOUT = 30  # seconds per script run on 2 cores


def run(at: AppTest, *, timeout: float = TIMEOUT) -> AppTest:
    """One script run; fails the test on any exception the app raised."""
    at.run(timeout=timeout)
    assert not at.exception, [e.value for e in at.exception]
    return at


def start(*, timeout: float = TIMEOUT) -> AppTest:
    """A new session of the app (the synthetic sample loaded)."""
    return run(AppTest.from_file(APP, default_timeout=timeout), timeout=timeout)


def page(at: AppTest, path: str, *, timeout: float = TIMEOUT) -> AppTest:
    """Switch to ``path`` (e.g. ``pages/survival.py``) and run it."""
    at.switch_page(path)
    return run(at, timeout=timeout)


def upload(at: AppTest, name: str, data: bytes, *, mime: str = "text/csv",
           timeout: float = TIMEOUT) -> AppTest:
    """Upload ``data`` as file ``name`` on the Data page (going there first if needed)."""
    if not at.file_uploader:
        page(at, "pages/data.py", timeout=timeout)
    at.file_uploader(key="data_upload").set_value((name, data, mime))
    return run(at, timeout=timeout)


def plain(text) -> str:
    """What the viewer reads of Markdown made inert by ``md``: escapes, word joiners and
    leading-space entities removed."""
    text = re.sub(r"\\(.)", r"\1", str(text)).replace("\u2060", "")
    return text.replace("&#32;", " ")


def plain_table(table):
    """An AppTest ``st.table`` value as the viewer reads it (headers and text cells)."""
    frame = table.value.copy()
    frame.columns = [plain(c) for c in frame.columns]
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: plain(v) if isinstance(v, str) else v)
    return frame


def spy_downloads(monkeypatch) -> dict:
    """File name -> data callable of every deferred download button drawn (the report's files)."""
    downloads: dict = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        downloads[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name,
                        **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return downloads


def deeper_session(screen: list[str]) -> AppTest:
    """The sample with the deeper analyses a report carries: the Biomarker page's bootstrap
    (B = 100), the Survival page, the Hazard ratios page with the univariable ``screen``."""
    at = page(start(), "pages/biomarker.py")
    at.number_input(key="bio_boot_b").set_value(100)
    run(at)
    at.button(key="bio_boot_run").click()
    run(at)
    at = page(at, "pages/survival.py")
    at = page(at, "pages/hazard_ratios.py")
    at.multiselect(key="hr_screen_w").set_value(screen)
    return run(at)


def swapped_competing_event(at: AppTest) -> AppTest:
    """On the Survival page: competing risks from the sample's ``pfs_cause`` with death (2) as
    the event of interest and progression (1) as the competing event."""
    at.selectbox(key="km_cr_col_w").set_value("pfs_cause")
    run(at)
    at.selectbox(key="km_cr_event_pfs_cause").set_value("2")
    run(at)
    at.selectbox(key="km_cr_other_pfs_cause").set_value("1")
    return at
