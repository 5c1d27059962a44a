"""The channels readers pay through: one declaration each, and declarations are data.

The shipped channels are declared in ``shipped.toml`` (beside this module); a writer adds
their own, or corrects a fact of a shipped one, in the TOML file ``CHANNELS_FILE`` names:
one ``[channel.NAME]`` block each, holding the facts below, its fee rules (``[[channel.
NAME.fee]]``) and a mapping of its CSV (``[channel.NAME.csv]``). Everything else — the
importer registry, the fee schedule, statements, reconcile, exports, colours, the bank's
payouts — reads the declaration, so a new channel is one block of TOML, not a code change.

One set of declarations is active in the process: :func:`use_channels` sets it (a
:class:`~supportledger.ledger.Ledger` does, from its settings), and until then the shipped
ones are. The active set is what :func:`get_channel` answers from, so every module that
only knows a channel's name finds the writer's own channels too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from supportledger.errors import LedgerError
from supportledger.kinds import Kind
from supportledger.money import Money, MoneyError, currency_code, parse_decimal

if TYPE_CHECKING:  # the schedule reads the declarations: imported only for the types
    from supportledger.fees import FeeSchedule

#: the colour of a channel that declares none (the chart's "other")
OTHER_COLOUR = "#999999"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_ACCOUNT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")


class ChannelError(LedgerError):
    """A declaration that cannot be used; the message names the file, channel and key."""


@dataclass(frozen=True)
class Channel:
    """Everything the ledger knows of one channel (its fee rules live in the schedule)."""

    name: str
    label: str
    #: the kind of support it usually carries (``one_time``, ``recurring``, ``sale``)
    default_kind: Kind
    #: its name in account names: ``Assets:PayPal``, ``Income:Support:PayPal:OneTime``
    account: str = ""
    #: its colour on the statement's chart (mail clients need plain colours)
    colour: str = OTHER_COLOUR
    #: the fee plan a receipt is charged under when nothing says otherwise
    fee_plan: str = ""
    #: days from a payout (the day the channel sends it) until the bank posts it:
    #: the window ``reconcile`` matches a payout to a bank deposit in
    payout_lag_days: tuple[int, int] = (0, 5)
    #: what a payout to the bank costs, per currency (Patreon's direct deposit fee)
    payout_fee: Mapping[str, Decimal] = field(default_factory=dict, compare=False)
    #: money is earned first and paid later (royalties), so it can be owed
    royalty: bool = False
    #: days after a royalty month ends until the channel pays it (when a sale has no due_on)
    royalty_paid_after_days: int = 0
    #: money waits in a balance at the channel until a payout, so ``reconcile`` rolls that
    #: balance forward (not Zelle, not checks, not a front whose money lands elsewhere)
    holds_balance: bool = True
    #: money goes straight to the writer's bank as it is paid (Zelle, a deposited check)
    bank_direct: bool = False
    #: a receipt typed in by hand is received, not yet counted: it counts when the bank
    #: deposits it (a mailed check: ``pending`` until then, money owed meanwhile)
    receipts_start_pending: bool = False
    #: days after a receipt typed in by hand during which the bank's credit is that receipt
    #: (60 for a check, 7 for Zelle); 0: a hand-typed receipt is never a bank line
    bank_match_days: int = 0
    #: its exports have no payouts (royalty stores): a bank credit that is its payout
    #: settles what the channel owes, oldest royalty months first
    payouts_from_bank: bool = False
    #: the first balance its export states covers money from before the ledger (a PayPal
    #: download starts mid-history): the difference then is an opening balance. A channel
    #: whose import reads its whole history (Stripe's API) has none: a difference is shown
    opening_from_stated: bool = False
    #: the writer's accounts on other channels its money is paid into (Ko-fi pays into
    #: PayPal or Stripe): import one or the other for the same payments, never both
    settles_in: tuple[str, ...] = ()
    #: its exports report a month at a time, dated at the month's start (royalty reports,
    #: Patreon's monthly earnings): an import that reaches into a month covers all of it
    reports_by_month: bool = False
    #: each payment names the subscription it pays (PayPal's billing agreement, Stripe's
    #: invoice), so a payment missing means a lapse. Declared, not guessed from the data:
    #: a ledger whose first payment is not yet imported must not change the rule
    itemises_subscription_payments: bool = True
    #: where the writer finds the channel's export, in a line: ``month`` lists it as the
    #: file to download when the channel's imports stop before a month's end
    export_hint: str = ""
    #: the channel sends a Form 1099-K (a payment processor); the annual summary sets only
    #: these beside the ledger's gross
    issues_1099k: bool = False
    #: what its payouts are called on a bank statement (regular expressions, searched
    #: case-insensitively in a credit's description): money already counted, not income
    bank_payouts: tuple[str, ...] = ()
    #: what a payment straight to the writer through it is called on a bank statement
    #: (Zelle's "Zelle payment from NAME", a check deposit): income on this channel. Named
    #: groups ``name`` and ``conf`` pick out the payer and the channel's confirmation
    bank_payments: tuple[str, ...] = ()
    #: the bank's own transaction types that are its payments whatever the description
    #: says (Chase's ``CHECK_DEPOSIT``)
    bank_payment_types: tuple[str, ...] = ()
    #: its payments have no subscription behind them, so three consecutive months of them
    #: from one supporter are taken as a monthly habit (Zelle, checks)
    infer_monthly_habit: bool = False
    #: the zone of the times its exports write without one (Venmo's ``Datetime``)
    export_timezone: str = ""
    #: shown on every statement, with zeros in a month it had nothing (the writer's own and
    #: the ones most writers use); the others appear in the months they have money
    on_every_statement: bool = False
    #: read through its API (``supportledger sync NAME``), not from a file, with the key
    #: this setting holds; a writer who has not set it does not use the channel
    api_key_setting: str = ""
    #: its importers, by dotted path, tried before the bank statements' formats
    importers: tuple[str, ...] = ()
    #: its importers whose headers are generic, tried after the bank statements' formats
    fallback_importers: tuple[str, ...] = ()
    #: where the facts above come from (pages, dates)
    source: str = ""

    @property
    def arrives_in_bank(self) -> bool:
        """Its money goes straight into the bank (Zelle, checks), so the bank statement is
        its only record: it is complete only as far as an imported bank file reaches."""
        return self.bank_direct

    @property
    def asset_role(self) -> str:
        """Where its receipts' net goes in the journal (:mod:`supportledger.journal`): the
        royalties a store owes, checks in hand until deposited, the bank for money paid
        straight into it, else a balance the channel (or its processor) holds."""
        if self.royalty:
            return "receivable"
        if self.receipts_start_pending:
            return "undeposited"
        return "bank" if self.bank_direct else "balance"

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


#: the declaration's keys, as written in TOML, and the field each sets
_KEYS = {f.name: f.name for f in dataclasses.fields(Channel) if f.name != "name"} | {
    "kind": "default_kind"
}
del _KEYS["default_kind"]
#: keys of a block that are not facts of the channel
_PARTS = {"fee", "csv"}


def _where(where: str, name: str, key: str = "") -> str:
    return f"{where} [channel.{name}]" + (f" {key}" if key else "")


def _text(at: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ChannelError(f"{at}: expected a string")
    return value


def _flag(at: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ChannelError(f"{at}: expected true or false")
    return value


def _days(at: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ChannelError(f"{at}: expected a whole number of days")
    return value


def _texts(at: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ChannelError(f"{at}: expected a list of strings")
    return tuple(value)


def _patterns(at: str, value: Any) -> tuple[str, ...]:
    patterns = _texts(at, value)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ChannelError(f"{at}: {pattern!r} is not a regular expression ({exc})") from None
    return patterns


def _lag(at: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ChannelError(f"{at}: expected [least, most] days")
    low, high = (_days(at, v) for v in value)
    if low > high:
        raise ChannelError(f"{at}: the least days ({low}) exceed the most ({high})")
    return low, high


def _fees(at: str, value: Any) -> Mapping[str, Decimal]:
    if not isinstance(value, Mapping):
        raise ChannelError(f'{at}: expected a table like {{ USD = "0.25" }}')
    try:
        return MappingProxyType(
            {currency_code(k): parse_decimal(_text(at, v)) for k, v in value.items()}
        )
    except MoneyError as exc:
        raise ChannelError(f"{at}: {exc}") from None


def _kind(at: str, value: Any) -> Kind:
    try:
        return Kind(_text(at, value))
    except ValueError:
        raise ChannelError(f"{at}: expected one of {', '.join(Kind)}") from None


def _colour(at: str, value: Any) -> str:
    if not _COLOUR.fullmatch(_text(at, value)):
        raise ChannelError(f"{at}: expected a colour like #1c64b0")
    return value


def _account(at: str, value: Any) -> str:
    if not _ACCOUNT.fullmatch(_text(at, value)):
        raise ChannelError(
            f"{at}: {value!r} is not an account name component (a capital letter or digit "
            f"first, then letters, digits or '-')"
        )
    return value


def _zone(at: str, value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(_text(at, value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ChannelError(f"{at}: {value!r} is not an IANA time zone") from None
    return value


#: how each key's TOML value is read (anything else is a string)
_READERS = {
    "default_kind": _kind,
    "colour": _colour,
    "account": _account,
    "payout_lag_days": _lag,
    "payout_fee": _fees,
    "royalty_paid_after_days": _days,
    "bank_match_days": _days,
    "settles_in": _texts,
    "bank_payouts": _patterns,
    "bank_payments": _patterns,
    "bank_payment_types": _texts,
    "export_timezone": _zone,
    "importers": _texts,
    "fallback_importers": _texts,
} | {f.name: _flag for f in dataclasses.fields(Channel) if f.type in ("bool", bool)}


def _facts(where: str, name: str, table: Mapping) -> dict[str, Any]:
    """The declaration's keys read into field values; an unknown key is refused."""
    unknown = set(table) - set(_KEYS) - _PARTS
    if unknown:
        raise ChannelError(
            f"{_where(where, name)}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    facts = {}
    for key, value in table.items():
        if key in _PARTS:
            continue
        attr = _KEYS[key]
        facts[attr] = _READERS.get(attr, _text)(_where(where, name, key), value)
    return facts


def declare(name: str, table: Mapping, where: str, base: Channel | None = None) -> Channel:
    """The channel a ``[channel.NAME]`` block declares; over ``base`` when it corrects a
    channel already declared (only the keys it gives change)."""
    if not _NAME.fullmatch(name):
        raise ChannelError(
            f"{_where(where, name)}: a channel's name is lower-case letters, digits and '_'"
        )
    facts = _facts(where, name, table)
    if base is not None:
        return dataclasses.replace(base, **facts)
    for needed in ("label", "default_kind"):
        if needed not in facts:
            key = "kind" if needed == "default_kind" else needed
            raise ChannelError(f"{_where(where, name)}: missing {key!r}")
    facts.setdefault("account", _account_of(facts["label"]))
    return Channel(name=name, **facts)


def _account_of(label: str) -> str:
    """An account component made of a label: ``Buy Me a Coffee`` → ``BuyMeACoffee``."""
    words = re.findall(r"[A-Za-z0-9]+", label)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Other"


class Channels:
    """A set of declarations: the shipped ones, then the writer's own, in order.

    It also keeps what a writer's block brings besides facts: its fee rules (raw, read by
    :func:`supportledger.fees.load_schedule`) and its CSV mapping (read by the importer
    registry)."""

    def __init__(
        self,
        declared: Iterable[Channel],
        fee_rules: Iterable[tuple[str, Mapping]] = (),
        mappings: Mapping[str, tuple[str, Mapping]] | None = None,
    ) -> None:
        self._by_name = {channel.name: channel for channel in declared}
        #: (where, raw rule table) of each writer's fee rule, its channel filled in
        self.fee_rules = tuple(fee_rules)
        #: channel name → (where, raw ``csv`` table)
        self.mappings = dict(mappings or {})

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._by_name.values())

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def get(self, name: str) -> Channel:
        """The channel called ``name``; an unknown name is a user error listing the known."""
        key = (name or "").strip().lower()
        if key not in self._by_name:
            raise LedgerError(f"unknown channel {name!r}; known: {', '.join(self._by_name)}")
        return self._by_name[key]

    def check(self, where: Mapping[str, str]) -> None:
        """Refuse declarations that name what does not exist (a ``settles_in`` channel);
        ``where`` says which file declared each channel."""
        for channel in self:
            for other in channel.settles_in:
                if other not in self._by_name:
                    at = _where(where[channel.name], channel.name, "settles_in")
                    raise ChannelError(f"{at}: unknown channel {other!r}")


