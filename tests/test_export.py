"""Exports: a quarter of support across channels, handed to beancount, hledger and a
spreadsheet, and each tool's totals set beside the statement's figures worked out by hand.

The quarter (America/Phoenix, UTC-7 all year), fees as the channels charged them:

July    paypal   20.00 fee 1.19 (Ana) and 50.00 fee 2.24 (a name with quotes, ``;``, ``|``)
        patreon  two 5.00 pledges on the 1st, fee 0.60 each
        zelle    25.00; check 100.00, deposited
        kdp      royalties 200.00, Amazon keeps 60.00
August  paypal   refund of July's 20.00 (PayPal keeps its 1.19); 50.00 EUR at 1.0834 = 54.17,
                 fee 2.38
        stripe   30.00 fee 1.17, disputed: -30.00 and a 15.00 dispute fee
        patreon  two 5.00 pledges (0.60 each) and a declined one (no money)
        zelle    40.00 at 23:30 on 31 August (06:30 UTC on 1 September: August's)
        audible  royalties 80.00, Audible keeps 48.00
Sept.   check    75.00 in hand, not yet deposited (pending: owed, not received)
        patreon  two 5.00 pledges; paypal 10.00 subscription, fee 0.84
        kdp      a refunded sale: -7.00, Amazon gives back 2.10 of its share
        ebookit  12.00, eBookIt keeps 6.00
Payouts paypal 50.00 (20 Jul); stripe 28.83 (22 Aug); patreon 9.60 less a 0.25 fee (5 Aug);
        kdp 140.00 (29 Sep, July's royalties); a failed paypal payout (2 Sep: never left)
Outside zelle 10.00 at 23:00 on 30 June and 15.00 at 00:30 on 1 October.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from supportledger.channels import all_channels
from supportledger.export import (
    HLEDGER_STYLE,
    ExportFormat,
    Window,
    _check_account,
    _LocalDays,
    _plain,
    _whole_events,
    export,
)
from supportledger.journal import rebuild_ledger
from supportledger.ledger import Ledger, record_receipt
from supportledger.models import BankLine, Event, Kind, Payout, Receipt, Status, Supporter
from supportledger.money import Money
from supportledger.months import Month, local_date
from supportledger.sources import ReceiptEntry, SupporterRef
from supportledger.statement import monthly_statement
from supportledger.supporters import merge

PHOENIX = ZoneInfo("America/Phoenix")
QUARTER = Window(Month(2026, 7), Month(2026, 9))
MONTHS = ("2026-07", "2026-08", "2026-09")
AWKWARD_NAME = '=Zoë "Z" Brandt; HYPERLINK("x")|\nsecond line'

# (month, channel) -> (gross, refunds, fees, net), worked out by hand from the list above
STATEMENT = {
    ("2026-07", "paypal"): ("70.00", "0.00", "3.43", "66.57"),
    ("2026-07", "patreon"): ("10.00", "0.00", "1.20", "8.80"),
    ("2026-07", "zelle"): ("25.00", "0.00", "0.00", "25.00"),
    ("2026-07", "check"): ("100.00", "0.00", "0.00", "100.00"),
    ("2026-07", "kdp"): ("200.00", "0.00", "60.00", "140.00"),
    ("2026-08", "paypal"): ("54.17", "20.00", "2.38", "31.79"),
    ("2026-08", "stripe"): ("30.00", "30.00", "16.17", "-16.17"),
    ("2026-08", "patreon"): ("10.00", "0.00", "1.20", "8.80"),
    ("2026-08", "zelle"): ("40.00", "0.00", "0.00", "40.00"),
    ("2026-08", "audible"): ("80.00", "0.00", "48.00", "32.00"),
    ("2026-09", "patreon"): ("10.00", "0.00", "1.20", "8.80"),
    ("2026-09", "paypal"): ("10.00", "0.00", "0.84", "9.16"),
    ("2026-09", "kdp"): ("0.00", "7.00", "-2.10", "-4.90"),
    ("2026-09", "ebookit"): ("12.00", "0.00", "6.00", "6.00"),
}
# end-of-quarter balances: receipts' net less payouts (checked on the asset side)
BALANCES = {
    # zelle 25 + 40, the deposited check 100, payouts 50 + 28.83 + 9.35 + 140 (the bank's
    # lines of each arrival): the bank statement's own figure
    "Assets:Bank": "393.18",
    "Assets:Undeposited:Checks": "75.00",
    "Assets:PayPal": "57.52",  # 66.57 + 31.79 + 9.16 - 50
    "Assets:Patreon": "16.80",  # 3 x 8.80 - 9.60
    "Assets:Stripe": "-45.00",  # -16.17 - 28.83
    "Assets:Receivable:KDP": "-4.90",  # 140 - 4.90 - 140
    "Assets:Receivable:Audible": "32.00",
    "Assets:Receivable:EBookIt": "6.00",
    "Expenses:Fees:Payouts:Patreon": "0.25",
}
CHANNEL_OF_ACCOUNT = {channel.account: channel.name for channel in all_channels()}


def at(local: str) -> dt.datetime:
    return dt.datetime.fromisoformat(local).replace(tzinfo=PHOENIX)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def _pay(ledger, channel, external_id, when, gross, fee, **fields) -> Receipt:
    """A receipt through the ledger's own writer."""
    name = fields.pop("supporter", None)
    return record_receipt(
        ledger,
        ReceiptEntry(
            channel=channel,
            external_id=external_id,
            occurred_at=at(when),
            gross=usd(gross),
            fee=usd(fee),
            supporter=SupporterRef(name=name) if name else None,
            **fields,
        ),
    )


