"""The shipped channels beyond the first eight, each from a file in its real layout
(``channel_samples``, where each layout's source is cited): what each importer makes of its
rows, and every one of them through the ledger — import, statement, reconcile, export —
with no fee flagged that the channel really charged."""

import datetime as dt
import io
import json
from dataclasses import replace
from decimal import Decimal

import pytest

from channel_samples import APPLE, GUMROAD_HEADER, KOFI_HEADER, SAMPLES, _purchase, table
from importer_support import CONTEXT, write
from supportledger.channels.apple_books import AppleFinancialReport
from supportledger.channels.cashapp import CashAppActivity
from supportledger.channels.draft2digital import D2DSalesReport
from supportledger.channels.github_sponsors import GitHubSponsorsExport
from supportledger.channels.google_play import GooglePlaySalesReport
from supportledger.channels.gumroad import GumroadSales
from supportledger.channels.kobo import KoboSalesReport
from supportledger.channels.kofi import KofiTransactions
from supportledger.channels.venmo import VenmoStatement
from supportledger.export import ExportFormat, export
from supportledger.imports import import_paths
from supportledger.models import Event, Kind, Status
from supportledger.money import Money
from supportledger.months import Month
from supportledger.reconcile import reconcile_month
from supportledger.render import render
from supportledger.sources import (
    BalanceEntry,
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
    TitleRef,
)
from supportledger.sources.registry import importers
from supportledger.statement import monthly_statement

D = Decimal
OCTOBER = Month(2026, 10)
IMPORTERS = {
    "kofi": KofiTransactions,
    "github_sponsors": GitHubSponsorsExport,
    "gumroad": GumroadSales,
    "venmo": VenmoStatement,
    "cashapp": CashAppActivity,
    "apple_books": AppleFinancialReport,
    "kobo": KoboSalesReport,
    "draft2digital": D2DSalesReport,
    "google_play": GooglePlaySalesReport,
}


def usd(text: str) -> Money:
    return Money(D(text), "USD")


def entries_of(tmp_path, sample_channel: str):
    sample = next(s for s in SAMPLES if s.channel == sample_channel)
    path = tmp_path / sample.file_name
    path.write_bytes(sample.data)
    return list(IMPORTERS[sample_channel]().entries(path, CONTEXT))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.channel)
def test_each_file_is_claimed_by_its_own_importer_alone(tmp_path, sample):
    path = tmp_path / sample.file_name
    path.write_bytes(sample.data)
    head = sample.data[:65536]
    claiming = [i.name for i in importers() if i.identify(path, head)]
    assert claiming == [IMPORTERS[sample.channel].name]


def test_kofi_tips_memberships_and_shop_orders(tmp_path):
    tip, membership, order, given = entries_of(tmp_path, "kofi")
    assert tip == ReceiptEntry(
        channel="kofi",
        external_id="KF-1001",
        occurred_at=dt.datetime(2026, 10, 2, 3, 15, tzinfo=dt.UTC),  # the column is UTC
        gross=usd("5.00"),
        kind=Kind.ONE_TIME,
        flags=frozenset({"paypal"}),  # no platform fee on a tip; PayPal's processing
        supporter=SupporterRef(name="Ana Ruiz", email="ana@example.org"),
        description="Love the book!",
        line=2,
    )
    assert (membership.kind, membership.flags) == (
        Kind.RECURRING,
        frozenset({"stripe", "platform_fee"}),
    )
    assert (order.kind, order.title, order.occurred_at) == (
        Kind.SALE,
        TitleRef("The Salt Road"),
        dt.datetime(2026, 10, 12, 9, tzinfo=dt.UTC),
    )
    assert given == Skipped("support you gave, not income", 5)


def test_kofi_row_naming_no_processor_is_refused(tmp_path):
    text = table(
        KOFI_HEADER,
        [{"DateTime (UTC)": "2026-10-02 03:15:00", "Received": "5.00", "Currency": "USD",
          "TransactionType": "Tip", "TransactionId": "KF-1"}],
    )  # fmt: skip
    path = write(tmp_path, "ko-fi.csv", text)
    with pytest.raises(RowError, match=r"line 2: column 'PaymentProvider' value '': names no"):
        list(KofiTransactions().entries(path, CONTEXT))


