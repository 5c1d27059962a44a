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

import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
import stat
import textwrap
from decimal import Decimal
from pathlib import Path

from supportledger.channels import OTHER_COLOUR, get_channel
from supportledger.errors import LedgerError
from supportledger.money import ROUNDING, exponent

FORMATS = ("html", "text", "json", "csv")
TEXT_WIDTH = 80
KIND_LABELS = {"one_time": "one-time", "recurring": "recurring", "sale": "sales"}


def colour_of(channel: str) -> str:
    """The channel's colour for the chart and its legend, as its declaration gives it (mail
    clients need plain colours); a name no declaration knows is drawn as "other"."""
    try:
        return get_channel(channel).colour
    except LedgerError:
        return OTHER_COLOUR


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
        "grace": r.grace,
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
            "received": r.received.plain(),
            "lapsed_mrr": r.lapsed_mrr.plain(),
            "grace_mrr": r.grace_mrr.plain(),
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
        "titles": titles_data(a.titles),
    }


def titles_data(titles) -> list[dict]:
    """Income per title as JSON: each title's figures, per channel and in total."""
    return [
        {
            "title": t.name,
            "title_id": t.title_id,
            "identifiers": list(t.identifiers),
            "channels": {channel: _figures(f) for channel, _, f in t.channels},
            **_figures(t.total),
        }
        for t in titles
    ]


def title_rows(titles) -> list[dict]:
    """Rows for a table of titles: each title, its channels beneath when it has several."""
    rows = []
    for t in titles:
        rows.append(_row(t.name, t.total))
        if len(t.channels) > 1:
            rows.extend(_row(f"via {label}", f, indent=True) for _, label, f in t.channels)
    return rows


TITLE_CSV_COLUMNS = ["title", "identifiers", "channel", "count", "gross", "refunds", "fees", "net"]


def titles_csv(titles) -> str:
    """One row per title and channel."""
    return to_csv(
        TITLE_CSV_COLUMNS,
        [
            [t.name, " ".join(t.identifiers), channel, f.count, f.gross.plain(),
             f.refunds.plain(), f.fees.plain(), f.net.plain()]
            for t in titles
            for channel, _, f in t.channels
        ],
    )  # fmt: skip


def titles_text(titles, period: str, currency: str) -> str:
    """The titles table as text, 80 columns (the annual summary's own line layout)."""
    line = "{:<30} {:>5} {:>10} {:>9} {:>9} {:>10}"
    lines = [
        f"Income per title, {period}; amounts in {currency}.",
        line.format("", "count", "gross", "refunds", "fees", "net"),
    ]
    for r in title_rows(titles):
        label = ("  " if r["indent"] else "") + r["label"]
        lines.append(
            line.format(label[:30], r["count"], r["gross"], r["refunds"], r["fees"], r["net"])
        )
    if not titles:
        lines.append("No receipts in this period.")
    return "\n".join(lines) + "\n"


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


def _row(label: str, f, indent: bool = False, note: str = "") -> dict:
    return {
        "label": label,
        "note": note,  # a word under the label: "the year to date"
        "indent": indent,
        "count": f"{f.count:,}",
        "gross": amount(f.gross),
        "refunds": amount(f.refunds),
        "fees": amount(f.fees),
        "net": amount(f.net),
        "fee_share": _share(f),
    }


def _channel_rows(lines, unknown: frozenset[str] = frozenset()) -> tuple[list[dict], list[str]]:
    """Rows for channels with activity (kind rows beneath when a channel has several),
    and the labels of channels with none: not those whose data is missing, which the
    INCOMPLETE banner names (no data is not "no activity")."""
    rows, idle = [], []
    for line in lines:
        if line.figures.empty:
            if line.channel not in unknown:
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
                        {"colour": colour_of(c.channel), "width": width,
                         "label": c.label, "amount": amount(value)}
                    )  # fmt: skip
        filled = sum(s["width"] for s in segments)
        text_bar = "#" * int((Decimal(filled) * 40 / 100).to_integral_value(ROUNDING))
        # every channel's net, negatives too, for the month's tooltip
        detail = ", ".join(
            f"{c.label} {amount(x.net[c.channel])}" for c in used if x.net.get(c.channel)
        )
        rows.append(  # widths rounded up may pass 100 together: the rest is then nothing
            {"month": month_short(x.month), "segments": segments, "rest": max(0, 100 - filled),
             "total": amount(x.total), "text_bar": text_bar, "detail": detail}
        )  # fmt: skip
    legend = [{"label": c.label, "colour": colour_of(c.channel)} for c in used]
    return {"rows": rows, "legend": legend}


