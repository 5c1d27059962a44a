"""The 1099-K gross each channel reports, recorded by the writer to set beside the ledger.

Channels define "gross" in their own way (Patreon's changed in 2023), so the annual summary
shows the difference rather than trusting either side.
"""

from __future__ import annotations

from sqlmodel import select

from supportledger.channels import get_channel
from supportledger.errors import LedgerError
from supportledger.models import TaxForm, utcnow
from supportledger.money import Money


def record_tax_form(ledger, year: int, channel: str, gross: Money) -> TaxForm:
    """Record (or correct) the 1099-K gross ``channel`` reported for ``year``."""
    name = get_channel(channel).name
    if gross.currency != ledger.currency:
        raise LedgerError(
            f"--gross is in {gross.currency}; 1099-K amounts are in {ledger.currency}"
        )
    if not 1900 <= year <= 9999:
        raise LedgerError(f"--year: not a year: {year}")
    if gross.amount < 0:
        raise LedgerError(f"--gross: a 1099-K gross is never negative, got {gross.amount}")
    with ledger.session() as session:
        form = session.exec(
            select(TaxForm).where(TaxForm.year == year, TaxForm.channel == name)
        ).first()
        if form is None:
            form = TaxForm(year=year, channel=name, currency=gross.currency, gross_minor=0)
        form.gross_minor, form.currency, form.recorded_at = gross.minor, gross.currency, utcnow()
        session.add(form)
        session.commit()
        session.refresh(form)
        return form


def list_tax_forms(ledger, year: int | None = None) -> list[TaxForm]:
    query = select(TaxForm).order_by(TaxForm.year, TaxForm.channel)
    if year is not None:
        query = query.where(TaxForm.year == year)
    with ledger.session() as session:
        return list(session.exec(query).all())


def read_tax_forms(connection, year: int) -> dict[str, tuple[str, int]]:
    """``{channel: (currency, gross_minor)}`` for ``year``: the annual summary's query."""
    query = select(TaxForm.channel, TaxForm.currency, TaxForm.gross_minor).where(
        TaxForm.year == year
    )
    return {
        channel: (currency, int(gross)) for channel, currency, gross in connection.execute(query)
    }
