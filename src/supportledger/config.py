"""Settings from the environment and a ``.env`` file, validated once.

The real environment wins over ``.env``. Secrets are wrapped in :class:`Secret` so that no
repr, log line or exception message can show them by accident.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from supportledger.errors import LedgerError
from supportledger.money import MoneyError, currency_code


class ConfigError(LedgerError):
    """A missing or invalid setting; the message names it."""


class Secret:
    """A secret value that never shows itself in ``str``, ``repr`` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///supportledger.db"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Phoenix"))
    base_currency: str = "USD"
    fee_schedule_file: Path | None = None
    templates_dir: Path | None = None
    show_supporter_names: bool = False
    lapse_grace_days: int = 10
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: Secret = field(default_factory=lambda: Secret(""))
    smtp_security: str = "starttls"
    smtp_ca_file: Path | None = None
    smtp_timeout: int = 30
    statement_from: str = ""
    statement_to: tuple[str, ...] = ()
    stripe_api_key: Secret = field(default_factory=lambda: Secret(""))
    stripe_api_base: str = ""
    account_names: Mapping[str, str] = field(default_factory=dict)
    #: the writer's own bank rules (made by ``bank classify --remember`` if missing)
    bank_rules_file: Path = Path("bank-rules.toml")
    #: day/month order of an import format (``--source`` name) whose files cannot say
    date_orders: Mapping[str, str] = field(default_factory=dict)

    @property
    def timezone_name(self) -> str:
        return self.timezone.key


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {value}")
    return value


def _path(name: str, raw: str, must_exist: bool = True) -> Path | None:
    if not raw.strip():
        return None
    path = Path(raw.strip()).expanduser()
    if must_exist and not path.exists():
        raise ConfigError(f"{name}: {path} does not exist")
    return path


def _timezone(raw: str) -> ZoneInfo:
    try:
        return ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"LEDGER_TIMEZONE: {raw!r} is not an IANA time zone (e.g. America/Phoenix)"
        ) from None


def _normalise_database_url(raw: str) -> str:
    url = raw.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not (url.startswith("sqlite:") or url.startswith("postgresql+psycopg://")):
        raise ConfigError("DATABASE_URL: only sqlite:/// and postgresql:// URLs are supported")
    return url


def _account_names(raw: str) -> dict[str, str]:
    """``ACCOUNT_NAMES=Assets:PayPal=Assets:Online:PayPal;Assets:Bank=Assets:Checking``."""
    names = {}
    for pair in filter(None, (p.strip() for p in raw.split(";"))):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"ACCOUNT_NAMES: expected DEFAULT=YOURS pairs, got {pair!r}")
        names[key.strip()] = value.strip()
    return names


DATE_ORDERS = ("dmy", "mdy")


def _date_orders(raw: str) -> dict[str, str]:
    """``DATE_ORDER=paypal=dmy;mapping=mdy``: the order of each format's dates."""
    orders = {}
    for pair in filter(None, (p.strip() for p in raw.split(";"))):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or value.strip().lower() not in DATE_ORDERS:
            raise ConfigError(f"DATE_ORDER: expected FORMAT=dmy or FORMAT=mdy pairs, got {pair!r}")
        orders[key.strip().lower()] = value.strip().lower()
    return orders


def _warn_if_readable(dotenv: Path) -> None:
    mode = dotenv.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.warn(
            f"{dotenv} is readable by other users; it holds secrets: chmod 600 {dotenv}",
            stacklevel=3,
        )


def read_environment(
    environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
) -> dict[str, str]:
    """Merge ``.env`` and the environment (the environment wins)."""
    environ = os.environ if environ is None else environ
    path = (
        dotenv_path if dotenv_path is not None else Path(environ.get("SUPPORTLEDGER_ENV", ".env"))
    )
    values: dict[str, str] = {}
    if path.is_file():
        _warn_if_readable(path)
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(environ)
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
) -> Settings:
    """Read every setting once; a bad one raises :class:`ConfigError` naming it."""
    env = read_environment(environ, dotenv_path)
    get = env.get
    try:
        base_currency = currency_code(get("BASE_CURRENCY", "USD"))
    except MoneyError:
        raise ConfigError(
            f"BASE_CURRENCY: {get('BASE_CURRENCY')!r} is not an ISO 4217 code"
        ) from None
    security = get("SMTP_SECURITY", "starttls").strip().lower()
    if security not in {"starttls", "ssl", "none"}:
        raise ConfigError(f"SMTP_SECURITY: expected starttls, ssl or none, got {security!r}")
    recipients = tuple(
        a.strip() for a in get("STATEMENT_TO", "").replace(";", ",").split(",") if a.strip()
    )
    return Settings(
        database_url=_normalise_database_url(get("DATABASE_URL") or "sqlite:///supportledger.db"),
        timezone=_timezone(get("LEDGER_TIMEZONE") or "America/Phoenix"),
        base_currency=base_currency,
        fee_schedule_file=_path("FEE_SCHEDULE_FILE", get("FEE_SCHEDULE_FILE", "")),
        templates_dir=_path("SUPPORTLEDGER_TEMPLATES", get("SUPPORTLEDGER_TEMPLATES", "")),
        show_supporter_names=_bool("SHOW_SUPPORTER_NAMES", get("SHOW_SUPPORTER_NAMES", "false")),
        lapse_grace_days=_int("LAPSE_GRACE_DAYS", get("LAPSE_GRACE_DAYS", "10")),
        smtp_host=get("SMTP_HOST", "").strip(),
        smtp_port=_int("SMTP_PORT", get("SMTP_PORT") or ("465" if security == "ssl" else "587"), 1),
        smtp_username=get("SMTP_USERNAME", "").strip(),
        smtp_password=Secret(get("SMTP_PASSWORD", "")),
        smtp_security=security,
        smtp_ca_file=_path("SMTP_CA_FILE", get("SMTP_CA_FILE", "")),
        smtp_timeout=_int("SMTP_TIMEOUT", get("SMTP_TIMEOUT", "30"), 1),
        statement_from=get("STATEMENT_FROM", "").strip(),
        statement_to=recipients,
        stripe_api_key=Secret(get("STRIPE_API_KEY", "").strip()),
        stripe_api_base=get("STRIPE_API_BASE", "").strip(),
        account_names=_account_names(get("ACCOUNT_NAMES", "")),
        bank_rules_file=_path("BANK_RULES_FILE", get("BANK_RULES_FILE", ""), must_exist=False)
        or Path("bank-rules.toml"),
        date_orders=_date_orders(get("DATE_ORDER", "")),
    )


def require(settings: Settings, *names: str) -> None:
    """Fail with one line naming the first of ``names`` (env-var spelling) that is empty."""
    for name in names:
        if not getattr(settings, name.lower()):
            raise ConfigError(f"{name} is not set (put it in the environment or .env)")
