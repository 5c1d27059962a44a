"""Every importer the ledger knows, made from the channel declarations and loaded only when
an import runs, and the recognition of a file by its content.

The writer's own mapping beside a file comes first, then each channel's importers (the
writer's own channels' CSV mappings among them) in declaration order, then the bank
statements' formats, then the channels' importers whose headers are generic. A file is
taken by the one format that claims it in full (:func:`recognise`): its whole header, under
that format's own names, with its preamble where it has one. The writer's own mapping beside
the file wins over the built-in formats. A file two formats could claim, or none in full,
is refused naming the candidates: an importer either knows or asks (``--source``).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from supportledger.channels import Channel, active_channels
from supportledger.errors import LedgerError
from supportledger.sources import Importer
from supportledger.sources.csvfile import Claim

#: the writer's own statement of what a file is: tried before anything else
MAPPINGS_BESIDE = "supportledger.sources.mapping:MappingBeside"
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
#: the importer of the writer's own mappings beside a file
BESIDE = "mapping"


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
    """An instance of each registered importer, in the order they are listed."""
    channels = list(active_channels())
    found = [_load(MAPPINGS_BESIDE)]
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


def _claim(importer: Importer, path: Path, head: bytes) -> Claim | None:
    claim = getattr(importer, "claim", None)
    if claim is not None:
        return claim(path, head)
    return Claim(importer.name, True) if importer.identify(path, head) else None


def recognise(path: Path, head: bytes, known: list[Importer]) -> Importer:
    """The one importer that claims ``path`` in full; else a :class:`LedgerError` naming
    the candidates and how to choose (``--source``)."""
    claims = [(importer, _claim(importer, path, head)) for importer in known]
    complete = [importer for importer, claim in claims if claim is not None and claim.complete]
    for importer in complete:
        if importer.name == BESIDE:
            return importer
    if len(complete) == 1:
        return complete[0]
    if complete:
        names = " or ".join(importer.name for importer in complete)
        raise LedgerError(
            f"{path.name}: could be {names}: name the format with --source "
            f"({', '.join(f'--source {i.name}' for i in complete)})"
        )
    partial = sorted(
        (claim for _, claim in claims if claim is not None), key=lambda c: len(c.missing)
    )
    closest = "; ".join(f"{c.name} ({c.why})" for c in partial[:3])
    from supportledger.sources.mapping import broken_beside

    broken = broken_beside(path, head)
    raise LedgerError(
        f"{path.name}: not a format supportledger recognises in full"
        + (f"; closest: {closest}" if closest else "")
        + (f"; {broken}" if broken else "")
        + f"; name the format with --source NAME (known: {', '.join(i.name for i in known)}),"
        f" or describe the file with a mapping (--source mapping:FILE.toml)"
    )
