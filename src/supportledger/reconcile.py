"""Reconciling a month: proving that what each channel says came in, less its fees, is what
reached the bank, and that nothing was counted twice.

:func:`reconcile_month` computes a :class:`Reconciliation` (plain data); :func:`render_text`
and :func:`reconciliation_data` lay it out. It reports, for one month in LEDGER_TIMEZONE:

- **payouts and bank deposits**: each channel payout (``payouts``) against the bank line
  that received it (``bank_lines`` classified ``payout``, counterparty = channel): the same
  currency, the amount less the payout's fee, posted within the channel's
  ``payout_lag_days`` of the day the channel sent it. A pair that can only be each other is
  recorded (``bank_lines.payout_id``), so the report reads the same tomorrow; several
  candidates are left for the writer (``supportledger match``);
- **channel balances**: opening + net receipts − payouts = closing, for every channel that
  holds money until a payout, beside the balance the channel's own export stated (the last
  one in the month), with the difference from the ledger at that same instant;
- **fees that differ from the schedule** by more than a cent, with a likely cause;
- **money owed**: checks not deposited at the month's end, checks returned unpaid (with the
  bank's returned-item fee), and royalties earned but not yet paid, with the month due;
- adjustments booked in the month because the month they belong to was closed.

Everything but the recorded matches is read as of the month's end, so the report of a
past month does not drift as later months are imported.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, select, update

from supportledger.balances import Owed, money_owed
from supportledger.channels import all_channels, get_channel
from supportledger.closing import latest_close, month_digest
from supportledger.db import writing
from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule, ScheduleError
from supportledger.journal import BANK, FAILED_PAYOUTS, Journal, align_ledger
from supportledger.models import (
    COUNTED_STATUSES,
    BankLine,
    Event,
    Payout,
    Receipt,
    Status,
    utcnow,
)
from supportledger.money import Money
from supportledger.months import Month, local_date

if TYPE_CHECKING:
    from supportledger.ledger import Ledger

#: a fee further than this from the schedule's (in minor units) is reported
FEE_TOLERANCE_MINOR = 1
#: a schedule change this close to a receipt's date may be why its fee differs
SCHEDULE_CHANGE_NEAR = dt.timedelta(days=45)
#: a gross under this may have been charged a micropayment rate
MICROPAYMENT_GROSS = Decimal("10.00")
#: the bank lines that are money arriving from a channel's balance
PAYOUT_LINE = "payout"


# --------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class PayoutItem:
    id: int
    channel: str
    external_id: str
    sent_on: dt.date
    amount: Money  # what left the channel
    fee: Money  # the channel's payout fee, taken out of it
    window: tuple[dt.date, dt.date]  # the days the bank may post it

    DERIVED = ("expected_deposit", "currency")

    @property
    def expected_deposit(self) -> Money:
        return self.amount - self.fee

    @property
    def currency(self) -> str:
        return self.amount.currency


@dataclass(frozen=True)
class DepositItem:
    id: int
    account: str
    posted_on: dt.date
    amount: Money
    channel: str | None
    description: str

    DERIVED = ("currency",)

    @property
    def currency(self) -> str:
        return self.amount.currency


@dataclass(frozen=True)
class PayoutMatch:
    payout: PayoutItem
    deposit: DepositItem


@dataclass(frozen=True)
class Ambiguity:
    payout: PayoutItem
    candidates: tuple[DepositItem, ...]


@dataclass(frozen=True)
class PayoutReport:
    matched: tuple[PayoutMatch, ...]  # deposits posted in the month, with their payout
    ambiguous: tuple[Ambiguity, ...]
    deposits_without_payout: tuple[DepositItem, ...]
    payouts_without_deposit: tuple[PayoutItem, ...]  # their window ended by the month's end
    in_transit: tuple[PayoutItem, ...]  # sent, and still inside their window at month end


@dataclass(frozen=True)
class FeeDifference:
    receipt_id: int
    channel: str
    on: dt.date
    external_id: str
    gross: Money
    expected: Money
    actual: Money
    cause: str

    DERIVED = ("difference",)

    @property
    def difference(self) -> Money:
        return self.actual - self.expected


@dataclass(frozen=True)
class ReturnedCheck:
    receipt_id: int
    check_number: str | None
    received_on: dt.date
    returned_on: dt.date
    amount: Money
    fee: Money  # the bank's returned-item fee


@dataclass(frozen=True)
class AdjustmentItem:
    receipt_id: int
    channel: str
    adjusts_month: str
    adjusts_receipt_id: int | None  # None: a late entry, not a change to a receipt
    event: str
    gross: Money
    fee: Money
    net: Money
    description: str


@dataclass(frozen=True)
class MonthState:
    closed: bool
    closed_at: dt.datetime | None = None
    reopened_at: dt.datetime | None = None
    reopen_reason: str | None = None
    #: closed: are the month's receipts still what they were when it was closed?
    unchanged_since_close: bool | None = None


@dataclass(frozen=True)
class Reconciliation:
    month: Month
    timezone: str
    currency: str
    state: MonthState
    payouts: PayoutReport
    #: money owed at the month's end: the statement's own figures (:mod:`supportledger.balances`)
    owed: Owed
    fees: tuple[FeeDifference, ...]  # by channel, then date
    returned_checks: tuple[ReturnedCheck, ...]
    adjustments: tuple[AdjustmentItem, ...]


# --------------------------------------------------------------------------- payouts
def _payout_item(row, tz) -> PayoutItem:
    sent_on = local_date(row.initiated_at, tz)
    low, high = get_channel(row.channel).payout_lag_days
    return PayoutItem(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        sent_on=sent_on,
        amount=Money.from_minor(row.amount_minor, row.currency),
        fee=Money.from_minor(row.fee_minor, row.currency),
        window=(sent_on + dt.timedelta(days=low), sent_on + dt.timedelta(days=high)),
    )


def _deposit_item(row) -> DepositItem:
    return DepositItem(
        id=row.id,
        account=row.account,
        posted_on=row.posted_on,
        amount=Money.from_minor(row.amount_minor, row.currency),
        channel=row.counterparty,
        description=row.description,
    )


def _fits(payout: PayoutItem, deposit: DepositItem) -> bool:
    return (
        deposit.channel == payout.channel
        and deposit.amount == payout.expected_deposit
        and payout.window[0] <= deposit.posted_on <= payout.window[1]
    )


def settle_matches(connection: Connection, tz) -> dict[int, tuple[DepositItem, ...]]:
    """Record every payout whose only candidate deposit has no other candidate payout;
    return the candidates of the payouts still unmatched (ledger-wide, not per month)."""
    payouts = [
        _payout_item(row, tz)
        for row in connection.execute(
            select(Payout)
            .where(Payout.status.not_in(FAILED_PAYOUTS))
            .where(
                Payout.id.not_in(select(BankLine.payout_id).where(BankLine.payout_id.is_not(None)))
            )
        )
    ]
    free = defaultdict(list)
    for row in connection.execute(
        select(BankLine)
        .where(
            BankLine.classification == PAYOUT_LINE,
            BankLine.payout_id.is_(None),
            BankLine.counterparty.is_not(None),
        )
        .order_by(BankLine.posted_on, BankLine.id)
    ):
        deposit = _deposit_item(row)
        free[(deposit.channel, deposit.amount)].append(deposit)
    candidates = {
        p.id: tuple(d for d in free[(p.channel, p.expected_deposit)] if _fits(p, d))
        for p in payouts
    }
    claims = defaultdict(int)
    for found in candidates.values():
        for deposit in found:
            claims[deposit.id] += 1
    settled = [
        {"b_line": found[0].id, "b_payout": payout_id}
        for payout_id, found in candidates.items()
        if len(found) == 1 and claims[found[0].id] == 1
    ]
    if settled:
        connection.execute(
            update(BankLine.__table__)
            .where(BankLine.__table__.c.id == bindparam("b_line"))
            .values(payout_id=bindparam("b_payout"), matched_at=utcnow()),
            settled,
        )
    done = {s["b_payout"] for s in settled}
    return {pid: found for pid, found in candidates.items() if found and pid not in done}


def _payout_report(
    connection: Connection, month: Month, tz, ambiguous: dict[int, tuple[DepositItem, ...]]
) -> PayoutReport:
    first, last = month.first_day, month.last_day
    end = month.bounds(tz)[1]
    lines = connection.execute(
        select(BankLine)
        .where(BankLine.payout_id.is_not(None), BankLine.posted_on.between(first, last))
        .order_by(BankLine.posted_on, BankLine.id)
    ).all()
    paid = {
        p.id: _payout_item(p, tz)
        for p in connection.execute(
            select(Payout).where(Payout.id.in_({line.payout_id for line in lines}))
        )
    }
    matched = tuple(PayoutMatch(paid[line.payout_id], _deposit_item(line)) for line in lines)
    candidate_ids = {d.id for found in ambiguous.values() for d in found}
    without_payout = tuple(
        _deposit_item(b)
        for b in connection.execute(
            select(BankLine)
            .where(BankLine.classification == PAYOUT_LINE, BankLine.payout_id.is_(None))
            .where(BankLine.posted_on.between(first, last))
            .order_by(BankLine.posted_on, BankLine.id)
        )
        if b.id not in candidate_ids
    )
    arrived_by_end = select(BankLine.id).where(  # each payout's own line, by its index
        BankLine.payout_id == Payout.id, BankLine.posted_on <= last
    )
    open_payouts = [
        _payout_item(p, tz)
        for p in connection.execute(
            select(Payout)
            .where(Payout.status.not_in(FAILED_PAYOUTS), Payout.initiated_at < end)
            .where(~arrived_by_end.exists())
            .order_by(Payout.initiated_at, Payout.id)
        )
    ]
    unsettled = tuple(
        Ambiguity(p, ambiguous[p.id])
        for p in open_payouts
        if p.id in ambiguous and p.window[1] >= first
    )
    waiting = [p for p in open_payouts if p.id not in ambiguous]
    return PayoutReport(
        matched=matched,
        ambiguous=unsettled,
        deposits_without_payout=without_payout,
        payouts_without_deposit=tuple(p for p in waiting if p.window[1] <= last),
        in_transit=tuple(p for p in waiting if p.window[1] > last),
    )


def match_payout(ledger: Ledger, payout_id: int, bank_line_id: int) -> tuple[Payout, BankLine]:
    """Record by hand that bank line ``bank_line_id`` is payout ``payout_id`` arriving.

    Refused unless the currencies agree and the line is the payout less its fee, and
    neither is matched to something else already.
    """
    with writing(ledger.engine) as (connection, _):
        payout, line = _pair(connection, payout_id, bank_line_id)
        if line.payout_id == payout.id:
            raise LedgerError(f"bank line #{line.id} is already matched to payout #{payout.id}")
        if line.payout_id is not None:
            raise LedgerError(
                f"bank line #{line.id} is matched to payout #{line.payout_id}; "
                f"undo that first (supportledger match {line.payout_id} {line.id} --undo)"
            )
        taken = connection.execute(
            select(BankLine.id).where(BankLine.payout_id == payout.id)
        ).scalar()
        if taken is not None:
            raise LedgerError(f"payout #{payout.id} is already matched to bank line #{taken}")
        item, deposit = _payout_item(payout, ledger.tz), _deposit_item(line)
        if deposit.amount.currency != item.amount.currency:
            raise LedgerError(
                f"bank line #{line.id} is in {deposit.amount.currency}, "
                f"payout #{payout.id} in {item.amount.currency}"
            )
        if deposit.amount != item.expected_deposit:
            raise LedgerError(
                f"bank line #{line.id} is {deposit.amount}, but payout #{payout.id} should "
                f"arrive as {item.expected_deposit} ({item.amount} less fee {item.fee})"
            )
        connection.execute(
            update(BankLine.__table__)
            .where(BankLine.__table__.c.id == line.id)
            .values(
                payout_id=payout.id,
                classification=PAYOUT_LINE,
                counterparty=payout.channel,
                matched_at=utcnow(),
            )
        )
        journal = Journal.of(connection, ledger)
        journal.touch(BANK, [line.id])
        journal.sync()
        connection.commit()
    return payout, line


def unmatch_payout(ledger: Ledger, payout_id: int, bank_line_id: int) -> None:
    """Undo a match (made by hand or by ``reconcile``)."""
    with writing(ledger.engine) as (connection, _):
        payout, line = _pair(connection, payout_id, bank_line_id)
        if line.payout_id != payout.id:
            raise LedgerError(f"bank line #{line.id} is not matched to payout #{payout.id}")
        connection.execute(
            update(BankLine.__table__)
            .where(BankLine.__table__.c.id == line.id)
            .values(payout_id=None, matched_at=None)
        )
        connection.commit()


def _pair(connection: Connection, payout_id: int, bank_line_id: int):
    payout = connection.execute(select(Payout).where(Payout.id == payout_id)).first()
    if payout is None:
        raise LedgerError(f"no payout #{payout_id} (see `supportledger reconcile`)")
    line = connection.execute(select(BankLine).where(BankLine.id == bank_line_id)).first()
    if line is None:
        raise LedgerError(f"no bank line #{bank_line_id} (see `supportledger reconcile`)")
    return payout, line


# --------------------------------------------------------------------------- fees
def likely_cause(
    schedule: FeeSchedule,
    channel: str,
    on: dt.date,
    gross: Money,
    actual: Money,
    flags: frozenset[str],
    converted: bool,
) -> str:
    """Why a fee may differ from the schedule's, most specific reason first."""
    if "international" in flags:
        return "international card"
    if "conversion" in flags or converted:
        return "currency conversion"

    def predicts(rule) -> bool:
        try:
            fee = rule.fee(gross, flags)
        except ScheduleError:  # it needs amounts a receipt does not keep (KDP delivery)
            return False
        return fee is not None and abs(fee.minor - actual.minor) <= FEE_TOLERANCE_MINOR

    default = schedule.defaults.get(channel)
    plans = []
    for plan in schedule.plans(channel):
        try:
            if plan != default and predicts(schedule.rule(channel, on, plan)):
                plans.append(plan)
        except ScheduleError:  # that plan did not exist yet
            continue
    if plans:
        return "micropayment rate" if "micropayment" in plans else f"{'/'.join(plans)} plan rate"
    in_force = set()
    for day in (on - SCHEDULE_CHANGE_NEAR, on, on + SCHEDULE_CHANGE_NEAR):
        try:
            in_force.add(schedule.rule(channel, day).effective_from)
        except ScheduleError:
            continue
    if len(in_force) > 1:
        return "schedule out of date?"
    if abs(gross.amount) < MICROPAYMENT_GROSS:
        return "micropayment-sized payment"
    return "unexplained"


