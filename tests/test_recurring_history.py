"""Fourteen months of recurring support, September 2025 to October 2026, built the way a
writer builds them: each month's exports imported as they come (a PayPal activity download
and a Chase statement for the month before, a Stripe sync, and now and then a Patreon
members snapshot), then every month's statement checked against figures worked out by hand.

The exports are in their real layouts:
- Patreon members CSV: the header of channels.md §2.2 (a 2026 sponsor aggregator's zod
  schema of the export, and the same header in a calculator API's test, kept "verbatim" as
  "a cut-down copy of a real Patreon members export"); dates ``yyyy-MM-dd HH:mm:ss``,
  amounts with a currency symbol, Last Updated beside each row, as in the real rows quoted in
  tests/test_importers_patreon.py (REAL_DECLINED);
- PayPal activity download: the columns of hledger's ``examples/csv/paypal-custom.csv.rules``
  (tests/paypal_export.py), subscription payments carrying their billing agreement
  (``I-...``) in Reference Txn ID, as in hledger's ``paypal-2018.csv.rules`` sample row;
- Chase checking CSV: ``Details, Posting Date, Description, Amount, Type, Balance, Check or
  Slip #`` with ``Zelle payment from NAME conf`` credits (channels.md §4.2);
- Stripe: the real SDK against tests/fake_stripe.py (subscriptions, invoices and charges in
  the 2025-03-31 API's shapes).

The supporters (amounts a month):
  Avery   Patreon 5.00, since June 2025, throughout
  Blair   Patreon 10.00 from 1 Oct 2025; 15.00 from 10 Feb 2026 (Last Updated)
  Casey   Patreon 3.00 since June 2025; declined 1 Apr 2026 (seen in June's snapshot);
          a former patron from 15 Jul 2026 (seen in September's)
  Drew    Patreon 8.00, joined 5 Dec 2025 and left on the 20th (seen in January's snapshot)
  Emery   Patreon 60.00 a year (5.00 a month) since 15 Nov 2025 (first seen in January's)
  Finley  PayPal 7.00 on the 10th, September 2025 to March 2026, then nothing
  Gray    PayPal 4.00 on the 25th, September to December 2025; again from 25 June 2026
  Harper  PayPal 20.00 on the 1st from February 2026, 25.00 from May
  Indy    Stripe 120.00 a year (10.00 a month), paid 20 Oct 2025 and 20 Oct 2026
  Jules   Stripe 9.00 on the 5th, January to May 2026; Stripe ended it on 5 June
  Kai     Zelle 25.00 on the 3rd, September 2025 to May 2026: a habit from November
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import stripe

import paypal_export as pp
from fake_stripe import API_KEY, Account, FakeStripe
from supportledger.channels.stripe import sync
from supportledger.imports import import_paths, undo_batch
from supportledger.months import Month
from supportledger.recurring import recurring_status
from supportledger.render import render
from supportledger.statement import monthly_statement
from supportledger.supporters import supporter_report

MONTHS = [Month(2025, 9).shift(i) for i in range(14)]
PATREON_HEADER = [
    "Name", "Email", "Discord", "Patron Status", "Follows You", "Free Member", "Free Trial",
    "Lifetime Amount", "Pledge Amount", "Charge Frequency", "Tier", "Addressee", "Street",
    "City", "State", "Zip", "Country", "Phone", "Patronage Since Date", "Last Charge Date",
    "Last Charge Status", "Additional Details", "User ID", "Last Updated", "Currency",
    "Max Posts", "Access Expiration", "Next Charge Date", "Full country name",
    "Subscription Source",
]  # fmt: skip
CHASE_HEADER = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"


# ---------------------------------------------------------------------- the exports
def patron(name, user_id, status, pledge, since, charged, outcome, updated, lifetime,
           frequency="monthly", tier="Reader") -> dict:  # fmt: skip
    return {
        "Name": name, "Email": f"{name.split()[0].lower()}@example.org", "Discord": "",
        "Patron Status": status, "Follows You": "Yes", "Free Member": "No", "Free Trial": "No",
        "Lifetime Amount": lifetime, "Pledge Amount": pledge, "Charge Frequency": frequency,
        "Tier": tier, "Patronage Since Date": since, "Last Charge Date": charged,
        "Last Charge Status": outcome, "User ID": user_id, "Last Updated": updated,
        "Currency": "USD", "Subscription Source": "patreon",
    }  # fmt: skip


def avery(charged, lifetime):
    return patron("Avery Quinn", "70001", "Active patron", "$5.00", "2025-06-01 07:00:00",
                  charged, "Paid", "2025-06-01 07:05:00", lifetime)  # fmt: skip


def blair(charged, lifetime, pledge="$10.00", updated="2025-10-01 07:05:00", tier="Reader"):
    return patron("Blair Moss", "70002", "Active patron", pledge, "2025-10-01 07:00:00",
                  charged, "Paid", updated, lifetime, tier=tier)  # fmt: skip


def casey(status, charged, outcome, updated, lifetime):
    return patron("Casey Hale", "70003", status, "$3.00", "2025-06-01 07:00:00", charged,
                  outcome, updated, lifetime)  # fmt: skip


DREW = patron("Drew Sato", "70004", "Former patron", "$8.00", "2025-12-05 10:00:00",
              "2025-12-05 10:00:00", "Paid", "2025-12-20 18:00:00", "$8.00")  # fmt: skip


def emery(lifetime="$60.00"):
    return patron("Emery Ward", "70005", "Active patron", "$60.00", "2025-11-15 16:00:00",
                  "2025-11-15 16:00:00", "Paid", "2025-11-15 16:05:00", lifetime,
                  frequency="annual")  # fmt: skip


#: the members snapshots, by the day each was taken
SNAPSHOTS = {
    dt.date(2025, 9, 2): [
        avery("2025-09-01 07:00:00", "$20.00"),
        casey("Active patron", "2025-09-01 07:00:00", "Paid", "2025-06-01 07:05:00", "$12.00"),
    ],
    dt.date(2025, 11, 4): [
        avery("2025-11-01 07:00:00", "$30.00"),
        blair("2025-11-01 07:00:00", "$20.00"),
        casey("Active patron", "2025-11-01 07:00:00", "Paid", "2025-06-01 07:05:00", "$18.00"),
    ],
    dt.date(2026, 1, 5): [
        avery("2026-01-01 07:00:00", "$40.00"),
        blair("2026-01-01 07:00:00", "$40.00"),
        casey("Active patron", "2026-01-01 07:00:00", "Paid", "2025-06-01 07:05:00", "$24.00"),
        DREW,
        emery(),
    ],
    dt.date(2026, 3, 2): [
        avery("2026-03-01 07:00:00", "$50.00"),
        blair("2026-03-01 07:00:00", "$65.00", "$15.00", "2026-02-10 09:30:00", "Patron"),
        casey("Active patron", "2026-03-01 07:00:00", "Paid", "2025-06-01 07:05:00", "$30.00"),
        DREW,
        emery(),
    ],
    dt.date(2026, 6, 3): [
        avery("2026-06-01 07:00:00", "$65.00"),
        blair("2026-06-01 07:00:00", "$110.00", "$15.00", "2026-02-10 09:30:00", "Patron"),
        casey(
            "Declined patron", "2026-04-01 07:00:00", "Declined", "2026-04-01 07:15:00", "$30.00"
        ),
        DREW,
        emery(),
    ],
    dt.date(2026, 9, 2): [
        avery("2026-09-01 07:00:00", "$80.00"),
        blair("2026-09-01 07:00:00", "$155.00", "$15.00", "2026-02-10 09:30:00", "Patron"),
        casey("Former patron", "2026-04-01 07:00:00", "Declined", "2026-07-15 12:00:00", "$30.00"),
        DREW,
        emery(),
    ],
}

#: PayPal subscription payments: name, billing agreement, (first month, last month), day,
#: amount (from a month on); fees 3.49% + 0.49
PAYPAL = [
    ("Finley Rowe", "I-FINLEY0001", [(Month(2025, 9), Month(2026, 3))], 10, {None: "7.00"}),
    ("Gray Yates", "I-GRAY000001",
     [(Month(2025, 9), Month(2025, 12)), (Month(2026, 6), Month(2026, 10))], 25,
     {None: "4.00"}),
    ("Harper Zorn", "I-HARPER0001", [(Month(2026, 2), Month(2026, 10))], 1,
     {None: "20.00", Month(2026, 5): "25.00"}),
]  # fmt: skip
PAYPAL_FEES = {"4.00": "-0.63", "7.00": "-0.73", "20.00": "-1.19", "25.00": "-1.36"}


def paypal_rows(month: Month) -> list[dict]:
    rows = []
    for name, agreement, spans, day, amounts in PAYPAL:
        if not any(first <= month <= last for first, last in spans):
            continue
        amount = amounts[max((m for m in amounts if m and m <= month), default=None)]
        net = str(Decimal(amount) + Decimal(PAYPAL_FEES[amount]))
        zone = "PDT" if 3 < month.month < 11 else "PST"
        txn = f"{agreement[2:6]}{month.year % 100:02d}{month.month:02d}PAY0000001"
        rows.append(
            pp.row(f"{month.month:02d}/{day:02d}/{month.year}", "10:00:00", name,
                   "Subscription Payment", "Completed", "USD", amount, PAYPAL_FEES[amount], net,
                   f"{name.split()[0].lower()}@example.org", txn, ref=agreement, zone=zone)
        )  # fmt: skip
    return rows


def chase_text(month: Month) -> str:
    """Kai's Zelle payment on the 3rd, September 2025 to May 2026, and the month's rent."""
    lines, balance = [], 5000
    if Month(2025, 9) <= month <= Month(2026, 5):
        balance += 25
        lines.append(
            f"CREDIT,{month.month:02d}/03/{month.year},Zelle payment from KAI OKAFOR "
            f"{month.year}{month.month:02d}0301,25.00,QUICKPAY_CREDIT,{balance}.00,,\n"
        )
    balance -= 900
    lines.append(f"DEBIT,{month.month:02d}/05/{month.year},RENT,-900.00,ACH_DEBIT,{balance}.00,,\n")
    return CHASE_HEADER + "".join(lines)


def stripe_account() -> Account:
    account = Account()
    account.customer("cus_Indy", name="Indy Chen", email="indy@example.org")
    account.customer("cus_Jules", name="Jules Berg", email="jules@example.org")
    account.subscription(
        "sub_Indy", customer="cus_Indy", amount=12000, interval="year",
        created="2025-10-20T17:00:00Z", period_start="2025-10-20T17:00:00Z",
    )  # fmt: skip
    return account


STRIPE_NAMES = {"Indy": "Indy Chen", "Jules": "Jules Berg"}


def stripe_month(account: Account, month: Month) -> None:
    """What happened on Stripe in ``month``: the charges, and Jules's plan coming and going."""
    if month == Month(2026, 1):
        account.subscription(
            "sub_Jules", customer="cus_Jules", amount=900, created="2026-01-05T17:00:00Z",
            period_start="2026-01-05T17:00:00Z",
        )  # fmt: skip
    if month == Month(2026, 6):
        jules = account.objects["sub_Jules"]
        ended = int(dt.datetime(2026, 6, 5, 17, tzinfo=dt.UTC).timestamp())
        jules.update(status="canceled", canceled_at=ended, ended_at=ended)
    charges = []
    if month.month == 10:  # 120.00: 3.48 + 0.30
        charges.append(("Indy", "cus_Indy", "sub_Indy", 12000, 378, 20))
    if Month(2026, 1) <= month <= Month(2026, 5):  # 9.00: 0.261 -> 0.26 + 0.30
        charges.append(("Jules", "cus_Jules", "sub_Jules", 900, 56, 5))
    for who, customer, subscription, amount, fee, day in charges:
        created = f"{month}-{day:02d}T17:00:00Z"
        charge = f"ch_3Q{who}{month.year}{month.month:02d}"
        account.charge(
            charge, amount=amount, fee=fee, created=created, name=STRIPE_NAMES[who],
            email=f"{who.lower()}@example.org", customer=customer, guest=False,
            description="Subscription update",
        )  # fmt: skip
        if subscription == "sub_Indy":
            account.objects[subscription]["items"]["data"][0]["current_period_start"] = (
                account.objects[charge]["created"]
            )
        account.invoice(
            charge, invoice_id=f"in_{charge[5:]}", created=created,
            subscription=subscription, customer=customer,
        )  # fmt: skip


