"""``supporters``: the people behind the receipts."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import func
from sqlmodel import select

from supportledger.cli.app import Format, app, check_format, emit, open_ledger, to_json
from supportledger.models import Receipt, Supporter
from supportledger.money import Money

supporters_app = typer.Typer(help="Supporters across channels.", invoke_without_command=True)
app.add_typer(supporters_app, name="supporters")


@supporters_app.callback()
def supporters(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
) -> None:
    """List supporters with their number of receipts and lifetime net."""
    if ctx.invoked_subcommand is not None:
        return
    check_format(fmt, (Format.text, Format.json))
    ledger = open_ledger()
    query = (
        select(
            Supporter.id,
            Supporter.display_name,
            func.count(Receipt.id),
            func.coalesce(func.sum(Receipt.net_minor), 0),
        )
        .outerjoin(Receipt, Receipt.supporter_id == Supporter.id)
        .where(Supporter.merged_into_id.is_(None))
        .group_by(Supporter.id, Supporter.display_name)
        .order_by(Supporter.display_name)
    )
    with ledger.session() as session:
        rows = session.exec(query).all()
    people = [
        {
            "id": sid,
            "name": name,
            "receipts": count,
            "lifetime_net": Money.from_minor(net, ledger.currency).plain(),
        }
        for sid, name, count, net in rows
    ]
    if fmt is Format.json:
        emit(to_json(people), None)
    elif not people:
        emit("no supporters yet", None)
    else:
        emit(
            "\n".join(
                f"{p['name'][:40]:<40} {p['receipts']:>5} receipts {p['lifetime_net']:>12}"
                for p in people
            ),
            None,
        )
