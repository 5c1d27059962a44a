"""CSV exports read through declared columns, so a format's knowledge is data.

A format declares its columns as class attributes, each with every header spelling it has
had over the years::

    class PayPalActivity(CsvFormat):
        date = Date("Date", "Datum", format="%m/%d/%Y")
        gross = Amount("Gross", "Amount")
        fee = Amount("Fee", required=False)

``CsvFormat.rows(path)`` streams the file (never loading it whole), finds the header even
below a preamble, and yields :class:`Row` objects whose attributes are the parsed values.
Any cell that cannot be parsed raises :class:`RowError` naming file, line, column, value.

A format claims a file only on its own header: every required column under one of its
names, and above it nothing but its own preamble (:meth:`CsvFormat.claim`). Where the order
of day and month, or the decimal mark, is the file's own (an export in the account's
language), :meth:`CsvFormat.convention` reads it from the file before any row is taken.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportledger.money import MoneyError, currency_code, parse_decimal
from supportledger.sources import RowError

csv.field_size_limit(1 << 20)  # a cell over 1 MiB is a broken file, not an export
#: the longest line an export may have, in characters with its line end: a file without
#: line ends is refused after this much, never read whole into memory
MAX_LINE = 1 << 20

_MISSING = object()


class Column:
    """A column known by one of several header names; ``parse`` turns a cell into a value."""

    def __init__(self, *names: str, required: bool = True, default: Any = None) -> None:
        if not names:
            raise TypeError("a column needs at least one header name")
        self.names = names
        self.required = required
        self.default = default
        self.attr = ""

    def __set_name__(self, owner, attr: str) -> None:
        self.attr = attr

    def parse(self, text: str) -> Any:
        return text.strip()

    def read(self, text: str | None) -> Any:
        if text and "\x00" not in text and not text.isspace():
            return self.parse(text)
        if text is not None and "\x00" in text:
            raise ValueError("contains a NUL byte")
        if self.required and self.default is None:
            raise ValueError("is empty")
        return self.default


class Text(Column):
    pass


def _pure(column: Column) -> bool:
    """A column whose value is the same for the same text, whatever the row, and immutable
    (a date, an amount, a currency, a zone): a file writes a few thousand of each, so each
    text is read once (a subclass that parses in its own way is read every time)."""
    kind = type(column)
    return kind.read is Column.read and kind.parse in _PURE_PARSES


def _plain(column: Column) -> bool:
    """A column whose cell is its text, stripped (read inline, without two calls a cell)."""
    kind = type(column)
    return kind.read is Column.read and kind.parse is Column.parse


class Amount(Column):
    """An amount as exports write it (``1,560.00``, ``-$5.00``), as an exact Decimal; with
    ``decimal_comma``, as European exports write it (``1.560,00``)."""

    decimal_comma = False

    def parse(self, text: str) -> Decimal:
        return _amount(text, self.decimal_comma)


@lru_cache(maxsize=4096)
def _amount(text: str, decimal_comma: bool) -> Decimal:
    """Remembered: a big export repeats the same few amounts (Decimals are immutable)."""
    try:
        return parse_decimal(text, decimal_comma)
    except MoneyError:
        mark = " written with a decimal comma (1.234,56)" if decimal_comma else ""
        raise ValueError(f"is not an amount{mark}") from None


class Currency(Column):
    """An ISO 4217 code (``usd`` is ``USD``); any other text is a bad cell."""

    def parse(self, text: str) -> str:
        try:
            return currency_code(text)
        except MoneyError:
            raise ValueError("is not an ISO 4217 currency code") from None


class Date(Column):
    """A date in one of ``formats`` (tried in order; the first that fits wins)."""

    def __init__(self, *names: str, formats: tuple[str, ...] = ("%m/%d/%Y",), **kw) -> None:
        super().__init__(*names, **kw)
        self.formats = tuple(formats)

    def parse(self, text: str) -> dt.date:
        return _date(text.strip(), self.formats)


@lru_cache(maxsize=4096)
def _date(text: str, formats: tuple[str, ...]) -> dt.date:
    """Remembered: a big export has a few hundred rows a day, and strptime is slow."""
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"is not a date ({' or '.join(formats)})")


#: the day first, as every European export writes it (``29/12/2015``, ``18.06.2025``)
DAY_FIRST = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d")
#: the month first, as US exports write it (``10/31/2026``)
MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d")
DATE_ORDERS = {"dmy": DAY_FIRST, "mdy": MONTH_FIRST}


class FileDate(Date):
    """A day written with numbers in the order of the file's own convention (``1/11/2026``
    is 1 November in a British export and 11 January in an American one): its formats are
    set by :meth:`CsvFormat.convened` once :meth:`CsvFormat.convention` has read them."""

    def __init__(self, *names: str, **kw) -> None:
        super().__init__(*names, formats=(), **kw)

    #: how the file writes its dates, for messages ("day first")
    order = ""

    def parse(self, text: str) -> dt.date:
        if not self.formats:  # a programming error: rows read before the convention
            raise TypeError("the order of day and month was not decided")
        try:
            return super().parse(text)
        except ValueError:
            raise ValueError(
                f"is not a date written {self.order}, as this file writes its dates"
            ) from None


_NUMERIC_DAY = re.compile(r"\s*(\d{1,2})[./-](\d{1,2})[./-]\d{4}\s*")


@dataclass(frozen=True)
class Convention:
    """How one file writes days and amounts: ``day_first`` is ``None`` when the file does
    not say (every day is 12 or less); ``decimal_comma`` likewise."""

    day_first: bool | None = None
    decimal_comma: bool | None = None
    #: the line that decided each, for messages
    day_line: int | None = None


def _day_first(cell: str) -> bool | None:
    """``True`` when a numeric date can only be day-first, ``False`` only month-first."""
    match = _NUMERIC_DAY.fullmatch(cell)
    if match is None:
        return None
    first, second = int(match[1]), int(match[2])
    if first > 12 and second <= 12:
        return True
    if second > 12 and first <= 12:
        return False
    return None


def _decimal_comma(cell: str) -> bool | None:
    """``True`` for ``4,25`` or ``1.234,56``; ``False`` for ``4.25`` or ``1,234.56``;
    ``None`` for what reads the same either way (``25``, ``1,234``, ``1.234``)."""
    text = cell.strip()
    marks = [c for c in text if c in ",."]
    if not marks:
        return None
    last = max(text.rfind(","), text.rfind("."))
    decimals = len(text) - last - 1
    if len(set(marks)) == 2:
        return text[last] == ","
    if len(marks) == 1 and decimals != 3:
        return marks[0] == ","
    return None


class DateTime(Date):
    """A date-time in one of ``formats``; naive (the format decides the zone)."""

    def parse(self, text: str) -> dt.datetime:
        for fmt in self.formats:
            try:
                return dt.datetime.strptime(text.strip(), fmt)
            except ValueError:
                continue
        raise ValueError(f"is not a date-time ({' or '.join(self.formats)})")


def bounded_lines(path: Path, handle) -> Iterator[str]:
    """The lines of a text ``handle``, each refused (naming it) past :data:`MAX_LINE`."""
    for number, line in enumerate(iter(partial(handle.readline, MAX_LINE + 1), ""), start=1):
        if len(line) > MAX_LINE:
            raise RowError(path, number, f"is longer than {MAX_LINE:,} characters: not an export")
        yield line


#: zone labels exports write beside a time (PayPal's TimeZone column, Cash App's dates),
#: as UTC offsets in hours: each stands for one offset, so no guess is made
ZONE_OFFSETS = {
    "UTC": 0, "GMT": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}  # fmt: skip
_GMT_OFFSET = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?")


@lru_cache(maxsize=256)
def zone_of(label: str) -> dt.tzinfo:
    """The zone a label (``PDT``), an offset (``GMT-07:00``) or an IANA name
    (``America/Los_Angeles``, PayPal's Statement CSV) stands for; remembered, as a file
    writes the same few on every row."""
    if "/" in label:
        try:
            return ZoneInfo(label.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone") from None
    label = label.strip().upper()
    if label in ZONE_OFFSETS:
        return dt.timezone(dt.timedelta(hours=ZONE_OFFSETS[label]), label)
    match = _GMT_OFFSET.fullmatch(label)
    if match:
        sign = -1 if match[1] == "-" else 1
        offset = dt.timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
        return dt.timezone(sign * offset)
    raise ValueError(f"is not a time zone label ({', '.join(ZONE_OFFSETS)})")


class ZoneLabel(Column):
    """A time zone column: a label (``PDT``), an offset (``GMT-07:00``) or a zone's name."""

    def parse(self, text: str) -> dt.tzinfo:
        return zone_of(text)


class LabelledDateTime(Date):
    """A date-time followed by its zone label, ``2023-10-07 16:12:36 EDT`` (Cash App):
    aware, at the offset the label stands for."""

    def parse(self, text: str) -> dt.datetime:
        stamp, _, label = text.strip().rpartition(" ")
        for fmt in self.formats:
            try:
                naive = dt.datetime.strptime(stamp.strip(), fmt)
            except ValueError:
                continue
            return naive.replace(tzinfo=zone_of(label))
        raise ValueError(f"is not a date-time with a zone ({' or '.join(self.formats)} ZONE)")


#: the parsers :func:`_pure` knows give one immutable value a text
_PURE_PARSES = frozenset(
    {
        Amount.parse,
        Currency.parse,
        Date.parse,
        FileDate.parse,
        DateTime.parse,
        ZoneLabel.parse,
        LabelledDateTime.parse,
    }
)
#: texts a column remembers the reading of before it starts again (a file's dates and
#: amounts are a few thousand; a column of instants is a new text every row)
CELLS_READ = 4096


@dataclass(frozen=True)
class Claim:
    """How much of a file a format recognises: ``complete``, or the columns it misses."""

    name: str
    complete: bool
    missing: tuple[str, ...] = ()
    line: int | None = None
    #: a line above the header that is not the format's preamble
    foreign: str | None = None

    @property
    def why(self) -> str:
        """What keeps the claim from being complete, in a few words."""
        if self.foreign is not None:
            return f"{self.foreign!r} above its header"
        return f"no {', '.join(self.missing)}"


class Row:
    """One parsed row: the declared columns as attributes, plus ``line`` and ``raw``."""

    __slots__ = ("__dict__", "_header", "_record", "line")

    def __init__(self, line: int, header: list[str], record: list[str]) -> None:
        self.line = line
        self._header, self._record = header, record

    @property
    def raw(self) -> dict[str, str]:
        """The cells under their headers (made when asked: few rows ever need it)."""
        return dict(zip(self._header, self._record, strict=False))


@cache
def _declared_columns(cls: type) -> tuple[Column, ...]:
    """A format's columns, found once per class (every row is parsed through them)."""
    seen: dict[str, Column] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, Column):
                seen[attr] = value
            elif value is None and attr in seen:  # a subclass without that column
                del seen[attr]
    return tuple(seen.values())


