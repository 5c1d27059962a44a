"""Reconciling a quarter (July-September 2026) of a writer's channels against the bank.

The quarter, in America/Phoenix (UTC-7 all year), with every figure worked out by hand:

PayPal (commercial 3.49% + 0.49 since Aug 2021):
  PP-0703 Jul 3  20.00  fee 1.19 (0.698 -> 0.70 + 0.49)          net 18.81
  PP-0710 Jul 10 50.00  fee 2.24 (1.745 -> 1.75 + 0.49)          net 47.76
  PP-0720 Jul 20 10.00  fee 0.59 charged, 0.84 expected          net  9.41
          (0.349 -> 0.35 + 0.49 = 0.84; the micropayment plan: 0.499 -> 0.50 + 0.09 = 0.59)
  PP-0812 Aug 12 100.00 fee 3.98 (3.49 + 0.49)                   net 96.02
  PP-0814 Aug 14 25.00  fee 1.36 (0.8725 -> 0.87 + 0.49)         net 23.64
  PP-0908 Sep 8  30.00  fee 1.54 (1.047 -> 1.05 + 0.49)          net 28.46
  withdrawals: Jul 24 75.98 (18.81 + 47.76 + 9.41); Aug 17 50.00 and Aug 18 50.00 (the
  ambiguous pair: bank lines of 50.00 on Aug 19 and Aug 20 fit both); Sep 21 48.12
  (19.66 + 28.46), which never arrives. PayPal states its balance: 0.00 on Jul 24, 19.16
  on Aug 28 (the ledger says 19.66 = 96.02 + 23.64 - 100.00: 0.50 unexplained), 0.00 on
  Sep 21.
Patreon (Pro: 8% + 2.9% + 0.30 above $3): $5 pledges pay 0.40 + 0.45 = 0.85, $10 pledges
  0.80 + 0.59 = 1.39. Jul 1 and Aug 1: 5 + 5 + 10, net 4.15 + 4.15 + 8.61 = 16.91; Sep 1
  the $10 pledge is charged 1.50 (unexplained), net 16.80. Payouts on the 5th of the whole
  balance with a 0.25 transfer fee: 16.66, 16.66 and 16.55 reach the bank; a 42.00 Patreon
  deposit on Aug 21 matches no payout.
Stripe (2.9% + 0.30; international +1.5%): ch_0714 40.00 fee 1.46 net 38.54; ch_0722 15.00
  fee 0.74 (0.435 -> 0.44 + 0.30) net 14.26; ch_0805 40.00 international, 2.46 charged,
  2.06 expected (1.16 + 0.30 + 0.60); ch_0915 60.00 fee 2.04 net 57.96. Payouts Jul 28
  38.54, Aug 11 51.80 (14.26 + 37.54), Sep 29 57.96 (reaches the bank Oct 1: in transit at
  September's end). Stripe states 14.26 on Jul 31.
KDP (royalty = gross - fee): July 49.90 - 17.10 = 32.80 due Sep 30; August 24.95 - 8.55 =
  16.40 due Oct 31; September 14.97 - 5.13 = 9.84 due Nov 30. July's royalty is paid on
  Sep 28 (32.80), in the third month.
ACX (40%): July 50.00 - 30.00 = 20.00 due Aug 31, paid Aug 27; August 25.00 - 15.00 =
  10.00 due Sep 30, paid Sep 28; September 12.50 - 7.50 = 5.00 due Oct 31.
Checks: 2041 (100.00, Jul 6, deposited Jul 7); 509 (60.00, Jul 15, deposited Jul 16,
  returned Jul 23 with a 12.00 returned-item fee); 311 (75.00, Aug 26, never deposited).
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from columns import in_80_columns
from supportledger.closing import close_month, reopen_month
from supportledger.imports import apply_entries
from supportledger.journal import rebuild_ledger
from supportledger.models import Event, MonthClose, Receipt, Status
from supportledger.money import Money
from supportledger.months import Month
from supportledger.reconcile import (
    likely_cause,
    match_payout,
    reconcile_month,
    reconciliation_data,
    record_returned_check,
    render_text,
)
from supportledger.sources import BalanceEntry, BankLineEntry, PayoutEntry, ReceiptEntry

PHX = ZoneInfo("America/Phoenix")
JUL, AUG, SEP = Month(2026, 7), Month(2026, 8), Month(2026, 9)
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=PHX)


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def receipt(channel, external_id, when, gross, fee=None, **more) -> ReceiptEntry:
    return ReceiptEntry(
        channel=channel,
        external_id=external_id,
        occurred_at=when,
        gross=usd(gross),
        fee=usd(fee) if fee is not None else None,
        **more,
    )


def payout(channel, external_id, when, amount, fee="0") -> PayoutEntry:
    return PayoutEntry(channel, external_id, when, usd(amount), usd(fee))


def deposit(number, day: dt.date, amount, channel=None, classification="payout", check=None):
    return BankLineEntry(
        account="checking",
        external_id=f"line-{number}",
        posted_on=day,
        amount=usd(amount),
        description=f"{(channel or 'check').upper()} DEPOSIT",
        classification=classification,
        counterparty=channel,
        check_number=check,
    )


def load(ledger, name: str, entries) -> None:
    apply_entries(ledger, list(entries), source="test", file_name=name, sha256=name)


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def build_quarter(ledger) -> None:
    """Receipts 1-29, payouts 1-13, bank lines 1-15 (ids in the order written)."""
    load(
        ledger,
        "paypal",
        [
            receipt("paypal", "PP-0703", at(7, 3), "20.00", "1.19"),  # 1
            receipt("paypal", "PP-0710", at(7, 10), "50.00", "2.24"),  # 2
            receipt("paypal", "PP-0720", at(7, 20), "10.00", "0.59"),  # 3
            receipt("paypal", "PP-0812", at(8, 12), "100.00", "3.98"),  # 4
            receipt("paypal", "PP-0814", at(8, 14), "25.00", "1.36"),  # 5
            receipt("paypal", "PP-0908", at(9, 8), "30.00", "1.54"),  # 6
            payout("paypal", "PPW-0724", at(7, 24), "75.98"),  # payout 1
            payout("paypal", "PPW-0817", at(8, 17), "50.00"),  # 2
            payout("paypal", "PPW-0818", at(8, 18), "50.00"),  # 3
            payout("paypal", "PPW-0921", at(9, 21), "48.12"),  # 4: never arrives
            BalanceEntry("paypal", "USD", at(7, 24), usd("0.00")),
            BalanceEntry("paypal", "USD", at(8, 28), usd("19.16")),
            BalanceEntry("paypal", "USD", at(9, 21), usd("0.00")),
        ],
    )
    pledges = [("a", "5.00", "0.85"), ("b", "5.00", "0.85"), ("c", "10.00", "1.39")]
    load(
        ledger,
        "patreon",
        [
            *(
                receipt("patreon", f"PAT-{m:02d}-{tag}", at(m, 1, 10), gross, fee)
                for m in (7, 8, 9)
                for tag, gross, fee in pledges
                if (m, tag) != (9, "c")
            ),  # 7-14
            receipt("patreon", "PAT-09-c", at(9, 1, 10), "10.00", "1.50"),  # 15
            payout("patreon", "PATP-07", at(7, 5), "16.91", "0.25"),  # payout 5
            payout("patreon", "PATP-08", at(8, 5), "16.91", "0.25"),  # 6
            payout("patreon", "PATP-09", at(9, 5), "16.80", "0.25"),  # 7
        ],
    )
    load(
        ledger,
        "stripe",
        [
            receipt("stripe", "ch_0714", at(7, 14), "40.00", "1.46"),  # 16
            receipt("stripe", "ch_0722", at(7, 22), "15.00", "0.74"),  # 17
            receipt(
                "stripe", "ch_0805", at(8, 5), "40.00", "2.46", flags=frozenset({"international"})
            ),  # 18
            receipt("stripe", "ch_0915", at(9, 15), "60.00", "2.04"),  # 19
            payout("stripe", "po_0728", at(7, 28), "38.54"),  # payout 8
            payout("stripe", "po_0811", at(8, 11), "51.80"),  # 9
            payout("stripe", "po_0929", at(9, 29), "57.96"),  # 10
            BalanceEntry("stripe", "USD", at(7, 31, 20), usd("14.26")),
        ],
    )
    load(
        ledger,
        "kdp",
        [
            receipt("kdp", "KDP-2026-07", at(7, 15), "49.90", "17.10", due_on=d(9, 30)),  # 20
            receipt("kdp", "KDP-2026-08", at(8, 15), "24.95", "8.55", due_on=d(10, 31)),  # 21
            receipt("kdp", "KDP-2026-09", at(9, 15), "14.97", "5.13", due_on=d(11, 30)),  # 22
            payout("kdp", "KDPPAY-0928", at(9, 28), "32.80"),  # payout 11
        ],
    )
    load(
        ledger,
        "acx",
        [
            receipt("audible", "ACX-2026-07", at(7, 20), "50.00", "30.00", due_on=d(8, 31)),  # 23
            receipt("audible", "ACX-2026-08", at(8, 20), "25.00", "15.00", due_on=d(9, 30)),  # 24
            receipt("audible", "ACX-2026-09", at(9, 20), "12.50", "7.50", due_on=d(10, 31)),  # 25
            payout("audible", "ACXPAY-0827", at(8, 27), "20.00"),  # payout 12
            payout("audible", "ACXPAY-0928", at(9, 28), "10.00"),  # payout 13
        ],
    )
    load(
        ledger,
        "checks",
        [
            receipt("check", "check:2041", at(7, 6), "100.00", check_number="2041",
                    status=Status.PENDING),  # 26
            receipt("check", "check:509", at(7, 15), "60.00", check_number="509",
                    status=Status.PENDING),  # 27
            receipt("check", "check:311", at(8, 26), "75.00", check_number="311",
                    status=Status.PENDING),  # 28
        ],
    )  # fmt: skip
    load(
        ledger,
        "bank",
        [
            deposit(1, d(7, 7), "100.00", "check", classification="income", check="2041"),
            deposit(2, d(7, 8), "16.66", "patreon"),
            deposit(3, d(7, 16), "60.00", "check", classification="income", check="509"),
            deposit(4, d(7, 27), "75.98", "paypal"),
            deposit(5, d(7, 30), "38.54", "stripe"),
            deposit(6, d(8, 10), "16.66", "patreon"),
            deposit(7, d(8, 13), "51.80", "stripe"),
            deposit(8, d(8, 19), "50.00", "paypal"),
            deposit(9, d(8, 20), "50.00", "paypal"),
            deposit(10, d(8, 21), "42.00", "patreon"),  # matches no payout
            deposit(11, d(8, 31), "20.00", "audible"),
            deposit(12, d(9, 9), "16.55", "patreon"),
            deposit(13, d(9, 30), "32.80", "kdp"),
            deposit(14, d(9, 30), "10.00", "audible"),
            deposit(15, d(10, 1), "57.96", "stripe"),
        ],
    )
    # check 509 bounced: the bank took 12.00 for the returned item (receipt 29)
    assert record_returned_check(ledger, 27, usd("12.00"), at(7, 23, 9)) == 29


def status_line(text: str) -> str:
    """The report's first line, however many terminal lines it took."""
    return " ".join(line.strip() for line in text.split("\n\n")[0].splitlines())


