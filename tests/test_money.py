from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportledger.money import ROUNDING, CurrencyMismatch, Money, MoneyError, parse_decimal, total

cents = st.integers(min_value=-(10**12), max_value=10**12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,560.00", Decimal("1560.00")),
        ("-68.94", Decimal("-68.94")),
        ("$5.00", Decimal("5.00")),
        ("-$5.00", Decimal("-5.00")),
        ("(12.50)", Decimal("-12.50")),
        (" 3 ", Decimal("3")),
        ("\u22121.25", Decimal("-1.25")),
        ("1,234,567.89", Decimal("1234567.89")),
    ],
)
def test_parse_decimal_reads_export_spellings(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "12,34", "1,2345.00", "--5", "NaN", "1e5"])
def test_parse_decimal_refuses_what_it_cannot_read_exactly(text):
    with pytest.raises(MoneyError, match="not an amount"):
        parse_decimal(text)


def test_floats_are_refused_everywhere():
    with pytest.raises(MoneyError):
        Money(0.1, "USD")
    with pytest.raises(MoneyError):
        Money.of("1.00", "USD") * 0.5
    with pytest.raises(MoneyError):
        parse_decimal(0.1)
    with pytest.raises(MoneyError):
        Money.of("1.00", "USD").converted(1.1, "EUR")


def test_the_one_rounding_rule_is_half_up():
    assert ROUNDING == "ROUND_HALF_UP"
    assert Money(Decimal("0.005"), "USD").rounded() == Money.of("0.01", "USD")
    assert Money(Decimal("0.015"), "USD").rounded() == Money.of("0.02", "USD")  # not banker's
    assert Money(Decimal("-0.005"), "USD").rounded() == Money.of("-0.01", "USD")
    assert Money(Decimal("0.0049"), "USD").rounded() == Money.of("0.00", "USD")
    assert Money(Decimal("12.5"), "JPY").rounded() == Money.of("13", "JPY")
    assert Money(Decimal("1.0005"), "KWD").rounded().amount == Decimal("1.001")


def test_currencies_are_validated_and_never_mixed():
    with pytest.raises(MoneyError, match="unknown currency"):
        Money.of("1", "XYZ")
    assert Money.of("1", "usd").currency == "USD"
    with pytest.raises(CurrencyMismatch, match="without a rate"):
        Money.of("1", "USD") + Money.of("1", "EUR")
    assert Money.of("10.00", "EUR").converted(Decimal("1.0834"), "USD") == Money.of("10.83", "USD")


def test_minor_units_refuse_fractions_of_a_cent():
    assert Money.of("12.34", "USD").minor == 1234
    assert Money.of("500", "JPY").minor == 500
    with pytest.raises(MoneyError, match="minor units"):
        _ = Money(Decimal("0.005"), "USD").minor


@given(cents)
def test_minor_units_round_trip(minor):
    assert Money.from_minor(minor, "USD").minor == minor


@given(st.lists(cents, max_size=20))
def test_sums_are_exact(values):
    amounts = [Money.from_minor(v, "USD") for v in values]
    assert total(amounts, "USD").minor == sum(values)


@given(cents, st.integers(min_value=0, max_value=10**9))
def test_rounding_never_moves_more_than_half_a_cent(minor, thousandths):
    amount = Money(Decimal(minor) / 100 + Decimal(thousandths % 1000) / 100000, "USD")
    rounded = amount.rounded()
    assert abs(rounded.amount - amount.amount) <= Decimal("0.005")
    assert rounded.minor == rounded.amount * 100


def test_plain_shows_the_currencys_digits():
    assert Money.of("5", "USD").plain() == "5.00"
    assert str(Money.of("1234.5", "USD")) == "1234.50 USD"
    assert Money.of("500", "JPY").plain() == "500"


@pytest.mark.parametrize(
    "text",
    ["25.00", "-0.50", "0", "-0", "1560", "0.125", "-1234.5", "000000000000012.50",
     "999999999999999.99", "-999999999999999"],
)  # fmt: skip
def test_plain_amounts_read_the_short_way_are_what_the_long_way_reads(text):
    """A cell like ``25.00`` skips the symbol and separator handling; a space in front
    sends the same digits the long way: the two agree to the digit, sign and exponent."""
    short, long = parse_decimal(text), parse_decimal(f" {text}")
    assert short.as_tuple() == long.as_tuple()


@given(st.integers(-(10**17), 10**17), st.integers(0, 4))
def test_plain_amounts_agree_with_the_long_way_everywhere(minor, places):
    text = f"{Decimal(minor).scaleb(-places):f}"
    try:
        long = parse_decimal(f" {text}")
    except MoneyError:
        with pytest.raises(MoneyError):
            parse_decimal(text)
        return
    assert parse_decimal(text).as_tuple() == long.as_tuple()


@pytest.mark.parametrize("text", ["١٢.٠٠", "1234567890123456", "5.", "1e3", "--5"])
def test_what_the_short_way_does_not_take_goes_the_long_way(text):
    """Other digits, too many of them, a bare point, an exponent: the long way decides
    (it reads Arabic-Indic digits, refuses the rest) exactly as before."""
    try:
        expected = parse_decimal(f" {text}")
    except MoneyError:
        with pytest.raises(MoneyError):
            parse_decimal(text)
    else:
        assert parse_decimal(text).as_tuple() == expected.as_tuple()
