"""``import`` and ``imports``: taking export files into the ledger, and the batches they made."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supportledger.cli.app import TEXT_JSON, app, emit, open_ledger, row_id, terminal_safe
from supportledger.errors import LedgerError

if TYPE_CHECKING:
    from decimal import Decimal

    from supportledger.imports import FileReport


class DateOrder(StrEnum):
    dmy = "dmy"
    mdy = "mdy"


#: files with more rows than this get a progress bar (when stderr is a terminal)
PROGRESS_FROM = 5000


def expected_rows(path: Path) -> int | None:
    """About how many entries ``path`` holds, so the progress bar can show a percentage and
    the time left: its lines, or an OFX file's transactions; ``None`` for a zip (XLSX)."""
    with path.open("rb") as stream:
        head = stream.read(4096)
        if head.startswith(b"PK"):
            return None
        marker = b"<STMTTRN>" if b"OFX" in head.upper() else b"\n"
        stream.seek(0)
        count, tail = 0, b""
        while chunk := stream.read(1 << 20):
            window = tail + chunk  # a marker cut in two by the chunk's end is counted once
            count += window.count(marker)
            tail = window[-(len(marker) - 1) :] if len(marker) > 1 else b""
            count -= tail.count(marker)
        return count


class ProgressBar:
    """A rich progress bar on stderr for one file, with its percentage and the time left,
    shown only once the file passes :data:`PROGRESS_FROM` rows: small files print nothing
    but their summary."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._progress = None
        self._task = None
        self._expected: int | None = None

    def __call__(self, report: "FileReport") -> None:
        if report.rows <= PROGRESS_FROM:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.markup import escape
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self._expected = expected_rows(self.path)
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=20),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            # a file's name is neither markup nor terminal codes
            self._shown = escape(terminal_safe(report.file_name))
            self._task = self._progress.add_task(self._shown, total=self._expected)
        total = max(self._expected, report.rows) if self._expected is not None else None
        self._progress.update(
            self._task,
            completed=report.rows,
            total=total,
            description=f"{self._shown[:30]}: {report.rows:,} rows",
        )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def describe(report: "FileReport") -> str:
    """A file's import in a few lines of 80 columns: what it added, updated, left and
    skipped, and why."""
    from supportledger.render import amount, plural, wrap

    head = f"{report.file_name} ({report.source})"
    if report.already_imported is not None:
        said = f"{head}: already imported as batch #{report.already_imported}; nothing written"
        return "\n".join(wrap(said, "", "  "))
    where = "dry run, nothing written" if report.dry_run else f"batch #{report.batch_id}"
    lines = wrap(f"{head}, {where}: {plural(report.rows, 'entry', 'entries')}", "", "  ")
    lines.append(
        f"  {report.added:,} added, {report.updated:,} updated, {report.unchanged:,} unchanged, "
        f"{report.skipped:,} skipped"
    )
    if report.skip_reasons:
        reasons = ", ".join(f"{n:,} {reason}" for reason, n in report.skip_reasons.most_common())
        lines += wrap(f"skipped: {reasons}", "  ", "    ")
    for notice in report.notices:
        lines += wrap(f"notice: {notice}", "  ", "    ")
    if report.unclassified:
        lines.append(f"  unclassified bank lines ({len(report.unclassified):,}), yours to decide:")
        for line in report.unclassified:
            lines += wrap(
                f"{line.posted_on}  {amount(line.amount):>10} {line.amount.currency}  "
                f"{line.description}",
                "    ",
                "      ",
            )
        lines.append("  decide each with `supportledger bank lines --unclassified` and")
        lines.append("  `supportledger bank classify LINE --as ...`")
    return "\n".join(lines)


def parse_rates(pairs: list[str]) -> "dict[str, Decimal]":
    """``["GBP=1.2650", ...]`` → ``{"GBP": Decimal("1.2650")}``; a bad pair is a user error."""
    from supportledger.money import MoneyError, currency_code, parse_rate

    rates = {}
    for pair in pairs:
        code, sep, value = pair.partition("=")
        try:
            if not sep:
                raise MoneyError("expected CUR=RATE")
            rates[currency_code(code)] = parse_rate(value)
        except MoneyError as exc:
            raise LedgerError(f"--rate {pair!r}: {exc}") from None
    return rates


@app.command("import")
def import_files(
    paths: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Export files, as downloaded.")
    ],
    source: Annotated[
        str | None,
        typer.Option(
            metavar="SOURCE", help="The format, when it should not be recognised: paypal..."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    rate: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CUR=RATE",
            help="Units of BASE_CURRENCY per unit of CUR, for reports kept in "
            "another currency (KDP's, ACX's marketplaces). Repeat for each currency.",
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
    from supportledger.imports import import_paths

    rates = parse_rates(rate or [])
    ledger = open_ledger()
    for path in paths:  # one at a time, so each finished file is reported before an error
        bar = ProgressBar(path) if sys.stderr.isatty() else None
        try:
            (report,) = import_paths(
                ledger,
                [path],
                source=source,
                dry_run=dry_run,
                progress=bar,
                rates=rates,
                date_order=date_order.value if date_order else None,
            )
        finally:
            if bar is not None:
                bar.close()  # the summary replaces the bar
        emit(describe(report), None)


imports_app = typer.Typer(help="Past imports, and undoing one.", invoke_without_command=True)
app.add_typer(imports_app, name="imports")


@imports_app.callback()
def imports(ctx: typer.Context, fmt: TEXT_JSON = "text") -> None:
    """List import batches, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from supportledger.imports import list_batches
    from supportledger.render import plural, to_json, wrap

    ledger = open_ledger()
    batches = list_batches(ledger)
    if fmt == "json":
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
                f"{b['covers_from'].astimezone(tz):%Y-%m-%d}"
                f"..{b['covers_to'].astimezone(tz):%Y-%m-%d}, "
            )
        undone = f" UNDONE {b['undone_at'].astimezone(tz):%Y-%m-%d}" if b["undone_at"] else ""
        head = f"#{b['id']:<4} {b['started_at'].astimezone(tz):%Y-%m-%d %H:%M}  {b['source']}"
        lines += wrap(f"{head} {b['file_name']}{undone}", "", "      ")
        lines += wrap(
            f"{covers}{plural(b['rows'], 'row')}: {b['added']:,} added, {b['updated']:,} "
            f"updated, {b['unchanged']:,} unchanged, {b['skipped']:,} skipped",
            "  ",
            "    ",
        )
    emit("\n".join(lines), None)


@imports_app.command("undo")
def undo(
    batch: Annotated[
        int, typer.Argument(help="The batch number `imports` shows.", callback=row_id)
    ],
) -> None:
    """Remove what one import added (a check it marked deposited is pending again)."""
    from supportledger.imports import undo_batch

    removed = undo_batch(open_ledger(), batch)
    what = ", ".join(f"{n} {name}" for name, n in removed.items() if n) or "nothing"
    emit(f"undid batch #{batch}: removed {what}", None)
