"""Benchmarks: import and statement timings on a synthetic decade of support.

For each size it generates the history (benchmarks/generate.py), then measures, each as the
median of several runs, in child processes so peak RSS is each one's own:
- import throughput per export format and of the whole history (receipts/s, peak RSS);
- ``statement --month`` and ``statement --year`` as a whole process, and the computation
  alone (warm, in one process); ``reconcile --month``;
- the stack's own ceiling: raw ``sqlite3`` executemany of the same rows, the bare GROUP BY of
  one month, and ``hledger balance -M`` on the same history when hledger is installed.
PostgreSQL figures are printed beside SQLite's when a server answers.

Usage: python benchmarks/run.py [--sizes 10000,100000,1000000] [--runs 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import MONTHS, START, generate
from supportledger.months import Month

MONTH = "2026-06"
YEAR = "2025"
#: the months the generated history covers
FIRST_MONTH = Month.of(START)
LAST_MONTH = FIRST_MONTH.shift(MONTHS - 1)
FORMATS = {  # file -> its source name
    "paypal-activity.csv": "paypal",
    "chase-checking.csv": "chase",
    "kdp-royalties.csv": "kdp",
}
CLI = [sys.executable, "-m", "supportledger"]


@dataclass
class Measure:
    what: str
    seconds: float
    peak_mb: float
    rows: int = 0

    @property
    def rate(self) -> str:
        return f"{self.rows / self.seconds:,.0f}/s" if self.rows and self.seconds else ""


#: Runs one command and reports its wall time and its own peak RSS. It is a small process of
#: its own because Linux carries a process's peak RSS across fork and exec: a child started
#: straight from this (large) harness would report the harness's memory as its own.
LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a command to completion; its wall time (s) and its own peak RSS (MB)."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv], env=env, capture_output=True, text=True
    )
    seconds, peak_kb, code = done.stdout.split()
    if int(code) != 0 or done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr[-400:]}")
    return float(seconds), int(peak_kb) / 1024


def median_child(argv, env, runs, setup=None) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        if setup:
            setup()
        seconds, peak = run_child(argv, env)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


class Database:
    """The ledger a measurement runs on: a SQLite file, or a PostgreSQL schema of its own.

    ``reset`` empties it and lays the current schema with ``supportledger init``.
    """

    def __init__(self, kind: str, workdir: Path, postgres: str | None) -> None:
        self.kind, self.workdir, self.postgres = kind, workdir, postgres
        self.schema = f"bench_{uuid.uuid4().hex[:8]}"
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir}/bench.db"
        else:
            self.url = f"{postgres}?options=-csearch_path%3D{self.schema}"

    def reset(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.workdir}/bench.db{suffix}").unlink(missing_ok=True)
        else:
            from sqlalchemy import create_engine, text

            engine = create_engine(self.postgres)
            with engine.begin() as connection:
                connection.execute(text(f'drop schema if exists "{self.schema}" cascade'))
                connection.execute(text(f'create schema "{self.schema}"'))
            engine.dispose()
        subprocess.run([*CLI, "init"], env=self.env(), check=True, capture_output=True)

    def drop(self) -> None:
        if self.kind == "postgresql":
            from sqlalchemy import create_engine, text

            engine = create_engine(self.postgres)
            with engine.begin() as connection:
                connection.execute(text(f'drop schema if exists "{self.schema}" cascade'))
            engine.dispose()

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "LEDGER_TIMEZONE": "America/Phoenix",
            "SUPPORTLEDGER_ENV": "/nonexistent",
        }


COMPUTE_ONLY = """
import statistics, sys, time
from supportledger.config import load_settings
from supportledger.ledger import Ledger
from supportledger.months import Month
from supportledger.statement import annual_summary, monthly_statement
ledger = Ledger(load_settings())
what, arg = sys.argv[1], sys.argv[2]
compute = (lambda: monthly_statement(ledger, Month.parse(arg))) if what == "month" else (
    lambda: annual_summary(ledger, int(arg)))
compute()  # warm: connections, caches, imports
times = []
for _ in range(7):
    start = time.perf_counter(); compute(); times.append(time.perf_counter() - start)
