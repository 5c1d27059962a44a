"""``supportledger``: the command line, a thin layer over the library.

Each area's commands live in their own module and register on the shared ``app``
(:mod:`supportledger.cli.app`), which :func:`main` loads when it runs, not when this package
is imported: ``--version`` is answered without typer or any command. :func:`main` is the
one place a failure becomes one line on stderr and an exit status:
whatever goes wrong, no traceback reaches the writer (it could show a secret or a name).
"""

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from supportledger.errors import LedgerError

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

#: a command line that cannot be parsed is a user mistake like any other (the e-mail job's
#: exit 2 means a temporary SMTP failure, and must not be mistaken for one)
USAGE_EXIT = 1
#: a bug (EX_SOFTWARE): one line naming the error's kind, nothing of its text
BUG_EXIT = 70


def version_line() -> str:
    """``supportledger X.Y.Z``, as ``--version`` prints it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("supportledger")
    except PackageNotFoundError:  # run from a source tree that was never installed
        number = "unknown"
    return f"supportledger {number}"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a failure prints one line on stderr and exits 1 (or its exit_code)."""
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:
        print(version_line())  # needs neither typer nor a command: answered before they load
        return 0
    import typer

    from supportledger.cli.app import app, plain_help

    command = plain_help(typer.main.get_command(app))
    with _warnings_in_one_line():
        try:
            code = command.main(args=argv, prog_name="supportledger", standalone_mode=False)
        except LedgerError as exc:
            return _fail(str(exc), exc.exit_code)
        except (typer.Exit, typer.Abort) as exc:
            return getattr(exc, "exit_code", 1)
        except OSError as exc:  # a full disk, a folder where a file should be, a permission
            return _fail(_os_problem(exc), 1)
        except Exception as exc:
            if _from_database(exc):
                return _fail(_database_problem(exc), 1)
            if hasattr(exc, "format_message"):  # click's (typer's own copy): a usage mistake
                return _fail(exc.format_message(), USAGE_EXIT)
            if os.environ.get("SUPPORTLEDGER_DEBUG") == "1":
                raise
            # its text could hold a secret (an encoding error quotes the character): not shown
            return _fail(
                f"unexpected {type(exc).__name__}: this is a bug, please report it "
                f"(SUPPORTLEDGER_DEBUG=1 shows where it happened)",
                BUG_EXIT,
            )
        finally:
            _release_connections()
    return code if isinstance(code, int) else 0  # click returns an Exit's code (--version)


def _release_connections() -> None:
    """Close the connections this run opened (the database module is loaded only by the
    commands that use it, so a run that did not load it opened none)."""
    db = sys.modules.get("supportledger.db")
    if db is not None:
        db.release_engines()


def _fail(message: str, code: int) -> int:
    from supportledger.cli.app import terminal_safe

    if message.strip():  # a bare command prints its help, and has nothing more to say
        print(f"supportledger: {terminal_safe(' '.join(message.split()))}", file=sys.stderr)
    return code


@contextmanager
def _warnings_in_one_line() -> Iterator[None]:
    """Warnings (a ledger or ``.env`` others can read) as one line each, like errors."""
    from supportledger.cli.app import terminal_safe

    shown = warnings.showwarning

    def one_line(message, *_args, **_kwargs) -> None:
        text = " ".join(str(message).split())
        print(f"supportledger: warning: {terminal_safe(text)}", file=sys.stderr)

    warnings.showwarning = one_line
    try:
        yield
    finally:
        warnings.showwarning = shown


def _from_database(exc: Exception) -> bool:
    """Whether ``exc`` is SQLAlchemy's error from the driver. A command that never loaded
    SQLAlchemy cannot have raised one, and is not made to load it to find out."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.DBAPIError)


def _database_problem(exc: "DBAPIError") -> str:
    """One line for a database error: the driver's first line, never the statement or values."""
    first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    if "no such table" in first or ("relation" in first and "does not exist" in first):
        return f"the database has no ledger yet ({first}): run `supportledger init`"
    return f"database error: {first}"


def _os_problem(exc: OSError) -> str:
    """``PATH: reason`` for a file the command could not read or write."""
    reason = exc.strerror or type(exc).__name__
    return f"{exc.filename}: {reason}" if exc.filename else reason
