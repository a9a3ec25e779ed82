"""Recognising columns that identify patients (names, record numbers, contacts, birth dates).

Used by the validation report and the role suggestions. Detection is by
column name and by the pattern of the values; pseudonymous study codes such as ``MM-001`` are
recognised separately because they are expected in a study table.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from cohort_explorer.data.repeats import all_same

__all__ = [
    "DATE_PATTERN", "PSEUDONYMOUS", "find_identifier_columns", "identifier_reason",
    "is_id_column_name", "patient_id_column", "tokens",
]

#: Reasons starting with this mark a pseudonymous study ID (info), not an identifier (warning).
PSEUDONYMOUS = "pseudonymous ID"

_NAME_PARTS = {
    "patient",
    "pt",
    "pat",
    "first",
    "last",
    "full",
    "sur",
    "given",
    "family",
    "maiden",
    "middle",
    "subject",
    "person",
    "case",
    "of",
}
_NAME_WORDS = {
    "surname",
    "firstname",
    "lastname",
    "fullname",
    "forename",
    "givenname",
    "patientname",
    "familyname",
    "vorname",
    "nachname",
    "prenom",
    "nom",
}
_NAME_RULES = (
    ({"initials"}, "the column name suggests initials"),
    (
        {"dob", "birthdate", "birthday", "geburtsdatum", "gebdat", "gebdatum"},
        "the column name suggests a date of birth",
    ),
    (
        {"mrn", "fallnummer", "patientennummer", "kisnummer"},
        "the column name suggests a medical record number",
    ),
    (
        {"phone", "telephone", "tel", "mobile", "fax", "telefon", "handy", "cellphone"},
        "the column name suggests a phone number",
    ),
    ({"email", "mail", "emailaddress"}, "the column name suggests an e-mail address"),
    (
        {"address", "street", "zip", "zipcode", "postcode", "postal", "strasse", "plz", "adresse"},
        "the column name suggests a postal address",
    ),
    (
        {"ssn", "svnr", "sozialversicherungsnummer"},
        "the column name suggests a social security number",
    ),
    (
        {"insurance", "versicherung", "versichertennummer", "kvnr", "nhs"},
        "the column name suggests an insurance number",
    ),
)
_ID_NAMES = {
    "id",
    "pid",
    "patid",
    "patientid",
    "subjid",
    "subjectid",
    "studyid",
    "caseid",
    "pseudonym",
    "usubjid",
    "nr",
    "no",
    "number",
    "code",
}
_ID_CONTEXT = {"patient", "pt", "pat", "subject", "subj", "study", "case", "participant",
               "sample", "specimen"}
#: Words that make an ID column the patient's (not a sample's, a study's or a centre's).
_PATIENT_WORDS = {"patient", "pt", "pat", "subject", "subj", "participant", "case", "pid",
                  "patid", "patientid", "subjid", "subjectid", "usubjid", "caseid", "pseudonym"}
_NOT_PATIENT_WORDS = {"sample", "specimen", "study", "centre", "center", "site", "trial"}
#: Words naming the hospital's own numbers (not a study's pseudonym): "Hospital ID", "KIS-Nr",
#: "Fall-Nr", "Aufnahmenummer", "admission number", "encounter id".
_HOSPITAL_CONTEXT = {"hospital", "klinik", "klinikum", "krankenhaus", "kh", "kis", "clinic",
                     "admission", "aufnahme", "encounter", "fall", "his", "emr", "ehr"}
_HOSPITAL_NUMBER_WORDS = {"aufnahmenummer", "aufnahmenr", "kisnr", "kisid", "fallnr", "fallid",
                          "patientennr", "patnr", "krankenhausnummer", "hospitalid", "hospitalno",
                          "hospitalnr", "admissionnumber", "admissionno", "admissionid",
                          "encounterid", "kisnummer", "fallnummer"}
_NUMBER_WORDS = _ID_NAMES | {"nummer", "num", "nbr"}
_MRN_REASON = "the column name suggests a hospital record or admission number"

_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")
_PHONE = re.compile(r"^(\+|00|0|\()[\d\s()./-]{6,}$")
_LAST_FIRST = re.compile(
    r"^[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*,\s*[^\W\d_][^\W\d_.'’-]*\.?"
    r"(?:\s[^\W\d_]+\.?)?$"
)
_FIRST_LAST = re.compile(r"^[A-ZÀ-Þ][a-zà-ÿ'’-]+(?:\s[A-ZÀ-Þ][a-zà-ÿ'’-]+){1,2}$")
#: A calendar date as text: 2019-03-14, 14.03.2019, 03/14/2019, 14-Mar-2019 (time optional).
DATE_PATTERN = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|\d{1,2}[- ]?[A-Za-z]{3,9}[- ]?\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*$"
)
_YEAR = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2})(?!\d)")
_STUDY_CODE = re.compile(r"^[A-Za-z]{1,8}[-_ /]?\d{1,6}[A-Za-z]?$|^\d{1,6}$")
_LONG_NUMBER = re.compile(r"^\d{7,}$")


def tokens(name: str) -> list[str]:
    """Lower-case words of a column name: ``"PatientName"`` / ``"patient_name"`` -> [patient, name]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def _by_name(words: list[str]) -> str | None:
    joined = "".join(words)
    if "name" in words and set(words) - {"name", "names"} <= _NAME_PARTS:
        return "the column name suggests a person's name"
    if joined in _NAME_WORDS or set(words) & _NAME_WORDS:
        return "the column name suggests a person's name"
    if "birth" in words and not set(words) & {"weight", "order", "length"}:
        return "the column name suggests a date of birth"
    if "birth" in joined and ("date" in joined or "day" in joined):
        return "the column name suggests a date of birth"
    if ("medical" in words and "record" in words) or joined in ("recordnumber", "hospitalnumber"):
        return "the column name suggests a medical record number"
    if "social" in words and "security" in words:
        return "the column name suggests a social security number"
    for names, reason in _NAME_RULES:
        if set(words) & names or joined in names:
            return reason
    if joined == "email" or words[-2:] == ["e", "mail"]:
        return "the column name suggests an e-mail address"
    return None


