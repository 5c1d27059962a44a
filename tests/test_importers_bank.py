import datetime as dt
import re
from decimal import Decimal

import pytest

from importer_support import CONTEXT, write
from supportledger.money import Money
from supportledger.sources import RowError, Skipped, SupporterRef
from supportledger.sources.bank import (
    INCOME,
    BankOfAmerica,
    CapitalOne,
    Chase,
    Citi,
    Classifier,
    Rule,
    USBank,
    classify,
)
from supportledger.sources.ids import stable_id
from supportledger.sources.ofx import OfxStatement

CHASE = (
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    "CREDIT,10/03/2026,Zelle payment from ANA RUIZ 18473625190,40.00,QUICKPAY_CREDIT,"
    "1040.00,,\n"
    "CREDIT,10/05/2026,PAYPAL TRANSFER PPD ID: PAYPALSI77,312.40,ACH_CREDIT,1352.40,,\n"
    "DSLIP,10/06/2026,REMOTE ONLINE DEPOSIT #          1,100.00,CHECK_DEPOSIT,1452.40,2041,\n"
    "DEBIT,10/07/2026,COFFEE SHOP,-4.50,DEBIT_CARD,1447.90,,\n"
    "DEBIT,10/07/2026,COFFEE SHOP,-4.50,DEBIT_CARD,1447.90,,\n"
    "CREDIT,10/08/2026,PATREON  DIRECT DEP,85.10,ACH_CREDIT,1533.00,,\n"
)


def entries(importer, path):
    return list(importer.entries(path, CONTEXT))


def test_chase_lines_are_classified_and_keyed(tmp_path):
    path = write(tmp_path, "Chase1234_Activity.CSV", CHASE)
    assert Chase().identify(path, path.read_bytes())
    zelle, paypal, check, coffee1, coffee2, patreon = entries(Chase(), path)

    assert (zelle.classification, zelle.counterparty) == ("income", "zelle")
    assert zelle.external_id == "zelle:18473625190"
    assert zelle.supporter == SupporterRef(name="ANA RUIZ")
    assert (zelle.account, zelle.posted_on, zelle.amount, zelle.line) == (
        "chase",
        dt.date(2026, 10, 3),
        Money(Decimal("40.00"), "USD"),
        2,
    )

    assert (paypal.classification, paypal.counterparty, paypal.supporter) == (
        "payout",
        "paypal",
        None,
    )
    assert (check.classification, check.counterparty, check.check_number) == (
        "income",
        "check",
        "2041",
    )
    assert (patreon.classification, patreon.counterparty) == ("payout", "patreon")
    assert patreon.description == "PATREON DIRECT DEP"

    # identical lines stay two lines: the occurrence index tells them apart
    assert coffee1.classification == coffee2.classification == "unclassified"
    content = ("chase", "2026-10-07", Decimal("-4.50"), "COFFEE SHOP", Decimal("1447.90"))
    assert coffee1.external_id == stable_id(*content, 0)
    assert coffee2.external_id == stable_id(*content, 1)


def test_a_redownload_gives_the_same_ids(tmp_path):
    first = [e.external_id for e in entries(Chase(), write(tmp_path, "a.csv", CHASE))]
    again = [e.external_id for e in entries(Chase(), write(tmp_path, "b.csv", CHASE))]
    assert first == again
    assert len(set(first)) == 6


