"""What the support was, apart from the schema: the channel declarations and the renderings
name a kind without loading SQLModel, pydantic and the ORM (:mod:`supportledger.models`
re-exports it beside the tables that store it)."""

from enum import StrEnum


class Kind(StrEnum):
    """What the support was: the statement splits every figure by these."""

    ONE_TIME = "one_time"
    RECURRING = "recurring"
    SALE = "sale"