JULY = [
    "Reconciliation of 2026-07 (America/Phoenix): open",
    "",
    "Payouts and bank deposits",
    " matched",
    "  payout #5 patreon PATP-07 sent 2026-07-05 16.91 USD - fee 0.25 -> "
    "bank #2 2026-07-08 16.66 USD (patreon)",
    "  payout #1 paypal PPW-0724 sent 2026-07-24 75.98 USD -> "
    "bank #4 2026-07-27 75.98 USD (paypal)",
    "  payout #8 stripe po_0728 sent 2026-07-28 38.54 USD -> bank #5 2026-07-30 38.54 USD (stripe)",
    " ambiguous (settle with: supportledger match PAYOUT BANKLINE): none",
    " bank deposits with no payout: none",
    " payouts with no deposit: none",
    " in transit at month end: none",
    "",
    "Channel balances",
    "  patreon USD: opening 0.00 + receipts 16.91 - payouts 16.91 + other 0.00 = closing 0.00 USD",
    "    the channel states no balance",
    "  paypal USD: opening 0.00 + receipts 75.98 - payouts 75.98 + other 0.00 = closing 0.00 USD",
    "    stated 0.00 at 2026-07-24 12:00, ledger then 0.00: difference 0.00 USD",
    # 38.54 + 14.26 - 38.54: ch_0722 waits for August's payout
    "  stripe USD: opening 0.00 + receipts 52.80 - payouts 38.54 + other 0.00 = closing 14.26 USD",
    "    stated 14.26 at 2026-07-31 20:00, ledger then 14.26: difference 0.00 USD",
    "",
    "Fees that differ from the schedule",
    "  paypal:",
    "    2026-07-20 #3 PP-0720 gross 10.00: expected 0.84, charged 0.59 (-0.25 USD): "
    "micropayment rate",
    "",
    # 52.80 royalties + 14.26 at Stripe - the 60.00 the bank credited for check 509, which
    # then bounced (its returned-item debit is not in the bank file)
    "Money owed: 7.06 USD (as on the statement)",
    " received, not yet in the bank",  # 2041 reached the bank on Jul 7
    "  deposits or returns no line above explains: -60.00 USD",
    " checks returned unpaid",
    "  check 509 #27 received 2026-07-15 60.00 USD, returned 2026-07-23, "
    "returned-item fee 12.00 USD",
    " royalties earned, not yet paid",
    "  audible 2026-07: 20.00 USD of 20.00 USD, due 2026-08",
    "  kdp 2026-07: 32.80 USD of 32.80 USD, due 2026-09",
    " held by the channels",
    "  patreon: 0.00 USD",
    "  paypal: 0.00 USD",
    "  stripe: 14.26 USD",
    " payouts on their way to the bank: none",
    "",
    "Adjustments to closed months: none",
]


