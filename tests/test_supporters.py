"""Supporters across channels: one person, many handles; merges; recurring; forgetting.

Every figure below is worked out by hand in the comments next to it.
"""

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import stat
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

import statement_month
from columns import in_80_columns
from supportledger.intervals import MONTH, add_months
from supportledger.journal import rebuild_ledger
from supportledger.ledger import Ledger, list_receipts, record_receipt
from supportledger.models import (
    BankLine,
    Kind,
    Status,
    Subscription,
    Supporter,
    SupporterDetail,
    SupporterHandle,
)
from supportledger.money import Money
from supportledger.months import Month, parse_instant
from supportledger.recurring import recurring_status
from supportledger.sources import ReceiptEntry, SupporterRef
from supportledger.statement import monthly_statement
from supportledger.supporters import (
    list_supporters,
    resolve_supporters,
    soundex,
    suggest_merges,
)

MARGUERITE = SupporterRef(
    name="Marguerite Duval",
    user_id="48213377",
    email="mduval@example.net",
    details={
        "street": "1428 Elm Street",
        "city": "Tucson",
        "state": "AZ",
        "zip": "85701",
        "phone": "520-555-0199",
    },
)
#: Everything that identifies Marguerite; none of it may survive `forget`.
HER_TRACES = (
    "Marguerite",
    "Duval",
    "mduval@example.net",
    "1428 Elm Street",
    "520-555-0199",
    "48213377",
)


def pay(ledger, channel, external_id, when, gross, fee="0.00", who=None, **extra):
    """Book a receipt as an import would: the channel's own id, its stated fee."""
    return record_receipt(
        ledger,
        ReceiptEntry(
            channel=channel,
            external_id=external_id,
            occurred_at=parse_instant(when, ledger.tz),
            gross=Money.of(gross, "USD"),
            fee=Money.of(fee, "USD"),
            supporter=who,
            **extra,
        ),
    )


def add_subscription(ledger, supporter_id, history, **fields):
    """A subscription as an export would leave it: ``history`` is (state, day) pairs."""
    with ledger.engine.begin() as connection:
        return statement_month.add_subscription(
            connection,
            supporter_id=supporter_id,
            history=[(state, parse_instant(day, ledger.tz)) for state, day in history],
            **fields,
        )


def supporter_named(ledger, name):
    (found,) = [p for p in list_supporters(ledger) if p.display_name == name]
    return found


def book_marguerite(ledger):
    """One reader on three channels. Patreon: $10 a month, fee $1.39 (Pro 8% = 0.80, plus
    processing 2.9% + 0.30 = 0.59), net 8.61. PayPal: a $50 donation, fee 3.49% + 0.49 =
    1.745 → 1.75 + 0.49 = 2.24, net 47.76. A $100 check, no fee."""
    for month in ("08", "09", "10"):
        pay(
            ledger,
            "patreon",
            f"pt-2026{month}-48213377",
            f"2026-{month}-01",
            "10.00",
            "1.39",
            MARGUERITE,
            kind=Kind.RECURRING,
        )
    # Patreon's November charge was declined: no money, listed but never added up
    pay(
        ledger,
        "patreon",
        "pt-202611-48213377",
        "2026-11-01",
        "10.00",
        "0.00",
        MARGUERITE,
        kind=Kind.RECURRING,
        status=Status.DENIED,
    )
    # PayPal knows her by another e-mail case and a nickname: the e-mail alone finds her
    pay(
        ledger,
        "paypal",
        "5TY08213AB771093K",
        "2026-06-14",
        "50.00",
        "2.24",
        SupporterRef(name="Margie Duval", email="MDuval@Example.net"),
    )
    # the check is written "DUVAL, MARGUERITE"; 04:00 UTC on 1 Jan 2026 is 21:00 on
    # 31 Dec 2025 in Phoenix, so it is 2025's support
    pay(
        ledger,
        "check",
        "check:3310:duval, marguerite",
        "2026-01-01T04:00:00Z",
        "100.00",
        who=SupporterRef(name="DUVAL, MARGUERITE"),
        status=Status.DEPOSITED,
        check_number="3310",
    )
    pay(
        ledger,
        "check",
        "check:2041:lou green",
        "2026-10-06",
        "100.00",
        who=SupporterRef(name="Lou Green"),
        status=Status.DEPOSITED,
    )
    pay(ledger, "zelle", "ZL-55120", "2026-10-12", "25.00", who=SupporterRef(name="Lee Green"))


def statuses(ledger, day):
    """recurring_status on ``day`` as plain tuples."""
    return [
        (r.display_name, r.channel, r.basis, r.amount.plain(), r.last_paid, r.next_due, r.lapsed)
        for r in recurring_status(ledger, dt.date.fromisoformat(day))
    ]


def receipt_rows(ledger):
    return [
        (r.id, r.supporter_id, r.gross_minor, r.fee_minor, r.net_minor)
        for r, _ in list_receipts(ledger)
    ]


def test_a_chunk_creates_its_new_supporters_together_in_the_order_met(ledger):
    """A chunk's new supporters are inserted in one statement: their ids follow the order
    their refs come in, a ref naming a handle another ref of the chunk brought is that
    same new supporter, and handles and details go to the supporter they belong to."""
    with Session(ledger.engine) as session:
        (known,) = resolve_supporters(session, [("paypal", SupporterRef(name="Known Person"))])
        session.commit()
    wanted = [
        (
            "paypal",
            SupporterRef(name="Ada  Byron", email="ada@example.org", details={"city": "Bath"}),
        ),
        ("paypal", None),
        ("paypal", SupporterRef(name="Known Person")),
        ("patreon", SupporterRef(name="A. Byron", email=" ADA@example.org", user_id="77")),
        ("paypal", SupporterRef(email="zed@example.org")),
    ]
    with Session(ledger.engine) as session:
        ids = resolve_supporters(session, wanted)
        session.commit()
        names = dict(session.exec(select(Supporter.id, Supporter.display_name)).all())
        handles = session.exec(select(SupporterHandle.supporter_id, SupporterHandle.value)).all()
        details = session.exec(
            select(SupporterDetail.supporter_id, SupporterDetail.name, SupporterDetail.value)
        ).all()
    ada, zed = known + 1, known + 2
    assert ids == [ada, None, known, ada, zed]
    assert names == {known: "Known Person", ada: "Ada Byron", zed: "zed"}
    assert sorted(handles) == [
        (known, "Known Person"),
        (ada, "77"),
        (ada, "A. Byron"),
        (ada, "Ada Byron"),
        (ada, "ada@example.org"),
        (zed, "zed@example.org"),
    ]
    assert sorted(details) == [
        (ada, "city", "Bath"),
        (ada, "email", "ADA@example.org"),
        (zed, "email", "zed@example.org"),
    ]


