"""The schema: every table of the ledger, in one place.

Conventions kept by every table:
- amounts are integer minor units (``*_minor``) beside an ISO 4217 ``currency``; no float
  column exists anywhere (a test checks);
- instants are stored as UTC (:class:`UTCDateTime`); which month they fall in is decided
  later, in ``LEDGER_TIMEZONE``;
- personal data (e-mail, address, phone, handles) lives in ``supporter_handles`` and
  ``supporter_details``, apart from amounts, so it can be erased without touching a figure.

No ``from __future__ import annotations`` here: pydantic would then rebuild every field's
type from its string, for every table, each time a command loads the models.
"""

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import AutoString, Field, SQLModel
from sqlmodel.main import SQLModelConfig

from supportledger.intervals import MONTH, Interval
from supportledger.kinds import Kind
from supportledger.money import Money


class LedgerTable(SQLModel):
    """The base of every table. Each row class is also a pydantic model, whose validator
    pydantic would build as the class is defined: a quarter or more of what loading this
    module costs, paid by every command. Deferred, it is built the first time a class
    validates, which the ledger's own code never asks of a table (rows are built without
    validation)."""

    model_config = SQLModelConfig(defer_build=True)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utc_column(**kwargs) -> Column:
    return Column(UTCDateTime(), **kwargs)


class IntervalText(TypeDecorator):
    """A billing :class:`Interval` stored as its text (``month``, ``year``, ``14 days``)."""

    impl = AutoString
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(Interval.parse(str(value)))

    def process_result_value(self, value, dialect):
        return None if value is None else Interval.parse(value)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Event(StrEnum):
    """What happened to the money. Reversals point at the receipt they reverse."""

    PAYMENT = "payment"
    REFUND = "refund"
    CHARGEBACK = "chargeback"
    DISPUTE = "dispute"
    DISPUTE_REVERSAL = "dispute_reversal"
    FEE = "fee"
    ADJUSTMENT = "adjustment"


#: Events whose (negative) gross counts as "refunds" on a statement.
REVERSALS = frozenset({Event.REFUND, Event.CHARGEBACK, Event.DISPUTE})


