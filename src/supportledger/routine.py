"""The writer's month as a checklist: what is in, what is missing, what to do next.

Plain data, built on the statement (which imports reach the month's end, the rule its
INCOMPLETE banner uses) and the reconciliation (payouts, checks, royalties, fees); the
renderings are in :mod:`supportledger.render` and ``supportledger month`` only wires them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select

from supportledger.balances import RoyaltyOwed, Waiting
from supportledger.banklines import bank_lines
from supportledger.channels import Channel, all_channels
from supportledger.models import Receipt
from supportledger.money import Money
from supportledger.months import Month
from supportledger.reconcile import (
    Ambiguity,
    DepositItem,
    FeeDifference,
    PayoutItem,
    reconcile_month,
)
from supportledger.statement import BANK, BANK_LABEL, monthly_statement, reach, read_coverage

#: where a bank statement comes from, said once for every bank
BANK_HINT = "your bank's website: download the account's activity (CSV, or OFX/QFX)"


@dataclass(frozen=True)
class Source:
    """One place the month's data comes from: a channel in use, or the bank statement."""

    name: str  # a channel's name, or ``bank``
    label: str
    covered_to: dt.date | None  # the last day its imports reach; None: nothing yet
    complete: bool  # it reaches the month's end (a monthly report: the month's report)
    by_month: bool  # it reports whole months (royalty reports, Patreon's earnings)
    hint: str  # where the writer finds its export
    #: Zelle and checks have no export of their own: the bank statement is their record
    via_bank: bool = False
    #: it comes through an API (Stripe), not a downloaded file
    synced: bool = False


@dataclass(frozen=True)
class BankLineToDecide:
    id: int
    posted_on: dt.date
    amount: Money
    description: str


@dataclass(frozen=True)
class RoyaltyOverdue:
    owed: RoyaltyOwed
    #: a bank deposit from the channel of that very amount that no payout in the channel's
    #: files explains (KDP's royalty report lists sales, not payments): most likely this
    #: payment, which ``reconcile`` cannot tie to it
    deposit: DepositItem | None = None


@dataclass(frozen=True)
class Step:
    """A command the writer runs next, and why."""

    command: str
    why: str


@dataclass(frozen=True)
class MonthChecklist:
    month: Month
    timezone: str
    ended: bool  # the month is over in LEDGER_TIMEZONE
    closed: bool
    sources: tuple[Source, ...]  # channels in use, in the usual order, then the bank
    #: labels of the channels every statement shows that were never used: nothing to do
    unused: tuple[str, ...]
    to_decide: tuple[BankLineToDecide, ...]  # bank lines no rule recognised
    ambiguous_payouts: tuple[Ambiguity, ...]
    payouts_not_arrived: tuple[PayoutItem, ...]  # their window passed by the month's end
    deposits_without_payout: tuple[DepositItem, ...]  # not already beside a royalty overdue
    royalties_overdue: tuple[RoyaltyOverdue, ...]  # due by the month's end, not paid
    checks_not_deposited: tuple[Waiting, ...]  # and any money received, not yet banked
    fees_off_schedule: tuple[FeeDifference, ...]
    next_steps: tuple[Step, ...]

    @property
    def missing(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if not s.complete)


def _api_key_set(ledger, channel: Channel) -> bool:
    """Whether ``channel`` is read through an API and the writer set its key."""
    setting = channel.api_key_setting
    return bool(setting and getattr(ledger.settings, setting.lower(), None))


def _channels_in_use(ledger, reached, end: dt.datetime) -> list[Channel]:
    """Channels with an import reaching into the month or before it, a receipt before
    ``end`` (one look-up each, through the channel's index), or read through an API whose
    key is set: a writer without a Stripe key never syncs Stripe."""
    used = []
    with ledger.engine.connect() as connection:
        for channel in all_channels():
            if reached.get(channel.name) is not None or _api_key_set(ledger, channel):
                used.append(channel)
                continue
            found = connection.execute(
                select(Receipt.id)
                .where(Receipt.channel == channel.name, Receipt.occurred_at < end)
                .limit(1)
            ).first()
            if found:
                used.append(channel)
    return used


def _bank_lines_to_decide(ledger, month: Month) -> tuple[BankLineToDecide, ...]:
    """The month's bank lines nobody has decided: money in is not counted until then."""
    return tuple(
        BankLineToDecide(
            line["id"],
            line["posted_on"],
            Money.from_minor(line["amount_minor"], line["currency"]),
            line["description"],
        )
        for line in bank_lines(ledger, month, unclassified=True)
    )


