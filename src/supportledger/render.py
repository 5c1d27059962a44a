"""Statements rendered: HTML, text, JSON and CSV, all from the same plain data.

The display data (formatted amounts, percentages, bar widths) is prepared here in Python,
so the Jinja2 templates in ``templates/`` only lay it out (the way Fava keeps its templates
simple). HTML is autoescaped; a writer can replace any template by putting a file of the
same name in the folder ``SUPPORTLEDGER_TEMPLATES`` names. JSON is the stable
machine-readable form (documented in the README); CSV cells are neutralised so a
spreadsheet never runs one as a formula.

jinja2 is imported only when a template is rendered: JSON and CSV do not pay for it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from decimal import Decimal
from pathlib import Path

from supportledger.money import ROUNDING, exponent

FORMATS = ("html", "text", "json", "csv")
TEXT_WIDTH = 80
#: one colour per channel, for the chart and its legend (mail clients need plain colours)
COLOURS = {
    "zelle": "#6d28d9",
    "patreon": "#e8590c",
    "paypal": "#1c64b0",
    "check": "#5c7080",
    "stripe": "#7c8cf8",
    "kdp": "#f2a900",
    "ebookit": "#2f9e44",
    "audible": "#c2255c",
}
OTHER_COLOUR = "#999999"
KIND_LABELS = {"one_time": "one-time", "recurring": "recurring", "sale": "sales"}


# --------------------------------------------------------------------------- serialising


def to_json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a ``'``.

    Plain numbers (``-5.00``) stay numbers.
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


# --------------------------------------------------------------------------- JSON shape


def _figures(f) -> dict:
    return {
        "count": f.count,
        "gross": f.gross.plain(),
        "refunds": f.refunds.plain(),
        "fees": f.fees.plain(),
        "net": f.net.plain(),
    }


def _percent(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _channel(line) -> dict:
    return {
        "label": line.label,
        **_figures(line.figures),
        "fee_share": _percent(line.figures.fee_share),
        "unexpected_fees": {
            "count": line.unexpected_fees,
            "amount": line.unexpected_fee_amount.plain(),
        },
        **{kind: _figures(f) for kind, f in line.kinds.items()},
    }


def _local_day(instant, timezone: str) -> str | None:
    """The day ``instant`` fell on in the ledger's time zone, as ISO text."""
    from zoneinfo import ZoneInfo

    return None if instant is None else instant.astimezone(ZoneInfo(timezone)).date().isoformat()


def _names(names) -> list[str] | None:
    return None if names is None else list(names)


def _recurring_counts(r) -> dict[str, int]:
    """The recurring section's counts: the same in the JSON document and on the page."""
    return {
        "active": r.active,
        "supporters": r.supporters,
        "new": r.new,
        "cancelled": r.cancelled,
        "lapsed": r.lapsed,
    }


