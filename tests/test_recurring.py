"""The pure layer of recurring support: intervals, what a description or a payment adds to a
subscription's history, and where a commitment stands on a day. No database."""

import datetime as dt
from decimal import Decimal

import pytest

from supportledger.intervals import MONTH, QUARTER, YEAR, Interval
from supportledger.models import SubscriptionState as S
from supportledger.models import SubscriptionStatus
from supportledger.recurring import (
    Commitment,
    HistoryEvent,
    Observation,
    Standing,
    Terms,
    observed,
    paid,
    position,
)

FIVE = Terms(500, "USD", MONTH, "Reader")


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "interval", "shown"),
    [
        ("month", MONTH, "month"),
        ("Quarter", QUARTER, "quarter"),
        ("year", YEAR, "year"),
        ("2 years", Interval(months=24), "24 months"),
        ("6 months", Interval(months=6), "6 months"),
        ("14 days", Interval(days=14), "14 days"),
        ("1 day", Interval(days=1), "1 day"),
    ],
)
def test_an_interval_is_read_and_written_in_words(text, interval, shown):
    assert Interval.parse(text) == interval
    assert str(interval) == shown
    assert Interval.parse(shown) == interval


@pytest.mark.parametrize("text", ["", "weekly", "0 months", "-1 days", "1.5 months"])
def test_an_interval_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        Interval.parse(text)