def _row(session, channel, external_id, when, gross, fee, **fields) -> Receipt:
    """A receipt the importers would write (royalties, reversals): a row as it is stored."""
    gross_minor, fee_minor = usd(gross).minor, usd(fee).minor
    receipt = Receipt(
        channel=channel,
        external_id=external_id,
        occurred_at=at(when),
        currency="USD",
        gross_minor=gross_minor,
        fee_minor=fee_minor,
        net_minor=gross_minor - fee_minor,
        **fields,
    )
    session.add(receipt)
    session.flush()
    return receipt


def _payout(session, channel, external_id, when, amount, fee="0.00", **fields) -> None:
    session.add(
        Payout(
            channel=channel,
            external_id=external_id,
            initiated_at=at(when),
            currency="USD",
            amount_minor=usd(amount).minor,
            fee_minor=usd(fee).minor,
            **fields,
        )
    )


def build_quarter(ledger: Ledger) -> None:
    _pay(ledger, "zelle", "ZL-0999", "2026-06-30T23:00", "10.00", "0", supporter="Ana Ruiz")
    first = _pay(ledger, "paypal", "PP-0703A", "2026-07-03T10:00", "20.00", "1.19",
                 supporter="Ana Ruiz")  # fmt: skip
    awkward = _pay(ledger, "paypal", "PP-0715B", "2026-07-15T12:00", "50.00", "2.24",
                   supporter="Zoe Brandt")  # fmt: skip
    for month in ("07", "08", "09"):
        for n, who in ((1, "Lou Green"), (2, "Kim Ode")):
            _pay(ledger, "patreon", f"PT-{month}01-{n}", f"2026-{month}-01T02:00", "5.00", "0.60",
                 supporter=who)  # fmt: skip
    _pay(ledger, "zelle", "ZL-1001", "2026-07-10T09:00", "25.00", "0", supporter="Ana Ruiz")
    _pay(ledger, "check", "CHK-2041", "2026-07-20T11:00", "100.00", "0", supporter="Lou Green",
         status=Status.DEPOSITED, check_number="2041")  # fmt: skip
    euros = {"original": Money.of("50.00", "EUR"), "fx_rate": Decimal("1.0834")}
    _pay(ledger, "paypal", "PP-0812F", "2026-08-12T08:00", "54.17", "2.38",
         supporter="Jean Roux", **euros)  # fmt: skip
    charge = _pay(ledger, "stripe", "ch_3Q0001", "2026-08-20T15:00", "30.00", "1.17",
                  supporter="Sam Okafor")  # fmt: skip
    _pay(ledger, "patreon", "PT-0801-3", "2026-08-01T02:00", "5.00", "0.60",
         supporter="Pat Lane", status=Status.DENIED)  # fmt: skip
    _pay(ledger, "zelle", "ZL-1002", "2026-08-31T23:30", "40.00", "0", supporter="Ana Ruiz")
    _pay(ledger, "check", "CHK-311", "2026-09-08T10:00", "75.00", "0", supporter="Pat Doe",
         status=Status.PENDING, check_number="311")  # fmt: skip
    _pay(ledger, "paypal", "PP-0914C", "2026-09-14T10:00", "10.00", "0.84",
         supporter="Ana Ruiz", kind=Kind.RECURRING)  # fmt: skip
    _pay(ledger, "zelle", "ZL-1003", "2026-10-01T00:30", "15.00", "0", supporter="Ana Ruiz")
    with ledger.session() as session:
        person = session.get(Supporter, awkward.supporter_id)
        person.display_name = AWKWARD_NAME  # as an import might have stored it
        session.add(person)
        sale = {"kind": Kind.SALE}
        _row(session, "kdp", "KDP-2026-07", "2026-07-31T12:00", "200.00", "60.00", **sale)
        _row(session, "audible", "ACX-2026-08", "2026-08-31T12:00", "80.00", "48.00", **sale)
        _row(session, "kdp", "KDP-2026-09-R", "2026-09-30T12:00", "-7.00", "-2.10",
             event=Event.REFUND, **sale)  # fmt: skip
        _row(session, "ebookit", "EBI-2026-09", "2026-09-30T12:00", "12.00", "6.00", **sale)
        _row(session, "paypal", "PP-0804R", "2026-08-04T09:00", "-20.00", "0.00",
             event=Event.REFUND, reverses_id=first.id,
             supporter_id=first.supporter_id)  # fmt: skip
        _row(session, "stripe", "dp_1Q0001", "2026-08-28T09:00", "-30.00", "15.00",
             event=Event.DISPUTE, reverses_id=charge.id,
             supporter_id=charge.supporter_id)  # fmt: skip
        _payout(session, "paypal", "PP-WD-0720", "2026-07-20T16:00", "50.00",
                arrived_on=dt.date(2026, 7, 22))  # fmt: skip
        _payout(session, "stripe", "po_1Q0001", "2026-08-22T16:00", "28.83")
        _payout(session, "patreon", "PT-PO-0805", "2026-08-05T16:00", "9.60", "0.25")
        _payout(session, "kdp", "KDP-PAY-2026-09", "2026-09-29T16:00", "140.00")
        _payout(session, "paypal", "PP-WD-0902", "2026-09-02T16:00", "10.00", status="failed")
        # the bank's side: the check's deposit and each payout arriving
        deposit = session.exec(select(Receipt).where(Receipt.external_id == "CHK-2041")).one()
        for n, (posted, amount, what, channel) in enumerate(
            (
                (dt.date(2026, 7, 21), "100.00", "income", "check"),
                (dt.date(2026, 7, 22), "50.00", "payout", "paypal"),
                (dt.date(2026, 8, 8), "9.35", "payout", "patreon"),
                (dt.date(2026, 8, 24), "28.83", "payout", "stripe"),
                (dt.date(2026, 9, 30), "140.00", "payout", "kdp"),
            )
        ):
            session.add(
                BankLine(
                    account="checking", external_id=f"line-{n}", posted_on=posted,
                    currency="USD", amount_minor=usd(amount).minor, classification=what,
                    counterparty=channel,
                    receipt_id=deposit.id if what == "income" else None,
                )
            )  # fmt: skip
        session.commit()
    rebuild_ledger(ledger)  # the rows went straight into the tables