@cache
def _convened(cls: type, day_first: bool | None, decimal_comma: bool) -> type:
    """``cls`` with its :class:`FileDate` columns in that order and its amounts in that
    decimal convention (made once per convention: a format has at most four)."""
    attrs: dict[str, Column] = {}
    for column in _declared_columns(cls):
        if isinstance(column, FileDate) and day_first is not None:
            column = copy(column)
            column.formats = DAY_FIRST if day_first else MONTH_FIRST
            column.order = "day first" if day_first else "month first"
        elif isinstance(column, Amount) and decimal_comma:
            column = copy(column)
            column.decimal_comma = True
        else:
            continue
        attrs[column.attr] = column
    return type(cls.__name__, (cls,), attrs) if attrs else cls


def _normalise(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().strip('"').split()).lower()


class CsvFormat:
    """Base of every CSV export format; subclasses declare ``Column`` attributes."""

    name: ClassVar[str] = ""
    encoding: ClassVar[str] = "utf-8-sig"
    delimiter: ClassVar[str] = ","
    #: how many lines of preamble may stand above the header
    max_preamble: ClassVar[int] = 20
    #: what a line above the header may be, for the format to claim the file (a regular
    #: expression matched against the whole line); ``None``: nothing but blank lines
    preamble: ClassVar[str | None] = None

    @classmethod
    def columns(cls) -> list[Column]:
        return list(_declared_columns(cls))

    @classmethod
    def _match_header(cls, header: list[str]) -> dict[str, int] | None:
        """Map each declared column to its index, or ``None`` if a required one is missing."""
        index = {_normalise(name): i for i, name in enumerate(header)}
        found = {}
        for column in cls.columns():
            position = next(
                (index[_normalise(n)] for n in column.names if _normalise(n) in index), None
            )
            if position is None:
                if column.required:
                    return None
                continue
            found[column.attr] = position
        return found

    @classmethod
    def identify(cls, path: Path, head: bytes) -> bool:
        found = cls.claim(path, head)
        return found is not None and found.complete

    @classmethod
    def claim(cls, path: Path, head: bytes) -> Claim | None:
        """How much of the file's first lines is this format's: complete when a line has
        every required column and nothing but the format's preamble stands above it;
        partial when a line has most of them (for the message naming candidates)."""
        text = head.decode(cls.encoding, errors="replace")
        lines = text.splitlines()[: cls.max_preamble + 1]
        return cls.claim_records(list(csv.reader(lines, delimiter=cls.delimiter)))

    @classmethod
    def claim_records(cls, records: list[list[str]]) -> Claim | None:
        required = [c for c in cls.columns() if c.required]
        best: Claim | None = None
        for number, record in enumerate(records, 1):
            missing = cls.missing_columns(record)
            if not missing:
                above = [",".join(r) for r in records[: number - 1] if any(c.strip() for c in r)]
                foreign = [line for line in above if not cls._preamble_line(line)]
                if not foreign:
                    return Claim(cls.name, True, (), number)
                return Claim(cls.name, False, (), number, foreign=foreign[0])
            if len(required) - len(missing) >= max(2, (len(required) + 1) // 2) and (
                best is None or len(missing) < len(best.missing)
            ):
                best = Claim(cls.name, False, tuple(missing), number)
        return best

    @classmethod
    def _preamble_line(cls, line: str) -> bool:
        return cls.preamble is not None and re.fullmatch(cls.preamble, line) is not None

    @classmethod
    def missing_columns(cls, header: list[str]) -> list[str]:
        index = {_normalise(name) for name in header}
        return [
            c.names[0]
            for c in cls.columns()
            if c.required and not any(_normalise(n) in index for n in c.names)
        ]

    @classmethod
    def convened(cls, day_first: bool | None, decimal_comma: bool) -> type[CsvFormat]:
        """This format with its file-dated columns and amounts read in one convention."""
        return _convened(cls, day_first, decimal_comma)

    @classmethod
    def convention(cls, path: Path) -> Convention:
        """What the file's own cells say of its convention, read before its rows: a day
        above 12 in first place is day-first, in second place month-first (both in one
        file: refused, naming the two lines); an amount like ``4,25`` or ``1.234,56`` has
        a decimal comma, one like ``4.25`` or ``1,234.56`` a decimal point. Stops once
        both are known; what a file never says stays ``None``."""
        dates = [c for c in cls.columns() if isinstance(c, FileDate)]
        amounts = [c for c in cls.columns() if isinstance(c, Amount)]
        day: tuple[bool, int, str] | None = None
        comma: bool | None = None
        for line, cells in cls._cells(path, [c.attr for c in dates + amounts]):
            for column in dates:
                seen = _day_first(cells.get(column.attr, ""))
                if seen is None:
                    continue
                if day is None:
                    day = (seen, line, cells[column.attr])
                elif day[0] != seen:
                    first, other = ("day", "month") if seen else ("month", "day")
                    raise RowError(
                        path,
                        line,
                        f"writes the {first} first, but line {day[1]} ({day[2]!r}) writes "
                        f"the {other} first: the file has no one order of day and month",
                        column.names[0],
                        cells[column.attr],
                    )
            for column in amounts:
                if comma is None:
                    comma = _decimal_comma(cells.get(column.attr, ""))
            if day is not None and comma is not None:
                break
        return Convention(day[0] if day else None, comma, day[1] if day else None)

    @classmethod
    def _cells(cls, path: Path, attrs: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
        """The raw cells of the columns ``attrs`` in each row, unparsed (a first look)."""
        try:
            with Path(path).open("r", encoding=cls.encoding, newline="") as handle:
                reader = csv.reader(bounded_lines(path, handle), delimiter=cls.delimiter)
                mapping = None
                for record in reader:
                    if mapping is None:
                        mapping = cls._match_header(record)
                        if mapping is None and reader.line_num > cls.max_preamble:
                            return
                        continue
                    yield (
                        reader.line_num,
                        {
                            attr: record[mapping[attr]]
                            for attr in attrs
                            if attr in mapping and mapping[attr] < len(record)
                        },
                    )
        except (UnicodeDecodeError, csv.Error):
            return  # the rows themselves will say what is wrong, naming the line

    @classmethod
    def rows(cls, path: Path) -> Iterator[Row]:
        """Stream the data rows of ``path`` as parsed :class:`Row` objects."""
        path = Path(path)
        try:
            with path.open("r", encoding=cls.encoding, newline="") as handle:
                yield from cls._rows(path, handle)
        except UnicodeDecodeError as exc:
            raise RowError(
                path, None, f"is not {cls.encoding} text ({exc.reason} at byte {exc.start})"
            ) from None

    @classmethod
    def _rows(cls, path: Path, handle) -> Iterator[Row]:
        reader = csv.reader(bounded_lines(path, handle), delimiter=cls.delimiter, strict=True)
        try:
            yield from cls.parse_records(path, ((reader.line_num, r) for r in reader))
        except csv.Error as exc:
            raise RowError(path, reader.line_num, f"is not valid CSV ({exc})") from None

    @classmethod
    def parse_records(cls, path: Path, records: Iterable[tuple[int, list[str]]]) -> Iterator[Row]:
        """Find the header among ``(line, cells)`` records and parse the rows below it.

        Shared by every tabular reader (CSV here, XLSX sheets in ``xlsxfile``)."""
        mapping = None
        header: list[str] = []
        plan: list[tuple[str, int | None, Column, bool]] = []
        for line, record in records:
            if mapping is None:
                header = record
                mapping = cls._match_header(record)
                if mapping is None and line > cls.max_preamble:
                    break
                if mapping is not None:  # where each column is, found once for the file
                    plan = [
                        (c.attr, mapping.get(c.attr), c, _plain(c), {} if _pure(c) else None)
                        for c in cls.columns()
                    ]
                continue
            if not any(cell.strip() for cell in record):
                continue  # blank line (some exports end with one)
            yield cls._row(path, line, header, plan, record)
        if mapping is None:
            missing = cls.missing_columns(header) if header else ["a header line"]
            raise RowError(path, None, f"missing column(s): {', '.join(missing)}")

    @classmethod
    def _row(
        cls,
        path: Path,
        line: int,
        header,
        plan: list[tuple[str, int | None, Column, bool, dict | None]],
        record,
    ) -> Row:
        if len(record) < len(header):
            raise RowError(path, line, f"has {len(record)} cells, the header has {len(header)}")
        row = Row(line, header, record)
        values = row.__dict__
        for attr, position, column, plain, read in plan:
            cell = record[position] if position is not None else None
            if plain and cell:  # a text cell: its words as they stand, read here
                text = cell.strip()
                if text and "\x00" not in text:
                    values[attr] = text
                    continue
            if read is not None and type(cell) is str:  # str: 1 and 1.0 are one key
                value = read.get(cell, _MISSING)
                if value is not _MISSING:
                    values[attr] = value
                    continue
            try:
                value = column.read(cell)
            except ValueError as exc:
                name = header[position] if position is not None else column.names[0]
                raise RowError(path, line, str(exc), column=name, value=cell) from None
            if read is not None and type(cell) is str:
                if len(read) >= CELLS_READ:
                    read.clear()
                read[cell] = value
            values[attr] = value
        return row
