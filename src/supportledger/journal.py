"""The journal: where the money is, as balanced postings derived in one place.

Every money event the ledger records is also written, in the same transaction, as one
transaction of postings whose values sum to zero:

- a **receipt** (payment, refund, chargeback, dispute, fee, adjustment, royalty earned): its
  gross on the channel's income account (refunds on ``…:Refunds``), the channel's fee on
  ``Expenses:Fees:<Channel>``, the net where the money now waits — the balance the channel
  holds (``Assets:<Channel>``), the royalties it owes (``Assets:Receivable:<Channel>``), or,
  for money that goes straight to the bank, ``Assets:Undeposited:<Channel>`` (checks in hand,
  a Zelle payment typed in before the bank shows it);
- a **payout**: from the channel's balance (or receivable) to ``Assets:InTransit:<Channel>``,
  its payout fee on ``Expenses:Fees:Payouts:<Channel>``;
- a **bank line** the ledger classified: a payout's arrival (in transit → ``Assets:Bank``), a
  Zelle credit or a check deposit (undeposited → bank), a transfer (``Equity:Transfers``);
- a **conversion** between two of a channel's currency balances, with the realised exchange
  gain or loss on ``Income:ExchangeGains``;
- an **opening balance**: what a channel held before its first receipt in the ledger, from the
  first balance its own export stated (``Equity:OpeningBalances``).

:class:`Deriver` is the only code that decides which accounts money moves between;
:class:`Journal` keeps the postings and their monthly roll-up (``journal_months``) in step with
the events inside the writer's transaction. Balances, money owed, the statement's figures and
the exports read the postings, never the events again (see :mod:`supportledger.balances`).

Values: ``amount_minor`` is in the posting's own currency, ``value_minor`` is that money in the
base currency at the event's recorded rate (equal to the amount for the base currency). A
foreign leg's value is rounded once (``money.ROUNDING``); the net takes the difference, so a
transaction balances exactly. A held foreign balance is carried at its average value; when it
is converted or paid out, what it brought less what it was carried at is a realised gain.
A posting is *cleared* unless the money has not arrived yet (a check not deposited, a pending
payment): the statement counts cleared postings, money owed counts every one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, NamedTuple
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, case, delete, func, insert, inspect, select

from supportledger.channels import Channel, get_channel
from supportledger.db import insert_rows, writing
from supportledger.errors import LedgerError
from supportledger.models import (
    REVERSALS,
    Account,
    AccountRole,
    BankLine,
    ChannelBalance,
    Conversion,
    Event,
    JournalMonth,
    Kind,
    LedgerMeta,
    Payout,
    Posting,
    Receipt,
    Status,
    Transfer,
)
from supportledger.money import Money
from supportledger.months import local_midnight
from supportledger.rates import rate_on

if TYPE_CHECKING:
    from supportledger.ledger import Ledger

ACCOUNTS: Table = Account.__table__
POSTINGS: Table = Posting.__table__
MONTHS: Table = JournalMonth.__table__
META: Table = LedgerMeta.__table__
RECEIPTS: Table = Receipt.__table__
PAYOUTS: Table = Payout.__table__
BANK_LINES: Table = BankLine.__table__
CONVERSIONS: Table = Conversion.__table__
TRANSFERS: Table = Transfer.__table__
BALANCES: Table = ChannelBalance.__table__

RECEIPT, PAYOUT, BANK, CONVERSION, TRANSFER, OPENING = (
    "receipt", "payout", "bank", "conversion", "transfer", "opening"
)  # fmt: skip
#: events read and derived together
CHUNK = 2000
#: receipts whose money arrived (cleared) or is still on its way (not cleared); ``denied``
#: and ``returned`` moved no money
CLEARED_STATUSES = frozenset({Status.COMPLETED, Status.DEPOSITED, Status.REVERSED})
BOOKED_STATUSES = CLEARED_STATUSES | {Status.PENDING}
#: payouts whose money never left the channel
FAILED_PAYOUTS = ("failed", "canceled", "cancelled", "returned", "reversed")
#: events whose gross goes to the income account's refunds (a won dispute gives back)
REFUND_EVENTS = frozenset(REVERSALS | {Event.DISPUTE_REVERSAL})

#: accounts no channel owns (every channel's money meets in the one bank account)
SHARED_ROLES = frozenset(
    {AccountRole.BANK, AccountRole.EXCHANGE, AccountRole.TRANSFERS, AccountRole.OPENING}
)
_INCOME = {
    Kind.ONE_TIME: "Income:Support:{}:OneTime",
    Kind.RECURRING: "Income:Support:{}:Recurring",
    Kind.SALE: "Income:Sales:{}",
}
_NAMES = {
    AccountRole.FEES: "Expenses:Fees:{}",
    AccountRole.PAYOUT_FEES: "Expenses:Fees:Payouts:{}",
    AccountRole.BALANCE: "Assets:{}",
    AccountRole.RECEIVABLE: "Assets:Receivable:{}",
    AccountRole.UNDEPOSITED: "Assets:Undeposited:{}",
    AccountRole.IN_TRANSIT: "Assets:InTransit:{}",
    AccountRole.BANK: "Assets:Bank",
    AccountRole.EXCHANGE: "Income:ExchangeGains",
    AccountRole.TRANSFERS: "Equity:Transfers",
    AccountRole.OPENING: "Equity:OpeningBalances",
}


def account_name(role: AccountRole, channel: Channel | None = None, kind: str = "") -> str:
    """The journal's name for ``role`` of ``channel`` (the name part from its declaration)."""
    if role in (AccountRole.INCOME, AccountRole.REFUNDS):
        name = _INCOME[Kind(kind)].format(channel.account)
        return f"{name}:Refunds" if role is AccountRole.REFUNDS else name
    return _NAMES[role].format(channel.account if channel is not None else "")


