"""Exports an accountant or a plain-text-accounting user can take: beancount, hledger, CSV.

Each receipt becomes one transaction: its gross on an income account per channel and kind
(``Income:Support:PayPal:OneTime``, ``Income:Sales:KDP``), the channel's fee on
``Expenses:Fees:<Channel>`` and the net where the money now sits (``Assets:PayPal``; Zelle
and deposited checks in ``Assets:Bank``, checks not yet deposited in
``Assets:Checks:Undeposited``). Refunds, chargebacks and disputes are their own transactions
on the income account's ``:Refunds`` sub-account, so each tool's totals give the statement's
gross, refunds, fees and net. Payouts move money from a channel's account to the bank, their
fee on ``Expenses:Fees:Payouts:<Channel>`` (kept apart: the statement's fees are the
receipts'). A foreign payment keeps its original amount, priced at what it brought (``@@``).

A pending receipt (a check not yet deposited) is flagged ``!``: the statement lists it as
owed, not received, so the statement's figures are the totals of the cleared (``*``)
transactions. Declined and returned receipts, and failed payouts, moved no money: left out.

Rows are streamed from the database in chunks and written as they come, so a ledger of a
million receipts is never held in memory. The same ledger gives the same bytes: rows are
ordered by instant, channel and the channel's id, and nothing depends on when the export ran.
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from supportledger.channels import all_channels
from supportledger.config import ConfigError
from supportledger.errors import LedgerError
from supportledger.ledger import Ledger
from supportledger.models import Event, Kind, Payout, Receipt, Status, Supporter
from supportledger.money import Money
from supportledger.months import Month
from supportledger.render import safe_cell
from supportledger.statement import COUNTED_STATUSES, FAILED_PAYOUTS, REFUND_EVENTS
from supportledger.supporters import supporter_roots

#: Rows fetched from the database at a time.
CHUNK = 2000


class ExportFormat(StrEnum):
    beancount = "beancount"
    hledger = "hledger"
    csv = "csv"


#: Each channel's component in account names: ``Assets:PayPal``, ``Income:Sales:KDP``.
CHANNEL_ACCOUNTS = {
    "zelle": "Zelle",
    "patreon": "Patreon",
    "paypal": "PayPal",
    "check": "Checks",
    "stripe": "Stripe",
    "kdp": "KDP",
    "ebookit": "EBookIt",
    "audible": "Audible",
    "other": "Other",
}
#: Channels whose money lands straight in the bank, with no balance of their own.
BANK_CHANNELS = frozenset({"zelle", "check", "other"})
BANK = "Assets:Bank"
UNDEPOSITED_CHECKS = "Assets:Checks:Undeposited"
_KIND_ACCOUNTS = {
    Kind.ONE_TIME: "Income:Support:{}:OneTime",
    Kind.RECURRING: "Income:Support:{}:Recurring",
    Kind.SALE: "Income:Sales:{}",
}
_KIND_WORDS = {Kind.ONE_TIME: "one-time support", Kind.RECURRING: "recurring support"}

#: Receipts in the books: what the statement counts, and checks in hand not yet deposited.
BOOKED_RECEIPTS = (*COUNTED_STATUSES, Status.PENDING)

CSV_COLUMNS = [
    "date",
    "channel",
    "kind",
    "event",
    "supporter",
    "gross",
    "fee",
    "net",
    "currency",
    "original_amount",
    "original_currency",
    "fx_rate",
    "id",
    "status",
]

_ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")
_COMPONENT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")


def _check_account(name: str, where: str) -> str:
    """Refuse a name beancount would refuse: five roots, capitalised components, no spaces."""
    parts = name.split(":")
    if parts[0] not in _ROOTS or len(parts) < 2 or not all(map(_COMPONENT.fullmatch, parts)):
        raise ConfigError(
            f"{where}: {name!r} is not a valid account name (components start with a capital "
            f"letter or digit, no spaces, under {', '.join(_ROOTS)})"
        )
    return name


class AccountNames:
    """The export's default account names, renamed by ``ACCOUNT_NAMES``.

    A rename applies to the account it names and to everything under it: with
    ``Income:Support=Income:Donations``, ``Income:Support:PayPal:OneTime`` is written as
    ``Income:Donations:PayPal:OneTime``; the longest matching default wins.
    """

    def __init__(self, renames: Mapping[str, str]) -> None:
        for default, name in renames.items():
            _check_account(name, f"ACCOUNT_NAMES ({default})")
        self._renames = dict(renames)
        self._names: dict[str, str] = {}

    def __call__(self, default: str) -> str:
        if default not in self._names:
            parts = default.split(":")
            name = default
            for depth in range(len(parts), 0, -1):
                prefix = ":".join(parts[:depth])
                if prefix in self._renames:
                    name = ":".join([self._renames[prefix], *parts[depth:]])
                    break
            self._names[default] = _check_account(name, "ACCOUNT_NAMES")
        return self._names[default]

    def gross(self, channel: str, kind: str, event: str) -> str:
        """Where a receipt's gross goes: income, its refunds, or (a standalone fee) the fees."""
        if event == Event.FEE:
            return self.fee(channel)
        account = _KIND_ACCOUNTS[Kind(kind)].format(CHANNEL_ACCOUNTS[channel])
        return self(f"{account}:Refunds" if event in REFUND_EVENTS else account)

    def fee(self, channel: str) -> str:
        return self(f"Expenses:Fees:{CHANNEL_ACCOUNTS[channel]}")

    def payout_fee(self, channel: str) -> str:
        return self(f"Expenses:Fees:Payouts:{CHANNEL_ACCOUNTS[channel]}")

    def asset(self, channel: str, status: str) -> str:
        """Where a receipt's net sits: the channel's balance, the bank, or checks in hand."""
        if channel == "check" and status == Status.PENDING:
            return self(UNDEPOSITED_CHECKS)
        if channel in BANK_CHANNELS:
            return self(BANK)
        return self(f"Assets:{CHANNEL_ACCOUNTS[channel]}")

    def receipt_accounts(self, channel: str, kind: str, event: str, status: str) -> list[str]:
        return [
            self.gross(channel, kind, event),
            self.fee(channel),
            self.asset(channel, status),
        ]

    def payout_accounts(self, channel: str) -> list[str]:
        return [self.asset(channel, Status.COMPLETED), self.payout_fee(channel), self(BANK)]


