"""Exact money: integer minor units in storage, ``Decimal`` in arithmetic.

Every amount carries its ISO 4217 currency, and there is exactly one rounding rule,
:data:`ROUNDING` (half-up to the currency's minor unit, as card processors round fees).
Floats are refused everywhere: a float has already lost the cents we care about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from supportledger.errors import LedgerError

#: The one rounding rule of the ledger: half-up to the currency's minor unit.
ROUNDING = ROUND_HALF_UP

# ISO 4217 currencies whose minor unit is not two digits.
_EXPONENTS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}

#: Active ISO 4217 codes the ledger accepts; anything else is a data error.
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    ZWL
    """.split()
)


class MoneyError(LedgerError, ValueError):
    """An amount or currency that cannot be taken as exact money."""


class CurrencyMismatch(MoneyError):
    """Two currencies met in one sum without a recorded rate."""


def currency_code(text: str) -> str:
    """Normalise and validate an ISO 4217 code (``usd`` → ``USD``)."""
    code = (text or "").strip().upper()
    if code not in CURRENCIES:
        raise MoneyError(f"unknown currency {text!r}")
    return code


def exponent(currency: str) -> int:
    """Digits after the decimal point in ``currency``'s minor unit."""
    return _EXPONENTS.get(currency, 2)


_SYMBOLS = re.compile(r"[$€£¥\s\u00a0]|US\$|CA\$|A\$")
#: digits an amount read from a file may have before the point: within Decimal's 28
#: significant digits every sum, fee and rounding of such amounts stays exact
MAX_WHOLE_DIGITS = 15


#: an amount's digits in the US convention, and in the decimal-comma one (``1.234,56``,
#: ``1 234,56`` with a space or a no-break space between thousands)
_US_DIGITS = re.compile(r"(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+")
_COMMA_DIGITS = re.compile(r"(\d{1,3}(\.\d{3})+|\d{1,3}([ \u00a0\u202f]\d{3})+|\d+)(,\d+)?")


#: an amount as most cells write it, ``1560.00`` or ``-0.50``: its digits are taken as they
#: stand (``Decimal`` of the text itself, exact); anything else goes the long way
_PLAIN = re.compile(rf"(-?)([0-9]{{1,{MAX_WHOLE_DIGITS}}}(?:\.[0-9]+)?)")


def parse_decimal(text: str, decimal_comma: bool = False) -> Decimal:
    """Read an amount as exports write it: ``1,560.00``, ``-$5.00``, ``(5.00)``, ``$ 3``.

    The US convention (``,`` thousands, ``.`` decimals), or with ``decimal_comma`` the
    European one (``1.560,00``); a value that does not fit the convention exactly is
    refused rather than guessed.
    """
    plain = _PLAIN.fullmatch(text) if type(text) is str and not decimal_comma else None
    if plain is not None:  # the common cell, read exactly as the long way reads it
        value = Decimal(plain[2])
        return -value if plain[1] else value
    if isinstance(text, float):
        raise MoneyError("floats are not money; pass a string or Decimal")
    if isinstance(text, (int, Decimal)):
        return Decimal(text)
    raw = str(text).strip()
    cleaned = _SYMBOLS.sub("", raw).replace("\u2212", "-")
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative, cleaned = True, cleaned[1:-1]
    if cleaned.startswith("-"):
        negative, cleaned = not negative, cleaned[1:]
    elif cleaned.startswith("+"):
        cleaned = cleaned[1:]
    cleaned = _SYMBOLS.sub("", cleaned)
    if not (_COMMA_DIGITS if decimal_comma else _US_DIGITS).fullmatch(cleaned):
        raise MoneyError(f"not an amount: {raw!r}")
    if decimal_comma:
        cleaned = re.sub(r"[. \u00a0\u202f]", "", cleaned).replace(",", ".")
    try:
        value = Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only digits
        raise MoneyError(f"not an amount: {raw!r}") from exc
    if value.adjusted() >= MAX_WHOLE_DIGITS:
        raise MoneyError(f"too large to be an amount: {raw!r}")
    return -value if negative else value


def parse_rate(text: str) -> Decimal:
    """A conversion rate as the writer types it: a plain number more than zero (never
    ``Infinity``, ``NaN`` or an exponent: every amount converted with it stays exact)."""
    rate = parse_decimal(text)
    if rate <= 0:
        raise MoneyError(f"a rate is more than zero, got {str(text).strip()!r}")
    return rate


#: the minor unit of each currency met so far, as a Decimal (``0.01``)
_QUANTA: dict[str, Decimal] = {}


def _quantum(currency: str) -> Decimal:
    _QUANTA[currency] = Decimal(1).scaleb(-exponent(currency))
    return _QUANTA[currency]


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Arithmetic never mixes currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount) is Decimal and self.currency in CURRENCIES:
            return  # already exact and a code as written (most amounts, made by arithmetic)
        if isinstance(self.amount, float):
            raise MoneyError("floats are not money; pass a string or Decimal")
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(self.amount))
        object.__setattr__(self, "currency", currency_code(self.currency))

    @classmethod
    def of(cls, value: str | int | Decimal, currency: str) -> Money:
        """Parse ``value`` (a string as exports write it, an int or a Decimal)."""
        return cls(parse_decimal(value), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        code = currency_code(currency)
        return cls(Decimal(int(minor)).scaleb(-exponent(code)), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.from_minor(0, currency)

    @property
    def minor(self) -> int:
        """The amount in minor units; refuses an amount that is not a whole number of them."""
        scaled = self.amount.scaleb(exponent(self.currency))
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{self.amount} {self.currency} is not a whole number of minor units")
        return int(scaled)

    def rounded(self) -> Money:
        """Round to the minor unit with the ledger's one rule, :data:`ROUNDING`."""
        quantum = _QUANTA.get(self.currency) or _quantum(self.currency)
        return Money(self.amount.quantize(quantum, rounding=ROUNDING), self.currency)

    def converted(self, rate: Decimal, currency: str) -> Money:
        """This amount in ``currency`` at ``rate`` (units of ``currency`` per unit), rounded."""
        if isinstance(rate, float):
            raise MoneyError("floats are not rates; pass a string or Decimal")
        return Money(self.amount * Decimal(rate), currency).rounded()

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} and {other.currency} without a rate"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        """Exact product; call :meth:`rounded` when the result is to be booked."""
        if isinstance(factor, float):
            raise MoneyError("floats are not money; pass a string or Decimal")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def plain(self) -> str:
        """The amount with exactly the currency's minor digits, no symbol: ``1234.50``."""
        return f"{self.rounded().amount:.{exponent(self.currency)}f}"

    def __str__(self) -> str:
        return f"{self.plain()} {self.currency}"


def total(amounts, currency: str) -> Money:
    """Sum ``amounts`` (all in ``currency``); the empty sum is zero, not an error."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
