"""The typer application and the few helpers every command shares.

Commands live in the sibling modules (one per area) and only wire the library together:
parse options, call ``supportledger.*``, print. User mistakes are :class:`LedgerError`s,
turned into one line on stderr and exit status 1 by :func:`supportledger.cli.main`.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, TextIO

import typer
from typer.core import TyperArgument

from supportledger.config import load_settings
from supportledger.errors import LedgerError
from supportledger.ledger import Ledger
from supportledger.months import Month
from supportledger.render import safe_cell, to_csv, to_json  # noqa: F401  (shared by commands)

app = typer.Typer(
    name="supportledger",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: the same text in a terminal, a pipe and 80 columns
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        try:
            number = version("supportledger")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown"
        typer.echo(f"supportledger {number}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """The ledger of a writer's reader support: import, fees, statements, reconciliation.

    Start with `supportledger init`, then `supportledger month` each month.
    """


def _either(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def formats(*names: str):
    """A ``--format`` option offering exactly ``names``: its help and its errors list them,
    never a format the command cannot write. The first is the default."""
    choices = StrEnum("Format", {name: name for name in names})
    return Annotated[
        choices,
        typer.Option("--format", metavar="|".join(names), help=f"Output as {_either(names)}."),
    ]


TEXT_JSON = formats("text", "json")

OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout."),
]
MonthOption = Annotated[
    str | None, typer.Option(metavar="YYYY-MM", help="A month, in LEDGER_TIMEZONE.")
]


def open_ledger() -> Ledger:
    """The ledger named by the environment / ``.env``."""
    return Ledger(load_settings())


def receipt_row(receipt, tz) -> dict:
    """A receipt as listings show it (`receipts`, `supporters show`): dates in ``tz``,
    amounts as plain text, its number first, as `check returned` takes it."""
    return {
        "id": receipt.id,
        "date": receipt.occurred_at.astimezone(tz).date().isoformat(),
        "channel": receipt.channel,
        "kind": receipt.kind,
        "event": receipt.event,
        "status": receipt.status,
        "gross": receipt.gross.plain(),
        "fee": receipt.fee.plain(),
        "net": receipt.net.plain(),
    }


def past_month(value: str, tz, option: str = "--month") -> Month:
    """``YYYY-MM`` given on the command line: up to the current month in ``tz`` (a month in
    progress can be looked at; one that has not begun has nothing in it)."""
    month = Month.parse(value)
    current = Month.of(dt.datetime.now(tz))
    if month > current:
        raise LedgerError(f"{option} {month} is in the future (it is {current} in {tz.key})")
    return month


def plain_help(command):
    """Help that shows real values: a flag nothing after it, a choice its choices
    (``text|json``), anything else a name (``--channel CHANNEL``, ``FILE...``), never a
    Python type (``<bool>``, ``<list[Path]>``), which typer prints for parameters without a
    metavar of their own."""
    for param in command.params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.metavar is None:
            descriptor = getattr(param, "type_descriptor", None)
            kind = getattr(param, "type", None)
            choices = getattr(descriptor, "choices", None) or getattr(kind, "choices", None)
            names = [str(getattr(c, "value", c)) for c in choices or ()]
            param.metavar = "|".join(names) if names else param.name.upper()
        if isinstance(param, TyperArgument):
            param.display_type_rich = lambda ctx: None  # its metavar names it
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    return command


@contextmanager
def open_output(output: Path | None) -> Iterator[TextIO]:
    """A stream to ``output`` (a temp file, renamed over it only once complete) or stdout."""
    if output is None:
        yield sys.stdout
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            yield stream
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)


def emit(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` (atomically: a temp file renamed) or to stdout."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return
    with open_output(output) as stream:
        stream.write(text)
