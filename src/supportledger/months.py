"""The author's months: which month an instant falls in is decided in ``LEDGER_TIMEZONE``.

Instants are stored in UTC; a month is turned into a half-open UTC range
``[start, end)`` so queries use the index on ``occurred_at`` and never a local-time column.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from supportledger.errors import LedgerError

#: the years the ledger keeps: any real book's, and far enough from datetime's own limits
#: (years 1 and 9999) that a month's end, a time zone or a deposit window never overflow
YEARS = range(1900, 3000)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise LedgerError(f"not a month: {self.year:04d}-{self.month:02d}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` → Month; anything else is a one-line user error."""
        match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "")
        if not match or not 1 <= int(match[2]) <= 12:
            raise LedgerError(f"--month: expected YYYY-MM, got {text!r}")
        if int(match[1]) not in YEARS:
            raise LedgerError(f"--month: {text.strip()} is outside {_YEARS_SHOWN}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, instant: dt.datetime | dt.date, tz: ZoneInfo | None = None) -> Month:
        """The month ``instant`` falls in, in ``tz`` (a date is taken as it is)."""
        if isinstance(instant, dt.datetime):
            instant = instant.astimezone(tz) if tz else instant
        return cls(instant.year, instant.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The month as a half-open UTC range ``[start, end)``."""
        return local_midnight(self.first_day, tz), local_midnight(self.next().first_day, tz)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant at which ``day`` begins in ``tz``."""
    return dt.datetime.combine(day, dt.time(0), tz).astimezone(dt.UTC)


def parse_instant(text: str, tz: ZoneInfo) -> dt.datetime:
    """``--date``: a date (the start of that day in ``tz``) or an ISO instant with an offset.

    An ISO date-time without an offset is read in ``tz`` as well.
    """
    raw = (text or "").strip()
    day_only = re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw)
    try:
        instant = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise LedgerError(
            f"--date: expected YYYY-MM-DD or an ISO instant like 2026-11-01T03:30:00Z, got {text!r}"
        ) from None
    if instant.year not in YEARS:  # before converting: year 1 at +14:00 is year 0 in UTC
        raise LedgerError(f"--date: {raw} is outside {_YEARS_SHOWN}")
    if day_only:
        return local_midnight(instant.date(), tz)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=tz)
    return instant.astimezone(dt.UTC)


_YEARS_SHOWN = f"the years the ledger keeps ({YEARS.start}-{YEARS.stop - 1})"


def local_date(instant: dt.datetime, tz: ZoneInfo) -> dt.date:
    return instant.astimezone(tz).date()


def stored_instant(stored: str | dt.datetime) -> dt.datetime:
    """An instant as the database gives it back unconverted (naive UTC; text on SQLite, as
    SQLAlchemy wrote it), made the aware instant the ``UTCDateTime`` column would read."""
    naive = dt.datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return naive.replace(tzinfo=dt.UTC)


class LocalDays(dict):
    """The local day in ``tz`` of each stored instant (:func:`stored_instant`), worked out
    once per distinct value: a long read repeats its instants (a Zelle payment is dated at
    the start of its day), and most of a row's cost would be converting it."""

    def __init__(self, tz: ZoneInfo) -> None:
        super().__init__()
        self.tz = tz

    def __missing__(self, stored: str | dt.datetime) -> dt.date:
        day = self[stored] = local_date(stored_instant(stored), self.tz)
        return day
