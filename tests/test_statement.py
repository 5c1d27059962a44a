"""The monthly statement and annual summary, every figure worked out by hand.

The month is tests/statement_month.py: October 2026 in Phoenix across every channel, with a
refund of a September payment, a payment in euros, a Zelle payment at 23:30 on 31 October,
a PayPal withdrawal and KDP royalties paid two months later. Amounts in comments are cents.
"""

import datetime as dt
import json

import pytest
from sqlalchemy import insert, update

import statement_month
from supportledger import statement
from supportledger.closing import close_month, reopen_month
from supportledger.config import load_settings
from supportledger.errors import LedgerError
from supportledger.ledger import Ledger
from supportledger.models import (
    BankLine,
    ChannelBalance,
    ImportBatch,
    Payout,
    Receipt,
    Subscription,
    Supporter,
)
from supportledger.money import Money
from supportledger.months import Month
from supportledger.reconcile import match_payout
from supportledger.render import render
from supportledger.statement import annual_summary, monthly_statement
from supportledger.taxforms import record_tax_form

OCTOBER = Month(2026, 10)
CHANNELS = (
    "zelle", "patreon", "paypal", "check", "stripe", "kdp", "ebookit", "audible", "other"
)  # fmt: skip


def cents(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def fig(count=0, gross=0, refunds=0, fees=0, net=0) -> dict:
    assert net == gross - refunds - fees  # the identity every line keeps
    return {
        "count": count,
        "gross": cents(gross),
        "refunds": cents(refunds),
        "fees": cents(fees),
        "net": cents(net),
    }


def line(label, total, share, one_time=None, recurring=None, sale=None, unexpected=(0, 0)):
    return {
        "label": label,
        **total,
        "fee_share": share,
        "unexpected_fees": {"count": unexpected[0], "amount": cents(unexpected[1])},
        "one_time": one_time or fig(),
        "recurring": recurring or fig(),
        "sale": sale or fig(),
    }


def net_by_channel(**nonzero) -> dict:
    return {ch: cents(nonzero.get(ch, 0)) for ch in CHANNELS}


def settings_with(ledger, **extra):
    environ = {
        "DATABASE_URL": ledger.settings.database_url,
        "LEDGER_TIMEZONE": "America/Phoenix",
        **extra,
    }
    return Ledger(load_settings(environ, dotenv_path=None), engine=ledger.engine)


@pytest.fixture
def october(ledger):
    statement_month.build(ledger)
    return ledger


def test_every_figure_of_october(october):
    data = json.loads(render(monthly_statement(october, OCTOBER), "json", october.settings))

    assert (data["month"], data["timezone"], data["currency"]) == (
        "2026-10",
        "America/Phoenix",
        "USD",
    )
    # Zelle: 2500 on the 12th and 4000 at 23:30 local on the 31st (06:30Z on 1 Nov);
    # 900 at 00:30 local on 1 November and 500 at 23:30 on 30 September are not October's
    zelle = fig(2, 6500, 0, 0, 6500)
    # PayPal one-time: 2000 (fee 119) + 5417 (50 EUR at 1.0834, fee 325) = 7417, fee 444;
    # the refund of September's 3000 (fee kept) is a refund of 3000; the denied 1000 is not
    # income. Net 1881 + 5092 - 3000 = 3973.
    paypal_one_time = fig(2, 7417, 3000, 444, 3973)
    paypal_recurring = fig(1, 1000, 0, 84, 916)  # Mia's subscription
    paypal = fig(3, 8417, 3000, 528, 4889)
    # Patreon: 500 (fee 85) + 1000 (fee 139) + 300 (fee 49) = 1800, fee 273; Sam's 300
    # refunded with 25 of fee returned: fees 273 - 25 = 248, net 1800 - 300 - 248 = 1252
    patreon = fig(3, 1800, 300, 248, 1252)
    # Check: 5000 deposited; check 2041 (10000) is still pending, so owed, not income
    check = fig(1, 5000, 0, 0, 5000)
    # Stripe: 2500 (fee 103), then disputed: 2500 back and a 1500 dispute fee
    stripe = fig(1, 2500, 2500, 1603, -1603)
    kdp = fig(2, 999 + 499, 0, 300 + 150, 699 + 349)
    audible = fig(1, 2000, 0, 1200, 800)
    assert data["channels"] == {
        "zelle": line("Zelle", zelle, "0.0", one_time=zelle),
        "patreon": line("Patreon", patreon, "13.8", recurring=patreon),  # 248/1800 = 13.78%
        # 528/8417 = 6.27%; PayPal took 6 cents more than the schedule's 319 on the euros
        "paypal": line(
            "PayPal", paypal, "6.3", paypal_one_time, paypal_recurring, unexpected=(1, 6)
        ),
        "check": line("Check", check, "0.0", one_time=check),
        "stripe": line("Stripe", stripe, "64.1", one_time=stripe),  # 1603/2500 = 64.12%
        "kdp": line("Amazon KDP", kdp, "30.0", sale=kdp),  # 450/1498 = 30.04%
        "ebookit": line("eBookIt", fig(), None),
        "audible": line("Audible (ACX)", audible, "60.0", sale=audible),
        "other": line("Other income", fig(), None),
    }
    # one-time: Zelle 6500 + check 5000 + PayPal 7417 + Stripe 2500 = 21417 gross;
    # refunds 3000 + 2500; fees 444 + 1603; net 6500 + 5000 + 3973 - 1603 = 13870
    one_time = fig(6, 21417, 5500, 2047, 13870)
    recurring = fig(4, 2800, 300, 332, 2168)  # PayPal 1000/84 + Patreon 1800/300/248
    sale = fig(3, 3498, 0, 1650, 1848)  # KDP 1498/450 + Audible 2000/1200
    total = fig(13, 27715, 5800, 4029, 17886)
    # 4029 / 27715 = 14.54%
    assert data["totals"] == line("Total", total, "14.5", one_time, recurring, sale, (1, 6))

    recurring_data = data["recurring"]
    assert recurring_data.pop("convention").startswith(
        "MRR counts subscriptions active at the end of the calendar month in America/Phoenix"
    )
    # active at 07:00Z on 1 Nov: subscriptions 1, 2, 3, 5, 6, 7, 9 (4 cancelled on the 15th,
    # 10 declined on the 20th, 8 ended in 2025); their supporters 3, 1, 5, 2, 2, 5, 6.
    # MRR: Patreon 500 + 1000 + 200, PayPal 1000 + 700 + 400, Stripe 12000 / 12.
    # Net of the schedule's fees on 31 October: Patreon (pro, 8% + 2.9% + 0.30 above $3,
    # 5% + 0.10 up to $3): 500-85, 1000-139, 200-36 = 1440; PayPal (3.49% + 0.49):
    # 1000-84, 700-73, 400-63 = 1880; Stripe (2.9% + 0.30): (12000 - 378) / 12 = 968.5 -> 969
    assert recurring_data == {
        "active": 7,
        "supporters": 5,
        "new": 3,  # subscriptions 2, 7 and 9 started in October
        "cancelled": 2,  # 4 and 10 ended in October
        # overdue by more than 10 days on 31 October: 6 (monthly, last paid 1 August, so due
        # 1 September) and 9 (never paid: due when it started, 10 October). 7 is Patreon's,
        # never paid too, but Patreon pays pledges as one monthly sum: active, so current
        "lapsed": 2,
        "lapse_grace_days": 10,  # LAPSE_GRACE_DAYS' default
        "mrr_gross": "48.00",
        "mrr_net": "42.89",  # 14.40 + 18.80 + 9.69
        "by_channel": {
            "patreon": {"active": 3, "mrr_gross": "17.00", "mrr_net": "14.40"},
            "paypal": {"active": 3, "mrr_gross": "21.00", "mrr_net": "18.80"},
            "stripe": {"active": 1, "mrr_gross": "10.00", "mrr_net": "9.69"},
        },
        # at the start (07:00Z on 1 Oct): supporter 3 500, 5 1000, 4 300, 2 1000+700+600
        "movements": {
            "start": "41.00",
            "new": "10.00",  # Ana (1) had never subscribed
            "expansion": "2.00",  # Mia (5) added a second subscription: 1000 -> 1200
            "contraction": "6.00",  # Lou (2) lost one of three: 2300 -> 1700
            "churn": "3.00",  # Sam (4) cancelled his only one
            "reactivation": "4.00",  # Jo (6) had one that ended in 2025
            "end": "48.00",  # 41 + 10 + 2 + 4 - 6 - 3
        },
        "fee_unknown": [],
        "names": None,  # SHOW_SUPPORTER_NAMES is off: counts only
    }
    assert data["outstanding"] == {
        # royalties earned by 31 October and due after it; the August KDP sale was due 29 Oct
        "royalties": [
            {"channel": "audible", "due_month": "2026-11", "count": 1, "amount": "8.00"},
            {"channel": "kdp", "due_month": "2026-12", "count": 2, "amount": "10.48"},
        ],
        "royalties_total": "18.48",
        "checks": [
            # received 28 September and 6 October; ages on 31 October
            {
                "received_on": "2026-09-28",
                "age_days": 33,
                "amount": "30.00",
                "check_number": "2039",
                "from": None,
            },
            {
                "received_on": "2026-10-06",
                "age_days": 25,
                "amount": "100.00",
                "check_number": "2041",
                "from": None,
            },
        ],
        "checks_total": "130.00",
        # no channel stated its balance, so each rolls forward from its first receipt: net
        # receipts less payouts sent by 31 October (Zelle and checks hold no balance):
        # Patreon 1252 - 1000; PayPal 627 (Aug) + 2846 (Sep) + 4889 - 5000;
        # Stripe 11622 (May) - 1603 - 1500
        "balances": [
            {
                "channel": "patreon",
                "stated_on": None,
                "opening": "0.00",
                "receipts": "12.52",
                "paid_out": "10.00",
                "balance": "2.52",
            },
            {
                "channel": "paypal",
                "stated_on": None,
                "opening": "0.00",
                "receipts": "83.62",
                "paid_out": "50.00",
                "balance": "33.62",
            },
            {
                "channel": "stripe",
                "stated_on": None,
                "opening": "0.00",
                "receipts": "100.19",
                "paid_out": "15.00",
                "balance": "85.19",
            },
        ],
        "balances_total": "121.33",
        "total": "269.81",  # 18.48 + 130.00 + 121.33
    }
    # arrived in October: Stripe's payout sent 28 Sep, the PayPal withdrawal (a transfer, not
    # income), KDP's August royalties; Patreon's, sent 30 Oct, arrives 2 Nov
    assert data["payouts"] == {
        "items": [
            {"channel": "stripe", "initiated_on": "2026-09-28", "arrived_on": "2026-10-01",
             "amount": "15.00", "fee": "0.00", "to_bank": "15.00"},
            {"channel": "paypal", "initiated_on": "2026-10-22", "arrived_on": "2026-10-24",
             "amount": "50.00", "fee": "0.00", "to_bank": "50.00"},
            {"channel": "kdp", "initiated_on": "2026-10-29", "arrived_on": "2026-10-29",
             "amount": "6.99", "fee": "0.00", "to_bank": "6.99"},
        ],
        "total": "71.99",
    }  # fmt: skip
    # September: Zelle 1000 + 500 (23:30 on the 30th), PayPal 3000 fee 154;
    # year to date adds March 1500, May 12000 fee 378, August 999 fee 300 and 700 fee 73
    assert data["comparison"] == {
        "previous": {"month": "2026-09", **fig(3, 4500, 0, 154, 4346)},
        "year_ago": {"month": "2025-10", **fig(1, 2000, 0, 0, 2000)},
        "year_to_date": {
            "from": "2026-01",
            "to": "2026-10",
            **fig(20, 27715 + 4500 + 1500 + 12000 + 999 + 700, 5800, 4029 + 154 + 378 + 373,
                  17886 + 4346 + 1500 + 11622 + 699 + 627),
        },
    }  # fmt: skip
    assert data["series"] == [
        {"month": "2025-11", "net": net_by_channel(), "total": "0.00"},
        {"month": "2025-12", "net": net_by_channel(zelle=800), "total": "8.00"},
        {"month": "2026-01", "net": net_by_channel(), "total": "0.00"},
        {"month": "2026-02", "net": net_by_channel(), "total": "0.00"},
        {"month": "2026-03", "net": net_by_channel(zelle=1500), "total": "15.00"},
        {"month": "2026-04", "net": net_by_channel(), "total": "0.00"},
        {"month": "2026-05", "net": net_by_channel(stripe=11622), "total": "116.22"},
        {"month": "2026-06", "net": net_by_channel(), "total": "0.00"},
        {"month": "2026-07", "net": net_by_channel(), "total": "0.00"},
        {"month": "2026-08", "net": net_by_channel(kdp=699, paypal=627), "total": "13.26"},
        {"month": "2026-09", "net": net_by_channel(zelle=1500, paypal=2846), "total": "43.46"},
        {
            "month": "2026-10",
            "net": net_by_channel(
                zelle=6500, patreon=1252, paypal=4889, check=5000, stripe=-1603, kdp=1048,
                audible=800,
            ),
            "total": "178.86",
        },
    ]  # fmt: skip
    # PayPal's only live import ends on 30 September (the later one was undone); eBookIt's
    # ended in June but it never had a receipt; Stripe and the hand-kept channels had none
    assert data["missing_data"] == [
        {
            "channel": "paypal",
            "covered_to": "2026-09-30",
            "message": "PayPal: nothing imported after 2026-09-30",
        }
    ]
    assert data["supporter_names_shown"] is False
    assert len(data) == 12  # no key left unchecked


def test_names_only_when_the_writer_allows(october):
    shown = settings_with(october, SHOW_SUPPORTER_NAMES="true")
    statement = monthly_statement(shown, OCTOBER)
    data = json.loads(render(statement, "json", shown.settings))
    assert data["recurring"]["names"] == {
        "new": ["Ana Ruiz", "Jo Park", "Mia Chen"],
        "cancelled": ["Lou Green", "Sam Okafor"],
        "lapsed": ["Jo Park", "Lou Green"],
    }
    assert [c["from"] for c in data["outstanding"]["checks"]] == [
        "<script>alert(1)</script>",
        "Lou Green",
    ]
    hidden = monthly_statement(october, OCTOBER)
    text = render(hidden, "text", october.settings)
    assert "Lou Green" not in text and "Ana Ruiz" not in text


def test_the_statement_refuses_a_receipt_in_another_currency(october):
    with october.engine.begin() as connection:
        connection.execute(
            insert(Receipt.__table__).values(
                channel="paypal", external_id="EUR-1", kind="one_time", event="payment",
                status="completed", occurred_at=statement_month.at("2026-10-05T17:00"),
                currency="EUR", gross_minor=1000, fee_minor=0, net_minor=1000, flags="",
                description="",
            )
        )  # fmt: skip
    with pytest.raises(LedgerError, match="is in EUR, not USD"):
        monthly_statement(october, OCTOBER)
    with october.engine.begin() as connection:  # leave the ledger as the invariants expect
        connection.execute(Receipt.__table__.delete().where(Receipt.external_id == "EUR-1"))


def test_an_empty_ledger_gives_a_statement_of_zeros(ledger):
    data = json.loads(render(monthly_statement(ledger, OCTOBER), "json", ledger.settings))
    assert set(data["channels"]) == set(CHANNELS)
    assert all(data["channels"][ch]["net"] == "0.00" for ch in CHANNELS)
    assert data["totals"]["fee_share"] is None
    assert data["missing_data"] == [] and data["payouts"] == {"items": [], "total": "0.00"}
    assert data["comparison"]["year_to_date"]["from"] == "2026-01"


def test_year_to_date_in_january_is_the_month_alone(october):
    statement = monthly_statement(october, Month(2027, 1))
    assert statement.comparison.year_to_date_from == Month(2027, 1)
    assert statement.comparison.previous_month == OCTOBER.shift(2)
    assert statement.comparison.year_to_date.count == 0


def test_annual_summary_for_schedule_c_beside_the_1099k(october):
    record_tax_form(october, 2026, "paypal", Money.of("160.00", "USD"))
    data = json.loads(render(annual_summary(october, 2026), "json", october.settings))
    # 2026 (Phoenix): October 27715 gross + September 4500 + March 1500 + May 12000 +
    # August 999 + 700 + the 900 Zelle payment of 1 November (local) = 48314;
    # refunds 5800; fees 4029 + 154 + 378 + 300 + 73 = 4934
    assert data["schedule_c"] == {
        "line_1_gross_receipts": "483.14",
        "line_2_returns_and_allowances": "58.00",
        "line_3_subtotal": "425.14",
        "line_10_commissions_and_fees": "49.34",
    }
    assert data["totals"]["net"] == cents(48314 - 5800 - 4934)
    # PayPal gross 2026: 700 (Aug) + 3000 (Sep) + 8417 (Oct) = 12117; the 1099-K says 16000
    assert data["tax_forms"] == [
        # Zelle: March 1500, September 1000 + 500, October 2500 + 4000, November 900
        {"channel": "zelle", "ledger_gross": "104.00", "reported_gross": None,
         "difference": None},
        {"channel": "patreon", "ledger_gross": "18.00", "reported_gross": None,
         "difference": None},
        {"channel": "paypal", "ledger_gross": "121.17", "reported_gross": "160.00",
         "difference": "38.83"},
        {"channel": "check", "ledger_gross": "50.00", "reported_gross": None,
         "difference": None},
        {"channel": "stripe", "ledger_gross": "145.00", "reported_gross": None,
         "difference": None},  # 12000 (May) + 2500 (Oct)
        {"channel": "kdp", "ledger_gross": "24.97", "reported_gross": None,
         "difference": None},  # 999 (Aug) + 999 + 499
        {"channel": "audible", "ledger_gross": "20.00", "reported_gross": None,
         "difference": None},
    ]  # fmt: skip
    assert [m["month"] for m in data["months"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert data["months"][10] == {"month": "2026-11", **fig(1, 900, 0, 0, 900)}


def test_a_balance_rolls_forward_from_the_channels_own_figure(october):
    with october.engine.begin() as connection:
        connection.execute(
            insert(ChannelBalance.__table__).values(
                channel="paypal", currency="USD", as_of=statement_month.at("2026-10-10T00:00"),
                amount_minor=4000,
            )
        )  # fmt: skip
    data = json.loads(render(monthly_statement(october, OCTOBER), "json", october.settings))
    # PayPal said 40.00 at 00:00Z on 10 October (17:00 on the 9th in Phoenix); since then:
    # the 20.00 payment of the 20th (net 18.81), and the 50.00 withdrawal of the 22nd
    assert data["outstanding"]["balances"][1] == {
        "channel": "paypal", "stated_on": "2026-10-09", "opening": "40.00", "receipts": "18.81",
        "paid_out": "50.00", "balance": "8.81",
    }  # fmt: skip
    assert data["outstanding"]["balances_total"] == "96.52"  # 2.52 + 8.81 + 85.19


def test_a_merged_supporter_counts_once(october):
    with october.engine.begin() as connection:  # Jo Park (6) turns out to be Mia Chen (5)
        connection.execute(update(Supporter).where(Supporter.id == 6).values(merged_into_id=5))
    recurring = monthly_statement(october, OCTOBER).recurring
    # supporters at month end: 3, 1, 5 (with Jo's subscription 9), 2
    assert recurring.supporters == 4
    m = recurring.movements
    # Mia: 10.00 at the start, 10.00 + 2.00 + 4.00 at the end: 6.00 of expansion, and Jo's
    # return is no longer a reactivation; 41 + 10 + 6 - 6 - 3 = 48
    assert (m.start, m.new, m.expansion, m.reactivation, m.contraction, m.churn, m.end) == (
        Money.of("41.00", "USD"), Money.of("10.00", "USD"), Money.of("6.00", "USD"),
        Money.of("0.00", "USD"), Money.of("6.00", "USD"), Money.of("3.00", "USD"),
        Money.of("48.00", "USD"),
    )  # fmt: skip


def test_a_patron_is_lapsed_when_patreon_declines_the_pledge_not_for_want_of_a_payment(october):
    """Patreon's money is one monthly sum linked to no patron: subscription 7, active and
    never paid, is current; a pledge Patreon marks declined (and has not ended) is lapsed,
    and being declined it is out of the MRR."""
    with october.engine.begin() as connection:
        connection.execute(
            insert(Subscription.__table__).values(
                id=11, channel="patreon", external_id="sub-11", supporter_id=4,
                amount_minor=500, currency="USD", interval="month", status="declined",
                started_at=statement_month.at("2026-07-01T07:00"), ended_at=None,
            )
        )  # fmt: skip
    shown = settings_with(october, SHOW_SUPPORTER_NAMES="true")
    recurring = monthly_statement(shown, OCTOBER).recurring
    # 6 and 9 as before, and Sam Okafor's (4) declined pledge
    assert (recurring.lapsed, recurring.lapsed_names) == (3, ("Jo Park", "Lou Green", "Sam Okafor"))
    assert (recurring.active, recurring.mrr_gross) == (7, Money.of("48.00", "USD"))


def test_a_payout_matched_to_a_bank_line_arrived_the_day_the_bank_posted_it(october):
    """Patreon says nothing of arrival; the bank does. Payouts sent 5 and 27 October are
    matched (``bank_lines.payout_id``) to deposits posted 8 October and 3 November: they
    arrived then. Each stays on the statement of the month the channel's dates give (the
    27 October one is not listed again in November); one never matched keeps "(date not
    known)". Once October is closed, a match made later does not change its statement."""

    def patreon_payout(external_id, sent, cents, bank_posted):
        with october.engine.begin() as connection:
            payout_id = connection.execute(
                insert(Payout.__table__).values(
                    channel="patreon",
                    external_id=external_id,
                    currency="USD",
                    initiated_at=statement_month.at(sent),
                    arrived_on=None,
                    amount_minor=cents,
                    fee_minor=25,
                    status="paid",
                )
            ).inserted_primary_key[0]
            line_id = connection.execute(
                insert(BankLine.__table__).values(
                    account="checking",
                    external_id=f"fitid-{external_id}",
                    posted_on=bank_posted,
                    currency="USD",
                    amount_minor=cents - 25,
                    classification="payout",
                    counterparty="patreon",
                )
            ).inserted_primary_key[0]
        return payout_id, line_id

    for ids in (
        patreon_payout("PTP-2", "2026-10-05T16:00", 20000, dt.date(2026, 10, 8)),
        patreon_payout("PTP-3", "2026-10-27T16:00", 8000, dt.date(2026, 11, 3)),
    ):
        match_payout(october, *ids)
    late_match = patreon_payout("PTP-4", "2026-10-06T16:00", 3000, dt.date(2026, 10, 9))

    def payouts(month):
        statement = monthly_statement(october, month)
        return [
            (p.channel, p.initiated_on.isoformat(), p.arrived_on and p.arrived_on.isoformat(),
             p.to_bank.plain())
            for p in statement.payouts
        ], render(statement, "text", october.settings)  # fmt: skip

    # by the channel's arrival (else sending) day: Stripe 1 Oct, PTP-2 sent 5 Oct
    # (200.00 - 0.25), PTP-4 sent 6 Oct, PayPal 24 Oct, PTP-3 sent 27 Oct, KDP 29 Oct
    october_payouts, text = payouts(OCTOBER)
    assert october_payouts == [
        ("stripe", "2026-09-28", "2026-10-01", "15.00"),
        ("patreon", "2026-10-05", "2026-10-08", "199.75"),
        ("patreon", "2026-10-06", None, "29.75"),
        ("paypal", "2026-10-22", "2026-10-24", "50.00"),
        ("patreon", "2026-10-27", "2026-11-03", "79.75"),
        ("kdp", "2026-10-29", "2026-10-29", "6.99"),
    ]
    assert "Patreon        sent 2026-10-05 arrived 2026-10-08" in text
    assert "Patreon        sent 2026-10-06 arrived (date not known)" in text
    # November: only PTP-1 (the fixture's, arriving 2 Nov: 10.00 - 0.25)
    assert payouts(Month(2026, 11))[0] == [("patreon", "2026-10-30", "2026-11-02", "9.75")]

    with october.engine.begin() as connection:
        close_month(connection, OCTOBER, october.tz)
    assert payouts(OCTOBER) == (october_payouts, text)  # matched before the close
    match_payout(october, *late_match)
    assert payouts(OCTOBER) == (october_payouts, text)  # as sent
    with october.engine.begin() as connection:
        reopen_month(connection, OCTOBER, "PTP-4's arrival")
    assert payouts(OCTOBER)[0][2] == ("patreon", "2026-10-06", "2026-10-09", "29.75")


def test_a_statement_reads_one_snapshot_though_an_import_commits_meanwhile(october, monkeypatch):
    """A Zelle receipt of 100.00 committed just after the statement's first read (the
    import coverage) is not in its income: every read sees the ledger as that first one
    did. The next statement sees it."""
    first_read = statement._read_coverage

    def read_then_an_import_commits(connection):
        found = first_read(connection)
        with october.engine.begin() as other:
            other.execute(
                insert(Receipt.__table__),
                [statement_month.receipt(90, "zelle", "2026-10-20T17:00", 10000, who=1)],
            )
        return found

    monkeypatch.setattr(statement, "_read_coverage", read_then_an_import_commits)
    # 178.86 net, as in test_every_figure_of_october
    assert monthly_statement(october, OCTOBER).totals.figures.net == Money.of("178.86", "USD")
    monkeypatch.undo()
    assert monthly_statement(october, OCTOBER).totals.figures.net == Money.of("278.86", "USD")


def test_an_annual_summary_reads_one_snapshot(october, monkeypatch):
    """A 1099-K recorded between the year's receipts and the forms read is not beside them."""
    read_aggregates = statement._read_aggregates

    def read_then_a_form_is_recorded(*args):
        found = read_aggregates(*args)
        record_tax_form(october, 2026, "paypal", Money.of("160.00", "USD"))
        return found

    monkeypatch.setattr(statement, "_read_aggregates", read_then_a_form_is_recorded)
    paypal = {f.channel: f for f in annual_summary(october, 2026).tax_forms}["paypal"]
    assert paypal.reported_gross is None
    monkeypatch.undo()
    paypal = {f.channel: f for f in annual_summary(october, 2026).tax_forms}["paypal"]
    assert paypal.reported_gross == Money.of("160.00", "USD")


def test_the_snapshot_is_repeatable_read_on_postgresql_and_a_begun_read_on_sqlite(ledger):
    with statement.read_snapshot(ledger.engine) as connection:
        if connection.dialect.name == "postgresql":
            level = connection.exec_driver_sql("SHOW transaction_isolation").scalar_one()
            assert level == "repeatable read"
        else:
            assert connection.connection.dbapi_connection.in_transaction


def test_a_won_dispute_and_standalone_fees_in_the_pure_layer():
    """No database: the annual summary is built straight from aggregate rows."""
    from zoneinfo import ZoneInfo

    from supportledger.statement import Aggregate, YearFacts, build_annual_summary

    def row(event, count, gross, fee):  # October (bucket 9), Stripe, one-time
        return Aggregate(
            9, "stripe", "one_time", event, "USD", count, gross, fee, gross - fee, 0, 0
        )

    facts = YearFacts(
        "USD",
        ZoneInfo("America/Phoenix"),
        tuple(Month(2026, m) for m in range(1, 13)),
        (
            row("payment", 1, 2500, 103),
            row("dispute", 1, -2500, 1500),  # taken back, with the dispute fee
            row("dispute_reversal", 1, 2500, 0),  # won: the money comes back
            row("fee", 1, 0, 5),  # a Radar fee with nothing received
            row("fee", 1, -7, 0),  # a fee booked as a negative amount
        ),
    )
    summary = build_annual_summary(facts, 2026)
    stripe = next(c for c in summary.channels if c.channel == "stripe").figures
    # refunds 2500 - 2500 = 0; fees 103 + 1500 + 5 + 7 = 1615; net 2500 - 0 - 1615 = 885,
    # which is also the rows' net: 2397 - 4000 + 2500 - 5 - 7
    assert (stripe.count, stripe.gross, stripe.refunds, stripe.fees, stripe.net) == (
        1, Money.of("25.00", "USD"), Money.of("0.00", "USD"), Money.of("16.15", "USD"),
        Money.of("8.85", "USD"),
    )  # fmt: skip
    assert summary.months[9][1].net == Money.of("8.85", "USD")
    assert summary.schedule_c.line_10_commissions_and_fees == Money.of("16.15", "USD")


def test_every_channel_whose_imports_stop_early_is_named(october):
    december = monthly_statement(october, Month(2026, 12))
    # Patreon, KDP and ACX report by month and their imports end in October; PayPal's
    # ends on 30 September; eBookIt never had a receipt, Zelle never an import
    assert [m.message for m in december.missing_data] == [
        "Patreon: nothing imported after the October 2026 report",
        "PayPal: nothing imported after 2026-09-30",
        "Amazon KDP: nothing imported after the October 2026 report",
        "Audible (ACX): nothing imported after the October 2026 report",
    ]
    # September is covered by every import that had begun, and Patreon's began in October
    assert monthly_statement(october, Month(2026, 9)).missing_data == ()


def test_a_monthly_report_dated_the_first_covers_its_month(october):
    # a KDP report for October, its rows dated 1 October: October is covered, November not
    with october.engine.begin() as connection:
        connection.execute(
            ImportBatch.__table__.update()
            .where(ImportBatch.channel == "kdp")
            .values(covers_to=statement_month.at("2026-10-01T07:00"))
        )
    assert [m.channel for m in monthly_statement(october, OCTOBER).missing_data] == ["paypal"]
    assert monthly_statement(october, Month(2026, 11)).missing_data[2].message == (
        "Amazon KDP: nothing imported after the October 2026 report"
    )
