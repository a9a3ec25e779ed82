"""What the app and the CLI read: one table, or a cBioPortal patient file with its sample file.

The two cBioPortal files are joined on ``PATIENT_ID``: each patient (a row of the patient file)
gets the columns of their first sample as listed in the sample file, and a notice
(``cbioportal_first_sample``) says so with the counts. A sample file alone is refused: it has
one row per sample and no survival data.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from cohort_explorer.errors import DataFileError, Notice
from cohort_explorer.io.cbioportal import PATIENT_ID, SAMPLE_ID, is_sample_table
from cohort_explorer.io.reader import read_table

__all__ = ["read_upload"]


def _sample_alone(name: str | None) -> DataFileError:
    shown = f"'{name}'" if name else "This file"
    return DataFileError(
        f"{shown} is a cBioPortal sample file (one row per sample, no survival data). Give it "
        "together with the study's data_clinical_patient.txt, or give the patient file alone.",
        code="cbioportal_sample_without_patient", fields={"file": name})


def _join(patients: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """Each patient's row with the columns of their first sample (as listed in the file)."""
    key_p = patients[PATIENT_ID].astype("string").str.strip()
    key_s = samples[PATIENT_ID].astype("string").str.strip()
    first = samples.assign(_key=key_s).dropna(subset=["_key"]).drop_duplicates("_key")
    extra = [c for c in samples.columns if c not in patients.columns]
    joined = patients.assign(_key=key_p).merge(first[["_key", *extra]], on="_key", how="left",
                                               validate="many_to_one")
    joined = joined.drop(columns="_key")
    per_patient = key_s.value_counts()
    several = int((per_patient > 1).sum())
    sample_columns = [str(c) for c in extra]
    notice = Notice(
        f"Joined {len(patients)} patients with their sample file on {PATIENT_ID}: each patient "
        f"has the values of their first sample; {several} patient(s) have more than one sample "
        f"({int(per_patient[per_patient > 1].sum() - several)} later sample(s) not used), "
        f"{int((~key_p.isin(set(key_s.dropna()))).sum())} patient(s) have no sample.",
        "cbioportal_first_sample",
        {"patients": len(patients), "patients_with_several_samples": several,
         "samples_not_used": int(per_patient[per_patient > 1].sum() - several),
         "patients_without_sample": int((~key_p.isin(set(key_s.dropna()))).sum()),
         "samples": int(key_s.notna().sum()), "key": PATIENT_ID,
         "sample_columns": sample_columns},
        severity="info")
    attrs = {k: v for k, v in patients.attrs.items()}
    for key in ("display_names", "descriptions", "datatypes"):
        merged = dict(samples.attrs.get(key, {}))
        merged.update(patients.attrs.get(key, {}))
        attrs[key] = merged
    attrs["notices"] = [notice]
    joined.attrs.update(attrs)
    return joined


def read_upload(files: Sequence[tuple[str | None, bytes | str | os.PathLike]], *,
                sheet: str | int | None = None, max_bytes: int | None = None,
                columns=None) -> pd.DataFrame:
    """Read what a user gave: one table, or a cBioPortal patient file with its sample file.

    Parameters
    ----------
    files : sequence of (name, bytes or path)
        One or two files, in any order (the app passes the uploaded bytes, the CLI paths).
    sheet : str or int, optional
        Excel sheet (one file only).
    max_bytes : int, optional
        Limit per file (the app passes :data:`~cohort_explorer.io.DEFAULT_APP_MAX_BYTES`).
    columns : callable, optional
        One file only: read just these columns (``read_table(columns=)``, the CLI on large
        files); two files are always read whole.

    Returns
    -------
    pandas.DataFrame
        One row per patient. ``df.attrs``: ``format``; for cBioPortal files ``source`` =
        ``"cbioportal"``, ``display_names``, ``descriptions``, ``datatypes``, ``file_kinds`` (two
        files: ``"patient"``/``"sample"`` in the order given); ``notices`` (a list of
        :class:`~cohort_explorer.errors.Notice`, e.g. ``cbioportal_first_sample``).

    Raises
    ------
    DataFileError
        Anything :func:`~cohort_explorer.io.read_table` refuses; a malformed ``#`` block
        (``cbioportal_header``); a sample file alone (``cbioportal_sample_without_patient``);
        two files that are not a cBioPortal patient + sample pair (``cbioportal_pair``); more
        than two files (``too_many_files``).
    """
    files = list(files)
    if not files:
        raise DataFileError("No file given. Upload a table with one row per patient.",
                            code="no_file")
    if len(files) > 2:
        raise DataFileError(
            f"{len(files)} files given; give one table, or a cBioPortal patient file with its "
            "sample file.", code="too_many_files", fields={"count": len(files)})
    subset = columns if len(files) == 1 else None
    tables = [read_table(data, filename=name, sheet=sheet, max_bytes=max_bytes, columns=subset)
              for name, data in files]
    if len(tables) == 1:
        if is_sample_table(tables[0]):
            raise _sample_alone(files[0][0])
        tables[0].attrs.setdefault("notices", [])
        return tables[0]
    kinds = ["sample" if SAMPLE_ID in t.columns else "patient" for t in tables]
    if sorted(kinds) != ["patient", "sample"] or not all(PATIENT_ID in t.columns for t in tables):
        names = [name or "file" for name, _ in files]
        raise DataFileError(
            f"Two files ({', '.join(names)}) can only be read together as a cBioPortal "
            f"patient file and its sample file, both with a {PATIENT_ID} column; upload one "
            "table instead.", code="cbioportal_pair", fields={"files": names})
    patients = tables[kinds.index("patient")]
    samples = tables[kinds.index("sample")]
    joined = _join(patients, samples)
    joined.attrs["file_kinds"] = tuple(kinds)  # which given file was which (the fingerprint)
    return joined
