"""The import writer: atomic, idempotent, keyed on each source's own id; and its commands."""

import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

import paypal_export as pp
from supportledger import imports
from supportledger.imports import apply_entries, import_paths
from supportledger.ledger import manual_receipt_id, record_receipt
from supportledger.models import BankLine, ImportBatch, Receipt, Status
from supportledger.money import Money
from supportledger.sources import BankLineEntry, ReceiptEntry, RowError, Skipped, SupporterRef

OCT_5 = dt.datetime(2026, 10, 5, 17, 0, tzinfo=dt.UTC)
USD = "USD"


def snapshot(ledger) -> dict[str, list]:
    """Every row of every table: 'the database exactly as before' is this being equal."""
    with ledger.engine.connect() as connection:
        return {
            table.name: [
                tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))
            ]
            for table in SQLModel.metadata.sorted_tables
        }


def receipts(ledger) -> list[Receipt]:
    with ledger.session() as session:
        return session.exec(select(Receipt).order_by(Receipt.id)).scalars().all()


def pledge(external_id: str, amount: str = "5.00", **kwargs) -> ReceiptEntry:
    return ReceiptEntry(
        channel="paypal",
        external_id=external_id,
        occurred_at=OCT_5,
        gross=Money.of(amount, USD),
        **kwargs,
    )


#: P-1's $20.00 given back three days later
REFUND_OF_P1 = ReceiptEntry(
    channel="paypal",
    external_id="R-1",
    occurred_at=OCT_5 + dt.timedelta(days=3),
    gross=Money.of("-20.00", USD),
    event="refund",
    reverses="P-1",
)


def apply(ledger, entries, sha="f1", **kwargs):
    return apply_entries(
        ledger, entries, source="test", file_name=f"{sha}.csv", sha256=sha, **kwargs
    )


# ---------------------------------------------------------------------------- idempotence
def test_two_identical_pledges_with_their_own_ids_are_two_receipts(ledger):
    report = apply(ledger, [pledge("P-1"), pledge("P-2"), pledge("P-1")])
    # the third entry repeats P-1 exactly: unchanged, not a third receipt
    assert (report.rows, report.added, report.unchanged) == (3, 2, 1)
    assert [(r.external_id, r.gross_minor) for r in receipts(ledger)] == [
        ("P-1", 500),
        ("P-2", 500),
    ]


def test_the_schedules_fee_is_booked_when_the_source_gives_none(ledger):
    apply(ledger, [pledge("P-1", "20.00"), pledge("P-2", "20.00", fee=Money.of("0.88", USD))])
    # 20.00 x 3.49% = 0.698 -> 0.70 + 0.49 = 1.19, expected for both
    assert [(r.fee_minor, r.expected_fee_minor, r.net_minor) for r in receipts(ledger)] == [
        (119, 119, 1881),
        (88, 119, 1912),
    ]


