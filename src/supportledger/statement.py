"""Monthly statements and annual summaries, computed as plain data.

Two layers, kept apart so each can be read (and tested) on its own:

- the **query layer** (``_read_*``) asks the database for aggregates only: receipts are
  summed in SQL, grouped by month bucket, channel, kind and event over UTC ranges taken
  from :meth:`Month.bounds`, so the index on ``occurred_at`` does the work and a ledger of
  a million receipts never crosses into Python row by row;
- the **pure layer** (``build_monthly_statement``, ``build_annual_summary``) turns those
  facts into frozen dataclasses of :class:`Money`, ints, dates and strings. It formats
  nothing: HTML, text, JSON and CSV are renderings (``supportledger.render``).

Which receipts count as income: ``completed``, ``deposited`` and ``reversed`` ones (a
reversed payment is answered by its own negative reversal row). ``pending`` receipts are
money still owed (a check not yet deposited); ``denied`` and ``returned`` never arrived.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, case, exists, func, literal, or_, select

from supportledger.balances import Owed, money_owed
from supportledger.channels import all_channels, get_channel, listed_names
from supportledger.channels import label_of as _label
from supportledger.closing import latest_close
from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule
from supportledger.journal import ACCOUNTS, FAILED_PAYOUTS, MONTHS, POSTINGS, align_ledger
from supportledger.models import (
    AccountRole,
    BankLine,
    ImportBatch,
    Kind,
    Payout,
    Receipt,
)
from supportledger.money import ROUNDING, Money, total
from supportledger.months import Month, local_date
from supportledger.recurring import Recurring, RecurringFacts, monthly, read_facts
from supportledger.snapshots import freeze, thaw

KINDS = tuple(Kind)
#: The bank statement, in ``missing_data``: the record of Zelle, checks and every payout.
BANK = "bank"
BANK_LABEL = "Bank statement (Zelle, checks, payouts)"


# --------------------------------------------------------------------------- the figures


@dataclass(frozen=True)
class Figures:
    """Receipts summed: ``net = gross - refunds - fees`` always holds."""

    count: int
    gross: Money
    refunds: Money
    fees: Money
    net: Money

    @classmethod
    def zero(cls, currency: str) -> Figures:
        nothing = Money.zero(currency)
        return cls(0, nothing, nothing, nothing, nothing)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.count + other.count,
            self.gross + other.gross,
            self.refunds + other.refunds,
            self.fees + other.fees,
            self.net + other.net,
        )

    @property
    def fee_share(self) -> Decimal | None:
        """Fees as a percentage of gross, to one decimal; ``None`` when nothing was paid."""
        if not self.gross:
            return None
        return (self.fees.amount * 100 / self.gross.amount).quantize(Decimal("0.1"), ROUNDING)

    @property
    def empty(self) -> bool:
        return not (self.count or self.gross or self.refunds or self.fees or self.net)


def add_up(figures: Iterable[Figures], currency: str) -> Figures:
    result = Figures.zero(currency)
    for one in figures:
        result = result + one
    return result


@dataclass(frozen=True)
class ChannelFigures:
    """One channel's month (or the total): split by kind, with the fees nobody predicted."""

    channel: str
    label: str
    figures: Figures
    kinds: Mapping[str, Figures]
    #: receipts whose fee differs from the schedule's, and by how much in all (fee - expected)
    unexpected_fees: int
    unexpected_fee_amount: Money


@dataclass(frozen=True)
class PayoutLine:
    """A payout that reached the bank in the month; amounts in the payout's currency."""

    channel: str
    label: str
    initiated_on: dt.date
    arrived_on: dt.date | None
    amount: Money
    fee: Money
    to_bank: Money
    status: str
    value: Money  # what reached the bank, in the base currency


@dataclass(frozen=True)
class Comparison:
    previous_month: Month
    previous: Figures
    year_ago_month: Month
    year_ago: Figures
    year_to_date_from: Month
    year_to_date: Figures


@dataclass(frozen=True)
class SeriesMonth:
    month: Month
    net: Mapping[str, Money]  # every channel
    total: Money


