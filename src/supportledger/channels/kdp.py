"""Amazon KDP: every royalty of the monthly report, paid about 60 days after the month.

A report (KDP Reports → Prior Months' Royalties, or the Royalties Estimator, as XLSX) has a
sheet per kind of royalty: "eBook Royalty", "Paperback Royalty", "Hardcover Royalty" and
"KENP Read" (Kindle Unlimited pages read; "KENP" in the Royalties Estimator), beside sheets
of totals ("Combined Sales", "Total Earnings", the older "Total Royalty"). Each royalty
sheet is read; the totals are read only when the report has no royalty sheet (they would
count the same sales twice), and any other sheet is named in the import summary, never
dropped in silence. A CSV holds one such table.

Amazon computes each row's royalty and rounds it once per row, not per copy; the expected
fee does the same (the schedule's ``rounding = "net"``), so a ten-copy row is not flagged
for the cents a per-copy sum would differ by.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from supportledger.fees import FeeSchedule, ScheduleError
from supportledger.models import Event
from supportledger.money import Money, MoneyError, currency_code
from supportledger.months import Month
from supportledger.sources import (
    Entry,
    ImportContext,
    Skipped,
    TitleRef,
)
from supportledger.sources.csvfile import Amount, Row, Text
from supportledger.sources.currency import currency_in
from supportledger.sources.royalties import RowMonths, RoyaltySales, month_in, whole_units
from supportledger.sources.xlsxfile import SheetFormat, open_workbook

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "kdp"
#: a royalty month is paid by the end of the second month after it
MONTHS_LATER = 2
#: the sheets of totals: read only when a report has no sheet per kind of royalty
TOTAL_SHEETS = ("Combined Sales", "Total Earnings", "Total Royalty")
#: Amazon's marketplaces and their currencies, for sheets that state no Currency (KENP)
MARKETPLACE_CURRENCIES = {
    "amazon.com": "USD", "amazon.ca": "CAD", "amazon.com.br": "BRL", "amazon.com.mx": "MXN",
    "amazon.co.uk": "GBP", "amazon.de": "EUR", "amazon.fr": "EUR", "amazon.es": "EUR",
    "amazon.it": "EUR", "amazon.nl": "EUR", "amazon.co.jp": "JPY", "amazon.in": "INR",
    "amazon.com.au": "AUD",
}  # fmt: skip


def delivery_cost(
    schedule: FeeSchedule, on: dt.date, currency: str, megabytes: Decimal, plan: str
) -> Money:
    """Delivery cost of one copy on the 70% option: the per-MB price × size, at least one
    minor unit (the KDP pricing page)."""
    rate = schedule.rule(NAME, on, plan).delivery_per_mb.get(currency)
    if rate is None:
        return Money.zero(currency)
    return max((Money(rate, currency) * megabytes).rounded(), Money.from_minor(1, currency))


class _Royalties(SheetFormat):
    """The columns every royalty sheet shares."""

    #: the sheets this layout is read from
    sheets: ClassVar[tuple[str, ...]] = ()
    title = Text("Title")
    marketplace = Text("Marketplace")
    royalty_type = Text("Royalty Type")
    royalty = Amount("Royalty", "Earnings")
    currency = Text("Currency")
    royalty_date = Text("Royalty Date", required=False, default="")
    transaction_type = Text(
        "Transaction Type", "Transaction Type*", "Payout Plan", required=False, default=""
    )
    offer_price = Amount("Avg. Offer Price without tax", required=False)
    list_price = Amount("Avg. List Price without tax", required=False)

    def identifiers(self, row: Row) -> TitleRef | None:
        return TitleRef.of(row.title, asin=row.asin)

    def costs(self, schedule, on: dt.date, row: Row, currency: str, plan: str) -> dict:
        """What the rule's components take a share of besides the price, per copy."""
        return {}


