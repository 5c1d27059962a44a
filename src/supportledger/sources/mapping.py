"""Mapping files: any other CSV read as a small TOML file says, so a new source needs no code.

In the spirit of hledger's CSV rules. A mapping names the channel and which column holds
what; everything else is optional::

    channel = "stripe"              # a channel supportledger knows
    kind = "one_time"               # one_time | recurring | sale (default: the channel's)
    header = ["DateTime (UTC)", "From", "Received", "Fee", "TransactionId", "Type"]
    date_format = "%Y-%m-%d %H:%M:%S"   # or a list of formats (default: ISO dates)
    timezone = "UTC"                # the zone of the dates (default: LEDGER_TIMEZONE)
    currency = "USD"                # when the file has no currency column (default: base)

    [columns]
    date = "DateTime (UTC)"         # required
    amount = "Received"             # required: the gross; negative is a refund
    fee = "Fee"                     # or a list of columns added up; or net = "Net"
    id = "TransactionId"            # else: a hash of the row and its occurrence index
    payer = "From"
    email = "Email"
    description = "Message"
    currency = "Currency"

    [[skip]]                        # rows not taken, counted with their reason
    column = "Type"
    matches = "(?i)^withdrawal$"
    reason = "a withdrawal is not income"

A fee is what the channel took, whatever sign the file gives it; with neither ``fee`` nor
``net``, the channel's fee schedule supplies it. A row in another currency than the
ledger's is converted at the rate the writer gives (``import --rate EUR=1.10``), keeping
the original and the rate; without one it stops the import naming the currency.

Use a mapping with ``supportledger import FILE --source mapping:PATH.toml``, or put it
beside the file with a ``header`` equal to the file's header and it is picked
automatically (before any built-in format); a mapping there that cannot be used is
reported as itself, not as a file nobody knows.

A mapping can also rename the columns of a built-in format whose header is an assumption
(Patreon's earnings export)::

    format = "patreon-earnings"
    [columns]
    processed = "Gross earnings"    # attribute = your file's header
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from collections.abc import Iterator, Mapping
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportledger.channels import get_channel
from supportledger.errors import LedgerError
from supportledger.models import Event, Kind
from supportledger.money import Money
from supportledger.sources import (
    Entry,
    ImportContext,
    Importer,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
)
from supportledger.sources.csvfile import (
    Amount,
    Claim,
    CsvFormat,
    DateTime,
    Row,
    Text,
    _normalise,
)
from supportledger.sources.currency import ToBase, currency_in
from supportledger.sources.ids import Occurrences, stable_id

_KEYS = {"channel", "kind", "header", "date_format", "timezone", "currency", "columns", "skip"}
_COLUMNS = {"date", "amount", "fee", "net", "id", "payer", "email", "description", "currency"}


class MappingError(LedgerError):
    """A mapping file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SkipRule:
    column: str
    pattern: re.Pattern[str]
    reason: str


def _strings(where: str, value) -> tuple[str, ...]:
    values = (value,) if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) and v for v in values):
        raise MappingError(f"{where}: expected a column name or a list of them")
    return tuple(values)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise MappingError(f"mapping {path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping {path}: {exc}") from None


