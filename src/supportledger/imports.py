"""The ledger writer: entries from any source into the database, one file at a time.

Every importer, the Stripe sync and ``add`` hand their entries to the same writer, which
- writes a file in one transaction or not at all: a :class:`RowError` anywhere rolls it back;
- keys every row on the source's own id, never on date and amount: ``(channel, external_id)``
  for receipts, payouts and subscriptions, ``(account, external_id)`` for bank lines,
  ``(channel, currency, as_of)`` for balances. A re-import or an overlapping download adds
  nothing, and two identical $5 pledges with their own ids stay two receipts;
- updates a receipt whose status or amount a later download changed (Pending → Completed),
  always through :func:`change_receipt`, the one place an existing receipt is altered;
- streams: entries are taken a chunk at a time, looked up with one ``IN`` query per chunk and
  written with executemany, so memory stays flat on a file of a million rows.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache, partial
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Connection,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from supportledger.channels import Channel, get_channel
from supportledger.closing import ClosedMonths
from supportledger.db import insert_rows, refresh_statistics, transient, writing
from supportledger.errors import LedgerError
from supportledger.fees import FEE_MEMO, FeeSchedule, ScheduleError
from supportledger.files import PinnedFile
from supportledger.journal import (
    BANK,
    CONVERSION,
    FAILED_PAYOUTS,
    PAYOUT,
    RECEIPT,
    TRANSFER,
    Journal,
    day_start,
    missing_rate,
)
from supportledger.models import (
    REVERSALS,
    BankLine,
    ChannelBalance,
    Conversion,
    Event,
    ImportBatch,
    Payout,
    Receipt,
    Status,
    Subscription,
    SubscriptionEvent,
    SubscriptionStatus,
    Supporter,
    SupporterDetail,
    SupporterHandle,
    Transfer,
    utcnow,
)
from supportledger.money import Money, MoneyError
from supportledger.months import YEARS, local_date
from supportledger.rates import rate_on
from supportledger.reconcile import settle_matches
from supportledger.recurring import (
    PAID_STATUSES,
    HistoryEvent,
    Observation,
    Terms,
    latest,
    observed,
    paid,
    read_histories,
)
from supportledger.sources import (
    BalanceEntry,
    BankLineEntry,
    ConversionEntry,
    Entry,
    ImportContext,
    Importer,
    Notice,
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SubscriptionEntry,
    SupporterRef,
    TransferEntry,
)
from supportledger.sources.bank import INCOME
from supportledger.sources.bankrules import load_rules
from supportledger.sources.registry import importers, mapping_source, recognise
from supportledger.supporters import resolve_supporters
from supportledger.titles import resolve_titles

if TYPE_CHECKING:
    from supportledger.ledger import Ledger

#: entries looked up and written together: big enough for executemany to pay, small enough
#: that memory stays flat and an ``IN`` list stays well under every backend's limits
CHUNK = 2000
#: the largest amount (in minor units) the ledger keeps: far beyond any writer's receipts,
#: and small enough that sums of millions of them stay inside a 64-bit integer column
MAX_MINOR = 10**15 - 1
#: how many times an import runs again after a clash with a concurrent transaction
RETRIES = 3
#: new objects between two passes of the cyclic garbage collector while a file is written
GC_THRESHOLD = 10_000

BATCHES: Table = ImportBatch.__table__
RECEIPTS: Table = Receipt.__table__
PAYOUTS: Table = Payout.__table__
SUBSCRIPTIONS: Table = Subscription.__table__
SUBSCRIPTION_EVENTS: Table = SubscriptionEvent.__table__
BANK_LINES: Table = BankLine.__table__
SUPPORTERS: Table = Supporter.__table__
HANDLES: Table = SupporterHandle.__table__
DETAILS: Table = SupporterDetail.__table__
BALANCES: Table = ChannelBalance.__table__
CONVERSIONS: Table = Conversion.__table__
TRANSFERS: Table = Transfer.__table__
#: the journal's name for the events each table holds
JOURNAL_SOURCES = {
    RECEIPTS: RECEIPT,
    PAYOUTS: PAYOUT,
    BANK_LINES: BANK,
    CONVERSIONS: CONVERSION,
    TRANSFERS: TRANSFER,
}

#: the columns a later download may change; any difference there updates the row
RECEIPT_TRACKED = (
    "event",
    "status",
    "occurred_at",
    "gross_minor",
    "fee_minor",
    "net_minor",
    "expected_fee_minor",
    "original_minor",
    "original_currency",
    "fx_rate",
    "flags",
    "due_on",
)
PAYOUT_TRACKED = ("initiated_at", "arrived_on", "currency", "amount_minor", "fee_minor", "status")
#: the channel's own running figures on a subscription, which its newest description sets
SUBSCRIPTION_STATED = ("lifetime_minor", "last_charge_at", "last_charge_status")
BALANCE_TRACKED = ("amount_minor",)
CONVERSION_TRACKED = ("occurred_at", "from_currency", "from_minor", "to_currency", "to_minor")
TRANSFER_TRACKED = ("occurred_at", "currency", "amount_minor", "description")
#: a bank line, once taken, is what the bank said: a later statement never changes it
BANK_LINE_TRACKED = ()

Progress = Callable[["FileReport"], None]


@dataclass
class FileReport:
    """What one file (or one sync) did: every entry is exactly one of added, updated,
    unchanged or skipped, or the whole file was rejected."""

    file_name: str
    source: str
    batch_id: int | None = None
    channel: str | None = None
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)
    #: bank lines nobody could classify, left for the writer to decide
    unclassified: list[BankLineEntry] = field(default_factory=list)
    #: what the writer should know of the file that is not a row of it (an id used twice)
    notices: list[str] = field(default_factory=list)
    covers_from: dt.datetime | None = None
    covers_to: dt.datetime | None = None
    dry_run: bool = False
    #: the batch that took this very file (same SHA-256) before; nothing was written
    already_imported: int | None = None

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] += 1

    def cover(self, instant: dt.datetime) -> None:
        if self.covers_from is None or instant < self.covers_from:
            self.covers_from = instant
        if self.covers_to is None or instant > self.covers_to:
            self.covers_to = instant

    def as_dict(self) -> dict:
        return {
            "file": self.file_name,
            "source": self.source,
            "batch": self.batch_id,
            "channel": self.channel,
            "dry_run": self.dry_run,
            "already_imported": self.already_imported,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons.most_common()),
            "unclassified": [
                {
                    "posted_on": line.posted_on.isoformat(),
                    "amount": line.amount.plain(),
                    "currency": line.amount.currency,
                    "description": line.description,
                }
                for line in self.unclassified
            ],
            "notices": list(self.notices),
        }


def expected_fee(
    schedule: FeeSchedule, channel: Channel, on: dt.date, entry: ReceiptEntry
) -> Money | None:
    """The fee the schedule in force on ``on`` predicts for ``entry``.

    A payment: the channel's fee. A refund, chargeback or dispute: minus what the rule gives
    back of the original fee under its ``refund_returns`` policy (nothing since PayPal's
    change of 11 Oct 2019; before it, the percentage part, prorated on the amount refunded),
    plus the rule's dispute fee for a chargeback or dispute (none on a claim under the rule's
    waiver, PayPal's twice the fee). Other events: ``None``.
    """
    gross = entry.gross
    if entry.event == Event.PAYMENT:
        return channel.expected_fee(schedule, on, gross, flags=entry.flags)
    if entry.event not in REVERSALS:
        return None
    rule = schedule.rule(channel.name, on)
    refunded = abs(gross)
    full = rule.fee(refunded, entry.flags)
    if full is None:
        return None
    returned = Money.zero(gross.currency)
    if rule.refund_returns == "all":
        returned = full
    elif rule.refund_returns == "percent":
        fixed = [
            Money(c.fixed[gross.currency], gross.currency)
            for c in rule.components
            if c.fixed and c.applies(refunded, frozenset(entry.flags))
        ]
        returned = full - sum(fixed, Money.zero(gross.currency))
    fee = -returned
    dispute_fee = rule.dispute_fee_for(refunded) if entry.event != Event.REFUND else None
    return fee if dispute_fee is None else fee + dispute_fee


def change_receipt(
    connection: Connection, current: Mapping, changes: Mapping, batch_id: int | None = None
) -> None:
    """Alter the existing receipt ``current`` (its ``id`` and tracked columns) by ``changes``.

    The one place a receipt already in the ledger is changed: a status or amount a later
    download changed, a hand-recorded check marked deposited (or pending again on undo).
    A receipt of a closed month is left as it is: the change becomes an adjustment in the
    first open month (:mod:`supportledger.closing`), added by batch ``batch_id``.
    """
    changes, adjustments = ClosedMonths.load(connection).revise(
        connection, current, changes, batch_id
    )
    journal = Journal.of(connection)
    if changes:
        connection.execute(update(RECEIPTS).where(RECEIPTS.c.id == current["id"]).values(**changes))
        journal.touch(RECEIPT, [current["id"]])
    if adjustments:
        connection.execute(insert(RECEIPTS), adjustments)
        journal.touch(
            RECEIPT,
            connection.execute(
                select(RECEIPTS.c.id).where(
                    RECEIPTS.c.channel == adjustments[0]["channel"],
                    RECEIPTS.c.external_id.in_([a["external_id"] for a in adjustments]),
                )
            ).scalars(),
        )


def _update_row(table: Table, connection: Connection, current: Mapping, changes: Mapping) -> None:
    connection.execute(update(table).where(table.c.id == current["id"]).values(**changes))
    if table in JOURNAL_SOURCES:
        Journal.of(connection).touch(JOURNAL_SOURCES[table], [current["id"]])


def _insert_event(history: list[HistoryEvent], event: HistoryEvent) -> None:
    """Put ``event`` in ``history`` in order of the instant it took effect."""
    history.insert(bisect_right(history, event.effective_at, key=lambda e: e.effective_at), event)


def refresh_subscriptions(
    connection: Connection, histories: Mapping[int, Sequence[HistoryEvent]]
) -> None:
    """Repeat the latest of each history in its subscription's columns (after the history
    grew, or after an undo took some of it away)."""
    rows = [
        {"b_id": sid, **{f"b_{n}": v for n, v in latest(history).items()}}
        for sid, history in histories.items()
        if history
    ]
    if rows:
        names = [n[2:] for n in rows[0] if n != "b_id"]
        connection.execute(
            update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.id == bindparam("b_id"))
            .values({n: bindparam(f"b_{n}") for n in names}),
            rows,
        )


def _utc(instant: dt.datetime | None) -> dt.datetime | None:
    return instant.astimezone(dt.UTC) if instant is not None else None


def _same_payer(recorded: str | None, credited: str | None) -> bool:
    """Payer names agree when both are known (case and spacing aside)."""
    if not recorded or not credited:
        return True
    return " ".join(recorded.lower().split()) == " ".join(credited.lower().split())


def _same_check(recorded: str | None, deposited: str | None) -> bool:
    """Check numbers agree when both are known (leading zeros aside)."""
    if not recorded or not deposited:
        return True
    return recorded.strip().lstrip("0") == deposited.strip().lstrip("0")


def _awaits_bank(channel: Channel) -> tuple:
    """What marks a receipt on ``channel`` as waiting for a bank line: ``pending`` on a
    channel whose receipts start so (a check before its deposit, however it was recorded),
    else a payment typed in by hand, outside any import (a Zelle payment)."""
    if channel.receipts_start_pending:
        return (RECEIPTS.c.status == str(Status.PENDING),)
    return (RECEIPTS.c.batch_id.is_(None), RECEIPTS.c.event == str(Event.PAYMENT))


def _agrees(recorded: Mapping, line: BankLineEntry) -> bool:
    """A receipt typed in by hand and a bank line agree where both say more: a check's
    number, a payer's name."""
    return _same_check(recorded["check_number"], line.check_number) and _same_payer(
        recorded["display_name"], line.supporter.name if line.supporter else None
    )


