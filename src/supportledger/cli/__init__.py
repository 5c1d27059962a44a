"""``supportledger``: the command line, a thin layer over the library.

Each area's commands live in their own module and register on the shared ``app``.
"""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import DBAPIError

from supportledger.cli import (  # noqa: F401  (registers commands)
    bank,
    core,
    demo,
    export,
    importing,
    mail,
    people,
    rates,
    reconcile,
    statements,
    sync,
)
from supportledger.cli.app import app
from supportledger.errors import LedgerError


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a user mistake prints one line on stderr and exits 1 (or its exit_code)."""
    try:
        app(args=argv, prog_name="supportledger", standalone_mode=False)
    except LedgerError as exc:
        return _fail(str(exc), exc.exit_code)
    except (typer.Exit, typer.Abort) as exc:
        return getattr(exc, "exit_code", 1)
    except DBAPIError as exc:
        return _fail(_database_problem(exc), 1)
    except Exception as exc:
        if hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int):
            return _fail(exc.format_message(), exc.exit_code)  # click's usage errors
        raise
    return 0


def _fail(message: str, code: int) -> int:
    if message.strip():  # a bare command prints its help, and has nothing more to say
        print(f"supportledger: {' '.join(message.split())}", file=sys.stderr)
    return code


def _database_problem(exc: DBAPIError) -> str:
    """One line for a database error: the driver's first line, never the statement or values."""
    first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    if "no such table" in first or ("relation" in first and "does not exist" in first):
        return f"the database has no ledger yet ({first}): run `supportledger init`"
    return f"database error: {first}"
