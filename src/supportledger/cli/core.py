"""Core commands: ``init``, ``add``, ``receipts``, ``fees show``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from supportledger.channels import get_channel
from supportledger.cli.app import (
    Format,
    app,
    check_format,
    emit,
    month_option,
    open_ledger,
    to_csv,
    to_json,
)
from supportledger.errors import LedgerError
from supportledger.ledger import list_receipts, manual_receipt_id, record_receipt
from supportledger.models import Kind, Status
from supportledger.money import Money, MoneyError, parse_rate
from supportledger.months import parse_instant
from supportledger.sources import ReceiptEntry, SupporterRef

OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]


@app.command()
def init() -> None:
    """Create the ledger's database, or upgrade it to the current schema."""
    ledger = open_ledger()
    ledger.init()
    emit(f"ledger ready: {ledger.engine.url.render_as_string(hide_password=True)}")


@app.command()
def add(
    channel: Annotated[
        str, typer.Option(help="zelle, check, paypal, ... (supportledger channels)")
    ],
    amount: Annotated[str, typer.Option(help="What the supporter paid, e.g. 100.00.")],
    date: Annotated[
        str,
        typer.Option(help="YYYY-MM-DD (a day in LEDGER_TIMEZONE) or an ISO instant."),
    ],
    currency: Annotated[
        str | None, typer.Option(help="ISO 4217 code; default BASE_CURRENCY.")
    ] = None,
    payer: Annotated[str | None, typer.Option("--from", help="Who paid (kept private).")] = None,
    fee: Annotated[
        str | None, typer.Option(help="The fee taken, when known; else the schedule's.")
    ] = None,
    rate: Annotated[
        str | None,
        typer.Option(help="Base-currency units per unit of --currency, when it is foreign."),
    ] = None,
    check_number: Annotated[str | None, typer.Option(help="The number on a check.")] = None,
    kind: Annotated[Kind | None, typer.Option(help="Default: the channel's usual kind.")] = None,
    external_id: Annotated[
        str | None, typer.Option("--id", help="The channel's own id (Zelle confirmation...).")
    ] = None,
    note: Annotated[str, typer.Option(help="A note kept with the receipt.")] = "",
) -> None:
    """Record a receipt by hand: a mailed check, a Zelle payment, anything.

    Example: supportledger add --channel check --amount 100.00 --currency USD
    --date 2026-10-06 --from "Lou Green" --check-number 2041
    """
    ledger = open_ledger()
    base = ledger.currency
    paid = _amount("--amount", amount, currency or base)
    if paid.amount <= 0:
        raise LedgerError(f"--amount: a receipt is more than zero, got {amount!r}")
    original = fx_rate = None
    gross = paid
    if paid.currency != base:
        if rate is None:
            raise LedgerError(f"--rate is needed to record {paid.currency} in {base}")
        try:
            fx_rate = parse_rate(rate)
        except MoneyError as exc:
            raise LedgerError(f"--rate: {exc}") from None
        original, gross = paid, paid.converted(fx_rate, base)
    taken = _amount("--fee", fee, base) if fee is not None else None
    if taken is not None and not Money.zero(base) <= taken <= gross:
        raise LedgerError(f"--fee: between 0 and the amount ({gross}), got {fee!r}")
    payer = payer.strip() if payer else None
    entry = ReceiptEntry(
        channel=channel,
        external_id=external_id or manual_receipt_id(channel, check_number),
        occurred_at=parse_instant(date, ledger.tz),
        gross=gross,
        fee=taken,
        kind=kind,
        original=original,
        fx_rate=fx_rate,
        supporter=SupporterRef(name=payer) if payer else None,
        # a check in hand is money received, counted once the bank deposits it
        status=Status.PENDING if get_channel(channel).receipts_start_pending else Status.COMPLETED,
        check_number=check_number,
        description=note,
    )
    receipt = record_receipt(ledger, entry)
    local = receipt.occurred_at.astimezone(ledger.tz)
    emit(
        f"recorded {receipt.channel} {receipt.gross} on {local:%Y-%m-%d} "
        f"(fee {receipt.fee}, net {receipt.net}) as #{receipt.id}"
    )
    if receipt.adjusts_month:
        emit(f"{receipt.adjusts_month} is closed: booked as a late entry in the open month")


