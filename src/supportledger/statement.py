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

from sqlalchemy import Connection, Engine, and_, case, exists, func, literal, null, or_, select

from supportledger.channels import NAMES, all_channels, get_channel
from supportledger.closing import latest_close
from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule
from supportledger.models import (
    COUNTED_STATUSES,
    REVERSALS,
    BankLine,
    ChannelBalance,
    Event,
    ImportBatch,
    Kind,
    Payout,
    Receipt,
    Status,
    Subscription,
    Supporter,
)
from supportledger.money import ROUNDING, Money, exponent, total
from supportledger.months import Month, local_date
from supportledger.supporters import (
    COMMITTED,
    subscription_due,
    subscription_lapsed,
    supporter_roots,
)

#: Payout statuses that mean the money never reached the bank.
FAILED_PAYOUTS = ("failed", "canceled", "cancelled", "returned", "reversed")
KINDS = tuple(Kind)
#: Events that take back (or, for a won dispute, give back) a payment: the "refunds" line.
REFUND_EVENTS = frozenset(REVERSALS | {Event.DISPUTE_REVERSAL})
#: The bank statement, in ``missing_data``: the record of Zelle, checks and every payout.
BANK = "bank"
BANK_LABEL = "Bank statement (Zelle, checks, payouts)"

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
class RoyaltyOwed:
    channel: str
    label: str
    due_month: Month
    count: int
    amount: Money


@dataclass(frozen=True)
class PendingCheck:
    received_on: dt.date
    age_days: int
    amount: Money
    check_number: str | None
    payer: str | None  # only when names may be shown


@dataclass(frozen=True)
class BalanceLine:
    """Money a channel still holds at month end: the balance it last stated itself (or
    nothing, from the ledger's first receipt), plus net receipts since, less payouts since."""

    channel: str
    label: str
    opening_at: dt.datetime | None  # the instant of the channel's own stated balance
    opening: Money
    receipts: Money
    paid_out: Money
    balance: Money


@dataclass(frozen=True)
class Outstanding:
    royalties: tuple[RoyaltyOwed, ...]
    royalties_total: Money
    checks: tuple[PendingCheck, ...]
    checks_total: Money
    balances: tuple[BalanceLine, ...]
    balances_total: Money
    total: Money


@dataclass(frozen=True)
class PayoutLine:
    channel: str
    label: str
    initiated_on: dt.date
    arrived_on: dt.date | None
    amount: Money
    fee: Money
    to_bank: Money
    status: str


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
    outstanding: Outstanding
    payouts: tuple[PayoutLine, ...]
    payouts_total: Money
    comparison: Comparison
    series: tuple[SeriesMonth, ...]  # the 12 months ending with this one
    missing_data: tuple[MissingData, ...]
    names_shown: bool


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
    line_10_commissions_and_fees: Money


@dataclass(frozen=True)
class AnnualSummary:
    year: int
    timezone: str
    currency: str
    channels: tuple[ChannelFigures, ...]
    totals: ChannelFigures
    schedule_c: ScheduleC
    tax_forms: tuple[TaxFormLine, ...]
    months: tuple[tuple[Month, Figures], ...]


# --------------------------------------------------------------------------- facts from SQL


@dataclass(frozen=True)
class Aggregate:
    """Receipts of one month bucket, channel, kind, event and currency, summed in SQL."""

    bucket: int
    channel: str
    kind: str
    event: str
    currency: str
    count: int
    gross: int
    fee: int
    net: int
    unexpected_fees: int
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
    subscriptions: tuple[SubscriptionFact, ...]
    last_payments: Mapping[int, dt.datetime]  # subscription id -> latest payment seen
    royalties: tuple[tuple[str, dt.date, str, int, int], ...]  # channel, due, currency, n, net
    pending_checks: tuple[tuple[dt.datetime, str, int, str | None, str | None], ...]
    stated: Mapping[str, tuple[dt.datetime, int]]  # channel -> its last stated balance
    earned: Mapping[tuple[str, str], int]  # (channel, currency) -> net since stated
    paid_out: Mapping[tuple[str, str], int]  # (channel, currency) -> payouts since stated
    payouts: tuple[tuple[str, dt.datetime, dt.date | None, str, int, int, str], ...]
    coverage: tuple[tuple[str, dt.datetime | None, dt.datetime], ...]  # channel, from, to
    used_channels: frozenset[str]  # of the channels in ``coverage``, those ever used