def test_a_quarter_reconciles_line_by_line(ledger):
    build_quarter(ledger)

    # July: every payout reached the bank; the stripe balance carries 14.26 (ch_0722) over
    assert render_text(reconcile_month(ledger, JUL)) == "\n".join(in_80_columns(JULY)) + "\n"

    august = reconcile_month(ledger, AUG)
    assert render_text(august).splitlines()[2:] == in_80_columns(
        [
            "Payouts and bank deposits",
            " matched",
            "  payout #6 patreon PATP-08 sent 2026-08-05 16.91 USD - fee 0.25 -> "
            "bank #6 2026-08-10 16.66 USD (patreon)",
            "  payout #9 stripe po_0811 sent 2026-08-11 51.80 USD -> "
            "bank #7 2026-08-13 51.80 USD (stripe)",
            "  payout #12 audible ACXPAY-0827 sent 2026-08-27 20.00 USD -> "
            "bank #11 2026-08-31 20.00 USD (audible)",
            # two 50.00 withdrawals a day apart, two 50.00 deposits inside both windows
            " ambiguous (settle with: supportledger match PAYOUT BANKLINE)",
            "  payout #2 paypal PPW-0817 sent 2026-08-17 50.00 USD -> one of "
            "bank #8 2026-08-19 50.00 USD (paypal), bank #9 2026-08-20 50.00 USD (paypal)",
            "  payout #3 paypal PPW-0818 sent 2026-08-18 50.00 USD -> one of "
            "bank #8 2026-08-19 50.00 USD (paypal), bank #9 2026-08-20 50.00 USD (paypal)",
            " bank deposits with no payout",
            "  bank #10 2026-08-21 42.00 USD (patreon)",
            " payouts with no deposit: none",
            " in transit at month end: none",
            "",
            "Channel balances",
            # paypal 96.02 + 23.64 - 100.00
            "  patreon USD: opening 0.00 + receipts 16.91 - payouts 16.91 + other 0.00 = "
            "closing 0.00 USD",
            "    the channel states no balance",
            "  paypal USD: opening 0.00 + receipts 119.66 - payouts 100.00 + other 0.00 = "
            "closing 19.66 USD",
            "    stated 19.16 at 2026-08-28 12:00, ledger then 19.66: difference -0.50 USD",
            "  stripe USD: opening 14.26 + receipts 37.54 - payouts 51.80 + other 0.00 = "
            "closing 0.00 USD",
            "    stated 14.26 at 2026-07-31 20:00, ledger then 14.26: difference 0.00 USD",
            "",
            "Fees that differ from the schedule",
            "  stripe:",
            "    2026-08-05 #18 ch_0805 gross 40.00: expected 2.06, charged 2.46 (+0.40 USD): "
            "international card",
            "",
            # 15.00 (75.00 in hand - 60.00 bounced) + 59.20 royalties + 19.66 at PayPal - the
            # 42.00 Patreon deposit no payout explains
            "Money owed: 51.86 USD (as on the statement)",
            " received, not yet in the bank",
            "  Check 311 #28 received 2026-08-26 75.00 USD, 5 days",  # Aug 31 - Aug 26
            "  deposits or returns no line above explains: -60.00 USD",
            " checks returned unpaid",
            "  check 509 #27 received 2026-07-15 60.00 USD, returned 2026-07-23, "
            "returned-item fee 12.00 USD",
            # ACX paid July's 20.00 on Aug 27; August's is due in September
            " royalties earned, not yet paid",
            "  audible 2026-08: 10.00 USD of 10.00 USD, due 2026-09",
            "  kdp 2026-07: 32.80 USD of 32.80 USD, due 2026-09",
            "  kdp 2026-08: 16.40 USD of 16.40 USD, due 2026-10",
            " held by the channels",
            "  patreon: 0.00 USD",
            "  paypal: 19.66 USD",
            "  stripe: 0.00 USD",
            " payouts on their way to the bank",
            "  patreon: -42.00 USD",
            "",
            "Adjustments to closed months: none",
        ]
    )

    # the writer settles the pair; the other withdrawal is then the other deposit's
    match_payout(ledger, 2, 8)
    august = reconcile_month(ledger, AUG)
    assert [(m.payout.id, m.deposit.id) for m in august.payouts.matched] == [
        (6, 6), (9, 7), (2, 8), (3, 9), (12, 11),
    ]  # fmt: skip
    assert august.payouts.ambiguous == ()

    september = reconcile_month(ledger, SEP)
    assert render_text(september).splitlines()[2:] == in_80_columns(
        [
            "Payouts and bank deposits",
            " matched",
            "  payout #7 patreon PATP-09 sent 2026-09-05 16.80 USD - fee 0.25 -> "
            "bank #12 2026-09-09 16.55 USD (patreon)",
            "  payout #11 kdp KDPPAY-0928 sent 2026-09-28 32.80 USD -> "
            "bank #13 2026-09-30 32.80 USD (kdp)",
            "  payout #13 audible ACXPAY-0928 sent 2026-09-28 10.00 USD -> "
            "bank #14 2026-09-30 10.00 USD (audible)",
            " ambiguous (settle with: supportledger match PAYOUT BANKLINE): none",
            " bank deposits with no payout: none",
            # PayPal's window is 1-5 days: Sep 22-26
            " payouts with no deposit",
            "  payout #4 paypal PPW-0921 sent 2026-09-21 48.12 USD: 48.12 USD expected by "
            "2026-09-26",
            # Stripe's Sep 29 payout posts on Oct 1, inside its window (Sep 30 - Oct 4)
            " in transit at month end",
            "  payout #10 stripe po_0929 sent 2026-09-29 57.96 USD: expected by 2026-10-04",
            "",
            "Channel balances",
            # paypal 19.66 + 28.46 - 48.12
            "  patreon USD: opening 0.00 + receipts 16.80 - payouts 16.80 + other 0.00 = "
            "closing 0.00 USD",
            "    the channel states no balance",
            "  paypal USD: opening 19.66 + receipts 28.46 - payouts 48.12 + other 0.00 = "
            "closing 0.00 USD",
            "    stated 0.00 at 2026-09-21 12:00, ledger then 0.00: difference 0.00 USD",
            "  stripe USD: opening 0.00 + receipts 57.96 - payouts 57.96 + other 0.00 = "
            "closing 0.00 USD",
            "    stated 14.26 at 2026-07-31 20:00, ledger then 14.26: difference 0.00 USD",
            "",
            "Fees that differ from the schedule",
            "  patreon:",
            "    2026-09-01 #15 PAT-09-c gross 10.00: expected 1.39, charged 1.50 (+0.11 USD): "
            "unexplained",
            "",
            # 15.00 + 31.24 royalties + 48.12 PayPal never saw arrive + 57.96 Stripe on its way
            # - 42.00
            "Money owed: 110.32 USD (as on the statement)",
            " received, not yet in the bank",
            "  Check 311 #28 received 2026-08-26 75.00 USD, 35 days",  # Sep 30 - Aug 26
            "  deposits or returns no line above explains: -60.00 USD",
            " checks returned unpaid",
            "  check 509 #27 received 2026-07-15 60.00 USD, returned 2026-07-23, "
            "returned-item fee 12.00 USD",
            # KDP's Sep 28 payment covers July; ACX's covers August
            " royalties earned, not yet paid",
            "  audible 2026-09: 5.00 USD of 5.00 USD, due 2026-10",
            "  kdp 2026-08: 16.40 USD of 16.40 USD, due 2026-10",
            "  kdp 2026-09: 9.84 USD of 9.84 USD, due 2026-11",
            " held by the channels",
            "  patreon: 0.00 USD",
            "  paypal: 0.00 USD",
            "  stripe: 0.00 USD",
            " payouts on their way to the bank",
            "  patreon: -42.00 USD",
            "  paypal: 48.12 USD",
            "  stripe: 57.96 USD",
            "",
            "Adjustments to closed months: none",
        ]
    )
    # what KDP still owes is its receivable: 16.40 + 9.84, the statement's own figure
    kdp = [r.owed for r in september.owed.royalties if r.channel == "kdp"]
    assert sum(kdp, usd("0")) == usd("26.24")

    # the bounced check stopped counting and its fee is a fee of the day it came back
    with ledger.session() as session:
        check, fee = session.get(Receipt, 27), session.get(Receipt, 29)
    assert check.status == Status.RETURNED
    assert (fee.event, fee.reverses_id, fee.gross_minor, fee.fee_minor, fee.net_minor) == (
        Event.FEE, 27, 0, 1200, -1200,
    )  # fmt: skip


