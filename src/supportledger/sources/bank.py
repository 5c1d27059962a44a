"""Bank statements: CSV in the common US layouts, each line classified by a table of rules.

A bank line is one of:

- ``zelle``: a Zelle credit (``Zelle payment from NAME conf#``, ``ZELLE FROM NAME``), with
  the sender as supporter and, where the bank shows it, the Zelle confirmation in the id;
- ``check``: a deposit of mailed checks (``REMOTE ONLINE DEPOSIT``, ``MOBILE DEPOSIT``,
  ``DEPOSIT``, or an OFX ``DEP``/``CHECK`` credit), with the check number the bank gives;
- ``payout``: a credit from PayPal, Patreon, Stripe, Amazon/KDP or Audible/ACX: money already
  counted on that channel (the counterparty), never new income;
- ``unclassified``: everything else, debits included, for the writer to decide.

The rules are data (:data:`RULES`), tried in order; the first that matches wins.

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
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from supportledger.money import Money
from supportledger.sources import BankLineEntry, ImportContext, Skipped, SupporterRef
from supportledger.sources.csvfile import Amount, CsvFormat, Date, Row, Text
from supportledger.sources.ids import Occurrences, stable_id

ZELLE, CHECK, PAYOUT, UNCLASSIFIED = "zelle", "check", "payout", "unclassified"


@dataclass(frozen=True)
class Rule:
    """Credits whose description matches ``pattern`` (and, if given, whose bank transaction
    type is in ``types``) are ``classification``. Named groups ``name`` and ``conf`` pick
    out a Zelle sender and confirmation. Debits match no rule: money out is never income."""

    classification: str
    pattern: re.Pattern[str]
    counterparty: str | None = None
    types: frozenset[str] = frozenset()


def _rule(classification: str, pattern: str, counterparty=None, types=()) -> Rule:
    return Rule(classification, re.compile(pattern, re.I), counterparty, frozenset(types))


_ZELLE_FROM = r"^zelle\s+(?:payment\s+|transfer\s+)?from\s+(?P<name>.+?)"

RULES: tuple[Rule, ...] = (
    _rule(PAYOUT, r"\bpaypal\b.*\b(transfer|xfer)\b", "paypal"),
    _rule(PAYOUT, r"\bpatreon\b", "patreon"),
    _rule(PAYOUT, r"\bstripe\b", "stripe"),
    _rule(PAYOUT, r"\bamazon\b|\bamzn\b.*\bkdp\b|\bkdp\b", "kdp"),
    _rule(PAYOUT, r"\baudible\b|\bacx\b", "audible"),
    # Zelle: "… Conf# X" / "… REF # X" (Bank of America, Wells Fargo), then Chase's trailing
    # confirmation token (it has a digit), then no confirmation at all.
    _rule(ZELLE, _ZELLE_FROM + r"(?:\s+on\s+\d{1,2}/\d{1,2})?\s+(?:conf|ref)\s*#?\s*(?P<conf>\S+)"),
    _rule(ZELLE, _ZELLE_FROM + r"\s+(?P<conf>(?=\S*\d)[A-Za-z0-9]{6,})$"),
    _rule(ZELLE, _ZELLE_FROM + r"(?:\s+on\s+\d{1,2}/\d{1,2})?$"),
    _rule(ZELLE, r"^zelle\s+(?:payment|transfer)\s+conf#\s*(?P<conf>[^;\s]+);\s*(?P<name>.+)$"),
    _rule(CHECK, r"^(remote online deposit|mobile deposit|atm check deposit|deposit)\b"),
    _rule(CHECK, r"", types={"DEP", "CHECK", "CHECK_DEPOSIT"}),
)


@dataclass(frozen=True)
class Classified:
    classification: str
    counterparty: str | None = None
    payer: str | None = None
    confirmation: str | None = None


def classify(description: str, amount: Decimal, bank_type: str = "") -> Classified:
    """What a bank line is, by the first rule of :data:`RULES` that matches it."""
    if amount <= 0:
        return Classified(UNCLASSIFIED)
    text = " ".join(description.split())
    for rule in RULES:
        if rule.types and bank_type.upper() not in rule.types:
            continue
        match = rule.pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        return Classified(
            rule.classification, rule.counterparty, groups.get("name"), groups.get("conf")
        )
    return Classified(UNCLASSIFIED)


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
        counterparty=found.counterparty or (payer.name if payer else None),
        check_number=(check_number or None) if found.classification == CHECK else None,
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
        for row in self.rows(path):
            amount = self.signed_amount(row)
            if amount is None:
                yield Skipped("a balance line, not a transaction", row.line)
                continue
            account, description = self.account(row), self.describe(row)
            balance = getattr(row, "balance", None)
            content = (account, row.date.isoformat(), amount, description, balance)
            found = classify(description, amount, self.bank_type(row))
            if found.classification == ZELLE and found.confirmation:
                external_id = f"zelle:{found.confirmation}"
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
    type = Text("Type", required=False, default="")
    balance = Amount("Balance", required=False)
    check_or_slip = Text("Check or Slip #", required=False, default="")

    def bank_type(self, row: Row) -> str:
        return row.type

    def check_number(self, row: Row) -> str | None:
        return row.check_or_slip or None


class BankOfAmerica(BankCsv):
    """Bank of America: a summary preamble, then ``Date,Description,Amount,Running Bal.``;
    the first line ("Beginning balance as of …") has no amount and is skipped."""

    name = "bofa"
    date = Date("Date", formats=_DATES)
    description = Text("Description")
    amount = Amount("Amount", required=False)
    balance = Amount("Running Bal.", required=False)


class CapitalOne(BankCsv):
    """Capital One: ``Account Number,Transaction Date,Transaction Amount,Transaction Type,
    Transaction Description,Balance``; the amount is unsigned and the type says Credit/Debit."""

    name = "capitalone"
    account_number = Text("Account Number")
    date = Date("Transaction Date", formats=_DATES)
    amount = Amount("Transaction Amount")
    type = Text("Transaction Type")
    description = Text("Transaction Description")
    balance = Amount("Balance", required=False)

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
    memo = Text("Memo", required=False, default="")
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
    debit = Amount("Debit", required=False)
    credit = Amount("Credit", required=False)

    def signed_amount(self, row: Row) -> Decimal | None:
        if row.debit is None and row.credit is None:
            return None
        return abs(row.credit or Decimal(0)) - abs(row.debit or Decimal(0))
