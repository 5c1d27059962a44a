"""``rates``: exchange rates for money received and held in another currency, and
``journal``: checking (and, after a change of settings, deriving again) the ledger's journal."""

from pathlib import Path
from typing import Annotated

import typer

from supportledger.cli.app import TEXT_JSON, OutputOption, app, emit, open_ledger

rates_app = typer.Typer(
    help="Exchange rates for money held in another currency.", no_args_is_help=True
)
app.add_typer(rates_app, name="rates")
journal_app = typer.Typer(help="The ledger's journal of balanced postings.", no_args_is_help=True)
app.add_typer(journal_app, name="journal")


@rates_app.command("import")
def rates_import(
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help="The ECB's eurofxref-hist.csv or eurofxref.csv.")
    ],
) -> None:
    """Take the European Central Bank's daily reference rates (each day's euro in 30-odd
    currencies), from https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip."""
    from supportledger.db import writing
    from supportledger.rates import read_ecb, store

    ledger = open_ledger()
    with writing(ledger.engine) as (connection, _):
        count = store(connection, read_ecb(path))
        connection.commit()
    typer.echo(f"{path.name}: {count:,} rates taken")


@rates_app.command("add")
def rates_add(
    currency: Annotated[str, typer.Argument(metavar="CURRENCY", help="The currency, e.g. GBP.")],
    rate: Annotated[
        str, typer.Argument(metavar="RATE", help="What one unit is worth in BASE_CURRENCY.")
    ],
    date: Annotated[str, typer.Option(metavar="YYYY-MM-DD", help="The day.")],
) -> None:
    """A rate of your own for a day (your bank's, or the one a channel applied)."""
    import datetime as dt

    from supportledger.db import writing
    from supportledger.errors import LedgerError
    from supportledger.money import currency_code
    from supportledger.rates import RateRow, parse_rate, store

    ledger = open_ledger()
    try:
        day = dt.date.fromisoformat(date.strip())
    except ValueError:
        raise LedgerError(f"--date: expected YYYY-MM-DD, got {date!r}") from None
    row = RateRow(day, currency_code(currency), ledger.currency, parse_rate(rate, "RATE"), "own")
    with writing(ledger.engine) as (connection, _):
        store(connection, iter([row]))
        connection.commit()
    typer.echo(f"1 {row.currency} = {row.rate} {row.quote} on {day}")


@rates_app.command("show")
def rates_show(
    currency: Annotated[str, typer.Argument(metavar="CURRENCY", help="The currency, e.g. GBP.")],
    date: Annotated[str, typer.Option(metavar="YYYY-MM-DD", help="The day.")],
    fmt: TEXT_JSON = "text",
    output: OutputOption = None,
) -> None:
    """The rate the ledger would use for a currency on a day, and where it comes from."""
    import datetime as dt

    from supportledger.money import currency_code
    from supportledger.rates import rate_on
    from supportledger.render import to_json

    ledger = open_ledger()
    code, day = currency_code(currency), dt.date.fromisoformat(date.strip())
    with ledger.engine.connect() as connection:
        rate = rate_on(connection, code, ledger.currency, day)
    if fmt == "json":
        found = {"currency": code, "base": ledger.currency, "day": day.isoformat(),
                 "rate": str(rate) if rate is not None else None}  # fmt: skip
        emit(to_json(found), output)
        return
    if rate is None:
        emit(f"no {code} rate for {day}: import the ECB's rates or add one", output)
    else:
        emit(f"1 {code} = {rate} {ledger.currency} on {day}", output)


@journal_app.command("check")
def journal_check() -> None:
    """Prove the journal: every transaction balanced, the monthly roll-up its own sum, and
    every posting what the events derive."""
    from supportledger.errors import LedgerError
    from supportledger.journal import check

    ledger = open_ledger()
    with ledger.engine.connect() as connection:
        problems = check(connection, ledger)
    if problems:
        raise LedgerError("; ".join(problems))
    typer.echo("the journal is balanced and agrees with every event")


@journal_app.command("rebuild")
def journal_rebuild() -> None:
    """Derive every posting again from the events (after a change of BASE_CURRENCY or of a
    channel's declared account name)."""
    from supportledger.journal import rebuild_ledger

    rebuild_ledger(open_ledger())
    typer.echo("the journal is derived again from every event")
