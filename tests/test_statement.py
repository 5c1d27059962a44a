"""The monthly statement and annual summary, every figure worked out by hand.

The month is tests/statement_month.py: October 2026 in Phoenix across every channel, with a
refund of a September payment, a payment in euros, a Zelle payment at 23:30 on 31 October,
a PayPal withdrawal and KDP royalties paid two months later. Amounts in comments are cents.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import insert, update

import statement_month
from supportledger import statement
from supportledger.closing import close_month, reopen_month
from supportledger.config import load_settings
from supportledger.journal import rebuild_ledger
from supportledger.ledger import Ledger, record_receipt
from supportledger.models import (
    BankLine,
    ChannelBalance,
    ImportBatch,
    Payout,
    Subscription,
    Supporter,
)
from supportledger.money import Money
from supportledger.months import Month
from supportledger.reconcile import match_payout
from supportledger.render import render
from supportledger.sources import ReceiptEntry
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
        # what the royalty channels owe, their payments settling the oldest months first:
        # KDP's 6.99 of 29 October paid August's sale (999 - 300); October's two are owed
        # (999 - 300 + 499 - 150), due 60 days after the month; ACX's October is due in 30
        "royalties": [
            {
                "channel": "audible",
                "earned_month": "2026-10",
                "due_month": "2026-11",
                "count": 1,
                "earned": "8.00",
                "amount": "8.00",
            },
            {
                "channel": "kdp",
                "earned_month": "2026-10",
                "due_month": "2026-12",
                "count": 2,
                "earned": "10.48",
                "amount": "10.48",
            },
        ],
        "royalties_total": "18.48",
        # checks in hand (2040 was deposited on 2 October), received 28 September and 6
        # October; ages on 31 October
        "checks": [
            {
                "channel": "check",
                "received_on": "2026-09-28",
                "age_days": 33,
                "amount": "30.00",
                "currency": "USD",
                "check_number": "2039",
                "from": None,
            },
            {
                "channel": "check",
                "received_on": "2026-10-06",
                "age_days": 25,
                "amount": "100.00",
                "currency": "USD",
                "check_number": "2041",
                "from": None,
            },
        ],
        "checks_unexplained": "0.00",
        "checks_total": "130.00",
        # what each channel holds through October (Zelle and checks hold nothing):
        # Patreon 1252 in October - 1000 paid out; PayPal from 627 (Aug) + 2846 (Sep),
        # 4889 in October - 5000; Stripe from 11622 (May) - 1500 (28 Sep), -1603 in October
        "balances": [
            {
                "channel": "patreon",
                "currency": "USD",
                "opening": "0.00",
                "receipts": "12.52",
                "paid_out": "10.00",
                "other": "0.00",
                "balance": "2.52",
                "value": "2.52",
                "stated": None,
                "stated_on": None,
                "ledger_at_stated": None,
                "difference": None,
            },
            {
                "channel": "paypal",
                "currency": "USD",
                "opening": "34.73",
                "receipts": "48.89",
                "paid_out": "50.00",
                "other": "0.00",
                "balance": "33.62",
                "value": "33.62",
                "stated": None,
                "stated_on": None,
                "ledger_at_stated": None,
                "difference": None,
            },
            {
                "channel": "stripe",
                "currency": "USD",
                "opening": "101.22",
                "receipts": "-16.03",
                "paid_out": "0.00",
                "other": "0.00",
                "balance": "85.19",
                "value": "85.19",
                "stated": None,
                "stated_on": None,
                "ledger_at_stated": None,
                "difference": None,
            },
        ],
        "balances_total": "121.33",
        # Patreon's payout of 30 October (10.00 less its 0.25 fee) reaches the bank 2 November
        "in_transit": [{"channel": "patreon", "amount": "9.75"}],
        "in_transit_total": "9.75",
        "total": "279.56",  # 18.48 + 130.00 + 121.33 + 9.75
    }
    # arrived in October: Stripe's payout sent 28 Sep, the PayPal withdrawal (a transfer, not
    # income), KDP's August royalties; Patreon's, sent 30 Oct, arrives 2 Nov
    assert data["payouts"] == {
        "items": [
            {"channel": "stripe", "initiated_on": "2026-09-28", "arrived_on": "2026-10-01",
             "amount": "15.00", "fee": "0.00", "to_bank": "15.00", "currency": "USD"},
            {"channel": "paypal", "initiated_on": "2026-10-22", "arrived_on": "2026-10-24",
             "amount": "50.00", "fee": "0.00", "to_bank": "50.00", "currency": "USD"},
            {"channel": "kdp", "initiated_on": "2026-10-29", "arrived_on": "2026-10-29",
             "amount": "6.99", "fee": "0.00", "to_bank": "6.99", "currency": "USD"},
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
    assert data["exchange_gain"] == "0.00"  # nothing held in another currency
    assert len(data) == 13  # no key left unchecked


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


def test_money_held_in_another_currency_is_income_at_its_value_on_the_day(october):
    # 10.00 EUR kept in PayPal's EUR balance, valued at 1.08 (the writer's rate for the day)
    # on 5 October: 10.80 of October's PayPal income; PayPal holds 10.00 EUR beside its USD
    record_receipt(
        october,
        ReceiptEntry(
            "paypal", "EUR-1", statement_month.at("2026-10-05T17:00"), Money.of("10", "EUR"),
            fee=Money.of("0", "EUR"), fx_rate=Decimal("1.08"),
        ),
    )  # fmt: skip
    data = json.loads(render(monthly_statement(october, OCTOBER), "json", october.settings))
    assert data["channels"]["paypal"]["gross"] == cents(8417 + 1080)
    held = [b for b in data["outstanding"]["balances"] if b["channel"] == "paypal"]
    assert [(b["currency"], b["balance"], b["value"]) for b in held] == [
        ("EUR", "10.00", "10.80"),
        ("USD", "33.62", "33.62"),
    ]


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
    accrual = json.loads(
        render(annual_summary(october, 2026, basis="accrual"), "json", october.settings)
    )
    # accrual: royalties when the store reports them earned. 2026 (Phoenix): October 27715
    # gross + September 4500 + March 1500 + May 12000 + August 999 + 700 + the 900 Zelle
    # payment of 1 November (local) = 48314; refunds 5800; fees 4029 + 154 + 378 + 300 + 73
    # = 4934, and Patreon's 0.25 payout fee of 30 October: line 10 is 4959
    assert accrual["basis"] == "accrual"
    assert accrual["schedule_c"] == {
        "line_1_gross_receipts": "483.14",
        "line_2_returns_and_allowances": "58.00",
        "line_3_subtotal": "425.14",
        "line_10_commissions_and_fees": "49.59",
        "payout_fees": "0.25",
    }
    assert accrual["totals"]["net"] == cents(48314 - 5800 - 4934)
    # cash (the default, as most writers file): a royalty is income when it is paid. KDP
    # paid 6.99 on 29 October (for August); its 2026 sales (2497 gross, 750 kept by
    # Amazon) and ACX's (2000, 1200) are not income yet
    data = json.loads(render(annual_summary(october, 2026), "json", october.settings))
    assert data["basis"] == "cash"
    assert data["schedule_c"] == {
        "line_1_gross_receipts": cents(48314 - 2497 - 2000 + 699),
        "line_2_returns_and_allowances": "58.00",
        "line_3_subtotal": cents(48314 - 2497 - 2000 + 699 - 5800),
        "line_10_commissions_and_fees": cents(4934 - 750 - 1200 + 25),
        "payout_fees": "0.25",
    }
    assert data["channels"]["kdp"]["sale"] == fig(1, 699, 0, 0, 699)
    assert data["channels"]["audible"]["net"] == "0.00"
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
        {"channel": "kdp", "ledger_gross": "6.99", "reported_gross": None,
         "difference": None},  # what KDP paid in 2026 (its 1099-MISC reports the same)
    ]  # fmt: skip
    assert [t["channel"] for t in accrual["tax_forms"]][-2:] == ["kdp", "audible"]
    assert [m["month"] for m in data["months"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert data["months"][10] == {"month": "2026-11", **fig(1, 900, 0, 0, 900)}


def test_a_channels_own_balance_sets_what_it_held_before_the_ledger_and_checks_it_after(
    october,
):
    def stated(at, cents):
        with october.engine.begin() as connection:
            connection.execute(
                insert(ChannelBalance.__table__).values(
                    channel="paypal", currency="USD", as_of=statement_month.at(at),
                    amount_minor=cents,
                )
            )  # fmt: skip
        rebuild_ledger(october)

    # PayPal said 40.00 at 00:00Z on 10 October (17:00 on the 9th in Phoenix). By then the
    # ledger had 6481 (3473 before October, -3000 refund, 916 and 5092 in October): PayPal
    # held 24.81 less than the ledger knows of, before its first receipt in the ledger (an
    # opening balance of -24.81, on 1 August). October then opens at 3473 - 2481 = 992 and
    # closes at 992 + 4889 - 5000 = 881, as PayPal's own figure rolled forward says
    stated("2026-10-10T00:00", 4000)
    data = json.loads(render(monthly_statement(october, OCTOBER), "json", october.settings))
    assert data["outstanding"]["balances"][1] == {
        "channel": "paypal", "currency": "USD", "opening": "9.92", "receipts": "48.89",
        "paid_out": "50.00", "other": "0.00", "balance": "8.81", "value": "8.81",
        "stated": "40.00", "stated_on": "2026-10-09", "ledger_at_stated": "40.00",
        "difference": "0.00",
    }  # fmt: skip
    assert data["outstanding"]["balances_total"] == "96.52"  # 2.52 + 8.81 + 85.19
    # a later figure that disagrees is shown beside the ledger's, never absorbed: on 25
    # October PayPal says 0.00 where the ledger has 881 - ... = 40.00 + 18.81 - 50.00
    stated("2026-10-25T00:00", 0)
    later = json.loads(render(monthly_statement(october, OCTOBER), "json", october.settings))
    assert later["outstanding"]["balances"][1]["stated"] == "0.00"
    assert later["outstanding"]["balances"][1]["ledger_at_stated"] == "8.81"
    assert later["outstanding"]["balances"][1]["difference"] == "-8.81"
    assert later["outstanding"]["balances"][1]["balance"] == "8.81"


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
    rebuild_ledger(october)  # the rows went straight into the tables

    def payouts(month):
        statement = monthly_statement(october, month)
        return [
            (p.channel, p.initiated_on.isoformat(), p.arrived_on and p.arrived_on.isoformat(),
             p.to_bank.plain())
            for p in statement.payouts
        ], render(statement, "text", october.settings)  # fmt: skip

    # by the day each reached the bank: Stripe 1 Oct, PTP-2 on 8 Oct (200.00 - 0.25), PayPal
    # 24 Oct, KDP 29 Oct. PTP-3 reached it on 3 November; PTP-4, not yet matched to the
    # bank's line and with no arrival from Patreon, has not been seen arriving
    october_payouts, text = payouts(OCTOBER)
    assert october_payouts == [
        ("stripe", "2026-09-28", "2026-10-01", "15.00"),
        ("patreon", "2026-10-05", "2026-10-08", "199.75"),
        ("paypal", "2026-10-22", "2026-10-24", "50.00"),
        ("kdp", "2026-10-29", "2026-10-29", "6.99"),
    ]
    assert "Patreon        sent 2026-10-05 arrived 2026-10-08" in text
    assert "date not known" not in text
    # November: PTP-1 (the fixture's, arriving 2 Nov: 10.00 - 0.25) and PTP-3
    assert payouts(Month(2026, 11))[0] == [
        ("patreon", "2026-10-30", "2026-11-02", "9.75"),
        ("patreon", "2026-10-27", "2026-11-03", "79.75"),
    ]

    close_month(october, OCTOBER)
    assert payouts(OCTOBER) == (october_payouts, text)
    match_payout(october, *late_match)
    assert payouts(OCTOBER) == (october_payouts, text)  # as sent
    reopen_month(october, OCTOBER, "PTP-4's arrival")
    assert payouts(OCTOBER)[0][2] == ("patreon", "2026-10-06", "2026-10-09", "29.75")


def test_a_statement_reads_one_snapshot_though_an_import_commits_meanwhile(october, monkeypatch):
    """A Zelle receipt of 100.00 committed just after the statement's first read (the
    import coverage) is not in its income: every read sees the ledger as that first one
    did. The next statement sees it."""
    first_read = statement._read_coverage

    def read_then_an_import_commits(connection):
        found = first_read(connection)
        entry = ReceiptEntry(
            "zelle", "ZL-90", statement_month.at("2026-10-20T17:00"), Money.of("100", "USD")
        )
        record_receipt(october, entry)
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
    """No database: receipts derived into postings by the journal's rules, summed into the
    aggregate rows the roll-up would give, and the annual summary built from them."""
    from collections import defaultdict
    from zoneinfo import ZoneInfo

    from supportledger.journal import Deriver
    from supportledger.statement import Aggregate, YearFacts, build_annual_summary

    def receipt(n, event, gross, fee):  # October, Stripe, one-time
        return {
            "id": n, "channel": "stripe", "kind": "one_time", "event": event,
            "status": "completed", "occurred_at": dt.datetime(2026, 10, 8, 20, tzinfo=dt.UTC),
            "currency": "USD", "gross_minor": gross, "fee_minor": fee, "net_minor": gross - fee,
            "expected_fee_minor": None, "original_minor": None, "original_currency": None,
            "fx_rate": None,
        }  # fmt: skip

    derive = Deriver("USD", ZoneInfo("America/Phoenix"))
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        receipt(1, "payment", 2500, 103),
        receipt(2, "dispute", -2500, 1500),  # taken back, with the dispute fee
        receipt(3, "dispute_reversal", 2500, 0),  # won: the money comes back
        receipt(4, "fee", 0, 5),  # a Radar fee with nothing received
        receipt(5, "fee", -7, 0),  # a fee booked as a negative amount
    ):
        for leg in derive.receipt(row).legs:
            sums[(str(leg.role), leg.kind)][0] += leg.payment
            sums[(str(leg.role), leg.kind)][1] += leg.value
    facts = YearFacts(
        "USD",
        ZoneInfo("America/Phoenix"),
        tuple(Month(2026, m) for m in range(1, 13)),
        tuple(
            Aggregate(9, "stripe", kind, role, count, value, 0, 0)
            for (role, kind), (count, value) in sums.items()
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
