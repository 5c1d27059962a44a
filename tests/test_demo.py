"""The README's first command: the sample routine ends in a statement a person can open."""

import json

from supportledger.cli import main
from supportledger.cli.demo import SAMPLE_FILES


def test_demo_builds_octobers_statement_from_the_bundled_exports(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGER_TIMEZONE", "America/Phoenix")
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    # gross: Zelle 40 + 25, Patreon 255.00, PayPal 10 + 5 + 25 + 32.55 (EUR 30 at 1.0851)
    # + 100 + 15 + 50 (23:30 on 31 Oct), the check 100.00, KDP 9 x 4.99 + 4 x 0.99
    # = 65.00 + 255.00 + 237.55 + 100.00 + 48.87 = 706.42
    # refunds: Rosa's September donation 20.00 + Patreon 5.00 = 25.00
    # fees: PayPal 0.84 + 0.66 + 1.36 + 1.56 + 3.98 + 1.01 + 2.24 = 11.65,
    # Patreon 20.40 + 12.90 = 33.30, KDP 48.87 - 30.92 = 17.95: 62.90
    assert "Net received: $618.52" in out
    assert "Gross 706.42 - refunds 25.00 - fees 62.90, from 13 payments" in out
    # Patreon's active patrons (Mara, Dev, Lena) are paid through the month's one earnings
    # receipt, so current; June Park's pledge Patreon marks declined is the one lapse. The
    # PayPal subscriptions were paid on 1 October: due 1 November, not overdue.
    assert "2 new, 0 cancelled, 1 lapsed (a payment overdue by over 10 days, or declined)" in out
    # everything in a folder of its own, and the output says where and how to explore it
    folder = tmp_path / "supportledger-demo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["supportledger-demo"]
    html = (folder / "statement-2026-10.html").read_text()
    assert "<html" in html and "618.52" in html
    assert sorted(p.name for p in (folder / "samples").iterdir()) == sorted(SAMPLE_FILES)
    assert "Sample exports: supportledger-demo/samples/" in out
    assert "export DATABASE_URL=sqlite:///supportledger-demo/ledger.db" in out
    assert all(len(line) <= 80 for line in out.splitlines() if "file://" not in line)

    monkeypatch.setenv("DATABASE_URL", "sqlite:///supportledger-demo/ledger.db")
    assert main(["receipts", "--channel", "check", "--format", "json"]) == 0
    (check,) = json.loads(capsys.readouterr().out)
    assert (check["status"], check["gross"]) == ("deposited", "100.00")  # settled by the bank


def test_demo_again_replaces_its_own_statement_and_says_so_but_no_one_elses(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["demo"]) == 0
    said = capsys.readouterr().out
    assert "statement-2026-10.html (replaced the earlier demo one)" in said

    mine = tmp_path / "october.html"
    mine.write_text("the writer's own page")
    assert main(["demo", "--output", str(mine)]) == 1
    assert "exists: the demo writes only a new file there" in capsys.readouterr().err
    assert mine.read_text() == "the writer's own page"