class Status(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    REVERSED = "reversed"
    RETURNED = "returned"
    DENIED = "denied"
    DEPOSITED = "deposited"


#: Receipt statuses whose money counts (statement, supporters' totals, reconcile): a
#: reversed payment is answered by its own negative row; ``pending`` is still owed (a check
#: not yet deposited); ``denied`` and ``returned`` never arrived.
COUNTED_STATUSES = (Status.COMPLETED, Status.DEPOSITED, Status.REVERSED)


class SubscriptionStatus(StrEnum):
    """What a channel says of a subscription today (cancelled: it has ended)."""

    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DECLINED = "declined"


class SubscriptionState(StrEnum):
    """A state a subscription is seen in, from the day it took effect: its history."""

    STARTED = "started"
    CHANGED = "changed"  # amount, currency, interval or tier; the standing stays as it was
    PAUSED = "paused"
    DECLINED = "declined"  # a charge failed and is being retried
    CANCELLED = "cancelled"  # the supporter asked to stop; it runs until it has ENDED
    RESUMED = "resumed"
    ENDED = "ended"


class Supporter(LedgerTable, table=True):
    __tablename__ = "supporters"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    merged_into_id: int | None = Field(default=None, foreign_key="supporters.id", index=True)
    forgotten_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class SupporterHandle(LedgerTable, table=True):
    """How a channel names a supporter (PayPal e-mail, Patreon user id, name on a check)."""

    __tablename__ = "supporter_handles"
    __table_args__ = (UniqueConstraint("channel", "kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    supporter_id: int = Field(foreign_key="supporters.id", index=True)
    channel: str
    kind: str  # email | user_id | name
    value: str


class SupporterDetail(LedgerTable, table=True):
    """Personal details (e-mail, street address, phone), erased by ``supporters forget``."""

    __tablename__ = "supporter_details"
    __table_args__ = (UniqueConstraint("supporter_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    supporter_id: int = Field(foreign_key="supporters.id", index=True)
    name: str  # email | street | city | state | zip | country | phone
    value: str


class ImportBatch(LedgerTable, table=True):
    """One file (or one API sync) taken into the ledger, and what it did."""

    __tablename__ = "import_batches"

    id: int | None = Field(default=None, primary_key=True)
    source: str
    file_name: str
    sha256: str = Field(index=True)
    started_at: dt.datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    #: the channel the file speaks for, and the span of time its entries cover: a statement
    #: says which channels have no data for its month
    channel: str | None = None
    covers_from: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    covers_to: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    rows: int = 0
    added: int = 0
    updated: int = 0
    skipped: int = 0
    undone_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Subscription(LedgerTable, table=True):
    """A recurring commitment on one channel (a Patreon tier, a PayPal subscription).

    Its history is in ``subscription_events``; the columns from ``tier`` to ``ended_at``
    repeat the latest of it (kept by the import writer), and ``lifetime_minor`` and the last
    charge are the channel's own running figures, as its newest export stated them.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    external_id: str
    supporter_id: int | None = Field(default=None, foreign_key="supporters.id", index=True)
    tier: str | None = None
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    interval: Interval = Field(
        default=MONTH, sa_column=Column("interval", IntervalText(), nullable=False)
    )
    status: str = SubscriptionStatus.ACTIVE
    started_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    ended_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id")
    #: when a source last described it: nothing a later export says is dated before this
    last_seen_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    lifetime_minor: int | None = Field(default=None, sa_type=BigInteger)
    last_charge_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_charge_status: str | None = None

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class SubscriptionEvent(LedgerTable, table=True):
    """One state a subscription was seen in, from the instant it took effect, with the terms
    from then on. Rows are only added (``imports undo`` removes a batch's own): a later
    export adds history and never rewrites what an earlier month showed."""

    __tablename__ = "subscription_events"

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscriptions.id", index=True)
    state: str
    effective_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    interval: Interval = Field(sa_column=Column("interval", IntervalText(), nullable=False))
    tier: str | None = None
    #: when a source said so: the export's time, the payment's, the API read's
    observed_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id", index=True)


class Title(LedgerTable, table=True):
    """A book, however many stores, formats and identifiers sell it: income is summed per
    title across every channel."""

    __tablename__ = "titles"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    #: the name folded for matching (case, accents, spacing and punctuation aside): the
    #: same title from two stores is one title
    key: str = Field(unique=True)


class TitleIdentifier(LedgerTable, table=True):
    """An identifier a store gives a title (an ASIN, an ISBN, a store's own product id)."""

    __tablename__ = "title_identifiers"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    title_id: int = Field(foreign_key="titles.id", index=True)
    scheme: str  # asin | isbn | apple | audible | gumroad | ...
    value: str


class Receipt(LedgerTable, table=True):
    """One money event on a channel, in the base currency, with its fee.

    ``gross`` is signed from the writer's side: a refund or chargeback is negative.
    ``net = gross - fee`` is enforced by the database.
    """

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        CheckConstraint("net_minor = gross_minor - fee_minor", name="net_is_gross_less_fee"),
        Index("ix_receipts_occurred_at_channel", "occurred_at", "channel"),
        # a supporter's receipts, and their totals read from the index alone
        Index("ix_receipts_by_supporter", "supporter_id", "status", "currency", "net_minor"),
        # checks in hand, read as open items (supportledger.balances)
        Index("ix_receipts_waiting", "channel", "status", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    external_id: str
    kind: str = Kind.ONE_TIME
    event: str = Event.PAYMENT
    status: str = Status.COMPLETED
    occurred_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    currency: str = Field(max_length=3)
    gross_minor: int = Field(sa_type=BigInteger)
    fee_minor: int = Field(default=0, sa_type=BigInteger)
    net_minor: int = Field(sa_type=BigInteger)
    expected_fee_minor: int | None = Field(default=None, sa_type=BigInteger)
    original_minor: int | None = Field(default=None, sa_type=BigInteger)
    original_currency: str | None = Field(default=None, max_length=3)
    fx_rate: str | None = None  # the rate actually applied, as decimal text
    flags: str = ""  # comma-separated fee conditions: international, conversion, ...
    reverses_id: int | None = Field(default=None, foreign_key="receipts.id", index=True)
    supporter_id: int | None = Field(default=None, foreign_key="supporters.id")
    subscription_id: int | None = Field(default=None, foreign_key="subscriptions.id")
    check_number: str | None = None
    description: str = ""
    due_on: dt.date | None = None  # when a channel is expected to pay it out (royalties)
    #: the book it is for (a store's sale), when the source names one
    title_id: int | None = Field(default=None, foreign_key="titles.id", index=True)
    #: on an adjustment booked because its month was closed: that month (YYYY-MM)
    adjusts_month: str | None = Field(default=None, max_length=7)
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id", index=True)

    @property
    def gross(self) -> Money:
        return Money.from_minor(self.gross_minor, self.currency)

    @property
    def fee(self) -> Money:
        return Money.from_minor(self.fee_minor, self.currency)

    @property
    def net(self) -> Money:
        return Money.from_minor(self.net_minor, self.currency)


class Payout(LedgerTable, table=True):
    """Money leaving a channel's balance for the bank (a PayPal withdrawal, a KDP payment)."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    external_id: str
    initiated_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    arrived_on: dt.date | None = None
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_type=BigInteger)  # positive: what left the channel
    fee_minor: int = Field(default=0, sa_type=BigInteger)
    status: str = "paid"
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id", index=True)


class BankLine(LedgerTable, table=True):
    """One line of a bank statement, and what it was found to be."""

    __tablename__ = "bank_lines"
    __table_args__ = (
        UniqueConstraint("account", "external_id"),
        # the line that deposited a receipt, brought a payout, or awaits one (open items)
        Index("ix_bank_lines_receipt_id", "receipt_id", "posted_on"),
        Index("ix_bank_lines_payout_id", "payout_id", "classification", "posted_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str
    external_id: str  # OFX FITID, or a stable hash of the CSV line
    posted_on: dt.date = Field(index=True)
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_type=BigInteger)
    description: str = ""
    #: income | payout | transfer | ignored | unclassified (supportledger.sources.bank)
    classification: str = "unclassified"
    counterparty: str | None = None  # the channel of a payout or of income
    receipt_id: int | None = Field(default=None, foreign_key="receipts.id")
    payout_id: int | None = Field(default=None, foreign_key="payouts.id")
    #: when ``payout_id`` was set (``reconcile`` or ``match``): a closed month's statement
    #: shows only the bank dates it could show when it was closed
    matched_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id", index=True)


class ChannelBalance(LedgerTable, table=True):
    """A balance a channel's own export states (PayPal's Balance column, Stripe's balance),
    kept to set beside the ledger's roll-forward."""

    __tablename__ = "channel_balances"
    __table_args__ = (UniqueConstraint("channel", "currency", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    currency: str = Field(max_length=3)
    as_of: dt.datetime = Field(sa_column=utc_column(nullable=False))
    amount_minor: int = Field(sa_type=BigInteger)
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id", index=True)


class DeliveryState(StrEnum):
    SENDING = "sending"  # claimed and being handed to the SMTP server
    SENT = "sent"  # the server accepted it
    FAILED = "failed"  # the server refused it or could not be reached: not delivered


class Delivery(LedgerTable, table=True):
    """One attempt to e-mail a month's statement to one recipient.

    The row is written as ``sending`` before the message leaves, so a job killed after the
    server accepted it leaves a trace instead of a silent second send. ``attempt`` numbers
    the tries for a (month, recipient); the unique constraint makes a claim exclusive.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("month", "recipient", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)  # YYYY-MM, in LEDGER_TIMEZONE
    recipient: str
    attempt: int
    message_id: str
    state: str = DeliveryState.SENDING
    sha256: str = Field(max_length=64)  # of the message bytes handed to the server
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    sent_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    failure: str | None = None  # the one-line reason of a failed attempt


class MonthClose(LedgerTable, table=True):
    """A month frozen by ``supportledger close``. Reopening keeps the row and says when and
    why, so the history of closes is never lost; ``digest`` fingerprints the month's receipts
    as they were when it was closed."""

    __tablename__ = "month_closes"

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM in LEDGER_TIMEZONE
    #: the month as the UTC range it covered when closed: what stays frozen
    starts_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    ends_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    closed_at: dt.datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    digest: str
    receipts: int = 0
    reopened_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reopen_reason: str | None = None
    #: the statement as it stood when the month was closed (JSON, names left out): what was
    #: sent is what a closed month shows, whatever is imported later
    snapshot: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class TaxForm(LedgerTable, table=True):
    """The gross a channel reported on its 1099-K for a year, as the writer recorded it,
    set beside the ledger's own gross on the annual summary."""

    __tablename__ = "tax_forms"
    __table_args__ = (UniqueConstraint("year", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    channel: str
    currency: str = Field(max_length=3)
    gross_minor: int = Field(sa_type=BigInteger)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


# --------------------------------------------------------------------------- the journal


class AccountRole(StrEnum):
    """What an account of the journal holds; its name comes from the channel's declaration."""

    INCOME = "income"  # Income:Support:<Channel>:OneTime, Income:Sales:<Channel>
    REFUNDS = "refunds"  # the income account's :Refunds
    FEES = "fees"  # Expenses:Fees:<Channel>
    PAYOUT_FEES = "payout_fees"  # Expenses:Fees:Payouts:<Channel>
    BALANCE = "balance"  # Assets:<Channel>: money the channel holds for the writer
    RECEIVABLE = "receivable"  # Assets:Receivable:<Channel>: royalties earned, not yet paid
    UNDEPOSITED = "undeposited"  # Assets:Undeposited:<Channel>: checks in hand, Zelle on its way
    IN_TRANSIT = "in_transit"  # Assets:InTransit:<Channel>: payouts sent, not yet at the bank
    BANK = "bank"  # Assets:Bank
    EXCHANGE = "exchange"  # Income:ExchangeGains: realised gains (credit) and losses (debit)
    TRANSFERS = "transfers"  # Equity:Transfers: bank lines the writer classified as transfers
    OPENING = "opening"  # Equity:OpeningBalances: what a channel held before the ledger began


class Account(LedgerTable, table=True):
    """An account of the journal, named once; postings refer to it by id."""

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str
    channel: str | None = None


class Posting(LedgerTable, table=True):
    """One leg of a balanced transaction. A transaction is every posting of one event
    (``source``, ``source_id``): a receipt, a payout, a bank line, a conversion, an opening
    balance. Its values (``value_minor``, in the base currency at the event's recorded rate)
    sum to zero; ``amount_minor`` is in the posting's own ``currency``."""

    __tablename__ = "postings"
    __table_args__ = (
        Index("ix_postings_source", "source", "source_id"),
        Index("ix_postings_month", "month"),
        Index("ix_postings_occurred_at", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=10)
    source_id: int
    leg: int = Field(sa_type=SmallInteger)
    occurred_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    month: int  # YYYYMM in the journal's time zone (ledger_meta.journal_timezone)
    #: False for money not yet received (a check in hand, a pending payment): the statement
    #: counts cleared postings, money owed counts them all
    cleared: bool = True
    account_id: int = Field(foreign_key="accounts.id")
    kind: str = Field(default="", max_length=10)
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_type=BigInteger)
    value_minor: int = Field(sa_type=BigInteger)
    #: 1 on the income leg of a payment: the statement's count of payments
    payment: int = Field(default=0, sa_type=SmallInteger)
    #: on a fee leg: its value less the value of the fee the schedule predicted, when known
    audit_minor: int | None = Field(default=None, sa_type=BigInteger)


class JournalMonth(LedgerTable, table=True):
    """The postings of a local month, summed per account, source, kind, currency and
    clearing: what a month's figures and a balance at a month's end are read from."""

    __tablename__ = "journal_months"
    __table_args__ = (
        PrimaryKeyConstraint("month", "account_id", "source", "kind", "currency", "cleared"),
    )

    month: int
    account_id: int = Field(foreign_key="accounts.id")
    source: str = Field(max_length=10)
    kind: str = Field(max_length=10)
    currency: str = Field(max_length=3)
    cleared: bool
    amount_minor: int = Field(sa_type=BigInteger)
    value_minor: int = Field(sa_type=BigInteger)
    payments: int = 0
    postings: int = 0
    audits: int = 0
    audit_minor: int = Field(default=0, sa_type=BigInteger)


class Conversion(LedgerTable, table=True):
    """Money a channel converted from one of its currency balances to another (PayPal's
    "General Currency Conversion" of a held balance)."""

    __tablename__ = "conversions"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    external_id: str
    occurred_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    from_currency: str = Field(max_length=3)
    from_minor: int = Field(sa_type=BigInteger)  # positive: what left the first balance
    to_currency: str = Field(max_length=3)
    to_minor: int = Field(sa_type=BigInteger)  # positive: what reached the second
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id", index=True)


class Transfer(LedgerTable, table=True):
    """Money that entered or left a channel's balance other than as support or a payout to
    the bank: the writer paying for something from their PayPal balance, or funding it from
    the bank. It is the writer's own money moving (``Equity:Transfers``), never income, and
    without it the channel's balance would drift from the one it states."""

    __tablename__ = "transfers"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    external_id: str
    occurred_at: dt.datetime = Field(sa_column=utc_column(nullable=False))
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_type=BigInteger)  # into the channel's balance: positive
    description: str = ""
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id", index=True)


class Rate(LedgerTable, table=True):
    """An exchange rate for a day: one ``currency`` is worth ``rate`` units of ``quote``
    (decimal text). The ECB's daily reference rates are quoted this way against EUR."""

    __tablename__ = "rates"
    __table_args__ = (UniqueConstraint("currency", "quote", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: dt.date
    currency: str = Field(max_length=3)
    quote: str = Field(max_length=3)
    rate: str
    source: str = ""


class LedgerMeta(LedgerTable, table=True):
    """Facts about the ledger itself (the time zone its journal's months are in)."""

    __tablename__ = "ledger_meta"

    key: str = Field(primary_key=True)
    value: str
