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
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, case, func, null, select

from supportledger.balances import Owed, money_owed
from supportledger.channels import NAMES, all_channels, get_channel
from supportledger.closing import latest_close
from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule
from supportledger.journal import ACCOUNTS, FAILED_PAYOUTS, MONTHS, POSTINGS, align_ledger
from supportledger.models import (
    AccountRole,
    BankLine,
    Event,
    ImportBatch,
    Kind,
    Payout,
    Receipt,
    Subscription,
    Supporter,
)
from supportledger.money import ROUNDING, Money, exponent, total
from supportledger.months import Month, local_date
from supportledger.snapshots import freeze, thaw
from supportledger.supporters import (
    COMMITTED,
    subscription_due,
    subscription_lapsed,
    supporter_roots,
)

KINDS = tuple(Kind)

MRR_CONVENTION = (
    "MRR counts subscriptions active at the end of the calendar month in {tz}, annual plans "
    "divided by 12, before fees (the net figure takes off each channel's scheduled fee on "
    "the subscription amount). Movements compare each supporter's MRR at the start and end "
    "of the month: churn when a subscription is cancelled or declined, contraction when one "
    "of several ends, reactivation when a former supporter returns. Refunds do not move MRR. "
    "Lapsed: an active or declined subscription whose payment is overdue by more than the "
    "grace days; Patreon pays a month's pledges as one sum, so a patron is lapsed only when "
    "Patreon marks the pledge declined."
)


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
class SubscriptionLine:
    """MRR of one channel's active subscriptions at month end."""

    channel: str
    label: str
    active: int
    mrr_gross: Money
    mrr_net: Money


@dataclass(frozen=True)
class Movements:
    """MRR at the start and end of the month and what moved it: ``end = start + new +
    expansion + reactivation - contraction - churn``."""

    start: Money
    new: Money
    expansion: Money
    contraction: Money
    churn: Money
    reactivation: Money
    end: Money


@dataclass(frozen=True)
class Recurring:
    active: int
    supporters: int
    new: int
    cancelled: int
    lapsed: int
    #: a subscription is lapsed after its period and this many days without a payment
    lapse_grace_days: int
    mrr_gross: Money
    mrr_net: Money
    by_channel: tuple[SubscriptionLine, ...]
    movements: Movements
    convention: str
    #: channels whose fee the schedule cannot predict: their net MRR is taken as gross
    fee_unknown: tuple[str, ...]
    #: supporters' names, only when SHOW_SUPPORTER_NAMES allows; otherwise ``None``
    new_names: tuple[str, ...] | None
    cancelled_names: tuple[str, ...] | None
    lapsed_names: tuple[str, ...] | None


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
class SubscriptionFact:
    id: int
    channel: str
    supporter_id: int | None  # merges followed: the supporter that stands for them now
    name: str | None
    amount_minor: int
    currency: str
    interval: str
    status: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class MonthFacts:
    """Everything the database says that a monthly statement needs, and nothing more."""

    currency: str
    timezone: ZoneInfo
    show_names: bool
    lapse_grace_days: int
    months: tuple[Month, ...]  # 13 months ending with the statement's; buckets index these
    aggregates: tuple[Aggregate, ...]
    exchange_gain: int  # realised in the month (negative: a loss)
    subscriptions: tuple[SubscriptionFact, ...]
    last_payments: Mapping[int, dt.datetime]  # subscription id -> latest payment seen
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


def _read_subscriptions(connection, show_names: bool) -> list[SubscriptionFact]:
    """Every subscription (a writer has hundreds, not millions), each with its supporter as
    merges leave them (:func:`supporter_roots`), named only if names may be shown."""
    roots = supporter_roots()
    query = (
        select(
            Subscription.id, Subscription.channel, roots.c.root_id,
            Supporter.display_name if show_names else null(),
            Subscription.amount_minor, Subscription.currency, Subscription.interval,
            Subscription.status, Subscription.started_at, Subscription.ended_at,
        )
        .outerjoin(roots, roots.c.supporter_id == Subscription.supporter_id)
        .order_by(Subscription.id)
    )  # fmt: skip
    if show_names:
        query = query.outerjoin(Supporter, Supporter.id == roots.c.root_id)
    return [
        SubscriptionFact(sid, ch, who, name, int(amount), cur, interval, status, start, end)
        for sid, ch, who, name, amount, cur, interval, status, start, end in connection.execute(
            query
        )
    ]