# ---------------------------------------------------------------------- the figures
#: month -> active, new, ended, lapsed, grace, MRR start, end, new, expansion, contraction,
#: churn, reactivation, lapsed MRR, received (worked out month by month in the comments)
EXPECTED = {
    # start: Avery 5 + Casey 3; Finley 7 and Gray 4 start with their first payments.
    # Received: PayPal 7 + 4 (Kai's Zelle payment is not a habit yet)
    "2025-09": (4, 2, 0, 0, 0, "8.00", "19.00", "11.00", "0", "0", "0", "0", "0", "11.00"),
    # Blair (Patreon 10) and Indy (Stripe 120 a year: 10 a month). Received 7 + 4 + 120
    "2025-10": (6, 2, 0, 0, 0, "19.00", "39.00", "20.00", "0", "0", "0", "0", "0", "131.00"),
    # Emery (Patreon, 60 a year, since the 15th: seen first in January's snapshot) and Kai,
    # whose third month in a row of Zelle payments makes a habit of 25. Received 7 + 4 + 25
    "2025-11": (8, 2, 0, 0, 0, "39.00", "69.00", "30.00", "0", "0", "0", "0", "0", "36.00"),
    # Drew joined on the 5th and left on the 20th: new and ended, no MRR at either end
    "2025-12": (8, 1, 1, 0, 0, "69.00", "69.00", "0", "0", "0", "0", "0", "0", "36.00"),
    # Jules (Stripe 9) starts. Gray, due 25 January, is overdue but within the grace days:
    # counted. Received: Finley 7, Kai 25, Jules 9
    "2026-01": (9, 1, 0, 0, 1, "69.00", "78.00", "9.00", "0", "0", "0", "0", "0", "41.00"),
    # Gray lapses on 5 February (churn 4, shown apart); Blair 10 -> 15 on the 10th; Harper
    # (PayPal 20) starts. Received 7 + 25 + 9 + 20
    "2026-02": (9, 1, 0, 1, 0, "78.00", "99.00", "20.00", "5.00", "0", "4.00", "0", "4.00",
                "61.00"),
    # Gray's second month passes (25 Feb + 10 days): ended (inferred), on 25 January
    "2026-03": (9, 0, 1, 0, 0, "99.00", "99.00", "0", "0", "0", "0", "0", "0", "61.00"),
    # Finley, due 10 April, lapses on the 21st; Casey's charge declined on 1 April (June's
    # snapshot says so) lapses on the 12th. Received 25 + 9 + 20
    "2026-04": (7, 0, 0, 2, 0, "99.00", "89.00", "0", "0", "0", "10.00", "0", "10.00",
                "54.00"),
    # Finley ends (10 May + 10 days); Harper pays 25 from the 1st. Received 25 + 9 + 25
    "2026-05": (7, 0, 1, 1, 0, "89.00", "94.00", "0", "5.00", "0", "0", "0", "3.00", "59.00"),
    # Stripe ended Jules's plan on the 5th; Kai, due 3 June, lapses on the 14th; Gray pays
    # again on the 25th: reactivation. Received 25 + 4
    "2026-06": (6, 0, 1, 2, 0, "94.00", "64.00", "0", "0", "0", "34.00", "4.00", "28.00",
                "29.00"),
    # Casey a former patron from the 15th (September's snapshot); Kai's habit ends (3 July
    # + 10 days)
    "2026-07": (6, 0, 2, 0, 0, "64.00", "64.00", "0", "0", "0", "0", "0", "0", "29.00"),
    "2026-08": (6, 0, 0, 0, 0, "64.00", "64.00", "0", "0", "0", "0", "0", "0", "29.00"),
    "2026-09": (6, 0, 0, 0, 0, "64.00", "64.00", "0", "0", "0", "0", "0", "0", "29.00"),
    # Indy renews on the 20th: 120 more received
    "2026-10": (6, 0, 0, 0, 0, "64.00", "64.00", "0", "0", "0", "0", "0", "0", "149.00"),
}  # fmt: skip


