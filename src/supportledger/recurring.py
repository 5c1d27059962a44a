"""Recurring support as history: MRR, churn and lapses that match the money received.

Three layers, each usable alone:

- **history** (:func:`observed`, :func:`paid`): what an export row, an API object or a
  payment adds to a subscription's history, given what it holds. History is only added to,
  each state from the day the source's own fields give (else the day of the export), and
  never before the last time a source described the subscription: a later export adds
  history, it never changes what an earlier month showed;
- **standing** (:func:`position`): where a commitment stands at the end of one day, from its
  history and the payments made up to that day, and nothing later. One rule for every
  channel that itemises payments (PayPal, Stripe, and the Zelle and check habits inferred
  from payments): a payment overdue by more than ``LAPSE_GRACE_DAYS`` is *lapsed*; once a
  second interval has passed too, it has *ended (inferred)*, on the first missed due day; a
  later payment brings it back. Patreon, which pays a month's pledges as one sum, stands
  where its export says;
- **figures**: the month's MRR, movements and counts (:func:`monthly`) and the commitments
  standing on a day (:func:`recurring_status`) are both read off :func:`position`, so the
  statement and ``supporters recurring --as-of`` agree for every day. The reads
  (:func:`read_facts`) fetch only what those need.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, func, select, type_coerce

from supportledger.channels import all_channels, get_channel, label_of
from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule
from supportledger.intervals import MONTH, Interval, add_months
from supportledger.models import (
    COUNTED_STATUSES,
    Event,
    Kind,
    Receipt,
    Status,
    Subscription,
    SubscriptionEvent,
    SubscriptionState,
    SubscriptionStatus,
    Supporter,
)
from supportledger.money import Money, exponent, total
from supportledger.months import LocalDays, Month, local_date, local_midnight, stored_instant
from supportledger.supporters import merge_roots, name_key

#: A payment made, its money arrived or on its way (a check not yet deposited): enough to
#: keep a commitment current.
PAID_STATUSES = (*COUNTED_STATUSES, Status.PENDING)
#: Consecutive calendar months with a payment that make a habit...
INFERRED_RUN = 3
#: ...read from the payments of this many months before the day it is judged on.
INFERRED_LOOKBACK = 14

MRR_CONVENTION = (
    "MRR counts the commitments in good standing at the end of the calendar month in {tz}: "
    "subscriptions and the Zelle and check habits inferred from three consecutive months "
    "of payments, each divided by its interval (an annual plan by 12), before fees (the net "
    "figure takes off each channel's scheduled fee). In good standing: paid for the "
    "period, or overdue (or declined) by no more than the grace days. A commitment overdue "
    "by more is lapsed, shown apart with its amount; once a second interval has passed "
    "with no payment it has ended (inferred), on the first missed due day, and a later "
    "payment brings it back. Patreon pays a month's pledges as one sum, so a patron stands "
    "where Patreon's members export says; PayPal's download states no billing period, so "
    "its subscriptions are taken as monthly. Movements compare each supporter's MRR at the "
    "start and end of the month: churn when all of theirs leave good standing, "
    "contraction when one of several does, reactivation when a former supporter returns. "
    "Refunds do not move MRR. Received is the month's recurring payments as they arrived."
)


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Terms:
    """What a subscription costs: ``amount_minor`` once every ``interval``."""

    amount_minor: int
    currency: str
    interval: Interval
    tier: str | None = None

    @property
    def monthly(self) -> Decimal:
        return self.interval.monthly(self.amount_minor)


@dataclass(frozen=True)
class HistoryEvent:
    state: SubscriptionState
    effective_at: dt.datetime
    terms: Terms
    observed_at: dt.datetime


@dataclass(frozen=True)
class Observation:
    """What a source says of a subscription at ``seen_at`` (an export's row, an API object),
    with the instants its own fields give (``None``: not given)."""

    status: SubscriptionStatus
    terms: Terms
    seen_at: dt.datetime
    started_at: dt.datetime | None = None
    status_since: dt.datetime | None = None
    terms_since: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None


#: events that say how a subscription stands; CHANGED and CANCELLED leave it as it was
_STANDING_STATES = {
    SubscriptionState.STARTED: SubscriptionStatus.ACTIVE,
    SubscriptionState.RESUMED: SubscriptionStatus.ACTIVE,
    SubscriptionState.PAUSED: SubscriptionStatus.PAUSED,
    SubscriptionState.DECLINED: SubscriptionStatus.DECLINED,
    SubscriptionState.ENDED: SubscriptionStatus.CANCELLED,
}
#: the event that brings a subscription to what a source now says
_TRANSITIONS = {
    SubscriptionStatus.ACTIVE: SubscriptionState.RESUMED,
    SubscriptionStatus.PAUSED: SubscriptionState.PAUSED,
    SubscriptionStatus.DECLINED: SubscriptionState.DECLINED,
    SubscriptionStatus.CANCELLED: SubscriptionState.ENDED,
}


def _status(history: Sequence[HistoryEvent]) -> SubscriptionStatus:
    """How the channel last said the subscription stands."""
    states = [e.state for e in history if e.state in _STANDING_STATES]
    return _STANDING_STATES[states[-1]] if states else SubscriptionStatus.ACTIVE


# --------------------------------------------------------------------------- history


def observed(
    history: Sequence[HistoryEvent], seen: Observation, floor: dt.datetime | None
) -> list[HistoryEvent]:
    """The events ``seen`` adds to ``history`` (sorted by ``effective_at``).

    Each is dated by the source's own field, else at ``seen.seen_at``, and kept between the
    subscription's start (or ``floor``, the last time a source described it: an export
    never contradicts an earlier one) and ``seen_at``. A status that differs from the one in
    force at ``seen_at`` is a transition carrying the new terms; a change of terms alone is
    CHANGED; an end keeps the terms that ended (a former patron's empty pledge says none).
    """
    at = seen.seen_at
    before = [e for e in history if e.effective_at <= at]
    added: list[HistoryEvent] = []
    if before:
        start = before[0].effective_at
        then_terms, then_status = before[-1].terms, _status(before)
    else:
        start = min(seen.started_at or at, at)
        added.append(HistoryEvent(SubscriptionState.STARTED, start, seen.terms, at))
        then_terms, then_status = seen.terms, SubscriptionStatus.ACTIVE
    lowest = max(start, floor) if floor is not None and floor <= at else start

    def dated(instant: dt.datetime | None) -> dt.datetime:
        return max(lowest, min(instant or at, at))

    if seen.status != then_status:
        ends = seen.status is SubscriptionStatus.CANCELLED
        added.append(
            HistoryEvent(
                _TRANSITIONS[seen.status],
                dated(seen.status_since),
                then_terms if ends else seen.terms,
                at,
            )
        )
    elif seen.terms != then_terms and seen.status is not SubscriptionStatus.CANCELLED:
        added.append(
            HistoryEvent(SubscriptionState.CHANGED, dated(seen.terms_since), seen.terms, at)
        )
    if seen.cancelled_at is not None and seen.status is SubscriptionStatus.ACTIVE:
        restarts = [
            e.effective_at
            for e in (*before, *added)
            if e.state in (SubscriptionState.STARTED, SubscriptionState.RESUMED)
        ]
        asked = [e for e in before if e.state is SubscriptionState.CANCELLED]
        if not asked or asked[-1].effective_at < max(restarts):
            added.append(
                HistoryEvent(SubscriptionState.CANCELLED, dated(seen.cancelled_at), seen.terms, at)
            )
    return added


def paid(history: Sequence[HistoryEvent], at: dt.datetime, terms: Terms) -> list[HistoryEvent]:
    """The events a payment at ``at`` adds, when payments are all its source says of the
    subscription (PayPal): its start, or a change of amount, currency or interval."""
    before = [e for e in history if e.effective_at <= at]
    if not before:
        return [HistoryEvent(SubscriptionState.STARTED, at, terms, at)]
    then = before[-1].terms
    if (then.amount_minor, then.currency, then.interval) == (
        terms.amount_minor,
        terms.currency,
        terms.interval,
    ):
        return []
    return [HistoryEvent(SubscriptionState.CHANGED, at, replace(terms, tier=then.tier), at)]


def latest(history: Sequence[HistoryEvent]) -> dict:
    """The ``subscriptions`` columns that repeat the latest of ``history``."""
    terms, status = history[-1].terms, _status(history)
    ended = [e.effective_at for e in history if e.state is SubscriptionState.ENDED]
    return {
        "tier": terms.tier,
        "amount_minor": terms.amount_minor,
        "currency": terms.currency,
        "interval": terms.interval,
        "status": str(status),
        "started_at": history[0].effective_at,
        "ended_at": ended[-1] if status is SubscriptionStatus.CANCELLED else None,
    }


def read_histories(connection, ids: Iterable[int] | None) -> dict[int, list[HistoryEvent]]:
    """The history of each subscription in ``ids`` (``None``: of every one), oldest first."""
    table = SubscriptionEvent.__table__
    columns = (
        table.c.subscription_id, table.c.state, table.c.effective_at, table.c.amount_minor,
        table.c.currency, table.c.interval, table.c.tier, table.c.observed_at,
    )  # fmt: skip
    order = (table.c.subscription_id, table.c.effective_at, table.c.id)
    if ids is None:
        queries = [select(*columns)]
        found: dict[int, list[HistoryEvent]] = defaultdict(list)
    else:
        found = {i: [] for i in ids}
        wanted = sorted(found)
        queries = [
            select(*columns).where(table.c.subscription_id.in_(wanted[i : i + 500]))
            for i in range(0, len(wanted), 500)
        ]
    for query in queries:
        for sid, *event in connection.execute(query.order_by(*order)).all():
            found[sid].append(_event(*event))
    return found


def _event(
    state, effective_at, amount_minor, currency, interval, tier, observed_at
) -> HistoryEvent:
    terms = Terms(amount_minor, currency, interval, tier)
    return HistoryEvent(SubscriptionState(state), effective_at, terms, observed_at)


# --------------------------------------------------------------------------- standing


class Standing(StrEnum):
    CURRENT = "current"  # paid for the period it is in
    GRACE = "grace"  # overdue or declined, by no more than the grace days: still counted
    LAPSED = "lapsed"  # overdue or declined for longer: shown apart, not in MRR
    PAUSED = "paused"
    ENDED = "ended"


_WORSE = (Standing.CURRENT, Standing.GRACE, Standing.LAPSED)


@dataclass(frozen=True)
class Commitment:
    """A subscription, or a habit inferred from payments, with what its standing needs."""

    key: tuple
    channel: str
    basis: str  # "subscription" | "inferred"
    supporter_id: int | None  # merges followed
    name: str | None  # only when names may be read
    #: payments name the subscription they pay, so one missing is a lapse (not Patreon)
    itemised: bool
    #: (local day it took effect, event), oldest first
    timeline: tuple[tuple[dt.date, HistoryEvent], ...]
    #: (local day, gross minor units) of the payments that keep it, oldest first
    payments: tuple[tuple[dt.date, int], ...] = ()
    #: the channel's own last successful charge (Patreon's), for a channel that does not
    #: itemise payments
    stated_last_charge: dt.date | None = None

    @property
    def customer(self):
        return self.supporter_id if self.supporter_id is not None else self.key

    @property
    def started_on(self) -> dt.date:
        return self.timeline[0][0]


@dataclass(frozen=True)
class Position:
    """Where a commitment stands at the end of a day."""

    standing: Standing
    terms: Terms
    started_on: dt.date
    last_paid: dt.date | None
    next_due: dt.date | None
    ended_on: dt.date | None = None
    inferred_end: bool = False

    @property
    def in_mrr(self) -> bool:
        return self.standing in (Standing.CURRENT, Standing.GRACE)


def position(c: Commitment, day: dt.date, grace_days: int) -> Position | None:
    """Where ``c`` stands at the end of ``day``, from what took effect by then; ``None``
    before it started."""
    seen = bisect_right(c.timeline, day, key=_day)
    if not seen:
        return None
    started_on = restart = said_on = c.timeline[0][0]
    status = SubscriptionStatus.ACTIVE
    for on, event in c.timeline[:seen]:  # a few events
        if event.state in _STANDING_STATES:
            status, said_on = _STANDING_STATES[event.state], on
        if event.state in _RESTARTS:
            restart = on
    terms = c.timeline[seen - 1][1].terms
    paid = bisect_right(c.payments, day, key=_day)
    last_paid = c.payments[paid - 1][0] if paid else None
    if not c.itemised and c.stated_last_charge is not None and c.stated_last_charge <= day:
        last_paid = c.stated_last_charge
    if status is SubscriptionStatus.CANCELLED:
        return Position(Standing.ENDED, terms, started_on, last_paid, None, said_on)
    if status is SubscriptionStatus.PAUSED:
        return Position(Standing.PAUSED, terms, started_on, last_paid, None)
    grace = dt.timedelta(days=grace_days)
    standing, due = Standing.CURRENT, None
    if c.itemised:
        due = (
            restart if last_paid is None or last_paid < restart else terms.interval.after(last_paid)
        )
        if day > terms.interval.after(due) + grace:
            return Position(Standing.ENDED, terms, started_on, last_paid, due, due, True)
        if day > due + grace:
            standing = Standing.LAPSED
        elif day > due:
            standing = Standing.GRACE
    if status is SubscriptionStatus.DECLINED:
        declined = Standing.LAPSED if day > said_on + grace else Standing.GRACE
        standing = max(standing, declined, key=_WORSE.index)
    return Position(standing, terms, started_on, last_paid, due)


def _day(dated: tuple) -> dt.date:
    return dated[0]


_RESTARTS = (SubscriptionState.STARTED, SubscriptionState.RESUMED)


#: a payment habits are read from: ((local day, its month as ``year * 12 + month``, the last
#: day a next payment keeps the habit standing, instant), gross)
HabitPayment = tuple[tuple[dt.date, int, dt.date, dt.datetime], int]


def habit(
    key: tuple,
    supporter_id: int,
    name: str | None,
    payments: Sequence[HabitPayment],
    earliest: dt.date,
    day: dt.date,
    currency: str,
) -> Commitment | None:
    """The monthly habit ``payments`` make as of ``day``, read from those paid on or after
    ``earliest`` (the first day of the :data:`INFERRED_LOOKBACK` months before ``day``'s),
    or ``None``.

    It starts with the payment that completes three consecutive calendar months with a
    payment; each later payment keeps it, a new amount changes it, and once it has ended by
    the one rule of :func:`position` only a new run of three months brings it back.

    A habit is read for the day it is judged on (:meth:`RecurringFacts.commitments`), so of
    its changes of amount its timeline keeps the one in force on ``day`` alone: all
    :func:`position` reads then, where a payer whose amount varies would otherwise make an
    event of nearly every payment.
    """
    months: set[int] = set()  # year * 12 + month
    restarts: list[tuple[dt.date, HistoryEvent]] = []
    changed: tuple[dt.date, dt.datetime] | None = None  # the last change since a restart
    kept: list[tuple[dt.date, int]] = []
    horizon = amount = None
    for (paid_on, month, keeps_to, at), gross in payments:
        if paid_on < earliest:
            continue
        if paid_on > day:
            break
        months.add(month)
        # standing on the day it is paid: not ended by the rule of `position` (a second
        # month and the grace after the first missed due day: `keeps_to` of the last kept)
        if horizon is not None and paid_on <= horizon:
            if gross != amount:
                changed, amount = (paid_on, at), gross
        elif months.issuperset(range(month - INFERRED_RUN + 1, month)):
            state = SubscriptionState.RESUMED if restarts else SubscriptionState.STARTED
            restarts.append((paid_on, HistoryEvent(state, at, _monthly_terms(gross, currency), at)))
            changed, amount = None, gross
        else:
            continue
        kept.append((paid_on, gross))
        horizon = keeps_to
    if not restarts:
        return None
    timeline = restarts
    if changed is not None:
        on, at = changed
        terms = _monthly_terms(amount, currency)
        timeline.append((on, HistoryEvent(SubscriptionState.CHANGED, at, terms, at)))
    return Commitment(
        key, key[2], "inferred", supporter_id, name, True, tuple(timeline), tuple(kept)
    )


@lru_cache(maxsize=1024)
def _monthly_terms(amount_minor: int, currency: str) -> Terms:
    """A habit's terms, one (immutable) object per amount: a payer's amounts repeat."""
    return Terms(amount_minor, currency, MONTH)


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class RecurringFacts:
    """What the database says that the standing of every commitment needs, from ``first``
    (the day before a month, for its start) to ``last``."""

    currency: str
    timezone: ZoneInfo
    grace_days: int
    show_names: bool
    first: dt.date
    last: dt.date
    subscriptions: tuple[Commitment, ...]
    #: (supporter, channel) -> payments of the channels habits are read from, oldest first
    habit_payments: Mapping[tuple[int, str], tuple[HabitPayment, ...]]
    names: Mapping[int, str]
    #: recurring payments received from ``first`` + 1 day to ``last``: (currency, minor)
    received: tuple[tuple[str, int], ...]
    #: the supporters (merges followed) of the subscriptions left unread because they had
    #: ended well before ``first``: former supporters, should one come back
    former: frozenset[int] = frozenset()

    def commitments(self, day: dt.date) -> list[Commitment]:
        """The subscriptions, and the habits standing as of ``day``, each read to be judged
        on that day (:func:`habit`)."""
        earliest = Month.of(day).shift(-INFERRED_LOOKBACK).first_day
        habits = [
            habit(
                ("inferred", root, channel), root, self.names.get(root), payments, earliest,
                day, self.currency,
            )
            for (root, channel), payments in self.habit_payments.items()
        ]  # fmt: skip
        return [*self.subscriptions, *(h for h in habits if h is not None)]


def _habit_channels() -> list[str]:
    """Channels with no subscription data, where a monthly habit is inferred from payments
    (their declarations' ``infer_monthly_habit``: Zelle, checks)."""
    return [c.name for c in all_channels() if c.infer_monthly_habit]


def _itemises(channel: str) -> bool:
    try:
        return get_channel(channel).itemises_subscription_payments
    except LedgerError:
        return True  # a channel the ledger does not know is judged by its payments


def read_facts(
    connection,
    first: dt.date,
    last: dt.date,
    *,
    tz: ZoneInfo,
    currency: str,
    grace_days: int,
    show_names: bool,
    members: Sequence[int] | None = None,
) -> RecurringFacts:
    """The commitments' facts for judging them on any day from ``first`` to ``last``:
    every subscription with its history, the payments since far enough back (two of the
    longest interval and the grace before ``first``, all of them for ``members``), and the
    Zelle and check payments habits are read from. ``members`` (supporter ids) limits it to
    one person."""
    end = local_midnight(last + dt.timedelta(days=1), tz)
    root_of = merge_roots(connection)
    names = (
        dict(connection.execute(select(Supporter.id, Supporter.display_name)).all())
        if show_names
        else {}
    )
    subs = Subscription.__table__
    query = select(
        subs.c.id, subs.c.channel, subs.c.supporter_id, subs.c.last_charge_at,
        subs.c.last_charge_status,
    )  # fmt: skip
    paid_query = select(
        Receipt.subscription_id, _stored(Receipt.occurred_at), Receipt.gross_minor
    ).where(Receipt.subscription_id.is_not(None), *_payments_before(end))
    if members is None:  # payments from two of the longest intervals and the grace before
        events = SubscriptionEvent.__table__
        intervals = connection.execute(select(events.c.interval).distinct()).scalars()
        longest = max((_days(interval) for interval in intervals), default=31)
        since = local_midnight(first - dt.timedelta(days=2 * longest + grace_days + 2), tz)
        paid_query = paid_query.where(Receipt.occurred_at >= since)
    else:
        query = query.where(subs.c.supporter_id.in_(members))
        paid_query = paid_query.where(
            Receipt.subscription_id.in_(query.with_only_columns(subs.c.id))
        )
    days = LocalDays(tz)
    payments: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    # fetched at once, not stepped through row by row: the long reads are costly per row
    paid = connection.execute(paid_query.order_by(Receipt.occurred_at, Receipt.id)).all()
    for sid, at, gross in paid:
        payments[sid].append((days[at], int(gross)))
    former: frozenset[int] = frozenset()
    if members is None:
        rows, former = _live(connection, query.order_by(subs.c.id), since, payments, root_of)
    else:
        rows = connection.execute(query.order_by(subs.c.id)).all()
    itemised = {channel: _itemises(channel) for channel in {row.channel for row in rows}}
    histories = read_histories(connection, [row.id for row in rows])
    subscriptions = []
    for row in rows:
        history = [e for e in histories.get(row.id, ()) if e.effective_at < end]
        if not history:
            continue
        root = root_of(row.supporter_id) if row.supporter_id is not None else None
        charged = row.last_charge_at if (row.last_charge_status or "").lower() == "paid" else None
        subscriptions.append(
            Commitment(
                key=("subscription", row.id),
                channel=row.channel,
                basis="subscription",
                supporter_id=root,
                name=names.get(root) if root is not None else None,
                itemised=itemised[row.channel],
                timeline=tuple((local_date(e.effective_at, tz), e) for e in history),
                payments=tuple(payments[row.id]),
                stated_last_charge=local_date(charged, tz) if charged else None,
            )
        )
    habit_start = local_midnight(Month.of(first).shift(-INFERRED_LOOKBACK).first_day, tz)
    query = (
        select(
            Receipt.supporter_id,
            Receipt.channel,
            _stored(Receipt.occurred_at),
            Receipt.gross_minor,
        )
        .where(Receipt.channel.in_(_habit_channels()), Receipt.supporter_id.is_not(None))
        .where(*_payments_before(end), Receipt.occurred_at >= habit_start)
        .order_by(Receipt.occurred_at, Receipt.id)
    )
    if members is not None:
        query = query.where(Receipt.supporter_id.in_(members))
    grace = dt.timedelta(days=grace_days)

    @cache
    def habit_day(stored) -> tuple[dt.date, int, dt.date, dt.datetime]:
        """A payment's day, its month, the last day a next one keeps a habit standing (a
        second month and the grace) and its instant, worked out once per stored instant."""
        at = stored_instant(stored)
        day = local_date(at, tz)
        return day, day.year * 12 + day.month, add_months(day, 2) + grace, at

    habit_payments: dict[tuple[int, str], list[HabitPayment]] = defaultdict(list)
    for sid, channel, stored, gross in connection.execute(query).all():
        habit_payments[(root_of(sid), channel)].append((habit_day(stored), int(gross)))
    start = local_midnight(first + dt.timedelta(days=1), tz)
    received = connection.execute(
        select(Receipt.currency, func.coalesce(func.sum(Receipt.gross_minor), 0))
        .where(Receipt.occurred_at >= start, Receipt.occurred_at < end)
        .where(Receipt.kind == Kind.RECURRING, Receipt.event == Event.PAYMENT)
        .where(Receipt.status.in_(COUNTED_STATUSES))
        .group_by(Receipt.currency)
    ).all()
    return RecurringFacts(
        currency=currency,
        timezone=tz,
        grace_days=grace_days,
        show_names=show_names,
        first=first,
        last=last,
        subscriptions=tuple(subscriptions),
        habit_payments={k: tuple(v) for k, v in habit_payments.items()},
        names=names,
        received=tuple((cur, int(minor)) for cur, minor in received),
        former=former,
    )


def _stored(column):
    """An instant column as the database stores it (:func:`stored_instant`): rows read by the
    thousand skip the column type's conversion, and their local days are worked out once per
    distinct value (:class:`LocalDays`)."""
    return type_coerce(column, String)


def _live(
    connection, query, since: dt.datetime, paid: Container[int], root_of: Callable[[int], int]
) -> tuple[list, frozenset[int]]:
    """Of the subscriptions ``query`` reads, those a day from two of their longest interval
    and the grace after ``since`` may find standing: those of a channel that does not
    itemise payments, those with history since ``since`` or ever paused, and those ``paid``
    since ``since``. Any other has ended by :func:`position` before such a day, so a month's
    statement need not read its history: of those with history, only their supporters
    (merges followed) are kept, former supporters should one come back.

    Told apart here from the subscriptions' own rows and one grouped pass over their events,
    with the payments already read: the payments since ``since`` are the costly read (every
    receipt of those months is looked at), and are read once."""
    events = SubscriptionEvent.__table__
    lumped = {c.name for c in all_channels() if not c.itemises_subscription_payments}
    recent = (events.c.effective_at >= since) | (events.c.state == str(SubscriptionState.PAUSED))
    described = dict(
        connection.execute(
            select(events.c.subscription_id, func.max(case((recent, 1), else_=0))).group_by(
                events.c.subscription_id
            )
        ).all()
    )
    live, former = [], set()
    for row in connection.execute(query).all():
        if row.channel in lumped or described.get(row.id) or row.id in paid:
            live.append(row)
        elif row.id in described and row.supporter_id is not None:
            former.add(root_of(row.supporter_id))
    return live, frozenset(former)


def _days(interval: Interval) -> int:
    return interval.days or 31 * interval.months


def _payments_before(end: dt.datetime) -> tuple:
    """Money paid (or on its way) before ``end``: what keeps a commitment current."""
    return (
        Receipt.event == Event.PAYMENT,
        Receipt.status.in_(PAID_STATUSES),
        Receipt.gross_minor > 0,
        Receipt.occurred_at < end,
    )


# --------------------------------------------------------------------------- the month


@dataclass(frozen=True)
class SubscriptionLine:
    """MRR of one channel's commitments in good standing at month end."""

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
    #: commitments that ended in the month (the channel said so, or inferred from silence)
    cancelled: int
    lapsed: int
    #: a commitment is lapsed after its period and this many days without a payment
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
    #: the month's recurring money as it arrived: subscription payments, Patreon's earnings
    #: and the payments that kept an inferred habit
    received: Money
    #: what the lapsed commitments were worth a month, apart from MRR
    lapsed_mrr: Money
    #: commitments overdue or declined and still within the grace days (in MRR)
    grace: int
    grace_mrr: Money


def _rounded(minor: Decimal, currency: str) -> Money:
    """A sum of exact minor units as money, by the one rounding rule."""
    return Money(minor.scaleb(-exponent(currency)), currency).rounded()


def _in_base(found: Iterable[tuple[str, str]], currency: str) -> None:
    """Refuse, naming it, the first (what, currency) not in ``currency``: the ledger adds no
    two currencies without a rate."""
    for what, other in found:
        if other != currency:
            raise LedgerError(
                f"{what} is in {other}, not {currency}: the ledger adds no two currencies "
                f"without a rate"
            )


def monthly(facts: RecurringFacts, month: Month, schedule: FeeSchedule) -> Recurring:
    """The month's commitments, MRR and movements: each commitment's :func:`position` at the
    end of the month's eve and of its last day (sums in exact minor units, rounded once)."""
    currency, grace = facts.currency, facts.grace_days
    eve, last = month.first_day - dt.timedelta(days=1), month.last_day
    before = {c.key: (c, position(c, eve, grace)) for c in facts.commitments(eve)}
    after = {c.key: (c, position(c, last, grace)) for c in facts.commitments(last)}
    _in_base(  # before adding anything up
        (
            (f"{c.channel} {c.basis}", p.terms.currency)
            for c, p in [*before.values(), *after.values()]
            if p is not None and p.standing is not Standing.ENDED
        ),
        currency,
    )
    _in_base((("a recurring payment", cur) for cur, _ in facts.received), currency)

    @cache
    def fee_minor(channel: str, amount_minor: int) -> int | None:
        fee = schedule.expected_fee(channel, last, Money.from_minor(amount_minor, currency))
        return None if fee is None else fee.minor

    counted = [(c, p) for c, p in after.values() if p is not None and p.in_mrr]
    fee_unknown: set[str] = set()
    gross: dict[str, Decimal] = defaultdict(Decimal)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for c, p in counted:
        fee = fee_minor(c.channel, p.terms.amount_minor)
        if fee is None:
            fee_unknown.add(c.channel)
        gross[c.channel] += p.terms.monthly
        net[c.channel] += p.terms.interval.monthly(p.terms.amount_minor - (fee or 0))
    declared = [c.name for c in all_channels()]
    lines = tuple(
        SubscriptionLine(
            ch, label_of(ch), sum(1 for c, _ in counted if c.channel == ch),
            _rounded(gross[ch], currency), _rounded(net[ch], currency),
        )
        for ch in [*declared, *sorted(set(gross) - set(declared))]
        if ch in gross
    )  # fmt: skip

    def mrr_by_customer(positions) -> dict:
        totals: dict = defaultdict(Decimal)
        for c, p in positions:
            if p is not None and p.in_mrr:
                totals[c.customer] += p.terms.monthly
        return totals

    was_by, now_by = mrr_by_customer(before.values()), mrr_by_customer(after.values())
    seen_before = {c.customer for c, p in before.values() if p is not None} | facts.former
    moves = dict.fromkeys(("new", "expansion", "contraction", "churn", "reactivation"), Decimal(0))
    for who in was_by.keys() | now_by.keys():
        was, now = was_by.get(who, Decimal(0)), now_by.get(who, Decimal(0))
        if not was and now:
            moves["reactivation" if who in seen_before else "new"] += now
        elif was and not now:
            moves["churn"] += was
        elif now > was:
            moves["expansion"] += now - was
        elif now < was:
            moves["contraction"] += was - now
    movements = Movements(
        start=_rounded(sum(was_by.values(), Decimal(0)), currency),
        end=_rounded(sum(now_by.values(), Decimal(0)), currency),
        **{k: _rounded(v, currency) for k, v in moves.items()},
    )

    def was(key) -> Position | None:
        return before[key][1] if key in before else None

    new = [c for c, p in after.values() if p is not None and c.started_on > eve]
    ended = [
        c
        for c, p in after.values()
        if p is not None
        and p.standing is Standing.ENDED
        and (was(c.key) is None or was(c.key).standing is not Standing.ENDED)
    ]
    lapsed = [(c, p) for c, p in after.values() if p is not None and p.standing is Standing.LAPSED]
    in_grace = [(c, p) for c, p in counted if p.standing is Standing.GRACE]
    received = Money.from_minor(
        sum(minor for _, minor in facts.received) + _habit_payments(after.values(), month),
        currency,
    )

    def names(commitments: Iterable[Commitment]) -> tuple[str, ...] | None:
        if not facts.show_names:
            return None
        return tuple(sorted({c.name or "(anonymous)" for c in commitments}))

    return Recurring(
        active=len(counted),
        supporters=len({c.customer for c, _ in counted}),
        new=len(new),
        cancelled=len(ended),
        lapsed=len(lapsed),
        lapse_grace_days=grace,
        mrr_gross=total((x.mrr_gross for x in lines), currency),
        mrr_net=total((x.mrr_net for x in lines), currency),
        by_channel=lines,
        movements=movements,
        convention=MRR_CONVENTION.format(tz=facts.timezone.key),
        fee_unknown=tuple(sorted(fee_unknown)),
        new_names=names(new),
        cancelled_names=names(ended),
        lapsed_names=names(c for c, _ in lapsed),
        received=received,
        lapsed_mrr=_rounded(sum((p.terms.monthly for _, p in lapsed), Decimal(0)), currency),
        grace=len(in_grace),
        grace_mrr=_rounded(sum((p.terms.monthly for _, p in in_grace), Decimal(0)), currency),
    )


def _habit_payments(positions, month: Month) -> int:
    """What the month's payments that kept an inferred habit brought (gross minor units)."""
    first, last = month.first_day, month.last_day
    return sum(
        gross
        for c, p in positions
        if c.basis == "inferred" and p is not None
        for day, gross in c.payments
        if first <= day <= last
    )


# --------------------------------------------------------------------------- one day


@dataclass(frozen=True)
class RecurringSupporter:
    """A commitment as it stands on one day: a subscription, or a monthly habit inferred
    from payments."""

    supporter_id: int
    display_name: str
    channel: str
    basis: str  # "subscription" | "inferred"
    amount: Money
    interval: Interval
    #: what it is worth a month (``amount`` divided by its interval)
    monthly: Money
    standing: Standing
    last_paid: dt.date | None
    next_due: dt.date | None
    ended_on: dt.date | None = None
    inferred_end: bool = False

    @property
    def lapsed(self) -> bool:
        return self.standing is Standing.LAPSED


def _standing_on(
    facts: RecurringFacts, day: dt.date, keep: Iterable[Standing]
) -> list[RecurringSupporter]:
    wanted = set(keep)
    found = []
    for c in facts.commitments(day):
        p = position(c, day, facts.grace_days)
        if p is None or p.standing not in wanted or c.supporter_id is None:
            continue
        found.append(
            RecurringSupporter(
                supporter_id=c.supporter_id,
                display_name=c.name or f"#{c.supporter_id}",
                channel=c.channel,
                basis=c.basis,
                amount=Money.from_minor(p.terms.amount_minor, p.terms.currency),
                interval=p.terms.interval,
                monthly=_rounded(p.terms.monthly, p.terms.currency),
                standing=p.standing,
                last_paid=p.last_paid,
                next_due=p.next_due,
                ended_on=p.ended_on,
                inferred_end=p.inferred_end,
            )
        )
    return sorted(found, key=lambda r: (name_key(r.display_name), r.supporter_id, r.channel))


def _read(ledger, day: dt.date, members: Sequence[int] | None = None) -> RecurringFacts:
    with ledger.engine.connect() as connection:
        return read_facts(
            connection, day - dt.timedelta(days=1), day, tz=ledger.tz, currency=ledger.currency,
            grace_days=ledger.settings.lapse_grace_days, show_names=True, members=members,
        )  # fmt: skip


def recurring_status(ledger, as_of: dt.date) -> list[RecurringSupporter]:
    """Every recurring commitment standing at the end of ``as_of`` (a day in
    ``LEDGER_TIMEZONE``): current, within the grace days, or lapsed. Only what took effect
    by then is seen, so a past day gives the standing as it was: the statement's own."""
    standing = (Standing.CURRENT, Standing.GRACE, Standing.LAPSED)
    return _standing_on(_read(ledger, as_of), as_of, standing)


def commitments_of(ledger, members: Sequence[int], as_of: dt.date) -> list[RecurringSupporter]:
    """Every commitment of one person (``members``: their supporter ids) as it stands at the
    end of ``as_of``, ended and paused ones included."""
    return _standing_on(_read(ledger, as_of, members), as_of, Standing)


@dataclass(frozen=True)
class StatedFigures:
    """A channel's own figures for a subscription, as its newest export stated them."""

    channel: str
    stated_on: dt.date | None
    lifetime: Money | None
    last_charge_on: dt.date | None
    last_charge_status: str | None


def stated_figures(ledger, members: Sequence[int]) -> list[StatedFigures]:
    """What the channels' own exports say of one person's subscriptions (Patreon's lifetime
    and last charge), beside the ledger's own figures, which come from receipts."""
    subs = Subscription.__table__
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            select(
                subs.c.channel, subs.c.last_seen_at, subs.c.lifetime_minor, subs.c.currency,
                subs.c.last_charge_at, subs.c.last_charge_status,
            )
            .where(subs.c.supporter_id.in_(members))
            .where((subs.c.lifetime_minor.is_not(None)) | (subs.c.last_charge_at.is_not(None)))
            .order_by(subs.c.id)
        ).all()  # fmt: skip
    tz = ledger.tz
    return [
        StatedFigures(
            channel,
            local_date(seen, tz) if seen else None,
            Money.from_minor(lifetime, currency) if lifetime is not None else None,
            local_date(charged, tz) if charged else None,
            status,
        )
        for channel, seen, lifetime, currency, charged, status in rows
    ]
