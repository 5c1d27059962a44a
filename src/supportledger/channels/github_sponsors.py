"""GitHub Sponsors: monthly and one-time sponsorships, paid out by GitHub to the bank.

:class:`GitHubSponsorsExport` reads the sponsorships export (Sponsors dashboard → Your
sponsors → Export, CSV): one row per transaction, ``Sponsor Handle, Sponsor Profile Name,
Sponsor Public Email, Sponsorship Started On, Is Public?, Is Yearly?, Transaction ID,
Payment Source, Tier Name, Tier Monthly Amount, Processed Amount, Is Prorated?, Status,
Transaction Date, Metadata, Country, Region, VAT``. Amounts are US dollars (``$20.00``,
``$-20.00``); dates carry their UTC offset.

A change of tier is one charge on two rows with the same Transaction ID: the new tier's
prorated amount and a negative credit for the old one. The credit is an adjustment of that
charge, not a refund. A sponsorship paid through another channel (``Payment Source``
``patreon``) is counted on that channel and skipped here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from supportledger.models import Event, Kind, Status
from supportledger.money import Money
from supportledger.sources import (
    ImportContext,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
    taken_back,
)
from supportledger.sources.csvfile import Amount, CsvFormat, DateTime, Row, Text
from supportledger.sources.currency import ToBase
from supportledger.sources.ids import Occurrences

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "github_sponsors"
#: GitHub Sponsors charges and reports in US dollars
CURRENCY = "USD"
_DATES = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z")
STATUSES = {"settled": Status.COMPLETED, "pending": Status.PENDING, "refunded": Status.COMPLETED}


class GitHubSponsorsExport(CsvFormat):
    """Each settled transaction is a receipt; a refunded one also its refund."""

    name = "github-sponsors"
    handle = Text("Sponsor Handle")
    profile_name = Text("Sponsor Profile Name", default="")
    email = Text("Sponsor Public Email", default="")
    transaction_id = Text("Transaction ID")
    source = Text("Payment Source", default="")
    tier = Text("Tier Name")
    processed = Amount("Processed Amount")
    status = Text("Status")
    date = DateTime("Transaction Date", formats=_DATES)
    yearly = Text("Is Yearly?", default="")

    def entries(self, path: Path, context: ImportContext) -> Iterator[ReceiptEntry | Skipped]:
        to_base = ToBase(context.base_currency, context.rates)
        same = Occurrences()
        for row in self.rows(path):
            if row.source.strip().lower() not in ("", "github"):
                yield Skipped(f"paid through {row.source}: counted on that channel", row.line)
                continue
            status = STATUSES.get(row.status.strip().lower())
            if status is None:
                raise RowError(
                    path, row.line, f"is not a status ({', '.join(STATUSES)})", "Status", row.status
                )
            if not row.processed:
                yield Skipped("nothing processed", row.line)
                continue
            rate = to_base.rate(CURRENCY, path, row.line, "Processed Amount")
            paid = Money(row.processed, CURRENCY)
            key = (row.transaction_id, row.tier)
            occurrence = same.index(*key)
            entry = ReceiptEntry(
                channel=NAME,
                external_id=":".join([*key, *([str(occurrence)] if occurrence else [])]),
                occurred_at=row.date.astimezone(dt.UTC),
                gross=to_base.apply(paid, rate, to_base.base),
                # a credit moves no money through a processor: no fee of its own
                fee=Money.zero(to_base.base) if paid.amount < 0 else None,
                kind=_kind(row),
                # a negative row is the old tier's credit on a change of tier
                event=Event.ADJUSTMENT if paid.amount < 0 else Event.PAYMENT,
                status=status,
                original=paid if rate is not None else None,
                fx_rate=rate,
                supporter=SupporterRef(
                    name=row.profile_name or row.handle, email=row.email or None, user_id=row.handle
                ),
                description=row.tier,
                line=row.line,
            )
            yield entry
            if row.status.strip().lower() == "refunded" and paid.amount > 0:
                yield taken_back(entry)  # the export gives no refund date


def _kind(row: Row) -> Kind:
    """A "… one time" tier is one-time support; a monthly or yearly one is recurring."""
    if "one time" in row.tier.lower() and row.yearly.strip().lower() != "true":
        return Kind.ONE_TIME
    return Kind.RECURRING
