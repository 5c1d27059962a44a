import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlmodel import select

from importer_support import CONTEXT, KDP_HEADER, write, xlsx
from supportledger.channels.kdp import KdpRoyalties
from supportledger.imports import import_paths
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


# The paperback and hardcover sheets: the columns of the reference's KDP section (several
# parsers in public code); the KENP sheets: ablinston/Kindle_trends R/load_kdp_files.R and
# R/validate_raw_data.R ("KENP Read": Date, Title, Author Name, ASIN, Marketplace,
# "Kindle Edition Normalized Page (KENP) Read" or "… Pages (KENP) Read from KU and KOLL"),
# pinkest-nekomata/author_stats stg__kdp_kenp_days.sql (the Royalties Estimator's "KENP":
# Date, Title, Author Name, eBook ASIN, Audiobook ASIN, Audible ASIN, Marketplace, KENP).
PRINT_HEADER = ["Royalty Date", "Order Date", "Title", "Author Name", "ISBN", "Marketplace",
                "Royalty Type", "Transaction Type", "Units Sold", "Units Refunded",
                "Net Units Sold", "Avg. List Price without tax", "Avg. Offer Price without tax",
                "Avg. Manufacturing Cost", "Royalty", "Currency"]  # fmt: skip
KENP_HEADER = ["Royalty Date", "Title", "Author Name", "ASIN", "Marketplace",
               "Kindle Edition Normalized Pages (KENP) Read from KU and KOLL", "Royalty",
               "Currency"]  # fmt: skip
ESTIMATOR_KENP = ["Date", "Title", "Author Name", "eBook ASIN", "Audiobook ASIN",
                  "Audible ASIN", "Marketplace", "KENP"]  # fmt: skip


def test_every_royalty_sheet_is_booked_and_any_other_is_named(tmp_path):
    paperback = ["2026-10", "2026-10-12", "The Long Road", "Jane Writer", "978-1-234567-88-0",
                 "Amazon.com", "60%", "Standard - Paperback", 2, 0, 2, D("12.99"), D("12.99"),
                 D("3.65"), D("8.29"), "USD"]  # fmt: skip
    cheap = ["2026-10", "2026-10-20", "Short Tales", "Jane Writer", "9781234567873",
             "Amazon.com", "50%", "Standard - Paperback", 1, 0, 1, D("8.99"), D("8.99"),
             D("2.50"), D("2.00"), "USD"]  # fmt: skip
    hardcover = ["2026-10", "2026-10-03", "The Long Road", "Jane Writer", "9781234567866",
                 "Amazon.com", "60%", "Standard - Hardcover", 1, 0, 1, D("24.99"), D("24.99"),
                 D("6.20"), D("8.79"), "USD"]  # fmt: skip
    kenp = ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.com", 3155,
            D("14.32"), "USD"]  # fmt: skip
    path = workbook(
        tmp_path,
        {
            "Summary": [["October 2026"], ["Total", "88.10"]],
            "Combined Sales": [["October 2026"], ["Title", "ASIN", "Marketplace"]],
            "eBook Royalty": [KDP_HEADER, ROWS[0]],
            "Paperback Royalty": [PRINT_HEADER, paperback, cheap],
            "Hardcover Royalty": [PRINT_HEADER, hardcover],
            "KENP Read": [KENP_HEADER, kenp],
        },
    )
    summary, totals, ebook, soft, small, hard, pages = KdpRoyalties().entries(path, CONTEXT)
    assert summary == Skipped(
        "sheet 'Summary': not a royalty sheet this importer knows; nothing in it is booked"
    )
    assert totals == Skipped("sheet 'Combined Sales': totals of the sheets read, not counted twice")
    assert ebook.gross == Money(D("49.90"), "USD")
    # 60% of 25.98 less 2 × 3.65 printing = 8.288 -> 8.29: Amazon kept 17.69, as expected
    assert (soft.gross, soft.fee, soft.expected_fee) == (
        Money(D("25.98"), "USD"),
        Money(D("17.69"), "USD"),
        Money(D("17.69"), "USD"),
    )
    assert soft.title == TitleRef("The Long Road", (("isbn", "9781234567880"),))
    # below $9.99 from 10 Jun 2025: 50% of 8.99 - 2.50 = 1.995 -> 2.00
    assert (small.fee, small.expected_fee) == (Money(D("6.99"), "USD"), Money(D("6.99"), "USD"))
    assert (hard.fee, hard.expected_fee) == (Money(D("16.20"), "USD"), Money(D("16.20"), "USD"))
    # pages read are paid from the KDP Select fund: readers paid no price, the royalty is all
    assert (pages.gross, pages.fee, pages.kind, pages.due_on) == (
        Money(D("14.32"), "USD"),
        Money(D("0"), "USD"),
        Kind.SALE,
        dt.date(2026, 12, 31),
    )
    assert pages.description == "The Long Road · Amazon.com · 3155 KENP pages read"
    assert len({e.external_id for e in (ebook, soft, small, hard, pages)}) == 5


def test_kenp_days_are_paid_at_the_rate_the_report_states_or_named(tmp_path):
    days = [
        ["2026-10-01", "The Long Road", "Jane Writer", "B0ABC12345", "", "", "Amazon.com", 1200],
        ["2026-10-02", "The Long Road", "Jane Writer", "B0ABC12345", "", "", "Amazon.com", 1955],
        ["2026-10-02", "The Long Road", "Jane Writer", "B0ABC12345", "", "", "Amazon.co.uk", 400],
    ]  # fmt: skip
    stated = [["KENP rate per page: USD 0.0045386"], ESTIMATOR_KENP, *days]
    path = workbook(tmp_path, {"eBook Royalty": [KDP_HEADER], "KENP": stated}, "kdp_2026-10.xlsx")
    us, uk = KdpRoyalties().entries(path, CONTEXT)
    # the days of a month add up, then the royalty is rounded once: 3155 × 0.0045386 = 14.319
    assert (us.gross, us.fee, us.line) == (Money(D("14.32"), "USD"), Money(D("0"), "USD"), 3)
    # the rate is stated for dollars only: the pounds' pages are named, not guessed at
    assert uk == Skipped(
        "sheet 'KENP': 400 KENP pages read and no royalty or rate per page stated; not booked "
        "(import the Prior Months' Royalties report)"
    )


def test_a_report_with_every_sheet_through_the_ledger(ledger, tmp_path):
    kenp = ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.com", 3155,
            D("14.32"), "USD"]  # fmt: skip
    path = workbook(
        tmp_path,
        {
            "eBook Royalty": [KDP_HEADER, ROWS[0]],
            "KENP Read": [KENP_HEADER, kenp],
            "Payments": [["Payment Date", "Amount"], ["2026-12-29", "48.00"]],
        },
    )
    (report,) = import_paths(ledger, [path])
    assert report.added == 2
    assert report.skip_reasons == {
        "sheet 'Payments': not a royalty sheet this importer knows; nothing in it is booked": 1
    }
    with ledger.session() as session:
        net = session.exec(select(Receipt.net_minor)).all()
    assert sorted(net) == [1432, 3367]