def test_a_reader_on_patreon_paypal_and_check_is_one_supporter_once_merged(ledger, cli):
    book_marguerite(ledger)
    # e-mail matched PayPal to Patreon on its own; the check's name is on another supporter
    assert [
        (p.display_name, p.receipts, p.lifetime_net.plain()) for p in list_supporters(ledger)
    ] == [
        ("DUVAL, MARGUERITE", 1, "100.00"),
        ("Lee Green", 1, "25.00"),
        ("Lou Green", 1, "100.00"),
        # 3 × 8.61 + 47.76 = 73.59; the declined charge is counted as a receipt, not as money
        ("Marguerite Duval", 5, "73.59"),
    ]
    marguerite = supporter_named(ledger, "Marguerite Duval").supporter_id
    check_id = supporter_named(ledger, "DUVAL, MARGUERITE").supporter_id

    code, out, err = cli("supporters", "suggest", "--format", "json")
    assert (code, err) == (0, "")
    # Lou and Lee Green are not the same person (ratio 0.78); Marguerite's two records are
    assert json.loads(out) == [
        {
            "keeper": {"id": marguerite, "name": "Marguerite Duval"},
            "other": {"id": check_id, "name": "DUVAL, MARGUERITE"},
            "reason": "same name, words in another order",
            "command": f"supportledger supporters merge {marguerite} {check_id}",
        }
    ]
    before = receipt_rows(ledger)
    code, out, err = cli("supporters", "merge", "Marguerite Duval", "DUVAL, MARGUERITE")
    assert (code, err) == (0, "")
    assert out == (f"merged #{check_id} DUVAL, MARGUERITE into #{marguerite} Marguerite Duval\n")
    assert receipt_rows(ledger) == before  # a merge touches no receipt
    code, out, _ = cli("supporters", "suggest")
    assert out == "no likely duplicates\n"

    code, out, err = cli(
        "supporters", "show", "marguerite duval", "--as-of", "2026-11-05", "--format", "json"
    )
    assert (code, err) == (0, "")
    page = json.loads(out)
    assert page["merged"] == [check_id]
    # lifetime: gross 30 + 50 + 100 = 180.00; net 25.83 + 47.76 + 100.00 = 173.59
    assert page["lifetime"] == {"gross": "180.00", "net": "173.59"}
    # 2026 only (the check is 2025's in Phoenix): gross 80.00, net 73.59
    assert page["this_year"] == {"year": 2026, "gross": "80.00", "net": "73.59"}
    assert (page["first_support"], page["last_support"]) == ("2025-12-31", "2026-10-01")
    assert [
        (r["date"], r["channel"], r["kind"], r["gross"], r["fee"], r["net"], r["status"])
        for r in page["receipts"]
    ] == [
        ("2025-12-31", "check", "one_time", "100.00", "0.00", "100.00", "deposited"),
        ("2026-06-14", "paypal", "one_time", "50.00", "2.24", "47.76", "completed"),
        ("2026-08-01", "patreon", "recurring", "10.00", "1.39", "8.61", "completed"),
        ("2026-09-01", "patreon", "recurring", "10.00", "1.39", "8.61", "completed"),
        ("2026-10-01", "patreon", "recurring", "10.00", "1.39", "8.61", "completed"),
        ("2026-11-01", "patreon", "recurring", "10.00", "0.00", "10.00", "denied"),
    ]
    assert page["recurring"] == []  # no subscription data, and Patreon is never inferred
    _, out, _ = cli("supporters", "show", str(marguerite), "--as-of", "2026-11-05")
    lines = out.splitlines()
    assert lines[:7] == [
        f"#{marguerite} Marguerite Duval (with #{check_id})",
        "first support 2025-12-31, last support 2026-10-01",
        "                 gross         net  USD",
        "lifetime        180.00      173.59",
        "2026             80.00       73.59",
        "recurring: none",
        "#       date       channel  kind           gross      fee        net",
    ]
    ids = [f"#{r['id']:<6} " for r in page["receipts"]]  # the number `check returned` takes
    assert [line[: len(i)] for line, i in zip(lines[7:], ids, strict=False)] == ids
    assert [line[8:] for line in lines[7:-1]] == [
        "2025-12-31 check    one_time      100.00     0.00     100.00",
        "2026-06-14 paypal   one_time       50.00     2.24      47.76",
        "2026-08-01 patreon  recurring      10.00     1.39       8.61",
        "2026-09-01 patreon  recurring      10.00     1.39       8.61",
        "2026-10-01 patreon  recurring      10.00     1.39       8.61",
        "2026-11-01 patreon  recurring      10.00     0.00      10.00  denied*",
    ]
    assert lines[-1] == "* not counted: not received (yet)"

    code, out, _ = cli("supporters", "--format", "json")
    assert [(p["name"], p["receipts"], p["lifetime_net"]) for p in json.loads(out)] == [
        ("Lee Green", 1, "25.00"),
        ("Lou Green", 1, "100.00"),
        ("Marguerite Duval", 6, "173.59"),
    ]