def _sources(channels: list[Channel], reached, missing: set[str]) -> list[Source]:
    """Each channel in use, then the bank: complete when its imports reach the month's end
    by the statement's rule (Zelle and checks: when the bank statement does)."""

    def complete(name: str) -> bool:
        return reached.get(name) is not None and name not in missing

    sources = [
        Source(
            name=c.name,
            label=c.label,
            covered_to=reached.get(BANK if c.arrives_in_bank else c.name),
            complete=complete(BANK if c.arrives_in_bank else c.name),
            by_month=c.reports_by_month,
            hint=c.export_hint,
            via_bank=c.arrives_in_bank,
            synced=bool(c.api_key_setting),
        )
        for c in channels
    ]
    bank = Source(BANK, BANK_LABEL, reached.get(BANK), complete(BANK), False, BANK_HINT)
    return [*sources, bank]


def _royalties_overdue(rec) -> tuple[tuple[RoyaltyOverdue, ...], tuple[DepositItem, ...]]:
    """Royalty months due by the month's end and unpaid, each beside the deposit with no
    payout that most likely paid it; and the deposits with no payout left over."""
    left = list(rec.payouts.deposits_without_payout)
    overdue = []
    for owed in (r for r in rec.owed.royalties if r.due_in <= rec.month):
        deposit = next(
            (d for d in left if (d.channel, d.amount) == (owed.channel, owed.owed)), None
        )
        if deposit is not None:
            left.remove(deposit)
        overdue.append(RoyaltyOverdue(owed, deposit))
    return tuple(overdue), tuple(left)


def _next_steps(checklist: MonthChecklist) -> tuple[Step, ...]:
    """What to run, in the order a writer would: the missing files first, then the
    decisions only the writer can make, then statement, reconcile and close."""
    month, steps = checklist.month, []
    for source in checklist.missing:
        if source.via_bank:
            continue  # the bank statement's own step brings them
        if source.synced:
            steps.append(
                Step(f"supportledger sync {source.name}", f"bring {source.label} up to date")
            )
        else:
            steps.append(
                Step("supportledger import FILE", f"{source.label}: download from {source.hint}")
            )
    for x in checklist.to_decide:
        if x.amount.amount > 0:
            decision = "DECISION"
            what = "money in, not counted until you say: income:other counts it; else "
            what += "payout:CHANNEL, transfer or ignore"
        else:
            decision, what = "ignore", "money out, never income (or --as transfer)"
        steps.append(
            Step(
                f"supportledger bank classify {x.id} --as {decision}",
                f"{x.description} ({x.amount.plain()}): {what}",
            )
        )
    for a in checklist.ambiguous_payouts:
        ids = " or ".join(str(d.id) for d in a.candidates)
        steps.append(
            Step(
                f"supportledger match {a.payout.id} BANKLINE",
                f"{a.payout.channel} payout #{a.payout.id} is one of bank lines {ids}",
            )
        )
    for check in checklist.checks_not_deposited:
        steps.append(
            Step(
                f"supportledger check returned {check.receipt_id} --fee AMOUNT",
                f"only if {check.label} {check.check_number or '#' + str(check.receipt_id)} "
                "bounced; "
                "otherwise deposit it: the next bank file settles it",
            )
        )
    if checklist.closed:
        steps.append(Step(f"supportledger statement --month {month}", "the month as it was sent"))
        return tuple(steps)
    steps.append(
        Step(
            f"supportledger statement --month {month}",
            f"read the month (--format html -o statement-{month}.html: a page to open)",
        )
    )
    steps.append(Step(f"supportledger reconcile --month {month}", "prove it against the bank"))
    if checklist.ended and not checklist.missing and not checklist.ambiguous_payouts:
        steps.append(Step(f"supportledger close {month}", "freeze it once the statement is sent"))
    return tuple(steps)


def month_checklist(ledger, month: Month, today: dt.date | None = None) -> MonthChecklist:
    """The checklist of ``month``; reconciling it records the payout matches it finds."""
    tz = ledger.tz
    today = today or dt.datetime.now(tz).date()
    statement = monthly_statement(ledger, month)
    rec = reconcile_month(ledger, month)
    with ledger.engine.connect() as connection:
        reached = reach(read_coverage(connection), month, tz)
    channels = _channels_in_use(ledger, reached, month.bounds(tz)[1])
    missing = {gap.channel for gap in statement.missing_data}
    to_decide = _bank_lines_to_decide(ledger, month)
    royalties, deposits = _royalties_overdue(rec)
    used = {c.name for c in channels}
    checklist = MonthChecklist(
        month=month,
        timezone=statement.timezone,
        ended=today > month.last_day,
        closed=rec.state.closed,
        sources=tuple(_sources(channels, reached, missing)),
        unused=tuple(
            c.label for c in all_channels() if c.on_every_statement and c.name not in used
        ),
        to_decide=to_decide,
        ambiguous_payouts=rec.payouts.ambiguous,
        payouts_not_arrived=rec.payouts.payouts_without_deposit,
        deposits_without_payout=deposits,
        royalties_overdue=royalties,
        checks_not_deposited=rec.owed.waiting,
        fees_off_schedule=rec.fees,
        next_steps=(),
    )
    return replace(checklist, next_steps=_next_steps(checklist))
