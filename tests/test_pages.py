"""The statement pages in a real browser: headless Chromium at phone width (360 px), on a
desktop (1200 px), in dark mode and printed with the browser's defaults.

Each view is checked for what a reader would trip on: a page wider than its screen, a
figure of the statement's JSON that is not on the page (in its text or a tooltip), text
below WCAG AA contrast (4.5:1), and, printed, bars or headings that would not print.
Screenshots and the PDF are written to SUPPORTLEDGER_SCREENSHOTS when it names a folder.

Skipped, with the reason, where no Chromium is installed; SUPPORTLEDGER_REQUIRE_BROWSER=1
(as in CI) turns that skip into a failure.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

import statement_month
from browser import Chromium, find_chromium
from supportledger.config import load_settings
from supportledger.ledger import Ledger
from supportledger.months import Month
from supportledger.render import render
from supportledger.statement import annual_summary, monthly_statement

REQUIRE_BROWSER = os.environ.get("SUPPORTLEDGER_REQUIRE_BROWSER") == "1"
OCTOBER = Month(2026, 10)
#: screen views: (width, dark)
SCREENS = [(360, False), (360, True), (1200, False), (1200, True)]
#: US Letter at 96 px an inch, less Chromium's default margins: the printed page's width
PRINT_WIDTH = 720
AA = 4.5

#: the lowest contrast of any text on the page (and of the headings stacked cells show
#: before their figures), with the text it belongs to
LOWEST_CONTRAST = """(() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/);
    const p = m[1].split(',').map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const channel = v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = c => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const behind = el => { for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor); if (c[3] > 0) return c; }
    return [255, 255, 255, 1]; };
  const ratio = (fg, bg) => { const a = lum(fg), b = lum(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  let worst = [99, ''];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el.getClientRects().length) continue;
    const r = ratio(parse(getComputedStyle(el).color), behind(el));
    if (r < worst[0]) worst = [r, node.textContent.trim().slice(0, 60)];
  }
  for (const el of document.querySelectorAll('td[data-label]')) {
    const before = getComputedStyle(el, '::before');
    if (before.content === 'none' || !el.getClientRects().length) continue;
    const r = ratio(parse(before.color), behind(el));
    if (r < worst[0]) worst = [r, el.dataset.label];
  }
  return worst;
})()"""
TEXT_ON_PAGE = """document.body.innerText + '\\n' +
  [...document.querySelectorAll('[title]')].map(e => e.title).join('\\n')"""
PAGE_WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture(scope="session")
def chromium():
    binary = find_chromium()
    if binary is None:
        reason = "no Chromium (apt-get install chromium, or SUPPORTLEDGER_CHROMIUM=PATH)"
        if REQUIRE_BROWSER:
            pytest.fail(f"browser tests required but {reason}")
        pytest.skip(reason)
    browser = Chromium(binary)
    yield browser
    browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = os.environ.get("SUPPORTLEDGER_SCREENSHOTS")
    target = Path(folder) if folder else tmp_path / "shots"
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def october(ledger, environ, tmp_path):
    """October 2026 across every channel (tests/statement_month.py), supporters named, so
    the long names and an escaped <script> are on the page too."""
    statement_month.build(ledger)
    settings = load_settings({**environ, "SHOW_SUPPORTER_NAMES": "true"}, tmp_path / "no.env")
    return Ledger(settings, engine=ledger.engine)


def figures_of(document, path=()) -> set[str]:
    """Every figure of a statement's JSON as the page shows it: amounts with thousands
    separators, shares with their %, counts with separators, days as they are. A fee
    difference is shown as an amount more or less than the schedule's: its size."""
    found = set()
    if isinstance(document, dict):
        for key, value in document.items():
            found |= figures_of(value, (*path, key))
    elif isinstance(document, list):
        for value in document:
            found |= figures_of(value, path)
    elif isinstance(document, bool) or document is None:
        pass
    elif isinstance(document, int):
        found.add(str(document) if path[-1:] == ("year",) else f"{document:,}")
    elif re.fullmatch(r"-?\d+\.\d\d", document):
        value = Decimal(document)
        found.add(f"{abs(value) if 'unexpected_fees' in path else value:,}")
    elif path[-1:] == ("fee_share",):
        found.add(f"{document}%")
    elif re.fullmatch(r"\d{4}-\d\d-\d\d", document):
        found.add(document)
    return found


def check_view(page, figures: set[str]) -> str:
    width, viewport = page.evaluate(PAGE_WIDTH)
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px viewport"
    text = page.evaluate(TEXT_ON_PAGE)
    missing = sorted(f for f in figures if f not in text)
    assert missing == [], f"figures not on the page: {missing}"
    lowest, where = page.evaluate(LOWEST_CONTRAST)
    assert lowest >= AA, f"contrast {lowest:.2f}:1 for {where!r}"
    return text


def test_the_monthly_statement_reads_well_at_every_width_in_dark_and_printed(
    chromium, october, tmp_path, shots
):
    statement = monthly_statement(october, OCTOBER)
    figures = figures_of(json.loads(render(statement, "json", october.settings)))
    assert {"178.86", "1,144.43", "-16.03", "14.5%", "2026-10-24"} & figures  # the walk works
    page_file = tmp_path / "statement-2026-10.html"
    page_file.write_text(render(statement, "html", october.settings), encoding="utf-8")
    database = october.engine.dialect.name

    for width, dark in SCREENS:
        page = chromium.open(page_file, width, dark=dark)
        text = check_view(page, figures)
        assert "USD ($)" in text and "$178.86" in text  # the currency, named and signed
        assert "arrived (date not known)" not in text
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(18, 20, 22)") == dark  # the dark block applies
        page.screenshot(shots / f"statement-{width}{'-dark' if dark else ''}-{database}.png")
        page.close()

    printed = chromium.open(page_file, PRINT_WIDTH, media="print")
    check_view(printed, figures)
    styles = printed.evaluate(
        """(() => { const bar = document.querySelector('.sl-bar'), s = getComputedStyle(bar);
          const title = getComputedStyle(document.querySelector('.sl-title'));
          return {adjust: s.printColorAdjust || s.webkitPrintColorAdjust,
                  border: s.borderTopWidth + ' ' + s.borderTopStyle,
                  heads: [...document.querySelectorAll('thead')].map(
                      t => getComputedStyle(t).display),
                  sections: [...document.querySelectorAll('.sl-section')].map(
                      t => getComputedStyle(t).breakInside),
                  title: title.color}; })()"""
    )
    assert styles["adjust"] == "exact" and styles["border"] == "16px solid"  # bars print
    assert set(styles["heads"]) == {"table-header-group"}  # headings on every page
    assert set(styles["sections"]) == {"avoid"}  # a section kept on one page where it fits
    assert styles["title"] == "rgb(43, 40, 35)"  # dark on white paper, not pale
    pdf = printed.pdf(shots / f"statement-2026-10-{database}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2
    printed.close()


def test_the_annual_summary_reads_well_on_a_phone_and_printed(chromium, october, tmp_path, shots):
    summary = annual_summary(october, 2026)
    figures = figures_of(json.loads(render(summary, "json", october.settings)))
    page_file = tmp_path / "summary-2026.html"
    page_file.write_text(render(summary, "html", october.settings), encoding="utf-8")
    for width, media in ((360, ""), (PRINT_WIDTH, "print")):
        page = chromium.open(page_file, width, media=media)
        check_view(page, figures)
        name = f"summary-{width}-{media or 'screen'}-{october.engine.dialect.name}.png"
        page.screenshot(shots / name)
        page.close()