@dataclass(frozen=True)
class MissingData:
    channel: str
    label: str
    covered_to: dt.date | None  # last local day any import reached; None: nothing before
    by_month: bool = False  # the channel reports whole months (``reports_by_month``)

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels whose figures this gap leaves unknown: a missing bank statement
        leaves those whose money arrives straight in the bank."""
        if self.channel == BANK:
            return tuple(c.name for c in all_channels() if c.arrives_in_bank)
        return (self.channel,)

    @property
    def message(self) -> str:
        if self.covered_to is None:
            return f"{self.label}: nothing imported for this month"
        if self.by_month:
            report = self.covered_to.strftime("%B %Y")
            return f"{self.label}: nothing imported after the {report} report"
        return f"{self.label}: nothing imported after {self.covered_to.isoformat()}"


@dataclass(frozen=True)
class MonthlyStatement:
    month: Month
    timezone: str
    currency: str
    channels: tuple[ChannelFigures, ...]  # every known channel, zeros included
    totals: ChannelFigures
    recurring: Recurring
    outstanding: Owed
    payouts: tuple[PayoutLine, ...]
    payouts_total: Money
    comparison: Comparison
    series: tuple[SeriesMonth, ...]  # the 12 months ending with this one
    missing_data: tuple[MissingData, ...]
    names_shown: bool
    #: realised on money held in another currency when it was converted or paid out
    exchange_gain: Money


@dataclass(frozen=True)
class TaxFormLine:
    """A channel's ledger gross for the year beside the 1099-K gross the writer recorded."""

    channel: str
    label: str
    ledger_gross: Money
    reported_gross: Money | None
    difference: Money | None  # reported - ledger


@dataclass(frozen=True)
class ScheduleC:
    """The lines of IRS Schedule C these figures fill."""

    line_1_gross_receipts: Money
    line_2_returns_and_allowances: Money
    line_3_subtotal: Money
    #: the channels' fees on receipts and their payout fees
    line_10_commissions_and_fees: Money
    payout_fees: Money  # of which: what the channels charged to pay out


@dataclass(frozen=True)
class AnnualSummary:
    year: int
    timezone: str
    currency: str
    basis: str  # cash | accrual: when a royalty counts
    channels: tuple[ChannelFigures, ...]
    totals: ChannelFigures
    schedule_c: ScheduleC
    tax_forms: tuple[TaxFormLine, ...]
    months: tuple[tuple[Month, Figures], ...]
    exchange_gain: Money
    #: the year's income per title (book) across every channel (``supportledger.titles``)
    titles: tuple = ()


# --------------------------------------------------------------------------- facts from SQL


@dataclass(frozen=True)
class Aggregate:
    """The journal's income, refund and fee postings of one month bucket, channel, kind and
    account role, summed (values in the base currency) by the monthly roll-up."""

    bucket: int
    channel: str
    kind: str
    role: str
    count: int  # payments (on the income role)
    value: int
    unexpected_fees: int  # fee legs whose fee differs from the schedule's (on the fees role)
    unexpected_fee_amount: int


@dataclass(frozen=True)
class MonthFacts:
    """Everything the database says that a monthly statement needs, and nothing more."""

    currency: str
    timezone: ZoneInfo
    show_names: bool
    months: tuple[Month, ...]  # 13 months ending with the statement's; buckets index these
    aggregates: tuple[Aggregate, ...]
    exchange_gain: int  # realised in the month (negative: a loss)
    recurring: RecurringFacts
    owed: Owed
    payouts: tuple[tuple[str, dt.datetime, dt.date | None, str, int, int, str, int], ...]
    coverage: tuple[tuple[str, dt.datetime | None, dt.datetime], ...]  # channel, from, to
    used_channels: frozenset[str]  # of the channels in ``coverage``, those ever used


def _sum(column):
    return func.coalesce(func.sum(column), 0)


#: the journal's accounts a statement's income lines are made of
FIGURE_ROLES = (AccountRole.INCOME, AccountRole.REFUNDS, AccountRole.FEES)


