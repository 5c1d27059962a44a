"""Supporters across channels: who paid, known by the handles each channel uses.

Handles (a PayPal e-mail, a Patreon user id, the name on a check) and personal details
live in their own tables, apart from amounts, so a person can be erased without changing a
figure. An import attaches a receipt to an existing supporter only on an exact handle match.
"""

from __future__ import annotations

from sqlmodel import Session, select

from supportledger.models import Supporter, SupporterDetail, SupporterHandle
from supportledger.sources import SupporterRef


def _handles(channel: str, ref: SupporterRef) -> list[tuple[str, str, str]]:
    """(channel, kind, value) triples, most specific first. E-mails match across channels."""
    found = []
    if ref.user_id:
        found.append((channel, "user_id", ref.user_id.strip()))
    if ref.email:
        found.append(("*", "email", ref.email.strip().lower()))
    if ref.name and ref.name.strip():
        found.append((channel, "name", " ".join(ref.name.split())))
    return found


def canonical(session: Session, supporter_id: int) -> int:
    """Follow merges to the supporter that now stands for ``supporter_id``."""
    supporter = session.get(Supporter, supporter_id)
    while supporter.merged_into_id is not None:
        supporter = session.get(Supporter, supporter.merged_into_id)
    return supporter.id


def resolve_supporter(session: Session, channel: str, ref: SupporterRef | None) -> int | None:
    """The id of the supporter ``ref`` names on ``channel``, created when no handle matches.

    Handles the ref brings that the supporter lacks are added; details are stored apart.
    Returns ``None`` for an anonymous payment.
    """
    if ref is None:
        return None
    handles = _handles(channel, ref)
    if not handles:
        return None
    supporter_id = None
    for ch, kind, value in handles:
        match = session.exec(
            select(SupporterHandle.supporter_id).where(
                SupporterHandle.channel == ch,
                SupporterHandle.kind == kind,
                SupporterHandle.value == value,
            )
        ).first()
        if match is not None:
            supporter_id = canonical(session, match)
            break
    if supporter_id is None:
        name = (ref.name or "").strip() or (ref.email or "").split("@")[0] or "supporter"
        supporter = Supporter(display_name=" ".join(name.split()))
        session.add(supporter)
        session.flush()
        supporter_id = supporter.id
    for ch, kind, value in handles:
        exists = session.exec(
            select(SupporterHandle.id).where(
                SupporterHandle.channel == ch,
                SupporterHandle.kind == kind,
                SupporterHandle.value == value,
            )
        ).first()
        if exists is None:
            session.add(
                SupporterHandle(supporter_id=supporter_id, channel=ch, kind=kind, value=value)
            )
    details = dict(ref.details)
    if ref.email:
        details.setdefault("email", ref.email.strip())
    for name, value in details.items():
        if not value:
            continue
        row = session.exec(
            select(SupporterDetail).where(
                SupporterDetail.supporter_id == supporter_id, SupporterDetail.name == name
            )
        ).first()
        if row is None:
            session.add(SupporterDetail(supporter_id=supporter_id, name=name, value=value))
        elif row.value != value:
            row.value = value
            session.add(row)
    session.flush()
    return supporter_id