def _sum(column):
    return func.coalesce(func.sum(column), 0)


def _read_aggregates(connection, months: list[Month], tz: ZoneInfo) -> list[Aggregate]:
    """Sum receipts per month bucket, channel, kind, event and currency in one query.

    The months are contiguous; a CASE over their UTC boundaries names each row's bucket,
    and the WHERE on ``occurred_at`` keeps the scan to that range of the index.
    """
    edges = [m.bounds(tz)[0] for m in months] + [months[-1].bounds(tz)[1]]
    occurred = Receipt.occurred_at
    bucket = case(
        *[(occurred < edge, i) for i, edge in enumerate(edges[1:-1])], else_=len(edges) - 2
    )
    surprise = and_(
        Receipt.expected_fee_minor.is_not(None), Receipt.fee_minor != Receipt.expected_fee_minor
    )
    rows = (
        select(
            bucket.label("bucket"),
            Receipt.channel,
            Receipt.kind,
            Receipt.event,
            Receipt.currency,
            Receipt.gross_minor,
            Receipt.fee_minor,
            Receipt.net_minor,
            case((surprise, 1), else_=0).label("surprise"),
            case((surprise, Receipt.fee_minor - Receipt.expected_fee_minor), else_=0).label(
                "surprise_amount"
            ),
        )
        .where(occurred >= edges[0], occurred < edges[-1])
        .where(Receipt.status.in_(COUNTED_STATUSES))
        .subquery()
    )
    keys = (rows.c.bucket, rows.c.channel, rows.c.kind, rows.c.event, rows.c.currency)
    query = select(
        *keys,
        func.count(),
        _sum(rows.c.gross_minor),
        _sum(rows.c.fee_minor),
        _sum(rows.c.net_minor),
        _sum(rows.c.surprise),
        _sum(rows.c.surprise_amount),
    ).group_by(*keys)
    return [
        Aggregate(int(b), ch, kind, event, cur, *(int(v) for v in values))
        for b, ch, kind, event, cur, *values in connection.execute(query)
    ]


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


