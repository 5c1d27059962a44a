"""Renderings of the statement: text in 80 columns, escaped HTML a mail client can show,
neutralised CSV, the writer's own templates, and the ``statement`` / ``tax-form`` commands.

The ledger is tests/statement_month.py (October 2026 across every channel).
"""

import csv
import io
import json
import re

import pytest
from sqlalchemy import update

import statement_month
from supportledger.config import load_settings
from supportledger.ledger import Ledger
from supportledger.models import Supporter
from supportledger.months import Month
from supportledger.render import format_money, render, safe_cell, shipped_templates, to_csv
from supportledger.statement import annual_summary, monthly_statement

OCTOBER = Month(2026, 10)
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def october(ledger):
    statement_month.build(ledger)
    return ledger


def with_settings(ledger, **extra) -> Ledger:
    environ = {"DATABASE_URL": ledger.settings.database_url, **extra}
    return Ledger(load_settings(environ, dotenv_path=None), engine=ledger.engine)


def test_text_fits_80_columns_even_with_long_names(october):
    long_name = "Bartholomew " * 12 + "Featherstonehaugh-Worthington-Smythe" * 3
    with october.engine.begin() as connection:
        connection.execute(
            update(Supporter).where(Supporter.id == 1).values(display_name=long_name)
        )
        connection.execute(
            update(Supporter).where(Supporter.id == 2).values(display_name=long_name)
        )
    shown = with_settings(october, SHOW_SUPPORTER_NAMES="true")
    text = render(monthly_statement(shown, OCTOBER), "text", shown.settings)
    annual = render(annual_summary(shown, 2026), "text", shown.settings)
    for rendering in (text, annual):
        too_wide = [line for line in rendering.splitlines() if len(line) > 80]
        assert too_wide == []
    assert "Featherstonehaugh" in text  # the names are there, wrapped
    assert "PayPal: nothing imported after 2026-09-30" in text
    # the total line: 13 payments, 277.15 gross, 58.00 refunds, 40.29 fees, 178.86 net
    assert "Total                 13      277.15      58.00      40.29      178.86  14.5%" in text


def test_html_escapes_what_supporters_wrote(october):
    shown = with_settings(october, SHOW_SUPPORTER_NAMES="true")
    html = render(monthly_statement(shown, OCTOBER), "html", shown.settings)
    assert "Check 2039 from &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html  # neither the supporter's nor any of ours


def test_html_chart_is_a_table_mail_clients_can_show(october):
    html = render(monthly_statement(october, OCTOBER), "html", october.settings)
    assert "<svg" not in html.lower() and "<style" not in html.lower()  # inline styles only
    # May 2026 is the largest positive month (Stripe 116.22); October's positive nets add up
    # to 65 + 12.52 + 48.89 + 50 + 10.48 + 8 = 194.89 (Stripe's -16.03 shows only in the
    # number), so October's bar is the full width and May's 116.22 / 194.89 = 60%
    assert 'width="60%" title="Stripe 116.22" style="background:#7c8cf8;' in html
    october_bar = html[html.index(">Oct 2026<") :]
    october_bar = october_bar[: october_bar.index("178.86")]
    segments = re.findall(r'width="(\d+)%" title="([^"]+)"', october_bar)
    # Zelle 65/194.89 = 33%, Patreon 12.52/194.89 = 6%, PayPal 25%, Check 26%, KDP 5%,
    # Audible 4%; no Stripe segment (its net was negative)
    assert segments == [
        ("33", "Zelle 65.00"),
        ("6", "Patreon 12.52"),
        ("25", "PayPal 48.89"),
        ("26", "Check 50.00"),
        ("5", "Amazon KDP 10.48"),
        ("4", "Audible (ACX) 8.00"),
    ]
    assert "This statement is incomplete." in html


