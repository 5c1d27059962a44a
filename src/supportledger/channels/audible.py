"""Audible (ACX). Audiobook royalties, paid about 30 days after the sales month."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from supportledger.channels import Channel
from supportledger.fees import ScheduleError
from supportledger.models import Event, Kind
from supportledger.money import Money, MoneyError, parse_decimal
from supportledger.months import Month
from supportledger.sources import ImportContext, ReceiptEntry, RowError
from supportledger.sources.csvfile import Amount, Row, Text
from supportledger.sources.currency import currency_in
from supportledger.sources.royalties import RowMonths, RoyaltySales, month_in
from supportledger.sources.xlsxfile import SheetFormat

CHANNEL = Channel(
    name="audible",
    label="Audible (ACX)",
    account="Audible",
    payouts_from_bank=True,
    default_kind=Kind.SALE,
    payout_lag_days=(0, 7),
    royalty=True,
    royalty_paid_after_days=30,
    reports_by_month=True,
    # "AUDIBLE INC ACX ROYALTY": ACX, or Audible *and* a royalty (an Audible refund is neither)
    bank_payouts=(r"\bACX\b|\bAUDIBLE\b.*\bROYALT",),
)


# ---------------------------------------------------------------- importer
_PLANS = {Decimal("0.40"): "exclusive", Decimal("0.25"): "non_exclusive"}
COVER_SHEET = "Cover Sheet (ACX)"


def _fraction(path: Path, row: Row, column: str, text: str) -> Decimal | None:
    """``40%``, ``40`` or ``0.4`` → 0.4; empty → ``None``."""
    if not text.strip():
        return None
    try:
        value = parse_decimal(text.replace("%", ""))
    except MoneyError:
        raise RowError(path, row.line, "is not a percentage", column, text) from None
    return value / 100 if "%" in text or value > 1 else value


class AcxSalesDetail(SheetFormat):
    """ACX's monthly "Sales Detail (Net Sales)" sheet (XLSX), or a CSV of its columns.

    Each row is a sale: gross = Net Sales, net = Net Royalties Earned, fee = the difference.
    The month is the row's Period (or Date) column, else the cover sheet's ``Period:
    2025_OCT``, else the file name; it is paid by the end of the following month. The
    expected fee follows the Royalty Rate (40% exclusive, 25% non-exclusive) and the Payee
    Split of a Royalty Share title. Another currency than the ledger's needs a rate.
    """

    name = "acx"
    sheets = ("Sales Detail (Net Sales)",)
    product_id = Text("Product ID")
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
        sales = RoyaltySales(CHANNEL.name, context, months_later=1)
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
            )

    def _expected(self, path, row, context, month, gross: Money) -> Money | None:
        """What Audible keeps under the rate's plan; on Royalty Share the producer's half
        of the royalty is not the writer's either."""
        rate = _fraction(path, row, "Royalty Rate", row.royalty_rate)
        plan = _PLANS.get(rate) if rate is not None else None
        if rate is not None and plan is None:
            return None  # a rate the schedule has no plan for (Audible's newer 50%/30%)
        try:
            store = CHANNEL.expected_fee(context.schedule, month.first_day, gross, plan)
        except ScheduleError:
            return None
        if store is None:
            return None
        split = _fraction(path, row, "Payee Split", row.payee_split)
        if split is None or split == 1:
            return store
        return (gross - (gross - store) * split).rounded()