def _read_balances(connection, end: dt.datetime, channels: list[str], currency: str):
    """For channels that hold money: the last balance each stated before ``end`` (its own
    export's figure, in the base currency), and net receipts and payouts after it.

    Rolling forward from the channel's own figure keeps a ten-year ledger from being summed
    in full each month; a channel that never states one is summed from its first receipt.
    Sums come per (channel, currency), so a row in another currency reaches the pure layer
    and is refused there. The roll-forward names its channels only inside a CASE: a
    ``channel IN`` would lead SQLite to walk the (channel, external_id) index over the whole
    ledger instead of the short ``occurred_at`` range.
    """
    latest = (
        select(ChannelBalance.channel, func.max(ChannelBalance.as_of).label("as_of"))
        .where(ChannelBalance.as_of < end, ChannelBalance.currency == currency)
        .where(ChannelBalance.channel.in_(channels))
        .group_by(ChannelBalance.channel)
        .subquery()
    )
    stated = {
        ch: (as_of, int(amount))
        for ch, as_of, amount in connection.execute(
            select(ChannelBalance.channel, ChannelBalance.as_of, ChannelBalance.amount_minor)
            .join(
                latest,
                and_(
                    latest.c.channel == ChannelBalance.channel,
                    latest.c.as_of == ChannelBalance.as_of,
                ),
            )
            .where(ChannelBalance.currency == currency)
        )
    }

    counted = and_(Receipt.occurred_at < end, Receipt.status.in_(COUNTED_STATUSES))
    earned: dict[tuple[str, str], int] = {}
    rolled = [ch for ch in channels if ch in stated]
    if rolled:  # the weeks since each channel's own figure: a short range of occurred_at
        after = case(
            *[(Receipt.channel == ch, Receipt.occurred_at > stated[ch][0]) for ch in rolled],
            else_=False,
        )
        since = min(stated[ch][0] for ch in rolled)
        query = (
            select(Receipt.currency, Receipt.channel, _sum(Receipt.net_minor))
            .where(counted, Receipt.occurred_at > since, after)  # no IN on channel: see above
            .group_by(Receipt.currency, Receipt.channel)
        )
        earned.update({(ch, cur): int(net) for cur, ch, net in connection.execute(query)})
    unstated = [ch for ch in channels if ch not in stated]
    if unstated:  # from the first receipt: only these channels' rows, through their index
        query = (
            select(Receipt.channel, Receipt.currency, _sum(Receipt.net_minor))
            .where(counted, Receipt.channel.in_(unstated))
            .group_by(Receipt.channel, Receipt.currency)
        )
        earned.update({(ch, cur): int(net) for ch, cur, net in connection.execute(query)})
    paid_out: dict[tuple[str, str], int] = defaultdict(int)
    for ch, cur, at, amount in connection.execute(  # payouts are few: one row each
        select(Payout.channel, Payout.currency, Payout.initiated_at, Payout.amount_minor)
        .where(Payout.initiated_at < end, Payout.status.not_in(FAILED_PAYOUTS))
        .where(Payout.channel.in_(channels))
    ):
        if ch not in stated or at > stated[ch][0]:
            paid_out[(ch, cur)] += int(amount)
    return stated, earned, dict(paid_out)


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


def _read_month_facts(ledger, month: Month) -> MonthFacts:
    """Everything the statement of ``month`` needs, read from one snapshot."""
    settings, tz, currency = ledger.settings, ledger.tz, ledger.currency
    months = [month.shift(i) for i in range(-12, 1)]
    start, end = month.bounds(tz)
    channels = [get_channel(name) for name in NAMES]
    royalty_channels = [c.name for c in channels if c.royalty]
    holding_channels = [c.name for c in channels if c.holds_balance and not c.royalty]
    show_names = settings.show_supporter_names
    with read_snapshot(ledger.engine) as connection:
        coverage = read_coverage(connection)
        stated, earned, paid_out = _read_balances(connection, end, holding_channels, currency)
        return MonthFacts(
            currency=currency,
            timezone=tz,
            show_names=show_names,
            lapse_grace_days=settings.lapse_grace_days,
            months=tuple(months),
            aggregates=tuple(_read_aggregates(connection, months, tz)),
            subscriptions=tuple(_read_subscriptions(connection, show_names)),
            last_payments=_read_last_payments(connection, end, settings.lapse_grace_days),
            royalties=_read_royalties(connection, months, tz, royalty_channels),
            pending_checks=_read_pending_checks(connection, end, show_names),
            stated=stated,
            earned=earned,
            paid_out=paid_out,
            payouts=_read_payouts_arrived(connection, month, start, end),
            coverage=coverage,
            used_channels=_read_used(connection, {ch for ch, _, _ in coverage}, end),
        )


def _read_royalties(connection, months: list[Month], tz, channels: list[str]) -> tuple:
    """Royalty sales earned in ``months`` and due after the last of them, per channel and
    due day. Royalties are paid within months; older ones are for ``reconcile``."""
    start, end = months[0].bounds(tz)[0], months[-1].bounds(tz)[1]
    rows = connection.execute(
        select(
            Receipt.channel, Receipt.due_on, Receipt.currency, func.count(),
            _sum(Receipt.net_minor),
        )
        .where(Receipt.occurred_at >= start, Receipt.occurred_at < end)
        .where(Receipt.channel.in_(channels))
        .where(Receipt.kind == Kind.SALE, Receipt.due_on > months[-1].last_day)
        .where(Receipt.status.in_(COUNTED_STATUSES))
        .group_by(Receipt.channel, Receipt.due_on, Receipt.currency)
    )  # fmt: skip
    return tuple((ch, due, cur, int(n), int(net)) for ch, due, cur, n, net in rows)


