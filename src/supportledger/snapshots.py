"""A statement as plain JSON and back, so a closed month shows exactly what was sent.

``freeze`` turns a statement (frozen dataclasses of Money, months, dates, tuples) into JSON
text with every value's type kept; ``thaw`` gives back an equal object, which renders to the
same bytes. Only supportledger's own dataclasses are rebuilt from a snapshot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from importlib import import_module
from typing import Any

from supportledger.money import Money
from supportledger.months import Month

_PACKAGE = "supportledger."


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Money):
        return {"$money": [str(value.amount), value.currency]}
    if isinstance(value, Month):
        return {"$month": str(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if dataclasses.is_dataclass(value):
        kind = type(value)
        return {
            "$type": f"{kind.__module__}:{kind.__qualname__}",
            **{f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return {"$map": [[_plain(k), _plain(v)] for k, v in value.items()]}
    raise TypeError(f"cannot keep a {type(value).__name__} in a snapshot")


def freeze(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)


def _type(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not module.startswith(_PACKAGE):
        raise ValueError(f"a snapshot names {name!r}, not one of supportledger's types")
    found = import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not dataclasses.is_dataclass(found):
        raise ValueError(f"a snapshot names {name!r}, which is not a dataclass")
    return found


def _thawed(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_thawed(item) for item in value)
    if not isinstance(value, dict):
        return value
    if "$money" in value:
        amount, currency = value["$money"]
        return Money(Decimal(amount), currency)
    if "$month" in value:
        return Month.parse(value["$month"])
    if "$datetime" in value:
        return dt.datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return dt.date.fromisoformat(value["$date"])
    if "$decimal" in value:
        return Decimal(value["$decimal"])
    if "$map" in value:
        return {_thawed(k): _thawed(v) for k, v in value["$map"]}
    kind = _type(value["$type"])
    return kind(**{k: _thawed(v) for k, v in value.items() if k != "$type"})


def thaw(text: str) -> Any:
    return _thawed(json.loads(text))
