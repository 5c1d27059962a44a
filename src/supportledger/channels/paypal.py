"""PayPal. One-time donations and subscriptions; a standard transfer takes 1-3 business days.

:class:`PayPalActivity` reads the "Activity download" CSV (Activity → Statements → Custom →
Activity download, "Balance affecting"): the current header set, the 2017 short one
(``Date, Time, Time Zone, Name, Type, Status, Currency, Amount, Receipt ID, Balance``) and
the long ones between, UTF-8 with or without a BOM, amounts with thousands separators.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from supportledger.channels import Channel
from supportledger.models import Event, Kind, Status
from supportledger.money import Money
from supportledger.sources import (
    BalanceEntry,
    Entry,
    ImportContext,
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
)
from supportledger.sources.csvfile import Amount, Column, CsvFormat, Currency, Date, Row, Text

CHANNEL = Channel(
    name="paypal",
    label="PayPal",
    default_kind=Kind.ONE_TIME,
    payout_lag_days=(1, 5),
    export_hint="paypal.com: Activity > Statements > Custom > Activity download (CSV)",
    issues_1099k=True,
)

#: the account's zone labels PayPal writes in the TimeZone column, as UTC offsets in hours
ZONE_OFFSETS = {
    "UTC": 0, "GMT": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}  # fmt: skip
_GMT_OFFSET = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?")

ONE_TIME_TYPES = {
    "donation received",
    "donation payment",
    "website payment",
    "express checkout",
    "express checkout payment",
    "general payment",
    "mobile payment",
    "payment received",
}
RECURRING_TYPES = {
    "subscription payment",
    "recurring payment received",
    "recurring payment",
    "preapproved payment bill user payment",
}
REVERSAL_TYPES = {
    "payment refund": Event.REFUND,
    "refund": Event.REFUND,
    "chargeback": Event.CHARGEBACK,
    "payment reversal": Event.CHARGEBACK,
}
FEE_TYPES = {"dispute fee", "chargeback fee"}
WITHDRAWAL_TYPES = {
    "general withdrawal",
    "general withdrawal - bank account",
    "user initiated withdrawal",
}
CONVERSION_TYPE = "general currency conversion"
#: rows that move no supporter's money: skipped, with the reason counted
NOT_INCOME = {
    "general authorization": "authorization",
    "void of authorization": "authorization void",
    "account hold for open authorization": "authorization hold",
    "hold on balance for dispute investigation": "dispute hold",
    "cancellation of hold for dispute resolution": "dispute hold released",
    "bank deposit to pp account": "funding from the bank",
    "account hold": "account hold",
    "reversal of general account hold": "account hold released",
}
STATUSES = {
    "completed": Status.COMPLETED,
    "cleared": Status.COMPLETED,
    "refunded": Status.COMPLETED,  # the refund is its own row; the payment did arrive
    "partially refunded": Status.COMPLETED,
    "pending": Status.PENDING,
    "processing": Status.PENDING,
    "in progress": Status.PENDING,
    "unverified": Status.PENDING,
    "held": Status.PENDING,
    "temporary hold": Status.PENDING,
    "reversed": Status.REVERSED,
    "denied": Status.DENIED,
    "canceled": Status.DENIED,
    "cancelled": Status.DENIED,
    "voided": Status.DENIED,
    "failed": Status.DENIED,
    "expired": Status.DENIED,
}
PAYOUT_STATUSES = {Status.COMPLETED: "paid", Status.PENDING: "pending"}


class ClockTime(Column):
    """A time of day as PayPal writes it (``02:15:42``)."""

    def parse(self, text: str) -> dt.time:
        try:
            return dt.time.fromisoformat(text.strip())
        except ValueError:
            raise ValueError("is not a time (HH:MM:SS)") from None


class ZoneLabel(Column):
    """The TimeZone column: a label (``PDT``) or an offset (``GMT-07:00``)."""

    def parse(self, text: str) -> dt.timezone:
        label = text.strip().upper()
        if label in ZONE_OFFSETS:
            return dt.timezone(dt.timedelta(hours=ZONE_OFFSETS[label]), label)
        match = _GMT_OFFSET.fullmatch(label)
        if match:
            sign = -1 if match[1] == "-" else 1
            offset = dt.timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
            return dt.timezone(sign * offset)
        raise ValueError(f"is not a time zone PayPal writes ({', '.join(ZONE_OFFSETS)})")


@dataclass
class _Conversion:
    """A foreign-currency payment waiting for its two "General Currency Conversion" rows."""

    entry: ReceiptEntry | None = None
    amounts: dict[str, Decimal] = field(default_factory=dict)


def collapse_conversion(entry: ReceiptEntry, foreign: Decimal, credited: Money) -> ReceiptEntry:
    """One receipt in the base currency from a foreign payment and its conversion rows.

    ``foreign`` is what the conversion took out of the foreign balance and ``credited`` what
    it put into the base one, so the applied rate is ``|credited| / |foreign|`` (exact, as a
    Decimal). The net booked is exactly what was credited; the gross is the foreign gross at
    that rate, rounded half-up; the fee is the difference, which is PayPal's foreign fee
    converted at the same rate (to the cent).
    """
    rate = abs(credited.amount) / abs(foreign)
    gross = entry.gross.converted(rate, credited.currency)
    return replace(
        entry,
        gross=gross,
        fee=gross - credited,
        original=entry.gross,
        fx_rate=rate,
        flags=entry.flags | {"international", "conversion"},
    )


class PayPalActivity(CsvFormat):
    """PayPal's activity download: payments, refunds, withdrawals and their bookkeeping rows.

    Payments become receipts (subscription payments linked to their billing agreement by
    Reference Txn ID); refunds and chargebacks reverse the original; a foreign payment and
    its two conversion rows become one receipt in the base currency; withdrawals are payouts;
    authorisations, holds and funding are skipped with a reason; the last Balance of each
    currency is kept as the balance PayPal stated.
    """

    name = "paypal"
    date = Date("Date", formats=("%m/%d/%Y",))
    time = ClockTime("Time")
    zone = ZoneLabel("TimeZone", "Time Zone")
    payer = Text("Name", default="")
    type = Text("Type")
    status = Text("Status")
    currency = Currency("Currency")
    gross = Amount("Gross", "Amount")
    fee = Amount("Fee", required=False)
    from_email = Text("From Email Address", required=False)
    to_email = Text("To Email Address", required=False)
    transaction_id = Text("Transaction ID", required=False)
    receipt_id = Text("Receipt ID", required=False)
    reference = Text("Reference Txn ID", required=False)
    balance = Amount("Balance", required=False)
    item = Text("Item Title", required=False, default="")

    def entries(self, path: Path, context: ImportContext) -> Iterator[Entry]:
        base = context.base_currency
        waiting: dict[str, _Conversion] = {}
        balances: dict[str, tuple[dt.datetime, int, Money]] = {}
        for row in self.rows(path):
            instant = dt.datetime.combine(row.date, row.time, row.zone).astimezone(dt.UTC)
            if row.balance is not None:
                last = balances.get(row.currency)
                if last is None or (instant, row.line) >= last[:2]:
                    balances[row.currency] = (instant, row.line, Money(row.balance, row.currency))
            kind = " ".join(row.type.lower().split())
            if kind == CONVERSION_TYPE:
                yield Skipped("currency conversion, folded into its payment", row.line)
                if row.reference:
                    pending = waiting.setdefault(row.reference, _Conversion())
                    pending.amounts[row.currency] = row.gross
                    yield from self._converted(waiting, row.reference, base)
                continue
            entry = self._entry(path, row, kind, instant)
            if isinstance(entry, ReceiptEntry) and entry.gross.currency != base:
                waiting.setdefault(entry.external_id, _Conversion()).entry = entry
                yield from self._converted(waiting, entry.external_id, base)
                continue
            yield entry
        for pending in waiting.values():
            if pending.entry is not None:
                yield Skipped(
                    f"{pending.entry.gross.currency} payment with no conversion to {base} "
                    f"in this file",
                    pending.entry.line,
                )
        for currency, (instant, line, amount) in sorted(balances.items()):
            yield BalanceEntry(CHANNEL.name, currency, instant, amount, line)

    @staticmethod
    def _converted(waiting: dict[str, _Conversion], key: str, base: str) -> Iterator[Entry]:
        """The collapsed receipt, once the payment and both of its conversions are read."""
        pending = waiting[key]
        entry = pending.entry
        if entry is None or base not in pending.amounts:
            return
        foreign = pending.amounts.get(entry.gross.currency)
        if foreign is None:
            return
        del waiting[key]
        yield collapse_conversion(entry, foreign, Money(pending.amounts[base], base))

    def _entry(self, path: Path, row: Row, kind: str, instant: dt.datetime) -> Entry:
        """What one row (other than a conversion) is."""
        if kind in NOT_INCOME:
            return Skipped(NOT_INCOME[kind], row.line)
        if kind.startswith("update to "):
            return Skipped("update of an earlier row", row.line)
        gross = Money(row.gross, row.currency)
        fee = Money(-row.fee, row.currency) if row.fee is not None else None
        if kind in WITHDRAWAL_TYPES:
            if gross.amount >= 0:
                return Skipped("withdrawal returned to the balance", row.line)
            status = self._status(path, row)
            return PayoutEntry(
                channel=CHANNEL.name,
                external_id=self._id(path, row),
                initiated_at=instant,
                amount=-gross,
                fee=fee,
                status=PAYOUT_STATUSES.get(status, str(status)),
                line=row.line,
            )
        if kind in ONE_TIME_TYPES or kind in RECURRING_TYPES:
            if gross.amount < 0:
                return Skipped("outgoing payment", row.line)
            if gross.amount == 0:
                return Skipped("zero amount", row.line)
            recurring = kind in RECURRING_TYPES
            return self._receipt(
                path,
                row,
                instant,
                gross=gross,
                fee=fee,
                kind=Kind.RECURRING if recurring else Kind.ONE_TIME,
                supporter=self._supporter(row.payer, row.from_email),
                subscription=(row.reference or None) if recurring else None,
                description=row.item,
            )
        if kind in REVERSAL_TYPES:
            if gross.amount >= 0:
                return Skipped("refund of an outgoing payment", row.line)
            return self._receipt(
                path,
                row,
                instant,
                gross=gross,
                fee=fee,
                event=REVERSAL_TYPES[kind],
                supporter=self._supporter(row.payer, row.to_email),
                reverses=row.reference or None,
            )
        if kind in FEE_TYPES:
            taken = -gross if fee is None else fee - gross  # a fee row's whole amount is a fee
            return self._receipt(
                path,
                row,
                instant,
                gross=Money.zero(row.currency),
                fee=taken,
                event=Event.FEE,
                reverses=row.reference or None,
                description=row.type,
            )
        return Skipped(f"unknown type {row.type}", row.line)

    def _receipt(self, path: Path, row: Row, instant: dt.datetime, **what) -> ReceiptEntry:
        """A receipt of ``row``: its id, time, status and line, and ``what`` its type says."""
        return ReceiptEntry(
            channel=CHANNEL.name,
            external_id=self._id(path, row),
            occurred_at=instant,
            status=self._status(path, row),
            line=row.line,
            **what,
        )

    @staticmethod
    def _id(path: Path, row: Row) -> str:
        external_id = row.transaction_id or row.receipt_id
        if not external_id:
            raise RowError(path, row.line, "has no id", column="Transaction ID", value="")
        return external_id

    @staticmethod
    def _status(path: Path, row: Row) -> Status:
        status = STATUSES.get(" ".join(row.status.lower().split()))
        if status is None:
            raise RowError(path, row.line, "is not a status", column="Status", value=row.status)
        return status

    @staticmethod
    def _supporter(name: str, email: str | None) -> SupporterRef | None:
        if not name and not email:
            return None
        return SupporterRef(name=name or None, email=email or None)