def test_a_pending_check_is_listed_but_not_given_as_on_the_statement(ledger, cli):
    """A check not yet deposited is money still owed (the statement's COUNTED_STATUSES):
    listed on the page, marked, and kept out of every total, as the statement keeps it out
    of income."""
    book_marguerite(ledger)
    pay(
        ledger, "check", "check:3391:duval, marguerite", "2026-11-03", "40.00",
        who=SupporterRef(name="DUVAL, MARGUERITE"), status=Status.PENDING, check_number="3391",
    )  # fmt: skip
    # the 2025 check of 100.00, deposited, is all this supporter has given: 2 receipts
    assert supporter_named(ledger, "DUVAL, MARGUERITE").receipts == 2
    assert supporter_named(ledger, "DUVAL, MARGUERITE").lifetime_net.plain() == "100.00"
    code, out, err = cli("supporters", "show", "DUVAL, MARGUERITE", "--as-of", "2026-11-05")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[2:5] == [
        "                 gross         net  USD",
        "lifetime        100.00      100.00",
        "2026              0.00        0.00",  # 2026 has only the pending check
    ]
    assert lines[-2][8:] == "2026-11-03 check    one_time       40.00     0.00      40.00  pending*"
    assert lines[-1] == "* not counted: not received (yet)"
    assert lines[1] == "first support 2025-12-31, last support 2025-12-31"


def test_a_merge_is_undone_and_nothing_moved(ledger, cli):
    book_marguerite(ledger)
    before = receipt_rows(ledger)
    marguerite = supporter_named(ledger, "Marguerite Duval").supporter_id
    check_id = supporter_named(ledger, "DUVAL, MARGUERITE").supporter_id
    assert cli("supporters", "merge", str(marguerite), f"#{check_id}")[0] == 0
    assert supporter_named(ledger, "Marguerite Duval").lifetime_net.plain() == "173.59"
    # a check arriving while merged is hers in every total (173.59 + 40.00 = 213.59) ...
    pay(ledger, "check", "check:3402:duval, marguerite", "2026-11-20", "40.00",
        who=SupporterRef(name="DUVAL, MARGUERITE"), status=Status.DEPOSITED)  # fmt: skip
    assert supporter_named(ledger, "Marguerite Duval").lifetime_net.plain() == "213.59"
    before = receipt_rows(ledger)

    code, out, err = cli("supporters", "unmerge", "DUVAL, MARGUERITE")
    assert (code, err) == (0, "")
    assert out == f"#{check_id} DUVAL, MARGUERITE is no longer merged into #{marguerite}\n"
    assert receipt_rows(ledger) == before
    assert supporter_named(ledger, "Marguerite Duval").lifetime_net.plain() == "73.59"
    # ... and, matched by the check's name, goes back with the check's supporter: 140.00
    assert supporter_named(ledger, "DUVAL, MARGUERITE").lifetime_net.plain() == "140.00"
    _, out, _ = cli(
        "supporters", "show", "Marguerite Duval", "--as-of", "2026-11-05", "--format", "json"
    )
    assert json.loads(out)["lifetime"] == {"gross": "80.00", "net": "73.59"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("merge", "Ana Ruiz", "Lou Green"),
            "'Ana Ruiz' could be #1 Ana Ruiz (zelle); #2 Ana Ruiz (check): give the id",
        ),
        (("merge", "1", "1"), "#1 and #1 are already one supporter"),
        (("merge", "1", "Nobody"), "no supporter 'Nobody'"),
        (("unmerge", "2"), "#2 is not merged into anyone"),
        (("show", "#99"), "no supporter '#99'"),
        (("show", "Ana Ruiz", "--as-of", "31/10/2026"), "--as-of: expected YYYY-MM-DD"),
        (("forget", "Ana Ruiz", "--yes"), "'Ana Ruiz' could be #1 Ana Ruiz"),
    ],
)
def test_ambiguous_or_unknown_names_are_one_line_errors(ledger, cli, args, message):
    pay(ledger, "zelle", "ZL-1", "2026-10-01", "25.00", who=SupporterRef(name="Ana Ruiz"))
    pay(
        ledger,
        "check",
        "check:1:ana ruiz",
        "2026-10-02",
        "40.00",
        who=SupporterRef(name="Ana Ruiz"),
    )
    pay(
        ledger,
        "check",
        "check:2:lou green",
        "2026-10-03",
        "40.00",
        who=SupporterRef(name="Lou Green"),
    )
    code, out, err = cli("supporters", *args)
    assert (code, out) == (1, "")
    assert message in err
    assert err.count("\n") == 1


def test_merging_twice_or_in_a_circle_is_refused(ledger, cli):
    for n, name in enumerate(("Ana Ruiz", "Ana Ruíz", "ANA RUIZ"), start=1):
        pay(ledger, "zelle", f"ZL-{n}", "2026-10-01", "25.00", who=SupporterRef(name=name))
    assert cli("supporters", "merge", "1", "2")[0] == 0
    assert cli("supporters", "merge", "3", "2")[2] == (
        "supportledger: #2 is already merged into #1; unmerge it first\n"
    )
    assert cli("supporters", "merge", "2", "1")[2] == (
        "supportledger: #2 and #1 are already one supporter\n"
    )
    # a chain: 1 absorbs 3, which then counts (through 1) as one person with 2
    assert cli("supporters", "merge", "1", "3")[0] == 0
    assert [
        (p.supporter_id, p.receipts, p.lifetime_net.plain()) for p in list_supporters(ledger)
    ] == [(1, 3, "75.00")]


def test_money_held_in_another_currency_counts_at_its_recorded_value(ledger):
    """A PayPal balance held in EUR: its receipts count in the list at the rate recorded with
    each, gross and fee each rounded as the journal values them, never as raw EUR cents."""
    lena = SupporterRef(name="Lena Vogel", email="lena@example.de")
    paid = [
        ("EUR", "20.00", "0.97", "1.0843"),
        ("EUR", "5.00", "0.44", "1.0861"),
        ("USD", "10.00", "0.79", None),
    ]
    for n, (currency, gross, fee, rate) in enumerate(paid, start=1):
        record_receipt(
            ledger,
            ReceiptEntry(
                channel="paypal", external_id=f"PP-{n}",
                occurred_at=parse_instant(f"2026-10-0{n}", ledger.tz),
                gross=Money.of(gross, currency), fee=Money.of(fee, currency),
                fx_rate=Decimal(rate) if rate else None, supporter=lena,
            ),
        )  # fmt: skip
    pay(ledger, "zelle", "ZL-1", "2026-10-04", "25.00", who=SupporterRef(name="Lena Vogel"))
    assert [
        (p.display_name, p.receipts, p.lifetime_net.plain()) for p in list_supporters(ledger)
    ] == [
        # 20.00 × 1.0843 = 21.686 → 21.69, less 0.97 × 1.0843 = 1.0518 → 1.05: 20.64;
        # 5.00 × 1.0861 = 5.4305 → 5.43, less 0.44 × 1.0861 = 0.4779 → 0.48: 4.95;
        # and 10.00 - 0.79 = 9.21 USD: 20.64 + 4.95 + 9.21 = 34.80
        ("Lena Vogel", 3, "34.80"),
        ("Lena Vogel", 1, "25.00"),  # on Zelle, not yet merged
    ]


