"""Files readable by their owner only; secrets never shown."""

import logging
import os
import stat

import pytest

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
