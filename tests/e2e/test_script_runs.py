"""The run tracker of the browser tests (``script_runs``) reads Streamlit's messages right: fed
the messages of a page that reruns itself once (Streamlit's own protobuf classes serialise
them), it calls the app idle only after the second run has ended."""

from __future__ import annotations

import pytest
from streamlit.proto.Delta_pb2 import Delta
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.SessionStatus_pb2 import SessionStatus
from tests.e2e.script_runs import IDLE, TRACKER

pytestmark = pytest.mark.browser


def _status(running: bool) -> ForwardMsg:
    return ForwardMsg(session_status_changed=SessionStatus(script_is_running=running))


def _element(text: str) -> ForwardMsg:
    message = ForwardMsg(hash="h" * 40, delta=Delta())
    message.metadata.delta_path.extend([0, 7])
    message.delta.new_element.markdown.body = text * 50  # a long one: sizes of several bytes
    return message


def test_the_tracker_waits_for_the_end_of_a_run_that_reruns_itself(browser):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.evaluate(TRACKER)
        steps = [
            (_status(True), False),
            (_element("first stage "), False),
            (ForwardMsg(script_finished=ForwardMsg.FINISHED_EARLY_FOR_RERUN), False),
            (_status(False), False),  # the gap between the two runs: not idle
            (_status(True), False),
            (_element("second stage "), False),
            (ForwardMsg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY), False),  # running
            (_status(False), True),
        ]
        seen = []
        for message, _ in steps:
            page.evaluate("bytes => window.__streamlitRuns.read({data: new Uint8Array(bytes)"
                          ".buffer})", list(message.SerializeToString()))
            seen.append(page.evaluate(f"({IDLE})(0)"))
        assert seen == [idle for _, idle in steps]
        assert page.evaluate("window.__streamlitRuns.finished") == 1
        assert page.evaluate(f"({IDLE})(1)") is False  # a further run is awaited after one
    finally:
        context.close()
