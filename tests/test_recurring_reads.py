"""A month's recurring figures read only the subscriptions that can stand in it: one that
ended long before is left unread, yet its supporter is still known as a former one. Merges
and names are read for the supporters those need only, their roots included."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from supportledger.imports import import_paths
from supportledger.intervals import MONTH
from supportledger.ledger import record_receipt
from supportledger.models import Kind, Supporter
from supportledger.money import Money
from supportledger.months import Month, parse_instant
from supportledger.recurring import recurring_status
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


def merged(ledger, absorbed: str, keeper: str) -> int:
    """``absorbed`` turns out to be ``keeper`` (names); the keeper's id."""
    supporters = Supporter.__table__
    with ledger.engine.begin() as connection:
        ids = dict(connection.execute(select(supporters.c.display_name, supporters.c.id)).all())
        connection.execute(
            update(supporters)
            .where(supporters.c.id == ids[absorbed])
            .values(merged_into_id=ids[keeper])
        )
    return ids[keeper]


def test_a_commitment_stands_under_the_supporter_it_was_merged_into(ledger):
    subscribed(ledger, "I-ROW", dt.date(2026, 10, 4))
    record_receipt(  # the keeper never subscribed: only the merge brings them in
        ledger,
        ReceiptEntry(
            "paypal", "gift-1", dt.datetime(2026, 9, 2, 9, tzinfo=PHOENIX),
            Money.of("25.00", "USD"), kind=Kind.ONE_TIME, supporter=SupporterRef(name="R. Vale"),
        ),
    )  # fmt: skip
    keeper = merged(ledger, "Rowan Vale", "R. Vale")
    standing = recurring_status(ledger, dt.date(2026, 10, 31))
    assert [(r.display_name, r.supporter_id) for r in standing] == [("R. Vale", keeper)]


def test_a_former_supporter_is_known_through_a_merge(ledger):
    for month in (1, 2, 3):  # Rowan Vale paid from January to March 2025, then nothing
        subscribed(ledger, "I-OLD", dt.date(2025, month, 4))
    subscribed(ledger, "I-NEW", dt.date(2026, 10, 6), "R. Vale")  # the same person, back
    merged(ledger, "Rowan Vale", "R. Vale")
    moves = monthly_statement(ledger, Month(2026, 10)).recurring.movements
    assert (moves.new, moves.reactivation) == (Money.of("0.00", "USD"), Money.of("10.00", "USD"))


PATREON_HEADER = (
    "Name,Email,Patron Status,Lifetime Amount,Pledge Amount,Charge Frequency,Tier,"
    "Patronage Since Date,Last Charge Date,Last Charge Status,User ID,Last Updated,Currency\n"
)


def test_a_patron_read_long_ago_still_stands_where_the_export_said(ledger, tmp_path):
    """Patreon does not itemise a patron's payments: one described only in an export of
    two years before is still read, and counted, as the export left them."""
    path = tmp_path / "Members_20240305.csv"
    path.write_text(
        PATREON_HEADER + "Avery Quinn,avery@example.org,Active patron,$15.00,$5.00,monthly,"
        "Reader,2024-01-01 07:00:00,2024-03-01 07:00:00,Paid,70001,2024-03-01 07:05:00,USD\n",
        encoding="utf-8",
    )
    import_paths(ledger, [path])
    subscribed(ledger, "I-NEW", dt.date(2026, 10, 6))
    recurring = monthly_statement(ledger, Month(2026, 10)).recurring
    assert (recurring.active, recurring.new) == (2, 1)
    assert recurring.mrr_gross == Money.of("15.00", "USD")


def zelle(ledger, day: str, amount: str, who: str = "Kai Brenner") -> None:
    record_receipt(
        ledger,
        ReceiptEntry(
            "zelle", f"ZL-{day}", parse_instant(day, ledger.tz), Money.of(amount, "USD"),
            supporter=SupporterRef(name=who),
        ),
    )  # fmt: skip