def exported(ledger: Ledger, fmt: ExportFormat, window: Window = QUARTER) -> str:
    stream = io.StringIO(newline="")
    export(ledger, fmt, stream, window)
    return stream.getvalue()


def _figures(by_account: dict[tuple[str, str], Decimal]) -> dict:
    """Statement figures per (month, channel) from per-account totals of receipts."""
    parts = defaultdict(lambda: dict.fromkeys(("gross", "refunds", "fees"), Decimal(0)))
    for (month, account), amount in by_account.items():
        names = account.split(":")
        if names[0] == "Income":
            key = "refunds" if names[-1] == "Refunds" else "gross"
            parts[(month, CHANNEL_OF_ACCOUNT[names[2]])][key] += amount * (
                1 if key == "refunds" else -1
            )
        elif names[:2] == ["Expenses", "Fees"] and names[2] != "Payouts":
            parts[(month, CHANNEL_OF_ACCOUNT[names[2]])]["fees"] += amount
    return {
        key: tuple(
            f"{value:.2f}"
            for value in (
                p["gross"],
                p["refunds"],
                p["fees"],
                p["gross"] - p["refunds"] - p["fees"],
            )
        )
        for key, p in parts.items()
    }


def statement_figures(ledger: Ledger) -> dict:
    """(gross, refunds, fees, net) per month and channel, as supportledger's statements say."""
    figures = {}
    for month in MONTHS:
        statement = monthly_statement(ledger, Month.parse(month))
        for line in statement.channels:
            f = line.figures
            if not f.empty:
                figures[(month, line.channel)] = tuple(
                    m.plain() for m in (f.gross, f.refunds, f.fees, f.net)
                )
    assert figures == STATEMENT  # the statement agrees with the figures worked out by hand
    return figures