def test_the_json_report_is_the_same_data(ledger):
    build_quarter(ledger)
    data = reconciliation_data(reconcile_month(ledger, SEP))
    json.dumps(data)  # serialisable as it is
    assert data["month"] == "2026-09"
    assert data["currency"] == "USD"  # amounts are written as the statement's JSON writes them
    assert data["payouts"]["payouts_without_deposit"] == [
        {
            "id": 4,
            "channel": "paypal",
            "external_id": "PPW-0921",
            "sent_on": "2026-09-21",
            "amount": "48.12",
            "fee": "0.00",
            "window": ["2026-09-22", "2026-09-26"],
            "expected_deposit": "48.12",
            "currency": "USD",
        }
    ]
    assert data["fees"][0]["difference"] == "0.11"
    owed = data["owed"]
    assert owed["waiting"] == [
        {
            "receipt_id": 28,
            "channel": "check",
            "label": "Check",
            "received_on": "2026-08-26",
            "age_days": 35,
            "amount": "75.00",
            "check_number": "311",
            "payer": None,
        }
    ]
    assert (owed["waiting_total"], owed["waiting_unexplained"]) == ("15.00", "-60.00")
    assert owed["total"] == "110.32"


def statement(cli, month: str, fmt: str = "text") -> str:
    code, out, err = cli("statement", "--month", month, "--format", fmt)
    assert (code, err) == (0, "")
    return out