def test_suggestions_for_the_writer_to_confirm(ledger):
    people = [
        ("zelle", "Ana Ruiz", None),
        ("check", "ana  ruíz", None),  # case, accents and spacing
        ("paypal", "John Smith", "john@example.org"),
        ("check", "J. Smith", None),  # an initial
        ("zelle", "Jon Smith", None),  # a typo: ratio 0.95
        ("check", "Lou Green", None),
        ("zelle", "Lee Green", None),  # 0.78: not suggested
    ]
    for n, (channel, name, email) in enumerate(people, start=1):
        pay(
            ledger,
            channel,
            f"{channel}-{n}",
            "2026-10-01",
            "20.00",
            who=SupporterRef(name=name, email=email),
        )
    # Kim: Patreon first without an e-mail, PayPal by e-mail, then Patreon adds the same
    # e-mail to its record: two supporters now share one e-mail
    pay(
        ledger,
        "patreon",
        "pt-1",
        "2026-09-01",
        "5.00",
        "0.50",
        SupporterRef(name="Kim Park", user_id="77001"),
    )
    pay(
        ledger,
        "paypal",
        "pp-9",
        "2026-09-02",
        "5.00",
        "0.66",
        SupporterRef(name="K.", email="kim@example.com"),
    )
    pay(
        ledger,
        "patreon",
        "pt-2",
        "2026-10-01",
        "5.00",
        "0.50",
        SupporterRef(name="Kim Park", user_id="77001", email="kim@example.com"),
    )
    with ledger.session() as session:
        found = [(s.keeper_id, s.other_id, s.reason) for s in suggest_merges(session)]
    assert found == [
        (1, 2, "same name apart from case, accents or spacing"),
        (3, 4, "same surname, matching first name or initial"),
        (3, 5, "similar names (0.95)"),
        (4, 5, "same surname, matching first name or initial"),
        (8, 9, "same e-mail"),
    ]


def test_each_rule_finds_its_pairs_through_its_own_block(ledger):
    """Names are compared only within blocks: the same words, the same surname and
    initial, a word sounding the same (or, in another script, the same word), an e-mail.
    Each pair is found through its rule's block; a pair sharing none is never compared."""
    # Patreon knows Sam Okoro by id, PayPal Robin Hart by e-mail, then Patreon gives Sam the
    # same e-mail: two supporters with nothing in common but it
    okoro = SupporterRef(name="Sam Okoro", user_id="5501")
    pay(ledger, "patreon", "pt-1", "2026-09-01", "5.00", "0.50", okoro)
    pay(
        ledger,
        "paypal",
        "pp-1",
        "2026-09-02",
        "5.00",
        "0.66",
        SupporterRef("Robin Hart", "r@x.org"),
    )
    okoro = dataclasses.replace(okoro, email="r@x.org")
    pay(ledger, "patreon", "pt-2", "2026-10-01", "5.00", "0.50", okoro)
    people = [
        ("paypal", "Zoë  Dubois-Martin", None),
        ("zelle", "ZOE DUBOIS MARTIN", None),  # accents, punctuation, case, spacing
        ("zelle", "Kenji Watanabe", None),
        ("check", "WATANABE, KENJI", None),  # the same words in another order
        ("paypal", "Ingrid Lindqvist", None),
        ("check", "I. Lindqvist", None),  # ratio 0.81: found by surname and initial
        ("zelle", "Katharine Hepburne", None),
        ("check", "Katherine Hepburn", None),  # no word in common; both sound K365 H165
        ("zelle", "Алексей Петров", None),
        ("check", "Алексей Петрова", None),  # no Soundex key: blocked by the word itself
        # ratio 0.91, but a typo in the first letter of every word: never compared
        ("zelle", "Konstantin Aleksandrov", None),
        ("check", "Gonstantin Eleksandrov", None),
    ]
    for n, (channel, name, email) in enumerate(people, start=1):
        who = SupporterRef(name=name, email=email)
        pay(ledger, channel, f"{channel}-{n}", "2026-10-01", "20.00", who=who)
    with ledger.session() as session:
        found = [(s.keeper_name, s.other_name, s.reason) for s in suggest_merges(session)]
    assert found == [
        ("Sam Okoro", "Robin Hart", "same e-mail"),
        ("Zoë Dubois-Martin", "ZOE DUBOIS MARTIN", "same name apart from case, accents or spacing"),
        ("Kenji Watanabe", "WATANABE, KENJI", "same name, words in another order"),
        ("Ingrid Lindqvist", "I. Lindqvist", "same surname, matching first name or initial"),
        ("Katharine Hepburne", "Katherine Hepburn", "similar names (0.91)"),
        ("Алексей Петров", "Алексей Петрова", "similar names (0.97)"),
    ]


def test_soundex_keys_are_the_national_archives_ones():
    # the coding rules and examples of https://www.archives.gov/research/census/soundex
    assert [
        soundex(name)
        for name in ("robert", "rupert", "rubin", "ashcraft", "tymczak", "pfister", "honeyman")
    ] == ["R163", "R163", "R150", "A261", "T522", "P236", "H555"]
    assert (soundex("lee"), soundex("петров")) == ("L000", "")


