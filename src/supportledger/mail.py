"""E-mailing the monthly statement, exactly once.

A delivery is recorded before it is sent (record-before-send): the job claims the (month,
recipient) with a ``sending`` row in a transaction only one job can win, hands the message
to the SMTP server, and only then marks the row ``sent``. A job killed between the server's
acceptance and that mark leaves the row ``sending``; the next run does not guess, it stops
and names the Message-ID to look for, because sending again could deliver a second copy.

Failures are sorted by what they mean for the message: *temporary* (a 4xx reply, a refused
or timed-out connection before the message was handed over) is retried with backoff and then
recorded as failed, so the next run sends it; *permanent* (5xx, a refused login, an untrusted
certificate) stops at once; a connection lost after the message's bytes went out is *in
doubt* and treated like a killed job. No message text ever includes the SMTP password.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from supportledger.config import ConfigError, Settings
from supportledger.errors import LedgerError
from supportledger.files import written_privately
from supportledger.models import Delivery, DeliveryState, utcnow
from supportledger.months import Month
from supportledger.render import format_money, month_name, render
from supportledger.statement import monthly_statement

log = logging.getLogger(__name__)

deliveries = Delivery.__table__


class DeliveryError(LedgerError):
    """The statement was not delivered; ``exit_code`` tells cron and systemd which way."""


class TemporaryFailure(DeliveryError):
    """Not delivered, recorded as failed: the next run sends it."""

    exit_code = 2


class PermanentFailure(DeliveryError):
    """The server refused for good (5xx, login, TLS): retrying will not help."""

    exit_code = 3


class DeliveryInDoubt(DeliveryError):
    """A previous attempt may have reached the server: a person must look before resending."""

    exit_code = 4


class IncompleteMonth(DeliveryError):
    """``--require-complete`` and some channel has no data for the month."""

    exit_code = 5


@dataclass(frozen=True)
class Retry:
    """How long to wait before each new try after a temporary failure."""

    delays: Sequence[float] = (5.0, 20.0, 80.0)  # exponential: x4 each time
    sleep: Callable[[float], None] = time.sleep


#: The backoff the job uses when none is given (tests swap in one that does not wait).
DEFAULT_RETRY = Retry()


@dataclass(frozen=True)
class StatementMail:
    """A month's statement as the e-mail carries it: three renderings and the headline."""

    month: Month
    net_total: str  # already formatted for people, e.g. "$1,234.56"
    missing: tuple[str, ...]  # channels without data for the month
    text: str
    html: str
    csv: str


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already sent"


@dataclass(frozen=True)
class DeliveryResult:
    recipient: str
    outcome: Outcome
    message_id: str
    sent_at: dt.datetime | None = None


def statement_mail(ledger, month: Month) -> StatementMail:
    """Compute and render ``month``'s statement with the same templates as ``statement``."""
    statement = monthly_statement(ledger, month)
    settings = ledger.settings
    return StatementMail(
        month=month,
        net_total=format_money(statement.totals.figures.net),
        missing=tuple(gap.message for gap in statement.missing_data),
        text=render(statement, "text", settings),
        html=render(statement, "html", settings),
        csv=render(statement, "csv", settings),
    )


def subject(mail: StatementMail) -> str:
    """``Support statement October 2026: net $1,234.56``, flagged when data is missing."""
    line = f"Support statement {month_name(mail.month)}: net {mail.net_total}"
    return f"{line} (incomplete)" if mail.missing else line


def address(raw: str, setting: str) -> str:
    """A bare e-mail address from ``raw``, lower-cased (``Writer@Example.org`` and
    ``writer@example.org`` are one recipient, sent one copy), or a one-line error naming
    where it came from."""
    _name, addr = parseaddr(raw)
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", addr):
        raise LedgerError(f"{setting}: not an e-mail address: {raw!r}")
    return addr.lower()