def test_beancount_export_passes_bean_check_and_its_totals_are_the_statements(ledger, tmp_path):
    from beancount import loader
    from beanquery import query

    build_quarter(ledger)
    path = tmp_path / "q3.beancount"
    path.write_text(exported(ledger, ExportFormat.beancount), encoding="utf-8")

    checked = subprocess.run(
        [str(Path(sys.executable).with_name("bean-check")), str(path)],
        capture_output=True,
        text=True,
    )
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    assert options["operating_currency"] == ["USD"]

    def totals(where: str) -> dict[tuple[str, str], Decimal]:
        _, rows = query.run_query(
            entries,
            options,
            "SELECT year, month, account, sum(number(weight)) AS total "
            f"WHERE {where} GROUP BY year, month, account",
        )
        return {(f"{y:04d}-{m:02d}", account): total for y, m, account, total in rows}

    # the statement counts what was received: the cleared transactions
    assert _figures(totals("flag = '*'")) == statement_figures(ledger)
    # the pending check is there, flagged, in the checks not yet deposited
    assert totals("flag = '!'") == {
        ("2026-09", "Income:Support:Checks:OneTime"): Decimal("-75.00"),
        ("2026-09", "Assets:Undeposited:Checks"): Decimal("75.00"),
    }
    _, rows = query.run_query(
        entries, options, "SELECT account, sum(number(weight)) GROUP BY account"
    )
    balances = {account: f"{total:.2f}" for account, total in rows}
    assert {a: balances[a] for a in BALANCES} == BALANCES

    # the foreign payment keeps what the supporter paid, at the rate applied
    (foreign,) = [e for e in entries if getattr(e, "meta", {}).get("id") == "PP-0812F"]
    income = foreign.postings[0]
    assert (income.account, income.units.number, income.units.currency) == (
        "Income:Support:PayPal:OneTime",
        Decimal("-50.00"),
        "EUR",
    )
    assert foreign.postings[0].price.currency == "USD"
    assert sum(p.units.number for p in foreign.postings[1:]) == Decimal("54.17")
    # the refund is its own transaction, on the refunds account, pointing at the payment
    (refund,) = [e for e in entries if getattr(e, "meta", {}).get("id") == "PP-0804R"]
    assert refund.meta["reverses"] == "PP-0703A"
    assert [(p.account, p.units.number) for p in refund.postings] == [
        ("Income:Support:PayPal:OneTime:Refunds", Decimal("20.00")),
        ("Assets:PayPal", Decimal("-20.00")),
    ]
    # names are not shown unless allowed: the awkward one is a pseudonym
    payees = {e.payee for e in entries if hasattr(e, "payee") and e.payee}
    assert payees and all(p.startswith("supporter #") for p in payees)