class EbookRoyalty(_Royalties):
    """The "eBook Royalty" sheet, or the older single sheet (a title row above the
    header), or a totals sheet of a report that has no royalty sheet."""

    sheets = ("eBook Royalty",)
    asin = Text("ASIN", "ASIN/ISBN", "eBook ASIN")
    net_units = Amount(
        "Net Units Sold",
        "Net Units Sold or KENP Read**",
        "Net Units Sold or KENP Read",
        "Net Units Sold or Combined KENP",
    )
    file_size = Amount("Avg. File Size (MB)", required=False, default=Decimal(0))
    manufacturing = Amount(
        "Avg. Manufacturing Cost", "Avg. Delivery/Manufacturing cost", required=False
    )

    def costs(self, schedule, on, row, currency, plan):
        if plan == "70":
            return {"delivery": delivery_cost(schedule, on, currency, row.file_size, plan)}
        if row.manufacturing is not None:
            return {"printing": Money(row.manufacturing, currency)}
        return {}


class PrintRoyalty(_Royalties):
    """The "Paperback Royalty" and "Hardcover Royalty" sheets: 60% (50% below $9.99 from
    10 Jun 2025, 40% on expanded distribution) of the list price less the printing cost."""

    sheets = ("Paperback Royalty", "Hardcover Royalty")
    asin = Text("ISBN", "ASIN/ISBN", "ASIN")
    net_units = Amount("Net Units Sold")
    manufacturing = Amount("Avg. Manufacturing Cost", required=False)

    def identifiers(self, row):
        return TitleRef.of(row.title, isbn=row.asin.replace("-", ""))

    def costs(self, schedule, on, row, currency, plan):
        if row.manufacturing is None:
            return {}
        return {"printing": Money(row.manufacturing, currency)}


class KenpRead(SheetFormat):
    """Kindle Unlimited pages read ("KENP Read", or "KENP" in the Royalties Estimator): a
    row per day (or month), title and marketplace. Their royalty is the pages × the month's
    rate per page, as the report states it: the row's Royalty, else its rate per page, else
    the rate written above the sheet's header (``KENP rate: USD 0.0045``), for the
    marketplaces of that currency."""

    sheets: ClassVar[tuple[str, ...]] = ("KENP Read", "KENP")
    date = Text("Date", "Royalty Date")
    title = Text("Title")
    asin = Text("ASIN", "eBook ASIN")
    marketplace = Text("Marketplace")
    pages = Amount(
        "Kindle Edition Normalized Page (KENP) Read",
        "Kindle Edition Normalized Pages (KENP) Read from KU and KOLL",
        "KENP",
    )
    royalty = Amount("Royalty", "Earnings", required=False)
    rate = Amount("KENP Rate", "Royalty per KENP", "Rate per KENP", required=False)
    currency = Text("Currency", required=False, default="")


#: the layouts, in the order their sheets are read
LAYOUTS: tuple[type[SheetFormat], ...] = (EbookRoyalty, PrintRoyalty, KenpRead)


@dataclass
class _Pages:
    """A month's pages read of one title on one marketplace, summed over its days."""

    title: str
    currency: str
    line: int
    pages: Decimal = Decimal(0)
    royalty: Decimal = Decimal(0)
    rate: Decimal | None = None
    stated: bool = True  # every day stated its royalty


