"""``month``: the monthly routine as one guided checklist."""

import datetime as dt
from typing import Annotated

import typer

from supportledger.cli.app import TEXT_JSON, OutputOption, app, emit, open_ledger, past_month


@app.command()
def month(
    which: Annotated[
        str | None,
        typer.Argument(metavar="YYYY-MM", help="The month; default the last one that ended."),
    ] = None,
    fmt: TEXT_JSON = "text",
    output: OutputOption = None,
) -> None:
    """The month's routine: what each channel's imports reach and which files to download,
    bank lines to decide, payouts, checks, royalties and fees to look at, then what to run.

    Example: supportledger month 2026-10
    """
    from supportledger.months import Month
    from supportledger.render import checklist_data, checklist_text, to_json
    from supportledger.routine import month_checklist

    ledger = open_ledger()
    if which is None:
        chosen = Month.of(dt.datetime.now(ledger.tz)).previous()
    else:
        chosen = past_month(which, ledger.tz, "month")
    checklist = month_checklist(ledger, chosen)
    emit(to_json(checklist_data(checklist)) if fmt == "json" else checklist_text(checklist), output)
