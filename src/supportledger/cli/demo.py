"""``demo``: the monthly routine end to end on bundled sample exports, in a ledger of its own.

It records a mailed check by hand, imports the sample PayPal, Patreon, KDP and bank
exports, reconciles October 2026 against the bank and writes its statement as HTML, all in
a folder of its own (``supportledger-demo/``, with a copy of the samples to look at and
import again), without touching the writer's ledger (it replaces only a database it made
itself, marked with its own SQLite ``application_id``, and writes a statement only as a new
file, or over its own earlier one); then says how to explore it.
"""

import dataclasses
import shutil
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from supportledger.cli.app import app, emit
from supportledger.errors import LedgerError

SAMPLE_MONTH = "2026-10"
#: where the demo writes, unless told otherwise: never the folder's own files
FOLDER = Path("supportledger-demo")
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
    import sqlite3

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


@app.command()
def demo(
    folder: Annotated[
        Path,
        typer.Option(metavar="DIR", help="Where the sample ledger, files and statement go."),
    ] = FOLDER,
    database: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="The SQLite file for the sample ledger (made anew); DIR/ledger.db."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="The HTML statement; DIR/statement-2026-10.html."
        ),
    ] = None,
) -> None:
    """Build a sample ledger from bundled exports and write its October 2026 statement.

    Everything goes into DIR (supportledger-demo/): the ledger, a copy of the sample exports
    and the statement; it ends by saying how to point other commands at the sample ledger.
    """
    from importlib import resources

    from supportledger.config import load_settings
    from supportledger.imports import import_paths
    from supportledger.ledger import Ledger, manual_receipt_id, record_receipt
    from supportledger.money import Money
    from supportledger.months import Month, parse_instant
    from supportledger.reconcile import reconcile_month
    from supportledger.render import render
    from supportledger.sources import ReceiptEntry, SupporterRef
    from supportledger.statement import monthly_statement

    database = database or folder / "ledger.db"
    output = output or folder / f"statement-{SAMPLE_MONTH}.html"
    if output.exists() and output.resolve().parent != folder.resolve():
        raise LedgerError(
            f"--output {output} exists; the demo does not overwrite it: move it away or "
            f"give another --output"
        )
    replaced = output.exists()
    _clear_demo_ledger(database)
    folder.mkdir(parents=True, exist_ok=True)
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
    copies = folder / "samples"
    copies.mkdir(exist_ok=True)
    with resources.as_file(resources.files("supportledger").joinpath("samples")) as bundled:
        for name in SAMPLE_FILES:
            shutil.copyfile(bundled / name, copies / name)
    reports = import_paths(ledger, [copies / name for name in SAMPLE_FILES])
    lines = [f"Sample ledger {database}", f"from the sample exports in {copies}/:"]
    lines += [
        f"  {r.file_name:<30} {r.added:>3} added, {r.skipped:>2} skipped ({r.source})"
        for r in reports
    ]
    reconcile_month(ledger, Month.parse(SAMPLE_MONTH))  # matches payouts to bank deposits
    month = monthly_statement(ledger, Month.parse(SAMPLE_MONTH))
    emit(render(month, "html", ledger.settings), output)
    lines += ["", render(month, "text", ledger.settings)]
    lines += [
        f"HTML statement: {output}{' (replaced the earlier demo one)' if replaced else ''}",
        f"  open it in a browser: {output.resolve().as_uri()}",
        f"Sample exports: {copies}/ (each channel's own layout)",
        "Explore the sample ledger: commands read the ledger DATABASE_URL names, so",
        f"  export DATABASE_URL=sqlite:///{database}",
        f"  supportledger month {SAMPLE_MONTH}",
        f"  supportledger receipts --month {SAMPLE_MONTH}",
        "and `unset DATABASE_URL` to come back to your own ledger.",
    ]
    emit("\n".join(lines), None)