class KdpRoyalties:
    """KDP royalty reports: the XLSX as downloaded, or a CSV with one sheet's columns.

    Each sales row (title × marketplace × royalty type × transaction type) is a sale in the
    royalty month: gross = what readers paid (net units × average offer price without tax,
    else the list price), net = the royalty, fee = gross − royalty; the expected fee follows
    the row's royalty type (70% with the delivery cost of its file size, 35%, or print's
    60% / 50% / 40% less the printing cost). Pages read are summed per month, title and
    marketplace: a sale whose gross is its royalty (readers paid a subscription, not the
    book). A row with no price (KENP on a totals sheet) has gross = royalty. The month
    comes from the row, else from a "Month YYYY" above the header, else from the file name.

    A marketplace currency other than the ledger's needs a rate (``import --rate``: units of
    the base currency per unit); without one the import stops naming that currency, rather
    than book a pound as a dollar or drop the sale.
    """

    name = "kdp"

    def identify(self, path: Path, head: bytes) -> bool:
        return any(layout.identify(path, head) for layout in LAYOUTS)

    def entries(self, path: Path, context: ImportContext) -> Iterator[Entry]:
        sales = RoyaltySales(NAME, context, months_later=MONTHS_LATER)
        if not SheetFormat._is_xlsx(path):
            layout = next((f for f in LAYOUTS if f.identify(path, _head(path))), EbookRoyalty)
            yield from self._table(path, layout, None, context, sales)
            return
        with open_workbook(path) as book:
            names = book.sheet_names
        plan = _reading_plan(names)
        for sheet in names:
            layout = plan.get(sheet)
            if layout is None:
                yield Skipped(_unread(sheet, plan), None)
                continue
            yield from self._table(path, layout, sheet, context, sales)

    def _table(self, path, layout, sheet, context, sales) -> Iterator[Entry]:
        months = RowMonths(
            path,
            lambda p: _report_month(p, layout, sheet),
            "Royalty Date",
            "no Royalty Date, no 'Month YYYY' above the header or in the file name",
        )
        rows = layout.rows_of(path, sheet)
        if layout is KenpRead:
            yield from _pages_read(path, sheet, rows, months, sales)
            return
        fmt = layout()
        for row in rows:
            yield self._sale(path, fmt, row, months.of(row.line, row.royalty_date), context, sales)

    @staticmethod
    def _sale(path, fmt: _Royalties, row: Row, month: Month, context, sales) -> Entry:
        currency = currency_in(path, row.line, "Currency", row.currency)
        units = whole_units(path, row, "Net Units Sold", row.net_units)
        royalty = Money(row.royalty, currency).rounded()
        price = row.offer_price if row.offer_price is not None else row.list_price
        paid = (Money(price, currency) * units).rounded() if price is not None else royalty
        if not paid and not royalty:
            return Skipped("no money: no units sold, or a free promotion", row.line)
        rate = sales.to_base.rate(currency, path, row.line, "Currency")
        plan = row.royalty_type.strip().rstrip("%").strip()
        expected = None
        if price is not None and plan:
            try:
                costs = fmt.costs(context.schedule, month.first_day, row, currency, plan)
                kept = context.schedule.expected_fee(
                    NAME,
                    month.first_day,
                    paid,
                    plan,
                    bases={basis: cost * units for basis, cost in costs.items()},
                )
            except ScheduleError:
                kept = None  # a royalty type the schedule has no plan for
            expected = None if kept is None else sales.in_base(kept, rate)
        return sales.sale(
            month,
            (row.asin, row.marketplace, row.royalty_type, row.transaction_type),
            paid=paid,
            royalty=royalty,
            rate=rate,
            event=Event.REFUND if royalty.amount < 0 else Event.PAYMENT,
            expected_fee=expected,
            described_by=(row.title, row.marketplace, row.royalty_type, row.transaction_type),
            line=row.line,
            title=fmt.identifiers(row),
        )


def _head(path: Path) -> bytes:
    with Path(path).open("rb") as handle:
        return handle.read(1 << 16)


def _reading_plan(sheets: Iterable[str]) -> dict[str, type[SheetFormat]]:
    """Which layout reads each sheet: the royalty sheets, else one sheet of totals, else
    the first sheet (the older single-sheet report)."""
    sheets = list(sheets)
    plan = {s: layout for layout in LAYOUTS for s in sheets if s in layout.sheets}
    if plan:
        return plan
    totals = next((s for s in TOTAL_SHEETS if s in sheets), None)
    return {totals or sheets[0]: EbookRoyalty}