def test_a_closed_month_stays_as_sent_and_late_changes_land_in_the_open_month(ledger, cli):
    build_quarter(ledger)
    close_month(ledger, JUL, now=NOW)
    code, out, err = cli("close", "2026-08")
    assert (code, err) == (0, "")
    assert out.startswith("closed 2026-08 with 9 receipts")  # 4-5, 10-12, 18, 21, 24, 28
    sent = {fmt: statement(cli, "2026-07", fmt) for fmt in ("text", "json")}
    august_sent = statement(cli, "2026-08")

    # a later PayPal download: PP-0720's fee corrected to 0.84, and a donation of Jul 28
    # that the first download missed (its fee from the schedule: 0.1745 -> 0.17 + 0.49)
    late = [
        receipt("paypal", "PP-0703", at(7, 3), "20.00", "1.19"),  # unchanged
        receipt("paypal", "PP-0720", at(7, 20), "10.00", "0.84"),
        receipt("paypal", "PP-0728", at(7, 28), "5.00"),
    ]
    load(ledger, "paypal-late", late)
    load(ledger, "paypal-late-again", late)  # the same rows again adjust nothing more

    assert {fmt: statement(cli, "2026-07", fmt) for fmt in sent} == sent
    with ledger.session() as session:
        original = session.get(Receipt, 3)
        moved = session.exec(select(Receipt).where(Receipt.external_id == "PP-0728")).one()
        count = len(session.exec(select(Receipt.id)).all())
    assert (original.fee_minor, original.net_minor) == (59, 941)  # the July row as sent
    assert count == 31  # 29 + one adjustment + the late donation, once
    # July and August are closed: both land on 1 September, 00:00 in Phoenix
    assert moved.occurred_at == dt.datetime(2026, 9, 1, 7, tzinfo=dt.UTC)

    september = reconcile_month(ledger, SEP)
    assert render_text(september).splitlines()[-5:] == in_80_columns(
        [
            "Adjustments to closed months",
            "  #30 paypal for 2026-07: gross 0.00 USD, fee +0.25 USD, net -0.25 USD "
            "(adjusts #3; 2026-07 was closed)",
            "  #31 paypal for 2026-07: gross +5.00 USD, fee +0.66 USD, net +4.34 USD "
            "(late entry of 2026-07-28 19:00 UTC; 2026-07 was closed)",
        ]
    )
    assert [(a.adjusts_receipt_id, a.event) for a in september.adjustments] == [
        (3, Event.ADJUSTMENT),
        (None, Event.PAYMENT),  # a late donation is still a donation
    ]
    # September's PayPal receipts now hold both: 28.46 - 0.25 + 4.34 = 32.55, and PayPal's
    # own balance of Sep 21 (read before the late download) is 4.09 short of the ledger
    paypal = next(b for b in september.owed.holdings if b.channel == "paypal")
    assert (paypal.receipts, paypal.closing, paypal.difference) == (
        usd("32.55"), usd("4.09"), usd("-4.09"),
    )  # fmt: skip

    july = reconcile_month(ledger, JUL)
    assert status_line(render_text(july)).endswith("receipts unchanged since")
    assert july.adjustments == ()

    # a check of a closed month that bounces: it keeps counting in July, the September
    # adjustment takes it back, and the fee is September's
    code, out, err = cli("check", "returned", "26", "--fee", "15.00", "--date", "2026-09-10")
    assert (code, err) == (0, "")
    assert out == "check #26 returned on 2026-09-10; returned-item fee booked as #32\n"
    assert statement(cli, "2026-07") == sent["text"]
    with ledger.session() as session:
        adjustment = session.get(Receipt, 33)
    assert (adjustment.reverses_id, adjustment.gross_minor, adjustment.occurred_at) == (
        26, -10000, dt.datetime(2026, 9, 1, 7, tzinfo=dt.UTC),
    )  # fmt: skip

    # check 311 (August's, closed, owed at August's end) reaches the bank on Sep 3: it is
    # counted in September. Another 75.00 check the next day is a check of its own.
    load(ledger, "bank-sep", [deposit(16, d(9, 3), "75.00", "check", "income", check="311")])
    load(ledger, "bank-sep-2", [deposit(17, d(9, 4), "75.00", "check", "income")])
    assert statement(cli, "2026-08") == august_sent
    assert [c.check_number for c in reconcile_month(ledger, AUG).owed.waiting] == ["311"]
    september = reconcile_month(ledger, SEP)
    assert september.owed.waiting == ()
    assert [(a.receipt_id, a.adjusts_receipt_id, a.gross) for a in september.adjustments] == [
        (30, 3, usd("0.00")),
        (31, None, usd("5.00")),
        (33, 26, usd("-100.00")),  # check 2041 bounced
        (34, 28, usd("75.00")),  # check 311 deposited
    ]
    with ledger.session() as session:
        other = session.get(Receipt, 35)
    assert (other.channel, other.gross_minor, other.status) == ("check", 7500, "deposited")

    # reopening is for mistakes, and it is recorded
    code, out, err = cli("reopen", "2026-07", "--reason", "PP-0720 was booked twice")
    assert (code, out, err) == (0, "reopened 2026-07: PP-0720 was booked twice\n", "")
    with ledger.session() as session:
        closes = session.exec(select(MonthClose).order_by(MonthClose.id)).all()
    assert [(c.month, c.reopened_at is not None, c.reopen_reason) for c in closes] == [
        ("2026-07", True, "PP-0720 was booked twice"),
        ("2026-08", False, None),
    ]
    first_line = status_line(render_text(reconcile_month(ledger, JUL)))
    assert first_line.startswith("Reconciliation of 2026-07 (America/Phoenix): open (reopened ")
    assert first_line.endswith(" UTC: PP-0720 was booked twice)")