def wrap(
    text: str, indent: str = "  ", hanging: str | None = None, cut_long_words: bool = True
) -> list[str]:
    """``text`` in lines of at most 80 columns, broken between words; continuation lines
    start with ``hanging``. A word longer than a line is cut, unless ``cut_long_words`` is
    false (an id or a path someone will copy): it then has a line of its own."""
    return textwrap.wrap(
        text,
        TEXT_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_on_hyphens=False,
        break_long_words=cut_long_words,
    ) or [indent.rstrip()]


#: the words a statement uses for the MRR movements; the jargon goes in a note
MOVEMENT_WORDS = (
    ("start", "At the start of the month"),
    ("new", "+ new supporters"),
    ("expansion", "+ raised pledges"),
    ("reactivation", "+ supporters who came back"),
    ("contraction", "- a pledge ended, others kept"),
    ("churn", "- cancelled or declined"),
    ("end", "At the end of the month"),
)
MRR_JARGON = (
    "Accountants call this monthly recurring revenue (MRR), and the changes new, expansion, "
    "reactivation, contraction and churn."
)
FEE_AUDIT_NOTE = (
    "The fee audit: each channel's fee is set beside the one its published schedule "
    "predicts; `supportledger reconcile` lists each difference with its likely cause."
)


def currency_words(currency: str) -> str:
    """``USD ($)``: the currency every amount of a statement is in, with its sign."""
    symbol = _SYMBOLS.get(currency)
    return f"{currency} ({symbol})" if symbol else currency


def _unexpected_fees(channels) -> list[dict]:
    """The fee audit in plain words: per channel, how many payments were charged how much
    more or less than the published rates."""
    return [
        {
            "label": line.label,
            "payments": plural(line.unexpected_fees, "payment"),
            "amount": amount(abs(line.unexpected_fee_amount)),
            "than": "less" if line.unexpected_fee_amount.amount < 0 else "more",
        }
        for line in channels
        if line.unexpected_fees
    ]


def _payout_row(p) -> dict:
    return {
        "label": p.label,
        "initiated": p.initiated_on.isoformat(),
        "arrived": p.arrived_on.isoformat() if p.arrived_on else "not yet",
        "amount": amount(p.amount),
        "fee": amount(p.fee),
        "to_bank": amount(p.to_bank),
        "currency": p.amount.currency,
    }


