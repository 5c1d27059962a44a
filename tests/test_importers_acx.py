import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from importer_support import ACX_HEADER, CONTEXT, write, xlsx
from supportledger.channels.audible import AcxSalesDetail
from supportledger.models import Event, Kind
from supportledger.money import Money
from supportledger.sources import ReceiptEntry, RowError, TitleRef
from supportledger.sources.ids import stable_id

D = Decimal
SALE = ["Jane Writer", "BK_ACX0_012345", "Jane Writer", "The Long Road", "9781234567897",
        "P-1", "Sale", "Audible.com", "A La Carte", "Standard", "Exclusive", "", "USD",
        "40%", "100%", 3, D("44.85"), D("17.94")]  # fmt: skip
SHARE = ["Jane Writer", "BK_ACX0_054321", "Jane Writer", "Short Tales", "", "P-2", "Sale",
         "Audible.com", "Member", "Credit", "Royalty Share", "", "USD", "40%", "50%", 2,
         D("20.00"), D("4.00")]  # fmt: skip
RETURN = ["Jane Writer", "BK_ACX0_012345", "Jane Writer", "The Long Road", "9781234567897",
          "P-1", "Return", "Audible.com", "A La Carte", "Standard", "Exclusive", "", "USD",
          "40%", "100%", -1, D("-14.95"), D("-5.98")]  # fmt: skip


def workbook(tmp_path, rows, name="ACX_Royalty_Statement.xlsx"):
    path = tmp_path / name
    path.write_bytes(
        xlsx(
            {
                "Cover Sheet (ACX)": [["ACX Royalty Statement"], ["Period: 2025_OCT"]],
                "Sales Detail (Net Sales)": [ACX_HEADER, *rows],
            }
        )
    )
    return path


def test_sales_detail_sheet_with_the_period_on_the_cover(tmp_path):
    path = workbook(tmp_path, [SALE, SHARE, RETURN])
    assert AcxSalesDetail().identify(path, path.read_bytes()[:65536])
    sale, share, returned = AcxSalesDetail().entries(path, CONTEXT)
    key = ("2025-10", "BK_ACX0_012345", "Audible.com", "Sale", "A La Carte", "Standard",
           "Exclusive", "USD")  # fmt: skip
    assert sale == ReceiptEntry(
        channel="audible",
        external_id="royalty:2025-10:" + stable_id(*key),
        occurred_at=dt.datetime(2025, 10, 1, 7, tzinfo=dt.UTC),
        gross=Money(D("44.85"), "USD"),
        fee=Money(D("26.91"), "USD"),  # 44.85 − 17.94
        kind=Kind.SALE,
        expected_fee=Money(D("26.91"), "USD"),  # 60% of 44.85
        description="The Long Road · Audible.com · Sale · Standard",
        due_on=dt.date(2025, 11, 30),
        title=TitleRef("The Long Road", (("isbn", "9781234567897"), ("audible", "BK_ACX0_012345"))),
        line=2,
    )
    # Royalty Share: Audible keeps 60% (12.00); of the 8.00 royalty the producer has half
    assert (share.fee, share.expected_fee) == (Money(D("16.00"), "USD"), Money(D("16.00"), "USD"))
    assert (returned.event, returned.gross, returned.fee, returned.expected_fee) == (
        Event.REFUND,
        Money(D("-14.95"), "USD"),
        Money(D("-8.97"), "USD"),
        Money(D("-8.97"), "USD"),
    )
    assert returned.external_id != sale.external_id


def test_csv_with_a_period_column(tmp_path):
    text = ",".join(["Period", *ACX_HEADER]) + "\n" + ",".join(map(str, ["2025_NOV", *SALE])) + "\n"
    path = write(tmp_path, "acx.csv", text)
    assert AcxSalesDetail().identify(path, path.read_bytes())
    (sale,) = AcxSalesDetail().entries(path, CONTEXT)
    assert (sale.occurred_at, sale.due_on, sale.gross) == (
        dt.datetime(2025, 11, 1, 7, tzinfo=dt.UTC),
        dt.date(2025, 12, 31),
        Money(D("44.85"), "USD"),
    )


def test_another_currency_without_a_rate_is_refused(tmp_path):
    uk = [*SALE[:7], "Audible.co.uk", *SALE[8:12], "GBP", *SALE[13:]]
    path = workbook(tmp_path, [SALE, uk], name="acx.xlsx")
    with pytest.raises(RowError) as caught:
        list(AcxSalesDetail().entries(path, CONTEXT))
    assert str(caught.value).startswith(
        "acx.xlsx, line 3: column 'Currency' value 'GBP': amount in GBP and no GBP->USD rate"
    )
    (_, converted) = AcxSalesDetail().entries(path, replace(CONTEXT, rates={"GBP": D("1.25")}))
    # 44.85 GBP × 1.25 = 56.0625 → 56.06; royalty 17.94 × 1.25 = 22.425 → 22.43 (half-up)
    assert (converted.gross, converted.fee, converted.original) == (
        Money(D("56.06"), "USD"),
        Money(D("33.63"), "USD"),
        Money(D("44.85"), "GBP"),
    )


def test_no_period_anywhere_is_named(tmp_path):
    text = ",".join(ACX_HEADER) + "\n" + ",".join(map(str, SALE)) + "\n"
    path = write(tmp_path, "acx.csv", text)
    with pytest.raises(RowError, match=r"acx.csv, line 2: column 'Period' value '': has no"):
        list(AcxSalesDetail().entries(path, CONTEXT))


def test_the_model_paid_on_listening_pays_fifty_or_thirty_percent_from_november_2024(tmp_path):
    # ACX's blog announced the model on 12 Nov 2024 (reported by boktugg.se that day;
    # acx.com/mp/blog, 6 Aug 2025): 50% exclusive, 30% non-exclusive
    exclusive = [*SALE[:13], "50%", *SALE[14:16], D("44.85"), D("22.43")]
    non_exclusive = [*SALE[:13], "30%", *SALE[14:16], D("44.85"), D("13.46")]
    sale, other = AcxSalesDetail().entries(workbook(tmp_path, [exclusive, non_exclusive]), CONTEXT)
    # the royalty is what ACX rounds: 50% of 44.85 = 22.425 -> 22.43 (half-up), 30% = 13.455
    # -> 13.46; Audible keeps the rest, so neither is flagged for a cent it never kept
    assert (sale.fee, sale.expected_fee) == (Money(D("22.42"), "USD"), Money(D("22.42"), "USD"))
    assert (other.fee, other.expected_fee) == (Money(D("31.39"), "USD"), Money(D("31.39"), "USD"))


def test_a_royalty_rate_with_no_plan_in_force_has_no_expected_fee(tmp_path):
    unheard_of = [*SALE[:13], "45%", *SALE[14:]]
    (sale,) = AcxSalesDetail().entries(workbook(tmp_path, [unheard_of]), CONTEXT)
    assert (sale.fee, sale.expected_fee) == (Money(D("26.91"), "USD"), None)
    # the 50% model did not exist in October 2024
    early = [*SALE[:13], "50%", *SALE[14:]]
    path = tmp_path / "early.xlsx"
    path.write_bytes(
        xlsx(
            {
                "Cover Sheet (ACX)": [["Period: 2024_OCT"]],
                "Sales Detail (Net Sales)": [ACX_HEADER, early],
            }
        )
    )
    (sale,) = AcxSalesDetail().entries(path, CONTEXT)
    assert sale.expected_fee is None
