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
* **Memory returned.** Every :data:`TRIM_SECONDS` a daemon thread shuts down the sessions
  whose browser left more than ``server.disconnectedSessionTTL`` ago (their session state,
  per-session cache and uploaded files), collects garbage, and asks Arrow's memory pool and
  glibc (``malloc_trim``) to return free pages to the system, so the memory of closed sessions
  does not stay with the process.
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
    """Collect garbage and return free memory to the system: Arrow's memory pool (mimalloc or
    jemalloc keep freed pages: 0.8 GB after one 300 MB workbook) and glibc's heap
    (``malloc_trim``). True if glibc trimmed."""
    gc.collect()
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        try:
            arrow.default_memory_pool().release_unused()
        except Exception:  # noqa: BLE001,S110 - an Arrow without release_unused: nothing to do
            pass
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


def reap_closed_sessions() -> bool:
    """Shut down the sessions whose browser left more than ``server.disconnectedSessionTTL``
    ago. Streamlit keeps them (session state, uploaded files) until its next write to the
    session store and then drops them without ``shutdown()``, which is what releases their
    uploaded files, and an evicted session object can stay referenced; this shuts them down
    and clears their state (the data, the per-session cache), on the server's event loop. Best effort: False when the
    runtime is not there (or its internals changed)."""
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return False
        runtime = Runtime.instance()
        store = runtime._session_mgr._session_storage._cache
        loop = runtime._get_async_objs().eventloop
        expire = store.expire
    except Exception:  # noqa: BLE001 - another Streamlit: nothing to reap here
        return False

    def reap() -> None:
        for _session_id, info in expire():
            for release in (info.session.shutdown, info.session.session_state.clear):
                try:  # shutdown drops its uploaded files; its state holds the data, caches
                    release()
                except Exception:  # noqa: BLE001,S110 - already shut down or cleared
                    pass

    try:
        loop.call_soon_threadsafe(reap)
    except RuntimeError:  # the loop is closed: the server is stopping
        return False
    return True


def _trim_forever(event: threading.Event) -> None:
    while not event.wait(TRIM_SECONDS):
        reap_closed_sessions()
        if not event.wait(1.0):  # after the sessions' memory was released on the loop
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