print(statistics.median(times))
"""


#: For every month of the history, MRR at the month's end beside the recurring money the
#: month received plus what was in its grace days: MRR counts only commitments paid for
#: their period or overdue within the grace, so it should never exceed the two.
MRR_CHECK = """
import datetime as dt, sys
from supportledger.config import load_settings
from supportledger.ledger import Ledger
from supportledger.months import Month
from supportledger.recurring import monthly, read_facts
ledger = Ledger(load_settings())
first, last = Month.parse(sys.argv[1]), Month.parse(sys.argv[2])
month = first
with ledger.engine.connect() as connection:
    while month <= last:
        facts = read_facts(
            connection, month.first_day - dt.timedelta(days=1), month.last_day, tz=ledger.tz,
            currency=ledger.currency, grace_days=ledger.settings.lapse_grace_days,
            show_names=False,
        )
        r = monthly(facts, month, ledger.schedule)
        print(month, r.mrr_gross.minor, r.received.minor, r.grace_mrr.minor, r.active, r.lapsed)
        month = month.next()
"""


def mrr_check(db: Database, first: str, last: str) -> str:
    """Whether MRR at each month's end is within the month's recurring money received plus
    the subscriptions in grace, with the figures of :data:`MONTH` and of the worst month."""
    out = subprocess.run(
        [sys.executable, "-c", MRR_CHECK, first, last],
        env=db.env(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    months = [line.split() for line in out.stdout.splitlines()]
    rows = {m: tuple(int(v) for v in rest) for m, *rest in months}
    within = [m for m, (mrr, received, grace, _, _) in rows.items() if mrr <= received + grace]

    def line(label: str, month: str) -> str:
        mrr, received, grace, active, lapsed = rows[month]
        return (
            f"  {label} {month}: MRR at month end {mrr / 100:,.2f}; recurring received "
            f"{received / 100:,.2f} + in grace {grace / 100:,.2f} = "
            f"{(received + grace) / 100:,.2f} ({active} in good standing, {lapsed} lapsed)"
        )

    worst = max(rows, key=lambda m: rows[m][0] - rows[m][1] - rows[m][2])
    above = [m for m in rows if m not in within]
    return "\n".join(
        [
            f"MRR check: MRR within recurring received + in grace in {len(within)} of "
            f"{len(rows)} months" + (f" (above in {', '.join(above)})" if above else ""),
            line("the benchmark month", MONTH),
            line("the month with the least room", worst),
        ]
    )


def compute_only(db: Database, what: str, arg: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", COMPUTE_ONLY, what, arg],
        env=db.env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])  # seconds, for the table only


def measure_ledger(
    db: Database, files: Path, rows: int, runs: int, import_runs: int
) -> list[Measure]:
    found = []
    for name, source in FORMATS.items():
        count = sum(1 for _ in (files / name).open(encoding="utf-8-sig")) - 1
        seconds, peak = median_child(
            [*CLI, "import", str(files / name), "--source", source],
            db.env(),
            import_runs,
            db.reset,
        )
        found.append(Measure(f"import {source} ({count:,} lines)", seconds, peak, count))
    every = [str(files / name) for name in FORMATS]
    seconds, peak = median_child([*CLI, "import", *every], db.env(), import_runs, db.reset)
    found.append(Measure(f"import whole history ({rows:,} receipts)", seconds, peak, rows))
    for argv, label in [
        (["statement", "--month", MONTH], f"statement --month {MONTH} (process)"),
        (["statement", "--month", MONTH, "--format", "html"], "statement --month html (process)"),
        (["statement", "--year", YEAR], f"statement --year {YEAR} (process)"),
        (["reconcile", "--month", MONTH], f"reconcile --month {MONTH} (process)"),
    ]:
        seconds, peak = median_child([*CLI, *argv], db.env(), runs)
        found.append(Measure(label, seconds, peak))
    found.append(
        Measure("statement --month: computation alone (warm)", compute_only(db, "month", MONTH), 0)
    )
    found.append(
        Measure("statement --year: computation alone (warm)", compute_only(db, "year", YEAR), 0)
    )
    return found


def measure_ceiling(history, workdir: Path, runs: int) -> list[Measure]:
    """What the machine does without us: raw sqlite3 and hledger on the same history."""
    rows = [
        (
            r.channel,
            r.external_id,
            r.kind,
            r.event,
            "completed",
            r.occurred_at.replace(tzinfo=None).isoformat(" "),
            "USD",
            r.gross,
            r.fee,
            r.gross - r.fee,
        )
        for r in history.rows
    ]
    path = workdir / "raw.db"
    times = []
    for _ in range(runs):
        path.unlink(missing_ok=True)
        connection = sqlite3.connect(path)
        connection.execute("pragma journal_mode=wal")
        connection.execute(
            "create table receipts (id integer primary key, channel text, external_id text,"
            " kind text, event text, status text, occurred_at datetime, currency text,"
            " gross_minor bigint, fee_minor bigint, net_minor bigint,"
            " unique (channel, external_id))"
        )
        connection.execute("create index ix_at on receipts (occurred_at, channel)")
        start = time.perf_counter()
        with connection:
            connection.executemany(
                "insert into receipts (channel, external_id, kind, event, status, occurred_at,"
                " currency, gross_minor, fee_minor, net_minor) values (?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
        times.append(time.perf_counter() - start)
    found = [Measure("raw sqlite3 executemany, same rows", statistics.median(times), 0, len(rows))]
    query = (
        "select channel, kind, event, count(*), sum(gross_minor), sum(fee_minor) from receipts"
        " where occurred_at >= '2026-06-01 07:00:00' and occurred_at < '2026-07-01 07:00:00'"
        " group by channel, kind, event"
    )
    times = []
    for _ in range(7):
        start = time.perf_counter()
        connection.execute(query).fetchall()
        times.append(time.perf_counter() - start)
    connection.close()
    found.append(Measure("raw sqlite3 GROUP BY one month", statistics.median(times), 0))
    if shutil.which("hledger"):
        journal = workdir / "files" / "history.journal"
        seconds, peak = median_child(
            ["hledger", "-f", str(journal), "balance", "-M"], dict(os.environ), runs
        )
        found.append(Measure("hledger balance -M, same history", seconds, peak, len(rows)))
    return found


def table(size: int, results: dict[str, list[Measure]]) -> str:
    lines = [f"### {size:,} receipts", ""]
    kinds = list(results)
    head = "| measure | " + " | ".join(f"{k} time | {k} rate | {k} peak RSS" for k in kinds)
    lines += [head + " |", "|---" * (1 + 3 * len(kinds)) + "|"]
    labels = list(dict.fromkeys(m.what for ms in results.values() for m in ms))
    for label in labels:
        cells = []
        for kind in kinds:
            m = next((m for m in results[kind] if m.what == label), None)
            cells += (
                [
                    f"{m.seconds * 1000:,.1f} ms" if m.seconds < 1 else f"{m.seconds:,.2f} s",
                    m.rate,
                    f"{m.peak_mb:,.0f} MB" if m.peak_mb else "",
                ]
                if m
                else ["", "", ""]
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def postgres_reachable(url: str) -> bool:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        return True
    except Exception:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure")
    parser.add_argument(
        "--import-runs", type=int, default=None, help="runs of each import (default: --runs)"
    )
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL URL for the figures beside SQLite's; 'none' to skip",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    import_runs = args.import_runs or args.runs
    use_postgres = args.postgres != "none" and postgres_reachable(args.postgres)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    for size in (int(s) for s in args.sizes.split(",")):
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix=f"bench{size}-"))
        history = generate(size, workdir / "files")
        rows = len(history.rows)
        results = {
            "SQLite": measure_ledger(
                Database("sqlite", workdir, None), workdir / "files", rows, args.runs, import_runs
            )
        }
        results["SQLite"] += measure_ceiling(history, workdir, args.runs)
        check = mrr_check(Database("sqlite", workdir, None), str(FIRST_MONTH), str(LAST_MONTH))
        if use_postgres:
            database = Database("postgresql", workdir, args.postgres)
            try:
                results["PostgreSQL"] = measure_ledger(
                    database, workdir / "files", rows, args.runs, import_runs
                )
            finally:
                database.drop()
        print(table(size, results), flush=True)
        print(check + "\n", flush=True)
        if args.workdir is None:
            shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