@lru_cache(maxsize=1 << 16)
def _plain(minor: int, currency: str) -> str:
    """A stored amount as ``Money.plain`` writes it; cached, as a ledger repeats its amounts."""
    return Money.from_minor(minor, currency).plain()


def _amount(minor: int, currency: str) -> str:
    return f"{_plain(minor, currency)} {currency}"


@dataclass(frozen=True, slots=True)
class Posting:
    account: str
    amount: str  # ``-20.00 USD``
    #: the total price (``@@``) of a foreign amount: what it brought in the base currency
    price: str | None = None


@dataclass(frozen=True, slots=True)
class Transaction:
    day: dt.date
    pending: bool
    payee: str | None
    narration: str
    meta: tuple[tuple[str, str], ...]
    postings: tuple[Posting, ...]


@dataclass(frozen=True)
class Window:
    """The months to export, inclusive; ``None`` leaves that end open."""

    first: Month | None = None
    last: Month | None = None

    def __post_init__(self) -> None:
        if self.first is not None and self.last is not None and self.first > self.last:
            raise LedgerError(f"--from {self.first} is after --to {self.last}")

    def conditions(self, column, tz: ZoneInfo) -> list:
        found = []
        if self.first is not None:
            found.append(column >= self.first.bounds(tz)[0])
        if self.last is not None:
            found.append(column < self.last.bounds(tz)[1])
        return found

    def __str__(self) -> str:
        return f"{self.first or 'the start'} to {self.last or 'the end'}"


