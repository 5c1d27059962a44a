"""The schema as migrated is the schema as modelled, and it never stores a float."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Float, Numeric, inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import supportledger.models  # noqa: F401
from supportledger.db import current_revision


def test_migrations_build_exactly_the_models(ledger):
    with ledger.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    assert current_revision(ledger.engine) is not None


def test_no_float_column_anywhere(ledger):
    inspector = inspect(ledger.engine)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            assert not isinstance(column["type"], (Float, Numeric)), (table, column["name"])


def test_the_database_enforces_net_equals_gross_less_fee(ledger):
    import datetime as dt

    from supportledger.models import Receipt

    with ledger.session() as session:
        session.add(
            Receipt(
                channel="zelle", external_id="x", occurred_at=dt.datetime.now(dt.UTC),
                currency="USD", gross_minor=1000, fee_minor=30, net_minor=980,
            )
        )  # fmt: skip
        with pytest.raises(IntegrityError):
            session.commit()


def test_init_twice_is_harmless(ledger):
    ledger.init()
    ledger.init()