def test_a_receipt_typed_in_for_a_closed_month_is_booked_in_the_open_one(cli):
    code, _, err = cli("close", "2026-07")
    assert (code, err) == (0, "")
    code, out, err = cli(
        "add", "--channel", "zelle", "--amount", "40", "--date", "2026-07-15", "--from", "Ana",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out.startswith("recorded zelle 40.00 USD on 2026-08-01")
    assert out.endswith("\n2026-07 is closed: booked as a late entry in the open month\n")
    code, out, _ = cli("reconcile", "--month", "2026-08", "--format", "json")
    assert code == 0
    (late,) = json.loads(out)["adjustments"]
    assert (late["adjusts_month"], late["gross"], late["event"]) == (
        "2026-07",
        "40.00",
        "payment",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("close", "2099-01"), "2099-01 is not over yet"),
        (("close", "2026-13"), "expected YYYY-MM"),
        (("reopen", "2026-06", "--reason", "x"), "2026-06 is not closed"),
        (("match", "1", "1"), "no payout #1"),
        (("check", "returned", "1"), "receipt #1 is not a check"),
        (("reconcile", "--month", "2026-09", "--format", "csv"), "not one of 'text', 'json'"),
    ],
)
def test_mistakes_are_one_line(cli, args, message):
    code, out, err = cli(*args)
    assert (code, out) == (1, "")
    assert message in err and err.count("\n") == 1


