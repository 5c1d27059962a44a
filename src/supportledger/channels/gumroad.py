"""Gumroad: sales of books and memberships; Gumroad pays out to the bank weekly.

:class:`GumroadSales` reads the sales CSV (Sales → Export), whose columns are those of
Gumroad's own exporter (``Exports::PurchaseExportService::PURCHASE_FIELDS``): ``Purchase
ID, Item Name, Buyer Name, Purchase Email, …, Purchase Time (UTC timezone), …, Sale Price
($), Fees ($), Net Total ($), …, Refunded?, Partial Refund ($), Fully Refunded?, Disputed?,
Dispute Won?, …, Recurring Charge?, …, Product ID, …, Discover?, …``, ended by a
``Totals`` row. Amounts are US dollars.

Each sale is a receipt: gross = Sale Price, net = Net Total, fee = the difference (Gumroad's
fee, the processor's and an affiliate's commission). A sale's row says whether it was
refunded or lost to a dispute, not when: the refund or chargeback is booked on the sale's
own date (a closed month is never changed: it lands in the first open one).

The export also lists purchases that took no money (its search keeps Gumroad's
``NON_GIFT_SUCCESS_STATES``: ``preorder_authorization_successful`` and free trials'
``not_charged``): a pre-order's card authorisation (``Pre-order authorization? = 1``), whose
charge at release is a row of its own, and a membership's free trial (``Free trial
purchase? = 1``). Both are skipped with that reason, never booked as a sale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from supportledger.models import Event, Kind
from supportledger.money import Money
from supportledger.sources import (
    ImportContext,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
    TitleRef,
    taken_back,
)
from supportledger.sources.csvfile import Amount, CsvFormat, DateTime, Row, Text
from supportledger.sources.currency import ToBase

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "gumroad"
#: the export's amounts are in US dollars (its headers say so)
CURRENCY = "USD"
#: the label of the export's last row, which adds up the columns
TOTALS = "Totals"


def _yes(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes")


class GumroadSales(CsvFormat):
    """Gumroad's sales export: a receipt per sale, and its refund or chargeback."""

    name = "gumroad"
    purchase_id = Text("Purchase ID")
    item = Text("Item Name", default="")
    buyer = Text("Buyer Name", default="")
    email = Text("Purchase Email", default="")
    time = DateTime(
        "Purchase Time (UTC timezone)",
        formats=("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d %H:%M:%S %z"),
        default="",
    )
    sale_price = Amount("Sale Price ($)", default="")
    net_total = Amount("Net Total ($)", default="")
    fees = Amount("Fees ($)")
    fully_refunded = Text("Fully Refunded?", default="0")
    partial_refund = Amount("Partial Refund ($)", required=False)
    disputed = Text("Disputed?", default="0")
    dispute_won = Text("Dispute Won?", default="0")
    recurring = Text("Recurring Charge?", default="0")
    free_trial = Text("Free trial purchase?", required=False, default="0")
    preorder_authorization = Text("Pre-order authorization?", required=False, default="0")
    product_id = Text("Product ID", default="")
    discover = Text("Discover?", default="0")

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry | Skipped]:
        to_base = ToBase(context.base_currency, context.rates)
        for row in self.rows(path):
            if row.purchase_id == TOTALS:
                yield Skipped("the export's totals row", row.line)
                continue
            if _yes(row.preorder_authorization):
                yield Skipped("a pre-order's authorisation: its charge is its own row", row.line)
                continue
            if _yes(row.free_trial):
                yield Skipped("a free trial: nothing charged", row.line)
                continue
            for name in ("time", "sale_price", "net_total"):
                if getattr(row, name) == "":
                    column = next(c for c in self.columns() if c.attr == name).names[0]
                    raise RowError(path, row.line, "is empty", column, "")
            yield from self._sale(path, row, to_base)

    def _sale(self, path: Path, row: Row, to_base: ToBase) -> Iterator[ReceiptEntry]:
        rate = to_base.rate(CURRENCY, path, row.line, "Sale Price ($)")

        def usd(amount) -> Money:
            return to_base.apply(Money(amount, CURRENCY), rate, to_base.base)

        instant = row.time if row.time.tzinfo else row.time.replace(tzinfo=dt.UTC)
        sale = ReceiptEntry(
            channel=NAME,
            external_id=row.purchase_id,
            occurred_at=instant.astimezone(dt.UTC),
            gross=usd(row.sale_price),
            fee=usd(row.sale_price) - usd(row.net_total),
            kind=Kind.RECURRING if _yes(row.recurring) else Kind.SALE,
            original=Money(row.sale_price, CURRENCY) if rate is not None else None,
            fx_rate=rate,
            flags=frozenset({"discover"} if _yes(row.discover) else ()),
            supporter=SupporterRef(name=row.buyer or None, email=row.email or None)
            if row.buyer or row.email
            else None,
            title=TitleRef.of(row.item, gumroad=row.product_id),
            description=row.item,
            line=row.line,
        )
        yield sale
        lost = self._lost(row)
        if lost is not None:
            event, amount = lost
            part = Money(amount, CURRENCY)
            yield taken_back(sale, event, usd(amount), part if rate is not None else None)

    @staticmethod
    def _lost(row: Row) -> tuple[Event, object] | None:
        """What the sale lost afterwards: the whole price to a refund or a lost dispute, or
        a part refunded."""
        if _yes(row.disputed) and not _yes(row.dispute_won):
            return Event.CHARGEBACK, row.sale_price
        if _yes(row.fully_refunded):
            return Event.REFUND, row.sale_price
        if row.partial_refund:
            return Event.REFUND, row.partial_refund
        return None