def money(text: str) -> str:
    return "0.00" if text == "0" else text


@pytest.fixture
def stripe_fake():
    server = FakeStripe(stripe_account()).start()
    yield server
    server.stop()


def statement_json(ledger, month: Month) -> dict:
    return json.loads(render(monthly_statement(ledger, month), "json", ledger.settings))


def test_fourteen_months_of_exports_give_each_months_recurring_figures(
    ledger, tmp_path, stripe_fake
):
    client = stripe.StripeClient(API_KEY, base_addresses={"api": stripe_fake.url})
    snapshots_taken: list[dt.date] = []

    def take_snapshot(day: dt.date) -> int:
        """Import the members snapshot of ``day``; months that ended before the snapshot
        before it are, JSON for JSON, what they were."""
        settled = [m for m in MONTHS if snapshots_taken and m.last_day < snapshots_taken[-1]]
        before = {m: statement_json(ledger, m) for m in settled}
        path = tmp_path / f"Members_{day:%Y%m%d}.csv"
        path.write_text(
            ",".join(PATREON_HEADER) + "\n"
            + "".join(",".join(row.get(h, "") for h in PATREON_HEADER) + "\n"
                      for row in SNAPSHOTS[day]),
            encoding="utf-8",
        )  # fmt: skip
        (report,) = import_paths(ledger, [path])
        assert {m: statement_json(ledger, m) for m in settled} == before, day
        snapshots_taken.append(day)
        return report.batch_id

    for month in [*MONTHS, Month(2026, 11)]:  # each month's exports, early the next month
        done = month.previous()
        snapshot = next((d for d in SNAPSHOTS if Month.of(d) == month), None)
        if done >= MONTHS[0]:
            paypal = pp.write(tmp_path / f"Download-{done}.CSV", paypal_rows(done))
            chase = tmp_path / f"Chase1234_Activity_{done}.CSV"
            chase.write_text(chase_text(done), encoding="utf-8")
            # a US account's download is month first (January's days are all 12 or less)
            import_paths(ledger, [paypal], date_order="mdy")
            import_paths(ledger, [chase])
            stripe_month(stripe_fake.account, done)
            sync(ledger, client=client)
        if snapshot is not None:
            last_snapshot = take_snapshot(snapshot)

    for month in MONTHS:
        data = statement_json(ledger, month)["recurring"]
        m = data["movements"]
        active, new, ended, lapsed, grace, *amounts = EXPECTED[str(month)]
        assert (data["active"], data["new"], data["cancelled"], data["lapsed"], data["grace"]) == (
            active, new, ended, lapsed, grace
        ), month  # fmt: skip
        names = ("start", "end", "new", "expansion", "contraction", "churn", "reactivation")
        assert [m[n] for n in names] + [data["lapsed_mrr"], data["received"]] == [
            money(a) for a in amounts
        ], month
        assert data["mrr_gross"] == m["end"]
        cents = {n: int(m[n].replace(".", "")) for n in names}
        assert (
            cents["start"]
            + cents["new"]
            + cents["expansion"]
            + cents["reactivation"]
            - (cents["contraction"] + cents["churn"])
            == cents["end"]
        ), month
        if month != MONTHS[0]:  # month after month: one's end is the next one's start
            assert (
                m["start"]
                == statement_json(ledger, month.previous())["recurring"]["movements"]["end"]
            )
        # `supporters recurring --as-of` on the month's last day: the same commitments
        standing = recurring_status(ledger, month.last_day)
        counted = [r for r in standing if not r.lapsed]
        assert (len(counted), sum(r.lapsed for r in standing)) == (active, lapsed), month
        assert f"{sum(r.monthly.minor for r in counted) / 100:.2f}" == data["mrr_gross"]

    # Patreon's own figures for a patron sit beside the ledger's (which has no receipt of
    # hers: Patreon pays the month's pledges as one sum)
    avery = supporter_report(ledger, "Avery Quinn", dt.date(2026, 10, 31))
    (stated,) = avery.stated
    assert (stated.stated_on, stated.lifetime.plain(), stated.last_charge_on) == (
        dt.date(2026, 9, 1), "80.00", dt.date(2026, 9, 1)
    )  # fmt: skip
    assert (avery.recurring[0].last_paid, avery.lifetime_gross.plain()) == (
        dt.date(2026, 9, 1), "0.00"
    )  # fmt: skip
    # an end is dated at the first missed due day when inferred from silence, and by the
    # channel's own field when it says so
    ends = {
        name: [(r.ended_on, r.inferred_end) for r in report.recurring]
        for name in ("Finley Rowe", "Gray Yates", "Kai Okafor", "Casey Hale", "Jules Berg")
        for report in [supporter_report(ledger, name, dt.date(2026, 10, 31))]
    }
    assert ends == {
        "Finley Rowe": [(dt.date(2026, 4, 10), True)],
        "Gray Yates": [(None, False)],  # back since June
        "Kai Okafor": [(dt.date(2026, 6, 3), True)],
        "Casey Hale": [(dt.date(2026, 7, 15), False)],
        "Jules Berg": [(dt.date(2026, 6, 5), False)],
    }

    # undoing the last snapshot takes back what it added, and it can come back
    final = {m: statement_json(ledger, m) for m in MONTHS}
    undo_batch(ledger, last_snapshot)
    snapshots_taken.pop()
    july = statement_json(ledger, Month(2026, 7))["recurring"]
    assert (july["cancelled"], july["lapsed"]) == (1, 1)  # Kai ended; Casey still lapsed
    take_snapshot(dt.date(2026, 9, 2))
    assert {m: statement_json(ledger, m) for m in MONTHS} == final
