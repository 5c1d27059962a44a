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
    ConversionEntry,
    Entry,
    ImportContext,
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
    TransferEntry,
)
from supportledger.sources.csvfile import Amount, Column, CsvFormat, Currency, Date, Row, Text

CHANNEL = Channel(
    name="paypal",
    label="PayPal",
    account="PayPal",
    opening_from_stated=True,
    default_kind=Kind.ONE_TIME,
    payout_lag_days=(1, 5),
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
#: the writer's own money put into the PayPal balance
FUNDING_TYPES = {"bank deposit to pp account", "general credit card deposit"}
#: rows that move no supporter's money: skipped, with the reason counted
NOT_INCOME = {
    "general authorization": "authorization",
    "void of authorization": "authorization void",
    "account hold for open authorization": "authorization hold",
    "hold on balance for dispute investigation": "dispute hold",
    "cancellation of hold for dispute resolution": "dispute hold released",
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
    """A foreign-currency payment waiting for its two "General Currency Conversion" rows, or
    those rows (keyed by currency) waiting for each other."""

    entry: ReceiptEntry | None = None
    rows: dict[str, tuple[Row, dt.datetime]] = field(default_factory=dict)


class _StatedBalances:
    """PayPal's Balance column, kept once a day per currency: the balance after the day's
    last row. Within one instant the file's own order decides which row came last, and that
    order is the file's direction (oldest or newest first), known once it is read."""

    def __init__(self, tz) -> None:
        self.tz = tz
        self._days: dict[tuple[str, dt.date], list] = {}
        self._first: dt.datetime | None = None
        self._last: dt.datetime | None = None

    def note(self, row: Row, instant: dt.datetime) -> None:
        self._first = self._first or instant
        self._last = instant
        key = (row.currency, instant.astimezone(self.tz).date())
        found = self._days.get(key)
        amount = Money(row.balance, row.currency)
        if found is None or instant > found[0]:
            self._days[key] = [instant, (row.line, amount), (row.line, amount)]
        elif instant == found[0]:
            found[1] = min(found[1], (row.line, amount), key=lambda x: x[0])
            found[2] = max(found[2], (row.line, amount), key=lambda x: x[0])

    def entries(self) -> Iterator[BalanceEntry]:
        newest_first = self._first is not None and self._first > self._last
        for (currency, _), (instant, first, last) in sorted(self._days.items()):
            line, amount = first if newest_first else last
            yield BalanceEntry(CHANNEL.name, currency, instant, amount, line)


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
        balances = _StatedBalances(context.timezone)
        for row in self.rows(path):
            instant = dt.datetime.combine(row.date, row.time, row.zone).astimezone(dt.UTC)
            if row.balance is not None:
                balances.note(row, instant)
            kind = " ".join(row.type.lower().split())
            if kind == CONVERSION_TYPE:
                key = row.reference or f"{row.date} {row.time}"
                pending = waiting.setdefault(key, _Conversion())
                if row.currency in pending.rows:
                    raise RowError(path, row.line, "a second conversion row in this currency "
                                   "for the same transaction", column="Reference Txn ID",
                                   value=row.reference)  # fmt: skip
                pending.rows[row.currency] = (row, instant)
                yield from self._converted(waiting, key, base)
                continue
            entry = self._entry(path, row, kind, instant)
            if isinstance(entry, ReceiptEntry) and entry.gross.currency != base:
                waiting.setdefault(entry.external_id, _Conversion()).entry = entry
                yield from self._converted(waiting, entry.external_id, base)
                continue
            yield entry
        for key, pending in waiting.items():
            yield from self._unpaired(path, key, pending)
        yield from balances.entries()

    @staticmethod
    def _converted(waiting: dict[str, _Conversion], key: str, base: str) -> Iterator[Entry]:
        """The collapsed receipt, once the payment and both of its conversions are read."""
        pending = waiting[key]
        entry = pending.entry
        if entry is None or base not in pending.rows:
            return
        foreign = pending.rows.get(entry.gross.currency)
        if foreign is None:
            return
        del waiting[key]
        credited = pending.rows[base][0]
        yield collapse_conversion(entry, foreign[0].gross, Money(credited.gross, base))
        for row, _ in pending.rows.values():
            yield Skipped("currency conversion, folded into its payment", row.line)

    def _unpaired(self, path: Path, key: str, pending: _Conversion) -> Iterator[Entry]:
        """What is left once the file is read: a payment PayPal kept in its own currency (the
        account holds that currency: income at its value on the day), or a conversion of a
        held balance (from one currency balance to another)."""
        rows = sorted(pending.rows.values(), key=lambda r: r[0].gross)
        if pending.entry is not None and not rows:
            yield pending.entry
            return
        if len(rows) != 2 or not (rows[0][0].gross < 0 < rows[1][0].gross):
            row = rows[0][0]
            raise RowError(
                path, row.line, "a currency conversion whose other side is not in this file "
                "(download a range that holds both rows)", column="Reference Txn ID",
                value=row.reference,
            )  # fmt: skip
        if pending.entry is not None:
            yield pending.entry
        (source, instant), (target, _) = rows
        yield Skipped("the other row of a currency conversion", target.line)
        yield ConversionEntry(
            channel=CHANNEL.name,
            external_id=f"conversion:{self._id(path, source)}",
            occurred_at=instant,
            source=Money(-source.gross, source.currency),
            target=Money(target.gross, target.currency),
            line=source.line,
        )

    def _entry(self, path: Path, row: Row, kind: str, instant: dt.datetime) -> Entry:
        """What one row (other than a conversion) is."""
        if kind in NOT_INCOME:
            return Skipped(NOT_INCOME[kind], row.line)
        if kind in FUNDING_TYPES:
            return self._own_money(path, row, instant, "funding from the bank")
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
                return self._own_money(path, row, instant, "outgoing payment")
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
                return self._own_money(path, row, instant, "refund of an outgoing payment")
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

    def _own_money(self, path: Path, row: Row, instant: dt.datetime, what: str) -> Entry:
        """The writer's own money into or out of the balance (paying for something, a
        refund of it, funding from the bank): not support, but it moves the balance PayPal
        states, so it is kept; until it completes it moves nothing."""
        if self._status(path, row) is not Status.COMPLETED:
            return Skipped(f"{what}, not completed", row.line)
        net = row.gross + (row.fee if row.fee is not None else 0)
        return TransferEntry(
            channel=CHANNEL.name,
            external_id=self._id(path, row),
            occurred_at=instant,
            amount=Money(net, row.currency),
            description=what,
            line=row.line,
        )

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
