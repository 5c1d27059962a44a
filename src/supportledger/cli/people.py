"""``supporters``: the people behind the receipts, across channels."""

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from supportledger.cli.app import TEXT_JSON, app, emit, open_ledger, receipt_row
from supportledger.errors import LedgerError

if TYPE_CHECKING:
    from supportledger import recurring as commitments

supporters_app = typer.Typer(help="Supporters across channels.", invoke_without_command=True)
app.add_typer(supporters_app, name="supporters")

AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="The day to look from; default today (LEDGER_TIMEZONE).",
    ),
]


def _as_of(ledger, text: str | None) -> dt.date:
    if text is None:
        return dt.datetime.now(ledger.tz).date()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise LedgerError(f"--as-of: expected YYYY-MM-DD, got {text!r}") from None


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


@supporters_app.callback()
def supporters(ctx: typer.Context, fmt: TEXT_JSON = "text") -> None:
    """List supporters (merges followed) with their number of receipts and lifetime net."""
    if ctx.invoked_subcommand is not None:
        return
    from supportledger import supporters as people
    from supportledger.render import amount, plural, to_json

    found = people.list_supporters(open_ledger())
    if fmt == "json":
        emit(
            to_json(
                [
                    {
                        "id": p.supporter_id,
                        "name": p.display_name,
                        "receipts": p.receipts,
                        "lifetime_net": p.lifetime_net.plain(),
                    }
                    for p in found
                ]
            ),
            None,
        )
    elif not found:
        emit("no supporters yet", None)
    else:
        emit(
            "\n".join(
                f"#{p.supporter_id:<5} {p.display_name[:36]:<36} "
                f"{plural(p.receipts, 'receipt'):>14} {amount(p.lifetime_net):>14}"
                for p in found
            ),
            None,
        )


@supporters_app.command()
def suggest(fmt: TEXT_JSON = "text") -> None:
    """List supporters who look like one person (same e-mail, near-identical names).

    Nothing is merged: confirm each with `supportledger supporters merge A B`.
    """
    from supportledger import supporters as people
    from supportledger.render import to_json, wrap

    with open_ledger().session() as session:
        found = people.suggest_merges(session)
    if fmt == "json":
        emit(
            to_json(
                [
                    {
                        "keeper": {"id": s.keeper_id, "name": s.keeper_name},
                        "other": {"id": s.other_id, "name": s.other_name},
                        "reason": s.reason,
                        "command": f"supportledger supporters merge {s.keeper_id} {s.other_id}",
                    }
                    for s in found
                ]
            ),
            None,
        )
    elif not found:
        emit("no likely duplicates", None)
    else:
        lines = []
        for s in found:
            lines += wrap(f"#{s.keeper_id} {s.keeper_name} ~ #{s.other_id} {s.other_name}: "
                          f"{s.reason}", "", "    ")  # fmt: skip
            lines.append(f"    → supportledger supporters merge {s.keeper_id} {s.other_id}")
        emit("\n".join(lines), None)


@supporters_app.command()
def merge(
    keeper: Annotated[str, typer.Argument(help="The supporter who stays (name or id).")],
    absorbed: Annotated[str, typer.Argument(help="The one merged into it (name or id).")],
) -> None:
    """Make two supporters one: KEEPER absorbs ABSORBED. Amounts never change; `unmerge`
    undoes it."""
    from supportledger import supporters as people
    from supportledger.db import writing

    with writing(open_ledger().engine) as (connection, session):
        a, b = people.merge(session, keeper, absorbed)
        connection.commit()
    emit(f"merged #{b.id} {b.display_name} into #{a.id} {a.display_name}")


@supporters_app.command()
def unmerge(
    supporter: Annotated[str, typer.Argument(help="The merged supporter (name or id).")],
) -> None:
    """Undo a merge: SUPPORTER stands on its own again, with its own receipts."""
    from supportledger import supporters as people
    from supportledger.db import writing

    with writing(open_ledger().engine) as (connection, session):
        separated, keeper = people.unmerge(session, supporter)
        connection.commit()
    emit(f"#{separated.id} {separated.display_name} is no longer merged into #{keeper}")


