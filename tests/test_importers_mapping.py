import datetime as dt
from decimal import Decimal

import pytest

from importer_support import CONTEXT, write
from supportledger.models import Event, Kind
from supportledger.money import Money
from supportledger.sources import ReceiptEntry, RowError, Skipped, SupporterRef
from supportledger.sources.ids import stable_id
from supportledger.sources.mapping import MappingBeside, MappingError, ebookit, load_mapping
from supportledger.sources.registry import mapping_source

KOFI = (
    "DateTime (UTC),From,Message,Item,Received,Currency,TransactionType,TransactionId\n"
    "2026-10-02 03:15:00,Ana Ruiz,Love the book!,,5.00,USD,Tip,KF-1001\n"
    "2026-10-02 03:15:00,Ana Ruiz,Love the book!,,5.00,USD,Tip,KF-1002\n"
    "2026-10-10 18:00:00,Lou Green,,Monthly,3.00,USD,Monthly Tip,KF-1003\n"
    "2026-10-15 12:00:00,,,,-25.00,USD,Withdrawal,KF-1004\n"
)
# Ko-fi is not a channel of its own: its money arrives through Stripe
KOFI_MAPPING = """
channel = "stripe"
kind = "one_time"
header = ["DateTime (UTC)", "From", "Message", "Item", "Received", "Currency",
          "TransactionType", "TransactionId"]
date_format = "%Y-%m-%d %H:%M:%S"
timezone = "UTC"

[columns]
date = "DateTime (UTC)"
amount = "Received"
id = "TransactionId"
payer = "From"
description = "Message"
currency = "Currency"

[[skip]]
column = "TransactionType"
matches = "(?i)^withdrawal$"
reason = "a withdrawal to the bank is not income"
"""


def test_a_ko_fi_csv_through_a_mapping(tmp_path):
    mapping = write(tmp_path, "kofi.toml", KOFI_MAPPING)
    path = write(tmp_path, "Transactions_Oct.csv", KOFI)
    importer = mapping_source(f"mapping:{mapping}")
    assert importer.name == f"mapping:{mapping}"
    first, second, monthly, withdrawal = importer.entries(path, CONTEXT)
    assert first == ReceiptEntry(
        channel="stripe",
        external_id="KF-1001",
        # 03:15 UTC on 2 Oct is 20:15 on 1 Oct in Phoenix: the writer's October either way
        occurred_at=dt.datetime(2026, 10, 2, 3, 15, tzinfo=dt.UTC),
        gross=Money(Decimal("5.00"), "USD"),
        kind=Kind.ONE_TIME,
        supporter=SupporterRef(name="Ana Ruiz"),
        description="Love the book!",
        line=2,
    )
    assert (second.external_id, second.gross) == ("KF-1002", first.gross)
    assert (monthly.external_id, monthly.supporter, monthly.description) == (
        "KF-1003",
        SupporterRef(name="Lou Green"),
        "",
    )
    assert withdrawal == Skipped("a withdrawal to the bank is not income", 5)


def test_a_mapping_beside_the_file_is_found_by_its_header(tmp_path):
    write(tmp_path, "kofi.toml", KOFI_MAPPING)
    write(tmp_path, "unrelated.toml", '[tool.other]\nname = "x"\n')
    path = write(tmp_path, "Transactions_Oct.csv", KOFI)
    beside = MappingBeside()
    assert beside.identify(path, path.read_bytes())
    assert [e.external_id for e in beside.entries(path, CONTEXT) if hasattr(e, "external_id")] == [
        "KF-1001",
        "KF-1002",
        "KF-1003",
    ]
    other = write(tmp_path, "other.csv", "Date,Amount\n2026-10-01,5\n")
    assert not beside.identify(other, other.read_bytes())


def test_without_an_id_column_identical_rows_keep_two_ids(tmp_path):
    text = KOFI_MAPPING.replace('id = "TransactionId"\n', "").replace(
        'payer = "From"', 'payer = "From"\nfee = ["Item"]'
    )
    mapping = write(tmp_path, "kofi.toml", text)
    rows = KOFI.replace(",KF-1002", ",KF-1001").replace(",Monthly,", ",0.25,")
    path = write(tmp_path, "kofi.csv", rows)
    first, second, monthly, _ = load_mapping(mapping).entries(path, CONTEXT)
    cells = ("2026-10-02 03:15:00", "Ana Ruiz", "Love the book!", "", "5.00", "USD", "Tip")
    assert first.external_id == stable_id(*cells, "KF-1001", 0)
    assert second.external_id == stable_id(*cells, "KF-1001", 1)
    assert (first.fee, monthly.fee) == (Money(0, "USD"), Money(Decimal("0.25"), "USD"))


def test_the_shipped_ebookit_mapping(tmp_path):
    text = (
        "Date,Retailer,Title,ISBN,Units,Gross Sales,Royalty,Currency\n"
        "10/31/2026,Apple Books,The Long Road,9781234567897,4,19.96,7.98,USD\n"
        "10/31/2026,Kobo,The Long Road,9781234567897,-1,-4.99,-2.00,USD\n"
    )
    path = write(tmp_path, "ebookit-2026-10.csv", text)
    importer = ebookit()
    assert importer.name == "ebookit"
    assert importer.identify(path, path.read_bytes())
    apple, kobo = importer.entries(path, CONTEXT)
    # a day is its start in the ledger's zone: midnight in Phoenix is 07:00 UTC
    assert (apple.channel, apple.kind, apple.occurred_at) == (
        "ebookit",
        Kind.SALE,
        dt.datetime(2026, 10, 31, 7, tzinfo=dt.UTC),
    )
    assert (apple.gross, apple.fee, apple.description) == (
        Money(Decimal("19.96"), "USD"),
        Money(Decimal("11.98"), "USD"),
        "The Long Road",
    )
    assert (kobo.gross, kobo.fee, kobo.event) == (
        Money(Decimal("-4.99"), "USD"),
        Money(Decimal("-2.99"), "USD"),
        Event.REFUND,
    )


