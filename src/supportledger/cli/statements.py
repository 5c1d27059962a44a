"""``statement`` (a month, or a year's summary), ``titles`` (income per book) and
``tax-form`` (the 1099-Ks beside it).

The library is imported inside the commands: other commands do not pay for it at startup.
"""

from enum import StrEnum
from typing import Annotated

import typer

from supportledger.cli.app import (
    TEXT_JSON,
    OutputOption,
    app,
    emit,
    formats,
    open_ledger,
    past_month,
)
from supportledger.errors import LedgerError


class Basis(StrEnum):
    """When the annual summary counts a royalty: paid (cash) or earned (accrual)."""

    cash = "cash"
    accrual = "accrual"


@app.command()
def statement(
    month: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM", help="The monthly statement (LEDGER_TIMEZONE)."),
    ] = None,
    year: Annotated[
        int | None, typer.Option(metavar="YYYY", help="The annual summary instead.")
    ] = None,
    basis: Annotated[
        Basis,
        typer.Option(
            help="With --year: cash (royalties when paid, as most writers file Schedule C) "
            "or accrual (when the store reports them earned)."
        ),
    ] = Basis.cash,
    fmt: formats("text", "html", "json", "csv") = "text",
    output: OutputOption = None,
) -> None:
    """A month's statement (--month) or a year's summary for Schedule C (--year).

    Example: supportledger statement --month 2026-10 --format html --output october.html
    """
    from supportledger.render import render
    from supportledger.statement import annual_summary, monthly_statement

    if (month is None) == (year is None):
        raise LedgerError("give either --month YYYY-MM or --year YYYY")
    ledger = open_ledger()
    if month is not None:
        result = monthly_statement(ledger, past_month(month, ledger.tz))
    else:
        past_month(f"{year:04d}-01", ledger.tz, "--year")
        result = annual_summary(ledger, year, basis=str(basis))
    emit(render(result, str(fmt), ledger.settings), output)


@app.command()
def titles(
    year: Annotated[
        int | None, typer.Option(metavar="YYYY", help="Only that year; default all time.")
    ] = None,
    fmt: formats("text", "json", "csv") = "text",
    output: OutputOption = None,
) -> None:
    """Income per title (book) across every store and channel, by ASIN, ISBN or title.

    Example: supportledger titles --year 2026 --format csv --output titles-2026.csv
    """
    from supportledger.render import titles_csv, titles_data, titles_text, to_json
    from supportledger.titles import titles_report

    ledger = open_ledger()
    found = titles_report(ledger, year)
    if str(fmt) == "json":
        emit(
            to_json({"year": year, "currency": ledger.currency, "titles": titles_data(found)}),
            output,
        )
    elif str(fmt) == "csv":
        emit(titles_csv(found), output)
    else:
        emit(titles_text(found, str(year) if year else "all time", ledger.currency), output)


tax_form_app = typer.Typer(help="1099-K figures the channels reported.", no_args_is_help=True)
app.add_typer(tax_form_app, name="tax-form")


@tax_form_app.command("record")
def tax_form_record(
    year: Annotated[int, typer.Option(metavar="YYYY", help="The tax year.")],
    channel: Annotated[str, typer.Option(metavar="CHANNEL", help="paypal, patreon, stripe.")],
    gross: Annotated[
        str, typer.Option(metavar="AMOUNT", help="Box 1a, gross amount, e.g. 12,345.67.")
    ],
) -> None:
    """Record (or correct) the gross a channel's 1099-K reports for a year."""
    from supportledger.money import Money
    from supportledger.taxforms import record_tax_form

    ledger = open_ledger()
    form = record_tax_form(ledger, year, channel, Money.of(gross, ledger.currency))
    amount = Money.from_minor(form.gross_minor, form.currency)
    emit(f"recorded {form.channel} 1099-K for {form.year}: gross {amount}")


@tax_form_app.command("list")
def tax_form_list(
    year: Annotated[int | None, typer.Option(metavar="YYYY", help="Only this year.")] = None,
    fmt: TEXT_JSON = "text",
) -> None:
    """The 1099-K figures recorded so far."""
    from supportledger.money import Money
    from supportledger.render import to_json
    from supportledger.taxforms import list_tax_forms

    forms = [
        {
            "year": f.year,
            "channel": f.channel,
            "gross": Money.from_minor(f.gross_minor, f.currency).plain(),
            "currency": f.currency,
        }
        for f in list_tax_forms(open_ledger(), year)
    ]
    if fmt == "json":
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
