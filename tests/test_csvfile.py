import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from supportledger.sources import RowError
from supportledger.sources.csvfile import Amount, CsvFormat, Date, Text


class Sample(CsvFormat):
    name = "sample"
    date = Date("Posting Date", "Date", formats=("%m/%d/%Y", "%Y-%m-%d"))
    amount = Amount("Amount", "Gross")
    memo = Text("Description", required=False, default="")


def write(tmp_path: Path, text: str, name="export.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_are_parsed_by_declared_columns_under_any_known_header(tmp_path):
    path = write(tmp_path, '\ufeff"Date","Gross","Description"\n"10/01/2026","1,560.00","x"\n')
    (row,) = Sample.rows(path)
    assert (row.date, row.amount, row.memo, row.line) == (
        dt.date(2026, 10, 1),
        Decimal("1560.00"),
        "x",
        2,
    )


def test_a_preamble_above_the_header_is_passed_over(tmp_path):
    text = "Account summary\nBeginning balance,100\n\nPosting Date,Amount\n2026-10-02,-5.00\n"
    path = write(tmp_path, text)
    (row,) = Sample.rows(path)
    assert (row.amount, row.memo, row.line) == (Decimal("-5.00"), "", 5)


def test_a_format_claims_a_file_only_with_its_own_preamble(tmp_path):
    text = "Account summary\nBeginning balance,100\n\nPosting Date,Amount\n2026-10-02,-5.00\n"
    path = write(tmp_path, text)
    # lines above the header that are not the format's preamble: not claimed in full
    claim = Sample.claim(path, path.read_bytes())
    assert (claim.complete, claim.line) == (False, 4)
    assert not Sample.identify(path, path.read_bytes())

    class WithSummary(Sample):
        preamble = r"Account summary|Beginning balance,\d+"

    assert WithSummary.identify(path, path.read_bytes())
    assert WithSummary.claim(path, path.read_bytes()).line == 4


def test_a_bad_cell_names_file_line_column_and_value(tmp_path):
    path = write(tmp_path, "Date,Amount\n10/01/2026,5\n10/02/2026,five\n")
    with pytest.raises(RowError) as caught:
        list(Sample.rows(path))
    assert str(caught.value) == "export.csv, line 3: column 'Amount' value 'five': is not an amount"


def test_missing_columns_are_named(tmp_path):
    path = write(tmp_path, "Date,Total\n10/01/2026,5\n")
    assert not Sample.identify(path, path.read_bytes())
    with pytest.raises(RowError, match="missing column"):
        list(Sample.rows(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Date,Amount\n10/01/2026,5\x00\n", "contains a NUL byte"),
        (b'Date,Amount\n10/01/2026,"5\n', "not valid CSV"),
        (b"Date,Amount\n10/01/2026,\xff5\n", "is not utf-8-sig text"),
        (b"", "missing column"),
        (b"Date,Amount,Description\n10/01/2026\n", "has 1 cells"),
    ],
)
def test_broken_files_fail_with_a_precise_message(tmp_path, content, message):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(RowError, match=message):
        list(Sample.rows(path))


def test_a_text_read_before_is_not_parsed_again_and_a_bad_one_still_names_its_line(
    tmp_path, monkeypatch
):
    """Dates and amounts a file repeats are parsed once per text (the same value on every
    row that writes it); a column parsed its own way is read on every row; a bad cell is
    refused on its own line, however many good ones came before."""
    calls = []

    class Counted(Amount):
        def parse(self, text):
            calls.append(text)
            return super().parse(text)

    class Twice(Sample):
        fee = Counted("Fee")

    parsed = []
    date_parse = Date.parse
    monkeypatch.setattr(
        Date, "parse", lambda self, text: parsed.append(text) or date_parse(self, text)
    )
    lines = ["10/01/2026,5.00,0.30", "10/01/2026,5.00,0.30", "10/02/2026,5.00,0.30"]
    path = write(tmp_path, "Date,Amount,Fee\n" + "\n".join(lines) + "\n")
    monkeypatch.setattr(
        "supportledger.sources.csvfile._PURE_PARSES",
        frozenset({Date.parse, Amount.parse}),  # the counting stand-in counts as Date's own
    )
    rows = list(Twice.rows(path))
    assert [(r.date, r.amount, r.fee) for r in rows] == [
        (dt.date(2026, 10, 1), Decimal("5.00"), Decimal("0.30")),
        (dt.date(2026, 10, 1), Decimal("5.00"), Decimal("0.30")),
        (dt.date(2026, 10, 2), Decimal("5.00"), Decimal("0.30")),
    ]
    assert parsed == ["10/01/2026", "10/02/2026"]
    assert calls == ["0.30"] * 3
    bad = write(tmp_path, "Date,Amount\n" + "10/01/2026,5.00\n" * 3 + "10/01/2026,5.0O\n")
    with pytest.raises(RowError) as caught:
        list(Sample.rows(bad))
    assert (caught.value.line, caught.value.value) == (5, "5.0O")
