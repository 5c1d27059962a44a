"""The bank, Patreon, KDP, ACX and mapping importers through the ledger writer, on both
databases: what lands in the ledger, what does not count as income, and re-imports."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from importer_support import KDP_HEADER, write, xlsx
from supportledger.imports import import_paths
from supportledger.ledger import list_receipts
from supportledger.models import (
    BankLine,
    Payout,
    Receipt,
    Subscription,
    Supporter,
    SupporterDetail,
)
from supportledger.months import Month
from supportledger.sources import RowError

OCTOBER = Month(2026, 10)
CHASE = (
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    "CREDIT,10/03/2026,Zelle payment from ANA RUIZ 18473625190,40.00,QUICKPAY_CREDIT,"
    "1040.00,,\n"
    "CREDIT,10/05/2026,PAYPAL TRANSFER PPD ID: PAYPALSI77,312.40,ACH_CREDIT,1352.40,,\n"
    "DEBIT,10/07/2026,COFFEE SHOP,-4.50,DEBIT_CARD,1347.90,,\n"
    "CREDIT,10/08/2026,PATREON  DIRECT DEP,85.10,ACH_CREDIT,1433.00,,\n"
)


def rows(ledger, model):
    with ledger.session() as session:
        return session.exec(select(model).order_by(model.id)).scalars().all()


def october_income(ledger) -> int:
    return sum(receipt.gross_minor for receipt, _ in list_receipts(ledger, OCTOBER))


def counts(ledger) -> dict[str, int]:
    with ledger.session() as session:
        return {
            model.__tablename__: session.exec(select(func.count()).select_from(model)).one()[0]
            for model in (Receipt, Payout, BankLine, Subscription, Supporter, SupporterDetail)
        }


def test_a_bank_file_adds_zelle_income_but_not_payouts(ledger, tmp_path):
    (report,) = import_paths(ledger, [write(tmp_path, "Chase1234_Activity.CSV", CHASE)])
    assert report.source == "chase"
    lines = {line.description: line for line in rows(ledger, BankLine)}
    assert {d: (line.classification, line.counterparty) for d, line in lines.items()} == {
        "Zelle payment from ANA RUIZ 18473625190": ("income", "zelle"),
        "PAYPAL TRANSFER PPD ID: PAYPALSI77": ("payout", "paypal"),
        "COFFEE SHOP": ("unclassified", None),
        "PATREON DIRECT DEP": ("payout", "patreon"),
    }
    (zelle,) = rows(ledger, Receipt)
    assert (zelle.channel, zelle.external_id, zelle.gross_minor, zelle.fee_minor) == (
        "zelle",
        "bank:chase:zelle:18473625190",
        4000,
        0,
    )
    assert zelle.occurred_at == dt.datetime(2026, 10, 3, 7, tzinfo=dt.UTC)
    (supporter,) = rows(ledger, Supporter)
    assert zelle.supporter_id == supporter.id and supporter.display_name == "ANA RUIZ"
    # the PayPal transfer (312.40) and the Patreon deposit (85.10) were counted on their
    # channels: October's income is the Zelle payment alone
    assert october_income(ledger) == 4000
    assert [line.description for line in report.unclassified] == ["COFFEE SHOP"]
    assert lines["Zelle payment from ANA RUIZ 18473625190"].receipt_id == zelle.id


def test_re_importing_a_bank_file_or_a_longer_download_changes_nothing_already_there(
    ledger, tmp_path
):
    import_paths(ledger, [write(tmp_path, "a.csv", CHASE)])
    before = counts(ledger)
    (same,) = import_paths(ledger, [write(tmp_path, "b.csv", CHASE)])
    assert same.already_imported is not None and counts(ledger) == before

    longer = CHASE + "CREDIT,10/09/2026,Zelle from LOU GREEN,25.00,QUICKPAY_CREDIT,1458.00,,\n"
    (report,) = import_paths(ledger, [write(tmp_path, "c.csv", longer)])
    assert (report.unchanged, report.skipped) == (4, 0)
    assert counts(ledger)["bank_lines"] == before["bank_lines"] + 1
    assert october_income(ledger) == 4000 + 2500


OFX = """OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD
<BANKACCTFROM><BANKID>021000021<ACCTID>000123456789<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST>
<STMTTRN><TRNTYPE>DEP<DTPOSTED>20261006<TRNAMT>100.00<FITID>F-1<CHECKNUM>2041<NAME>DEPOSIT
</STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261012<TRNAMT>61.20<FITID>F-2<NAME>AMAZON KDP PAYMENT
</STMTTRN>
</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def test_an_ofx_check_deposit_is_a_check_receipt_and_kdp_a_payout(ledger, tmp_path):
    (report,) = import_paths(ledger, [write(tmp_path, "statement.qfx", OFX)])
    assert report.source == "ofx"
    (check,) = rows(ledger, Receipt)
    assert (check.channel, check.external_id, check.gross_minor, check.check_number) == (
        "check",
        "bank:ofx-6789:F-1",
        10000,
        "2041",
    )
    assert october_income(ledger) == 10000
    (again,) = import_paths(ledger, [write(tmp_path, "again.ofx", OFX.replace("\n", "\r\n"))])
    assert (again.added, again.unchanged) == (0, 2)