#: (description, amount, bank type, what the line is and its payer)
RULE_TABLE = [
    ("Zelle payment from Lou Green Conf# T0ABC1234", "25", "", ("income:zelle", "Lou Green")),
    # Bank of America writes the sender's memo between the name and the confirmation (its
    # CSV as public parsers' tests quote it: 'Zelle payment from NAME for "Car payment"; Conf#
    # svSbs7iik'); the memo is not the payer's name
    (
        'Zelle payment from Lou Green for "Salt Road"; Conf# svSbs7iik',
        "25",
        "",
        ("income:zelle", "Lou Green"),
    ),
    (
        'Zelle payment from LOU GREEN for "b; c"; Conf# 99chzdd0x',
        "25",
        "",
        ("income:zelle", "LOU GREEN"),
    ),
    ("ZELLE FROM LOU GREEN ON 10/05 REF # WFCT0ABC12", "25", "", ("income:zelle", "LOU GREEN")),
    ("Zelle Transfer Conf# k2j3h4; Lou Green", "25", "", ("income:zelle", "Lou Green")),
    ("Zelle from Lou Green", "25", "", ("income:zelle", "Lou Green")),
    ("Zelle payment to Lou Green 1234567", "-25", "", ("unclassified", None)),
    ("STRIPE TRANSFER ST-A1B2C3 JANE WRITER", "90", "", ("payout:stripe", None)),
    ("AMAZON.COM SERVICES KDP PAYMENT", "61.20", "", ("payout:kdp", None)),
    ("AUDIBLE INC ACX ROYALTY", "33", "", ("payout:audible", None)),
    ("PAYPAL INST XFER", "-50", "", ("unclassified", None)),
    ("MOBILE DEPOSIT REF 55", "75", "", ("income:check", None)),
    ("DEPOSIT ID NUMBER 123456", "75", "", ("income:check", None)),
    ("CHECK 1234", "-75", "CHECK", ("unclassified", None)),
    ("PAYROLL DIRECT DEPOSIT", "900", "DIRECTDEP", ("unclassified", None)),
    # what each bank really writes, and what only looks like it (see the cases below)
    ("Zelle money received from Jo Lee", "47.25", "", ("income:zelle", "Jo Lee")),
    ("Check Deposit (Mobile)", "300", "", ("income:check", None)),
    ("Deposit Mobile Banking", "20", "DEPOSIT", ("income:check", None)),
    ("REMOTE ONLINE DEPOSIT # 1", "100", "", ("income:check", None)),
    ("DEPOSIT", "100", "", ("income:check", None)),
    ("ANYTHING AT ALL", "100", "CHECK_DEPOSIT", ("income:check", None)),
    ("PATREON MEMBERSHIP PAYOUT PPD ID: 4270465600", "217.10", "", ("payout:patreon", None)),
    ("PAYPAL DES:TRANSFER ID:1234567 INDN:JANE WRITER", "50", "", ("payout:paypal", None)),
    # Capital One 360 writes every incoming ACH "Deposit from SENDER": a salary
    ("Deposit from BIGTECH CO CORPORA DIRECT DEP", "4419.77", "", ("unclassified", None)),
    ("Deposit from ST. OF MARYLAND TAX REFUND", "834", "", ("unclassified", None)),
    # an OFX deposit (TRNTYPE DEP) is any deposit: a payroll is not a check
    ("BEAN COUNTERS PAYROLL", "1500", "DEP", ("unclassified", None)),
    ("SOMETHING", "75", "DEP", ("unclassified", None)),
    # Amazon pays many things; only Amazon and KDP together is a royalty payout
    ("AMAZON MKTPLACE PMTS", "29.99", "", ("unclassified", None)),
    ("AMAZON.COM SERVICES KDP ROYALTY PPD ID: 9000012345", "41.11", "", ("payout:kdp", None)),
    ("AUDIBLE*REFUND", "14.95", "", ("unclassified", None)),
    ("PATREON* MEMBERSHIP", "7", "", ("unclassified", None)),
    ("BOOKSHOP EVENT HONORARIUM", "150", "", ("unclassified", None)),
]


@pytest.mark.parametrize(("description", "amount", "kind", "expected"), RULE_TABLE)
def test_the_rule_table(description, amount, kind, expected):
    """``expected``: what the line is (income or a payout, on which channel) and its payer."""
    found = classify(description, Decimal(amount), kind)
    what = ":".join(filter(None, (found.classification, found.counterparty)))
    assert (what, found.payer) == expected


def test_one_classifier_for_a_file_says_what_classify_says_of_each_line():
    """A file's classifier sorts out once, per sign, bank type and account, which rules can
    take a line: over lines of every kind, in any order, with the writer's rule for one
    account among them, it says what classifying each line afresh says."""
    mine = Rule(INCOME, re.compile("HONORARIUM", re.I), "other", account="chase")
    lines = [
        (d, Decimal(a), kind, account)
        for d, a, kind, _ in RULE_TABLE
        for account in ("chase", "citi")
    ]
    classifier = Classifier((mine,))
    for description, amount, kind, account in lines + lines[::-1]:
        fresh = classify(description, amount, kind, account, (mine,))
        assert classifier(description, amount, kind, account) == fresh
    assert (
        classifier("BOOKSHOP EVENT HONORARIUM", Decimal(150), "", "chase").counterparty == "other"
    )
    assert classifier("BOOKSHOP EVENT HONORARIUM", Decimal(150), "", "citi").classification == (
        "unclassified"
    )


