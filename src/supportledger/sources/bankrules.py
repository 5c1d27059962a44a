"""The writer's own bank rules: a TOML file they keep, in the spirit of hledger's CSV rules.

``BANK_RULES_FILE`` names it (default ``bank-rules.toml`` in the working directory). Each
rule says what lines whose description matches a pattern are, and is tried before the
built-in rules, on every later import::

    [[rule]]
    pattern = "^BOOKSHOP EVENT HONORARIUM$"   # a regular expression, case-insensitive
    as = "income:other"     # income:<channel> (zelle, check: the name alone)
                            # | payout:<channel> | transfer | ignore
    sign = "credit"         # credit (default) | debit | any
    account = "chase"       # only this account's lines (default: every account)

``supportledger bank classify LINE --as ... --remember`` writes one for you.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from supportledger.channels import get_channel
from supportledger.errors import LedgerError
from supportledger.sources.bank import IGNORED, INCOME, PAYOUT, TRANSFER, Rule

SIGNS = ("credit", "debit", "any")
#: how ``--as`` and a rule's ``as`` are written
DECISIONS = "income:<channel> (zelle: income:zelle), payout:<channel>, transfer or ignore"


class RulesError(LedgerError):
    """A rules file, or a decision, that cannot be used; the message names it."""


@dataclass(frozen=True)
class Decision:
    """What the writer says a bank line is: a classification and, for ``income`` and
    ``payout``, the channel (the counterparty)."""

    classification: str
    channel: str | None = None

    @property
    def text(self) -> str:
        word = "ignore" if self.classification == IGNORED else self.classification
        return f"{word}:{self.channel}" if self.channel else word

    @property
    def for_credits_only(self) -> bool:
        return self.classification in (INCOME, PAYOUT)


def _pays_into_bank(word: str) -> bool:
    """Whether ``word`` names a channel whose payments go straight into the bank."""
    try:
        return not get_channel(word).holds_balance
    except LedgerError:
        return False


def parse_decision(text: str) -> Decision:
    """``income:other`` → Decision("income", "other"), and ``zelle`` → ``income:zelle`` (a
    channel holding no balance, named alone); refuses what the ledger cannot post:
    income on a channel that holds a balance (its money reaches the bank as a payout), a
    payout from a channel that holds none."""
    word, _, channel = str(text).strip().lower().partition(":")
    simple = {"transfer": TRANSFER, "ignore": IGNORED}
    if word in simple and not channel:
        return Decision(simple[word])
    if not channel and word not in (INCOME, PAYOUT) and _pays_into_bank(word):
        word, channel = INCOME, word  # a channel's name alone: its money straight in
    if word not in (INCOME, PAYOUT) or not channel:
        raise RulesError(f"{text!r} is not a decision: give {DECISIONS}")
    found = get_channel(channel)
    if word == INCOME and found.holds_balance:
        raise RulesError(
            f"{found.label} holds a balance: its money reaches the bank as a payout "
            f"(payout:{found.name}), and its income comes from its own export"
        )
    if word == PAYOUT and not found.holds_balance:
        raise RulesError(
            f"{found.label} holds no balance, so it makes no payouts: its money in the "
            f"bank is income:{found.name}"
        )
    return Decision(word, found.name)


def suggested_pattern(description: str) -> str:
    """A pattern for lines like this one: the description as written, with its numbers
    (dates, ids, confirmation codes) left open and any spacing allowed."""
    words = []
    for word in description.split():
        words.append(re.sub(r"\d+", r"\\d+", re.escape(word)))
    return "^" + r"\s+".join(words) + "$"


def _string(where: str, value, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise RulesError(f"{where}: {name!r} must be a non-empty string")
    return value


def _rule(where: str, data) -> Rule:
    if not isinstance(data, dict):
        raise RulesError(f"{where}: a rule is a table ([[rule]])")
    unknown = set(data) - {"pattern", "as", "sign", "account"}
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        pattern = re.compile(_string(where, data.get("pattern"), "pattern"), re.I)
    except re.error as exc:
        raise RulesError(f"{where}: 'pattern' is not a regular expression ({exc})") from None
    try:
        decision = parse_decision(_string(where, data.get("as"), "as"))
    except LedgerError as exc:
        raise RulesError(f"{where}: 'as': {exc}") from None
    sign = data.get("sign", "credit")
    if sign not in SIGNS or (decision.for_credits_only and sign != "credit"):
        allowed = "credit" if decision.for_credits_only else ", ".join(SIGNS)
        raise RulesError(f"{where}: 'sign' of a rule '{decision.text}' is {allowed}")
    account = data.get("account")
    return Rule(
        decision.classification,
        pattern,
        decision.channel,
        sign=sign,
        account=_string(where, account, "account") if account is not None else None,
        origin=where,
    )


def load_rules(path: Path | None) -> tuple[Rule, ...]:
    """The rules of ``path``, in order; none when there is no file (yet)."""
    if path is None or not Path(path).exists():
        return ()
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise RulesError(f"bank rules {path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(f"bank rules {path}: {exc}") from None
    unknown = set(data) - {"rule"}
    if unknown:
        raise RulesError(f"bank rules {path}: unknown key(s) {', '.join(sorted(unknown))}")
    rules = data.get("rule", [])
    if not isinstance(rules, list):
        raise RulesError(f"bank rules {path}: 'rule' must be an array of tables ([[rule]])")
    return tuple(_rule(f"{path} rule {i + 1}", rule) for i, rule in enumerate(rules))


def remember(path: Path, pattern: str, decision: Decision, sign: str, account: str | None):
    """Append a rule to the writer's file (made if missing), after checking that the file
    with it still loads: a rule that would break the file is never written."""
    block = ["", "[[rule]]", f"pattern = {json.dumps(pattern, ensure_ascii=False)}"]
    block += [f'as = "{decision.text}"', f'sign = "{sign}"']
    if account:
        block.append(f"account = {json.dumps(account, ensure_ascii=False)}")
    path = Path(path)
    before = path.read_text("utf-8") if path.exists() else _HEADER
    after = before.rstrip("\n") + "\n" + "\n".join(block) + "\n"
    candidate = path.with_name(path.name + ".partial")
    candidate.write_text(after, "utf-8")
    try:
        load_rules(candidate)
    except RulesError:
        candidate.unlink()
        raise
    candidate.replace(path)
    return load_rules(path)[-1]


_HEADER = """\
# supportledger bank rules: what your bank's lines are, tried before the built-in rules
# on every import. See `supportledger bank rules` and the README ("Bank lines").
"""