def _read_last_payments(connection, end: dt.datetime, grace_days: int) -> dict:
    """Each subscription's latest payment before ``end``. Only the last year, a month and
    the grace are read: a subscription paid before that is lapsed whatever came earlier."""
    since = end - dt.timedelta(days=366 + 31 + grace_days)
    return dict(
        connection.execute(
            select(Receipt.subscription_id, func.max(Receipt.occurred_at))
            .where(Receipt.occurred_at >= since, Receipt.occurred_at < end)
            .where(Receipt.subscription_id.is_not(None), Receipt.event == Event.PAYMENT)
            .group_by(Receipt.subscription_id)
        ).all()
    )


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
    coverage = _read_coverage(connection)
    return MonthFacts(
        currency=currency,
        timezone=tz,
        show_names=show_names,
        lapse_grace_days=settings.lapse_grace_days,
        months=tuple(months),
        aggregates=tuple(_read_aggregates(connection, months, tz)),
        exchange_gain=_read_exchange_gain(connection, [month]),
        subscriptions=tuple(_read_subscriptions(connection, show_names)),
        last_payments=_read_last_payments(connection, end, settings.lapse_grace_days),
        owed=money_owed(connection, ledger, month, show_names=show_names),
        payouts=_read_payouts_arrived(connection, month),
        coverage=coverage,
        used_channels=_read_used(connection, {ch for ch, _, _ in coverage}, end),
    )


def _read_payouts_arrived(connection, month: Month):
    """Payouts that reached the bank in the month: on the day the bank posted the deposit
    matched to it (``bank_lines.payout_id``, set by ``reconcile`` or ``match``), else on the
    day the channel says it arrived (a payout it still reports in transit has not). One the
    bank has not shown yet is money in transit (``outstanding.in_transit``), not listed."""
    posted = (
        select(func.min(BankLine.posted_on))
        .where(BankLine.payout_id == Payout.id)
        .correlate(Payout)
        .scalar_subquery()
    )
    arrived = func.coalesce(posted, case((Payout.status == "paid", Payout.arrived_on)))
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
        .where(arrived.between(month.first_day, month.last_day))
        .where(Payout.status.not_in(FAILED_PAYOUTS))
        .order_by(arrived, Payout.initiated_at, Payout.id)
    )  # fmt: skip
    return tuple(
        (ch, at, on, cur, int(amount), int(fee), status, int(value))
        for ch, at, on, cur, amount, fee, status, value in rows
    )


def _read_coverage(connection) -> tuple:
    """The span each live import batch covers, per channel."""
    return tuple(
        connection.execute(
            select(ImportBatch.channel, ImportBatch.covers_from, ImportBatch.covers_to)
            .where(ImportBatch.channel.is_not(None), ImportBatch.covers_to.is_not(None))
            .where(ImportBatch.undone_at.is_(None))
        ).all()
    )


def _read_used(connection, channels: set[str], end: dt.datetime) -> frozenset[str]:
    """Of ``channels``, those with a receipt before ``end``: one look-up each through the
    channel's index, not a pass over the ledger."""
    return frozenset(
        ch
        for ch in channels
        if connection.execute(
            select(Receipt.id).where(Receipt.channel == ch, Receipt.occurred_at < end).limit(1)
        ).first()
    )


# --------------------------------------------------------------------------- pure layer


def _label(channel: str) -> str:
    try:
        return get_channel(channel).label
    except LedgerError:
        return channel


def _reports_by_month(channel: str) -> bool:
    try:
        return get_channel(channel).reports_by_month
    except LedgerError:
        return False


def _channel_order(seen: Iterable[str]) -> list[str]:
    """Every known channel in the usual order, then any other name the data holds."""
    return [*NAMES, *sorted(set(seen) - set(NAMES))]


