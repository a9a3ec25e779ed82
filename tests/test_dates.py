"""Times from dates (data.dates): formats, the day/month order, exclusion reasons, units."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.data.dates import needs_date_order, parse_dates, times_from_dates
from cohort_explorer.errors import ColumnError, OptionError

MARCH_15 = pd.Timestamp("2021-03-15")


@pytest.mark.parametrize("text", [
    "2021-03-15", "2021/03/15", "2021-03-15 00:00:00", "2021-03-15T13:45", "15.03.2021",
    "15/03/2021", "15-03-21", "20210315", "15 Mar 2021", "March 15, 2021", "15-Mar-2021",
])
def test_common_formats_read_as_the_same_day(text):
    assert parse_dates(pd.Series([text]), order="dmy")[0] == MARCH_15


def test_spreadsheet_dates_and_datetime_columns():
    assert parse_dates(pd.Series([dt.date(2021, 3, 15)]))[0] == MARCH_15
    column = pd.Series(pd.to_datetime(["2021-03-15 10:30"]))
    assert parse_dates(column)[0] == MARCH_15


def test_day_month_order_is_never_guessed():
    ambiguous = pd.Series(["03/04/2021", "05/06/2021"])
    assert needs_date_order(ambiguous)
    with pytest.raises(OptionError, match="--date-order"):
        parse_dates(ambiguous)
    assert parse_dates(ambiguous, order="dmy")[0] == pd.Timestamp("2021-04-03")
    assert parse_dates(ambiguous, order="mdy")[0] == pd.Timestamp("2021-03-04")


def test_order_shown_by_the_data_and_contradictions():
    shown = pd.Series(["13/04/2021", "03/04/2021"])  # 13 can only be a day
    assert not needs_date_order(shown)
    assert parse_dates(shown)[1] == pd.Timestamp("2021-04-03")
    contradicting = pd.Series(["13/04/2021", "04/13/2021"])
    assert needs_date_order(contradicting)


def test_impossible_dates_are_unreadable_not_shifted():
    assert parse_dates(pd.Series(["2021-02-30", "31.04.2021"]), order="dmy").isna().all()


def test_times_reasons_and_units():
    df = pd.DataFrame({
        "dx": ["2020-01-01", "2020-01-01", None, "2020-06-01", "2020-01-01", "2020-01-01", "x"],
        "ev": ["2021-01-01", None, None, "2020-01-01", None, "2022-01-01", "2020-01-01"],
        "last": ["2020-06-01", "2020-12-31", "2021-01-01", None, None, "2019-06-01", None],
    })
    years = times_from_dates(df, "dx", "ev", "last", unit="years")
    np.testing.assert_allclose(years.time[[0, 1, 5]], [366 / 365.25, 365 / 365.25, 731 / 365.25])
    assert list(years.event[[0, 1, 5]]) == [1, 0, 1]  # an event after last contact counts
    assert years.reasons == {"missing start date": 1, "event date before start date": 1,
                             "no event or last-contact date": 1, "unreadable date": 1}
    assert np.isnan(years.time[[2, 3, 4, 6]]).all()
    days = times_from_dates(df, "dx", "ev", "last")
    assert days.time[0] == 366
    months = times_from_dates(df, "dx", "ev", "last", unit="months")
    assert months.time[0] == pytest.approx(366 / 30.4375)


def test_a_column_without_any_date_is_an_error():
    df = pd.DataFrame({"dx": ["a", "b"], "ev": [None, None], "last": ["2020-01-01"] * 2})
    with pytest.raises(ColumnError, match="no readable dates"):
        times_from_dates(df, "dx", "ev", "last")


def test_bad_unit_and_order():
    df = pd.DataFrame({"dx": ["2020-01-01"], "ev": [None], "last": ["2020-02-01"]})
    with pytest.raises(OptionError, match="--time-unit"):
        times_from_dates(df, "dx", "ev", "last", unit="weeks")
    with pytest.raises(OptionError, match="--date-order"):
        times_from_dates(df, "dx", "ev", "last", order="ydm")
