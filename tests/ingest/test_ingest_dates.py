"""Observation times as people write them (geo.ingest.timeparse), read into UTC instants."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.ingest.timeparse import parse_times


def one(value: str, **kwargs) -> pd.Timestamp:
    return parse_times(pd.Series([value]), **kwargs).iloc[0]


@pytest.mark.parametrize(("text", "expected_utc"), [
    ("02/03/2026 14:30", "2026-03-02T13:30Z"),  # Paris winter time, UTC+1
    ("02/03/2026 14:30:15", "2026-03-02T13:30:15Z"),
    ("02/03/2026", "2026-03-01T23:00Z"),
    ("02/07/2026 14:30", "2026-07-02T12:30Z"),  # summer time, UTC+2
    ("02/03/26 14:30", "2026-03-02T13:30Z"),
    ("02-03-2026", "2026-03-01T23:00Z"),
    ("02-03-2026 14:30", "2026-03-02T13:30Z"),
    ("02.03.2026 14:30", "2026-03-02T13:30Z"),
    ("2026-03-02", "2026-03-01T23:00Z"),
    ("2026-03-02 14:30", "2026-03-02T13:30Z"),
    ("2026-03-02T14:30:00", "2026-03-02T13:30Z"),
    ("2026-03-02T14:30:00.123+01:00", "2026-03-02T13:30:00.123Z"),
    ("2026-03-02T13:30:00Z", "2026-03-02T13:30Z"),
    ("2026-03-02T14:30:00+0100", "2026-03-02T13:30Z"),
    ("2026/03/02 14:30", "2026-03-02T13:30Z"),
    ("  02/03/2026 14:30 ", "2026-03-02T13:30Z"),
])
def test_recognised_forms(text, expected_utc):
    assert one(text) == pd.Timestamp(expected_utc)


@pytest.mark.parametrize("text", ["", "hier", "31/02/2026", "2026-02-30", "14:30", "02/03", "32/01/2026"])
def test_unreadable_values_are_nat(text):
    assert pd.isna(one(text))


def test_day_comes_first():
    assert one("03/04/2026") == pd.Timestamp("2026-04-02T22:00Z")  # 3 April, not 4 March


def test_naive_values_can_be_utc():
    assert one("2026-03-02T13:30:02", naive_is_utc=True) == pd.Timestamp("2026-03-02T13:30:02Z")


def test_other_timezone():
    assert one("02/03/2026 14:30", timezone="America/Cayenne") == pd.Timestamp("2026-03-02T17:30Z")


def test_clock_column_is_joined_to_the_date():
    times = parse_times(pd.Series(["02/03/2026", "03/03/2026", "04/03/2026 08:00"]),
                        clock=pd.Series(["14:30", "", ""]))
    assert list(times) == [pd.Timestamp("2026-03-02T13:30Z"), pd.Timestamp("2026-03-02T23:00Z"),
                           pd.Timestamp("2026-03-04T07:00Z")]


def test_explicit_format():
    times = parse_times(pd.Series(["03-02-2026 10h15", "02/03/2026 10:15", ""]), fmt="%m-%d-%Y %Hh%M")
    assert times.iloc[0] == pd.Timestamp("2026-03-02T09:15Z")
    assert times.iloc[1:].isna().all()


def test_explicit_format_with_offset():
    times = parse_times(pd.Series(["02/03/2026 10:15 +0000", "x"]), fmt="%d/%m/%Y %H:%M %z")
    assert times.iloc[0] == pd.Timestamp("2026-03-02T10:15Z")
    assert pd.isna(times.iloc[1])


def test_daylight_saving_edges():
    # 29 March 2026 02:30 does not exist in Paris: shifted forward; 25 October 02:30 happens twice: summer time
    assert one("29/03/2026 02:30") == pd.Timestamp("2026-03-29T01:00Z")
    assert one("25/10/2026 02:30") == pd.Timestamp("2026-10-25T00:30Z")


def test_mixed_column_keeps_positions():
    values = pd.Series(["2026-03-02T13:30:00Z", "bad", "02/03/2026 14:30", "2026-03-02 14:30"], index=[5, 6, 7, 8])
    times = parse_times(values)
    assert list(times.index) == [5, 6, 7, 8]
    assert times.isna().tolist() == [False, True, False, False]
    assert times.dropna().nunique() == 1
    assert str(times.dtype) == "datetime64[ns, UTC]"


def test_fast_path_keeps_what_the_full_parser_would_read():
    from geo.ingest.timeparse import parse_times

    values = pd.Series(["25/11/2026 14:30"] * 5 + ["31/02/2026 10:00", "1/2/2026 9:05", "29/02/2023 12:00",
                                                    "29/02/2024 12:00"])
    got = parse_times(values)
    assert got.iloc[0] == pd.Timestamp("2026-11-25 14:30", tz="Europe/Paris")
    assert pd.isna(got.iloc[5]) and pd.isna(got.iloc[7])  # no 31 February, no 29 February 2023
    assert got.iloc[6] == pd.Timestamp("2026-02-01 09:05", tz="Europe/Paris")  # unpadded: read by the fallback
    assert got.iloc[8] == pd.Timestamp("2024-02-29 12:00", tz="Europe/Paris")
