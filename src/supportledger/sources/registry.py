"""Every importer the ledger knows, by dotted path, loaded only when an import runs, and
the recognition of a file by its content.

A file is taken by the one format that claims it in full (:func:`recognise`): its whole
header, under that format's own names, with its preamble where it has one. The writer's
own mapping beside the file wins over the built-in formats. A file two formats could
claim, or none in full, is refused naming the candidates: an importer either knows or
asks (``--source``).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from supportledger.errors import LedgerError
from supportledger.sources import Importer
from supportledger.sources.csvfile import Claim

IMPORTERS: tuple[str, ...] = (
    "supportledger.sources.mapping:MappingBeside",  # the writer's own mapping wins
    "supportledger.channels.paypal:PayPalActivity",
    "supportledger.channels.paypal:PayPalStatement",
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
#: the importer of the writer's own mappings beside a file
BESIDE = "mapping"


def importers() -> list[Importer]:
    """An instance of each registered importer, in the order they are listed."""
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
