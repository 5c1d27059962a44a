"""October 2026 of a writer in Phoenix (UTC-7 all year), across every channel, written by hand.

Rows go straight into the tables, so the statement is tested on exactly these facts. Amounts
are cents; instants are UTC (Phoenix midnight is 07:00Z). The figures each test expects are
worked out from this list in the test's comments.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from supportledger.journal import rebuild_ledger
from supportledger.models import (
    BankLine,
    ImportBatch,
    Payout,
    Receipt,
    Subscription,
    SubscriptionEvent,
    Supporter,
)

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


SUPPORTERS = {
    1: "Ana Ruiz",
    2: "Lou Green",
    3: "<script>alert(1)</script>",
    4: "Sam Okafor",
    5: "Mia Chen",
    6: "Jo Park",
}

# id, channel, supporter, amount, interval, history: (state, instant it took effect)
SUBSCRIPTIONS = [
    (1, "patreon", 3, 500, "month", [("started", "2026-06-01T07:00")]),
    (2, "patreon", 1, 1000, "month", [("started", "2026-10-01T08:00")]),  # new in October
    # paid only on 1 October (receipt 8) in this ledger: ended, inferred, long before
    (3, "paypal", 5, 1000, "month", [("started", "2025-01-10T07:00")]),
    (4, "patreon", 4, 300, "month",
     [("started", "2026-03-01T07:00"), ("ended", "2026-10-15T07:00")]),
    (5, "stripe", 2, 12000, "year", [("started", "2025-05-05T07:00")]),  # paid 5 May
    (6, "paypal", 2, 700, "month", [("started", "2026-01-01T07:00")]),  # last paid 1 Aug
    (7, "patreon", 5, 200, "month", [("started", "2026-10-05T07:00")]),  # Mia's second
    (8, "paypal", 6, 400, "month",
     [("started", "2025-01-01T07:00"), ("ended", "2025-06-01T07:00")]),
    (9, "paypal", 6, 400, "month", [("started", "2026-10-10T07:00")]),  # Jo comes back
    # Lou's pledge, declined on 20 October
    (10, "patreon", 2, 600, "month",
     [("started", "2026-02-01T07:00"), ("declined", "2026-10-20T07:00")]),
]  # fmt: skip

KINDS = {"zelle": "one_time", "check": "one_time", "paypal": "one_time", "stripe": "one_time",
         "patreon": "recurring", "kdp": "sale", "audible": "sale"}  # fmt: skip


def receipt(rid, channel, when, gross, fee=0, expected=None, who=None, sub=None, **columns):
    """One receipts row: ``when`` in UTC, amounts in cents, net = gross - fee."""
    return {
        "id": rid, "channel": channel, "external_id": f"{channel}-{rid}",
        "kind": KINDS[channel], "event": "payment", "status": "completed",
        "occurred_at": at(when), "currency": "USD", "gross_minor": gross, "fee_minor": fee,
        "net_minor": gross - fee, "expected_fee_minor": expected, "supporter_id": who,
        "subscription_id": sub, "flags": "", "description": "", "original_minor": None,
        "original_currency": None, "fx_rate": None, "reverses_id": None,
        "check_number": None, "due_on": None, **columns,
    }  # fmt: skip


RECEIPTS = [
    # ---- October 2026
    receipt(1, "zelle", "2026-10-12T17:00", 2500, who=1),
    # 23:30 on 31 October in Phoenix is 06:30 UTC on 1 November: October's
    receipt(2, "zelle", "2026-11-01T06:30", 4000, who=1),
    receipt(3, "check", "2026-10-06T17:00", 10000, who=2, status="pending", check_number="2041"),
    receipt(4, "check", "2026-10-02T17:00", 5000, who=5, status="deposited", check_number="2040"),
    receipt(5, "paypal", "2026-10-20T18:05", 2000, 119, 119, who=4),
    # 50.00 EUR at 1.0834 = 54.17 USD; PayPal took 3.25 where the schedule says 3.19
    receipt(6, "paypal", "2026-10-09T15:00", 5417, 325, 319, original_minor=5000,
            original_currency="EUR", fx_rate="1.0834", flags="international"),
    # refund on 3 October of the 15 September payment (receipt 21); PayPal keeps its fee
    receipt(7, "paypal", "2026-10-03T16:00", -3000, who=4, event="refund", reverses_id=21),
    receipt(8, "paypal", "2026-10-01T15:00", 1000, 84, 84, who=5, sub=3, kind="recurring"),
    receipt(9, "paypal", "2026-10-09T16:00", 1000, who=6, status="denied"),
    receipt(10, "patreon", "2026-10-01T08:00", 500, 85, 85, who=3, sub=1),
    receipt(11, "patreon", "2026-10-01T08:00", 1000, 139, 139, who=1, sub=2),
    receipt(12, "patreon", "2026-10-01T08:00", 300, 49, 49, who=4, sub=4),
    # Sam's 1 October pledge refunded, with 0.25 of the fee given back
    receipt(13, "patreon", "2026-10-15T08:00", -300, -25, who=4, sub=4, event="refund",
            reverses_id=12),
    receipt(14, "stripe", "2026-10-08T20:00", 2500, 103, 103),
    # the same charge disputed: the money back plus a 15.00 dispute fee
    receipt(15, "stripe", "2026-10-25T20:00", -2500, 1500, event="dispute", reverses_id=14),
    # KDP royalties for October, paid about 60 days after the month ends
    receipt(16, "kdp", "2026-10-18T12:00", 999, 300, due_on=dt.date(2026, 12, 29)),
    receipt(17, "kdp", "2026-10-26T12:00", 499, 150, due_on=dt.date(2026, 12, 29)),
    receipt(18, "audible", "2026-10-10T12:00", 2000, 1200, due_on=dt.date(2026, 11, 30)),
    # 00:30 on 1 November in Phoenix: November's
    receipt(19, "zelle", "2026-11-01T07:30", 900, who=1),
    # ---- September 2026
    receipt(20, "zelle", "2026-09-05T17:00", 1000, who=1),
    receipt(21, "paypal", "2026-09-15T17:00", 3000, 154, 154, who=4),
    # 23:30 on 30 September in Phoenix: September's
    receipt(22, "zelle", "2026-10-01T06:30", 500, who=1),
    receipt(23, "check", "2026-09-28T17:00", 3000, who=3, status="pending", check_number="2039"),
    # ---- earlier
    receipt(24, "zelle", "2025-10-14T17:00", 2000, who=1),
    receipt(25, "zelle", "2025-12-20T17:00", 800, who=1),
    receipt(26, "zelle", "2026-03-10T17:00", 1500, who=1),
    receipt(27, "stripe", "2026-05-05T17:00", 12000, 378, 378, who=2, sub=5, kind="recurring"),
    receipt(28, "kdp", "2026-08-15T12:00", 999, 300, due_on=dt.date(2026, 10, 29)),
    receipt(29, "paypal", "2026-08-01T17:00", 700, 73, 73, who=2, sub=6, kind="recurring"),
]  # fmt: skip

# channel, external id, initiated (UTC), arrived on, amount, fee
PAYOUTS = [
    ("paypal", "WD-1", "2026-10-22T16:00", dt.date(2026, 10, 24), 5000, 0),  # a withdrawal
    ("stripe", "po_1", "2026-09-28T16:00", dt.date(2026, 10, 1), 1500, 0),
    ("kdp", "KDP-PAY-8", "2026-10-29T07:00", dt.date(2026, 10, 29), 699, 0),
    ("patreon", "PTP-1", "2026-10-30T16:00", dt.date(2026, 11, 2), 1000, 25),
]

# the bank's side: the deposit of check 2040 and each payout's arrival, as a bank statement
# shows them (account, posted on, amount, classification, counterparty, receipt id)
BANK_LINES = [
    ("checking", dt.date(2026, 10, 2), 5000, "income", "check", 4),
    ("checking", dt.date(2026, 10, 24), 5000, "payout", "paypal", None),
    ("checking", dt.date(2026, 10, 1), 1500, "payout", "stripe", None),
    ("checking", dt.date(2026, 10, 29), 699, "payout", "kdp", None),
    ("checking", dt.date(2026, 11, 2), 975, "payout", "patreon", None),
]

# channel, covers from, covers to, undone
BATCHES = [
    ("paypal", "2026-01-01T07:00", "2026-10-01T06:59:59", None),  # through 30 September
    ("paypal", "2026-10-01T07:00", "2026-12-01T06:59:59", "2026-11-20T00:00"),  # undone
    ("patreon", "2026-10-01T07:00", "2026-11-01T06:59:59", None),
    ("kdp", "2026-08-01T07:00", "2026-11-01T06:00", None),
    ("audible", "2026-10-01T07:00", "2026-11-01T06:59:59", None),
    ("ebookit", "2026-01-01T07:00", "2026-07-01T06:59:59", None),  # never any receipt
]


def add_subscription(
    connection,
    *,
    channel,
    external_id,
    supporter_id,
    amount_minor,
    history,
    interval="month",
    sub_id=None,
    currency="USD",
) -> int:
    """A subscription and its ``history`` ((state, aware instant) pairs, oldest first),
    straight into the tables; its columns repeat the history's latest, as the writer's do."""
    status = {"ended": "cancelled", "declined": "declined", "paused": "paused"}
    last = [state for state, _ in history if state not in ("changed", "cancelled")][-1]
    ended = [when for state, when in history if state == "ended"]
    sub_id = connection.execute(
        insert(Subscription.__table__).values(
            **({"id": sub_id} if sub_id else {}),
            channel=channel,
            external_id=external_id,
            supporter_id=supporter_id,
            amount_minor=amount_minor,
            currency=currency,
            interval=interval,
            status=status.get(last, "active"),
            started_at=history[0][1],
            ended_at=ended[-1] if last == "ended" else None,
        )
    ).inserted_primary_key[0]
    connection.execute(
        insert(SubscriptionEvent.__table__),
        [
            {
                "subscription_id": sub_id,
                "state": state,
                "effective_at": when,
                "amount_minor": amount_minor,
                "currency": currency,
                "interval": interval,
                "tier": None,
                "observed_at": when,
            }
            for state, when in history
        ],
    )
    return sub_id  # fmt: skip


def build(ledger) -> None:
    """Write the month into ``ledger``'s empty database."""
    with ledger.engine.begin() as connection:
        connection.execute(
            insert(Supporter.__table__),
            [
                {"id": i, "display_name": name, "created_at": at("2025-01-01T00:00")}
                for i, name in SUPPORTERS.items()
            ],
        )
        for sid, channel, who, amount, interval, history in SUBSCRIPTIONS:
            add_subscription(
                connection, sub_id=sid, channel=channel, external_id=f"sub-{sid}",
                supporter_id=who, amount_minor=amount, interval=interval,
                history=[(state, at(when)) for state, when in history],
            )  # fmt: skip
        batch_ids = []
        for channel, start, end, undone in BATCHES:
            result = connection.execute(
                insert(ImportBatch.__table__).values(
                    source=channel, file_name=f"{channel}.csv", sha256=channel + start,
                    started_at=at("2026-11-20T00:00"), channel=channel,
                    covers_from=at(start), covers_to=at(end),
                    undone_at=at(undone) if undone else None,
                )
            )  # fmt: skip
            batch_ids.append(result.inserted_primary_key[0])
        rows = RECEIPTS
        # reversals point at rows inserted before them
        plain = [{**r, "reverses_id": None} for r in rows]
        connection.execute(insert(Receipt.__table__), plain)
        for r in rows:
            if r["reverses_id"] is not None:
                connection.execute(
                    Receipt.__table__.update()
                    .where(Receipt.__table__.c.id == r["id"])
                    .values(reverses_id=r["reverses_id"])
                )
        connection.execute(
            insert(Payout.__table__),
            [
                {
                    "channel": channel, "external_id": ext, "initiated_at": at(initiated),
                    "arrived_on": arrived, "currency": "USD", "amount_minor": amount,
                    "fee_minor": fee, "status": "paid",
                }
                for channel, ext, initiated, arrived, amount, fee in PAYOUTS
            ],
        )  # fmt: skip
        connection.execute(
            insert(BankLine.__table__),
            [
                {
                    "account": account, "external_id": f"line-{n}", "posted_on": posted,
                    "currency": "USD", "amount_minor": amount, "classification": what,
                    "counterparty": channel, "receipt_id": receipt_id,
                }
                for n, (account, posted, amount, what, channel, receipt_id) in enumerate(
                    BANK_LINES
                )
            ],
        )  # fmt: skip
        if connection.dialect.name == "postgresql":  # explicit ids leave the sequences behind
            for table in ("supporters", "subscriptions", "receipts"):
                connection.exec_driver_sql(
                    f"select setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(select max(id) from {table}))"
                )
    rebuild_ledger(ledger)  # the rows went straight into the tables
