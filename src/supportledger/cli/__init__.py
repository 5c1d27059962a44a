"""``supportledger``: the command line, a thin layer over the library.

Each area's commands live in their own module and register on the shared ``app``.
"""

from __future__ import annotations

import sys

from supportledger.cli import (  # noqa: F401  (registers commands)
    core,
    demo,
    export,
    importing,
    mail,
    people,
    reconcile,
    sync,
)
from supportledger.cli.app import app
from supportledger.errors import LedgerError


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a user mistake prints one line on stderr and exits 1 (or its exit_code)."""
    try:
        app(args=argv, standalone_mode=False)
    except LedgerError as exc:
        print(f"supportledger: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # click's usage errors and aborts carry their own exit codes
        import click

        if isinstance(exc, click.exceptions.Exit):
            return exc.exit_code
        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            print("supportledger: aborted", file=sys.stderr)
            return 1
        raise
    return 0
