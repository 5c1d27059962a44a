"""Exports an accountant or a plain-text-accounting user can take: beancount, hledger, CSV.

The beancount and hledger exports are a dump of the ledger's own journal
(:mod:`supportledger.journal`): one transaction per money event, with the journal's
postings and account names as they are (renamed by ``ACCOUNT_NAMES``), so every total a
plain-text tool computes is the statement's. A receipt puts its gross on an income account
per channel and kind (``Income:Support:PayPal:OneTime``, ``Income:Sales:KDP``; refunds on
``…:Refunds``), the channel's fee on ``Expenses:Fees:<Channel>`` and the net where the money
waits (``Assets:PayPal``, ``Assets:Receivable:KDP``, checks in hand on
``Assets:Undeposited:Checks``, Zelle straight in ``Assets:Bank``); a payout moves it to
``Assets:InTransit:<Channel>``, its fee on ``Expenses:Fees:Payouts:<Channel>``; the bank line
that shows it arriving moves it to ``Assets:Bank``. An amount in another currency than the
base is priced at its value in the base currency (``@@``), as the journal carries it.

A transaction the statement does not count yet (a check not yet deposited) is flagged ``!``,
so the statement's figures are the totals of the cleared (``*``) transactions. Declined and
returned receipts and failed payouts moved no money: they have no postings.

Postings are streamed from the database in chunks and written as they come, so a ledger of
a million receipts is never held in memory. The same ledger gives the same bytes: they are
ordered by instant and event, and nothing depends on when the export ran. The CSV is one
row per receipt, for a spreadsheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import chain, groupby
from operator import itemgetter
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    Connection,
    Integer,
    String,
    any_,
    bindparam,
    func,
    select,
    type_coerce,
)

from supportledger.channels import all_channels
from supportledger.config import ConfigError
from supportledger.errors import LedgerError
from supportledger.journal import ACCOUNTS, MONTHS, POSTINGS, align_ledger
from supportledger.ledger import Ledger
from supportledger.models import (
    COUNTED_STATUSES,
    BankLine,
    ChannelBalance,
    Conversion,
    Kind,
    Payout,
    Receipt,
    Status,
    Supporter,
    Transfer,
)
from supportledger.money import exponent
from supportledger.months import Month, local_midnight
from supportledger.render import safe_cell
from supportledger.supporters import supporter_roots

#: Rows fetched from the database at a time.
CHUNK = 2000


class ExportFormat(StrEnum):
    beancount = "beancount"
    hledger = "hledger"
    csv = "csv"


#: the receipt a reversal reverses (made once: an alias copies every column)
_REVERSED = Receipt.__table__.alias("reversed")
#: Receipts in the books: what the statement counts, and checks in hand not yet deposited.
BOOKED_RECEIPTS = (*COUNTED_STATUSES, Status.PENDING)
_KIND_WORDS = {Kind.ONE_TIME: "one-time support", Kind.RECURRING: "recurring support"}

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


@lru_cache(maxsize=1 << 16)  # a ledger repeats its amounts: bounded, memory flat
def _plain(minor: int, currency: str) -> str:
    """A stored amount as ``Money.plain`` writes it, from its integer minor units alone
    (integer division, never a float)."""
    digits = exponent(currency)
    if not digits:
        return str(minor)
    whole, part = divmod(abs(minor), 10**digits)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{digits}d}"


def _amount(minor: int, currency: str) -> str:
    return f"{_plain(minor, currency)} {currency}"


@dataclass(frozen=True)
class JournalStyle:
    """How a plain-text journal writes a transaction: after its date and flag (`` *``,
    `` !``) the rest of its first line, then a line per metadata pair, then its postings
    with this indent."""

    heading: Callable[[str | None, str], str]  # (payee, narration) -> the line's rest
    meta: Callable[[str, str], str]  # (key, value) -> the line
    indent: str

    def event(
        self, payee: str | None, narration: str, meta: tuple[tuple[str, str], ...] = ()
    ) -> str:
        """An event's part of its transaction: the rest of the first line and its metadata."""
        return self.heading(payee, narration) + "".join([self.meta(*pair) for pair in meta])

    def posting(self, account: str, amount: str, price: str | None = None) -> str:
        """A posting's line; ``price`` is the total price (``@@``) of a foreign amount, what
        it brought in the base currency."""
        text = f"{amount:>16}"
        if price is not None:
            text += f" @@ {price}"
        return f"{self.indent}{account:<46}  {text}\n"


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

    def month_conditions(self, column) -> list:
        """The same months on the journal roll-up's keys (``YYYYMM``)."""
        found = []
        if self.first is not None:
            found.append(column >= self.first.year * 100 + self.first.month)
        if self.last is not None:
            found.append(column <= self.last.year * 100 + self.last.month)
        return found

    def __str__(self) -> str:
        return f"{self.first or 'the start'} to {self.last or 'the end'}"


