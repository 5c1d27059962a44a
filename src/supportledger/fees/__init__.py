"""Fee schedules: effective-dated data, not code.

The shipped ``schedule.toml`` holds every shipped channel's fees over time; a writer's own
channel brings its rules in its declaration (``CHANNELS_FILE``); a writer's own file
(``FEE_SCHEDULE_FILE``, same format) adds rules or replaces one with the same channel, plan
and date, and may change the default plan a channel declares. A rule rounds as its channel
does (``rounding``): by default each component half-up to the cent, then added.
"""

from __future__ import annotations

import bisect
import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from supportledger.errors import LedgerError
from supportledger.money import Money, MoneyError, currency_code, exponent, parse_decimal

if TYPE_CHECKING:
    from supportledger.channels import Channels

REFUND_POLICIES = ("none", "percent", "all")
#: how a rule rounds its fee, as the channel does:
#: ``each``: each component half-up to the minor unit, then added (the ledger's rule);
#: ``total``: the components added exactly, then the sum half-up (PayPal: one rate);
#: ``down``: each component cut to the minor unit (integer-cent arithmetic, Gumroad);
#: ``net``: the writer's share (gross less the exact fee) half-up, the fee the rest
#: (stores computing a royalty per report row: KDP)
ROUNDINGS = ("each", "total", "down", "net")
#: fees a schedule remembers before it forgets them all (memory stays bounded)
FEE_MEMO = 4096
#: a fee not remembered yet (``None`` is a fee remembered: the rule cannot say)
_UNSEEN = object()


class ScheduleError(LedgerError):
    """A fee schedule file that cannot be read, or a lookup it cannot answer."""


def _decimal(where: str, value) -> Decimal:
    if isinstance(value, float):
        raise ScheduleError(f'{where}: write amounts as strings ("2.9"), not floats')
    try:
        return parse_decimal(str(value))
    except MoneyError as exc:
        raise ScheduleError(f"{where}: {exc}") from None


def _per_currency(where: str, table: Mapping | None) -> dict[str, Decimal]:
    try:
        return {currency_code(k): _decimal(f"{where}.{k}", v) for k, v in (table or {}).items()}
    except MoneyError as exc:
        raise ScheduleError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class Component:
    """One part of a fee: ``percent`` of a basis plus a ``fixed`` amount per currency."""

    name: str
    percent: Decimal = Decimal(0)
    fixed: Mapping[str, Decimal] = field(default_factory=dict)
    when: str | None = None
    #: flags that rule it out (PayPal's Checkout rate is not its Donate rate)
    unless: tuple[str, ...] = ()
    above: Decimal | None = None
    up_to: Decimal | None = None
    basis: str = "gross"

    def applies(self, gross: Money, flags: frozenset[str]) -> bool:
        if self.when is not None and self.when not in flags:
            return False
        if flags.intersection(self.unless):
            return False
        if self.above is not None and not abs(gross.amount) > self.above:
            return False
        return self.up_to is None or abs(gross.amount) <= self.up_to

    def exact(self, gross: Money, bases: Mapping[str, Money]) -> Money | None:
        """This component's fee before rounding; ``None`` when it cannot be known (its basis
        is not given, or its fixed part has no such currency)."""
        basis = gross if self.basis == "gross" else bases.get(self.basis)
        if basis is None:  # e.g. KDP's delivery cost when the file size is not known
            return None
        amount = basis * (self.percent / 100)
        if self.fixed:
            if gross.currency not in self.fixed:
                return None
            amount = amount + Money(self.fixed[gross.currency], gross.currency)
        return amount

    def fee(self, gross: Money, bases: Mapping[str, Money]) -> Money | None:
        """This component's fee, rounded half-up (the ledger's one rule)."""
        exact = self.exact(gross, bases)
        return None if exact is None else exact.rounded()


def _cut(amount: Money) -> Money:
    """``amount`` cut (toward zero) to its currency's minor unit."""
    quantum = Decimal(1).scaleb(-exponent(amount.currency))
    return Money(amount.amount.quantize(quantum, rounding=ROUND_DOWN), amount.currency)


def _rounded(parts: list[Money], gross: Money, rounding: str) -> Money:
    """The fee of ``parts`` (exact amounts) rounded the way ``rounding`` says."""
    zero = Money.zero(gross.currency)
    if rounding == "each":
        return sum((p.rounded() for p in parts), zero)
    if rounding == "down":
        return sum((_cut(p) for p in parts), zero)
    exact = sum(parts, zero)
    if rounding == "total":
        return exact.rounded()
    return gross - (gross - exact).rounded()  # "net": the writer's share is what is rounded


