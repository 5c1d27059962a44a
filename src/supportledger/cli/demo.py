"""``demo``: the monthly routine end to end on bundled sample exports, in a ledger of its own.

It records a mailed check by hand, imports the sample PayPal, Patreon, KDP and bank
exports, reconciles October 2026 against the bank and writes its statement as HTML, without
touching the writer's ledger: it replaces only a database it made itself (marked with its
own SQLite ``application_id``), and writes the statement only where no other file is.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from supportledger.cli.app import app, emit
from supportledger.config import load_settings
from supportledger.errors import LedgerError

SAMPLE_MONTH = "2026-10"
#: in the order a writer would take them: channels first, the bank statement last
SAMPLE_FILES = (
    "paypal-activity-2026-10.csv",
    "patreon-members.csv",
    "patreon-earnings-2026.csv",
    "patreon-payouts-2026.csv",
    "kdp-royalties-2026.csv",
    "chase-checking-2026-q3q4.csv",
)
#: the SQLite ``application_id`` of a ledger the demo made ("SLDM"): the only kind it replaces
DEMO_APPLICATION_ID = 0x534C444D
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _made_by_demo(path: Path) -> bool:
    """Whether ``path`` is a SQLite file the demo made (its ``application_id``, read through
    SQLite, read-only: the mark may still be in the write-ahead log)."""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            return False
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            return db.execute("PRAGMA application_id").fetchone()[0] == DEMO_APPLICATION_ID
    except sqlite3.Error:
        return False


def _clear_demo_ledger(database: Path) -> None:
    """Remove an earlier demo ledger; anything else at ``database`` is refused, untouched."""
    if not database.exists() and not database.is_symlink():
        return
    if not _made_by_demo(database):
        raise LedgerError(
            f"--database {database} exists and is not a ledger the demo made; the demo never "
            f"replaces it: give another --database"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def _write_new(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless another file is there (the same bytes are fine)."""
    if path.exists() or path.is_symlink():
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            raise LedgerError(
                f"--output {path} exists; the demo does not overwrite it: move it away or "
                f"give another --output"
            )
        return
    emit(text, path)


@app.command()
def demo(
    database: Annotated[
        Path, typer.Option(help="The SQLite file for the sample ledger (made anew).")
    ] = Path("supportledger-demo.db"),
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the HTML statement.")
    ] = Path("statement-2026-10.html"),
) -> None:
    """Build a sample ledger from bundled exports and write its October 2026 statement."""
    from supportledger.imports import import_paths
    from supportledger.ledger import Ledger, manual_receipt_id, record_receipt
    from supportledger.money import Money
    from supportledger.months import Month, parse_instant
    from supportledger.reconcile import reconcile_month
    from supportledger.render import render
    from supportledger.sources import ReceiptEntry, SupporterRef
    from supportledger.statement import monthly_statement

    _clear_demo_ledger(database)
    settings = dataclasses.replace(load_settings(), database_url=f"sqlite:///{database}")
    ledger = Ledger(settings)
    ledger.init()
    with ledger.engine.begin() as connection:
        connection.exec_driver_sql(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")
    # a check that came in the mail; the bank statement's deposit on 9 October settles it
    record_receipt(
        ledger,
        ReceiptEntry(
            channel="check",
            external_id=manual_receipt_id("check", "2041"),
            occurred_at=parse_instant("2026-10-06", ledger.tz),
            gross=Money.of("100.00", ledger.currency),
            status="pending",
            supporter=SupporterRef(name="Lou Green"),
            check_number="2041",
        ),
    )
    samples = resources.files("supportledger").joinpath("samples")
    with resources.as_file(samples) as folder:
        reports = import_paths(ledger, [folder / name for name in SAMPLE_FILES])
    lines = [f"sample ledger {database}:"]
    lines += [
        f"  {r.file_name:<30} {r.added:>3} added, {r.skipped:>2} skipped ({r.source})"
        for r in reports
    ]
    reconcile_month(ledger, Month.parse(SAMPLE_MONTH))  # matches payouts to bank deposits
    month = monthly_statement(ledger, Month.parse(SAMPLE_MONTH))
    _write_new(output, render(month, "html", ledger.settings))
    lines += ["", render(month, "text", ledger.settings), f"HTML statement: {output.resolve()}"]
    emit("\n".join(lines), None)
