"""XLSX workbooks read through the same declared columns as CSV files, streamed, exact.

openpyxl's read-only mode streams a sheet's XML; its parser would turn every number into
a float, so :func:`_exact_cells` keeps the digits as written in the file (a ``Decimal``):
a royalty of 1.46 stays 1.46. Dates stay dates. Each record is handed to
:meth:`CsvFormat.parse_records` as text, so header spellings, preambles and error messages
are the CSV reader's own.

openpyxl is imported only when a workbook is opened: the KDP and ACX channels load this
module, and a statement or a CSV import must not pay for it.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import islice
from pathlib import Path
from typing import ClassVar

from supportledger.sources import RowError
from supportledger.sources.csvfile import Claim, CsvFormat, Row

_ZIP_MAGIC = b"PK\x03\x04"


def is_xlsx(head: bytes) -> bool:
    return head.startswith(_ZIP_MAGIC)


@cache
def _exact_cells() -> type:
    """openpyxl's sheet parser, keeping numbers as the exact digits stored in the file
    (made on first use, so that openpyxl is imported only then)."""
    from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser

    class ExactCells(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["data_type"] == "n" and cell["value"] is not None:
                try:
                    cell["value"] = Decimal(element.findtext(VALUE_TAG))
                except InvalidOperation:
                    cell["value"] = element.findtext(VALUE_TAG)
            return cell

    return ExactCells


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Workbook:
    """A workbook opened read-only; :meth:`records` streams a sheet as text records."""

    def __init__(self, path: Path) -> None:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        self.path = path
        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            raise RowError(path, None, f"is not a readable XLSX workbook ({exc})") from None

    @property
    def sheet_names(self) -> list[str]:
        return self._book.sheetnames

    def records(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells)`` of ``sheet``; short rows are padded to the widest so far."""
        worksheet = self._book[sheet]
        # openpyxl's read-only sheet exposes its XML stream only through these internals
        with worksheet._get_source() as source:
            parser = _exact_cells()(
                source,
                worksheet._shared_strings,
                data_only=True,
                epoch=self._book.epoch,
                date_formats=self._book._date_formats,
                timedelta_formats=self._book._timedelta_formats,
            )
            width = 0
            for number, cells in parser.parse():
                width = max(width, max((cell["column"] for cell in cells), default=0))
                record = [""] * width
                for cell in cells:
                    record[cell["column"] - 1] = _text(cell["value"])
                yield number, record

    def close(self) -> None:
        self._book.close()


@contextmanager
def open_workbook(path: Path) -> Iterator[Workbook]:
    book = Workbook(path)
    try:
        yield book
    finally:
        book.close()


class SheetFormat(CsvFormat):
    """Declared columns read from a workbook's sheet, or from a CSV with the same header."""

    #: the sheets that hold the rows, by preference; when none is present, the first sheet
    sheets: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def sheet_in(cls, book: Workbook) -> str:
        return next((s for s in cls.sheets if s in book.sheet_names), book.sheet_names[0])

    @classmethod
    def _is_xlsx(cls, path: Path) -> bool:
        with Path(path).open("rb") as handle:
            return is_xlsx(handle.read(len(_ZIP_MAGIC)))

    #: reports write their title and period above the header
    preamble: ClassVar[str | None] = r".*"

    @classmethod
    def claim(cls, path: Path, head: bytes) -> Claim | None:
        if not is_xlsx(head):
            return super().claim(path, head)
        try:
            top = cls.top_records(path)
        except RowError:
            return None
        return cls.claim_records([record for _, record in top])

    @classmethod
    def rows(cls, path: Path) -> Iterator[Row]:
        if not cls._is_xlsx(path):
            yield from super().rows(path)
            return
        with open_workbook(path) as book:
            yield from cls.parse_records(path, book.records(cls.sheet_in(book)))

    @classmethod
    def top_records(cls, path: Path, sheet: str | None = None) -> list[tuple[int, list[str]]]:
        """The first records of the file (of ``sheet``, else the rows' sheet): the preamble
        and the header, where reports write their period."""
        count = cls.max_preamble + 1
        if not cls._is_xlsx(path):
            with Path(path).open(encoding=cls.encoding, errors="replace", newline="") as handle:
                reader = csv.reader(handle, delimiter=cls.delimiter)
                return [(reader.line_num, record) for record in islice(reader, count)]
        with open_workbook(path) as book:
            if sheet is not None and sheet not in book.sheet_names:
                return []
            return list(islice(book.records(sheet or cls.sheet_in(book)), count))
