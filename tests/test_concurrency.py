"""An import and statements at the same time: each statement sees none of the file or all of
it, never part (SQLite in WAL mode with a busy timeout; PostgreSQL).

(Two imports of the same file at the same moment adding it once is
tests/test_imports.py::test_two_imports_of_one_file_at_once_add_it_once.)
"""

from __future__ import annotations

import pytest

import big_files as bf
import paypal_export as pp
from supportledger.imports import import_paths
from supportledger.months import Month
from supportledger.statement import monthly_statement

OCTOBER = Month(2026, 10)
ROWS = 20_000


def october_totals(ledger) -> tuple[int, int, int, int]:
    """The statement's October totals: receipts, gross, fees, net (in cents)."""
    figures = monthly_statement(ledger, OCTOBER).totals.figures
    return figures.count, figures.gross.minor, figures.fees.minor, figures.net.minor


@pytest.mark.slow
def test_statements_during_an_import_see_none_or_all_of_it(ledger, database_url, tmp_path):
    import_paths(ledger, [pp.write(tmp_path / "first.csv", pp.OCTOBER)])
    before = october_totals(ledger)
    # the hand-worked October file (tests/paypal_export.py): 6 payments grossing 1,204.00
    # (1,020 + 5 + 5 + 54 + 20 + 100), fees 45.70, net of the 20.00 refund 1,138.30
    assert before == (6, 120400, 4570, 113830)

    path = tmp_path / "Download.CSV"
    big = bf.write_paypal(path, ROWS)
    after = (before[0] + big.rows, before[1] + big.gross, before[2] + big.fee,
             before[3] + big.gross - big.fee)  # fmt: skip

    url, under_way = bf.watched(database_url)
    process = bf.start_cli(url, "import", str(path), cwd=tmp_path)
    seen, during = [], 0
    try:
        bf.wait_until(under_way, process)
        while process.poll() is None:
            seen.append(october_totals(ledger))
            during += process.poll() is None
        _, err = process.communicate(timeout=bf.GIVE_UP_AFTER)
    finally:
        process.kill()
    assert process.returncode == 0, err
    seen.append(october_totals(ledger))

    assert during >= 1, "no statement was computed while the import ran"
    assert set(seen) <= {before, after}, set(seen) - {before, after}
    assert seen[0] == before and seen[-1] == after