def _read_aggregates(
    connection, months: list[Month], tz: ZoneInfo, cash_royalties: bool = False
) -> list[Aggregate]:
    """The months' income, refunds and fees from the journal's monthly roll-up: cleared
    postings only (a check in hand is owed, not received). With ``cash_royalties``, a
    royalty channel's figures are what it paid in each month (its payouts out of the
    royalties receivable), not the sales it reported earned."""
    keys = {m.year * 100 + m.month: i for i, m in enumerate(months)}
    roles = [str(r) for r in FIGURE_ROLES]
    royalty = {c.name for c in all_channels() if c.royalty} if cash_royalties else set()
    if cash_royalties:
        roles.append(str(AccountRole.RECEIVABLE))
    rows = connection.execute(
        select(
            MONTHS.c.month, ACCOUNTS.c.channel, MONTHS.c.kind, ACCOUNTS.c.role, MONTHS.c.source,
            func.sum(MONTHS.c.payments), func.sum(MONTHS.c.postings),
            func.sum(MONTHS.c.value_minor), func.sum(MONTHS.c.audits),
            func.sum(MONTHS.c.audit_minor),
        )
        .join(ACCOUNTS, ACCOUNTS.c.id == MONTHS.c.account_id)
        .where(MONTHS.c.month.in_(list(keys)), MONTHS.c.cleared.is_(True))
        .where(ACCOUNTS.c.role.in_(roles))
        .group_by(MONTHS.c.month, ACCOUNTS.c.channel, MONTHS.c.kind, ACCOUNTS.c.role,
                  MONTHS.c.source)
    )  # fmt: skip
    found = []
    for month, channel, kind, role, source, payments, count, value, audits, audit in rows:
        if role == AccountRole.RECEIVABLE:
            if source != "payout":
                continue  # cash basis: a royalty is income when it is paid
            role, kind, payments = str(AccountRole.INCOME), str(Kind.SALE), count
        elif channel in royalty:
            continue
        found.append(
            Aggregate(keys[month], channel, kind, role, int(payments), int(value), int(audits),
                      int(audit))
        )  # fmt: skip
    return found


def _read_role(connection, months: list[Month], role: AccountRole) -> int:
    """The months' value on the accounts of ``role``, from the roll-up."""
    keys = [m.year * 100 + m.month for m in months]
    return int(
        connection.execute(
            select(func.coalesce(func.sum(MONTHS.c.value_minor), 0))
            .join(ACCOUNTS, ACCOUNTS.c.id == MONTHS.c.account_id)
            .where(MONTHS.c.month.in_(keys), ACCOUNTS.c.role == str(role))
        ).scalar_one()
    )


def _read_payout_fees(connection, months: list[Month]) -> int:
    """What the channels charged to pay out (Patreon's $0.25): not a receipt's fee, but a
    fee all the same (Schedule C line 10)."""
    return _read_role(connection, months, AccountRole.PAYOUT_FEES)


def _read_exchange_gain(connection, months: list[Month]) -> int:
    """Gains (a credit on Income:ExchangeGains) less losses realised in the months."""
    return -_read_role(connection, months, AccountRole.EXCHANGE)


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one state of the ledger, though an import commits
    between them: one transaction, REPEATABLE READ on PostgreSQL; on SQLite an explicit
    BEGIN (the driver opens no transaction for reads), whose first read fixes the WAL
    snapshot every later read sees."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN")
            yield connection


def _read_month_facts(
    ledger, month: Month, connection: Connection | None = None, show_names: bool | None = None
) -> MonthFacts:
    """Everything the statement of ``month`` needs, read from one snapshot (``connection``'s
    transaction when given: closing a month reads it under the lock it writes with)."""
    if connection is None:
        align_ledger(ledger)
        with read_snapshot(ledger.engine) as snapshot:
            return _read_month_facts(ledger, month, snapshot, show_names)
    settings, tz, currency = ledger.settings, ledger.tz, ledger.currency
    months = [month.shift(i) for i in range(-12, 1)]
    end = month.bounds(tz)[1]
    if show_names is None:
        show_names = settings.show_supporter_names
    coverage = read_coverage(connection)
    return MonthFacts(
        currency=currency,
        timezone=tz,
        show_names=show_names,
        months=tuple(months),
        aggregates=tuple(_read_aggregates(connection, months, tz)),
        exchange_gain=_read_exchange_gain(connection, [month]),
        recurring=read_facts(
            connection,
            month.first_day - dt.timedelta(days=1),
            month.last_day,
            tz=tz,
            currency=currency,
            grace_days=settings.lapse_grace_days,
            show_names=show_names,
        ),
        owed=money_owed(connection, ledger, month, show_names=show_names),
        payouts=_read_payouts_arrived(connection, month),
        coverage=coverage,
        used_channels=_read_used(connection, {ch for ch, _, _ in coverage}, end),
    )


