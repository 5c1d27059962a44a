"""``sync``: taking a channel's transactions from its API rather than from a downloaded file."""

from typing import Annotated

import typer

from supportledger.cli.app import app, emit, open_ledger
from supportledger.errors import LedgerError

sync_app = typer.Typer(help="Pull transactions from a channel's API.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")


@sync_app.command("stripe")
def sync_stripe(
    since: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help="YYYY-MM-DD (a day in LEDGER_TIMEZONE) or an ISO instant; "
            "default: where the last sync stopped, else everything.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
) -> None:
    """Pull Stripe's balance transactions (payments, refunds, disputes, fees, payouts) and
    its balance, with Stripe's exact fees. Needs STRIPE_API_KEY (read-only is enough).

    Example: supportledger sync stripe --since 2026-11-01
    """
    from supportledger.channels import stripe as stripe_channel
    from supportledger.cli.importing import describe
    from supportledger.months import parse_instant

    ledger = open_ledger()
    start = None
    if since is not None:
        try:
            start = parse_instant(since, ledger.tz)
        except LedgerError:
            raise LedgerError(
                f"--since: expected YYYY-MM-DD or an ISO instant like 2026-11-01T00:00:00Z, "
                f"got {since!r}"
            ) from None
    emit(describe(stripe_channel.sync(ledger, start, dry_run=dry_run)), None)
