"""Reconciliation commands: ``reconcile``, ``match``, ``close``, ``reopen``, ``check returned``."""

from typing import Annotated

import typer

from supportledger.cli.app import (
    TEXT_JSON,
    OutputOption,
    app,
    emit,
    open_ledger,
    past_month,
    row_id,
)


@app.command()
def reconcile(
    month: Annotated[str, typer.Option(metavar="YYYY-MM", help="The month, in LEDGER_TIMEZONE.")],
    fmt: TEXT_JSON = "text",
    output: OutputOption = None,
) -> None:
    """Prove a month against the bank: payouts, balances, fees, money owed, adjustments.

    Payouts that can only be one deposit are matched and remembered; the rest are listed
    for `supportledger match`.
    """
    from supportledger.reconcile import reconcile_month, reconciliation_data, render_text
    from supportledger.render import to_json

    ledger = open_ledger()
    result = reconcile_month(ledger, past_month(month, ledger.tz))
    emit(to_json(reconciliation_data(result)) if fmt == "json" else render_text(result), output)


@app.command()
def match(
    payout: Annotated[
        int,
        typer.Argument(
            metavar="PAYOUT", help="The payout's number (#) in `reconcile`.", callback=row_id
        ),
    ],
    bank_line: Annotated[
        int,
        typer.Argument(metavar="BANKLINE", help="The bank line's number (#).", callback=row_id),
    ],
    undo: Annotated[bool, typer.Option("--undo", help="Remove this match instead.")] = False,
) -> None:
    """Settle which bank deposit a payout is: amounts and currencies must agree."""
    from supportledger.money import Money
    from supportledger.reconcile import match_payout, unmatch_payout

    ledger = open_ledger()
    if undo:
        unmatch_payout(ledger, payout, bank_line)
        emit(f"payout #{payout} and bank line #{bank_line} are no longer matched")
        return
    found, line = match_payout(ledger, payout, bank_line)
    emit(
        f"matched {found.channel} payout #{found.id} to bank line #{line.id} "
        f"({Money.from_minor(line.amount_minor, line.currency)} on {line.posted_on})"
    )


@app.command()
def close(
    month: Annotated[str, typer.Argument(metavar="YYYY-MM", help="The month, once it has ended.")],
) -> None:
    """Freeze a month: later changes to it become adjustments in the first open month."""
    from supportledger import closing
    from supportledger.months import Month
    from supportledger.render import plural

    ledger = open_ledger()
    row = closing.close_month(ledger, Month.parse(month))
    typer.echo(
        f"closed {row['month']} with {plural(row['receipts'], 'receipt')} "
        f"(digest {row['digest'][:12]}); reopen it only for a mistake"
    )


@app.command()
def reopen(
    month: Annotated[str, typer.Argument(metavar="YYYY-MM", help="The closed month.")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why: kept with the month.")],
) -> None:
    """Reopen a closed month to correct a mistake; when and why are recorded."""
    from supportledger import closing
    from supportledger.months import Month

    ledger = open_ledger()
    row = closing.reopen_month(ledger, Month.parse(month), reason)
    typer.echo(f"reopened {row['month']}: {row['reopen_reason']}")


check_app = typer.Typer(help="Mailed paper checks.", no_args_is_help=True)
app.add_typer(check_app, name="check")


@check_app.command("returned")
def check_returned(
    receipt: Annotated[
        int,
        typer.Argument(
            metavar="RECEIPT", help="The check's number (#) in `receipts`.", callback=row_id
        ),
    ],
    fee: Annotated[
        str, typer.Option(metavar="AMOUNT", help="The bank's returned-item fee, e.g. 12.00.")
    ] = "0",
    date: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="When it came back: YYYY-MM-DD or an ISO instant."),
    ] = None,
) -> None:
    """Record a check that bounced: it stops counting, and the bank's fee is booked."""
    from supportledger.models import utcnow
    from supportledger.money import Money
    from supportledger.months import parse_instant
    from supportledger.reconcile import record_returned_check

    ledger = open_ledger()
    returned_at = parse_instant(date, ledger.tz) if date else utcnow()
    fee_id = record_returned_check(ledger, receipt, Money.of(fee, ledger.currency), returned_at)
    day = returned_at.astimezone(ledger.tz).date()
    emit(f"check #{receipt} returned on {day}; returned-item fee booked as #{fee_id}")
