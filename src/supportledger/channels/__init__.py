"""The channels readers pay through: one module each, holding what is peculiar to it.

A channel module defines ``CHANNEL`` (its name, what kind of support it usually carries,
how it pays out) and, where the generic fee lookup is not enough, its own fee rule. The
import issue adds each channel's importer to the same module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import import_module

from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule
from supportledger.models import Kind
from supportledger.money import Money

NAMES = ("zelle", "patreon", "paypal", "check", "stripe", "kdp", "ebookit", "audible", "other")


@dataclass(frozen=True)
class Channel:
    """What the ledger knows of one channel, beyond its fee schedule."""

    name: str
    label: str
    default_kind: Kind
    #: its name in the journal's accounts: ``Assets:PayPal``, ``Income:Sales:KDP``
    account: str = ""
    #: days from a payout (the day the channel sends it) until the bank posts it:
    #: the window ``reconcile`` matches a payout to a bank deposit in
    payout_lag_days: tuple[int, int] = (0, 5)
    #: money is earned first and paid later (royalties), so it can be owed
    royalty: bool = False
    #: days after a royalty month ends until the channel pays it (when a sale has no due_on)
    royalty_paid_after_days: int = 0
    #: money waits in a balance at the channel until a payout (not Zelle, not checks),
    #: so ``reconcile`` rolls that balance forward
    holds_balance: bool = True
    #: its exports report a month at a time, dated at the month's start (royalty reports,
    #: Patreon's monthly earnings): an import that reaches into a month covers all of it
    reports_by_month: bool = False
    #: each payment names the subscription it pays (PayPal's billing agreement, Stripe's
    #: invoice), so a payment missing means a lapse. Declared, not guessed from the data:
    #: a ledger whose first payment is not yet imported must not change the rule
    itemises_subscription_payments: bool = True
    #: what the channel's payouts are called on a bank statement (regular expressions,
    #: case-insensitive, searched in a credit's description): such a credit is money
    #: already counted on the channel, never new income. Narrow on purpose: a pattern that
    #: also fits a salary or a refund turns it into a payout (see ``sources/bank.py``)
    bank_payouts: tuple[str, ...] = ()
    #: the first balance its export states covers money from before the ledger (a PayPal
    #: download starts mid-history): the difference then is an opening balance. A channel
    #: whose import reads its whole history (Stripe's API) has none: a difference is shown
    opening_from_stated: bool = False
    #: paid on paper (checks): received in hand, counted once deposited, and until then
    #: money owed ("checks not yet deposited")
    in_hand: bool = False
    #: its exports have no payouts (royalty stores): a bank credit classified as its payment
    #: is the payout, and settles what the channel owes, oldest royalty months first
    payouts_from_bank: bool = False

    def __post_init__(self) -> None:
        if not self.account:
            object.__setattr__(self, "account", "".join(self.label.split()))

    @property
    def asset_role(self) -> str:
        """Where its receipts' net goes (see :mod:`supportledger.journal`): a balance the
        channel holds, royalties it owes, checks in hand until deposited, else the bank."""
        if self.holds_balance:
            return "receivable" if self.royalty else "balance"
        return "undeposited" if self.in_hand else "bank"

    def expected_fee(
        self,
        schedule: FeeSchedule,
        on: dt.date,
        gross: Money,
        plan: str | None = None,
        flags: Iterable[str] = (),
        bases: Mapping[str, Money] | None = None,
    ) -> Money | None:
        """The fee the schedule in force on ``on`` predicts for ``gross``."""
        return schedule.expected_fee(self.name, on, gross, plan, flags, bases)


def get_channel(name: str) -> Channel:
    """The channel called ``name``; an unknown name is a user error listing the known ones."""
    key = (name or "").strip().lower()
    if key not in NAMES:
        raise LedgerError(f"unknown channel {name!r}; known: {', '.join(NAMES)}")
    return import_module(f"{__name__}.{key}").CHANNEL


def all_channels() -> list[Channel]:
    return [get_channel(name) for name in NAMES]
