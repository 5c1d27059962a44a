"""Stripe. Card payments; payouts reach the bank about two business days later.

Stripe has no export to download: :func:`entries_since` reads the account's balance
transactions through the official SDK and turns each into a ledger entry. Every
transaction states its fee exactly, in integer minor units, so nothing here predicts one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import func, select

from supportledger.channels import Channel
from supportledger.config import Settings, require
from supportledger.errors import LedgerError
from supportledger.models import Event, ImportBatch, Kind, Payout
from supportledger.money import Money, currency_code
from supportledger.sources import (
    BalanceEntry,
    Entry,
    PayoutEntry,
    ReceiptEntry,
    Skipped,
    SupporterRef,
)

if TYPE_CHECKING:  # the SDK loads only when a sync runs, not whenever the channel is named
    import stripe

    from supportledger.imports import FileReport
    from supportledger.ledger import Ledger

CHANNEL = Channel(
    name="stripe",
    label="Stripe",
    account="Stripe",
    default_kind=Kind.ONE_TIME,
    payout_lag_days=(1, 5),
    # Wells Fargo "STRIPE TRANSFER ST-A1B2C3 JANE WRITER", Bank of America "STRIPE DES:TRANSFER"
    bank_payouts=(r"\bSTRIPE\s+(?:DES:\s*)?TRANSFER\b",),
)

#: The fee schedule models Stripe's US pricing: a card issued elsewhere is "international".
HOME_COUNTRY = "US"
#: The most one Stripe list call returns.
PAGE_SIZE = 100
#: How far before the sync window the listing of paid invoice payments reaches. An invoice
#: payment is created when its invoice is finalised, before the charge (retries can follow
#: weeks later); reaching back saves a lookup per such charge, and a charge the listing
#: misses is still looked up on its own, so this is a cost, not a correctness, setting.
INVOICE_LOOKBACK = dt.timedelta(days=31)

#: Reporting categories that move money back to or away from a charge, and their event.
_REVERSALS = {
    "refund": Event.REFUND,
    "refund_failure": Event.ADJUSTMENT,
    "dispute": Event.DISPUTE,
    "dispute_reversal": Event.DISPUTE_REVERSAL,
}
#: Payout statuses that Stripe will still change.
_ON_THEIR_WAY = ("pending", "in_transit")
#: What a sync is called in the import history.
SYNC_NAME = "stripe api"


def sync(
    ledger: Ledger,
    since: dt.datetime | None = None,
    *,
    client: stripe.StripeClient | None = None,
    dry_run: bool = False,
) -> FileReport:
    """Bring the ledger up to date with Stripe: every transaction created at or after
    ``since`` (default: the newest one the last sync read, else all), as one batch.

    Stripe's errors become a one-line :class:`LedgerError` that never shows the key.
    """
    from supportledger.imports import apply_entries

    client = client or client_for(ledger.settings)
    start = since if since is not None else last_synced(ledger)
    with _safe_errors(ledger.settings.stripe_api_base or "https://api.stripe.com"):
        entries = list(entries_since(client, start))
        read = {e.external_id for e in entries if isinstance(e, PayoutEntry)}
        entries += _payouts_now(client, _payouts_on_their_way(ledger) - read)
    return apply_entries(
        ledger,
        entries,
        source=CHANNEL.name,
        file_name=SYNC_NAME,
        sha256=_digest(start, entries),
        dry_run=dry_run,
    )


def last_synced(ledger: Ledger) -> dt.datetime | None:
    """The newest transaction a Stripe sync took (its balance is dated there). The next
    sync starts at that instant, reading it again, so a transaction of the same second is
    not missed."""
    with ledger.session() as session:
        return session.exec(
            select(func.max(ImportBatch.covers_to)).where(
                ImportBatch.source == CHANNEL.name, ImportBatch.undone_at.is_(None)
            )
        ).one()


def _payouts_on_their_way(ledger: Ledger) -> set[str]:
    with ledger.session() as session:
        return set(
            session.exec(
                select(Payout.external_id).where(
                    Payout.channel == CHANNEL.name, Payout.status.in_(_ON_THEIR_WAY)
                )
            )
        )


def _payouts_now(client: stripe.StripeClient, ids: set[str]) -> list[PayoutEntry]:
    """The payouts ``ids`` as they stand now. A payout goes from in transit to paid (or
    failed) with no transaction of its own, so a sync asks after those still on their way."""
    found = []
    for payout_id in sorted(ids):
        payout = client.v1.payouts.retrieve(payout_id, {"expand": ["balance_transaction"]})
        own = payout.balance_transaction
        found.append(_payout(payout, Money.from_minor(own.fee, own.currency)))
    return found


def _digest(since: dt.datetime | None, entries: list[Entry]) -> str:
    """The sync's fingerprint: its window and what it read, so the writer knows a sync that
    found nothing new (same transactions in the same state) as already imported."""
    digest = hashlib.sha256(f"stripe since {since.isoformat() if since else '-'}".encode())
    for entry in entries:
        fields = {"type": type(entry).__name__, **dataclasses.asdict(entry)}
        digest.update(json.dumps(fields, sort_keys=True, default=_canonical).encode())
    return digest.hexdigest()


def _canonical(value) -> object:
    return sorted(value) if isinstance(value, frozenset) else str(value)


@contextmanager
def _safe_errors(base: str) -> Iterator[None]:
    """Stripe's exceptions carry the request and may quote the key: one safe line instead."""
    import stripe

    try:
        yield
    except stripe.AuthenticationError:
        raise LedgerError(
            "Stripe refused STRIPE_API_KEY (HTTP 401): check the key "
            "(a restricted key with read access is enough)"
        ) from None
    except stripe.PermissionError as exc:
        raise LedgerError(
            f"STRIPE_API_KEY may not read what the sync needs (HTTP 403, {_request(exc)}): "
            "give it read access to balance, balance transactions, charges, invoices, payouts"
        ) from None
    except stripe.APIConnectionError:
        raise LedgerError(
            f"cannot reach Stripe at {base} (check the network, or STRIPE_API_BASE)"
        ) from None
    except stripe.StripeError as exc:
        what = exc.code or type(exc).__name__
        raise LedgerError(
            f"Stripe answered HTTP {exc.http_status} ({what}, {_request(exc)}); "
            "nothing was imported"
        ) from None