def _money(minor: int, currency: str, row_currency: str, what: str) -> Money:
    """Refuse a row in another currency: the ledger never adds currencies without a rate."""
    if row_currency != currency:
        raise LedgerError(
            f"{what} is in {row_currency}, not {currency}: receipts must be stored in the "
            f"base currency (the original amount kept beside it)"
        )
    return Money.from_minor(minor, currency)


def _aggregate_figures(row: Aggregate, currency: str) -> Figures:
    """What one aggregate row adds to each line: income is gross (its postings are credits),
    refunds and fees are debits; net = gross - refunds - fees."""
    value = Money.from_minor(row.value, currency)
    nothing = Money.zero(currency)
    gross = -value if row.role == AccountRole.INCOME else nothing
    refunds = value if row.role == AccountRole.REFUNDS else nothing
    fees = value if row.role == AccountRole.FEES else nothing
    return Figures(
        count=row.count if row.role == AccountRole.INCOME else 0,
        gross=gross,
        refunds=refunds,
        fees=fees,
        net=gross - refunds - fees,
    )


def _channel_lines(
    aggregates: Iterable[Aggregate], currency: str
) -> tuple[tuple[ChannelFigures, ...], ChannelFigures]:
    """Per channel and kind, and the total, from the aggregates of one period."""
    rows = list(aggregates)
    zero = Figures.zero(currency)
    by_kind: dict[str, dict[str, Figures]] = defaultdict(lambda: dict.fromkeys(KINDS, zero))
    surprises: dict[str, tuple[int, Money]] = {}
    for row in rows:
        kinds = by_kind[row.channel]
        kinds[row.kind] = kinds.get(row.kind, zero) + _aggregate_figures(row, currency)
        count, amount = surprises.get(row.channel, (0, Money.zero(currency)))
        surprises[row.channel] = (
            count + row.unexpected_fees,
            amount + Money.from_minor(row.unexpected_fee_amount, currency),
        )
    channels = []
    for name in _channel_order(by_kind):
        kinds = by_kind[name]
        count, amount = surprises.get(name, (0, Money.zero(currency)))
        channels.append(
            ChannelFigures(
                name, _label(name), add_up(kinds.values(), currency), dict(kinds), count, amount
            )
        )
    totals = ChannelFigures(
        "total",
        "Total",
        add_up((c.figures for c in channels), currency),
        {k: add_up((c.kinds.get(k, zero) for c in channels), currency) for k in KINDS},
        sum(c.unexpected_fees for c in channels),
        total((c.unexpected_fee_amount for c in channels), currency),
    )
    return tuple(channels), totals


def _active_at(sub: SubscriptionFact, instant: dt.datetime) -> bool:
    """Was ``sub`` paying at ``instant``? An end date is the truth; without one, the status."""
    if sub.started_at is not None and sub.started_at >= instant:
        return False
    if sub.ended_at is not None:
        return sub.ended_at >= instant
    return sub.status == "active"


def _monthly(minor: int, interval: str) -> Decimal:
    """Monthly-normalised minor units, exact (rounded only once summed): annual plans / 12."""
    return Decimal(minor) / 12 if interval == "year" else Decimal(minor)


def _lapsed(sub: SubscriptionFact, facts: MonthFacts, end: dt.datetime, on: dt.date) -> bool:
    """A commitment standing at ``end`` (active, or declined and being retried) that is
    lapsed on ``on`` by the rule of ``supporters recurring`` (:func:`subscription_lapsed`)."""
    if sub.status not in COMMITTED:
        return False
    if (sub.started_at is not None and sub.started_at >= end) or (
        sub.ended_at is not None and sub.ended_at < end
    ):
        return False
    tz, paid = facts.timezone, facts.last_payments.get(sub.id)
    last_paid = local_date(paid, tz) if paid is not None else None
    started_on = local_date(sub.started_at, tz) if sub.started_at is not None else None
    due = subscription_due(sub.channel, sub.interval, last_paid, started_on)
    return subscription_lapsed(sub.channel, sub.status, due, on, facts.lapse_grace_days)


def _rounded(minor: Decimal, currency: str) -> Money:
    """A sum of exact minor units as money, by the one rounding rule."""
    return Money(minor.scaleb(-exponent(currency)), currency).rounded()


