"""AppTest limits are floors, not waits: a slow run on a busy machine still passes
(tests/conftest.py raises every AppTest script-run limit to APPTEST_TIMEOUT)."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest
from tests.conftest import APPTEST_TIMEOUT


def test_a_run_slower_than_its_own_limit_still_finishes():
    at = AppTest.from_string("import time\ntime.sleep(2)\nimport streamlit as st\nst.write('done')",
                             default_timeout=0.5)
    started = time.monotonic()
    at.run()
    assert not at.exception and at.markdown[0].value == "done"
    assert APPTEST_TIMEOUT >= 60
    assert time.monotonic() - started < 60  # a limit, not a wait
