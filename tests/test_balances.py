"""Balances and money owed read from the journal's monthly roll-up give what the postings
summed one by one give, whatever the instant, the time zone's month edges, the order the
money was recorded in, or the currencies.

The writer is in Phoenix (UTC-7 all year). PayPal holds dollars and euros (1 EUR = 1.10 USD
as each receipt records); one payment is still pending; one arrives at 23:30 on 30 June in
Phoenix, which is already 1 July in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from supportledger.balances import Sum, balances_at, money_owed
from supportledger.journal import ACCOUNTS, POSTINGS, align_ledger
from supportledger.ledger import manual_receipt_id, record_receipt
from supportledger.models import AccountRole, Status
from supportledger.money import Money
from supportledger.months import Month, local_midnight
from supportledger.sources import ReceiptEntry, SupporterRef
from supportledger.statement import monthly_statement

PHOENIX = dt.timezone(dt.timedelta(hours=-7))
ROLES = (AccountRole.BALANCE, AccountRole.FEES, AccountRole.INCOME)


def paid(ledger, n: int, at: dt.datetime, gross: str, currency: str = "USD", **more):
    fee = (Decimal(gross) * Decimal("0.04")).quantize(Decimal("0.01"))
    record_receipt(
        ledger,
        ReceiptEntry(
            "paypal", f"PP-{n}", at, Money.of(gross, currency), fee=Money.of(fee, currency),
            fx_rate=Decimal("1.10") if currency != "USD" else None, **more,
        ),
    )  # fmt: skip


def history(ledger) -> None:
    """Money in four months, recorded out of order: March's last payment after April's."""
    at = dt.datetime
    paid(ledger, 1, at(2026, 3, 2, 9, tzinfo=PHOENIX), "20.00")
    paid(ledger, 2, at(2026, 3, 20, 12, tzinfo=PHOENIX), "15.00", "EUR")
    paid(ledger, 3, at(2026, 4, 1, 0, tzinfo=PHOENIX), "7.00")  # the month's first instant
    paid(ledger, 4, at(2026, 4, 16, 8, tzinfo=PHOENIX), "30.00", status=Status.PENDING)
    paid(ledger, 5, at(2026, 4, 28, 22, tzinfo=PHOENIX), "12.00", "EUR")
    paid(ledger, 6, at(2026, 3, 31, 23, 59, tzinfo=PHOENIX), "5.00")  # recorded late
    paid(ledger, 7, at(2026, 6, 30, 23, 30, tzinfo=PHOENIX), "40.00")  # 1 July in UTC
    paid(ledger, 8, at(2026, 7, 9, 10, tzinfo=PHOENIX), "9.00", "EUR")


def summed(ledger, at: dt.datetime, *, inclusive: bool, cleared_only: bool) -> dict:
    """The balance the slow way: every posting before ``at`` added up."""
    found: dict[tuple[int, str], Sum] = defaultdict(Sum)
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            select(POSTINGS.c.account_id, POSTINGS.c.currency, POSTINGS.c.amount_minor,
                   POSTINGS.c.value_minor, POSTINGS.c.occurred_at, POSTINGS.c.cleared)
            .join(ACCOUNTS, ACCOUNTS.c.id == POSTINGS.c.account_id)
            .where(ACCOUNTS.c.role.in_([str(r) for r in ROLES]))
        )  # fmt: skip
        for account, currency, amount, value, when, cleared in rows:
            if (when <= at if inclusive else when < at) and (cleared or not cleared_only):
                found[(account, currency)] += Sum(amount, value)
    return nonzero(found)


def nonzero(balances: dict) -> dict:
    return {key: total for key, total in balances.items() if total != Sum()}


def test_a_balance_at_any_instant_is_its_postings_summed(ledger):
    history(ledger)
    at = dt.datetime
    instants = [
        at(2026, 3, 1, tzinfo=PHOENIX),  # a month's start: the months before alone
        at(2026, 3, 2, 9, tzinfo=PHOENIX),  # a posting's own instant
        at(2026, 3, 10, tzinfo=PHOENIX),  # early in the month: postings added
        at(2026, 3, 20, 12, tzinfo=PHOENIX),
        at(2026, 3, 25, tzinfo=PHOENIX),  # late: postings taken off the month
        at(2026, 3, 31, 23, 59, tzinfo=PHOENIX),
        at(2026, 4, 1, tzinfo=PHOENIX),
        at(2026, 4, 16, 8, tzinfo=PHOENIX),
        at(2026, 4, 30, 23, 59, 59, tzinfo=PHOENIX),
        at(2026, 6, 30, 23, 30, tzinfo=PHOENIX),
        at(2026, 7, 1, tzinfo=PHOENIX),
        at(2026, 12, 1, tzinfo=PHOENIX),
    ]
    with ledger.engine.connect() as connection:
        for instant in instants:
            for inclusive in (False, True):
                for cleared_only in (False, True):
                    read = balances_at(
                        connection, ledger.tz, instant.astimezone(dt.UTC), ROLES,
                        inclusive=inclusive, cleared_only=cleared_only,
                    )  # fmt: skip
                    expected = summed(
                        ledger, instant, inclusive=inclusive, cleared_only=cleared_only
                    )
                    assert nonzero(read) == expected, (instant, inclusive, cleared_only)
    # the euros stay euros: 15.00 - 0.60 + 12.00 - 0.48 held by the end of April
    with ledger.engine.connect() as connection:
        held = balances_at(
            connection, ledger.tz, at(2026, 5, 1, tzinfo=PHOENIX), [AccountRole.BALANCE]
        )
    assert sorted((currency, s.amount) for (_, currency), s in held.items()) == [
        ("EUR", 2592), ("USD", 1920 + 672 + 2880 + 480),
    ]  # fmt: skip


def test_the_local_month_decides_where_money_falls(ledger):
    history(ledger)
    june, july = Month(2026, 6), Month(2026, 7)
    assert monthly_statement(ledger, june).totals.figures.gross == Money.of("40.00", "USD")
    july_gross = monthly_statement(ledger, july).totals.figures.gross
    assert july_gross == Money.of("9.90", "USD")  # 9.00 EUR at 1.10: the euros alone
    start = local_midnight(dt.date(2026, 7, 1), ledger.tz)
    with ledger.engine.connect() as connection:
        read = balances_at(connection, ledger.tz, start, ROLES)
    assert nonzero(read) == summed(ledger, start, inclusive=False, cleared_only=False)


def test_money_recorded_late_in_an_old_month_moves_its_roll_up(ledger):
    history(ledger)
    march, april = Month(2026, 3), Month(2026, 4)
    before = monthly_statement(ledger, march).totals.figures.gross
    paid(ledger, 9, dt.datetime(2026, 3, 5, 10, tzinfo=PHOENIX), "100.00")
    assert monthly_statement(ledger, march).totals.figures.gross == before + Money.of(
        "100.00", "USD"
    )
    start = april.bounds(ledger.tz)[0]
    with ledger.engine.connect() as connection:
        read = balances_at(connection, ledger.tz, start, ROLES, cleared_only=True)
    assert nonzero(read) == summed(ledger, start, inclusive=False, cleared_only=True)


def test_a_check_never_deposited_stays_owed_however_old(ledger):
    record_receipt(
        ledger,
        ReceiptEntry(
            "check", manual_receipt_id("check", "77"),
            dt.datetime(2025, 2, 3, 12, tzinfo=PHOENIX), Money.of("60.00", "USD"),
            status=Status.PENDING, supporter=SupporterRef(name="Ada Lane"), check_number="77",
        ),
    )  # fmt: skip
    align_ledger(ledger)
    with ledger.engine.connect() as connection:
        for month, owed in ((Month(2025, 1), 0), (Month(2025, 2), 1), (Month(2026, 9), 1)):
            waiting = money_owed(connection, ledger, month, show_names=False).waiting
            assert [w.check_number for w in waiting] == ["77"] * owed, month
    later = monthly_statement(ledger, Month(2026, 9)).outstanding
    assert (later.waiting[0].age_days, later.waiting_total) == (604, Money.of("60.00", "USD"))
