"""Dataset fingerprint: the SHA-256 of the data file's bytes.

The report, the R script and the shared URL carry it, so a reader can check (``sha256sum
FILE``) that numbers and data belong together, and a shared link opened on other data says so.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["sha256_of", "short"]


def sha256_of(source: bytes | str | Path) -> str:
    """Hex SHA-256 of ``source`` (bytes, or a file path read in 1 MB chunks)."""
    digest = hashlib.sha256()
    if isinstance(source, (bytes, bytearray, memoryview)):
        digest.update(source)
        return digest.hexdigest()
    with open(source, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def short(fingerprint: str) -> str:
    """The first 12 hex digits, for display beside the full value."""
    return fingerprint[:12]