def statement_data(s) -> dict:
    """The monthly statement as the stable JSON document (see README, "Statements")."""
    r, o, c = s.recurring, s.outstanding, s.comparison
    m = r.movements
    return {
        "month": str(s.month),
        "timezone": s.timezone,
        "currency": s.currency,
        "channels": {line.channel: _channel(line) for line in s.channels},
        "totals": _channel(s.totals),
        "recurring": {
            **_recurring_counts(r),
            "lapse_grace_days": r.lapse_grace_days,
            "mrr_gross": r.mrr_gross.plain(),
            "mrr_net": r.mrr_net.plain(),
            "by_channel": {
                x.channel: {
                    "active": x.active,
                    "mrr_gross": x.mrr_gross.plain(),
                    "mrr_net": x.mrr_net.plain(),
                }
                for x in r.by_channel
            },
            "movements": {
                "start": m.start.plain(),
                "new": m.new.plain(),
                "expansion": m.expansion.plain(),
                "contraction": m.contraction.plain(),
                "churn": m.churn.plain(),
                "reactivation": m.reactivation.plain(),
                "end": m.end.plain(),
            },
            "fee_unknown": list(r.fee_unknown),
            "convention": r.convention,
            "names": None
            if not s.names_shown
            else {
                "new": _names(r.new_names),
                "cancelled": _names(r.cancelled_names),
                "lapsed": _names(r.lapsed_names),
            },
        },
        "outstanding": {
            "royalties": [
                {
                    "channel": x.channel,
                    "earned_month": str(x.earned_in),
                    "due_month": str(x.due_in),
                    "count": x.count,
                    "earned": x.earned.plain(),
                    "amount": x.owed.plain(),
                }
                for x in o.royalties
            ],
            "royalties_total": o.royalties_total.plain(),
            "checks": [
                {
                    "channel": x.channel,
                    "received_on": x.received_on.isoformat(),
                    "age_days": x.age_days,
                    "amount": x.amount.plain(),
                    "currency": x.amount.currency,
                    "check_number": x.check_number,
                    "from": x.payer,
                }
                for x in o.waiting
            ],
            "checks_unexplained": o.waiting_unexplained.plain(),
            "checks_total": o.waiting_total.plain(),
            "balances": [
                {
                    "channel": x.channel,
                    "currency": x.currency,
                    "opening": x.opening.plain(),
                    "receipts": x.receipts.plain(),
                    "paid_out": x.paid_out.plain(),
                    "other": x.other.plain(),
                    "balance": x.closing.plain(),
                    "value": x.value.plain(),
                    "stated": x.stated.plain() if x.stated is not None else None,
                    "stated_on": _local_day(x.stated_at, s.timezone),
                    "ledger_at_stated": (
                        x.ledger_at_stated.plain() if x.ledger_at_stated is not None else None
                    ),
                    "difference": x.difference.plain() if x.difference is not None else None,
                }
                for x in o.holdings
            ],
            "balances_total": o.holdings_total.plain(),
            "in_transit": [
                {"channel": x.channel, "amount": x.amount.plain()} for x in o.in_transit
            ],
            "in_transit_total": o.in_transit_total.plain(),
            "total": o.total.plain(),
        },
        "payouts": {
            "items": [
                {
                    "channel": p.channel,
                    "initiated_on": p.initiated_on.isoformat(),
                    "arrived_on": p.arrived_on.isoformat() if p.arrived_on else None,
                    "amount": p.amount.plain(),
                    "fee": p.fee.plain(),
                    "to_bank": p.to_bank.plain(),
                    "currency": p.amount.currency,
                }
                for p in s.payouts
            ],
            "total": s.payouts_total.plain(),
        },
        "comparison": {
            "previous": {"month": str(c.previous_month), **_figures(c.previous)},
            "year_ago": {"month": str(c.year_ago_month), **_figures(c.year_ago)},
            "year_to_date": {
                "from": str(c.year_to_date_from),
                "to": str(s.month),
                **_figures(c.year_to_date),
            },
        },
        "series": [
            {
                "month": str(x.month),
                "net": {ch: v.plain() for ch, v in x.net.items()},
                "total": x.total.plain(),
            }
            for x in s.series
        ],
        "missing_data": [
            {
                "channel": x.channel,
                "covered_to": x.covered_to.isoformat() if x.covered_to else None,
                "message": x.message,
            }
            for x in s.missing_data
        ],
        "supporter_names_shown": s.names_shown,
        "exchange_gain": s.exchange_gain.plain(),
    }


def annual_data(a) -> dict:
    """The annual summary as JSON: the year's figures, Schedule C lines and 1099-Ks."""
    sc = a.schedule_c
    return {
        "year": a.year,
        "timezone": a.timezone,
        "currency": a.currency,
        "basis": a.basis,
        "channels": {line.channel: _channel(line) for line in a.channels},
        "totals": _channel(a.totals),
        "schedule_c": {
            "line_1_gross_receipts": sc.line_1_gross_receipts.plain(),
            "line_2_returns_and_allowances": sc.line_2_returns_and_allowances.plain(),
            "line_3_subtotal": sc.line_3_subtotal.plain(),
            "line_10_commissions_and_fees": sc.line_10_commissions_and_fees.plain(),
            "payout_fees": sc.payout_fees.plain(),
        },
        "tax_forms": [
            {
                "channel": t.channel,
                "ledger_gross": t.ledger_gross.plain(),
                "reported_gross": t.reported_gross.plain() if t.reported_gross else None,
                "difference": t.difference.plain() if t.difference is not None else None,
            }
            for t in a.tax_forms
        ],
        "months": [{"month": str(m), **_figures(f)} for m, f in a.months],
        "exchange_gain": a.exchange_gain.plain(),
    }