MEMBERS = (
    "Name,Email,Discord,Patron Status,Follows You,Free Member,Free Trial,Lifetime Amount,"
    "Pledge Amount,Charge Frequency,Tier,Addressee,Street,City,State,Zip,Country,Phone,"
    "Patronage Since Date,Last Charge Date,Last Charge Status,Additional Details,User ID,"
    "Last Updated,Currency,Max Posts,Access Expiration,Next Charge Date,Full country name,"
    "Subscription Source\n"
    "Ana Ruiz,ana@example.org,,Active patron,Yes,No,No,$60.00,$5.00,monthly,Reader,Ana Ruiz,"
    "12 Elm St,Tucson,AZ,85701,US,,2025-10-01 07:12:45,2026-10-01 07:00:03,Paid,,81234567,"
    "2026-10-02 10:00:00,USD,,,2026-11-01,United States,patreon\n"
    "Lou Green,lou@example.org,,Former patron,No,No,No,$120.00,$10.00,monthly,Patron,,,,,,,,"
    "2024-03-15 12:00:00,2025-03-15 12:00:00,Paid,,81234568,2025-06-01 09:00:00,USD,,,,,"
    "patreon\n"
)
EARNINGS = (
    "Month,Processed pledges,Processing fees,Patreon fee,Refunds\n"
    "2026-10,850.00,31.20,68.00,15.00\n"
)
PAYOUTS = "Date,Amount,Fee,Method,Status\n2026-10-05,735.80,0.25,Direct deposit,Completed\n"


def test_patreon_members_earnings_and_payouts(ledger, tmp_path):
    files = [
        write(tmp_path, "members.csv", MEMBERS),
        write(tmp_path, "earnings.csv", EARNINGS),
        write(tmp_path, "payouts.csv", PAYOUTS),
    ]
    reports = import_paths(ledger, files)
    assert [r.source for r in reports] == ["patreon-members", "patreon-earnings", "patreon-payouts"]
    subscriptions = {s.external_id: s for s in rows(ledger, Subscription)}
    assert {k: (s.amount_minor, s.status, s.tier) for k, s in subscriptions.items()} == {
        "81234567": (500, "active", "Reader"),
        "81234568": (1000, "cancelled", "Patron"),
    }
    ana = next(s for s in rows(ledger, Supporter) if s.display_name == "Ana Ruiz")
    assert subscriptions["81234567"].supporter_id == ana.id
    details = {d.name: d.value for d in rows(ledger, SupporterDetail) if d.supporter_id == ana.id}
    assert details["street"] == "12 Elm St" and details["email"] == "ana@example.org"

    receipts = {r.external_id: r for r in rows(ledger, Receipt)}
    month, refunds = receipts["earnings:2026-10"], receipts["earnings:2026-10:refunds"]
    assert (month.gross_minor, month.fee_minor, month.net_minor, month.kind) == (
        85000,
        9920,
        75080,
        "recurring",
    )
    assert month.expected_fee_minor == 9920  # Pro's 8% of 850.00 = 68.00, + 31.20 reported
    assert (refunds.gross_minor, refunds.fee_minor, refunds.event) == (-1500, 0, "refund")
    assert october_income(ledger) == 85000 - 1500
    (payout,) = rows(ledger, Payout)
    assert (payout.external_id, payout.amount_minor, payout.fee_minor) == (
        "payout:2026-10-05:0",
        73580,
        25,
    )

    # a later snapshot where nothing but "Last Updated" moved changes nothing
    before = counts(ledger)
    later = MEMBERS.replace("2026-10-02 10:00", "2026-11-02 10:00")
    (again,) = import_paths(ledger, [write(tmp_path, "members-2.csv", later)])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert counts(ledger) == before