class MappingImporter:
    """A CSV read by a mapping: its columns become a declared-column format."""

    def __init__(self, data: Mapping, where: str, name: str | None = None) -> None:
        self.where = where
        self.name = name or f"mapping:{where}"
        unknown = set(data) - _KEYS
        if unknown:
            raise MappingError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if "channel" not in data:
            raise MappingError(f"{where}: missing 'channel'")
        try:
            self.channel = get_channel(str(data["channel"])).name
            self.kind = Kind(data["kind"]) if "kind" in data else None
        except (LedgerError, ValueError) as exc:
            raise MappingError(f"{where}: {exc}") from None
        self.header = _strings(f"{where} header", data["header"]) if "header" in data else ()
        formats = _strings(f"{where} date_format", data.get("date_format", "%Y-%m-%d"))
        try:
            self.timezone = ZoneInfo(data["timezone"]) if "timezone" in data else None
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise MappingError(
                f"{where}: timezone {data['timezone']!r} is not an IANA zone"
            ) from None
        self.currency = str(data.get("currency", ""))
        columns = data.get("columns", {})
        if not isinstance(columns, Mapping):
            raise MappingError(f"{where}: [columns] must be a table")
        unknown = set(columns) - _COLUMNS
        if unknown:
            raise MappingError(f"{where} [columns]: unknown {', '.join(sorted(unknown))}")
        for needed in ("date", "amount"):
            if needed not in columns:
                raise MappingError(f"{where} [columns]: missing {needed!r}")
        if "fee" in columns and "net" in columns:
            raise MappingError(f"{where} [columns]: give 'fee' or 'net', not both")
        self.skips = tuple(
            self._skip(where, i, rule) for i, rule in enumerate(data.get("skip", []))
        )
        self.fee_columns = (
            _strings(f"{where} columns.fee", columns["fee"]) if "fee" in columns else ()
        )
        self.format = self._format(columns, formats)

    @staticmethod
    def _skip(where: str, index: int, rule) -> SkipRule:
        at = f"{where} skip[{index}]"
        if not isinstance(rule, Mapping) or not {"column", "matches"} <= set(rule):
            raise MappingError(f"{at}: needs 'column' and 'matches'")
        try:
            pattern = re.compile(str(rule["matches"]))
        except re.error as exc:
            raise MappingError(f"{at}: 'matches' is not a regular expression ({exc})") from None
        reason = str(rule.get("reason", f"{rule['column']} matches {rule['matches']}"))
        return SkipRule(str(rule["column"]), pattern, reason)

    def _format(self, columns: Mapping, formats: tuple[str, ...]) -> type[CsvFormat]:
        """A declared-column format made from the mapping: the data says it all."""
        single = {name: _strings(f"{self.where} columns.{name}", value)[0]
                  for name, value in columns.items() if name != "fee"}  # fmt: skip
        self.headers = single
        attrs: dict = {
            "name": self.name,
            # the header must be there; an empty cell is checked after the skip rules
            "date": DateTime(single["date"], formats=formats, default=""),
            "amount": Amount(single["amount"], default=""),
        }
        for index, column in enumerate(self.fee_columns):
            attrs[f"fee_{index}"] = Amount(column, default=Decimal(0))
        if "net" in single:
            attrs["net"] = Amount(single["net"], default="")
        for name in ("id", "payer", "email", "description", "currency"):
            if name in single:
                attrs[name] = Text(single[name], default="")
        for index, rule in enumerate(self.skips):
            attrs[f"skip_{index}"] = Text(rule.column, default="")
        return type("MappedCsv", (CsvFormat,), attrs)

    def matches_header(self, head: bytes) -> bool:
        """The file's header (among its first lines) is the mapping's ``header``."""
        if not self.header:
            return False
        wanted = [_normalise(name) for name in self.header]
        text = head.decode("utf-8-sig", errors="replace")
        for record in csv.reader(text.splitlines()[: CsvFormat.max_preamble + 1]):
            if [_normalise(cell) for cell in record] == wanted:
                return True
        return False

    def identify(self, path: Path, head: bytes) -> bool:
        return self.matches_header(head)

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry | Skipped]:
        zone = self.timezone or context.timezone
        seen = Occurrences()
        for row in self.format.rows(path):
            reason = self._skipped(row)
            if reason:
                yield Skipped(reason, row.line)
                continue
            yield self._receipt(path, row, context, zone, seen)

    def _skipped(self, row: Row) -> str | None:
        for index, rule in enumerate(self.skips):
            if rule.pattern.search(getattr(row, f"skip_{index}")):
                return rule.reason
        return None

    def _receipt(self, path, row: Row, context, zone, seen: Occurrences) -> ReceiptEntry:
        for attr in ("date", "amount", "net"):
            if getattr(row, attr, None) == "":
                raise RowError(path, row.line, "is empty", self.headers[attr], "")
        column = self.headers.get("currency", "currency")
        currency = currency_in(
            path,
            row.line,
            column,
            getattr(row, "currency", ""),
            self.currency or context.base_currency,
        )
        gross = Money(row.amount, currency)
        fee = None
        if self.fee_columns:
            fee = Money(
                sum(abs(getattr(row, f"fee_{i}")) for i in range(len(self.fee_columns))), currency
            )
        elif hasattr(row, "net"):
            fee = gross - Money(row.net, currency)
        # another currency is taken only at a rate the writer gave (import --rate EUR=1.10)
        to_base = ToBase(context.base_currency, context.rates)
        rate = to_base.rate(currency, path, row.line, column)
        original = gross if rate is not None else None
        gross = to_base.apply(gross, rate, to_base.base)
        fee = to_base.apply(fee, rate, to_base.base) if fee is not None else None
        external_id = getattr(row, "id", "")
        if not external_id:
            cells = tuple(row.raw.values())
            external_id = stable_id(*cells, seen.index(*cells))
        payer, email = getattr(row, "payer", ""), getattr(row, "email", "")
        occurred = row.date if row.date.tzinfo else row.date.replace(tzinfo=zone)
        return ReceiptEntry(
            channel=self.channel,
            external_id=external_id,
            occurred_at=occurred.astimezone(dt.UTC),
            gross=gross,
            fee=fee,
            original=original,
            fx_rate=rate,
            kind=self.kind,
            event=Event.REFUND if gross.amount < 0 else Event.PAYMENT,
            supporter=SupporterRef(name=payer or None, email=email or None)
            if payer or email
            else None,
            description=getattr(row, "description", ""),
            line=row.line,
        )


