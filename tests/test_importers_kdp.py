import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlmodel import select

from importer_support import CONTEXT, KDP_HEADER, write, xlsx
from supportledger.channels.kdp import KdpRoyalties
from supportledger.models import Event, Kind, Receipt
from supportledger.money import Money
from supportledger.sources import ReceiptEntry, RowError, Skipped, TitleRef
from supportledger.sources.ids import stable_id

D = Decimal
ROWS = [
    ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.com", "70%", "Standard",
     12, 2, 10, D("4.99"), D("4.99"), D("1.2"), D("0.18"), D("33.67"), "USD"],
    ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.com", "35%", "Standard",
     3, 0, 3, D("2.99"), D("2.99"), D("1.2"), None, D("3.14"), "USD"],
    ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.com", "70%",
     "Free - Promotion", 40, 0, 40, D("4.99"), D("0.00"), D("1.2"), 0, 0, "USD"],
    ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.co.uk", "70%", "Standard",
     2, 0, 2, D("3.99"), D("3.99"), D("1.2"), D("0.12"), D("5.45"), "GBP"],
]  # fmt: skip


def workbook(tmp_path, sheets, name="KDP_Prior_Month_Royalties.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(sheets))
    return path


def test_ebook_royalty_sheet(tmp_path):
    combined = [["October 2026"], ["Title", "ASIN", "Marketplace"], ["ignored", "X", "Y"]]
    path = workbook(tmp_path, {"Combined Sales": combined, "eBook Royalty": [KDP_HEADER, *ROWS]})
    importer = KdpRoyalties()
    assert importer.identify(path, path.read_bytes()[:65536])
    with_rate = replace(CONTEXT, rates={"GBP": D("1.2650")})
    totals, seventy, thirty_five, promotion, uk = importer.entries(path, with_rate)
    # the totals sheet repeats the royalty sheets: named in the summary, never counted twice
    assert totals == Skipped("sheet 'Combined Sales': totals of the sheets read, not counted twice")

    key = ("2026-10", "B0ABC12345", "Amazon.com", "70%", "Standard")
    assert seventy == ReceiptEntry(
        channel="kdp",
        external_id="royalty:2026-10:" + stable_id(*key),
        occurred_at=dt.datetime(2026, 10, 1, 7, tzinfo=dt.UTC),
        gross=Money(D("49.90"), "USD"),  # 10 × 4.99
        fee=Money(D("16.23"), "USD"),  # 49.90 − 33.67
        kind=Kind.SALE,
        # Amazon rounds the row's royalty once: 0.70 × (49.90 − 10 × 0.18 delivery of 1.2 MB
        # at 0.15) = 33.67, so it kept 16.23 (copy by copy it would be 16.30: 7 cents it
        # never kept)
        expected_fee=Money(D("16.23"), "USD"),
        description="The Long Road · Amazon.com · 70% · Standard",
        due_on=dt.date(2026, 12, 31),
        title=TitleRef("The Long Road", (("asin", "B0ABC12345"),)),
        line=2,
    )
    # 35%: 3 × 2.99 = 8.97 paid, royalty 0.35 × 8.97 = 3.1395 -> 3.14: Amazon kept 5.83
    assert (thirty_five.gross, thirty_five.fee, thirty_five.expected_fee) == (
        Money(D("8.97"), "USD"),
        Money(D("5.83"), "USD"),
        Money(D("5.83"), "USD"),
    )
    assert promotion == Skipped("no money: no units sold, or a free promotion", 4)
    # 2 × 3.99 = 7.98 GBP → 10.09 USD at 1.2650; royalty 5.45 GBP → 6.89 USD
    # expected: royalty 0.70 × (7.98 − 2 × 0.12 delivery) = 5.418 -> 5.42, so 2.56 GBP kept
    # → 3.24 USD
    assert (uk.gross, uk.fee, uk.expected_fee, uk.original, uk.fx_rate) == (
        Money(D("10.09"), "USD"),
        Money(D("3.20"), "USD"),
        Money(D("3.24"), "USD"),
        Money(D("7.98"), "GBP"),
        D("1.2650"),
    )


def test_a_currency_without_a_rate_stops_the_file(tmp_path):
    path = workbook(tmp_path, {"eBook Royalty": [KDP_HEADER, *ROWS]}, name="kdp.xlsx")
    with pytest.raises(RowError) as caught:
        list(KdpRoyalties().entries(path, CONTEXT))
    assert str(caught.value).startswith(
        "kdp.xlsx, line 5: column 'Currency' value 'GBP': amount in GBP and no GBP->USD rate"
    )


def test_older_single_sheet_layout_takes_its_month_from_the_title(tmp_path):
    header = [
        "Title", "Author", "ASIN", "Marketplace", "Units Sold", "Units Refunded",
        "Net Units Sold or KENP Read**", "Royalty Type", "Transaction Type*", "Currency",
        "Avg. List Price without tax", "Avg. Offer Price without tax", "Avg. File Size (MB)",
        "Avg. Delivery Cost", "Royalty",
    ]  # fmt: skip
    row = ["Short Tales", "Jane Writer", "B0SHORT001", "Amazon.com", 1, 2, -1, "70%",
           "Standard", "USD", D("2.99"), D("2.99"), D("0.5"), D("0.08"), D("-2.04")]  # fmt: skip
    path = workbook(tmp_path, {"Sheet1": [["Sales Report for September 2026"], [], header, row]})
    (refund,) = KdpRoyalties().entries(path, CONTEXT)
    # 0.7 × (2.99 − 0.08) = 2.04 returned; paid −2.99, so −0.95 was Amazon's share
    assert (refund.gross, refund.fee, refund.event, refund.line) == (
        Money(D("-2.99"), "USD"),
        Money(D("-0.95"), "USD"),
        Event.REFUND,
        4,
    )
    assert refund.occurred_at == dt.datetime(2026, 9, 1, 7, tzinfo=dt.UTC)
    assert refund.due_on == dt.date(2026, 11, 30)
    # the row's royalty 0.70 × (−2.99 + 0.08) = −2.037 -> −2.04: Amazon's share −0.95
    assert refund.expected_fee == Money(D("-0.95"), "USD")


def csv_text(rows):
    def cell(value):
        return "" if value is None else str(value)

    return "\n".join(",".join(map(cell, r)) for r in [KDP_HEADER, *rows]) + "\n"


def test_the_same_columns_as_csv(tmp_path):
    path = write(tmp_path, "royalties.csv", csv_text(ROWS[:2]))
    assert KdpRoyalties().identify(path, path.read_bytes())
    seventy, thirty_five = KdpRoyalties().entries(path, CONTEXT)
    assert (seventy.gross, seventy.fee) == (Money(D("49.90"), "USD"), Money(D("16.23"), "USD"))
    assert thirty_five.line == 3


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (14, "33.6.7", "line 2: column 'Royalty' value '33.6.7': is not an amount"),
        (9, "10.5", "line 2: column 'Net Units Sold' value '10.5': is not a whole number"),
        (15, "US", "line 2: column 'Currency' value 'US': unknown currency 'US'"),
        (0, "someday", "line 2: column 'Royalty Date' value 'someday': has no royalty month"),
    ],
)
def test_bad_rows_are_named(tmp_path, column, value, message):
    row = list(ROWS[0])
    row[column] = value
    path = write(tmp_path, "royalties.csv", csv_text([row]))
    with pytest.raises(RowError) as caught:
        list(KdpRoyalties().entries(path, CONTEXT))
    assert str(caught.value).startswith(f"royalties.csv, {message}")