#: :func:`~supportledger.months.local_midnight` remembered: a bank file's lines (each asked
#: several times as it is imported) fall on a few thousand days
day_start = lru_cache(maxsize=4096)(local_midnight)


def month_key(instant: dt.datetime, tz: ZoneInfo) -> int:
    """The local month of ``instant`` as ``YYYYMM``: the roll-up's key."""
    local = instant.astimezone(tz)
    return local.year * 100 + local.month


# --------------------------------------------------------------------------- derivation


class Leg(NamedTuple):
    """One posting of a transaction, before it is stored (a tuple: a big import makes
    several a receipt, and a frozen dataclass's field-by-field set-up costs three times
    as much)."""

    role: AccountRole
    channel: str | None
    currency: str
    amount: int
    value: int
    kind: str = ""
    payment: int = 0
    audit: int | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One event's transaction: its legs' values sum to zero."""

    source: str
    source_id: int
    occurred_at: dt.datetime
    cleared: bool
    legs: tuple[Leg, ...]

    def __post_init__(self) -> None:
        unbalanced = sum(leg.value for leg in self.legs)
        if unbalanced:
            raise AssertionError(f"{self.source} #{self.source_id} is off by {unbalanced}")


#: what part of a held foreign balance is carried at: (role, channel, currency, amount,
#: instant, the event asking) -> minor units of the base currency
Carrying = Callable[[AccountRole, str, str, int, dt.datetime, tuple[str, int]], int]


class Deriver:
    """Which accounts each event moves money between: the journal's one set of rules."""

    def __init__(self, base: str, tz: ZoneInfo) -> None:
        self.base = base
        self.tz = tz
        self._channels: dict[str, Channel] = {}

    def channel(self, name: str) -> Channel:
        if name not in self._channels:
            self._channels[name] = get_channel(name)
        return self._channels[name]

    def value(self, minor: int, currency: str, rate: Decimal | None) -> int:
        """``minor`` of ``currency`` in minor units of the base currency at ``rate``."""
        if currency == self.base:
            return minor
        if rate is None:
            raise LedgerError(f"an amount in {currency} has no rate to {self.base}")
        return Money.from_minor(minor, currency).converted(rate, self.base).minor

    def receipt(self, row: Mapping) -> JournalEntry | None:
        """A receipt's gross, fee and net (nothing for one that moved no money)."""
        status = row["status"]
        if status not in BOOKED_STATUSES:
            return None
        channel = self.channel(row["channel"])
        currency, kind, event = row["currency"], row["kind"], row["event"]
        foreign = currency != self.base
        rate = Decimal(row["fx_rate"]) if foreign and row["fx_rate"] else None
        gross = self.value(row["gross_minor"], currency, rate)
        fee = self.value(row["fee_minor"], currency, rate)
        legs = []
        if row["gross_minor"]:
            if event in REFUND_EVENTS:
                role = AccountRole.REFUNDS
            elif event == Event.FEE:
                role = AccountRole.FEES
            else:
                role = AccountRole.INCOME
            amount, paid_in = -row["gross_minor"], currency
            if (
                not foreign
                and row["original_minor"]
                and row["original_currency"]
                not in (
                    None,
                    currency,
                )
            ):  # what the supporter paid, signed as the income is: valued at what it brought
                amount = -abs(row["original_minor"]) * (1 if row["gross_minor"] > 0 else -1)
                paid_in = row["original_currency"]
            legs.append(
                Leg(
                    role, channel.name, paid_in, amount, -gross, kind,
                    payment=int(event == Event.PAYMENT and role is AccountRole.INCOME),
                )
            )  # fmt: skip
        audit = None
        if row["expected_fee_minor"] is not None:
            audit = fee - self.value(row["expected_fee_minor"], currency, rate)
        if row["fee_minor"] or audit:
            legs.append(
                Leg(AccountRole.FEES, channel.name, currency, row["fee_minor"], fee, kind,
                    audit=audit)
            )  # fmt: skip
        if row["net_minor"] or not legs:
            role = AccountRole(channel.asset_role)
            if (
                event == Event.FEE and channel.receipts_start_pending
            ):  # the bank charged it (a bounced check)
                role = AccountRole.BANK
            legs.append(Leg(role, channel.name, currency, row["net_minor"], gross - fee, kind))
        return JournalEntry(
            RECEIPT, row["id"], row["occurred_at"], status != Status.PENDING, tuple(legs)
        )

    def payout(self, row: Mapping, carrying: Carrying) -> JournalEntry | None:
        """Money sent from a channel to the bank: in transit until the bank shows it."""
        if row["status"] in FAILED_PAYOUTS or not (row["amount_minor"] or row["fee_minor"]):
            return None
        channel = self.channel(row["channel"])
        currency, amount, fee = row["currency"], row["amount_minor"], row["fee_minor"]
        role = AccountRole(channel.asset_role)
        value = (
            amount
            if currency == self.base
            else carrying(
                role, channel.name, currency, amount, row["initiated_at"], (PAYOUT, row["id"])
            )
        )
        fee_value = fee if currency == self.base or not amount else (
            Money.from_minor(value, self.base) * (Decimal(fee) / Decimal(amount))
        ).rounded().minor  # fmt: skip
        legs = [Leg(role, channel.name, currency, -amount, -value)]
        if fee:
            legs.append(Leg(AccountRole.PAYOUT_FEES, channel.name, currency, fee, fee_value))
        if amount - fee:
            legs.append(
                Leg(AccountRole.IN_TRANSIT, channel.name, currency, amount - fee, value - fee_value)
            )
        return JournalEntry(PAYOUT, row["id"], row["initiated_at"], True, tuple(legs))

    def bank_line(
        self, row: Mapping, rate: Callable[[str, dt.date], Decimal]
    ) -> JournalEntry | None:
        """A classified bank line: money reaching (or leaving) the bank from where it waited.
        Other income the bank shows (a Zelle credit) is its receipt's own money, already in
        the bank by the receipt's postings: the line adds nothing of its own."""
        classification, counterparty = row["classification"], row["counterparty"]
        if classification == "payout" and counterparty:
            role, channel = AccountRole.IN_TRANSIT, self.channel(counterparty).name
        elif classification == "income" and self.channel(counterparty).receipts_start_pending:
            # a deposit of money held in hand (checks): from undeposited to the bank
            role, channel = AccountRole.UNDEPOSITED, self.channel(counterparty).name
        elif classification == "transfer":
            role, channel = AccountRole.TRANSFERS, None
        else:
            return None
        currency, amount = row["currency"], row["amount_minor"]
        if not amount:
            return None
        value = amount
        if currency != self.base:
            value = self.value(amount, currency, rate(currency, row["posted_on"]))
        legs = (
            Leg(role, channel, currency, -amount, -value),
            Leg(AccountRole.BANK, None, currency, amount, value),
        )
        return JournalEntry(BANK, row["id"], day_start(row["posted_on"], self.tz), True, legs)

    def conversion(self, row: Mapping, carrying: Carrying) -> JournalEntry:
        """One currency balance of a channel turned into another; the gain or loss against
        what the first was carried at is realised."""
        channel = self.channel(row["channel"])
        role = AccountRole(channel.asset_role)
        source, target = row["from_currency"], row["to_currency"]
        carried = row["from_minor"] if source == self.base else carrying(
            role, channel.name, source, row["from_minor"], row["occurred_at"],
            (CONVERSION, row["id"]),
        )  # fmt: skip
        brought = row["to_minor"] if target == self.base else carried
        legs = [
            Leg(role, channel.name, source, -row["from_minor"], -carried),
            Leg(role, channel.name, target, row["to_minor"], brought),
        ]
        if carried != brought:
            loss = carried - brought
            legs.append(Leg(AccountRole.EXCHANGE, None, self.base, loss, loss))
        return JournalEntry(CONVERSION, row["id"], row["occurred_at"], True, tuple(legs))

    def transfer(self, row: Mapping, carrying: Carrying) -> JournalEntry | None:
        """The writer's own money into or out of a channel's balance."""
        if not row["amount_minor"]:
            return None
        channel = self.channel(row["channel"])
        role = AccountRole(channel.asset_role)
        currency, amount = row["currency"], row["amount_minor"]
        value = amount
        if currency != self.base:
            asking = (TRANSFER, row["id"])
            value = -carrying(role, channel.name, currency, -amount, row["occurred_at"], asking)
        legs = (
            Leg(role, channel.name, currency, amount, value),
            Leg(AccountRole.TRANSFERS, None, currency, -amount, -value),
        )
        return JournalEntry(TRANSFER, row["id"], row["occurred_at"], True, legs)

    def opening(
        self, balance_id: int, channel_name: str, currency: str, minor: int, at: dt.datetime,
        value: int,
    ) -> JournalEntry:  # fmt: skip
        """What a channel held before the ledger's first record of it."""
        channel = self.channel(channel_name)
        legs = (
            Leg(AccountRole(channel.asset_role), channel.name, currency, minor, value),
            Leg(AccountRole.OPENING, None, currency, -minor, -value),
        )
        return JournalEntry(OPENING, balance_id, at, True, legs)