HLEDGER = shutil.which("hledger")


@pytest.mark.skipif(HLEDGER is None, reason="hledger is not installed (apt install hledger)")
def test_hledger_export_parses_and_its_monthly_balances_are_the_statements(ledger, tmp_path):
    build_quarter(ledger)
    path = tmp_path / "q3.journal"
    path.write_text(exported(ledger, ExportFormat.hledger), encoding="utf-8")

    def hledger(*args: str) -> list[list[str]]:
        done = subprocess.run(
            [HLEDGER, "-f", str(path), *args], capture_output=True, text=True, check=True
        )
        return list(csv.reader(io.StringIO(done.stdout)))

    def amount(cell: str) -> Decimal:
        return Decimal(cell.removesuffix(" USD"))

    header, *rows = hledger("balance", "-M", "--cost", "--cleared", "--flat", "--no-total",
                            "-O", "csv")  # fmt: skip
    assert header == ["account", *MONTHS]
    by_account = {
        (month, account): amount(cell)
        for account, *cells in rows
        for month, cell in zip(MONTHS, cells, strict=True)
        if cell != "0"
    }
    assert _figures(by_account) == statement_figures(ledger)

    _, *rows = hledger("balance", "--cost", "--flat", "--no-total", "-O", "csv")
    balances = {account: f"{amount(cell):.2f}" for account, cell in rows}
    assert {a: balances[a] for a in BALANCES} == BALANCES
    # the pending check is the one uncleared receipt
    _, *rows = hledger("register", "--pending", "-O", "csv")
    assert {(r[1], r[4], r[5]) for r in rows} == {
        ("2026-09-08", "Income:Support:Checks:OneTime", "-75.00 USD"),
        ("2026-09-08", "Assets:Undeposited:Checks", "75.00 USD"),
    }
    # each transaction carries the channel's id as a tag
    _, *rows = hledger("register", "tag:id=^dp_1Q0001$", "-O", "csv")
    assert [(r[1], r[4], r[5]) for r in rows] == [
        ("2026-08-28", "Income:Support:Stripe:OneTime:Refunds", "30.00 USD"),
        ("2026-08-28", "Expenses:Fees:Stripe", "15.00 USD"),
        ("2026-08-28", "Assets:Stripe", "-45.00 USD"),
    ]


@pytest.mark.skipif(HLEDGER is None, reason="hledger is not installed (apt install hledger)")
def test_hledger_reads_payees_and_ids_back_as_written(tmp_path):
    journal = tmp_path / "names.journal"
    journal.write_text(
        "2026-07-01 *"
        + HLEDGER_STYLE.event(
            "(Anon) O'Hara; | Jr", "PayPal one-time support", (("id", "check:12:o'hara, jr"),)
        )
        + HLEDGER_STYLE.posting("Income:Support:PayPal:OneTime", "-5.00 USD")
        + HLEDGER_STYLE.posting("Assets:PayPal", "5.00 USD"),
        encoding="utf-8",
    )
    done = subprocess.run(
        [HLEDGER, "-f", str(journal), "register", "-O", "csv"],
        capture_output=True,
        text=True,
        check=True,
    )
    _, first, _ = list(csv.reader(io.StringIO(done.stdout)))
    # no code stolen from the payee; ``;`` and ``|`` would have cut it short
    assert first[2:4] == ["", "(Anon) O'Hara, / Jr | PayPal one-time support"]
    done = subprocess.run(
        [HLEDGER, "-f", str(journal), "tags", "--values", "id"], capture_output=True, text=True
    )
    assert done.stdout == "check:12:o'hara%2C jr\n"


