"""Hardening of the Streamlit server process: nothing leaves the machine, uploads stay in memory,
freed memory goes back to the system.

Not a page. :func:`harden` is applied by ``serve.py`` (the way to start the app: ``make run``,
the container, the tests and ``make soak``) before the server starts, and again, harmlessly, by
``app.py`` on every run (for a server started with a bare ``streamlit run app.py``).

* **No outside lookups.** Streamlit asks ``checkip.amazonaws.com`` for the machine's public
  address to print an "External URL" at start and to widen its WebSocket origin check when a
  page of another origin connects; it also opens a UDP socket towards 8.8.8.8 to learn the LAN
  address. Both lookups are replaced by "unknown": same-origin connections are accepted as
  before, other origins only when listed in ``server.corsAllowedOrigins``.
* **Uploads in memory.** Starlette's multipart parser spools a file part over 1 MB to an
  anonymous temporary file on disk; the spool limit is lifted, so an upload is held in memory
  from the socket to the engine (Streamlit's own streaming cap, ``server.maxUploadSize``, still
  refuses larger bodies while they arrive).
* **Memory returned.** A daemon thread collects garbage and asks glibc to return free heap
  pages to the system (``malloc_trim``) every :data:`TRIM_SECONDS`, so the memory of closed
  sessions (their data and cached results) does not stay with the process.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys
import threading

__all__ = ["harden", "trim_memory", "TRIM_SECONDS"]

TRIM_SECONDS = 20.0
_state = {"hardened": False, "trimmer": None}
_lock = threading.Lock()


def _unknown_address() -> None:
    return None


def _no_outside_lookups() -> None:
    from streamlit import net_util

    net_util.get_external_ip = _unknown_address
    net_util.get_internal_ip = _unknown_address


def _uploads_in_memory() -> None:
    from starlette.formparsers import MultiPartParser

    MultiPartParser.spool_max_size = sys.maxsize


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (another C library, another system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def trim_memory() -> bool:
    """Collect garbage and return free heap memory to the system (glibc only); True if trimmed."""
    gc.collect()
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


def _trim_forever(event: threading.Event) -> None:
    while not event.wait(TRIM_SECONDS):
        trim_memory()


def harden() -> None:
    """Apply the hardening once per process (idempotent, thread-safe)."""
    with _lock:
        if _state["hardened"]:
            return
        _no_outside_lookups()
        _uploads_in_memory()
        stop = threading.Event()
        thread = threading.Thread(target=_trim_forever, args=(stop,), name="memory-trim",
                                  daemon=True)
        thread.start()
        _state.update(hardened=True, trimmer=(thread, stop))


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
