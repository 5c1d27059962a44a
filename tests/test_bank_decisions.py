"""The writer decides what the importer could not know about a bank line, and may keep
the decision as a rule of their own, applied on every later import.

The descriptions are what banks really write: Chase's (channels.md §4.2 and the bundled
sample), Capital One 360's "Deposit from …" for every incoming ACH and "Zelle money received
from …" (Capital One 360 CSV fixtures of several finance apps).
"""

import json
import re
from pathlib import Path

from sqlalchemy import select

from supportledger.imports import import_paths, undo_batch
from supportledger.models import BankLine, Receipt

CHASE = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
OCTOBER = CHASE + (
    "DEBIT,10/01/2026,ONLINE PAYMENT RENT OCTOBER,-900.00,ACH_DEBIT,1100.00,\n"
    "CREDIT,10/05/2026,Zelle payment from ANA RUIZ 24681357902,40.00,QUICKPAY_CREDIT,"
    "1140.00,\n"
    "CREDIT,10/23/2026,BOOKSHOP EVENT HONORARIUM,150.00,ACH_CREDIT,1290.00,\n"
)
NOVEMBER = CHASE + "CREDIT,11/20/2026,BOOKSHOP EVENT HONORARIUM,200.00,ACH_CREDIT,1490.00,\n"
CAPITAL_ONE = (
    "Account Number,Transaction Description,Transaction Date,Transaction Type,"
    "Transaction Amount,Balance\n"
    "360000009876,Deposit from BIGTECH CO CORPORA DIRECT DEP,10/15/26,Credit,4419.77,5419.77\n"
    "360000009876,Zelle money received from Jo Lee,10/16/26,Credit,25.00,5444.77\n"
    "360000009876,Check Deposit (Mobile),10/17/26,Credit,100.00,5544.77\n"
)


def lines(ledger) -> dict[str, BankLine]:
    with ledger.session() as session:
        return {b.description: b for b in session.exec(select(BankLine)).scalars()}


def receipts(ledger) -> list[Receipt]:
    with ledger.session() as session:
        return list(session.exec(select(Receipt).order_by(Receipt.id)).scalars())


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_salary_from_capital_one_is_not_a_check(ledger, tmp_path):
    (report,) = import_paths(ledger, [write(tmp_path, "capone.csv", CAPITAL_ONE)])
    found = lines(ledger)
    assert found["Deposit from BIGTECH CO CORPORA DIRECT DEP"].classification == "unclassified"
    zelle, check = found["Zelle money received from Jo Lee"], found["Check Deposit (Mobile)"]
    assert (zelle.classification, zelle.counterparty) == ("income", "zelle")
    assert (check.classification, check.counterparty) == ("income", "check")
    # the salary is listed for the writer, and counted nowhere
    assert [u.description for u in report.unclassified] == [
        "Deposit from BIGTECH CO CORPORA DIRECT DEP"
    ]
    assert sorted(r.channel for r in receipts(ledger)) == ["check", "zelle"]


def test_the_writer_decides_and_remembers(cli, ledger, tmp_path):
    code, out, err = cli("import", str(write(tmp_path, "oct.csv", OCTOBER)))
    assert code == 0, err
    assert "bank classify LINE --as" in out
    code, out, err = cli("bank", "lines", "--unclassified", "--month", "2026-10")
    assert code == 0, err
    # a line per bank line, its description continued beneath when it passes 80 columns
    listed = [m[1] for line in out.splitlines() if (m := re.match(r"#(\d+)", line))]
    rent, honorarium = (lines(ledger)[d].id for d in ("ONLINE PAYMENT RENT OCTOBER",
                                                      "BOOKSHOP EVENT HONORARIUM"))  # fmt: skip
    assert listed == [str(rent), str(honorarium)]

    code, out, err = cli("bank", "classify", str(honorarium), "--as", "income:other", "--remember")
    assert code == 0, err
    assert "remembered in bank-rules.toml" in out
    other = [r for r in receipts(ledger) if r.channel == "other"]
    assert [(r.gross_minor, r.fee_minor, r.net_minor, r.status) for r in other] == [
        (15000, 0, 15000, "completed")
    ]
    assert lines(ledger)["BOOKSHOP EVENT HONORARIUM"].receipt_id == other[0].id
    code, out, err = cli("bank", "classify", str(rent), "--as", "ignore")
    assert code == 0, err
    code, out, _ = cli("bank", "lines", "--unclassified", "--month", "2026-10")
    assert out.strip() == "no bank lines"

    # the statement counts the honorarium as its own row
    code, out, err = cli("statement", "--month", "2026-10", "--format", "json")
    assert code == 0, err
    statement = json.loads(out)
    assert statement["channels"]["other"]["gross"] == "150.00"
    assert statement["channels"]["other"]["label"] == "Other income"

    # the rule decides November's honorarium on import, receipt and all
    code, out, err = cli("import", str(write(tmp_path, "nov.csv", NOVEMBER)))
    assert code == 0, err and "unclassified" not in out
    november = [r for r in receipts(ledger) if r.channel == "other"][-1]
    assert (november.gross_minor, november.description) == (20000, "BOOKSHOP EVENT HONORARIUM")

    code, out, err = cli("bank", "rules", "--format", "json")
    first = json.loads(out)[0]
    assert (first["as"], first["sign"], first["account"]) == ("income:other", "credit", "chase")
    assert first["from"].endswith("bank-rules.toml rule 1")


