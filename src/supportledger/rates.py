"""Exchange rates the writer gave the ledger: what a foreign amount is worth on its day.

Money received and held in another currency is income at its value in ``BASE_CURRENCY`` on
the day it arrived. The rate comes from the channel itself when it converted the money (a
PayPal conversion, a Stripe charge), else from ``import --rate``, else from this table, which
the writer fills from the European Central Bank's daily reference rates
(``supportledger rates import eurofxref-hist.csv``, from
https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip) or by hand
(``supportledger rates add GBP 1.2650 --date 2026-10-05``). Without one the amount is refused,
naming the currency and the day: the ledger never guesses a rate.

A row says one ``currency`` is worth ``rate`` units of ``quote``, as the ECB quotes the euro
(1 EUR = 1.0573 USD). A rate between two other currencies is taken across a currency both
are quoted against (GBP→USD through EUR), to :data:`RATE_PLACES` decimal places. The rate of a
day is the latest published on or before it, up to :data:`STALE_AFTER` days back (weekends and
the ECB's holidays have none).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Connection, Table, select

from supportledger.errors import LedgerError
from supportledger.models import Rate
from supportledger.money import CURRENCIES, ROUNDING

RATES: Table = Rate.__table__
#: a rate derived from two others is kept to this many decimal places
RATE_PLACES = 10
#: a published rate stands for the days after it, up to this many (a long weekend)
STALE_AFTER = 7
ECB = "ECB"


@dataclass(frozen=True)
class RateRow:
    day: dt.date
    currency: str
    quote: str
    rate: Decimal
    source: str


def _latest(connection: Connection, currency: str, quote: str, day: dt.date) -> Decimal | None:
    found = connection.execute(
        select(RATES.c.rate)
        .where(RATES.c.currency == currency, RATES.c.quote == quote)
        .where(RATES.c.day <= day, RATES.c.day > day - dt.timedelta(days=STALE_AFTER))
        .order_by(RATES.c.day.desc())
        .limit(1)
    ).scalar()
    return Decimal(found) if found is not None else None


def rate_on(connection: Connection, currency: str, base: str, day: dt.date) -> Decimal | None:
    """Units of ``base`` one ``currency`` was worth on ``day``, or ``None`` if not known."""
    if currency == base:
        return Decimal(1)
    direct = _latest(connection, currency, base, day)
    if direct is not None:
        return direct
    inverse = _latest(connection, base, currency, day)
    if inverse is not None:
        return _places(1 / inverse)
    pivots = connection.execute(
        select(RATES.c.currency).where(RATES.c.quote.in_((currency, base))).distinct()
    ).scalars()
    for pivot in pivots:  # 1 pivot = a base and = b currency, so 1 currency = a/b base
        in_base = _latest(connection, pivot, base, day)
        in_currency = _latest(connection, pivot, currency, day)
        if in_base is not None and in_currency is not None and in_currency:
            return _places(in_base / in_currency)
    return None


def _places(rate: Decimal) -> Decimal:
    return rate.quantize(Decimal(1).scaleb(-RATE_PLACES), rounding=ROUNDING)


def parse_rate(text: str, what: str) -> Decimal:
    """A rate as the writer or a file gives it: a positive, finite decimal."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        raise LedgerError(f"{what}: {text!r} is not a rate") from None
    if not rate.is_finite() or rate <= 0:
        raise LedgerError(f"{what}: a rate must be a positive number, not {text!r}")
    return rate


def read_ecb(path: Path) -> Iterator[RateRow]:
    """The ECB's reference rates CSV: the history (``Date,USD,JPY,...`` with ISO dates, a
    trailing comma, ``N/A`` where a currency had no rate) or the day's file
    (``Date, USD, ...`` with ``27 November 2026``). Each rate is 1 EUR in that currency."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [cell.strip() for cell in next(reader, [])]
            if not header or header[0] != "Date":
                raise LedgerError(
                    f"{path.name}: not the ECB's reference rates (its first column is 'Date')"
                )
            # the history keeps currencies since replaced by the euro (CYP, EEK...): not
            # ones a writer is paid in today, and unknown to the ledger, so left out
            codes = [code if code in CURRENCIES else "" for code in header[1:]]
            for line, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                day = _ecb_day(path, line, row[0].strip())
                for code, cell in zip(codes, row[1:], strict=False):
                    cell = cell.strip()
                    if not code or not cell or cell == "N/A":
                        continue
                    yield RateRow(
                        day, "EUR", code, parse_rate(cell, f"{path.name}, line {line}"), ECB
                    )
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{path.name}: cannot read the rates ({exc})") from None


def _ecb_day(path: Path, line: int, text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise LedgerError(f"{path.name}, line {line}: {text!r} is not a date")


def store(connection: Connection, rows: Iterator[RateRow], chunk: int = 5000) -> int:
    """Add rows, replacing any rate already given for the same currencies and day."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(RATES)
    statement = statement.on_conflict_do_update(
        index_elements=["currency", "quote", "day"],
        set_={"rate": statement.excluded.rate, "source": statement.excluded.source},
    )
    count = 0
    batch: dict[tuple, dict] = {}
    for row in rows:
        batch[(row.currency, row.quote, row.day)] = {
            "day": row.day, "currency": row.currency, "quote": row.quote,
            "rate": str(row.rate), "source": row.source,
        }  # fmt: skip
        count += 1
        if len(batch) >= chunk:
            connection.execute(statement, list(batch.values()))
            batch.clear()
    if batch:
        connection.execute(statement, list(batch.values()))
    return count
