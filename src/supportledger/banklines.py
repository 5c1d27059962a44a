"""The bank lines in the ledger, and the writer's decisions on them.

An importer never guesses what a bank credit is: what no rule knows stays unclassified
until the writer decides (:func:`decide`), and a decision can be remembered as a rule of
their own (:func:`remember_rule`) that classifies the lines like it on every later import.
"""

from __future__ import annotations

from sqlalchemy import select

from supportledger.errors import LedgerError
from supportledger.imports import classify_bank_line
from supportledger.ledger import Ledger
from supportledger.models import BankLine
from supportledger.months import Month
from supportledger.sources.bank import IGNORED, UNCLASSIFIED, Rule, builtin_rules
from supportledger.sources.bankrules import (
    Decision,
    load_rules,
    parse_decision,
    remember,
    suggested_pattern,
)

LINES = BankLine.__table__


def bank_lines(ledger: Ledger, month: Month | None = None, unclassified: bool = False):
    """The bank lines, oldest first: of ``month`` only, and only those nobody classified."""
    query = select(LINES).order_by(LINES.c.posted_on, LINES.c.id)
    if month is not None:
        query = query.where(
            LINES.c.posted_on >= month.first_day, LINES.c.posted_on <= month.last_day
        )
    if unclassified:
        query = query.where(LINES.c.classification == UNCLASSIFIED)
    with ledger.engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def bank_line(ledger: Ledger, line_id: int) -> dict:
    with ledger.engine.connect() as connection:
        row = connection.execute(select(LINES).where(LINES.c.id == line_id)).mappings().first()
    if row is None:
        raise LedgerError(f"no bank line #{line_id} (see `supportledger bank lines`)")
    return dict(row)


def decision_of(line: dict) -> Decision:
    """A line's classification as a decision (``income:other``, ``ignore``...)."""
    channel = line["counterparty"] if line["classification"] in ("income", "payout") else None
    return Decision(line["classification"], channel)


def decide(ledger: Ledger, line_id: int, text: str) -> tuple[dict, bool]:
    """Classify bank line ``line_id`` as ``text`` says (``income:other``, ``ignore``...);
    the line's receipt, if it is income, is written with it. A line already so classified
    is left as it is. Returns the line and whether it changed."""
    decision = parse_decision(text)
    line = bank_line(ledger, line_id)
    if decision_of(line) == decision:
        return line, False
    changed = classify_bank_line(ledger, line_id, decision.classification, decision.channel)
    return changed, True


def remember_rule(
    ledger: Ledger, line: dict, pattern: str | None = None, every_account: bool = False
) -> Rule:
    """A rule in the writer's file that classifies lines like ``line`` as it now is: its
    description (numbers left open) or ``pattern``, its sign, its account."""
    decision = decision_of(line)
    if decision.classification == UNCLASSIFIED:
        raise LedgerError(f"bank line #{line['id']} is not classified: nothing to remember")
    sign = "credit" if line["amount_minor"] > 0 else "debit"
    return remember(
        ledger.settings.bank_rules_file,
        pattern or suggested_pattern(line["description"]),
        decision,
        sign,
        None if every_account else line["account"],
    )


def rules(ledger: Ledger) -> list[dict]:
    """Every rule in the order they are tried: the writer's own, then the built-in ones."""
    table = []
    for rule in (*load_rules(ledger.settings.bank_rules_file), *builtin_rules()):
        word = "ignore" if rule.classification == IGNORED else rule.classification
        table.append(
            {
                "as": f"{word}:{rule.counterparty}" if rule.counterparty else word,
                "pattern": rule.pattern.pattern,
                "sign": rule.sign,
                "types": sorted(rule.types),
                "account": rule.account,
                "from": rule.origin,
            }
        )
    return table