def test_a_zelle_supporter_goes_from_inferred_monthly_to_lapsed(ledger, cli):
    rosa = SupporterRef(name="Rosa Delgado")
    for n, day in enumerate(("2026-08-03", "2026-09-03", "2026-10-03"), start=1):
        pay(ledger, "zelle", f"ZL-{n}", day, "25.00", who=rosa)
    pay(ledger, "zelle", "ZL-9", "2026-10-05", "30.00", who=SupporterRef(name="Ben Ode"))

    october, november = dt.date(2026, 10, 3), dt.date(2026, 11, 3)
    assert statuses(ledger, "2026-09-20") == []  # two months are not yet a habit
    current = [("Rosa Delgado", "zelle", "inferred", "25.00", october, november, False)]
    assert statuses(ledger, "2026-10-20") == current
    assert (
        statuses(ledger, "2026-11-13") == current
    )  # due 3 Nov + 10 days' grace: the last good day
    lapsed = [("Rosa Delgado", "zelle", "inferred", "25.00", october, november, True)]
    assert statuses(ledger, "2026-11-14") == lapsed
    assert statuses(ledger, "2026-12-13") == lapsed  # until a second month and the grace pass
    assert statuses(ledger, "2026-12-14") == []  # then it has ended (inferred), on 3 November

    # the statement counts her by the same rule, on each month's last day
    for month, active, lapsed_count, ended in ((10, 1, 0, 0), (11, 0, 1, 0), (12, 0, 0, 1)):
        recurring = monthly_statement(ledger, Month(2026, month)).recurring
        assert (recurring.active, recurring.lapsed, recurring.cancelled) == (
            active, lapsed_count, ended
        )  # fmt: skip
    # the grace period is a setting
    strict = dataclasses.replace(ledger.settings, lapse_grace_days=3)
    quick = Ledger(strict, engine=ledger.engine)
    assert [r.lapsed for r in recurring_status(quick, dt.date(2026, 11, 6))] == [False]
    assert [r.lapsed for r in recurring_status(quick, dt.date(2026, 11, 7))] == [True]

    _, out, _ = cli("supporters", "recurring", "--as-of", "2026-11-14", "--lapsed")
    assert out.splitlines() == in_80_columns(
        [
            "#1 Rosa Delgado: zelle inferred 25.00 USD every month: last paid 2026-10-03, "
            "next due 2026-11-03 (LAPSED)"
        ]
    )
    # her November payment arrives late, on the 20th: current again, next due 20 December
    pay(ledger, "zelle", "ZL-4", "2026-11-20", "25.00", who=rosa)
    assert statuses(ledger, "2026-11-14") == lapsed  # the past stays as it was
    assert statuses(ledger, "2026-12-14") != []
    assert statuses(ledger, "2026-11-21") == [
        (
            "Rosa Delgado",
            "zelle",
            "inferred",
            "25.00",
            dt.date(2026, 11, 20),
            dt.date(2026, 12, 20),
            False,
        )
    ]


def test_the_month_of_a_payment_is_the_writers(ledger):
    """03:30 UTC on 1 Nov is 20:30 on 31 Oct in Phoenix: August, September, October paid."""
    rosa = SupporterRef(name="Rosa Delgado")
    for n, when in enumerate(("2026-08-03", "2026-09-03", "2026-11-01T03:30:00Z"), start=1):
        pay(ledger, "zelle", f"ZL-{n}", when, "25.00", who=rosa)
    (found,) = recurring_status(ledger, dt.date(2026, 10, 31))
    assert (found.last_paid, found.next_due, found.lapsed) == (
        dt.date(2026, 10, 31),
        dt.date(2026, 11, 30),  # one month on, clamped to November's last day
        False,
    )


def test_checks_are_inferred_too_and_merges_join_the_months(ledger, cli):
    """A check in August and September under one name, October under another: after the
    merge the three months are one person's habit."""
    pay(
        ledger,
        "check",
        "check:101:lou green",
        "2026-08-10",
        "50.00",
        who=SupporterRef(name="Lou Green"),
    )
    pay(
        ledger,
        "check",
        "check:102:lou green",
        "2026-09-10",
        "50.00",
        who=SupporterRef(name="Lou Green"),
    )
    pay(
        ledger,
        "check",
        "check:103:louis green",
        "2026-10-10",
        "50.00",
        who=SupporterRef(name="Louis Green"),
    )
    assert recurring_status(ledger, dt.date(2026, 10, 20)) == []
    assert cli("supporters", "merge", "Lou Green", "Louis Green")[0] == 0
    (found,) = recurring_status(ledger, dt.date(2026, 10, 20))
    assert (found.display_name, found.channel, found.basis, found.next_due) == (
        "Lou Green",
        "check",
        "inferred",
        dt.date(2026, 11, 10),
    )


def test_subscriptions_are_recurring_and_lapse_without_payment(ledger, cli):
    book_marguerite(ledger)
    marguerite = supporter_named(ledger, "Marguerite Duval").supporter_id
    lou = supporter_named(ledger, "Lou Green").supporter_id
    pledge = add_subscription(
        ledger, marguerite, [("started", "2026-08-01")], channel="patreon",
        external_id="member-48213377", amount_minor=1000,
    )  # fmt: skip
    with ledger.engine.begin() as connection:  # Patreon's own word on her last charge
        connection.execute(
            Subscription.__table__.update()
            .where(Subscription.__table__.c.id == pledge)
            .values(
                last_charge_at=parse_instant("2026-10-01", ledger.tz), last_charge_status="Paid"
            )
        )
    # a PayPal subscription that ended is no commitment
    add_subscription(
        ledger, marguerite, [("started", "2026-08-01"), ("ended", "2026-08-01")],
        channel="paypal", external_id="I-8RXL1Y23JYX", amount_minor=500,
    )  # fmt: skip
    # an annual one that has never been paid is due from its start
    add_subscription(
        ledger, lou, [("started", "2026-10-25")], channel="paypal", external_id="I-LOU",
        amount_minor=6000, interval="year",
    )  # fmt: skip

    # Lou's annual plan, never paid, is due from its start: 25 Oct. Marguerite's Patreon
    # pledge is still active: Patreon does not itemise payments, so however long since her
    # last charge (1 October, as Patreon states it), only Patreon's own word could make her
    # lapsed, and no payment is ever "due"
    lou_due = ("Lou Green", "paypal", "subscription", "60.00", None, dt.date(2026, 10, 25))
    hers = ("Marguerite Duval", "patreon", "subscription", "10.00", dt.date(2026, 10, 1), None)
    assert statuses(ledger, "2026-11-04") == [(*lou_due, False), (*hers, False)]  # 25 Oct + 10 days
    assert statuses(ledger, "2026-11-05") == [(*lou_due, True), (*hers, False)]
    assert statuses(ledger, "2026-12-31") == [(*lou_due, True), (*hers, False)]
    assert statuses(ledger, "2026-10-20") == [(*hers, False)]  # before Lou's starts
    _, out, _ = cli("supporters", "show", "Marguerite Duval", "--as-of", "2026-12-31")
    shown = in_80_columns(
        [
            "recurring: patreon subscription 10.00 USD every month: last paid 2026-10-01, "
            "next due unknown (current)",
            "recurring: paypal subscription 5.00 USD every month: last paid never, next due "
            "unknown (ended 2026-08-01)",
            "patreon says (export of unknown): lifetime unknown, last charge 2026-10-01 (Paid)",
        ]
    )
    assert out.splitlines()[5 : 5 + len(shown)] == shown