# --------------------------------------------------------------------------- the journal


def _chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


#: a posting's columns, in the order :meth:`Journal._write` gives them
_POSTING_COLUMNS = (
    "source", "source_id", "leg", "occurred_at", "month", "cleared", "account_id", "kind",
    "currency", "amount_minor", "value_minor", "payment", "audit_minor",
)  # fmt: skip
_OPEN: WeakKeyDictionary[Connection, Journal] = WeakKeyDictionary()
_TABLES = {
    RECEIPT: RECEIPTS, PAYOUT: PAYOUTS, BANK: BANK_LINES, CONVERSION: CONVERSIONS,
    TRANSFER: TRANSFERS,
}  # fmt: skip
#: the columns of each kind of event that :class:`Deriver` reads: a receipt's text (its
#: description, id, flags) is most of what a full row would read back, and none of it moves
#: money
_DERIVED_FROM = {
    RECEIPT: (
        "id", "channel", "kind", "event", "status", "occurred_at", "currency", "gross_minor",
        "fee_minor", "net_minor", "expected_fee_minor", "original_minor", "original_currency",
        "fx_rate",
    ),
    PAYOUT: ("id", "channel", "initiated_at", "currency", "amount_minor", "fee_minor", "status"),
    BANK: ("id", "posted_on", "currency", "amount_minor", "classification", "counterparty"),
    CONVERSION: (
        "id", "channel", "occurred_at", "from_currency", "from_minor", "to_currency", "to_minor",
    ),
    TRANSFER: ("id", "channel", "occurred_at", "currency", "amount_minor"),
}  # fmt: skip