def test_mrr_divides_by_the_interval_and_due_days_follow_the_calendar():
    assert YEAR.monthly(12000) == Decimal(1000)
    assert QUARTER.monthly(3000) == Decimal(1000)
    assert Interval(days=7).monthly(700) == Decimal(700) * 365 / 84  # 52 1/7 weeks a year
    assert MONTH.after(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert YEAR.after(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    assert Interval(days=14).after(dt.date(2026, 12, 25)) == dt.date(2027, 1, 8)


def seen(status, seen_at, terms=FIVE, **dates) -> Observation:
    return Observation(SubscriptionStatus(status), terms, at(seen_at), **dates)


def states(events) -> list[tuple[str, dt.datetime, int]]:
    return [(str(e.state), e.effective_at, e.terms.amount_minor) for e in events]


def test_a_first_description_starts_the_history_at_the_sources_own_days():
    declined = seen(
        "declined", "2026-10-06", started_at=at("2026-09-01"), status_since=at("2026-10-01")
    )
    assert states(observed([], declined, None)) == [
        ("started", at("2026-09-01"), 500),
        ("declined", at("2026-10-01"), 500),
    ]
    # a patron who joined and left between two snapshots
    gone = seen(
        "cancelled", "2026-01-05", started_at=at("2025-12-05"), status_since=at("2025-12-20")
    )
    assert states(observed([], gone, None)) == [
        ("started", at("2025-12-05"), 500),
        ("ended", at("2025-12-20"), 500),
    ]


def test_a_later_description_adds_only_what_changed_never_before_the_last_one():
    history = observed([], seen("active", "2026-01-01", started_at=at("2025-06-01")), None)
    # the same again: nothing
    assert observed(history, seen("active", "2026-03-01"), at("2026-01-01")) == []
    # a new pledge on its own day
    fifteen = Terms(1500, "USD", MONTH, "Patron")
    changed = observed(
        history,
        seen("active", "2026-03-01", fifteen, terms_since=at("2026-02-10")),
        at("2026-01-01"),
    )
    assert [(str(e.state), e.effective_at, e.terms) for e in changed] == [
        ("changed", at("2026-02-10"), fifteen)
    ]
    # an end its own field dates before the last snapshot is dated at that snapshot: a
    # month settled by then keeps what it showed
    late = seen("cancelled", "2026-06-01", Terms(0, "USD", MONTH), status_since=at("2025-12-01"))
    assert states(observed(history, late, at("2026-01-01"))) == [("ended", at("2026-01-01"), 500)]
    # and never after the export it came in
    future = seen("declined", "2026-06-01", status_since=at("2026-07-01"))
    assert states(observed(history, future, at("2026-01-01"))) == [
        ("declined", at("2026-06-01"), 500)
    ]


def test_back_after_a_decline_or_an_end_is_a_resumption():
    history = observed([], seen("declined", "2026-04-02", started_at=at("2025-06-01"),
                                status_since=at("2026-04-01")), None)  # fmt: skip
    back = observed(
        history, seen("active", "2026-05-02", status_since=at("2026-05-01")), at("2026-04-02")
    )
    assert states(back) == [("resumed", at("2026-05-01"), 500)]


def test_a_cancellation_at_the_period_end_is_noted_once_and_ends_nothing():
    asked = seen("active", "2026-03-10", started_at=at("2026-01-05"), cancelled_at=at("2026-03-10"))
    history = observed([], asked, None)
    assert states(history) == [
        ("started", at("2026-01-05"), 500),
        ("cancelled", at("2026-03-10"), 500),
    ]
    assert observed(history, asked, at("2026-03-10")) == []
    c = commitment(history, itemised=False)
    assert position(c, dt.date(2026, 3, 31), 10).standing is Standing.CURRENT


def test_payments_start_a_subscription_and_record_a_new_amount():
    first = paid([], at("2026-02-01"), Terms(2000, "USD", MONTH))
    assert states(first) == [("started", at("2026-02-01"), 2000)]
    assert paid(first, at("2026-03-01"), Terms(2000, "USD", MONTH)) == []
    more = paid(first, at("2026-05-01"), Terms(2500, "USD", MONTH))
    assert states(more) == [("changed", at("2026-05-01"), 2500)]


def commitment(history, payments=(), itemised=True) -> Commitment:
    return Commitment(
        key=("subscription", 1), channel="paypal" if itemised else "patreon",
        basis="subscription", supporter_id=1, name="Finley", itemised=itemised,
        timeline=tuple((e.effective_at.date(), e) for e in history),
        payments=tuple((dt.date.fromisoformat(d), 700) for d in payments),
    )  # fmt: skip


def test_one_rule_from_paid_to_lapsed_to_ended_and_back():
    """Paid 10 March, monthly, 10 days' grace: current to 10 April, within the grace to the
    20th, lapsed to 20 May (a second month and the grace), then ended on 10 April; a payment
    in June brings it back."""
    history = [
        HistoryEvent(S.STARTED, at("2026-01-10"), Terms(700, "USD", MONTH), at("2026-01-10"))
    ]
    c = commitment(history, ["2026-01-10", "2026-02-10", "2026-03-10"])

    def standing(day):
        p = position(c, dt.date.fromisoformat(day), 10)
        return p.standing, p.next_due, p.ended_on, p.inferred_end

    due = dt.date(2026, 4, 10)
    assert standing("2026-04-10") == (Standing.CURRENT, due, None, False)
    assert standing("2026-04-11") == (Standing.GRACE, due, None, False)
    assert standing("2026-04-20") == (Standing.GRACE, due, None, False)
    assert standing("2026-04-21") == (Standing.LAPSED, due, None, False)
    assert standing("2026-05-20") == (Standing.LAPSED, due, None, False)
    assert standing("2026-05-21") == (Standing.ENDED, due, due, True)
    assert position(c, dt.date(2026, 1, 9), 10) is None  # before it started
    back = commitment(history, ["2026-01-10", "2026-02-10", "2026-03-10", "2026-06-15"])
    assert position(back, dt.date(2026, 5, 31), 10).standing is Standing.ENDED  # the past stays
    assert position(back, dt.date(2026, 6, 15), 10).standing is Standing.CURRENT


def test_a_channel_that_does_not_itemise_stands_where_it_says():
    started = HistoryEvent(S.STARTED, at("2026-01-01"), FIVE, at("2026-01-01"))
    declined = HistoryEvent(S.DECLINED, at("2026-04-01"), FIVE, at("2026-04-02"))
    paused = HistoryEvent(S.PAUSED, at("2026-06-01"), FIVE, at("2026-06-02"))
    c = commitment([started, declined, paused], itemised=False)
    assert position(c, dt.date(2026, 3, 31), 10).standing is Standing.CURRENT  # no payment due
    assert position(c, dt.date(2026, 4, 11), 10).standing is Standing.GRACE
    assert position(c, dt.date(2026, 4, 12), 10).standing is Standing.LAPSED
    assert position(c, dt.date(2026, 6, 1), 10).standing is Standing.PAUSED
