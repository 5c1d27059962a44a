"""Upgrades keep data: a ledger built by the first released schema (0001_core) and filled
through plain SQL, as that version wrote it, comes out of ``supportledger init`` with every
row and every figure unchanged, and the newer tables beside it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, text

from conftest import TIMEZONE, assert_money_invariants
from supportledger.cli import main
from supportledger.config import load_settings
from supportledger.db import current_revision, make_engine, upgrade
from supportledger.ledger import Ledger
from supportledger.months import Month
from supportledger.statement import monthly_statement

FIRST = "0001_core"
#: the tables 0001_core made; later migrations may add columns, never lose a value
OLD_TABLES = ("import_batches", "supporters", "supporter_handles", "supporter_details",
              "subscriptions", "receipts", "payouts", "bank_lines", "channel_balances")  # fmt: skip
NEWER_TABLES = {
    "month_closes", "deliveries", "tax_forms", "postings", "journal_months",
    "subscription_events",
}  # fmt: skip

# Timestamps as that version stored them: naive UTC with microseconds.
ROWS = """
insert into import_batches (id, source, file_name, sha256, started_at, channel, covers_from,
  covers_to, rows, added, updated, skipped) values
  (1, 'paypal', 'Download.CSV', 'ab12', '2026-11-02 18:00:00.000000', 'paypal',
   '2026-10-01 16:15:00.000000', '2026-11-01 06:30:00.000000', 16, 10, 0, 6),
  (2, 'patreon-members', 'Members_1234567.csv', 'cd34', '2026-11-03 18:00:00.000000',
   'patreon', null, null, 3, 3, 0, 0);
insert into supporters (id, display_name, created_at) values
  (1, 'Ana Ruiz', '2026-11-02 18:00:00.000000'),
  (2, 'Bo Li', '2026-11-02 18:00:00.000000'),
  (3, 'LOU GREEN', '2026-11-03 18:00:00.000000');
insert into supporter_handles (id, supporter_id, channel, kind, value) values
  (1, 1, 'paypal', 'email', 'ana@example.org'),
  (2, 2, 'paypal', 'email', 'bo@example.org'),
  (3, 3, 'zelle', 'name', 'lou green');
insert into supporter_details (id, supporter_id, name, value) values
  (1, 1, 'street', '12 Elm St'), (2, 1, 'city', 'Tucson');
insert into subscriptions (id, channel, external_id, supporter_id, tier, amount_minor, currency,
  interval, status, started_at, batch_id) values
  (1, 'paypal', 'I-BOLI0001', 2, null, 500, 'USD', 'month', 'active',
   '2026-10-01 16:20:00.000000', 1),
  (2, 'patreon', '81234568', 3, 'Patron', 1000, 'USD', 'year', 'cancelled',
   '2024-03-15 12:00:00.000000', 2),
  (3, 'patreon', '81234569', 1, 'Reader', 300, 'USD', 'month', 'declined',
   '2026-09-01 08:00:00.000000', 2);
insert into receipts (id, channel, external_id, kind, event, status, occurred_at, currency,
  gross_minor, fee_minor, net_minor, expected_fee_minor, flags, reverses_id, supporter_id,
  subscription_id, check_number, description, due_on, batch_id) values
  (1, 'paypal', '1AN00000000000001', 'one_time', 'payment', 'completed',
   '2026-10-01 16:15:00.000000', 'USD', 102000, 3609, 98391, 3609, '', null, 1, null, null,
   '', null, 1),
  (2, 'paypal', '2BO00000000000001', 'recurring', 'payment', 'completed',
   '2026-10-01 16:20:00.000000', 'USD', 500, 66, 434, 66, '', null, 2, 1, null, '', null, 1),
  (3, 'paypal', '8ED00000000000001', 'one_time', 'payment', 'completed',
   '2026-10-05 21:00:00.000000', 'USD', 2000, 119, 1881, 119, '', null, null, null, null, '',
   null, 1),
  (4, 'paypal', '9RF00000000000001', 'one_time', 'refund', 'completed',
   '2026-10-09 17:00:00.000000', 'USD', -2000, 0, -2000, 0, '', 3, null, null, null, '', null,
   1),
  (5, 'paypal', 'EFA00000000000001', 'one_time', 'payment', 'completed',
   '2026-11-01 06:30:00.000000', 'USD', 10000, 398, 9602, 398, '', null, null, null, null, '',
   null, 1),
  (6, 'zelle', 'bank:chase:zelle:18473625190', 'one_time', 'payment', 'completed',
   '2026-10-03 07:00:00.000000', 'USD', 4000, 0, 4000, 0, '', null, 3, null, null,
   'Zelle payment from LOU GREEN', null, null),
  (7, 'check', 'check:2041', 'one_time', 'payment', 'deposited', '2026-11-02 07:00:00.000000',
   'USD', 10000, 0, 10000, 0, '', null, 3, null, '2041', '', null, null),
  (8, 'kdp', 'royalty:2026-10:x1', 'sale', 'payment', 'completed', '2026-10-01 07:00:00.000000',
   'USD', 4990, 1623, 3367, 1630, '', null, null, null, null, 'The Long Road', '2026-12-31',
   null),
  (9, 'patreon', 'earnings:2026-09', 'recurring', 'payment', 'completed',
   '2026-09-01 07:00:00.000000', 'USD', 85000, 9920, 75080, 9920, '', null, null, null, null,
   '', null, null);
