"""A small fake of the Stripe API on 127.0.0.1 that the real SDK talks to.

It serves the few endpoints the sync reads, in Stripe's own shapes: list envelopes with
``url`` and ``has_more``, newest first, ``limit`` (1-100), ``starting_after``,
``created[gte]``, ``expand[]``, Bearer-key authentication with Stripe's 401 body (which
masks the key), and ``Request-Id`` headers. The account below is written by hand; every
fee is Stripe's US price worked out on paper (2.9% + 30c, +1.5% international card, +1%
conversion, $15 per dispute), each percentage rounded half-up to the cent.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_KEY = "sk_test_51SupportLedgerFakeKeyDoNotPrint0000Abcd"


def at(iso: str) -> int:
    """Unix seconds of an ISO instant, as Stripe's ``created`` fields are."""
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


class Account:
    """The objects of one Stripe account, built the way Stripe links them."""

    def __init__(self) -> None:
        self.objects: dict[str, dict] = {}
        self.transactions: list[dict] = []
        self.invoice_payments: list[dict] = []
        self.subscriptions: list[dict] = []
        self._serial = itertools.count(1)

    # ------------------------------------------------------------------ builders
    def _transaction(
        self,
        *,
        amount,
        fee,
        created,
        type,
        category,
        source,
        currency="usd",
        description=None,
        exchange_rate=None,
        fee_kind="Stripe processing fees",
    ):
        txn = {
            "id": f"txn_3Q{next(self._serial):04d}Fake",
            "object": "balance_transaction",
            "amount": amount,
            "available_on": created + 2 * 86400,
            "balance_type": "payments",
            "created": created,
            "currency": currency,
            "description": description,
            "exchange_rate": exchange_rate,
            "fee": fee,
            "fee_details": [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": fee_kind,
                    "type": "stripe_fee",
                }
            ]
            if fee
            else [],
            "net": amount - fee,
            "reporting_category": category,
            "source": source,
            "status": "available",
            "type": type,
        }
        self.transactions.append(txn)
        return txn

    def _out_and_back(self, source, *, amount, created, failed_at, out, back):
        """``amount`` leaving the balance and, when it failed at ``failed_at``, its return:
        two transactions, ``out`` and ``back`` giving each one's type, category and
        description (a refund or a payout to a closed account)."""

        def move(signed, when, what):
            kind, category, description = what
            return self._transaction(
                amount=signed,
                fee=0,
                created=at(when),
                type=kind,
                category=category,
                source=source,
                description=description,
            )

        return move(-amount, created, out), move(amount, failed_at, back) if failed_at else None

    def charge(
        self,
        charge_id,
        *,
        amount,
        fee,
        created,
        name=None,
        email=None,
        country="US",
        currency="usd",
        settled=None,
        exchange_rate=None,
        customer=None,
        guest=True,
        description="Donation",
    ):
        """A succeeded card charge and its balance transaction (``settled`` cents when the
        charge was in another currency)."""
        created_at = at(created)
        intent = "pi_" + charge_id.removeprefix("ch_")
        txn = self._transaction(
            amount=settled if settled is not None else amount,
            fee=fee,
            created=created_at,
            type="charge",
            category="charge",
            source=charge_id,
            description=description,
            exchange_rate=exchange_rate,
        )
        self.objects[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "balance_transaction": txn["id"],
            "billing_details": {
                "address": {
                    "city": None,
                    "country": country,
                    "line1": None,
                    "line2": None,
                    "postal_code": None,
                    "state": None,
                },
                "email": email,
                "name": name,
                "phone": None,
                "tax_id": None,
            },
            "calculated_statement_descriptor": "SUPPORTLEDGER",
            "captured": True,
            "created": created_at,
            "currency": currency,
            "customer": None if guest else customer,
            "description": description,
            "disputed": False,
            "livemode": False,
            "metadata": {},
            "paid": True,
            "payment_intent": intent,
            "payment_method": "pm_" + charge_id[3:],
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": "visa",
                    "country": country,
                    "exp_month": 8,
                    "exp_year": 2029,
                    "funding": "credit",
                    "last4": "4242",
                },
            },
            "refunded": False,
            "status": "succeeded",
        }
        return txn

    def invoice(self, charge_id, *, invoice_id, created, subscription=None, customer):
        """The invoice a charge's payment intent paid, and the invoice payment linking them."""
        charge = self.objects[charge_id]
        parent = None
        if subscription:
            parent = {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": {}, "subscription": subscription},
            }
        self.objects[invoice_id] = {
            "id": invoice_id,
            "object": "invoice",
            "amount_due": charge["amount"],
            "amount_paid": charge["amount"],
            "amount_remaining": 0,
            "billing_reason": "subscription_cycle" if subscription else "manual",
            "collection_method": "charge_automatically",
            "currency": charge["currency"],
            "customer": customer,
            "livemode": False,
            "parent": parent,
            "period_end": at(created),
            "period_start": at(created) - 30 * 86400,
            "status": "paid",
        }
        self.invoice_payments.append(
            {
                "id": "inpay_" + invoice_id.removeprefix("in_"),
                "object": "invoice_payment",
                "amount_paid": charge["amount"],
                "amount_requested": charge["amount"],
                "created": at(created),
                "currency": charge["currency"],
                "invoice": invoice_id,
                "is_default": True,
                "livemode": False,
                "payment": {"type": "payment_intent", "payment_intent": charge["payment_intent"]},
                "status": "paid",
                "status_transitions": {"canceled_at": None, "paid_at": charge["created"]},
            }
        )

    def customer(self, customer_id, *, name, email):
        self.objects[customer_id] = {
            "id": customer_id,
            "object": "customer",
            "email": email,
            "livemode": False,
            "metadata": {},
            "name": name,
        }

    def subscription(
        self,
        subscription_id,
        *,
        customer,
        amount,
        created,
        period_start,
        interval="month",
        interval_count=1,
        status="active",
        canceled_at=None,
        ended_at=None,
        cancel_at_period_end=False,
        trial_end=None,
    ):
        """A subscription to one price, as Stripe's API (2025-03-31 and later) shows it: the
        current period on its item. Dates are ISO instants."""
        when = {
            name: at(value) if value else None
            for name, value in {
                "created": created, "period": period_start, "canceled_at": canceled_at,
                "ended_at": ended_at, "trial_end": trial_end,
            }.items()
        }  # fmt: skip
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[interval] * interval_count
        price = {
            "id": "price_" + subscription_id.removeprefix("sub_"),
            "object": "price",
            "active": True,
            "currency": "usd",
            "livemode": False,
            "product": "prod_Support",
            "recurring": {
                "interval": interval,
                "interval_count": interval_count,
                "usage_type": "licensed",
            },
            "type": "recurring",
            "unit_amount": amount,
        }
        subscription = {
            "id": subscription_id,
            "object": "subscription",
            "cancel_at": when["ended_at"] if cancel_at_period_end else None,
            "cancel_at_period_end": cancel_at_period_end,
            "canceled_at": when["canceled_at"],
            "collection_method": "charge_automatically",
            "created": when["created"],
            "currency": "usd",
            "customer": customer,
            "ended_at": None if cancel_at_period_end else when["ended_at"],
            "items": {
                "object": "list",
                "url": f"/v1/subscription_items?subscription={subscription_id}",
                "has_more": False,
                "data": [
                    {
                        "id": "si_" + subscription_id.removeprefix("sub_"),
                        "object": "subscription_item",
                        "current_period_end": when["period"] + days * 86400,
                        "current_period_start": when["period"],
                        "price": price,
                        "quantity": 1,
                        "subscription": subscription_id,
                    }
                ],
            },
            "livemode": False,
            "metadata": {},
            "start_date": when["created"],
            "status": status,
            "trial_end": when["trial_end"],
            "trial_start": when["created"] if trial_end else None,
        }
        self.objects[subscription_id] = subscription
        self.subscriptions.append(subscription)
        return subscription

    def refund(self, refund_id, charge_id, *, amount, created, failed_at=None):
        """A refund; one that failed (a closed card) puts the money back in a second
        transaction."""
        charge = self.objects[charge_id]
        txn, failure = self._out_and_back(
            refund_id,
            amount=amount,
            created=created,
            failed_at=failed_at,
            out=("refund", "refund", "REFUND FOR CHARGE (Donation)"),
            back=("refund_failure", "refund_failure", "REFUND FAILURE FOR CHARGE (Donation)"),
        )
        if failure is None:
            charge.update(amount_refunded=amount, refunded=amount == charge["amount"])
        self.objects[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": txn["id"],
            "charge": charge_id,
            "created": at(created),
            "currency": charge["currency"],
            "failure_balance_transaction": failure["id"] if failure else None,
            "failure_reason": "expired_or_canceled_card" if failure else None,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": "requested_by_customer",
            "status": "failed" if failure else "succeeded",
        }

    def dispute(self, dispute_id, charge_id, *, created, won_at=None):
        """A dispute: the amount and the $15 fee in one transaction; a win gives the amount
        back in a second one, and (since June 2023) not the fee."""
        charge = self.objects[charge_id]
        charge["disputed"] = True
        taken = self._transaction(
            amount=-charge["amount"],
            fee=1500,
            created=at(created),
            type="adjustment",
            category="dispute",
            source=dispute_id,
            description=f"Chargeback withdrawal for {charge_id}",
            fee_kind="Dispute fee",
        )
        movements = [taken]
        if won_at:
            movements.append(
                self._transaction(
                    amount=charge["amount"],
                    fee=0,
                    created=at(won_at),
                    type="adjustment",
                    category="dispute_reversal",
                    source=dispute_id,
                    description=f"Chargeback reversal for {charge_id}",
                )
            )
        self.objects[dispute_id] = {
            "id": dispute_id,
            "object": "dispute",
            "amount": charge["amount"],
            "balance_transactions": [{**t, "source": dispute_id} for t in movements],
            "charge": charge_id,
            "created": at(created),
            "currency": charge["currency"],
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": "fraudulent",
            "status": "won" if won_at else "lost",
        }

    def payout(self, payout_id, *, amount, created, arrival, failed_at=None):
        txn, failure = self._out_and_back(
            payout_id,
            amount=amount,
            created=created,
            failed_at=failed_at,
            out=("payout", "payout", "STRIPE PAYOUT"),
            back=("payout_failure", "payout_reversal", "Payout failure"),
        )
        self.objects[payout_id] = {
            "id": payout_id,
            "object": "payout",
            "amount": amount,
            "arrival_date": at(arrival),
            "automatic": True,
            "balance_transaction": txn["id"],
            "created": at(created),
            "currency": "usd",
            "destination": "ba_1FakeBank",
            "failure_balance_transaction": failure["id"] if failure else None,
            "failure_code": "account_closed" if failure else None,
            "failure_message": None,
            "livemode": False,
            "metadata": {},
            "method": "standard",
            "reconciliation_status": "completed",
            "source_type": "card",
            "statement_descriptor": None,
            "status": "failed" if failure else "paid",
            "type": "bank_account",
        }

    def other(self, *, amount, created, type, category, description):
        """A transaction with no source object (Stripe's own fees, adjustments)."""
        return self._transaction(
            amount=amount,
            fee=0,
            created=at(created),
            type=type,
            category=category,
            source=None,
            description=description,
        )

    def balance(self) -> dict:
        """Stripe's balance: every transaction's net, available once ``available_on`` passed."""
        now = at("2026-11-27T00:00:00Z")
        available = sum(t["net"] for t in self.transactions if t["available_on"] <= now)
        pending = sum(t["net"] for t in self.transactions if t["available_on"] > now)
        return {
            "object": "balance",
            "livemode": False,
            "available": [
                {"amount": available, "currency": "usd", "source_types": {"card": available}}
            ],
            "pending": [{"amount": pending, "currency": "usd", "source_types": {"card": pending}}],
        }


