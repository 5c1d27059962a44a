"""A file is taken only by the one format whose whole header it has: a file two formats
could claim, or none in full, is refused naming the candidates, and nothing is written.

Every header here is a real one, copied from where it is cited (column names only; the rows
are the tests' own).
"""

import pytest

from supportledger.errors import LedgerError
from supportledger.imports import import_paths
from test_hostile_files import counts

#: Chase checking, channels.md §4.2 (a bank-parser module's reference list)
CHASE = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
#: Bank of America: the summary preamble, then the header (channels.md §4.2)
BOFA = (
    "Description,,Summary Amt.\n"
    'Beginning balance as of 10/01/2026,,"1,000.00"\n'
    'Total credits,,"40.00"\n'
    'Total debits,,"0.00"\n'
    'Ending balance as of 10/31/2026,,"1,040.00"\n'
    "\n"
    "Date,Description,Amount,Running Bal.\n"
)
#: Capital One 360, the 2024 column order (a Go importer's GetCapitalOneCheckingCSVColumns,
#: "2024 order"; and several finance apps' test fixtures)
CAPITAL_ONE_2024 = (
    "Account Number,Transaction Description,Transaction Date,Transaction Type,"
    "Transaction Amount,Balance\n"
)
#: Schwab checking: redstreet/beancount_reds_importers, importers/schwab (column_labels_line)
SCHWAB = (
    '"Date","Status","Type","CheckNumber","Description","Withdrawal","Deposit","RunningBalance"\n'
)
#: Mint's transactions.csv: sunnywiz/minterpret, minterpret/MintRecord.cs
MINT = (
    '"Date","Description","Original Description","Amount","Transaction Type","Category",'
    '"Account Name","Labels","Notes"\n'
)
#: PayPal's Statement CSV (not the Activity download): OCA/bank-statement-import,
#: account_statement_import_paypal/tests/fixtures/statement_en.csv
PAYPAL_STATEMENT = (
    '"Date","Time","Time Zone","Description","Currency","Gross","Fee","Net","Balance",'
    '"Transaction ID","From Email Address","Name","Bank Name","Bank Account",'
    '"Shipping and Handling Amount","Sales Tax","Invoice ID","Reference Txn ID"\n'
)


def source_of(ledger, tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (report,) = import_paths(ledger, [path], dry_run=True)
    return report.source


def refusal(ledger, tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = counts(ledger)
    with pytest.raises(LedgerError) as caught:
        import_paths(ledger, [path])
    assert counts(ledger) == before  # nothing written, not even a batch
    message = str(caught.value)
    assert "\n" not in message and name in message
    return message


@pytest.mark.parametrize(
    ("name", "text", "source"),
    [
        ("chase.csv", CHASE + "CREDIT,10/05/2026,X,5.00,ACH_CREDIT,5.00,\n", "chase"),
        ("stmt.csv", BOFA + "10/02/2026,X,40.00,1040.00\n", "bofa"),
        ("capone.csv", CAPITAL_ONE_2024 + "1234,X,10/02/26,Credit,5.00,5.00\n", "capitalone"),
        (
            "statement.csv",
            PAYPAL_STATEMENT + '"9/14/2018","20:44:10","America/Los_Angeles",'
            '"Express Checkout Payment","USD","10.00","-0.59","9.41","9.41","TID9","a@b.c",'
            '"Ann","","","0.00","0.00","361",""\n',
            "paypal-statement",
        ),
    ],
)
def test_real_headers_are_recognised(ledger, tmp_path, name, text, source):
    assert source_of(ledger, tmp_path, name, text) == source


@pytest.mark.parametrize(
    ("text", "closest"),
    [
        # any CSV with a Date and a Description was "bofa"; with Status too, "citi"
        ("Date,Description,Notes\n01/02/2026,hello,x\n", ""),
        ("Status,Date,Description\nCleared,01/02/2026,hello\n", "closest: citi (no Debit, Credit)"),
        # a Schwab checking file and a Mint export are no bank supportledger reads
        (SCHWAB + '"10/05/2026","Posted","DEPOSIT","","Deposit","","$20.00","$878.47"\n', ""),
        (
            MINT + '"10/05/2026","Amazon","AMAZON MKTPLACE PMTS","29.99","debit","Shopping",'
            '"Checking","",""\n',
            "",
        ),
        # a Bank of America header under somebody else's preamble
        (
            "My own notes\n\n" + BOFA[BOFA.index("Date,") :] + "10/02/2026,X,1.00,1.00\n",
            "closest: bofa ('My own notes' above its header)",
        ),
    ],
)
def test_a_file_no_format_claims_in_full_is_refused(ledger, tmp_path, text, closest):
    message = refusal(ledger, tmp_path, "t.csv", text)
    assert message.startswith("t.csv: not a format supportledger recognises in full")
    assert closest in message
    assert "--source NAME" in message and "mapping" in message


def test_a_file_two_formats_could_claim_is_refused_naming_both(ledger, tmp_path):
    # every column of Citi's header and every column of Bank of America's
    text = "Status,Date,Description,Debit,Credit,Amount,Running Bal.\n"
    text += "Cleared,10/02/2026,X,,5.00,5.00,5.00\n"
    message = refusal(ledger, tmp_path, "both.csv", text)
    assert message.startswith("both.csv: could be citi or bofa: name the format with --source")
    # naming one imports it
    (report,) = import_paths(ledger, [tmp_path / "both.csv"], source="citi")
    assert (report.source, report.added) == ("citi", 1)


def test_the_writers_mapping_beside_a_file_wins_over_a_builtin_format(ledger, tmp_path):
    (tmp_path / "mine.toml").write_text(
        'channel = "other"\n'
        'header = ["Details", "Posting Date", "Description", "Amount", "Type", "Balance",'
        ' "Check or Slip #"]\n'
        'date_format = "%m/%d/%Y"\n'
        '[columns]\ndate = "Posting Date"\namount = "Amount"\n'
    )
    source = source_of(ledger, tmp_path, "c.csv", CHASE + "CREDIT,10/05/2026,X,5.00,A,5.00,\n")
    assert source == "mapping"
