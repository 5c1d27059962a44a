"""Titles: income per book across every store and channel.

A sale names its book the way its store does: KDP by ASIN (an ebook) or ISBN (a paperback),
Apple and Kobo by ISBN, ACX by its product id, Gumroad by its product, each with the
title's name. The import writer resolves each :class:`~supportledger.sources.TitleRef` to
one title: by any identifier already known, else by the name (case, accents, spacing and
punctuation aside), else a new title; every identifier seen is kept for it. So a book sold
as an ebook on KDP, a paperback on KDP and an ebook on Kobo is one title.

:func:`title_income` sums a period's receipts per title and channel, with the receipts that
name no book (reader support) beside them, so the figures add up to the period's.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select, tuple_

from supportledger.models import Receipt, Title, TitleIdentifier
from supportledger.sources import TitleRef

if TYPE_CHECKING:
    from supportledger.statement import Figures

TITLES = Title.__table__
IDENTIFIERS = TitleIdentifier.__table__


def title_key(name: str) -> str:
    """A title's name folded for matching: ``The Salt Road!`` and ``the salt  road`` are one."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.casefold()).split())


def identifier(scheme: str, value: str) -> tuple[str, str]:
    """An identifier as kept: ISBNs without hyphens or spaces, ASINs in capitals."""
    value = value.strip().strip("'")
    if scheme == "isbn":
        value = re.sub(r"[\s-]", "", value).upper()
    elif scheme == "asin":
        value = value.upper()
    return scheme, value


def resolve_titles(connection: Connection, refs: Iterable[TitleRef]) -> dict[TitleRef, int]:
    """The title id of each reference, creating titles and identifiers as first seen.

    Two queries look up what is known (identifiers, then names); a reference whose
    identifiers name two titles takes the first, and its identifiers stay where they are."""
    refs = list(dict.fromkeys(refs))
    wanted = {identifier(s, v) for ref in refs for s, v in ref.ids}
    known: dict[tuple[str, str], int] = {}
    if wanted:
        rows = connection.execute(
            select(IDENTIFIERS.c.scheme, IDENTIFIERS.c.value, IDENTIFIERS.c.title_id).where(
                tuple_(IDENTIFIERS.c.scheme, IDENTIFIERS.c.value).in_(sorted(wanted))
            )
        )
        known = {(scheme, value): title for scheme, value, title in rows}
    names = {title_key(ref.name) for ref in refs if ref.name}
    by_key: dict[str, int] = {}
    if names:
        rows = connection.execute(select(TITLES.c.key, TITLES.c.id).where(TITLES.c.key.in_(names)))
        by_key = dict(rows.all())
    found: dict[TitleRef, int] = {}
    for ref in refs:
        ids = [identifier(s, v) for s, v in ref.ids]
        key = title_key(ref.name) if ref.name else None
        title = next((known[i] for i in ids if i in known), None)
        if title is None and key:
            title = by_key.get(key)
        if title is None:
            name = ref.name or " ".join(ids[0])
            key = key or title_key(name)
            title = connection.execute(
                insert(TITLES).values(name=name, key=key)
            ).inserted_primary_key[0]
            by_key[key] = title
        new = [i for i in dict.fromkeys(ids) if i not in known]
        if new:
            connection.execute(
                insert(IDENTIFIERS),
                [{"title_id": title, "scheme": s, "value": v} for s, v in new],
            )
            known.update(dict.fromkeys(new, title))
        found[ref] = title
    return found


@dataclass(frozen=True)
class TitleIncome:
    """One title's receipts in a period, per channel and in total (``title_id`` ``None``:
    the receipts that name no book)."""

    title_id: int | None
    name: str
    identifiers: tuple[str, ...]
    channels: tuple[tuple[str, str, Figures], ...]  # (channel, label, figures)
    total: Figures


def title_income(
    connection: Connection, start: dt.datetime, end: dt.datetime, currency: str
) -> tuple[TitleIncome, ...]:
    """Receipts from ``start`` to ``end`` summed per title and channel from the journal's
    postings (money in another currency at its value), the titles by net income (highest
    first), then what names no title. Gross, refunds and fees mean what they mean on a
    statement (one definition of them: the statement's)."""
    from supportledger.journal import ACCOUNTS, POSTINGS
    from supportledger.statement import FIGURE_ROLES, Aggregate, _aggregate_figures, _label, add_up

    rows = connection.execute(
        select(
            Receipt.title_id, ACCOUNTS.c.channel, POSTINGS.c.kind, ACCOUNTS.c.role,
            func.sum(POSTINGS.c.payment), func.sum(POSTINGS.c.value_minor),
        )
        .select_from(POSTINGS)
        .join(Receipt, (POSTINGS.c.source == "receipt") & (POSTINGS.c.source_id == Receipt.id))
        .join(ACCOUNTS, ACCOUNTS.c.id == POSTINGS.c.account_id)
        .where(POSTINGS.c.occurred_at >= start, POSTINGS.c.occurred_at < end)
        .where(POSTINGS.c.cleared.is_(True), ACCOUNTS.c.role.in_([str(r) for r in FIGURE_ROLES]))
        .group_by(Receipt.title_id, ACCOUNTS.c.channel, POSTINGS.c.kind, ACCOUNTS.c.role)
    )  # fmt: skip
    per: dict[int | None, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for title, channel, kind, role, payments, value in rows:
        aggregate = Aggregate(0, channel, kind, role, int(payments), int(value), 0, 0)
        per[title][channel].append(_aggregate_figures(aggregate, currency))
    names, ids = _describe(connection, [t for t in per if t is not None])
    found = []
    for title, channels in per.items():
        lines = tuple(
            (ch, _label(ch), add_up(figures, currency)) for ch, figures in sorted(channels.items())
        )
        found.append(
            TitleIncome(
                title,
                names.get(title, "not for a title (reader support)"),
                tuple(ids.get(title, ())),
                lines,
                add_up((f for _, _, f in lines), currency),
            )
        )
    return tuple(sorted(found, key=lambda t: (t.title_id is None, -t.total.net.minor, t.name)))


def _describe(connection: Connection, titles: list[int]) -> tuple[Mapping, Mapping]:
    """Names and identifiers (``isbn:978…``) of ``titles``."""
    if not titles:
        return {}, {}
    names = dict(
        connection.execute(select(TITLES.c.id, TITLES.c.name).where(TITLES.c.id.in_(titles))).all()
    )
    ids: dict[int, list[str]] = defaultdict(list)
    for title, scheme, value in connection.execute(
        select(IDENTIFIERS.c.title_id, IDENTIFIERS.c.scheme, IDENTIFIERS.c.value)
        .where(IDENTIFIERS.c.title_id.in_(titles))
        .order_by(IDENTIFIERS.c.scheme, IDENTIFIERS.c.value)
    ):
        ids[title].append(f"{scheme}:{value}")
    return names, ids


def titles_report(ledger, year: int | None = None) -> tuple[TitleIncome, ...]:
    """Income per title in ``year`` (local months of ``LEDGER_TIMEZONE``), else all time."""
    from supportledger.months import Month
    from supportledger.statement import read_snapshot

    if year is None:
        start = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
        end = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
    else:
        start, end = Month(year, 1).bounds(ledger.tz)[0], Month(year, 12).bounds(ledger.tz)[1]
    with read_snapshot(ledger.engine) as connection:
        return title_income(connection, start, end, ledger.currency)