def test_csv_round_trips_with_every_amount_intact(ledger):
    build_quarter(ledger)
    text = exported(ledger, ExportFormat.csv)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))

    with ledger.session() as session:
        stored = {
            r.external_id: r
            for r in session.exec(select(Receipt).where(Receipt.status != Status.DENIED))
        }
    # June's and October's zelle payments are outside the quarter; the declined pledge is no money
    assert len(rows) == len(stored) - 2 == 21  # 7 in July, 8 in August, 6 in September
    for row in rows:
        receipt = stored[row["id"]]
        assert (row["gross"], row["fee"], row["net"], row["currency"]) == (
            receipt.gross.plain(),
            receipt.fee.plain(),
            receipt.net.plain(),
            "USD",
        )
    by_id = {row["id"]: row for row in rows}
    assert by_id["PP-0812F"] == {
        "date": "2026-08-12",
        "channel": "paypal",
        "kind": "one_time",
        "event": "payment",
        "supporter": by_id["PP-0812F"]["supporter"],
        "gross": "54.17",
        "fee": "2.38",
        "net": "51.79",
        "currency": "USD",
        "original_amount": "50.00",
        "original_currency": "EUR",
        "fx_rate": "1.0834",
        "id": "PP-0812F",
        "status": "completed",
    }
    assert by_id["PP-0812F"]["supporter"].startswith("supporter #")
    assert by_id["ZL-1002"]["date"] == "2026-08-31"  # 06:30 UTC on 1 Sep is 31 Aug in Phoenix
    assert (by_id["dp_1Q0001"]["gross"], by_id["dp_1Q0001"]["net"]) == ("-30.00", "-45.00")
    assert by_id["CHK-311"]["status"] == "pending"

    # the monthly sums of the counted rows are the statement's
    sums = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        if row["status"] == "pending":
            continue
        figures = sums[(row["date"][:7], row["channel"])]
        refund = row["event"] in ("refund", "chargeback", "dispute")
        figures["refunds" if refund else "gross"] += Decimal(row["gross"]) * (-1 if refund else 1)
        figures["fees"] += Decimal(row["fee"])
        figures["net"] += Decimal(row["net"])
    assert {
        key: tuple(f"{f[k]:.2f}" for k in ("gross", "refunds", "fees", "net"))
        for key, f in sums.items()
    } == statement_figures(ledger)


def test_names_are_shown_only_when_allowed_and_escaped_for_each_format(ledger, tmp_path):
    build_quarter(ledger)
    named = Ledger(
        dataclasses.replace(ledger.settings, show_supporter_names=True), engine=ledger.engine
    )
    beancount = exported(named, ExportFormat.beancount)
    assert '"=Zoë \\"Z\\" Brandt; HYPERLINK(\\"x\\")| second line"' in beancount
    path = tmp_path / "named.beancount"
    path.write_text(beancount, encoding="utf-8")
    from beancount import loader

    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    payees = {e.meta["id"]: e.payee for e in entries if hasattr(e, "payee")}
    assert payees["PP-0715B"] == '=Zoë "Z" Brandt; HYPERLINK("x")| second line'
    assert payees["PP-0703A"] == "Ana Ruiz"
    assert payees["PP-0804R"] == "Ana Ruiz"  # a refund names whom it went back to
    assert payees["KDP-2026-07"] is None  # royalties come from no one in particular

    hledger = exported(named, ExportFormat.hledger)
    # ``;`` would start a comment and ``|`` split payee from note: both are made harmless
    assert (
        '2026-07-15 * =Zoë "Z" Brandt, HYPERLINK("x")/ second line | PayPal one-time support'
        in hledger
    )
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exported(named, ExportFormat.csv)))}
    assert rows["PP-0715B"]["supporter"] == "'" + AWKWARD_NAME  # a formula cell neutralised
    assert rows["PP-0703A"]["supporter"] == "Ana Ruiz"

    hidden = exported(ledger, ExportFormat.hledger) + exported(ledger, ExportFormat.csv)
    for name in ("Ana Ruiz", "Zoë", "Lou Green", "Jean Roux", "Sam Okafor"):
        assert name not in hidden
    with ledger.session() as session:
        ana = session.exec(select(Receipt).where(Receipt.external_id == "PP-0703A")).one()
    # her July payment and its refund
    assert hidden.count(f"supporter #{ana.supporter_id} | PayPal one-time support") == 2


