"""The error the CLI turns into one line on stderr and a non-zero exit.

Anything raised as a :class:`LedgerError` is a user-facing problem (bad input, bad
setting, a file the ledger cannot read); anything else is a bug and keeps its traceback.
"""


class LedgerError(Exception):
    """A problem the user can fix; its message is the whole story, on one line."""

    #: the CLI's exit status: 1 for a user mistake; a subclass may name another (mail.py)
    exit_code: int = 1
