"""What a command imports: it pays only for what it uses.

A regression guard on ``sys.modules`` in a fresh interpreter, not a timing (speed lives in
benchmarks/): ``--help`` and ``--version`` load nothing of the library, SQLAlchemy or rich
(``--version`` not even typer); openpyxl is for XLSX imports, the Stripe SDK for ``sync
stripe``, Alembic for ``init``, jinja2 for HTML and text renderings, rich for the progress
bar, rapidfuzz for ``supporters suggest``, the import writer for imports, the mailer for
``email-statement``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import statement_month
from supportledger.cli.app import AREAS, app
from supportledger.cli.bank import DECISIONS
from supportledger.cli.core import KindChoice
from supportledger.cli.export import FormatChoice
from supportledger.export import ExportFormat
from supportledger.models import Kind
from supportledger.sources import bankrules

#: Libraries no command loads unless it uses them.
ON_DEMAND = ("openpyxl", "stripe", "alembic", "jinja2", "rich", "rapidfuzz")
#: What the library stands on: a command line that only says what it is needs none of it.
LIBRARY = ("sqlalchemy", "sqlmodel", "pydantic", "psycopg", "dotenv", *ON_DEMAND)
SAMPLES = Path(__file__).parents[1] / "src" / "supportledger" / "samples"

REPORT = "import json, sys\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"


def run_python(code: str, environ: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """Run ``code`` in a fresh interpreter; its stdout and every module it loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "STRIPE_"))}
    result = subprocess.run(
        [sys.executable, "-c", code + "\n" + REPORT],
        capture_output=True,
        text=True,
        env={**env, "SUPPORTLEDGER_ENV": os.devnull, **(environ or {})},
        check=True,
    )
    return result.stdout, set(json.loads(result.stderr.strip().splitlines()[-1]))


def run_cli(*args: str, environ: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """``supportledger ARGS`` as the installed command runs it (exit status 0)."""
    return run_python(
        f"from supportledger.cli import main\nassert main({list(args)!r}) == 0", environ
    )


def libraries(modules: set[str]) -> set[str]:
    """The top-level packages among ``modules``."""
    return {name.split(".")[0] for name in modules}


def ours(modules: set[str]) -> set[str]:
    """The ledger's own modules among ``modules``, less the command line's."""
    return {m for m in modules if m.startswith("supportledger.") and ".cli" not in m}


def test_loading_the_command_line_loads_nothing_of_the_library():
    _, loaded = run_python("import supportledger.cli.app")
    assert not libraries(loaded) & set(LIBRARY)
    assert {f"supportledger.cli.{area}" for area in AREAS} <= loaded  # every command is there


@pytest.mark.parametrize("args", [("--help",), ("statement", "--help"), ("supporters", "--help")])
def test_help_loads_nothing_of_the_library(args):
    """A command's own help loads pydantic too: typer checks the top level's options (its
    --version flag) with a pydantic adapter once a command is named. Nothing else."""
    out, loaded = run_cli(*args)
    assert out.startswith("Usage: supportledger")
    typer_s = {"pydantic"} if len(args) > 1 else set()
    assert libraries(loaded) & set(LIBRARY) <= typer_s
    assert ours(loaded) == {"supportledger.errors"}


def test_version_loads_not_even_typer():
    out, loaded = run_cli("--version")
    assert out.startswith("supportledger ")
    assert not libraries(loaded) & {"typer", *LIBRARY}
    assert ours(loaded) == {"supportledger.errors"}
    assert "supportledger.cli.app" not in loaded


def test_the_channels_and_renderings_load_no_database_layer():
    """A kind, a channel's declaration and a figure's rendering need no schema: the first
    step of a read path without SQLModel, pydantic and the ORM."""
    _, loaded = run_python("import supportledger.channels, supportledger.render")
    assert not libraries(loaded) & {"sqlalchemy", "sqlmodel", "pydantic", "psycopg"}
    assert "supportledger.models" not in loaded


def test_a_json_statement_loads_no_on_demand_library(ledger, environ):
    """The KDP and ACX channels are read for the statement; their XLSX reader's openpyxl is
    not. JSON needs no template, so no jinja2 either."""
    statement_month.build(ledger)
    out, loaded = run_cli("statement", "--month", "2026-10", "--format", "json", environ=environ)
    assert json.loads(out)["totals"]["net"] == "178.86"  # as in test_every_figure_of_october
    assert not libraries(loaded) & set(ON_DEMAND)
    assert not {"supportledger.imports", "supportledger.mail", "supportledger.export"} & loaded


def test_a_text_statement_loads_its_template_and_nothing_else_on_demand(ledger, environ):
    statement_month.build(ledger)
    out, loaded = run_cli("statement", "--month", "2026-10", environ=environ)
    assert out.startswith("Statement for October 2026")
    assert libraries(loaded) & set(ON_DEMAND) == {"jinja2"}
    assert not {"supportledger.imports", "supportledger.mail"} & loaded


def test_the_supporters_list_loads_no_matching_or_writing(ledger, environ):
    """rapidfuzz is for `supporters suggest`; the list only reads, through the tables: a
    query through the ORM would first configure every mapper of the schema, costing the
    list more than its one query."""
    statement_month.build(ledger)
    out, loaded = run_python(
        "from supportledger.cli import main\n"
        "assert main(['supporters']) == 0\n"
        "from supportledger.models import Supporter\n"
        "print('ORM configured:', Supporter.__mapper__.configured)",
        environ,
    )
    assert "receipt" in out
    assert out.endswith("ORM configured: False\n")
    assert not libraries(loaded) & set(ON_DEMAND)
    assert not {"supportledger.imports", "supportledger.mail"} & loaded


def test_an_import_loads_no_mailer_template_or_sdk(ledger, environ):
    """A CSV import: no jinja2 or mailer (those are for statements), no openpyxl (XLSX), no
    Stripe SDK (sync), no rich (the progress bar is for a terminal)."""
    out, loaded = run_cli(
        "import", "--dry-run", str(SAMPLES / "paypal-activity-2026-10.csv"), environ=environ
    )
    assert "dry run, nothing written" in out
    assert "supportledger.imports" in loaded
    assert not libraries(loaded) & set(ON_DEMAND)
    assert not {"supportledger.mail", "supportledger.render_html"} & loaded


def test_what_the_command_line_offers_without_the_library_is_the_library_s():
    """Choices and words declared in the command line (so that declaring them loads nothing)
    are the library's own."""
    assert list(KindChoice) == list(Kind)
    assert list(FormatChoice) == list(ExportFormat)
    assert DECISIONS == bankrules.DECISIONS
    assert app.registered_commands  # the areas registered as cli.app loaded