@dataclass(frozen=True)
class Rule:
    """The fees of one channel and plan from ``effective_from`` until the next rule."""

    channel: str
    plan: str
    effective_from: dt.date
    components: tuple[Component, ...] = ()
    refund_returns: str = "none"
    dispute_fee: Mapping[str, Decimal] = field(default_factory=dict)
    #: per currency: a claim for less than this carries no dispute fee (PayPal waives it
    #: on claims under twice the fee)
    dispute_fee_waived_below: Mapping[str, Decimal] = field(default_factory=dict)
    delivery_per_mb: Mapping[str, Decimal] = field(default_factory=dict)
    unknown: bool = False
    rounding: str = "each"
    source: str = ""

    def dispute_fee_for(self, claimed: Money) -> Money | None:
        """The dispute fee on a claim of ``claimed``: ``None`` when the rule has none for
        its currency or waives it for a claim that small."""
        fee = self.dispute_fee.get(claimed.currency)
        if fee is None:
            return None
        floor = self.dispute_fee_waived_below.get(claimed.currency)
        if floor is not None and abs(claimed.amount) < floor:
            return None
        return Money(fee, claimed.currency)

    def fee(
        self,
        gross: Money,
        flags: Iterable[str] = (),
        bases: Mapping[str, Money] | None = None,
    ) -> Money | None:
        """The fee this rule predicts for a payment of ``gross``; ``None`` if it cannot say."""
        if self.unknown:
            return None
        flags = frozenset(flags)
        parts = []
        for component in self.components:
            if component.applies(gross, flags):
                part = component.exact(gross, bases or {})
                if part is None:
                    return None
                parts.append(part)
        return _rounded(parts, gross, self.rounding)

    def describe(self) -> str:
        parts = []
        for c in self.components:
            text = f"{c.percent.normalize():f}%"
            if c.basis != "gross":
                text += f" of {c.basis}"
            if c.fixed:
                text += " + " + "/".join(f"{v:f} {k}" for k, v in c.fixed.items())
            conditions = [
                f"if {c.when}" if c.when else "",
                f"unless {' or '.join(c.unless)}" if c.unless else "",
                f"above {c.above:f}" if c.above is not None else "",
                f"up to {c.up_to:f}" if c.up_to is not None else "",
            ]
            condition = ", ".join(filter(None, conditions))
            parts.append(f"{c.name} {text}" + (f" ({condition})" if condition else ""))
        if self.unknown:
            return "unknown: set your contract's rate in FEE_SCHEDULE_FILE"
        return "; ".join(parts) or "no fee"


def _rule(where: str, raw: Mapping) -> Rule:
    try:
        channel, plan, start = str(raw["channel"]), str(raw["plan"]), raw["from"]
    except KeyError as exc:
        raise ScheduleError(f"{where}: missing {exc.args[0]!r}") from None
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise ScheduleError(f"{where}: 'from' must be a date like 2021-08-02")
    refund_returns = raw.get("refund_returns", "none")
    if refund_returns not in REFUND_POLICIES:
        raise ScheduleError(f"{where}: refund_returns must be one of {', '.join(REFUND_POLICIES)}")
    rounding = raw.get("rounding", "each")
    if rounding not in ROUNDINGS:
        raise ScheduleError(f"{where}: rounding must be one of {', '.join(ROUNDINGS)}")
    components = []
    for i, c in enumerate(raw.get("components", [])):
        at = f"{where}.components[{i}]"
        components.append(
            Component(
                name=str(c.get("name", f"part {i + 1}")),
                percent=_decimal(f"{at}.percent", c.get("percent", "0")),
                fixed=_per_currency(f"{at}.fixed", c.get("fixed")),
                when=c.get("when"),
                unless=_flags(f"{at}.unless", c.get("unless", ())),
                above=_decimal(f"{at}.above", c["above"]) if "above" in c else None,
                up_to=_decimal(f"{at}.up_to", c["up_to"]) if "up_to" in c else None,
                basis=str(c.get("basis", "gross")),
            )
        )
    return Rule(
        channel=channel,
        plan=plan,
        effective_from=start,
        components=tuple(components),
        refund_returns=refund_returns,
        dispute_fee=_per_currency(f"{where}.dispute_fee", raw.get("dispute_fee")),
        dispute_fee_waived_below=_per_currency(
            f"{where}.dispute_fee_waived_below", raw.get("dispute_fee_waived_below")
        ),
        delivery_per_mb=_per_currency(f"{where}.delivery_per_mb", raw.get("delivery_per_mb")),
        unknown=bool(raw.get("unknown", False)),
        rounding=rounding,
        source=str(raw.get("source", "")),
    )


def _flags(where: str, value) -> tuple[str, ...]:
    values = (value,) if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ScheduleError(f"{where}: expected a flag or a list of flags")
    return tuple(values)


