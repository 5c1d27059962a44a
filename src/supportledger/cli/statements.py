"""``statement`` (a month, or a year's summary) and ``tax-form`` (the 1099-Ks beside it).

The library is imported inside the commands: other commands do not pay for it at startup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportledger.cli.app import Format, app, check_format, emit, open_ledger
from supportledger.errors import LedgerError


@app.command()
def statement(
    month: Annotated[
        str | None, typer.Option(help="YYYY-MM: the monthly statement (LEDGER_TIMEZONE).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="YYYY: the annual summary instead.")] = None,
    basis: Annotated[
        str,
        typer.Option(
            help="With --year: cash (royalties when paid, as most writers file Schedule C) "
            "or accrual (when the store reports them earned)."
        ),
    ] = "cash",
    fmt: Annotated[Format, typer.Option("--format", help="text, html, json or csv.")] = Format.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """A month's statement (--month) or a year's summary for Schedule C (--year).

    Example: supportledger statement --month 2026-10 --format html --output october.html
    """
    from supportledger.months import Month
    from supportledger.render import render
    from supportledger.statement import annual_summary, monthly_statement

    if (month is None) == (year is None):
        raise LedgerError("give either --month YYYY-MM or --year YYYY")
    ledger = open_ledger()
    if month is not None:
        result = monthly_statement(ledger, Month.parse(month))
    else:
        result = annual_summary(ledger, year, basis=basis)
    emit(render(result, fmt.value, ledger.settings), output)


tax_form_app = typer.Typer(help="1099-K figures the channels reported.", no_args_is_help=True)
app.add_typer(tax_form_app, name="tax-form")


@tax_form_app.command("record")
def tax_form_record(
    year: Annotated[int, typer.Option(help="The tax year, YYYY.")],
    channel: Annotated[str, typer.Option(help="paypal, patreon, stripe, ...")],
    gross: Annotated[str, typer.Option(help="Box 1a, gross amount, e.g. 12,345.67.")],
) -> None:
    """Record (or correct) the gross a channel's 1099-K reports for a year."""
    from supportledger.money import Money
    from supportledger.taxforms import record_tax_form

    ledger = open_ledger()
    form = record_tax_form(ledger, year, channel, Money.of(gross, ledger.currency))
    amount = Money.from_minor(form.gross_minor, form.currency)
    typer.echo(f"recorded {form.channel} 1099-K for {form.year}: gross {amount}")


@tax_form_app.command("list")
def tax_form_list(
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
) -> None:
    """The 1099-K figures recorded so far."""
    from supportledger.money import Money
    from supportledger.render import to_json
    from supportledger.taxforms import list_tax_forms

    check_format(fmt, (Format.text, Format.json))
    forms = [
        {
            "year": f.year,
            "channel": f.channel,
            "gross": Money.from_minor(f.gross_minor, f.currency).plain(),
            "currency": f.currency,
        }
        for f in list_tax_forms(open_ledger(), year)
    ]
    if fmt is Format.json:
        emit(to_json(forms), None)
    elif not forms:
        emit("no 1099-K recorded", None)
    else:
        emit(
            "\n".join(
                f"{f['year']}  {f['channel']:<8} {f['gross']:>14} {f['currency']}" for f in forms
            ),
            None,
        )