def test_a_patron_lapses_when_patreon_says_declined_a_paypal_plan_by_its_payments(ledger):
    """Patreon pays the month's pledges as one earnings receipt linked to no patron, so an
    active patron without a payment is current and a declined one lapsed. A PayPal
    subscription's payments name it: it lapses when one is overdue past the grace."""
    with ledger.session() as session:
        patrons = [Supporter(display_name=name) for name in ("Dev Patel", "June Park")]
        session.add_all(patrons)
        session.commit()
        dev, june = (p.id for p in patrons)
    started = [("started", "2026-07-01")]
    for who, external_id, history in (
        (dev, "40002", started),
        (june, "40005", [*started, ("declined", "2026-10-01")]),
    ):
        add_subscription(
            ledger, who, history, channel="patreon", external_id=external_id, amount_minor=1000
        )
    # Patreon's October earnings: one receipt for every patron, nobody's
    pay(ledger, "patreon", "earnings:2026-10", "2026-10-01", "20.00", "2.78", kind=Kind.RECURRING)
    # Mina's October payment names her billing agreement (the import makes the subscription
    # from it, monthly): next due 1 November
    pay(
        ledger, "paypal", "PP-MINA-10", "2026-10-01", "10.00", "0.84",
        SupporterRef(name="Mina Park"), kind=Kind.RECURRING, subscription="I-MINA",
        interval=MONTH,
    )  # fmt: skip
    dev_row = ("Dev Patel", "patreon", "subscription", "10.00", None, None, False)
    june_row = ("June Park", "patreon", "subscription", "10.00", None, None, True)
    mina_row = ("Mina Park", "paypal", "subscription", "10.00", dt.date(2026, 10, 1))
    due = dt.date(2026, 11, 1)
    assert statuses(ledger, "2026-10-31") == [dev_row, june_row, (*mina_row, due, False)]
    # 1 November + 10 days of grace: Mina is lapsed from the 12th; Dev never is
    assert statuses(ledger, "2026-11-11") == [dev_row, june_row, (*mina_row, due, False)]
    assert statuses(ledger, "2026-11-12") == [dev_row, june_row, (*mina_row, due, True)]
    # June's decline was within the grace days until 11 October: current in the figures
    assert [r.lapsed for r in recurring_status(ledger, dt.date(2026, 10, 11))] == [False] * 3


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 12) == dt.date(2027, 11, 15)
    assert add_months(dt.date(2026, 12, 3), 1) == dt.date(2027, 1, 3)


# --- forgetting ---------------------------------------------------------------------------


def figures(ledger):
    """Receipt sums per channel and month (gross, fee, net, count): a statement's figures."""
    sums = defaultdict(lambda: [0, 0, 0, 0])
    for r, _ in list_receipts(ledger):
        line = sums[(r.channel, str(Month.of(r.occurred_at, ledger.tz)), r.status)]
        for i, value in enumerate((r.gross_minor, r.fee_minor, r.net_minor, 1)):
            line[i] += value
    return dict(sums)


def traces_in_rows(ledger, words):
    """(table, word) for every word found in any column of any row, ignoring case."""
    tables = MetaData()
    tables.reflect(ledger.engine)
    found = set()
    with ledger.engine.connect() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(table.select()):
                cells = " ".join(str(v) for v in row).lower()
                found |= {(table.name, w) for w in words if w.lower() in cells}
    return found


def traces_in_files(ledger, words):
    """Words found in the raw bytes of the SQLite file and its -wal and -shm companions."""
    path = Path(make_url(ledger.settings.database_url).database)
    found = set()
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            data = file.read_bytes().lower()
            found |= {(file.name, w) for w in words if w.lower().encode() in data}
    return found