def is_id_column_name(name: str) -> bool:
    """True when a column name reads like a patient-ID column (``patient_id``, ``MRN``...)."""
    return _is_id_name(tokens(str(name)))


def _is_id_name(words: list[str]) -> bool:
    joined = "".join(words)
    if joined in _ID_NAMES - {"nr", "no", "number", "code"}:
        return True
    return bool(words) and words[-1] in _ID_NAMES and bool(set(words[:-1]) & _ID_CONTEXT)


def _sample(values: pd.Series, size: int) -> pd.Series:
    """Up to ``size`` non-missing values spread over the column (cheap on a million rows)."""
    if len(values) > 4 * size:
        spread = values.iloc[np.linspace(0, len(values) - 1, 4 * size).astype(int)].dropna()
        if len(spread) >= size:
            return spread.iloc[np.linspace(0, len(spread) - 1, size).astype(int)]
    present = values.dropna()
    if len(present) > size:
        return present.iloc[np.linspace(0, len(present) - 1, size).astype(int)]
    return present


def _sample_text(values: pd.Series, size: int = 200) -> pd.Series:
    return _sample(values, size).astype(str).str.strip()


def _share(text: pd.Series, pattern: re.Pattern) -> float:
    return float(text.str.match(pattern).mean()) if len(text) else 0.0


def _is_last_first(text: str) -> bool:
    if not _LAST_FIRST.match(text):
        return False
    last, first = text.split(",", 1)
    return last[:1].isupper() and first.strip()[:1].isupper()


