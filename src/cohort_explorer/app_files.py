"""Where the web app's files are: a source checkout, or the copy a wheel installs.

``cohort-explorer app`` needs ``app.py``, ``serve.py``, ``pages/``, ``assets/``, ``sample_data/`` and
``.streamlit/config.toml``. In a checkout (or an editable install) they sit beside ``src/``; a
wheel installs a copy under ``<prefix>/share/cohort-explorer`` (``data-files`` in
``pyproject.toml``). ``COHORT_EXPLORER_HOME`` overrides both.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

__all__ = ["APP_DIR_NAME", "candidates", "find_app_dir"]

APP_DIR_NAME = "cohort-explorer"


def candidates() -> list[Path]:
    """Folders that may hold ``app.py``, in the order they are tried."""
    found = []
    if os.environ.get("COHORT_EXPLORER_HOME"):
        found.append(Path(os.environ["COHORT_EXPLORER_HOME"]))
    found.append(Path(__file__).resolve().parents[2])  # src/cohort_explorer -> checkout
    for prefix in (sys.prefix, sysconfig.get_path("data"), sys.base_prefix):
        found.append(Path(prefix) / "share" / APP_DIR_NAME)
    found.append(Path(sysconfig.get_path("data", f"{os.name}_user")) / "share" / APP_DIR_NAME)
    return list(dict.fromkeys(found))


def find_app_dir() -> Path | None:
    """The first candidate folder with ``app.py`` and ``pages/``, or None."""
    for folder in candidates():
        if (folder / "app.py").is_file() and (folder / "pages").is_dir():
            return folder
    return None
