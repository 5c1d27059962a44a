"""Crash safety: an import killed with SIGKILL half-way leaves all of its file or none of it,
and running it again completes it.

(The e-mail job killed between the server's 250 and its "sent" mark is
tests/test_mail.py::test_a_job_killed_after_the_server_accepted_does_not_send_twice.)
"""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import big_files as bf
from supportledger.imports import import_paths

#: rows enough that the import takes seconds, so the kill lands while it writes
ROWS = 20_000
#: the WAL holds this much of the uncommitted transaction: the import is demonstrably writing
WAL_UNDER_WAY = 1 << 20
#: how long to wait for the import to get under way before giving up (a hang guard only)
GIVE_UP_AFTER = 120.0


def figures(ledger) -> tuple[int, int, int, int]:
    """(receipts, their gross, their fee, import batches) as committed."""
    with ledger.engine.connect() as connection:
        receipts, gross, fee = connection.execute(
            text(
                "select count(*), coalesce(sum(gross_minor), 0), coalesce(sum(fee_minor), 0)"
                " from receipts"
            )
        ).one()
        batches = connection.execute(text("select count(*) from import_batches")).scalar_one()
    return receipts, gross, fee, batches


def wait_until(under_way, process) -> None:
    deadline = time.monotonic() + GIVE_UP_AFTER
    while not under_way():
        assert process.poll() is None, f"the import ended before it could be killed: {process}"
        assert time.monotonic() < deadline, "the import never got under way"
        time.sleep(0.02)


def sqlite_under_way(url: str):
    wal = Path(make_url(url).database + "-wal")
    return lambda: wal.exists() and wal.stat().st_size > WAL_UNDER_WAY


def postgres_under_way(url: str):
    """The child's session (found by its application name) is inserting receipts."""
    name = make_url(url).query["application_name"]
    watcher = create_engine(url.replace(f"application_name={name}", "application_name=watcher"))

    def check() -> bool:
        with watcher.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "select count(*) from pg_stat_activity where application_name = :name"
                        " and xact_start is not null and query ilike 'insert into receipts%'"
                    ),
                    {"name": name},
                ).scalar_one()
            )

    return check


@pytest.mark.slow
def test_an_import_killed_half_way_leaves_all_or_nothing_and_runs_again(
    ledger, database_url, tmp_path
):
    path = tmp_path / "Download.CSV"
    expected = bf.write_paypal(path, ROWS)
    if database_url.startswith("sqlite"):
        url, under_way = database_url, sqlite_under_way(database_url)
    else:
        named = make_url(database_url).update_query_dict(
            {"application_name": f"crash-{uuid.uuid4().hex[:8]}"}
        )
        url = named.render_as_string(hide_password=False)
        under_way = postgres_under_way(url)

    process = bf.start_cli(url, "import", str(path), cwd=tmp_path)
    try:
        wait_until(under_way, process)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL

    receipts, gross, fee, batches = figures(ledger)
    assert (receipts, gross, fee, batches) in {
        (0, 0, 0, 0),
        (expected.rows, expected.gross, expected.fee, 1),
    }

    (report,) = import_paths(ledger, [path])
    assert report.added == expected.rows - receipts
    assert figures(ledger) == (expected.rows, expected.gross, expected.fee, 1)
    # 20,000 donations of $5.00..$54.00 in a cycle of 50: 25,000 + 100 × 1,225 = 147,500
    # cents a cycle, × 400 cycles = $590,000.00
    assert expected.gross == 59_000_000