def test_re_importing_the_same_file_writes_nothing_and_says_so(cli, ledger, tmp_path):
    path = pp.write(tmp_path / "Download.CSV", pp.OCTOBER)
    code, out, err = cli("import", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [  # in 80 columns
        "Download.CSV (paypal), batch #1: 14 entries",
        "  9 added, 0 updated, 0 unchanged, 5 skipped",
        "  skipped: 2 currency conversion, folded into its payment, 1 authorization, 1",
        "    dispute hold, 1 dispute hold released",
    ]
    before = snapshot(ledger)
    code, out, _ = cli("import", str(path))
    assert code == 0
    assert out == "Download.CSV (paypal): already imported as batch #1; nothing written\n"
    assert snapshot(ledger) == before


def test_an_overlapping_later_download_adds_only_the_new_rows(ledger, tmp_path):
    import_paths(ledger, [pp.write(tmp_path / "oct.csv", pp.OCTOBER)])
    november = [
        pp.row("11/01/2026", "06:00:00", "Bo Li", "Subscription Payment", "Completed", USD,
               "5.00", "-0.66", "4.34", "bo@example.org", "NBO00000000000001",
               ref="I-BOLI0001", balance="100.34", zone="PDT"),
        pp.row("11/01/2026", "06:00:00", "Cy Park", "Subscription Payment", "Completed", USD,
               "5.00", "-0.66", "4.34", "cy@example.org", "NCY00000000000001",
               ref="I-CYPARK001", balance="104.68", zone="PDT"),
    ]  # fmt: skip
    # the later download starts on 20 Oct: the last three October lines again, then November
    (report,) = import_paths(ledger, [pp.write(tmp_path / "nov.csv", pp.OCTOBER[-3:] + november)])
    # 5 lines: 2 receipts added; the outgoing payment, the October payout and Fay's donation
    # unchanged
    assert (report.rows, report.added, report.updated, report.unchanged, report.skipped) == (
        5, 2, 0, 3, 0,
    )  # fmt: skip
    assert len(receipts(ledger)) == 9
    mine = {r.external_id: r for r in receipts(ledger)}
    assert mine["NBO00000000000001"].subscription_id == mine["2BO00000000000001"].subscription_id


def test_a_refund_in_a_later_file_reverses_the_earlier_receipt(ledger):
    apply(ledger, [pledge("P-1", "20.00", kind="recurring")], sha="a")
    apply(ledger, [REFUND_OF_P1], sha="b")
    original, reversal = receipts(ledger)
    # the refund takes the original's kind; the schedule expects no fee back (since 2019)
    assert (reversal.reverses_id, reversal.kind, reversal.fee_minor) == (
        original.id,
        "recurring",
        0,
    )


def test_a_refund_read_chunks_before_its_payment_is_linked_at_the_end(ledger, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)  # a newest-first download: the refund comes first
    apply(ledger, [REFUND_OF_P1, pledge("P-3"), pledge("P-2"), pledge("P-1", "20.00")])
    found = {r.external_id: r for r in receipts(ledger)}
    assert found["R-1"].reverses_id == found["P-1"].id


# ---------------------------------------------------------------------------- atomicity
def test_a_corrupted_row_leaves_the_database_as_it_was(cli, ledger, tmp_path):
    cli("import", str(pp.write(tmp_path / "sept.csv", pp.OCTOBER[:4])))
    before = snapshot(ledger)
    broken = [dict(r) for r in pp.OCTOBER]
    broken[5]["Gross"] = "5O.88"  # line 7: a letter O for a zero
    code, out, err = cli("import", str(pp.write(tmp_path / "bad.csv", broken)))
    assert (code, out) == (1, "")
    assert err == "supportledger: bad.csv, line 7: column 'Gross' value '5O.88': is not an amount\n"
    assert snapshot(ledger) == before


def test_a_bad_row_after_rows_were_written_rolls_the_whole_file_back(ledger, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)  # so the first rows are written before the error
    before = snapshot(ledger)

    def entries():
        yield pledge("P-1")
        yield pledge("P-2")
        yield pledge("P-3")
        raise RowError("big.csv", 5, "is not an amount", column="Gross", value="x")

    with pytest.raises(RowError, match=r"big.csv, line 5: column 'Gross' value 'x'"):
        apply(ledger, entries())
    assert snapshot(ledger) == before


def test_dry_run_reports_what_it_would_do_and_writes_nothing(cli, ledger, tmp_path):
    path = pp.write(tmp_path / "Download.CSV", pp.OCTOBER)
    before = snapshot(ledger)
    code, out, _ = cli("import", str(path), "--dry-run")
    assert code == 0
    assert out.startswith(
        "Download.CSV (paypal), dry run, nothing written: 14 entries\n"
        "  9 added, 0 updated, 0 unchanged, 5 skipped\n"
    )
    assert snapshot(ledger) == before
    assert cli("imports")[1] == "no imports yet\n"
    # and the real import does what the dry run said (PostgreSQL does not reuse the batch id)
    done = cli("import", str(path))[1]
    assert "14 entries\n  9 added, 0 updated, 0 unchanged, 5 skipped" in done


def test_a_file_of_no_known_format_is_one_line_naming_the_known_ones(cli, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("what,when\nlunch,noon\n")
    code, out, err = cli("import", str(path))
    assert (code, out) == (1, "")
    assert err.startswith("supportledger: notes.csv: not a format supportledger recognises in ")
    assert "--source NAME (known: " in err and "paypal" in err
    assert err.count("\n") == 1
    code, _, err = cli("import", str(path), "--source", "liberapay")
    assert code == 1
    assert err.startswith("supportledger: --source: unknown format 'liberapay'; known formats: ")


def test_an_entry_in_another_currency_with_no_rate_names_its_line_and_day(ledger):
    entry = ReceiptEntry("paypal", "E-1", OCT_5, Money.of("5", "EUR"), line=4)
    with pytest.raises(
        RowError, match=r"f1.csv, line 4: no EUR to USD rate for 2026-10-05: import the ECB"
    ):
        apply(ledger, [Skipped("header", 1), entry])
    assert receipts(ledger) == []


def test_two_imports_of_one_file_at_once_add_it_once(ledger, tmp_path):
    path = pp.write(tmp_path / "Download.CSV", pp.OCTOBER)
    reports = []

    def run():
        reports.extend(import_paths(ledger, [path]))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winner, loser = sorted(reports, key=lambda r: r.already_imported is not None)
    assert (winner.added, winner.already_imported) == (9, None)
    assert (loser.added, loser.already_imported) == (0, winner.batch_id)
    assert len(receipts(ledger)) == 7
    with ledger.session() as session:
        assert len(session.exec(select(ImportBatch)).all()) == 1


def test_progress_is_reported_as_chunks_are_written(ledger, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)
    seen = []
    apply(ledger, [pledge(f"P-{i}") for i in range(5)], progress=lambda r: seen.append(r.rows))
    assert seen == [2, 4, 5]


# ---------------------------------------------------------------------------- bank lines
def bank_line(line_id, posted, amount, description, classification, **kwargs):
    if classification in ("zelle", "check"):  # money straight in on that channel
        classification, kwargs["counterparty"] = "income", classification
    return BankLineEntry(
        account="chase-1234",
        external_id=line_id,
        posted_on=posted,
        amount=Money.of(amount, USD),
        description=description,
        classification=classification,
        **kwargs,
    )


def hand_recorded_check(ledger, number, amount, day, payer):
    return record_receipt(
        ledger,
        ReceiptEntry(
            channel="check",
            external_id=manual_receipt_id("check", number),
            occurred_at=dt.datetime.combine(day, dt.time(12), ledger.tz),
            gross=Money.of(amount, USD),
            status=Status.PENDING,
            check_number=number,
            supporter=SupporterRef(name=payer),
        ),
    )


def october_gross(ledger) -> int:
    start, end = (
        dt.datetime(2026, 10, 1, 7, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 1, 7, tzinfo=dt.UTC),
    )
    return sum(r.gross_minor for r in receipts(ledger) if start <= r.occurred_at < end)


OCTOBER_BANK = [
    bank_line("F1", dt.date(2026, 10, 7), "40.00", "Zelle payment from Ana Ruiz JPM99a", "zelle",
              supporter=SupporterRef(name="Ana Ruiz")),
    bank_line("F2", dt.date(2026, 10, 9), "100.00", "DEPOSIT CHECK 2041", "check",
              check_number="2041"),
    bank_line("F3", dt.date(2026, 10, 9), "250.00", "REMOTE DEPOSIT", "check"),
    bank_line("F4", dt.date(2026, 10, 26), "1,027.28", "PAYPAL TRANSFER 1234", "payout",
              counterparty="paypal"),
    bank_line("F5", dt.date(2026, 10, 27), "7.50", "ATM FEE REFUND", "unclassified"),
]  # fmt: skip


def test_bank_lines_book_zelle_and_checks_once_and_never_a_payout(ledger):
    check = hand_recorded_check(ledger, "2041", "100.00", dt.date(2026, 10, 6), "Lou Green")
    assert october_gross(ledger) == 10000

    report = apply(ledger, OCTOBER_BANK, sha="bank")
    assert (report.rows, report.added, report.channel) == (5, 5, None)
    assert [line.external_id for line in report.unclassified] == ["F5"]
    found = {r.external_id: r for r in receipts(ledger)}
    # the hand-recorded check is now deposited, not booked again; an unknown check is new
    assert found[check.external_id].status == "deposited"
    assert (found["bank:chase-1234:F3"].channel, found["bank:chase-1234:F3"].status) == (
        "check",
        "deposited",
    )
    zelle = found["bank:chase-1234:F1"]
    assert (zelle.channel, zelle.gross_minor, zelle.fee_minor) == ("zelle", 4000, 0)
    # 100 (the check) + 40 (Zelle) + 250 (new check): the PayPal transfer is not income
    assert len(found) == 3
    assert october_gross(ledger) == 39000
    with ledger.session() as session:
        lines = {b.external_id: b for b in session.exec(select(BankLine)).scalars()}
    assert lines["F1"].receipt_id == zelle.id
    assert lines["F2"].receipt_id == check.id
    assert (lines["F4"].classification, lines["F4"].receipt_id) == ("payout", None)

    again = apply(ledger, OCTOBER_BANK, sha="bank-2")
    assert (again.added, again.unchanged) == (0, 5)
    assert october_gross(ledger) == 39000


def test_a_check_is_matched_only_by_amount_number_and_within_60_days(ledger):
    # the right number, but recorded 69 days before; the right days, but another number
    old = hand_recorded_check(ledger, "19", "60.00", dt.date(2026, 8, 1), "Mo")
    other = hand_recorded_check(ledger, "18", "60.00", dt.date(2026, 10, 1), "Ny")
    report = apply(
        ledger,
        [bank_line("G1", dt.date(2026, 10, 9), "60.00", "DEPOSIT", "check", check_number="19")],
    )
    assert report.added == 1
    found = {r.external_id: r for r in receipts(ledger)}
    assert (found[old.external_id].status, found[other.external_id].status) == (
        "pending",
        "pending",
    )
    assert found["bank:chase-1234:G1"].status == "deposited"


def test_a_zelle_payment_typed_in_by_hand_is_the_banks_credit_not_a_second_one(cli, ledger):
    # typed in on 5 October when Ana's payment notice came; the bank posts it on the 7th
    code, _, err = cli("add", "--channel", "zelle", "--amount", "40.00", "--date", "2026-10-05",
                       "--from", "Ana Ruiz")  # fmt: skip
    assert code == 0, err
    # Lee's 25.00 typed in 9 days before the credit: too long ago to be the same payment
    cli("add", "--channel", "zelle", "--amount", "25.00", "--date", "2026-09-28", "--from", "Lee")
    credits = [
        bank_line("Z1", dt.date(2026, 10, 7), "40.00", "Zelle payment from ANA RUIZ 123", "zelle",
                  supporter=SupporterRef(name="ANA RUIZ")),
        bank_line("Z2", dt.date(2026, 10, 7), "25.00", "Zelle payment from LEE 456", "zelle",
                  supporter=SupporterRef(name="Lee")),
        bank_line("Z3", dt.date(2026, 10, 8), "40.00", "Zelle payment from BO TAN 789", "zelle",
                  supporter=SupporterRef(name="Bo Tan")),
    ]  # fmt: skip
    report = apply(ledger, credits, sha="zelle")
    assert report.added == 3  # three bank lines
    found = receipts(ledger)
    # Ana's typed-in 40.00 is Z1's; Lee's old 25.00 and Bo Tan's 40.00 (another payer) are not
    assert sorted((r.external_id.split(":")[0], r.gross_minor) for r in found) == [
        ("bank", 2500),
        ("bank", 4000),
        ("manual", 2500),
        ("manual", 4000),
    ]
    with ledger.session() as session:
        lines = {b.external_id: b for b in session.exec(select(BankLine)).scalars()}
    ana = next(r for r in found if r.external_id.startswith("manual") and r.gross_minor == 4000)
    assert lines["Z1"].receipt_id == ana.id
    assert october_gross(ledger) == 4000 + 2500 + 4000  # Ana once, Lee's credit, Bo Tan
    again = apply(ledger, credits, sha="zelle-again")
    assert (again.added, again.unchanged) == (0, 3)
    assert len(receipts(ledger)) == 4


# ---------------------------------------------------------------------------- undo and listing
def test_undo_removes_what_a_batch_added_and_the_file_can_come_back(cli, ledger, tmp_path):
    path = pp.write(tmp_path / "Download.CSV", pp.OCTOBER)
    cli("import", str(path))
    code, out, err = cli("imports", "undo", "1")
    assert (code, err) == (0, "")
    # PayPal stated a balance on each of the 10 days it has rows; the six payers the file
    # alone named go too, with their e-mails (personal data)
    assert out == (
        "undid batch #1: removed 7 receipts, 1 payouts, 2 subscriptions, "
        "2 subscription events, 10 balances, 1 transfers, 6 supporters\n"
    )
    assert receipts(ledger) == []
    with ledger.engine.connect() as connection:
        for table in ("supporters", "supporter_handles", "supporter_details"):
            assert connection.execute(text(f"select count(*) from {table}")).scalar() == 0
    code, _, err = cli("imports", "undo", "1")
    assert code == 1
    assert err.startswith("supportledger: batch #1 was already undone on ")
    code, _, err = cli("imports", "undo", "99")
    assert (code, err) == (1, "supportledger: no import batch #99 (see `supportledger imports`)\n")

    assert "batch #2: 14 entries\n  9 added" in cli("import", str(path))[1]
    code, out, _ = cli("imports", "--format", "json")
    batches = json.loads(out)
    assert [(b["id"], b["added"], b["unchanged"], b["undone_at"] is None) for b in batches] == [
        (2, 9, 0, True),
        (1, 9, 0, False),
    ]
    assert batches[0]["channel"] == "paypal"
    assert batches[0]["covers_from"] == "2026-10-01T16:15:00+00:00"
    code, out, _ = cli("imports")
    newest, newest_did, oldest, oldest_did = out.splitlines()  # each batch in two lines
    assert newest.startswith("#2 ") and "UNDONE" not in newest
    assert oldest.startswith("#1 ") and " UNDONE 20" in oldest
    did = "  2026-10-01..2026-10-31, 14 rows: 9 added, 0 updated, 0 unchanged, 5 skipped"
    assert newest_did == oldest_did == did  # the same file: the same span and counts


def test_undoing_a_bank_import_puts_the_check_back_to_pending(ledger):
    check = hand_recorded_check(ledger, "2041", "100.00", dt.date(2026, 10, 6), "Lou Green")
    report = apply(ledger, OCTOBER_BANK, sha="bank")
    removed = imports.undo_batch(ledger, report.batch_id)
    assert removed == {
        "bank lines": 5,
        "receipts": 2,
        "payouts": 0,
        "subscriptions": 0,
        "subscription events": 0,
        "balances": 0,
        "conversions": 0,
        "transfers": 0,
        "supporters": 1,  # the Zelle payer only the bank named; Lou Green's check stays his
    }
    assert [(r.external_id, r.status) for r in receipts(ledger)] == [(check.external_id, "pending")]


def test_the_progress_bar_appears_only_past_5000_rows_with_percentage_and_time_left(tmp_path):
    from supportledger.cli.importing import ProgressBar, expected_rows
    from supportledger.imports import FileReport

    big = tmp_path / "big.csv"
    big.write_text("Date,Amount\n" + "10/01/2026,1.00\n" * 12000)
    assert expected_rows(big) == 12001  # its lines, the header's included: about its rows
    ofx = tmp_path / "bank.ofx"
    ofx.write_bytes(b"OFXHEADER:100\n" + b"<STMTTRN>\n<TRNAMT>1\n</STMTTRN>\n" * 3)
    assert expected_rows(ofx) == 3  # an OFX file: its transactions, not its lines

    bar = ProgressBar(big)
    bar(FileReport("small.csv", "paypal", rows=5000))
    assert bar._progress is None
    bar(FileReport("big.csv", "paypal", rows=5001))
    time.sleep(0.01)  # a second sample gives the speed the time left is estimated from
    bar(FileReport("big.csv", "paypal", rows=6000))
    (task,) = bar._progress.tasks
    assert (task.completed, task.total) == (6000, 12001)
    assert round(task.percentage) == 50 and task.time_remaining > 0
    columns = [type(c).__name__ for c in bar._progress.columns]
    assert {"TaskProgressColumn", "TimeRemainingColumn"} <= set(columns)
    bar.close()
    assert bar._progress is None