def _recurring(facts: MonthFacts, month: Month, schedule: FeeSchedule) -> Recurring:
    """Subscriptions at month end, their MRR and its movements (sums in exact minor units:
    a writer may have thousands of subscriptions)."""
    currency, tz = facts.currency, facts.timezone
    start, end = month.bounds(tz)
    for sub in facts.subscriptions:  # refuse before adding anything up
        _money(sub.amount_minor, currency, sub.currency, f"{sub.channel} subscription")

    def customer(sub: SubscriptionFact):
        return sub.supporter_id if sub.supporter_id is not None else f"subscription {sub.id}"

    @cache
    def fee_minor(channel: str, amount_minor: int) -> int | None:
        fee = schedule.expected_fee(
            channel, month.last_day, Money.from_minor(amount_minor, currency)
        )
        return None if fee is None else fee.minor

    active = [s for s in facts.subscriptions if _active_at(s, end)]
    fee_unknown: set[str] = set()
    gross_by_channel: dict[str, Decimal] = defaultdict(Decimal)
    net_by_channel: dict[str, Decimal] = defaultdict(Decimal)
    for sub in active:
        fee = fee_minor(sub.channel, sub.amount_minor)
        if fee is None:
            fee_unknown.add(sub.channel)
        gross_by_channel[sub.channel] += _monthly(sub.amount_minor, sub.interval)
        net_by_channel[sub.channel] += _monthly(sub.amount_minor - (fee or 0), sub.interval)
    lines = tuple(
        SubscriptionLine(
            ch,
            _label(ch),
            sum(1 for s in active if s.channel == ch),
            _rounded(gross_by_channel[ch], currency),
            _rounded(net_by_channel[ch], currency),
        )
        for ch in _channel_order(gross_by_channel)
        if ch in gross_by_channel
    )

    def mrr_by_customer(instant: dt.datetime) -> dict:
        totals: dict = defaultdict(Decimal)
        for sub in facts.subscriptions:
            if _active_at(sub, instant):
                totals[customer(sub)] += _monthly(sub.amount_minor, sub.interval)
        return totals

    before, after = mrr_by_customer(start), mrr_by_customer(end)
    seen_before = {
        customer(s) for s in facts.subscriptions if s.started_at is None or s.started_at < start
    }
    moves = dict.fromkeys(("new", "expansion", "contraction", "churn", "reactivation"), Decimal(0))
    for who in set(before) | set(after):
        was, now = before.get(who, Decimal(0)), after.get(who, Decimal(0))
        if not was and now:
            moves["reactivation" if who in seen_before else "new"] += now
        elif was and not now:
            moves["churn"] += was
        elif now > was:
            moves["expansion"] += now - was
        elif now < was:
            moves["contraction"] += was - now
    movements = Movements(
        start=_rounded(sum(before.values(), Decimal(0)), currency),
        end=_rounded(sum(after.values(), Decimal(0)), currency),
        **{k: _rounded(v, currency) for k, v in moves.items()},
    )

    new = [
        s for s in facts.subscriptions if s.started_at is not None and start <= s.started_at < end
    ]
    ended = [s for s in facts.subscriptions if s.ended_at is not None and start <= s.ended_at < end]
    lapsed = [s for s in facts.subscriptions if _lapsed(s, facts, end, month.last_day)]

    def names(subs: list[SubscriptionFact]) -> tuple[str, ...] | None:
        if not facts.show_names:
            return None
        return tuple(sorted({s.name or "(anonymous)" for s in subs}))

    return Recurring(
        active=len(active),
        supporters=len({customer(s) for s in active}),
        new=len(new),
        cancelled=len(ended),
        lapsed=len(lapsed),
        lapse_grace_days=facts.lapse_grace_days,
        mrr_gross=total((x.mrr_gross for x in lines), currency),
        mrr_net=total((x.mrr_net for x in lines), currency),
        by_channel=lines,
        movements=movements,
        convention=MRR_CONVENTION.format(tz=tz.key),
        fee_unknown=tuple(sorted(fee_unknown)),
        new_names=names(new),
        cancelled_names=names(ended),
        lapsed_names=names(lapsed),
    )


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


