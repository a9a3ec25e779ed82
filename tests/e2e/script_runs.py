"""What the browser tests wait for after an action: the app's script runs, as the server reports
them on the WebSocket, counted in the page.

The page's ``data-test-script-state`` alone cannot tell "the run my click asked for is done"
from "that run has not started yet": a click's rerun request reaches the server a moment after
the click, and until the server answers the page still says ``notRunning``. Nor does it see a
page that reruns itself (``st.rerun()``: the Survival page's second stage, a new session's first
run): between the two runs the page says ``notRunning`` for up to a few hundred milliseconds.

So every browser context gets :data:`TRACKER` as an init script. It reads the two ForwardMsg
fields that matter from each binary WebSocket message (a top-level protobuf field walk, no
decoding of anything else; the field numbers are read from Streamlit's own protobuf classes):
``script_finished`` (status ``FINISHED_EARLY_FOR_RERUN`` is not an end: the app reruns itself)
and ``session_status_changed`` (its ``script_is_running``). ``window.__streamlitRuns`` then
holds ``finished`` (runs that ended), ``running`` and ``last`` (the status of the last end).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.SessionStatus_pb2 import SessionStatus

#: The protobuf numbers the tracker reads, taken from Streamlit's own messages (never typed).
NUMBERS = {
    "FINISHED": ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].number,
    "STATUS": ForwardMsg.DESCRIPTOR.fields_by_name["session_status_changed"].number,
    "RUNNING": SessionStatus.DESCRIPTOR.fields_by_name["script_is_running"].number,
    "EARLY": ForwardMsg.FINISHED_EARLY_FOR_RERUN,
}

_TRACKER = r"""(() => {
  const runs = {finished: 0, running: false, last: null};
  window.__streamlitRuns = runs;
  const {FINISHED, STATUS, RUNNING, EARLY} = NUMBERS;
  const varint = (b, i) => {
    let value = 0, shift = 0, byte;
    do { byte = b[i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return [value, i];
  };
  const fields = (b, visit) => {  // top-level fields only; sub-messages as byte ranges
    let i = 0;
    while (i < b.length) {
      let key, value, size;
      [key, i] = varint(b, i);
      const field = Math.floor(key / 8), wire = key & 7;
      if (wire === 0) { [value, i] = varint(b, i); visit(field, value, null); }
      else if (wire === 2) { [size, i] = varint(b, i); visit(field, null, b.subarray(i, i + size)); i += size; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return;
    }
  };
  const read = (event) => {
    if (!(event.data instanceof ArrayBuffer)) return;
    fields(new Uint8Array(event.data), (field, value, bytes) => {
      if (field === FINISHED && value !== null) {  // script_finished
        runs.last = value;
        if (value !== EARLY) runs.finished += 1;  // stopped early: a rerun follows
      } else if (field === STATUS && bytes) {  // session_status_changed
        let running = false;
        fields(bytes, (inner, flag) => { if (inner === RUNNING) running = !!flag; });
        runs.running = running;
      }
    });
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); this.addEventListener('message', read); }
  };
  runs.read = read;  // for tests/e2e/test_script_runs.py
})();"""
TRACKER = _TRACKER.replace("NUMBERS", json.dumps(NUMBERS))

#: The app is idle: a run has ended, none is running and the last did not end to rerun.
IDLE = """(after) => { const r = window.__streamlitRuns;
  if (!r) throw new Error('no run tracker: create the context with script_runs.track()');
  return r.finished > after && !r.running && r.last !== EARLY; }""".replace(
    "EARLY", str(NUMBERS["EARLY"]))

#: A run has started (or already ended) since ``after`` runs had ended.
STARTED = """(after) => { const r = window.__streamlitRuns;
  return r.running || r.finished > after; }"""

#: How long a run (or a chain of them) may take on a loaded 2-core machine. A limit, not a wait.
RUN_LIMIT_MS = 120_000

#: How long a report built on click may take: a run's limit plus the figure export's retry
#: (``present.plots.images``: a Chromium that hangs is given up after 55 s and started anew).
REPORT_LIMIT_MS = 2 * RUN_LIMIT_MS


def track(context: BrowserContext) -> BrowserContext:
    """Install the run tracker in every page this context opens (before the page's scripts)."""
    context.add_init_script(TRACKER)
    return context


def finished(page: Page) -> int:
    """How many runs of the page's session have ended so far."""
    return page.evaluate("() => window.__streamlitRuns.finished")


def wait_idle(page: Page, after: int = 0) -> None:
    """Wait until more than ``after`` runs have ended and the app is not running (nor about to
    rerun itself)."""
    page.wait_for_function(IDLE, arg=after, polling=100, timeout=RUN_LIMIT_MS)


def started(page: Page, after: int, timeout_ms: int = 20_000) -> bool:
    """Whether a run starts (or ends) within ``timeout_ms`` after ``after`` runs had ended:
    False when an action caused no run at all."""
    try:
        page.wait_for_function(STARTED, arg=after, polling=100, timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True


def rerun_by(page: Page, action: Callable[[], object]) -> None:
    """Do ``action`` (a click, a key, a choice: something that reruns the app) and wait until
    the run it caused has ended — not merely until the page says it is not running."""
    wait_idle(page)  # a run still under way would end and be taken for the action's
    before = finished(page)
    action()
    wait_idle(page, before)
