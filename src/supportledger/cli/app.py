"""The typer application and the few helpers every command shares.

Commands live in the sibling modules (one per area) and only wire the library together:
parse options, call ``supportledger.*``, print (through :func:`emit`, which keeps a name's
escape codes from reaching the terminal). User mistakes are :class:`LedgerError`s, turned
into one line on stderr and exit status 1 by :func:`supportledger.cli.main`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TextIO

import typer

from supportledger.config import load_settings
from supportledger.db import MAX_ROW_ID
from supportledger.errors import LedgerError
from supportledger.files import written_privately
from supportledger.ledger import Ledger
from supportledger.months import Month
from supportledger.render import safe_cell, to_csv, to_json  # noqa: F401  (shared by commands)

app = typer.Typer(
    name="supportledger",
    help="The ledger of a writer's reader support: import, fees, statements, reconciliation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"
    csv = "csv"


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
    if not 1 <= value <= MAX_ROW_ID:
        raise typer.BadParameter(f"no such number: {value}")
    return value


def open_ledger() -> Ledger:
    """The ledger named by the environment / ``.env``."""
    return Ledger(load_settings())


def month_option(value: str | None) -> Month | None:
    return Month.parse(value) if value is not None else None


def check_format(fmt: Format, allowed: tuple[Format, ...]) -> None:
    if fmt not in allowed:
        names = "|".join(f.value for f in allowed)
        raise LedgerError(f"--format: this command writes {names}, not {fmt.value}")


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