def test_github_sponsors_tier_change_and_other_sources(tmp_path):
    ana, upgrade, credit, once, patreon = entries_of(tmp_path, "github_sponsors")
    assert (ana.external_id, ana.gross, ana.kind, ana.occurred_at) == (
        "ch_3QAAA:$20 a month",
        usd("20.00"),
        Kind.RECURRING,
        dt.datetime(2026, 10, 29, 8, 58, 54, tzinfo=dt.UTC),  # +0200 in the file
    )
    assert ana.supporter == SupporterRef(name="Ana Ruiz", user_id="ana-r")
    # one charge, two rows: the new tier, and the old tier's credit (an adjustment, no fee)
    assert (upgrade.event, upgrade.gross) == (Event.PAYMENT, usd("100.00"))
    assert (credit.event, credit.gross, credit.fee) == (Event.ADJUSTMENT, usd("-20.00"), usd("0"))
    assert credit.external_id == "ch_3QBBB:$20 a month"
    assert (once.kind, once.supporter.name) == (Kind.ONE_TIME, "mia-s")
    assert patreon == Skipped("paid through patreon: counted on that channel", 6)


def test_gumroad_sales_refunds_and_the_totals_row(tmp_path):
    first, discover, refunded, refund, totals = entries_of(tmp_path, "gumroad")
    assert first == ReceiptEntry(
        channel="gumroad",
        external_id="P-1",
        occurred_at=dt.datetime(2026, 10, 3, 14, 20, 11, tzinfo=dt.UTC),
        gross=usd("9.99"),
        fee=usd("2.07"),  # 9.99 - 7.92 net
        kind=Kind.SALE,
        supporter=SupporterRef(name="Rosa Diaz", email="rosa@example.org"),
        title=TitleRef("The Salt Road", (("gumroad", "saltroad"),)),
        description="The Salt Road",
        line=2,
    )
    assert (discover.flags, discover.fee) == (frozenset({"discover"}), usd("6.00"))
    assert (refund.event, refund.gross, refund.reverses, refund.occurred_at) == (
        Event.REFUND,
        usd("-5.00"),
        "P-3",
        refunded.occurred_at,  # the export gives no refund date
    )
    assert totals == Skipped("the export's totals row", 5)


def test_gumroad_skips_the_rows_that_took_no_money(tmp_path):
    # antiwork/gumroad app/services/exports/purchase_export_service.rb exports the states
    # Purchase::NON_GIFT_SUCCESS_STATES (app/models/purchase.rb):
    # "preorder_authorization_successful" and free trials' "not_charged" beside "successful";
    # its spec ("marks preorder authorizations", "includes the preorder authorization
    # date-time") shows the authorisation's row, then the charge at release as a purchase of
    # its own.
    released = {"Pre-order authorization time (UTC timezone)": "2026-09-28 10:00:00 UTC"}
    path = tmp_path / "Sales.csv"
    path.write_text(
        table(
            GUMROAD_HEADER,
            [
                _purchase("AUTH-1", "2026-09-28 10:00:00 UTC", "10.0", "1.79", "8.21",
                          **{"Pre-order authorization?": "1"}),
                _purchase("CHG-1", "2026-10-05 09:00:00 UTC", "10.0", "1.79", "8.21", **released),
                _purchase("TRIAL-1", "2026-10-06 09:00:00 UTC", "5.0", "0.0", "5.0",
                          **{"Free trial purchase?": "1", "Recurrence": "monthly"}),
            ],
        )
    )  # fmt: skip
    authorisation, charge, trial = GumroadSales().entries(path, CONTEXT)
    assert authorisation == Skipped("a pre-order's authorisation: its charge is its own row", 2)
    assert (charge.external_id, charge.gross, charge.fee) == ("CHG-1", usd("10.00"), usd("1.79"))
    assert trial == Skipped("a free trial: nothing charged", 4)


def test_gumroad_cuts_each_part_of_its_fee_to_the_cent():
    # antiwork/gumroad computes fees in integer cents: (cents * per_thousand) / 1000 truncates
    on = dt.date(2026, 10, 3)
    assert CONTEXT.schedule.expected_fee("gumroad", on, usd("9.99")) == usd("2.07")
    assert CONTEXT.schedule.expected_fee("gumroad", on, usd("20.00"), flags={"discover"}) == usd(
        "6.00"
    )


