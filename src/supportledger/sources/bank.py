"""Bank statements: CSV in the common US layouts, each line classified by rules.

A bank line is one of (the vocabulary the ledger posts from):

- ``income``: a payment straight into the bank on a channel that holds no balance (the
  counterparty): a Zelle credit (``Zelle payment from NAME conf#``), with the sender as
  supporter and, where the bank shows it, the Zelle confirmation in the id; a deposit of
  mailed checks (``REMOTE ONLINE DEPOSIT``, ``MOBILE DEPOSIT``), with the check number the
  bank gives; an honorarium on ``other``, when the writer says so. Each channel declares
  what its payments are called (``Channel.bank_payments``);
- ``payout``: a credit from a channel that holds a balance (PayPal, Patreon, Stripe, KDP,
  ACX): money already counted on that channel (the counterparty), never new income. Each
  channel declares what its payouts are called (``Channel.bank_payouts``);
- ``transfer``: the writer's own money moving between accounts; ``ignored``: not the
  ledger's business (rent, groceries);
- ``unclassified``: everything else, for the writer to decide (``supportledger bank
  classify``).

The built-in rules are narrow on purpose: "Deposit from BIGTECH CO DIRECT DEP" (Capital
One's wording for every incoming ACH) is a salary, not a check, and "AMAZON MKTPLACE PMTS"
is not a KDP royalty. A credit no rule knows stays unclassified: the importer never
guesses. The writer's own rules (:mod:`supportledger.sources.bankrules`) are tried first.

CSV lines carry no id, so a line's id is a hash of (account, posted date, amount,
description, balance, and the occurrence index of that exact tuple within the file): two
identical lines stay two lines and a re-download gives the same ids. The account of a CSV
is its layout's name (``chase``, ``bofa``...), or ``capitalone-1234`` where the file names
the account; keep one format per account, since a CSV line and the OFX line for the same
transaction have different ids.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import ClassVar

from supportledger.channels import Channels, active_channels
from supportledger.money import Money
from supportledger.sources import BankLineEntry, ImportContext, Skipped, SupporterRef
from supportledger.sources.csvfile import Amount, CsvFormat, Date, Row, Text
from supportledger.sources.ids import Occurrences, stable_id

PAYOUT, INCOME = "payout", "income"
TRANSFER, IGNORED, UNCLASSIFIED = "transfer", "ignored", "unclassified"
#: every classification a bank line can have
CLASSIFICATIONS = (PAYOUT, INCOME, TRANSFER, IGNORED, UNCLASSIFIED)


@dataclass(frozen=True)
class Rule:
    """Lines whose description matches ``pattern`` are ``classification``.

    ``sign``: which lines it takes (``credit``, ``debit`` or ``any``); ``types``: the
    bank's transaction types it needs (Chase's Type column, OFX TRNTYPE), if any;
    ``account``: the one account it is for, if any. Named groups ``name`` and ``conf``
    pick out a Zelle sender and confirmation. ``origin`` says where the rule comes from."""

    classification: str
    pattern: re.Pattern[str]
    counterparty: str | None = None
    types: frozenset[str] = frozenset()
    sign: str = "credit"
    account: str | None = None
    origin: str = "built-in"

    def takes(self, amount: Decimal, bank_type: str, account: str) -> bool:
        if (self.sign == "credit" and amount <= 0) or (self.sign == "debit" and amount >= 0):
            return False
        if self.types and bank_type.upper() not in self.types:
            return False
        return self.account is None or self.account == account


def _rule(classification: str, pattern: str, counterparty=None, types=()) -> Rule:
    return Rule(classification, re.compile(pattern, re.I), counterparty, frozenset(types))


def builtin_rules() -> tuple[Rule, ...]:
    """Each channel's payouts, then each channel's payments, from their declarations."""
    return _rules_of(active_channels())


@cache
def _rules_of(channels: Channels) -> tuple[Rule, ...]:
    """The rules of one set of declarations (the writer's own channels among them), made
    once per set: every payout pattern before any payment pattern, so a channel's payout
    is never taken for a payment."""
    payouts = tuple(
        _rule(PAYOUT, pattern, channel.name)
        for channel in channels
        for pattern in channel.bank_payouts
    )
    payments = tuple(
        rule
        for channel in channels
        for rule in (
            *(_rule(INCOME, pattern, channel.name) for pattern in channel.bank_payments),
            *(_rule(INCOME, "", channel.name, {kind}) for kind in channel.bank_payment_types),
        )
    )
    return payouts + payments


@dataclass(frozen=True)
class Classified:
    classification: str
    counterparty: str | None = None
    payer: str | None = None
    confirmation: str | None = None


class Classifier:
    """The writer's ``rules``, then the built-in ones, for the lines of one file: which
    rules can take a line depends only on its sign, bank type and account, which a file's
    lines share a few of, so that is sorted out once per kind of line."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules = (*rules, *builtin_rules())
        self._taking: dict[tuple, tuple[Rule, ...]] = {}

    def __call__(
        self, description: str, amount: Decimal, bank_type: str = "", account: str = ""
    ) -> Classified:
        """What a bank line is: the first rule that takes it; else unclassified."""
        kind = (amount > 0, amount < 0, bank_type.upper(), account)
        taking = self._taking.get(kind)
        if taking is None:
            taking = tuple(r for r in self.rules if r.takes(amount, bank_type, account))
            self._taking[kind] = taking
        text = " ".join(description.split())
        for rule in taking:
            match = rule.pattern.search(text)
            if match is None:
                continue
            groups = match.groupdict()
            return Classified(
                rule.classification, rule.counterparty, groups.get("name"), groups.get("conf")
            )
        return Classified(UNCLASSIFIED)


def classify(
    description: str,
    amount: Decimal,
    bank_type: str = "",
    account: str = "",
    rules: Iterable[Rule] = (),
) -> Classified:
    """What a bank line is: the first of the writer's ``rules``, then of the built-in
    ones, that takes it; else unclassified."""
    return Classifier(rules)(description, amount, bank_type, account)


def bank_line(
    found: Classified,
    account: str,
    external_id: str,
    row_line: int,
    posted_on: dt.date,
    amount: Money,
    description: str,
    check_number: str | None = None,
) -> BankLineEntry:
    """A :class:`BankLineEntry` for a line classified as ``found``."""
    payer = SupporterRef(name=" ".join(found.payer.split())) if found.payer else None
    return BankLineEntry(
        account=account,
        external_id=external_id,
        posted_on=posted_on,
        amount=amount,
        description=description,
        classification=found.classification,
        counterparty=found.counterparty,
        check_number=(check_number or None) if found.classification == INCOME else None,
        supporter=payer,
        line=row_line,
    )


class BankCsv(CsvFormat):
    """A bank's CSV layout: subclasses declare ``date``, ``description`` and the amount.

    Every column of the bank's header is declared, even those not read: together they
    tell one bank's layout from another's."""

    #: the zone of the dates is the bank's; a posting date is a day, kept as written
    date_formats: ClassVar[tuple[str, ...]] = ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d")

    def account(self, row: Row) -> str:
        return self.name

    def signed_amount(self, row: Row) -> Decimal | None:
        """Money in is positive; ``None`` for a line that moves no money."""
        return row.amount

    def describe(self, row: Row) -> str:
        return " ".join(row.description.split())

    def bank_type(self, row: Row) -> str:
        return ""

    def check_number(self, row: Row) -> str | None:
        return None

    def entries(self, path: Path, context: ImportContext) -> Iterator[BankLineEntry | Skipped]:
        seen = Occurrences()
        classify_line = Classifier(context.bank_rules)
        for row in self.rows(path):
            amount = self.signed_amount(row)
            if amount is None:
                yield Skipped("a balance line, not a transaction", row.line)
                continue
            account, description = self.account(row), self.describe(row)
            balance = getattr(row, "balance", None)
            balance = None if balance == "" else balance
            content = (account, row.date.isoformat(), amount, description, balance)
            found = classify_line(description, amount, self.bank_type(row), account)
            if found.classification == INCOME and found.confirmation:
                external_id = f"{found.counterparty}:{found.confirmation}"
            else:
                external_id = stable_id(*content, seen.index(*content))
            yield bank_line(
                found,
                account,
                external_id,
                row.line,
                row.date,
                Money(amount, context.base_currency),
                description,
                self.check_number(row),
            )


_DATES = BankCsv.date_formats


class Chase(BankCsv):
    """Chase checking: ``Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #``.

    On a deposit, "Check or Slip #" is what Chase shows (a deposit slip number when the
    deposit was made at a branch); it is kept as the check number of a ``check`` line."""

    name = "chase"
    details = Text("Details")
    date = Date("Posting Date", formats=_DATES)
    description = Text("Description")
    amount = Amount("Amount")
    type = Text("Type", default="")
    balance = Amount("Balance", default="")
    check_or_slip = Text("Check or Slip #", default="")

    def bank_type(self, row: Row) -> str:
        return row.type

    def check_number(self, row: Row) -> str | None:
        return row.check_or_slip or None


class BankOfAmerica(BankCsv):
    """Bank of America: a summary preamble, then ``Date,Description,Amount,Running Bal.``;
    the first line ("Beginning balance as of …") has no amount and is skipped."""

    name = "bofa"
    #: the summary above the header: "Description,,Summary Amt.", "Beginning balance as of
    #: 10/01/2026,,1,000.00", "Total credits,,…", "Total debits,,…", "Ending balance as of …"
    preamble = (
        r"Description,+Summary Amt\.,*|(?:Beginning|Ending) balance as of [\d/]+,+.*"
        r"|Total (?:credits|debits),+.*"
    )
    date = Date("Date", formats=_DATES)
    description = Text("Description")
    amount = Amount("Amount", default="")
    balance = Amount("Running Bal.", default="")

    def signed_amount(self, row: Row) -> Decimal | None:
        return None if row.amount == "" else row.amount


class CapitalOne(BankCsv):
    """Capital One 360: ``Account Number,Transaction Description,Transaction Date,
    Transaction Type,Transaction Amount,Balance`` (the 2024 order; before it, the date and
    amount came first: columns are found by name). The amount is unsigned and the type says
    Credit or Debit; dates are MM/DD/YY. Every incoming ACH reads "Deposit from SENDER …"
    (a salary too), a Zelle credit "Zelle money received from NAME", a mobile check
    "Check Deposit (Mobile)"."""

    name = "capitalone"
    account_number = Text("Account Number")
    date = Date("Transaction Date", formats=_DATES)
    amount = Amount("Transaction Amount")
    type = Text("Transaction Type")
    description = Text("Transaction Description")
    balance = Amount("Balance", default="")

    def account(self, row: Row) -> str:
        return f"{self.name}-{row.account_number[-4:]}"

    def signed_amount(self, row: Row) -> Decimal:
        return -abs(row.amount) if row.type.lower() == "debit" else abs(row.amount)


class USBank(BankCsv):
    """U.S. Bank: ``Date,Transaction,Name,Memo,Amount`` (signed amount)."""

    name = "usbank"
    date = Date("Date", formats=_DATES)
    transaction = Text("Transaction")
    description = Text("Name")
    memo = Text("Memo", default="")
    amount = Amount("Amount")

    def describe(self, row: Row) -> str:
        return " ".join(f"{row.description} {row.memo}".split())


class Citi(BankCsv):
    """Citi: ``Status,Date,Description,Debit,Credit,Member Name``: money in is Credit, money
    out is Debit (whatever sign the file gives either)."""

    name = "citi"
    status = Text("Status")
    date = Date("Date", formats=_DATES)
    description = Text("Description")
    debit = Amount("Debit", default="")
    credit = Amount("Credit", default="")

    def signed_amount(self, row: Row) -> Decimal | None:
        if row.debit == "" and row.credit == "":
            return None
        return abs(row.credit or Decimal(0)) - abs(row.debit or Decimal(0))