def test_what_cannot_be_posted_is_refused(cli, ledger, tmp_path):
    import_paths(ledger, [write(tmp_path, "oct.csv", OCTOBER)])
    found = lines(ledger)
    rent = found["ONLINE PAYMENT RENT OCTOBER"].id
    zelle = found["Zelle payment from ANA RUIZ 24681357902"].id
    honorarium = found["BOOKSHOP EVENT HONORARIUM"].id
    for args, said in (
        ((str(honorarium), "--as", "income:paypal"), "PayPal holds a balance"),
        ((str(honorarium), "--as", "payout:zelle"), "Zelle holds no balance"),
        ((str(honorarium), "--as", "salary"), "is not a decision"),
        ((str(honorarium), "--as", "income:liberapay"), "unknown channel 'liberapay'"),
        ((str(rent), "--as", "income:other"), "is money out"),
        ((str(zelle), "--as", "ignore"), "is already counted (its receipt #"),
        (("999", "--as", "ignore"), "no bank line #999"),
    ):
        before = (len(receipts(ledger)), {d: b.classification for d, b in lines(ledger).items()})
        code, out, err = cli("bank", "classify", *args, "--no-remember")
        assert (code, out) == (1, ""), (args, out)
        assert said in err and err.count("\n") == 1, (args, err)
        after = (len(receipts(ledger)), {d: b.classification for d, b in lines(ledger).items()})
        assert after == before


def test_undoing_the_import_removes_the_decided_receipt(cli, ledger, tmp_path):
    (report,) = import_paths(ledger, [write(tmp_path, "oct.csv", OCTOBER)])
    honorarium = lines(ledger)["BOOKSHOP EVENT HONORARIUM"].id
    code, _, err = cli("bank", "classify", str(honorarium), "--as", "income:other")
    assert code == 0, err
    undo_batch(ledger, report.batch_id)
    assert receipts(ledger) == [] and lines(ledger) == {}


def test_the_readme_clears_the_demo_month(cli, tmp_path, monkeypatch):
    """A newcomer runs the README's commands on `supportledger demo` and is left with no
    unclassified line in October 2026."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    readme = readme[readme.index("**The demo month, cleared.**") :]
    readme = readme[: readme.index("```", readme.index("```") + 3)]
    commands = re.findall(r"^supportledger (bank classify \d+ --as \S+.*?)(?:\s+#.*)?$",
                          readme, re.M)  # fmt: skip
    assert commands, "the README shows how to classify the demo's lines"
    code, _, err = cli("demo", "--database", str(tmp_path / "demo.db"),
                       "--output", str(tmp_path / "s.html"))  # fmt: skip
    assert code == 0, err
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    code, out, _ = cli("bank", "lines", "--unclassified", "--month", "2026-10")
    assert out.strip() != "no bank lines"
    for command in commands:
        code, out, err = cli(*command.split(), "--no-remember")
        assert code == 0, (command, err)
    code, out, _ = cli("bank", "lines", "--unclassified", "--month", "2026-10")
    assert out.strip() == "no bank lines"
