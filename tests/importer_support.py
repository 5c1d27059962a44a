"""What the entry-level importer tests share: a context, the royalty reports' headers as
the channels write them, a file writer and a workbook."""

from __future__ import annotations

import io
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from supportledger.fees import load_schedule
from supportledger.sources import ImportContext

CONTEXT = ImportContext(
    timezone=ZoneInfo("America/Phoenix"), base_currency="USD", schedule=load_schedule()
)

#: a KDP royalty report's "eBook Royalty" sheet header
KDP_HEADER = ["Royalty Date", "Title", "Author Name", "ASIN", "Marketplace", "Royalty Type",
              "Transaction Type", "Units Sold", "Units Refunded", "Net Units Sold",
              "Avg. List Price without tax", "Avg. Offer Price without tax",
              "Avg. File Size (MB)", "Avg. Delivery Cost", "Royalty", "Currency"]  # fmt: skip
#: an ACX statement's "Sales Detail (Net Sales)" sheet header
ACX_HEADER = ["Royalty Earner", "Product ID", "Author", "Title", "Digital ISBN",
              "Provider Product ID", "Transaction Type", "Marketplace", "Purchase Type",
              "Offer", "Royalty Rule", "Additional Rule Details", "Currency", "Royalty Rate",
              "Payee Split", "Net Units", "Net Sales", "Net Royalties Earned"]  # fmt: skip


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    """An XLSX file's bytes: one sheet per title, in order, with its rows as given."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