insert into payouts (id, channel, external_id, initiated_at, arrived_on, currency, amount_minor,
  fee_minor, status, batch_id) values
  (1, 'paypal', 'DWD00000000000001', '2026-11-01 00:30:00.000000', '2026-11-03', 'USD', 102728,
   0, 'paid', 1),
  (2, 'patreon', 'payout:2026-10-05:0', '2026-10-05 07:00:00.000000', null, 'USD', 73580, 25,
   'paid', null);
insert into bank_lines (id, account, external_id, posted_on, currency, amount_minor, description,
  classification, counterparty, receipt_id, payout_id, batch_id) values
  (1, 'chase', 'zelle:18473625190', '2026-10-03', 'USD', 4000, 'Zelle payment from LOU GREEN',
   'zelle', 'LOU GREEN', 6, null, null),
  (2, 'chase', 'f00d', '2026-11-03', 'USD', 102728, 'PAYPAL TRANSFER', 'payout', 'paypal', null,
   1, null);
insert into channel_balances (id, channel, currency, as_of, amount_minor, batch_id) values
  (1, 'paypal', 'USD', '2026-11-01 06:30:00.000000', 9602, 1);
"""

#: worked out by hand from ROWS, in Phoenix months: (channel, month) -> count, gross, fee, net
RECEIPT_FIGURES = {
    # 1,020.00 + 5.00 + 20.00 − 20.00 + 100.00 (23:30 on 31 Oct in Phoenix)
    ("paypal", "2026-10"): (5, 112500, 4192, 108308),
    ("zelle", "2026-10"): (1, 4000, 0, 4000),
    ("kdp", "2026-10"): (1, 4990, 1623, 3367),
    ("check", "2026-11"): (1, 10000, 0, 10000),
    ("patreon", "2026-09"): (1, 85000, 9920, 75080),
}
#: (channel, month) -> count, amount, fee; the PayPal withdrawal is 17:30 on 31 Oct in Phoenix
PAYOUT_FIGURES = {("paypal", "2026-10"): (1, 102728, 0), ("patreon", "2026-10"): (1, 73580, 25)}


def month_of(instant) -> str:
    if isinstance(instant, str):  # SQLite hands back the stored text
        instant = dt.datetime.fromisoformat(instant)
    return f"{instant.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(TIMEZONE)):%Y-%m}"


def figures(connection, table: str, when: str, columns: str) -> dict:
    """(channel, month) -> (count, sums of ``columns``...) of ``table``, dated by ``when``."""
    width = 1 + len(columns.split(","))
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * width)
    for channel, instant, *amounts in connection.execute(
        text(f"select channel, {when}, {columns} from {table}")
    ):
        found = sums[(channel, month_of(instant))]
        found[0] += 1
        for i, amount in enumerate(amounts, start=1):
            found[i] += amount
    return {key: tuple(value) for key, value in sums.items()}


def first_columns(engine) -> dict[str, list[str]]:
    return {t: [c["name"] for c in inspect(engine).get_columns(t)] for t in OLD_TABLES}


def snapshot(engine, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of the first schema's tables, in the first schema's ``columns``."""
    found = {}
    with engine.connect() as connection:
        for table in OLD_TABLES:
            rows = connection.execute(
                text(f"select {', '.join(columns[table])} from {table} order by id")
            )
            found[table] = [tuple(map(str, row)) for row in rows]
        found["receipt figures"] = figures(
            connection, "receipts", "occurred_at", "gross_minor, fee_minor, net_minor"
        )
        found["payout figures"] = figures(
            connection, "payouts", "initiated_at", "amount_minor, fee_minor"
        )
    return found


def history(ledger) -> list[tuple]:
    with ledger.engine.connect() as connection:
        return [
            (sid, state, minute(at), amount, interval, batch)
            for sid, state, at, amount, interval, batch in connection.execute(
                text(
                    "select subscription_id, state, effective_at, amount_minor, interval,"
                    " batch_id from subscription_events order by subscription_id, id"
                )
            )
        ]


def minute(instant) -> str:
    """A stored UTC instant to the minute, as either backend hands it back."""
    if isinstance(instant, str):
        instant = dt.datetime.fromisoformat(instant)
    return f"{instant:%Y-%m-%d %H:%M}"