class _Exporter:
    """One export: the ledger's rows in a window, turned into transactions as ``style``
    writes them or into CSV rows."""

    def __init__(
        self,
        ledger: Ledger,
        connection: Connection,
        window: Window,
        style: JournalStyle | None = None,
    ) -> None:
        self.ledger = ledger
        self.tz = ledger.tz
        self.connection = connection
        self.window = window
        self.accounts = AccountNames(ledger.settings.account_names)
        self.labels = {channel.name: channel.label for channel in all_channels()}
        self.supporters = self._supporter_labels()
        self.style = style
        #: narrations by what they depend on: a few dozen in any ledger
        self._narration = _Written(self._receipt_narration)
        self._bank_narration = _Written(self._bank_line_narration)
        #: a receipt's heading by its supporter and narration's parts
        self._receipt_headings = _Written(self._receipt_heading)

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

    def _partitions(self, query, size: int = CHUNK) -> Iterator[list]:
        result = self.connection.execute(query, execution_options={"yield_per": size})
        try:
            yield from result.partitions()
        finally:
            result.close()

    def _plain_rows(self, query) -> Iterator[tuple]:
        """The query's rows as :meth:`_plain_blocks` gives them, one by one."""
        return chain.from_iterable(self._plain_blocks(query))

    def _plain_blocks(self, query, size: int = CHUNK) -> Iterator[list]:
        """The query's rows as the driver gives them, ``size`` at a time, for columns that
        need no result processing (integers and text; a flag as 0 or 1 on SQLite): making
        row objects is most of the cost of a long read. SQLite's cursor steps through the
        rows as they are fetched, so memory stays flat; elsewhere rows stream as
        :meth:`_partitions` gives them (SQLAlchemy reads a server-side cursor ahead of its
        caller; its rows, tuples all the same)."""
        if self.connection.dialect.name != "sqlite":
            return self._partitions(query, size)
        return self._fetched(query, size)

    def _fetched(self, query, size: int) -> Iterator[list]:
        result = self.connection.execute(query)
        try:
            while rows := result.cursor.fetchmany(size):
                yield rows
        finally:
            result.close()

    def _among(self, column, ids: set[int]):
        """``column IN ids`` with the ids as one parameter (a JSON array on SQLite, an array
        on PostgreSQL): a chunk's two thousand ids are not compiled into the statement one
        by one each time, which cost as much as the look-up."""
        if self.connection.dialect.name == "postgresql":
            return column == any_(bindparam(None, list(ids), ARRAY(Integer)))
        listed = func.json_each(bindparam(None, json.dumps(list(ids)), String))
        return column.in_(select(listed.table_valued("value").c.value))

    def _booked(self, receipts) -> list:
        """The receipts of the window that are in the books."""
        return [
            receipts.status.in_(BOOKED_RECEIPTS),
            *self.window.conditions(receipts.occurred_at, self.tz),
        ]

    def receipts(self) -> Iterator[tuple]:
        """The window's booked receipts as plain values, by instant: the instant as stored."""
        table = Receipt.__table__
        query = (
            select(
                type_coerce(table.c.occurred_at, String), table.c.channel, table.c.kind,
                table.c.event, table.c.supporter_id, table.c.gross_minor, table.c.fee_minor,
                table.c.net_minor, table.c.currency, table.c.original_minor,
                table.c.original_currency, table.c.fx_rate, table.c.external_id,
                table.c.status,
            )
            .where(*self._booked(table.c))
            .order_by(table.c.occurred_at, table.c.channel, self._ordered(table.c.external_id))
        )  # fmt: skip
        return self._plain_rows(query)

    def accounts_in_use(self) -> dict[str, dt.date]:
        """Every account the window's postings use, with the day it is first used: the
        roll-up gives each account's first month, and only that month's postings are read."""
        first_months = (
            select(MONTHS.c.account_id, func.min(MONTHS.c.month).label("month"))
            .where(*self.window.month_conditions(MONTHS.c.month))
            .group_by(MONTHS.c.account_id)
            .subquery()
        )
        first_use_at = (
            select(func.min(POSTINGS.c.occurred_at))
            .where(
                POSTINGS.c.month == first_months.c.month,
                POSTINGS.c.account_id == first_months.c.account_id,
            )
            .scalar_subquery()
        )
        first_use: dict[str, dt.date] = {}
        for name, first in self.connection.execute(
            select(ACCOUNTS.c.name, first_use_at).join_from(
                first_months, ACCOUNTS, ACCOUNTS.c.id == first_months.c.account_id
            )
        ):
            account, day = self.accounts(name), first.astimezone(self.tz).date()
            first_use[account] = min(day, first_use.get(account, day))
        return first_use

    def journal(self) -> Iterator[tuple[int, str]]:
        """The journal's transactions in the window as the style writes them, by instant and
        event, a block of some two thousand at a time with how many it holds. Postings come
        as plain values, the instant as stored (each local day worked out once); a ledger
        repeats its postings, so each distinct one is written once; a block's events are
        described together."""
        query = (
            select(
                POSTINGS.c.source, POSTINGS.c.source_id,
                type_coerce(POSTINGS.c.occurred_at, String), POSTINGS.c.cleared,
                POSTINGS.c.account_id, POSTINGS.c.currency, POSTINGS.c.amount_minor,
                POSTINGS.c.value_minor,
            )
            .where(*self.window.conditions(POSTINGS.c.occurred_at, self.tz))
            .order_by(POSTINGS.c.occurred_at, POSTINGS.c.source, POSTINGS.c.source_id,
                      POSTINGS.c.leg)
        )  # fmt: skip
        line = _Written(self._posting_writer()).__getitem__
        day = _LocalDays(self.tz)
        for block in _whole_events(self._plain_blocks(query, _POSTING_ROWS)):
            described = self._events(block)
            texts = []
            for (source, source_id), legs in groupby(block, _EVENT):
                legs = list(legs)
                first = legs[0]
                event = described[source].get(source_id)
                if event is None:  # postings left by an event no longer there
                    event = self.style.event(None, f"{source} #{source_id}")
                postings = "".join(map(line, map(_POSTING, legs)))
                texts.append(f"{day(first[2])}{_FLAGS[first[3]]}{event}{postings}\n")
            yield len(texts), "".join(texts)

    def _posting_writer(self) -> Callable[[tuple], str]:
        """A posting's line from its account, currency, amount and value in minor units; a
        foreign amount is priced at its value in the base currency, as the journal carries it."""
        names = dict(self.connection.execute(select(ACCOUNTS.c.id, ACCOUNTS.c.name)).all())
        base = self.ledger.currency

        def write(posting: tuple[int, str, int, int]) -> str:
            account_id, currency, amount, value = posting
            price = None if currency == base else _amount(abs(value), base)
            return self.style.posting(
                self.accounts(names[account_id]), _amount(amount, currency), price
            )

        return write

    def _events(self, postings: list[tuple]) -> dict:
        """The events of a block of postings as the style writes them, by source and id."""
        wanted: dict[str, set[int]] = defaultdict(set)
        for source, source_id in set(map(_EVENT, postings)):
            wanted[source].add(source_id)
        return {source: getattr(self, f"_describe_{source}")(ids) for source, ids in wanted.items()}

    def _describe_receipt(self, ids: set[int]) -> dict[int, str]:
        table, reversed_ = Receipt.__table__, _REVERSED
        rows = self._plain_rows(
            select(table.c.id, table.c.channel, table.c.kind, table.c.event,
                   table.c.external_id, table.c.supporter_id,
                   reversed_.c.external_id.label("reverses"))
            .outerjoin(reversed_, reversed_.c.id == table.c.reverses_id)
            .where(self._among(table.c.id, ids))
        )  # fmt: skip
        headings, meta = self._receipt_headings, self.style.meta
        found = {}
        for receipt_id, channel, kind, event, external_id, supporter_id, reverses in rows:
            text = headings[supporter_id, channel, kind, event] + meta("id", external_id)
            if reverses is not None:
                text += meta("reverses", reverses)
            found[receipt_id] = text
        return found

    def _receipt_heading(self, what: tuple[int | None, str, str, str]) -> str:
        supporter_id, channel, kind, event = what
        payee = self.supporters[supporter_id] if supporter_id is not None else None
        return self.style.heading(payee, self._narration[channel, kind, event])

    def _receipt_narration(self, what: tuple[str, str, str]) -> str:
        channel, kind, event = what
        words = _KIND_WORDS.get(kind, kind)
        happened = "" if event == "payment" else " " + event.replace("_", " ")
        return f"{self._label(channel)} {words}{happened}"

    def _describe_payout(self, ids: set[int]) -> dict[int, str]:
        table = Payout.__table__
        posted = (
            select(func.min(BankLine.posted_on))
            .where(BankLine.payout_id == table.c.id)
            .correlate(table)
            .scalar_subquery()
        )
        found = {}
        for row in self.connection.execute(
            select(table.c.id, table.c.channel, table.c.external_id, table.c.status,
                   table.c.arrived_on, posted.label("posted"))
            .where(self._among(table.c.id, ids))
        ):  # fmt: skip
            meta = [("id", row.external_id)]
            arrived = row.posted or (row.arrived_on if row.status == "paid" else None)
            if arrived is not None:
                meta.append(("arrived", arrived.isoformat()))
            found[row.id] = self.style.event(
                None, f"{self._label(row.channel)} payout", tuple(meta)
            )
        return found

    def _describe_bank(self, ids: set[int]) -> dict[int, str]:
        """A bank line by what it was found to be (its text can name a payer: left out)."""
        table = BankLine.__table__
        found = {}
        for line_id, account, external_id, classification, counterparty in self._plain_rows(
            select(table.c.id, table.c.account, table.c.external_id, table.c.classification,
                   table.c.counterparty)
            .where(self._among(table.c.id, ids))
        ):  # fmt: skip
            found[line_id] = self.style.heading(
                None, self._bank_narration[classification, counterparty]
            ) + self.style.meta("id", f"{account}:{external_id}")
        return found

    def _bank_line_narration(self, what: tuple[str, str | None]) -> str:
        classification, counterparty = what
        what = {
            "payout": f"{self._label(counterparty)} payout reaches the bank",
            "income": f"{self._label(counterparty)} deposited",
            "transfer": "transfer",
        }.get(classification, classification)
        return f"Bank: {what}"

    def _describe_conversion(self, ids: set[int]) -> dict[int, str]:
        table = Conversion.__table__
        return {
            row.id: self.style.event(None, f"{self._label(row.channel)} currency conversion",
                                (("id", row.external_id),))
            for row in self.connection.execute(
                select(table.c.id, table.c.channel, table.c.external_id).where(
                    self._among(table.c.id, ids)
                )
            )
        }  # fmt: skip

    def _describe_transfer(self, ids: set[int]) -> dict[int, str]:
        table = Transfer.__table__
        return {
            row.id: self.style.event(None, f"{self._label(row.channel)}: the writer's own money, "
                                f"{row.description or 'in or out'}", (("id", row.external_id),))
            for row in self.connection.execute(
                select(table.c.id, table.c.channel, table.c.external_id, table.c.description)
                .where(self._among(table.c.id, ids))
            )
        }  # fmt: skip

    def _describe_opening(self, ids: set[int]) -> dict[int, str]:
        table = ChannelBalance.__table__
        found = {}
        for row in self.connection.execute(
            select(table.c.id, table.c.channel, table.c.as_of).where(self._among(table.c.id, ids))
        ):
            day = row.as_of.astimezone(self.tz).date().isoformat()
            found[row.id] = self.style.event(
                None, f"{self._label(row.channel)} balance before the ledger (as it stated on "
                f"{day})",
            )  # fmt: skip
        return found

    def _label(self, channel: str | None) -> str:
        return self.labels.get(channel, channel or "")

    def csv_rows(self) -> Iterator[list[str]]:
        """A row per receipt, its cells made safe for a spreadsheet: the date and the
        amounts, written here as plain numbers, need no guarding."""
        day = _LocalDays(self.tz)
        supporters = {key: safe_cell(label) for key, label in self.supporters.items()}
        safe = _Written(safe_cell)  # for the columns of a few values each
        for (
            at, channel, kind, event, supporter_id, gross, fee, net, currency, original,
            original_currency, fx_rate, external_id, status,
        ) in self.receipts():  # fmt: skip
            yield [
                day(at),
                safe[channel],
                safe[kind],
                safe[event],
                supporters[supporter_id] if supporter_id is not None else "",
                _plain(gross, currency),
                _plain(fee, currency),
                _plain(net, currency),
                safe[currency],
                _plain(original, original_currency)
                if original is not None and original_currency
                else "",
                safe[original_currency],
                safe[fx_rate],
                safe_cell(external_id),
                safe[status],
            ]