def _read_toml(where: str, text: str) -> Mapping:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChannelError(f"{where}: {exc}") from None
    unknown = set(data) - {"channel"}
    if unknown:
        raise ChannelError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}")
    blocks = data.get("channel", {})
    if not isinstance(blocks, Mapping) or not all(isinstance(b, Mapping) for b in blocks.values()):
        raise ChannelError(f"{where}: each channel is a [channel.NAME] table")
    return blocks


def _shipped() -> list[Channel]:
    text = resources.files(__package__).joinpath("shipped.toml").read_text("utf-8")
    where = "shipped channels"
    return [declare(name, table, where) for name, table in _read_toml(where, text).items()]


def load_channels(own: Path | None = None) -> Channels:
    """The shipped channels, with the writer's own file (``CHANNELS_FILE``) laid over."""
    declared = {channel.name: channel for channel in _shipped()}
    where_of = dict.fromkeys(declared, "shipped channels")
    fee_rules: list[tuple[str, Mapping]] = []
    mappings: dict[str, tuple[str, Mapping]] = {}
    if own is not None:
        where = str(own)
        try:
            text = Path(own).read_text("utf-8")
        except OSError as exc:
            raise ChannelError(f"CHANNELS_FILE: cannot read {own}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ChannelError(f"CHANNELS_FILE: {own} is not UTF-8 text") from None
        for name, table in _read_toml(where, text).items():
            shipped = declared.get(name)
            channel = declare(name, table, where, shipped)
            if shipped is None and "on_every_statement" not in table:
                channel = dataclasses.replace(channel, on_every_statement=True)
            declared[name], where_of[name] = channel, where
            fee_rules += _own_fee_rules(where, name, table.get("fee", []))
            if "csv" in table:
                if not isinstance(table["csv"], Mapping):
                    raise ChannelError(f"{_where(where, name, 'csv')}: expected a table")
                mappings[name] = (f"{_where(where, name)}.csv", table["csv"])
    channels = Channels(declared.values(), fee_rules, mappings)
    channels.check(where_of)
    return channels


def _own_fee_rules(where: str, name: str, rules: Any) -> list[tuple[str, Mapping]]:
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        raise ChannelError(f"{_where(where, name, 'fee')}: expected [[channel.{name}.fee]] tables")
    found = []
    for index, rule in enumerate(rules):
        if "channel" in rule and rule["channel"] != name:
            raise ChannelError(f"{_where(where, name)} fee {index + 1}: names another channel")
        found.append((f"{_where(where, name)} fee {index + 1}", {**rule, "channel": name}))
    return found


_active: list[Channels] = []


def use_channels(channels: Channels) -> None:
    """Make ``channels`` the declarations every look-up answers from."""
    _active[:] = [channels]


def active_channels() -> Channels:
    """The declarations in use: those :func:`use_channels` set, else the shipped ones."""
    if not _active:
        _active.append(load_channels())
    return _active[0]


def get_channel(name: str) -> Channel:
    """The channel called ``name``; an unknown name is a user error listing the known ones."""
    return active_channels().get(name)


def all_channels() -> list[Channel]:
    return list(active_channels())


def label_of(name: str) -> str:
    """The channel's label, or the name itself for a channel the ledger does not know."""
    try:
        return get_channel(name).label
    except LedgerError:
        return name


def listed_names() -> tuple[str, ...]:
    """The channels every statement shows, in declaration order."""
    return tuple(c.name for c in active_channels() if c.on_every_statement)