def test_a_first_schema_ledger_upgrades_with_every_figure_unchanged(
    database_url, tmp_path, monkeypatch
):
    engine = make_engine(database_url)
    upgrade(engine, FIRST)
    assert current_revision(engine) == FIRST
    with engine.begin() as connection:
        for statement in filter(str.strip, ROWS.split(";")):
            connection.execute(text(statement))
    columns = first_columns(engine)
    before = snapshot(engine, columns)
    engine.dispose()
    assert before["receipt figures"] == RECEIPT_FIGURES
    assert before["payout figures"] == PAYOUT_FIGURES

    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name, value in {"DATABASE_URL": database_url, "LEDGER_TIMEZONE": TIMEZONE,
                        "BASE_CURRENCY": "USD"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert main(["init"]) == 0

    ledger = Ledger(load_settings(dotenv_path=tmp_path / "no.env"))
    try:
        assert current_revision(ledger.engine) != FIRST
        # every row as it was, but the Zelle credit: income on the zelle channel now (its
        # payer is its receipt's supporter), as migration 0011 makes it
        kind, party = (columns["bank_lines"].index(c) for c in ("classification", "counterparty"))
        zelle = list(before["bank_lines"][0])
        assert (zelle[kind], zelle[party]) == ("zelle", "LOU GREEN")
        zelle[kind], zelle[party] = "income", "zelle"
        after = {**before, "bank_lines": [tuple(zelle), *before["bank_lines"][1:]]}
        assert snapshot(ledger.engine, columns) == after
        tables = set(inspect(ledger.engine).get_table_names())
        assert tables >= NEWER_TABLES, NEWER_TABLES - tables
        assert_money_invariants(ledger)
        # and the current code reads the old rows: October's statement, by hand from ROWS —
        # payments 1,020 + 5 + 20 + 100 (PayPal) + 40 (Zelle) + 49.90 (KDP) = 1,234.90,
        # the 20.00 refund, fees 41.92 + 16.23 = 58.15, net 1,156.75
        statement = monthly_statement(ledger, Month(2026, 10))
        october = statement.totals.figures
        assert (october.count, october.gross.minor, october.refunds.minor) == (6, 123490, 2000)
        assert (october.fees.minor, october.net.minor) == (5815, 115675)
        # each subscription gets the history its row implies: started on its start, and a
        # status other than active from its end, else from the day its export was imported
        # (that version stored a former patron with no end date: Lou's ends on 3 November)
        assert history(ledger) == [
            (1, "started", "2026-10-01 16:20", 500, "month", 1),
            (2, "started", "2024-03-15 12:00", 1000, "year", 2),
            (2, "ended", "2026-11-03 18:00", 1000, "year", 2),
            (3, "started", "2026-09-01 08:00", 300, "month", 2),
            (3, "declined", "2026-11-03 18:00", 300, "month", 2),
        ]
        # so October keeps all three: Bo's PayPal 5.00 (paid 1 October), Lou's 10.00 a year
        # and Ana's 3.00: 500 + 1000 / 12 + 300 = 883.33 cents
        assert (statement.recurring.active, statement.recurring.mrr_gross.minor) == (3, 883)
        # every per-channel, per-month figure, now read from the journal init derived: the
        # rows' gross (refunds taken off), fees and net
        for (channel, month), (_, gross, fee, net) in RECEIPT_FIGURES.items():
            statement = monthly_statement(ledger, Month.parse(month))
            f = next(c for c in statement.channels if c.channel == channel).figures
            assert ((f.gross - f.refunds).minor, f.fees.minor, f.net.minor) == (gross, fee, net)
    finally:
        ledger.engine.dispose()


def test_hand_recorded_check_ids_lose_the_hash_of_the_payers_name(database_url):
    """Before 0010_hardening a check typed in by hand was check:NUMBER:HASH, HASH the first
    12 hex digits of sha256 of the payer's lower-cased name: exported, it confirmed a
    guessed name. The upgrade gives each a random token, its adjustments the same one."""
    from alembic.script import ScriptDirectory

    from supportledger.db import alembic_config

    engine = make_engine(database_url)
    before = ScriptDirectory.from_config(alembic_config(engine)).get_revision("0010_hardening")
    upgrade(engine, before.down_revision)
    hashed = hashlib.sha256(b"lou green").hexdigest()[:12]
    with engine.begin() as connection:
        for row_id, external_id, gross, event in (
            (1, f"check:3141:{hashed}", 10000, "payment"),
            (2, f"check:3141:{hashed}#adjustment-1", -10000, "adjustment"),
            (3, "check:2041", 5000, "payment"),  # keyed by hand (--id): not a hash, kept
        ):
            connection.execute(
                text(
                    "insert into receipts (id, channel, external_id, kind, event, status,"
                    " occurred_at, currency, gross_minor, fee_minor, net_minor, flags,"
                    " description) values (:id, 'check', :external_id, 'one_time', :event,"
                    " 'pending', '2026-10-06 07:00:00.000000', 'USD', :gross, 0, :gross, '', '')"
                ),
                {"id": row_id, "external_id": external_id, "gross": gross, "event": event},
            )
    upgrade(engine)
    with engine.connect() as connection:
        ids = dict(connection.execute(text("select id, external_id from receipts")).all())
    engine.dispose()
    token = ids[1].removeprefix("check:3141:")
    assert len(token) == 12 and token != hashed
    assert ids == {1: f"check:3141:{token}", 2: f"check:3141:{token}#adjustment-1", 3: "check:2041"}
