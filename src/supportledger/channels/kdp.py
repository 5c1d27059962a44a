"""Amazon KDP: ebook royalties, paid about 60 days after the end of the royalty month.

On the 70% option Amazon also keeps 70% of a delivery cost per megabyte, so the fee rule
needs the file size as well as the price.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from supportledger.channels import Channel
from supportledger.fees import FeeSchedule, ScheduleError
from supportledger.models import Event, Kind
from supportledger.money import Money
from supportledger.months import Month
from supportledger.sources import ImportContext, ReceiptEntry, RowError, Skipped
from supportledger.sources.csvfile import Amount, Row, Text
from supportledger.sources.currency import currency_in
from supportledger.sources.royalties import RowMonths, RoyaltySales, month_in
from supportledger.sources.xlsxfile import SheetFormat


class KdpChannel(Channel):
    def delivery_cost(
        self, schedule: FeeSchedule, on: dt.date, currency: str, megabytes: Decimal, plan: str
    ) -> Money:
        """Delivery cost of one copy: the per-MB price × size, at least one minor unit."""
        rate = schedule.rule(self.name, on, plan).delivery_per_mb.get(currency)
        if rate is None:
            return Money.zero(currency)
        return max((Money(rate, currency) * megabytes).rounded(), Money.from_minor(1, currency))

    def royalty_fee(
        self,
        schedule: FeeSchedule,
        on: dt.date,
        price: Money,
        units: int,
        megabytes: Decimal = Decimal(0),
        plan: str | None = None,
    ) -> Money | None:
        """What Amazon keeps of ``units`` copies sold at ``price`` under the schedule."""
        plan = plan or schedule.defaults.get(self.name)
        delivery = self.delivery_cost(schedule, on, price.currency, megabytes, plan)
        per_copy = self.expected_fee(schedule, on, price, plan, bases={"delivery": delivery})
        return None if per_copy is None else per_copy * units


CHANNEL = KdpChannel(
    name="kdp",
    label="Amazon KDP",
    account="KDP",
    payouts_from_bank=True,
    default_kind=Kind.SALE,
    payout_lag_days=(0, 7),
    royalty=True,
    royalty_paid_after_days=60,
    reports_by_month=True,
    # "AMAZON.COM SERVICES KDP ROYALTY PPD ID: …": Amazon *and* KDP, since Amazon pays many
    # things that are not royalties (a marketplace seller's "AMAZON MKTPLACE PMTS", refunds)
    bank_payouts=(r"\b(?:AMAZON|AMZN)\b.*\bKDP\b|\bKINDLE\s+DIRECT\s+PUBLISHING\b",),
)


# ---------------------------------------------------------------- importer
_PLANS = {"70%": "70", "35%": "35"}


def _whole(path: Path, row: Row, column: str, value: Decimal) -> int:
    if value != value.to_integral_value():
        raise RowError(path, row.line, "is not a whole number of units", column, str(value))
    return int(value)


class KdpRoyalties(SheetFormat):
    """KDP royalty reports: the XLSX as downloaded, or a CSV with the same columns.

    One sheet is read, so nothing is counted twice: "eBook Royalty", else "Combined Sales",
    "Total Earnings" or "Total Royalty", else the first sheet (the older single-sheet layout
    with a title row above the header). Paperback, hardcover and KENP sheets are not read.

    Each row (title × marketplace × royalty type × transaction type) is a sale in the
    royalty month: gross = what readers paid (net units × average offer price without tax,
    else the list price), net = the royalty, fee = gross − royalty; the expected fee is
    :meth:`KdpChannel.royalty_fee` (35% or 70% with the delivery cost of the file size). A row
    with no price (KENP) has gross = royalty. The month comes from the Royalty Date column,
    else from a "Month YYYY" above the header, else from the file name.

    A marketplace currency other than the ledger's needs a rate (``import --rate``: units of the
    base currency per unit); without one the import stops naming that currency, rather
    than book a pound as a dollar or drop the sale.
    """

    name = "kdp"
    sheets = ("eBook Royalty", "Combined Sales", "Total Earnings", "Total Royalty")
    title = Text("Title")
    asin = Text("ASIN", "ASIN/ISBN", "eBook ASIN")
    marketplace = Text("Marketplace")
    royalty_type = Text("Royalty Type")
    net_units = Amount(
        "Net Units Sold",
        "Net Units Sold or KENP Read**",
        "Net Units Sold or KENP Read",
        "Net Units Sold or Combined KENP",
    )
    royalty = Amount("Royalty", "Earnings")
    currency = Text("Currency")
    royalty_date = Text("Royalty Date", required=False, default="")
    transaction_type = Text(
        "Transaction Type", "Transaction Type*", "Payout Plan", required=False, default=""
    )
    offer_price = Amount("Avg. Offer Price without tax", required=False)
    list_price = Amount("Avg. List Price without tax", required=False)
    file_size = Amount("Avg. File Size (MB)", required=False, default=Decimal(0))

    def report_month(self, path: Path) -> Month | None:
        """The month written above the header, else in the file name."""
        for _, record in self.top_records(path):
            if self._match_header(record) is not None:
                break
            found = next(filter(None, map(month_in, record)), None)
            if found:
                return found
        return month_in(path.stem)

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry | Skipped]:
        sales = RoyaltySales(CHANNEL.name, context, months_later=2)
        months = RowMonths(
            path,
            self.report_month,
            "Royalty Date",
            "no Royalty Date, no 'Month YYYY' above the header or in the file name",
        )
        for row in self.rows(path):
            month = months.of(row.line, row.royalty_date)
            currency = currency_in(path, row.line, "Currency", row.currency)
            units = _whole(path, row, "Net Units Sold", row.net_units)
            royalty = Money(row.royalty, currency).rounded()
            price = row.offer_price if row.offer_price is not None else row.list_price
            paid = (Money(price, currency) * units).rounded() if price is not None else royalty
            if not paid and not royalty:
                yield Skipped("no money: no units sold, or a free promotion", row.line)
                continue
            rate = sales.to_base.rate(currency, path, row.line, "Currency")
            expected = None
            plan = _PLANS.get(row.royalty_type.strip())
            if plan and price is not None:
                try:
                    kept = CHANNEL.royalty_fee(
                        context.schedule,
                        month.first_day,
                        Money(price, currency),
                        units,
                        row.file_size,
                        plan,
                    )
                except ScheduleError:
                    kept = None
                expected = (
                    None if kept is None else sales.to_base.apply(kept, rate, sales.to_base.base)
                )
            yield sales.sale(
                month,
                (row.asin, row.marketplace, row.royalty_type, row.transaction_type),
                paid=paid,
                royalty=royalty,
                rate=rate,
                event=Event.REFUND if royalty.amount < 0 else Event.PAYMENT,
                expected_fee=expected,
                described_by=(row.title, row.marketplace, row.royalty_type, row.transaction_type),
                line=row.line,
            )
