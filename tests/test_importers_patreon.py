import datetime as dt
from decimal import Decimal

import pytest

from importer_support import CONTEXT, write
from supportledger.channels.patreon import PatreonEarnings, PatreonMembers, PatreonPayouts
from supportledger.intervals import MONTH, YEAR
from supportledger.models import Event, Kind
from supportledger.money import Money
from supportledger.sources import (
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SubscriptionEntry,
    SupporterRef,
)

HEADER = (
    "Name,Email,Discord,Patron Status,Follows You,Free Member,Free Trial,Lifetime Amount,"
    "Pledge Amount,Charge Frequency,Tier,Addressee,Street,City,State,Zip,Country,Phone,"
    "Patronage Since Date,Last Charge Date,Last Charge Status,Additional Details,User ID,"
    "Last Updated,Currency,Max Posts,Access Expiration,Next Charge Date,Full country name,"
    "Subscription Source\n"
)
MEMBERS = HEADER + (
    "Ana Ruiz,ana@example.org,ana#1234,Active patron,Yes,No,No,$60.00,$5.00,monthly,Reader,"
    "Ana Ruiz,12 Elm St,Tucson,AZ,85701,US,+1 520 555 0101,2025-10-01 07:12:45.123456,"
    "2026-10-01 07:00:03,Paid,,81234567,2026-10-02 10:00:00,USD,,,2026-11-01,United States,"
    "patreon\n"
    "Lou Green,lou@example.org,,Former patron,No,No,No,$120.00,$10.00,annual,Patron,,,,,,,,"
    "2024-03-15 12:00:00,2025-03-15 12:00:00,Paid,,81234568,2025-06-01 09:00:00,USD,,,,,patreon\n"
    "May Chen,may@example.org,,Declined patron,No,No,No,$3.00,€3.00,monthly,Reader,,,,,,,,"
    "2026-09-01 08:00:00,2026-10-01 07:00:00,Declined,,81234569,2026-10-06 00:00:00,EUR,,,,,"
    "patreon\n"
    "Sam Follower,sam@example.org,,,Yes,No,No,$0.00,,,,,,,,,,,,,,,81234570,"
    "2026-10-03 00:00:00,,,,,,\n"
)


def test_members_become_subscriptions_with_their_supporter(tmp_path):
    path = write(tmp_path, "Members_1234567.csv", MEMBERS)
    assert PatreonMembers().identify(path, path.read_bytes())
    ana, lou, may, follower = PatreonMembers().entries(path, CONTEXT)
    assert ana == SubscriptionEntry(
        channel="patreon",
        external_id="81234567",
        amount=Money(Decimal("5.00"), "USD"),
        status="active",
        supporter=SupporterRef(
            name="Ana Ruiz",
            email="ana@example.org",
            user_id="81234567",
            details={
                "addressee": "Ana Ruiz",
                "street": "12 Elm St",
                "city": "Tucson",
                "state": "AZ",
                "zip": "85701",
                "country": "US",
                "phone": "+1 520 555 0101",
            },
        ),
        tier="Reader",
        interval=MONTH,
        started_at=utc(2025, 10, 1, 7, 12, 45, 123456),
        # active: on her last paid charge; her pledge as it stands since Last Updated
        status_since=utc(2026, 10, 1, 7, 0, 3),
        terms_since=utc(2026, 10, 2, 10),
        # the export was taken after the newest date any row gives (May's Last Updated)
        seen_at=utc(2026, 10, 6),
        lifetime=Money(Decimal("60.00"), "USD"),
        last_charge_at=utc(2026, 10, 1, 7, 0, 3),
        last_charge_status="Paid",
        line=2,
    )
    # a former patron ended when Patreon last changed the membership (Last Updated)
    assert (lou.status, lou.interval, lou.amount, lou.status_since, lou.supporter.details) == (
        "cancelled",
        YEAR,
        Money(Decimal("10.00"), "USD"),
        utc(2025, 6, 1, 9),
        {},
    )
    # a declined one since the charge Patreon declined
    assert (may.status, may.amount, may.status_since) == (
        "declined",
        Money(Decimal("3.00"), "EUR"),
        utc(2026, 10, 1, 7),
    )
    assert follower == Skipped("a follower or free member, not a patron", 5)