def test_a_merged_supporter_shows_as_the_one_who_absorbed_them(ledger):
    build_quarter(ledger)
    with ledger.session() as session:
        ids = {r.external_id: r.supporter_id for r in session.exec(select(Receipt))}
        merge(session, f"#{ids['PP-0703A']}", f"#{ids['ZL-1001']}")  # Ana on Zelle is Ana
        session.commit()
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exported(ledger, ExportFormat.csv)))}
    ana = f"supporter #{ids['PP-0703A']}"
    assert [rows[i]["supporter"] for i in ("PP-0703A", "ZL-1001", "ZL-1002")] == [ana] * 3
    assert rows["PT-0701-1"]["supporter"] == f"supporter #{ids['PT-0701-1']}"


def test_the_same_ledger_gives_the_same_bytes(ledger):
    build_quarter(ledger)
    for fmt in ExportFormat:
        first = exported(ledger, fmt, Window())
        assert first == exported(ledger, fmt, Window())
        assert "ZL-1003" in first  # October's, outside no window
    beancount = exported(ledger, ExportFormat.beancount)
    # opens first, each on the day the account is first used; then transactions by time
    assert "2026-07-01 open Income:Support:Patreon:Recurring\n" in beancount
    assert "2026-08-28 open Income:Support:Stripe:OneTime:Refunds\n" in beancount
    days = [
        line[:10] for line in beancount.splitlines() if line[:4] == "2026" and " open " not in line
    ]
    assert days == sorted(days) and days[0] == "2026-07-01" and days[-1] == "2026-09-30"


def test_a_window_takes_the_authors_months(ledger):
    build_quarter(ledger)
    august = exported(ledger, ExportFormat.csv, Window(Month(2026, 8), Month(2026, 8)))
    ids = [row["id"] for row in csv.DictReader(io.StringIO(august))]
    assert ids == ["PT-0801-1", "PT-0801-2", "PP-0804R", "PP-0812F", "ch_3Q0001", "dp_1Q0001",
                   "ACX-2026-08", "ZL-1002"]  # fmt: skip
    everything = exported(ledger, ExportFormat.csv, Window())
    assert {"ZL-0999", "ZL-1003"} <= {row["id"] for row in csv.DictReader(io.StringIO(everything))}
    from_september = exported(ledger, ExportFormat.hledger, Window(Month(2026, 9)))
    assert "ZL-1003" in from_september and "PT-0801-1" not in from_september
    # the failed payout never left PayPal
    assert "PP-WD-0902" not in from_september


def test_an_account_opens_on_its_first_use_in_the_window(ledger):
    """Zelle's income is used on 30 June, 10 July, 31 August at 23:30 (1 September in UTC)
    and 1 October: each window opens it on its own first day of use, in the author's zone."""
    build_quarter(ledger)
    zelle = "open Income:Support:Zelle:OneTime\n"
    for window, day in (
        (Window(), "2026-06-30"),
        (QUARTER, "2026-07-10"),
        (Window(Month(2026, 8), Month(2026, 8)), "2026-08-31"),
        (Window(Month(2026, 9)), "2026-10-01"),
        (Window(None, Month(2026, 6)), "2026-06-30"),
    ):
        opens = [
            line for line in exported(ledger, ExportFormat.beancount, window).splitlines()
            if " open " in line
        ]  # fmt: skip
        assert f"{day} {zelle}" in "\n".join(opens) + "\n", window
    # Audible's only sale is August's: an account the window does not use is not opened
    audible = "2026-08-31 open Income:Sales:Audible\n"
    assert audible in exported(ledger, ExportFormat.beancount, QUARTER)
    assert "Audible" not in exported(ledger, ExportFormat.beancount, Window(Month(2026, 9)))


def test_account_names_follow_the_writers_chart(ledger, tmp_path):
    build_quarter(ledger)
    renames = {"Assets:Bank": "Assets:Checking", "Income:Support": "Income:Donations"}
    mine = Ledger(dataclasses.replace(ledger.settings, account_names=renames), engine=ledger.engine)
    text = exported(mine, ExportFormat.beancount)
    assert "open Assets:Checking" in text and "Assets:Bank" not in text
    assert "open Income:Donations:PayPal:OneTime:Refunds" in text
    assert "Income:Support" not in text and "open Income:Sales:KDP" in text
    path = tmp_path / "mine.beancount"
    path.write_text(text, encoding="utf-8")
    from beancount import loader

    assert loader.load_file(str(path))[1] == []


