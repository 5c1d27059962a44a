"""Where the money is at an instant, read from the journal: the one implementation of
balances and money owed that the statement, ``reconcile``, ``month`` and the e-mail share.

A balance is the sum of an account's postings before an instant: the monthly roll-up
(``journal_months``) for the whole months before it, the postings of its own month for the
rest, so a balance costs a few hundred rows however long the ledger's history.

Money owed to the writer at a month's end is, in the base currency:

- **royalties receivable**: what each royalty channel earned (``Assets:Receivable:<Channel>``)
  less what it paid, its payments settling the oldest royalty months first; a payment beyond
  what the ledger shows earned is a line of its own, never spread or hidden;
- **money not yet in the bank** (``Assets:Undeposited:<Channel>``): checks in hand, a Zelle
  payment typed in before the bank showed it, one line each; a difference between those
  lines and the account (a returned check the bank had credited) is shown as such;
- **what each channel holds** (``Assets:<Channel>``, per currency): the month's opening, its
  receipts, what was paid out, the rest (conversions, the writer's own money in and out),
  the closing balance, beside the last balance the channel's own export stated and the
  ledger's balance at that same instant;
- **money in transit** (``Assets:InTransit:<Channel>``): payouts sent that the bank has not
  shown yet (negative: a deposit the bank shows for a payout the ledger does not know).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, null, select, true

from supportledger.channels import get_channel
from supportledger.errors import LedgerError
from supportledger.journal import ACCOUNTS, MONTHS, POSTINGS, month_key
from supportledger.models import (
    AccountRole,
    BankLine,
    ChannelBalance,
    Event,
    Receipt,
    Status,
    Supporter,
)
from supportledger.money import Money, total
from supportledger.months import Month, local_date

BANK_LINES = BankLine.__table__
RECEIPTS = Receipt.__table__
STATED = ChannelBalance.__table__
SUPPORTERS = Supporter.__table__
#: receipt statuses whose money is waiting to reach the bank when not yet deposited
WAITING_STATUSES = ("pending", "completed", "deposited")
DEPOSITED = str(Status.DEPOSITED)


@dataclass(frozen=True)
class AccountInfo:
    id: int
    name: str
    role: AccountRole
    channel: str | None


@dataclass(frozen=True)
class Sum:
    """Postings summed: in the account's currency, and valued in the base currency."""

    amount: int = 0
    value: int = 0

    def __add__(self, other: Sum) -> Sum:
        return Sum(self.amount + other.amount, self.value + other.value)


def accounts(connection: Connection) -> dict[int, AccountInfo]:
    return {
        row.id: AccountInfo(row.id, row.name, AccountRole(row.role), row.channel)
        for row in connection.execute(select(ACCOUNTS))
    }


def _month(month: Month) -> int:
    return month.year * 100 + month.month


def balances_at(
    connection: Connection,
    tz: ZoneInfo,
    at: dt.datetime,
    roles: Iterable[AccountRole],
    *,
    inclusive: bool = False,
    cleared_only: bool = False,
) -> dict[tuple[int, str], Sum]:
    """Every account of ``roles`` summed before ``at`` (through ``at`` when ``inclusive``),
    per (account id, currency).

    The roll-up gives whole months; of ``at``'s own month only the postings between ``at``
    and the nearer end of the month are read (added to the months before, or taken off the
    months through it), through the index on the instant: none at a month's start, a few
    for a balance a channel stated near a month's end. The month's bounds in ``tz`` are the
    stored months' (:func:`~supportledger.journal.align_ledger` keeps them so)."""
    wanted = select(ACCOUNTS.c.id).where(ACCOUNTS.c.role.in_([str(r) for r in roles]))
    first, after = Month.of(at, tz).bounds(tz)
    early = at - first <= after - at
    months = select(
        MONTHS.c.account_id, MONTHS.c.currency, func.sum(MONTHS.c.amount_minor),
        func.sum(MONTHS.c.value_minor),
    ).where(
        MONTHS.c.month < month_key(at, tz) if early else MONTHS.c.month <= month_key(at, tz),
        MONTHS.c.account_id.in_(wanted),
    )  # fmt: skip
    if early:  # the postings from the month's start up to ``at``, added
        edge = POSTINGS.c.occurred_at <= at if inclusive else POSTINGS.c.occurred_at < at
        part, sign = (POSTINGS.c.occurred_at >= first, edge), 1
    else:  # the postings after ``at`` to the month's end, taken off
        edge = POSTINGS.c.occurred_at > at if inclusive else POSTINGS.c.occurred_at >= at
        part, sign = (edge, POSTINGS.c.occurred_at < after), -1
    postings = select(
        POSTINGS.c.account_id, POSTINGS.c.currency, func.sum(POSTINGS.c.amount_minor),
        func.sum(POSTINGS.c.value_minor),
    ).where(*part, POSTINGS.c.account_id.in_(wanted))  # fmt: skip
    if cleared_only:
        months = months.where(MONTHS.c.cleared.is_(True))
        postings = postings.where(POSTINGS.c.cleared.is_(True))
    found: dict[tuple[int, str], Sum] = defaultdict(Sum)
    reads = [(months, MONTHS, 1)]
    if at != first or inclusive:  # at a month's start the months before are the balance
        reads.append((postings, POSTINGS, sign))
    for query, table, factor in reads:
        for account, currency, amount, value in connection.execute(
            query.group_by(table.c.account_id, table.c.currency)
        ):
            found[(account, currency)] += Sum(factor * int(amount), factor * int(value))
    return dict(found)


