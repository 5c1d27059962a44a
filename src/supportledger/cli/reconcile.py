"""Reconciliation commands: ``reconcile``, ``match``, ``close``, ``reopen``, ``check returned``."""

from __future__ import annotations

from typing import Annotated

import typer

from supportledger import closing
from supportledger.cli.app import Format, app, check_format, emit, open_ledger, to_json
from supportledger.cli.core import OutputOption
from supportledger.models import utcnow
from supportledger.money import Money
from supportledger.months import Month, parse_instant
from supportledger.reconcile import (
    match_payout,
    reconcile_month,
    reconciliation_data,
    record_returned_check,
    render_text,
    unmatch_payout,
)


@app.command()
def reconcile(
    month: Annotated[str, typer.Option(help="YYYY-MM, in LEDGER_TIMEZONE.")],
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    output: OutputOption = None,
) -> None:
    """Prove a month against the bank: payouts, balances, fees, money owed, adjustments.

    Payouts that can only be one deposit are matched and remembered; the rest are listed
    for `supportledger match`.
    """
    check_format(fmt, (Format.text, Format.json))
    result = reconcile_month(open_ledger(), Month.parse(month))
    emit(
        to_json(reconciliation_data(result)) if fmt is Format.json else render_text(result), output
    )


@app.command()
def match(
    payout: Annotated[int, typer.Argument(help="The payout's number (#) in `reconcile`.")],
    bank_line: Annotated[int, typer.Argument(help="The bank line's number (#).")],
    undo: Annotated[bool, typer.Option("--undo", help="Remove this match instead.")] = False,
) -> None:
    """Settle which bank deposit a payout is: amounts and currencies must agree."""
    ledger = open_ledger()
    if undo:
        unmatch_payout(ledger, payout, bank_line)
        typer.echo(f"payout #{payout} and bank line #{bank_line} are no longer matched")
        return
    found, line = match_payout(ledger, payout, bank_line)
    typer.echo(
        f"matched {found.channel} payout #{found.id} to bank line #{line.id} "
        f"({Money.from_minor(line.amount_minor, line.currency)} on {line.posted_on})"
    )


@app.command()
def close(month: Annotated[str, typer.Argument(help="YYYY-MM, once it has ended.")]) -> None:
    """Freeze a month: later changes to it become adjustments in the first open month."""
    ledger = open_ledger()
    row = closing.close_month(ledger, Month.parse(month))
    typer.echo(
        f"closed {row['month']} with {row['receipts']} receipts "
        f"(digest {row['digest'][:12]}); reopen it only for a mistake"
    )


@app.command()
def reopen(
    month: Annotated[str, typer.Argument(help="YYYY-MM.")],
    reason: Annotated[str, typer.Option(help="Why: kept with the month.")],
) -> None:
    """Reopen a closed month to correct a mistake; when and why are recorded."""
    ledger = open_ledger()
    row = closing.reopen_month(ledger, Month.parse(month), reason)
    typer.echo(f"reopened {row['month']}: {row['reopen_reason']}")


check_app = typer.Typer(help="Mailed paper checks.", no_args_is_help=True)
app.add_typer(check_app, name="check")


@check_app.command("returned")
def check_returned(
    receipt: Annotated[int, typer.Argument(help="The check's receipt number (#).")],
    fee: Annotated[str, typer.Option(help="The bank's returned-item fee, e.g. 12.00.")] = "0",
    date: Annotated[
        str | None, typer.Option(help="When it came back: YYYY-MM-DD or an ISO instant; today.")
    ] = None,
) -> None:
    """Record a check that bounced: it stops counting, and the bank's fee is booked."""
    ledger = open_ledger()
    returned_at = parse_instant(date, ledger.tz) if date else utcnow()
    fee_id = record_returned_check(ledger, receipt, Money.of(fee, ledger.currency), returned_at)
    day = returned_at.astimezone(ledger.tz).date()
    typer.echo(f"check #{receipt} returned on {day}; returned-item fee booked as #{fee_id}")
