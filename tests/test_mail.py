"""The statement e-mail job against a real SMTP server (aiosmtpd) on 127.0.0.1.

Each test starts its own server with a handler that records what it accepted and can be
told to answer 421 first, to refuse the login with 535, to speak only STARTTLS with a
certificate from a CA the test makes, or to stop at the moment it accepts a message.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import hashlib
import io
import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import replace
from email import policy

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select, text

from supportledger import mail
from supportledger.config import Secret
from supportledger.ledger import Ledger, record_receipt
from supportledger.mail import (
    DeliveryInDoubt,
    Outcome,
    PermanentFailure,
    Retry,
    StatementMail,
    TemporaryFailure,
    deliver,
    previous_month,
    statement_mail,
)
from supportledger.models import Delivery, ImportBatch
from supportledger.money import Money
from supportledger.months import Month
from supportledger.sources import ReceiptEntry

OCTOBER = Month(2026, 10)
SENDER = "books@writer.example"
WRITER = "writer@writer.example"
USERNAME = "books"
PASSWORD = "pw-7Hq2-smtp-never-shown"
WAIT = 30  # seconds a test waits for another thread before calling it a failure


# --------------------------------------------------------------------------- the server


class Recorder:
    """An SMTP handler that keeps every accepted message's bytes."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.answers: list[str] = []  # said instead of 250, one per message, first to last
        self.before_accept = lambda: None  # runs before the 250 (a test may block it)
        self.after_accept = lambda: None

    async def handle_DATA(self, server, session, envelope):
        if self.answers:
            return self.answers.pop(0)
        self.before_accept()
        self.messages.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.after_accept()
        return "250 2.0.0 accepted"


