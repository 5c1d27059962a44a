"""Venmo: payments to a business (or personal) profile, kept in its balance until a
transfer to the bank.

:class:`VenmoStatement` reads the account statement CSV (Statements → Download CSV): a
preamble (``Account Statement - (@user)``, ``Account Activity``), then a header whose first
column has no name, ``,ID,Datetime,Type,Status,Note,From,To,Amount (total),Amount (tip),
Amount (tax),Amount (fee),Tax Rate,Tax Exempt,Funding Source,Destination,Beginning Balance,
Ending Balance,Statement Period Venmo Fees,Terminal Location,Year to Date Venmo Fees,
Disclaimer`` (older statements lack the tax columns), a beginning-balance row, the
transactions, and an ending-balance row with the legal disclaimer. Amounts read
``+ $120.00`` / ``- $20.00``.

Money received is a receipt (gross = Amount (total), fee = Amount (fee)); a transfer to the
bank is a payout; money sent is the writer's own spending, skipped. The payer of a
``Payment`` received is its From; of a ``Charge`` (the writer asked, the other paid), its
To: From is the writer who charged. ``Datetime`` carries no
zone: the channel's ``export_timezone`` says which (UTC, as Venmo's API writes the same
field; a writer whose statements are in local time corrects it in CHANNELS_FILE). The
ending balance is kept as Venmo's own statement of the balance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from supportledger.channels import get_channel
from supportledger.models import Event, Status
from supportledger.money import Money
from supportledger.sources import (
    PAYMENT_STATUSES,
    BalanceEntry,
    Entry,
    ImportContext,
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
)
from supportledger.sources.csvfile import Amount, CsvFormat, DateTime, Row, Text
from supportledger.sources.currency import ToBase

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "venmo"
#: a Venmo balance is in US dollars
CURRENCY = "USD"
TRANSFERS = {"standard transfer", "instant transfer", "transfer"}
PAYMENTS = {"payment", "charge", "merchant transaction"}
#: a transfer to the bank is "Issued"
STATUSES = PAYMENT_STATUSES | {"issued": Status.COMPLETED}


class VenmoStatement(CsvFormat):
    """Venmo's statement: receipts, transfers to the bank as payouts, the ending balance."""

    name = "venmo"
    #: the two lines above the header: "Account Statement - (@user) …", "Account Activity"
    preamble: ClassVar[str | None] = r"\s*(?:Account Statement\b.*|Account Activity\b.*)"
    transaction_id = Text("ID", default="")
    date = DateTime("Datetime", formats=("%Y-%m-%dT%H:%M:%S",), default="")
    type = Text("Type", default="")
    status = Text("Status", default="")
    note = Text("Note", default="")
    sender = Text("From", default="")
    recipient = Text("To", required=False, default="")
    total = Amount("Amount (total)", required=False)
    fee = Amount("Amount (fee)", required=False)
    destination = Text("Destination", default="")
    ending_balance = Amount("Ending Balance", required=False)
    disclaimer = Text("Disclaimer", required=False, default="")

    def entries(self, path: Path, context: ImportContext) -> Iterator[Entry]:
        zone = ZoneInfo(get_channel(NAME).export_timezone or "UTC")
        to_base = ToBase(context.base_currency, context.rates)
        last: Row | None = None
        for row in self.rows(path):
            if not row.transaction_id:
                yield self._balance(row, last, zone)
                continue
            for column, value in (("Datetime", row.date), ("Amount (total)", row.total)):
                if value in ("", None):
                    raise RowError(path, row.line, "is empty", column, "")
            last = row
            yield self._entry(path, row, zone, to_base)

    @staticmethod
    def _balance(row: Row, last: Row | None, zone) -> BalanceEntry | Skipped:
        """The ending balance, as of the statement's last transaction (the period's end is
        not in the file; nothing moved after it); other balance lines are skipped."""
        if row.ending_balance is None or last is None:
            return Skipped("a balance line, not a transaction", row.line)
        as_of = last.date.replace(tzinfo=zone).astimezone(dt.UTC)
        return BalanceEntry(NAME, CURRENCY, as_of, Money(row.ending_balance, CURRENCY), row.line)

    def _entry(self, path: Path, row: Row, zone, to_base: ToBase) -> Entry:
        kind = " ".join(row.type.lower().split())
        status = STATUSES.get(row.status.strip().lower())
        if status is None:
            raise RowError(
                path, row.line, f"is not a status ({', '.join(STATUSES)})", "Status", row.status
            )
        rate = to_base.rate(CURRENCY, path, row.line, "Amount (total)")
        amount = Money(row.total, CURRENCY)
        fee = Money(abs(row.fee or 0), CURRENCY)
        occurred = row.date.replace(tzinfo=zone).astimezone(dt.UTC)
        if kind in TRANSFERS:
            if amount.amount >= 0:
                return Skipped("transfer into the balance", row.line)
            return PayoutEntry(
                channel=NAME,
                external_id=row.transaction_id,
                initiated_at=occurred,
                amount=to_base.apply(-amount, rate, to_base.base),
                fee=to_base.apply(fee, rate, to_base.base),
                status="paid" if status is Status.COMPLETED else str(status),
                line=row.line,
            )
        if kind not in PAYMENTS:
            return Skipped(f"type {row.type}", row.line)
        if amount.amount <= 0:
            return Skipped("money sent: the writer's own spending", row.line)
        gross = to_base.apply(amount, rate, to_base.base)
        payer = row.recipient if kind == "charge" else row.sender
        return ReceiptEntry(
            channel=NAME,
            external_id=row.transaction_id,
            occurred_at=occurred,
            gross=gross,
            fee=to_base.apply(fee, rate, to_base.base),
            event=Event.PAYMENT,
            status=status,
            original=amount if rate is not None else None,
            fx_rate=rate,
            supporter=SupporterRef(name=payer) if payer else None,
            description=row.note,
            line=row.line,
        )
