"""``email-statement``: the unattended job that e-mails a month's statement, exactly once."""

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supportledger.cli.app import app, emit, open_ledger, past_month

if TYPE_CHECKING:
    from supportledger.months import Month


def _say(text: str) -> None:
    """A line for the terminal in 80 columns; a Message-ID or a path is never cut."""
    from supportledger.render import wrap

    emit("\n".join(wrap(text, "", "  ", cut_long_words=False)), None)


@contextmanager
def _retries_said() -> Iterator[None]:
    """On a terminal, each retry after a temporary failure says so on stderr, so a person
    is not left waiting in silence; cron and systemd get only the final line."""
    if not sys.stderr.isatty():
        yield
        return
    import logging

    logger = logging.getLogger("supportledger.mail")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("supportledger: %(message)s"))
    handler.setLevel(logging.INFO)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _eml_name(month: "Month", recipient: str, several: bool) -> str:
    """``statement-YYYY-MM.eml``; with several recipients, one file each, named for them."""
    if not several:
        return f"statement-{month}.eml"
    return f"statement-{month}-{re.sub(r'[^A-Za-z0-9@._+-]', '_', recipient)}.eml"


@app.command("email-statement")
def email_statement(
    month: Annotated[
        str,
        typer.Option(
            metavar="YYYY-MM|previous", help="The month; previous: the one before this month."
        ),
    ] = "previous",
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to", metavar="ADDR", help="A recipient (repeat for several); default STATEMENT_TO."
        ),
    ] = None,
    dry_run: Annotated[
        Path | None,
        typer.Option(
            "--dry-run",
            metavar="DIR",
            help="Write the message as DIR/statement-YYYY-MM.eml; send and record nothing.",
        ),
    ] = None,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again, on purpose, a month already sent.")
    ] = False,
    complete: Annotated[
        bool,
        typer.Option(
            "--require-complete", help="Refuse to send while a channel has no data for the month."
        ),
    ] = False,
) -> None:
    """E-mail a month's statement (HTML and text, CSV attached) once per recipient.

    \b
    Exit status: 0 sent or already sent; 1 user or configuration error;
    2 temporary SMTP failure after retries (the next run sends it);
    3 permanent SMTP failure (login, address, certificate);
    4 an earlier attempt may have been delivered (check the inbox, then --resend);
    5 the month is incomplete and --require-complete was given.
    """
    from supportledger.config import ConfigError, require
    from supportledger.mail import (
        Outcome,
        address,
        build_message,
        deliver,
        previous_month,
        require_complete,
        statement_mail,
        write_eml,
    )
    from supportledger.models import utcnow

    ledger = open_ledger()
    settings = ledger.settings
    if month.strip().lower() == "previous":
        chosen = previous_month(settings)
    else:
        chosen = past_month(month, settings.timezone)
    if to:
        recipients = [address(raw, "--to") for raw in to]
    else:
        recipients = [address(raw, "STATEMENT_TO") for raw in settings.statement_to]
    if not recipients:
        raise ConfigError("STATEMENT_TO is not set (put it in the environment or .env, or --to)")
    recipients = list(dict.fromkeys(recipients))
    require(settings, "STATEMENT_FROM")
    mail = statement_mail(ledger, chosen)
    if complete:
        require_complete(mail)
    if mail.missing:
        _say(f"note: no data for {', '.join(mail.missing)} in {chosen}; the e-mail says so")
    if dry_run is not None:
        for recipient in recipients:
            message = build_message(mail, settings.statement_from, recipient, utcnow())
            path = write_eml(message, dry_run / _eml_name(chosen, recipient, len(recipients) > 1))
            _say(f"wrote {path} for {recipient} (nothing sent)")
        return
    require(settings, "SMTP_HOST")
    for recipient in recipients:
        with _retries_said():
            result = deliver(ledger, mail, recipient, resend=resend)
        if result.outcome is Outcome.SENT:
            _say(f"sent statement {chosen} to {recipient} (Message-ID {result.message_id})")
        else:
            when = f" on {result.sent_at:%Y-%m-%d %H:%M} UTC" if result.sent_at else ""
            _say(
                f"statement {chosen} was already sent to {recipient}{when} "
                f"(Message-ID {result.message_id}); nothing sent (--resend sends it again)"
            )