# --------------------------------------------------------------------------- money owed


@dataclass(frozen=True)
class RoyaltyOwed:
    channel: str
    label: str
    earned_in: Month
    due_in: Month
    count: int  # sales earned in the month
    earned: Money
    owed: Money  # what is still unpaid of it; negative: paid beyond what the ledger shows


@dataclass(frozen=True)
class Waiting:
    """Money received that has not reached the bank: a check in hand, a Zelle payment typed
    in before the bank showed it."""

    receipt_id: int
    channel: str
    label: str
    received_on: dt.date
    age_days: int
    amount: Money
    check_number: str | None
    payer: str | None  # only when names may be shown


@dataclass(frozen=True)
class Holding:
    """What a channel holds in one currency over the month; amounts in that currency."""

    channel: str
    label: str
    currency: str
    opening: Money
    receipts: Money  # net of fees
    paid_out: Money
    other: Money  # conversions, the writer's own money in and out, an opening balance
    closing: Money
    value: Money  # the closing balance in the base currency
    stated: Money | None = None  # the last balance the channel's own export stated
    stated_at: dt.datetime | None = None
    ledger_at_stated: Money | None = None  # the ledger's balance at that instant
    difference: Money | None = None  # stated - ledger_at_stated


@dataclass(frozen=True)
class InTransit:
    channel: str
    label: str
    amount: Money  # in the base currency


@dataclass(frozen=True)
class Owed:
    """Money owed to the writer at a month's end, every figure read from the journal."""

    royalties: tuple[RoyaltyOwed, ...]
    royalties_total: Money
    waiting: tuple[Waiting, ...]
    #: checks in hand as the journal has them less the lines above: a check the bank
    #: credited and then returned (until its returned-item debit is classified), a deposit
    #: of checks no receipt accounts for
    waiting_unexplained: Money
    waiting_total: Money
    holdings: tuple[Holding, ...]
    holdings_total: Money
    in_transit: tuple[InTransit, ...]
    in_transit_total: Money
    total: Money


def _label(channel: str | None) -> str:
    if channel is None:
        return ""
    try:
        return get_channel(channel).label
    except LedgerError:
        return channel


