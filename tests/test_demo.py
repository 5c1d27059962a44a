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
    # gross: Zelle 40 + 25, Patreon 255.00, PayPal 10 + 5 + 25 + 32.56 (EUR 30 at the
    # conversion's 30.70 / 28.29) + 100 + 15 + 50 (23:30 on 31 Oct), the check 100.00, KDP
    # 9 x 4.99 + 4 x 0.99 = 65.00 + 255.00 + 237.56 + 100.00 + 48.87 = 706.43
    # refunds: Rosa's September donation 20.00 + Patreon 5.00 = 25.00
    # fees, each what the channel charges: PayPal's Donate rate 2.89% + 0.49 (25.00: 1.21,
    # 100.00: 3.38, 50.00: 1.94; the EUR one 4.39% + EUR 0.39 = 1.71 EUR = 1.86), Checkout's
    # 3.49% + 0.49 on the subscriptions (0.84, 0.66) and the paperback (1.01) = 10.90;
    # Patreon 20.40 + 12.90 = 33.30; KDP 48.87 - 30.94 (each row's royalty rounded once)
    # = 17.93: 62.13
    assert "Net received: $619.30" in out
    assert "Gross 706.43 - refunds 25.00 - fees 62.13, from 13 payments" in out
    # Patreon's patrons stand where its members export says: Mara, Dev, Lena active, Omar's
    # end dated 1 November (Last Updated), June Park's pledge declined on 1 October and so
    # lapsed by the 31st. The two PayPal subscriptions were paid on 1 October: new, due 1
    # November. MRR 5 + 10 + 25 + 5 (Patreon) + 10 + 5 (PayPal); received: Patreon's 255.00
    # and the two PayPal payments.
    assert (
        "  6 active subscriptions from 6 supporters\n"
        "  2 new, 0 cancelled, 1 lapsed (a payment overdue by over 10 days, or declined)\n"
        "  The lapsed ones paid 10.00 a month, no longer counted below\n"
        "  60.00 a month before fees, 52.38 after\n"
        "  270.00 of regular support actually received this month\n"
    ) in out
    # everything in a folder of its own, and the output says where and how to explore it
    folder = tmp_path / "supportledger-demo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["supportledger-demo"]
    html = (folder / "statement-2026-10.html").read_text()
    assert "<html" in html and "619.30" in html
    assert sorted(p.name for p in (folder / "samples").iterdir()) == sorted(SAMPLE_FILES)
    assert "Sample exports: supportledger-demo/samples/" in out
    assert "export DATABASE_URL=sqlite:///supportledger-demo/ledger.db" in out
    assert all(len(line) <= 80 for line in out.splitlines() if "file://" not in line)

    monkeypatch.setenv("DATABASE_URL", "sqlite:///supportledger-demo/ledger.db")
    assert main(["receipts", "--channel", "check", "--format", "json"]) == 0
    (check,) = json.loads(capsys.readouterr().out)
    assert (check["status"], check["gross"]) == ("deposited", "100.00")  # settled by the bank


def test_demo_replaces_only_a_ledger_it_made_and_overwrites_no_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
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
    assert not (tmp_path / "supportledger-demo").exists()  # refused before any work


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
    assert "exists; the demo does not overwrite it" in capsys.readouterr().err
    assert mine.read_text() == "the writer's own page"


def test_the_demo_months_fee_audit_flags_nothing_the_channels_really_charged(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGER_TIMEZONE", "America/Phoenix")
    assert main(["demo"]) == 0
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'supportledger-demo' / 'ledger.db'}")
    capsys.readouterr()
    assert main(["reconcile", "--month", "2026-10"]) == 0
    out = capsys.readouterr().out
    # PayPal donations at the Donate rate, the euro one at its own fixed fee, KDP's rows
    # rounded as Amazon rounds them: no receipt is "unexplained"
    assert "Fees that differ from the schedule: none" in out
