"""Stripe: balance transactions read through the real SDK from a fake Stripe on 127.0.0.1.

The account (tests/fake_stripe.py) is November 2026 of a writer's Stripe, written by hand:
101 donations of $5.00 plus seven named charges, two refunds (one failed), two disputes
(one won), two payouts (one failed), a Billing usage fee and an adjustment the ledger does
not know: 119 balance transactions, two pages of 100.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from decimal import Decimal

import pytest
import stripe
from sqlalchemy import select, text

from fake_stripe import API_KEY, FakeStripe, at, error_body, sample_account
from supportledger.channels.stripe import INVOICE_LOOKBACK, entries_since, sync
from supportledger.errors import LedgerError
from supportledger.models import Event, Kind, Payout
from supportledger.money import Money, total
from supportledger.sources import BalanceEntry, PayoutEntry, ReceiptEntry, Skipped, SupporterRef


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def utc(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC)


@pytest.fixture
def account():
    return sample_account()


@pytest.fixture
def fake(account):
    server = FakeStripe(account).start()
    yield server
    server.stop()


@pytest.fixture
def client(fake):
    return stripe.StripeClient(API_KEY, base_addresses={"api": fake.url}, max_network_retries=2)


def by_id(entries):
    return {e.external_id: e for e in entries if hasattr(e, "external_id")}


def test_every_transaction_is_read_across_pages_with_stripes_own_fees(client, fake):
    entries = list(entries_since(client, None))

    receipts = [e for e in entries if isinstance(e, ReceiptEntry)]
    payments = [e for e in receipts if e.event is Event.PAYMENT]
    # 119 transactions: 108 charges, 2 refunds (one failed, and its failure), 3 dispute
    # movements, a fee, an adjustment,
    # and two payouts whose failure folds into the failed payout's one entry
    assert len(payments) == 108
    assert len(receipts) == 108 + 3 + 3 + 1
    assert sum(isinstance(e, PayoutEntry) for e in entries) == 2
    assert [e for e in entries if isinstance(e, Skipped)] == [Skipped(reason="other_adjustment")]
    # 101 x 5.00 + 25.00 + 21.70 (the EUR charge settled) + 10 + 50 + 15 + 30 + 40
    assert total((e.gross for e in payments), "USD") == usd("696.70")
    # 101 x 0.45 + 1.03 + 1.47 + 0.59 + 1.75 + 0.74 + 1.17 + 1.46
    assert total((e.fee for e in payments), "USD") == usd("53.66")
    assert by_id(entries)["ch_3QDonation042"] == ReceiptEntry(
        channel="stripe",
        external_id="ch_3QDonation042",
        occurred_at=utc("2026-11-02T16:54:00"),
        gross=usd("5.00"),
        fee=usd("0.45"),
        kind=Kind.ONE_TIME,
        supporter=SupporterRef(name="Reader 042", email="reader042@example.com"),
        description="Donation",
    )
    # oldest first, whatever order Stripe lists in
    instants = [
        e.occurred_at if isinstance(e, ReceiptEntry) else e.initiated_at
        for e in entries
        if isinstance(e, ReceiptEntry | PayoutEntry)
    ]
    assert instants == sorted(instants) and instants[0] == utc("2026-11-01T14:00")
    pages = fake.calls("/v1/balance_transactions")
    assert len(pages) == 2
    assert pages[0] == {"limit": ["100"], "expand[0]": ["data.source"]}
    oldest_of_first_page = sorted(fake.account.transactions, key=lambda t: -t["created"])[99]
    assert pages[1]["starting_after"] == [oldest_of_first_page["id"]]


def test_a_charge_in_another_currency_keeps_what_was_paid_and_the_rate_from_the_amounts(client):
    jonas = by_id(entries_since(client, None))["ch_3QJonasWeber"]

    assert (jonas.gross, jonas.fee) == (usd("21.70"), usd("1.47"))
    assert jonas.original == Money.of("20.00", "EUR")
    assert jonas.fx_rate == Decimal("1.085")  # 2170 / 2000, not the float 1.085
    assert isinstance(jonas.fx_rate, Decimal)
    assert jonas.flags == frozenset({"conversion", "international"})
    assert jonas.supporter == SupporterRef(name="Jonas Weber", email="jonas@example.de")


def test_recurring_only_when_the_intent_paid_a_subscriptions_invoice(client, fake):
    entries = by_id(entries_since(client, None))

    monthly = entries["ch_3QLouMonthly"]
    assert (monthly.kind, monthly.subscription) == (Kind.RECURRING, "sub_1Lou")
    assert monthly.supporter == SupporterRef(
        name="Lou Green", email="lou@example.com", user_id="cus_Lou"
    )
    # invoiced through Checkout with no subscription parent, and a gift with no invoice
    assert (entries["ch_3QMiaCheckout"].kind, entries["ch_3QMiaCheckout"].subscription) == (
        Kind.ONE_TIME,
        None,
    )
    assert entries["ch_3QLouGift"].kind is Kind.ONE_TIME
    # one listing of paid invoice payments for 108 charges, and one lookup for the only
    # charge that bills a customer and is not in it; guests cannot have an invoice
    lookups = fake.calls("/v1/invoice_payments")
    assert lookups == [
        {"status": ["paid"], "limit": ["100"], "expand[0]": ["data.invoice"]},
        {
            "payment[type]": ["payment_intent"],
            "payment[payment_intent]": ["pi_3QLouGift"],
            "limit": ["100"],
            "expand[0]": ["data.invoice"],
        },
    ]


def test_refunds_and_disputes_reverse_their_charge_with_the_fee_stripe_reports(client):
    entries = list(entries_since(client, None))
    found = by_id(entries)
    refund = found["re_3QAnaRuiz"]
    assert (refund.event, refund.gross, refund.fee, refund.reverses, refund.kind) == (
        Event.REFUND,
        usd("-25.00"),
        usd("0.00"),
        "ch_3QAnaRuiz",
        None,
    )
    # a refund that failed gives the money back, pointing at the refund
    failed = found["re_3QDonation050"]
    back = next(
        e for e in entries if isinstance(e, ReceiptEntry) and e.reverses == failed.external_id
    )
    assert (failed.gross, back.event, back.gross, back.fee) == (
        usd("-5.00"),
        Event.ADJUSTMENT,
        usd("5.00"),
        usd("0.00"),
    )
    assert back.external_id.startswith("txn_")
    disputes = [e for e in entries if isinstance(e, ReceiptEntry) and e.event.startswith("disp")]
    assert sorted((e.reverses, e.event, e.gross, e.fee, e.occurred_at) for e in disputes) == [
        ("ch_3QKimLee", Event.DISPUTE, usd("-40.00"), usd("15.00"), utc("2026-11-15T10:00")),
        ("ch_3QKimLee", Event.DISPUTE_REVERSAL, usd("40.00"), usd("0.00"), utc("2026-11-25T10:00")),
        ("ch_3QSamPost", Event.DISPUTE, usd("-30.00"), usd("15.00"), utc("2026-11-14T10:00")),
    ]
    # a dispute moves money twice, so each movement is known by its own transaction
    assert all(e.external_id.startswith("txn_") for e in disputes)


def test_payouts_fees_and_the_balance(client):
    entries = list(entries_since(client, None))
    found = by_id(entries)

    assert found["po_1Nov16"] == PayoutEntry(
        channel="stripe",
        external_id="po_1Nov16",
        initiated_at=utc("2026-11-16T00:05"),
        amount=usd("100.00"),
        fee=usd("0.00"),
        arrived_on=dt.date(2026, 11, 18),
        status="paid",
    )
    assert (found["po_1Nov20"].amount, found["po_1Nov20"].status) == (usd("50.00"), "failed")
    usage = next(e for e in entries if isinstance(e, ReceiptEntry) and e.event is Event.FEE)
    assert (usage.gross, usage.fee, usage.description) == (
        usd("0.00"),
        usd("0.07"),
        "Billing - Usage Fee (2026-10-01 - 2026-10-31)",
    )
    # nets: donations 101 x 4.55 = 459.55; named charges 23.97 + 20.23 + 9.41 + 48.25
    # + 14.26 + 28.83 + 38.54 = 183.49; refunds -25.00 - 5.00, the failed one back + 5.00;
    # disputes -45.00 - 55.00 + 40.00;
    # payouts -100.00 - 50.00 + 50.00; usage fee -0.07; adjustment -1.00: 456.97
    assert entries[-1] == BalanceEntry(
        channel="stripe",
        currency="USD",
        as_of=utc("2026-11-25T10:00"),
        amount=usd("456.97"),
    )


def test_since_reads_only_the_window_and_folds_a_payout_failure_into_its_payout(client, fake):
    since = utc("2026-11-21T00:00")
    entries = list(entries_since(client, since))

    assert fake.calls("/v1/balance_transactions")[0]["created[gte]"] == [
        str(at("2026-11-21T00:00:00Z"))
    ]
    # in the window, oldest first: the adjustment, the payout failure, the won dispute's
    # reversal; then the balance
    assert [type(e).__name__ for e in entries] == [
        "Skipped",
        "PayoutEntry",
        "ReceiptEntry",
        "BalanceEntry",
    ]
    failed = entries[1]
    assert (failed.external_id, failed.amount, failed.status, failed.fee) == (
        "po_1Nov20",
        usd("50.00"),
        "failed",
        usd("0.00"),
    )
    # the payout (its transaction before the window) was read for its fee
    assert fake.calls("/v1/payouts/po_1Nov20") == [{"expand[0]": ["balance_transaction"]}]
    assert fake.calls("/v1/invoice_payments") == []  # no charge, no invoice question


def test_the_invoice_listing_reaches_back_before_the_window(client, fake):
    since = utc("2026-11-12T00:00")
    list(entries_since(client, since))

    reached = fake.calls("/v1/invoice_payments")[0]["created[gte]"]
    assert reached == [str(int((since - INVOICE_LOOKBACK).timestamp()))]


def test_a_transaction_the_ledger_cannot_read_names_itself(client, account):
    broken = account.other(
        amount=-10,
        created="2026-11-26T00:00:00Z",
        type="stripe_fee",
        category="fee",
        description="odd",
    )
    broken["currency"] = "zzz"

    with pytest.raises(LedgerError) as caught:
        list(entries_since(client, None))
    assert str(caught.value) == (
        f"stripe balance transaction {broken['id']}: cannot read it (unknown currency 'zzz')"
    )


# ---------------------------------------------------------------------- into the ledger
def rows(ledger, query: str, **params) -> list[tuple]:
    with ledger.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query), params)]


def test_a_sync_books_every_figure_and_running_it_again_adds_nothing(ledger, client, account):
    report = sync(ledger, client=client)

    # 118 entries from 119 transactions (a payout and its failure are one); Stripe's stated
    # balance is kept beside them, not counted as an entry
    assert (report.rows, report.added, report.updated, report.unchanged) == (118, 117, 0, 0)
    assert dict(report.skip_reasons) == {"other_adjustment": 1}
    assert rows(
        ledger,
        "select event, kind, count(*), sum(gross_minor), sum(fee_minor), sum(net_minor)"
        " from receipts group by event, kind order by event, kind",
    ) == [
        ("adjustment", "one_time", 1, 500, 0, 500),
        ("dispute", "one_time", 2, -7000, 3000, -10000),
        ("dispute_reversal", "one_time", 1, 4000, 0, 4000),
        ("fee", "one_time", 1, 0, 7, -7),
        ("payment", "one_time", 107, 68670, 5307, 63363),
        ("payment", "recurring", 1, 1000, 59, 941),
        ("refund", "one_time", 2, -3000, 0, -3000),
    ]
    assert rows(
        ledger,
        "select gross_minor, fee_minor, original_minor, original_currency, fx_rate, flags"
        " from receipts where external_id = 'ch_3QJonasWeber'",
    ) == [(2170, 147, 2000, "EUR", "1.085", "conversion,international")]
    # the schedule's own prediction beside Stripe's fee: each part rounded on its own,
    # 62.93 + 32.55 + 21.70 -> 63 + 33 + 22, + 30 = 148 against Stripe's 147 for Jonas
    assert rows(
        ledger,
        "select external_id, fee_minor, expected_fee_minor from receipts"
        " where external_id in ('ch_3QAnaRuiz', 'ch_3QJonasWeber') or event = 'dispute'"
        " order by fee_minor, external_id",
    ) == [("ch_3QAnaRuiz", 103, 103), ("ch_3QJonasWeber", 147, 148)] + [
        (txn, 1500, 1500)
        for txn in sorted(
            t["id"] for t in account.transactions if t["reporting_category"] == "dispute"
        )
    ]
    # the refund points at Ana's charge; the subscription came from its first payment
    assert rows(
        ledger,
        "select o.external_id from receipts r join receipts o on o.id = r.reverses_id"
        " where r.external_id = 're_3QAnaRuiz'",
    ) == [("ch_3QAnaRuiz",)]
    assert rows(
        ledger,
        "select s.external_id, s.amount_minor, p.display_name from receipts r"
        " join subscriptions s on s.id = r.subscription_id"
        " join supporters p on p.id = r.supporter_id where r.external_id = 'ch_3QLouMonthly'",
    ) == [("sub_1Lou", 1000, "Lou Green")]
    payouts = select(
        Payout.external_id, Payout.amount_minor, Payout.fee_minor, Payout.arrived_on, Payout.status
    ).order_by(Payout.external_id)
    with ledger.engine.connect() as connection:
        assert [tuple(row) for row in connection.execute(payouts)] == [
            ("po_1Nov16", 10000, 0, dt.date(2026, 11, 18), "paid"),
            ("po_1Nov20", 5000, 0, dt.date(2026, 11, 23), "failed"),
        ]
    # Stripe's balance (456.97) is the ledger's roll-forward, 557.97 in less the 100.00
    # paid out, less the 1.00 adjustment the ledger was told to skip
    assert rows(ledger, "select currency, amount_minor from channel_balances") == [("USD", 45697)]
    assert rows(ledger, "select sum(net_minor) from receipts where status = 'completed'") == [
        (55797,)
    ]

    again = sync(ledger, client=client)  # from the newest transaction the first one read
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert sync(ledger, client=client).already_imported == again.batch_id
    assert rows(ledger, "select count(*) from receipts") == [(115,)]


def test_a_later_sync_adds_only_what_is_new(ledger, client, account, fake):
    sync(ledger, client=client)
    account.charge(
        "ch_3QLateGift",
        amount=2000,
        fee=88,
        created="2026-11-26T18:00:00Z",
        name="Ana Ruiz",
        email="ana@example.com",
    )  # 58 + 30

    report = sync(ledger, client=client)

    assert fake.calls("/v1/balance_transactions")[-1]["created[gte]"] == [
        str(at("2026-11-25T10:00:00Z"))
    ]
    # the new charge (and the new balance, kept beside it); the won dispute read again is
    # unchanged
    assert (report.added, report.updated, report.unchanged) == (1, 0, 1)
    assert rows(
        ledger,
        "select p.display_name, count(*) from receipts r join supporters p"
        " on p.id = r.supporter_id where p.display_name = 'Ana Ruiz' group by p.display_name",
    ) == [("Ana Ruiz", 2)]
    assert rows(ledger, "select amount_minor from channel_balances order by as_of") == [
        (45697,),
        (45697 + 1912,),
    ]


def test_a_payout_still_on_its_way_is_asked_after_until_it_lands(ledger, client, account, fake):
    account.objects["po_1Nov16"]["status"] = "in_transit"
    sync(ledger, client=client)
    assert fake.calls("/v1/payouts/po_1Nov16") == []  # read with its transaction
    account.objects["po_1Nov16"]["status"] = "paid"  # arrived, with no new transaction

    report = sync(ledger, client=client)

    assert fake.calls("/v1/payouts/po_1Nov16") == [{"expand[0]": ["balance_transaction"]}]
    assert (report.added, report.updated) == (0, 1)
    assert rows(ledger, "select external_id, status from payouts order by external_id") == [
        ("po_1Nov16", "paid"),
        ("po_1Nov20", "failed"),
    ]
    sync(ledger, client=client)
    assert len(fake.calls("/v1/payouts/po_1Nov16")) == 1  # landed: not asked again


# ---------------------------------------------------------------------- the command
@pytest.fixture
def stripe_cli(cli, fake, monkeypatch):
    """``supportledger`` with STRIPE_API_KEY and STRIPE_API_BASE pointing at the fake."""
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    return cli


def test_a_dry_run_shows_the_sync_and_writes_nothing(stripe_cli, ledger):
    assert stripe_cli("sync", "stripe", "--dry-run")[1] == (
        "stripe api (stripe), dry run, nothing written: 118 entries: 117 added, 0 updated, "
        "0 unchanged, 1 skipped\n  skipped: 1 other_adjustment\n"
    )
    assert rows(ledger, "select count(*) from import_batches") == [(0,)]
    assert rows(ledger, "select count(*) from receipts") == [(0,)]


def test_sync_stripe_prints_the_import_summary_and_a_rerun_adds_nothing(stripe_cli):
    assert stripe_cli("sync", "stripe") == (
        0,
        "stripe api (stripe), batch #1: 118 entries: 117 added, 0 updated, 0 unchanged, "
        "1 skipped\n  skipped: 1 other_adjustment\n",
        "",
    )
    assert stripe_cli("sync", "stripe")[1] == (
        "stripe api (stripe), batch #2: 1 entries: 0 added, 0 updated, 1 unchanged, 0 skipped\n"
    )
    assert stripe_cli("sync", "stripe")[1] == (
        "stripe api (stripe): already imported as batch #2; nothing written\n"
    )
    # 21 Nov in Phoenix: the adjustment, the payout failure, the won dispute (and the
    # balance, kept beside them)
    assert stripe_cli("sync", "stripe", "--since", "2026-11-21")[1] == (
        "stripe api (stripe), batch #3: 3 entries: 0 added, 0 updated, 2 unchanged, 1 skipped\n"
        "  skipped: 1 other_adjustment\n"
    )


def test_a_sync_undone_is_taken_again_whole(stripe_cli, ledger):
    stripe_cli("sync", "stripe")
    assert stripe_cli("imports", "undo", "1")[0] == 0
    assert rows(ledger, "select count(*) from receipts") == [(0,)]

    code, out, _ = stripe_cli("sync", "stripe")  # from the start again, not where #1 stopped
    assert (code, rows(ledger, "select count(*) from receipts")) == (0, [(115,)])
    assert "118 entries: 117 added" in out


def test_the_key_never_shows_in_output_or_logs_even_when_refused(
    stripe_cli, fake, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("STRIPE_LOG", "debug")  # the SDK's own console log, on stderr
    code, out, err = stripe_cli("sync", "stripe")
    assert code == 0 and "117 added" in out
    assert API_KEY not in out + err + caplog.text

    wrong = "sk_test_51RevokedKeyThatIsStillASecret77Wxyz"
    monkeypatch.setenv("STRIPE_API_KEY", wrong)
    code, out, err = stripe_cli("sync", "stripe")

    assert fake.requests[-1][0] == "/v1/balance_transactions"  # the key reached the server
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == (
        "supportledger: Stripe refused STRIPE_API_KEY (HTTP 401): check the key "
        "(a restricted key with read access is enough)"
    )
    for secret in (API_KEY, wrong):
        assert secret not in out + err + caplog.text


def test_an_unreachable_server_is_one_line(stripe_cli, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("STRIPE_API_BASE", closed)

    assert stripe_cli("sync", "stripe") == (
        1,
        "",
        f"supportledger: cannot reach Stripe at {closed} (check the network, or STRIPE_API_BASE)\n",
    )


@pytest.mark.parametrize(
    ("status", "body", "attempts", "message"),
    [
        (
            403,
            error_body(f"The provided key '{API_KEY[:8]}***Abcd' does not have rl_balance_read"),
            1,
            "STRIPE_API_KEY may not read what the sync needs (HTTP 403, request "
            "req_FakeStripe0001): give it read access to balance, balance transactions, "
            "charges, invoices, payouts",
        ),
        (
            500,
            error_body("An unknown error occurred", kind="api_error"),
            3,  # the first try and max_network_retries=2
            "Stripe answered HTTP 500 (APIError, request req_FakeStripe0001); nothing was imported",
        ),
    ],
)
def test_stripe_refusing_a_request_is_one_safe_line_and_writes_nothing(
    ledger, client, fake, status, body, attempts, message
):
    fake.failures["/v1/balance"] = (status, body)

    with pytest.raises(LedgerError) as caught:
        sync(ledger, client=client)

    assert str(caught.value) == message
    assert len(fake.calls("/v1/balance")) == attempts
    assert rows(ledger, "select count(*) from receipts") == [(0,)]


@pytest.mark.parametrize(
    ("args", "unset", "message"),
    [
        (
            ("sync", "stripe"),
            "STRIPE_API_KEY",
            "STRIPE_API_KEY is not set (put it in the environment or .env)",
        ),
        (
            ("sync", "stripe", "--since", "last week"),
            None,
            "--since: expected YYYY-MM-DD or an ISO instant like 2026-11-01T00:00:00Z, "
            "got 'last week'",
        ),
    ],
)
def test_user_mistakes_are_one_line_and_write_nothing(
    stripe_cli, ledger, fake, monkeypatch, args, unset, message
):
    if unset:
        monkeypatch.delenv(unset)
    assert stripe_cli(*args) == (1, "", f"supportledger: {message}\n")
    assert fake.requests == []
    assert rows(ledger, "select count(*) from import_batches") == [(0,)]