def test_forget_erases_a_person_and_keeps_every_figure(ledger, cli, caplog):
    caplog.set_level(logging.DEBUG, logger="supportledger")
    book_marguerite(ledger)
    # a check typed in by hand (its id, check:3377:RANDOM, holds nothing of her)
    code, _, err = cli(
        "add",
        "--channel",
        "check",
        "--amount",
        "60.00",
        "--date",
        "2026-10-20",
        "--from",
        "DUVAL, MARGUERITE",
        "--check-number",
        "3377",
    )
    assert (code, err) == (0, "")
    zelle = pay(
        ledger,
        "zelle",
        "ZL-77120",
        "2026-10-22",
        "15.00",
        who=SupporterRef(name="Marguerite Duval", email="mduval@example.net"),
        description="ZELLE FROM MARGUERITE  DUVAL CONF# 77120",
    )
    marguerite = supporter_named(ledger, "Marguerite Duval").supporter_id
    assert cli("supporters", "merge", "Marguerite Duval", "DUVAL, MARGUERITE")[0] == 0
    with ledger.session() as session:
        session.add(
            BankLine(
                account="checking",
                external_id="fitid-1",
                posted_on=dt.date(2026, 10, 22),
                currency="USD",
                amount_minor=1500,
                description="Zelle from MARGUERITE DUVAL conf 77120",
                classification="income",
                counterparty="zelle",
                receipt_id=zelle.id,
            )
        )
        session.commit()
    rebuild_ledger(ledger)  # the line went straight into its table
    # a second Patreon account of hers (found by her name on Patreon): $5.00, fee 8% = 0.40
    # plus 2.9% + 0.30 = 0.445 → 0.45, so 0.85, net 4.15
    pay(
        ledger,
        "patreon",
        "pt-202610-51000999",
        "2026-10-01",
        "5.00",
        "0.85",
        SupporterRef(name="Marguerite Duval", user_id="51000999"),
        kind=Kind.RECURRING,
    )
    # the Patreon importer keys a subscription on the member's user id itself
    for user_id, amount in (("48213377", 1000), ("51000999", 500)):
        add_subscription(
            ledger,
            marguerite,
            [("started", "2026-08-01")],
            channel="patreon",
            external_id=user_id,
            amount_minor=amount,
        )
    # a Zelle credit the bank named her on, never tied to a supporter
    unresolved = pay(
        ledger,
        "zelle",
        "bank:checking:fitid-2",
        "2026-10-25",
        "20.00",
        description="Zelle payment from Marguerite Duval",
    )
    with ledger.session() as session:
        session.add(
            BankLine(
                account="checking",
                external_id="fitid-2",
                posted_on=dt.date(2026, 10, 25),
                currency="USD",
                amount_minor=2000,
                description="ZELLE PAYMENT FROM MARGUERITE DUVAL",
                classification="income",
                counterparty="zelle",
                receipt_id=unresolved.id,
            )
        )
        session.commit()
    rebuild_ledger(ledger)
    traces = (*HER_TRACES, "51000999")
    sqlite = ledger.engine.dialect.name == "sqlite"
    # the scans can fail: before forgetting, every trace is there to be found
    assert {w for _, w in traces_in_rows(ledger, traces)} == set(traces)
    if sqlite:
        assert {w for _, w in traces_in_files(ledger, traces)} == set(traces)
    before = figures(ledger)
    # 173.59 (see above) + 15.00 Zelle + 4.15 second Patreon = 192.74; the 60.00 check
    # typed in is pending (not yet deposited), so not given yet, as on the statement
    assert supporter_named(ledger, "Marguerite Duval").lifetime_net.plain() == "192.74"
    lou_before = supporter_named(ledger, "Lou Green")

    code, out, err = cli("supporters", "forget", "Marguerite Duval", "--yes")
    assert (code, err) == (0, "")
    label = f"former supporter #{marguerite}"
    assert out == f"forgotten: now '{label}'; receipts kept (2 supporter record(s) erased of " \
                  "personal data)\n"  # fmt: skip

    assert figures(ledger) == before
    assert supporter_named(ledger, label).lifetime_net.plain() == "192.74"
    assert supporter_named(ledger, "Lou Green") == lou_before
    assert traces_in_rows(ledger, traces) == set()
    with ledger.session() as session:  # ids that named her are replaced, still unique
        subscriptions = session.exec(select(Subscription.id, Subscription.external_id)).all()
    assert sorted(external_id for _, external_id in subscriptions) == sorted(
        f"forgotten:{sid}" for sid, _ in subscriptions
    )
    if sqlite:
        assert traces_in_files(ledger, traces) == set()
        path = Path(make_url(ledger.settings.database_url).database)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with ledger.engine.connect() as connection:
            assert connection.execute(text("PRAGMA secure_delete")).scalar_one() == 1
    # her receipts are still hers (under the pseudonym), still found by id
    _, out, _ = cli(
        "supporters", "show", str(marguerite), "--as-of", "2026-11-05", "--format", "json"
    )
    page = json.loads(out)
    # gross 180.00 + 15.00 + 5.00
    assert (page["name"], page["lifetime"]) == (label, {"gross": "200.00", "net": "192.74"})
    assert cli("supporters", "show", "Marguerite Duval")[2] == (
        "supportledger: no supporter 'Marguerite Duval'; `supportledger supporters` lists them\n"
    )
    # logs name supporters by id only
    assert f"#{marguerite}" in caplog.text
    assert not [w for w in traces if w.lower() in caplog.text.lower()]


def test_forget_asks_first(ledger, cli, monkeypatch):
    pay(ledger, "zelle", "ZL-1", "2026-10-01", "25.00", who=SupporterRef(name="Ana Ruiz"))
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest
    code, _, err = cli("supporters", "forget", "Ana Ruiz")
    assert (code, err) == (1, "supportledger: nothing forgotten (answer y, or give --yes)\n")
    assert [p.display_name for p in list_supporters(ledger)] == ["Ana Ruiz"]


MEMBERS_CSV = (
    "Name,Email,Discord,Patron Status,Follows You,Free Member,Free Trial,Lifetime Amount,"
    "Pledge Amount,Charge Frequency,Tier,Addressee,Street,City,State,Zip,Country,Phone,"
    "Patronage Since Date,Last Charge Date,Last Charge Status,Additional Details,User ID,"
    "Last Updated,Currency,Max Posts,Access Expiration,Next Charge Date,Full country name,"
    "Subscription Source\n"
    "Marguerite Duval,mduval@example.net,,Active patron,Yes,No,No,$30.00,$10.00,monthly,"
    "Reader,Marguerite Duval,1428 Elm Street,Tucson,AZ,85701,US,520-555-0199,"
    "2026-08-01 07:12:45,2026-10-01 07:00:03,Paid,,48213377,2026-10-02 10:00:00,USD,,,"
    "2026-11-01,United States,patreon\n"
    "Lou Green,lou@example.org,,Active patron,No,No,No,$15.00,$5.00,monthly,Reader,,,,,,,,"
    "2026-08-01 08:00:00,2026-10-01 07:00:00,Paid,,48213378,2026-10-02 10:00:00,USD,,,,,"
    "patreon\n"
)


