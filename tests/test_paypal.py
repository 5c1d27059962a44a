"""The PayPal activity download, read into the ledger (every figure worked out by hand)."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

import paypal_export as pp
from supportledger.channels.paypal import PayPalActivity
from supportledger.imports import import_paths, undo_batch
from supportledger.models import (
    ChannelBalance,
    Payout,
    Receipt,
    Subscription,
    Supporter,
    Transfer,
)
from supportledger.months import Month
from supportledger.reconcile import reconcile_month
from supportledger.sources import ImportContext, Skipped

SHORT_2017 = ["Date", "Time", "Time Zone", "Name", "Type", "Status", "Currency", "Amount",
              "Receipt ID", "Balance"]  # fmt: skip


def receipts(ledger) -> dict[str, Receipt]:
    with ledger.session() as session:
        return {r.external_id: r for r in session.exec(select(Receipt)).scalars()}


def rows(ledger, model):
    with ledger.session() as session:
        return session.exec(select(model).order_by(model.id)).scalars().all()


def test_an_october_download_becomes_receipts_a_payout_and_balances(ledger, tmp_path):
    path = pp.write(tmp_path / "Download.CSV", pp.OCTOBER)
    (report,) = import_paths(ledger, [path])

    # 14 lines: 7 receipts, 1 payout, and the writer's own 15.00 payment to the print shop
    # (it moved PayPal's balance, so it is kept: money out of the balance, not support);
    # the balances PayPal stated are kept beside them, not counted as lines
    assert (report.source, report.channel, report.rows) == ("paypal", "paypal", 14)
    assert (report.added, report.updated, report.unchanged, report.skipped) == (9, 0, 0, 5)
    assert report.skip_reasons == {
        "currency conversion, folded into its payment": 2,
        "authorization": 1,
        "dispute hold": 1,
        "dispute hold released": 1,
    }
    (transfer,) = rows(ledger, Transfer)
    assert (transfer.external_id, transfer.amount_minor, transfer.description) == (
        "COUT0000000000001",
        -1500,
        "outgoing payment",
    )
    found = receipts(ledger)
    assert {k: (r.gross_minor, r.fee_minor, r.net_minor) for k, r in found.items()} == (
        pp.OCTOBER_RECEIPTS
    )
    # the ledger's totals for the file: gross 1,184.00, fees 45.70, net 1,138.30
    assert sum(r.gross_minor for r in found.values()) == 118400
    assert sum(r.fee_minor for r in found.values()) == 4570
    assert sum(r.net_minor for r in found.values()) == 113830

    # the instant is the file's: 09:15 PDT is 16:15 UTC
    assert found["1AN00000000000001"].occurred_at == dt.datetime(2026, 10, 1, 16, 15, tzinfo=dt.UTC)
    assert found["EFA00000000000001"].occurred_at == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
    assert report.covers_from == dt.datetime(2026, 10, 1, 16, 15, tzinfo=dt.UTC)
    assert report.covers_to == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)


def test_kinds_subscriptions_and_supporters(ledger, tmp_path):
    import_paths(ledger, [pp.write(tmp_path / "Download.CSV", pp.OCTOBER)])
    found = receipts(ledger)
    assert found["2BO00000000000001"].kind == "recurring"
    assert found["1AN00000000000001"].kind == "one_time"
    subscriptions = {s.id: s for s in rows(ledger, Subscription)}
    assert sorted((s.external_id, s.amount_minor, s.status) for s in subscriptions.values()) == [
        ("I-BOLI0001", 500, "active"),
        ("I-CYPARK001", 500, "active"),
    ]
    assert subscriptions[found["2BO00000000000001"].subscription_id].external_id == "I-BOLI0001"
    # two identical $5 pledges at the same minute are two receipts
    assert found["3CY00000000000001"].gross_minor == found["2BO00000000000001"].gross_minor
    names = {s.id: s.display_name for s in rows(ledger, Supporter)}
    assert sorted(names.values()) == ["Ana Ruiz", "Bo Li", "Cy Park", "Dee Müller", "Ed Stone",
                                      "Fay Ong"]  # fmt: skip
    # the refund names the supporter in "To Email Address": the same Ed Stone
    assert found["9RF00000000000001"].supporter_id == found["8ED00000000000001"].supporter_id


def test_new_subscriptions_take_ids_in_the_order_the_file_names_them(ledger, tmp_path):
    """Not in a set's order, which changes with each process's string hashing."""
    refs = [f"I-ORDER{n:05d}" for n in (7, 3, 9, 1, 8, 2, 6, 4)]
    lines = [
        pp.row("10/20/2026", f"10:{n:02d}:00", f"Reader {n}", "Subscription Payment",
               "Completed", "USD", "5.00", "-0.66", "4.34", f"r{n}@example.org",
               f"ORD{n:014d}", ref=ref)
        for n, ref in enumerate(refs)
    ]  # fmt: skip
    import_paths(ledger, [pp.write(tmp_path / "Download.CSV", lines)])
    by_id = sorted(rows(ledger, Subscription), key=lambda s: s.id)
    assert [s.external_id for s in by_id] == refs


def test_a_refund_reverses_the_original_and_paypal_keeps_its_fee(ledger, tmp_path):
    import_paths(ledger, [pp.write(tmp_path / "Download.CSV", pp.OCTOBER)])
    found = receipts(ledger)
    refund, original = found["9RF00000000000001"], found["8ED00000000000001"]
    assert (refund.event, refund.reverses_id, refund.kind) == ("refund", original.id, "one_time")
    # since 11 Oct 2019 no part of the 1.19 is returned: the schedule expects a 0.00 refund fee
    assert (refund.gross_minor, refund.fee_minor, refund.expected_fee_minor) == (-2000, 0, 0)
    assert original.fee_minor == original.expected_fee_minor == 119


def test_a_foreign_payment_and_its_conversions_are_one_receipt_in_dollars(ledger, tmp_path):
    import_paths(ledger, [pp.write(tmp_path / "Download.CSV", pp.OCTOBER)])
    dee = receipts(ledger)["4DE00000000000001"]
    rate = Decimal("50.88") / Decimal("47.11")  # USD credited per EUR taken: 1.08002...
    assert (dee.currency, dee.original_minor, dee.original_currency) == ("USD", 5000, "EUR")
    assert Decimal(dee.fx_rate) == rate
    # net = the 50.88 credited; gross = 50.00 EUR x rate = 54.0013 -> 54.00; fee = 3.12
    assert (dee.gross_minor, dee.fee_minor, dee.net_minor) == (5400, 312, 5088)
    assert dee.flags == "conversion,donation,international"  # a Donation Received row


def test_conversion_rows_above_their_payment_are_collapsed_too(ledger, tmp_path):
    newest_first = list(reversed(pp.OCTOBER))
    import_paths(ledger, [pp.write(tmp_path / "Download.CSV", newest_first)])
    found = receipts(ledger)
    assert {k: (r.gross_minor, r.fee_minor, r.net_minor) for k, r in found.items()} == (
        pp.OCTOBER_RECEIPTS
    )


def test_a_withdrawal_is_a_payout_and_does_not_raise_octobers_income(ledger, tmp_path):
    without = [r for r in pp.OCTOBER if r["Transaction ID"] != "DWD00000000000001"]
    import_paths(ledger, [pp.write(tmp_path / "a.csv", without)])
    gross_before = sum(r.gross_minor for r in receipts(ledger).values())
    import_paths(ledger, [pp.write(tmp_path / "b.csv", pp.OCTOBER)])
    assert sum(r.gross_minor for r in receipts(ledger).values()) == gross_before == 118400
    (payout,) = rows(ledger, Payout)
    assert (payout.channel, payout.external_id, payout.amount_minor, payout.status) == (
        "paypal",
        "DWD00000000000001",
        102728,
        "paid",
    )
    assert payout.initiated_at == dt.datetime(2026, 11, 1, 0, 30, tzinfo=dt.UTC)


def test_the_balance_paypal_states_is_kept_at_the_end_of_each_day(ledger, tmp_path):
    # the last row of each Phoenix day, per currency; the EUR balance went back to 0.00 when
    # the 50 EUR were converted at the same instant (the later row in the file's own order)
    newest_first = list(reversed(pp.OCTOBER))
    for rows_in_file in (pp.OCTOBER, newest_first):
        path = pp.write(tmp_path / "Download.CSV", rows_in_file)
        (report,) = import_paths(ledger, [path])
        balances = [(b.currency, b.amount_minor, b.as_of) for b in rows(ledger, ChannelBalance)]
        assert sorted(balances, key=lambda b: (b[0], b[2])) == [
            ("EUR", 0, dt.datetime(2026, 10, 3, 18, 0, tzinfo=dt.UTC)),
            ("USD", 99259, dt.datetime(2026, 10, 1, 16, 20, tzinfo=dt.UTC)),
            ("USD", 104347, dt.datetime(2026, 10, 3, 18, 0, tzinfo=dt.UTC)),
            ("USD", 104347, dt.datetime(2026, 10, 4, 15, 0, tzinfo=dt.UTC)),
            ("USD", 106228, dt.datetime(2026, 10, 5, 21, 0, tzinfo=dt.UTC)),
            ("USD", 104228, dt.datetime(2026, 10, 9, 17, 0, tzinfo=dt.UTC)),
            ("USD", 103728, dt.datetime(2026, 10, 12, 17, 0, tzinfo=dt.UTC)),
            ("USD", 104228, dt.datetime(2026, 10, 14, 17, 0, tzinfo=dt.UTC)),
            ("USD", 102728, dt.datetime(2026, 10, 20, 23, 0, tzinfo=dt.UTC)),
            ("USD", 9602, dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)),
        ]
        undo_batch(ledger, report.batch_id)


def test_a_re_downloaded_row_that_changed_status_updates_its_receipt(ledger, tmp_path):
    pending = pp.row("11/23/2026", "10:00:00", "Gus Hale", "Donation Received", "Pending", "USD",
                     "30.00", "-1.54", "28.46", "gus@example.org", "GUS00000000000001",
                     zone="PST")  # fmt: skip
    import_paths(ledger, [pp.write(tmp_path / "nov-1.csv", [pending])])
    first = receipts(ledger)["GUS00000000000001"]
    assert first.status == "pending"

    (report,) = import_paths(
        ledger, [pp.write(tmp_path / "nov-2.csv", [{**pending, "Status": "Completed"}])]
    )
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    (second,) = receipts(ledger).values()
    assert (second.id, second.status, second.net_minor) == (first.id, "completed", 2846)

    (report,) = import_paths(
        ledger, [pp.write(tmp_path / "nov-3.csv", [{**pending, "Status": "Reversed"}])]
    )
    assert report.updated == 1
    assert receipts(ledger)["GUS00000000000001"].status == "reversed"


def test_the_2017_short_format_books_the_schedules_fee(ledger, tmp_path):
    # no Fee column: 2.9% + 0.30 then; a refund before 11 Oct 2019 returned the % part
    lines = [
        {"Date": "3/14/2017", "Time": "10:00:00", "Time Zone": "PDT", "Name": "Hal Ito",
         "Type": "Donation Received", "Status": "Completed", "Currency": "USD",
         "Amount": "1,200.00", "Receipt ID": "1111-2222-3333-4444", "Balance": "1,200.00"},
        {"Date": "3/15/2017", "Time": "10:00:00", "Time Zone": "PDT", "Name": "Hal Ito",
         "Type": "Refund", "Status": "Completed", "Currency": "USD", "Amount": "-200.00",
         "Receipt ID": "5555-6666-7777-8888", "Balance": "1,000.00"},
    ]  # fmt: skip
    path = pp.write(tmp_path / "paypal-2017.csv", lines, header=SHORT_2017, bom=False)
    (report,) = import_paths(ledger, [path])
    assert (report.source, report.added) == ("paypal", 2)  # two receipts (and the balances)
    found = receipts(ledger)
    # 1,200.00 x 2.9% = 34.80 + 0.30 = 35.10
    assert (found["1111-2222-3333-4444"].gross_minor, found["1111-2222-3333-4444"].fee_minor) == (
        120000,
        3510,
    )
    # 200.00 refunded: 2.9% of it (5.80) comes back, the 0.30 fixed part does not
    refund = found["5555-6666-7777-8888"]
    assert (refund.gross_minor, refund.fee_minor, refund.net_minor) == (-20000, -580, -19420)


def test_the_time_zone_column_decides_the_month(ledger, tmp_path):
    # an account on New York time: 00:30 EDT on 1 Nov is 21:30 on 31 Oct in Phoenix
    line = pp.row("11/01/2026", "00:30:00", "Ida Voss", "Donation Received", "Completed", "USD",
                  "10.00", "-0.84", "9.16", "ida@example.org", "IDA00000000000001",
                  zone="EDT")  # fmt: skip
    # every day of the file is 12 or less: the writer says the order (mdy, a US account)
    import_paths(ledger, [pp.write(tmp_path / "Download.CSV", [line])], date_order="mdy")
    ida = receipts(ledger)["IDA00000000000001"]
    assert ida.occurred_at == dt.datetime(2026, 11, 1, 4, 30, tzinfo=dt.UTC)
    assert ida.occurred_at.astimezone(ledger.tz).date() == dt.date(2026, 10, 31)


def entries_of(ledger, tmp_path, lines):
    path = pp.write(tmp_path / "x.csv", lines)
    context = ImportContext(ledger.tz, ledger.currency, ledger.schedule, date_order="mdy")
    return list(PayPalActivity().entries(path, context))


def test_unknown_types_are_skipped_and_counted(ledger, tmp_path):
    line = pp.row("10/02/2026", "10:00:00", "Tax Office", "Tax collected by partner",
                  "Completed", "USD", "-1.00", "0.00", "-1.00", "", "TAX0000000001")  # fmt: skip
    found = entries_of(ledger, tmp_path, [line])
    assert found[0] == Skipped("unknown type Tax collected by partner", 2)


def test_an_unknown_status_names_line_column_and_value(ledger, tmp_path):
    line = pp.row("10/02/2026", "10:00:00", "Jo", "Donation Received", "Mystery", "USD",
                  "1.00", "-0.52", "0.48", "jo@example.org", "JO000000000000001")  # fmt: skip
    with pytest.raises(Exception, match=r"x.csv, line 2: column 'Status' value 'Mystery'"):
        entries_of(ledger, tmp_path, [line])


def test_a_file_of_another_format_is_not_paypals(tmp_path):
    path = tmp_path / "chase.csv"
    path.write_text("Details,Posting Date,Description,Amount,Type,Balance\n")
    assert not PayPalActivity().identify(path, path.read_bytes())
    path = pp.write(tmp_path / "Download.CSV", pp.OCTOBER[:1])
    assert PayPalActivity().identify(path, path.read_bytes())


def test_a_chargeback_reverses_the_payment_and_its_dispute_fee_is_a_fee(ledger, tmp_path):
    lines = [
        pp.row("10/05/2026", "14:00:00", "Ed Stone", "Website Payment", "Completed", "USD",
               "40.00", "-1.89", "38.11", "ed@example.org", "8ED00000000000001"),
        pp.row("10/20/2026", "09:00:00", "Ed Stone", "Chargeback", "Completed", "USD",
               "-40.00", "0.00", "-40.00", "ed@example.org", "CB000000000000001",
               ref="8ED00000000000001", impact="Debit"),
        pp.row("10/20/2026", "09:00:00", "", "Chargeback Fee", "Completed", "USD",
               "-15.00", "0.00", "-15.00", "", "CBF00000000000001",
               ref="8ED00000000000001", impact="Debit"),
    ]  # fmt: skip
    (report,) = import_paths(ledger, [pp.write(tmp_path / "Download.CSV", lines)])
    assert (report.added, report.skipped) == (3, 0)  # no Balance column values: no balance
    found = receipts(ledger)
    payment, chargeback, fee = (
        found["8ED00000000000001"],
        found["CB000000000000001"],
        found["CBF00000000000001"],
    )
    assert (chargeback.event, chargeback.reverses_id) == ("chargeback", payment.id)
    # PayPal kept its 1.89; the schedule expects nothing back plus its $15 dispute fee (the
    # claim is not under twice the fee, which PayPal waives it on)
    assert (chargeback.gross_minor, chargeback.fee_minor, chargeback.expected_fee_minor) == (
        -4000,
        0,
        1500,
    )
    assert (fee.event, fee.gross_minor, fee.fee_minor, fee.net_minor) == ("fee", 0, 1500, -1500)
    # 38.11 was credited, then 40.00 and 15.00 taken back: the writer is 16.89 out
    assert sum(r.net_minor for r in found.values()) == 3811 - 4000 - 1500
    # the dispute fee reverses the payment, as a returned check's fee does; it is no check
    assert reconcile_month(ledger, Month(2026, 10)).returned_checks == ()


def test_an_import_leaves_the_collector_as_it_found_it_failed_or_not(ledger, tmp_path):
    """An import tunes Python's cyclic collector while it writes; whatever happens, the
    collector is then as it was, and what a host froze stays frozen."""
    import gc

    good = pp.row("10/20/2026", "10:00:00", "Jo", "Donation Received", "Completed", "USD",
                  "1.00", "-0.52", "0.48", "jo@example.org", "JO000000000000001")  # fmt: skip
    bad = pp.row("10/21/2026", "10:00:00", "Jo", "Donation Received", "Mystery", "USD",
                 "1.00", "-0.52", "0.48", "jo@example.org", "JO000000000000002")  # fmt: skip
    found = (gc.get_threshold(), gc.get_freeze_count())
    with pytest.raises(Exception, match="Mystery"):
        import_paths(ledger, [pp.write(tmp_path / "bad.csv", [good, bad])])
    assert (gc.get_threshold(), gc.get_freeze_count()) == found

    gc.freeze()  # a host that froze its own objects (as before forking workers)
    try:
        (report,) = import_paths(ledger, [pp.write(tmp_path / "Download.CSV", [good])])
        assert report.added == 1
        assert gc.get_freeze_count() > 0  # still frozen (less what was freed meanwhile)
    finally:
        gc.unfreeze()
    assert (gc.get_threshold(), gc.get_freeze_count()) == found
