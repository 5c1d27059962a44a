"""Hostile and broken files: every importer takes a mutated copy of a valid file whole, or
stops with one line naming the file (and the line) and writes nothing; never a traceback,
never half a file, never a hang.

Each run is checked by :func:`import_whole_or_nothing`: the row counts of every table the
writer touches are taken before, and after a refusal they must be the same; after a success
the money invariants hold, the batch's report adds up, and undoing the batch brings the
counts back (so the next example starts from the same ledger).
"""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

import hostile_files as hf
from conftest import assert_money_invariants
from supportledger.errors import LedgerError
from supportledger.imports import import_paths, undo_batch
from supportledger.models import (
    BankLine,
    ChannelBalance,
    ImportBatch,
    Payout,
    Receipt,
    Subscription,
    Supporter,
    SupporterDetail,
)
from supportledger.sources import RowError

TABLES = (Receipt, Payout, Subscription, BankLine, ChannelBalance, ImportBatch, Supporter,
          SupporterDetail)  # fmt: skip
#: what an undone batch leaves behind on purpose: its own row, and the people it named
KEPT_BY_UNDO = {"import_batches", "supporters", "supporter_details"}
#: a generous bound on one import of a few rows: it catches a hang, it measures nothing
HANG_GUARD = dt.timedelta(seconds=20)
EXAMPLES = 30


def counts(ledger) -> dict[str, int]:
    with ledger.engine.connect() as connection:
        return {
            model.__tablename__: connection.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in TABLES
        }


def import_whole_or_nothing(ledger, path) -> str:
    """Import ``path`` and check the outcome; returns it in a few words for the record."""
    before = counts(ledger)
    try:
        (report,) = import_paths(ledger, [path])
    except LedgerError as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert path.name in message, message
        if isinstance(exc, RowError) and exc.line is not None:
            lines = path.read_bytes().count(b"\n") + 1
            assert 1 <= exc.line <= lines, message
        assert counts(ledger) == before, f"a refused file wrote something: {message}"
        return f"refused: {message}"
    assert_money_invariants(ledger)
    assert report.rows == report.added + report.updated + report.unchanged + report.skipped
    after = counts(ledger)
    if report.already_imported is not None:
        assert after == before
        return "already imported"
    undo_batch(ledger, report.batch_id)
    undone = counts(ledger)
    assert {k: v for k, v in undone.items() if k not in KEPT_BY_UNDO} == {
        k: v for k, v in before.items() if k not in KEPT_BY_UNDO
    }
    return f"imported: {report.added} added, {report.updated} updated, {report.skipped} skipped"


# ---------------------------------------------------------------------- strategies
def present(table: hf.Table, names) -> list[int]:
    """The positions of the columns ``names`` still in ``table`` (a mutation may drop one)."""
    return [i for i, name in enumerate(table[0]) if name in names]


@st.composite
def mutated(draw, sample: hf.Sample) -> bytes:
    """The sample with one to three table mutations, then perhaps one byte mutation."""
    for _ in range(draw(st.integers(1, 3))):
        table = sample.table
        width, height = len(table[0]), len(table)
        row = draw(st.integers(1, height - 1))
        kind = draw(
            st.sampled_from(
                ["drop", "extra", "reorder", "amount", "date", "duplicate", "formula", "nul",
                 "foreign header", "generic columns", "early days"]
            )
        )  # fmt: skip
        if kind == "drop":
            table = hf.drop_column(table, draw(st.integers(0, width - 1)))
        elif kind == "extra":
            table = hf.extra_column(table, draw(st.integers(0, width)))
        elif kind == "reorder":
            table = hf.reorder_columns(table, draw(st.permutations(range(width))))
        elif kind == "amount" and (amounts := present(table, sample.amounts)):
            value = draw(st.sampled_from(hf.HUGE_AMOUNTS + hf.ODD_AMOUNTS))
            table = hf.set_cell(table, row, draw(st.sampled_from(amounts)), value)
        elif kind == "date" and (dates := present(table, [n for n, _ in sample.dates])):
            column = draw(st.sampled_from(dates))
            style = dict(sample.dates)[table[0][column]]
            value = draw(st.sampled_from(hf.BAD_DATES[style]))
            table = hf.set_cell(table, row, column, value)
        elif kind == "duplicate":
            table = hf.duplicate_row(table, row)
        elif kind == "formula" and (names := present(table, sample.names)):
            table = hf.set_cell(table, row, draw(st.sampled_from(names)), hf.FORMULA)
        elif kind == "foreign header" and not sample.binary:
            table = hf.foreign_header(table, hf.csv_neighbour(sample))
        elif kind == "generic columns":
            table = hf.generic_columns(table)
        elif kind == "early days":
            table = hf.early_days(table, sample)
        elif kind == "nul" and not sample.binary:  # a sheet cannot hold a NUL
            column = draw(st.integers(0, width - 1))
            table = hf.set_cell(table, row, column, table[row][column] + "\x00")
        sample = hf.with_table(sample, table)
    content = sample.render(sample.table)
    damage = draw(st.sampled_from(["none", "truncate", "encoding", "nul", "empty"]))
    if damage == "truncate":
        content = hf.truncate(content, draw(st.integers(0, len(content) - 1)))
    elif damage == "encoding" and not sample.binary:
        content = hf.reencode(content, draw(st.sampled_from(hf.ENCODINGS)))
    elif damage == "nul":
        content = hf.insert_nul(content, draw(st.integers(0, len(content))))
    elif damage == "empty":
        content = b""
    return content


