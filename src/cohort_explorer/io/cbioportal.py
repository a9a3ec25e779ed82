"""cBioPortal clinical files: ``data_clinical_patient.txt`` / ``data_clinical_sample.txt``.

A cBioPortal clinical file is tab-separated with four ``#`` rows above the header: display
names, descriptions, datatypes (``STRING``/``NUMBER``/``BOOLEAN``) and priorities (integers),
one field per column. They are metadata, never data: :func:`split_metadata` removes them and
returns them for ``df.attrs`` (``display_names``, ``descriptions``, ``datatypes``). Missing
values are written ``[Not Available]`` and similar (read as missing by the text reader);
statuses are ``N:LABEL`` (``1:DECEASED``; the event is N = 1, see
:mod:`cohort_explorer.data.coding`).

Reading one or two uploaded files (a patient file with its sample file) is
:func:`cohort_explorer.io.upload.read_upload`.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import pandas as pd

from cohort_explorer.errors import DataFileError

__all__ = ["CbioMetadata", "split_metadata", "decode_head", "is_sample_table",
           "cbioportal_kind", "PATIENT_ID", "SAMPLE_ID"]

PATIENT_ID = "PATIENT_ID"
SAMPLE_ID = "SAMPLE_ID"
_DATATYPES = {"STRING", "NUMBER", "BOOLEAN"}
_ROWS = ("display names", "descriptions", "datatypes", "priorities")
_SURVIVAL_SUFFIXES = ("_MONTHS", "_STATUS")


@dataclass(frozen=True)
class CbioMetadata:
    """The four ``#`` rows of a cBioPortal file, by column (attribute ID)."""

    display_names: dict[str, str]
    descriptions: dict[str, str]
    datatypes: dict[str, str]
    priorities: dict[str, int]

    def attrs(self) -> dict:
        return {"source": "cbioportal", "display_names": dict(self.display_names),
                "descriptions": dict(self.descriptions), "datatypes": dict(self.datatypes)}


def _malformed(label: str, problem: str) -> DataFileError:
    return DataFileError(
        f"{label} starts with a cBioPortal '#' header that is malformed: {problem}. A cBioPortal "
        "clinical file has four '#' rows (display names, descriptions, datatypes, priorities) "
        "with one tab-separated field per column; download it again or remove the '#' rows.",
        code="cbioportal_header", fields={"problem": problem})


def split_metadata(text: str, label: str = "The file") -> tuple[str, CbioMetadata] | None:
    """Remove a cBioPortal ``#`` block from ``text``; None when the text has none.

    A text has such a block when its first line starts with ``#`` and holds a tab. The block
    must be exactly four rows, each with as many fields as the header, datatypes
    STRING/NUMBER/BOOLEAN and whole-number priorities; anything else raises
    :class:`DataFileError` (code ``cbioportal_header``) naming the problem.

    Returns
    -------
    (text, CbioMetadata) or None
        The header and data rows, and the metadata.
    """
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    if not first.startswith("#") or "\t" not in first:
        return None
    lines = text.split("\n")
    block = []
    for line in lines:
        if not line.startswith("#"):
            break
        block.append(line.rstrip("\r")[1:].split("\t"))
    rest = "\n".join(lines[len(block):])
    header_line = rest.split("\n", 1)[0].rstrip("\r")
    if not header_line.strip():
        raise _malformed(label, "no header row follows the '#' rows")
    header = [h.strip() for h in header_line.split("\t")]
    if len(block) != 4:
        raise _malformed(label, f"{len(block)} '#' rows instead of 4")
    for name, row in zip(_ROWS, block, strict=True):
        if len(row) != len(header):
            raise _malformed(label, f"the {name} row has {len(row)} fields for {len(header)} "
                                    "columns")
    types = [t.strip().upper() for t in block[2]]
    bad = sorted({t for t in types if t not in _DATATYPES})
    if bad:
        raise _malformed(label, f"unknown datatype {', '.join(repr(t) for t in bad[:3])} "
                                "(expected STRING, NUMBER or BOOLEAN)")
    try:
        priorities = [int(p.strip()) for p in block[3]]
    except ValueError:
        raise _malformed(label, "the priorities row holds values that are not whole numbers"
                         ) from None

    def by_column(values):
        return {h: v.strip() for h, v in zip(header, values, strict=True)}

    meta = CbioMetadata(by_column(block[0]), by_column(block[1]), by_column(types),
                        dict(zip(header, priorities, strict=True)))
    return rest, meta


def decode_head(data: bytes) -> str | None:
    """The text of a file that may carry a cBioPortal block (UTF-8, BOM allowed), else None."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    start = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    if not start.startswith(b"#"):
        return None
    try:
        return start.decode("utf-8")
    except UnicodeDecodeError:
        return start.decode("cp1252", errors="replace")


def cbioportal_kind(data: bytes) -> str | None:
    """``"patient"`` or ``"sample"`` for a cBioPortal clinical file, else None.

    Read from the start of the file only (cheap on every rerun of the app): a file that opens
    with ``#`` rows and whose header row (the first line after them) has ``SAMPLE_ID`` is a
    sample file, one with ``PATIENT_ID`` and no ``SAMPLE_ID`` a patient file. The ``#`` block
    itself is checked when the file is read (:func:`split_metadata`).
    """
    text = decode_head(bytes(data[:65536]))
    if text is None:
        return None
    for line in text.split("\n"):
        if line.startswith("#"):
            continue
        header = {h.strip() for h in line.rstrip("\r").split("\t")}
        if SAMPLE_ID in header:
            return "sample"
        return "patient" if PATIENT_ID in header else None
    return None


def _has_survival(df: pd.DataFrame) -> bool:
    names = [str(c).upper() for c in df.columns]
    return any(n.endswith(_SURVIVAL_SUFFIXES) for n in names)


def is_sample_table(df: pd.DataFrame) -> bool:
    """A cBioPortal sample file: ``SAMPLE_ID`` and ``PATIENT_ID``, no survival columns."""
    return (df.attrs.get("source") == "cbioportal" and SAMPLE_ID in df.columns
            and PATIENT_ID in df.columns and not _has_survival(df))