def test_venmo_statement_payments_transfers_and_balance(tmp_path):
    opening, paid, sent, transfer, closing = entries_of(tmp_path, "venmo")
    assert opening == Skipped("a balance line, not a transaction", 4)
    assert paid == ReceiptEntry(
        channel="venmo",
        external_id="4345080794249066591",
        occurred_at=dt.datetime(2026, 10, 3, 18, 43, 8, tzinfo=dt.UTC),
        gross=usd("25.00"),
        fee=usd("0.58"),
        supporter=SupporterRef(name="Rosa Diaz"),
        description="For the new chapter",
        line=5,
    )
    assert sent == Skipped("money sent: the writer's own spending", 6)
    assert transfer == PayoutEntry(
        channel="venmo",
        external_id="4345080794249066593",
        initiated_at=dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC),
        amount=usd("24.42"),
        fee=usd("0"),
        line=7,
    )
    # the disclaimer spans two lines: the row ends on line 9
    assert closing == BalanceEntry("venmo", "USD", transfer.initiated_at, usd("0.00"), 9)


def test_venmo_a_charge_is_paid_by_its_to_not_its_from(tmp_path):
    # egh/ledger-autosync fixtures/venmo.csv (an older statement, "Username" over the first
    # column), its rows as written; its converter takes a Charge's payee from To. A Charge is
    # the writer asking: From is the writer, To the one who paid.
    path = tmp_path / "venmo.csv"
    path.write_text(
        "Username,ID,Datetime,Type,Status,Note,From,To,Amount (total),Amount (fee),"
        "Funding Source,Destination,Beginning Balance,Ending Balance,"
        "Statement Period Venmo Fees,Year to Date Venmo Fees,Disclaimer\n"
        'my_username,,,,,,,,,,,,"$0",,,,\n'
        ",1,2020-01-01T13:00:00,Charge,Complete,foobar charge positive,Me,Friend A,+ $73.01,,,"
        "Venmo balance,,,,,\n"
        ",2,2020-01-02T17:00:00,Payment,Complete,foobar payment positive,Friend B,My Name,"
        "+ $50.03,,,Venmo balance,,,,,\n"
        ",3,2020-01-03T20:00:00,Payment,Complete,foobar payment negative,Me,Friend A,- $12.01,,"
        "Venmo balance,,,,,,\n"
        ',,,,,,,,,,,,,"$76.01",,,\n'
    )
    _, charged, paid, sent, closing = VenmoStatement().entries(path, CONTEXT)
    assert (charged.gross, charged.supporter) == (usd("73.01"), SupporterRef(name="Friend A"))
    assert (paid.gross, paid.supporter) == (usd("50.03"), SupporterRef(name="Friend B"))
    assert sent == Skipped("money sent: the writer's own spending", 5)
    assert closing.amount == usd("76.01")


def test_cash_app_received_refunded_and_cashed_out(tmp_path):
    received, card, refunded, refund, cash_out = entries_of(tmp_path, "cashapp")
    assert (received.gross, received.fee, received.occurred_at) == (
        usd("30.00"),
        usd("0.83"),
        dt.datetime(2026, 10, 4, 17, 12, 36, tzinfo=dt.UTC),  # MST is UTC-7
    )
    assert card == Skipped("type Cash Card Debit", 3)
    assert (refunded.status, refund.event, refund.gross, refund.reverses) == (
        Status.COMPLETED,
        Event.REFUND,
        usd("-10.00"),
        "rmk1a4",
    )
    assert (cash_out.amount, cash_out.external_id) == (usd("29.17"), "rmk1a5")


def test_apple_financial_report_month_copies_and_footer(tmp_path):
    sale, returned = entries_of(tmp_path, "apple_books")
    # the fiscal period 28 Sep - 31 Oct is October's; paid within 45 days of its end
    assert (sale.occurred_at, sale.due_on) == (
        dt.datetime(2026, 10, 1, 7, tzinfo=dt.UTC),
        dt.date(2026, 12, 15),
    )
    assert (sale.gross, sale.fee, sale.expected_fee) == (usd("14.97"), usd("4.50"), usd("4.50"))
    assert sale.title == TitleRef(
        "The Salt Road", (("isbn", "9781234567897"), ("apple", "1602345678"))
    )
    assert (returned.event, returned.gross, returned.fee, returned.expected_fee) == (
        Event.REFUND,
        usd("-4.99"),
        usd("-1.50"),
        usd("-1.50"),
    )


