"""Fixtures shared by the suite.

Every test that touches the database runs twice: on SQLite (a file in the test's tmp dir)
and on PostgreSQL (a fresh schema of its own, so parallel runs never meet). PostgreSQL
comes from SUPPORTLEDGER_TEST_POSTGRES_URL; when it cannot be reached those cases skip
with the reason, unless SUPPORTLEDGER_REQUIRE_POSTGRES=1 (as in CI), where they fail.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from supportledger.config import load_settings
from supportledger.ledger import Ledger

POSTGRES_URL = os.environ.get(
    "SUPPORTLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("SUPPORTLEDGER_REQUIRE_POSTGRES") == "1"
TIMEZONE = "America/Phoenix"

_postgres_problem: list[str] = []  # memo: checked once per session


def _postgres_unavailable() -> str | None:
    if not _postgres_problem:
        try:
            engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("select 1"))
            engine.dispose()
            _postgres_problem.append("")
        except Exception as exc:  # any failure to reach it is a reason to skip
            _postgres_problem.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    return _postgres_problem[0] or None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path):
    """A URL to an empty database of each kind; the PostgreSQL schema is dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    problem = _postgres_unavailable()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL required but unreachable at {POSTGRES_URL}: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}: {problem}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory):
    """Compiled templates kept in the session's folder, not the user's ``~/.cache`` (each
    test's own template would leave an entry there); subprocesses inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture
def environ(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The settings a test runs under (no .env is read: tests start from nothing)."""
    return {
        "DATABASE_URL": database_url,
        "LEDGER_TIMEZONE": TIMEZONE,
        "BASE_CURRENCY": "USD",
    }


class MigratedSchema:
    """The real migrations, run once per session and then laid into each test's database.

    SQLite: the migrated file is copied. PostgreSQL: the statements Alembic executed on a
    template schema are recorded and replayed in the test's own schema. Either way a test
    gets exactly what ``supportledger init`` builds, in a fraction of the time.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._sqlite: Path | None = None
        self._postgres: list[tuple[str, object]] | None = None

    def lay_into(self, url: str) -> None:
        if url.startswith("sqlite"):
            target = Path(make_url(url).database)
            target.touch(mode=0o600)
            with (
                closing(sqlite3.connect(self._sqlite_template())) as source,
                closing(sqlite3.connect(target)) as copy,
            ):
                source.backup(copy)  # a consistent copy, whatever sits in the WAL
            return
        engine = create_engine(url)
        with engine.begin() as connection:
            for statement, parameters in self._postgres_statements():
                connection.exec_driver_sql(statement, parameters)
        engine.dispose()

    def _sqlite_template(self) -> Path:
        if self._sqlite is None:
            path = self.workdir / "template.db"
            Ledger(load_settings({"DATABASE_URL": f"sqlite:///{path}"}, self.workdir / "x")).init()
            self._sqlite = path
        return self._sqlite

    def _postgres_statements(self) -> list[tuple[str, object]]:
        if self._postgres is None:
            schema = f"tmpl_{uuid.uuid4().hex[:12]}"
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
            engine = create_engine(url)
            recorded: list[tuple[str, object]] = []

            @event.listens_for(engine, "before_cursor_execute")
            def record(connection, cursor, statement, parameters, context, executemany):
                if not statement.lstrip().upper().startswith(("SELECT", "SHOW")):
                    recorded.append((statement, parameters))

            settings = load_settings({"DATABASE_URL": POSTGRES_URL}, self.workdir / "x")
            Ledger(settings, engine=engine).init()
            engine.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
            self._postgres = recorded
        return self._postgres


@pytest.fixture(scope="session")
def migrated_schema(tmp_path_factory) -> MigratedSchema:
    return MigratedSchema(tmp_path_factory.mktemp("schema"))


@pytest.fixture
def ledger(environ: dict[str, str], tmp_path: Path, migrated_schema: MigratedSchema):
    """A ledger with the current schema, on each database."""
    migrated_schema.lay_into(environ["DATABASE_URL"])
    instance = Ledger(load_settings(environ, dotenv_path=tmp_path / "no.env"))
    yield instance
    assert_money_invariants(instance)
    instance.engine.dispose()


def assert_money_invariants(ledger: Ledger) -> None:
    """Checked after every test that wrote to a ledger: no cent invented or lost, and the
    journal is exactly what the events derive, balanced, with its roll-up its own sum."""
    from supportledger.journal import check

    with ledger.engine.connect() as connection:
        broken = connection.execute(
            text("select count(*) from receipts where net_minor <> gross_minor - fee_minor")
        ).scalar_one()
        assert broken == 0, f"{broken} receipts where net != gross - fee"
        unvalued = connection.execute(
            text("select count(*) from receipts where currency <> :base and fx_rate is null"),
            {"base": ledger.currency},
        ).scalar_one()
        assert unvalued == 0, "a receipt in another currency with no rate to the base"
        problems = check(connection, ledger)
        assert problems == [], problems
        orphans = connection.execute(
            text(
                "select count(*) from receipts r where r.reverses_id is not null and not exists"
                " (select 1 from receipts o where o.id = r.reverses_id)"
            )
        ).scalar_one()
        assert orphans == 0, "a reversal points at no receipt"


@pytest.fixture
def cli(environ: dict[str, str], ledger: Ledger, tmp_path: Path, monkeypatch, capsys):
    """Run ``supportledger ARGS`` in-process against the test's ledger.

    Returns ``(exit_code, stdout, stderr)``.
    """
    from supportledger.cli import main

    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SMTP_", "STATEMENT_", "STRIPE_")) or name in {
            "DATABASE_URL",
            "LEDGER_TIMEZONE",
            "BASE_CURRENCY",
            "FEE_SCHEDULE_FILE",
            "SUPPORTLEDGER_TEMPLATES",
        }:
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def samples(cli):
    """The demo's month in the test's ledger, as the README's first month builds it through
    the CLI: the check that came in the mail typed in, the bundled exports imported."""
    from importlib import resources

    from supportledger.cli.demo import SAMPLE_FILES

    cli("add", "--channel", "check", "--amount", "100.00", "--date", "2026-10-06",
        "--from", "Lou Green", "--check-number", "2041")  # fmt: skip
    with resources.as_file(resources.files("supportledger").joinpath("samples")) as folder:
        code, _, err = cli("import", *(str(folder / name) for name in SAMPLE_FILES))
    assert (code, err) == (0, ""), err
    return cli