def _login_check(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USERNAME.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # the server answers 235 or 535


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start an SMTP server: ``smtp_server(tls=ctx, login=True)``; all stop at teardown."""
    started: list[Controller] = []

    def start(
        tls: ssl.SSLContext | None = None, login: bool = False, implicit_tls: bool = False
    ) -> Controller:
        options = {}
        if tls is not None and implicit_tls:
            options.update(ssl_context=tls)
        elif tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        if login:
            # aiosmtpd only counts STARTTLS as TLS; an implicit-TLS socket is encrypted anyway
            starttls = tls is not None and not implicit_tls
            options.update(authenticator=_login_check, auth_require_tls=starttls)
        controller = Controller(Recorder(), hostname="127.0.0.1", port=_free_port(), **options)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def certificate_authority(tmp_path):
    """A CA made for the test, its PEM file, and a server context with a cert it signed."""
    authority = trustme.CA()
    ca_file = tmp_path / "test-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    return ca_file, server_context


def smtp_settings(port: int, **more) -> dict:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_timeout": 10,
        "statement_from": SENDER,
        "statement_to": (WRITER,),
        **more,
    }


def smtp_env(port: int, **more: str) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT": "10",
        "STATEMENT_FROM": SENDER,
        "STATEMENT_TO": WRITER,
        **more,
    }


def job(ledger: Ledger, port: int, **more) -> Ledger:
    """The ledger as the job sees it: the same database, the SMTP server on ``port``."""
    return Ledger(replace(ledger.settings, **smtp_settings(port, **more)), engine=ledger.engine)


@pytest.fixture
def no_waiting(monkeypatch) -> list[float]:
    """Backoff that records the delays it would wait instead of waiting."""
    slept: list[float] = []
    monkeypatch.setattr(mail, "DEFAULT_RETRY", Retry(sleep=slept.append))
    return slept


def delivery_rows(ledger: Ledger) -> list[tuple[str, int, str, str]]:
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            select(Delivery.recipient, Delivery.attempt, Delivery.state, Delivery.message_id)
            .where(Delivery.month == str(OCTOBER))
            .order_by(Delivery.recipient, Delivery.attempt)
        ).all()
    return [tuple(row) for row in rows]


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


# --------------------------------------------------------------------------- the month


def book_october(ledger: Ledger) -> None:
    """October 2026 in Phoenix: two Zelle gifts (no fee) and a PayPal one with its fee.

    Gross 1,200.00 + 40.00 + 50.00 = 1,290.00; fees 2.24; net 1,287.76.
    """
    for external_id, channel, day, gross, fee in [
        ("z-1", "zelle", 3, "1200.00", "0.00"),
        ("z-2", "zelle", 17, "40.00", "0.00"),
        ("pp-1", "paypal", 20, "50.00", "2.24"),
    ]:
        record_receipt(
            ledger,
            ReceiptEntry(
                channel=channel,
                external_id=external_id,
                occurred_at=dt.datetime(2026, 10, day, 19, 0, tzinfo=dt.UTC),
                gross=Money.of(gross, "USD"),
                fee=Money.of(fee, "USD"),
            ),
        )


def transport_mail() -> StatementMail:
    """A fixed statement for the tests about SMTP alone (content does not matter there)."""
    return StatementMail(
        month=OCTOBER,
        net_total="$1,287.76",
        missing=(),
        text="Net 1,287.76\n",
        html="<p>Net 1,287.76</p>\n",
        csv="section,channel,net\ntotal,all,1287.76\n",
    )


# --------------------------------------------------------------------------- months


def test_previous_month_is_decided_in_the_ledger_timezone(ledger):
    # 05:00 UTC on 1 November is 22:00 on 31 October in Phoenix: still October, so the
    # previous month is September; a day later it is November, and October is due.
    assert previous_month(ledger.settings, dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)) == (
        Month(2026, 9)
    )
    assert previous_month(ledger.settings, dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)) == (
        OCTOBER
    )
    assert previous_month(ledger.settings, dt.datetime(2026, 1, 2, 14, 0, tzinfo=dt.UTC)) == (
        Month(2025, 12)
    )


# --------------------------------------------------------------------------- transport


def test_421_then_250_delivers_once_after_one_backoff(ledger, smtp_server):
    server = smtp_server()
    server.handler.answers.append("421 4.3.0 busy, try again later")
    slept: list[float] = []

    result = deliver(
        job(ledger, server.port), transport_mail(), WRITER, retry=Retry(sleep=slept.append)
    )

    assert result.outcome is Outcome.SENT
    assert len(server.handler.messages) == 1
    assert parsed(server.handler.messages[0])["Message-ID"] == result.message_id
    assert slept == [5.0]
    assert delivery_rows(ledger) == [(WRITER, 1, "sent", result.message_id)]


def test_a_server_that_stays_busy_fails_after_the_backoff_and_records_nothing_sent(
    ledger, smtp_server
):
    server = smtp_server()
    server.handler.answers.extend(["421 4.3.0 busy"] * 4)
    slept: list[float] = []

    with pytest.raises(TemporaryFailure) as failure:
        deliver(job(ledger, server.port), transport_mail(), WRITER, retry=Retry(sleep=slept.append))

    assert slept == [5.0, 20.0, 80.0]  # exponential: x4 each time
    assert "421" in str(failure.value) and "gave up after 4 tries" in str(failure.value)
    assert failure.value.exit_code == 2
    assert server.handler.messages == []
    [(_, _, state, _)] = delivery_rows(ledger)
    assert state == "failed"

    # the next run sends it
    result = deliver(
        job(ledger, server.port), transport_mail(), WRITER, retry=Retry(sleep=slept.append)
    )
    assert result.outcome is Outcome.SENT
    assert len(server.handler.messages) == 1
    assert [row[1:3] for row in delivery_rows(ledger)] == [(1, "failed"), (2, "sent")]


def test_connection_refused_is_temporary(ledger):
    nobody = _free_port()  # nothing listens there
    slept: list[float] = []

    with pytest.raises(TemporaryFailure) as failure:
        deliver(job(ledger, nobody), transport_mail(), WRITER, retry=Retry((1.0,), slept.append))

    assert "cannot connect" in str(failure.value)
    assert slept == [1.0]
    assert [row[2] for row in delivery_rows(ledger)] == ["failed"]


def test_a_refused_login_fails_at_once(ledger, smtp_server):
    server = smtp_server(login=True)
    slept: list[float] = []
    wrong = job(ledger, server.port, smtp_username=USERNAME, smtp_password=Secret("not-it"))

    with pytest.raises(PermanentFailure) as failure:
        deliver(wrong, transport_mail(), WRITER, retry=Retry(sleep=slept.append))

    assert "535" in str(failure.value) and failure.value.exit_code == 3
    assert slept == []
    assert server.handler.messages == []
    assert [row[2] for row in delivery_rows(ledger)] == ["failed"]


def test_starttls_with_a_ca_named_in_the_settings(
    ledger, smtp_server, certificate_authority, caplog
):
    caplog.set_level(logging.DEBUG)
    ca_file, server_context = certificate_authority
    server = smtp_server(tls=server_context, login=True)
    secured = dict(
        smtp_security="starttls",
        smtp_username=USERNAME,
        smtp_password=Secret(PASSWORD),
    )

    # without the CA the job refuses the server's certificate: permanent, and says what to do
    with pytest.raises(PermanentFailure) as failure:
        deliver(job(ledger, server.port, **secured), transport_mail(), WRITER)
    assert "SMTP_CA_FILE" in str(failure.value)
    assert server.handler.messages == []

    result = deliver(
        job(ledger, server.port, smtp_ca_file=ca_file, **secured), transport_mail(), WRITER
    )
    assert result.outcome is Outcome.SENT
    assert PASSWORD not in caplog.text
    assert len(server.handler.messages) == 1
    assert [row[1:3] for row in delivery_rows(ledger)] == [(1, "failed"), (2, "sent")]


def test_implicit_tls_with_the_ssl_setting(ledger, smtp_server, certificate_authority):
    ca_file, server_context = certificate_authority
    server = smtp_server(tls=server_context, login=True, implicit_tls=True)
    secured = job(
        ledger,
        server.port,
        smtp_security="ssl",
        smtp_ca_file=ca_file,
        smtp_username=USERNAME,
        smtp_password=Secret(PASSWORD),
    )

    result = deliver(secured, transport_mail(), WRITER)

    assert result.outcome is Outcome.SENT
    assert parsed(server.handler.messages[0])["Message-ID"] == result.message_id


def test_a_reply_lost_after_the_message_went_out_is_in_doubt(ledger, smtp_server):
    """The bytes reached the server but its answer never came: it may have delivered."""
    server = smtp_server()
    answered = threading.Event()
    server.handler.before_accept = lambda: answered.wait(WAIT)  # silent past SMTP_TIMEOUT
    slept: list[float] = []

    with pytest.raises(DeliveryInDoubt) as doubt:
        deliver(
            job(ledger, server.port, smtp_timeout=1),
            transport_mail(),
            WRITER,
            retry=Retry(sleep=slept.append),
        )
    answered.set()

    [(_, _, state, message_id)] = delivery_rows(ledger)
    assert state == "sending" and message_id in str(doubt.value) and "--resend" in str(doubt)
    assert doubt.value.exit_code == 4
    assert slept == []  # not retried: a retry could be a second copy


def test_two_jobs_at_the_same_moment_send_one_message(ledger, smtp_server):
    server = smtp_server()
    loser_done = threading.Event()
    # the first message waits at the server until the other job has given up, so the
    # second job meets the first one's claim whichever of them wins
    server.handler.before_accept = lambda: loser_done.wait(WAIT)
    start = threading.Barrier(2)
    jobs = [
        Ledger(replace(ledger.settings, **smtp_settings(server.port))),
        Ledger(replace(ledger.settings, **smtp_settings(server.port))),
    ]

    def run(instance: Ledger):
        start.wait(WAIT)
        try:
            return deliver(instance, transport_mail(), WRITER)
        except DeliveryInDoubt as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(run, instance) for instance in jobs]
        first, _ = wait(futures, timeout=WAIT, return_when=FIRST_COMPLETED)
        loser_done.set()
        results = [future.result(timeout=WAIT) for future in futures]
    for instance in jobs:
        instance.engine.dispose()

    assert len(first) == 1 and isinstance(next(iter(first)).result(), DeliveryInDoubt)
    [sent] = [r for r in results if not isinstance(r, Exception)]
    [doubt] = [r for r in results if isinstance(r, Exception)]
    assert sent.outcome is Outcome.SENT
    assert sent.message_id in str(doubt)
    assert len(server.handler.messages) == 1
    assert delivery_rows(ledger) == [(WRITER, 1, "sent", sent.message_id)]


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def october(ledger):
    book_october(ledger)
    return ledger


def test_the_statement_arrives_once_with_both_alternatives_and_the_csv(
    october, cli, smtp_server, monkeypatch
):
    server = smtp_server()
    for name, value in smtp_env(server.port).items():
        monkeypatch.setenv(name, value)

    code, out, err = cli("email-statement", "--month", "2026-10")

    assert (code, err) == (0, "")
    [raw] = server.handler.messages
    assert server.handler.envelopes == [(SENDER, [WRITER])]
    message = parsed(raw)
    assert message["Message-ID"] in out
    assert message["Subject"].startswith("Support statement October 2026: net $1,287.76")
    assert message["From"] == SENDER and message["To"] == WRITER
    assert message["Date"] is not None
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    plain = alternative.get_body(("plain",)).get_content()
    html = alternative.get_body(("html",)).get_content()
    assert "1,287.76" in plain and "1,287.76" in html
    assert attachment.get_filename() == "statement-2026-10.csv"
    assert attachment.get_content_type() == "text/csv"
    csv_text = attachment.get_content()
    if isinstance(csv_text, bytes):
        csv_text = csv_text.decode("utf-8")
    assert csv_text == statement_mail(october, OCTOBER).csv
    cells = {cell for row in csv.reader(io.StringIO(csv_text)) for cell in row}
    assert {"1290.00", "2.24", "1287.76"} <= cells

    # a second run sends nothing and says so
    code, out, err = cli("email-statement", "--month", "2026-10")
    assert code == 0 and "already sent" in out and message["Message-ID"] in out
    assert len(server.handler.messages) == 1
    assert delivery_rows(october) == [(WRITER, 1, "sent", message["Message-ID"])]
    with october.engine.connect() as connection:
        recorded = connection.execute(select(Delivery.sha256, Delivery.sent_at)).one()
    assert recorded.sha256 == hashlib.sha256(raw).hexdigest()  # what the server received
    assert recorded.sent_at is not None

    # --resend sends it again, on purpose, as a new delivery
    code, out, err = cli("email-statement", "--month", "2026-10", "--resend")
    assert code == 0 and "sent statement 2026-10" in out
    assert len(server.handler.messages) == 2
    assert [row[1:3] for row in delivery_rows(october)] == [(1, "sent"), (2, "sent")]


def test_to_overrides_statement_to_and_each_recipient_gets_one_message(
    october, cli, smtp_server, monkeypatch
):
    server = smtp_server()
    for name, value in smtp_env(server.port).items():
        monkeypatch.setenv(name, value)
    accountant = "Accounts <ledger@accountant.example>"

    code, _, err = cli("email-statement", "--month", "2026-10", "--to", WRITER, "--to", accountant)

    assert (code, err) == (0, "")
    assert sorted(rcpts for _, rcpts in server.handler.envelopes) == [
        ["ledger@accountant.example"],
        [WRITER],
    ]
    assert [row[:3] for row in delivery_rows(october)] == [
        ("ledger@accountant.example", 1, "sent"),
        (WRITER, 1, "sent"),
    ]


def test_settings_missing_or_wrong_are_one_line_and_exit_1(october, cli, monkeypatch):
    monkeypatch.setenv("STATEMENT_FROM", SENDER)
    code, _, err = cli("email-statement", "--month", "2026-10")
    assert (code, err) == (
        1,
        "supportledger: STATEMENT_TO is not set (put it in the environment or .env, or --to)\n",
    )

    code, _, err = cli("email-statement", "--month", "2026-10", "--to", "writer")
    assert (code, err) == (1, "supportledger: --to: not an e-mail address: 'writer'\n")

    code, _, err = cli("email-statement", "--month", "2026-10", "--to", WRITER)
    assert (code, err) == (
        1,
        "supportledger: SMTP_HOST is not set (put it in the environment or .env)\n",
    )

    code, _, err = cli("email-statement", "--month", "October")
    assert code == 1 and err.count("\n") == 1 and "--month" in err
    assert delivery_rows(october) == []


def test_dry_run_writes_an_eml_that_parses_and_sends_nothing(october, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("STATEMENT_FROM", SENDER)
    monkeypatch.setenv("STATEMENT_TO", WRITER)
    out_dir = tmp_path / "outbox"

    code, out, err = cli("email-statement", "--month", "2026-10", "--dry-run", str(out_dir))

    assert (code, err) == (0, "")
    eml = out_dir / "statement-2026-10.eml"
    assert f"wrote {eml}" in " ".join(out.split())  # the path whole, on its own line if long
    message = parsed(eml.read_bytes())
    assert message["Subject"].startswith("Support statement October 2026: net $1,287.76")
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "statement-2026-10.csv"
    assert delivery_rows(october) == []


def test_month_with_missing_channels_says_so_or_refuses(october, cli, smtp_server, monkeypatch):
    # PayPal's last export reached 15 October (in Phoenix): the rest of the month is missing
    with october.session() as session:
        session.add(
            ImportBatch(
                source="paypal",
                file_name="paypal-activity.csv",
                sha256="a" * 64,
                channel="paypal",
                covers_from=dt.datetime(2026, 9, 1, 7, 0, tzinfo=dt.UTC),
                covers_to=dt.datetime(2026, 10, 15, 19, 0, tzinfo=dt.UTC),
            )
        )
        session.commit()
    server = smtp_server()
    for name, value in smtp_env(server.port).items():
        monkeypatch.setenv(name, value)
    notice = "PayPal: nothing imported after 2026-10-15"
    assert statement_mail(october, OCTOBER).missing == (notice,)

    code, out, err = cli("email-statement", "--month", "2026-10", "--require-complete")
    assert code == 5
    assert err.count("\n") == 1 and notice in err and "--require-complete" in err
    assert server.handler.messages == [] and delivery_rows(october) == []

    code, out, err = cli("email-statement", "--month", "2026-10")
    assert code == 0 and notice in out
    message = parsed(server.handler.messages[0])
    assert message["Subject"] == "Support statement October 2026: net $1,287.76 (incomplete)"
    for body in (message.get_body(("plain",)), message.get_body(("html",))):
        content = body.get_content()
        # said at the top: before the first table of figures
        assert content.index(notice) < content.lower().index("receipts by channel")


def test_a_refused_login_exits_3_with_one_line_and_never_shows_the_password(
    october, cli, smtp_server, monkeypatch, caplog, no_waiting
):
    caplog.set_level(logging.DEBUG)
    server = smtp_server(login=True)
    for name, value in smtp_env(
        server.port, SMTP_USERNAME=USERNAME, SMTP_PASSWORD=PASSWORD + "-wrong"
    ).items():
        monkeypatch.setenv(name, value)

    code, out, err = cli("email-statement", "--month", "2026-10")

    assert code == 3
    assert err.count("\n") == 1 and "535" in err and "Traceback" not in err
    assert no_waiting == []  # at once: no retry
    assert [row[2] for row in delivery_rows(october)] == ["failed"]
    with october.engine.connect() as connection:
        stored = connection.execute(text("select failure from deliveries")).scalar_one()
    for shown in (out, err, caplog.text, stored):
        assert PASSWORD not in shown


def test_temporary_failure_exits_2_and_the_next_run_sends(
    october, cli, smtp_server, monkeypatch, caplog, no_waiting
):
    server = smtp_server()
    server.handler.answers.extend(["421 4.3.0 busy"] * 4)
    for name, value in smtp_env(server.port, SMTP_PASSWORD=PASSWORD).items():
        monkeypatch.setenv(name, value)

    code, out, err = cli("email-statement", "--month", "2026-10")
    assert code == 2 and err.count("\n") == 1 and "gave up after 4 tries" in err
    assert no_waiting == [5.0, 20.0, 80.0]
    assert PASSWORD not in out + err + caplog.text

    code, out, err = cli("email-statement", "--month", "2026-10")
    assert code == 0 and len(server.handler.messages) == 1


def test_a_stale_sending_claim_is_not_sent_again_until_resend(
    october, cli, smtp_server, monkeypatch
):
    """A job killed after sending leaves a ``sending`` row: the next run must not guess."""
    server = smtp_server()
    for name, value in smtp_env(server.port).items():
        monkeypatch.setenv(name, value)
    with october.engine.begin() as connection:
        connection.execute(
            Delivery.__table__.insert().values(
                month="2026-10",
                recipient=WRITER,
                attempt=1,
                message_id="<statement-2026-10.killed@writer.example>",
                state="sending",
                sha256="0" * 64,
                created_at=dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC),
            )
        )

    code, out, err = cli("email-statement", "--month", "2026-10")

    assert (code, out) == (4, "") and err.count("\n") == 1
    assert "<statement-2026-10.killed@writer.example>" in err and "--resend" in err
    assert server.handler.messages == []

    code, _, err = cli("email-statement", "--month", "2026-10", "--resend")
    assert (code, err) == (0, "") and len(server.handler.messages) == 1
    assert [row[1:3] for row in delivery_rows(october)] == [(1, "sending"), (2, "sent")]


def _hold_deliveries_lock(ledger: Ledger):
    """A connection holding the write lock that marking a delivery "sent" needs."""
    connection = ledger.engine.connect()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("LOCK TABLE deliveries IN EXCLUSIVE MODE")
    return connection


def test_a_job_killed_after_the_server_accepted_does_not_send_twice(
    october, environ, smtp_server, tmp_path
):
    """SIGKILL between the server's 250 and the "sent" mark, then run again."""
    server = smtp_server()
    arrived, locked, accepted = threading.Event(), threading.Event(), threading.Event()

    def before_accept():  # hold the job back from recording, then let the 250 go out
        arrived.set()
        locked.wait(WAIT)

    server.handler.before_accept = before_accept
    server.handler.after_accept = accepted.set
    inherited = {
        k: os.environ[k] for k in ("PATH", "HOME", "LANG", "PYTHONPATH") if k in os.environ
    }
    env = {**inherited, **environ, **smtp_env(server.port)}  # no .env, no stray settings
    command = [sys.executable, "-m", "supportledger", "email-statement", "--month", "2026-10"]
    process = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    lock = None
    try:
        assert arrived.wait(WAIT), process.communicate(timeout=WAIT)
        lock = _hold_deliveries_lock(october)
        locked.set()
        assert accepted.wait(WAIT)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(WAIT)
    finally:
        if lock is not None:
            lock.rollback()
            lock.close()
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    [raw] = server.handler.messages
    delivered_id = parsed(raw)["Message-ID"]
    assert delivery_rows(october) == [(WRITER, 1, "sending", delivered_id)]

    again = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)

    assert again.returncode == 4
    assert again.stderr.count("\n") == 1 and delivered_id in again.stderr
    assert len(server.handler.messages) == 1
    assert delivery_rows(october) == [(WRITER, 1, "sending", delivered_id)]