def _fee_differences(
    connection: Connection, month: Month, tz, schedule: FeeSchedule
) -> tuple[FeeDifference, ...]:
    start, end = month.bounds(tz)
    rows = connection.execute(
        select(Receipt)
        .where(Receipt.occurred_at >= start, Receipt.occurred_at < end)
        .where(Receipt.status.in_(COUNTED_STATUSES), Receipt.expected_fee_minor.is_not(None))
        .where(func.abs(Receipt.fee_minor - Receipt.expected_fee_minor) > FEE_TOLERANCE_MINOR)
        .order_by(Receipt.channel, Receipt.occurred_at, Receipt.id)
    )
    found = []
    causes: dict[tuple, str] = {}  # a month's differences repeat: each cause worked out once
    for r in rows:
        on = local_date(r.occurred_at, tz)
        gross = Money.from_minor(r.gross_minor, r.currency)
        actual = Money.from_minor(r.fee_minor, r.currency)
        flags = frozenset(filter(None, r.flags.split(",")))
        converted = r.original_currency not in (None, r.currency)
        asked = (r.channel, on, gross, actual, flags, converted)
        if asked not in causes:
            causes[asked] = likely_cause(schedule, *asked)
        cause = causes[asked]
        expected = Money.from_minor(r.expected_fee_minor, r.currency)
        found.append(
            FeeDifference(r.id, r.channel, on, r.external_id, gross, expected, actual, cause)
        )
    return tuple(found)


