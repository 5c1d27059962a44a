"""Files readable by their owner only; secrets never shown."""

import logging
import os
import socket
import stat
import traceback

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from supportledger.errors import LedgerError

SMTP_PASSWORD = "pw-Zq83-never-shown"
STRIPE_KEY = "rk_test_never_shown_51Hx"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_sqlite_file_and_its_log_are_private(tmp_path):
    from supportledger.config import load_settings
    from supportledger.ledger import Ledger

    previous = os.umask(0o022)  # a usual umask, which would make files world-readable
    try:
        db = tmp_path / "books" / "ledger.db"
        db.parent.mkdir()  # the folder is the writer's to make (a typo is not a new ledger)
        ledger = Ledger(load_settings({"DATABASE_URL": f"sqlite:///{db}"}, tmp_path / "x"))
        ledger.init()
        with ledger.engine.connect():  # an open connection keeps the WAL file while we look
            assert mode(db) == 0o600
            wal = db.with_name("ledger.db-wal")
            assert wal.exists()
            assert mode(wal) == 0o600
        ledger.engine.dispose()
    finally:
        os.umask(previous)


@pytest.mark.parametrize(
    "args",
    [
        ("init",),
        ("fees", "show"),
        ("receipts", "--format", "json"),
        ("add", "--channel", "zelle", "--amount", "bad", "--date", "2026-10-01"),
        ("receipts", "--month", "nope"),
    ],
)
def test_secrets_never_reach_output_or_logs(cli, monkeypatch, caplog, args):
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("STRIPE_API_KEY", STRIPE_KEY)
    caplog.set_level(logging.DEBUG)
    _, out, err = cli(*args)
    for secret in (SMTP_PASSWORD, STRIPE_KEY):
        assert secret not in out
        assert secret not in err
        assert secret not in caplog.text


# ---------------------------------------------------------------------- mail and sync failing
def _closed_port() -> int:
    """A port nothing listens on once the probe closes."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Accepting:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 accepted"


@pytest.fixture
def smtp_refusing_every_login():
    """An SMTP server on 127.0.0.1 that answers 535 to any user and password."""
    controller = Controller(
        _Accepting(),
        hostname="127.0.0.1",
        port=_closed_port(),
        authenticator=lambda *_: AuthResult(success=False, handled=False),
        auth_require_tls=False,
    )
    controller.start()
    yield controller.port
    controller.stop()


def _chain(exc: BaseException) -> str:
    """Everything an exception could show: its traceback text and, through every cause and
    context (even a suppressed one), each message and repr."""
    shown = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        shown += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(shown)


@pytest.mark.parametrize(
    ("case", "args", "exit_code"),
    [
        ("smtp login refused", ("email-statement", "--month", "2026-10"), 3),
        ("smtp unreachable", ("email-statement", "--month", "2026-10"), 2),
        ("stripe unreachable", ("sync", "stripe"), 1),
    ],
)
def test_secrets_never_shown_when_mail_or_sync_fail(
    cli, monkeypatch, caplog, smtp_refusing_every_login, case, args, exit_code
):
    from supportledger import mail
    from supportledger.cli.app import app

    smtp_port = smtp_refusing_every_login if case == "smtp login refused" else _closed_port()
    settings = {
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "SMTP_USERNAME": "books",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT": "5",
        "STATEMENT_FROM": "books@writer.example",
        "STATEMENT_TO": "writer@writer.example",
        "STRIPE_API_KEY": STRIPE_KEY,
        "STRIPE_API_BASE": f"http://127.0.0.1:{_closed_port()}",
        "STRIPE_LOG": "debug",  # the SDK's own log, on stderr
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(mail, "DEFAULT_RETRY", mail.Retry(sleep=lambda _: None))
    caplog.set_level(logging.DEBUG)

    code, out, err = cli(*args)
    # the error is the last line (STRIPE_LOG puts the SDK's own lines above it)
    assert code == exit_code and "Traceback" not in err, err
    assert err.splitlines()[-1].startswith("supportledger: "), err
    with pytest.raises(LedgerError) as raised:  # the same failure, caught to look inside
        app(args=list(args), standalone_mode=False)
    for secret in (SMTP_PASSWORD, STRIPE_KEY):
        for shown in (out, err, caplog.text, _chain(raised.value)):
            assert secret not in shown
