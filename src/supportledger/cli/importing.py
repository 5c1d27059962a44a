"""``import`` and ``imports``: taking export files into the ledger, and the batches they made."""

from __future__ import annotations

import sys
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from supportledger.cli.app import Format, app, check_format, emit, open_ledger, to_json
from supportledger.errors import LedgerError
from supportledger.imports import FileReport, import_paths, list_batches, undo_batch
from supportledger.money import MoneyError, currency_code, parse_decimal


class DateOrder(StrEnum):
    dmy = "dmy"
    mdy = "mdy"


#: files with more rows than this get a progress bar (when stderr is a terminal)
PROGRESS_FROM = 5000


class ProgressBar:
    """A rich progress bar on stderr, shown only once a file passes :data:`PROGRESS_FROM`
    rows, so small files print nothing but their summary."""

    def __init__(self) -> None:
        self._progress = None
        self._tasks: dict[str, int] = {}

    def __call__(self, report: FileReport) -> None:
        if report.rows <= PROGRESS_FROM:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import Progress

            self._progress = Progress(console=Console(stderr=True), transient=True)
            self._progress.start()
        if report.file_name not in self._tasks:
            self._tasks[report.file_name] = self._progress.add_task(
                f"importing {report.file_name}", total=None
            )
        self._progress.update(
            self._tasks[report.file_name],
            completed=report.rows,
            description=f"importing {report.file_name}: {report.rows:,} rows",
        )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._tasks.clear()


def describe(report: FileReport) -> str:
    """A file's import in a few lines: what it added, updated, left and skipped, and why."""
    head = f"{report.file_name} ({report.source})"
    if report.already_imported is not None:
        return f"{head}: already imported as batch #{report.already_imported}; nothing written"
    where = "dry run, nothing written" if report.dry_run else f"batch #{report.batch_id}"
    lines = [
        f"{head}, {where}: {report.rows} entries: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.skipped} skipped"
    ]
    if report.skip_reasons:
        reasons = ", ".join(f"{n} {reason}" for reason, n in report.skip_reasons.most_common())
        lines.append(f"  skipped: {reasons}")
    lines += [f"  notice: {notice}" for notice in report.notices]
    if report.unclassified:
        lines.append(f"  unclassified bank lines ({len(report.unclassified)}), yours to decide:")
        lines += [
            f"    {line.posted_on}  {line.amount.plain():>10} {line.amount.currency}  "
            f"{line.description}"
            for line in report.unclassified
        ]
        lines.append(
            "  decide each with `supportledger bank lines --unclassified` and "
            "`supportledger bank classify LINE --as ...`"
        )
    return "\n".join(lines)


def parse_rates(pairs: list[str]) -> dict[str, Decimal]:
    """``["GBP=1.2650", ...]`` → ``{"GBP": Decimal("1.2650")}``; a bad pair is a user error."""
    rates = {}
    for pair in pairs:
        code, sep, value = pair.partition("=")
        try:
            if not sep:
                raise MoneyError("expected CUR=RATE")
            amount = parse_decimal(value)
            if amount <= 0:
                raise MoneyError("a rate is more than zero")
            rates[currency_code(code)] = amount
        except MoneyError as exc:
            raise LedgerError(f"--rate {pair!r}: {exc}") from None
    return rates


@app.command("import")
def import_files(
    paths: Annotated[list[Path], typer.Argument(help="Export files, as downloaded.")],
    source: Annotated[
        str | None, typer.Option(help="The format, when it should not be recognised: paypal...")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    rate: Annotated[
        list[str] | None,
        typer.Option(
            help="CUR=RATE: units of BASE_CURRENCY per unit of CUR, for reports kept in "
            "another currency (KDP's, ACX's marketplaces). Repeat for each currency."
        ),
    ] = None,
    date_order: Annotated[
        DateOrder | None,
        typer.Option(
            help="dmy or mdy: the order of day and month, for a file whose days are all 12 "
            "or less and which does not say (DATE_ORDER sets it per format)."
        ),
    ] = None,
) -> None:
    """Import export files, each whole or not at all; a file already imported adds nothing.

    Example: supportledger import ~/Downloads/Download.CSV --dry-run
    """
    rates = parse_rates(rate or [])
    ledger = open_ledger()
    bar = ProgressBar() if sys.stderr.isatty() else None
    try:
        for path in paths:  # one at a time, so each finished file is reported before an error
            (report,) = import_paths(
                ledger,
                [path],
                source=source,
                dry_run=dry_run,
                progress=bar,
                rates=rates,
                date_order=date_order.value if date_order else None,
            )
            if bar is not None:
                bar.close()  # the summary replaces the bar
            emit(describe(report), None)
    finally:
        if bar is not None:
            bar.close()


imports_app = typer.Typer(help="Past imports, and undoing one.", invoke_without_command=True)
app.add_typer(imports_app, name="imports")


@imports_app.callback()
def imports(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
) -> None:
    """List import batches, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    check_format(fmt, (Format.text, Format.json))
    ledger = open_ledger()
    batches = list_batches(ledger)
    if fmt is Format.json:
        emit(
            to_json(
                [
                    {
                        key: value.isoformat() if hasattr(value, "isoformat") else value
                        for key, value in batch.items()
                        if key != "sha256"
                    }
                    for batch in batches
                ]
            ),
            None,
        )
        return
    if not batches:
        emit("no imports yet", None)
        return
    tz = ledger.tz
    lines = []
    for b in batches:
        covers = ""
        if b["covers_from"] is not None:
            covers = (
                f" covers {b['covers_from'].astimezone(tz):%Y-%m-%d}"
                f"..{b['covers_to'].astimezone(tz):%Y-%m-%d}"
            )
        undone = f" UNDONE {b['undone_at'].astimezone(tz):%Y-%m-%d}" if b["undone_at"] else ""
        lines.append(
            f"#{b['id']:<4} {b['started_at'].astimezone(tz):%Y-%m-%d %H:%M}  {b['source']:<8} "
            f"{b['file_name']}{covers}: {b['rows']} rows, {b['added']} added, "
            f"{b['updated']} updated, {b['unchanged']} unchanged, {b['skipped']} skipped{undone}"
        )
    emit("\n".join(lines), None)


@imports_app.command("undo")
def undo(batch: Annotated[int, typer.Argument(help="The batch number `imports` shows.")]) -> None:
    """Remove what one import added (a check it marked deposited is pending again)."""
    removed = undo_batch(open_ledger(), batch)
    what = ", ".join(f"{n} {name}" for name, n in removed.items() if n) or "nothing"
    emit(f"undid batch #{batch}: removed {what}", None)