def _read_payouts_arrived(connection, month: Month):
    """Payouts that reached the bank in the month: on the day the bank posted the deposit
    matched to it (``bank_lines.payout_id``, set by ``reconcile`` or ``match``), else on the
    day the channel says it arrived (a payout it still reports in transit has not). One the
    bank has not shown yet is money in transit (``outstanding.in_transit``), not listed.

    The bank's day is joined from the matched lines grouped by payout, not looked up per
    payout: PostgreSQL without statistics (just after an import) turns a correlated
    ``min(posted_on)`` into a walk of every bank line by date for each payout."""
    posted = (
        select(BankLine.payout_id, func.min(BankLine.posted_on).label("posted_on"))
        .where(BankLine.payout_id.is_not(None))
        .group_by(BankLine.payout_id)
        .subquery()
    )
    arrived = func.coalesce(posted.c.posted_on, case((Payout.status == "paid", Payout.arrived_on)))
    to_bank = (  # its value in the base currency, as the journal carries it to the bank
        select(func.coalesce(func.sum(POSTINGS.c.value_minor), 0))
        .join(ACCOUNTS, ACCOUNTS.c.id == POSTINGS.c.account_id)
        .where(POSTINGS.c.source == "payout", POSTINGS.c.source_id == Payout.id)
        .where(ACCOUNTS.c.role == str(AccountRole.IN_TRANSIT))
        .correlate(Payout)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(
            Payout.channel, Payout.initiated_at, arrived, Payout.currency, Payout.amount_minor,
            Payout.fee_minor, Payout.status, to_bank,
        )
        .select_from(Payout)
        .outerjoin(posted, posted.c.payout_id == Payout.id)
        .where(arrived.between(month.first_day, month.last_day))
        .where(Payout.status.not_in(FAILED_PAYOUTS))
        .order_by(arrived, Payout.initiated_at, Payout.id)
    )  # fmt: skip
    return tuple(
        (ch, at, on, cur, int(amount), int(fee), status, int(value))
        for ch, at, on, cur, amount, fee, status, value in rows
    )


def read_coverage(connection) -> tuple:
    """The span each live import batch covers, per channel; a bank statement's (a batch
    that brought bank lines) as :data:`BANK`."""
    from_bank = exists().where(BankLine.batch_id == ImportBatch.id)
    channel = case((from_bank, literal(BANK)), else_=ImportBatch.channel)
    return tuple(
        connection.execute(
            select(channel, ImportBatch.covers_from, ImportBatch.covers_to)
            .where(or_(ImportBatch.channel.is_not(None), from_bank))
            .where(ImportBatch.covers_to.is_not(None), ImportBatch.undone_at.is_(None))
        ).all()
    )


def _read_used(connection, channels: set[str], end: dt.datetime) -> frozenset[str]:
    """Of ``channels``, those with a receipt before ``end``: one look-up each through the
    ``(channel, status, occurred_at)`` index, not a pass over the ledger. The order names
    that index: without it PostgreSQL expects a match within a few rows of a plain scan and
    reads the table from its start, past every other channel's receipts (18-23 ms a channel
    at 100k receipts, 0.1 ms through the index)."""
    return frozenset(
        ch
        for ch in channels
        if connection.execute(
            select(Receipt.channel)
            .where(Receipt.channel == ch, Receipt.occurred_at < end)
            .order_by(Receipt.channel, Receipt.status, Receipt.occurred_at)
            .limit(1)
        ).first()
    )


# --------------------------------------------------------------------------- pure layer


def _reports_by_month(channel: str) -> bool:
    try:
        return get_channel(channel).reports_by_month
    except LedgerError:
        return False


def _channel_order(seen: Iterable[str]) -> list[str]:
    """The channels every statement shows and those the data holds, in declaration order,
    then any name no declaration knows."""
    seen, listed = set(seen), set(listed_names())
    declared = [c.name for c in all_channels()]
    known = [name for name in declared if name in listed or name in seen]
    return [*known, *sorted(seen - set(declared))]


