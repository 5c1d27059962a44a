"""The README's "Your first month", run as written: from a folder with nothing in it to a
closed month and the statement e-mail written to disk, on the sample exports the demo
copies, on SQLite (the `.env` that `init` writes) and PostgreSQL (DATABASE_URL set, as the
environment wins over `.env`). Every command exits 0 and prints nothing on stderr."""

from __future__ import annotations

import email
import json
import os
import shlex
import stat
from email import policy
from pathlib import Path

import pytest

from supportledger.cli import main
from supportledger.config import example_settings

README = Path(__file__).resolve().parents[1] / "README.md"
SETTINGS = ("DATABASE_URL", "LEDGER_TIMEZONE", "BASE_CURRENCY", "SUPPORTLEDGER_ENV")


def first_month_commands() -> list[list[str]]:
    """The shell block of "Your first month" that names this test, one argv a line."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Your first month") : text.index("## Every month after")]
    after = section[section.index("tests/test_first_month.py") :]
    block = after[after.index("```sh\n") + len("```sh\n") :]
    block = block[: block.index("```")]
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


@pytest.fixture
def clean_folder(tmp_path, monkeypatch, database_url):
    """A folder with nothing in it and no setting in the environment, but PostgreSQL's URL
    on that run (SQLite's comes from the .env that init writes)."""
    folder = tmp_path / "books"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name in list(os.environ):
        if name in SETTINGS or name.startswith(("SMTP_", "STATEMENT_", "STRIPE_")):
            monkeypatch.delenv(name)
    if database_url.startswith("postgresql"):
        monkeypatch.setenv("DATABASE_URL", database_url)
    return folder


def run(capsys, argv: list[str]) -> tuple[str, str]:
    assert argv[0] == "supportledger"
    code = main(argv[1:])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), f"{shlex.join(argv)}: exit {code}, {err}"
    return out, err


def test_your_first_month_as_the_readme_says(clean_folder, capsys):
    commands = first_month_commands()
    assert [argv[1] for argv in commands] == [
        "init", "demo", "add", "import", "import", "import", "import", "bank", "bank",
        "month", "statement", "reconcile", "close", "email-statement",
    ]  # fmt: skip
    said = {}
    for argv in commands:
        said.setdefault(argv[1], []).append(run(capsys, argv)[0])
        if argv[1] == "month":  # and as data, at that very step
            said["month json"] = [run(capsys, [*argv, "--format", "json"])[0]]

    # init wrote the settings, readable by the writer only, and made the ledger
    settings = clean_folder / ".env"
    assert settings.read_text() == example_settings()
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    assert said["init"][0].startswith("wrote .env (readable by you only)")
    # the demo left the folder's own ledger alone and put its files in their own folder
    assert (clean_folder / "supportledger-demo" / "samples" / "patreon-members.csv").exists()

    # month, before statement / reconcile / close: every channel in, each item explained
    checklist = said["month"][0]
    assert all(len(line) <= 80 for line in checklist.splitlines())
    assert "[ ]" not in checklist.split("To look at")[0]  # every import reaches the month
    assert "Not used, nothing to do: Stripe, eBookIt, Audible (ACX)." in checklist
    assert "[x] Other income: with the bank statement" in checklist  # the honorarium
    data = json.loads(said["month json"][0])
    assert [(s["name"], s["complete"]) for s in data["sources"]] == [
        ("zelle", True), ("patreon", True), ("paypal", True), ("check", True),
        ("kdp", True), ("other", True), ("bank", True),
    ]  # fmt: skip
    assert all(s["covered_to"] for s in data["sources"])
    # nothing left unexplained: the two lines no rule knew are decided; KDP's deposit of
    # 29 October is its payment of August's royalties, so none is overdue
    assert data["bank_lines_to_decide"] == []
    assert data["royalties_overdue"] == []
    assert data["deposits_without_payout"] == data["payouts_not_arrived"] == []
    assert data["payouts_ambiguous"] == data["checks_not_deposited"] == []
    assert data["fees_off_schedule"] == []  # each fee what the channel really charges
    assert [s["command"].split()[1] for s in data["next_steps"]] == [
        "statement", "reconcile", "close"
    ]  # fmt: skip

    page = (clean_folder / "statement-2026-10.html").read_text()
    # the demo's 619.30, and the honorarium as Other income: 769.30
    assert "$769.30" in page and "This statement is incomplete" not in page
    assert said["reconcile"][0].startswith("Reconciliation of 2026-10 (America/Phoenix): open")
    # 16 receipts: the demo's 13 payments, Rosa's refund and Patreon's, the honorarium
    assert said["close"][0].startswith("closed 2026-10 with 16 receipts (digest ")
    message = email.message_from_bytes(
        (clean_folder / "outbox" / "statement-2026-10.eml").read_bytes(), policy=policy.default
    )
    assert message["Subject"] == "Support statement October 2026: net $769.30"
    assert said["email-statement"][0] == (
        "wrote outbox/statement-2026-10.eml for writer@example.org (nothing sent)\n"
    )

    # closed: the checklist says so, and offers no more close
    assert main(["month", "2026-10", "--format", "json"]) == 0
    closed = json.loads(capsys.readouterr().out)
    assert closed["closed"] is True
    assert "close" not in [s["command"].split()[1] for s in closed["next_steps"]]
