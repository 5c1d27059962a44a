"""Alembic environment: runs on the engine the ledger hands it (see ``db.upgrade``)."""

from alembic import context
from sqlmodel import SQLModel

import supportledger.models  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config


def run_migrations() -> None:
    engine = config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations()
