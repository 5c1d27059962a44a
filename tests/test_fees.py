import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportledger.channels import all_channels, get_channel
from supportledger.channels.kdp import delivery_cost
from supportledger.errors import LedgerError
from supportledger.fees import ScheduleError, load_schedule
from supportledger.money import Money

SCHEDULE = load_schedule()


def fee(channel, day, amount, **kw):
    return SCHEDULE.expected_fee(channel, dt.date.fromisoformat(day), Money.of(amount, "USD"), **kw)


def test_every_declared_channel_has_its_default_plan_in_the_schedule():
    declared = {channel.name: channel for channel in all_channels()}
    assert sorted(SCHEDULE.channels) == sorted(declared)
    for name, channel in declared.items():
        assert get_channel(name) is channel
        assert SCHEDULE.defaults[name] == channel.fee_plan
        assert SCHEDULE.rule(name, dt.date(2026, 10, 1)).plan == channel.fee_plan
    with pytest.raises(LedgerError, match="unknown channel 'liberapay'"):
        get_channel("liberapay")


@pytest.mark.parametrize(
    ("day", "amount", "expected"),
    [
        ("2021-08-01", "20.00", "0.88"),  # 2.9% + 0.30 = 0.58 + 0.30
        ("2021-08-02", "20.00", "1.19"),  # 3.49% + 0.49 = 0.698 + 0.49 -> 1.188
        ("2026-10-01", "1560.00", "54.93"),  # 54.444 + 0.49 = 54.934
        ("2019-01-01", "10.00", "0.59"),
    ],
)
def test_paypal_commercial_rate_changes_on_2021_08_02(day, amount, expected):
    assert fee("paypal", day, amount) == Money.of(expected, "USD")


def test_paypal_international_adds_one_and_a_half_percent():
    assert fee("paypal", "2026-10-01", "20.00", flags={"international"}) == Money.of("1.49", "USD")


def test_paypal_refunds_return_no_fee_from_2019_10_11():
    assert SCHEDULE.rule("paypal", dt.date(2019, 10, 10)).refund_returns == "percent"
    assert SCHEDULE.rule("paypal", dt.date(2019, 10, 11)).refund_returns == "none"


@pytest.mark.parametrize(
    ("plan", "day", "amount", "expected"),
    [
        ("pro", "2019-05-06", "5.00", "0.70"),  # 5% + 2.9% + 0.30 = 0.25 + 0.145->0.15 + 0.30
        ("pro", "2026-10-01", "5.00", "0.85"),  # 8% (0.40) + 0.15 + 0.30
        ("pro", "2026-10-01", "3.00", "0.49"),  # 8% (0.24) + 5% (0.15) + 0.10
        ("lite", "2026-10-01", "10.00", "1.09"),  # 0.50 + 0.29 + 0.30
        ("premium", "2026-10-01", "10.00", "1.79"),  # 1.20 + 0.29 + 0.30
        ("standard", "2026-10-01", "10.00", "1.59"),  # 1.00 + 0.29 + 0.30
    ],
)
def test_patreon_platform_and_processing(plan, day, amount, expected):
    assert fee("patreon", day, amount, plan=plan) == Money.of(expected, "USD")


def test_patreon_standard_plan_did_not_exist_before_august_2025():
    with pytest.raises(ScheduleError, match="before 2025-08-04"):
        fee("patreon", "2025-08-03", "5.00", plan="standard")


def test_stripe_international_surcharge_rose_in_june_2023():
    assert fee("stripe", "2023-05-31", "100.00", flags={"international"}) == Money.of("4.20", "USD")
    assert fee("stripe", "2023-06-01", "100.00", flags={"international"}) == Money.of("4.70", "USD")
    assert SCHEDULE.rule("stripe", dt.date(2026, 1, 1)).dispute_fee == {"USD": Decimal("15.00")}


def test_zelle_and_checks_cost_nothing():
    assert fee("zelle", "2026-10-01", "250.00") == Money.of("0", "USD")
    assert fee("check", "2026-10-01", "250.00") == Money.of("0", "USD")


def test_kdp_seventy_percent_keeps_delivery_cost():
    on = dt.date(2016, 2, 1)
    delivery = delivery_cost(SCHEDULE, on, "USD", Decimal(6), "70")
    # the reference example: $2.99, 6 MB -> delivery $0.90 -> royalty 0.70 x 2.09 = $1.46
    assert delivery == Money.of("0.90", "USD")
    kept = SCHEDULE.expected_fee("kdp", on, Money.of("2.99", "USD"), bases={"delivery": delivery})
    assert kept == Money.of("1.53", "USD")


