"""The journal under every report: a month worked out by hand, on real export layouts.

The writer (Phoenix, USD) is paid, across October and November 2026:

- **PayPal** (activity download, PayPal's own columns: ``tests/paypal_export.py``, from
  hledger's ``examples/csv/paypal-2018.csv.rules``): on 4 October a donation of 20.00 GBP,
  fee 1.08, net 18.92 GBP, which PayPal keeps in a GBP balance (no conversion rows); on 20
  October 50.00 USD, fee 2.24, net 47.76; on 2 November PayPal converts the 18.92 GBP to
  24.10 USD and the writer withdraws 71.86 USD; on 15 November 10.00 USD, fee 0.84.
- **Exchange rates**: the ECB's reference rates CSV (``eurofxref-hist.csv`` from
  https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip: ``Date,USD,JPY,...,`` with a
  trailing comma and ``N/A`` cells). Friday 2 October: 1 EUR = 1.1700 USD = 0.8700 GBP, so
  1 GBP = 1.17 / 0.87 = 1.3448275862 USD (10 places), the rate of Sunday 4 October.
  The donation is worth 20.00 x 1.3448275862 = 26.896... -> 26.90 USD, its fee 1.08 x ... =
  1.452... -> 1.45, its net 26.90 - 1.45 = 25.45. Converted to 24.10 USD, it realises a
  1.35 exchange loss.
- **KDP** (royalty report, the columns of KDP's "eBook Royalty" sheet: ``importer_support``):
  September 2026, 10 copies of The Salt Road at 4.99, royalty 32.83. KDP pays it by bank
  transfer on 27 November, two months later: the bank's credit is KDP's payout, and settles
  the royalty.
- **A check**: 100.00 from Lou Green, recorded on 28 October, deposited on 3 November.
- **The bank** (Chase's CSV layout, as ``src/supportledger/samples`` writes it): the check's
  deposit on 3 November, PayPal's transfer of 71.86 on 4 November, KDP's 32.83 on 27
  November.

A second writer keeps the ledger in euros and is paid 30.00 USD through PayPal on 14
October, held as USD: 1 EUR = 1.1700 USD that day, so 1 USD = 0.8547008547 EUR.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from decimal import Decimal

import pytest

import paypal_export as pp
from conftest import assert_money_invariants
from importer_support import KDP_HEADER
from supportledger.config import load_settings
from supportledger.export import ExportFormat, export
from supportledger.imports import import_paths
from supportledger.ledger import Ledger, manual_receipt_id, record_receipt
from supportledger.money import Money
from supportledger.months import Month, parse_instant
from supportledger.reconcile import reconcile_month
from supportledger.render import render
from supportledger.sources import ReceiptEntry, SupporterRef
from supportledger.statement import annual_summary, monthly_statement

OCTOBER, NOVEMBER = Month(2026, 10), Month(2026, 11)

ECB_HEADER = (
    "Date,USD,JPY,BGN,CYP,CZK,DKK,EEK,GBP,HUF,LTL,LVL,MTL,PLN,ROL,RON,SEK,SIT,SKK,CHF,ISK,"
    "NOK,HRK,RUB,TRL,TRY,AUD,BRL,CAD,CNY,HKD,IDR,ILS,INR,KRW,MXN,MYR,NZD,PHP,SGD,THB,ZAR,"
)


def ecb_row(day: str, usd: str, gbp: str) -> str:
    """A day of the ECB's history: every other currency a plausible figure or N/A."""
    cells = [usd, "170.10", "1.9558", "N/A", "24.950", "7.4570", "N/A", gbp, "395.38",
             *["N/A"] * 3, "4.2908", "N/A", "4.9698", "11.2930", "N/A", "N/A", "0.9655",
             "149.90", "11.5200", "N/A", "N/A", "N/A", "35.120", "1.7800", "6.3000", "1.5900",
             "8.3000", "9.1000", "17900.00", "4.3000", "97.50", "1480.00", "21.000", "5.0500",
             "1.9300", "65.00", "1.5000", "39.00", "20.500"]  # fmt: skip
    return f"{day},{','.join(cells)},"


