"""The command line under bad input and bad settings: every failure is one line on stderr
with its exit status, from one place (``cli.main``), never a traceback; what the writer
types is checked at the edge; files it writes are its own; nothing raw reaches the terminal.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

import paypal_export as pp
from supportledger import statement as statement_module

HUGE = "99999999999999999999"  # beyond 2^63


def one_line(code: int, out: str, err: str, expected_code: int = 1) -> str:
    assert (code, out) == (expected_code, ""), (code, out, err)
    assert err.startswith("supportledger: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("imports", "undo", HUGE), "no such number"),
        (("match", HUGE, "1"), "no such number"),
        (("check", "returned", HUGE), "no such number"),
        (("supporters", "show", f"#{HUGE}"), "no supporter"),
        (("add", "--channel", "zelle", "--amount", "5", "--date", "0001-01-01T00:00:00+14:00"),
         "outside the years the ledger keeps"),
        (("add", "--channel", "zelle", "--amount", "5", "--date", "9999-12-31T23:00:00-12:00"),
         "outside the years the ledger keeps"),
        (("statement", "--month", "9999-12"), "outside the years the ledger keeps"),
        (("receipts", "--month", "0001-01"), "outside the years the ledger keeps"),
        (("add", "--channel", "zelle", "--amount", "5", "--currency", "EUR", "--rate",
          "Infinity", "--date", "2026-10-01"), "--rate: not an amount"),
        (("import", "--rate", "GBP=Infinity", "x.csv"), "--rate 'GBP=Infinity'"),
        (("statement", "--month", "2026-10", "--output", "/"), "is a folder"),
        (("statement", "--bogus",), "No such option"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_never_a_traceback(cli, args, said):
    err = one_line(*cli(*args))
    assert said in err


def test_output_to_a_folder_or_under_a_file_is_refused_and_leaves_nothing(cli, tmp_path):
    folder = tmp_path / "books"
    folder.mkdir()
    (tmp_path / "notes.txt").write_text("mine")
    for target, said in (
        (folder, "is a folder"),
        (tmp_path / "notes.txt" / "october.html", "a part of its folder is a file"),
    ):
        err = one_line(*cli("statement", "--month", "2026-10", "--output", str(target)))
        assert said in err
    assert sorted(p.name for p in tmp_path.rglob("*") if "partial" in p.name) == []
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_mapping_that_is_not_a_file_is_refused_at_once(cli, tmp_path):
    (tmp_path / "kofi.csv").write_text("Date,From,Received\n")
    err = one_line(*cli("import", "--source", "mapping:/dev/zero", "kofi.csv"))  # never ends
    assert "mapping /dev/zero: not a regular file" in err


def test_a_file_name_that_is_not_utf8_is_imported_and_shown_replaced(cli, tmp_path):
    name = os.fsdecode(b"\xff-Download.CSV")  # a name from another system
    pp.write(tmp_path / name, pp.OCTOBER)
    code, out, err = cli("import", str(tmp_path / name))
    assert (code, err) == (0, ""), err
    assert out.startswith("\ufffd-Download.CSV (paypal), batch #1")
    code, out, _ = cli("imports")
    assert code == 0 and "\ufffd-Download.CSV" in out


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("STATEMENT_FROM", "books@writer.example\r\nBcc: someone@else.example",
         "STATEMENT_FROM: contains a line break"),
        ("DATABASE_URL", "sqlite:foo.db", "DATABASE_URL: not a database URL"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_line(cli, monkeypatch, setting, value, said):
    monkeypatch.setenv(setting, value)
    err = one_line(*cli("receipts"))
    assert said in err


def test_an_env_file_that_is_not_utf8_is_one_line(cli, tmp_path):
    env = tmp_path / ".env"
    env.write_bytes(b"STATEMENT_FROM=\xff\xfebooks@writer.example\n")
    env.chmod(0o600)
    err = one_line(*cli("receipts"))
    assert ".env: is not UTF-8 text (byte 15)" in err


def test_a_typo_in_the_ledgers_folder_makes_no_folder_and_no_ledger(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bokos' / 'ledger.db'}")
    err = one_line(*cli("init"))
    assert f"the folder {tmp_path / 'bokos'} does not exist" in err
    assert not (tmp_path / "bokos").exists()


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("{% if %}", "statement.txt.j2, line 1: Expected an expression"),
        # a template the writer copied from somewhere: the sandbox keeps Python out of reach
        ("{{ title.__class__.__mro__[1].__subclasses__() }}", "is unsafe"),
    ],
)
def test_a_custom_template_broken_or_reaching_out_of_the_sandbox_is_one_line(
    cli, monkeypatch, tmp_path, template, said
):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "statement.txt.j2").write_text(template)
    monkeypatch.setenv("SUPPORTLEDGER_TEMPLATES", str(folder))
    err = one_line(*cli("statement", "--month", "2026-10"))
    assert said in err


def test_a_bug_is_one_line_that_shows_nothing_of_its_text(cli, monkeypatch):
    def broken(*_args, **_kwargs):
        "pässwörd".encode("ascii")  # an encoding error quotes the character it met

    monkeypatch.setattr(statement_module, "monthly_statement", broken)
    code, out, err = cli("statement", "--month", "2026-10")
    one_line(code, out, err, expected_code=70)
    assert "UnicodeEncodeError" in err and "ä" not in err and "please report" in err


# --------------------------------------------------------------------------- at the edge
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("add", "--channel", "check", "--amount", "-100", "--check-number", "7"),
         "--amount: a receipt is more than zero"),
        (("add", "--channel", "zelle", "--amount", "0"), "--amount: a receipt is more than zero"),
        (("add", "--channel", "zelle", "--amount", "50", "--currency", "EUR", "--rate", "0"),
         "--rate: a rate is more than zero"),
        (("add", "--channel", "zelle", "--amount", "50", "--currency", "EUR", "--rate", "-1.08"),
         "--rate: a rate is more than zero"),
        (("add", "--channel", "paypal", "--amount", "50", "--fee", "-1.00"),
         "--fee: between 0 and the amount (50.00 USD)"),
        (("add", "--channel", "paypal", "--amount", "50", "--fee", "50.01"),
         "--fee: between 0 and the amount (50.00 USD)"),
    ],
)  # fmt: skip
def test_add_refuses_what_no_receipt_is(cli, ledger, args, said):
    err = one_line(*cli(*args, "--date", "2026-10-06"))
    assert said in err
    with ledger.engine.connect() as connection:
        assert connection.execute(text("select count(*) from receipts")).scalar_one() == 0


def test_a_1099k_gross_is_never_negative(cli):
    err = one_line(*cli("tax-form", "record", "--year", "2025", "--channel", "paypal",
                        "--gross", "-12.00"))  # fmt: skip
    assert "--gross: a 1099-K gross is never negative" in err


# --------------------------------------------------------------------------- what is shown
def test_escape_codes_in_a_name_never_reach_the_terminal_raw(cli):
    shady = "Ana \x1b[2J\x1b]0;owned\x07Ruiz"
    assert cli("add", "--channel", "zelle", "--amount", "5", "--date", "2026-10-01",
               "--from", shady)[0] == 0  # fmt: skip
    assert cli("add", "--channel", "zelle", "--amount", "6", "--date", "2026-10-02",
               "--from", "Ana Ruiz")[0] == 0  # fmt: skip
    outputs = [
        cli("supporters"),
        cli("receipts", "--month", "2026-10"),
        cli("receipts", "--month", "2026-10", "--format", "csv"),
        cli("supporters", "merge", "2", "1"),
        cli("supporters", "show", "1", "--as-of", "2026-10-31"),
    ]
    for code, out, err in outputs:
        assert code == 0, err
        assert "\x1b" not in out + err and "\x07" not in out + err
    assert "Ana \\u001b[2J" in outputs[0][1]  # shown written out, not obeyed


# --------------------------------------------------------------------------- files
def test_files_that_can_name_supporters_are_the_owners_only(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("STATEMENT_FROM", "books@writer.example")
    previous = os.umask(0o022)  # a usual umask, which would leave them world-readable
    try:
        written = [tmp_path / "export.csv", tmp_path / "october.html"]
        assert cli("export", "--format", "csv", "--output", str(written[0]))[0] == 0
        assert cli("statement", "--month", "2026-10", "--format", "html", "-o",
                   str(written[1]))[0] == 0  # fmt: skip
        code, _, err = cli("email-statement", "--month", "2026-10", "--dry-run", str(tmp_path),
                           "--to", "writer@example.org")  # fmt: skip
        assert code == 0, err
        written.append(tmp_path / "statement-2026-10.eml")
    finally:
        os.umask(previous)
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_ledger_others_can_read_is_warned_about_in_one_line(cli, ledger):
    if ledger.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's files are the server's: access is its roles'")
    path = Path(ledger.engine.url.database)
    path.chmod(0o644)
    code, out, err = cli("receipts")
    assert (code, out) == (0, "no receipts\n")
    assert err == (
        f"supportledger: warning: {path} can be read by other users and holds supporters' "
        f"personal data: chmod 600 {path}\n"
    )


def test_sqlite_commits_are_synced_in_full(ledger):
    """WAL with synchronous=NORMAL can lose the last commits at a power cut: among them
    the e-mail job's "claimed before sending" row of a message that went out."""
    if ledger.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL syncs every commit (fsync, synchronous_commit) by default")
    with ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