def build_message(
    mail: StatementMail, sender: str, recipient: str, now: dt.datetime
) -> EmailMessage:
    """One message: text and HTML alternatives of the statement, its CSV attached."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject(mail)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    domain = address(sender, "STATEMENT_FROM").rpartition("@")[2]
    message["Message-ID"] = make_msgid(idstring=f"statement-{mail.month}", domain=domain)
    # quoted-printable keeps every line 7-bit, so any server relays it unchanged
    message.set_content(mail.text, cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    message.add_attachment(
        mail.csv.encode("utf-8"),
        maintype="text",
        subtype="csv",
        filename=f"statement-{mail.month}.csv",
        params={"charset": "utf-8"},
    )
    return message


#: CRLF lines, headers unfolded up to RFC 5322's 998 characters, so the Message-ID a user
#: is told to search for is on one line exactly as printed; bodies are encoded at 76.
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)


def message_bytes(message: EmailMessage) -> bytes:
    """The exact bytes handed to the server (and hashed into the delivery record)."""
    return message.as_bytes(policy=WIRE_POLICY)


def write_eml(message: EmailMessage, path: Path) -> Path:
    """``--dry-run``: the message as an ``.eml`` file, written atomically, owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_privately(path, "wb") as stream:
        stream.write(message_bytes(message))
    return path


def require_complete(mail: StatementMail) -> None:
    if mail.missing:
        raise IncompleteMonth(
            f"statement {mail.month} not sent: no data for {', '.join(mail.missing)} "
            f"(--require-complete)"
        )


# --- claiming and recording ------------------------------------------------------------


