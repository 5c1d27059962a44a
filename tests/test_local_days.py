"""Local days of instants as the database stores them (naive UTC; text on SQLite), worked out
once per stored value: the same day :func:`local_date` gives the aware instant, across the
clock changes of a time zone with summer time. No database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from supportledger.months import LocalDays, local_date, stored_instant

NEW_YORK = ZoneInfo("America/New_York")


def stored_text(at: dt.datetime) -> str:
    """As SQLAlchemy writes an instant to SQLite: naive UTC, to the microsecond."""
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


@pytest.mark.parametrize(
    "utc",
    [
        "2026-03-08 04:59:59.999999",  # 23:59:59 EST on the 7th
        "2026-03-08 05:00:00.000000",  # midnight on the 8th, the day the clocks go forward
        "2026-03-08 06:59:59.000000",  # 01:59:59 EST
        "2026-03-08 07:00:00.000000",  # 03:00 EDT
        "2026-03-09 03:59:59.000000",  # 23:59:59 EDT on the 8th
        "2026-03-09 04:00:00.000000",  # midnight EDT on the 9th
        "2026-11-01 05:30:00.000000",  # 01:30 EDT on the 1st
        "2026-11-01 06:30:00.000000",  # 01:30 EST, the hour again
        "2026-11-02 04:59:59.000000",  # 23:59:59 EST on the 1st
        "2026-11-02 05:00:00.000000",  # midnight EST on the 2nd
    ],
)
def test_a_stored_instant_falls_on_its_local_day_across_clock_changes(utc):
    aware = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    days = LocalDays(NEW_YORK)
    assert stored_instant(utc) == aware  # text, as SQLite gives it back
    assert stored_instant(aware.replace(tzinfo=None)) == aware  # a naive datetime (PostgreSQL)
    assert days[utc] == local_date(aware, NEW_YORK)
    assert days[aware.replace(tzinfo=None)] == local_date(aware, NEW_YORK)


def test_each_stored_value_is_worked_out_once():
    days = LocalDays(NEW_YORK)
    start = dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC)
    instants = [start + dt.timedelta(hours=h) for h in range(0, 72, 3)] * 2
    found = [days[stored_text(at)] for at in instants]
    assert found == [local_date(at, NEW_YORK) for at in instants]
    assert len(days) == len(set(instants))  # one entry per distinct instant
    assert found[:8] == [dt.date(2026, 3, 7)] * 6 + [dt.date(2026, 3, 8)] * 2
