"""Every importer the ledger knows, made from the channel declarations, loaded only when an
import runs.

Order matters only for recognition: the first importer whose ``identify`` says yes wins.
The writer's own mapping beside a file comes first, then each channel's importers (the
writer's own channels' CSV mappings among them) in declaration order, then the bank
statements' formats, then the channels' importers whose headers are generic.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from supportledger.channels import Channel, active_channels
from supportledger.sources import Importer

#: the writer's own statement of what a file is: tried before anything else
BESIDE = "supportledger.sources.mapping:MappingBeside"
#: formats that belong to no channel: bank statements
BANK_FORMATS: tuple[str, ...] = (
    "supportledger.sources.bank:Chase",
    "supportledger.sources.bank:CapitalOne",
    "supportledger.sources.bank:Citi",
    "supportledger.sources.bank:USBank",
    "supportledger.sources.bank:BankOfAmerica",
    "supportledger.sources.ofx:OfxStatement",
)

#: ``--source mapping:PATH.toml`` reads a file through that mapping
MAPPING_PREFIX = "mapping:"


def _load(dotted: str) -> Importer:
    module, _, attr = dotted.partition(":")
    return getattr(import_module(module), attr)()


def _declared(channel: Channel) -> list[Importer]:
    """A channel's importers: its dotted ones, and the CSV mapping its declaration holds."""
    found = [_load(dotted) for dotted in channel.importers]
    mapped = active_channels().mappings.get(channel.name)
    if mapped is not None:
        from supportledger.sources.mapping import MappingImporter

        where, table = mapped
        found.append(MappingImporter({**table, "channel": channel.name}, where, channel.name))
    return found


def importers() -> list[Importer]:
    """An instance of each registered importer, in recognition order."""
    channels = list(active_channels())
    found = [_load(BESIDE)]
    for channel in channels:
        found += _declared(channel)
    found += [_load(dotted) for dotted in BANK_FORMATS]
    for channel in channels:
        found += [_load(dotted) for dotted in channel.fallback_importers]
    return found


def mapping_source(source: str) -> Importer | None:
    """The importer of a ``--source mapping:PATH.toml``; ``None`` for any other source."""
    if not source.strip().startswith(MAPPING_PREFIX):
        return None
    from supportledger.sources.mapping import load_mapping

    return load_mapping(Path(source.strip()[len(MAPPING_PREFIX) :]).expanduser())
