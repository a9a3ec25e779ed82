"""Dataset fingerprint: the SHA-256 of the analysed data's bytes.

One file: the SHA-256 of its bytes (``sha256sum FILE``). A cBioPortal patient file joined with
its sample file: the SHA-256 of the patient file's bytes followed by the sample file's
(``cat PATIENTS SAMPLES | sha256sum``), whichever order they were given in. The report, the R
script, the JSON output and the shared URL carry it, so a reader can check that numbers and
data belong together, and a shared link opened on other data says so.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["sha256_of", "sha256_of_files", "short"]


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


def sha256_of_files(paths, kinds: tuple[str, ...] | None = None) -> str:
    """Hex SHA-256 of the files' bytes one after the other (see the module doc).

    ``kinds`` (``read_upload``'s ``file_kinds``: "patient"/"sample" per path) puts the patient
    file first, so the two files give one fingerprint in either order.
    """
    paths = list(paths)
    if kinds is not None and len(kinds) == len(paths) and "patient" in kinds:
        paths = [p for _, p in sorted(zip(kinds, paths, strict=True),
                                      key=lambda pair: pair[0] != "patient")]
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def short(fingerprint: str) -> str:
    """The first 12 hex digits, for display beside the full value."""
    return fingerprint[:12]
