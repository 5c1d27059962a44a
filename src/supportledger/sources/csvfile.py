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
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar

from supportledger.money import MoneyError, currency_code, parse_decimal
from supportledger.sources import RowError

csv.field_size_limit(1 << 20)  # a cell over 1 MiB is a broken file, not an export

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
        if text is not None and "\x00" in text:
            raise ValueError("contains a NUL byte")
        if text is None or not text.strip():
            if self.required and self.default is None:
                raise ValueError("is empty")
            return self.default
        return self.parse(text)


class Text(Column):
    pass


class Amount(Column):
    """An amount as exports write it (``1,560.00``, ``-$5.00``), as an exact Decimal."""

    def parse(self, text: str) -> Decimal:
        return _amount(text)


@lru_cache(maxsize=4096)
def _amount(text: str) -> Decimal:
    """Remembered: a big export repeats the same few amounts (Decimals are immutable)."""
    try:
        return parse_decimal(text)
    except MoneyError:
        raise ValueError("is not an amount") from None


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


class DateTime(Date):
    """A date-time in one of ``formats``; naive (the format decides the zone)."""

    def parse(self, text: str) -> dt.datetime:
        for fmt in self.formats:
            try:
                return dt.datetime.strptime(text.strip(), fmt)
            except ValueError:
                continue
        raise ValueError(f"is not a date-time ({' or '.join(self.formats)})")


#: zone labels exports write beside a time (PayPal's TimeZone column, Cash App's dates),
#: as UTC offsets in hours: each stands for one offset, so no guess is made
ZONE_OFFSETS = {
    "UTC": 0, "GMT": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}  # fmt: skip
_GMT_OFFSET = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?")


def zone_of(label: str) -> dt.timezone:
    """The UTC offset a zone label (``PDT``) or offset (``GMT-07:00``) stands for."""
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
    """A time zone column: a label (``PDT``) or an offset (``GMT-07:00``)."""

    def parse(self, text: str) -> dt.timezone:
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


class Row:
    """One parsed row: the declared columns as attributes, plus ``line`` and ``raw``."""

    __slots__ = ("__dict__", "line", "raw")

    def __init__(self, line: int, raw: dict[str, str]) -> None:
        self.line = line
        self.raw = raw


@cache
def _declared_columns(cls: type) -> tuple[Column, ...]:
    """A format's columns, found once per class (every row is parsed through them)."""
    seen: dict[str, Column] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, Column):
                seen[attr] = value
    return tuple(seen.values())


def _normalise(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().strip('"').split()).lower()


class CsvFormat:
    """Base of every CSV export format; subclasses declare ``Column`` attributes."""

    name: ClassVar[str] = ""
    encoding: ClassVar[str] = "utf-8-sig"
    delimiter: ClassVar[str] = ","
    #: how many lines of preamble may stand above the header
    max_preamble: ClassVar[int] = 20

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
        """Mine if a header line among the first lines has every required column."""
        text = head.decode(cls.encoding, errors="replace")
        lines = text.splitlines()[: cls.max_preamble + 1]
        for record in csv.reader(lines, delimiter=cls.delimiter):
            if cls._match_header(record) is not None:
                return True
        return False

    @classmethod
    def missing_columns(cls, header: list[str]) -> list[str]:
        index = {_normalise(name) for name in header}
        return [
            c.names[0]
            for c in cls.columns()
            if c.required and not any(_normalise(n) in index for n in c.names)
        ]

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
        reader = csv.reader(handle, delimiter=cls.delimiter, strict=True)
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
        for line, record in records:
            if mapping is None:
                header = record
                mapping = cls._match_header(record)
                if mapping is None and line > cls.max_preamble:
                    break
                continue
            if not any(cell.strip() for cell in record):
                continue  # blank line (some exports end with one)
            yield cls._row(path, line, header, mapping, record)
        if mapping is None:
            missing = cls.missing_columns(header) if header else ["a header line"]
            raise RowError(path, None, f"missing column(s): {', '.join(missing)}")

    @classmethod
    def _row(cls, path: Path, line: int, header, mapping: dict[str, int], record) -> Row:
        if len(record) < len(header):
            raise RowError(path, line, f"has {len(record)} cells, the header has {len(header)}")
        row = Row(line, dict(zip(header, record, strict=False)))
        for column in cls.columns():
            position = mapping.get(column.attr)
            cell = record[position] if position is not None else None
            try:
                value = column.read(cell)
            except ValueError as exc:
                name = header[position] if position is not None else column.names[0]
                raise RowError(path, line, str(exc), column=name, value=cell) from None
            setattr(row, column.attr, value)
        return row
