"""The README's first command: the sample routine ends in a statement a person can open."""

import json

from supportledger.cli import main


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
    assert "Net received: 618.52 USD" in out
    assert "Gross 706.42 - refunds 25.00 - fees 62.90" in out
    # Patreon's patrons stand where its members export says: Mara, Dev, Lena active, Omar's
    # end dated 1 November (Last Updated), June Park's pledge declined on 1 October and so
    # lapsed by the 31st. The two PayPal subscriptions were paid on 1 October: new, due 1
    # November. MRR 5 + 10 + 25 + 5 (Patreon) + 10 + 5 (PayPal); received: Patreon's 255.00
    # and the two PayPal payments.
    assert (
        "  6 in good standing, from 6 supporters: 2 new, 0 ended\n"
        "  0 overdue within 10 days' grace (0.00 a month, in MRR)\n"
        "  1 lapsed: overdue or declined for longer (10.00 a month, not in MRR)\n"
        "  MRR 60.00 gross, 52.38 net of fees\n"
        "  Recurring money received this month: 270.00\n"
    ) in out
    html = (tmp_path / "statement-2026-10.html").read_text()
    assert "<html" in html and "618.52" in html
    assert not (tmp_path / "supportledger.db").exists()  # the writer's own ledger untouched

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'supportledger-demo.db'}")
    assert main(["receipts", "--channel", "check", "--format", "json"]) == 0
    (check,) = json.loads(capsys.readouterr().out)
    assert (check["status"], check["gross"]) == ("deposited", "100.00")  # settled by the bank


def test_demo_replaces_only_a_ledger_it_made_and_overwrites_no_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGER_TIMEZONE", "America/Phoenix")
    real = tmp_path / "supportledger.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{real}")
    assert main(["init"]) == 0
    assert main(["add", "--channel", "zelle", "--amount", "40", "--date", "2026-10-03"]) == 0
    before = real.read_bytes()
    monkeypatch.delenv("DATABASE_URL")
    capsys.readouterr()

    assert main(["demo", "--database", str(real)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a ledger the demo made" in err
    assert real.read_bytes() == before  # the writer's ledger, untouched
    assert not (tmp_path / "statement-2026-10.html").exists()  # refused before any work

    assert main(["demo"]) == 0, capsys.readouterr().err  # its own ledger, made anew each time
    assert main(["demo"]) == 0, capsys.readouterr().err  # the same statement: left as it is
    statement = tmp_path / "statement-2026-10.html"
    statement.write_text("<p>the writer's own notes</p>")
    capsys.readouterr()
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists; the demo does not overwrite it" in err
    assert statement.read_text() == "<p>the writer's own notes</p>"