ECB = "\n".join(
    [
        ECB_HEADER,
        ecb_row("2026-10-14", "1.1700", "0.8690"),
        ecb_row("2026-10-02", "1.1700", "0.8700"),
        ecb_row("2026-10-01", "1.1650", "0.8705"),
    ]
)

OCTOBER_PAYPAL = [
    pp.row("10/04/2026", "10:00:00", "Alice Hart", "Donation Received", "Completed", "GBP",
           "20.00", "-1.08", "18.92", "alice@example.co.uk", "GB00000000000001",
           balance="18.92"),
    pp.row("10/20/2026", "14:00:00", "Ben Osei", "Donation Received", "Completed", "USD",
           "50.00", "-2.24", "47.76", "ben@example.org", "US00000000000001", balance="47.76"),
]  # fmt: skip
NOVEMBER_PAYPAL = [
    pp.row("11/02/2026", "09:00:00", "", "General Currency Conversion", "Completed", "GBP",
           "-18.92", "0.00", "-18.92", "", "CV00000000000001", ref="WD00000000000001",
           balance="0.00", zone="PST", impact="Debit"),
    pp.row("11/02/2026", "09:00:00", "", "General Currency Conversion", "Completed", "USD",
           "24.10", "0.00", "24.10", "", "CV00000000000002", ref="WD00000000000001",
           balance="71.86", zone="PST"),
    pp.row("11/02/2026", "09:00:05", "", "General Withdrawal - Bank Account", "Completed",
           "USD", "-71.86", "0.00", "-71.86", "", "WD00000000000001", balance="0.00",
           zone="PST", impact="Debit"),
    pp.row("11/15/2026", "12:00:00", "Ben Osei", "Donation Received", "Completed", "USD",
           "10.00", "-0.84", "9.16", "ben@example.org", "US00000000000002", balance="9.16",
           zone="PST"),
]  # fmt: skip
KDP_SEPTEMBER = [
    ",".join(KDP_HEADER),
    "2026-09,The Salt Road,A. Writer,B0SALT0001,Amazon.com,70%,Standard,10,0,10,4.99,4.99,"
    "2.00,0.30,32.83,USD",
]
CHASE_NOVEMBER = [
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #",
    "CREDIT,11/03/2026,REMOTE ONLINE DEPOSIT #          1,100.00,DEPOSIT,1100.00,",
    "CREDIT,11/04/2026,PAYPAL TRANSFER WD00000000000001 PPD ID: PAYPALSD11,71.86,ACH_CREDIT,"
    "1171.86,",
    "CREDIT,11/27/2026,AMAZON.COM SERVICES KDP ROYALTY PPD ID: 9000012345,32.83,ACH_CREDIT,"
    "1204.69,",
]


