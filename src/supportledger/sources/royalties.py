"""What royalty reports (KDP, ACX) share: the royalty month, when it is due, and how a
row becomes a sale."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from supportledger.models import Event, Kind
from supportledger.money import Money, MoneyError, parse_decimal
from supportledger.months import Month
from supportledger.sources import ImportContext, ReceiptEntry, RowError, TitleRef
from supportledger.sources.currency import ToBase, currency_in
from supportledger.sources.ids import Occurrences, stable_id

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_PATTERNS = (
    # 2026-10, 2026-10-31, 2026/10
    (re.compile(r"\b(?P<y>\d{4})[-/](?P<m>\d{1,2})(?:[-/]\d{1,2})?\b"), None),
    # 10/2026, 10/31/2026
    (re.compile(r"\b(?P<m>\d{1,2})/(?:\d{1,2}/)?(?P<y>\d{4})\b"), None),
    # October 2026, Oct-2026
    (re.compile(rf"\b(?P<name>{_NAME})[\s\-,]+(?P<y>\d{{4}})\b", re.I), "name"),
    # 2025_OCT (ACX cover sheet)
    (re.compile(rf"\b(?P<y>\d{{4}})[_\s\-](?P<name>{_NAME})\b", re.I), "name"),
)


def month_in(text: str | dt.date | None) -> Month | None:
    """The month a cell names (``2026-10``, ``October 2026``, ``2025_OCT``, a date), if any."""
    if isinstance(text, dt.date):
        return Month(text.year, text.month)
    for pattern, by_name in _PATTERNS:
        match = pattern.search(text or "")
        if match:
            number = _MONTHS[match["name"].lower()] if by_name else int(match["m"])
            if 1 <= number <= 12 and int(match["y"]) >= 1:  # year 0000 is no year
                return Month(int(match["y"]), number)
    return None


def due_on(month: Month, months_later: int | None = None, days: int | None = None) -> dt.date:
    """When a royalty month is paid: the last day of the month ``months_later`` after it,
    or ``days`` after its last day."""
    if days is not None:
        return month.last_day + dt.timedelta(days=days)
    return month.shift(months_later or 0).last_day


def whole_units(path: Path, row, column: str, value: Decimal) -> int:
    """A number of copies sold (negative: returned); a fraction is a bad cell."""
    if value != value.to_integral_value():
        raise RowError(path, row.line, "is not a whole number of units", column, str(value))
    return int(value)


def percent(path: Path, row, column: str, text: str) -> Decimal | None:
    """A rate as reports write it (``40%``, ``40``, ``0.4``) as a percentage (40); an empty
    cell is ``None``, anything else a bad cell."""
    if not text.strip():
        return None
    try:
        value = parse_decimal(text.replace("%", ""))
    except MoneyError:
        raise RowError(path, row.line, "is not a percentage", column, text) from None
    return value if "%" in text or value > 1 else value * 100


#: ``paid`` is in the royalty's currency (see :meth:`RoyaltySales.sale`)
_SAME = object()


def middle_month(start: dt.date, end: dt.date) -> Month:
    """The month a reporting period (a store's fiscal month, a report's start and end
    days) is for: the one its middle day falls in, however its calendar is cut."""
    return Month.of(start + (end - start) / 2)


class RowMonths:
    """Each row's royalty month: its own cell, else the report's (looked up once, lazily)."""

    def __init__(
        self, path: Path, report_month: Callable[[Path], Month | None], column: str, where: str
    ) -> None:
        self.path, self._report_month, self.column, self.where = path, report_month, column, where
        self._report: list[Month | None] = []

    def of(self, line: int, cell: str) -> Month:
        month = month_in(cell) if cell else None
        if month is None:
            if not self._report:
                self._report.append(self._report_month(self.path))
            month = self._report[0]
        if month is None:
            raise RowError(
                self.path, line, f"has no royalty month ({self.where})", self.column, cell
            )
        return month


class RoyaltySales:
    """One report's rows as sales, alike for every royalty channel: booked at the start of
    the royalty month, due at the end of the month ``months_later`` (or ``days`` after the
    month), converted into the ledger's currency only at a given rate, and identified by
    what the row says (royalty rows carry no id; identical rows are told apart by their
    occurrence)."""

    def __init__(
        self,
        channel: str,
        context: ImportContext,
        months_later: int | None = None,
        days: int | None = None,
    ) -> None:
        self.channel, self.context = channel, context
        self.months_later, self.days = months_later, days
        self.to_base = ToBase(context.base_currency, context.rates)
        self._same_key = Occurrences()
        #: royalty month -> (when it is booked, when it is due): a report repeats a few
        self._dates: dict[Month, tuple[dt.datetime, dt.date]] = {}

    def _dated(self, month: Month) -> tuple[dt.datetime, dt.date]:
        if month not in self._dates:
            self._dates[month] = (
                month.bounds(self.context.timezone)[0],
                due_on(month, self.months_later, self.days),
            )
        return self._dates[month]

    def sale(
        self,
        month: Month,
        key: tuple[object, ...],
        *,
        paid: Money,
        royalty: Money,
        rate: Decimal | None,
        event: Event,
        expected_fee: Money | None,
        described_by: Iterable[str],
        line: int,
        title: TitleRef | None = None,
        paid_rate: Decimal | object | None = _SAME,
        external_id: str | None = None,
    ) -> ReceiptEntry:
        """The sale of a row: ``paid`` (what buyers paid) and ``royalty`` (the writer's
        share) in the report's currency, ``rate`` from :meth:`ToBase.rate`; ``key`` is
        what tells the row apart within ``month``. When buyers paid in another currency
        than the royalty's, ``paid_rate`` converts ``paid`` (the original kept is the
        royalty's). A report whose rows carry an id of their own gives it as
        ``external_id``."""
        gross = self.in_base(paid, rate if paid_rate is _SAME else paid_rate)
        net = self.in_base(royalty, rate)
        if external_id is None:
            occurrence = self._same_key.index(month, *key)
            found = stable_id(month, *key, *([occurrence] if occurrence else []))
            external_id = f"royalty:{month}:{found}"
        booked, due = self._dated(month)
        return ReceiptEntry(
            channel=self.channel,
            external_id=external_id,
            occurred_at=booked,
            gross=gross,
            fee=gross - net,
            kind=Kind.SALE,
            event=event,
            expected_fee=expected_fee,
            original=(paid if paid_rate is _SAME else royalty) if rate is not None else None,
            fx_rate=rate,
            description=" · ".join(filter(None, described_by)),
            due_on=due,
            title=title,
            line=line,
        )

    def amount_in(
        self, path: Path, line: int, amount: Decimal, currency: str, column: str
    ) -> tuple[Money, Decimal | None]:
        """``amount`` in the currency a cell of ``column`` names, and the rate that converts
        it into the ledger's (``None``: it is the ledger's); a currency with no rate given
        stops the import, naming it."""
        code = currency_in(path, line, column, currency)
        return Money(amount, code), self.to_base.rate(code, path, line, column)

    def in_base(self, amount: Money, rate: Decimal | None) -> Money:
        """``amount`` (in the report's currency) in the ledger's, at ``rate``."""
        return self.to_base.apply(amount, rate, self.to_base.base)