def test_bank_of_america_skips_its_preamble_and_balance_line(tmp_path):
    text = (
        "Description,,Summary Amt.\n"
        'Beginning balance as of 10/01/2026,,"1,000.00"\n'
        'Total credits,,"1,140.00"\n'
        "\n"
        "Date,Description,Amount,Running Bal.\n"
        '10/01/2026,Beginning balance as of 10/01/2026,,"1,000.00"\n'
        '10/02/2026,"Zelle payment from LOU GREEN Conf# T0ABC1234","140.00","1,140.00"\n'
    )
    path = write(tmp_path, "stmt.csv", text)
    assert BankOfAmerica().identify(path, path.read_bytes())
    assert not Chase().identify(path, path.read_bytes())
    opening, zelle = entries(BankOfAmerica(), path)
    assert opening == Skipped("a balance line, not a transaction", 6)
    assert (zelle.account, zelle.external_id, zelle.amount.amount, zelle.line) == (
        "bofa",
        "zelle:T0ABC1234",
        Decimal("140.00"),
        7,
    )


def test_capital_one_signs_by_type_and_names_the_account(tmp_path):
    text = (
        "Account Number,Transaction Date,Transaction Amount,Transaction Type,"
        "Transaction Description,Balance\n"
        "360000009876,10/09/26,12.00,Debit,Monthly fee,988.00\n"
        "360000009876,10/10/26,61.20,Credit,AMAZON KDP PAYMENT,1049.20\n"
    )
    path = write(tmp_path, "capone.csv", text)
    fee, kdp = entries(CapitalOne(), path)
    assert (fee.account, fee.amount.amount, fee.posted_on) == (
        "capitalone-9876",
        Decimal("-12.00"),
        dt.date(2026, 10, 9),
    )
    assert (kdp.amount.amount, kdp.classification, kdp.counterparty) == (
        Decimal("61.20"),
        "payout",
        "kdp",
    )


def test_us_bank_and_citi(tmp_path):
    usbank = write(
        tmp_path,
        "usbank.csv",
        "Date,Transaction,Name,Memo,Amount\n"
        "2026-10-02,CREDIT,ZELLE FROM MAY CHEN,Download from usbank.com,20.00\n",
    )
    (line,) = entries(USBank(), usbank)
    assert (line.classification, line.supporter, line.amount.amount) == (
        "income",
        SupporterRef(name="MAY CHEN Download from usbank.com"),
        Decimal("20.00"),
    )
    citi = write(
        tmp_path,
        "citi.csv",
        "Status,Date,Description,Debit,Credit,Member Name\n"
        "Cleared,10/04/2026,PATREON PAYOUT,,85.10,JANE WRITER\n"
        "Cleared,10/05/2026,GROCERY,42.13,,JANE WRITER\n",
    )
    patreon, grocery = entries(Citi(), citi)
    assert (patreon.amount.amount, patreon.counterparty) == (Decimal("85.10"), "patreon")
    assert (grocery.amount.amount, grocery.classification) == (Decimal("-42.13"), "unclassified")


def test_a_bad_amount_names_file_line_column_and_value(tmp_path):
    text = CHASE.replace("-4.50,DEBIT_CARD,1447.90,,\nCREDIT", "-4.5O,DEBIT_CARD,1447.90,,\nCREDIT")
    path = write(tmp_path, "chase.csv", text)
    with pytest.raises(RowError) as caught:
        entries(Chase(), path)
    assert str(caught.value) == "chase.csv, line 6: column 'Amount' value '-4.5O': is not an amount"


OFX_SGML = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX>
<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>
<DTSERVER>20261101120000[0:GMT]<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>USD
<BANKACCTFROM><BANKID>021000021<ACCTID>000123456789<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20261001<DTEND>20261031
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261003120000.000[-7:MST]<TRNAMT>40.00
<FITID>202610030001<NAME>Zelle payment from ANA RUIZ<MEMO>conf 18473625190
</STMTTRN>
<STMTTRN><TRNTYPE>DEP<DTPOSTED>20261006<TRNAMT>100.00<FITID>202610060001
<CHECKNUM>2041<NAME>DEPOSIT
</STMTTRN>
<STMTTRN><TRNTYPE>DIRECTDEP<DTPOSTED>20261008000000[0:GMT]<TRNAMT>312.40
<FITID>202610080001<NAME>PAYPAL TRANSFER<MEMO>PPD ID: PAYPALSI77
</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261009<TRNAMT>-12.00<FITID>202610090001
<NAME>MONTHLY SERVICE FEE
</STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261010<TRNAMT>5.00<FITID>202610100001
<CORRECTFITID>202610090001<CORRECTACTION>DELETE<NAME>FEE REVERSAL
</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>1440.40<DTASOF>20261031</LEDGERBAL>
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""