def statement_view(s) -> dict:
    """Everything the monthly templates show, already formatted."""
    unknown = frozenset(ch for gap in s.missing_data for ch in gap.channels)
    rows, idle = _channel_rows(s.channels, unknown)
    r, o, c = s.recurring, s.outstanding, s.comparison
    m = r.movements
    f = s.totals.figures
    currency = s.currency
    ytd = f"{month_short(c.year_to_date_from)[:3]}–{month_short(s.month)}"
    names = (
        None
        if not s.names_shown
        else [
            (label, ", ".join(people) if people else "none")
            for label, people in (
                ("New", r.new_names),
                ("Cancelled", r.cancelled_names),
                ("Lapsed", r.lapsed_names),
            )
        ]
    )
    return {
        "title": f"Statement for {month_name(s.month)}",
        "month": str(s.month),
        "timezone": s.timezone,
        "currency": currency,
        "currency_words": currency_words(currency),
        "headline": {
            "net": amount(f.net),
            "net_money": format_money(f.net),
            "gross": amount(f.gross),
            "refunds": amount(f.refunds),
            "fees": amount(f.fees),
            "count": f"{f.count:,}",
            "payments": plural(f.count, "payment"),
            "change": _change(f.net, c.previous.net),
            "previous_month": month_name(c.previous_month),
        },
        "rows": rows,
        "total": _row("Total", f),
        "kinds": [_row(KIND_LABELS.get(k, k), v) for k, v in s.totals.kinds.items()],
        "idle": idle,
        "unexpected_fees": _unexpected_fees(s.channels),
        "fee_audit_note": FEE_AUDIT_NOTE,
        "recurring": {
            **{key: f"{value:,}" for key, value in _recurring_counts(r).items()},
            "grace_days": r.lapse_grace_days,
            "mrr_gross": amount(r.mrr_gross),
            "mrr_net": amount(r.mrr_net),
            "received": amount(r.received),
            "lapsed_mrr": amount(r.lapsed_mrr),
            "grace_mrr": amount(r.grace_mrr),
            "by_channel": [
                {
                    "label": x.label,
                    "active": f"{x.active:,}",
                    "mrr_gross": amount(x.mrr_gross),
                    "mrr_net": amount(x.mrr_net),
                }
                for x in r.by_channel
            ],
            "movements": [(words, amount(getattr(m, key))) for key, words in MOVEMENT_WORDS],
            "fee_unknown": ", ".join(r.fee_unknown),
            "convention": r.convention,
            "jargon": MRR_JARGON,
            "names": names,
        },
        "outstanding": {
            "royalties": [
                {
                    "label": x.label,
                    "earned": month_short(x.earned_in),
                    "due": month_short(x.due_in),
                    "count": f"{x.count:,}",
                    "sales": plural(x.count, "sale"),
                    "amount": amount(x.owed),
                }
                for x in o.royalties
            ],
            "royalties_total": amount(o.royalties_total),
            "checks": [
                {
                    "label": f"{x.label} {x.check_number or ''}".rstrip()
                    + (f" from {x.payer}" if x.payer else ""),
                    "received": x.received_on.isoformat(),
                    "age": f"{x.age_days:,}",
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
                    "held_by": f"{x.label} ({x.currency})",
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
            "total_money": format_money(o.total),
            "empty": not (o.royalties or o.waiting or o.holdings or o.in_transit),
        },
        "payouts": [_payout_row(p) for p in s.payouts],
        "payouts_total": amount(s.payouts_total),
        "payouts_total_money": format_money(s.payouts_total),
        "comparison": [
            _row(label, fig, note=note)
            for label, note, fig in (
                (month_short(s.month), "this month", f),
                (month_short(c.previous_month), "the month before", c.previous),
                (month_short(c.year_ago_month), "a year before", c.year_ago),
                (ytd, "the year to date", c.year_to_date),
            )
        ],
        "chart": _chart(s.series, s.channels),
        "missing": [x.message for x in s.missing_data],
        "names_shown": s.names_shown,
        "exchange_gain": amount(s.exchange_gain) if s.exchange_gain else "",
    }


def annual_view(a, today: dt.date) -> dict:
    """The annual summary's display data; a year not over on ``today`` is marked as the
    year to date, through the last month it has reached."""
    rows, idle = _channel_rows(a.channels)
    sc = a.schedule_c
    in_progress = today.year == a.year

    return {
        "title": f"Annual summary {a.year}" + (" (year to date)" if in_progress else ""),
        "basis": a.basis,
        "year": a.year,
        "in_progress": in_progress,
        "through": f"{a.year} is not over: its figures to {today:%B} {today.day} (today)."
        if in_progress
        else "",
        "timezone": a.timezone,
        "currency": a.currency,
        "currency_words": currency_words(a.currency),
        "rows": rows,
        "total": _row("Total", a.totals.figures),
        "kinds": [_row(KIND_LABELS.get(k, k), v) for k, v in a.totals.kinds.items()],
        "idle": idle,
        "unexpected_fees": _unexpected_fees(a.channels),
        "fee_audit_note": FEE_AUDIT_NOTE,
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
            if t.reported_gross is not None or _issues_1099k(t.channel)
        ],
        "months": [_row(month_short(m), f) for m, f in a.months],
        "exchange_gain": amount(a.exchange_gain) if a.exchange_gain else "",
        "titles": title_rows(a.titles),
    }


def _issues_1099k(channel: str) -> bool:
    from supportledger.channels import get_channel
    from supportledger.errors import LedgerError

    try:
        return get_channel(channel).issues_1099k
    except LedgerError:
        return True  # a channel the ledger does not know: shown, not hidden


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


#: how the templates are compiled (beside autoescape, which each template's name decides): a
#: compiled template is kept only for these, so a change here compiles every template afresh
TEMPLATE_SYNTAX = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}


