"""Amounts in another currency than the ledger's: converted only with a rate the writer gave.

A royalty report states each marketplace in its own currency. The ledger never adds two
currencies without a recorded rate, and it does not invent one: an amount in a currency
for which no rate was given stops the import with a message naming that currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from supportledger.money import Money, MoneyError, currency_code
from supportledger.sources import RowError


@dataclass(frozen=True)
class ToBase:
    """Converts into ``base`` at ``rates`` (units of ``base`` per unit of each currency)."""

    base: str
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    def rate(self, currency: str, path: Path, line: int | None, column: str) -> Decimal | None:
        """``None`` for the base currency itself; a RowError when no rate is known."""
        if currency == self.base:
            return None
        rate = self.rates.get(currency)
        if rate is None:
            raise RowError(
                path,
                line,
                f"amount in {currency} and no {currency}->{self.base} rate was given; "
                f"the ledger does not add currencies without a recorded rate",
                column=column,
                value=currency,
            )
        return rate

    @staticmethod
    def apply(amount: Money, rate: Decimal | None, base: str) -> Money:
        return amount.rounded() if rate is None else amount.converted(rate, base)


def currency_in(path: Path, line: int | None, column: str, text: str, default: str = "") -> str:
    """The ISO 4217 code a cell names (``default`` when empty); else a RowError."""
    try:
        return currency_code(text) if text.strip() or not default else default
    except MoneyError as exc:
        raise RowError(path, line, str(exc), column=column, value=text) from None
