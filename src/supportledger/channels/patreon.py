"""Patreon. Monthly tiers charged on the 1st; the payout arrives around the 5th."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from supportledger.channels import Channel
from supportledger.fees import ScheduleError
from supportledger.models import Event, Kind, SubscriptionStatus
from supportledger.money import Money
from supportledger.months import Month, local_midnight
from supportledger.sources import (
    ImportContext,
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SubscriptionEntry,
    SupporterRef,
)
from supportledger.sources.csvfile import Amount, CsvFormat, Date, DateTime, Row, Text
from supportledger.sources.currency import ToBase, currency_in
from supportledger.sources.ids import Occurrences
from supportledger.sources.royalties import month_in

CHANNEL = Channel(
    name="patreon",
    label="Patreon",
    account="Patreon",
    default_kind=Kind.RECURRING,
    payout_lag_days=(0, 10),
    reports_by_month=True,
    # the month's pledges arrive as one earnings receipt: no patron's payment is itemised
    itemises_subscription_payments=False,
    # "PATREON MEMBERSHIP PAYOUT PPD ID: …", "PATREON DIRECT DEP", "PATREON, INC. PAYOUT"
    bank_payouts=(r"\bPATREON\b.*\b(?:PAYOUT|DIRECT\s*DEP|PPD)\b",),
)


# ---------------------------------------------------------------- importers
_SUBSCRIPTION_STATUS = {
    "active patron": SubscriptionStatus.ACTIVE,
    "former patron": SubscriptionStatus.CANCELLED,
    "declined patron": SubscriptionStatus.DECLINED,
}
_INTERVALS = {
    "": "month",
    "monthly": "month",
    "annual": "year",
    "annually": "year",
    "yearly": "year",
}
_PAYOUT_STATUS = {
    "paid": "paid",
    "completed": "paid",
    "complete": "paid",
    "succeeded": "paid",
    "pending": "pending",
    "processing": "pending",
    "failed": "failed",
    "returned": "failed",
    "cancelled": "failed",
    "canceled": "failed",
}
#: Patreon's dates carry no zone; they are read as UTC
_PATREON_TIMES = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


class Pledge(Amount):
    """An amount written with any currency symbol (``$5.00``, ``R$10,00`` is refused)."""

    def parse(self, text: str) -> Decimal:
        return super().parse(re.sub(r"^[^\d\-(.]+|[^\d).]+$", "", text.strip()))


def _lookup(table: dict[str, str], path: Path, row: Row, column: str, value: str) -> str:
    try:
        return table[value.strip().lower()]
    except KeyError:
        known = ", ".join(repr(k) for k in table if k)
        raise RowError(path, row.line, f"is not one of {known}", column, value) from None


def _currency(row: Row, context: ImportContext, path: Path) -> str:
    return currency_in(path, row.line, "Currency", row.currency, context.base_currency)


class PatreonMembers(CsvFormat):
    """The members CSV (Audience → Export CSV): a snapshot, one subscription per patron.

    Followers and free members (an empty Patron Status) are skipped. The User ID is the
    subscription's id; name, e-mail and the postal address are the supporter's, kept apart
    from amounts by the ledger writer. Dates are read as UTC. A former patron's empty
    pledge is taken as zero.
    """

    name = "patreon-members"
    user_id = Text("User ID")
    status = Text("Patron Status", default="")
    pledge = Pledge("Pledge Amount", default="")
    last_updated = Text("Last Updated", default="")
    patron = Text("Name", required=False, default="")
    email = Text("Email", required=False, default="")
    frequency = Text("Charge Frequency", required=False, default="")
    tier = Text("Tier", required=False, default="")
    currency = Text("Currency", required=False, default="")
    since = DateTime("Patronage Since Date", formats=_PATREON_TIMES, required=False)
    addressee = Text("Addressee", required=False, default="")
    street = Text("Street", required=False, default="")
    city = Text("City", required=False, default="")
    state = Text("State", required=False, default="")
    zip = Text("Zip", required=False, default="")
    country = Text("Country", required=False, default="")
    phone = Text("Phone", required=False, default="")

    _DETAILS = ("addressee", "street", "city", "state", "zip", "country", "phone")

    def entries(self, path: Path, context: ImportContext) -> Iterator[SubscriptionEntry | Skipped]:
        for row in self.rows(path):
            if not row.status:
                yield Skipped("a follower or free member, not a patron", row.line)
                continue
            status = _lookup(_SUBSCRIPTION_STATUS, path, row, "Patron Status", row.status)
            if row.pledge == "" and status != SubscriptionStatus.CANCELLED:
                raise RowError(path, row.line, "is empty", "Pledge Amount", "")
            details = {name: getattr(row, name) for name in self._DETAILS if getattr(row, name)}
            yield SubscriptionEntry(
                channel=CHANNEL.name,
                external_id=row.user_id,
                amount=Money(row.pledge or Decimal(0), _currency(row, context, path)),
                status=status,
                supporter=SupporterRef(
                    name=row.patron or None,
                    email=row.email or None,
                    user_id=row.user_id,
                    details=details,
                ),
                tier=row.tier or None,
                interval=_lookup(_INTERVALS, path, row, "Charge Frequency", row.frequency),
                started_at=row.since.replace(tzinfo=dt.UTC) if row.since else None,
                line=row.line,
            )


class PatreonEarnings(CsvFormat):
    """The monthly earnings CSV: one receipt per month, its refunds as a reversal.

    No public sample of this export exists, so its header is an ASSUMPTION, from the
    columns Patreon's dashboard shows: ``Month, Processed amount | Processed pledges,
    Processing fees, Patreon fee | Platform fee, Refunds, Currency``. If your file says it
    differently, a mapping file renames the columns (see ``sources/mapping.py``).

    The month's receipt is the processed amount with the fee Patreon actually took
    (platform + processing), id ``earnings:YYYY-MM``; refunds become ``earnings:YYYY-MM:
    refunds``, a negative receipt that keeps its fee (Patreon's fee return is unconfirmed).
    The expected fee is the plan's platform share of the month plus the processing Patreon
    reports: processing is charged per payment, which a month's sum cannot predict.
    """

    name = "patreon-earnings"
    month = Text("Month", "Period")
    processed = Amount("Processed amount", "Processed pledges", "Processed payments")
    processing = Amount("Processing fees", "Processing fee", "Payment processing")
    platform = Amount("Patreon fee", "Platform fee", "Patreon fees", "Platform fees")
    refunds = Amount("Refunds", "Refunded", required=False, default=Decimal(0))
    currency = Text("Currency", required=False, default="")

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry | Skipped]:
        for row in self.rows(path):
            month = month_in(row.month)
            if month is None:
                raise RowError(path, row.line, "is not a month (YYYY-MM)", "Month", row.month)
            currency = _currency(row, context, path)
            ToBase(context.base_currency, context.rates).rate(currency, path, row.line, "Currency")
            if not (row.processed or row.processing or row.platform or row.refunds):
                yield Skipped("no earnings that month", row.line)
                continue
            common = {
                "channel": CHANNEL.name,
                "occurred_at": month.bounds(context.timezone)[0],
                "kind": Kind.RECURRING,
                "line": row.line,
            }
            processed, processing = (
                Money(row.processed, currency),
                Money(abs(row.processing), currency),
            )
            yield ReceiptEntry(
                external_id=f"earnings:{month}",
                gross=processed,
                fee=Money(abs(row.platform), currency) + processing,
                expected_fee=self._expected(context, month, processed, processing),
                description=f"Patreon earnings {month}",
                **common,
            )
            if row.refunds:
                yield ReceiptEntry(
                    external_id=f"earnings:{month}:refunds",
                    gross=Money(-abs(row.refunds), currency),
                    fee=Money.zero(currency),
                    event=Event.REFUND,
                    description=f"Patreon refunds {month}",
                    **common,
                )

    @staticmethod
    def _expected(context, month: Month, processed: Money, processing: Money) -> Money | None:
        try:
            rule = context.schedule.rule(CHANNEL.name, month.first_day)
        except ScheduleError:
            return None
        shares = [c.fee(processed, {}) for c in rule.components if c.name == "platform"]
        if not shares or None in shares:
            return None
        return sum(shares, processing)


class PatreonPayouts(CsvFormat):
    """Payouts (withdrawal history): ``Date, Amount, Fee, Method, Status`` (an ASSUMPTION:
    no public sample exists). Amount is what left the Patreon balance, Fee the payout fee.

    Without an id column a payout's id is its date and its index among that day's payouts
    (Patreon allows one withdrawal a day), so a re-download gives the same ids.
    """

    name = "patreon-payouts"
    date = Date("Date", "Payout date", "Transfer date", formats=(*_PATREON_TIMES, "%m/%d/%Y"))
    amount = Amount("Amount", "Amount withdrawn", "Payout amount")
    method = Text("Method", "Payout method", "Transfer method")
    status = Text("Status")
    fee = Amount("Fee", "Payout fee", "Transfer fee", required=False, default=Decimal(0))
    payout_id = Text("ID", "Payout ID", "Transfer ID", required=False, default="")
    currency = Text("Currency", required=False, default="")

    def entries(self, path: Path, context: ImportContext) -> Iterator[PayoutEntry]:
        same_day = Occurrences()
        for row in self.rows(path):
            currency = _currency(row, context, path)
            payout_id = row.payout_id or f"payout:{row.date}:{same_day.index(row.date)}"
            yield PayoutEntry(
                channel=CHANNEL.name,
                external_id=payout_id,
                initiated_at=local_midnight(row.date, context.timezone),
                amount=Money(abs(row.amount), currency),
                fee=Money(abs(row.fee), currency),
                status=_lookup(_PAYOUT_STATUS, path, row, "Status", row.status),
                line=row.line,
            )
