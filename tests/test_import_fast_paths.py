"""The import's fast paths on each database: rows handed to the driver as plain tuples
(executemany on SQLite, COPY on PostgreSQL), keys looked up a chunk at a time, the
journal read back a chunk at a time. What they store is what the slow way stored."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

import paypal_export as pp
from supportledger import imports
from supportledger.db import insert_rows, refresh_statistics
from supportledger.imports import import_paths
from supportledger.models import Posting, Receipt, Supporter
from test_imports import snapshot

RECEIPTS = Receipt.__table__
POSTINGS = Posting.__table__
#: what COPY's text format and SQL quoting treat specially, and what is not ASCII
AWKWARD = [
    "Tab\there",
    'Quote "Bo" O\'Brien',
    "Back\\slash \\N \\.",
    "Line\nbreak",
    "Zoë Ångström 李小龍 🙂",
    "Comma, semicolon; pipe |",
]


def donation(number: int, name: str, gross: str, fee: str, net: str, **kw) -> dict:
    return pp.row("10/20/2026", f"10:{number:02d}:00", name, "Donation Received", "Completed",
                  kw.pop("currency", "USD"), gross, fee, net, f"p{number}@example.org",
                  f"FAST{number:013d}", **kw)  # fmt: skip


def rows_of(ledger, *columns) -> list[tuple]:
    with ledger.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(*columns).order_by(columns[0]))]


def test_names_and_titles_reach_the_database_as_written(ledger, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 4)  # several chunks, each its own COPY
    lines = []
    for number, text in enumerate(AWKWARD):
        line = donation(number, text, "10.00", "-0.84", "9.16")
        line["Item Title"] = text
        lines.append(line)
    (report,) = import_paths(ledger, [pp.write(tmp_path / "awkward.csv", lines)])
    assert (report.rows, report.added) == (len(AWKWARD), len(AWKWARD))
    assert [d for (_, d) in rows_of(ledger, RECEIPTS.c.external_id, RECEIPTS.c.description)] == (
        AWKWARD
    )
    names = {n for (n,) in rows_of(ledger, Supporter.__table__.c.display_name)}
    assert names == {" ".join(text.split()) for text in AWKWARD}  # a name's spacing is tidied


def test_amounts_in_every_spelling_are_booked_to_the_cent(ledger, tmp_path):
    lines = [
        donation(1, "Ana", "1,234.56", "-43.58", "1,190.98"),
        donation(2, "Bo", "0.50", "-0.50", "0.00"),
        donation(3, "Cy", "(12.00)", "0.00", "(12.00)", impact="Debit"),
        donation(4, "Di", "7", "-0.73", "6.27"),
        donation(5, "Ed", "20.00", "-1.19", "18.81", currency="EUR"),
    ]
    lines[2]["Type"] = "Payment Refund"
    lines[2]["Reference Txn ID"] = lines[0]["Transaction ID"]
    import_paths(ledger, [pp.write(tmp_path / "amounts.csv", lines)], rates={"EUR": Decimal("1.1")})
    booked = rows_of(
        ledger, RECEIPTS.c.external_id, RECEIPTS.c.currency, RECEIPTS.c.gross_minor,
        RECEIPTS.c.fee_minor, RECEIPTS.c.net_minor, RECEIPTS.c.fx_rate,
    )  # fmt: skip
    assert booked == [
        ("FAST0000000000001", "USD", 123456, 4358, 119098, None),
        ("FAST0000000000002", "USD", 50, 50, 0, None),
        ("FAST0000000000003", "USD", -1200, 0, -1200, None),
        ("FAST0000000000004", "USD", 700, 73, 627, None),
        ("FAST0000000000005", "EUR", 2000, 119, 1881, "1.1"),
    ]
    # the euro donation is valued in dollars at the rate given: 20.00 EUR is 22.00 USD
    with ledger.engine.connect() as connection:
        income = connection.execute(
            select(POSTINGS.c.amount_minor, POSTINGS.c.value_minor)
            .join(RECEIPTS, RECEIPTS.c.id == POSTINGS.c.source_id)
            .where(POSTINGS.c.source == "receipt", POSTINGS.c.leg == 0)
            .where(RECEIPTS.c.external_id == "FAST0000000000005")
        ).one()
    assert tuple(income) == (-2000, -2200)


def test_an_overlapping_download_across_chunks_adds_each_receipt_once(
    ledger, tmp_path, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK", 3)
    lines = [donation(n, f"Payer {n}", "5.00", "-0.66", "4.34") for n in range(1, 11)]
    import_paths(ledger, [pp.write(tmp_path / "first.csv", lines[:7])])
    before = rows_of(ledger, RECEIPTS.c.id, RECEIPTS.c.external_id)
    (report,) = import_paths(ledger, [pp.write(tmp_path / "later.csv", lines[4:])])
    assert (report.added, report.unchanged) == (3, 3)
    after = rows_of(ledger, RECEIPTS.c.id, RECEIPTS.c.external_id)
    assert after[:7] == before
    assert [e for _, e in after] == [f"FAST{n:013d}" for n in range(1, 11)]
    with ledger.engine.connect() as connection:
        legs = connection.execute(
            select(POSTINGS.c.source_id).where(POSTINGS.c.source == "receipt")
        ).all()
    assert len(legs) == 3 * 10  # gross, fee and net of each receipt, never twice


def test_a_bad_row_after_chunks_were_copied_leaves_nothing(ledger, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)
    import_paths(
        ledger, [pp.write(tmp_path / "first.csv", [donation(1, "Ana", "5.00", "-0.66", "4.34")])]
    )
    before = snapshot(ledger)
    lines = [donation(n, f"Payer {n}", "5.00", "-0.66", "4.34") for n in range(2, 9)]
    lines[5]["Gross"] = "5.0O"  # line 7, after three chunks went to the database
    with pytest.raises(imports.RowError, match=r"bad.csv, line 7: column 'Gross'"):
        import_paths(ledger, [pp.write(tmp_path / "bad.csv", lines)])
    assert snapshot(ledger) == before


def _posting(source_id: int, leg: int, **kw) -> dict:
    return {
        "source": "receipt", "source_id": source_id, "leg": leg,
        "occurred_at": dt.datetime(2026, 10, 2, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
        "month": 202610, "cleared": leg % 2 == 0, "account_id": 1, "kind": "one_time",
        "currency": "USD", "amount_minor": 10**15 - leg, "value_minor": -(10**15) + leg,
        "payment": leg, "audit_minor": None if leg else -3, **kw,
    }  # fmt: skip


def test_insert_rows_stores_what_insert_stores(ledger):
    """Instants in another zone, booleans, big integers and nulls: the same columns, bound
    the same way, whichever road the rows took."""
    from supportledger.journal import Journal

    columns = [c for c in POSTINGS.c if c.name not in ("id", "source_id")]
    with ledger.engine.connect() as connection:
        account = Journal(connection, ledger.currency, ledger.tz).account_id("bank", None)
        slow = [_posting(1, leg, account_id=account) for leg in range(3)]
        fast = [_posting(2, leg, account_id=account) for leg in range(3)]
        connection.execute(insert(POSTINGS), slow)
        insert_rows(connection, POSTINGS, fast)
        stored = {
            source_id: [tuple(r) for r in connection.execute(
                select(*columns).where(POSTINGS.c.source_id == source_id)
                .order_by(POSTINGS.c.leg))]
            for source_id in (1, 2)
        }  # fmt: skip
        connection.rollback()
    assert stored[1] == stored[2]
    assert stored[2][0][columns.index(POSTINGS.c.occurred_at)] == dt.datetime(
        2026, 10, 3, 6, 30, tzinfo=dt.UTC
    )


def test_a_clash_in_insert_rows_is_sqlalchemys_error(ledger):
    """A duplicate key met by executemany or COPY is raised as SQLAlchemy's IntegrityError
    (what the writer's callers and the retry on a clash know), and the transaction is
    rolled back whole."""
    row = {
        "channel": "paypal", "external_id": "DUP", "kind": "one_time", "event": "payment",
        "status": "completed", "occurred_at": dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
        "currency": "USD", "gross_minor": 500, "fee_minor": 66, "net_minor": 434, "flags": "",
        "description": "",
    }  # fmt: skip
    with ledger.engine.connect() as connection:
        with pytest.raises(IntegrityError):
            insert_rows(connection, RECEIPTS, [row, dict(row)])
        connection.rollback()
    assert rows_of(ledger, RECEIPTS.c.id) == []


def test_a_remembered_bind_keeps_apart_the_hour_a_clock_change_repeats():
    """insert_rows remembers each column's bind processing per value; 01:30 before and after
    New York's clocks go back compare equal in Python, yet are an hour apart."""
    from zoneinfo import ZoneInfo

    from supportledger.db import _remembered

    offset = _remembered(lambda value: value.utcoffset())
    before = dt.datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    after = before.replace(fold=1)
    assert before == after
    assert (offset(before), offset(after)) == (dt.timedelta(hours=-4), dt.timedelta(hours=-5))


def test_an_instant_is_written_to_sqlite_as_sqlalchemy_writes_it():
    """insert_rows writes a UTC instant to SQLite in one call; it is the text SQLAlchemy's
    own processing makes, whatever the zone, the fold or the microseconds, and a naive
    time is refused as the column refuses it."""
    from zoneinfo import ZoneInfo

    from sqlalchemy.dialects import sqlite

    from supportledger.db import _sqlite_utc_text, _utc_on_sqlite

    dialect = sqlite.dialect()
    column = RECEIPTS.c.occurred_at
    assert _utc_on_sqlite(column, dialect)
    assert not _utc_on_sqlite(RECEIPTS.c.due_on, dialect)
    slow = column.type._cached_bind_processor(dialect)
    new_york = ZoneInfo("America/New_York")
    instants = [
        dt.datetime(2026, 11, 1, 1, 30, tzinfo=new_york),
        dt.datetime(2026, 11, 1, 1, 30, tzinfo=new_york, fold=1),
        dt.datetime(2016, 11, 1, 0, 45, 57, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
        dt.datetime(2026, 3, 3, 3, 3, 3, 123456, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=ZoneInfo("Asia/Kolkata")),
        None,
    ]
    assert [_sqlite_utc_text(when) for when in instants] == [slow(when) for when in instants]
    assert _sqlite_utc_text(instants[0]) == "2026-11-01 05:30:00.000000"
    with pytest.raises(ValueError, match="naive"):
        _sqlite_utc_text(dt.datetime(2026, 1, 1))


def test_insert_rows_refuses_rows_that_leave_out_a_defaulted_column(ledger):
    """insert() fills a column's Python-side default; plain tuples cannot, so leaving one
    out is refused rather than stored as NULL."""
    from supportledger.journal import Journal

    with ledger.engine.connect() as connection:
        account = Journal(connection, ledger.currency, ledger.tz).account_id("bank", None)
        row = _posting(1, 0, account_id=account)
        del row["cleared"]
        with pytest.raises(ValueError, match=r"leave out \['cleared'\]"):
            insert_rows(connection, POSTINGS, [row])
        connection.rollback()


def test_an_import_leaves_postgresql_the_statistics_it_plans_by(ledger, tmp_path):
    lines = [donation(n, f"Reader {n}", "10.00", "-0.84", "9.16") for n in range(12)]
    import_paths(ledger, [pp.write(tmp_path / "twelve.csv", lines)])
    if ledger.engine.dialect.name != "postgresql":  # SQLite plans from its indexes alone
        assert refresh_statistics(ledger.engine, 12) == []
        return
    with ledger.engine.connect() as connection:
        estimate = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass('receipts')"
        ).scalar_one()
    assert estimate == 12  # the import analysed the table it grew
    # one more row is not a tenth of twelve receipts; the tables still empty are analysed
    stale = refresh_statistics(ledger.engine, 1)
    assert "receipts" not in stale and "postings" not in stale
    assert "bank_lines" in stale and "payouts" in stale