OFX_XML = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
  <BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STMTRS><CURDEF>USD</CURDEF>
    <BANKACCTFROM><BANKID>121000248</BANKID><ACCTID>9988776655</ACCTID>
      <ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>
    <BANKTRANLIST><DTSTART>20261001</DTSTART><DTEND>20261031</DTEND>
      <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20261012120000.000[-5:EST]</DTPOSTED>
        <TRNAMT>61.20</TRNAMT><FITID>XK-77</FITID><NAME>AMAZON KDP &amp; CO</NAME>
      </STMTTRN>
      <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20261013</DTPOSTED>
        <TRNAMT>25.00</TRNAMT><FITID>XK-78</FITID><NAME>Zelle from José Núñez</NAME>
      </STMTTRN>
    </BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1>
</OFX>
"""


def test_ofx_1_sgml(tmp_path):
    path = write(tmp_path, "statement.qfx", OFX_SGML)
    assert OfxStatement().identify(path, path.read_bytes())
    zelle, check, paypal, fee, correction = entries(OfxStatement(), path)
    assert (zelle.account, zelle.external_id, zelle.posted_on, zelle.amount, zelle.line) == (
        "ofx-6789",
        "202610030001",
        dt.date(2026, 10, 3),
        Money(Decimal("40.00"), "USD"),
        18,
    )
    assert (zelle.classification, zelle.supporter) == (
        "income",
        SupporterRef(name="ANA RUIZ"),
    )
    assert (check.classification, check.check_number, check.posted_on) == (
        "income",
        "2041",
        dt.date(2026, 10, 6),
    )
    assert (paypal.classification, paypal.counterparty, paypal.posted_on) == (
        "payout",
        "paypal",
        dt.date(2026, 10, 8),
    )
    assert (fee.classification, fee.amount.amount) == ("unclassified", Decimal("-12.00"))
    assert correction == Skipped("a bank correction (DELETE), not applied", 30)


def test_ofx_2_xml_streams_across_chunks(tmp_path, monkeypatch):
    import supportledger.sources.ofx as ofx

    monkeypatch.setattr(ofx, "_CHUNK", 7)  # every tag and every "ú" straddles a chunk
    path = write(tmp_path, "statement.ofx", OFX_XML)
    kdp, zelle = entries(OfxStatement(), path)
    assert (kdp.account, kdp.external_id, kdp.description, kdp.counterparty, kdp.line) == (
        "ofx-6655",
        "XK-77",
        "AMAZON KDP & CO",
        "kdp",
        8,
    )
    assert zelle.supporter == SupporterRef(name="José Núñez")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("<DTPOSTED>20261009<", "line 27: column 'DTPOSTED' value '2026109': is not an OFX date"),
        ("<TRNAMT>-12.00<", "line 27: column 'TRNAMT' value '-12,00': is not an amount"),
        ("<FITID>202610090001\n", "line 27: column 'FITID': is missing from the transaction"),
        ("<NAME>MONTHLY SERVICE FEE\n", "line 29: column 'CURSYM' value 'XYZ': unknown currency"),
    ],
)
def test_ofx_bad_transaction_names_line_and_tag(tmp_path, broken, message):
    replacement = {
        "<DTPOSTED>20261009<": "<DTPOSTED>2026109<",
        "<TRNAMT>-12.00<": "<TRNAMT>-12,00<",
        "<FITID>202610090001\n": "\n",
        "<NAME>MONTHLY SERVICE FEE\n": "<NAME>FEE\n<CURRENCY><CURRATE>1.0<CURSYM>XYZ</CURRENCY>\n",
    }[broken]
    path = write(tmp_path, "bad.ofx", OFX_SGML.replace(broken, replacement))
    with pytest.raises(RowError) as caught:
        entries(OfxStatement(), path)
    assert str(caught.value).startswith(f"bad.ofx, {message}")