def _renamed(fmt: type[CsvFormat], where: str, columns: Mapping) -> type[CsvFormat]:
    """``fmt`` with the header names ``columns`` gives (attribute = header) tried first."""
    declared = {column.attr: column for column in fmt.columns()}
    attrs = {}
    for attr, header in columns.items():
        if attr not in declared:
            known = ", ".join(declared)
            raise MappingError(f"{where} [columns]: {fmt.name} has no {attr!r}; it has {known}")
        renamed = copy(declared[attr])
        renamed.names = (*_strings(f"{where} columns.{attr}", header), *renamed.names)
        attrs[attr] = renamed
    return type(fmt.__name__, (fmt,), attrs)


def load_mapping(path: Path, name: str | None = None) -> Importer:
    """The importer a mapping file describes (a mapped CSV, or a renamed built-in format)."""
    data = _read(path)
    where = str(path)
    if "format" not in data:
        return MappingImporter(data, where, name)
    from supportledger.sources.registry import importers

    wanted = str(data["format"])
    builtin = next((i for i in importers() if i.name == wanted), None)
    if not isinstance(builtin, CsvFormat) or set(data) - {"format", "columns"}:
        raise MappingError(
            f"{where}: 'format' renames the columns of a built-in CSV format "
            f"(only 'format' and [columns] may be given); {wanted!r} is not one"
        )
    return _renamed(type(builtin), where, data.get("columns", {}))()


def _header_of(head: bytes) -> list[list[str]]:
    text = head.decode("utf-8-sig", errors="replace")
    return [
        [_normalise(cell) for cell in record]
        for record in csv.reader(text.splitlines()[: CsvFormat.max_preamble + 1])
    ]


def _beside(path: Path) -> Iterator[tuple[Path, dict | None, MappingImporter | MappingError]]:
    """Each TOML file in the file's folder that is (or tries to be) a mapping with a
    ``header``: ``(file, its data or None, the importer or why it cannot be one)``."""
    for candidate in sorted(Path(path).parent.glob("*.toml")):
        try:
            data = _read(candidate)
        except MappingError as exc:
            yield candidate, None, exc
            continue
        if "channel" not in data or "header" not in data or "format" in data:
            continue  # another kind of TOML, or a mapping for --source only
        try:
            yield candidate, data, MappingImporter(data, str(candidate))
        except MappingError as exc:
            yield candidate, data, exc


def _header_matches(data: dict, records: list[list[str]]) -> bool:
    header = data.get("header")
    if not isinstance(header, list) or not all(isinstance(name, str) for name in header):
        return False
    return [_normalise(name) for name in header] in records


def broken_beside(path: Path, head: bytes) -> str:
    """What is wrong with the mappings beside ``path`` that cannot be read (said when no
    format recognises the file: the writer's mapping may be the one meant)."""
    problems = [
        f"{candidate.name} beside it cannot be used ({outcome})"
        for candidate, _, outcome in _beside(path)
        if isinstance(outcome, MappingError)
    ]
    return "; ".join(problems)


class MappingBeside:
    """A CSV with a mapping beside it whose ``header`` is the file's: the writer's own
    statement of what the file is, so it wins over the built-in formats. A mapping beside
    it with the file's header that cannot be used is reported as itself."""

    name = "mapping"

    def _mapping(self, path: Path, head: bytes) -> MappingImporter | None:
        records = _header_of(head)
        for _, data, outcome in _beside(path):
            if data is None or not _header_matches(data, records):
                continue
            if isinstance(outcome, MappingError):
                raise outcome
            return outcome
        return None

    def identify(self, path: Path, head: bytes) -> bool:
        return self._mapping(path, head) is not None

    def claim(self, path: Path, head: bytes) -> Claim | None:
        return Claim(self.name, True) if self.identify(path, head) else None

    def entries(self, path: Path, context: ImportContext) -> Iterator[Entry]:
        with Path(path).open("rb") as handle:
            mapping = self._mapping(path, handle.read(1 << 16))
        if mapping is None:
            raise RowError(path, None, "no mapping (*.toml with a matching header) beside it")
        yield from mapping.entries(path, context)


def ebookit() -> Importer:
    """eBookIt statements, through the shipped mapping (its columns are an ASSUMPTION)."""
    shipped = resources.files(__package__).joinpath("mappings", "ebookit.toml")
    with resources.as_file(shipped) as path:
        return load_mapping(path, name="ebookit")