@pytest.mark.parametrize("name", hf.SAMPLES)
def test_a_mutated_file_is_imported_whole_or_refused_in_one_line(ledger, tmp_path, name):
    sample = hf.SAMPLES[name]
    examples = count()

    @settings(
        max_examples=EXAMPLES,
        deadline=HANG_GUARD,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(content=mutated(sample))
    def run(content: bytes) -> None:
        import_whole_or_nothing(ledger, sample.write(tmp_path / f"e{next(examples)}", content))

    run()


# ---------------------------------------------------------------------- each case by name
def cases(sample: hf.Sample) -> dict[str, bytes]:
    """Every hostile case once, with fixed choices: the record of the issue's closing note."""
    table, render = sample.table, sample.render
    valid = render(table)
    found = {
        "valid": valid,
        "0-byte file": b"",
        "truncated mid-row": hf.truncate(valid, len(valid) * 2 // 3),
        "NUL byte in a row": hf.insert_nul(valid, len(valid) * 2 // 3),
        "first column missing": render(hf.drop_column(table, 0)),
        "extra column": render(hf.extra_column(table, 1)),
        "columns reversed": render(hf.reorder_columns(table, list(range(len(table[0])))[::-1])),
        "row repeated (same id twice)": render(hf.duplicate_row(table, 1)),
    }
    # a file that is not what it claims
    found["extra generic columns"] = render(hf.generic_columns(table))
    found["dates all <= 12"] = render(hf.early_days(table, sample))
    if not sample.binary and sample.render is not hf._ofx:
        found["another format's header"] = render(
            hf.foreign_header(table, hf.csv_neighbour(sample))
        )
    if not sample.binary:
        found["latin-1"] = hf.reencode(valid, "latin-1")
        found["utf-16"] = hf.reencode(valid, "utf-16")
    for amount in sample.amounts[:1]:
        column = sample.column(amount)
        for value in ("92233720368547758.08", "1" + "0" * 30, "-5.00", "0.00", "5.001"):
            found[f"{amount} = {value}"] = render(hf.set_cell(table, 1, column, value))
    for date, style in sample.dates[:1]:
        for value in hf.BAD_DATES[style][:5]:
            found[f"{date} = {value}"] = render(hf.set_cell(table, 1, sample.column(date), value))
    for name in sample.names[:1]:
        found[f"{name} = formula"] = render(hf.set_cell(table, 1, sample.column(name), hf.FORMULA))
    return found


#: values no importer may take: beyond 2^63 cents or 28 digits; impossible dates, or dates
#: outside the writer's 1900-2999
ALWAYS_REFUSED = (
    "= 92233720368547758.08", "= 1" + "0" * 30, "= 02/30/2026", "= 2026-02-30", "= 20260230",
    "= 00/00/0000", "= 01/01/0000", "= 0000-01-01", "= 00000101", "= 12/31/99999",
    "= 99999-12-31", "= 999991231", "= 2026-13", "= 0000-01", "= 99999-10", "= 2026_FEB30",
    "= 0000_JAN", "= 99999_OCT", "= 0001-01-01", "= 9999-12-31", "= 12/31/9999", "= 00010101",
    "= 99991231", "= 0001-01", "= 0001_JAN",
)  # fmt: skip


@pytest.mark.parametrize("name", hf.SAMPLES)
def test_each_hostile_case_by_name(ledger, tmp_path, name):
    sample = hf.SAMPLES[name]
    contents = cases(sample)
    outcomes = {
        case: import_whole_or_nothing(ledger, sample.write(tmp_path / f"c{i}", content))
        for i, (case, content) in enumerate(contents.items())
    }
    for case, outcome in outcomes.items():
        print(f"{name} | {case} | {outcome}")
    assert outcomes["valid"].startswith("imported"), outcomes["valid"]
    assert outcomes["0-byte file"].startswith("refused"), outcomes["0-byte file"]
    if "another format's header" in outcomes:
        assert outcomes["another format's header"].startswith("refused"), outcomes
    if name == "paypal":  # its days can be either way round: the file must say, or be refused
        assert "--date-order" in outcomes["dates all <= 12"], outcomes["dates all <= 12"]
    elif name in ("chase", "bofa", "capitalone", "citi"):  # US banks write the month first
        assert outcomes["dates all <= 12"].startswith("imported"), outcomes["dates all <= 12"]
    if name in ("chase", "bofa", "capitalone", "usbank", "citi"):  # extra columns change nothing
        assert outcomes["extra generic columns"].startswith("imported"), outcomes
    for case, outcome in outcomes.items():
        if case.endswith(ALWAYS_REFUSED):  # and the message names the line of the value
            value = case.rpartition("= ")[2].encode()
            content = contents[case]
            line = 2 if sample.binary else content[: content.index(value)].count(b"\n") + 1
            assert outcome.startswith("refused") and f"line {line}:" in outcome, (case, outcome)


def test_a_formula_in_a_name_is_stored_as_text_and_neutralised_in_csv(cli, ledger, tmp_path):
    sample = hf.SAMPLES["paypal"]
    table = hf.set_cell(sample.table, 1, sample.column("Name"), hf.FORMULA)
    path = sample.write(tmp_path / "in", sample.render(table))
    code, _, err = cli("import", str(path))
    assert code == 0, err
    with ledger.engine.connect() as connection:
        names = connection.execute(text("select display_name from supporters")).scalars().all()
    assert hf.FORMULA in names  # kept exactly as written: it is a name, not a formula

    code, out, err = cli("receipts", "--month", "2026-10", "--format", "csv")
    assert code == 0, err
    assert "'" + hf.FORMULA.replace('"', '""') in out
    assert "\n=" not in out and ",=" not in out
