"""The benchmark harness runs end to end at a tiny size (its figures are not judged here)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_and_prints_every_measure(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes", "400", "--runs", "1",
         "--postgres", "none", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    table = done.stdout
    for measure in (
        "import paypal", "import chase", "import kdp", "import whole history",
        "statement --month 2026-06 (process)", "statement --year 2025 (process)",
        "reconcile --month 2026-06 (process)", "statement --month: computation alone",
        "raw sqlite3 executemany", "raw sqlite3 GROUP BY one month",
    ):  # fmt: skip
        assert f"| {measure}" in table, measure
    whole = next(line for line in table.splitlines() if "import whole history" in line)
    assert "/s" in whole and " MB" in whole  # a throughput and a peak RSS were measured
    # the recurring check: every month's MRR against its money received plus its grace
    check = next(line for line in table.splitlines() if line.startswith("MRR check:"))
    assert re.fullmatch(r"MRR check: .* in \d+ of 120 months( \(above in [-\d, ]+\))?", check)
    assert "  the benchmark month 2026-06: MRR at month end " in table
    # the same seed writes the same files: the generator is deterministic
    again = tmp_path / "again"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--receipts", "400",
         "--out", str(again)],
        check=True, capture_output=True,
    )  # fmt: skip
    for name in ("paypal-activity.csv", "chase-checking.csv", "kdp-royalties.csv"):
        assert (again / name).read_bytes() == (tmp_path / "files" / name).read_bytes()
