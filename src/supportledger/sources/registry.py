"""Every importer the ledger knows, by dotted path, loaded only when an import runs.

Order matters only for recognition: the first importer whose ``identify`` says yes wins,
so more specific formats come before more general ones.
"""

from __future__ import annotations

from importlib import import_module

from supportledger.sources import Importer

IMPORTERS: tuple[str, ...] = (
    "supportledger.channels.paypal:PayPalActivity",
)


def importers() -> list[Importer]:
    """An instance of each registered importer, in recognition order."""
    found = []
    for dotted in IMPORTERS:
        module, _, attr = dotted.partition(":")
        found.append(getattr(import_module(module), attr)())
    return found