def utc(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


#: Two Declined-patron rows of a real members export, as a public sponsors script quotes
#: them in its ``load_patreon_csv`` docstring (ActivityWatch's sponsors table; the
#: repository was not identified), in the older header without Free Member, Free Trial,
#: Full country name and Subscription Source: amounts without a symbol, a declined charge
#: on the 31st after a Next Charge Date of the 1st (Patreon retries a declined charge).
REAL_DECLINED = (
    "Name,Email,Twitter,Discord,Patron Status,Follows You,Lifetime Amount,Pledge Amount,"
    "Charge Frequency,Tier,Addressee,Street,City,State,Zip,Country,Phone,"
    "Patronage Since Date,Last Charge Date,Last Charge Status,Additional Details,User ID,"
    "Last Updated,Currency,Max Posts,Access Expiration,Next Charge Date\n"
    "Karan singh,karan@example.com,,kraft#9466,Declined patron,No,0.00,1.00,monthly,"
    "Time Tracker,,,,,,,,2023-04-08 17:45:28.731953,2023-05-31 07:46:37,Declined,,76783024,"
    "2023-05-31 08:01:37.517184,USD,,,2023-05-01 07:00:00\n"
    "Dan Thompson,dan@example.com,,,Declined patron,No,0.00,1.00,monthly,Time Tracker,,,,,"
    ",,,2023-02-28 20:00:03.756241,2023-03-15 12:03:01,Declined,,46598895,"
    "2023-03-15 12:18:01.633900,USD,,,2023-03-01 08:00:00\n"
)


def test_a_real_layout_of_declined_patrons_is_dated_by_its_own_fields(tmp_path):
    path = write(tmp_path, "patreon-members-866337.csv", REAL_DECLINED)
    karan, dan = PatreonMembers().entries(path, CONTEXT)
    found = [(e.status, e.amount, e.started_at, e.status_since, e.lifetime) for e in (karan, dan)]
    assert found == [
        ("declined", Money.of("1.00", "USD"), utc(2023, 4, 8, 17, 45, 28, 731953),
         utc(2023, 5, 31, 7, 46, 37), Money.of("0.00", "USD")),
        ("declined", Money.of("1.00", "USD"), utc(2023, 2, 28, 20, 0, 3, 756241),
         utc(2023, 3, 15, 12, 3, 1), Money.of("0.00", "USD")),
    ]  # fmt: skip
    assert karan.seen_at == dan.seen_at == utc(2023, 5, 31, 8, 1, 37, 517184)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "Active patron,Yes",
            "Paused patron,Yes",
            "line 2: column 'Patron Status' value 'Paused patron': is not one of "
            "'active patron', 'former patron', 'declined patron'",
        ),
        ("$5.00,monthly", "five,monthly", "line 2: column 'Pledge Amount' value 'five'"),
        ("$5.00,monthly", "$5.00,weekly", "line 2: column 'Charge Frequency' value 'weekly'"),
        ("2025-10-01 07:12:45.123456", "01/10/2025", "line 2: column 'Patronage Since Date'"),
        ("2026-10-02 10:00:00,USD", "2026-10-02 10:00:00,XX", "line 2: column 'Currency'"),
    ],
)
def test_bad_member_rows_are_named(tmp_path, old, new, message):
    path = write(tmp_path, "members.csv", MEMBERS.replace(old, new, 1))
    with pytest.raises(RowError) as caught:
        list(PatreonMembers().entries(path, CONTEXT))
    assert str(caught.value).startswith(f"members.csv, {message}")