# --------------------------------------------------------------------------- the host


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("smtp.example.org", "SMTP_HOST: smtp.example.org is a placeholder: name your mail "
                             "server in .env"),
        ("mail.example.com", "SMTP_HOST: mail.example.com is a placeholder: name your mail "
                             "server in .env"),
        ("smtp.nowhere.invalid", "SMTP_HOST: smtp.nowhere.invalid is a placeholder: name your "
                                 "mail server in .env"),
        ("smtp.gone-writer-mail.net", "SMTP_HOST: no such host 'smtp.gone-writer-mail.net': "
                                      "check the name in .env"),
    ],
)  # fmt: skip
def test_a_host_that_cannot_be_a_server_is_a_setting_to_fix_at_once(
    october, cli, monkeypatch, no_waiting, host, why
):
    """.env.example's smtp.example.org used to be tried four times over 1 min 47 s and end
    in "temporary" (exit 2); it and a name that does not exist are mistakes in the settings:
    exit 1 at once, nothing recorded, nothing waited for."""
    real = socket.getaddrinfo

    def resolver(name, *args, **kwargs):
        if name == "smtp.gone-writer-mail.net":  # what a resolver says of a name it lacks
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    for name, value in smtp_env(25, SMTP_HOST=host).items():
        monkeypatch.setenv(name, value)
    code, out, err = cli("email-statement", "--month", "2026-10")
    assert (code, out, err) == (1, "", f"supportledger: {why}\n")
    assert no_waiting == [] and delivery_rows(october) == []