def _request(exc: stripe.StripeError) -> str:
    return f"request {exc.request_id}" if exc.request_id else "no request id"


def client_for(settings: Settings) -> stripe.StripeClient:
    """The SDK client for the configured key; ``STRIPE_API_BASE`` only points it at a fake."""
    import stripe

    require(settings, "STRIPE_API_KEY")
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_api_key.reveal(), base_addresses=base, max_network_retries=2
    )


def entries_since(client: stripe.StripeClient, since: dt.datetime | None) -> Iterator[Entry]:
    """Every balance transaction created at or after ``since`` (all of them when ``None``)
    as ledger entries, oldest first, then the balance as of the newest one.

    Stripe lists newest first; the entries go oldest first so that a subscription the
    ledger has not seen starts at its first payment. Raises ``stripe.StripeError`` as the
    SDK does; :func:`sync` turns it into a safe line.
    """
    params: dict = {"limit": PAGE_SIZE, "expand": ["data.source"]}
    if since is not None:
        params["created"] = {"gte": int(since.timestamp())}
    transactions = list(client.v1.balance_transactions.list(params).auto_paging_iter())
    links = InvoiceLinks(client, since)
    payouts: set[str] = set()
    for bt in reversed(transactions):
        try:
            category = bt.reporting_category
            if category == "payout":
                payouts.add(bt.source.id)
                yield _payout(bt.source, Money.from_minor(bt.fee, bt.currency))
            elif category == "payout_reversal":
                # the payout's entry already says failed or canceled, unless the payout
                # left before the window
                if bt.source.id not in payouts:
                    yield from _payouts_now(client, {bt.source.id})
            else:
                yield _entry(bt, links)
        except (LedgerError, AttributeError) as exc:
            raise LedgerError(
                f"stripe balance transaction {bt.id}: cannot read it ({exc})"
            ) from None
    if transactions:
        newest = max(_instant(bt.created) for bt in transactions)
        yield from _balances(client.v1.balance.retrieve(), newest)


def _entry(bt: stripe.BalanceTransaction, links: InvoiceLinks) -> Entry:
    category = bt.reporting_category
    if category == "charge":
        return _payment(bt, bt.source, links)
    if category in _REVERSALS:
        return _reversal(bt, _REVERSALS[category])
    if category == "fee":
        # Stripe's own charges outside any payment: a fee with nothing received
        return ReceiptEntry(
            channel=CHANNEL.name,
            external_id=bt.id,
            occurred_at=_instant(bt.created),
            gross=Money.zero(bt.currency),
            fee=Money.from_minor(-bt.net, bt.currency),
            event=Event.FEE,
            description=bt.description or bt.type,
        )
    return Skipped(reason=category)


def _payment(
    bt: stripe.BalanceTransaction, charge: stripe.Charge, links: InvoiceLinks
) -> ReceiptEntry:
    subscription = links.subscription_of(charge)
    original, rate, flags = _as_paid(bt, charge.amount, charge.currency)
    card = getattr(getattr(charge, "payment_method_details", None), "card", None)
    country = getattr(card, "country", None)
    if country and country.upper() != HOME_COUNTRY:
        flags |= {"international"}
    return ReceiptEntry(
        channel=CHANNEL.name,
        external_id=charge.id,
        occurred_at=_instant(bt.created),
        gross=Money.from_minor(bt.amount, bt.currency),
        fee=Money.from_minor(bt.fee, bt.currency),
        kind=Kind.RECURRING if subscription else Kind.ONE_TIME,
        original=original,
        fx_rate=rate,
        flags=flags,
        supporter=_supporter(charge),
        subscription=subscription,
        description=bt.description or "",
    )