# --------------------------------------------------------------------------- CSV


CSV_COLUMNS = ["period", "channel", "kind", "count", "gross", "refunds", "fees", "net"]


def statement_csv(period: str, lines) -> str:
    """One row per channel and kind (every channel, zeros included), then the totals."""
    rows = [
        [period, line.channel, kind, f.count, f.gross.plain(), f.refunds.plain(),
         f.fees.plain(), f.net.plain()]
        for line in lines
        for kind, f in line.kinds.items()
    ]  # fmt: skip
    return to_csv(CSV_COLUMNS, rows)


# --------------------------------------------------------------------------- display data


def amount(money) -> str:
    """``1,234.56`` (the currency's own minor digits); negative with a leading minus."""
    return f"{money.rounded().amount:,.{exponent(money.currency)}f}"


_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£"}


def format_money(money) -> str:
    """An amount for a sentence or a subject line: ``$1,234.56``, ``-$5.00``, ``1,000 JPY``."""
    symbol = _SYMBOLS.get(money.currency)
    text = amount(abs(money))
    sign = "-" if money.amount < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {money.currency}"


def month_name(month) -> str:
    return month.first_day.strftime("%B %Y")


def month_short(month) -> str:
    return month.first_day.strftime("%b %Y")


def _share(figures) -> str:
    share = figures.fee_share
    return "–" if share is None else f"{share:.1f}%"


def _change(now, before) -> str:
    """``+12.5%`` against a non-zero earlier net, else an empty string."""
    if not before.amount:
        return ""
    change = (now.amount - before.amount) * 100 / abs(before.amount)
    change = change.quantize(Decimal("0.1"), ROUNDING)
    return f"{change:+.1f}%"


def _row(label: str, f, indent: bool = False) -> dict:
    return {
        "label": label,
        "indent": indent,
        "count": str(f.count),
        "gross": amount(f.gross),
        "refunds": amount(f.refunds),
        "fees": amount(f.fees),
        "net": amount(f.net),
        "fee_share": _share(f),
    }


def _channel_rows(lines) -> tuple[list[dict], list[str]]:
    """Rows for channels with activity (kind rows beneath when a channel has several),
    and the labels of channels with none."""
    rows, idle = [], []
    for line in lines:
        if line.figures.empty:
            idle.append(line.label)
            continue
        rows.append(_row(line.label, line.figures))
        kinds = [(k, f) for k, f in line.kinds.items() if not f.empty]
        if len(kinds) > 1:
            rows.extend(_row(KIND_LABELS.get(k, k), f, indent=True) for k, f in kinds)
    return rows, idle


