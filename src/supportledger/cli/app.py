"""The typer application and the few helpers every command shares.

Commands live in the sibling modules (one per area) and only wire the library together:
parse options, call ``supportledger.*``, print. User mistakes are :class:`LedgerError`s,
turned into one line on stderr and exit status 1 by :func:`supportledger.cli.main`.
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
from supportledger.errors import LedgerError
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


def open_ledger() -> Ledger:
    """The ledger named by the environment / ``.env``."""
    return Ledger(load_settings())


def month_option(value: str | None) -> Month | None:
    return Month.parse(value) if value is not None else None


def check_format(fmt: Format, allowed: tuple[Format, ...]) -> None:
    if fmt not in allowed:
        names = "|".join(f.value for f in allowed)
        raise LedgerError(f"--format: this command writes {names}, not {fmt.value}")


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