def template_cache_dir() -> Path:
    """Where compiled templates are kept: ``$XDG_CACHE_HOME/supportledger/templates``."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "supportledger" / "templates"


def _bytecode_cache():
    """Templates compiled by an earlier run, loaded rather than compiled again (compiling a
    statement's templates costs a run more than rendering them). A compiled template is code
    this process runs: kept only in a folder of the user's own that no one else can write;
    when there is none, or it cannot be made so, templates are compiled each run as before."""
    import jinja2

    class QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
        """A cache that cannot fail a run: an unreadable or broken entry is compiled again,
        one that cannot be written (a full disk, a read-only home) is simply not kept."""

        def get_source_checksum(self, source: str) -> str:
            return super().get_source_checksum(f"{sorted(TEMPLATE_SYNTAX.items())}\n{source}")

        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # a truncated or foreign file: compiled afresh, then replaced
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    try:
        folder = template_cache_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = folder.lstat()
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None
    private = stat.S_ISDIR(mode.st_mode) and not stat.S_IMODE(mode.st_mode) & 0o077
    if not private or mode.st_uid != os.getuid():
        return None
    return QuietBytecodeCache(str(folder))


def environment(settings):
    """A Jinja2 environment: the writer's folder first (so one template can be replaced),
    then the shipped one; autoescape on for ``.html.j2`` and off for text.

    Sandboxed and immutable: a template the writer copied from somewhere can read the
    statement it is given, and nothing else (no attribute of Python's internals, no method
    that changes data)."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    folders = [settings.templates_dir] if settings.templates_dir else []
    loaders = [jinja2.FileSystemLoader(str(p)) for p in (*folders, shipped_templates())]
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
        **TEMPLATE_SYNTAX,
    )
    env.filters["wrap80"] = wrap  # text in 80 columns: {% for line in x|wrap80("  ") %}
    return env


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
    if annual:
        view = annual_view(statement, dt.datetime.now(settings.timezone).date())
    else:
        view = statement_view(statement)
    name = f"{'annual' if annual else 'statement'}.{'html' if fmt == 'html' else 'txt'}.j2"
    return _rendered(environment(settings), name, view)


def _rendered(env, name: str, view: dict) -> str:
    """Template ``name`` filled with ``view``; a broken template (the writer's own, most
    likely) is one line naming it and where, never a traceback."""
    import jinja2

    from supportledger.errors import LedgerError

    try:
        return env.get_template(name).render(**view)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = f", line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise LedgerError(f"template {where}{line}: {exc.message or type(exc).__name__}") from None


# --------------------------------------------------------------------------- the month's routine


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 receipt``, ``2 receipts``, ``1,234 receipts``."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _reached(source) -> str:
    if source.covered_to is None:
        return "nothing imported yet"
    if source.by_month:
        return f"to the {source.covered_to:%B %Y} report"
    return f"to {source.covered_to.isoformat()}"


def checklist_data(c) -> dict:
    """``supportledger month --format json``: the checklist as data, for scripts."""
    return {
        "month": str(c.month),
        "timezone": c.timezone,
        "ended": c.ended,
        "closed": c.closed,
        "sources": [
            {
                "name": s.name,
                "label": s.label,
                "covered_to": s.covered_to.isoformat() if s.covered_to else None,
                "complete": s.complete,
                "reports_by_month": s.by_month,
                "via_bank": s.via_bank,
                "where": s.hint,
            }
            for s in c.sources
        ],
        "unused": list(c.unused),
        "bank_lines_to_decide": [
            {
                "bank_line": x.id,
                "posted_on": x.posted_on.isoformat(),
                "amount": x.amount.plain(),
                "currency": x.amount.currency,
                "description": x.description,
            }
            for x in c.to_decide
        ],
        "payouts_ambiguous": [
            {
                "payout": a.payout.id,
                "channel": a.payout.channel,
                "amount": a.payout.expected_deposit.plain(),
                "bank_lines": [d.id for d in a.candidates],
            }
            for a in c.ambiguous_payouts
        ],
        "payouts_not_arrived": [
            {
                "payout": p.id,
                "channel": p.channel,
                "sent_on": p.sent_on.isoformat(),
                "amount": p.expected_deposit.plain(),
                "expected_by": p.window[1].isoformat(),
            }
            for p in c.payouts_not_arrived
        ],
        "deposits_without_payout": [
            {
                "bank_line": d.id,
                "posted_on": d.posted_on.isoformat(),
                "amount": d.amount.plain(),
                "channel": d.channel,
            }
            for d in c.deposits_without_payout
        ],
        "royalties_overdue": [
            {
                "channel": r.owed.channel,
                "earned_in": str(r.owed.earned_in),
                "due_in": str(r.owed.due_in),
                "owed": r.owed.owed.plain(),
                "likely_paid_by_bank_line": r.deposit.id if r.deposit else None,
            }
            for r in c.royalties_overdue
        ],
        "checks_not_deposited": [
            {
                "receipt": x.receipt_id,
                "check_number": x.check_number,
                "received_on": x.received_on.isoformat(),
                "age_days": x.age_days,
                "amount": x.amount.plain(),
            }
            for x in c.checks_not_deposited
        ],
        "fees_off_schedule": [
            {
                "receipt": f.receipt_id,
                "channel": f.channel,
                "on": f.on.isoformat(),
                "expected": f.expected.plain(),
                "charged": f.actual.plain(),
                "cause": f.cause,
            }
            for f in c.fees_off_schedule
        ],
        "next_steps": [{"command": s.command, "why": s.why} for s in c.next_steps],
    }