def _missing_data(facts: MonthFacts, month: Month) -> tuple[MissingData, ...]:
    """Channels once imported whose imports stop before this month's last day (or, for a
    channel that reports by month, before the month's report).

    A channel only ever typed in by hand, or never used, has no import to miss.
    """
    tz = facts.timezone
    end = month.bounds(tz)[1]
    reached: dict[str, dt.date | None] = {}
    for channel, covers_from, covers_to in facts.coverage:
        if covers_from is not None and covers_from >= end:
            reached.setdefault(channel, None)
            continue
        day = local_date(covers_to, tz)
        best = reached.get(channel)
        reached[channel] = day if best is None or day > best else best
    missing = []
    for channel in _channel_order(reached):
        if channel not in reached or channel not in facts.used_channels:
            continue
        day, by_month = reached[channel], _reports_by_month(channel)
        if day is None or day < (month.first_day if by_month else month.last_day):
            missing.append(MissingData(channel, _label(channel), day, by_month))
    return tuple(missing)


def build_monthly_statement(
    facts: MonthFacts, month: Month, schedule: FeeSchedule
) -> MonthlyStatement:
    """The statement for ``month`` from the facts read for it: pure, no database."""
    currency = facts.currency
    by_bucket: dict[int, list[Aggregate]] = defaultdict(list)
    for row in facts.aggregates:
        by_bucket[row.bucket].append(row)
    periods = {
        m: _channel_lines(by_bucket.get(i, []), currency) for i, m in enumerate(facts.months)
    }
    channels, totals = periods[month]
    ytd_months = [m for m in facts.months if m.year == month.year and m <= month]
    comparison = Comparison(
        previous_month=month.previous(),
        previous=periods[month.previous()][1].figures,
        year_ago_month=month.shift(-12),
        year_ago=periods[month.shift(-12)][1].figures,
        year_to_date_from=ytd_months[0],
        year_to_date=add_up((periods[m][1].figures for m in ytd_months), currency),
    )
    series = tuple(
        SeriesMonth(
            m,
            {c.channel: c.figures.net for c in periods[m][0]},
            periods[m][1].figures.net,
        )
        for m in facts.months[1:]
    )
    payouts = _payouts(facts)
    return MonthlyStatement(
        month=month,
        timezone=facts.timezone.key,
        currency=currency,
        channels=channels,
        totals=totals,
        recurring=_recurring(facts, month, schedule),
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


def build_annual_summary(facts: YearFacts, year: int) -> AnnualSummary:
    """The year's figures laid out for Schedule C, beside the 1099-Ks recorded: pure."""
    currency = facts.currency
    channels, totals = _channel_lines(facts.aggregates, currency)
    by_bucket: dict[int, list[Aggregate]] = defaultdict(list)
    for row in facts.aggregates:
        by_bucket[row.bucket].append(row)
    months = tuple(
        (m, _channel_lines(by_bucket.get(i, []), currency)[1].figures)
        for i, m in enumerate(facts.months)
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
    )


#: how the year counts royalties: when paid (cash, as most writers file Schedule C and as a
#: 1099-MISC reports them), or when the store reports them earned (accrual)
BASES = ("cash", "accrual")


def annual_summary(ledger, year: int, basis: str = "cash") -> AnnualSummary:
    """The year ``year`` (local months of ``LEDGER_TIMEZONE``), for the tax return. Reader
    support counts when received either way; ``basis`` decides the royalties."""
    from supportledger.taxforms import read_tax_forms

    if basis not in BASES:
        raise LedgerError(f"--basis: {basis!r} is not one of {', '.join(BASES)}")
    months = [Month(year, m) for m in range(1, 13)]
    align_ledger(ledger)
    with read_snapshot(ledger.engine) as connection:
        aggregates = _read_aggregates(connection, months, ledger.tz, basis == "cash")
        payout_fees = _read_payout_fees(connection, months)
        gain = _read_exchange_gain(connection, months)
        forms = read_tax_forms(connection, year)
    facts = YearFacts(
        ledger.currency, ledger.tz, tuple(months), tuple(aggregates), basis, payout_fees, gain,
        forms,
    )  # fmt: skip
    return build_annual_summary(facts, year)
