"""Apple Books: ebook sales, paid within 45 days of the end of Apple's fiscal month.

:class:`AppleFinancialReport` reads the financial report Apple gives book publishers
(Payments and Financial Reports, the same tab-separated layout as every iTunes financial
report): ``Start Date, End Date, UPC, ISRC/ISBN, Vendor Identifier, Quantity, Partner
Share, Extended Partner Share, Partner Share Currency, Sales or Return, Apple Identifier,
Artist/Show/Developer/Author, Title, Label/Studio/Network/Developer/Publisher, Grid,
Product Type Identifier, ISAN/Other Identifier, Country Of Sale, Pre-order Flag, Promo
Code, Customer Price, Customer Currency``, ended by ``Total_Rows`` / ``Total_Amount`` /
``Total_Units`` lines that add it up.

A row is a sale in the month its fiscal period is for (Apple's months start and end on
other days than the calendar's: the month of the period's middle day): gross = Customer
Price × Quantity in the customer's currency, net = Extended Partner Share in the partner
share's currency (each converted only at a rate the writer gave), fee = the difference:
Apple's share, and where the customer price includes VAT, the tax Apple remitted. Apple
figures its share per copy (Partner Share is per unit, rounded), so the expected fee is one
copy's, times the copies.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from supportledger.channels import get_channel
from supportledger.fees import ScheduleError
from supportledger.models import Event
from supportledger.sources import ImportContext, ReceiptEntry, RowError, TitleRef
from supportledger.sources.csvfile import Amount, CsvFormat, Date, Row, Text
from supportledger.sources.royalties import RoyaltySales, middle_month, whole_units

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "apple_books"
#: the report's closing lines add it up: not sales
FOOTER = "total_"


class AppleFinancialReport(CsvFormat):
    """Apple's tab-separated financial report: a sale per row."""

    name = "apple-books"
    delimiter = "\t"
    start = Date("Start Date", formats=("%m/%d/%Y",))
    end = Date("End Date", formats=("%m/%d/%Y",))
    isbn = Text("ISRC/ISBN", default="")
    vendor_id = Text("Vendor Identifier", default="")
    quantity = Amount("Quantity")
    extended_share = Amount("Extended Partner Share")
    share_currency = Text("Partner Share Currency")
    sale_or_return = Text("Sales or Return", default="S")
    apple_id = Text("Apple Identifier", default="")
    title = Text("Title", default="")
    country = Text("Country Of Sale", default="")
    promo = Text("Promo Code", default="")
    customer_price = Amount("Customer Price")
    customer_currency = Text("Customer Currency")

    @classmethod
    def _rows(cls, path: Path, handle) -> Iterator[Row]:
        reader = csv.reader(handle, delimiter=cls.delimiter, strict=True)
        records: Iterable = (
            (reader.line_num, r)
            for r in reader
            if not (r and r[0].strip().lower().startswith(FOOTER))
        )
        try:
            yield from cls.parse_records(path, records)
        except csv.Error as exc:
            raise RowError(path, reader.line_num, f"is not valid CSV ({exc})") from None

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry]:
        sales = RoyaltySales(NAME, context, days=get_channel(NAME).royalty_paid_after_days)
        for row in self.rows(path):
            month = middle_month(row.start, row.end)
            units = whole_units(path, row, "Quantity", row.quantity)
            price, paid_rate = sales.amount_in(
                path, row.line, row.customer_price, row.customer_currency, "Customer Currency"
            )
            share, rate = sales.amount_in(
                path, row.line, row.extended_share, row.share_currency, "Partner Share Currency"
            )
            paid, royalty = (price * units).rounded(), share.rounded()
            # Apple figures its share per copy (the report's Partner Share is per unit)
            copy = sales.in_base(price, paid_rate)
            try:
                per_copy = context.schedule.expected_fee(NAME, month.first_day, copy)
            except ScheduleError:
                per_copy = None
            kept = None if per_copy is None else per_copy * units
            key = (row.apple_id or row.isbn, row.country, row.customer_price, price.currency)
            yield sales.sale(
                month,
                (*key, row.sale_or_return, row.promo, row.start, row.end),
                paid=paid,
                royalty=royalty,
                rate=rate,
                paid_rate=paid_rate,
                event=Event.REFUND if royalty.amount < 0 else Event.PAYMENT,
                expected_fee=kept,
                described_by=(row.title, row.country, "return" if units < 0 else ""),
                line=row.line,
                title=TitleRef.of(row.title, isbn=row.isbn, apple=row.apple_id),
            )
