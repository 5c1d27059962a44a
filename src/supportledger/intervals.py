"""Billing intervals: how often a recurring commitment is paid, as a type.

A source states its interval in its own words (Patreon's "monthly"/"annual", Stripe's
``interval`` and ``interval_count``); each importer turns them into an :class:`Interval`, which
is what the ledger stores (as its text: ``month``, ``quarter``, ``year``, ``2 months``,
``14 days``) and what MRR divides by.
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import isleap
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

#: days in a year, for intervals counted in days (a 7-day plan is paid 365 / 12 / 7 a month)
DAYS_PER_YEAR = 365
_NAMED = {"month": 1, "quarter": 3, "year": 12}
_TEXT = re.compile(r"(\d+)\s+(month|day|year)s?")
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@lru_cache(maxsize=1 << 14)
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or that month's last day (31 Jan + 1 → 28 Feb).
    Remembered: standing works out the same due days for commitment after commitment."""
    year, index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = 29 if index == 1 and isleap(year) else _MONTH_DAYS[index]
    return day.replace(year=year, month=index + 1, day=min(day.day, last))


@dataclass(frozen=True, order=True)
class Interval:
    """A billing period of a whole number of months, or else of days (never both)."""

    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if (self.months > 0) == (self.days > 0) or min(self.months, self.days) < 0:
            raise ValueError(f"an interval is some months or some days: {self!r}")

    @classmethod
    def parse(cls, text: str) -> Interval:
        """``month``, ``quarter``, ``year``, ``N months``, ``N years`` or ``N days``."""
        return _parsed(" ".join(str(text).strip().lower().split()))

    def __str__(self) -> str:
        if self.days:
            return f"{self.days} days" if self.days > 1 else "1 day"
        named = {months: name for name, months in _NAMED.items()}
        return named.get(self.months, f"{self.months} months")

    def after(self, day: dt.date) -> dt.date:
        """The day one interval after ``day`` (a month after 31 January is 28 February)."""
        if self.days:
            return day + dt.timedelta(days=self.days)
        return add_months(day, self.months)

    def monthly(self, minor: int) -> Decimal:
        """``minor`` units paid once an interval, as units a month: exact until summed and
        rounded once (an annual plan's 12000 is 1000 a month)."""
        if self.days:
            return Decimal(minor) * DAYS_PER_YEAR / (12 * self.days)
        return Decimal(minor) / self.months


@cache
def _parsed(key: str) -> Interval:
    """An interval's words, once each (a ledger stores a handful of them, read on every row)."""
    if key in _NAMED:
        return Interval(months=_NAMED[key])
    match = _TEXT.fullmatch(key)
    if match is None or int(match[1]) == 0:
        raise ValueError(f"not a billing interval: {key!r}")
    count, unit = int(match[1]), match[2]
    if unit == "day":
        return Interval(days=count)
    return Interval(months=count * (12 if unit == "year" else 1))


MONTH = Interval(months=1)
QUARTER = Interval(months=3)
YEAR = Interval(months=12)