def _supporter_key(channel: str, ref: SupporterRef) -> tuple:
    return (channel, ref.name, (ref.email or "").lower(), ref.user_id)


class _Writer:
    """Applies entries inside one open transaction, a chunk at a time, counting each."""

    def __init__(
        self,
        ledger: Ledger,
        connection: Connection,
        session: Session,
        report: FileReport,
        batch_id: int | None,
        rates: Mapping[str, Decimal] | None = None,
    ) -> None:
        self.connection = connection
        self.session = session
        self.report = report
        self.batch_id = batch_id
        self.tz = ledger.tz
        self.base = ledger.currency
        self.schedule = ledger.schedule
        self._channels: dict[str, Channel] = {}
        self._supporters: dict[tuple, int | None] = {}
        self._subscriptions: dict[tuple[str, str], int] = {}
        #: subscription id -> when a source last described it (its history's floor)
        self._seen: dict[int, dt.datetime | None] = {}
        #: (refund key, original key, take the original's kind) for receipts added here
        self._reversals: list[tuple[tuple[str, str], tuple[str, str], bool]] = []
        self._channel_names: set[str] = set()
        self._fee_memo: dict[tuple, Money | ScheduleError | None] = {}
        self.closed = ClosedMonths.load(connection)
        self.rates = dict(rates or {})
        self.journal = Journal.of(connection, ledger)
        if batch_id is not None:
            self.journal.touch_batch(batch_id)

    # ------------------------------------------------------------------ driving
    def write(self, entries: Iterable[Entry], progress: Progress | None = None) -> None:
        iterator = iter(entries)
        unlinked: list[tuple[tuple[str, str], tuple[str, str], bool]] = []
        while chunk := list(islice(iterator, CHUNK)):
            self._write_chunk(chunk)
            unlinked += self._link_reversals(self._reversals)
            self._reversals = []
            if progress is not None:
                progress(self.report)
        # a refund read before its payment (a newest-first download) is linked at the end
        self._link_reversals(unlinked)
        if len(self._channel_names) == 1:
            self.report.channel = next(iter(self._channel_names))

    def _write_chunk(self, chunk: list[Entry]) -> None:
        by_type: dict[type, list] = defaultdict(list)
        for entry in chunk:
            if isinstance(entry, Notice):  # not a row: said with the summary
                where = f"line {entry.line}: " if entry.line is not None else ""
                self.report.notices.append(f"{where}{entry.message}")
                continue
            if not isinstance(entry, BalanceEntry):  # a figure the file states, not a row
                self.report.rows += 1
            if isinstance(entry, Skipped):
                self.report.skip(entry.reason)
            else:
                by_type[type(entry)].append(entry)
        unknown = set(by_type) - {
            SubscriptionEntry,
            ReceiptEntry,
            PayoutEntry,
            BalanceEntry,
            BankLineEntry,
            ConversionEntry,
            TransferEntry,
        }
        if unknown:
            raise TypeError(f"not an entry: {', '.join(t.__name__ for t in unknown)}")
        # subscriptions first, so payments in the same chunk find them
        outcomes = [
            *self._write_subscriptions(by_type[SubscriptionEntry]),
            *self._write_receipts(by_type[ReceiptEntry]),
            *self._write_payouts(by_type[PayoutEntry]),
            *self._write_bank_lines(by_type[BankLineEntry]),
            *self._write_conversions(by_type[ConversionEntry]),
            *self._write_transfers(by_type[TransferEntry]),
        ]
        for outcome in outcomes:
            self.report.count(outcome)
        self._write_balances(by_type[BalanceEntry])

    def _channel(self, name: str) -> Channel:
        if name not in self._channels:
            self._channels[name] = get_channel(name)
        return self._channels[name]

    def _written_to(self, name: str) -> str:
        """The channel's own name, noted as one this file writes to (the report names the
        channel when there is only one)."""
        channel = self._channel(name).name
        self._channel_names.add(channel)
        return channel

    def _error(self, entry, problem: str) -> RowError:
        return RowError(self.report.file_name, entry.line, problem)

    def _minor(self, entry, amount: Money | None) -> int | None:
        """``amount`` in minor units, refused (naming the row) when it is not a whole number
        of them or lies beyond :data:`MAX_MINOR`: never an overflow half-way through a file."""
        if amount is None:
            return None
        try:
            minor = amount.minor
        except MoneyError as exc:
            raise self._error(entry, str(exc)) from None
        if abs(minor) > MAX_MINOR:
            raise self._error(
                entry, f"amount {amount.amount} {amount.currency} is beyond what the ledger keeps"
            )
        return minor

    def _dated(self, entry, when):
        """``when`` (a date, a date-time or ``None``), refused (naming the row) outside
        :data:`YEARS`."""
        if when is not None and when.year not in YEARS:
            raise self._error(
                entry, f"date {when.isoformat()[:10]} is out of range ({YEARS[0]}-{YEARS[-1]})"
            )
        return when

    # ------------------------------------------------------------------ the generic upsert
    def _existing(
        self, table: Table, key: tuple[str, ...], tracked: tuple[str, ...], keys: Iterable[tuple]
    ) -> dict[tuple, dict]:
        """The rows of ``table`` with these ``keys``: one query per key prefix, its last
        column given the chunk's values as one ``IN`` list (SQLite) or one array
        (PostgreSQL: a statement with one parameter whatever the chunk's size, so the plan
        psycopg prepares after five runs is the unique index's, never a scan of the
        prefix's rows against 2000 parameters)."""
        groups: dict[tuple, set] = defaultdict(set)
        for k in keys:
            groups[k[:-1]].add(k[-1])
        names, query = _lookup(table, key, tracked, self.connection.dialect.name == "postgresql")
        key_of = _key_getter(tuple(names.index(name) for name in key))
        found = {}
        for fixed, lasts in groups.items():
            given = {f"k{number}": value for number, value in enumerate(fixed)}
            for row in self.connection.execute(query, {**given, "lasts": list(lasts)}):
                found[key_of(row)] = dict(zip(names, row, strict=True))
        return found

    def _upsert(
        self,
        table: Table,
        key: tuple[str, ...],
        tracked: tuple[str, ...],
        rows: list[tuple[Entry, dict]],
        prepare: Callable[[list[tuple[Entry, dict]]], None] | None = None,
        change: Callable[[Connection, Mapping, Mapping], None] | None = None,
    ) -> list[str]:
        """Insert the rows not in ``table`` yet, change those that differ in ``tracked``.

        ``prepare`` completes the new rows just before they are inserted (supporters, links).
        Returns each row's outcome: added, updated or unchanged.
        """
        if not rows:
            return []
        change = change or partial(_update_row, table)
        key_of = _key_getter(key)
        keys = [key_of(values) for _, values in rows]
        existing = self._existing(table, key, tracked, set(keys))
        new: dict[tuple, tuple[Entry, dict]] = {}
        outcomes = []
        for (entry, values), k in zip(rows, keys, strict=True):
            current = new[k][1] if k in new else existing.get(k)
            if current is None:
                new[k] = (entry, values)
                outcomes.append("added")
                continue
            changes = {name: values[name] for name in tracked if values[name] != current[name]}
            if not changes:
                outcomes.append("unchanged")
                continue
            if k not in new:
                change(self.connection, current, changes)
            current.update(changes)
            outcomes.append("updated")
        if new:
            if prepare is not None:
                prepare(list(new.values()))
            insert_rows(self.connection, table, [values for _, values in new.values()])
            if self.batch_id is None and table in JOURNAL_SOURCES:  # a batch is read back
                found = self._existing(table, key, (), new)
                self.journal.touch(JOURNAL_SOURCES[table], (row["id"] for row in found.values()))
        return outcomes

    # ------------------------------------------------------------------ receipts
    def _write_receipts(self, entries: list[ReceiptEntry], count_channels: bool = True):
        rows = [(entry, self._receipt_values(entry)) for entry in entries]
        if count_channels:
            self._channel_names.update(values["channel"] for _, values in rows)
        return self._upsert(
            RECEIPTS,
            ("channel", "external_id"),
            RECEIPT_TRACKED,
            rows,
            prepare=self._prepare_receipts,
            change=partial(change_receipt, batch_id=self.batch_id),
        )

    def _receipt_values(self, entry: ReceiptEntry) -> dict:
        channel = self._channel(entry.channel)
        fee, expected = self._fees(channel, entry)
        occurred = _utc(self._dated(entry, entry.occurred_at))
        self.report.cover(occurred)
        fx_rate = entry.fx_rate
        if entry.gross.currency != self.base:  # held in another currency: valued on its day
            fx_rate = self._rate(entry, entry.gross.currency, occurred)
        gross_minor, fee_minor = self._minor(entry, entry.gross), self._minor(entry, fee)
        net_minor = gross_minor - fee_minor  # whole minor units less whole minor units
        if fee.currency != entry.gross.currency or abs(net_minor) > MAX_MINOR:
            self._minor(entry, entry.gross - fee)  # refused as Money refuses it, naming it
        return {
            "channel": channel.name,
            "external_id": entry.external_id,
            "kind": str(entry.kind or channel.default_kind),
            "event": str(entry.event),
            "status": str(entry.status),
            "occurred_at": occurred,
            "currency": entry.gross.currency,
            "gross_minor": gross_minor,
            "fee_minor": fee_minor,
            "net_minor": net_minor,
            "expected_fee_minor": self._minor(entry, expected),
            "original_minor": self._minor(entry, entry.original or None),
            "original_currency": entry.original.currency if entry.original else None,
            "fx_rate": str(fx_rate) if fx_rate is not None else None,
            "flags": ",".join(sorted(entry.flags)),
            "reverses_id": None,
            "supporter_id": None,
            "subscription_id": None,
            "check_number": entry.check_number,
            "description": entry.description,
            "due_on": entry.due_on,
            "title_id": None,
            "batch_id": self.batch_id,
        }

    def _rate(self, entry, currency: str, at: dt.datetime) -> Decimal:
        """The value in the base currency of one unit of ``currency`` on ``at``'s day: the
        channel's own rate, else the import's ``--rate``, else the ledger's rates table."""
        if isinstance(entry, ReceiptEntry) and entry.fx_rate is not None:
            return entry.fx_rate
        if currency in self.rates:
            return self.rates[currency]
        day = local_date(at, self.tz)
        found = rate_on(self.connection, currency, self.base, day)
        if found is None:
            raise self._error(entry, missing_rate(currency, self.base, day))
        return found

    def _fees(self, channel: Channel, entry: ReceiptEntry) -> tuple[Money, Money | None]:
        """The fee to book (the source's, else the schedule's) and the schedule's own (the
        importer's, when it knows more: KDP's delivery cost, ACX's royalty share)."""
        if entry.expected_fee is not None:
            return (entry.fee if entry.fee is not None else entry.expected_fee), entry.expected_fee
        try:
            expected = self._expected_fee(channel, entry)
        except ScheduleError as exc:
            if entry.fee is None:
                raise self._error(entry, str(exc)) from None
            expected = None
        fee = entry.fee if entry.fee is not None else expected
        if fee is None:
            raise self._error(
                entry,
                f"no fee given and the {channel.name} fee schedule cannot predict it "
                f"(set your rate in FEE_SCHEDULE_FILE)",
            )
        return fee, expected

    def _expected_fee(self, channel: Channel, entry: ReceiptEntry) -> Money | None:
        """:func:`expected_fee`, remembered: a big file repeats the same few amounts under
        the same rule (the answer depends on the day only through the rule in force, so
        that is the key), and the memo is emptied before it grows past :data:`FEE_MEMO`."""
        on = local_date(entry.occurred_at, self.tz)
        try:
            in_force: object = id(self.schedule.rule(channel.name, on))
        except ScheduleError:  # said by expected_fee itself, under this day's key
            in_force = on
        key = (channel.name, in_force, entry.gross, entry.flags, entry.event)
        if key not in self._fee_memo:
            if len(self._fee_memo) >= FEE_MEMO:
                self._fee_memo.clear()
            try:
                self._fee_memo[key] = expected_fee(self.schedule, channel, on, entry)
            except ScheduleError as exc:
                self._fee_memo[key] = exc
        found = self._fee_memo[key]
        if isinstance(found, ScheduleError):
            raise found
        return found

    def _prepare_receipts(self, new: list[tuple[ReceiptEntry, dict]]) -> None:
        for _, values in new:
            values.update(self.closed.late_entry(values))  # dated in a closed month: moved
        titles = resolve_titles(self.connection, (e.title for e, _ in new if e.title))
        for entry, values in new:
            values["title_id"] = titles.get(entry.title) if entry.title else None
        self._resolve_supporters([(values["channel"], entry.supporter) for entry, values in new])
        for entry, values in new:
            values["supporter_id"] = self._supporter(values["channel"], entry.supporter)
        named = [(e, v) for e, v in new if e.subscription]
        ids = self._subscription_ids(named)
        for entry, values in named:
            values["subscription_id"] = ids[(values["channel"], entry.subscription)]
        for entry, values in new:
            if entry.reverses:
                self._reversals.append(
                    (
                        (values["channel"], values["external_id"]),
                        (values["channel"], entry.reverses),
                        entry.kind is None,
                    )
                )

    def _resolve_supporters(self, wanted: list[tuple[str, SupporterRef | None]]) -> None:
        """Resolve, in one batch, the supporters of a chunk not yet known to this import."""
        unknown = {}
        for channel, ref in wanted:
            if ref is not None:
                key = _supporter_key(channel, ref)
                if key not in self._supporters:
                    unknown[key] = (channel, ref)
        if unknown:
            ids = resolve_supporters(self.session, list(unknown.values()))
            self._supporters.update(zip(unknown, ids, strict=True))

    def _supporter(self, channel: str, ref: SupporterRef | None) -> int | None:
        """The supporter ``ref`` names, resolved once per import (cached)."""
        if ref is None:
            return None
        key = _supporter_key(channel, ref)
        if key not in self._supporters:
            self._resolve_supporters([(channel, ref)])
        return self._supporters[key]

    def _subscription_ids(self, named: list[tuple[ReceiptEntry, dict]]) -> dict:
        """Ids of the subscriptions payments name. A payment that is all its source says of
        its subscription (it states the interval: PayPal) also records it: the first creates
        it, each one paid adds its start or a new amount to its history
        (:func:`recurring.paid`). One that only names it (Stripe's) needs it described."""
        creating: dict[tuple[str, str], tuple[int | None, Terms, dt.datetime]] = {}
        for entry, values in named:
            k = (values["channel"], entry.subscription)
            if entry.interval is not None:
                creating.setdefault(
                    k,
                    (
                        values["supporter_id"],
                        self._paid_terms(entry, values),
                        values["occurred_at"],
                    ),
                )
        missing = self._find_subscriptions({(v["channel"], e.subscription) for e, v in named})
        for entry, values in named:
            k = (values["channel"], entry.subscription)
            if k in missing and k not in creating:
                raise self._error(
                    entry,
                    f"names {k[0]} subscription {k[1]!r}, which nothing has described yet "
                    f"(import or sync its subscriptions first)",
                )
        # created in the order the file first names them: ids that do not hang on hashing
        self._create_subscriptions({k: v for k, v in creating.items() if k in missing})
        payments = sorted(
            (
                (
                    values["occurred_at"],
                    self._subscriptions[(values["channel"], e.subscription)],
                    self._paid_terms(e, values),
                )
                for e, values in named
                if e.interval is not None
                and values["status"] in PAID_STATUSES
                and values["event"] == Event.PAYMENT
                and values["gross_minor"] > 0
            ),
            key=lambda p: (p[0], p[1]),
        )
        if payments:
            histories = read_histories(self.connection, {sid for _, sid, _ in payments})
            added = []
            for at, sid, terms in payments:
                for event in paid(histories[sid], at, terms):
                    added.append((sid, self._in_open_month(histories[sid], event)))
            self._record_history(added, histories)
        return self._subscriptions

    def _paid_terms(self, entry: ReceiptEntry, values: dict) -> Terms:
        return Terms(values["gross_minor"], values["currency"], entry.interval)

    def _find_subscriptions(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Look up the subscriptions ``keys`` name not yet known to this import; returns
        those the ledger does not have."""
        wanted = keys - set(self._subscriptions)
        found = self._existing(SUBSCRIPTIONS, ("channel", "external_id"), ("last_seen_at",), wanted)
        for k, row in found.items():
            self._subscriptions[k] = row["id"]
            self._seen[row["id"]] = row["last_seen_at"]
        return wanted - set(found)

    def _create_subscriptions(
        self, wanted: Mapping[tuple[str, str], tuple[int | None, Terms, dt.datetime]]
    ) -> None:
        """Add the subscriptions ``wanted`` names (key -> supporter, terms, start); their
        history, added next, then keeps their columns."""
        if not wanted:
            return
        self.connection.execute(
            insert(SUBSCRIPTIONS),
            [
                {
                    "channel": channel,
                    "external_id": external_id,
                    "supporter_id": supporter_id,
                    "tier": terms.tier,
                    "amount_minor": terms.amount_minor,
                    "currency": terms.currency,
                    "interval": terms.interval,
                    "status": str(SubscriptionStatus.ACTIVE),
                    "started_at": start,
                    "ended_at": None,
                    "batch_id": self.batch_id,
                }
                for (channel, external_id), (supporter_id, terms, start) in wanted.items()
            ],
        )
        self._find_subscriptions(set(wanted))

    def _in_open_month(self, history: list[HistoryEvent], event: HistoryEvent) -> HistoryEvent:
        """``event`` put in ``history``; dated in a closed month, it takes effect at the
        start of the first open one instead (as a late receipt is booked), so a month's
        statement stays as it was sent."""
        moved = self.closed.first_open_start(event.effective_at)
        if moved != event.effective_at:
            event = replace(event, effective_at=moved)
        _insert_event(history, event)
        return event

    def _record_history(
        self, added: list[tuple[int, HistoryEvent]], histories: Mapping[int, list[HistoryEvent]]
    ) -> None:
        """Insert the events ``added``, and repeat each changed history's latest in its
        subscription's columns."""
        if not added:
            return
        self.connection.execute(
            insert(SUBSCRIPTION_EVENTS),
            [
                {
                    "subscription_id": sid,
                    "state": str(event.state),
                    "effective_at": event.effective_at,
                    "amount_minor": event.terms.amount_minor,
                    "currency": event.terms.currency,
                    "interval": event.terms.interval,
                    "tier": event.terms.tier,
                    "observed_at": event.observed_at,
                    "batch_id": self.batch_id,
                }
                for sid, event in added
            ],
        )
        refresh_subscriptions(self.connection, {sid: histories[sid] for sid, _ in added})

    def receipt_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        found = self._existing(RECEIPTS, ("channel", "external_id"), (), keys)
        return {k: row["id"] for k, row in found.items()}

    def _link_reversals(self, pending: list) -> list:
        """Point each refund in ``pending`` at the receipt it reverses (in this file or
        earlier), taking that receipt's kind unless the source said otherwise; returns the
        refunds whose receipt is not in the ledger (yet)."""
        statement = (
            update(RECEIPTS)
            .where(RECEIPTS.c.id == bindparam("b_id"))
            .values(reverses_id=bindparam("b_reverses"), kind=bindparam("b_kind"))
        )
        unlinked = []
        for start in range(0, len(pending), CHUNK):
            part = pending[start : start + CHUNK]
            found = self._existing(
                RECEIPTS,
                ("channel", "external_id"),
                ("kind",),
                {k for refund, original, _ in part for k in (refund, original)},
            )
            links = [
                {
                    "b_id": found[refund]["id"],
                    "b_reverses": found[original]["id"],
                    "b_kind": found[original if inherit else refund]["kind"],
                }
                for refund, original, inherit in part
                if original in found and refund in found
            ]
            unlinked += [link for link in part if link[1] not in found]
            if links:
                self.connection.execute(statement, links)
        return unlinked

    # ------------------------------------------------------------------ other entries
    def _write_payouts(self, entries: list[PayoutEntry], count_channels: bool = True) -> list[str]:
        rows = []
        for entry in entries:
            channel = (
                self._written_to(entry.channel)
                if count_channels
                else self._channel(entry.channel).name
            )
            initiated = _utc(self._dated(entry, entry.initiated_at))
            self.report.cover(initiated)
            fee = entry.fee or Money.zero(entry.amount.currency)
            rows.append(
                (
                    entry,
                    {
                        "channel": channel,
                        "external_id": entry.external_id,
                        "initiated_at": initiated,
                        "arrived_on": entry.arrived_on,
                        "currency": entry.amount.currency,
                        "amount_minor": self._minor(entry, entry.amount),
                        "fee_minor": self._minor(entry, fee),
                        "status": entry.status,
                        "batch_id": self.batch_id,
                    },
                )
            )
        return self._upsert(PAYOUTS, ("channel", "external_id"), PAYOUT_TRACKED, rows)

    def _write_subscriptions(self, entries: list[SubscriptionEntry]) -> list[str]:
        """Each description adds what is new to its subscription's history
        (:func:`recurring.observed`), never dated before the last description the ledger
        took; the newest also sets the channel's own figures (Patreon's lifetime and last
        charge). A subscription first described here is added; one whose history or
        figures changed is updated."""
        if not entries:
            return []
        now = utcnow()
        described = []
        for entry in entries:
            channel = self._written_to(entry.channel)
            terms = Terms(
                self._minor(entry, entry.amount), entry.amount.currency, entry.interval, entry.tier
            )
            instants = [
                _utc(self._dated(entry, when))
                for when in (
                    entry.started_at,
                    entry.status_since,
                    entry.terms_since,
                    entry.cancelled_at,
                )
            ]
            seen = _utc(self._dated(entry, entry.seen_at)) or now
            observation = Observation(SubscriptionStatus(entry.status), terms, seen, *instants)
            described.append(((channel, entry.external_id), entry, observation))
        missing = self._find_subscriptions({k for k, _, _ in described})
        self._resolve_supporters([(k[0], e.supporter) for k, e, _ in described if k in missing])
        self._create_subscriptions(
            {
                k: (self._supporter(k[0], e.supporter), o.terms, o.started_at or o.seen_at)
                for k, e, o in reversed(described)
                if k in missing
            }
        )
        ids = {self._subscriptions[k] for k, _, _ in described}
        histories = read_histories(self.connection, ids)
        stated = self._existing(SUBSCRIPTIONS, ("id",), SUBSCRIPTION_STATED, {(i,) for i in ids})
        added: list[tuple[int, HistoryEvent]] = []
        figures: dict[int, dict] = {}
        outcomes = []
        first = set(missing)
        for k, entry, observation in described:
            sid = self._subscriptions[k]
            events = observed(histories[sid], observation, self._seen[sid])
            for event in events:
                added.append((sid, self._in_open_month(histories[sid], event)))
            now_figures = {
                "lifetime_minor": self._minor(entry, entry.lifetime),
                "last_charge_at": _utc(self._dated(entry, entry.last_charge_at)),
                "last_charge_status": entry.last_charge_status,
            }
            current = {**stated[(sid,)], **figures.get(sid, {})}
            newest = self._seen[sid] is None or observation.seen_at >= self._seen[sid]
            changed = newest and any(now_figures[n] != current[n] for n in SUBSCRIPTION_STATED)
            if newest:
                self._seen[sid] = observation.seen_at
                figures[sid] = {**now_figures, "last_seen_at": observation.seen_at}
            if k in first:
                first.discard(k)
                outcomes.append("added")
            else:
                outcomes.append("updated" if events or changed else "unchanged")
        self._record_history(added, histories)
        if figures:
            names = ("last_seen_at", *SUBSCRIPTION_STATED)
            self.connection.execute(
                update(SUBSCRIPTIONS)
                .where(SUBSCRIPTIONS.c.id == bindparam("b_id"))
                .values({n: bindparam(f"b_{n}") for n in names}),
                [
                    {"b_id": sid, **{f"b_{n}": values[n] for n in names}}
                    for sid, values in figures.items()
                ],
            )
        return outcomes

    def _write_balances(self, entries: list[BalanceEntry]) -> list[str]:
        rows = []
        for entry in entries:
            channel = self._written_to(entry.channel)
            as_of = _utc(self._dated(entry, entry.as_of))
            self.report.cover(as_of)
            rows.append(
                (
                    entry,
                    {
                        "channel": channel,
                        "currency": entry.amount.currency,
                        "as_of": as_of,
                        "amount_minor": self._minor(entry, entry.amount),
                        "batch_id": self.batch_id,
                    },
                )
            )
        return self._upsert(BALANCES, ("channel", "currency", "as_of"), BALANCE_TRACKED, rows)

    def _write_conversions(self, entries: list[ConversionEntry]) -> list[str]:
        rows = []
        for entry in entries:
            channel = self._written_to(entry.channel)
            occurred = _utc(self._dated(entry, entry.occurred_at))
            self.report.cover(occurred)
            if entry.source.currency == entry.target.currency or not (
                entry.source.amount > 0 and entry.target.amount > 0
            ):
                raise self._error(entry, "a conversion takes one currency to another")
            rows.append(
                (
                    entry,
                    {
                        "channel": channel,
                        "external_id": entry.external_id,
                        "occurred_at": occurred,
                        "from_currency": entry.source.currency,
                        "from_minor": self._minor(entry, entry.source),
                        "to_currency": entry.target.currency,
                        "to_minor": self._minor(entry, entry.target),
                        "batch_id": self.batch_id,
                    },
                )
            )
        return self._upsert(CONVERSIONS, ("channel", "external_id"), CONVERSION_TRACKED, rows)

    def _write_transfers(self, entries: list[TransferEntry]) -> list[str]:
        rows = []
        for entry in entries:
            occurred = _utc(self._dated(entry, entry.occurred_at))
            self.report.cover(occurred)
            rows.append(
                (
                    entry,
                    {
                        "channel": self._written_to(entry.channel),
                        "external_id": entry.external_id,
                        "occurred_at": occurred,
                        "currency": entry.amount.currency,
                        "amount_minor": self._minor(entry, entry.amount),
                        "description": entry.description,
                        "batch_id": self.batch_id,
                    },
                )
            )
        return self._upsert(TRANSFERS, ("channel", "external_id"), TRANSFER_TRACKED, rows)

    # ------------------------------------------------------------------ bank lines
    def _write_bank_lines(self, entries: list[BankLineEntry]) -> list[str]:
        rows = []
        for entry in entries:
            self.report.cover(day_start(self._dated(entry, entry.posted_on), self.tz))
            rows.append(
                (
                    entry,
                    {
                        "account": entry.account,
                        "external_id": entry.external_id,
                        "posted_on": entry.posted_on,
                        "currency": entry.amount.currency,
                        "amount_minor": self._minor(entry, entry.amount),
                        "description": entry.description,
                        "classification": entry.classification,
                        "counterparty": entry.counterparty,
                        "receipt_id": None,
                        "payout_id": None,
                        "matched_at": None,
                        "batch_id": self.batch_id,
                    },
                )
            )
        return self._upsert(
            BANK_LINES,
            ("account", "external_id"),
            BANK_LINE_TRACKED,
            rows,
            prepare=self._prepare_bank_lines,
        )

    def _prepare_bank_lines(self, new: list[tuple[BankLineEntry, dict]]) -> None:
        """Zelle credits, check deposits and ``income`` lines (money straight into the bank
        on a channel that holds none: an honorarium on ``other``) are income: each gets its
        receipt on its channel, or is the one typed in by hand (a check is then marked
        deposited): never booked twice. Payouts are money already counted on their channel
        and stay bank lines only; unclassified ones are reported."""
        matched = self._match_recorded(new)
        created: list[tuple[dict, ReceiptEntry]] = []
        self._royalty_payouts(new)
        for entry, values in new:
            if entry.classification == "unclassified":
                self.report.unclassified.append(entry)
            if entry.classification != INCOME:
                continue
            deposited = get_channel(entry.counterparty).receipts_start_pending
            recorded = matched.get(id(values))
            if recorded is not None:  # typed in by hand before the bank saw it: never twice
                if deposited:
                    change_receipt(
                        self.connection, recorded, {"status": str(Status.DEPOSITED)}, self.batch_id
                    )
                values["receipt_id"] = recorded["id"]
                continue
            receipt = ReceiptEntry(
                channel=entry.counterparty,
                external_id=f"bank:{entry.account}:{entry.external_id}",
                occurred_at=day_start(entry.posted_on, self.tz),
                gross=entry.amount,
                status=Status.DEPOSITED if deposited else Status.COMPLETED,
                supporter=entry.supporter,
                check_number=entry.check_number,
                description=entry.description,
                line=entry.line,
            )
            created.append((values, receipt))
        if created:
            self._write_receipts([r for _, r in created], count_channels=False)
            ids = self.receipt_ids({(r.channel, r.external_id) for _, r in created})
            for values, receipt in created:
                values["receipt_id"] = ids[(receipt.channel, receipt.external_id)]

    def _royalty_payouts(self, new: list[tuple[BankLineEntry, dict]]) -> None:
        """A store whose exports list no payouts (KDP, ACX) is paid by a bank credit alone:
        that credit is the channel's payout (unless one already recorded is it: same amount,
        sent within the channel's lag before the bank posted it), arrived the day the bank
        posted it, and what it pays comes off the royalties the channel owes."""
        paid = [
            (entry, values)
            for entry, values in new
            if entry.classification == "payout"
            and entry.counterparty
            and entry.amount.amount > 0
            and self._channel(entry.counterparty).payouts_from_bank
        ]
        created = []
        for entry, values in paid:
            known = self._recorded_payout(entry)
            if known is not None:
                values["payout_id"], values["matched_at"] = known, utcnow()
                continue
            payout = PayoutEntry(
                channel=entry.counterparty,
                external_id=f"bank:{entry.account}:{entry.external_id}",
                initiated_at=day_start(entry.posted_on, self.tz),
                amount=entry.amount,
                arrived_on=entry.posted_on,
                line=entry.line,
            )
            created.append((values, payout))
        if not created:
            return
        self._write_payouts([p for _, p in created], count_channels=False)
        keys = {(p.channel, p.external_id) for _, p in created}
        found = self._existing(PAYOUTS, ("channel", "external_id"), (), keys)
        for values, payout in created:
            values["payout_id"] = found[(payout.channel, payout.external_id)]["id"]
            values["matched_at"] = utcnow()

    def _recorded_payout(self, line: BankLineEntry) -> int | None:
        """The one payout already in the ledger that this bank credit can only be."""
        channel = self._channel(line.counterparty)
        low, high = channel.payout_lag_days
        posted = day_start(line.posted_on, self.tz)
        taken = select(BANK_LINES.c.payout_id).where(BANK_LINES.c.payout_id.is_not(None))
        found = (
            self.connection.execute(
                select(PAYOUTS.c.id)
                .where(
                    PAYOUTS.c.channel == channel.name, PAYOUTS.c.currency == line.amount.currency
                )
                .where(PAYOUTS.c.amount_minor - PAYOUTS.c.fee_minor == line.amount.minor)
                .where(PAYOUTS.c.initiated_at >= posted - dt.timedelta(days=high))
                .where(PAYOUTS.c.initiated_at < posted - dt.timedelta(days=low - 1))
                .where(PAYOUTS.c.status.not_in(FAILED_PAYOUTS), PAYOUTS.c.id.not_in(taken))
                .limit(2)
            )
            .scalars()
            .all()
        )
        return found[0] if len(found) == 1 else None

    def _match_recorded(self, lines: list[tuple[BankLineEntry, dict]]) -> dict[int, dict]:
        """Receipts typed in by hand that these bank lines pay in (:func:`_awaits_bank`):
        same amount, recorded up to the channel's ``bank_match_days`` before the line's day,
        not yet tied to a bank line, and agreeing where both say more (a check's number, a
        payer's name). One query a channel; the oldest fitting receipt wins, each used once."""
        matched: dict[int, dict] = {}
        income = [(e, v) for e, v in lines if e.classification == INCOME]
        for name in sorted({e.counterparty for e, _ in income}):
            channel = get_channel(name)
            window = dt.timedelta(days=channel.bank_match_days)
            mine = [(e, v) for e, v in income if e.counterparty == name]
            if not channel.bank_match_days:
                continue
            earliest = min(day_start(e.posted_on, self.tz) for e, _ in mine) - window
            columns = dict.fromkeys(("id", "currency", "check_number", *RECEIPT_TRACKED))
            query = (
                select(*(RECEIPTS.c[name] for name in columns), SUPPORTERS.c.display_name)
                .outerjoin(SUPPORTERS, SUPPORTERS.c.id == RECEIPTS.c.supporter_id)
                .where(
                    RECEIPTS.c.channel == name,
                    *_awaits_bank(channel),
                    RECEIPTS.c.gross_minor.in_({e.amount.minor for e, _ in mine}),
                    RECEIPTS.c.occurred_at >= earliest,
                    # a check of a closed month stays pending once deposited (the deposit is
                    # an adjustment): its bank line says it is no longer waiting
                    RECEIPTS.c.id.not_in(
                        select(BANK_LINES.c.receipt_id).where(BANK_LINES.c.receipt_id.is_not(None))
                    ),
                )
                .order_by(RECEIPTS.c.occurred_at, RECEIPTS.c.id)
            )
            pool = [dict(row) for row in self.connection.execute(query).mappings()]
            for entry, values in mine if pool else ():
                start = day_start(entry.posted_on, self.tz)
                end = day_start(entry.posted_on + dt.timedelta(days=1), self.tz)
                for recorded in pool:
                    if (
                        (recorded["gross_minor"], recorded["currency"])
                        == (entry.amount.minor, entry.amount.currency)
                        and start - window <= recorded["occurred_at"] < end
                        and _agrees(recorded, entry)
                    ):
                        matched[id(values)] = recorded
                        pool.remove(recorded)
                        break
        return matched


def _key_getter(key: tuple) -> Callable[[Sequence | Mapping], tuple]:
    """What picks a row's ``key`` (names of a mapping, or positions), always as a tuple."""
    if len(key) == 1:
        (only,) = key
        return lambda row: (row[only],)
    return itemgetter(*key)


@lru_cache(maxsize=64)
def _lookup(table: Table, key: tuple[str, ...], tracked: tuple[str, ...], postgresql: bool):
    """The columns and the query :meth:`_Writer._existing` runs a key prefix at a time,
    built once: the prefix's values are ``k0``, ``k1``…, the last column's are ``lasts``
    (a list)."""
    names = tuple(dict.fromkeys(("id", *key, *tracked)))
    *prefix, last = key
    column = table.c[last]
    given = (
        column == any_(bindparam("lasts", type_=ARRAY(column.type)))
        if postgresql
        else column.in_(bindparam("lasts", expanding=True))
    )
    return names, select(*(table.c[name] for name in names)).where(
        *(table.c[name] == bindparam(f"k{n}") for n, name in enumerate(prefix)), given
    )


# ---------------------------------------------------------------------- transactions
def _apply(
    ledger: Ledger,
    make_entries: Callable[[], Iterable[Entry]],
    *,
    source: str,
    file_name: str,
    sha256: str,
    dry_run: bool,
    progress: Progress | None,
    replayable: bool,
    rates: Mapping[str, Decimal] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> FileReport:
    """Apply a file's entries in one transaction (:func:`supportledger.db.writing`).

    When the entries can be read again, a transaction PostgreSQL rolled back for a clash
    with a concurrent one (:func:`supportledger.db.transient`) is run again, up to
    :data:`RETRIES` times: the new run sees what the other committed.
    """
    retries = RETRIES if replayable else 0
    while True:
        try:
            return _apply_once(
                ledger,
                make_entries(),
                source=source,
                file_name=file_name,
                sha256=sha256,
                dry_run=dry_run,
                progress=progress,
                rates=rates,
                before_commit=before_commit,
            )
        except Exception as exc:
            if not retries or not transient(exc):
                raise
            retries -= 1


class _FewCollections:
    """A big file makes millions of short-lived objects and almost no cycles, so the cyclic
    collector's passes are mostly waste (a quarter of a PayPal import's time): while imports
    are written, what existed before (the library, SQLAlchemy's tables) is left out of its
    scans (``gc.freeze``) and it runs after 10,000 new objects rather than 700. The first
    import under way in the process sets this up and the last puts back what it found; a
    host that froze objects or turned the collector off itself is left as it is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._under_way = 0
        self._found: tuple[tuple[int, ...], bool] | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if not self._under_way:
                thresholds, froze = gc.get_threshold(), not gc.get_freeze_count()
                self._found = (thresholds, froze)
                if froze:
                    gc.freeze()
                if thresholds[0]:  # 0: the host turned collection off
                    gc.set_threshold(max(thresholds[0], GC_THRESHOLD), *thresholds[1:])
            self._under_way += 1
        try:
            yield
        finally:
            with self._lock:
                self._under_way -= 1
                if not self._under_way:
                    thresholds, froze = self._found
                    gc.set_threshold(*thresholds)
                    if froze:
                        gc.unfreeze()


_few_collections = _FewCollections()


def _apply_once(
    ledger: Ledger,
    entries: Iterable[Entry],
    *,
    source: str,
    file_name: str,
    sha256: str,
    dry_run: bool,
    progress: Progress | None,
    rates: Mapping[str, Decimal] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> FileReport:
    report = FileReport(file_name=file_name, source=source, dry_run=dry_run)
    with _few_collections(), writing(ledger.engine) as (connection, session):
        earlier = connection.execute(
            select(BATCHES.c.id)
            .where(BATCHES.c.sha256 == sha256, BATCHES.c.undone_at.is_(None))
            .order_by(BATCHES.c.id)
        ).first()
        if earlier is not None:
            report.already_imported = earlier.id
            return report
        batch_id = connection.execute(
            insert(BATCHES).values(
                source=source,
                file_name=file_name,
                sha256=sha256,
                started_at=utcnow(),
                rows=0,
                added=0,
                updated=0,
                skipped=0,
            )
        ).inserted_primary_key[0]
        writer = _Writer(ledger, connection, session, report, batch_id, rates)
        writer.write(entries, progress)
        session.flush()
        settle_matches(connection, ledger.tz)  # a payout and the deposit that can only be it
        writer.journal.sync()
        connection.execute(
            update(BATCHES)
            .where(BATCHES.c.id == batch_id)
            .values(
                channel=report.channel,
                covers_from=report.covers_from,
                covers_to=report.covers_to,
                rows=report.rows,
                added=report.added,
                updated=report.updated,
                skipped=report.skipped,
            )
        )
        if before_commit is not None:
            before_commit()
        if not dry_run:
            session.close()
            connection.commit()
            report.batch_id = batch_id
    if report.batch_id is not None:
        refresh_statistics(ledger.engine, report.added + report.updated)
    return report


# ---------------------------------------------------------------------- public entry points
def apply_entries(
    ledger: Ledger,
    entries: Iterable[Entry],
    *,
    source: str,
    file_name: str,
    sha256: str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FileReport:
    """Write ``entries`` (from a file or an API) as one batch, all or nothing.

    A list is run again after a clash with a concurrent transaction on PostgreSQL; a
    one-shot iterator cannot be read twice, so its clash is raised.
    """
    return _apply(
        ledger,
        lambda: entries,
        source=source,
        file_name=file_name,
        sha256=sha256,
        dry_run=dry_run,
        progress=progress,
        replayable=not isinstance(entries, Iterator),
    )


def find_importer(
    path: Path, head: bytes, known: list[Importer], source: str | None = None
) -> Importer:
    """The importer ``--source`` names, else the one that claims the file in full by its
    ``head`` (its first bytes)."""
    names = ", ".join(importer.name for importer in known) or "none"
    if source is not None:
        mapped = mapping_source(source)  # mapping:PATH.toml
        if mapped is not None:
            return mapped
        wanted = source.strip().lower()
        for importer in known:
            if importer.name == wanted:
                return importer
        raise LedgerError(f"--source: unknown format {source!r}; known formats: {names}")
    return recognise(path, head, known)


def import_paths(
    ledger: Ledger,
    paths: Iterable[Path | str],
    source: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    rates: Mapping[str, Decimal] | None = None,
    date_order: str | None = None,
) -> list[FileReport]:
    """Import each file in its own transaction; the first bad file stops with its error
    (files before it stay imported). ``rates`` convert reports kept in another currency
    (units of the base currency per unit); each receipt records the rate it was given.
    ``date_order`` (``dmy``/``mdy``) reads files whose days cannot tell, as does the
    writer's ``DATE_ORDER`` for a format; the writer's bank rules classify bank lines.

    Each file is held open while it is imported (:class:`supportledger.files.PinnedFile`):
    what is not an export file is refused before it is read, and a file that changed while
    it was read is refused before anything is committed, so the SHA-256 recorded is always
    the hash of what was imported."""
    known = importers()
    context = ImportContext(
        ledger.tz,
        ledger.currency,
        ledger.schedule,
        dict(rates or {}),
        bank_rules=load_rules(ledger.settings.bank_rules_file),
    )
    reports = []
    for path in map(Path, paths):
        with PinnedFile(path) as pinned:
            importer = find_importer(path, pinned.head, known, source)
            order = date_order or ledger.settings.date_orders.get(importer.name)
            try:
                reports.append(
                    _apply(
                        ledger,
                        partial(importer.entries, path, replace(context, date_order=order)),
                        source=importer.name,
                        file_name=pinned.name,
                        sha256=pinned.sha256,
                        dry_run=dry_run,
                        progress=progress,
                        replayable=True,
                        rates=context.rates,
                        before_commit=pinned.check_unchanged,
                    )
                )
            except LedgerError as exc:
                if pinned.name not in str(exc):  # met deep in an importer: say which file
                    exc.args = (f"{pinned.name}: {exc}",)
                raise
    return reports


def _recorded_check(connection: Connection, entry: ReceiptEntry) -> int | None:
    """The receipt of a check already typed in with ``entry``'s number and payer (spacing
    and case aside), or none."""
    query = select(RECEIPTS.c.id).where(
        RECEIPTS.c.channel == entry.channel,
        RECEIPTS.c.batch_id.is_(None),
        func.ltrim(RECEIPTS.c.check_number, "0") == entry.check_number.strip().lstrip("0"),
    )
    payer = " ".join((entry.supporter.name or "").split()) if entry.supporter else ""
    if payer:
        named = select(HANDLES.c.supporter_id).where(
            HANDLES.c.channel == entry.channel,
            HANDLES.c.kind == "name",
            func.lower(HANDLES.c.value) == payer.lower(),
        )
        query = query.where(RECEIPTS.c.supporter_id.in_(named))
    else:
        query = query.where(RECEIPTS.c.supporter_id.is_(None))
    return connection.execute(query.limit(1)).scalar()


def write_receipt(ledger: Ledger, entry: ReceiptEntry) -> int:
    """Book one receipt typed in by hand through the same writer, outside any batch.

    Refuses a receipt whose channel id is already recorded, and a check whose number and
    payer already are; returns the new receipt's id.
    """
    report = FileReport(file_name="add", source="manual")
    with writing(ledger.engine) as (connection, session):
        writer = _Writer(ledger, connection, session, report, batch_id=None)
        channel = get_channel(entry.channel)
        key = (channel.name, entry.external_id)
        if channel.receipts_start_pending and entry.check_number and entry.check_number.strip():
            earlier = _recorded_check(connection, replace(entry, channel=channel.name))
            if earlier is not None:
                raise LedgerError(
                    f"{channel.label} number {entry.check_number.strip()} from this payer is "
                    f"already recorded as receipt #{earlier}"
                )
        writer.write([entry])
        if not report.added:
            raise LedgerError(f"{key[0]} receipt {key[1]!r} is already recorded")
        receipt_id = writer.receipt_ids([key])[key]
        writer.journal.sync()
        session.close()
        connection.commit()
    return receipt_id


def classify_bank_line(
    ledger: Ledger, line_id: int, classification: str, channel: str | None = None
) -> dict:
    """The writer's decision on bank line ``line_id`` (one not yet counted): its new
    classification (and channel, for ``income`` and ``payout``), and for a line that is
    income (``zelle``, ``check``, ``income``) its receipt, written through the same writer
    as an import, in one transaction. The receipt belongs to the line's batch, so undoing
    the import removes both. Returns the line as it now is."""
    with writing(ledger.engine) as (connection, session):
        line = connection.execute(select(BANK_LINES).where(BANK_LINES.c.id == line_id)).first()
        if line is None:
            raise LedgerError(f"no bank line #{line_id} (see `supportledger bank lines`)")
        if line.receipt_id is not None or line.payout_id is not None:
            what = "receipt" if line.receipt_id is not None else "payout"
            raise LedgerError(
                f"bank line #{line_id} is already counted (its {what} #"
                f"{line.receipt_id or line.payout_id}); undo its import to decide it again"
            )
        if line.amount_minor <= 0 and classification not in ("transfer", "ignored"):
            raise LedgerError(
                f"bank line #{line_id} is money out: it is a transfer or to ignore, "
                f"not {classification}"
            )
        entry = BankLineEntry(
            account=line.account,
            external_id=line.external_id,
            posted_on=line.posted_on,
            amount=Money.from_minor(line.amount_minor, line.currency),
            description=line.description,
            classification=classification,
            counterparty=channel,
        )
        values = {"classification": classification, "counterparty": channel, "receipt_id": None}
        report = FileReport(file_name=f"bank line #{line_id}", source="classify")
        writer = _Writer(ledger, connection, session, report, line.batch_id)
        writer._prepare_bank_lines([(entry, values)])
        connection.execute(update(BANK_LINES).where(BANK_LINES.c.id == line_id).values(**values))
        writer.journal.touch(BANK, [line_id])
        writer.journal.sync()
        session.close()
        connection.commit()
    return {**line._asdict(), **values}


# ---------------------------------------------------------------------- batches
def _undo_history(connection: Connection, batch_id: int) -> tuple[int, list[int]]:
    """Delete the subscription history batch ``batch_id`` added, and all of the history of
    the subscriptions it added; returns how many events went and the other subscriptions
    whose history lost some."""
    events = SUBSCRIPTION_EVENTS
    added = select(SUBSCRIPTIONS.c.id).where(SUBSCRIPTIONS.c.batch_id == batch_id)
    touched = connection.execute(
        select(events.c.subscription_id)
        .where(events.c.batch_id == batch_id, events.c.subscription_id.not_in(added))
        .distinct()
    ).scalars()
    touched = sorted(touched)
    going = or_(events.c.batch_id == batch_id, events.c.subscription_id.in_(added))
    return connection.execute(delete(events).where(going)).rowcount, touched


def list_batches(ledger: Ledger) -> list[dict]:
    """Every import batch, newest first, with what it did."""
    with ledger.engine.connect() as connection:
        rows = connection.execute(select(BATCHES).order_by(BATCHES.c.id.desc())).mappings()
        return [
            {**row, "unchanged": row["rows"] - row["added"] - row["updated"] - row["skipped"]}
            for row in rows
        ]


def undo_batch(ledger: Ledger, batch_id: int) -> dict[str, int]:
    """Remove what batch ``batch_id`` added and mark it undone; a check it marked deposited
    is pending again. Changes it made to rows of earlier imports (a status a later download
    updated, a channel's own figures) stay, and so do the people it named that other rows
    name too; those it alone brought go, with their handles and details. The history it
    added to a subscription goes, and the subscription's columns repeat what is left.
    Returns how many rows of each kind went."""
    with writing(ledger.engine) as (connection, _):
        batch = connection.execute(select(BATCHES).where(BATCHES.c.id == batch_id)).first()
        ClosedMonths.load(connection).refuse_undo(connection, batch_id)
        if batch is None:
            raise LedgerError(f"no import batch #{batch_id} (see `supportledger imports`)")
        if batch.undone_at is not None:
            raise LedgerError(
                f"batch #{batch_id} was already undone on {batch.undone_at:%Y-%m-%d %H:%M} UTC"
            )
        journal = Journal.of(connection, ledger)
        for table, source in JOURNAL_SOURCES.items():
            journal.touch(
                source,
                connection.execute(select(table.c.id).where(table.c.batch_id == batch_id))
                .scalars()
                .all(),
            )
        not_ours = or_(RECEIPTS.c.batch_id.is_(None), RECEIPTS.c.batch_id != batch_id)
        deposited = select(RECEIPTS.c.id, *(RECEIPTS.c[name] for name in RECEIPT_TRACKED)).where(
            RECEIPTS.c.id.in_(
                select(BANK_LINES.c.receipt_id).where(
                    BANK_LINES.c.batch_id == batch_id, BANK_LINES.c.classification == INCOME
                )
            ),
            RECEIPTS.c.status == str(Status.DEPOSITED),
            not_ours,
        )
        for check in connection.execute(deposited).mappings().all():
            change_receipt(connection, check, {"status": str(Status.PENDING)})
        # links from rows of other batches to rows that go are cleared (links, not money)
        other_lines = or_(BANK_LINES.c.batch_id.is_(None), BANK_LINES.c.batch_id != batch_id)
        for table, others, link, target in (
            (RECEIPTS, not_ours, "reverses_id", RECEIPTS),
            (RECEIPTS, not_ours, "subscription_id", SUBSCRIPTIONS),
            (BANK_LINES, other_lines, "receipt_id", RECEIPTS),
            (BANK_LINES, other_lines, "payout_id", PAYOUTS),
        ):
            going = select(target.c.id).where(target.c.batch_id == batch_id)
            connection.execute(
                update(table).where(table.c[link].in_(going), others).values({link: None})
            )
        brought = _named_only_by(connection, batch_id)
        history, touched = _undo_history(connection, batch_id)
        removed = {}
        for name, table in (
            ("bank lines", BANK_LINES),
            ("receipts", RECEIPTS),
            ("payouts", PAYOUTS),
            ("subscriptions", SUBSCRIPTIONS),
            ("balances", BALANCES),
            ("conversions", CONVERSIONS),
            ("transfers", TRANSFERS),
        ):
            removed[name] = connection.execute(
                delete(table).where(table.c.batch_id == batch_id)
            ).rowcount
            if table is SUBSCRIPTIONS:
                removed["subscription events"] = history
        histories = read_histories(connection, touched)
        refresh_subscriptions(connection, histories)
        for sid, events in histories.items():
            connection.execute(
                update(SUBSCRIPTIONS)
                .where(SUBSCRIPTIONS.c.id == sid)
                .values(last_seen_at=max((e.observed_at for e in events), default=None))
            )
        removed["supporters"] = _delete_supporters(connection, brought)
        connection.execute(
            update(BATCHES).where(BATCHES.c.id == batch_id).values(undone_at=utcnow())
        )
        journal.sync()
        connection.commit()
    return removed


def _named_only_by(connection: Connection, batch_id: int) -> list[int]:
    """The supporters that batch ``batch_id``'s receipts and subscriptions name and nothing
    else does: no other row, and no merge either way (a merge is the writer's decision)."""
    merged = SUPPORTERS.alias("merged")
    named_by = {
        table: select(table.c.supporter_id).where(table.c.batch_id == batch_id)
        for table in (RECEIPTS, SUBSCRIPTIONS)
    }
    elsewhere = [
        select(table.c.id).where(
            table.c.supporter_id == SUPPORTERS.c.id,
            or_(table.c.batch_id.is_(None), table.c.batch_id != batch_id),
        )
        for table in (RECEIPTS, SUBSCRIPTIONS)
    ]
    query = select(SUPPORTERS.c.id).where(
        or_(*(SUPPORTERS.c.id.in_(q) for q in named_by.values())),
        SUPPORTERS.c.merged_into_id.is_(None),
        ~select(merged.c.id).where(merged.c.merged_into_id == SUPPORTERS.c.id).exists(),
        *(~q.exists() for q in elsewhere),
    )
    return list(connection.execute(query).scalars())


def _delete_supporters(connection: Connection, supporter_ids: list[int]) -> int:
    """Delete the supporters ``supporter_ids``, their handles and details, 500 at a time."""
    for start in range(0, len(supporter_ids), 500):
        chunk = supporter_ids[start : start + 500]
        for column in (HANDLES.c.supporter_id, DETAILS.c.supporter_id, SUPPORTERS.c.id):
            connection.execute(delete(column.table).where(column.in_(chunk)))
    return len(supporter_ids)
