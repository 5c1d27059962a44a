"""Draft2Digital: sales through the retailers D2D distributes to, paid once they have paid.

:class:`D2DSalesReport` reads the sales report (Reports → Downloads → Sales Report, CSV,
for eBooks or Print, a month or a year): ``Start Date, End Date, Publisher, Title ID,
Ebook ISBN (Paperback ISBN in print), Title, Primary Author, Distributor, Vendor, Country,
Units Sold, Units Returned, Net Unit Sales, Sales Model, Retailer, List Price Per Unit,
Currency Code, Offer Price Per Unit, Royalty Percent, Sales Channel Fee/Taxes Per Unit,
Extended Sales Channel Revenue, Sales Channel Share, D2D Share, Publisher Share, Publisher
Share USD (estimated), Verified``.

A verified row is a sale in the month of its period: gross = Offer Price Per Unit × Net
Unit Sales, net = Publisher Share, both in the row's currency (converted only at a rate the
writer gave: D2D's own "USD (estimated)" is an estimate, not the rate it pays at), fee =
the difference. A sale the retailer has not verified yet is not paid yet: skipped, and
booked when a later report shows it verified. The expected fee is D2D's share of the price
plus the retailer's share the row states.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from supportledger.channels import get_channel
from supportledger.fees import ScheduleError
from supportledger.models import Event
from supportledger.money import Money
from supportledger.sources import ImportContext, ReceiptEntry, Skipped, TitleRef
from supportledger.sources.csvfile import Amount, CsvFormat, Date, Text
from supportledger.sources.royalties import RoyaltySales, middle_month, whole_units

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "draft2digital"
_DATES = ("%Y-%m-%d", "%m/%d/%Y")


class D2DSalesReport(CsvFormat):
    """Draft2Digital's sales report, eBook or print: a sale per verified row."""

    name = "draft2digital"
    start = Date("Start Date", formats=_DATES)
    end = Date("End Date", formats=_DATES)
    isbn = Text("Ebook ISBN", "Paperback ISBN", default="")
    title_id = Text("Title ID", default="")
    title = Text("Title")
    vendor = Text("Vendor")
    retailer = Text("Retailer", default="")
    country = Text("Country", default="")
    net_units = Amount("Net Unit Sales")
    sales_model = Text("Sales Model", default="")
    currency = Text("Currency Code")
    offer_price = Amount("Offer Price Per Unit")
    retailer_share = Amount("Sales Channel Share", required=False)
    publisher_share = Amount("Publisher Share")
    verified = Text("Verified", default="")

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry | Skipped]:
        sales = RoyaltySales(NAME, context, days=get_channel(NAME).royalty_paid_after_days)
        for row in self.rows(path):
            if row.verified.strip().lower() in ("false", "no", "0", "n"):
                yield Skipped("not verified by the retailer yet: paid once it is", row.line)
                continue
            month = middle_month(row.start, row.end)
            units = whole_units(path, row, "Net Unit Sales", row.net_units)
            price, rate = sales.amount_in(
                path, row.line, row.offer_price, row.currency, "Currency Code"
            )
            currency = price.currency
            paid = (price * units).rounded()
            royalty = Money(row.publisher_share, currency).rounded()
            if not paid and not royalty:
                yield Skipped("no money: no units sold, or a free copy", row.line)
                continue
            where = (row.vendor, row.retailer, row.country, row.sales_model)
            yield sales.sale(
                month,
                (row.isbn or row.title_id, *where, row.offer_price, currency, row.start, row.end),
                paid=paid,
                royalty=royalty,
                rate=rate,
                event=Event.REFUND if units < 0 else Event.PAYMENT,
                expected_fee=self._expected(context, month, row, currency, paid, rate, sales),
                described_by=(row.title, row.vendor, row.country),
                line=row.line,
                title=TitleRef.of(row.title, isbn=row.isbn, draft2digital=row.title_id),
            )

    @staticmethod
    def _expected(context, month, row, currency, paid: Money, rate, sales) -> Money | None:
        """D2D's share of the price plus the retailer's share the row states (print rows
        state none: no expectation)."""
        if row.retailer_share is None:
            return None
        retailer = Money(row.retailer_share, currency)
        try:
            kept = context.schedule.expected_fee(
                NAME, month.first_day, paid, bases={"retailer": retailer}
            )
        except ScheduleError:
            return None
        return None if kept is None else sales.in_base(kept, rate)