def test_every_channel_declares_an_account_name_beancount_takes():
    for channel in all_channels():
        assert _check_account(f"Income:Sales:{channel.account}", channel.name)


def test_export_command(cli, tmp_path, monkeypatch):
    code, out, err = cli("add", "--channel", "zelle", "--amount", "40", "--from", "Ana Ruiz",
                         "--date", "2026-11-01T03:30:00Z", "--id", "ZL-88120")  # fmt: skip
    assert code == 0, err
    code, out, err = cli("export", "--format", "hledger", "--from", "2026-10", "--to", "2026-10")
    assert (code, err) == (0, "")
    assert "2026-10-31 * supporter #1 | Zelle one-time support\n    ; id:ZL-88120\n" in out
    target = tmp_path / "out" / "books.beancount"
    code, out, err = cli("export", "--format", "beancount", "--output", str(target))
    assert (code, out, err) == (0, "", f"exported 1 transactions to {target}\n")
    assert 'id: "ZL-88120"' in target.read_text(encoding="utf-8")
    assert not target.with_name("books.beancount.partial").exists()

    code, out, err = cli("export", "--format", "csv", "--from", "2026-13")
    assert (code, out, err) == (1, "", "supportledger: --from: expected YYYY-MM, got '2026-13'\n")
    code, _, err = cli("export", "--format", "csv", "--from", "2026-11", "--to", "2026-10")
    assert (code, err) == (1, "supportledger: --from 2026-11 is after --to 2026-10\n")
    code, out, err = cli("export", "--format", "text")
    assert (code, out) == (1, "") and err.count("\n") == 1  # a usage mistake: 1
    assert "'text' is not one of 'beancount', 'hledger', 'csv'" in err
    monkeypatch.setenv("ACCOUNT_NAMES", "Assets:Bank=assets:my bank")
    code, out, err = cli("export", "--format", "beancount")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "'assets:my bank' is not a valid account name" in err


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD"])
def test_amounts_written_from_minor_units_are_moneys_own(currency):
    for minor in (0, 1, -1, 5, -5, 99, 100, -100, 101, 123456789, -987654321, 10**15 + 7):
        assert _plain(minor, currency) == Money.from_minor(minor, currency).plain()


def test_the_local_day_of_ordered_instants_crosses_midnight_and_clock_changes():
    tz = ZoneInfo("America/New_York")  # 2026: clocks forward 8 March, back 1 November
    start = dt.datetime(2026, 3, 7, 3, 0)  # naive UTC, as stored
    day = _LocalDays(tz)
    for minutes in range(0, 60 * 24 * 270, 37):  # March to November, every 37 minutes
        at = start + dt.timedelta(minutes=minutes)
        # text as stored (or, read fully, without its microseconds), or a datetime
        spec = ("microseconds", "seconds", None)[minutes % 3]
        stored = at.isoformat(sep=" ", timespec=spec) if spec else at
        assert day(stored) == local_date(at.replace(tzinfo=dt.UTC), tz).isoformat(), at


def test_blocks_of_postings_are_cut_where_an_event_ends():
    """The postings are read a block at a time; an event's legs are never split between two
    blocks, however the reads fall (one event longer than a block included)."""
    legs = [("receipt", 1, 0), ("receipt", 1, 1), ("bank", 1, 0), ("bank", 1, 1), ("bank", 1, 2)]
    legs += [("receipt", 2, leg) for leg in range(7)] + [("payout", 2, 0)]
    for size in range(1, len(legs) + 2):
        blocks = list(_whole_events(iter([legs[i : i + size] for i in range(0, len(legs), size)])))
        assert [leg for block in blocks for leg in block] == legs, size
        for block, after in pairwise(blocks):  # the next block starts another event
            assert block[-1][:2] != after[0][:2], size
    assert list(_whole_events(iter([]))) == []
