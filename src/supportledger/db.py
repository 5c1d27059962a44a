"""Engines, the writers' lock and schema upgrades for SQLite (the embedded default) and
PostgreSQL.

SQLite files are created readable by their owner only (an existing one readable by others
is warned about), in a folder that must already exist (a typo in ``DATABASE_URL`` is not a
new empty ledger). They run in WAL mode with a busy timeout (an import and a statement can
run at once), ``synchronous=FULL`` (a commit, such as the e-mail job's claim before it
sends, survives a power cut) and ``secure_delete`` so erased personal data does not linger
in free pages.
"""

from __future__ import annotations

import os
import stat
import warnings
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from sqlalchemy import Connection, Dialect, Engine, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from supportledger.errors import LedgerError

MIGRATIONS = Path(__file__).with_name("migrations")
#: the largest row id there can be (a 64-bit integer column's): a number beyond is no row
MAX_ROW_ID = 2**63 - 1
BUSY_TIMEOUT_MS = 30_000
#: the first key of the PostgreSQL advisory lock every writer of a ledger takes (the second
#: is the ledger's schema, so two ledgers in one database do not wait for each other)
WRITERS_LOCK = 0x534C4701
#: SQLSTATEs of a transaction PostgreSQL rolled back for a clash with another: serialization
#: failure, deadlock detected. Running it again is the remedy
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _private_file(path: Path) -> None:
    """Create the database file with mode 0600 before SQLite creates it with the umask; warn,
    in one line, when an existing one can be read by other users."""
    if path.exists():
        if stat.S_IMODE(path.stat().st_mode) & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.warn(
                f"{path} can be read by other users and holds supporters' personal data: "
                f"chmod 600 {path}",
                stacklevel=4,
            )
        return
    if not path.parent.is_dir():
        raise LedgerError(
            f"DATABASE_URL: the folder {path.parent} does not exist (create it, or correct "
            f"the path)"
        )
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


#: every engine this process made and still holds, so that a run of the command line can
#: close its pooled connections as it ends (see :func:`release_engines`)
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def release_engines() -> None:
    """Close the pooled connections of every engine made so far. A process that ends closes
    them anyway; a command run in-process (tests, a program calling ``cli.main``) must not
    leave them for the garbage collector, or a PostgreSQL server runs out of connections."""
    for engine in list(_ENGINES):
        engine.dispose()


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url`` with the ledger's connection settings applied."""
    engine = _engine(url, **kwargs)
    _ENGINES.add(engine)
    return engine


def _engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            _private_file(path)
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS // 1000},
            hide_parameters=True,  # bound values may be supporters' names: keep them out
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


@contextmanager
def writing(engine: Engine) -> Iterator[tuple[Connection, Session]]:
    """A transaction no other writer of the ledger interleaves with, and a session sharing
    it. Nothing is kept unless the caller commits (``connection.commit()``).

    Every command that reads and then writes (imports, ``add``, ``undo``, ``close``,
    ``reopen``, ``forget``, ``merge``, ``match``) starts here, so what it read is still true
    when it writes: SQLite takes its write lock at once (``BEGIN IMMEDIATE``); PostgreSQL
    takes the ledger's advisory lock first, and then each statement (READ COMMITTED) sees
    every writer that finished before. Writers queue up in one order, so they cannot
    deadlock one another; readers are never held up.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                {"key": WRITERS_LOCK},
            )
        session = Session(bind=connection, autoflush=True)
        try:
            yield connection, session
        finally:
            session.close()


@lru_cache(maxsize=64)
def _bulk(table: Table, names: tuple[str, ...], dialect: Dialect) -> tuple[str, tuple]:
    """The statement that inserts ``names`` into ``table`` on ``dialect`` and, for each
    column that has one, its position and bind processor (what ``insert(table)`` would
    apply, remembered: the legs of a receipt repeat its instant), worked out once."""
    defaulted = [c.name for c in table.c if c.default is not None and c.name not in names]
    if defaulted:  # insert() would fill these in Python; plain tuples cannot
        raise ValueError(f"rows for {table.name} leave out {defaulted}, which have defaults")
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    if dialect.name == "postgresql":
        statement = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
    else:
        marks = ", ".join("?" * len(names))
        statement = f"INSERT INTO {quote.format_table(table)} ({columns}) VALUES ({marks})"
    binders = tuple(
        (
            position,
            _same_as_last(_sqlite_utc_text)
            if _utc_on_sqlite(column, dialect)
            else _remembered(bind),
        )
        for position, column in enumerate(table.c[name] for name in names)
        if (bind := column.type._cached_bind_processor(dialect)) is not None
    )
    return statement, binders


def _utc_on_sqlite(column, dialect: Dialect) -> bool:
    """A UTC instant column stored as SQLite text in SQLAlchemy's own format."""
    from sqlalchemy.dialects.sqlite import DATETIME

    from supportledger.models import UTCDateTime

    if dialect.name != "sqlite" or type(column.type) is not UTCDateTime:
        return False
    stored = column.type.dialect_impl(dialect).impl_instance
    return isinstance(stored, DATETIME) and stored._storage_format == _SQLITE_DATETIME