def _royalties(
    connection: Connection, known: Mapping[int, AccountInfo], month: Month, base: str
) -> list[RoyaltyOwed]:
    """Each royalty channel's months, earned less paid, oldest paid first."""
    receivable = [a for a in known.values() if a.role is AccountRole.RECEIVABLE]
    if not receivable:
        return []
    rows = connection.execute(
        select(MONTHS.c.account_id, MONTHS.c.month, MONTHS.c.source, MONTHS.c.currency,
               func.sum(MONTHS.c.value_minor), func.sum(MONTHS.c.postings))
        .where(MONTHS.c.account_id.in_([a.id for a in receivable]))
        .where(MONTHS.c.month <= _month(month))
        .group_by(MONTHS.c.account_id, MONTHS.c.month, MONTHS.c.source, MONTHS.c.currency)
        .order_by(MONTHS.c.month)
    ).all()  # fmt: skip
    earned: dict[str, dict[int, list[int]]] = defaultdict(dict)
    paid: dict[str, int] = defaultdict(int)
    for account_id, key, source, _, value, count in rows:
        channel = known[account_id].channel
        if source == "receipt":
            line = earned[channel].setdefault(key, [0, 0])
            line[0] += int(value)
            line[1] += int(count)
        else:  # what left the receivable: payments (and a transfer, were there one)
            paid[channel] -= int(value)
    owed = []
    for channel in sorted(set(earned) | set(paid)):
        delay = dt.timedelta(days=get_channel(channel).royalty_paid_after_days)
        remaining = paid[channel]
        months = sorted(earned[channel].items())
        for key, (value, count) in months:
            if value < 0:  # more refunded than sold: it comes off what later months owe
                remaining -= value
                continue
            settled = min(max(remaining, 0), value)
            remaining -= settled
            left = value - settled
            if left:
                earned_in = Month(key // 100, key % 100)
                owed.append(
                    RoyaltyOwed(
                        channel, _label(channel), earned_in,
                        Month.of(earned_in.last_day + delay), count,
                        Money.from_minor(value, base), Money.from_minor(left, base),
                    )
                )  # fmt: skip
        if remaining:  # paid beyond every month the ledger has: from before it began
            owed.append(
                RoyaltyOwed(channel, _label(channel), month, month, 0, Money.zero(base),
                            Money.from_minor(-remaining, base))
            )  # fmt: skip
    return owed


def _match_window(channels: list[str]) -> dt.timedelta | None:
    """How far before a bank line a receipt it deposits can be: the longest of the channels'
    ``bank_match_days``, or no bound when a channel in the ledger is no longer declared."""
    try:
        return dt.timedelta(days=max(get_channel(c).bank_match_days for c in channels))
    except LedgerError:
        return None


def _waiting(
    connection: Connection, channels: list[str], month: Month, tz: ZoneInfo, show_names: bool
) -> list[Waiting]:
    """Receipts of money-to-the-bank channels received by the month's end and not yet seen
    deposited by then (no bank line posted on or before its last day).

    Read as open items, not from the start of history: a receipt not yet ``deposited`` (a
    check in hand) whenever received, and a deposited one only when received within its
    channel's ``bank_match_days`` of the month's end, since the writer links a bank line
    only to a receipt recorded that many days before it at most (one made from the bank
    line is dated on its day)."""
    if not channels:
        return []
    end, last = month.bounds(tz)[1], month.last_day
    deposited = select(BANK_LINES.c.id).where(
        BANK_LINES.c.receipt_id == RECEIPTS.c.id, BANK_LINES.c.posted_on <= last
    )
    window = _match_window(channels)
    open_items = [
        RECEIPTS.c.status.in_([s for s in WAITING_STATUSES if s != DEPOSITED]),
        (RECEIPTS.c.status == DEPOSITED)
        & (true() if window is None else RECEIPTS.c.occurred_at >= end - window),
    ]
    found = []
    for wanted in open_items:
        query = (
            select(
                RECEIPTS.c.occurred_at, RECEIPTS.c.id, RECEIPTS.c.channel, RECEIPTS.c.currency,
                RECEIPTS.c.net_minor, RECEIPTS.c.check_number,
                SUPPORTERS.c.display_name if show_names else null(),
            )
            .outerjoin(SUPPORTERS, SUPPORTERS.c.id == RECEIPTS.c.supporter_id)
            .where(RECEIPTS.c.channel.in_(channels), wanted, RECEIPTS.c.occurred_at < end)
            .where(~deposited.exists(), RECEIPTS.c.event == str(Event.PAYMENT))
            .where(RECEIPTS.c.net_minor != 0)
        )  # fmt: skip
        found += connection.execute(query).all()
    waiting = []
    for when, rid, channel, currency, net, number, who in sorted(found, key=lambda r: r[:2]):
        received = local_date(when, tz)
        amount = Money.from_minor(net, currency)
        waiting.append(
            Waiting(
                rid, channel, _label(channel), received, (last - received).days, amount,
                number, (who or "(unknown)") if show_names else None,
            )
        )  # fmt: skip
    return waiting


def _holdings(
    connection: Connection,
    known: Mapping[int, AccountInfo],
    month: Month,
    tz: ZoneInfo,
    base: str,
) -> list[Holding]:
    held = {a.id: a for a in known.values() if a.role is AccountRole.BALANCE}
    if not held:
        return []
    start, end = month.bounds(tz)
    opening = balances_at(connection, tz, start, [AccountRole.BALANCE], cleared_only=True)
    closing = balances_at(connection, tz, end, [AccountRole.BALANCE], cleared_only=True)
    moves: dict[tuple[int, str], dict[str, Sum]] = defaultdict(lambda: defaultdict(Sum))
    for account_id, currency, source, amount, value in connection.execute(
        select(MONTHS.c.account_id, MONTHS.c.currency, MONTHS.c.source,
               func.sum(MONTHS.c.amount_minor), func.sum(MONTHS.c.value_minor))
        .where(MONTHS.c.month == _month(month), MONTHS.c.cleared.is_(True))
        .where(MONTHS.c.account_id.in_(list(held)))
        .group_by(MONTHS.c.account_id, MONTHS.c.currency, MONTHS.c.source)
    ):  # fmt: skip
        moves[(account_id, currency)][source] += Sum(int(amount), int(value))
    lines = []
    for key in sorted({*opening, *closing, *moves}, key=lambda k: (held[k[0]].name, k[1])):
        account_id, currency = key
        account = held[account_id]

        def money(minor: int, currency: str = currency) -> Money:
            return Money.from_minor(minor, currency)

        moved = moves.get(key, {})
        receipts = moved.get("receipt", Sum()).amount
        paid_out = -moved.get("payout", Sum()).amount
        other = sum(s.amount for src, s in moved.items() if src not in ("receipt", "payout"))
        closed = closing.get(key, Sum())
        stated = _stated(connection, tz, account, currency, end)
        lines.append(
            Holding(
                account.channel, _label(account.channel), currency,
                money(opening.get(key, Sum()).amount), money(receipts), money(paid_out),
                money(other), money(closed.amount), Money.from_minor(closed.value, base),
                *stated,
            )
        )  # fmt: skip
    return lines


def _stated(connection, tz, account: AccountInfo, currency: str, end: dt.datetime) -> tuple:
    """The channel's own last statement of this balance before ``end``, the ledger's balance
    at that same instant, and their difference; nothing when it never stated one."""
    row = connection.execute(
        select(STATED.c.as_of, STATED.c.amount_minor)
        .where(STATED.c.channel == account.channel, STATED.c.currency == currency)
        .where(STATED.c.as_of < end)
        .order_by(STATED.c.as_of.desc(), STATED.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return (None, None, None, None)
    at, minor = row
    ledger = balances_at(connection, tz, at, [AccountRole.BALANCE], inclusive=True,
                         cleared_only=True).get((account.id, currency), Sum())  # fmt: skip
    stated = Money.from_minor(minor, currency)
    then = Money.from_minor(ledger.amount, currency)
    return (stated, at, then, stated - then)


def money_owed(connection: Connection, ledger, month: Month, *, show_names: bool) -> Owed:
    """Money owed to the writer at the end of ``month`` (see the module's docstring)."""
    tz, base = ledger.tz, ledger.currency
    known = accounts(connection)
    end = month.bounds(tz)[1]
    royalties = _royalties(connection, known, month, base)
    undeposited = balances_at(connection, tz, end, [AccountRole.UNDEPOSITED])
    bank_direct = sorted(
        {known[a].channel for a, _ in undeposited} | {
            a.channel for a in known.values() if a.role is AccountRole.UNDEPOSITED
        }
    )  # fmt: skip
    waiting = _waiting(connection, bank_direct, month, tz, show_names)
    waiting_value = total((_in_base(connection, w, base) for w in waiting), base)
    undeposited_total = Money.from_minor(sum(s.value for s in undeposited.values()), base)
    holdings = _holdings(connection, known, month, tz, base)
    transit = balances_at(connection, tz, end, [AccountRole.IN_TRANSIT])
    in_transit = [
        InTransit(known[a].channel, _label(known[a].channel), Money.from_minor(s.value, base))
        for (a, _), s in sorted(transit.items(), key=lambda kv: known[kv[0][0]].name)
        if s.value
    ]
    royalties_total = total((r.owed for r in royalties), base)
    holdings_total = total((h.value for h in holdings), base)
    in_transit_total = total((t.amount for t in in_transit), base)
    return Owed(
        royalties=tuple(royalties),
        royalties_total=royalties_total,
        waiting=tuple(waiting),
        waiting_unexplained=undeposited_total - waiting_value,
        waiting_total=undeposited_total,
        holdings=tuple(holdings),
        holdings_total=holdings_total,
        in_transit=tuple(in_transit),
        in_transit_total=in_transit_total,
        total=royalties_total + undeposited_total + holdings_total + in_transit_total,
    )


def _in_base(connection: Connection, waiting: Waiting, base: str) -> Money:
    """A waiting receipt's value in the base currency: its own postings say."""
    if waiting.amount.currency == base:
        return waiting.amount
    value = connection.execute(
        select(func.sum(POSTINGS.c.value_minor))
        .join(ACCOUNTS, ACCOUNTS.c.id == POSTINGS.c.account_id)
        .where(POSTINGS.c.source == "receipt", POSTINGS.c.source_id == waiting.receipt_id)
        .where(ACCOUNTS.c.role == str(AccountRole.UNDEPOSITED))
    ).scalar()
    return Money.from_minor(int(value or 0), base)
