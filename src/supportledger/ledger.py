"""The ledger as a library: settings, database and fee schedule in one handle, and the
operations that write receipts. The CLI is a thin layer over this module.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import cached_property

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from supportledger.channels import get_channel
from supportledger.config import Settings
from supportledger.errors import LedgerError
from supportledger.fees import FeeSchedule, load_schedule
from supportledger.models import Receipt, Supporter
from supportledger.months import Month, local_date
from supportledger.sources import ReceiptEntry
from supportledger.supporters import supporter_roots


class Ledger:
    """Everything a command needs: settings, the engine and the fee schedule, made lazily."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        schedule: FeeSchedule | None = None,
    ) -> None:
        self.settings = settings
        if engine is not None:
            self.__dict__["engine"] = engine
        if schedule is not None:
            self.__dict__["schedule"] = schedule

    @cached_property
    def engine(self) -> Engine:
        from supportledger.db import make_engine

        return make_engine(self.settings.database_url)

    @cached_property
    def schedule(self) -> FeeSchedule:
        return load_schedule(self.settings.fee_schedule_file)

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


def manual_receipt_id(channel: str, check_number: str | None, payer: str | None) -> str:
    """The id of a receipt typed in by hand: a check's number and payer, else a fresh one.

    A check keeps a stable id (its number and its payer) so it cannot be recorded twice.
    """
    if channel == "check" and check_number:
        # the payer is hashed: ids appear in exports, where names may not
        who = hashlib.sha256(" ".join((payer or "").lower().split()).encode()).hexdigest()
        return f"check:{check_number.strip()}:{who[:12]}"
    return f"manual:{uuid.uuid4().hex}"


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