#: SQLAlchemy's storage format for a SQLite DATETIME (``isoformat(" ", "microseconds")``)
_SQLITE_DATETIME = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


def _sqlite_utc_text(value):
    """What :class:`~supportledger.models.UTCDateTime` then SQLite's DATETIME make of an
    aware instant, in one C call rather than two Python ones and a ``%`` format a cell
    (every receipt and posting has one, all different)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; attach a time zone first")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _remembered(bind):
    """``bind`` remembered per value, keyed with the value's type and ``fold`` too: two local
    times an hour apart at a clock change compare equal, and must not share a result."""
    remembered = lru_cache(maxsize=4096)(lambda value, kind, fold: bind(value))
    return _same_as_last(lambda value: remembered(value, type(value), getattr(value, "fold", 0)))


def _same_as_last(bind):
    """``bind`` answering the very object it was just given (a receipt's legs share its
    time) as it did, with no key to hash."""
    last: list = [object(), None]

    def processed(value):
        if value is not last[0]:
            last[:] = value, bind(value)
        return last[1]

    return processed


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping] | Sequence[tuple],
    names: tuple[str, ...] | None = None,
) -> None:
    """Insert ``rows`` (each with the keys of the first, or tuples of ``names``) as plain
    tuples: the driver's own ``executemany`` on SQLite, one ``COPY`` on PostgreSQL (psycopg
    escapes every value).

    What is stored is what ``connection.execute(insert(table), rows)`` stores (the same
    bind processing), without building SQLAlchemy's parameters row by row, which cost
    more than the insert itself on a big import."""
    if not rows:
        return
    if names is None:
        names = tuple(rows[0])
        values = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        rows = list(map(values, rows))
    statement, binders = _bulk(table, names, connection.dialect)
    plain = list(rows)
    if binders:
        for number, cells in enumerate(plain):
            cells = list(cells)
            for position, bind in binders:
                cells[position] = bind(cells[position])
            plain[number] = tuple(cells)
    if connection.dialect.name != "postgresql":
        connection.exec_driver_sql(statement, plain)
        return
    driver = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for cells in plain:
                copy.write_row(cells)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            statement, None, exc, connection.dialect.loaded_dbapi.Error, hide_parameters=True
        ) from exc


def transient(exc: BaseException) -> bool:
    """A transaction PostgreSQL rolled back for a clash with a concurrent one (a
    serialization failure, a deadlock): running it again is the remedy. Writers that take
    :func:`writing` never clash with one another; this covers any other."""
    return isinstance(exc, DBAPIError) and (
        getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES
    )


#: The tables an import grows, whose planner statistics it may leave stale.
IMPORTED_TABLES = (
    "receipts",
    "postings",
    "journal_months",
    "bank_lines",
    "payouts",
    "supporters",
    "subscriptions",
    "subscription_events",
)


def refresh_statistics(engine: Engine, written: int) -> list[str]:
    """After an import that wrote ``written`` rows, ``ANALYZE`` the PostgreSQL tables it
    grew by more than a tenth, or that were never analysed; returns their names.

    PostgreSQL plans from statistics that only ANALYZE (or autovacuum, which a server may
    run late or not at all) gathers: with none, a statement read every bank line once per
    payout (4.6 s against 8 ms at 100k receipts). SQLite plans from its indexes alone."""
    if engine.dialect.name != "postgresql" or written <= 0:
        return []
    with engine.connect() as connection:
        stale = [
            name
            for name, estimate in connection.execute(
                text(
                    "SELECT c.relname, c.reltuples FROM pg_class c WHERE c.oid ="
                    " ANY(SELECT to_regclass(t) FROM unnest(CAST(:tables AS text[])) t)"
                ),
                {"tables": list(IMPORTED_TABLES)},
            )
            if estimate < 0 or written * 10 > estimate
        ]
        if stale:
            connection.exec_driver_sql("ANALYZE " + ", ".join(sorted(stale)))
            connection.commit()
    return sorted(stale)


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the schema, or bring an existing one up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session_scope(engine: Engine):
    """A session whose work is committed together, or not at all."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
