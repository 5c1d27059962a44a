"""``demo``: a ledger of sample support, end to end, without touching the writer's own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportledger.cli.app import app, emit
from supportledger.config import load_settings
from supportledger.ledger import Ledger, list_receipts, manual_receipt_id, record_receipt
from supportledger.money import Money
from supportledger.months import Month, parse_instant
from supportledger.sources import ReceiptEntry, SupporterRef

SAMPLE_MONTH = Month(2026, 10)
SAMPLES = [
    ("check", "100.00", "2026-10-06", "Lou Green", "2041"),
    ("zelle", "25.00", "2026-10-12", "Ana Ruiz", None),
    ("paypal", "20.00", "2026-10-20T18:05:00Z", "Sam Okafor", None),
    ("zelle", "40.00", "2026-11-01T03:30:00Z", "Ana Ruiz", None),  # 20:30 on 31 Oct in Phoenix
]


@app.command()
def demo(
    database: Annotated[
        Path, typer.Option(help="The SQLite file for the sample ledger (made anew).")
    ] = Path("supportledger-demo.db"),
) -> None:
    """Build a sample ledger in its own SQLite file and print its October 2026."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    settings = load_settings()
    ledger = Ledger(
        type(settings)(**{**settings.__dict__, "database_url": f"sqlite:///{database}"})
    )
    ledger.init()
    for channel, amount, when, payer, check in SAMPLES:
        record_receipt(
            ledger,
            ReceiptEntry(
                channel=channel,
                external_id=manual_receipt_id(channel, check, payer),
                occurred_at=parse_instant(when, ledger.tz),
                gross=Money.of(amount, ledger.currency),
                supporter=SupporterRef(name=payer),
                check_number=check,
            ),
        )
    lines = [f"sample ledger {database}: {SAMPLE_MONTH} in {ledger.settings.timezone_name}"]
    for r, name in list_receipts(ledger, SAMPLE_MONTH):
        local = r.occurred_at.astimezone(ledger.tz)
        lines.append(
            f"  {local:%Y-%m-%d %H:%M}  {r.channel:<7} {name:<12} gross {r.gross.plain():>7}"
            f"  fee {r.fee.plain():>5}  net {r.net.plain():>7}"
        )
    emit("\n".join(lines), None)