def test_a_remembered_fee_is_the_one_computed_afresh_digit_for_digit():
    """The schedule remembers fees per rule and payment: asked again, for the same value
    written with other digits (KDP's rounding keeps the gross's), with another basis or
    plan, it answers what a schedule computing it for the first time answers."""
    on = dt.date(2026, 10, 1)
    remembering = load_schedule()
    asked = [
        (amount, plan, bases)
        for amount in ("5.0", "5.00", "5.0", "5.000", "44.91")
        for plan in ("70", "35")
        for bases in (
            None,
            {"delivery": Money.of("0.30", "USD")},
            {"delivery": Money.of("0.3", "USD")},
        )
    ]
    for amount, plan, bases in asked * 2:
        gross = Money.of(amount, "USD")
        got = remembering.expected_fee("kdp", on, gross, plan=plan, bases=bases)
        fresh = load_schedule().expected_fee("kdp", on, gross, plan=plan, bases=bases)
        assert (got, got and str(got.amount)) == (fresh, fresh and str(fresh.amount))


def test_kdp_rounds_the_royalty_of_a_row_not_of_a_copy():
    on = dt.date(2026, 10, 1)
    # 35% of three copies at 2.99: royalty 0.35 x 8.97 = 3.1395 -> 3.14, Amazon keeps 5.83
    # (copy by copy, 1.9435 -> 1.94 x 3 = 5.82: a cent Amazon never kept)
    row = Money.of("8.97", "USD")
    assert SCHEDULE.expected_fee("kdp", on, row, plan="35") == Money.of("5.83", "USD")
    # 70%, nine copies at 4.99 and 0.30 delivery each: 0.70 x (44.91 - 2.70) = 29.547 -> 29.55
    bases = {"delivery": Money.of("2.70", "USD")}
    assert SCHEDULE.expected_fee("kdp", on, Money.of("44.91", "USD"), bases=bases) == Money.of(
        "15.36", "USD"
    )


def test_audible_exclusive_pays_forty_percent():
    assert fee("audible", "2026-10-01", "20.00") == Money.of("12.00", "USD")
    assert fee("audible", "2026-10-01", "20.00", plan="non_exclusive") == Money.of("15.00", "USD")


def test_ebookit_is_unknown_until_the_writer_says(tmp_path: Path):
    assert fee("ebookit", "2026-10-01", "10.00") is None
    own = tmp_path / "fees.toml"
    own.write_text(
        '[defaults]\npatreon = "lite"\n\n'
        '[[rule]]\nchannel = "ebookit"\nplan = "contract"\nfrom = 2020-01-01\n'
        'components = [{ name = "publisher", percent = "50" }]\n'
    )
    schedule = load_schedule(own)
    on = dt.date(2026, 10, 1)
    assert schedule.expected_fee("ebookit", on, Money.of("10.00", "USD")) == Money.of("5.00", "USD")
    assert schedule.defaults["patreon"] == "lite"
    assert schedule.expected_fee("patreon", on, Money.of("10.00", "USD")) == Money.of("1.09", "USD")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nplan = "x"\nfrom = 2020-01-01\n', "missing 'channel'"),
        ('[[rule]]\nchannel = "x"\nplan = "x"\nfrom = "2020"\n', "'from' must be a date"),
        (
            '[[rule]]\nchannel = "x"\nplan = "y"\nfrom = 2020-01-01\n'
            "components = [{ percent = 2.9 }]\n",
            "not floats",
        ),
        ("not toml ][", "fees.toml"),
    ],
)
def test_a_bad_schedule_file_names_the_problem(tmp_path: Path, text, message):
    own = tmp_path / "fees.toml"
    own.write_text(text)
    with pytest.raises(ScheduleError, match=message):
        load_schedule(own)


amounts = st.integers(min_value=1, max_value=10**8).map(lambda c: Money.from_minor(c, "USD"))
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))


@given(amounts, days, st.sampled_from(["paypal", "patreon", "stripe", "zelle", "audible"]))
def test_fees_are_whole_cents_and_net_is_gross_less_fee(gross, day, channel):
    predicted = SCHEDULE.expected_fee(channel, day, gross)
    assert predicted.currency == "USD"
    assert predicted.minor >= 0
    net = gross - predicted
    assert net.minor == gross.minor - predicted.minor
    assert predicted.minor <= gross.minor or channel in {"paypal", "patreon", "stripe"}


@given(amounts, days)
def test_each_component_is_rounded_on_its_own(gross, day):
    rule = SCHEDULE.rule("patreon", day, "pro")
    parts = [c.fee(gross, {}) for c in rule.components if c.applies(gross, frozenset())]
    assert rule.fee(gross).minor == sum(p.minor for p in parts)


# ---------------------------------------------------------------- checked against the pages
# Each rule's date and source are in schedule.toml; these hold the figures to them.


