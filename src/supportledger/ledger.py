"""The ledger as a library: settings, database and fee schedule in one handle, and the
operations that write receipts. The CLI is a thin layer over this module.
"""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from supportledger.channels import Channels, get_channel, load_channels, use_channels
from supportledger.config import Settings
from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule, load_schedule
from supportledger.models import Receipt, Supporter
from supportledger.months import Month, local_date
from supportledger.supporters import supporter_roots

if TYPE_CHECKING:
    from supportledger.sources import ReceiptEntry


class Ledger:
    """Everything a command needs: settings, channels, the engine and the fee schedule.

    Opening a ledger makes its channels (the shipped ones and the writer's
    ``CHANNELS_FILE``) the process's declarations, so every look-up by name finds them."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        schedule: FeeSchedule | None = None,
    ) -> None:
        self.settings = settings
        self.channels: Channels = load_channels(settings.channels_file)
        use_channels(self.channels)
        if engine is not None:
            self.__dict__["engine"] = engine
        if schedule is not None:
            self.__dict__["schedule"] = schedule

    @cached_property
    def engine(self) -> Engine:
        """The database, once it is known to be kept in ``LEDGER_TIMEZONE``: a command run
        under another zone (a scheduled job that did not read ``.env``) would file day-dated
        receipts on other days, so it is refused before it reads anything."""
        from supportledger.db import make_engine
        from supportledger.journal import refuse_another_zone

        engine = make_engine(self.settings.database_url)
        with engine.connect() as connection:
            refuse_another_zone(connection, self.tz.key)
        return engine

    @cached_property
    def schedule(self) -> FeeSchedule:
        return load_schedule(self.settings.fee_schedule_file, self.channels)

    @property
    def tz(self):
        return self.settings.timezone

    @property
    def currency(self) -> str:
        return self.settings.base_currency

    def init(self) -> None:
        """Create the database, or upgrade it to the current schema (the journal of a
        ledger from before it is derived then, under this ledger's settings)."""
        from supportledger.db import upgrade
        from supportledger.journal import align_ledger

        upgrade(self.engine)
        align_ledger(self)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def manual_receipt_id(channel: str, check_number: str | None) -> str:
    """The id of a receipt typed in by hand: ``check:NUMBER:RANDOM`` for a check (readable
    in exports), else ``manual:RANDOM``.

    Nothing in it derives from the payer: ids are exported, and even a hash of a name
    confirms a guessed one. The same check recorded twice is refused by its number and
    payer instead (:func:`supportledger.imports.write_receipt`).
    """
    token = uuid.uuid4().hex
    declared = get_channel(channel)
    if declared.receipts_start_pending and check_number and check_number.strip():
        return f"{declared.name}:{check_number.strip()}:{token[:12]}"
    return f"manual:{token}"


def record_receipt(ledger: Ledger, entry: ReceiptEntry) -> Receipt:
    """Book one receipt by hand, with the schedule's fee when none is given.

    It goes through the import writer (:func:`supportledger.imports.write_receipt`), so a
    receipt typed in is stored exactly as an imported one would be.
    """
    from supportledger.imports import expected_fee, write_receipt

    channel = get_channel(entry.channel)
    on = local_date(entry.occurred_at, ledger.tz)
    if entry.fee is None and expected_fee(ledger.schedule, channel, on, entry) is None:
        raise LedgerError(
            f"the {channel.name} fee schedule cannot predict this fee; give it with --fee"
        )
    receipt_id = write_receipt(ledger, entry)
    with ledger.session() as session:
        return session.get(Receipt, receipt_id)


def list_receipts(
    ledger: Ledger,
    month: Month | None = None,
    channel: str | None = None,
    supporter: str | None = None,
) -> list[tuple[Receipt, str | None]]:
    """Receipts (oldest first) with their supporter's display name, filtered as asked.

    Merges are followed: a receipt shows, and is found under, the supporter who absorbed
    the one it was paid by.
    """
    roots = supporter_roots()
    query = (
        select(Receipt, Supporter.display_name)
        .outerjoin(roots, roots.c.supporter_id == Receipt.supporter_id)
        .outerjoin(Supporter, Supporter.id == roots.c.root_id)
    )
    if month is not None:
        start, end = month.bounds(ledger.tz)
        query = query.where(Receipt.occurred_at >= start, Receipt.occurred_at < end)
    if channel is not None:
        query = query.where(Receipt.channel == get_channel(channel).name)
    if supporter is not None:
        query = query.where(func.lower(Supporter.display_name) == supporter.strip().lower())
    query = query.order_by(Receipt.occurred_at, Receipt.id)
    with ledger.session() as session:
        return [(r, name) for r, name in session.exec(query).all()]