KDP_USD = ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.com", "70%",
           "Standard", 12, 2, 10, "4.99", "4.99", "1.2", "0.18", "33.67", "USD"]  # fmt: skip


def kdp_workbook(path, *rows):
    path.write_bytes(xlsx({"eBook Royalty": [KDP_HEADER, *rows]}))
    return path


def test_a_kdp_report_books_sales_and_a_foreign_row_without_a_rate_writes_nothing(ledger, tmp_path):
    (report,) = import_paths(ledger, [kdp_workbook(tmp_path / "kdp-oct.xlsx", KDP_USD)])
    assert report.source == "kdp"
    (sale,) = rows(ledger, Receipt)
    assert (sale.gross_minor, sale.fee_minor, sale.net_minor, sale.kind) == (
        4990,
        1623,
        3367,
        "sale",
    )
    assert sale.due_on == dt.date(2026, 12, 31)
    # the importer's expected fee, as Amazon rounds a row's royalty once: 0.70 × (49.90 −
    # 10 × 0.18 delivery of 1.2 MB) = 33.67, so Amazon kept 16.23
    assert sale.expected_fee_minor == 1623
    before = counts(ledger)

    uk = [*KDP_USD[:4], "Amazon.co.uk", *KDP_USD[5:15], "GBP"]
    us_again = [*KDP_USD[:6], "Kindle Countdown Deals", *KDP_USD[7:]]
    path = kdp_workbook(tmp_path / "kdp-oct-2.xlsx", us_again, uk)
    with pytest.raises(RowError, match="line 3: column 'Currency' value 'GBP'"):
        import_paths(ledger, [path])
    assert counts(ledger) == before


def test_acx_and_a_mapping_beside_the_file(ledger, tmp_path):
    detail = [
        ["Product ID", "Title", "Transaction Type", "Marketplace", "Currency", "Royalty Rate",
         "Net Units", "Net Sales", "Net Royalties Earned"],
        ["BK_1", "The Long Road", "Sale", "Audible.com", "USD", "40%", 3, "44.85", "17.94"],
    ]  # fmt: skip
    (tmp_path / "acx.xlsx").write_bytes(
        xlsx({"Cover Sheet (ACX)": [["Period: 2026_OCT"]], "Sales Detail (Net Sales)": detail})
    )

    write(
        tmp_path,
        "kofi.toml",
        'channel = "stripe"\nheader = ["Date", "From", "Received", "Id"]\n'
        '[columns]\ndate = "Date"\namount = "Received"\nid = "Id"\npayer = "From"\n',
    )
    kofi = write(tmp_path, "kofi.csv", "Date,From,Received,Id\n2026-10-20,May Chen,5.00,KF-1\n")
    acx, mapped = import_paths(ledger, [tmp_path / "acx.xlsx", kofi])
    assert (acx.source, mapped.source) == ("acx", "mapping")
    receipts = {r.channel: r for r in rows(ledger, Receipt)}
    assert (receipts["audible"].gross_minor, receipts["audible"].fee_minor) == (4485, 2691)
    assert receipts["audible"].due_on == dt.date(2026, 11, 30)
    # no fee column: Stripe's schedule, 2.9% of 5.00 = 0.145 → 0.15, + 0.30
    assert (receipts["stripe"].external_id, receipts["stripe"].fee_minor) == ("KF-1", 45)
    assert october_income(ledger) == 4485 + 500


def test_source_names_a_mapping_file(ledger, tmp_path):
    (tmp_path / "Rules").mkdir()
    mapping = write(
        tmp_path,
        "Rules/Ko-fi.toml",
        'channel = "stripe"\n[columns]\ndate = "Date"\namount = "Received"\nfee = "Fee"\n',
    )
    path = write(tmp_path, "kofi.csv", "Date,Received,Fee\n2026-10-20,5.00,0.20\n")
    (report,) = import_paths(ledger, [path], source=f"mapping:{mapping}")
    assert (report.source, report.added) == (f"mapping:{mapping}", 1)
    (receipt,) = rows(ledger, Receipt)
    assert (receipt.gross_minor, receipt.fee_minor) == (500, 20)