def _derivable(source: str):
    """A query of what :class:`Deriver` reads of ``source``'s events."""
    table = _TABLES[source]
    return select(*(table.c[name] for name in _DERIVED_FROM[source]))


class Journal:
    """The postings of one open transaction, kept in step with the events it changes.

    Writers :meth:`touch` what they add, change or delete (or a whole batch), then call
    :meth:`sync` before committing: the touched events' postings are derived again, the
    openings and the foreign balances they affect settled, and the months they fall in rolled
    up again. ``Journal.of(connection, ledger)`` gives every writer in a transaction the same
    one, so nothing touched is forgotten.
    """

    def __init__(self, connection: Connection, base: str, tz: ZoneInfo) -> None:
        self.connection = connection
        self.base = base
        self.tz = tz
        self.derive = Deriver(base, tz)
        self._accounts: dict[str, int] = {}
        self._leg_accounts: dict[tuple[AccountRole, str | None, str], int] = {}
        self._account_channels: dict[int, str | None] | None = None
        self._touched: dict[str, set[int]] = defaultdict(set)
        self._batches: set[int] = set()
        self._months: set[int] = set()
        #: (channel, currency) whose foreign balance changed, and from when
        self._foreign: dict[tuple[str, str], dt.datetime] = {}
        #: carrying values may wait for :meth:`_settle_foreign` (events read out of order)
        self._provisional = True

    @classmethod
    def of(cls, connection: Connection, ledger: Ledger | None = None) -> Journal:
        """The journal of ``connection``'s transaction, made (and aligned) by the first
        caller, which names the ledger; a money change anywhere else in the transaction
        finds it, so nothing changed escapes :meth:`sync`."""
        journal = _OPEN.get(connection)
        if journal is None:
            if ledger is None:
                raise RuntimeError("money changed outside a transaction the journal follows")
            journal = cls(connection, ledger.currency, ledger.tz)
            journal.align()
            _OPEN[connection] = journal
        return journal

    # ------------------------------------------------------------------ bookkeeping
    def touch(self, source: str, ids: Iterable[int]) -> None:
        """Events of ``source`` added, changed or deleted in this transaction."""
        self._touched[source].update(i for i in ids if i is not None)

    def touch_batch(self, batch_id: int) -> None:
        """Every event an import batch added (read back when syncing: no ids held)."""
        self._batches.add(batch_id)

    def account_id(self, role: AccountRole, channel: str | None, kind: str = "") -> int:
        """The id of ``role``'s account for ``channel`` and ``kind``, made when first needed
        (remembered: every leg of a big import asks)."""
        key = (role, channel, kind)
        if key not in self._leg_accounts:
            self._leg_accounts[key] = self._account_id(role, channel, kind)
        return self._leg_accounts[key]

    def _account_id(self, role: AccountRole, channel: str | None, kind: str) -> int:
        name = account_name(role, self.derive.channel(channel) if channel else None, kind)
        if role in SHARED_ROLES:
            channel = None
        if name not in self._accounts:
            found = self.connection.execute(
                select(ACCOUNTS.c.id).where(ACCOUNTS.c.name == name)
            ).scalar()
            if found is None:
                found = self.connection.execute(
                    insert(ACCOUNTS).values(name=name, role=str(role), channel=channel)
                ).inserted_primary_key[0]
                if self._account_channels is not None:
                    self._account_channels[found] = channel
            self._accounts[name] = found
        return self._accounts[name]

    def _channel_of(self, account_id: int) -> str | None:
        if self._account_channels is None:
            self._account_channels = dict(
                self.connection.execute(select(ACCOUNTS.c.id, ACCOUNTS.c.channel)).all()
            )
        return self._account_channels.get(account_id)

    # ------------------------------------------------------------------ time zone, currency
    def align(self) -> None:
        """Make the stored months and values those of the ledger's settings: a journal built
        under another ``BASE_CURRENCY`` (or before the journal existed) is derived again.
        The time zone is the ledger's own once it holds anything: a day-dated event (a bank
        line, a royalty month, a check typed in by its day) is kept as the start of its day
        in that zone, and read in another it would fall on the day before or after, so a
        different ``LEDGER_TIMEZONE`` is refused (:func:`refuse_another_zone`), never followed."""
        meta = dict(self.connection.execute(select(META.c.key, META.c.value)).all())
        zone, base = meta.get("journal_timezone"), meta.get("journal_currency")
        if (zone, base) == (self.tz.key, self.base):
            return
        refuse_another_zone(self.connection, self.tz.key)
        if base != self.base:
            self.rebuild()
        for key, value in (("journal_timezone", self.tz.key), ("journal_currency", self.base)):
            self.connection.execute(delete(META).where(META.c.key == key))
            self.connection.execute(insert(META).values(key=key, value=value))

    def rebuild(self) -> None:
        """Every posting derived again from the events (an upgrade, a new base currency)."""
        self.connection.execute(delete(POSTINGS))
        for source, table in _TABLES.items():
            ids = self.connection.execute(select(table.c.id).order_by(table.c.id)).scalars()
            for chunk in _chunks(list(ids)):
                self._write(self._entries(source, chunk))
        self._settle_openings()
        self._settle_foreign()
        self._roll_up(None)
        self._months.clear()

    # ------------------------------------------------------------------ syncing
    def sync(self) -> None:
        """Derive again everything touched since the last sync, and roll its months up."""
        for batch_id in sorted(self._batches):
            for source, table in _TABLES.items():
                self._replace_batch(source, table, batch_id)
        self._batches.clear()
        for source, ids in list(self._touched.items()):
            for chunk in _chunks(sorted(ids)):
                self._replace(source, chunk)
        self._touched.clear()
        self._settle_openings()
        self._settle_foreign()
        self._roll_up(self._months)
        self._months.clear()

    def _replace(self, source: str, ids: list[int]) -> None:
        """The postings of these events, derived again (none for an event now gone)."""
        self._forget(source, POSTINGS.c.source_id.in_(ids))
        self._write(self._entries(source, ids))

    def _replace_batch(self, source: str, table: Table, batch_id: int) -> None:
        """The postings of every event of ``source`` batch ``batch_id`` holds, derived again:
        its events read a chunk at a time in id order (one query each, no list of ids), so
        memory stays flat and no statement grows with the batch."""
        mine = select(table.c.id).where(table.c.batch_id == batch_id)
        self._forget(source, POSTINGS.c.source_id.in_(mine.scalar_subquery()))
        after = 0
        while True:
            rows = (
                self.connection.execute(
                    _derivable(source)
                    .where(table.c.batch_id == batch_id, table.c.id > after)
                    .order_by(table.c.id)
                    .limit(CHUNK)
                )
                .mappings()
                .all()
            )
            if not rows:
                return
            after = rows[-1]["id"]
            self._touched[source].difference_update(row["id"] for row in rows)
            self._write(entry for row in rows if (entry := self._derive(source, row)) is not None)

    def _forget(self, source: str, which) -> None:
        """Delete the postings of ``source`` events ``which`` picks, noting the months and
        foreign balances they leave."""
        mine = (POSTINGS.c.source == source, which)
        gone = self.connection.execute(
            select(POSTINGS.c.month, POSTINGS.c.currency, POSTINGS.c.account_id,
                   POSTINGS.c.occurred_at).where(*mine)
        ).all()  # fmt: skip
        if gone:
            for row in gone:
                self._months.add(row.month)
                channel = self._channel_of(row.account_id)
                if row.currency != self.base and channel is not None:
                    self._foreign_from(channel, row.currency, row.occurred_at)
            self.connection.execute(delete(POSTINGS).where(*mine))

    def _entries(self, source: str, ids: list[int]) -> Iterator[JournalEntry]:
        table = _TABLES[source]
        rows = self.connection.execute(_derivable(source).where(table.c.id.in_(ids))).mappings()
        for row in rows.all():
            entry = self._derive(source, row)
            if entry is not None:
                yield entry

    def _derive(self, source: str, row: Mapping) -> JournalEntry | None:
        if source == RECEIPT:
            return self.derive.receipt(row)
        if source == PAYOUT:
            return self.derive.payout(row, self.carrying)
        if source == BANK:
            return self.derive.bank_line(row, self._rate)
        if source == TRANSFER:
            return self.derive.transfer(row, self.carrying)
        return self.derive.conversion(row, self.carrying)

    def _write(self, entries: Iterable[JournalEntry]) -> None:
        rows = []
        known = self._leg_accounts
        for entry in entries:
            at = entry.occurred_at
            month = month_key(at, self.tz)
            self._months.add(month)
            for number, leg in enumerate(entry.legs):
                role, channel, currency, amount, value, kind, payment, audit = leg
                if currency != self.base and channel is not None:
                    self._foreign_from(channel, currency, at)
                account = known.get((role, channel, kind)) or self.account_id(role, channel, kind)
                rows.append(
                    (
                        entry.source, entry.source_id, number, at, month, entry.cleared, account,
                        kind, currency, amount, value, payment, audit,
                    )
                )  # fmt: skip
            if len(rows) >= CHUNK:
                insert_rows(self.connection, POSTINGS, rows, _POSTING_COLUMNS)
                rows = []
        insert_rows(self.connection, POSTINGS, rows, _POSTING_COLUMNS)

    # ------------------------------------------------------------------ foreign balances
    def _foreign_from(self, channel: str, currency: str, at: dt.datetime) -> None:
        key = (channel, currency)
        if key not in self._foreign or at < self._foreign[key]:
            self._foreign[key] = at

    def _settle_foreign(self) -> None:
        """Conversions and payouts out of a foreign balance are valued at what the balance
        was carried at when they happened. When money in that balance changed, those from
        then on are derived again, oldest first, each seeing those before it."""
        self._provisional = False
        try:
            while self._foreign:
                (channel, currency), since = min(self._foreign.items(), key=lambda kv: kv[1])
                events = []
                for source, table, at, column in (
                    (CONVERSION, CONVERSIONS, CONVERSIONS.c.occurred_at,
                     CONVERSIONS.c.from_currency),
                    (PAYOUT, PAYOUTS, PAYOUTS.c.initiated_at, PAYOUTS.c.currency),
                    (TRANSFER, TRANSFERS, TRANSFERS.c.occurred_at, TRANSFERS.c.currency),
                ):  # fmt: skip
                    events += [
                        (when, source, event_id)
                        for event_id, when in self.connection.execute(
                            select(table.c.id, at).where(
                                table.c.channel == channel, column == currency, at >= since
                            )
                        )
                    ]
                for _, source, event_id in sorted(events):
                    self._replace(source, [event_id])
                del self._foreign[(channel, currency)]
        finally:
            self._provisional = True

    def carrying(
        self,
        role: AccountRole,
        channel: str,
        currency: str,
        minor: int,
        at: dt.datetime,
        asking: tuple[str, int],
    ) -> int:
        """What ``minor`` of a channel's ``currency`` balance is carried at on ``at``: its
        share of the balance's value then (average cost), else the day's rate."""
        accounts = select(ACCOUNTS.c.id).where(
            ACCOUNTS.c.role == str(role), ACCOUNTS.c.channel == channel
        )
        amount, value = self.connection.execute(
            select(func.coalesce(func.sum(POSTINGS.c.amount_minor), 0),
                   func.coalesce(func.sum(POSTINGS.c.value_minor), 0))
            .where(POSTINGS.c.account_id.in_(accounts), POSTINGS.c.currency == currency)
            .where(POSTINGS.c.occurred_at <= at, POSTINGS.c.cleared.is_(True))
            .where(~((POSTINGS.c.source == asking[0]) & (POSTINGS.c.source_id == asking[1])))
        ).one()  # fmt: skip
        if amount > 0:
            share = Money.from_minor(int(value), self.base) * (Decimal(minor) / Decimal(amount))
            return share.rounded().minor
        day = at.astimezone(self.tz).date()
        try:
            return self.derive.value(minor, currency, self._rate(currency, day))
        except LedgerError:
            if self._provisional:  # settled once every event of the transaction is in
                return 0
            raise

    def _rate(self, currency: str, day: dt.date) -> Decimal:
        found = rate_on(self.connection, currency, self.base, day)
        if found is None:
            raise LedgerError(missing_rate(currency, self.base, day))
        return found

    # ------------------------------------------------------------------ opening balances
    def _settle_openings(self) -> None:
        """For each channel and currency whose export states a balance and starts mid-history
        (``Channel.opening_from_stated``): what it held before the ledger's first record of it
        — the first stated balance less what the ledger has by then — as one opening
        transaction, dated at the account's first posting."""
        self._months.update(
            self.connection.execute(
                select(POSTINGS.c.month).where(POSTINGS.c.source == OPENING).distinct()
            ).scalars()
        )
        self.connection.execute(delete(POSTINGS).where(POSTINGS.c.source == OPENING))
        self._write(self.openings())

    def openings(self) -> Iterator[JournalEntry]:
        """The opening transactions the stated balances and the other postings imply."""
        firsts = (
            select(BALANCES.c.channel, BALANCES.c.currency, func.min(BALANCES.c.as_of).label("at"))
            .group_by(BALANCES.c.channel, BALANCES.c.currency)
            .subquery()
        )
        stated = self.connection.execute(
            select(func.min(BALANCES.c.id), BALANCES.c.channel, BALANCES.c.currency,
                   BALANCES.c.as_of, func.min(BALANCES.c.amount_minor))
            .join(firsts, (firsts.c.channel == BALANCES.c.channel)
                  & (firsts.c.currency == BALANCES.c.currency) & (firsts.c.at == BALANCES.c.as_of))
            .group_by(BALANCES.c.channel, BALANCES.c.currency, BALANCES.c.as_of)
            .order_by(BALANCES.c.channel, BALANCES.c.currency)
        ).all()  # fmt: skip
        for balance_id, channel_name, currency, as_of, minor in stated:
            channel = self.derive.channel(channel_name)
            if not channel.opening_from_stated:
                continue
            accounts = select(ACCOUNTS.c.id).where(
                ACCOUNTS.c.role == channel.asset_role, ACCOUNTS.c.channel == channel.name
            )
            held, first = self.connection.execute(
                select(func.coalesce(func.sum(POSTINGS.c.amount_minor), 0),
                       func.min(POSTINGS.c.occurred_at))
                .where(POSTINGS.c.account_id.in_(accounts), POSTINGS.c.currency == currency)
                .where(POSTINGS.c.occurred_at <= as_of, POSTINGS.c.cleared.is_(True))
                .where(POSTINGS.c.source != OPENING)
            ).one()  # fmt: skip
            difference = int(minor) - int(held)
            if not difference:
                continue
            at = min(first, as_of) if first is not None else as_of
            value = difference
            if currency != self.base:
                value = self.derive.value(
                    difference, currency, self._rate(currency, at.astimezone(self.tz).date())
                )
            yield self.derive.opening(balance_id, channel.name, currency, difference, at, value)

    # ------------------------------------------------------------------ the roll-up
    def _roll_up(self, months: set[int] | None) -> None:
        """``journal_months`` for ``months`` (every month when ``None``), summed again."""
        if months is not None and not months:
            return
        keys = (
            POSTINGS.c.month, POSTINGS.c.account_id, POSTINGS.c.source, POSTINGS.c.kind,
            POSTINGS.c.currency, POSTINGS.c.cleared,
        )  # fmt: skip
        query = select(
            *keys,
            func.sum(POSTINGS.c.amount_minor),
            func.sum(POSTINGS.c.value_minor),
            func.sum(POSTINGS.c.payment),
            func.count(),
            func.sum(case((POSTINGS.c.audit_minor != 0, 1), else_=0)),
            func.sum(func.coalesce(POSTINGS.c.audit_minor, 0)),
        ).group_by(*keys)
        parts = [None] if months is None else list(_chunks(sorted(months), 500))
        for part in parts:
            if part is None:
                self.connection.execute(delete(MONTHS))
            else:
                self.connection.execute(delete(MONTHS).where(MONTHS.c.month.in_(part)))
                query_part = query.where(POSTINGS.c.month.in_(part))
            rows = [
                {
                    "month": m, "account_id": a, "source": src, "kind": k, "currency": c,
                    "cleared": cl, "amount_minor": int(amount), "value_minor": int(value),
                    "payments": int(payments), "postings": int(count), "audits": int(audits),
                    "audit_minor": int(audit),
                }
                for m, a, src, k, c, cl, amount, value, payments, count, audits, audit
                in self.connection.execute(query if part is None else query_part)
            ]  # fmt: skip
            for chunk in _chunks(rows):
                insert_rows(self.connection, MONTHS, chunk)