def test_forget_after_a_real_patreon_import(ledger, cli, tmp_path):
    """The members export through the import writer: her address and phone land in
    supporter_details, her user id is her subscription's id; forget takes them all."""
    members = tmp_path / "Members_1234567.csv"
    members.write_text(MEMBERS_CSV, encoding="utf-8")
    code, _, err = cli("import", str(members))
    assert (code, err) == (0, "")
    zelle_payer = SupporterRef(name="Marguerite Duval", email="mduval@example.net")
    pay(ledger, "zelle", "ZL-3", "2026-10-22", "15.00", who=zelle_payer)
    assert {w for _, w in traces_in_rows(ledger, HER_TRACES)} == set(HER_TRACES)
    before = figures(ledger)
    assert cli("supporters", "forget", "Marguerite Duval", "--yes")[0] == 0
    assert figures(ledger) == before
    assert traces_in_rows(ledger, HER_TRACES) == set()
    if ledger.engine.dialect.name == "sqlite":
        assert traces_in_files(ledger, HER_TRACES) == set()
    # Lou's subscription and details are untouched
    standing = recurring_status(ledger, dt.date(2026, 10, 20))
    assert [(r.display_name, r.amount.plain()) for r in standing] == [
        ("former supporter #1", "10.00"),
        ("Lou Green", "5.00"),
    ]
    # the same file again adds nothing: it does not bring her back
    code, _, _ = cli("import", str(members))
    assert code == 0
    assert traces_in_rows(ledger, HER_TRACES) == set()


def test_forget_misses_no_trace_a_short_name_an_unlinked_bank_line_or_a_check_id(ledger, cli):
    """A name of two letters, bank lines tied to no receipt that name her in the bank's
    own ways, a note on someone else's receipt, and the check she mailed."""
    code, _, err = cli(
        "add", "--channel", "check", "--amount", "30.00", "--date", "2026-10-02",
        "--from", "Bo Li", "--check-number", "3141",
    )  # fmt: skip
    assert (code, err) == (0, "")
    pay(ledger, "zelle", "ZL-9", "2026-10-05", "12.00", who=SupporterRef(name="Bo Li"))
    pay(ledger, "paypal", "PP-7", "2026-10-06", "9.00", who=SupporterRef(name="Cy Park"),
        description="for Bo Li's birthday")  # fmt: skip
    unlinked = {
        "f-1": ("Zelle payment to BO LI 88120", "ignored"),  # money sent back to her
        "f-2": ("ONLINE TRANSFER FROM LI B", "unclassified"),  # surname, initial
        "f-3": ("BIRMINGHAM AL COFFEE", "unclassified"),  # nothing of her: kept as it is
    }
    with ledger.session() as session:
        for external_id, (description, classification) in unlinked.items():
            session.add(
                BankLine(
                    account="checking", external_id=external_id, posted_on=dt.date(2026, 10, 7),
                    currency="USD", amount_minor=-1000, description=description,
                    classification=classification,
                )
            )  # fmt: skip
        session.commit()
    with ledger.engine.connect() as connection:
        check_id = connection.execute(
            text("select external_id from receipts where channel = 'check'")
        ).scalar_one()
    # the id of the check carries nothing derived from her name: not even a hash of it
    assert check_id.startswith("check:3141:")
    assert hashlib.sha256(b"bo li").hexdigest()[:12] not in check_id

    assert cli("supporters", "merge", "1", "2")[0] == 0  # her check and her Zelle: one person
    assert cli("supporters", "forget", "Bo Li", "--yes")[0] == 0

    with ledger.engine.connect() as connection:
        lines = dict(
            connection.execute(text("select external_id, description from bank_lines")).all()
        )
        notes = connection.execute(text("select description from receipts")).scalars().all()
    label = "former supporter #1"
    assert lines == {
        "f-1": f"Zelle payment to {label} 88120",
        "f-2": f"ONLINE TRANSFER FROM {label}",
        "f-3": "BIRMINGHAM AL COFFEE",
    }
    assert f"for {label}'s birthday" in notes
    assert not [
        hit for hit in traces_in_rows(ledger, ("Bo Li", "LI B")) if hit[0] != "import_batches"
    ]


def test_the_same_check_typed_in_twice_is_refused_by_its_number_and_payer(cli):
    args = ("add", "--channel", "check", "--amount", "100", "--date", "2026-10-06",
            "--check-number", "2041")  # fmt: skip
    assert cli(*args, "--from", "Lou Green")[0] == 0
    code, _, err = cli(*args, "--from", "lou  GREEN")  # the same payer, typed differently
    assert (code, err) == (
        1, "supportledger: Check number 2041 from this payer is already recorded as receipt #1\n"
    )  # fmt: skip
    assert cli(*args, "--from", "Ana Ruiz")[0] == 0  # another payer's check 2041
    assert cli(*args)[0] == 0  # a check 2041 from nobody named
    assert cli(*args)[0] == 1


def test_a_patrons_page_shows_patreons_own_figures_beside_the_ledgers(ledger, cli, tmp_path):
    """Patreon pays the month's pledges as one earnings sum, so the ledger has no receipt of
    Lou's: his page shows what the members export says he paid, as Patreon's figures."""
    members = tmp_path / "Members_1234567.csv"
    members.write_text(MEMBERS_CSV, encoding="utf-8")
    assert cli("import", str(members))[0] == 0

    _, out, _ = cli("supporters", "show", "Lou Green", "--as-of", "2026-10-20")
    shown = in_80_columns(
        [
            "lifetime          0.00        0.00",
            "2026              0.00        0.00",
            "recurring: patreon subscription 5.00 USD every month: last paid 2026-10-01, next "
            "due unknown (current)",
            # the export is dated by its newest date: Last Updated, 10:00 UTC on 2 October
            "patreon says (export of 2026-10-02): lifetime 15.00 USD, last charge 2026-10-01 "
            "(Paid)",
        ]
    )
    assert out.splitlines()[3 : 3 + len(shown)] == shown
    _, out, _ = cli("supporters", "show", "Lou Green", "--format", "json")
    assert json.loads(out)["stated_by_channel"] == [
        {
            "channel": "patreon",
            "stated_on": "2026-10-02",
            "lifetime": "15.00",
            "currency": "USD",
            "last_charge": "2026-10-01",
            "last_charge_status": "Paid",
        }
    ]
