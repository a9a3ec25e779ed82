"""``cohort-explorer app`` outside a source checkout: the files a wheel installs are enough.

The wheel's ``data-files`` (``pyproject.toml``) are copied into a folder outside the checkout,
as ``pip`` installs them under ``<prefix>/share/cohort-explorer``; the console command finds
them there and serves the app from that folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from cohort_explorer.app_files import APP_DIR_NAME, candidates, find_app_dir
from tests.conftest import ROOT
from tests.streamlit_server import free_port


def _install_data_files(prefix: Path) -> Path:
    """Copy the wheel's data-files under ``prefix`` as pip would; the app folder."""
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    for target, patterns in spec.items():
        folder = prefix / target
        folder.mkdir(parents=True, exist_ok=True)
        for pattern in patterns:
            matches = glob.glob(str(ROOT / pattern))
            assert matches, f"data-files pattern {pattern} matches nothing"
            for match in matches:
                shutil.copy(match, folder)
    return prefix / "share" / APP_DIR_NAME


def test_the_installed_files_are_found_outside_the_checkout(tmp_path, monkeypatch):
    app_dir = _install_data_files(tmp_path)
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert app_dir in candidates()
    monkeypatch.setattr("cohort_explorer.app_files.Path.resolve",
                        lambda self: Path("/nonexistent/src/cohort_explorer/app_files.py"))
    assert find_app_dir() == app_dir


def test_console_command_serves_the_installed_app(tmp_path):
    app_dir = _install_data_files(tmp_path / "prefix")
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    port = free_port()
    env = {**os.environ, "COHORT_EXPLORER_HOME": str(app_dir),
           "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "app.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "cohort_explorer.cli", "app", "--port", str(port)],
        cwd=elsewhere, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, healthy = time.monotonic() + 120, False
        while time.monotonic() < deadline and process.poll() is None and not healthy:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as response:
                    healthy = response.read() == b"ok"
            except OSError:
                time.sleep(0.25)
        assert healthy, (tmp_path / "app.log").read_text()[-2000:]
        # the command became the server (exec): same process, serving from the app folder
        assert os.readlink(f"/proc/{process.pid}/cwd") == str(app_dir)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_missing_app_files_are_one_clear_line(tmp_path, monkeypatch, capsys):
    from cohort_explorer import cli

    monkeypatch.setattr("cohort_explorer.app_files.find_app_dir", lambda: None)
    assert cli.main(["app"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "COHORT_EXPLORER_HOME" in err
