"""Nothing lost under races: each interleaving the hardening issue found, driven step by step
(tests/races.py: an import held inside its transaction, another command started, the import
released only once that command waits or is done), on SQLite and PostgreSQL.

- a file rewritten while it is imported is refused, nothing written, its hash not taken;
- ``forget`` during an import waits for it, then erases everything of the person it brought;
- ``close`` during an import waits for it, and freezes the month with the import in it;
- two overlapping imports (the same ids in opposite orders) both complete: no deadlock.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import big_files as bf
from races import Contender, HeldImport
from supportledger import imports
from supportledger.closing import month_digest
from supportledger.errors import LedgerError
from supportledger.imports import import_paths
from supportledger.months import Month
from supportledger.supporters import forget

OCTOBER = Month(2026, 10)
#: the PayPal downloads here hold only days of 12 or less: the writer says how to read them
MDY = {"date_order": "mdy"}
#: entries per chunk while these tests run: an import stops after its first chunk
CHUNK = 20


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", CHUNK)


def table_counts(ledger) -> dict[str, int]:
    with ledger.engine.connect() as connection:
        return {
            table: connection.execute(text(f"select count(*) from {table}")).scalar_one()
            for table in ("receipts", "import_batches", "supporters", "supporter_handles")
        }


# ---------------------------------------------------------------------------- 1: rewritten
def _in_place(path: Path, content: bytes) -> None:
    path.write_bytes(content)  # truncated and written: the same file, other bytes


def _renamed_over(path: Path, content: bytes) -> None:
    fresh = path.with_name(path.name + ".new")
    fresh.write_bytes(content)
    os.replace(fresh, path)  # another file under the name (a browser finishing a download)


@pytest.mark.parametrize("rewrite", [_in_place, _renamed_over], ids=["in place", "renamed over"])
def test_a_file_rewritten_while_it_is_imported_is_refused_and_nothing_is_written(
    ledger, tmp_path, rewrite
):
    path = tmp_path / "Download.CSV"
    older = tmp_path / "older.csv"
    full = bf.write_paypal(path, 450)  # the full download: 450 donations
    bf.write_paypal(older, 300)  # an older one of 300, saved over it while it is read
    before = table_counts(ledger)

    held = HeldImport(ledger, path, lambda: rewrite(path, older.read_bytes()), **MDY).hold()
    with pytest.raises(LedgerError) as refused:
        held.release()
    message = str(refused.value)
    assert "Download.CSV: the file changed while it was being imported" in message
    assert "\n" not in message
    assert table_counts(ledger) == before  # no row, no batch: its hash was not taken

    (older_report,) = import_paths(ledger, [path], **MDY)  # what is there now: the 300
    assert older_report.added == 300
    bf.write_paypal(path, 450)
    (full_report,) = import_paths(ledger, [path], **MDY)  # again: not "already imported"
    assert (full_report.already_imported, full_report.added) == (None, full.rows - 300)


# ---------------------------------------------------------------------------- 3: forget
CHASE_HEADER = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"


def chase(lines: list[tuple[str, str, str]]) -> str:
    """A Chase download of ``(day, description, amount)`` lines in October 2026."""
    rows = [
        f"{'CREDIT' if not amount.startswith('-') else 'DEBIT'},10/{day}/2026,{description},"
        f"{amount},{'QUICKPAY_CREDIT' if not amount.startswith('-') else 'ACH_DEBIT'},,"
        for day, description, amount in lines
    ]
    return CHASE_HEADER + "\n".join(rows) + "\n"


def test_forget_during_an_import_waits_and_erases_all_it_brought(ledger, tmp_path):
    first = tmp_path / "Chase1234_Activity_1.CSV"
    first.write_text(chase([("01", "Zelle payment from ANA RUIZ 18473625190", "40.00")]))
    import_paths(ledger, [first])
    second = tmp_path / "Chase1234_Activity_2.CSV"
    lines = [
        (f"{2 + n // 10:02d}", f"Zelle payment from MAY CHEN {1e10 + n:.0f}", "5.00")
        for n in range(CHUNK)
    ]
    lines += [
        (f"{10 + n:02d}", f"Zelle payment from ANA RUIZ {2e10 + n:.0f}", "25.00") for n in range(3)
    ]
    lines += [("20", "Zelle payment to ANA RUIZ 90000000001", "-10.00")]
    second.write_text(chase(lines))

    held = HeldImport(ledger, second).hold()  # May Chen's chunk written, Ana's next
    forgetting = Contender(ledger, lambda: forget(ledger, "ANA RUIZ"))
    forgetting.start()
    forgetting.wait_until_waiting_or_done()
    (report,) = held.release()
    done = forgetting.result()

    assert report.added == CHUNK + 4
    with ledger.engine.connect() as connection:
        handles = connection.execute(text("select value from supporter_handles")).scalars()
        assert not [h for h in handles if "ruiz" in h.lower()]
        texts = connection.execute(
            text(
                "select description from receipts union all select description from bank_lines"
                " union all select coalesce(counterparty, '') from bank_lines"
                " union all select display_name from supporters"
            )
        ).scalars()
        assert not [t for t in texts if "ruiz" in t.lower()]
        # her four receipts (one from each file's Zelle credits) stay, as the former supporter
        theirs = connection.execute(
            text("select count(*) from receipts where supporter_id = :id"),
            {"id": done.supporter_ids[0]},
        ).scalar_one()
        assert theirs == 4
    if ledger.engine.dialect.name == "sqlite":  # and no byte of her name is left in the files
        database = Path(make_url(ledger.settings.database_url).database)
        for file in (database, Path(f"{database}-wal")):
            if file.exists():
                assert b"ruiz" not in file.read_bytes().lower(), file.name


# ---------------------------------------------------------------------------- 6: close
def test_a_month_closed_during_an_import_is_frozen_with_the_import_in_it(ledger, cli, tmp_path):
    path = tmp_path / "Download.CSV"
    imported = bf.write_paypal(path, 350)  # 350 October donations

    held = HeldImport(ledger, path, **MDY).hold()
    closing = Contender(ledger, lambda: cli("close", "2026-10"))
    closing.start()
    closing.wait_until_waiting_or_done()
    held.release()
    code, out, err = closing.result()

    assert (code, err) == (0, ""), err
    assert out.startswith(f"closed 2026-10 with {imported.rows} receipts")
    with ledger.engine.connect() as connection:
        stored = connection.execute(text("select digest, receipts from month_closes")).one()
        assert tuple(stored) == month_digest(connection, OCTOBER, ledger.tz)
    code, out, _ = cli("reconcile", "--month", "2026-10")
    assert code == 0 and "CHANGED" not in out


# ---------------------------------------------------------------------------- 7: overlapping
def test_two_overlapping_imports_both_complete_without_a_deadlock(ledger, tmp_path):
    """The same 60 ids, one file oldest first and the other newest first: each would hold
    rows the other is about to insert (PostgreSQL's "deadlock detected" without the lock)."""
    rows = 3 * CHUNK
    forward, backward = tmp_path / "forward.csv", tmp_path / "backward.csv"
    written = bf.write_paypal(forward, rows)
    header, *lines = forward.read_text().splitlines(keepends=True)
    backward.write_text(header + "".join(reversed(lines)))

    held = HeldImport(ledger, forward, **MDY).hold()  # its first chunk written, uncommitted
    other = Contender(ledger, lambda: import_paths(ledger, [backward], **MDY))
    other.start()
    other.wait_until_waiting_or_done()
    (first,) = held.release()
    (second,) = other.result()

    assert first.added == rows
    assert (second.added, second.unchanged) == (0, rows)
    with ledger.engine.connect() as connection:
        count, gross = connection.execute(
            text("select count(*), sum(gross_minor) from receipts")
        ).one()
    assert (count, gross) == (rows, written.gross)


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def test_an_import_rolled_back_for_a_deadlock_runs_again(ledger, tmp_path, monkeypatch):
    """With a writer that does not take the lock (none does today), PostgreSQL may still
    roll an import back for a deadlock or a serialization failure: it is run again."""
    path = tmp_path / "Download.CSV"
    written = bf.write_paypal(path, 30)
    attempts = []
    real = imports._apply_once

    def deadlocked_once(*args, **kwargs):
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            raise OperationalError("INSERT INTO receipts ...", {}, _Deadlock("deadlock"))
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_apply_once", deadlocked_once)
    (report,) = import_paths(ledger, [path], **MDY)
    assert attempts == [1, 2] and report.added == written.rows
