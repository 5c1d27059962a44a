"""Google Play Books: ebook sales, paid monthly by Google.

:class:`GooglePlaySalesReport` reads the Sales Transaction report (Play Books Partner
Center → Analytics and Reports), as Google writes it: UTF-16, tab-separated, ``Transaction
Date (MM/DD/YY), Id, Product, Type, Preorder, Qty, Primary ISBN, Imprint Name, Title,
Author, Original List Price Currency, Original List Price, List Price Currency, List Price
[tax inclusive], List Price [tax exclusive], Country of Sale, Publisher Revenue %,
Publisher Revenue, Payment Currency, Payment Amount, Currency Conversion Rate, Line of
Business``. The ISBN is prefixed with ``'`` so spreadsheets keep its digits.

Each row is a sale (a refund has a negative quantity) under its own Id, in the month of its
date: net = Payment Amount in the payment currency; gross = the list price without tax ×
quantity, converted at the rate the row states Google applied, fee = the difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from supportledger.channels import get_channel
from supportledger.fees import ScheduleError
from supportledger.models import Event
from supportledger.money import Money
from supportledger.months import Month
from supportledger.sources import ImportContext, ReceiptEntry, TitleRef
from supportledger.sources.csvfile import Amount, CsvFormat, Date, Text
from supportledger.sources.currency import currency_in
from supportledger.sources.royalties import RoyaltySales, whole_units

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "google_play"


class GooglePlaySalesReport(CsvFormat):
    """Google Play Books' sales transaction report: a sale per transaction."""

    name = "google-play"
    encoding = "utf-16"
    delimiter = "\t"
    date = Date("Transaction Date", formats=("%m/%d/%y", "%m/%d/%Y"))
    transaction_id = Text("Id")
    type = Text("Type", default="")
    quantity = Amount("Qty")
    isbn = Text("Primary ISBN", default="")
    title = Text("Title")
    price_currency = Text("List Price Currency")
    price = Amount("List Price [tax exclusive]", "List Price (tax exclusive)")
    payment_currency = Text("Payment Currency")
    payment = Amount("Payment Amount")
    conversion = Amount("Currency Conversion Rate", required=False)

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry]:
        sales = RoyaltySales(NAME, context, days=get_channel(NAME).royalty_paid_after_days)
        for row in self.rows(path):
            month = Month.of(row.date)
            units = whole_units(path, row, "Qty", row.quantity)
            listed_in = currency_in(path, row.line, "List Price Currency", row.price_currency)
            paid_in = currency_in(path, row.line, "Payment Currency", row.payment_currency)
            # the rate Google applied, stated on the row (1 when nothing was converted)
            applied = row.conversion if listed_in != paid_in and row.conversion else Decimal(1)
            paid = Money(row.price * units * applied, paid_in).rounded()
            royalty = Money(row.payment, paid_in).rounded()
            rate = sales.to_base.rate(paid_in, path, row.line, "Payment Currency")
            try:
                kept = context.schedule.expected_fee(NAME, month.first_day, paid)
            except ScheduleError:
                kept = None
            isbn = row.isbn.strip().lstrip("'")
            yield sales.sale(
                month,
                (row.transaction_id,),
                paid=paid,
                royalty=royalty,
                rate=rate,
                event=Event.REFUND if units < 0 else Event.PAYMENT,
                expected_fee=None if kept is None else sales.in_base(kept, rate),
                described_by=(row.title, row.type),
                line=row.line,
                title=TitleRef.of(row.title, isbn=isbn),
                external_id=row.transaction_id,  # Google's own id, not a hash of the row
            )
