"""The ledger as a library: settings, database and fee schedule in one handle, and the
operations that write receipts. The CLI is a thin layer over this module.
"""

from __future__ import annotations

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
from supportledger.supporters import resolve_supporter


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
        """Create the database, or upgrade it to the current schema."""
        from supportledger.db import upgrade

        upgrade(self.engine)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def manual_receipt_id(channel: str, check_number: str | None, payer: str | None) -> str:
    """The id of a receipt typed in by hand: a check's number and payer, else a fresh one.

    A check keeps a stable id so the same check cannot be recorded twice.
    """
    if channel == "check" and check_number:
        return f"check:{check_number.strip()}:{(payer or '').strip().lower()}"
    return f"manual:{uuid.uuid4().hex}"


def record_receipt(ledger: Ledger, entry: ReceiptEntry) -> Receipt:
    """Book one receipt by hand, with the schedule's fee when none is given."""
    channel = get_channel(entry.channel)
    if entry.gross.currency != ledger.currency:
        raise LedgerError(
            f"amount is in {entry.gross.currency}; record it in {ledger.currency} "
            f"with the original amount and the rate applied"
        )
    on = local_date(entry.occurred_at, ledger.tz)
    expected = channel.expected_fee(ledger.schedule, on, entry.gross, flags=entry.flags)
    fee = entry.fee if entry.fee is not None else expected
    if fee is None:
        raise LedgerError(
            f"the {channel.name} fee schedule cannot predict this fee; give it with --fee"
        )
    external_id = entry.external_id
    with ledger.session() as session:
        exists = session.exec(
            select(Receipt.id).where(
                Receipt.channel == channel.name, Receipt.external_id == external_id
            )
        ).first()
        if exists is not None:
            raise LedgerError(f"{channel.name} receipt {external_id!r} is already recorded")
        supporter_id = resolve_supporter(session, channel.name, entry.supporter)
        receipt = Receipt(
            channel=channel.name,
            external_id=external_id,
            kind=entry.kind or channel.default_kind,
            event=entry.event,
            status=entry.status,
            occurred_at=entry.occurred_at,
            currency=entry.gross.currency,
            gross_minor=entry.gross.minor,
            fee_minor=fee.minor,
            net_minor=(entry.gross - fee).minor,
            expected_fee_minor=expected.minor if expected is not None else None,
            original_minor=entry.original.minor if entry.original else None,
            original_currency=entry.original.currency if entry.original else None,
            fx_rate=str(entry.fx_rate) if entry.fx_rate is not None else None,
            flags=",".join(sorted(entry.flags)),
            supporter_id=supporter_id,
            check_number=entry.check_number,
            description=entry.description,
        )
        session.add(receipt)
        session.commit()
        session.refresh(receipt)
        return receipt


def list_receipts(
    ledger: Ledger,
    month: Month | None = None,
    channel: str | None = None,
    supporter: str | None = None,
) -> list[tuple[Receipt, str | None]]:
    """Receipts (oldest first) with their supporter's display name, filtered as asked."""
    query = select(Receipt, Supporter.display_name).outerjoin(
        Supporter, Supporter.id == Receipt.supporter_id
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
