"""Every importer the ledger knows, by dotted path, loaded only when an import runs.

Order matters only for recognition: the first importer whose ``identify`` says yes wins,
so more specific formats come before more general ones.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from supportledger.sources import Importer

IMPORTERS: tuple[str, ...] = (
    "supportledger.sources.mapping:MappingBeside",  # the writer's own mapping wins
    "supportledger.channels.paypal:PayPalActivity",
    "supportledger.channels.kdp:KdpRoyalties",
    "supportledger.channels.audible:AcxSalesDetail",
    "supportledger.channels.patreon:PatreonMembers",
    "supportledger.channels.patreon:PatreonEarnings",
    "supportledger.sources.bank:Chase",
    "supportledger.sources.bank:CapitalOne",
    "supportledger.sources.bank:Citi",
    "supportledger.sources.bank:USBank",
    "supportledger.sources.bank:BankOfAmerica",
    "supportledger.sources.ofx:OfxStatement",
    "supportledger.sources.mapping:ebookit",
    "supportledger.channels.patreon:PatreonPayouts",
)

#: ``--source mapping:PATH.toml`` reads a file through that mapping
MAPPING_PREFIX = "mapping:"


def importers() -> list[Importer]:
    """An instance of each registered importer, in recognition order."""
    found = []
    for dotted in IMPORTERS:
        module, _, attr = dotted.partition(":")
        found.append(getattr(import_module(module), attr)())
    return found


def mapping_source(source: str) -> Importer | None:
    """The importer of a ``--source mapping:PATH.toml``; ``None`` for any other source."""
    if not source.strip().startswith(MAPPING_PREFIX):
        return None
    from supportledger.sources.mapping import load_mapping

    return load_mapping(Path(source.strip()[len(MAPPING_PREFIX) :]).expanduser())