def missing_rate(currency: str, base: str, day: dt.date) -> str:
    """The one-line answer when an amount in ``currency`` has no rate for ``day``."""
    return (
        f"no {currency} to {base} rate for {day.isoformat()}: import the ECB's rates "
        f"(supportledger rates import eurofxref-hist.csv), add one (supportledger rates add "
        f"{currency} RATE --date {day.isoformat()}) or give --rate {currency}=RATE"
    )


def refuse_another_zone(connection: Connection, zone: str) -> None:
    """Raise unless ``zone`` is the ledger's own: the one its journal was kept in, once it
    holds a posting (before, any zone is taken). A ledger from before the journal has none."""
    if not inspect(connection).has_table(META.name):
        return
    kept = connection.execute(select(META.c.value).where(META.c.key == "journal_timezone")).scalar()
    if kept in (None, zone) or connection.execute(select(POSTINGS.c.id).limit(1)).first() is None:
        return
    raise LedgerError(
        f"this ledger keeps its days and months in {kept}, but LEDGER_TIMEZONE is {zone} "
        f"(America/Phoenix when unset): set LEDGER_TIMEZONE={kept} in .env or the "
        f"environment; a ledger's time zone cannot change once it holds receipts"
    )


def align_ledger(ledger: Ledger) -> None:
    """Bring the journal in line with the ledger's settings (a new base currency, or a
    ledger from before the journal); only a read when it already is. A time zone other than
    the ledger's own is refused (:meth:`Journal.align`)."""
    wanted = {"journal_timezone": ledger.tz.key, "journal_currency": ledger.currency}
    with ledger.engine.connect() as connection:
        meta = dict(connection.execute(select(META.c.key, META.c.value)).all())
    if all(meta.get(key) == value for key, value in wanted.items()):
        return
    with writing(ledger.engine) as (connection, _):
        Journal.of(connection, ledger)
        connection.commit()


