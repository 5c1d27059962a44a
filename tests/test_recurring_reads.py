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
from supportledger.months import Month
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
