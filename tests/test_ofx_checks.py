"""What an OFX file says about itself is checked before anything is booked: the server's
status, that a bank statement is in it at all, and that its ids are one per transaction.

The status aggregate and the investment-only layout follow the OFX 1.0.2 specification
(§3.1.4 STATUS, §13.9 INVSTMTRS), as the test files of the ofxparse and ofxtools projects
use them; the bank statement is test_importers_bank.OFX_SGML.
"""

import pytest

from supportledger.errors import LedgerError
from supportledger.imports import import_paths
from supportledger.sources import Notice, Skipped
from supportledger.sources.ofx import OfxStatement
from test_hostile_files import counts
from test_importers_bank import OFX_SGML, entries

HEAD = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n"
SERVER_ERROR = HEAD + (
    "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
    "<DTSERVER>20261101<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n"
    "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1\n"
    "<STATUS><CODE>2000<SEVERITY>ERROR<MESSAGE>General Server Error</STATUS>\n"
    "</STMTTRNRS></BANKMSGSRSV1></OFX>\n"
)
INVESTMENT_ONLY = HEAD + (
    "<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
    "<INVSTMTRS><DTASOF>20261031<CURDEF>USD<INVACCTFROM><BROKERID>example.com"
    "<ACCTID>12345</INVACCTFROM>\n<INVTRANLIST><DTSTART>20261001<DTEND>20261031\n"
    "<INVBANKTRAN><STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261005<TRNAMT>1000.00<FITID>I-1"
    "<NAME>BEAN COUNTERS PAYROLL</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>\n"
    "</INVTRANLIST></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>\n"
)


def refused(ledger, tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    before = counts(ledger)
    with pytest.raises(LedgerError) as caught:
        import_paths(ledger, [path])
    assert counts(ledger) == before  # no batch of nothing
    return str(caught.value)


def test_a_server_error_is_refused_in_the_servers_words(ledger, tmp_path):
    message = refused(ledger, tmp_path, "statement.qfx", SERVER_ERROR)
    assert message == (
        "statement.qfx, line 7: the bank's server answered 2000 ERROR 'General Server Error': "
        "no statement to import; download it again"
    )


def test_an_investment_only_file_is_refused(ledger, tmp_path):
    message = refused(ledger, tmp_path, "brokerage.qfx", INVESTMENT_ONLY)
    assert message == (
        "brokerage.qfx: has no bank or credit-card statement (only an investment statement, "
        "<INVSTMTRS>): nothing to import"
    )


def test_text_with_no_tag_is_refused_early(ledger, tmp_path, monkeypatch):
    import supportledger.sources.ofx as ofx

    # a file named as OFX whose body is one long run of text: refused after one chunk, not
    # read whole into memory and imported as an empty batch
    monkeypatch.setattr(ofx, "_CHUNK", 1 << 12)
    monkeypatch.setattr(ofx, "_MAX_TEXT", 1 << 14)
    path = tmp_path / "huge.ofx"
    with path.open("w") as handle:
        handle.write(HEAD)
        for _ in range(256):  # 4 MiB, far past the bound
            handle.write("x" * (1 << 14))
    chunks = []
    tokens = ofx.tokens

    def counted(path):
        for token in tokens(path):
            chunks.append(token)
            yield token

    monkeypatch.setattr(ofx, "tokens", counted)
    with pytest.raises(LedgerError) as caught:
        import_paths(ledger, [path], source="ofx")
    assert str(caught.value) == "huge.ofx: has 16,384 characters without a tag: not OFX"
    assert chunks == []  # not one tag: refused within the first few chunks, nothing read whole


def test_a_fitid_on_two_transactions_keeps_both_and_says_so(ledger, tmp_path):
    twice = OFX_SGML.replace("<FITID>202610090001", "<FITID>202610030001")  # the fee's id
    path = tmp_path / "statement.qfx"
    path.write_text(twice)
    found = entries(OfxStatement(), path)
    notices = [e for e in found if isinstance(e, Notice)]
    assert notices == [
        Notice(
            "FITID 202610030001 is on 2 different transactions (lines 18, 27): each is kept; "
            "ask the bank whether one corrects another",
            27,
        )
    ]
    (report,) = import_paths(ledger, [path])
    assert report.notices == [f"line 27: {notices[0].message}"]
    assert report.added == 4  # zelle, check, payout, and the fee under 202610030001#2


def test_the_very_same_transaction_twice_is_one(tmp_path):
    block = OFX_SGML[OFX_SGML.index("<STMTTRN><TRNTYPE>DEBIT") :]
    block = block[: block.index("</STMTTRN>") + len("</STMTTRN>\n")]
    path = tmp_path / "statement.qfx"
    path.write_text(OFX_SGML.replace(block, block + block))
    found = entries(OfxStatement(), path)
    assert Skipped("the same transaction twice in the file", 30) in found
    assert [e.external_id for e in found if hasattr(e, "external_id")].count("202610090001") == 1