def _money(minor: int, currency: str, row_currency: str, what: str) -> Money:
    """Refuse a row in another currency: the ledger never adds currencies without a rate."""
    if row_currency != currency:
        raise LedgerError(
            f"{what} is in {row_currency}, not {currency}: receipts must be stored in the "
            f"base currency (the original amount kept beside it)"
        )
    return Money.from_minor(minor, currency)


def _minor_figures(row: Aggregate) -> tuple[int, int, int, int]:
    """What one aggregate row adds to each line, in minor units: (count, gross, refunds,
    fees). Income is gross (its postings are credits), refunds and fees are debits."""
    if row.role == AccountRole.INCOME:
        return row.count, -row.value, 0, 0
    if row.role == AccountRole.REFUNDS:
        return 0, 0, row.value, 0
    if row.role == AccountRole.FEES:
        return 0, 0, 0, row.value
    return 0, 0, 0, 0


def _figures(count: int, gross: int, refunds: int, fees: int, currency: str) -> Figures:
    """Figures made money once, from sums in minor units; net = gross - refunds - fees."""
    money = [Money.from_minor(m, currency) for m in (gross, refunds, fees)]
    return Figures(count, *money, Money.from_minor(gross - refunds - fees, currency))


def _aggregate_figures(row: Aggregate, currency: str) -> Figures:
    """What one aggregate row adds to each line (:func:`_minor_figures`), as money."""
    return _figures(*_minor_figures(row), currency)


def _summed(aggregates: Iterable[Aggregate]) -> tuple[dict[str, dict[str, list[int]]], dict]:
    """The aggregates of one period summed in minor units per channel and kind (count,
    gross, refunds, fees: :func:`_minor_figures`), and each channel's unexpected fees
    (count, amount)."""
    by_kind: dict[str, dict[str, list[int]]] = defaultdict(lambda: {k: [0] * 4 for k in KINDS})
    surprises: dict[str, list[int]] = {}
    for row in aggregates:
        sums = by_kind[row.channel].setdefault(row.kind, [0] * 4)
        for column, minor in enumerate(_minor_figures(row)):
            sums[column] += minor
        surprise = surprises.setdefault(row.channel, [0, 0])
        surprise[0] += row.unexpected_fees
        surprise[1] += row.unexpected_fee_amount
    return by_kind, surprises


def _added(sums: Iterable[list[int]]) -> list[int]:
    """Sums of minor units added column by column."""
    return [sum(column) for column in zip([0] * 4, *sums, strict=True)]


def _channel_lines(
    aggregates: Iterable[Aggregate], currency: str
) -> tuple[tuple[ChannelFigures, ...], ChannelFigures]:
    """Per channel and kind, and the total, from the aggregates of one period: summed in
    minor units (:func:`_summed`), made money once each."""
    by_kind, surprises = _summed(aggregates)

    def figures(sums: Iterable[list[int]]) -> Figures:
        return _figures(*_added(sums), currency)

    channels = []
    for name in _channel_order(by_kind):
        kinds = by_kind[name]
        count, amount = surprises.get(name, (0, 0))
        channels.append(
            ChannelFigures(
                name, _label(name), figures(kinds.values()),
                {k: figures([sums]) for k, sums in kinds.items()}, count,
                Money.from_minor(amount, currency),
            )
        )  # fmt: skip
    names = [c.channel for c in channels]
    totals = ChannelFigures(
        "total",
        "Total",
        figures(sums for name in names for sums in by_kind[name].values()),
        {k: figures(by_kind[name][k] for name in names) for k in KINDS},
        sum(c.unexpected_fees for c in channels),
        Money.from_minor(sum(surprises.get(name, (0, 0))[1] for name in names), currency),
    )
    return tuple(channels), totals


def _period(aggregates: Iterable[Aggregate], currency: str) -> tuple[dict[str, Money], Figures]:
    """Each channel's net and the total's figures of one period, as :func:`_channel_lines`
    has them: all a statement shows of the months around its own (the comparison, the
    series) and an annual summary of each month, without the lines by kind."""
    by_kind, _ = _summed(aggregates)
    channels = {name: _added(by_kind[name].values()) for name in _channel_order(by_kind)}
    net = {name: Money.from_minor(sums[1] - sums[2] - sums[3], currency)
           for name, sums in channels.items()}  # fmt: skip
    return net, _figures(*_added(channels.values()), currency)