def test_a_mapping_renames_a_builtin_formats_columns(tmp_path):
    mapping = write(
        tmp_path,
        "patreon.toml",
        'format = "patreon-earnings"\n[columns]\nprocessed = "Gross earnings"\n'
        'platform = ["Creator plan fee"]\n',
    )
    path = write(
        tmp_path,
        "earnings.csv",
        "Month,Gross earnings,Processing fees,Creator plan fee\n2026-10,100.00,3.20,8.00\n",
    )
    importer = load_mapping(mapping)
    assert importer.name == "patreon-earnings"
    assert importer.identify(path, path.read_bytes())
    (october,) = importer.entries(path, CONTEXT)
    assert (october.external_id, october.gross, october.fee) == (
        "earnings:2026-10",
        Money(Decimal("100.00"), "USD"),
        Money(Decimal("11.20"), "USD"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('channel = "kofi"\n[columns]\ndate="D"\namount="A"\n', "unknown channel 'kofi'"),
        ('channel = "stripe"\n[columns]\ndate="D"\n', "[columns]: missing 'amount'"),
        ('channel = "stripe"\ncolour = 1\n', "unknown key(s) colour"),
        ('channel = "stripe"\n[columns]\ndate="D"\namount="A"\nfee="F"\nnet="N"\n', "not both"),
        (
            'channel = "stripe"\n[columns]\ndate="D"\namount="A"\n[[skip]]\ncolumn="T"\n'
            'matches="("\n',
            "skip[0]: 'matches' is not a regular expression",
        ),
        ('format = "paypal-ish"\n', "'paypal-ish' is not one"),
        ('format = "patreon-earnings"\n[columns]\ngross = "G"\n', "has no 'gross'"),
        ("channel = \n", "Invalid value"),
    ],
)
def test_a_bad_mapping_says_what_is_wrong(tmp_path, text, message):
    mapping = write(tmp_path, "bad.toml", text)
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping)
    assert str(mapping) in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "2026-10-10 18:00:00",
            "10/10/2026 6pm",
            "line 4: column 'DateTime (UTC)' value '10/10/2026 6pm': is not a date-time",
        ),
        (",3.00,USD", ",,USD", "line 4: column 'Received' value '': is empty"),
        (",3.00,USD", ",3.00,XYZ", "line 4: column 'Currency' value 'XYZ': unknown currency"),
    ],
)
def test_bad_rows_name_file_line_column_and_value(tmp_path, old, new, message):
    mapping = write(tmp_path, "kofi.toml", KOFI_MAPPING)
    path = write(tmp_path, "kofi.csv", KOFI.replace(old, new))
    with pytest.raises(RowError) as caught:
        list(load_mapping(mapping).entries(path, CONTEXT))
    assert str(caught.value).startswith(f"kofi.csv, {message}")


KOFI_EUR = KOFI.replace(
    "2026-10-10 18:00:00,Lou Green,,Monthly,3.00,USD",
    "2026-10-10 18:00:00,Lou Green,,Monthly,3.00,EUR",
)


def test_a_mapping_takes_rates_for_another_currency(ledger, tmp_path):
    from supportledger.imports import import_paths
    from supportledger.models import Receipt

    write(tmp_path, "kofi.toml", KOFI_MAPPING)
    path = write(tmp_path, "Transactions_Oct.csv", KOFI_EUR)
    with pytest.raises(RowError) as caught:
        import_paths(ledger, [path])
    assert str(caught.value).startswith(
        "Transactions_Oct.csv, line 4: column 'Currency' value 'EUR': amount in EUR and no "
        "EUR->USD rate was given"
    )
    (report,) = import_paths(ledger, [path], rates={"EUR": Decimal("1.10")})
    assert report.added == 3
    from sqlalchemy import select

    with ledger.session() as session:
        query = select(Receipt).where(Receipt.external_id == "KF-1003")
        monthly = session.exec(query).scalar_one()
    # 3.00 EUR at 1.10 is 3.30 USD; the original and the rate are kept
    assert (monthly.gross_minor, monthly.currency) == (330, "USD")
    assert (monthly.original_minor, monthly.original_currency, monthly.fx_rate) == (
        300,
        "EUR",
        "1.10",
    )


def test_a_broken_mapping_beside_a_file_is_reported_as_itself(ledger, tmp_path):
    from supportledger.errors import LedgerError
    from supportledger.imports import import_paths

    path = write(tmp_path, "Transactions_Oct.csv", KOFI)
    # its header is the file's, but it names no amount column
    broken = write(tmp_path, "kofi.toml", KOFI_MAPPING.replace('amount = "Received"\n', ""))
    with pytest.raises(LedgerError) as caught:
        import_paths(ledger, [path])
    assert str(caught.value) == f"{broken} [columns]: missing 'amount'"
    # a mapping that is not even TOML is named when nothing recognises the file
    broken.write_text("channel = \n")
    with pytest.raises(LedgerError) as caught:
        import_paths(ledger, [path])
    assert "kofi.toml beside it cannot be used (mapping " in str(caught.value)
    assert str(caught.value).startswith("Transactions_Oct.csv: not a format supportledger ")