@contextmanager
def _exclusive(engine: Engine):
    """A transaction no other writer interleaves with: ``BEGIN IMMEDIATE`` on SQLite.

    On PostgreSQL two jobs can both read "nothing sent yet"; the unique (month, recipient,
    attempt) then makes the second insert wait for the first and fail.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection
        connection.commit()


def _latest(connection: Connection, month: Month, recipient: str):
    """The last attempt for (month, recipient); rows recorded before addresses were
    lower-cased are found too."""
    return connection.execute(
        select(deliveries)
        .where(
            deliveries.c.month == str(month),
            func.lower(deliveries.c.recipient) == recipient.lower(),
        )
        .order_by(deliveries.c.attempt.desc())
        .limit(1)
    ).first()


def in_doubt_reason(month: str, recipient: str, why: str, message_id: str) -> str:
    """The one line that tells a person what to look for before sending again."""
    return (
        f"statement {month} to {recipient}: {why}: check the inbox for Message-ID "
        f"{message_id}, and only if it is not there run again with --resend"
    )


def _claim(
    engine: Engine,
    month: Month,
    recipient: str,
    *,
    message_id: str,
    digest: str,
    started: dt.datetime,
    resend: bool,
):
    """Insert a ``sending`` row for (month, recipient), or return the ``sent`` row found.

    Raises :class:`DeliveryInDoubt` when an unfinished attempt exists (unless ``resend``).
    """
    for _ in range(2):  # a lost race shows the winner's row on the second look
        try:
            with _exclusive(engine) as connection:
                latest = _latest(connection, month, recipient)
                if latest is not None and not resend:
                    if latest.state == DeliveryState.SENT:
                        return latest
                    if latest.state == DeliveryState.SENDING:
                        started = f"{latest.created_at:%Y-%m-%d %H:%M} UTC"
                        why = (
                            f"the delivery started {started} was never recorded as finished "
                            f"(another job may be sending it now, or one was stopped after "
                            f"sending)"
                        )
                        raise DeliveryInDoubt(
                            in_doubt_reason(latest.month, recipient, why, latest.message_id)
                        )
                connection.execute(
                    insert(deliveries).values(
                        month=str(month),
                        recipient=recipient,
                        attempt=latest.attempt + 1 if latest is not None else 1,
                        message_id=message_id,
                        state=DeliveryState.SENDING,
                        sha256=digest,
                        created_at=started,
                    )
                )
                return None
        except IntegrityError:
            continue
    raise DeliveryInDoubt(
        f"statement {month} to {recipient}: other jobs are claiming it at this moment; "
        f"run again in a minute"
    )


def _finish(engine: Engine, message_id: str, **values) -> None:
    """Record how the attempt ended (``state`` and ``sent_at`` or ``failure``)."""
    with engine.begin() as connection:
        connection.execute(
            update(deliveries).where(deliveries.c.message_id == message_id).values(**values)
        )


# --- SMTP ----------------------------------------------------------------------------------


def _secret_forms(settings: Settings) -> list[str]:
    """The password as a server could echo it: as it is, and base64-encoded alone or in
    the AUTH PLAIN string (longest first, so a longer form is blanked whole)."""
    secret = settings.smtp_password.reveal()
    if not secret:
        return []
    user = settings.smtp_username
    encoded = [
        base64.b64encode(raw.encode("utf-8")).decode("ascii")
        for raw in (secret, f"\0{user}\0{secret}")
    ]
    return sorted({secret, *encoded}, key=len, reverse=True)


def _redacted(text: str, settings: Settings) -> str:
    """One line of server or library text, the password blanked first, before spaces are
    collapsed or the line shortened (either would hide it from the blanking)."""
    for secret in _secret_forms(settings):
        text = text.replace(secret, "********")
    return " ".join(text.split())[:200]


def _reply(code: int, reply: bytes | str, step: str, settings: Settings) -> DeliveryError:
    raw = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"{step}: the SMTP server answered {code} {_redacted(raw, settings)}".rstrip()
    return TemporaryFailure(reason) if 400 <= code < 500 else PermanentFailure(reason)


#: names that only stand in for a real host (RFC 2606): .env.example's smtp.example.org
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net", "example", "invalid")
#: the resolver's answer that the name does not exist (EAI_NODATA: it has no address)
NO_SUCH_HOST = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def check_smtp_host(settings: Settings) -> None:
    """Refuse at once an ``SMTP_HOST`` that cannot be the writer's server: a placeholder
    left from the example settings, or a name the resolver says does not exist. Retrying
    those only waits (four tries over almost two minutes) to end in "temporary"; a resolver
    that cannot be reached just now is left to the retries."""
    host = settings.smtp_host.strip().rstrip(".").lower()
    if any(host == domain or host.endswith("." + domain) for domain in PLACEHOLDER_DOMAINS):
        raise ConfigError(
            f"SMTP_HOST: {settings.smtp_host} is a placeholder: name your mail server in .env"
        )
    try:
        socket.getaddrinfo(host, settings.smtp_port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in NO_SUCH_HOST:
            raise ConfigError(
                f"SMTP_HOST: no such host {settings.smtp_host!r}: check the name in .env"
            ) from None


def _connect(settings: Settings) -> smtplib.SMTP:
    """An SMTP session, secured and logged in as the settings say."""
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    context = ssl.create_default_context(cafile=cafile)
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo_or_helo_if_needed()
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            try:
                smtp.login(settings.smtp_username, settings.smtp_password.reveal())
            except UnicodeEncodeError:  # its text quotes the character: never shown
                raise PermanentFailure(
                    "login: SMTP_USERNAME or SMTP_PASSWORD has a character outside ASCII, "
                    "which SMTP login (Python's smtplib) cannot send; nothing was sent: "
                    "use an ASCII password (an app password) for the job"
                ) from None
    except BaseException:
        smtp.close()
        raise
    return smtp


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """End the session; what the server says to QUIT cannot change what it accepted."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _expect(result: tuple[int, bytes], ok: set[int], step: str, settings: Settings) -> None:
    code, reply = result
    if code not in ok:
        raise _reply(code, reply, step, settings)


#: OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH: a certificate trusted, but for another name
HOSTNAME_MISMATCH = 62


def _tls_problem(exc: ssl.SSLError, settings: Settings) -> str:
    """What to change when TLS fails: the host's name, or the CA the job trusts."""
    if getattr(exc, "verify_code", None) == HOSTNAME_MISMATCH:
        return f"the certificate is not for {settings.smtp_host}: set SMTP_HOST to the name on it"
    reason = _redacted(exc.reason or str(exc), settings)
    return f"TLS failed ({reason}); name the server's CA in SMTP_CA_FILE if it is your own"