def _payouts(facts: MonthFacts) -> tuple[PayoutLine, ...]:
    tz = facts.timezone
    lines = []
    for channel, initiated, arrived, cur, amount, fee, status, value in facts.payouts:
        gross, charge = Money.from_minor(amount, cur), Money.from_minor(fee, cur)
        lines.append(
            PayoutLine(
                channel, _label(channel), local_date(initiated, tz), arrived, gross, charge,
                gross - charge, status, Money.from_minor(value, facts.currency),
            )
        )  # fmt: skip
    return tuple(lines)


def reach(coverage: Iterable[tuple], month: Month, tz: ZoneInfo) -> dict[str, dt.date | None]:
    """The last local day each channel's imports reach, of those that begin before the end
    of ``month`` (``None``: every import of it begins later), from :func:`read_coverage`."""
    end = month.bounds(tz)[1]
    reached: dict[str, dt.date | None] = {}
    for channel, covers_from, covers_to in coverage:
        if covers_from is not None and covers_from >= end:
            reached.setdefault(channel, None)
            continue
        day = local_date(covers_to, tz)
        best = reached.get(channel)
        reached[channel] = day if best is None or day > best else best
    return reached


def _missing_data(facts: MonthFacts, month: Month) -> tuple[MissingData, ...]:
    """Channels once imported whose imports stop before this month's last day (or, for a
    channel that reports by month, before the month's report), and the bank statement once
    one was imported: Zelle, checks and payouts are known only as far as it reaches.

    A channel only ever typed in by hand, or never used, has no import to miss.
    """
    reached = reach(facts.coverage, month, facts.timezone)
    missing = []
    for channel in _channel_order(reached):
        if channel not in reached or (channel != BANK and channel not in facts.used_channels):
            continue
        day, by_month = reached[channel], _reports_by_month(channel)
        if day is None or day < (month.first_day if by_month else month.last_day):
            label = BANK_LABEL if channel == BANK else _label(channel)
            missing.append(MissingData(channel, label, day, by_month))
    return tuple(missing)


def build_monthly_statement(
    facts: MonthFacts, month: Month, schedule: FeeSchedule
) -> MonthlyStatement:
    """The statement for ``month`` from the facts read for it: pure, no database."""
    currency = facts.currency
    by_bucket: dict[int, list[Aggregate]] = defaultdict(list)
    for row in facts.aggregates:
        by_bucket[row.bucket].append(row)
    periods = {m: _period(by_bucket.get(i, []), currency) for i, m in enumerate(facts.months)}
    channels, totals = _channel_lines(by_bucket.get(facts.months.index(month), []), currency)
    ytd_months = [m for m in facts.months if m.year == month.year and m <= month]
    comparison = Comparison(
        previous_month=month.previous(),
        previous=periods[month.previous()][1],
        year_ago_month=month.shift(-12),
        year_ago=periods[month.shift(-12)][1],
        year_to_date_from=ytd_months[0],
        year_to_date=add_up((periods[m][1] for m in ytd_months), currency),
    )
    series = tuple(SeriesMonth(m, periods[m][0], periods[m][1].net) for m in facts.months[1:])
    payouts = _payouts(facts)
    return MonthlyStatement(
        month=month,
        timezone=facts.timezone.key,
        currency=currency,
        channels=channels,
        totals=totals,
        recurring=monthly(facts.recurring, month, schedule),
        outstanding=facts.owed,
        payouts=payouts,
        payouts_total=total((p.value for p in payouts), currency),
        comparison=comparison,
        series=series,
        missing_data=_missing_data(facts, month),
        names_shown=facts.show_names,
        exchange_gain=Money.from_minor(facts.exchange_gain, currency),
    )