def _read_pending_checks(connection, end: dt.datetime, show_names: bool) -> tuple:
    """Checks recorded before ``end`` and still waiting to be deposited, oldest first."""
    query = (
        select(
            Receipt.occurred_at, Receipt.currency, Receipt.gross_minor, Receipt.check_number,
            Supporter.display_name if show_names else null(),
        )
        .where(Receipt.channel == "check", Receipt.status == Status.PENDING)
        .where(Receipt.occurred_at < end)
        .order_by(Receipt.occurred_at, Receipt.id)
    )  # fmt: skip
    if show_names:
        query = query.outerjoin(Supporter, Supporter.id == Receipt.supporter_id)
    return tuple(
        (when, cur, int(gross), number, who)
        for when, cur, gross, number, who in connection.execute(query)
    )


def _read_payouts_arrived(connection, month: Month, start: dt.datetime, end: dt.datetime):
    """Payouts that reached the bank in the month (sent in it when the arrival is unknown),
    by the channel's own dates, so a payout stays on one statement.

    The arrival shown is the day the bank posted the deposit matched to the payout
    (``bank_lines.payout_id``, set by ``reconcile`` or ``match``), else the channel's. A
    closed month shows only matches made before it was closed: its statement stays as sent.
    """
    close = latest_close(connection, month)
    matched = [BankLine.payout_id == Payout.id]
    if close is not None and close["reopened_at"] is None:
        matched.append(BankLine.matched_at <= close["closed_at"])
    posted = select(func.min(BankLine.posted_on)).where(*matched).correlate(Payout)
    arrived_in_month = Payout.arrived_on.between(month.first_day, month.last_day)
    sent_in_month = and_(
        Payout.arrived_on.is_(None), Payout.initiated_at >= start, Payout.initiated_at < end
    )
    rows = connection.execute(
        select(
            Payout.channel, Payout.initiated_at,
            func.coalesce(posted.scalar_subquery(), Payout.arrived_on), Payout.currency,
            Payout.amount_minor, Payout.fee_minor, Payout.status,
        )
        .where(or_(arrived_in_month, sent_in_month), Payout.status.not_in(FAILED_PAYOUTS))
        .order_by(func.coalesce(Payout.arrived_on, Payout.initiated_at), Payout.id)
    )  # fmt: skip
    return tuple(
        (ch, at, on, cur, int(amount), int(fee), status)
        for ch, at, on, cur, amount, fee, status in rows
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
    """What one aggregate row adds to each line; its net is gross - refunds - fees."""
    m = lambda minor: _money(minor, currency, row.currency, f"a {row.channel} receipt")  # noqa: E731
    nothing = Money.zero(currency)
    gross = m(row.gross)
    is_payment = row.event in (Event.PAYMENT, Event.ADJUSTMENT)
    figures = Figures(
        count=row.count if row.event == Event.PAYMENT else 0,
        gross=gross if is_payment else nothing,
        refunds=-gross if row.event in REFUND_EVENTS else nothing,
        # a standalone fee row may carry its fee as a negative gross; a returned fee is < 0
        fees=m(row.fee) - (gross if row.event == Event.FEE else nothing),
        net=m(row.net),
    )
    assert figures.net == figures.gross - figures.refunds - figures.fees, row
    return figures


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
    net_of_rows = Money.from_minor(sum(r.net for r in rows), currency)
    assert totals.figures.net == net_of_rows, (totals.figures.net, net_of_rows)
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


def _outstanding(facts: MonthFacts, month: Month) -> Outstanding:
    currency, tz = facts.currency, facts.timezone
    owed: dict[tuple[str, Month], list] = defaultdict(lambda: [0, Money.zero(currency)])
    for channel, due, cur, count, net in facts.royalties:
        line = owed[(channel, Month.of(due))]
        line[0] += count
        line[1] += _money(net, currency, cur, f"a {channel} royalty")
    royalties = tuple(
        RoyaltyOwed(ch, _label(ch), due, n, amount)
        for (ch, due), (n, amount) in sorted(owed.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    )
    checks = tuple(
        PendingCheck(
            received_on=local_date(when, tz),
            age_days=(month.last_day - local_date(when, tz)).days,
            amount=_money(gross, currency, cur, "a check"),
            check_number=number,
            payer=(who or "(unknown)") if facts.show_names else None,
        )
        for when, cur, gross, number, who in facts.pending_checks
    )

    def per_channel(sums: Mapping[tuple[str, str], int], what: str) -> dict[str, Money]:
        found: dict[str, Money] = defaultdict(lambda: Money.zero(currency))
        for (channel, cur), minor in sums.items():
            found[channel] += _money(minor, currency, cur, f"{channel} {what}")
        return found

    earned, paid = per_channel(facts.earned, "receipts"), per_channel(facts.paid_out, "payouts")
    balances = []
    for ch in _channel_order({*earned, *paid, *facts.stated}):
        at, opening_minor = facts.stated.get(ch, (None, 0))
        opening = Money.from_minor(opening_minor, currency)
        if at is None and not (earned.get(ch) or paid.get(ch)):
            continue  # a channel never used holds nothing worth a line
        balances.append(
            BalanceLine(
                ch, _label(ch), at, opening, earned[ch], paid[ch], opening + earned[ch] - paid[ch]
            )
        )
    royalties_total = total((r.amount for r in royalties), currency)
    checks_total = total((c.amount for c in checks), currency)
    balances_total = total((b.balance for b in balances), currency)
    return Outstanding(
        royalties=royalties,
        royalties_total=royalties_total,
        checks=checks,
        checks_total=checks_total,
        balances=tuple(balances),
        balances_total=balances_total,
        total=royalties_total + checks_total + balances_total,
    )


def _payouts(facts: MonthFacts) -> tuple[PayoutLine, ...]:
    currency, tz = facts.currency, facts.timezone
    lines = []
    for channel, initiated, arrived, cur, amount, fee, status in facts.payouts:
        gross = _money(amount, currency, cur, f"a {channel} payout")
        charge = Money.from_minor(fee, currency)
        lines.append(
            PayoutLine(
                channel, _label(channel), local_date(initiated, tz), arrived, gross, charge,
                gross - charge, status,
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
        outstanding=_outstanding(facts, month),
        payouts=payouts,
        payouts_total=total((p.to_bank for p in payouts), currency),
        comparison=comparison,
        series=series,
        missing_data=_missing_data(facts, month),
        names_shown=facts.show_names,
    )


def monthly_statement(ledger, month: Month) -> MonthlyStatement:
    """The statement of ``month`` (in ``LEDGER_TIMEZONE``, in ``BASE_CURRENCY``)."""
    return build_monthly_statement(_read_month_facts(ledger, month), month, ledger.schedule)


# --------------------------------------------------------------------------- annual


@dataclass(frozen=True)
class YearFacts:
    currency: str
    timezone: ZoneInfo
    months: tuple[Month, ...]
    aggregates: tuple[Aggregate, ...]
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
        schedule_c=ScheduleC(t.gross, t.refunds, t.gross - t.refunds, t.fees),
        tax_forms=tuple(forms),
        months=months,
    )


def annual_summary(ledger, year: int) -> AnnualSummary:
    """The year ``year`` (local months of ``LEDGER_TIMEZONE``), for the tax return."""
    from supportledger.taxforms import read_tax_forms

    months = [Month(year, m) for m in range(1, 13)]
    with read_snapshot(ledger.engine) as connection:
        aggregates = _read_aggregates(connection, months, ledger.tz)
        forms = read_tax_forms(connection, year)
    facts = YearFacts(ledger.currency, ledger.tz, tuple(months), tuple(aggregates), forms)
    return build_annual_summary(facts, year)
