"""What importers produce: plain entries, knowing nothing of the database.

An importer (one per export format, kept in its channel's module or, for bank statements
and mapping files, in ``sources/``) follows a small protocol, in the manner of beangulp:

- ``name``: the format's name, as ``--source`` takes it (``paypal``, ``chase``, ``ofx``...);
- ``identify(path, head) -> bool``: is this file mine? (``head`` is its first 64 KiB);
  a format may also say how much of it is its (``claim(path, head) -> Claim``), so that a
  file no format claims in full is refused naming the closest (``sources/registry.py``);
- ``entries(path, context) -> Iterator[Entry]``: stream the file's entries, raising
  :class:`RowError` for a row it cannot take.

The ledger writer (``supportledger.imports``) applies the entries, a file at a time, all
or nothing, keyed on each channel's own id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule
from supportledger.models import Event, Kind, Status
from supportledger.money import Money


class RowError(LedgerError):
    """A row an importer cannot take: names the file, the line, the column and the value."""

    def __init__(
        self,
        path: Path | str,
        line: int | None,
        problem: str,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.path, self.line, self.column, self.value, self.problem = (
            str(path),
            line,
            column,
            value,
            problem,
        )
        where = f"{Path(path).name}" + (f", line {line}" if line is not None else "")
        what = f" column {column!r}" if column else ""
        shown = f" value {_clip(value)!r}" if value is not None else ""
        detail = f"{what}{shown}"
        super().__init__(f"{where}:{detail}: {problem}" if detail else f"{where}: {problem}")


def _clip(value: str, limit: int = 60) -> str:
    text = str(value).replace("\x00", "\\0")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class SupporterRef:
    """How a source names the person who paid; personal details kept apart from amounts."""

    name: str | None = None
    email: str | None = None
    user_id: str | None = None
    #: e-mail, street, city, state, zip, country, phone: stored in supporter_details
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceiptEntry:
    """One money event as the source states it. ``gross`` is signed from the writer's side (a
    refund is negative); ``fee`` is what the channel took (``None``: the source does not say,
    so the schedule's fee is booked). ``gross`` is in the base currency, with ``original`` and
    ``fx_rate`` when the channel converted it; or in the currency the channel holds it in,
    with ``fx_rate`` its value in the base currency when the source states one (else the
    writer takes ``--rate`` or the ledger's rates table, and refuses without one)."""

    channel: str
    external_id: str
    occurred_at: dt.datetime
    gross: Money
    fee: Money | None = None
    kind: Kind | None = None
    event: Event = Event.PAYMENT
    status: Status = Status.COMPLETED
    expected_fee: Money | None = None
    original: Money | None = None
    fx_rate: Decimal | None = None
    flags: frozenset[str] = frozenset()
    supporter: SupporterRef | None = None
    #: the channel's id of the receipt this one reverses (refund, chargeback, dispute)
    reverses: str | None = None
    #: the channel's id of the subscription this payment belongs to
    subscription: str | None = None
    check_number: str | None = None
    description: str = ""
    due_on: dt.date | None = None
    line: int | None = None


@dataclass(frozen=True)
class PayoutEntry:
    """Money leaving a channel for the bank: never income, only a transfer."""

    channel: str
    external_id: str
    initiated_at: dt.datetime
    amount: Money
    fee: Money | None = None
    arrived_on: dt.date | None = None
    status: str = "paid"
    line: int | None = None


@dataclass(frozen=True)
class SubscriptionEntry:
    """A recurring commitment as the channel reports it today."""

    channel: str
    external_id: str
    amount: Money
    status: str
    supporter: SupporterRef | None = None
    tier: str | None = None
    interval: str = "month"
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    line: int | None = None


@dataclass(frozen=True)
class BankLineEntry:
    """A bank statement line; ``classification`` says what it was found to be."""

    account: str
    external_id: str
    posted_on: dt.date
    amount: Money
    description: str
    classification: str  # see supportledger.sources.bank.CLASSIFICATIONS
    counterparty: str | None = None
    check_number: str | None = None
    supporter: SupporterRef | None = None
    line: int | None = None


@dataclass(frozen=True)
class BalanceEntry:
    """A channel balance the export itself states (PayPal's Balance column)."""

    channel: str
    currency: str
    as_of: dt.datetime
    amount: Money
    line: int | None = None


@dataclass(frozen=True)
class ConversionEntry:
    """Money a channel moved from one of its currency balances to another (``source`` left
    the first, ``target`` reached the second; both positive)."""

    channel: str
    external_id: str
    occurred_at: dt.datetime
    source: Money
    target: Money
    line: int | None = None


@dataclass(frozen=True)
class TransferEntry:
    """Money into (positive) or out of a channel's balance that is neither support nor a
    payout to the bank: the writer's own spending from it, or funding it."""

    channel: str
    external_id: str
    occurred_at: dt.datetime
    amount: Money
    description: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Skipped:
    """A row deliberately not taken, with the reason counted in the import summary."""

    reason: str
    line: int | None = None


@dataclass(frozen=True)
class Notice:
    """Something the writer should know about a file that is not a row of it (an OFX id
    used twice for different transactions): shown with the import summary."""

    message: str
    line: int | None = None


Entry = (
    ReceiptEntry
    | PayoutEntry
    | SubscriptionEntry
    | BankLineEntry
    | BalanceEntry
    | ConversionEntry
    | TransferEntry
    | Skipped
    | Notice
)


@dataclass(frozen=True)
class ImportContext:
    """What an importer may know of the ledger: settings and schedule, never the database."""

    timezone: ZoneInfo
    base_currency: str
    schedule: FeeSchedule
    #: units of the base currency per unit of another, as the writer gave them for this
    #: import (``import --rate GBP=1.2650``): reports in a marketplace currency need one
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    #: the writer's own bank rules (``BANK_RULES_FILE``), tried before the built-in ones
    bank_rules: tuple = ()
    #: ``dmy`` or ``mdy`` where the writer said (``--date-order``, ``DATE_ORDER``); else
    #: the file must say (a day above 12, its language, its time zone) or it is refused
    date_order: str | None = None


@runtime_checkable
class Importer(Protocol):
    name: str

    def identify(self, path: Path, head: bytes) -> bool: ...

    def entries(self, path: Path, context: ImportContext) -> Iterator[Entry]: ...