def write(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def data(ledger, month: Month) -> dict:
    return json.loads(render(monthly_statement(ledger, month), "json", ledger.settings))


def take_rates(cli, tmp_path) -> None:
    rates = tmp_path / "eurofxref-hist.csv"
    rates.write_text(ECB + "\n", encoding="utf-8")
    code, out, err = cli("rates", "import", str(rates))
    assert (code, err) == (0, "")
    # 3 days x 30 currencies quoted (the euro's predecessors and the N/A cells left out)
    assert out == "eurofxref-hist.csv: 90 rates taken\n"


def test_a_month_worked_by_hand_reads_the_same_from_every_report(ledger, cli, tmp_path):
    # without a rate, the GBP donation is refused, naming the currency, the day and the way
    october = pp.write(tmp_path / "Download.CSV", OCTOBER_PAYPAL)
    code, _, err = cli("import", str(october))
    assert code == 1
    assert "no GBP to USD rate for 2026-10-04: import the ECB's rates" in err
    take_rates(cli, tmp_path)
    code, out, err = cli("rates", "show", "GBP", "--date", "2026-10-04")
    assert out == "1 GBP = 1.3448275862 USD on 2026-10-04\n"

    record_receipt(
        ledger,
        ReceiptEntry(
            "check", manual_receipt_id("check", "2041"),
            parse_instant("2026-10-28", ledger.tz), Money.of("100.00", "USD"),
            status="pending", supporter=SupporterRef(name="Lou Green"), check_number="2041",
        ),
    )  # fmt: skip
    import_paths(ledger, [october, write(tmp_path / "kdp.csv", KDP_SEPTEMBER)])
    before_the_bank = data(ledger, OCTOBER)
    # October, before the bank: the check is in hand, owed, not income
    assert before_the_bank["channels"]["check"]["gross"] == "0.00"
    assert before_the_bank["outstanding"]["checks_total"] == "100.00"

    import_paths(
        ledger,
        [
            pp.write(tmp_path / "Download-2.CSV", NOVEMBER_PAYPAL),
            write(tmp_path / "Chase1234_Activity.CSV", CHASE_NOVEMBER),
        ],
    )
    oct_ = data(ledger, OCTOBER)
    # PayPal: 26.90 + 50.00 gross, fees 1.45 + 2.24; the check, received in October and
    # deposited on 3 November, is October's income
    assert oct_["channels"]["paypal"] | {} == {
        **oct_["channels"]["paypal"],
        "count": 2, "gross": "76.90", "refunds": "0.00", "fees": "3.69", "net": "73.21",
    }  # fmt: skip
    assert (oct_["channels"]["check"]["count"], oct_["channels"]["check"]["net"]) == (
        1, "100.00"
    )  # fmt: skip
    assert oct_["channels"]["kdp"]["net"] == "0.00"  # September's
    assert (oct_["totals"]["gross"], oct_["totals"]["fees"], oct_["totals"]["net"]) == (
        "176.90", "3.69", "173.21",
    )  # fmt: skip
    assert oct_["exchange_gain"] == "0.00"
    owed = oct_["outstanding"]
    # KDP's September royalty, due 60 days after the month; the check still in hand on 31
    # October; PayPal holding 18.92 GBP (worth 25.45) and 47.76 USD
    assert owed["royalties"] == [
        {"channel": "kdp", "earned_month": "2026-09", "due_month": "2026-11", "count": 1,
         "earned": "32.83", "amount": "32.83"},
    ]  # fmt: skip
    assert [(c["received_on"], c["age_days"], c["amount"]) for c in owed["checks"]] == [
        ("2026-10-28", 3, "100.00")
    ]
    assert owed["balances"] == [
        {"channel": "paypal", "currency": "GBP", "opening": "0.00", "receipts": "18.92",
         "paid_out": "0.00", "other": "0.00", "balance": "18.92", "value": "25.45",
         "stated": "18.92", "stated_on": "2026-10-04", "ledger_at_stated": "18.92",
         "difference": "0.00"},
        {"channel": "paypal", "currency": "USD", "opening": "0.00", "receipts": "47.76",
         "paid_out": "0.00", "other": "0.00", "balance": "47.76", "value": "47.76",
         "stated": "47.76", "stated_on": "2026-10-20", "ledger_at_stated": "47.76",
         "difference": "0.00"},
    ]  # fmt: skip
    assert owed["in_transit"] == []
    assert owed["total"] == "206.04"  # 32.83 + 100.00 + 25.45 + 47.76

    nov = data(ledger, NOVEMBER)
    assert (nov["channels"]["paypal"]["gross"], nov["channels"]["paypal"]["net"]) == (
        "10.00", "9.16"
    )  # fmt: skip
    # the 18.92 GBP carried at 25.45 brought 24.10 USD
    assert nov["exchange_gain"] == "-1.35"
    owed = nov["outstanding"]
    assert owed["royalties"] == [] and owed["checks"] == [] and owed["in_transit"] == []
    assert owed["balances"] == [
        {"channel": "paypal", "currency": "GBP", "opening": "18.92", "receipts": "0.00",
         "paid_out": "0.00", "other": "-18.92", "balance": "0.00", "value": "0.00",
         "stated": "0.00", "stated_on": "2026-11-02", "ledger_at_stated": "0.00",
         "difference": "0.00"},
        {"channel": "paypal", "currency": "USD", "opening": "47.76", "receipts": "9.16",
         "paid_out": "71.86", "other": "24.10", "balance": "9.16", "value": "9.16",
         "stated": "9.16", "stated_on": "2026-11-15", "ledger_at_stated": "9.16",
         "difference": "0.00"},
    ]  # fmt: skip
    assert owed["total"] == "9.16"
    assert [(p["channel"], p["arrived_on"], p["to_bank"]) for p in nov["payouts"]["items"]] == [
        ("paypal", "2026-11-04", "71.86"),
        ("kdp", "2026-11-27", "32.83"),
    ]

    # reconcile says what the statement says, and leaves nothing unexplained
    for month, statement in ((OCTOBER, oct_), (NOVEMBER, nov)):
        rec = reconcile_month(ledger, month)
        assert rec.owed.total.plain() == statement["outstanding"]["total"]
        assert rec.owed.waiting_unexplained.amount == 0
        assert rec.payouts.deposits_without_payout == ()
        assert rec.payouts.payouts_without_deposit == ()
        assert rec.payouts.ambiguous == ()

    # the year: cash (royalties when paid: KDP's 32.83 of November) or accrual (KDP's
    # September sale, 10 x 4.99 gross, Amazon's 17.07 kept, 32.83 earned)
    cash = annual_summary(ledger, 2026)
    accrual = annual_summary(ledger, 2026, basis="accrual")
    assert cash.schedule_c.line_1_gross_receipts == Money.of("219.73", "USD")  # 32.83+86.90+100
    assert cash.schedule_c.line_10_commissions_and_fees == Money.of("4.53", "USD")
    assert accrual.schedule_c.line_1_gross_receipts == Money.of("236.80", "USD")
    assert accrual.schedule_c.line_10_commissions_and_fees == Money.of("21.60", "USD")
    assert cash.exchange_gain == accrual.exchange_gain == Money.of("-1.35", "USD")

    # the exported journal's bank balance is the bank file's: 100.00 + 71.86 + 32.83
    journal = tmp_path / "all.journal"
    with journal.open("w", encoding="utf-8") as stream:
        export(ledger, ExportFormat.hledger, stream)
    text = journal.read_text(encoding="utf-8")
    assert "    Assets:PayPal" in text and "18.92 GBP @@ 25.45 USD" in text
    hledger = pytest.importorskip("shutil").which("hledger")
    if hledger:
        done = subprocess.run(
            [hledger, "-f", str(journal), "balance", "Assets:Bank", "--flat", "-N", "-O", "csv"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert done.stdout.splitlines()[1] == '"Assets:Bank","204.69 USD"'


def test_money_held_in_dollars_by_a_ledger_in_euros(database_url, migrated_schema, tmp_path):
    migrated_schema.lay_into(database_url)
    settings = {"DATABASE_URL": database_url, "LEDGER_TIMEZONE": "America/Phoenix",
                "BASE_CURRENCY": "EUR"}  # fmt: skip
    ledger = Ledger(load_settings(settings, dotenv_path=tmp_path / "no.env"))
    try:
        from supportledger.db import writing
        from supportledger.rates import read_ecb, store

        rates = tmp_path / "eurofxref-hist.csv"
        rates.write_text(ECB + "\n", encoding="utf-8")
        with writing(ledger.engine) as (connection, _):
            store(connection, read_ecb(rates))
            connection.commit()
        held = [
            pp.row("10/14/2026", "11:00:00", "Chris Lee", "Donation Received", "Completed",
                   "USD", "30.00", "-1.35", "28.65", "chris@example.org", "US00000000000009",
                   balance="28.65"),
        ]  # fmt: skip
        import_paths(ledger, [pp.write(tmp_path / "Download.CSV", held)], date_order="mdy")
        october = data(ledger, OCTOBER)
        # 30.00 x 0.8547008547 = 25.64; 1.35 x ... = 1.15; net 24.49
        assert october["currency"] == "EUR"
        paypal = october["channels"]["paypal"]
        assert (paypal["gross"], paypal["fees"], paypal["net"]) == ("25.64", "1.15", "24.49")
        (usd,) = october["outstanding"]["balances"]
        assert (usd["currency"], usd["balance"], usd["value"]) == ("USD", "28.65", "24.49")
        assert october["outstanding"]["total"] == "24.49"
        with ledger.engine.connect() as connection:
            rate = connection.exec_driver_sql("select fx_rate from receipts").scalar_one()
        assert Decimal(rate) == Decimal("0.8547008547")  # recorded on the receipt
        assert_money_invariants(ledger)
    finally:
        ledger.engine.dispose()


def test_the_journal_command_checks_and_rebuilds(cli, ledger):
    record_receipt(
        ledger,
        ReceiptEntry("zelle", "ZL-1", dt.datetime(2026, 10, 5, 17, tzinfo=dt.UTC),
                     Money.of("40.00", "USD")),
    )  # fmt: skip
    assert cli("journal", "check") == (
        0,
        "the journal is balanced and agrees with every event\n",
        "",
    )
    with ledger.engine.begin() as connection:  # a posting changed behind the ledger's back
        connection.exec_driver_sql("update postings set value_minor = 0 where leg = 0")
    code, _, err = cli("journal", "check")
    assert code == 1 and "does not balance" in err
    assert cli("journal", "rebuild")[0] == 0
    assert cli("journal", "check")[0] == 0


def test_a_ledger_keeps_the_time_zone_it_was_filled_in(cli, samples, monkeypatch):
    """The bundled samples' day-dated receipts (KDP's and Patreon's October, the bank's
    days) are kept as the start of their day in Phoenix; read in New York, October's
    royalties would fall on 30 September. A different ``LEDGER_TIMEZONE`` is refused by
    whatever reads the ledger, and the ledger is left as it was."""
    month = ("statement", "--month", "2026-10", "--format", "json")
    before = cli(*month)
    assert before[0] == 0
    monkeypatch.setenv("LEDGER_TIMEZONE", "America/New_York")
    refusal = (
        "supportledger: this ledger keeps its days and months in America/Phoenix, but "
        "LEDGER_TIMEZONE is America/New_York (America/Phoenix when unset): set "
        "LEDGER_TIMEZONE=America/Phoenix in .env or the environment; a ledger's time zone "
        "cannot change once it holds receipts\n"
    )
    for command in (
        month,
        ("reconcile", "--month", "2026-10"),
        ("export", "--format", "csv"),
        ("supporters",),
        ("bank", "lines"),
        ("add", "--channel", "zelle", "--amount", "5.00", "--date", "2026-10-07"),
    ):
        assert cli(*command) == (1, "", refusal), command
    monkeypatch.setenv("LEDGER_TIMEZONE", "America/Phoenix")
    assert cli(*month) == before


def test_an_empty_ledger_takes_the_zone_it_is_given(cli, monkeypatch):
    """`init` may run before the writer has set their zone: until the ledger holds a
    receipt, the zone in force is simply taken (here New York's, then Phoenix's)."""
    monkeypatch.setenv("LEDGER_TIMEZONE", "America/New_York")
    assert cli("init")[0] == 0
    monkeypatch.setenv("LEDGER_TIMEZONE", "America/Phoenix")
    assert cli("add", "--channel", "zelle", "--amount", "5.00", "--date", "2026-10-01")[0] == 0
    code, out, _ = cli("statement", "--month", "2026-10", "--format", "json")
    assert (code, json.loads(out)["timezone"]) == (0, "America/Phoenix")
    monkeypatch.setenv("LEDGER_TIMEZONE", "America/New_York")
    code, _, err = cli("statement", "--month", "2026-10")
    assert code == 1 and "keeps its days and months in America/Phoenix" in err
