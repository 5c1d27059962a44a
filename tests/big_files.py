"""Big PayPal downloads written row by row (never held whole), and the CLI run in a child.

Every row is a $5.00..$54.00 donation from one of a few hundred payers, with PayPal's
fee (3.49% + $0.49) written out, so a file of ``rows`` rows adds exactly ``rows`` receipts
whose gross, fee and net totals :func:`totals` works out as the rows are written.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import paypal_export as pp

PAYERS = 300
START = dt.datetime(2026, 10, 1, 8, 0)


@dataclass
class Totals:
    rows: int = 0
    gross: int = 0
    fee: int = 0


def _fee(gross: int) -> int:
    """PayPal's 3.49% + $0.49, half-up to the cent, in cents."""
    percent = (Decimal(gross) * Decimal("0.0349")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(percent) + 49


def _cents(value: int) -> str:
    return f"{'-' if value < 0 else ''}{abs(value) // 100}.{abs(value) % 100:02d}"


def write_paypal(path: Path, rows: int, first: int = 0) -> Totals:
    """A download of ``rows`` donations in October 2026 (a minute apart, cycling), their
    transaction ids numbered from ``first``."""
    totals = Totals()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, pp.HEADER, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writeheader()
        for n in range(rows):
            gross = 500 + (n % 50) * 100
            fee = _fee(gross)
            when = START + dt.timedelta(minutes=n % (28 * 24 * 60))
            payer = n % PAYERS
            writer.writerow(
                pp.row(when.strftime("%m/%d/%Y"), when.strftime("%H:%M:%S"), f"Reader {payer}",
                       "Donation Received", "Completed", "USD", _cents(gross), _cents(-fee),
                       _cents(gross - fee), f"reader{payer}@example.org", f"BIG{first + n:014d}")
            )  # fmt: skip
            totals.rows += 1
            totals.gross += gross
            totals.fee += fee
    return totals


def write_paypal_of_size(path: Path, megabytes: float, first: int = 0) -> Totals:
    """A download of about ``megabytes`` MB (a row is about 200 bytes)."""
    return write_paypal(path, int(megabytes * 1_000_000) // 200, first)


def cli_env(database_url: str) -> dict[str, str]:
    """The environment of a child ``python -m supportledger``: the test's ledger only."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMTP_", "STATEMENT_", "STRIPE_", "DATABASE_", "LEDGER_"))
    }
    env.update(DATABASE_URL=database_url, LEDGER_TIMEZONE="America/Phoenix", BASE_CURRENCY="USD")
    # a smaller download's days are all 12 or less: the writer of a US account says so once
    env.update(DATE_ORDER="paypal=mdy")
    return env


def start_cli(database_url: str, *args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "supportledger", *args],
        env=cli_env(database_url),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# ---------------------------------------------------------------------- watching a child import
#: the WAL holds this much of the uncommitted transaction: the import is demonstrably writing
WAL_UNDER_WAY = 1 << 20
#: how long to wait for an import to get under way before giving up (a hang guard only)
GIVE_UP_AFTER = 120.0


def watched(database_url: str) -> tuple[str, Callable[[], bool]]:
    """The URL a child should use, and a check that its import is under way (writing, not
    committed): on SQLite its WAL has grown; on PostgreSQL its session, found by its
    application name, is inserting (or copying) receipts inside a transaction."""
    if database_url.startswith("sqlite"):
        wal = Path(make_url(database_url).database + "-wal")
        return database_url, lambda: wal.exists() and wal.stat().st_size > WAL_UNDER_WAY
    name = f"child-{uuid.uuid4().hex[:8]}"
    url = make_url(database_url).update_query_dict({"application_name": name})
    watcher = create_engine(database_url, poolclass=NullPool)  # no connection outlives a look

    def under_way() -> bool:
        with watcher.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "select count(*) from pg_stat_activity where application_name = :name"
                        " and xact_start is not null"
                        " and (query ilike 'insert into receipts%' or query ilike 'copy receipts%')"
                    ),
                    {"name": name},
                ).scalar_one()
            )

    return url.render_as_string(hide_password=False), under_way


def wait_until(under_way: Callable[[], bool], process: subprocess.Popen) -> None:
    deadline = time.monotonic() + GIVE_UP_AFTER
    while not under_way():
        assert process.poll() is None, "the import ended before it was seen under way"
        assert time.monotonic() < deadline, "the import never got under way"
        time.sleep(0.02)