def _chart(series, channels) -> dict:
    """The 12-month chart as table data: per month, one coloured segment per channel with a
    positive net, widths in whole percent of the largest month (negatives show as numbers)."""
    peak = max(
        (sum((v.amount for v in x.net.values() if v.amount > 0), Decimal(0)) for x in series),
        default=Decimal(0),
    )
    used = [c for c in channels if any(x.net.get(c.channel) for x in series)]
    rows = []
    for x in series:
        segments = []
        for c in used:
            value = x.net.get(c.channel)
            if value is not None and value.amount > 0 and peak:
                width = int((value.amount * 100 / peak).to_integral_value(ROUNDING))
                if width:
                    segments.append(
                        {"colour": COLOURS.get(c.channel, OTHER_COLOUR), "width": width,
                         "label": c.label, "amount": amount(value)}
                    )  # fmt: skip
        filled = sum(s["width"] for s in segments)
        text_bar = "#" * int((Decimal(filled) * 40 / 100).to_integral_value(ROUNDING))
        rows.append(  # widths rounded up may pass 100 together: the rest is then nothing
            {"month": month_short(x.month), "segments": segments, "rest": max(0, 100 - filled),
             "total": amount(x.total), "text_bar": text_bar}
        )  # fmt: skip
    legend = [{"label": c.label, "colour": COLOURS.get(c.channel, OTHER_COLOUR)} for c in used]
    return {"rows": rows, "legend": legend}


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(
        text, TEXT_WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def statement_view(s) -> dict:
    """Everything the monthly templates show, already formatted."""
    rows, idle = _channel_rows(s.channels)
    r, o, c = s.recurring, s.outstanding, s.comparison
    m = r.movements
    f = s.totals.figures
    return {
        "title": f"Statement for {month_name(s.month)}",
        "month": str(s.month),
        "timezone": s.timezone,
        "currency": s.currency,
        "headline": {
            "net": amount(f.net),
            "gross": amount(f.gross),
            "refunds": amount(f.refunds),
            "fees": amount(f.fees),
            "count": f.count,
            "change": _change(f.net, c.previous.net),
            "previous_month": month_name(c.previous_month),
        },
        "rows": rows,
        "total": _row("Total", f),
        "kinds": [_row(KIND_LABELS.get(k, k), v) for k, v in s.totals.kinds.items()],
        "idle": idle,
        "unexpected_fees": [
            {
                "label": line.label,
                "count": line.unexpected_fees,
                "amount": amount(abs(line.unexpected_fee_amount)),
                "than": "less" if line.unexpected_fee_amount.amount < 0 else "more",
            }
            for line in s.channels
            if line.unexpected_fees
        ],
        "recurring": {
            **_recurring_counts(r),
            "grace_days": r.lapse_grace_days,
            "mrr_gross": amount(r.mrr_gross),
            "mrr_net": amount(r.mrr_net),
            "by_channel": [
                {
                    "label": x.label,
                    "active": x.active,
                    "mrr_gross": amount(x.mrr_gross),
                    "mrr_net": amount(x.mrr_net),
                }
                for x in r.by_channel
            ],
            "movements": [
                ("MRR at start", amount(m.start)),
                ("+ new", amount(m.new)),
                ("+ expansion", amount(m.expansion)),
                ("+ reactivation", amount(m.reactivation)),
                ("- contraction", amount(m.contraction)),
                ("- churn", amount(m.churn)),
                ("MRR at end", amount(m.end)),
            ],
            "fee_unknown": ", ".join(r.fee_unknown),
            "convention": r.convention,
            "convention_lines": _wrap(r.convention),
            "names": None
            if not s.names_shown
            else [
                (label, ", ".join(names) if names else "none")
                for label, names in (
                    ("New", r.new_names),
                    ("Cancelled", r.cancelled_names),
                    ("Lapsed", r.lapsed_names),
                )
            ],
        },
        "outstanding": {
            "royalties": [
                {
                    "label": x.label,
                    "earned": month_short(x.earned_in),
                    "due": month_short(x.due_in),
                    "count": x.count,
                    "amount": amount(x.owed),
                }
                for x in o.royalties
            ],
            "royalties_total": amount(o.royalties_total),
            "checks": [
                {
                    "label": x.label,
                    "received": x.received_on.isoformat(),
                    "age": x.age_days,
                    "number": x.check_number or "",
                    "payer": x.payer,
                    "amount": amount(x.amount),
                }
                for x in o.waiting
            ],
            "checks_unexplained": amount(o.waiting_unexplained) if o.waiting_unexplained else "",
            "checks_total": amount(o.waiting_total),
            "balances": [
                {
                    "label": x.label,
                    "currency": x.currency,
                    "opening": amount(x.opening),
                    "receipts": amount(x.receipts),
                    "paid_out": amount(x.paid_out),
                    "other": amount(x.other),
                    "balance": amount(x.closing),
                    "stated": (
                        f"{amount(x.stated)} on {_local_day(x.stated_at, s.timezone)}"
                        if x.stated is not None
                        else ""
                    ),
                    "difference": amount(x.difference) if x.difference else "",
                }
                for x in o.holdings
            ],
            "balances_total": amount(o.holdings_total),
            "in_transit": [{"label": x.label, "amount": amount(x.amount)} for x in o.in_transit],
            "in_transit_total": amount(o.in_transit_total),
            "total": amount(o.total),
            "empty": not (o.royalties or o.waiting or o.holdings or o.in_transit),
        },
        "payouts": [
            {
                "label": p.label,
                "initiated": p.initiated_on.isoformat(),
                "arrived": p.arrived_on.isoformat() if p.arrived_on else "",
                "amount": amount(p.amount),
                "fee": amount(p.fee),
                "to_bank": amount(p.to_bank),
                "currency": p.amount.currency,
            }
            for p in s.payouts
        ],
        "payouts_total": amount(s.payouts_total),
        "comparison": [
            {"label": label, **_row(label, fig)}
            for label, fig in (
                (month_short(s.month), f),
                (month_short(c.previous_month), c.previous),
                (month_short(c.year_ago_month), c.year_ago),
                (f"{month_short(c.year_to_date_from)[:3]}–{month_short(s.month)}", c.year_to_date),
            )
        ],
        "chart": _chart(s.series, s.channels),
        "missing": [x.message for x in s.missing_data],
        "names_shown": s.names_shown,
        "exchange_gain": amount(s.exchange_gain) if s.exchange_gain else "",
    }


def annual_view(a) -> dict:
    rows, idle = _channel_rows(a.channels)
    sc = a.schedule_c
    return {
        "title": f"Annual summary {a.year}",
        "basis": a.basis,
        "year": a.year,
        "timezone": a.timezone,
        "currency": a.currency,
        "rows": rows,
        "total": _row("Total", a.totals.figures),
        "idle": idle,
        "schedule_c": [
            ("1", "Gross receipts or sales", amount(sc.line_1_gross_receipts)),
            ("2", "Returns and allowances", amount(sc.line_2_returns_and_allowances)),
            ("3", "Subtract line 2 from line 1", amount(sc.line_3_subtotal)),
            ("10", "Commissions and fees", amount(sc.line_10_commissions_and_fees)),
        ],
        "payout_fees": amount(sc.payout_fees),
        "tax_forms": [
            {
                "label": t.label,
                "ledger": amount(t.ledger_gross),
                "reported": amount(t.reported_gross) if t.reported_gross else "not recorded",
                "difference": amount(t.difference) if t.difference is not None else "",
            }
            for t in a.tax_forms
        ],
        "months": [_row(month_short(m), f) for m, f in a.months],
        "exchange_gain": amount(a.exchange_gain) if a.exchange_gain else "",
    }


# --------------------------------------------------------------------------- templates


def shipped_templates() -> Path:
    """The templates that ship with supportledger.

    A wheel carries them inside the package (``supportledger/templates``, force-included by
    pyproject); an editable install finds them in the repository's top-level ``templates/``
    beside ``src/``.
    """
    packaged = Path(__file__).with_name("templates")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def environment(settings):
    """A Jinja2 environment: the writer's folder first (so one template can be replaced),
    then the shipped one; autoescape on for ``.html.j2`` and off for text."""
    import jinja2

    folders = [settings.templates_dir] if settings.templates_dir else []
    loaders = [jinja2.FileSystemLoader(str(p)) for p in (*folders, shipped_templates())]
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(statement, fmt: str, settings) -> str:
    """``statement`` (a MonthlyStatement or an AnnualSummary) as html, text, json or csv."""
    from supportledger.errors import LedgerError
    from supportledger.statement import AnnualSummary

    if fmt not in FORMATS:
        raise LedgerError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    annual = isinstance(statement, AnnualSummary)
    if fmt == "json":
        return to_json(annual_data(statement) if annual else statement_data(statement))
    if fmt == "csv":
        period = str(statement.year) if annual else str(statement.month)
        return statement_csv(period, [*statement.channels, statement.totals])
    view = annual_view(statement) if annual else statement_view(statement)
    name = "annual" if annual else "statement"
    extension = "html" if fmt == "html" else "txt"
    return environment(settings).get_template(f"{name}.{extension}.j2").render(**view)