class FeeSchedule:
    """All rules, looked up by channel, plan and date."""

    def __init__(self, rules: Iterable[Rule], defaults: Mapping[str, str]) -> None:
        by_key: dict[tuple[str, str, dt.date], Rule] = {}
        for rule in rules:  # a later rule with the same key replaces the earlier one
            by_key[(rule.channel, rule.plan, rule.effective_from)] = rule
        self._rules: dict[tuple[str, str], list[Rule]] = {}
        for rule in sorted(by_key.values(), key=lambda r: r.effective_from):
            self._rules.setdefault((rule.channel, rule.plan), []).append(rule)
        #: each history's start dates, for the bisection of :meth:`rule`
        self._starts = {
            key: [r.effective_from for r in rules] for key, rules in self._rules.items()
        }
        #: fees already computed, by rule and payment (an import repeats a few amounts)
        self._fees: dict[tuple, Money | None] = {}
        self.defaults = dict(defaults)

    @property
    def channels(self) -> list[str]:
        return sorted({channel for channel, _ in self._rules})

    def plans(self, channel: str) -> list[str]:
        return sorted(plan for ch, plan in self._rules if ch == channel)

    def rule(self, channel: str, on: dt.date, plan: str | None = None) -> Rule:
        """The rule in force for ``channel`` (and ``plan``, else the default) on ``on``."""
        plan = plan or self.defaults.get(channel)
        history = self._rules.get((channel, plan or ""))
        if not history:
            raise ScheduleError(f"no fee schedule for channel {channel!r} plan {plan!r}")
        index = bisect.bisect_right(self._starts[(channel, plan or "")], on) - 1
        if index < 0:
            raise ScheduleError(
                f"no {channel} {plan} fees known before {history[0].effective_from}"
            )
        return history[index]

    def expected_fee(
        self,
        channel: str,
        on: dt.date,
        gross: Money,
        plan: str | None = None,
        flags: Iterable[str] = (),
        bases: Mapping[str, Money] | None = None,
    ) -> Money | None:
        """The fee the rule in force predicts (:meth:`Rule.fee`), remembered per rule and
        payment: amounts are keyed as written (``5.0`` is not ``5.00``), so a remembered
        fee is the one computing it again would give, digit for digit."""
        rule = self.rule(channel, on, plan)
        flags = frozenset(flags)
        key = (
            id(rule),  # the rule lives as long as the schedule, and so does the memo
            gross.currency,
            str(gross.amount),
            flags,
            tuple((name, b.currency, str(b.amount)) for name, b in sorted((bases or {}).items())),
        )
        fee = self._fees.get(key, _UNSEEN)
        if fee is _UNSEEN:  # not read back once stored: another thread may empty the memo
            if len(self._fees) >= FEE_MEMO:
                self._fees.clear()
            fee = self._fees[key] = rule.fee(gross, flags, bases)
        return fee

    def in_force(self, on: dt.date, channel: str | None = None) -> list[Rule]:
        """Every plan's rule in force on ``on`` (for ``fees show``)."""
        found = []
        for ch, plan in sorted(self._rules):
            if channel in (None, ch):
                try:
                    found.append(self.rule(ch, on, plan))
                except ScheduleError:
                    continue  # that plan did not exist yet on that date
        return found


def _parse(where: str, text: str) -> tuple[list[Rule], dict[str, str]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{where}: {exc}") from None
    rules = [_rule(f"{where} rule {i + 1}", r) for i, r in enumerate(data.get("rule", []))]
    return rules, {str(k): str(v) for k, v in data.get("defaults", {}).items()}


def load_schedule(override: Path | None = None, channels: Channels | None = None) -> FeeSchedule:
    """The shipped schedule and the writer's channels' own rules, with the writer's file laid
    over them. Each channel's default plan is the one it declares, unless the file's
    ``[defaults]`` says otherwise."""
    if channels is None:
        from supportledger.channels import active_channels

        channels = active_channels()
    shipped = resources.files(__package__).joinpath("schedule.toml").read_text("utf-8")
    rules, defaults = _parse("shipped schedule.toml", shipped)
    defaults = {c.name: c.fee_plan for c in channels if c.fee_plan} | defaults
    rules += [_rule(where, raw) for where, raw in channels.fee_rules]
    if override is not None:
        try:
            text = Path(override).read_text("utf-8")
        except OSError as exc:
            raise ScheduleError(
                f"FEE_SCHEDULE_FILE: cannot read {override}: {exc.strerror}"
            ) from None
        own_rules, own_defaults = _parse(str(override), text)
        rules += own_rules
        defaults.update(own_defaults)
    return FeeSchedule(rules, defaults)
