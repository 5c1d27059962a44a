"""Cash App: payments received by a business (or personal) account, kept in its balance
until cashed out to the bank.

:class:`CashAppActivity` reads the activity CSV (cash.app/account/activity → Statements →
Export CSV): ``Transaction ID, Date, Transaction Type, Currency, Amount, Fee, Net Amount,
Asset Type, Asset Price, Asset Amount, Status, Notes, Name of sender/receiver, Account``.
Dates carry their zone's label (``2023-10-07 16:12:36 EDT``); amounts read ``$1``,
``-$2.90``.

A payment received is a receipt (gross = Amount, net = Net Amount, fee = the difference);
one the status says was refunded is also its refund, on the same day (the file gives no
other). A cash-out to the bank is a payout. Card spending, payments sent, bitcoin and
stock trades are the writer's own business: skipped, counted by type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from supportledger.models import Status
from supportledger.money import Money
from supportledger.sources import (
    PAYMENT_STATUSES,
    Entry,
    ImportContext,
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
    taken_back,
)
from supportledger.sources.csvfile import Amount, CsvFormat, LabelledDateTime, Row, Text
from supportledger.sources.currency import ToBase, currency_in

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "cashapp"
RECEIVED = {"received p2p", "cash app payment received", "payment received"}
CASH_OUTS = {"cash out", "withdrawal", "transfer to bank"}
#: what a received payment's Status says happened to it (a refunded one did arrive; its
#: refund is an entry of its own)
STATUSES = PAYMENT_STATUSES | dict.fromkeys(
    ("payment received", "deposited", "payment refunded", "refunded"), Status.COMPLETED
)


class CashAppActivity(CsvFormat):
    """Cash App's activity export: payments received, their refunds, cash-outs."""

    name = "cashapp"
    transaction_id = Text("Transaction ID")
    date = LabelledDateTime("Date", formats=("%Y-%m-%d %H:%M:%S",))
    type = Text("Transaction Type")
    currency = Text("Currency")
    amount = Amount("Amount")
    fee = Amount("Fee", required=False)
    net = Amount("Net Amount", required=False)
    status = Text("Status", default="")
    notes = Text("Notes", default="")
    counterparty = Text("Name of sender/receiver", default="")

    def entries(self, path: Path, context: ImportContext) -> Iterator[Entry]:
        to_base = ToBase(context.base_currency, context.rates)
        for row in self.rows(path):
            kind = " ".join(row.type.lower().split())
            if kind in CASH_OUTS:
                yield self._cash_out(path, row, to_base)
            elif kind in RECEIVED:
                yield from self._received(path, row, to_base)
            else:
                yield Skipped(f"type {row.type}", row.line)

    @staticmethod
    def _money(path: Path, row: Row, to_base: ToBase, amount) -> tuple[Money, Money, object]:
        currency = currency_in(path, row.line, "Currency", row.currency)
        rate = to_base.rate(currency, path, row.line, "Currency")
        original = Money(amount, currency)
        return original, to_base.apply(original, rate, to_base.base), rate

    def _cash_out(self, path: Path, row: Row, to_base: ToBase) -> Entry:
        if row.amount >= 0:
            return Skipped("money added to the balance", row.line)
        _, amount, _ = self._money(path, row, to_base, -row.amount)
        fee = self._money(path, row, to_base, abs(row.fee or 0))[1]
        return PayoutEntry(
            channel=NAME,
            external_id=row.transaction_id,
            initiated_at=row.date.astimezone(dt.UTC),
            amount=amount,
            fee=fee,
            line=row.line,
        )

    def _received(self, path: Path, row: Row, to_base: ToBase) -> Iterator[Entry]:
        state = " ".join(row.status.lower().split())
        status = STATUSES.get(state)
        if status is None:
            raise RowError(
                path, row.line, f"is not a status ({', '.join(STATUSES)})", "Status", row.status
            )
        if row.amount <= 0:
            yield Skipped("money sent: the writer's own spending", row.line)
            return
        original, gross, rate = self._money(path, row, to_base, row.amount)
        net = self._money(path, row, to_base, row.net if row.net is not None else row.amount)[1]
        payment = ReceiptEntry(
            channel=NAME,
            external_id=row.transaction_id,
            occurred_at=row.date.astimezone(dt.UTC),
            gross=gross,
            fee=gross - net,
            status=status,
            original=original if rate is not None else None,
            fx_rate=rate,
            supporter=SupporterRef(name=row.counterparty) if row.counterparty else None,
            description=row.notes,
            line=row.line,
        )
        yield payment
        if "refunded" in state:
            yield taken_back(payment)