# --------------------------------------------------------------------------- money owed
def _returned_checks(connection: Connection, month: Month, tz) -> tuple[ReturnedCheck, ...]:
    """Checks the payer's bank refused, known by the month's end, with the bank's fee: read
    from the receipts that reverse another (``reverses_id > 0``, which SQLite reads through
    its index where ``IS NOT NULL`` scans), not from every receipt before the month's end."""
    end = month.bounds(tz)[1]
    fee = Receipt.__table__.alias("fee")
    checks = Receipt.__table__
    rows = connection.execute(
        select(checks.c.id, checks.c.check_number, checks.c.occurred_at, checks.c.currency,
               checks.c.gross_minor, fee.c.occurred_at, fee.c.fee_minor, fee.c.currency)
        .join(fee, fee.c.reverses_id == checks.c.id)
        .where(fee.c.reverses_id > 0, fee.c.event == Event.FEE, fee.c.occurred_at < end)
        .where(checks.c.event == Event.PAYMENT, checks.c.channel.in_(_channels_held_in_hand()))
        .order_by(checks.c.occurred_at, checks.c.id)
    )  # fmt: skip
    return tuple(
        ReturnedCheck(
            rid, number, local_date(received, tz), local_date(back, tz),
            Money.from_minor(gross, currency), Money.from_minor(charged, fee_currency),
        )
        for rid, number, received, currency, gross, back, charged, fee_currency in rows
    )  # fmt: skip


