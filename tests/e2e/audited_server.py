"""``serve.py`` under a Python audit hook, for the browser tests of what the server does.

``python tests/e2e/audited_server.py [streamlit options]`` with ``AUDIT_LOG=/path`` records, one
JSON line per event, every file the server process opens for writing (``open`` events with a
write mode or write flags: an anonymous ``O_TMPFILE`` spool file included), every name it
resolves (``socket.getaddrinfo``) and every address it connects to (``socket.connect``). The
tests read the log: an upload must open no file for writing, and nothing may be resolved or
connected outside the loopback interface.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_TMPFILE", 0)


def _install(log_path: str) -> None:
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def record(kind: str, detail) -> None:
        os.write(fd, (json.dumps({"event": kind, "detail": detail}) + "\n").encode())

    def hook(event: str, args) -> None:
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS)
            if writing:
                record("open-write", str(path))
        elif event == "socket.getaddrinfo":
            record("resolve", str(args[0]))
        elif event == "socket.connect":
            address = args[1]
            record("connect", list(address) if isinstance(address, tuple) else str(address))

    sys.addaudithook(hook)
    with open(os.devnull, "w"):  # the first line of the log: the hook is alive
        pass


if __name__ == "__main__":
    _install(os.environ["AUDIT_LOG"])
    sys.path.insert(0, str(ROOT))
    import serve

    serve.main(sys.argv[1:])