class _LocalDays:
    """The local day (ISO text) of each stored instant (naive UTC, as the database gives it
    back: text on SQLite), for instants that come in order: worked out again only past the
    day's end."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.day = ""
        self.start = self.end = dt.datetime.min
        self.texts = ("", "")

    def __call__(self, stored: str | dt.datetime) -> str:
        if isinstance(stored, str):
            # text as SQLAlchemy stores it sorts as its instant: no need to parse it
            if len(stored) == _STORED_LENGTH and self.texts[0] <= stored < self.texts[1]:
                return self.day
            stored = dt.datetime.fromisoformat(stored)
        if not self.start <= stored < self.end:
            day = stored.replace(tzinfo=dt.UTC).astimezone(self.tz).date()
            self.day = day.isoformat()
            self.start, self.end = (
                local_midnight(local, self.tz).replace(tzinfo=None)
                for local in (day, day + dt.timedelta(days=1))
            )
            self.texts = tuple(_stored_text(at) for at in (self.start, self.end))
        return self.day


def _stored_text(at: dt.datetime) -> str:
    """A naive instant as SQLAlchemy writes it to SQLite: ``2026-03-08 07:00:00.000000``."""
    return at.isoformat(sep=" ", timespec="microseconds")


_STORED_LENGTH = len(_stored_text(dt.datetime.min))


def _whole_events(blocks: Iterator[list]) -> Iterator[list]:
    """Blocks of postings cut where an event ends: the legs of the last event of a block
    (consecutive, as they are ordered) are carried to the next."""
    carried: list = []
    for block in blocks:
        block = carried + block
        last, cut = _EVENT(block[-1]), len(block) - 1
        while cut and _EVENT(block[cut - 1]) == last:
            cut -= 1
        carried = block[cut:]
        if cut:
            yield block[:cut]
    if carried:
        yield carried


#: postings read at a time: some two thousand events
_POSTING_ROWS = 3 * CHUNK
#: the event a posting belongs to: its source and source id
_EVENT = itemgetter(0, 1)
#: what a posting's line is written from: account, currency, amount and value
_POSTING = itemgetter(slice(4, None))
#: a transaction's flag after its date, by whether it is cleared
_FLAGS = (" !", " *")
#: texts a :class:`_Written` keeps at a time
_KEPT = 1 << 16


class _Written(dict):
    """Texts by what they are written from, each written once by ``write`` and kept: at
    most :data:`_KEPT` at a time, so memory stays flat."""

    def __init__(self, write: Callable[[Any], str]) -> None:
        super().__init__()
        self.write = write

    def __missing__(self, key) -> str:
        if len(self) >= _KEPT:
            self.clear()
        text = self[key] = self.write(key)
        return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _beancount_string(text: str) -> str:
    return '"' + _one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


@lru_cache(maxsize=1 << 16)  # payees by narrations: bounded, memory flat
def _beancount_heading(payee: str | None, narration: str) -> str:
    """A transaction's first line after its date and flag."""
    heading = " " + _beancount_string(payee) if payee is not None else ""
    return f"{heading} {_beancount_string(narration)}\n"