def _channels_held_in_hand() -> list[str]:
    """The channels a payment can come back unpaid from: a PayPal dispute fee also reverses
    a payment, and is no returned check."""
    return [channel.name for channel in all_channels() if channel.receipts_start_pending]


def _held_in_hand(channel: str) -> bool:
    """Whether ``channel``'s payments are held in hand until the bank deposits them (a mailed
    check), so one can come back unpaid."""
    return channel in _channels_held_in_hand()


def record_returned_check(
    ledger: Ledger, receipt_id: int, fee: Money, returned_at: dt.datetime
) -> int:
    """A check the payer's bank refused: it stops counting (status ``returned``; in a
    closed month, an adjustment in the first open one) and the bank's returned-item fee is
    booked as a ``fee`` receipt on the day it came back, pointing at the check.

    Both in one transaction, through the import writer. Returns the fee receipt's id.
    """
    from supportledger.imports import FileReport, _Writer, change_receipt
    from supportledger.sources import ReceiptEntry

    with writing(ledger.engine) as (connection, session):
        check = (
            connection.execute(select(Receipt.__table__).where(Receipt.id == receipt_id))
            .mappings()
            .first()
        )
        if check is None or check["event"] != Event.PAYMENT or not _held_in_hand(check["channel"]):
            raise LedgerError(
                f"receipt #{receipt_id} is not a check (see `supportledger receipts`)"
            )
        if (
            check["status"] == Status.RETURNED
            or connection.execute(
                select(Receipt.id).where(
                    Receipt.reverses_id == receipt_id, Receipt.event == Event.FEE
                )
            ).first()
        ):
            raise LedgerError(f"check #{receipt_id} is already recorded as returned")
        if fee.currency != check["currency"] or fee.amount < 0:
            raise LedgerError(f"--fee: expected an amount of at least 0 in {check['currency']}")
        if returned_at < check["occurred_at"]:
            raise LedgerError(f"--date: check #{receipt_id} was received after that")
        external_id = f"{check['external_id']}:returned"
        writer = _Writer(
            ledger, connection, session, FileReport("check returned", "manual"), batch_id=None
        )
        number = check["check_number"] or "(no number)"
        writer.write(
            [
                ReceiptEntry(
                    channel=check["channel"],
                    external_id=external_id,
                    occurred_at=returned_at,
                    gross=Money.zero(fee.currency),
                    fee=fee,
                    event=Event.FEE,
                    reverses=check["external_id"],
                    check_number=check["check_number"],
                    description=f"check {number} returned unpaid: the bank's returned-item fee",
                )
            ]
        )
        change_receipt(connection, check, {"status": str(Status.RETURNED)})
        key = (check["channel"], external_id)
        fee_id = writer.receipt_ids([key])[key]
        writer.journal.sync()
        session.close()
        connection.commit()
    return fee_id


