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
from supportledger.models import Supporter, utcnow
from supportledger.months import Month
from supportledger.render import (
    format_money,
    render,
    safe_cell,
    shipped_templates,
    template_cache_dir,
    to_csv,
)
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
    assert "Total                  13      277.15      58.00      40.29      178.86  14.5%" in text


def test_html_escapes_what_supporters_wrote(october):
    shown = with_settings(october, SHOW_SUPPORTER_NAMES="true")
    html = render(monthly_statement(shown, OCTOBER), "html", shown.settings)
    assert "Check 2039 from &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html  # neither the supporter's nor any of ours


def test_html_chart_is_a_table_mail_clients_can_show(october):
    html = render(monthly_statement(october, OCTOBER), "html", october.settings)
    assert "<svg" not in html.lower()
    # May 2026 is the largest positive month (Stripe 116.22); October's positive nets add up
    # to 65 + 12.52 + 48.89 + 50 + 10.48 + 8 = 194.89 (Stripe's -16.03 shows only in the
    # number), so October's bar is the full width and May's 116.22 / 194.89 = 60%. Each
    # segment is a border, which a browser prints even with background graphics off
    assert 'width="60%" title="Stripe 116.22" style="border-top:16px solid #7c8cf8;' in html
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


def test_html_is_styled_inline_with_only_media_queries_in_its_style_blocks(october):
    """Mail clients drop <style> (Gmail's web app keeps little else): every colour, size and
    border is on its element; <style> holds only what needs a media query (a phone, dark
    mode, print) and Outlook's own font rule."""
    html = render(monthly_statement(october, OCTOBER), "html", october.settings)
    blocks = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(blocks) == 2
    outlook, queries = blocks
    assert outlook.strip().startswith("table, td, th") and "<!--[if mso]>" in html
    top_level = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", queries).strip()
    assert top_level == ""  # nothing outside @media
    assert {"screen and (max-width: 560px)", "(prefers-color-scheme: dark)", "print"} == set(
        m.strip() for m in re.findall(r"@media ([^{]*)\{", queries)
    )
    for tag in re.findall(r"<(?:td|th|h2|p)\b[^>]*>", html):  # the cells and the text
        assert "style=" in tag, tag


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


@pytest.fixture
def template_cache(tmp_path, monkeypatch):
    """A cache folder of the test's own (``XDG_CACHE_HOME``), and a way to tell whether a
    rendering compiled any template or loaded them all from it."""
    import jinja2

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    compiled: list[str] = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return real(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_a_second_rendering_loads_its_compiled_templates(october, template_cache, fmt):
    statement = monthly_statement(october, OCTOBER)
    first = render(statement, fmt, october.settings)
    assert template_cache  # compiled, and kept
    folder = template_cache_dir()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert len(list(folder.iterdir())) == len(template_cache)
    template_cache.clear()
    assert render(statement, fmt, october.settings) == first
    assert template_cache == []


def test_a_changed_template_is_compiled_again(october, template_cache, tmp_path, monkeypatch):
    own = tmp_path / "mine"
    own.mkdir()
    monkeypatch.setenv("SUPPORTLEDGER_TEMPLATES", str(own))
    statement = monthly_statement(october, OCTOBER)
    for text in ("{{ title }}\n", "{{ headline.net }}\n"):
        (own / "statement.txt.j2").write_text(text)
        ledger = with_settings(october, SUPPORTLEDGER_TEMPLATES=str(own))
        assert render(statement, "text", ledger.settings) == (
            "Statement for October 2026\n" if "title" in text else "178.86\n"
        )


def test_a_broken_or_shared_cache_is_not_trusted(october, template_cache):
    """A truncated entry is compiled afresh; a folder others can write is not read at all."""
    statement = monthly_statement(october, OCTOBER)
    first = render(statement, "text", october.settings)
    folder = template_cache_dir()
    for entry in folder.iterdir():
        entry.write_bytes(entry.read_bytes()[:20])
    template_cache.clear()
    assert render(statement, "text", october.settings) == first
    assert template_cache  # compiled again (and the entries replaced)
    folder.chmod(0o777)
    template_cache.clear()
    assert render(statement, "text", october.settings) == first
    assert template_cache  # not loaded from a folder another user could have written


def test_without_a_cache_folder_templates_are_compiled_each_time(
    october, template_cache, tmp_path, monkeypatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # the folder cannot be made
    statement = monthly_statement(october, OCTOBER)
    first = render(statement, "text", october.settings)
    template_cache.clear()
    assert render(statement, "text", october.settings) == first
    assert template_cache


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
    code, _, err = cli(
        "tax-form", "record", "--year", "2026", "--channel", "liberapay", "--gross", "1"
    )
    assert code == 1 and err.startswith("supportledger: unknown channel 'liberapay'")


def test_the_email_page_stays_under_gmails_102_kb_with_names_shown(october):
    """Gmail clips a message whose HTML passes 102 KB: the statement's HTML part, as sent
    (quoted-printable), stays under it for a month across every channel."""
    from supportledger.mail import build_message, statement_mail

    shown = with_settings(october, SHOW_SUPPORTER_NAMES="true")
    message = build_message(
        statement_mail(shown, OCTOBER), "books@example.net", "writer@example.net", utcnow()
    )
    (html,) = [part for part in message.walk() if part.get_content_type() == "text/html"]
    sent = html.as_bytes()
    assert 20_000 < len(sent) < 102 * 1024


def test_plain_words_on_the_page_and_the_jargon_in_its_notes(october):
    html = render(monthly_statement(october, OCTOBER), "html", october.settings)
    assert "Regular monthly support" in html and "+ raised pledges" in html
    assert "Accountants call this monthly recurring revenue (MRR)" in html
    assert "MRR at start" not in html and "Fees the schedule did not predict" not in html
    assert "PayPal: 1 payment charged 0.06 more in all than the published rate" in html
    assert "The fee audit: each channel" in html
    # one heading per figure: the fees, and the fees as a share of gross
    assert ">Fees</th>" in html and ">Fees, % of gross</th>" in html
    assert "Reader support · America/Phoenix · USD ($)" in html and "$178.86" in html


def test_the_annual_summary_sets_a_1099k_beside_only_the_channels_that_send_one(october, cli):
    """Zelle and checks never send a 1099-K; a form recorded for any channel is shown."""
    out = cli("statement", "--year", "2026")[1]
    section = out[out.index("1099-K GROSS") : out.index("BY MONTH")]
    shown = [line.split()[0] for line in section.splitlines()[2:] if line.startswith("  ")]
    assert shown == ["Patreon", "PayPal", "Stripe", "Record"]
    assert "Zelle" not in section and "Check" not in section
    assert cli("tax-form", "record", "--year", "2026", "--channel", "zelle", "--gross", "1")[0] == 0
    assert "Zelle" in cli("statement", "--year", "2026")[1].split("1099-K GROSS")[1]


def test_a_year_in_progress_is_marked_as_the_year_to_date(october):
    import datetime as dt

    from supportledger.render import annual_view

    summary = annual_summary(october, 2026)
    during = annual_view(summary, dt.date(2026, 11, 15))
    assert during["title"] == "Annual summary 2026 (year to date)"
    assert during["through"] == "2026 is not over: its figures to November 15 (today)."
    after = annual_view(summary, dt.date(2027, 1, 2))
    assert (after["title"], after["in_progress"]) == ("Annual summary 2026", False)
    text = render(summary, "text", october.settings)  # today, 2026 or later
    assert text.startswith("Annual summary 2026")