def test_match_checks_amounts_and_refuses_a_second_match(ledger, cli):
    build_quarter(ledger)
    code, _, err = cli("match", "4", "10")  # 48.12 PayPal vs the 42.00 Patreon deposit
    assert code == 1
    assert err == (
        "supportledger: bank line #10 is 42.00 USD, but payout #4 should arrive as "
        "48.12 USD (48.12 USD less fee 0.00 USD)\n"
    )
    code, out, err = cli("match", "3", "9")
    assert (code, err) == (0, "")
    assert out == "matched paypal payout #3 to bank line #9 (50.00 USD on 2026-08-20)\n"
    code, _, err = cli("match", "2", "9")
    assert "bank line #9 is matched to payout #3" in err
    code, out, _ = cli("match", "3", "9", "--undo")
    assert out == "payout #3 and bank line #9 are no longer matched\n"
    cli("close", "2026-08")
    code, _, err = cli("check", "returned", "27")
    assert err == "supportledger: check #27 is already recorded as returned\n"


def test_the_close_digest_notices_a_change_made_behind_the_ledgers_back(ledger):
    build_quarter(ledger)
    close_month(ledger, JUL, now=NOW)
    with ledger.session() as session:
        row = session.get(Receipt, 1)
        row.description = "edited by hand"  # not a figure: the digest ignores nothing else
        row.fee_minor, row.net_minor = 100, 1900
        session.add(row)
        session.commit()
    state = reconcile_month(ledger, JUL).state
    assert (state.closed, state.unchanged_since_close) == (True, False)
    reopen_month(ledger, JUL, "fee typed wrong", now=NOW)
    close_month(ledger, JUL, now=NOW + dt.timedelta(hours=1))
    assert reconcile_month(ledger, JUL).state.unchanged_since_close is True
    rebuild_ledger(ledger)  # the journal follows the edit made behind its back