def _reversal(bt: stripe.BalanceTransaction, event: Event) -> ReceiptEntry:
    """A refund, a dispute or their undoing. A refund is known by its own id; a dispute by
    its transaction's, since one dispute can take money and give it back."""
    source = bt.source
    if source.object == "refund":
        external_id = source.id if event is Event.REFUND else bt.id
        reverses = _id(source.charge) if event is Event.REFUND else source.id
    else:
        external_id, reverses = bt.id, _id(source.charge)
    original, rate, flags = _as_paid(bt, source.amount, source.currency)
    return ReceiptEntry(
        channel=CHANNEL.name,
        external_id=external_id,
        occurred_at=_instant(bt.created),
        gross=Money.from_minor(bt.amount, bt.currency),
        fee=Money.from_minor(bt.fee, bt.currency),
        event=event,
        original=original,
        fx_rate=rate,
        flags=flags,
        reverses=reverses,
        description=bt.description or "",
    )


def _payout(payout: stripe.Payout, fee: Money) -> PayoutEntry:
    """A payout as it stands now: a failed or cancelled one says so in its status."""
    arrival = payout.arrival_date
    return PayoutEntry(
        channel=CHANNEL.name,
        external_id=payout.id,
        initiated_at=_instant(payout.created),
        amount=Money.from_minor(payout.amount, payout.currency),
        fee=fee,
        arrived_on=_instant(arrival).date() if arrival else None,
        status=payout.status,
    )


def _balances(balance: stripe.Balance, as_of: dt.datetime) -> Iterator[BalanceEntry]:
    """Stripe's balance per currency (available and pending together, as the transactions
    add up), dated at the newest transaction: nothing changes a balance but a transaction."""
    totals: dict[str, int] = {}
    for part in [*balance.available, *balance.pending]:
        totals[part.currency] = totals.get(part.currency, 0) + part.amount
    for currency, amount in totals.items():
        yield BalanceEntry(
            channel=CHANNEL.name,
            currency=currency_code(currency),
            as_of=as_of,
            amount=Money.from_minor(amount, currency),
        )


def _as_paid(
    bt: stripe.BalanceTransaction, amount: int, currency: str
) -> tuple[Money | None, Decimal | None, frozenset[str]]:
    """What the supporter paid in their own currency and the rate Stripe applied, when it
    converted; the rate comes from the two integer amounts, never the float ``exchange_rate``."""
    if currency.lower() == bt.currency.lower():
        return None, None, frozenset()
    settled = Money.from_minor(bt.amount, bt.currency)
    original = Money.from_minor(-amount if bt.amount < 0 else amount, currency)
    rate = settled.amount / original.amount if original else None
    return original, rate, frozenset({"conversion"})


def _supporter(charge: stripe.Charge) -> SupporterRef | None:
    billing = getattr(charge, "billing_details", None)
    name = getattr(billing, "name", None)
    email = getattr(billing, "email", None)
    customer = _id(getattr(charge, "customer", None))
    if not (name or email or customer):
        return None
    return SupporterRef(name=name, email=email, user_id=customer)


class InvoiceLinks:
    """Which payment intents paid a subscription's invoice: the subscription's id, or None.

    One listing of the window's paid invoice payments answers for most charges at a call
    per hundred; a charge it does not answer for, and that bills a customer (every invoice
    does), costs one lookup of its own. Both are remembered for the rest of the sync.
    """

    def __init__(self, client: stripe.StripeClient, since: dt.datetime | None) -> None:
        self._client = client
        self._since = since
        self._subscriptions: dict[str, str | None] | None = None

    def subscription_of(self, charge: stripe.Charge) -> str | None:
        intent = _id(getattr(charge, "payment_intent", None))
        if intent is None:
            return None
        known = self._listed()
        if intent not in known:
            if _id(getattr(charge, "customer", None)) is None:
                return None
            payment = {"type": "payment_intent", "payment_intent": intent}
            known.update(self._read({"payment": payment}))
            known.setdefault(intent, None)
        return known[intent]

    def _listed(self) -> dict[str, str | None]:
        if self._subscriptions is None:
            params: dict = {"status": "paid"}
            if self._since is not None:
                params["created"] = {"gte": int((self._since - INVOICE_LOOKBACK).timestamp())}
            self._subscriptions = self._read(params)
        return self._subscriptions

    def _read(self, params: dict) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        listing = self._client.v1.invoice_payments.list(
            {**params, "limit": PAGE_SIZE, "expand": ["data.invoice"]}
        )
        for invoice_payment in listing.auto_paging_iter():
            intent = _id(getattr(invoice_payment.payment, "payment_intent", None))
            if intent is not None:
                found[intent] = found.get(intent) or _subscription(invoice_payment.invoice)
        return found


def _subscription(invoice: stripe.Invoice) -> str | None:
    parent = getattr(invoice, "parent", None)
    details = getattr(parent, "subscription_details", None)
    return _id(details.subscription) if details else None


def _id(field) -> str | None:
    """The id of an expandable field, whether Stripe sent the object or only its id."""
    return getattr(field, "id", field)


def _instant(unix_seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(unix_seconds, dt.UTC)
