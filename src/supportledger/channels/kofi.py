"""Ko-fi: tips, memberships, shop orders and commissions, paid straight into the writer's
PayPal or Stripe account (Ko-fi holds no money and makes no payouts).

:class:`KofiTransactions` reads the transactions CSV (ko-fi.com/manage/transactions →
Download CSV): ``DateTime (UTC), From, Message, Item, Received, Given, Currency,
TransactionType, TransactionId, Reference, SalesTax, SalesTaxPercentage,
SalesTaxIncludesShipping, BuyerCountry, BuyerStateOrProvince, BuyerEmail, PaymentProvider,
DiscordUsername``. The file states no fee: the one booked is the schedule's, Ko-fi's
platform fee (memberships, shop and commissions on the free plan) plus the fee of the
processor the row names; a download without the PaymentProvider column is not claimed, and
a row that names no processor is refused, since PayPal's fee is not Stripe's.

The same money also appears in the PayPal or Stripe account it was paid into: import the
Ko-fi file or those payments for it, never both (the channel's ``settles_in``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from supportledger.channels import get_channel
from supportledger.models import Event, Kind
from supportledger.money import Money
from supportledger.sources import (
    ImportContext,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
    TitleRef,
)
from supportledger.sources.csvfile import Amount, CsvFormat, DateTime, Row, Text
from supportledger.sources.currency import ToBase, currency_in

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "kofi"
#: what each TransactionType is, and whether Ko-fi's platform fee applies to it
TYPES = {
    "donation": (Kind.ONE_TIME, False),
    "tip": (Kind.ONE_TIME, False),
    "subscription": (Kind.RECURRING, True),
    "shop order": (Kind.SALE, True),
    "commission": (Kind.SALE, True),
}
#: the processors a PaymentProvider names, as fee flags
PROCESSORS = {"paypal": "paypal", "stripe": "stripe"}


class KofiTransactions(CsvFormat):
    """Ko-fi's transactions CSV: each row received is a receipt under its TransactionId."""

    name = "kofi"
    date = DateTime(
        "DateTime (UTC)",
        formats=("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S"),
    )
    payer = Text("From", default="")
    message = Text("Message", default="")
    item = Text("Item", default="")
    received = Amount("Received", default=Decimal(0))
    given = Amount("Given", default=Decimal(0))
    currency = Text("Currency")
    type = Text("TransactionType")
    transaction_id = Text("TransactionId")
    email = Text("BuyerEmail", required=False, default="")
    # required: without it a row's processor, so its fee, is unknown (older downloads lack it)
    provider = Text("PaymentProvider", default="")

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry | Skipped]:
        zone = ZoneInfo(get_channel(NAME).export_timezone or "UTC")
        to_base = ToBase(context.base_currency, context.rates)
        for row in self.rows(path):
            if not row.received:
                reason = "support you gave, not income" if row.given else "nothing received"
                yield Skipped(reason, row.line)
                continue
            yield self._receipt(path, row, context, zone, to_base)

    def _receipt(self, path: Path, row: Row, context, zone, to_base: ToBase) -> ReceiptEntry:
        kind, platform_fee = self._type(path, row)
        processor = PROCESSORS.get(row.provider.strip().lower())
        if processor is None:
            raise RowError(
                path,
                row.line,
                "names no processor (PayPal or Stripe), so its fee cannot be known; "
                "download the CSV again with the PaymentProvider column",
                column="PaymentProvider",
                value=row.provider,
            )
        currency = currency_in(path, row.line, "Currency", row.currency)
        paid = Money(row.received, currency)
        rate = to_base.rate(currency, path, row.line, "Currency")
        gross = to_base.apply(paid, rate, to_base.base)
        flags = {processor} | ({"platform_fee"} if platform_fee else set())
        if rate is not None:
            flags.add("international")
        who = row.payer or None
        return ReceiptEntry(
            channel=NAME,
            external_id=row.transaction_id,
            occurred_at=row.date.replace(tzinfo=zone).astimezone(dt.UTC),
            gross=gross,
            kind=kind,
            event=Event.REFUND if gross.amount < 0 else Event.PAYMENT,
            original=paid if rate is not None else None,
            fx_rate=rate,
            flags=frozenset(flags),
            supporter=SupporterRef(name=who, email=row.email or None) if who or row.email else None,
            description=row.message,
            title=TitleRef.of(row.item) if kind is Kind.SALE else None,
            line=row.line,
        )

    @staticmethod
    def _type(path: Path, row: Row) -> tuple[Kind, bool]:
        found = TYPES.get(" ".join(row.type.lower().split()))
        if found is None:
            raise RowError(
                path,
                row.line,
                f"is not a Ko-fi transaction type ({', '.join(TYPES)})",
                column="TransactionType",
                value=row.type,
            )
        return found