def test_apple_sale_in_another_currency_needs_both_rates(tmp_path):
    header, *_ = APPLE.splitlines()
    gb = ["10/01/2026", "10/31/2026", "", "9781234567897", "SALTROAD01", "2", "2.33", "4.66",
          "GBP", "S", "1602345678", "A. Writer", "The Salt Road", "", "", "EB1", "", "GB", "",
          "", "3.99", "GBP"]  # fmt: skip
    path = write(tmp_path, "apple.txt", header + "\n" + "\t".join(gb) + "\n")
    with pytest.raises(RowError, match="column 'Customer Currency' value 'GBP'"):
        list(AppleFinancialReport().entries(path, CONTEXT))
    (sale,) = AppleFinancialReport().entries(path, replace(CONTEXT, rates={"GBP": D("1.25")}))
    # 7.98 GBP paid (VAT included) -> 9.98 USD; 4.66 GBP royalty -> 5.83 USD (5.825 half-up)
    assert (sale.gross, sale.fee, sale.original) == (
        usd("9.98"),
        usd("4.15"),
        Money(D("4.66"), "GBP"),
    )


def test_kobo_rows_and_their_royalty_plan(tmp_path):
    sale, refund, cheap = entries_of(tmp_path, "kobo")
    assert (sale.gross, sale.fee, sale.expected_fee, sale.due_on) == (
        usd("9.98"),
        usd("2.99"),
        usd("2.99"),
        dt.date(2026, 12, 15),  # 45 days after October
    )
    assert (refund.event, refund.fee, refund.expected_fee) == (
        Event.REFUND,
        usd("-1.50"),
        usd("-1.50"),
    )
    assert (cheap.fee, cheap.expected_fee) == (usd("0.54"), usd("0.54"))  # the 45% plan
    assert cheap.title == TitleRef("Night Ferries", (("isbn", "9781234567880"),))


def test_d2d_skips_sales_not_yet_verified(tmp_path):
    sale, unverified = entries_of(tmp_path, "draft2digital")
    assert (sale.gross, sale.fee, sale.expected_fee) == (usd("14.97"), usd("5.99"), usd("5.99"))
    assert sale.title == TitleRef(
        "The Salt Road", (("isbn", "9781234567897"), ("draft2digital", "2401234"))
    )
    assert unverified == Skipped("not verified by the retailer yet: paid once it is", 3)


def test_google_play_keeps_its_ids_and_its_own_conversion_rate(tmp_path):
    sale, refund, foreign = entries_of(tmp_path, "google_play")
    assert (sale.external_id, sale.gross, sale.fee, sale.expected_fee) == (
        "GP-1001",
        usd("4.99"),
        usd("1.50"),
        usd("1.50"),
    )
    assert sale.title == TitleRef("The Salt Road", (("isbn", "9781234567897"),))
    assert (refund.event, refund.gross) == (Event.REFUND, usd("-4.99"))
    # 3.33 GBP at the row's 1.2650 = 4.21 USD paid; 2.95 USD paid to the writer
    assert (foreign.gross, foreign.fee, foreign.expected_fee) == (
        usd("4.21"),
        usd("1.26"),
        usd("1.26"),
    )


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.channel)
def test_every_shipped_channel_through_the_ledger(ledger, tmp_path, sample):
    path = tmp_path / sample.file_name
    path.write_bytes(sample.data)
    (report,) = import_paths(ledger, [path])
    assert (report.source, report.channel) == (IMPORTERS[sample.channel].name, sample.channel)
    statement = json.loads(render(monthly_statement(ledger, OCTOBER), "json", ledger.settings))
    line = statement["channels"][sample.channel]
    assert (line["gross"], line["refunds"], line["fees"], line["net"]) == sample.figures
    # every fee booked is the one the schedule predicts: nothing the channel charged is flagged
    assert line["unexpected_fees"] == {"count": 0, "amount": "0.00"}
    reconcile_month(ledger, OCTOBER)
    stream = io.StringIO()
    export(ledger, ExportFormat.beancount, stream)
    account = ledger.channels.get(sample.channel).account
    assert f" Expenses:Fees:{account} " in stream.getvalue() or line["fees"] == "0.00"
    assert f":{account}" in stream.getvalue()
