"""What a command imports: it pays only for what it uses.

A regression guard on ``sys.modules`` in a fresh interpreter, not a timing (speed lives in
benchmarks/): openpyxl is for XLSX imports, the Stripe SDK for ``sync stripe``, Alembic for
``init``, jinja2 for HTML and text renderings, rich for help and the progress bar, rapidfuzz
for ``supporters suggest``.
"""

import json
import os
import subprocess
import sys

import statement_month

#: Libraries no command loads unless it uses them.
ON_DEMAND = ("openpyxl", "stripe", "alembic", "jinja2", "rich", "rapidfuzz")

REPORT = (
    "import json, sys\n"
    f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(ON_DEMAND)!r})),"
    " file=sys.stderr)\n"
)


def run_python(code: str, environ: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """Run ``code`` in a fresh interpreter; its stdout and the on-demand libraries loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "STRIPE_"))}
    result = subprocess.run(
        [sys.executable, "-c", code + "\n" + REPORT],
        capture_output=True,
        text=True,
        env={**env, **(environ or {})},
        check=True,
    )
    return result.stdout, json.loads(result.stderr.strip().splitlines()[-1])


def test_loading_the_command_line_loads_no_on_demand_library():
    assert run_python("import supportledger.cli") == ("", [])


def test_a_json_statement_loads_no_on_demand_library(ledger, environ):
    """The KDP and ACX channels are read for the statement; their XLSX reader's openpyxl is
    not. JSON needs no template, so no jinja2 either."""
    statement_month.build(ledger)
    out, loaded = run_python(
        "from supportledger.cli import main\n"
        "assert main(['statement', '--month', '2026-10', '--format', 'json']) == 0",
        environ,
    )
    assert json.loads(out)["totals"]["net"] == "178.86"  # as in test_every_figure_of_october
    assert loaded == []
