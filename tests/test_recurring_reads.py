"""A month's recurring figures read only the subscriptions that can stand in it: one that
ended long before is left unread, yet its supporter is still known as a former one."""

from __future__ import annotations

import datetime as dt

from supportledger.intervals import MONTH
from supportledger.ledger import record_receipt
from supportledger.models import Kind
from supportledger.money import Money
from supportledger.months import Month
from supportledger.sources import ReceiptEntry, SupporterRef
from supportledger.statement import monthly_statement

PHOENIX = dt.timezone(dt.timedelta(hours=-7))


def subscribed(ledger, subscription: str, day: dt.date, who: str = "Rowan Vale") -> None:
    record_receipt(
        ledger,
        ReceiptEntry(
            "paypal", f"{subscription}-{day}", dt.datetime.combine(day, dt.time(9), PHOENIX),
            Money.of("10.00", "USD"), fee=Money.of("0.59", "USD"), kind=Kind.RECURRING,
            subscription=subscription, interval=MONTH, supporter=SupporterRef(name=who),
        ),
    )  # fmt: skip


def test_a_supporter_back_long_after_an_ended_subscription_is_a_reactivation(ledger):
    for month in (1, 2, 3):  # paid from January to March 2025, then nothing
        subscribed(ledger, "I-OLD", dt.date(2025, month, 4))
    subscribed(ledger, "I-NEW", dt.date(2026, 10, 6))  # back, with a new subscription
    subscribed(ledger, "I-SKY", dt.date(2026, 10, 8), "Sky Moss")  # never seen before
    recurring = monthly_statement(ledger, Month(2026, 10)).recurring
    moves = recurring.movements
    assert (moves.start, moves.new, moves.reactivation, moves.end) == (
        Money.of("0.00", "USD"), Money.of("10.00", "USD"), Money.of("10.00", "USD"),
        Money.of("20.00", "USD"),
    )  # fmt: skip
    assert (recurring.new, recurring.active, recurring.cancelled) == (2, 2, 0)