def test_a_writers_template_replaces_one_and_keeps_the_rest(october, cli, tmp_path, monkeypatch):
    own = tmp_path / "mine"
    own.mkdir()
    (own / "statement.txt.j2").write_text("{{ title }}: {{ headline.net }} {{ currency }}\n")
    monkeypatch.setenv("SUPPORTLEDGER_TEMPLATES", str(own))
    assert cli("statement", "--month", "2026-10") == (
        0, "Statement for October 2026: 178.86 USD\n", ""
    )  # fmt: skip
    code, html, _ = cli("statement", "--month", "2026-10", "--format", "html")
    assert code == 0
    assert "Receipts by channel" in html  # the shipped one


def test_shipped_templates_are_found_from_an_editable_install():
    folder = shipped_templates()
    names = {p.name for p in folder.iterdir()}
    assert {"statement.html.j2", "statement.txt.j2", "annual.html.j2", "annual.txt.j2"} <= names


def test_csv_is_one_row_per_channel_and_kind(october):
    text = render(monthly_statement(october, OCTOBER), "csv", october.settings)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["period", "channel", "kind", "count", "gross", "refunds", "fees", "net"]
    assert len(rows) == 1 + (9 + 1) * 3  # every channel and the total, by kind
    assert ["2026-10", "paypal", "one_time", "2", "74.17", "30.00", "4.44", "39.73"] in rows
    assert ["2026-10", "stripe", "one_time", "1", "25.00", "25.00", "16.03", "-16.03"] in rows
    assert ["2026-10", "total", "sale", "3", "34.98", "0.00", "16.50", "18.48"] in rows


def test_csv_cells_that_look_like_formulas_are_neutralised():
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-16.03") == "-16.03"  # a number stays a number
    assert to_csv(["name"], [["+1+2"]]) == "name\n'+1+2\n"


def test_money_for_a_sentence():
    from supportledger.money import Money

    assert format_money(Money.of("1234.5", "USD")) == "$1,234.50"
    assert format_money(Money.of("-16.03", "USD")) == "-$16.03"
    assert format_money(Money.of("1000", "JPY")) == "1,000 JPY"


def test_statement_command_writes_each_format(october, cli, tmp_path):
    code, out, err = cli("statement", "--month", "2026-10", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["totals"]["net"] == "178.86"
    code, out, _ = cli("statement", "--month", "2026-10")  # text by default
    assert out.startswith("Statement for October 2026\n")
    target = tmp_path / "out" / "october.html"
    code, out, _ = cli(
        "statement", "--month", "2026-10", "--format", "html", "--output", str(target)
    )
    assert (code, out) == (0, "")
    assert target.read_text().startswith("{#") is False and "<!DOCTYPE html>" in target.read_text()
    code, out, _ = cli("statement", "--year", "2026", "--format", "csv")
    assert "2026,paypal,one_time,3,104.17,30.00,5.98,68.19" in out  # 5417+2000+3000, fees 598


def test_statement_command_one_line_errors(october, cli):
    assert cli("statement") == (
        1,
        "",
        "supportledger: give either --month YYYY-MM or --year YYYY\n",
    )
    code, _, err = cli("statement", "--month", "2026-13")
    assert code == 1 and err == "supportledger: --month: expected YYYY-MM, got '2026-13'\n"


def test_tax_form_record_and_list(october, cli):
    code, out, err = cli("tax-form", "record", "--year", "2026", "--channel", "PayPal",
                         "--gross", "1,234.56")  # fmt: skip
    assert (code, err) == (0, "")
    assert out == "recorded paypal 1099-K for 2026: gross 1234.56 USD\n"
    cli("tax-form", "record", "--year", "2026", "--channel", "paypal", "--gross", "160.00")
    code, out, _ = cli("tax-form", "list", "--format", "json")
    assert json.loads(out) == [
        {"year": 2026, "channel": "paypal", "gross": "160.00", "currency": "USD"}
    ]
    code, out, _ = cli("statement", "--year", "2026")
    # PayPal's 2026 gross 121.17 beside the 160.00 reported: 38.83 more on the form
    form_lines = [line.split() for line in out.splitlines() if line.startswith("  PayPal ")]
    assert form_lines == [["PayPal", "121.17", "160.00", "38.83"]]
    code, _, err = cli("tax-form", "record", "--year", "2026", "--channel", "venmo", "--gross", "1")
    assert code == 1 and err.startswith("supportledger: unknown channel 'venmo'")
