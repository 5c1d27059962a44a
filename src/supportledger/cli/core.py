"""Core commands: ``init``, ``add``, ``receipts``, ``fees show``."""

import datetime as dt
from typing import Annotated

import typer

from supportledger.cli.app import (
    TEXT_JSON,
    MonthOption,
    OutputOption,
    app,
    choice,
    emit,
    formats,
    open_ledger,
    past_month,
    receipt_row,
)
from supportledger.errors import LedgerError

#: :class:`supportledger.models.Kind`, offered without loading the models
KindChoice = choice("one_time", "recurring", "sale")


@app.command()
def init() -> None:
    """Create the ledger's database, or upgrade it to the current schema.

    The first time, it also writes .env from the example (readable by you only): the
    settings of the folder you run supportledger in.
    """
    from supportledger.config import dotenv_file, write_dotenv

    settings_file = dotenv_file()
    wrote = write_dotenv(settings_file)
    try:
        ledger = open_ledger()
        ledger.init()
    except BaseException:
        if wrote:  # a failed init leaves the folder as it was
            settings_file.unlink(missing_ok=True)
        raise
    if wrote:
        typer.echo(
            f"wrote {settings_file} (readable by you only): your settings, each explained; "
            "fill in SMTP_* and STATEMENT_* to e-mail statements"
        )
    emit(f"ledger ready: {ledger.engine.url.render_as_string(hide_password=True)}")


@app.command()
def add(
    channel: Annotated[
        str,
        typer.Option(metavar="CHANNEL", help="zelle, check, paypal, ... (supportledger channels)"),
    ],
    amount: Annotated[
        str, typer.Option(metavar="AMOUNT", help="What the supporter paid, e.g. 100.00.")
    ],
    date: Annotated[
        str,
        typer.Option(
            metavar="DATE", help="YYYY-MM-DD (a day in LEDGER_TIMEZONE) or an ISO instant."
        ),
    ],
    currency: Annotated[
        str | None, typer.Option(metavar="CUR", help="ISO 4217 code; default BASE_CURRENCY.")
    ] = None,
    payer: Annotated[
        str | None, typer.Option("--from", metavar="NAME", help="Who paid (kept private).")
    ] = None,
    fee: Annotated[
        str | None,
        typer.Option(metavar="AMOUNT", help="The fee taken, when known; else the schedule's."),
    ] = None,
    rate: Annotated[
        str | None,
        typer.Option(
            metavar="RATE", help="Base-currency units per unit of --currency, when it is foreign."
        ),
    ] = None,
    check_number: Annotated[
        str | None, typer.Option(metavar="NUMBER", help="The number on a check.")
    ] = None,
    kind: Annotated[
        KindChoice | None, typer.Option(help="Default: the channel's usual kind.")
    ] = None,
    external_id: Annotated[
        str | None,
        typer.Option("--id", metavar="ID", help="The channel's own id (Zelle confirmation...)."),
    ] = None,
    note: Annotated[str, typer.Option(metavar="TEXT", help="A note kept with the receipt.")] = "",
) -> None:
    """Record a receipt by hand: a mailed check, a Zelle payment, anything.

    Example: supportledger add --channel check --amount 100.00 --currency USD
    --date 2026-10-06 --from "Lou Green" --check-number 2041
    """
    from supportledger.channels import get_channel
    from supportledger.ledger import manual_receipt_id, record_receipt
    from supportledger.models import Kind, Status
    from supportledger.money import Money, MoneyError, parse_rate
    from supportledger.months import parse_instant
    from supportledger.sources import ReceiptEntry, SupporterRef

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
        kind=Kind(kind.value) if kind is not None else None,
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


def _amount(option: str, text: str, currency: str):
    from supportledger.money import Money, MoneyError

    try:
        return Money.of(text, currency)
    except MoneyError as exc:
        raise LedgerError(f"{option}: {exc}") from None


RECEIPT_COLUMNS = (
    "id date channel kind event status supporter gross fee net currency external_id".split()
)


def _receipt_line(receipt, day: str, name: str) -> str:
    """One receipt in 80 columns: its number (``check returned`` takes it), and its status
    when it is not plain received money."""
    from supportledger.render import amount as shown

    status = "" if receipt.status in ("completed", "deposited") else receipt.status
    return (
        f"#{receipt.id:<6} {day} {receipt.channel:<7} {name[:13]:<13} {shown(receipt.gross):>10} "
        f"{shown(receipt.fee):>8} {shown(receipt.net):>10} {status}"
    ).rstrip()


@app.command()
def receipts(
    month: MonthOption = None,
    channel: Annotated[str | None, typer.Option(metavar="CHANNEL", help="Only this one.")] = None,
    supporter: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only this supporter's.")
    ] = None,
    fmt: formats("text", "json", "csv") = "text",
    output: OutputOption = None,
) -> None:
    """List receipts, oldest first, with dates in LEDGER_TIMEZONE and their numbers (#)."""
    from supportledger.ledger import list_receipts
    from supportledger.render import plural, to_csv, to_json

    ledger = open_ledger()
    chosen = past_month(month, ledger.tz) if month is not None else None
    found = list_receipts(ledger, chosen, channel, supporter)
    rows = [
        {
            **receipt_row(r, ledger.tz),
            "supporter": name or "",
            "currency": r.currency,
            "external_id": r.external_id,
        }
        for r, name in found
    ]
    if fmt == "json":
        emit(to_json([{key: row[key] for key in RECEIPT_COLUMNS} for row in rows]), output)
    elif fmt == "csv":
        emit(
            to_csv(RECEIPT_COLUMNS, [[row[key] for key in RECEIPT_COLUMNS] for row in rows]), output
        )
    elif not rows:
        emit("no receipts", output)
    else:
        header = f"{'#':<7} {'date':<10} {'channel':<7} {'supporter':<13} "
        header += f"{'gross':>10} {'fee':>8} {'net':>10}"
        lines = [header]
        lines += [
            _receipt_line(r, row["date"], row["supporter"])
            for row, (r, _) in zip(rows, found, strict=True)
        ]
        lines.append(plural(len(rows), "receipt"))
        emit("\n".join(lines), output)


fees_app = typer.Typer(help="The fee schedules in force.", no_args_is_help=True)
app.add_typer(fees_app, name="fees")


@fees_app.command("show")
def fees_show(
    channel: Annotated[str | None, typer.Option(metavar="CHANNEL", help="Only this one.")] = None,
    on: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="The day; default today in LEDGER_TIMEZONE."),
    ] = None,
    fmt: TEXT_JSON = "text",
    output: OutputOption = None,
) -> None:
    """Print every channel's fee rule in force on a date (and the default plan)."""
    from supportledger.channels import get_channel
    from supportledger.render import to_json, wrap

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
    if fmt == "json":
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
        rule = f"{star} {r.channel:<8} {r.plan:<14} since {r.effective_from}: {r.describe()}"
        lines += wrap(rule, "", "      ")
    emit("\n".join(lines), output)