def _beancount_meta(key: str, value: str) -> str:
    return f"  {key}: {_beancount_string(value)}\n"


def _hledger_text(text: str) -> str:
    """A description part hledger reads back as written: ``;`` would start a comment."""
    return _one_line(text).replace(";", ",")


@lru_cache(maxsize=1 << 16)
def _hledger_heading(payee: str | None, narration: str) -> str:
    """A transaction's first line after its date and flag."""
    description = _hledger_text(narration)
    if payee is not None:
        description = f"{_hledger_text(payee).replace('|', '/')} | {description}"
    if description.startswith("("):  # hledger would read it as a transaction code
        description = "() " + description
    return f" {description}\n"


def _hledger_meta(key: str, value: str) -> str:
    # a tag's value ends at a comma, so a comma in an id is written %2C
    return f"    ; {key}:{_one_line(value).replace(',', '%2C')}\n"


BEANCOUNT_STYLE = JournalStyle(_beancount_heading, _beancount_meta, "  ")
HLEDGER_STYLE = JournalStyle(_hledger_heading, _hledger_meta, "    ")
_STYLES = {ExportFormat.beancount: BEANCOUNT_STYLE, ExportFormat.hledger: HLEDGER_STYLE}


def export(ledger: Ledger, fmt: ExportFormat, stream: TextIO, window: Window = Window()) -> int:
    """Write the ledger's ``window`` to ``stream`` as ``fmt``; returns the entries written
    (transactions for the journals, rows for CSV)."""
    currency = ledger.currency
    align_ledger(ledger)
    with ledger.engine.connect() as connection:
        exporter = _Exporter(ledger, connection, window, _STYLES.get(fmt))
        if fmt is ExportFormat.csv:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            count = 0
            for row in exporter.csv_rows():
                writer.writerow(row)
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
        else:
            stream.write(header)
            stream.writelines(f"account {account}\n" for account, _ in first_use)
        stream.write("\n")
        count = 0
        for written, text in exporter.journal():
            stream.write(text)
            count += written
        return count