def _recurring_json(r: "commitments.RecurringSupporter") -> dict:
    return {
        "supporter_id": r.supporter_id,
        "name": r.display_name,
        "channel": r.channel,
        "basis": r.basis,
        "amount": r.amount.plain(),
        "currency": r.amount.currency,
        "interval": str(r.interval),
        "monthly": r.monthly.plain(),
        "status": str(r.standing),
        "last_paid": _day(r.last_paid),
        "next_due": _day(r.next_due),
        "lapsed": r.lapsed,
        "ended_on": _day(r.ended_on),
        "ended_inferred": r.inferred_end,
    }


#: how each standing reads on a line
_STANDINGS = {
    "current": "current",
    "grace": "overdue, within the grace days",
    "lapsed": "LAPSED",
    "paused": "paused",
}


def _recurring_line(r: "commitments.RecurringSupporter") -> str:
    basis = "subscription" if r.basis == "subscription" else "inferred"
    if r.ended_on is not None:
        how = " (inferred from silence)" if r.inferred_end else ""
        state = f"ended {_day(r.ended_on)}{how}"
    else:
        state = _STANDINGS[r.standing]
    return (
        f"{r.channel} {basis} {r.amount} every {r.interval}: last paid "
        f"{_day(r.last_paid) or 'never'}, next due {_day(r.next_due) or 'unknown'} ({state})"
    )


def _stated_json(f: "commitments.StatedFigures") -> dict:
    return {
        "channel": f.channel,
        "stated_on": _day(f.stated_on),
        "lifetime": f.lifetime.plain() if f.lifetime is not None else None,
        "currency": f.lifetime.currency if f.lifetime is not None else None,
        "last_charge": _day(f.last_charge_on),
        "last_charge_status": f.last_charge_status,
    }


def _stated_line(f: "commitments.StatedFigures") -> str:
    lifetime = str(f.lifetime) if f.lifetime is not None else "unknown"
    charge = _day(f.last_charge_on) or "never"
    status = f" ({f.last_charge_status})" if f.last_charge_status else ""
    return (
        f"{f.channel} says (export of {_day(f.stated_on) or 'unknown'}): lifetime {lifetime}, "
        f"last charge {charge}{status}"
    )


def _status_note(status: str) -> str:
    """Flag what is not plain received money: pending or never arrived (``*``: not totalled,
    as on the statement), or reversed (answered by its own negative row)."""
    from supportledger.models import COUNTED_STATUSES

    if status not in COUNTED_STATUSES:
        return f"  {status}*"
    return "" if status in ("completed", "deposited") else f"  {status}"