def test_a_habit_whose_amount_changes_with_every_payment_stands_at_the_latest(ledger):
    """Kai pays by Zelle on the 5th, a new amount each time: a habit from March (the third
    month in a row) at 15.00, 25.00 by May; silent from June, lapsed after 15 June (due 5
    June and 10 days' grace), ended after 15 July; back from September, a habit again in
    November (a new run of three months) at 40.00, 45.00 in December."""
    for day, amount in [
        ("2026-01-05", "10.00"), ("2026-02-05", "12.00"), ("2026-03-05", "15.00"),
        ("2026-04-05", "20.00"), ("2026-05-05", "25.00"), ("2026-09-05", "30.00"),
        ("2026-10-05", "35.00"), ("2026-11-05", "40.00"), ("2026-12-05", "45.00"),
    ]:  # fmt: skip
        zelle(ledger, day, amount)

    def standing(day: str) -> list[tuple]:
        return [
            (r.amount.plain(), str(r.standing), r.last_paid.isoformat(), r.next_due.isoformat())
            for r in recurring_status(ledger, dt.date.fromisoformat(day))
        ]

    assert standing("2026-02-28") == []  # two months are not a habit
    assert standing("2026-03-31") == [("15.00", "current", "2026-03-05", "2026-04-05")]
    assert standing("2026-05-31") == [("25.00", "current", "2026-05-05", "2026-06-05")]
    assert standing("2026-06-20") == [("25.00", "lapsed", "2026-05-05", "2026-06-05")]
    assert standing("2026-07-20") == []  # ended
    assert standing("2026-10-31") == []  # two months back are not a habit again
    assert standing("2026-12-31") == [("45.00", "current", "2026-12-05", "2027-01-05")]

    def figures(month: int) -> tuple:
        r = monthly_statement(ledger, Month(2026, month)).recurring
        m = r.movements
        return (
            r.active, r.new, r.lapsed, r.cancelled, r.mrr_gross.plain(), r.received.plain(),
            m.expansion.plain(), m.churn.plain(), m.reactivation.plain(),
        )  # fmt: skip

    assert figures(3) == (1, 1, 0, 0, "15.00", "15.00", "0.00", "0.00", "0.00")
    assert figures(5) == (1, 0, 0, 0, "25.00", "25.00", "5.00", "0.00", "0.00")  # 20 → 25
    assert figures(6) == (0, 0, 1, 0, "0.00", "0.00", "0.00", "25.00", "0.00")
    assert figures(7) == (0, 0, 0, 1, "0.00", "0.00", "0.00", "0.00", "0.00")
    assert figures(11) == (1, 0, 0, 0, "40.00", "40.00", "0.00", "0.00", "40.00")  # back
    assert figures(12) == (1, 0, 0, 0, "45.00", "45.00", "5.00", "0.00", "0.00")


def test_merges_are_followed_to_the_end_of_their_chain(ledger):
    """Rowan Vale (a PayPal subscriber) was merged into R. Vale (a Zelle payer), who was then
    merged into Rowan Vale-Reid: the subscription and the Zelle habit both stand under the
    last of them."""
    subscribed(ledger, "I-ROW", dt.date(2026, 10, 4))
    for day in ("2026-08-03", "2026-09-03", "2026-10-03"):
        zelle(ledger, day, "20.00", "R. Vale")
    record_receipt(  # the last keeper is known from a gift of their own
        ledger,
        ReceiptEntry(
            "paypal", "gift-1", dt.datetime(2026, 9, 2, 9, tzinfo=PHOENIX),
            Money.of("25.00", "USD"), kind=Kind.ONE_TIME,
            supporter=SupporterRef(name="Rowan Vale-Reid"),
        ),
    )  # fmt: skip
    merged(ledger, "Rowan Vale", "R. Vale")
    last = merged(ledger, "R. Vale", "Rowan Vale-Reid")
    standing = recurring_status(ledger, dt.date(2026, 10, 31))
    assert [(r.display_name, r.supporter_id, r.channel, r.basis) for r in standing] == [
        ("Rowan Vale-Reid", last, "paypal", "subscription"),
        ("Rowan Vale-Reid", last, "zelle", "inferred"),
    ]
    recurring = monthly_statement(ledger, Month(2026, 10)).recurring
    assert (recurring.active, recurring.supporters) == (2, 1)  # two commitments, one person