class _Exporter:
    """One export: the ledger's rows in a window, turned into transactions or CSV rows."""

    def __init__(self, ledger: Ledger, connection: Connection, window: Window) -> None:
        self.ledger = ledger
        self.tz = ledger.tz
        self.connection = connection
        self.window = window
        self.accounts = AccountNames(ledger.settings.account_names)
        self.labels = {channel.name: channel.label for channel in all_channels()}
        self.supporters = self._supporter_labels()

    def _supporter_labels(self) -> dict[int, str]:
        """Each supporter as the export shows them: as whoever absorbed them in a merge, by
        name only where names are allowed, else by a pseudonym stable across exports."""
        roots, table = supporter_roots(), Supporter.__table__
        query = select(roots.c.supporter_id, roots.c.root_id, table.c.display_name).join(
            table, table.c.id == roots.c.root_id
        )
        show = self.ledger.settings.show_supporter_names
        return {
            supporter_id: name if show else f"supporter #{root_id}"
            for supporter_id, root_id, name in self.connection.execute(query)
        }

    def _ordered(self, column):
        """Order by the id's characters on every database, so output does not hang on a locale."""
        return column.collate("C") if self.connection.dialect.name == "postgresql" else column

    def _stream(self, query) -> Iterator:
        result = self.connection.execute(query, execution_options={"yield_per": CHUNK})
        try:
            yield from result
        finally:
            result.close()

    def _booked(self, receipts) -> list:
        """The receipts of the window that are in the books."""
        return [
            receipts.status.in_(BOOKED_RECEIPTS),
            *self.window.conditions(receipts.occurred_at, self.tz),
        ]

    def _sent(self, payouts) -> list:
        """The payouts of the window whose money left the channel."""
        return [
            payouts.status.not_in(FAILED_PAYOUTS),
            *self.window.conditions(payouts.initiated_at, self.tz),
        ]

    def receipts(self) -> Iterator:
        table = Receipt.__table__
        reversed_ = table.alias("reversed")
        query = (
            select(
                table.c.occurred_at,
                table.c.channel,
                table.c.external_id,
                table.c.kind,
                table.c.event,
                table.c.status,
                table.c.currency,
                table.c.gross_minor,
                table.c.fee_minor,
                table.c.net_minor,
                table.c.original_minor,
                table.c.original_currency,
                table.c.fx_rate,
                table.c.supporter_id,
                reversed_.c.external_id.label("reverses"),
            )
            .outerjoin(reversed_, reversed_.c.id == table.c.reverses_id)
            .where(*self._booked(table.c))
            .order_by(table.c.occurred_at, table.c.channel, self._ordered(table.c.external_id))
        )
        return self._stream(query)

    def payouts(self) -> Iterator:
        table = Payout.__table__
        query = (
            select(table)
            .where(*self._sent(table.c))
            .order_by(table.c.initiated_at, table.c.channel, self._ordered(table.c.external_id))
        )
        return self._stream(query)

    def accounts_in_use(self) -> dict[str, dt.date]:
        """Every account the journal posts to, with the day it is first used."""
        receipts, payouts = Receipt.__table__.c, Payout.__table__.c
        first_use: dict[str, dt.date] = {}

        def use(accounts: Iterable[str], instant: dt.datetime) -> None:
            day = instant.astimezone(self.tz).date()
            for account in accounts:
                first_use[account] = min(day, first_use.get(account, day))

        groups = (receipts.channel, receipts.kind, receipts.event, receipts.status)
        for channel, kind, event, status, first in self.connection.execute(
            select(*groups, func.min(receipts.occurred_at))
            .where(*self._booked(receipts))
            .group_by(*groups)
        ):
            use(self.accounts.receipt_accounts(channel, kind, event, status), first)
        for channel, first in self.connection.execute(
            select(payouts.channel, func.min(payouts.initiated_at))
            .where(*self._sent(payouts))
            .group_by(payouts.channel)
        ):
            use(self.accounts.payout_accounts(channel), first)
        return first_use

    def supporter(self, row) -> str | None:
        return self.supporters[row.supporter_id] if row.supporter_id is not None else None

    def receipt_transaction(self, row) -> Transaction:
        postings = []
        if row.gross_minor:
            amount, price = _amount(-row.gross_minor, row.currency), None
            if row.original_minor is not None and row.original_currency not in (
                None,
                row.currency,
            ):
                # what the supporter paid, signed as the income is, priced at what it brought
                paid = abs(row.original_minor) * (-1 if row.gross_minor > 0 else 1)
                amount = _amount(paid, row.original_currency)
                price = _amount(abs(row.gross_minor), row.currency)
            account = self.accounts.gross(row.channel, row.kind, row.event)
            postings.append(Posting(account, amount, price))
        if row.fee_minor:
            fee = _amount(row.fee_minor, row.currency)
            postings.append(Posting(self.accounts.fee(row.channel), fee))
        net = _amount(row.net_minor, row.currency)
        postings.append(Posting(self.accounts.asset(row.channel, row.status), net))
        kind = _KIND_WORDS.get(row.kind, row.kind)
        event = "" if row.event == "payment" else " " + row.event.replace("_", " ")
        meta = [("id", row.external_id)]
        if row.reverses is not None:
            meta.append(("reverses", row.reverses))
        return Transaction(
            day=row.occurred_at.astimezone(self.tz).date(),
            pending=row.status == Status.PENDING,
            payee=self.supporter(row),
            narration=f"{self.labels[row.channel]} {kind}{event}",
            meta=tuple(meta),
            postings=tuple(postings),
        )

    def payout_transaction(self, row) -> Transaction:
        asset = self.accounts.asset(row.channel, Status.COMPLETED)
        postings = [Posting(asset, _amount(-row.amount_minor, row.currency))]
        if row.fee_minor:
            fee = _amount(row.fee_minor, row.currency)
            postings.append(Posting(self.accounts.payout_fee(row.channel), fee))
        to_bank = _amount(row.amount_minor - row.fee_minor, row.currency)
        postings.append(Posting(self.accounts(BANK), to_bank))
        meta = [("id", row.external_id)]
        if row.arrived_on is not None:
            meta.append(("arrived", row.arrived_on.isoformat()))
        return Transaction(
            day=row.initiated_at.astimezone(self.tz).date(),
            pending=row.status != "paid",
            payee=None,
            narration=f"{self.labels[row.channel]} payout",
            meta=tuple(meta),
            postings=tuple(postings),
        )

    def transactions(self) -> Iterator[Transaction]:
        """Receipts and payouts in one stream, by instant (a receipt before a payout)."""
        receipts = ((row.occurred_at, self.receipt_transaction, row) for row in self.receipts())
        payouts = ((row.initiated_at, self.payout_transaction, row) for row in self.payouts())
        for _, make, row in heapq.merge(receipts, payouts, key=lambda item: item[0]):
            yield make(row)

    def csv_rows(self) -> Iterator[list]:
        for row in self.receipts():
            original = (
                _plain(row.original_minor, row.original_currency)
                if row.original_minor is not None and row.original_currency
                else ""
            )
            yield [
                row.occurred_at.astimezone(self.tz).date().isoformat(),
                row.channel,
                row.kind,
                row.event,
                self.supporter(row) or "",
                _plain(row.gross_minor, row.currency),
                _plain(row.fee_minor, row.currency),
                _plain(row.net_minor, row.currency),
                row.currency,
                original,
                row.original_currency or "",
                row.fx_rate or "",
                row.external_id,
                row.status,
            ]


