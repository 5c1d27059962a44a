"""The command line as a person meets it: help with real values, --version, completion,
receipt numbers, months to come refused, counts that read well, 80 columns everywhere, and
the first `init`.

Text outputs are rendered at 80 columns on the sample ledger of `demo` (its exports
imported through the CLI), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import subprocess
import sys
from importlib.metadata import version

import pytest
import typer
from sqlalchemy import insert

import statement_month
from supportledger.cli import main
from supportledger.cli.app import app
from supportledger.config import example_settings
from supportledger.journal import rebuild_ledger
from supportledger.models import Receipt
from supportledger.months import Month
from supportledger.render import render
from supportledger.statement import monthly_statement

#: what each command with --format needs to run on a ledger: a month, a year...
FORMAT_RUNS = {
    ("receipts",): ["--month", "2026-10"],
    ("month",): ["2026-10"],
    ("statement",): ["--month", "2026-10"],
    ("reconcile",): ["--month", "2026-10"],
    ("fees", "show"): [],
    ("imports",): [],
    ("supporters",): [],
    ("supporters", "suggest"): [],
    ("supporters", "show"): ["1"],
    ("supporters", "recurring"): [],
    ("tax-form", "list"): [],
    ("export",): ["--from", "2026-10", "--to", "2026-10"],
    ("bank", "lines"): ["--month", "2026-10"],
    ("bank", "rules"): [],
    ("titles",): ["--year", "2026"],
    ("rates", "show"): ["EUR", "--date", "2026-10-15"],
}


#: what typer prints for a parameter with no metavar: a Python type or its choices in <>
PYTHON_TYPE = r"<(?:bool|str|int|float|path|Path|datetime|list\[[^>]*\]|\w+(?:\|\w+)+)>"


def command_paths(command=None, prefix=()):
    """Every command and group, as the words that name it."""
    command = command or typer.main.get_command(app)
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*prefix, name))


def help_of(capsys, path) -> str:
    capsys.readouterr()
    assert main([*path, "--help"]) == 0
    return capsys.readouterr().out


def test_every_help_names_real_values_within_80_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    paths = list(command_paths())
    assert len(paths) > 25
    for path in paths:
        text = help_of(capsys, path)
        assert not re.search(PYTHON_TYPE, text), (path, text)
        assert all(len(line) <= 80 for line in text.splitlines()), path
        if "--format" in text and path != ("export",):
            assert path in FORMAT_RUNS, f"{path}: add it to FORMAT_RUNS"
    assert "--dry-run DIR" in help_of(capsys, ("email-statement",))
    assert "{FILE}..." in help_of(capsys, ("import",))  # an argument by its own name
    assert "--month YYYY-MM" in help_of(capsys, ("receipts",))


def test_format_offers_exactly_what_each_command_writes(samples, capsys):
    """Each --format choice the help shows is taken; any other is refused, naming them."""
    for path, args in FORMAT_RUNS.items():
        shown = re.search(r"^ +--format ([a-z|]+)", help_of(capsys, path), re.M)[1].split("|")
        assert ("html" in shown) == (path == ("statement",)), path  # only it writes HTML
        for fmt in shown:
            code, _, err = samples(*path, *args, "--format", fmt)
            assert (code, err) == (0, ""), (path, fmt, err)
        code, _, err = samples(*path, *args, "--format", "xml")
        assert code == 1 and err.count("\n") == 1
        assert f"'xml' is not one of {', '.join(repr(f) for f in shown)}" in err


def test_version_and_shell_completion(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"supportledger {version('supportledger')}\n"
    top = help_of(capsys, ())
    assert "--install-completion" in top and "--show-completion" in top
    completing = subprocess.run(
        [sys.executable, "-m", "supportledger"],
        env={**os.environ, "_SUPPORTLEDGER_COMPLETE": "complete_bash",
             "COMP_WORDS": "supportledger statement --format ", "COMP_CWORD": "3"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert completing.stdout.split() == ["text", "html", "json", "csv"]


def test_receipts_show_the_number_check_returned_takes(cli):
    cli("add", "--channel", "check", "--amount", "100", "--date", "2026-10-06",
        "--check-number", "2041")  # fmt: skip
    code, out, _ = cli("receipts", "--month", "2026-10")
    assert code == 0
    header, line, total = out.splitlines()
    assert header.startswith("#       date       channel supporter")
    number = re.match(r"#(\d+) ", line)[1]
    assert line.endswith(" pending") and total == "1 receipt"
    code, out, _ = cli("check", "returned", number, "--fee", "12.00", "--date", "2026-10-20")
    assert (code, out.split(";")[0]) == (0, f"check #{number} returned on 2026-10-20")


@pytest.mark.parametrize(
    "args",
    [
        ("statement", "--month", "2999-01"),
        ("statement", "--year", "2999"),
        ("reconcile", "--month", "2999-01"),
        ("receipts", "--month", "2999-01"),
        ("month", "2999-01"),
        ("email-statement", "--month", "2999-01", "--dry-run", "out"),
    ],
)
def test_a_month_to_come_is_refused_in_one_line(cli, args):
    code, out, err = cli(*args)
    assert (code, out) == (1, "")
    assert re.fullmatch(r"supportledger: \S+ 2999(-01)? is in the future \(it is \d{4}-\d\d "
                        r"in America/Phoenix\)\n", err)  # fmt: skip


def test_counts_read_with_separators_and_plurals(ledger, cli):
    """1,234 October Zelle gifts of 1.00: counts read like the amounts beside them."""
    rows = [
        statement_month.receipt(i, "zelle", f"2026-10-{1 + i % 28:02d}T17:00", 100)
        for i in range(1, 1235)
    ]
    with ledger.engine.begin() as connection:
        connection.execute(insert(Receipt.__table__), rows)
    rebuild_ledger(ledger)  # rows written past the library: their postings derived
    out = cli("statement", "--month", "2026-10")[1]
    assert "from 1,234 payments" in out
    assert "Zelle               1,234    1,234.00" in out
    assert cli("receipts", "--month", "2026-10")[1].endswith("\n1,234 receipts\n")
    assert cli("close", "2026-10")[1].startswith("closed 2026-10 with 1,234 receipts")


def test_every_text_output_fits_80_columns(samples):
    outputs = {
        args: samples(*args)
        for args in (
            ("receipts", "--month", "2026-10"),
            ("imports",),
            ("supporters",),
            ("supporters", "show", "1"),
            ("supporters", "recurring", "--as-of", "2026-11-30"),
            ("fees", "show", "--on", "2026-10-01"),
            ("statement", "--month", "2026-10"),
            ("statement", "--month", "2026-11"),
            ("statement", "--year", "2026"),
            ("reconcile", "--month", "2026-10"),
            ("month", "2026-10"),
            ("month", "2026-11"),
            ("tax-form", "list"),
            ("bank", "lines", "--month", "2026-10"),
            ("bank", "rules"),
        )
    }
    for args, (code, out, err) in outputs.items():
        assert (code, err) == (0, ""), args
        too_wide = [line for line in out.splitlines() if len(line) > 80]
        assert too_wide == [], args


def test_a_statement_of_nothing_and_of_huge_counts_still_fits_80_columns(ledger):
    empty = monthly_statement(ledger, Month(2026, 10))
    text = render(empty, "text", ledger.settings)
    assert (
        "\nNo activity: Zelle, Patreon, PayPal, Check, Stripe, Amazon KDP, eBookIt, Audible\n"
        "(ACX), Other income.\n" in text
    )
    busy = dataclasses.replace(
        empty,
        recurring=dataclasses.replace(
            empty.recurring, new=123456, cancelled=234567, lapsed=345678, active=999999
        ),
    )
    text = render(busy, "text", ledger.settings)
    assert "123,456 new, 234,567 cancelled, 345,678 lapsed" in text
    for rendering in (text, render(empty, "text", ledger.settings)):
        assert [line for line in rendering.splitlines() if len(line) > 80] == []


def test_init_writes_the_settings_once_readable_by_the_writer_only(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUPPORTLEDGER_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'books.db'}")
    assert main(["init"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("wrote .env (readable by you only)")
    settings = tmp_path / ".env"
    assert settings.read_text() == example_settings()
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600

    settings.write_text("LEDGER_TIMEZONE=Europe/Paris\n")
    assert main(["init"]) == 0  # an existing .env is the writer's: left as it is
    assert "wrote" not in capsys.readouterr().out
    assert settings.read_text() == "LEDGER_TIMEZONE=Europe/Paris\n"


def test_a_settings_file_others_can_read_is_one_plain_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUPPORTLEDGER_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'books.db'}")
    (tmp_path / ".env").write_text("LEDGER_TIMEZONE=America/Phoenix\n")
    (tmp_path / ".env").chmod(0o644)
    assert main(["fees", "show", "--on", "2026-10-01"]) == 0
    err = capsys.readouterr().err
    assert err == (
        "supportledger: warning: .env is readable by other users; it holds secrets: "
        "chmod 600 .env\n"
    )


def test_a_command_run_in_process_closes_the_connections_it_opened(cli, monkeypatch):
    """A program (or this suite) calling ``main`` again and again must not pile up pooled
    connections until PostgreSQL refuses more clients."""
    from supportledger import db

    made = []
    make_engine = db.make_engine

    def recorded(url, **kwargs):
        made.append(make_engine(url, **kwargs))
        return made[-1]

    monkeypatch.setattr(db, "make_engine", recorded)
    for command in (["receipts"], ["statement", "--month", "2026-10", "--format", "json"]):
        code, _, err = cli(*command)
        assert code == 0, err
    assert len(made) == 2
    assert [engine.pool.checkedin() for engine in made] == [0, 0]