def sample_account() -> Account:
    """A writer's November 2026 on Stripe: 119 balance transactions, two pages."""
    account = Account()
    # a run of $5.00 donations: fee 2.9% of 500 = 14.5 -> 15, + 30 = 45 each
    for n in range(1, 102):
        created = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC) + dt.timedelta(minutes=7 * n)
        account.charge(
            f"ch_3QDonation{n:03d}",
            amount=500,
            fee=45,
            created=created.isoformat(),
            name=f"Reader {n:03d}",
            email=f"reader{n:03d}@example.com",
        )
    # $25.00 one-time: 72.5 -> 73, + 30 = 103; refunded in full two days later
    account.charge(
        "ch_3QAnaRuiz",
        amount=2500,
        fee=103,
        created="2026-11-03T15:00:00Z",
        name="Ana Ruiz",
        email="ana@example.com",
    )
    account.refund("re_3QAnaRuiz", "ch_3QAnaRuiz", amount=2500, created="2026-11-05T16:00:00Z")
    # a refund of one $5.00 donation that failed: the money came back five days later
    account.refund(
        "re_3QDonation050",
        "ch_3QDonation050",
        amount=500,
        created="2026-11-04T10:00:00Z",
        failed_at="2026-11-09T10:00:00Z",
    )
    # 20.00 EUR on a German card, settled as 21.70 USD: 5.4% of 2170 = 117.18 -> 117, + 30
    account.charge(
        "ch_3QJonasWeber",
        amount=2000,
        currency="eur",
        settled=2170,
        fee=147,
        exchange_rate=1.085,
        country="DE",
        created="2026-11-06T09:30:00Z",
        name="Jonas Weber",
        email="jonas@example.de",
    )
    # Lou's $10.00 monthly subscription: 29 + 30 = 59; its invoice finalised an hour before
    account.charge(
        "ch_3QLouMonthly",
        amount=1000,
        fee=59,
        created="2026-11-01T14:00:00Z",
        name="Lou Green",
        email="lou@example.com",
        customer="cus_Lou",
        guest=False,
        description="Subscription update",
    )
    account.invoice(
        "ch_3QLouMonthly",
        invoice_id="in_3QLouNov",
        created="2026-11-01T13:00:00Z",
        subscription="sub_1Lou",
        customer="cus_Lou",
    )
    account.customer("cus_Lou", name="Lou Green", email="lou@example.com")
    account.subscription(
        "sub_1Lou",
        customer="cus_Lou",
        amount=1000,
        created="2026-10-01T13:00:00Z",
        period_start="2026-11-01T13:00:00Z",
    )
    # Mia's $50.00 one-off through Checkout, invoiced but not a subscription: 145 + 30
    account.charge(
        "ch_3QMiaCheckout",
        amount=5000,
        fee=175,
        created="2026-11-10T18:00:00Z",
        name="Mia Chen",
        email="mia@example.com",
        customer="cus_Mia",
        guest=False,
    )
    account.invoice(
        "ch_3QMiaCheckout",
        invoice_id="in_3QMiaGift",
        created="2026-11-10T17:59:00Z",
        customer="cus_Mia",
    )
    # Lou again, a $15.00 one-time gift with no invoice: 43.5 -> 44, + 30 = 74
    account.charge(
        "ch_3QLouGift",
        amount=1500,
        fee=74,
        created="2026-11-12T20:00:00Z",
        name="Lou Green",
        email="lou@example.com",
        customer="cus_Lou",
        guest=False,
    )
    # $30.00 (87 + 30 = 117), disputed and lost; $40.00 (116 + 30 = 146), disputed and won
    account.charge(
        "ch_3QSamPost",
        amount=3000,
        fee=117,
        created="2026-11-08T12:00:00Z",
        name="Sam Post",
        email="sam@example.com",
    )
    account.dispute("dp_1SamPost", "ch_3QSamPost", created="2026-11-14T10:00:00Z")
    account.charge(
        "ch_3QKimLee",
        amount=4000,
        fee=146,
        created="2026-11-09T12:00:00Z",
        name="Kim Lee",
        email="kim@example.com",
    )
    account.dispute(
        "dp_1KimLee", "ch_3QKimLee", created="2026-11-15T10:00:00Z", won_at="2026-11-25T10:00:00Z"
    )
    account.payout(
        "po_1Nov16", amount=10000, created="2026-11-16T00:05:00Z", arrival="2026-11-18T00:00:00Z"
    )
    account.payout(
        "po_1Nov20",
        amount=5000,
        created="2026-11-20T00:05:00Z",
        arrival="2026-11-23T00:00:00Z",
        failed_at="2026-11-23T15:00:00Z",
    )
    account.other(
        amount=-7,
        created="2026-11-02T06:00:00Z",
        type="stripe_fee",
        category="fee",
        description="Billing - Usage Fee (2026-10-01 - 2026-10-31)",
    )
    account.other(
        amount=-100,
        created="2026-11-21T08:00:00Z",
        type="adjustment",
        category="other_adjustment",
        description="Adjustment for incorrect fee",
    )
    return account


