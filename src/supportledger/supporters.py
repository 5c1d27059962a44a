"""Supporters across channels: who paid, known by the handles each channel uses.

Handles (a PayPal e-mail, a Patreon user id, the name on a check) and personal details
live in their own tables, apart from amounts, so a person can be erased without changing a
figure. An import attaches a receipt to an existing supporter only on an exact handle match;
near matches are only *suggested*, and the writer merges them.

A merge never touches a receipt: the absorbed supporter points at the one that absorbed it
(``merged_into_id``), receipts keep their ``supporter_id``, and every query that groups by
supporter goes through :func:`supporter_roots` (in SQL) or :func:`merge_roots` (in Python).
So ``unmerge`` puts everything back.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, case, false, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, delete, select

from supportledger.db import MAX_ROW_ID, writing
from supportledger.errors import LedgerError
from supportledger.journal import Deriver
from supportledger.models import (
    COUNTED_STATUSES,
    BankLine,
    Event,
    Receipt,
    Subscription,
    Supporter,
    SupporterDetail,
    SupporterHandle,
    utcnow,
)
from supportledger.money import Money, total
from supportledger.months import local_date
from supportledger.sources import SupporterRef

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from supportledger.recurring import RecurringSupporter, StatedFigures

log = logging.getLogger(__name__)

#: Similarity (rapidfuzz's normalised Indel, as difflib's ratio: twice the characters in
#: common over both lengths) from which two names are suggested as one person.
SIMILAR_NAMES = 0.85
#: What a forgotten supporter is called from then on.
FORMER = "former supporter #{id}"


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


def resolve_supporters(
    session: Session, wanted: list[tuple[str, SupporterRef | None]]
) -> list[int | None]:
    """The supporter each ``(channel, ref)`` names, created when no handle matches.

    Handles a ref brings that its supporter lacks are added; details are stored apart; an
    anonymous payment gives ``None``. A handle of a supporter merged into another gives that
    supporter, not the one that absorbed it: totals follow the merge anyway, and ``unmerge``
    then takes the payment back with the handle that named it. An import resolves a chunk
    of rows at once: one look-up of every handle named, then inserts of what is new.
    """
    connection = session.connection()
    handles_table = SupporterHandle.__table__
    wanted_handles = [_handles(channel, ref) if ref else [] for channel, ref in wanted]
    values = sorted({value for triples in wanted_handles for _, _, value in triples})
    known: dict[tuple[str, str, str], int] = {}
    for start in range(0, len(values), 500):
        rows = connection.execute(
            sa_select(
                handles_table.c.channel,
                handles_table.c.kind,
                handles_table.c.value,
                handles_table.c.supporter_id,
            ).where(handles_table.c.value.in_(values[start : start + 500]))
        )
        known.update({(ch, kind, value): sid for ch, kind, value, sid in rows})
    found: list[int | None] = []
    new_handles: list[dict] = []
    details: dict[int, dict[str, str]] = defaultdict(dict)
    #: the supporters to create, in order; until inserted, each stands as -1, -2...
    created: list[dict] = []
    for (_, ref), triples in zip(wanted, wanted_handles, strict=True):
        if not triples:
            found.append(None)
            continue
        supporter_id = next((known[t] for t in triples if t in known), None)
        if supporter_id is None:
            name = (ref.name or "").strip() or (ref.email or "").split("@")[0] or "supporter"
            created.append(
                {"display_name": " ".join(name.split()), "created_at": dt.datetime.now(dt.UTC)}
            )
            supporter_id = -len(created)
        for ch, kind, value in triples:
            if (ch, kind, value) not in known:
                known[(ch, kind, value)] = supporter_id
                new_handles.append(
                    {"supporter_id": supporter_id, "channel": ch, "kind": kind, "value": value}
                )
        given = {**({"email": ref.email.strip()} if ref.email else {}), **ref.details}
        details[supporter_id].update({k: v for k, v in given.items() if v})
        found.append(supporter_id)
    if created:  # one statement for them all, ids in the order they were met
        table = Supporter.__table__
        ids = connection.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), created
        ).scalars()
        actual = dict(zip(range(-1, -len(created) - 1, -1), ids, strict=True))
        found = [actual.get(sid, sid) for sid in found]
        for handle in new_handles:
            handle["supporter_id"] = actual.get(handle["supporter_id"], handle["supporter_id"])
        details = {actual.get(sid, sid): fields for sid, fields in details.items()}
    if new_handles:
        connection.execute(handles_table.insert(), new_handles)
    _store_details(connection, details)
    return found


def _store_details(connection, wanted: dict[int, dict[str, str]]) -> None:
    """Insert or update personal details, a chunk of supporters at a time."""
    table = SupporterDetail.__table__
    ids = sorted(sid for sid, fields in wanted.items() if fields)
    stored: dict[tuple[int, str], tuple[int, str]] = {}
    for start in range(0, len(ids), 500):
        rows = connection.execute(
            sa_select(table.c.id, table.c.supporter_id, table.c.name, table.c.value).where(
                table.c.supporter_id.in_(ids[start : start + 500])
            )
        )
        stored.update({(sid, name): (row_id, value) for row_id, sid, name, value in rows})
    inserts, updates = [], []
    for sid in ids:
        for name, value in wanted[sid].items():
            if (sid, name) not in stored:
                inserts.append({"supporter_id": sid, "name": name, "value": value})
            elif stored[(sid, name)][1] != value:
                updates.append({"row_id": stored[(sid, name)][0], "new_value": value})
    if inserts:
        connection.execute(table.insert(), inserts)
    if updates:
        connection.execute(
            table.update()
            .where(table.c.id == bindparam("row_id"))
            .values(value=bindparam("new_value")),
            updates,
        )


# --- following merges ------------------------------------------------------------------


def supporter_roots():
    """A CTE of ``(supporter_id, root_id)`` for every supporter, merges followed.

    Join receipts on ``supporter_id`` and group by ``root_id``: a merged supporter's
    receipts then count for the one that absorbed it, on SQLite and PostgreSQL alike.
    """
    table = Supporter.__table__
    roots = (
        sa_select(table.c.id.label("supporter_id"), table.c.id.label("root_id"))
        .where(table.c.merged_into_id.is_(None))
        .cte("supporter_roots", recursive=True)
    )
    merged = table.alias("merged")
    return roots.union_all(
        sa_select(merged.c.id, roots.c.root_id).where(
            merged.c.merged_into_id == roots.c.supporter_id
        )
    )


def merge_roots(connection) -> Callable[[int], int]:
    """The supporter each one now stands under, merges followed as :func:`supporter_roots`
    follows them, for reads that fold supporters in Python: read from the merged supporters
    alone (an index's few rows), as every other supporter is their own root and reading them
    all would grow with the ledger."""
    table = Supporter.__table__
    merged_into = dict(
        connection.execute(
            sa_select(table.c.id, table.c.merged_into_id).where(table.c.merged_into_id.is_not(None))
        ).all()
    )

    def root(supporter_id: int) -> int:
        while supporter_id in merged_into:
            supporter_id = merged_into[supporter_id]
        return supporter_id

    return root


def _root_map(session: Session) -> dict[int, int]:
    roots = supporter_roots()
    return dict(session.exec(select(roots.c.supporter_id, roots.c.root_id)).all())


def _members(session: Session, root_id: int) -> list[int]:
    """``root_id`` and every supporter merged into it (directly or through another)."""
    roots = supporter_roots()
    query = select(roots.c.supporter_id).where(roots.c.root_id == root_id)
    return sorted(session.exec(query).all())


# --- finding a supporter by name or id ---------------------------------------------------


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_key(name: str) -> str:
    """A name as people compare names: no case, accents, punctuation or extra spaces."""
    return " ".join(re.sub(r"[\W_]+", " ", _without_accents(name.casefold())).split())


#: Soundex digits: letters that sound alike share one; vowels, h, w and y have none.
_SOUNDEX = {
    letter: digit
    for letters, digit in zip("bfpv cgjkqsxz dt l mn r".split(), "123456", strict=True)
    for letter in letters
}


def soundex(word: str) -> str:
    """American Soundex (``robert`` and ``rupert``: R163), the key under which
    :func:`suggest_merges` compares spellings; empty for a word without a letter a-z."""
    letters = [c for c in word if "a" <= c <= "z"]
    if not letters:
        return ""
    code, previous = letters[0].upper(), _SOUNDEX.get(letters[0], "")
    for letter in letters[1:]:
        digit = _SOUNDEX.get(letter, "")
        if digit and digit != previous:
            code += digit
        if letter not in "hw":  # h and w do not part two alike sounds; a vowel does
            previous = digit
    return (code + "000")[:4]


def _candidates(session: Session, text: str) -> list[Supporter]:
    """Supporters ``text`` may mean: an id (``12`` or ``#12``), a display name, or a handle."""
    wanted = (text or "").strip()
    number = re.fullmatch(r"#?(\d+)", wanted)
    if number:
        found = session.get(Supporter, int(number[1])) if int(number[1]) <= MAX_ROW_ID else None
        return [found] if found is not None else []
    key = name_key(wanted)
    everyone = session.exec(select(Supporter).order_by(Supporter.id)).all()
    named = [s for s in everyone if name_key(s.display_name) == key]
    if named or not key:
        return named
    handles = session.exec(
        select(SupporterHandle.supporter_id, SupporterHandle.kind, SupporterHandle.value).where(
            col(SupporterHandle.kind).in_(("name", "email"))
        )
    ).all()
    ids = {
        sid
        for sid, kind, value in handles
        if (value == wanted.lower() if kind == "email" else name_key(value) == key)
    }
    return [s for s in everyone if s.id in ids]


def _describe(session: Session, supporter: Supporter) -> str:
    """``#3 Ana Ruiz (zelle, check)``: enough to choose between namesakes, no personal data."""
    channels = session.exec(
        select(SupporterHandle.channel)
        .where(SupporterHandle.supporter_id == supporter.id, SupporterHandle.channel != "*")
        .distinct()
    ).all()
    notes = sorted(channels)
    if supporter.merged_into_id is not None:
        notes.append(f"merged into #{supporter.merged_into_id}")
    suffix = f" ({', '.join(notes)})" if notes else ""
    return f"#{supporter.id} {supporter.display_name}{suffix}"


def _not_found(text: str) -> LedgerError:
    return LedgerError(f"no supporter {text!r}; `supportledger supporters` lists them")


def find_supporter(session: Session, text: str) -> Supporter:
    """The one supporter ``text`` names; none or several is a one-line error."""
    found = _candidates(session, text)
    if not found:
        raise _not_found(text)
    if len(found) > 1:
        listed = "; ".join(_describe(session, s) for s in found)
        raise LedgerError(f"{text!r} could be {listed}: give the id")
    return found[0]


def find_person(session: Session, text: str) -> int:
    """The root supporter ``text`` names: namesakes already merged are one person."""
    found = _candidates(session, text)
    if not found:
        raise _not_found(text)
    roots = {canonical(session, s.id) for s in found}
    if len(roots) > 1:
        listed = "; ".join(_describe(session, session.get(Supporter, r)) for r in sorted(roots))
        raise LedgerError(f"{text!r} could be {listed}: give the id")
    return roots.pop()


# --- merging -------------------------------------------------------------------------------


def merge(session: Session, keeper: str, absorbed: str) -> tuple[Supporter, Supporter]:
    """``keeper`` absorbs ``absorbed`` (names or ids). No receipt is touched."""
    a = find_supporter(session, keeper)
    b = find_supporter(session, absorbed)
    if b.merged_into_id is not None:
        raise LedgerError(f"#{b.id} is already merged into #{b.merged_into_id}; unmerge it first")
    if canonical(session, a.id) == b.id:
        raise LedgerError(f"#{a.id} and #{b.id} are already one supporter")
    b.merged_into_id = a.id
    session.add(b)
    session.flush()
    log.info("supporter #%d merged into #%d", b.id, a.id)
    return a, b


def unmerge(session: Session, text: str) -> tuple[Supporter, int]:
    """Undo the merge of ``text`` (a name or id); returns it and whom it was merged into."""
    supporter = find_supporter(session, text)
    if supporter.merged_into_id is None:
        raise LedgerError(f"#{supporter.id} is not merged into anyone")
    keeper = supporter.merged_into_id
    supporter.merged_into_id = None
    session.add(supporter)
    session.flush()
    log.info("supporter #%d unmerged from #%d", supporter.id, keeper)
    return supporter, keeper


# --- suggesting merges -----------------------------------------------------------------------


@dataclass(frozen=True)
class MergeSuggestion:
    """Two supporters who look like one person; ``keeper`` is the older."""

    keeper_id: int
    keeper_name: str
    other_id: int
    other_name: str
    reason: str


def _initials_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """``J. Smith`` and ``John Smith``; ``John Q. Smith`` and ``John Smith``."""
    if len(a) < 2 or len(b) < 2 or a[-1] != b[-1]:
        return False
    first, other = sorted((a[0], b[0]), key=len)
    return first == other or (len(first) == 1 and other.startswith(first))


def _blocks(keys: list[set]) -> list[list[int]]:
    """The indices sharing each key (``keys[i]``: the keys of item ``i``), in groups of two
    or more: only items in one group are compared."""
    members: dict[object, list[int]] = defaultdict(list)
    for index, item_keys in enumerate(keys):
        for key in item_keys:
            members[key].append(index)
    return [group for group in members.values() if len(group) > 1]


def _alike_names(names: dict[int, set[str]]) -> dict[tuple[int, int], str]:
    """For each two supporters, the strongest likeness between any of their names.

    Comparing every name with every other grows with the square of the supporters, so
    names are compared only within blocks that each rule implies: the same words (in any
    order); the same surname and first initial; or, for close spellings, a word sounding
    the same (:func:`soundex`, which a word shares with itself). A name misspelt in every
    word past its Soundex key (a typo in each first letter, say) is taken as another name:
    among the benchmark's 20,000 supporters, 17 of the 18,527 close pairs that comparing
    every two names finds. Rapidfuzz scores a name against the rest of its block in C.
    """
    # loaded here, not with the module: the statement imports this module, only suggest scores
    from rapidfuzz.distance import Indel
    from rapidfuzz.process import extract

    words = sorted(
        {(root, tuple(name_key(n).split())) for root, group in names.items() for n in group}
    )
    words = [(root, w) for root, w in words if w]
    best: dict[tuple[int, int], tuple[float, str]] = {}

    def note(i: int, j: int, strength: float, reason: str) -> None:
        (root_a, _), (root_b, _) = words[i], words[j]
        pair = (min(root_a, root_b), max(root_a, root_b))
        if root_a != root_b and (strength, reason) > best.get(pair, (0.0, "")):
            best[pair] = (strength, reason)

    for group in _blocks([{tuple(sorted(w))} for _, w in words]):
        for i, j in combinations(group, 2):
            if words[i][1] == words[j][1]:
                note(i, j, 4.0, "same name apart from case, accents or spacing")
            else:
                note(i, j, 3.0, "same name, words in another order")
    for group in _blocks([{(w[-1], w[0][0])} if len(w) > 1 else set() for _, w in words]):
        for i, j in combinations(group, 2):
            if _initials_match(words[i][1], words[j][1]):
                note(i, j, 2.0, "same surname, matching first name or initial")
    joined = [" ".join(sorted(w)) for _, w in words]
    sounds = [{soundex(word) or word for word in w if len(word) > 1} for _, w in words]
    for group in _blocks(sounds):
        choices = [joined[i] for i in group]
        for at, i in enumerate(group[:-1]):
            later = choices[at + 1 :]
            for _, ratio, offset in extract(
                joined[i], later, scorer=Indel.normalized_similarity,
                score_cutoff=SIMILAR_NAMES, limit=None,
            ):  # fmt: skip
                note(i, group[at + 1 + offset], ratio, f"similar names ({ratio:.2f})")
    return {pair: reason for pair, (_, reason) in best.items()}


def suggest_merges(session: Session) -> list[MergeSuggestion]:
    """Supporters (not yet merged, not forgotten) who share an e-mail or a near-identical
    name, for the writer to confirm with ``merge``. Nothing is merged here."""
    roots = _root_map(session)
    people = dict(
        session.exec(
            select(Supporter.id, Supporter.display_name).where(
                col(Supporter.forgotten_at).is_(None)
            )
        ).all()
    )
    names: dict[int, set[str]] = defaultdict(set)
    emails: dict[str, set[int]] = defaultdict(set)
    for sid, display_name in people.items():
        names[roots[sid]].add(display_name)
    handles = session.exec(
        select(SupporterHandle.supporter_id, SupporterHandle.kind, SupporterHandle.value)
    ).all()
    details = session.exec(
        select(SupporterDetail.supporter_id, SupporterDetail.value).where(
            SupporterDetail.name == "email"
        )
    ).all()
    for sid, kind, value in handles:
        if kind == "name":
            names[roots[sid]].add(value)
        elif kind == "email":
            emails[value].add(roots[sid])
    for sid, value in details:
        emails[value.strip().lower()].add(roots[sid])

    reasons: dict[tuple[int, int], str] = {}
    for shared in emails.values():
        for pair in combinations(sorted(shared), 2):
            reasons[pair] = "same e-mail"
    live = {root: group for root, group in names.items() if root in people}
    for pair, reason in _alike_names(live).items():
        reasons.setdefault(pair, reason)
    return [
        MergeSuggestion(a, people[a], b, people[b], reason)
        for (a, b), reason in sorted(reasons.items())
        if a in people and b in people
    ]


# --- totals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupporterTotal:
    supporter_id: int
    display_name: str
    receipts: int
    lifetime_net: Money


def list_supporters(ledger) -> list[SupporterTotal]:
    """Every supporter (merges followed) with their number of receipts and lifetime net.

    Receipts are totalled by supporter, status and currency first, read from the index on
    (supporter, status, currency, net) alone, and only those few totals follow merges:
    joining every receipt to its root before grouping made PostgreSQL sort them all (1.7×
    to 2× slower at 100k receipts, on SQLite too at 0.9M). A receipt held in another
    currency counts at its value in the base currency, as the journal values it: those few
    are read one by one.

    Read through the tables and a plain connection, not the ORM: a session's first query
    configures every mapper of the schema, which costs this one-query command more than
    the query.
    """
    base = ledger.currency
    roots = supporter_roots()
    receipts, supporters = Receipt.__table__.c, Supporter.__table__.c
    given = (
        sa_select(
            receipts.supporter_id,
            receipts.status,
            receipts.currency,
            func.count().label("receipts"),
            func.sum(receipts.net_minor).label("net"),
        )
        .where(receipts.supporter_id.is_not(None))
        .group_by(receipts.supporter_id, receipts.status, receipts.currency)
        .subquery("given")
    )
    counted = given.c.status.in_(COUNTED_STATUSES)
    query = (
        sa_select(
            supporters.id,
            supporters.display_name,
            func.coalesce(func.sum(given.c.receipts), 0),
            func.coalesce(
                func.sum(case((and_(counted, given.c.currency == base), given.c.net), else_=0)),
                0,
            ),
            func.sum(case((and_(counted, given.c.currency != base), 1), else_=0)),
        )
        .join(roots, roots.c.root_id == supporters.id)
        .outerjoin(given, given.c.supporter_id == roots.c.supporter_id)
        .group_by(supporters.id, supporters.display_name)
    )
    with ledger.engine.connect() as connection:
        rows = connection.execute(query).all()
        held = _held_in_other_currencies(connection, ledger, [row[0] for row in rows if row[-1]])
    found = [  # int(): PostgreSQL sums integers as numeric
        SupporterTotal(sid, name, int(count), Money.from_minor(int(net) + held.get(sid, 0), base))
        for sid, name, count, net, _ in rows
    ]
    # sorted here, not in SQL: SQLite and PostgreSQL collate names differently
    return sorted(found, key=lambda p: (name_key(p.display_name), p.supporter_id))


def _held_in_other_currencies(
    connection: Connection, ledger, root_ids: list[int]
) -> dict[int, int]:
    """What ``root_ids`` gave in currencies other than the base one, in minor units of the
    base currency: each receipt's gross less its fee, each valued as the journal does."""
    value = Deriver(ledger.currency, ledger.tz).value
    roots = supporter_roots()
    receipts = Receipt.__table__.c
    found: dict[int, int] = defaultdict(int)
    for start in range(0, len(root_ids), 500):
        held = connection.execute(
            sa_select(
                roots.c.root_id,
                receipts.currency,
                receipts.gross_minor,
                receipts.fee_minor,
                receipts.fx_rate,
            )
            .join(roots, roots.c.supporter_id == receipts.supporter_id)
            .where(
                roots.c.root_id.in_(root_ids[start : start + 500]),
                receipts.status.in_(COUNTED_STATUSES),
                receipts.currency != ledger.currency,
            )
        ).all()
        for root, currency, gross, fee, rate in held:
            rate = Decimal(rate) if rate is not None else None
            found[root] += value(gross, currency, rate) - value(fee, currency, rate)
    return found


# --- one supporter's page -----------------------------------------------------------------------


@dataclass(frozen=True)
class SupporterReport:
    supporter_id: int
    display_name: str
    #: supporters merged into this one
    merged: tuple[int, ...]
    receipts: tuple[Receipt, ...]
    lifetime_gross: Money
    lifetime_net: Money
    year: int
    year_gross: Money
    year_net: Money
    first_support: dt.date | None
    last_support: dt.date | None
    #: every commitment as it stands on the day, ended ones too
    recurring: tuple[RecurringSupporter, ...]
    #: what the channels' own exports say (Patreon's lifetime and last charge)
    stated: tuple[StatedFigures, ...]


def supporter_report(ledger, text: str, as_of: dt.date) -> SupporterReport:
    """Everything ``text`` (a name or id) gave, on every channel, merges followed; "this
    year" is ``as_of``'s year in ``LEDGER_TIMEZONE``. Beside the ledger's own figures, from
    receipts, come the channels' (Patreon pays a month's pledges as one earnings sum, so
    only its members export knows what one patron paid)."""
    from supportledger.recurring import commitments_of, stated_figures  # reads merges here

    tz, currency = ledger.tz, ledger.currency
    with ledger.session() as session:
        root = find_person(session, text)
        members = _members(session, root)
        name = session.get(Supporter, root).display_name
        receipts = session.exec(
            select(Receipt)
            .where(col(Receipt.supporter_id).in_(members))
            .order_by(Receipt.occurred_at, Receipt.id)
        ).all()
    given = [r for r in receipts if r.status in COUNTED_STATUSES]
    this_year = [r for r in given if local_date(r.occurred_at, tz).year == as_of.year]
    payments = [local_date(r.occurred_at, tz) for r in given if r.event == Event.PAYMENT]
    return SupporterReport(
        supporter_id=root,
        display_name=name,
        merged=tuple(m for m in members if m != root),
        receipts=tuple(receipts),
        lifetime_gross=total((r.gross for r in given), currency),
        lifetime_net=total((r.net for r in given), currency),
        year=as_of.year,
        year_gross=total((r.gross for r in this_year), currency),
        year_net=total((r.net for r in this_year), currency),
        first_support=min(payments, default=None),
        last_support=max(payments, default=None),
        recurring=tuple(commitments_of(ledger, members, as_of)),
        stated=tuple(stated_figures(ledger, members)),
    )


# --- forgetting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forgotten:
    supporter_ids: tuple[int, ...]
    label: str
    #: SQLite only: whether the write-ahead log was emptied, so no old page remains in it
    log_emptied: bool | None


#: Details too short or too generic to hunt for in free text ("AZ", "US"); names are hunted
#: whatever their length, as whole words
_MIN_REDACTED = 4
#: what may stand between the words of a name in free text: "RUIZ, A." is "Ana Ruiz"
_NAME_GAP = r"[\s,.]+"


@dataclass(frozen=True)
class _Traces:
    """What must not survive a person: the names they were known by, and their other
    handles and details (e-mail, account ids, street, phone)."""

    names: frozenset[str]
    details: frozenset[str]

    def words(self) -> set[str]:
        """Lower-cased words any mention of them contains (to find rows worth reading)."""
        found = {w for name in self.names for w in _name_words(name)}
        found |= {d.strip() for d in self.details if len(d.strip()) >= _MIN_REDACTED}
        return {w.lower() for text in found for w in (text, _without_accents(text))}


def _name_words(name: str) -> list[str]:
    return re.findall(r"[^\W_]+", name)


def _name_forms(name: str) -> set[tuple[str, ...]]:
    """The ways free text writes a name: as given, reversed ("RUIZ ANA"), and a surname with
    an initial ("RUIZ A", "A RUIZ"), either word taken as the surname."""
    words = tuple(_name_words(name))
    if len(words) < 2:
        return {words} if words else set()
    first, last = words[0], words[-1]
    return {
        words,
        words[::-1],
        (last, first[0]),
        (first[0], last),
        (first, last[0]),
        (last[0], first),
    }


def _word(word: str) -> str:
    """A word of a name as a pattern; an initial may be followed by a dot."""
    return rf"{re.escape(word)}\.?" if len(word) == 1 else re.escape(word)


def _redactor(traces: _Traces, replacement: str):
    """A function replacing every mention of ``traces`` in a text with ``replacement``,
    whatever the case, accents, spacing or punctuation the text writes it with."""
    patterns = set()
    for name in traces.names:
        for form in (name, _without_accents(name)):
            patterns |= {_NAME_GAP.join(map(_word, words)) for words in _name_forms(form)}
    for value in traces.details:
        for form in (value, _without_accents(value)):
            if len(form.strip()) >= _MIN_REDACTED:
                patterns.add(r"\s+".join(map(re.escape, form.split())))
    if not patterns:
        return lambda text: text
    alternatives = "|".join(sorted(patterns, key=len, reverse=True))
    pattern = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)
    return lambda text: pattern.sub(replacement, text) if text else text


def _traces(session: Session, members: list[int], people: list[Supporter]) -> _Traces:
    """Every name, handle and detail of ``members``."""
    names = {s.display_name for s in people if s.forgotten_at is None}
    details: set[str] = set()
    for kind, value in session.exec(
        select(SupporterHandle.kind, SupporterHandle.value).where(
            col(SupporterHandle.supporter_id).in_(members)
        )
    ).all():
        (names if kind == "name" else details).add(value)
    details |= set(
        session.exec(
            select(SupporterDetail.value).where(col(SupporterDetail.supporter_id).in_(members))
        ).all()
    )
    return _Traces(frozenset(names), frozenset(details))


def _mentioning(column, words: set[str]):
    """Rows whose ``column`` contains one of ``words`` (case aside): those worth reading."""
    return or_(*(func.lower(column).contains(word, autoescape=True) for word in words))


def _scrub(session: Session, members: list[int], traces: _Traces, label: str) -> None:
    """Replace ``traces`` in the person's receipts and subscriptions, in every bank line
    and every receipt's note that mentions them (linked to anyone or to nothing). Free text
    keeps its other words; an id that names them is replaced whole, by one still unique."""
    redact = _redactor(traces, label)
    words = traces.words()

    def scrubbed_id(external_id: str, row_id: int) -> str:
        return external_id if redact(external_id) == external_id else f"forgotten:{row_id}"

    theirs = set(session.exec(select(Receipt.id).where(col(Receipt.supporter_id).in_(members))))
    mentioned = (
        or_(_mentioning(BankLine.description, words), _mentioning(BankLine.counterparty, words))
        if words
        else false()
    )
    for line in session.exec(
        select(BankLine).where(or_(col(BankLine.receipt_id).in_(theirs), mentioned))
    ).all():
        description, counterparty = redact(line.description), redact(line.counterparty)
        if (description, counterparty) != (line.description, line.counterparty):
            line.description, line.counterparty = description, counterparty
            session.add(line)
            if line.receipt_id is not None:
                theirs.add(line.receipt_id)
    noted = _mentioning(Receipt.description, words) if words else false()
    for receipt in session.exec(
        select(Receipt).where(or_(col(Receipt.id).in_(theirs), noted))
    ).all():
        receipt.description = redact(receipt.description)
        receipt.external_id = scrubbed_id(receipt.external_id, receipt.id)
        session.add(receipt)
    for sub in session.exec(
        select(Subscription).where(col(Subscription.supporter_id).in_(members))
    ).all():
        sub.external_id = scrubbed_id(sub.external_id, sub.id)
        session.add(sub)


def forget(ledger, text: str) -> Forgotten:
    """Erase a person (``text``: a name or id, with everyone merged into them): their
    handles and personal details are deleted, their names become ``former supporter #N``,
    and traces of them in receipts' notes and ids, subscription ids and bank lines are
    replaced. No amount changes. On SQLite the log is then emptied, so that with
    ``secure_delete`` the erased bytes survive nowhere in the files.

    It reads and writes in one transaction that no import interleaves with
    (:func:`supportledger.db.writing`): an import under way finishes first, and everything
    it brought of the person is erased too."""
    with writing(ledger.engine) as (connection, session):
        root = find_person(session, text)
        members = _members(session, root)
        people = session.exec(select(Supporter).where(col(Supporter.id).in_(members))).all()
        _scrub(session, members, _traces(session, members, people), FORMER.format(id=root))
        for model in (SupporterHandle, SupporterDetail):
            session.exec(delete(model).where(col(model.supporter_id).in_(members)))
        now = utcnow()
        for person in people:
            person.display_name = FORMER.format(id=person.id)
            person.forgotten_at = person.forgotten_at or now
            session.add(person)
        session.flush()
        connection.commit()
    log.info("supporters %s forgotten", ", ".join(f"#{m}" for m in members))
    return Forgotten(tuple(members), FORMER.format(id=root), _empty_sqlite_log(ledger))


def _empty_sqlite_log(ledger) -> bool | None:
    """Checkpoint and truncate SQLite's write-ahead log (it holds old pages); ``None`` on
    PostgreSQL, ``False`` when a reader kept it from being emptied."""
    if ledger.engine.dialect.name != "sqlite":
        return None
    with ledger.engine.connect() as connection:
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return busy == 0