def send_once(settings: Settings, sender: str, recipient: str, data: bytes) -> None:
    """Hand ``data`` to the server once, or raise the failure classified."""
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        smtp = _connect(settings)
    except smtplib.SMTPAuthenticationError as exc:
        raise _reply(exc.smtp_code, exc.smtp_error, "login", settings) from None
    except smtplib.SMTPResponseException as exc:
        raise _reply(exc.smtp_code, exc.smtp_error, "connect", settings) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentFailure(f"{where}: {_redacted(str(exc), settings)}") from None
    except ssl.SSLError as exc:
        raise PermanentFailure(f"{where}: {_tls_problem(exc, settings)}") from None
    except OSError as exc:  # refused, timed out, unreachable: smtplib's errors included
        raise TemporaryFailure(
            f"{where}: cannot connect ({_redacted(str(exc) or type(exc).__name__, settings)})"
        ) from None
    try:
        _expect(smtp.mail(sender), {250}, "MAIL FROM", settings)
        _expect(smtp.rcpt(recipient), {250, 251}, f"RCPT TO {recipient}", settings)
        try:
            result = smtp.data(data)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing went out
            raise _reply(exc.smtp_code, exc.smtp_error, "DATA", settings) from None
        except OSError as exc:
            raise DeliveryInDoubt(
                f"{where}: connection lost while handing over the message "
                f"({_redacted(str(exc) or type(exc).__name__, settings)})"
            ) from None  # deliver() adds what to do about it
        _expect(result, {250}, "message", settings)
    except OSError as exc:  # smtplib's own errors are OSErrors too
        raise TemporaryFailure(
            f"{where}: connection lost ({_redacted(str(exc) or type(exc).__name__, settings)})"
        ) from None
    finally:
        _quit_quietly(smtp)


def send_with_retries(
    settings: Settings, sender: str, recipient: str, data: bytes, retry: Retry
) -> None:
    """:func:`send_once`, tried again after each temporary failure while delays remain."""
    tries = len(retry.delays) + 1
    for number in range(1, tries + 1):
        try:
            send_once(settings, sender, recipient, data)
            return
        except TemporaryFailure as exc:
            if number == tries:
                raise TemporaryFailure(f"{exc}; gave up after {tries} tries") from None
            delay = retry.delays[number - 1]
            # info, not warning: cron mails stderr, and only the final outcome belongs there
            log.info("%s; trying again in %s s (try %d of %d)", exc, delay, number, tries)
            retry.sleep(delay)


# --- the job -------------------------------------------------------------------------------


def deliver(
    ledger,
    mail: StatementMail,
    recipient: str,
    *,
    resend: bool = False,
    retry: Retry | None = None,
    now: dt.datetime | None = None,
) -> DeliveryResult:
    """Send ``mail`` to ``recipient`` unless it was already sent, recording each step."""
    settings = ledger.settings
    check_smtp_host(settings)
    message = build_message(mail, settings.statement_from, recipient, now or utcnow())
    data = message_bytes(message)
    message_id = message["Message-ID"]
    earlier = _claim(
        ledger.engine,
        mail.month,
        recipient,
        message_id=message_id,
        digest=hashlib.sha256(data).hexdigest(),
        started=utcnow(),
        resend=resend,
    )
    if earlier is not None:
        return DeliveryResult(recipient, Outcome.ALREADY_SENT, earlier.message_id, earlier.sent_at)
    envelope_from = address(settings.statement_from, "STATEMENT_FROM")
    try:
        send_with_retries(settings, envelope_from, recipient, data, retry or DEFAULT_RETRY)
    except (TemporaryFailure, PermanentFailure) as exc:
        _finish(ledger.engine, message_id, state=DeliveryState.FAILED, failure=str(exc))
        raise
    except DeliveryInDoubt as exc:  # the row stays "sending": the next run will not guess
        why = f"{exc}, after the message went out, so the server may have accepted it"
        raise DeliveryInDoubt(
            in_doubt_reason(str(mail.month), recipient, why, message_id)
        ) from None
    sent_at = utcnow()
    _finish(ledger.engine, message_id, state=DeliveryState.SENT, sent_at=sent_at)
    return DeliveryResult(recipient, Outcome.SENT, message_id, sent_at)


def previous_month(settings: Settings, now: dt.datetime | None = None) -> Month:
    """The month before today in ``LEDGER_TIMEZONE`` (what runs on the 2nd sends)."""
    return Month.of(now or utcnow(), settings.timezone).previous()