# --------------------------------------------------------------------------- closed months
def _adjustments(connection: Connection, month: Month, tz) -> tuple[AdjustmentItem, ...]:
    start, end = month.bounds(tz)
    return tuple(
        AdjustmentItem(
            r.id,
            r.channel,
            r.adjusts_month,
            r.reverses_id if r.event == Event.ADJUSTMENT else None,
            r.event,
            Money.from_minor(r.gross_minor, r.currency),
            Money.from_minor(r.fee_minor, r.currency),
            Money.from_minor(r.net_minor, r.currency),
            r.description,
        )
        for r in connection.execute(
            select(Receipt)
            .where(Receipt.occurred_at >= start, Receipt.occurred_at < end)
            .where(Receipt.adjusts_month.is_not(None))
            .order_by(Receipt.occurred_at, Receipt.id)
        )
    )


def _state(connection: Connection, month: Month, tz) -> MonthState:
    close = latest_close(connection, month)
    if close is None:
        return MonthState(closed=False)
    closed = close["reopened_at"] is None
    unchanged = month_digest(connection, month, tz)[0] == close["digest"] if closed else None
    return MonthState(
        closed, close["closed_at"], close["reopened_at"], close["reopen_reason"], unchanged
    )


# --------------------------------------------------------------------------- the whole
def reconcile_month(ledger: Ledger, month: Month) -> Reconciliation:
    """Reconcile ``month``; unambiguous payout matches found on the way are recorded."""
    tz = ledger.tz
    align_ledger(ledger)
    with ledger.engine.begin() as connection:
        ambiguous = settle_matches(connection, tz)
        show_names = ledger.settings.show_supporter_names
        return Reconciliation(
            month=month,
            timezone=ledger.settings.timezone_name,
            currency=ledger.currency,
            state=_state(connection, month, tz),
            payouts=_payout_report(connection, month, tz, ambiguous),
            owed=money_owed(connection, ledger, month, show_names=show_names),
            fees=_fee_differences(connection, month, tz, ledger.schedule),
            returned_checks=_returned_checks(connection, month, tz),
            adjustments=_adjustments(connection, month, tz),
        )