# ------------------------------------------------------------------ likely causes (no DB)
def test_each_likely_cause(tmp_path):
    from supportledger.fees import load_schedule

    own = tmp_path / "fees.toml"
    own.write_text(
        '[[rule]]\nchannel = "stripe"\nplan = "standard"\nfrom = 2026-08-01\n'
        'components = [{ name = "card", percent = "3.4", fixed = { USD = "0.30" } }]\n'
    )
    schedule = load_schedule(own)

    def cause(channel, on, gross, fee, flags=(), converted=False):
        return likely_cause(
            schedule, channel, on, usd(gross), usd(fee), frozenset(flags), converted
        )

    day = dt.date(2026, 3, 2)
    assert cause("stripe", day, "40.00", "2.46", {"international"}) == "international card"
    assert cause("stripe", day, "40.00", "2.46", {"conversion"}) == "currency conversion"
    assert cause("stripe", day, "40.00", "2.46", converted=True) == "currency conversion"
    assert cause("paypal", day, "10.00", "0.59") == "micropayment rate"
    # 5% (Founders' and Lite's) instead of Pro's 8%: 0.50 + 0.59
    assert cause("patreon", day, "10.00", "1.09") == "founders/lite plan rate"
    # a Stripe price change on 1 Aug 2026 (in the writer's file) is 30 days after Jul 2
    assert cause("stripe", dt.date(2026, 7, 2), "40.00", "1.66") == "schedule out of date?"
    assert cause("stripe", day, "5.00", "0.90") == "micropayment-sized payment"
    assert cause("stripe", day, "10.00", "0.90") == "unexplained"
    # KDP's 70% rule needs the file's delivery cost, which a receipt does not keep
    assert cause("kdp", day, "49.90", "20.00") == "unexplained"


def test_undoing_an_import_that_wrote_into_a_closed_month_is_refused(ledger):
    from supportledger.errors import LedgerError
    from supportledger.imports import list_batches, undo_batch

    load(ledger, "paypal", [receipt("paypal", "PP-0703", at(7, 3), "20.00", "1.19")])
    load(ledger, "paypal-aug", [receipt("paypal", "PP-0812", at(8, 12), "100.00", "3.98")])
    close_month(ledger, JUL, now=NOW)
    july_batch, august_batch = sorted(b["id"] for b in list_batches(ledger))
    with pytest.raises(LedgerError, match="has entries in 2026-07, which is closed"):
        undo_batch(ledger, july_batch)
    assert undo_batch(ledger, august_batch)["receipts"] == 1  # August is open
