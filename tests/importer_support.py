"""What the entry-level importer tests share: a context and a file writer."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from supportledger.fees import load_schedule
from supportledger.sources import ImportContext

CONTEXT = ImportContext(
    timezone=ZoneInfo("America/Phoenix"), base_currency="USD", schedule=load_schedule()
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path