# --------------------------------------------------------------------------- rendering
def _plain(value):
    if isinstance(value, Money):
        return value.plain()
    if isinstance(value, Month):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if is_dataclass(value):
        names = [f.name for f in fields(value)] + list(getattr(value, "DERIVED", ()))
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def reconciliation_data(rec: Reconciliation) -> dict:
    """The reconciliation as JSON-ready data, written as the statement's JSON is: amounts as
    "12.34" in ``currency`` (an item in another currency says which), dates ISO."""
    return _plain(rec)


def _signed(money: Money) -> str:
    return ("+" if money.amount > 0 else "") + str(money)


def _payout_text(p: PayoutItem) -> str:
    fee = f" - fee {p.fee.plain()}" if p.fee else ""
    return f"payout #{p.id} {p.channel} {p.external_id} sent {p.sent_on} {p.amount}{fee}"


def _deposit_text(d: DepositItem) -> str:
    return f"bank #{d.id} {d.posted_on} {d.amount} ({d.channel or 'channel unknown'})"


def _section(title: str, lines: Iterable[str], empty: str = "none") -> list[str]:
    lines = list(lines)
    return [title, *(f"  {line}" for line in lines)] if lines else [f"{title}: {empty}"]


def render_text(rec: Reconciliation) -> str:
    """The reconciliation as plain text, one fact a line."""
    state = rec.state
    if state.closed:
        fingerprint = "unchanged since" if state.unchanged_since_close else "CHANGED since"
        status = f"closed {state.closed_at:%Y-%m-%d %H:%M} UTC; receipts {fingerprint}"
    elif state.reopened_at is not None:
        status = f"open (reopened {state.reopened_at:%Y-%m-%d %H:%M} UTC: {state.reopen_reason})"
    else:
        status = "open"
    tz = ZoneInfo(rec.timezone)
    out = [f"Reconciliation of {rec.month} ({rec.timezone}): {status}", ""]
    p = rec.payouts
    out.append("Payouts and bank deposits")
    out += _section(
        " matched",
        (f"{_payout_text(m.payout)} -> {_deposit_text(m.deposit)}" for m in p.matched),
    )
    out += _section(
        " ambiguous (settle with: supportledger match PAYOUT BANKLINE)",
        (
            f"{_payout_text(a.payout)} -> one of "
            + ", ".join(_deposit_text(d) for d in a.candidates)
            for a in p.ambiguous
        ),
    )
    out += _section(" bank deposits with no payout", map(_deposit_text, p.deposits_without_payout))
    out += _section(
        " payouts with no deposit",
        (
            f"{_payout_text(x)}: {x.expected_deposit} expected by {x.window[1]}"
            for x in p.payouts_without_deposit
        ),
    )
    out += _section(
        " in transit at month end",
        (f"{_payout_text(x)}: expected by {x.window[1]}" for x in p.in_transit),
    )
    out.append("")
    o = rec.owed
    balance_lines = []
    for b in o.holdings:
        balance_lines.append(
            f"{b.channel} {b.currency}: opening {b.opening.plain()} + receipts "
            f"{b.receipts.plain()} - payouts {b.paid_out.plain()} + other {b.other.plain()} "
            f"= closing {b.closing}"
        )
        if b.stated is None:
            balance_lines.append("  the channel states no balance")
        else:
            balance_lines.append(
                f"  stated {b.stated.plain()} at {b.stated_at.astimezone(tz):%Y-%m-%d %H:%M}, "
                f"ledger then {b.ledger_at_stated.plain()}: difference {_signed(b.difference)}"
            )
    out += _section("Channel balances", balance_lines)
    out.append("")
    fee_lines = []
    for channel in dict.fromkeys(f.channel for f in rec.fees):
        fee_lines.append(f"{channel}:")
        fee_lines += [
            f"  {f.on} #{f.receipt_id} {f.external_id} gross {f.gross.plain()}: "
            f"expected {f.expected.plain()}, charged {f.actual.plain()} "
            f"({_signed(f.difference)}): {f.cause}"
            for f in rec.fees
            if f.channel == channel
        ]
    out += _section("Fees that differ from the schedule", fee_lines)
    out.append("")
    out.append(f"Money owed: {o.total} (as on the statement)")
    out += _section(
        " received, not yet in the bank",
        [
            *(
                f"{c.label} {c.check_number or '(no number)'} #{c.receipt_id} received "
                f"{c.received_on} {c.amount}, {c.age_days} days"
                for c in o.waiting
            ),
            *([f"deposits or returns no line above explains: {o.waiting_unexplained}"]
              if o.waiting_unexplained else []),
        ],
    )  # fmt: skip
    out += _section(
        " checks returned unpaid",
        (
            f"check {c.check_number or '(no number)'} #{c.receipt_id} received {c.received_on} "
            f"{c.amount}, returned {c.returned_on}, returned-item fee {c.fee}"
            for c in rec.returned_checks
        ),
    )
    out += _section(
        " royalties earned, not yet paid",
        (
            f"{r.channel} {r.earned_in}: {r.owed} of {r.earned}, due {r.due_in}"
            if r.earned
            else f"{r.channel}: {r.owed} paid beyond the royalties the ledger shows earned"
            for r in o.royalties
        ),
    )
    out += _section(" held by the channels", (f"{b.channel}: {b.value}" for b in o.holdings))
    out += _section(
        " payouts on their way to the bank", (f"{t.channel}: {t.amount}" for t in o.in_transit)
    )
    out.append("")
    out += _section(
        "Adjustments to closed months",
        (
            f"#{a.receipt_id} {a.channel} for {a.adjusts_month}: gross {_signed(a.gross)}, "
            f"fee {_signed(a.fee)}, net {_signed(a.net)} ({a.description})"
            for a in rec.adjustments
        ),
    )
    return "\n".join(_fit(out)) + "\n"


def _fit(lines: Iterable[str]) -> Iterator[str]:
    """Each line in 80 columns, broken between words and continued under itself."""
    from supportledger.render import wrap

    for line in lines:
        text = line.lstrip()
        indent = line[: len(line) - len(text)]
        yield from wrap(text, indent, indent + "    ")