def rebuild_ledger(ledger: Ledger) -> None:
    """Derive every posting again from the events (``supportledger journal rebuild``)."""
    with writing(ledger.engine) as (connection, _):
        Journal.of(connection, ledger).rebuild()
        connection.commit()


# --------------------------------------------------------------------------- checking


def check(connection: Connection, ledger: Ledger) -> list[str]:
    """What is wrong with the journal, if anything: a transaction whose values do not sum to
    zero, a base-currency posting valued otherwise, a roll-up that is not the sum of its
    postings, or postings that are not what the events derive (``supportledger journal
    check``; the test suite runs it after every test that writes)."""
    problems = []
    for source, source_id, off in connection.execute(
        select(POSTINGS.c.source, POSTINGS.c.source_id, func.sum(POSTINGS.c.value_minor))
        .group_by(POSTINGS.c.source, POSTINGS.c.source_id)
        .having(func.sum(POSTINGS.c.value_minor) != 0)
    ):
        problems.append(f"{source} #{source_id} does not balance (off by {off})")
    misvalued = connection.execute(
        select(func.count()).where(
            POSTINGS.c.currency == ledger.currency,
            POSTINGS.c.amount_minor != POSTINGS.c.value_minor,
        )
    ).scalar_one()
    if misvalued:
        problems.append(f"{misvalued} postings in {ledger.currency} valued at another amount")
    keys = (
        POSTINGS.c.month, POSTINGS.c.account_id, POSTINGS.c.source, POSTINGS.c.kind,
        POSTINGS.c.currency, POSTINGS.c.cleared,
    )  # fmt: skip
    summed = {
        tuple(row[:6]): tuple(int(v) for v in row[6:])
        for row in connection.execute(
            select(*keys, func.sum(POSTINGS.c.amount_minor), func.sum(POSTINGS.c.value_minor),
                   func.sum(POSTINGS.c.payment), func.count()).group_by(*keys)
        )
    }  # fmt: skip
    rolled = {
        tuple(row[:6]): tuple(int(v) for v in row[6:])
        for row in connection.execute(
            select(MONTHS.c.month, MONTHS.c.account_id, MONTHS.c.source, MONTHS.c.kind,
                   MONTHS.c.currency, MONTHS.c.cleared, MONTHS.c.amount_minor, MONTHS.c.value_minor,
                   MONTHS.c.payments, MONTHS.c.postings)
        )
    }  # fmt: skip
    if summed != rolled:
        problems.append("journal_months is not the sum of the postings")
    journal = Journal(connection, ledger.currency, ledger.tz)
    journal._provisional = False
    names = dict(connection.execute(select(ACCOUNTS.c.id, ACCOUNTS.c.name)).all())
    stored = {
        (row.source, row.source_id, row.leg): (
            row.occurred_at, row.cleared, names[row.account_id], row.kind, row.currency,
            row.amount_minor, row.value_minor, row.payment, row.audit_minor,
        )
        for row in connection.execute(select(POSTINGS))
    }  # fmt: skip
    derived = {}
    for source, table in _TABLES.items():
        for row in connection.execute(select(table)).mappings().all():
            entry = journal._derive(source, row)
            derived.update(_keyed(entry, journal) if entry is not None else {})
    for entry in journal.openings():
        derived.update(_keyed(entry, journal))
    if stored != derived:
        missing = sorted(set(derived) - set(stored))[:3]
        extra = sorted(set(stored) - set(derived))[:3]
        changed = sorted(k for k in set(stored) & set(derived) if stored[k] != derived[k])[:3]
        problems.append(
            f"postings differ from what the events derive: missing {missing}, extra {extra}, "
            f"changed {[(k, stored[k], derived[k]) for k in changed]}"
        )
    return problems


def _keyed(entry: JournalEntry, journal: Journal) -> dict[tuple, tuple]:
    derive = journal.derive
    return {
        (entry.source, entry.source_id, number): (
            entry.occurred_at, entry.cleared,
            account_name(leg.role, derive.channel(leg.channel) if leg.channel else None,
                         leg.kind),
            leg.kind, leg.currency, leg.amount, leg.value, leg.payment, leg.audit,
        )
        for number, leg in enumerate(entry.legs)
    }  # fmt: skip