def _birth_years(values: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    present = _sample(values, 500)
    if pd.api.types.is_datetime64_any_dtype(values):
        return present.dt.year.to_numpy(dtype=float)
    if present.empty:
        return None
    if all(isinstance(v, (dt.date, dt.datetime, pd.Timestamp)) for v in present):
        return np.array([v.year for v in present], dtype=float)
    text = _sample_text(values, 500)
    if text.empty or _share(text, DATE_PATTERN) < 0.8:
        return None
    years = text.str.extract(_YEAR, expand=False).dropna().astype(float)
    return years.to_numpy() if len(years) else None


def _looks_like_birth_dates(values: pd.Series) -> bool:
    years = _birth_years(values)
    if years is None or len(years) < 5:
        return False
    this_year = dt.date.today().year
    q25, median, q75 = np.percentile(years, [25, 50, 75])
    in_range = np.mean((years >= this_year - 110) & (years <= this_year - 10))
    return in_range >= 0.9 and median <= this_year - 25 and q75 - q25 >= 5


def _by_value(values: pd.Series) -> str | None:
    if _looks_like_birth_dates(values):
        return "the values look like dates of birth"
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    text = _sample_text(values)
    if len(text) < 3:
        return None
    if _share(text, _EMAIL) >= 0.5:
        return "the values look like e-mail addresses"
    digits = text.str.count(r"\d")
    phone = text.str.match(_PHONE) & (digits >= 8) & ~text.str.match(DATE_PATTERN)
    if float(phone.mean()) >= 0.5:
        return "the values look like phone numbers"
    if float(text.map(_is_last_first).mean()) >= 0.5:
        return "the values look like names ('Lastname, Firstname')"
    unique_share = text.nunique() / len(text)
    if _share(text, _FIRST_LAST) >= 0.7 and unique_share >= 0.9 and len(text) >= 5:
        return "the values look like personal names"
    return None


def _is_constant(values: pd.Series) -> bool:
    return all_same(values) and int(values.notna().sum()) >= 2  # O(n), no hashing


def _as_id(values: pd.Series, words: list[str]) -> str | None:
    text = _sample_text(values, 1000)
    if len(text) < 2 or text.nunique() <= 1:  # a study or centre code is the same in every row
        return None
    unique_share = text.nunique() / len(text)
    whole = text.str.replace(r"\.0$", "", regex=True)  # 12.0 -> 12 (numbers read as floats)
    if words[-1] in _NUMBER_WORDS and _share(whole, _LONG_NUMBER) >= 0.5:
        return "the values look like hospital record numbers (7 or more digits)"
    study_code = _share(whole, _STUDY_CODE) >= 0.9
    if _is_id_name(words) and unique_share >= 0.5:
        return f"{PSEUDONYMOUS} (study code such as '{text.iloc[0]}')"
    if (
        study_code
        and unique_share >= 0.95
        and len(text) >= 5
        and not whole.str.match(r"^\d+$").all()
    ):
        return f"{PSEUDONYMOUS} (study code such as '{text.iloc[0]}')"
    return None


def _is_hospital_number_name(words: list[str]) -> bool:
    joined = "".join(words)
    if joined in _HOSPITAL_NUMBER_WORDS or any(w in _HOSPITAL_NUMBER_WORDS for w in words):
        return True
    return words[-1] in _NUMBER_WORDS and bool(set(words[:-1]) & _HOSPITAL_CONTEXT)


def identifier_reason(name: str, values: pd.Series) -> str | None:
    """Why a column may identify patients, or None. See :func:`find_identifier_columns`."""
    words = tokens(name)
    if not words:
        return None
    if _is_hospital_number_name(words):
        return _MRN_REASON
    if _is_id_name(words):
        return _as_id(values, words) or _by_value(values)
    return _by_name(words) or _by_value(values) or _as_id(values, words)


def find_identifier_columns(df: pd.DataFrame) -> dict[str, str]:
    """Columns that may identify patients, with the reason.

    Recognised by name (name, patient name, surname, MRN, medical record, DOB, birth, phone,
    e-mail, address, ZIP, SSN, insurance, initials; also common German names) and by values
    (e-mail addresses, phone numbers, dates of birth — dates spread over decades, mostly more
    than 25 years ago —, "Lastname, Firstname", "Firstname Lastname").

    Pseudonymous study IDs (an ID-like column name such as ``patient_id``, or unique codes
    such as ``MM-001``) are returned too, with a reason starting ``"pseudonymous ID"``: they
    are expected in a study table and are reported as info, not as a warning.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    dict
        Column name -> reason, in column order.
    """
    found = {}
    for column in df.columns:
        reason = identifier_reason(str(column), df[column])
        if reason:
            found[str(column)] = reason
    return found


def patient_id_column(df: pd.DataFrame) -> str | None:
    """The column that identifies the patient (for repeated-patient checks), or None.

    An ID-like column name (:func:`is_id_column_name`) whose values are not all the same; one
    naming the patient (``patient_id``, ``PATIENT_ID``, ``Patient ID``, ``USUBJID``) wins over a
    generic ``id``; sample, specimen, study, centre and site IDs are never the patient's (a
    patient may have several samples; a study code is the same in every row).
    """
    generic = None
    for column in df.columns:
        words = tokens(str(column))
        if not _is_id_name(words) or set(words) & _NOT_PATIENT_WORDS:
            continue
        if _is_constant(df[column]):
            continue
        if set(words) & _PATIENT_WORDS or "".join(words) in _PATIENT_WORDS:
            return str(column)
        generic = generic or str(column)
    return generic
