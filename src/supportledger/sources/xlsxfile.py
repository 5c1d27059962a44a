"""XLSX workbooks read through the same declared columns as CSV files, streamed, exact,
within a memory budget.

openpyxl's parser would turn every number into a float, so :func:`_exact_cells` keeps the
digits as written in the file (a ``Decimal``): a royalty of 1.46 stays 1.46. Dates stay
dates. Each record is handed to :meth:`CsvFormat.parse_records` as text, so header
spellings, preambles and error messages are the CSV reader's own.

A workbook is a zip of XML parts, and a few megabytes of it can expand to gigabytes. Before
anything is decompressed, :func:`_check_budget` reads the zip's directory and refuses a
workbook with too many parts, or whose parts say they expand beyond what a royalty report
needs (:data:`MAX_PART_BYTES` for a part read whole, such as the shared strings, and
:data:`MAX_SHEET_BYTES` for a sheet, which is streamed). A sheet is then read a cell at a
time, each element dropped once read, and a row of more than :data:`MAX_ROW_CELLS` cells is
refused as it is read. Whatever else is wrong inside the zip (XML that does not parse, a
shared string that is not there, a cell reference that is not one) is one line naming the
file and the part.

openpyxl is imported only when a workbook is opened: the KDP and ACX channels load this
module, and a statement or a CSV import must not pay for it.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import islice
from pathlib import Path
from typing import ClassVar

from supportledger.sources import RowError
from supportledger.sources.csvfile import Claim, CsvFormat, Row, bounded_lines

_ZIP_MAGIC = b"PK\x03\x04"
#: the zip's directory (a few dozen parts in a real workbook): bounded before it is read
MAX_DIRECTORY_BYTES = 1 << 20
#: what a part read whole (shared strings, styles, the workbook's list of sheets) may expand
#: to: a royalty report's take a few kilobytes
MAX_PART_BYTES = 4 << 20
#: what a sheet may expand to (it is streamed: this bounds time, not memory)
MAX_SHEET_BYTES = 64 << 20
#: cells a row may have: an export has a few dozen columns, and Excel at most 16,384
MAX_ROW_CELLS = 1024
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
#: what openpyxl and the XML parser raise on a workbook broken inside a valid zip
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    OverflowError,
    SyntaxError,  # xml.etree's ParseError
)


def is_xlsx(head: bytes) -> bool:
    return head.startswith(_ZIP_MAGIC)


@contextmanager
def _readable(path: Path, part: str | None = None) -> Iterator[None]:
    """Turn what a broken workbook raises into one line naming the file (and the part)."""
    try:
        yield
    except _BROKEN as exc:
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        where = f"{part}: " if part else ""
        raise RowError(path, None, f"is not a readable XLSX workbook ({where}{reason})") from None


def _check_budget(path: Path) -> None:
    """Refuse, before decompressing anything, a workbook whose zip directory or parts are
    larger than a report needs (the directory's size is read from its end record, so a
    directory of a million entries is never parsed)."""
    with Path(path).open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - (22 + 0xFFFF)))
        tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    if end >= 0 and len(tail) - end >= 22:
        (directory_bytes,) = struct.unpack("<I", tail[end + 12 : end + 16])
        if directory_bytes > MAX_DIRECTORY_BYTES:
            raise RowError(path, None, "is not a royalty report: its zip holds too many parts")
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            limit = MAX_SHEET_BYTES if _SHEET_PART.fullmatch(info.filename) else MAX_PART_BYTES
            if info.file_size > limit:
                raise RowError(
                    path,
                    None,
                    f"is not a royalty report: its part {info.filename} expands to "
                    f"{info.file_size:,} bytes (at most {limit:,} are read)",
                )


@cache
def _exact_cells() -> type:
    """openpyxl's sheet parser, keeping numbers as the exact digits stored in the file and
    reading a cell at a time (made on first use, so that openpyxl is imported only then)."""
    from openpyxl.worksheet._reader import (
        CELL_TAG,
        ROW_TAG,
        VALUE_TAG,
        WorkSheetParser,
        iterparse,
    )

    # a date serial out of range becomes "#VALUE!", which the date column refuses by itself
    warnings.filterwarnings("ignore", module=r"openpyxl\.")

    class ExactCells(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["data_type"] == "n" and cell["value"] is not None:
                try:
                    cell["value"] = Decimal(element.findtext(VALUE_TAG))
                except InvalidOperation:
                    cell["value"] = element.findtext(VALUE_TAG)
            return cell

        def rows(self, path: Path) -> Iterator[tuple[int, list[dict]]]:
            """``(row number, cells)``, streamed: every element is removed from the tree
            once read (a cell once parsed), so memory holds one row of at most
            :data:`MAX_ROW_CELLS` cells, whatever the sheet's size."""
            open_elements, cells = [], []
            for event, element in iterparse(self.source, events=("start", "end")):
                if event == "start":
                    if element.tag == ROW_TAG:
                        number = element.get("r")
                        self.row_counter = int(number) if number else self.row_counter + 1
                        self.col_counter, cells = 0, []
                    open_elements.append(element)
                    continue
                open_elements.pop()
                if element.tag == CELL_TAG:
                    cell = self.parse_cell(element)
                    if len(cells) == MAX_ROW_CELLS or cell["column"] > MAX_ROW_CELLS:
                        raise RowError(
                            path,
                            self.row_counter,
                            f"has cells beyond column {MAX_ROW_CELLS}: not an export",
                        )
                    cells.append(cell)
                elif element.tag == ROW_TAG:
                    yield self.row_counter, cells
                elif any(e.tag == CELL_TAG for e in open_elements):
                    continue  # a cell's value: read with its cell
                if open_elements:
                    open_elements[-1].remove(element)

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
    """A workbook opened within its budget; :meth:`records` streams a sheet as text records.

    Only what the rows need is read: the shared strings, the list of sheets and the styles
    (which cells are dates). openpyxl's worksheets are not made: each would scan its whole
    sheet when opened."""

    def __init__(self, path: Path) -> None:
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet

        self.path = path
        with _readable(path):
            _check_budget(path)
        self._handle = Path(path).open("rb")  # noqa: SIM115  (closed by close())
        try:
            with _readable(path):
                reader = ExcelReader(self._handle, read_only=True, data_only=True)
                reader.read_manifest()
                reader.read_strings()
                reader.read_workbook()
                apply_stylesheet(reader.archive, reader.wb)
                self._parts = {
                    sheet.name: rel.target
                    for sheet, rel in reader.parser.find_sheets()
                    if rel.target in reader.valid_files and "chartsheet" not in rel.Type
                }
            if not self._parts:
                raise RowError(path, None, "is not a readable XLSX workbook (it has no sheet)")
        except BaseException:
            self._handle.close()
            raise
        self._reader = reader

    @property
    def sheet_names(self) -> list[str]:
        return list(self._parts)

    def records(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells)`` of ``sheet``; short rows are padded to the widest so far."""
        part, book = self._parts[sheet], self._reader.wb
        with _readable(self.path, part):
            source = self._reader.archive.open(part)
        with source:
            rows = _exact_cells()(
                source,
                self._reader.shared_strings,
                data_only=True,
                epoch=book.epoch,
                date_formats=book._date_formats,
                timedelta_formats=book._timedelta_formats,
            ).rows(self.path)
            width = 0
            while True:
                with _readable(self.path, part):
                    found = next(rows, None)
                if found is None:
                    return
                number, cells = found
                width = max(width, max((cell["column"] for cell in cells), default=0))
                record = [""] * width
                for cell in cells:
                    record[cell["column"] - 1] = _text(cell["value"])
                yield number, record

    def close(self) -> None:
        self._reader.archive.close()
        self._handle.close()


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
        """How much of the file is this format's. A workbook broken inside its zip, or
        beyond its budget, is refused here with what is wrong: no format could read it, and
        "not a format supportledger recognises" would not say why."""
        if not is_xlsx(head):
            return super().claim(path, head)
        return cls.claim_records([record for _, record in cls.top_records(path)])

    @classmethod
    def rows(cls, path: Path) -> Iterator[Row]:
        if not cls._is_xlsx(path):
            yield from super().rows(path)
            return
        with open_workbook(path) as book:
            yield from cls.parse_records(path, book.records(cls.sheet_in(book)))

    @classmethod
    def rows_of(cls, path: Path, sheet: str | None) -> Iterator[Row]:
        """The rows of one named sheet of a workbook (a CSV when ``sheet`` is ``None``)."""
        if sheet is None:
            yield from super().rows(path)
            return
        with open_workbook(path) as book:
            yield from cls.parse_records(path, book.records(sheet))

    @classmethod
    def top_records(cls, path: Path, sheet: str | None = None) -> list[tuple[int, list[str]]]:
        """The first records of the file (of ``sheet``, else the rows' sheet): the preamble
        and the header, where reports write their period."""
        count = cls.max_preamble + 1
        if not cls._is_xlsx(path):
            with Path(path).open(encoding=cls.encoding, errors="replace", newline="") as handle:
                reader = csv.reader(bounded_lines(path, handle), delimiter=cls.delimiter)
                return [(reader.line_num, record) for record in islice(reader, count)]
        with open_workbook(path) as book:
            if sheet is not None and sheet not in book.sheet_names:
                return []
            return list(islice(book.records(sheet or cls.sheet_in(book)), count))