EARNINGS = (
    "Month,Processed pledges,Processing fees,Patreon fee,Refunds,Your share\n"
    'Sep 2026,"1,200.00",-41.10,-96.00,0.00,"1,062.90"\n'
    "2026-10,850.00,31.20,68.00,15.00,735.80\n"
    "2026-11,0.00,0.00,0.00,0.00,0.00\n"
)


def test_earnings_give_a_receipt_per_month_and_a_refund(tmp_path):
    path = write(tmp_path, "earnings.csv", EARNINGS)
    assert PatreonEarnings().identify(path, path.read_bytes())
    september, october, october_refunds, november = PatreonEarnings().entries(path, CONTEXT)
    assert september == ReceiptEntry(
        channel="patreon",
        external_id="earnings:2026-09",
        # midnight 1 Sep in Phoenix (UTC-7) is 07:00 UTC
        occurred_at=dt.datetime(2026, 9, 1, 7, tzinfo=dt.UTC),
        gross=Money(Decimal("1200.00"), "USD"),
        fee=Money(Decimal("137.10"), "USD"),
        kind=Kind.RECURRING,
        # the Pro plan's 8% of 1,200.00 = 96.00, plus the 41.10 processing reported
        expected_fee=Money(Decimal("137.10"), "USD"),
        description="Patreon earnings 2026-09",
        line=2,
    )
    assert (october.gross.amount, october.fee.amount) == (Decimal("850.00"), Decimal("99.20"))
    assert october.expected_fee == Money(Decimal("99.20"), "USD")  # 68.00 + 31.20
    assert october_refunds == ReceiptEntry(
        channel="patreon",
        external_id="earnings:2026-10:refunds",
        occurred_at=dt.datetime(2026, 10, 1, 7, tzinfo=dt.UTC),
        gross=Money(Decimal("-15.00"), "USD"),
        fee=Money(Decimal("0"), "USD"),
        kind=Kind.RECURRING,
        event=Event.REFUND,
        description="Patreon refunds 2026-10",
        line=3,
    )
    assert november == Skipped("no earnings that month", 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "Month,Processed amount,Processing fees,Platform fee,Currency\n2026-10,90.00,3,7,EUR\n",
            "line 2: column 'Currency' value 'EUR': amount in EUR and no EUR->USD rate was "
            "given; the ledger does not add currencies without a recorded rate",
            id="another currency needs a rate",
        ),
        pytest.param(
            "Month,Processed amount,Processing fees,Platform fee\nlast month,90.00,3,7\n",
            "line 2: column 'Month' value 'last month': is not a month (YYYY-MM)",
            id="a month that is not one",
        ),
    ],
)
def test_bad_earnings_rows_are_named(tmp_path, text, message):
    path = write(tmp_path, "earnings.csv", text)
    with pytest.raises(RowError) as caught:
        list(PatreonEarnings().entries(path, CONTEXT))
    assert str(caught.value) == f"earnings.csv, {message}"


def test_payouts(tmp_path):
    text = (
        "Date,Amount,Fee,Method,Status\n"
        "2026-10-05,735.80,0.25,Direct deposit,Completed\n"
        "2026-10-05,20.00,0.25,Direct deposit,Pending\n"
        "10/20/2026,50.00,,PayPal,Completed\n"
    )
    path = write(tmp_path, "payouts.csv", text)
    assert PatreonPayouts().identify(path, path.read_bytes())
    first, second, third = PatreonPayouts().entries(path, CONTEXT)
    assert first == PayoutEntry(
        channel="patreon",
        external_id="payout:2026-10-05:0",
        initiated_at=dt.datetime(2026, 10, 5, 7, tzinfo=dt.UTC),
        amount=Money(Decimal("735.80"), "USD"),
        fee=Money(Decimal("0.25"), "USD"),
        status="paid",
        line=2,
    )
    assert (second.external_id, second.status) == ("payout:2026-10-05:1", "pending")
    assert (third.external_id, third.fee) == ("payout:2026-10-20:0", Money(Decimal(0), "USD"))