def _unread(sheet: str, plan: dict) -> str:
    """Why a sheet of the report is not read: the import summary names it."""
    if sheet in TOTAL_SHEETS and plan:
        return f"sheet {sheet!r}: totals of the sheets read, not counted twice"
    return f"sheet {sheet!r}: not a royalty sheet this importer knows; nothing in it is booked"


def _report_month(path: Path, layout: type[SheetFormat], sheet: str | None) -> Month | None:
    """The month written above the sheet's header, else in the file name."""
    for _, record in layout.top_records(path, sheet):
        if layout._match_header(record) is not None:
            break
        found = next(filter(None, map(month_in, record)), None)
        if found:
            return found
    return month_in(path.stem)


_RATE_LABEL = re.compile(r"(?i)\brate\b|\bper\s+(?:kenp|page)\b")
_RATE_NUMBER = re.compile(r"\d*\.\d+")


def _stated_rates(path: Path, sheet: str | None) -> dict[str, Decimal]:
    """Rates per page written above the KENP sheet's header, per currency (a rate whose
    currency is not written beside it is not guessed at)."""
    rates: dict[str, Decimal] = {}
    for _, record in KenpRead.top_records(path, sheet):
        if KenpRead._match_header(record) is not None:
            break
        for at, cell in enumerate(record):
            if not _RATE_LABEL.search(cell):
                continue
            text = " ".join(record[at : at + 3])
            number = _RATE_NUMBER.search(text)
            currency = _currency_named(text)
            if number and currency:
                rates[currency] = Decimal(number.group())
    return rates


def _currency_named(text: str) -> str | None:
    if "$" in text and not re.search(r"\b[A-Z]{3}\b", text):
        return "USD"
    for word in re.findall(r"\b[A-Z]{3}\b", text):
        try:
            return currency_code(word)
        except MoneyError:
            continue
    return None


def _pages_read(path, sheet, rows, months: RowMonths, sales: RoyaltySales) -> Iterator[Entry]:
    """A sale per month, title and marketplace of pages read, its royalty rounded once.

    A sheet whose rows state neither a royalty nor a rate per page cannot be booked: it is
    named in the import summary with the pages it holds, and nothing of it is guessed."""
    months_read: dict[tuple, _Pages] = {}
    stated = _stated_rates(path, sheet)
    for row in rows:
        month = months.of(row.line, row.date)
        currency = row.currency or MARKETPLACE_CURRENCIES.get(row.marketplace.strip().lower())
        currency = currency_in(path, row.line, "Marketplace", currency or row.marketplace)
        key = (month, row.asin, row.marketplace)
        read = months_read.setdefault(key, _Pages(row.title, currency, row.line))
        read.pages += row.pages
        if row.royalty is not None:
            read.royalty += row.royalty
        else:
            read.stated = False
            read.rate = row.rate if row.rate is not None else stated.get(currency, read.rate)
    unpriced = Decimal(0)
    for (month, asin, marketplace), read in months_read.items():
        if read.stated:
            royalty = Money(read.royalty, read.currency).rounded()
        elif read.rate is not None:
            royalty = (Money(read.rate, read.currency) * read.pages).rounded()
        else:
            unpriced += read.pages
            continue
        if not royalty:
            continue
        rate = sales.to_base.rate(read.currency, path, read.line, "Marketplace")
        yield sales.sale(
            month,
            (asin, marketplace, "KENP"),
            paid=royalty,
            royalty=royalty,
            rate=rate,
            event=Event.REFUND if royalty.amount < 0 else Event.PAYMENT,
            expected_fee=None,
            described_by=(read.title, marketplace, f"{read.pages:f} KENP pages read"),
            line=read.line,
            title=TitleRef.of(read.title, asin=asin),
        )
    if unpriced:
        yield Skipped(
            f"sheet {sheet or path.name!r}: {unpriced:f} KENP pages read and no royalty or "
            f"rate per page stated; not booked (import the Prior Months' Royalties report)",
            None,
        )