def test_a_resolver_out_of_reach_is_temporary_and_each_retry_is_said_on_a_terminal(
    october, cli, monkeypatch, no_waiting
):
    """A name that cannot be looked up just now (no network) may work later: the retries
    run, and on a terminal each says so on stderr before the final line."""

    def unreachable(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    for name, value in smtp_env(25, SMTP_HOST="smtp.writer-mail.net").items():
        monkeypatch.setenv(name, value)
    code, _, err = cli("email-statement", "--month", "2026-10")
    assert code == 2 and no_waiting == [5.0, 20.0, 80.0]
    said = err.splitlines()
    assert [line.split("; ")[-1] for line in said[:3]] == [
        "trying again in 5.0 s (try 1 of 4)",
        "trying again in 20.0 s (try 2 of 4)",
        "trying again in 80.0 s (try 3 of 4)",
    ]
    assert said[3].endswith("gave up after 4 tries") and len(said) == 4
    assert [row[2] for row in delivery_rows(october)] == ["failed"]


def test_a_certificate_for_another_name_is_refused_at_once_saying_so(
    ledger, smtp_server, certificate_authority
):
    """The server's certificate (for 127.0.0.1) is trusted, but SMTP_HOST names it
    localhost: permanent (exit 3), and the line says which setting to change."""
    ca_file, server_context = certificate_authority
    server = smtp_server(tls=server_context)
    slept: list[float] = []
    named = job(ledger, server.port, smtp_host="localhost", smtp_security="starttls",
                smtp_ca_file=ca_file)  # fmt: skip

    with pytest.raises(PermanentFailure) as failure:
        deliver(named, transport_mail(), WRITER, retry=Retry(sleep=slept.append))

    assert failure.value.exit_code == 3 and slept == []
    assert str(failure.value) == (
        f"localhost:{server.port}: the certificate is not for localhost: set SMTP_HOST to the "
        f"name on it"
    )
    assert server.handler.messages == []


# --------------------------------------------------------------------------- hardening


@pytest.mark.parametrize(
    ("setting", "value"),
    [("SMTP_PASSWORD", "pässwörd-Ω-7Hq2"), ("SMTP_USERNAME", "bööks")],
)
def test_a_non_ascii_login_fails_in_one_line_and_blocks_no_later_run(
    october, cli, smtp_server, monkeypatch, caplog, no_waiting, setting, value
):
    """smtplib sends logins in ASCII: a character outside it was a traceback quoting the
    character, a delivery left ``sending`` and every later run stopped at exit 4."""
    caplog.set_level(logging.DEBUG)
    server = smtp_server(login=True)
    credentials = {"SMTP_USERNAME": USERNAME, "SMTP_PASSWORD": PASSWORD, setting: value}
    for name, given in smtp_env(server.port, **credentials).items():
        monkeypatch.setenv(name, given)

    for _ in range(2):  # the second run is refused the same way, not "in doubt" (exit 4)
        code, out, err = cli("email-statement", "--month", "2026-10")
        assert (code, out) == (3, "") and err.count("\n") == 1, err
        assert "outside ASCII" in err and "Traceback" not in err
        for shown in (err, caplog.text):
            assert not {c for c in value if not c.isascii()} & set(shown)
    assert server.handler.messages == []
    assert [row[1:3] for row in delivery_rows(october)] == [(1, "failed"), (2, "failed")]


@pytest.mark.parametrize(
    "password",
    ["pw  with   repeated    spaces", "long-" + "x7Q" * 100],  # 305 characters
)
def test_a_password_a_server_echoes_is_blanked_before_anything_else_and_never_stored(
    ledger, smtp_server, password
):
    """Spaces were collapsed and lines cut at 200 characters before the password was
    looked for, so these two reached the terminal and ``deliveries.failure``."""
    server = smtp_server()
    server.handler.answers.append(f"554 5.7.1 rejected: {password} is not welcome here")
    sender = job(ledger, server.port, smtp_password=Secret(password))

    with pytest.raises(PermanentFailure) as failure:
        deliver(sender, transport_mail(), WRITER, retry=Retry(sleep=lambda _: None))

    with ledger.engine.connect() as connection:
        stored = connection.execute(text("select failure from deliveries")).scalar_one()
    for shown in (str(failure.value), stored):
        assert "554" in shown and "********" in shown
        assert password not in shown and " ".join(password.split()) not in shown
        assert "x7Qx7Q" not in shown and "repeated" not in shown


def test_one_address_in_two_spellings_is_one_recipient_sent_one_copy(
    october, cli, smtp_server, monkeypatch
):
    server = smtp_server()
    for name, value in smtp_env(server.port, STATEMENT_TO="Writer@Example.org").items():
        monkeypatch.setenv(name, value)
    code, out, err = cli(
        "email-statement", "--month", "2026-10", "--to", "Writer@Example.org",
        "--to", "writer@example.org", "--to", "WRITER@EXAMPLE.ORG",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert len(server.handler.messages) == 1 and out.count("sent statement") == 1

    # a delivery recorded under another spelling (before addresses were compared as one)
    # is the same recipient: already sent
    with october.engine.begin() as connection:
        connection.execute(text("update deliveries set recipient = 'Writer@Example.ORG'"))
    code, out, _ = cli("email-statement", "--month", "2026-10")
    assert code == 0 and "was already sent" in out
    assert len(server.handler.messages) == 1