@pytest.mark.parametrize(
    ("day", "amount", "flags", "expected"),
    [
        # PayPal's Donate button: 2.89% + 0.49, not Checkout's 3.49% + 0.49 (PayPal US
        # merchant fees page, Aug 2025 version)
        ("2026-10-02", "25.00", {"donation"}, "1.21"),  # 0.7225 + 0.49
        ("2026-10-02", "25.00", set(), "1.36"),  # 0.8725 + 0.49
        # goods and services between accounts: 2.99%, no fixed fee, from 28 Jul 2022
        ("2022-07-28", "100.00", {"goods_and_services"}, "2.99"),
        ("2022-07-27", "100.00", {"goods_and_services"}, "3.98"),  # Checkout's before
        # the international surcharge on a donation: 2.89% + 1.5% on one rate, rounded once
        ("2026-10-11", "33.33", {"donation", "international"}, "1.95"),  # 1.463187 + 0.49
        # before 2 Aug 2021 a donation was a commercial payment like any other
        ("2021-08-01", "25.00", {"donation"}, "1.03"),  # 0.725 + 0.30
    ],
)
def test_paypal_donations_checkout_and_goods_and_services(day, amount, flags, expected):
    assert fee("paypal", day, amount, flags=flags) == Money.of(expected, "USD")


def test_paypal_dispute_fee_from_november_2020_and_not_on_small_claims():
    # the User Agreement of 9 Nov 2020 established it (ecommercebytes.com, 2 Oct 2020)
    assert SCHEDULE.rule("paypal", dt.date(2020, 11, 8)).dispute_fee == {}
    rule = SCHEDULE.rule("paypal", dt.date(2020, 11, 9))
    assert rule.dispute_fee_for(Money.of("30.00", "USD")) == Money.of("15.00", "USD")
    # "claims with a transaction value less than twice the Standard Dispute Fee" (FAQ4382)
    assert rule.dispute_fee_for(Money.of("29.99", "USD")) is None


def test_paypal_micropayments_take_the_international_surcharge():
    on = "2026-10-01"
    # 4.99% + 0.09, and +1.5% abroad: 6.49% of 4.00 = 0.2596 + 0.09 = 0.3496 -> 0.35
    assert fee("paypal", on, "4.00", plan="micropayment") == Money.of("0.29", "USD")
    assert fee("paypal", on, "4.00", plan="micropayment", flags={"international"}) == Money.of(
        "0.35", "USD"
    )


def test_each_rounding_rounds_as_its_channel_does():
    on = dt.date(2026, 10, 1)
    # Gumroad works in integer cents: 10% of 9.99 + 0.50 = 1.499 -> 1.49 (not 1.50)
    assert SCHEDULE.expected_fee("gumroad", on, Money.of("9.99", "USD")) == Money.of("2.07", "USD")
    # a store rounds the writer's royalty: Kobo's 70% of 0.99 = 0.693 -> 0.69, keeps 0.30
    assert SCHEDULE.expected_fee("kobo", on, Money.of("0.99", "USD")) == Money.of("0.30", "USD")
    # 30% of 0.99 = 0.297 rounded on its own would be 0.30 too; on 4.95 the two differ:
    # royalty 3.465 -> 3.47, so 1.48 kept (30% alone: 1.485 -> 1.49)
    assert SCHEDULE.expected_fee("kobo", on, Money.of("4.95", "USD")) == Money.of("1.48", "USD")


@pytest.mark.parametrize(
    ("channel", "amount", "flags", "expected"),
    [
        ("kofi", "5.00", {"paypal"}, "0.66"),  # a tip: no platform fee; PayPal 3.49% + 0.49
        ("kofi", "3.00", {"stripe", "platform_fee"}, "0.54"),  # 5% + 2.9% + 0.30 = 0.537
        ("buymeacoffee", "5.00", set(), "0.70"),  # 5% + 2.9% + 0.30 = 0.25 + 0.15 + 0.30
        ("substack", "8.00", set(), "1.33"),  # 10% + 2.9% + 0.30 = 0.80 + 0.23 + 0.30
        ("github_sponsors", "20.00", set(), "0.00"),  # no fee from personal accounts
        ("venmo", "25.00", set(), "0.58"),  # business profile 1.9% + 0.10 = 0.475 -> 0.48 + 0.10
        ("cashapp", "30.00", set(), "0.83"),  # business account 2.75% = 0.825
        ("apple_books", "4.99", set(), "1.50"),  # royalty 70% = 3.493 -> 3.49
        ("google_play", "4.99", set(), "1.50"),
        ("barnes_noble", "4.99", set(), "1.50"),
    ],
)
def test_the_new_channels_fees(channel, amount, flags, expected):
    assert fee(channel, "2026-10-01", amount, flags=flags) == Money.of(expected, "USD")


def test_draft2digital_keeps_ten_percent_beside_the_retailers_stated_share():
    on = dt.date(2026, 10, 1)
    retailer = {"retailer": Money.of("4.49", "USD")}
    # 14.97: D2D 1.497 + Apple's stated 4.49 = 5.987; the royalty 8.983 -> 8.98
    paid = Money.of("14.97", "USD")
    assert SCHEDULE.expected_fee("draft2digital", on, paid, bases=retailer) == Money.of(
        "5.99", "USD"
    )
    assert SCHEDULE.expected_fee("draft2digital", on, paid) is None  # no share stated


def test_an_unknown_rate_is_none_until_the_writer_says():
    assert fee("github_sponsors", "2026-10-01", "20.00", plan="organization") is None