def _posting_lines(postings: Iterable[Posting], indent: str) -> list[str]:
    lines = []
    for posting in postings:
        amount = f"{posting.amount:>16}"
        if posting.price is not None:
            amount += f" @@ {posting.price}"
        lines.append(f"{indent}{posting.account:<46}  {amount}")
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _beancount_string(text: str) -> str:
    return '"' + _one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_transaction(transaction: Transaction) -> str:
    head = f"{transaction.day} {'!' if transaction.pending else '*'}"
    if transaction.payee is not None:
        head += " " + _beancount_string(transaction.payee)
    head += " " + _beancount_string(transaction.narration)
    meta = [f"  {key}: {_beancount_string(value)}" for key, value in transaction.meta]
    return "\n".join([head, *meta, *_posting_lines(transaction.postings, "  ")]) + "\n\n"


def _hledger_text(text: str) -> str:
    """A description part hledger reads back as written: ``;`` would start a comment."""
    return _one_line(text).replace(";", ",")


def hledger_transaction(transaction: Transaction) -> str:
    description = _hledger_text(transaction.narration)
    if transaction.payee is not None:
        description = f"{_hledger_text(transaction.payee).replace('|', '/')} | {description}"
    if description.startswith("("):  # hledger would read it as a transaction code
        description = "() " + description
    head = f"{transaction.day} {'!' if transaction.pending else '*'} {description}"
    # a tag's value ends at a comma, so a comma in an id is written %2C
    meta = [
        f"    ; {key}:{_one_line(value).replace(',', '%2C')}" for key, value in transaction.meta
    ]
    return "\n".join([head, *meta, *_posting_lines(transaction.postings, "    ")]) + "\n\n"


def export(ledger: Ledger, fmt: ExportFormat, stream: TextIO, window: Window = Window()) -> int:
    """Write the ledger's ``window`` to ``stream`` as ``fmt``; returns the entries written
    (transactions for the journals, rows for CSV)."""
    currency = ledger.currency
    with ledger.engine.connect() as connection:
        exporter = _Exporter(ledger, connection, window)
        if fmt is ExportFormat.csv:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            count = 0
            for row in exporter.csv_rows():
                writer.writerow([safe_cell(value) for value in row])
                count += 1
            return count
        header = (
            f"; supportledger export, {window}, months in {ledger.settings.timezone_name}, "
            f"amounts in {currency}\n\n"
        )
        first_use = sorted(exporter.accounts_in_use().items())
        if fmt is ExportFormat.beancount:
            stream.write(header + f'option "operating_currency" "{currency}"\n\n')
            stream.writelines(f"{day} open {account}\n" for account, day in first_use)
            render = beancount_transaction
        else:
            stream.write(header)
            stream.writelines(f"account {account}\n" for account, _ in first_use)
            render = hledger_transaction
        stream.write("\n")
        count = 0
        for transaction in exporter.transactions():
            stream.write(render(transaction))
            count += 1
        return count
