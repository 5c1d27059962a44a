"""Kobo Writing Life: ebook sales, paid 45 days after the month once CAD 50 is due.

:class:`KoboSalesReport` reads the monthly sales report (My Account → Payment Information;
the consolidated template since February 2017), XLSX or CSV, by the column names of its
glossary: ``Date, Country, State, Zip Code, Content Type, Total Qty, Refund Reason, DealID,
Publisher Name, Imprint, eISBN, Author, Title, List Price (LP), Tax Excluded List Price,
COGS %, COGS Amount (LP Currency), List Price Currency, …, COGS Adjustment (Payable
Currency), Net Due (Payable Currency), Payable Currency, Total Tax (Payable Currency)``.
"COGS" is the writer's royalty (Kobo's cost of the goods it sold).

A row is a sale in the month of its date: gross = Tax Excluded List Price × Total Qty in
the list price's currency, net = Net Due in the payable currency (each converted only at a
rate the writer gave), fee = the difference. A refund has a negative quantity. The COGS %
picks the fee plan (70% or 45%).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from supportledger.channels import get_channel
from supportledger.fees import ScheduleError
from supportledger.models import Event
from supportledger.money import Money
from supportledger.months import Month
from supportledger.sources import ImportContext, ReceiptEntry, TitleRef
from supportledger.sources.csvfile import Amount, Date, Text
from supportledger.sources.royalties import RoyaltySales, percent, whole_units
from supportledger.sources.xlsxfile import SheetFormat

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "kobo"


class KoboSalesReport(SheetFormat):
    """Kobo Writing Life's consolidated sales report: a sale per row."""

    name = "kobo"
    date = Date("Date", formats=("%Y-%m-%d", "%Y/%m/%d"))
    country = Text("Country", default="")
    content_type = Text("Content Type", default="")
    quantity = Amount("Total Qty")
    deal = Text("DealID", default="")
    isbn = Text("eISBN")
    title = Text("Title")
    price = Amount("Tax Excluded List Price")
    royalty_rate = Text("COGS %", default="")
    price_currency = Text("List Price Currency")
    net_due = Amount("Net Due (Payable Currency)")
    payable_currency = Text("Payable Currency")

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry]:
        sales = RoyaltySales(NAME, context, days=get_channel(NAME).royalty_paid_after_days)
        for row in self.rows(path):
            month = Month.of(row.date)
            units = whole_units(path, row, "Total Qty", row.quantity)
            price, paid_rate = sales.amount_in(
                path, row.line, row.price, row.price_currency, "List Price Currency"
            )
            due, rate = sales.amount_in(
                path, row.line, row.net_due, row.payable_currency, "Payable Currency"
            )
            paid, royalty = (price * units).rounded(), due.rounded()
            rate_of = percent(path, row, "COGS %", row.royalty_rate)
            plan = None if rate_of is None else f"{rate_of.normalize():f}"
            where = (row.date, row.country, row.content_type, row.deal)
            yield sales.sale(
                month,
                (row.isbn, *where, row.price, price.currency),
                paid=paid,
                royalty=royalty,
                rate=rate,
                paid_rate=paid_rate,
                event=Event.REFUND if units < 0 else Event.PAYMENT,
                expected_fee=_expected(context, month, sales.in_base(paid, paid_rate), plan),
                described_by=(row.title, row.country, row.content_type),
                line=row.line,
                title=TitleRef.of(row.title, isbn=row.isbn),
            )


def _expected(context: ImportContext, month: Month, gross: Money, plan: str | None):
    """What Kobo keeps under the plan the row's royalty rate names (``None``: a rate the
    schedule has no plan for)."""
    try:
        return context.schedule.expected_fee(NAME, month.first_day, gross, plan)
    except ScheduleError:
        return None