@supporters_app.command()
def show(
    supporter: Annotated[str, typer.Argument(help="A name or id.")],
    fmt: TEXT_JSON = "text",
    as_of: AsOfOption = None,
) -> None:
    """Every receipt of one supporter across channels, totals and recurring commitments."""
    from supportledger import supporters as people
    from supportledger.models import COUNTED_STATUSES
    from supportledger.render import amount, to_json, wrap

    ledger = open_ledger()
    report = people.supporter_report(ledger, supporter, _as_of(ledger, as_of))
    receipts = [receipt_row(r, ledger.tz) for r in report.receipts]
    if fmt == "json":
        emit(
            to_json(
                {
                    "id": report.supporter_id,
                    "name": report.display_name,
                    "merged": list(report.merged),
                    "currency": ledger.currency,
                    "lifetime": {
                        "gross": report.lifetime_gross.plain(),
                        "net": report.lifetime_net.plain(),
                    },
                    "this_year": {
                        "year": report.year,
                        "gross": report.year_gross.plain(),
                        "net": report.year_net.plain(),
                    },
                    "first_support": _day(report.first_support),
                    "last_support": _day(report.last_support),
                    "recurring": [_recurring_json(r) for r in report.recurring],
                    "stated_by_channel": [_stated_json(f) for f in report.stated],
                    "receipts": receipts,
                }
            ),
            None,
        )
        return
    merged = f" (with {', '.join(f'#{m}' for m in report.merged)})" if report.merged else ""
    lines = wrap(f"#{report.supporter_id} {report.display_name}{merged}", "", "    ")
    lines += [
        f"first support {_day(report.first_support) or '-'}, "
        f"last support {_day(report.last_support) or '-'}",
        f"{'':<10}{'gross':>12}{'net':>12}  {ledger.currency}",
        f"{'lifetime':<10}{amount(report.lifetime_gross):>12}{amount(report.lifetime_net):>12}",
        f"{report.year:<10}{amount(report.year_gross):>12}{amount(report.year_net):>12}",
    ]
    for r in report.recurring:
        lines += wrap(f"recurring: {_recurring_line(r)}", "", "    ")
    if not report.recurring:
        lines.append("recurring: none")
    for f in report.stated:
        lines += wrap(_stated_line(f), "", "    ")
    lines.append(
        f"{'#':<7} {'date':<10} {'channel':<8} {'kind':<9} {'gross':>10} {'fee':>8} {'net':>10}"
    )
    lines += [
        f"#{r.id:<6} {row['date']} {r.channel:<8} {r.kind:<9} {amount(r.gross):>10} "
        f"{amount(r.fee):>8} {amount(r.net):>10}" + _status_note(r.status)
        for row, r in zip(receipts, report.receipts, strict=True)
    ]
    if any(r.status not in COUNTED_STATUSES for r in report.receipts):
        lines.append("* not counted: not received (yet)")
    emit("\n".join(lines), None)


@supporters_app.command()
def recurring(
    fmt: TEXT_JSON = "text",
    as_of: AsOfOption = None,
    lapsed: Annotated[bool, typer.Option("--lapsed", help="Only lapsed ones.")] = False,
) -> None:
    """Recurring supporters on every channel: subscriptions, and Zelle or check payers
    inferred monthly; lapsed when a payment is overdue by more than LAPSE_GRACE_DAYS. The
    statement counts the same commitments, by the same rule."""
    from supportledger import recurring as commitments
    from supportledger.render import to_json, wrap

    ledger = open_ledger()
    found = commitments.recurring_status(ledger, _as_of(ledger, as_of))
    found = [r for r in found if r.lapsed or not lapsed]
    if fmt == "json":
        emit(to_json([_recurring_json(r) for r in found]), None)
    elif not found:
        emit("no recurring supporters", None)
    else:
        lines = []
        for r in found:
            lines += wrap(f"#{r.supporter_id} {r.display_name}: {_recurring_line(r)}", "", "    ")
        emit("\n".join(lines), None)


def _confirmed(question: str) -> bool:
    try:
        return typer.confirm(question)
    except typer.Abort:  # end of input or Ctrl-C: no
        return False


@supporters_app.command()
def forget(
    supporter: Annotated[str, typer.Argument(help="A name or id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a person's personal details and handles for good; their receipts stay, as
    "former supporter #N", so every total stays the same."""
    if not yes and not _confirmed(f"Erase {supporter!r}'s personal details for good?"):
        raise LedgerError("nothing forgotten (answer y, or give --yes)")
    from supportledger import supporters as people

    ledger = open_ledger()
    done = people.forget(ledger, supporter)
    emit(
        f"forgotten: now {done.label!r}; receipts kept "
        f"({len(done.supporter_ids)} supporter record(s) erased of personal data)"
    )
    if done.log_emptied is False:
        emit(
            "note: another program was reading the ledger, so SQLite's write-ahead log may "
            "still hold the erased details; once nothing else uses it, run: sqlite3 "
            f"{ledger.engine.url.database} 'PRAGMA wal_checkpoint(TRUNCATE)'"
        )