def test_import_takes_the_writers_rate_for_a_marketplace_currency(cli, ledger, tmp_path):
    """The UK row of a KDP report needs a rate; ``import --rate`` gives it, and each receipt
    keeps its pounds and the rate applied."""
    path = workbook(tmp_path, {"eBook Royalty": [KDP_HEADER, ROWS[0], ROWS[3]]})
    code, out, err = cli("import", str(path))
    assert code == 1
    assert "amount in GBP and no GBP->USD rate was given" in err
    assert cli("receipts", "--format", "json")[1] == "[]\n"  # nothing of the file written
    code, out, err = cli("import", str(path), "--rate", "GBP=1.2650")
    assert code == 0, err
    code, out, _ = cli("receipts", "--format", "json")
    uk = [r for r in json.loads(out) if r["gross"] == "10.09"]
    # 2 × 3.99 GBP = 7.98 GBP × 1.2650 = 10.0947 → 10.09; royalty 5.45 × 1.2650 = 6.894 → 6.89
    assert [(r["gross"], r["fee"], r["net"]) for r in uk] == [("10.09", "3.20", "6.89")]
    with ledger.session() as session:
        receipt = session.exec(select(Receipt).where(Receipt.gross_minor == 1009)).one()
    assert (receipt.original_minor, receipt.original_currency, receipt.fx_rate) == (
        798,
        "GBP",
        "1.2650",
    )


@pytest.mark.parametrize(
    ("pair", "message"),
    [("GBP", "expected CUR=RATE"), ("XXX=1", "unknown currency"), ("GBP=-1", "more than zero")],
)
def test_a_bad_rate_is_one_line(cli, pair, message):
    code, _, err = cli("import", "nothing.csv", "--rate", pair)
    assert code == 1
    assert message in err and err.count("\n") == 1
