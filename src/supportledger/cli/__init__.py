"""``supportledger``: the command line, a thin layer over the library.

Each area's commands live in their own module and register on the shared ``app``.
"""

from __future__ import annotations

import sys
import warnings

import typer
from sqlalchemy.exc import DBAPIError

from supportledger.cli import (  # noqa: F401  (registers commands)
    bank,
    core,
    demo,
    export,
    importing,
    mail,
    month,
    people,
    reconcile,
    statements,
    sync,
)
from supportledger.cli.app import app, plain_help
from supportledger.errors import LedgerError


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a user mistake prints one line on stderr and exits 1 (or its exit_code)."""
    command = plain_help(typer.main.get_command(app))
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warn
            code = command.main(args=argv, prog_name="supportledger", standalone_mode=False)
    except LedgerError as exc:
        return _fail(str(exc), exc.exit_code)
    except (typer.Exit, typer.Abort) as exc:
        return getattr(exc, "exit_code", 1)
    except DBAPIError as exc:
        return _fail(_database_problem(exc), 1)
    except Exception as exc:
        if hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int):
            # click's usage errors (a bad --format choice...): a user mistake, so 1, as the
            # README's exit table says; 2 would tell the e-mail job's caller "temporary"
            return _fail(exc.format_message(), 1)
        raise
    return code if isinstance(code, int) else 0  # click returns an Exit's code (--version)


def _warn(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning (a readable .env, ...) as one plain line, never Python's file and line."""
    print(f"supportledger: warning: {' '.join(str(message).split())}", file=sys.stderr)


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
