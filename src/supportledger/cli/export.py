"""``export``: the ledger as a beancount or hledger journal, or a CSV for an accountant."""

import sys
from typing import Annotated

import typer

from supportledger.cli.app import OutputOption, app, choice, open_ledger, open_output, terminal_safe
from supportledger.errors import LedgerError

#: :class:`supportledger.export.ExportFormat`, offered without loading the exporter
FormatChoice = choice("beancount", "hledger", "csv")


def _month(option: str, value: str | None):
    from supportledger.months import Month

    if value is None:
        return None
    try:
        return Month.parse(value)
    except LedgerError:
        raise LedgerError(f"{option}: expected YYYY-MM, got {value!r}") from None


@app.command("export")
def export_command(
    fmt: Annotated[
        FormatChoice,
        typer.Option(
            "--format",
            metavar="|".join(FormatChoice),
            help="The journal or the CSV.",
            show_default=False,
        ),
    ],
    first: Annotated[
        str | None,
        typer.Option("--from", metavar="YYYY-MM", help="First month (LEDGER_TIMEZONE)."),
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", metavar="YYYY-MM", help="Last month, included.")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Export receipts and payouts as a beancount or hledger journal, or receipts as CSV.

    Example: supportledger export --format beancount --from 2026-07 --to 2026-09 -o q3.beancount
    """
    from supportledger.export import ExportFormat, Window, export

    window = Window(_month("--from", first), _month("--to", last))
    fmt = ExportFormat(fmt.value)
    ledger = open_ledger()
    with open_output(output) as stream:
        count = export(ledger, fmt, stream, window)
    if output is not None:
        what = "rows" if fmt is ExportFormat.csv else "transactions"
        print(terminal_safe(f"exported {count:,} {what} to {output}"), file=sys.stderr)