class FakeStripe:
    """The HTTP server: start it, point ``StripeClient`` at :attr:`url`, stop it."""

    def __init__(self, account: Account, api_key: str = API_KEY) -> None:
        self.account = account
        self.api_key = api_key
        #: every request as (path, query parameters), for tests to count calls
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        #: path -> (status, error body) to answer instead, for tests of Stripe's refusals
        self.failures: dict[str, tuple[int, dict]] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._answer(self)

            def log_message(self, format, *args) -> None:  # quiet: tests read stderr
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def calls(self, path: str) -> list[dict[str, list[str]]]:
        return [query for seen, query in self.requests if seen == path]

    # ------------------------------------------------------------------ serving
    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        self.requests.append((parts.path, query))
        presented = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if presented != self.api_key:
            masked = presented[:8] + "*" * max(len(presented) - 12, 0) + presented[-4:]
            return self._send(handler, 401, error_body(f"Invalid API Key provided: {masked}"))
        if parts.path in self.failures:
            return self._send(handler, *self.failures[parts.path])
        routes = {
            "/v1/balance_transactions": self._balance_transactions,
            "/v1/invoice_payments": self._invoice_payments,
            "/v1/subscriptions": self._subscriptions,
            "/v1/balance": lambda q: (200, self.account.balance()),
        }
        route = routes.get(parts.path)
        if parts.path.startswith("/v1/payouts/"):
            route = partial(self._payout, payout_id=parts.path.rsplit("/", 1)[1])
        if parts.path.startswith("/v1/subscriptions/"):
            route = partial(self._subscription, subscription_id=parts.path.rsplit("/", 1)[1])
        if route is None:
            return self._send(
                handler, 404, error_body(f"Unrecognized request URL (GET: {parts.path})")
            )
        return self._send(handler, *route(query))

    def _balance_transactions(self, query):
        rows = self._expanded(_since(self.account.transactions, query), "source", query)
        return _page("/v1/balance_transactions", rows, query)

    def _payout(self, query, payout_id):
        payout = self.account.objects.get(payout_id)
        if payout is None:
            return 404, error_body(f"No such payout: '{payout_id}'")
        if "balance_transaction" in _expand(query):
            txn = next(
                t for t in self.account.transactions if t["id"] == payout["balance_transaction"]
            )
            payout = {**payout, "balance_transaction": txn}
        return 200, payout

    def _subscriptions(self, query):
        """Stripe lists canceled subscriptions only when asked for ``status=all``."""
        wanted = query.get("status", [None])[0]
        rows = self.account.subscriptions
        if wanted is None:
            rows = [s for s in rows if s["status"] != "canceled"]
        elif wanted != "all":
            rows = [s for s in rows if s["status"] == wanted]
        return _page("/v1/subscriptions", self._expanded(rows, "customer", query), query)

    def _subscription(self, query, subscription_id):
        subscription = self.account.objects.get(subscription_id)
        if subscription is None:
            return 404, error_body(f"No such subscription: '{subscription_id}'")
        if "customer" in _expand(query):
            subscription = {
                **subscription,
                "customer": self.account.objects[subscription["customer"]],
            }
        return 200, subscription

    def _invoice_payments(self, query):
        rows = self.account.invoice_payments
        if "status" in query:
            rows = [p for p in rows if p["status"] == query["status"][0]]
        rows = _since(rows, query)
        if "payment[payment_intent]" in query:
            wanted = query["payment[payment_intent]"][0]
            rows = [p for p in rows if p["payment"]["payment_intent"] == wanted]
        return _page("/v1/invoice_payments", self._expanded(rows, "invoice", query), query)

    def _expanded(self, rows, field, query):
        """``rows`` with the id in ``field`` replaced by its object, where the request asks
        for ``expand[]=data.<field>`` (a row with no such id stays as it is)."""
        if f"data.{field}" not in _expand(query):
            return rows
        return [{**r, field: self.account.objects[r[field]]} if r[field] else r for r in rows]

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", "req_FakeStripe0001")
        handler.end_headers()
        handler.wfile.write(data)


def _expand(query) -> set[str]:
    return {v for key, values in query.items() if key.startswith("expand[") for v in values}


def _since(rows: list[dict], query) -> list[dict]:
    """The rows created at or after ``created[gte]``, when the request gives one."""
    if "created[gte]" not in query:
        return rows
    return [r for r in rows if r["created"] >= int(query["created[gte]"][0])]


def error_body(message: str, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind}}


def _page(url: str, rows: list[dict], query) -> tuple[int, dict]:
    """One page of a list, newest first, as Stripe pages: ``limit`` items after
    ``starting_after``, and whether more remain."""
    limit = int(query.get("limit", ["10"])[0])
    if not 1 <= limit <= 100:
        return 400, error_body("Invalid limit: must be between 1 and 100")
    ordered = sorted(rows, key=lambda r: (r["created"], r["id"]), reverse=True)
    if "starting_after" in query:
        ids = [r["id"] for r in ordered]
        ordered = ordered[ids.index(query["starting_after"][0]) + 1 :]
    page = ordered[:limit]
    return 200, {"object": "list", "url": url, "has_more": len(ordered) > limit, "data": page}
