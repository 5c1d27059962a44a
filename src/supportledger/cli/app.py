"""The typer application and the few helpers every command shares.

Commands live in the sibling modules (one per area) and only wire the library together:
parse options, call ``supportledger.*``, print (through :func:`emit`, which keeps a name's
escape codes from reaching the terminal). User mistakes are :class:`LedgerError`s, turned
into one line on stderr and exit status 1 by :func:`supportledger.cli.main`.

Every module of the command line imports only typer and the standard library at load time:
the library (SQLAlchemy, the models, rich, jinja2...) is imported inside the command that
uses it, so ``--help``, ``--version`` and each command pay only for what they run
(``tests/test_startup.py`` lists what each loads). No module here has ``from __future__
import annotations``: typer reads every command's signature on every run, and a string
annotation is compiled and evaluated twice there, where a real one is evaluated once, at
definition (a name only a type checker needs is quoted instead).
"""

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from typer.core import TyperArgument

from supportledger.cli import version_line
from supportledger.errors import LedgerError

if TYPE_CHECKING:
    from supportledger.ledger import Ledger
    from supportledger.months import Month

app = typer.Typer(
    name="supportledger",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: the same text in a terminal, a pipe and 80 columns
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(version_line())
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


def choice(*names: str) -> type[StrEnum]:
    """An option's type offering exactly ``names`` (its help and its errors list them),
    declared here rather than imported from the library so that declaring it loads nothing:
    a test holds each such list to the library's own."""
    return StrEnum("Choice", {name: name for name in names})


def formats(*names: str):
    """A ``--format`` option offering exactly ``names``: its help and its errors list them,
    never a format the command cannot write. The first is the default."""
    return Annotated[
        choice(*names),
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


#: C0 controls (but newline and tab), DEL and C1 controls: how a terminal is driven
_CONTROLS = {
    code: f"\\u{code:04x}" for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\n\t"
}


def terminal_safe(text: str) -> str:
    """``text`` as it may go to a terminal: control characters (the ESC of an ANSI escape
    code in a supporter's name) written out as ``\\u001b``, and bytes of a file name that
    are not UTF-8 as ``\\udcff``, never raw."""
    return text.translate(_CONTROLS).encode("utf-8", "backslashreplace").decode("utf-8")


def row_id(value: int) -> int:
    """A row number given on the command line (a batch, payout, receipt): beyond any 64-bit
    id is no row, and must not reach the database as a number it cannot hold."""
    from supportledger.db import MAX_ROW_ID

    if not 1 <= value <= MAX_ROW_ID:
        raise typer.BadParameter(f"no such number: {value}")
    return value


def open_ledger() -> "Ledger":
    """The ledger named by the environment / ``.env``."""
    from supportledger.config import load_settings
    from supportledger.ledger import Ledger

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


def past_month(value: str, tz, option: str = "--month") -> "Month":
    """``YYYY-MM`` given on the command line: up to the current month in ``tz`` (a month in
    progress can be looked at; one that has not begun has nothing in it)."""
    from supportledger.months import Month

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


def _output_file(output: Path) -> Path:
    """``output`` checked (and its folder made) before anything is written to it."""
    if output.name in ("", ".", "..") or output.is_dir():
        raise LedgerError(f"--output {output}: is a folder; give a file name")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise LedgerError(f"--output {output}: a part of its folder is a file") from None
    return output


@contextmanager
def open_output(output: Path | None) -> Iterator[TextIO]:
    """A stream to ``output`` (written whole or not at all, owner-only) or stdout."""
    if output is None:
        yield sys.stdout
        return
    from supportledger.files import written_privately

    with written_privately(_output_file(output)) as stream:
        yield stream


def emit(text: str, output: Path | None = None) -> None:
    """Write ``text`` to ``output`` (atomically: a temp file renamed) or to stdout (made
    :func:`terminal_safe`)."""
    if output is None:
        text = terminal_safe(text)
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return
    with open_output(output) as stream:
        stream.write(text)


#: the modules of each area's commands, which register on ``app`` as they load (each
#: imports ``app`` and the helpers above from here): importing this module gives the whole
#: command line, and nothing of the library
AREAS = ("bank", "core", "demo", "export", "importing", "mail", "month", "people", "rates",
         "reconcile", "statements", "sync")  # fmt: skip
for _area in AREAS:
    import_module(f"supportledger.cli.{_area}")
