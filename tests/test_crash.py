"""Crash safety: an import killed with SIGKILL half-way leaves all of its file or none of it,
and running it again completes it.

(The e-mail job killed between the server's 250 and its "sent" mark is
tests/test_mail.py::test_a_job_killed_after_the_server_accepted_does_not_send_twice.)
"""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import text

import big_files as bf
from supportledger.imports import import_paths

#: rows enough that the import takes seconds, so the kill lands while it writes
ROWS = 20_000


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


@pytest.mark.slow
def test_an_import_killed_half_way_leaves_all_or_nothing_and_runs_again(
    ledger, database_url, tmp_path
):
    path = tmp_path / "Download.CSV"
    expected = bf.write_paypal(path, ROWS)
    url, under_way = bf.watched(database_url)

    process = bf.start_cli(url, "import", str(path), cwd=tmp_path)
    try:
        bf.wait_until(under_way, process)
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
