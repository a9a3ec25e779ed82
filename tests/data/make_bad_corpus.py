"""The hostile-input corpus of issue 5: files clinicians' spreadsheets really produce, and worse.

Small files are committed under ``tests/data/bad/`` (regenerate them with
``python tests/data/make_bad_corpus.py``; the output is byte-for-byte reproducible). Large
ones — the 5,000-column table and the files at and above a size limit — are written at test
time into a temporary folder by :func:`write_wide` and :func:`write_sized`, never committed.

Every file is derived from the synthetic sample cohort (``sample_data/sample_cohort.csv``), so
a file that should read correctly can be checked against the same analysis of the sample.

:data:`CASES` says, for every file, what a correct program does with it: ``"ok"`` (exit 0, the
numbers of the sample where :attr:`Case.same_as_sample`) or ``"error"`` (exit 2 with one line
naming the problem: all of :attr:`Case.message` appear in it). The CLI tests and the AppTest
tests both walk this table.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "BAD",
    "BASE_OPTIONS",
    "CASES",
    "Case",
    "sample_frame",
    "small_files",
    "write_all",
    "write_sized",
    "write_wide",
]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = ROOT / "sample_data" / "sample_cohort.csv"
BAD = Path(__file__).resolve().parent / "bad"
SEED = 20170105
#: The analysis every case runs unless it says otherwise (the paper's PFS by IKZF1 Q1 vs rest).
BASE_OPTIONS = ("--time", "pfs_months", "--event", "pfs_event", "--group-by", "ikzf1:q1-vs-rest")


@dataclass(frozen=True)
class Case:
    """One corpus file and what a correct program does with it.

    Parameters
    ----------
    name : str
        File name under ``tests/data/bad/`` (or produced by a ``write_*`` function).
    what : str
        The hostile property, in words.
    outcome : {"ok", "error"}
    options : tuple of str
        CLI options of ``cohort-explorer analyze`` (defaults to :data:`BASE_OPTIONS`).
    message : tuple of str
        For ``"error"``: fragments the one-line message must contain (case-insensitive).
    same_as_sample : bool
        For ``"ok"``: n, events, group sizes, log-rank p and HR equal the sample's.
    excluded : dict
        For ``"ok"``: expected ``excluded.reasons`` entries.
    warning : str, optional
        For ``"ok"``: a fragment one of the result's warnings must contain.
    """

    name: str
    what: str
    outcome: str
    options: tuple[str, ...] = BASE_OPTIONS
    message: tuple[str, ...] = ()
    same_as_sample: bool = False
    excluded: dict[str, int] = field(default_factory=dict)
    warning: str | None = None


def sample_frame() -> pd.DataFrame:
    """The synthetic sample as text cells (so every file writes values exactly as the CSV)."""
    return pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)


def _csv(df: pd.DataFrame, *, sep: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    df.to_csv(buffer, sep=sep, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode(encoding)


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with fixed timestamps (reproducible bytes): {sheet name: rows of cells}."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    fixed = pd.Timestamp("2017-01-05").to_pydatetime()
    workbook.properties.created = workbook.properties.modified = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes, patch: dict[str, callable] | None = None) -> bytes:
    """Rewrite a ZIP with fixed entry dates (and optionally patched entries)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if patch and info.filename in patch:
                content = patch[info.filename](content)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with now()
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2017-01-05T00:00:00Z",
                                 content)
            entry = zipfile.ZipInfo(info.filename, date_time=(2017, 1, 5, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


def _typed_rows(df: pd.DataFrame) -> list[list]:
    """Header + rows with numbers as numbers (as Excel stores them)."""
    rows = [list(df.columns)]
    for record in df.itertuples(index=False):
        cells = []
        for value in record:
            number = pd.to_numeric(value, errors="coerce")
            cells.append(value if value == "" or pd.isna(number) else float(number))
        rows.append([None if c == "" else c for c in cells])
    return rows


# --------------------------------------------------------------------------- the small files
def _semicolon_decimal_comma(df: pd.DataFrame) -> bytes:
    out = df.copy()
    for column in out.columns:
        if out[column].str.fullmatch(r"-?\d+\.\d+").any():
            out[column] = out[column].str.replace(".", ",", regex=False)
    return _csv(out, sep=";", encoding="cp1252")


def _cp1252(df: pd.DataFrame) -> bytes:
    out = df.copy()
    out["sex"] = out["sex"].map({"M": "männlich", "F": "weiblich"})
    out["cyto_risk"] = out["cyto_risk"].map({"standard": "Standardrisiko", "high": "Hochrisiko"})
    return _csv(out, sep=";", encoding="cp1252")


def _ebcdic(df: pd.DataFrame) -> bytes:
    return _csv(df.head(20), encoding="cp500")


def _several_sheets(df: pd.DataFrame) -> bytes:
    info = [["Export of the DSMM XII substudy (synthetic)"], [], ["Sheet 'Data' holds the rows."]]
    return _xlsx({"Info": info, "Data": _typed_rows(df)})


def _title_row(df: pd.DataFrame) -> bytes:
    return _xlsx({"Patients": [["Cohort export 05.01.2017 (synthetic)"], *_typed_rows(df)]})


def _formulas(df: pd.DataFrame) -> bytes:
    """pfs_months as the formula =os_months-(os_months-pfs_months) with Excel's cached value;
    a text cell that looks like a formula (a classic CSV injection payload) as a label."""
    rows = _typed_rows(df)
    header = rows[0]
    pfs = header.index("pfs_months")
    letter = chr(ord("A") + pfs)
    cached = {}
    for index, row in enumerate(rows[1:], start=2):
        cached[f"{letter}{index}"] = row[pfs]
        row[pfs] = f"={letter}{index}*1"
    rows[1][header.index("sex")] = "=cmd|' /C calc'!A0"
    data = _xlsx({"Data": rows})

    def add_cached(xml: bytes) -> bytes:
        text = xml.decode("utf-8")

        def repl(match: re.Match) -> str:
            ref = match.group(1)
            if ref not in cached:  # openpyxl made the formula-like label a formula: text again
                return f'<c r="{ref}" t="inlineStr"><is><t>={match.group(3)}</t></is></c>'
            value = cached[ref]
            return f'<c r="{ref}"{match.group(2)}><f>{match.group(3)}</f><v>{value!r}</v></c>'

        text = re.sub(r'<c r="([A-Z]+\d+)"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>', repl, text)
        return text.encode("utf-8")

    return _normalise_zip(data, {"xl/worksheets/sheet1.xml": add_cached})


def _dates_as_time(df: pd.DataFrame) -> bytes:
    out = df.copy()
    start = pd.Timestamp("2010-03-01")
    days = (out["pfs_months"].astype(float) * 30.4375).round().astype(int)
    out["pfs_months"] = [(start + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") for d in days]
    return _csv(out)


def _text_in_numeric(df: pd.DataFrame) -> bytes:
    out = df.copy()
    out.loc[[3, 17], "pfs_months"] = ["unknown", ">24"]
    out.loc[[5], "ikzf1"] = ["n.d."]
    return _csv(out)


def _infinite(df: pd.DataFrame) -> bytes:
    out = df.copy()
    out.loc[[2, 9], "pfs_months"] = ["inf", "-inf"]
    return _csv(out)


def _negative(df: pd.DataFrame) -> bytes:
    out = df.copy()
    out.loc[[4, 11, 30], "pfs_months"] = ["-3.2", "-0.5", "-12"]
    return _csv(out)


def _events_1_2(df: pd.DataFrame) -> bytes:
    out = df.copy()
    out["pfs_event"] = out["pfs_event"].map({"0": "1", "1": "2"})
    return _csv(out)


def _events_yes_no(df: pd.DataFrame) -> bytes:
    out = df.copy()
    out["pfs_event"] = out["pfs_event"].map({"0": "no", "1": "yes"})
    return _csv(out)


def _all_censored(df: pd.DataFrame) -> bytes:
    out = df.copy()
    out["pfs_event"] = "0"
    return _csv(out)


def _duplicated_ids(df: pd.DataFrame) -> bytes:
    return _csv(pd.concat([df, df.iloc[[0, 1, 2]]], ignore_index=True))


def _duplicated_names(df: pd.DataFrame) -> bytes:
    text = _csv(df).decode()
    header, rest = text.split("\n", 1)
    return (header.replace("os_months", "pfs_months") + "\n" + rest).encode()


LONG_NAME = "progression_free_survival_in_months_" + "x" * 964  # 1,000 characters
COLON_NAME = "Risk: cytogenetic"  # ':' also separates COL:RULE in a grouping spec


def _long_names(df: pd.DataFrame) -> bytes:
    return _csv(df.rename(columns={"pfs_months": LONG_NAME}))


def _colon_names(df: pd.DataFrame) -> bytes:
    return _csv(df.rename(columns={"cyto_risk": COLON_NAME, "ikzf1": "IKZF1: mRNA"}))


def _garbage(_: pd.DataFrame) -> bytes:
    return np.random.default_rng(SEED).integers(0, 256, 4096, dtype=np.uint8).tobytes()


def _long_strings(df: pd.DataFrame) -> bytes:
    """Issue 9: three cells of 150,000 characters (compressed, the file stays tiny). Written into
    the sheet's XML afterwards: openpyxl (like Excel) cuts cells at 32,767 characters."""
    rows = _typed_rows(df)
    rows[0].append("note")
    for index, row in enumerate(rows[1:]):
        row.append(f"LONGTEXT{index}" if index < 3 else None)

    def lengthen(xml: bytes) -> bytes:
        return re.sub(rb"LONGTEXT(\d)", lambda m: b"A" * 150_000 + m.group(1), xml)

    return _normalise_zip(_xlsx({"Data": rows}), {"xl/worksheets/sheet1.xml": lengthen})


#: The uncompressed padding of padded.xlsx (the reader's limit is tested set below it).
PADDING_BYTES = 3 * 1024 * 1024


def _padded(df: pd.DataFrame) -> bytes:
    """Issue 9: a normal sheet plus 3 MB of zeros that compress to 3 KB (a zip bomb in small)."""
    data = _xlsx({"Data": _typed_rows(df)})
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo("xl/media/padding.bin", date_time=(2017, 1, 5, 0, 0, 0))
        entry.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(entry, bytes(PADDING_BYTES))
    return out.getvalue()


_BUILDERS = {
    "empty.csv": lambda df: b"",
    "whitespace_only.csv": lambda df: b" \r\n\t\r\n",
    "header_only.csv": lambda df: _csv(df.head(0)),
    "binary_garbage.csv": _garbage,
    "pdf_named.csv": lambda df: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n",
    "html_named.xls": lambda df: b"<html><body><table><tr><td>pfs_months</td></tr></table>",
    "utf16_bom.csv": lambda df: _csv(df, sep="\t", encoding="utf-16"),
    "cp1252_semicolon.csv": _cp1252,
    "ebcdic.csv": _ebcdic,
    "semicolon_decimal_comma.csv": _semicolon_decimal_comma,
    "several_sheets.xlsx": _several_sheets,
    "title_row.xlsx": _title_row,
    "formulas.xlsx": _formulas,
    "dates_as_time.csv": _dates_as_time,
    "text_in_numeric.csv": _text_in_numeric,
    "infinite.csv": _infinite,
    "negative_times.csv": _negative,
    "events_1_2.csv": _events_1_2,
    "events_yes_no.csv": _events_yes_no,
    "all_censored.csv": _all_censored,
    "one_patient.csv": lambda df: _csv(df.head(1)),
    "duplicated_ids.csv": _duplicated_ids,
    "duplicated_names.csv": _duplicated_names,
    "long_names.csv": _long_names,
    "colon_names.csv": _colon_names,
    "long_strings.xlsx": _long_strings,
    "padded.xlsx": _padded,
}

_OS = ("--time", "os_months", "--event", "os_event")
CASES: tuple[Case, ...] = (
    Case("empty.csv", "0 bytes", "error", message=("empty",)),
    Case("whitespace_only.csv", "only blanks and line breaks", "error", message=("empty",)),
    Case("header_only.csv", "column names, no rows", "error", message=("no rows",)),
    Case("binary_garbage.csv", "random bytes named .csv", "error", message=("binary",)),
    Case("pdf_named.csv", "a PDF named .csv", "error", message=("PDF",)),
    Case("html_named.xls", "an HTML page named .xls", "error", message=("HTML",)),
    Case("utf16_bom.csv", "UTF-16 with BOM, tab-separated", "ok", same_as_sample=True),
    Case("cp1252_semicolon.csv", "Windows-1252 umlauts, semicolons", "ok",
         same_as_sample=True),
    Case("ebcdic.csv", "EBCDIC (an encoding nobody should meet)", "error",
         message=("encoding", "UTF-8")),
    Case("semicolon_decimal_comma.csv", "semicolons and decimal commas (German Excel)", "ok",
         same_as_sample=True),
    Case("several_sheets.xlsx", "Excel: the data on the second sheet", "ok",
         options=(*BASE_OPTIONS, "--sheet", "Data"), same_as_sample=True),
    Case("several_sheets.xlsx", "Excel: the first sheet is a note", "error",
         message=("pfs_months", "--sheet NAME", "'Data'")),
    Case("title_row.xlsx", "Excel: a title row above the header", "ok", same_as_sample=True),
    Case("formulas.xlsx", "Excel: formulas with cached values, a formula-like label", "ok",
         same_as_sample=True),
    Case("dates_as_time.csv", "calendar dates in the time column", "error",
         message=("pfs_months", "dates")),
    Case("text_in_numeric.csv", "text in the time column", "ok",
         options=("--time", "pfs_months", "--event", "pfs_event", "--group-by", "cyto_risk"),
         excluded={"non-numeric time": 2}),
    Case("text_in_numeric.csv", "text ('n.d.') in the biomarker used for quartiles", "error",
         message=("ikzf1", "n.d.")),
    Case("infinite.csv", "inf and -inf as times", "ok", excluded={"infinite time": 2}),
    Case("negative_times.csv", "negative times", "ok", excluded={"negative time": 3}),
    Case("events_1_2.csv", "events coded 1/2", "error",
         message=("pfs_event", "1, 2", "pfs_event=VALUE")),
    Case("events_1_2.csv", "events coded 1/2, value given", "ok",
         options=("--time", "pfs_months", "--event", "pfs_event=2", "--group-by",
                  "ikzf1:q1-vs-rest"), same_as_sample=True),
    Case("events_yes_no.csv", "events coded yes/no", "error",
         message=("pfs_event", "no, yes", "pfs_event=VALUE")),
    Case("events_yes_no.csv", "events coded yes/no, value given", "ok",
         options=("--time", "pfs_months", "--event", "pfs_event=yes", "--group-by",
                  "ikzf1:q1-vs-rest"), same_as_sample=True),
    Case("all_censored.csv", "no events at all", "ok", warning="censored"),
    Case("one_patient.csv", "a single patient", "ok", options=_OS),
    Case("one_patient.csv", "a single patient, grouped by quartiles", "error",
         message=("ikzf1",)),
    Case("duplicated_ids.csv", "three patients twice", "ok", warning="repeat a patient ID"),
    Case("duplicated_names.csv", "two columns called pfs_months", "error",
         message=("duplicated column", "pfs_months")),
    Case("long_names.csv", "a 1,000-character column name", "ok",
         options=("--time", LONG_NAME, "--event", "pfs_event", "--group-by",
                  "ikzf1:q1-vs-rest"), same_as_sample=True),
    Case("colon_names.csv", "':' in column names (biomarker rule)", "ok",
         options=("--time", "pfs_months", "--event", "pfs_event", "--group-by",
                  "IKZF1: mRNA:q1-vs-rest"), same_as_sample=True),
    Case("colon_names.csv", "':' in a category column's name", "ok",
         options=("--time", "pfs_months", "--event", "pfs_event", "--group-by", COLON_NAME),
         warning=None),
    Case("long_strings.xlsx", "Excel: shared strings of 150,000 characters (memory bomb)",
         "error", message=("150,00", "characters", "COHORT_EXPLORER_MAX_CELL_CHARS")),
    Case("padded.xlsx", "Excel: 3 MB of zeros in 3 KB (within the default 500 MB limit)", "ok",
         same_as_sample=True),
)


def small_files() -> dict[str, bytes]:
    """Name -> bytes of every committed corpus file."""
    df = sample_frame()
    return {name: build(df.copy()) for name, build in _BUILDERS.items()}


def write_all(directory: Path = BAD) -> list[Path]:
    """Write the small corpus files into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in small_files().items():
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- large, at test time
def write_wide(path: Path, n_columns: int = 5000) -> Path:
    """The sample plus extra numeric columns up to ``n_columns`` columns in all."""
    df = sample_frame()
    extra = n_columns - df.shape[1]
    rng = np.random.default_rng(SEED)
    block = pd.DataFrame(np.round(rng.normal(size=(len(df), extra)), 3),
                         columns=[f"probe_{i:05d}" for i in range(extra)])
    wide = pd.concat([df, block.astype(str)], axis=1)
    path.write_bytes(_csv(wide))
    return path


def write_sized(path: Path, size: int) -> Path:
    """A valid cohort CSV of exactly ``size`` bytes: the sample repeated, then padded.

    Rows are copies of the sample's rows with fresh IDs; the last row's ``pfs_cause`` cell
    is padded with leading zeros so the file has exactly ``size`` bytes (it stays the number
    it was).
    """
    df = sample_frame()
    header = ",".join(df.columns) + "\n"
    body_rows = [",".join(r) for r in df.itertuples(index=False)]
    pieces = [header]
    total = len(header)
    index = 0
    while True:
        row = body_rows[index % len(body_rows)].split(",", 1)[1]
        line = f"P{index:09d},{row}\n"
        if total + len(line) + 64 > size:
            break
        pieces.append(line)
        total += len(line)
        index += 1
    row = body_rows[index % len(body_rows)].split(",", 1)[1]
    last = f"P{index:09d},{row}"
    head, cause = last.rsplit(",", 1)
    padding = size - total - len(head) - 1 - len(cause) - 1
    if padding < 0:
        raise ValueError(f"size {size} is too small for a cohort file")
    pieces.append(f"{head},{'0' * padding}{cause}\n")
    with open(path, "w", encoding="ascii", newline="") as handle:
        handle.writelines(pieces)
    if path.stat().st_size != size:  # pragma: no cover - arithmetic guard
        raise RuntimeError(f"wrote {path.stat().st_size} bytes, wanted {size}")
    return path


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else BAD):
        print(f"{written.stat().st_size:8d}  {written}")