def _amount(option: str, text: str, currency: str) -> Money:
    try:
        return Money.of(text, currency)
    except MoneyError as exc:
        raise LedgerError(f"{option}: {exc}") from None


RECEIPT_COLUMNS = (
    "id date channel kind event status supporter gross fee net currency external_id".split()
)


@app.command()
def receipts(
    month: Annotated[str | None, typer.Option(help="YYYY-MM, in LEDGER_TIMEZONE.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    supporter: Annotated[str | None, typer.Option(help="Only this supporter's.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, json or csv.")] = Format.text,
    output: OutputOption = None,
) -> None:
    """List receipts, oldest first, with dates in LEDGER_TIMEZONE."""
    check_format(fmt, (Format.text, Format.json, Format.csv))
    ledger = open_ledger()
    found = list_receipts(ledger, month_option(month), channel, supporter)
    rows = [
        [
            r.id,
            r.occurred_at.astimezone(ledger.tz).date().isoformat(),
            r.channel,
            r.kind,
            r.event,
            r.status,
            name or "",
            r.gross.plain(),
            r.fee.plain(),
            r.net.plain(),
            r.currency,
            r.external_id,
        ]
        for r, name in found
    ]
    if fmt is Format.json:
        emit(to_json([dict(zip(RECEIPT_COLUMNS, row, strict=True)) for row in rows]), output)
    elif fmt is Format.csv:
        emit(to_csv(RECEIPT_COLUMNS, rows), output)
    elif not rows:
        emit("no receipts", output)
    else:
        lines = [
            f"{row[1]}  {row[2]:<8} {row[3]:<9} {row[6][:20]:<20} "
            f"{row[7]:>10} {row[8]:>8} {row[9]:>10} {row[10]}"
            for row in rows
        ]
        header = f"{'date':<10}  {'channel':<8} {'kind':<9} {'supporter':<20} "
        header += f"{'gross':>10} {'fee':>8} {'net':>10}"
        emit("\n".join([header, *lines]), output)


fees_app = typer.Typer(help="The fee schedules in force.", no_args_is_help=True)
app.add_typer(fees_app, name="fees")


@fees_app.command("show")
def fees_show(
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    on: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; default today in LEDGER_TIMEZONE.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    output: OutputOption = None,
) -> None:
    """Print every channel's fee rule in force on a date (and the default plan)."""
    check_format(fmt, (Format.text, Format.json))
    ledger = open_ledger()
    try:
        day = dt.date.fromisoformat(on) if on else dt.datetime.now(ledger.tz).date()
    except ValueError:
        raise LedgerError(f"--on: expected YYYY-MM-DD, got {on!r}") from None
    schedule = ledger.schedule
    name = None
    if channel is not None:
        name = get_channel(channel).name
    rules = schedule.in_force(day, name)
    if fmt is Format.json:
        emit(
            to_json(
                [
                    {
                        "channel": r.channel,
                        "plan": r.plan,
                        "default": schedule.defaults.get(r.channel) == r.plan,
                        "from": r.effective_from.isoformat(),
                        "fee": r.describe(),
                        "refund_returns": r.refund_returns,
                        "source": r.source,
                    }
                    for r in rules
                ]
            ),
            output,
        )
        return
    lines = [f"fees in force on {day} (* = default plan)"]
    for r in rules:
        star = "*" if schedule.defaults.get(r.channel) == r.plan else " "
        lines.append(f"{star} {r.channel:<8} {r.plan:<14} since {r.effective_from}: {r.describe()}")
    emit("\n".join(lines), output)