def monthly_statement(ledger, month: Month) -> MonthlyStatement:
    """The statement of ``month`` (in ``LEDGER_TIMEZONE``, in ``BASE_CURRENCY``); a closed
    month's is the one kept when it was closed, whatever was imported since."""
    with ledger.engine.connect() as connection:
        close = latest_close(connection, month)
    if close is not None and close["reopened_at"] is None and close["snapshot"]:
        return thaw(close["snapshot"])
    return build_monthly_statement(_read_month_facts(ledger, month), month, ledger.schedule)


def statement_to_keep(ledger, month: Month, connection: Connection) -> str:
    """The statement of ``month`` as a closed month keeps it (names left out: they are
    personal data, and a snapshot is not where ``forget`` looks)."""
    facts = _read_month_facts(ledger, month, connection, show_names=False)
    return freeze(build_monthly_statement(facts, month, ledger.schedule))


# --------------------------------------------------------------------------- annual


@dataclass(frozen=True)
class YearFacts:
    currency: str
    timezone: ZoneInfo
    months: tuple[Month, ...]
    aggregates: tuple[Aggregate, ...]
    basis: str = "cash"
    payout_fees: int = 0
    exchange_gain: int = 0
    tax_forms: Mapping[str, tuple[str, int]] = field(default_factory=dict)  # channel -> cur, gross
    titles: tuple = ()  # TitleIncome per title, read in the same snapshot


def build_annual_summary(facts: YearFacts, year: int) -> AnnualSummary:
    """The year's figures laid out for Schedule C, beside the 1099-Ks recorded: pure."""
    currency = facts.currency
    channels, totals = _channel_lines(facts.aggregates, currency)
    by_bucket: dict[int, list[Aggregate]] = defaultdict(list)
    for row in facts.aggregates:
        by_bucket[row.bucket].append(row)
    months = tuple(
        (m, _period(by_bucket.get(i, []), currency)[1]) for i, m in enumerate(facts.months)
    )
    t = totals.figures
    payout_fees = Money.from_minor(facts.payout_fees, currency)
    forms = []
    for line in channels:
        if line.channel not in facts.tax_forms and line.figures.empty:
            continue
        recorded = facts.tax_forms.get(line.channel)
        reported = (
            _money(recorded[1], currency, recorded[0], f"the {line.label} 1099-K")
            if recorded
            else None
        )
        forms.append(
            TaxFormLine(
                line.channel, line.label, line.figures.gross, reported,
                reported - line.figures.gross if reported is not None else None,
            )
        )  # fmt: skip
    return AnnualSummary(
        year=year,
        timezone=facts.timezone.key,
        currency=currency,
        channels=channels,
        totals=totals,
        basis=facts.basis,
        schedule_c=ScheduleC(
            t.gross, t.refunds, t.gross - t.refunds, t.fees + payout_fees, payout_fees
        ),
        tax_forms=tuple(forms),
        months=months,
        exchange_gain=Money.from_minor(facts.exchange_gain, currency),
        titles=facts.titles,
    )


#: how the year counts royalties: when paid (cash, as most writers file Schedule C and as a
#: 1099-MISC reports them), or when the store reports them earned (accrual)
BASES = ("cash", "accrual")


def annual_summary(ledger, year: int, basis: str = "cash") -> AnnualSummary:
    """The year ``year`` (local months of ``LEDGER_TIMEZONE``), for the tax return. Reader
    support counts when received either way; ``basis`` decides the royalties."""
    from supportledger.taxforms import read_tax_forms
    from supportledger.titles import title_income

    if basis not in BASES:
        raise LedgerError(f"--basis: {basis!r} is not one of {', '.join(BASES)}")
    months = [Month(year, m) for m in range(1, 13)]
    align_ledger(ledger)
    start, end = months[0].bounds(ledger.tz)[0], months[-1].bounds(ledger.tz)[1]
    with read_snapshot(ledger.engine) as connection:
        aggregates = _read_aggregates(connection, months, ledger.tz, basis == "cash")
        payout_fees = _read_payout_fees(connection, months)
        gain = _read_exchange_gain(connection, months)
        forms = read_tax_forms(connection, year)
        titles = title_income(connection, start, end, ledger.currency)
    facts = YearFacts(
        ledger.currency, ledger.tz, tuple(months), tuple(aggregates), basis, payout_fees, gain,
        forms, titles,
    )  # fmt: skip
    return build_annual_summary(facts, year)
