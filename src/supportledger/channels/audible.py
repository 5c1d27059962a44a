"""Audible (ACX). Audiobook royalties, paid about 30 days after the sales month."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from supportledger.fees import ScheduleError
from supportledger.models import Event
from supportledger.money import Money
from supportledger.months import Month
from supportledger.sources import ImportContext, ReceiptEntry, TitleRef
from supportledger.sources.csvfile import Amount, Text
from supportledger.sources.currency import currency_in
from supportledger.sources.royalties import RowMonths, RoyaltySales, month_in, percent
from supportledger.sources.xlsxfile import SheetFormat

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "audible"


# ---------------------------------------------------------------- importer
#: the royalty rates ACX pays, as percentages, and their plans: the 2014 model and the
#: newer one (paid on listening, offered from November 2024)
_PLANS = {
    Decimal(40): "exclusive",
    Decimal(25): "non_exclusive",
    Decimal(50): "engagement_exclusive",
    Decimal(30): "engagement_non_exclusive",
}
COVER_SHEET = "Cover Sheet (ACX)"


class AcxSalesDetail(SheetFormat):
    """ACX's monthly "Sales Detail (Net Sales)" sheet (XLSX), or a CSV of its columns.

    Each row is a sale: gross = Net Sales, net = Net Royalties Earned, fee = the difference.
    The month is the row's Period (or Date) column, else the cover sheet's ``Period:
    2025_OCT``, else the file name; it is paid by the end of the following month. The
    expected fee follows the Royalty Rate: 40% exclusive / 25% non-exclusive (projects from
    12 Mar 2014), or 50% / 30% on the model paid on listening (from November 2024), and
    the Payee Split of a Royalty Share title. Another currency than the ledger's needs a
    rate.
    """

    name = "acx"
    sheets = ("Sales Detail (Net Sales)",)
    product_id = Text("Product ID")
    isbn = Text("Digital ISBN", required=False, default="")
    title = Text("Title")
    transaction_type = Text("Transaction Type")
    marketplace = Text("Marketplace")
    currency = Text("Currency")
    net_units = Amount("Net Units")
    net_sales = Amount("Net Sales")
    net_royalties = Amount("Net Royalties Earned")
    period = Text("Period", "Date", required=False, default="")
    purchase_type = Text("Purchase Type", required=False, default="")
    offer = Text("Offer", required=False, default="")
    royalty_rule = Text("Royalty Rule", required=False, default="")
    royalty_rate = Text("Royalty Rate", required=False, default="")
    payee_split = Text("Payee Split", required=False, default="")

    def report_month(self, path: Path) -> Month | None:
        for _, record in self.top_records(path, COVER_SHEET):
            for cell in record:
                if cell.strip().lower().startswith("period") and month_in(cell):
                    return month_in(cell)
        return month_in(path.stem)

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry]:
        sales = RoyaltySales(NAME, context, months_later=1)
        months = RowMonths(
            path,
            self.report_month,
            "Period",
            f"no Period column, no 'Period: YYYY_MON' on the {COVER_SHEET!r} sheet "
            f"or in the file name",
        )
        for row in self.rows(path):
            month = months.of(row.line, row.period)
            currency = currency_in(path, row.line, "Currency", row.currency)
            rate = sales.to_base.rate(currency, path, row.line, "Currency")
            paid = Money(row.net_sales, currency).rounded()
            gross = sales.to_base.apply(paid, rate, sales.to_base.base)
            yield sales.sale(
                month,
                (
                    row.product_id,
                    row.marketplace,
                    row.transaction_type,
                    row.purchase_type,
                    row.offer,
                    row.royalty_rule,
                    currency,
                ),
                paid=paid,
                royalty=Money(row.net_royalties, currency).rounded(),
                rate=rate,
                event=Event.REFUND if "return" in row.transaction_type.lower() else Event.PAYMENT,
                expected_fee=self._expected(path, row, context, month, gross),
                described_by=(row.title, row.marketplace, row.transaction_type, row.offer),
                line=row.line,
                title=TitleRef.of(row.title, isbn=row.isbn, audible=row.product_id),
            )

    def _expected(self, path, row, context, month, gross: Money) -> Money | None:
        """What Audible keeps under the rate's plan; on Royalty Share the producer's half
        of the royalty is not the writer's either."""
        rate = percent(path, row, "Royalty Rate", row.royalty_rate)
        plan = _PLANS.get(rate) if rate is not None else None
        if rate is not None and plan is None:
            return None  # a rate the schedule has no plan for
        try:
            store = context.schedule.expected_fee(NAME, month.first_day, gross, plan)
        except ScheduleError:
            return None
        if store is None:
            return None
        split = percent(path, row, "Payee Split", row.payee_split)
        if split is None or split == 100:
            return store
        return (gross - (gross - store) * (split / 100)).rounded()