def _item(done: bool, text: str, details=()) -> list[str]:
    """A checklist line, ``[x]`` done or ``[ ]`` to do, wrapped at 80 with its details."""
    lines = wrap(text, "  [x] " if done else "  [ ] ", "      ")
    for detail in details:
        lines += wrap(detail, "        ", "          ")
    return lines


def _todo(details: list[str], noun: str, what: str, done: str) -> list[str]:
    """``[ ] 2 checks not deposited`` and a line for each, or ``[x] checks: all deposited``."""
    if not details:
        return _item(True, done)
    return _item(False, f"{plural(len(details), noun)} {what}", details)


def _decisions(c) -> list[str]:
    """The lines of the checklist's "To look at" part, each with its details."""
    unmatched = [
        f"#{a.payout.id} {a.payout.channel} {amount(a.payout.expected_deposit)}: one of "
        f"bank lines {', '.join(str(d.id) for d in a.candidates)}"
        for a in c.ambiguous_payouts
    ]
    unmatched += [
        f"#{p.id} {p.channel} {amount(p.expected_deposit)} sent {p.sent_on}, "
        f"expected by {p.window[1]}"
        for p in c.payouts_not_arrived
    ]
    royalties = [
        f"{r.owed.channel} {r.owed.earned_in}: {amount(r.owed.owed)} due {r.owed.due_in}"
        + (f"; most likely paid by bank deposit #{r.deposit.id} of {r.deposit.posted_on} "
           f"(the same amount; the channel's files hold no payout to tie it to)"
           if r.deposit else "")
        for r in c.royalties_overdue
    ]  # fmt: skip
    waiting = [
        f"receipt #{x.receipt_id} {x.label} {x.check_number or ''}".rstrip()
        + f" {amount(x.amount)}, received {x.received_on}, {plural(x.age_days, 'day')} old"
        for x in c.checks_not_deposited
    ]
    fees = [
        f"#{f.receipt_id} {f.channel} {f.on}: charged {amount(f.actual)}, expected "
        f"{amount(f.expected)} ({f.cause})"
        for f in c.fees_off_schedule
    ]
    if c.to_decide:
        lines = _item(
            False,
            f"{plural(len(c.to_decide), 'bank line')} no rule recognised: money in is not "
            "counted until you decide (supportledger bank classify, below)",
            [f"#{x.id} {x.posted_on} {amount(x.amount)} {x.description}" for x in c.to_decide],
        )
    else:
        lines = _item(True, "bank lines: each one recognised or decided")
    lines += _todo(unmatched, "payout", "not matched to a bank deposit",
                   "payouts: each matched to its bank deposit")  # fmt: skip
    if c.deposits_without_payout:
        lines += _todo(
            [f"#{d.id} {d.posted_on} {amount(d.amount)} {d.channel or ''}"
             for d in c.deposits_without_payout],
            "bank deposit", "from a channel with no payout in its files: import the "
            "channel's file that has it", "",
        )  # fmt: skip
    lines += _todo(royalties, "royalty month", "overdue", "royalties: none overdue")
    lines += _todo(waiting, "payment", "received, not yet in the bank",
                   "payments received: all in the bank")  # fmt: skip
    lines += _todo(fees, "fee", "off the published rates", "fees: all as published")
    return lines


def checklist_text(c) -> str:
    """The checklist for a terminal: what is in, what to look at, then what to run."""
    state = " (closed)" if c.closed else "" if c.ended else " (not over yet)"
    out = [f"{month_name(c.month)}{state}: the month's routine ({c.timezone})", "", "Imports"]
    for s in c.sources:
        if s.complete:
            out += _item(
                True, f"{s.label}: {'with the bank statement' if s.via_bank else _reached(s)}"
            )
        elif s.via_bank:
            out += _item(False, f"{s.label}: waits for the bank statement ({_reached(s)})")
        else:
            detail = s.hint if s.synced else f"{s.hint}; then supportledger import FILE"
            out += _item(False, f"{s.label}: {_reached(s)}", [detail])
    if c.unused:
        out += wrap(f"Not used, nothing to do: {', '.join(c.unused)}.", "  ")
    out += ["", "To look at", *_decisions(c), "", "Next"]
    for step in c.next_steps:
        out += wrap(f"$ {step.command}", "  ", "      ", cut_long_words=False)
        out += wrap(step.why, "      ")
    return "\n".join(out) + "\n"
