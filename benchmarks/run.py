"""Benchmarks: supportledger beside the machine's ceiling and its peers, and issue 18's targets.

For each size it generates the history (benchmarks/generate.py), then measures, each as the
median of several runs, in child processes so peak RSS is each one's own:
- import throughput per export format and of the whole history (lines or receipts/s, peak RSS);
- ``statement --month``, ``statement --year``, ``reconcile --month``, ``supporters`` and the
  whole ``export`` as processes; the statement and the supporters list computed alone (warm);
- the honest import ceiling: the same PayPal file parsed with ``csv`` and inserted with
  ``executemany`` into the ledger's own ``receipts`` table (as wide, the same unique key and
  indexes); and the bare GROUP BY of one month on the imported ledger;
- supportledger beside hledger and ledger (where installed) on the same history: one month,
  one year, the whole export.
PostgreSQL figures are printed beside SQLite's when a server answers. Once per run:
``--help`` and ``--version``, and ``supporters suggest`` at 20,000 supporters. Last, a line
per target of issue 18: "met", or the measured ratio to the target.

Usage: python benchmarks/run.py [--sizes 10000,100000,1000000] [--runs 3] [--postgres URL]
                                [--suggest-supporters 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
#: a month early in the history, as busy as MONTH: the two side by side show whether a
#: month's statement grows with the length of history before it
EARLY_MONTH = "2017-06"
YEAR = "2025"
#: the months the generated history covers
FIRST_MONTH = Month.of(START)
LAST_MONTH = FIRST_MONTH.shift(MONTHS - 1)
#: June 2026 in America/Phoenix (UTC-7, no daylight saving), as stored: naive UTC
MONTH_UTC = ("2026-06-01 07:00:00", "2026-07-01 07:00:00")
FORMATS = {  # file -> its source name
    "paypal-activity.csv": "paypal",
    "chase-checking.csv": "chase",
    "kdp-royalties.csv": "kdp",
}
CLI = [sys.executable, "-m", "supportledger"]
#: The peers' commands on the same history: one month, one year, the whole journal.
PEER_SCOPES = {
    "month": ["balance", "-b", f"{MONTH}-01", "-e", "2026-07-01"],
    "year": ["balance", "-b", f"{YEAR}-01-01", "-e", f"{int(YEAR) + 1}-01-01"],
    "whole": ["print"],
}
PEERS = ("hledger", "ledger")


@dataclass
class Measure:
    what: str
    seconds: float
    peak_mb: float
    rows: int = 0
    #: what the targets look it up by
    key: str = ""
    #: why there is no figure (a command that failed, a tool not installed)
    failed: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.rows and self.seconds else 0.0

    @property
    def per_row(self) -> float:
        return self.seconds / self.rows if self.rows else 0.0

    def cells(self) -> list[str]:
        if self.failed:
            return [self.failed, "", ""]
        return [
            duration(self.seconds),
            f"{self.rate:,.0f}/s" if self.rate else "",
            f"{self.peak_mb:,.0f} MB" if self.peak_mb else "",
        ]


def duration(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


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


@dataclass
class Run:
    seconds: float
    peak_mb: float
    #: what the command wrote on stderr (``export`` counts its transactions there)
    stderr: str = ""
    code: int = 0


def run_child(argv: list[str], env: dict[str, str], check: bool = True) -> Run:
    """Run a command to completion: its wall time (s), its own peak RSS (MB), its stderr.
    A failure stops the benchmark, unless ``check`` is off (its exit code is then kept)."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv], env=env, capture_output=True, text=True
    )
    seconds, peak_kb, code = done.stdout.split()
    if check and (int(code) != 0 or done.returncode != 0):
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr[-400:]}")
    return Run(float(seconds), int(peak_kb) / 1024, done.stderr, int(code))


def median_child(argv, env, runs, setup=None, check: bool = True) -> Run:
    done = []
    for _ in range(runs):
        if setup:
            setup()
        done.append(run_child(argv, env, check))
        if done[-1].code:
            return done[-1]
    return Run(
        statistics.median(r.seconds for r in done), max(r.peak_mb for r in done), done[-1].stderr
    )


def measured(what: str, run: Run, rows: int = 0, key: str = "") -> Measure:
    failed = f"fails (exit {run.code})" if run.code else ""
    return Measure(what, run.seconds, run.peak_mb, rows, key, failed)


class Database:
    """The ledger a measurement runs on: a SQLite file, or a PostgreSQL schema of its own.

    ``reset`` empties it and lays the current schema with ``supportledger init``.
    """

    def __init__(self, kind: str, workdir: Path, postgres: str | None) -> None:
        self.kind, self.workdir, self.postgres = kind, workdir, postgres
        self.schema = f"bench_{uuid.uuid4().hex[:8]}"
        self.path = workdir / "bench.db"
        if kind == "sqlite":
            self.url = f"sqlite:///{self.path}"
        else:
            self.url = f"{postgres}?options=-csearch_path%3D{self.schema}"

    def reset(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            self._schema("drop schema if exists {0} cascade", "create schema {0}")
        subprocess.run([*CLI, "init"], env=self.env(), check=True, capture_output=True)

    def drop(self) -> None:
        if self.kind == "postgresql":
            self._schema("drop schema if exists {0} cascade")

    def _schema(self, *statements: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.postgres)
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement.format(f'"{self.schema}"')))
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
from supportledger.supporters import list_supporters
ledger = Ledger(load_settings())
computations = {
    "month": lambda arg: monthly_statement(ledger, Month.parse(arg)),
    "year": lambda arg: annual_summary(ledger, int(arg)),
    "supporters": lambda arg: list_supporters(ledger),
}
for what, arg in zip(sys.argv[1::2], sys.argv[2::2]):
    compute = computations[what]
    compute(arg)  # warm: connections, caches, imports
    times = []
    for _ in range(7):
        start = time.perf_counter(); compute(arg); times.append(time.perf_counter() - start)
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


def compute_only(db: Database, wanted: list[tuple[str, str]]) -> list[float]:
    """Each ``(what, argument)`` computed warm in one process: the median seconds of each."""
    out = subprocess.run(
        [sys.executable, "-c", COMPUTE_ONLY, *(part for pair in wanted for part in pair)],
        env=db.env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return [float(line) for line in out.stdout.split()]


def lines_in(path: Path) -> int:
    with path.open(encoding="utf-8-sig") as handle:
        return sum(1 for _ in handle) - 1


def measure_ledger(
    db: Database, files: Path, rows: int, runs: int, import_runs: int
) -> list[Measure]:
    found = []
    for name, source in FORMATS.items():
        count = lines_in(files / name)
        run = median_child(
            [*CLI, "import", str(files / name), "--source", source], db.env(), import_runs, db.reset
        )
        found.append(measured(f"import {source} ({count:,} lines)", run, count, f"import {source}"))
    every = [str(files / name) for name in FORMATS]
    run = median_child([*CLI, "import", *every], db.env(), import_runs, db.reset)
    found.append(measured(f"import whole history ({rows:,} receipts)", run, rows, "import"))
    for argv, label, key in [
        (["statement", "--month", MONTH], f"statement --month {MONTH} (process)", "month"),
        (["statement", "--month", MONTH, "--format", "html"], "statement --month html (process)",
         ""),
        (["statement", "--year", YEAR], f"statement --year {YEAR} (process)", "year"),
        (["reconcile", "--month", MONTH], f"reconcile --month {MONTH} (process)", "reconcile"),
        (["supporters"], "supporters list (process)", "supporters"),
    ]:  # fmt: skip
        found.append(measured(label, median_child([*CLI, *argv], db.env(), runs), key=key))
    journal = db.workdir / "export.journal"
    run = median_child(
        [*CLI, "export", "--format", "hledger", "--output", str(journal)], db.env(), runs
    )
    transactions = int(re.search(r"exported ([\d,]+) transactions", run.stderr)[1].replace(",", ""))
    label = f"export --format hledger, whole history ({transactions:,} transactions) (process)"
    found.append(measured(label, run, transactions, "whole"))
    computed = {
        ("month", MONTH): "statement --month: computation alone (warm)",
        ("month", EARLY_MONTH): f"statement --month {EARLY_MONTH}: computation alone (warm)",
        ("year", YEAR): "statement --year: computation alone (warm)",
        ("supporters", "-"): "supporters list: computation alone (warm)",
    }
    for (what, arg), label, seconds in zip(
        computed, computed.values(), compute_only(db, list(computed)), strict=True
    ):
        key = f"{what} computation" if arg != EARLY_MONTH else "early month computation"
        found.append(Measure(label, seconds, 0, key=key))
    return found


#: The honest ceiling of an import: the PayPal file read with ``csv`` (column positions
#: resolved once, integer cents, instants from the file's own zone) and its receipts inserted
#: with ``executemany``, streamed in one transaction, into the ledger's ``receipts`` table.
#: What it skips of the import's work: supporters, fee checks, conversions, payouts.
CEILING = """
import csv, datetime as dt, sqlite3, sys
OFFSETS = {"PST": dt.timedelta(hours=8), "PDT": dt.timedelta(hours=7)}
NOT_RECEIPTS = {"General Withdrawal - Bank Account", "General Currency Conversion"}
def cents(text):
    sign = -1 if text.startswith("-") else 1
    whole, _, part = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int(part or 0))
def receipts(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        (date, time, zone, kind, currency, gross, fee, txn) = map(header.index, (
            "Date", "Time", "TimeZone", "Type", "Currency", "Gross", "Fee", "Transaction ID"))
        for row in rows:
            if row[kind] in NOT_RECEIPTS:
                continue
            day, clock = row[date], row[time]
            local = dt.datetime(int(day[6:]), int(day[:2]), int(day[3:5]),
                                int(clock[:2]), int(clock[3:5]), int(clock[6:]))
            amount, charged = cents(row[gross]), -cents(row[fee])
            yield ("paypal", row[txn],
                   "recurring" if row[kind] == "Subscription Payment" else "one_time",
                   "refund" if amount < 0 else "payment", "completed",
                   f"{local + OFFSETS[row[zone]]:%Y-%m-%d %H:%M:%S}.000000", row[currency],
                   amount, charged, amount - charged, "", row[kind])
connection = sqlite3.connect(sys.argv[2])
with connection:
    connection.executemany(
        "insert into receipts (channel, external_id, kind, event, status, occurred_at,"
        " currency, gross_minor, fee_minor, net_minor, flags, description)"
        " values (?,?,?,?,?,?,?,?,?,?,?,?)", receipts(sys.argv[1]))
"""


def measure_ceiling(files: Path, ledger_db: Database, workdir: Path, runs: int) -> list[Measure]:
    """What the machine does without supportledger: the honest import ceiling, and the bare
    GROUP BY of one month on the ledger ``ledger_db`` holds."""
    paypal = files / "paypal-activity.csv"
    empty = Database("sqlite", workdir / "ceiling", None)
    empty.workdir.mkdir(exist_ok=True)
    run = median_child(
        [sys.executable, "-c", CEILING, str(paypal), str(empty.path)],
        empty.env(),
        runs,
        empty.reset,
    )
    count = lines_in(paypal)
    label = f"honest ceiling: csv + executemany into receipts, paypal ({count:,} lines)"
    found = [measured(label, run, count, "ceiling")]
    query = (
        "select channel, kind, event, status, count(*), sum(gross_minor), sum(fee_minor)"
        " from receipts where occurred_at >= ? and occurred_at < ?"
        " group by channel, kind, event, status"
    )
    connection = sqlite3.connect(ledger_db.path)
    (in_month,) = connection.execute(
        "select count(*) from receipts where occurred_at >= ? and occurred_at < ?", MONTH_UTC
    ).fetchone()
    times = []
    for _ in range(7):
        start = time.perf_counter()
        connection.execute(query, MONTH_UTC).fetchall()
        times.append(time.perf_counter() - start)
    connection.close()
    label = f"raw sqlite3 GROUP BY one month ({in_month:,} receipts), same ledger"
    found.append(Measure(label, statistics.median(times), 0, in_month, "month group by"))
    return found


def measure_peers(journal: Path, runs: int) -> dict[str, dict[str, Measure]]:
    """hledger and ledger on the generator's journal of the same receipts, by scope."""
    found: dict[str, dict[str, Measure]] = {}
    for peer in PEERS:
        found[peer] = {}
        for scope, argv in PEER_SCOPES.items():
            label = f"{peer} {' '.join(argv)}"
            if shutil.which(peer) is None:
                found[peer][scope] = Measure(label, 0, 0, failed="not installed")
                continue
            run = median_child([peer, "-f", str(journal), *argv], dict(os.environ), runs)
            found[peer][scope] = measured(label, run)
    return found


def measure_startup(runs: int) -> list[Measure]:
    """``--help`` and ``--version``, which may fail (an option not there yet is a figure)."""
    env = {**os.environ, "SUPPORTLEDGER_ENV": "/nonexistent"}
    found = []
    for flag in ("--help", "--version"):
        run = median_child([*CLI, flag], env, runs, check=False)
        found.append(measured(f"supportledger {flag} (process)", run, key=flag))
    return found


def measure_suggest(supporters: int, workdir: Path, runs: int) -> list[Measure]:
    """``supporters suggest`` on a ledger of ``supporters`` people (SQLite): its time grows
    with the supporters, not the receipts, so it is measured once, at its own size."""
    files = workdir / "files"
    generate(supporters * 2, files, supporters=supporters)  # enough payments for everyone
    db = Database("sqlite", workdir, None)
    db.reset()
    payments = [str(files / name) for name in ("paypal-activity.csv", "chase-checking.csv")]
    run_child([*CLI, "import", *payments], db.env())
    with sqlite3.connect(db.path) as connection:
        (people,) = connection.execute("select count(*) from supporters").fetchone()
    out = subprocess.run(
        [*CLI, "supporters", "suggest", "--format", "json"],
        env=db.env(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    pairs = len(json.loads(out.stdout))
    run = median_child([*CLI, "supporters", "suggest"], db.env(), runs)
    label = f"supporters suggest, {people:,} supporters, {pairs:,} pairs (process, SQLite)"
    return [measured(label, run, people, "suggest")]


def table(title: str, results: dict[str, list[Measure]]) -> str:
    lines = [f"### {title}", ""]
    kinds = list(results)
    head = "| measure | " + " | ".join(f"{k} time | {k} rate | {k} peak RSS" for k in kinds)
    lines += [head + " |", "|---" * (1 + 3 * len(kinds)) + "|"]
    labels = list(dict.fromkeys(m.what for ms in results.values() for m in ms))
    for label in labels:
        cells = []
        for kind in kinds:
            m = next((m for m in results[kind] if m.what == label), None)
            cells += m.cells() if m else ["", "", ""]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def side_by_side(size: int, ours: dict[str, list[Measure]], peers) -> str:
    """One month, one year and the whole export: supportledger's commands beside the peers'."""
    columns = [f"supportledger ({kind})" for kind in ours] + list(PEERS)
    lines = [
        f"#### {size:,} receipts: the same history, supportledger beside hledger and ledger",
        "",
        "| scope | " + " | ".join(columns) + " |",
        "|---" * (1 + len(columns)) + "|",
    ]
    for scope, label in (("month", f"one month ({MONTH})"), ("year", f"one year ({YEAR})"),
                         ("whole", "the whole export")):  # fmt: skip
        cells = [find(ms, scope) for ms in ours.values()]
        cells += [peers[peer][scope] for peer in PEERS]
        lines.append(f"| {label} | " + " | ".join(cell_text(m) for m in cells) + " |")
    commands = "; ".join(f"{scope}: `{' '.join(argv)}`" for scope, argv in PEER_SCOPES.items())
    lines += [
        "",
        f"supportledger: `statement --month`, `statement --year`, `export --format hledger`; "
        f"the peers read the generator's journal of the same receipts ({commands}).",
    ]
    return "\n".join(lines) + "\n"


def cell_text(m: Measure | None) -> str:
    if m is None:
        return ""
    return m.failed or f"{duration(m.seconds)}, {m.peak_mb:,.0f} MB"


def find(measures: list[Measure], key: str) -> Measure | None:
    return next((m for m in measures if m.key == key and not m.failed), None)


# --- issue 18's targets ----------------------------------------------------------------------


def verdict(value: float, bound: float, at_most: bool = True) -> str:
    """``met``, or how many times off the bound the measure is (always more than 1)."""
    if (value <= bound) if at_most else (value >= bound):
        return "met"
    return f"{value / bound if at_most else bound / value:.2f}× off"


def within(value: float, bound: float, unit: str) -> str:
    return f"{value:,.2f}{unit} ({verdict(value, bound)})"


class Judge:
    """Reads the measures of every size for the targets: a figure at the largest size, or
    its growth from one size to another."""

    def __init__(self, by_size: dict[int, dict[str, list[Measure]]]) -> None:
        self.by_size = by_size
        self.sizes = sorted(by_size)
        self.large = self.sizes[-1]

    def at(self, kind: str, key: str, size: int | None = None) -> Measure | None:
        return find(self.by_size[size or self.large].get(kind, []), key)

    def each(self, key: str, describe) -> str:
        """``describe(measure)`` at the largest size, for each database that measured it."""
        parts = [
            f"{kind} {describe(m)}"
            for kind in self.by_size[self.large]
            if (m := self.at(kind, key))
        ]
        return "; ".join(parts) or "not measured"

    def growth(self, key: str, attribute: str, first: int, kinds=None) -> str:
        """How ``attribute`` grew from size ``first`` to the largest, judged within 20%."""
        parts = []
        for kind in kinds or list(self.by_size[self.large]):
            a, b = self.at(kind, key, first), self.at(kind, key)
            if a and b and first != self.large:
                ratio = getattr(b, attribute) / getattr(a, attribute)
                parts.append(f"{kind} ×{ratio:.2f} ({verdict(ratio, 1.2)})")
        return f"{first:,} → {self.large:,}: " + ("; ".join(parts) or "needs two sizes")


def targets(by_size: dict[int, dict[str, list[Measure]]], once: list[Measure]) -> str:
    """One line per target of issue 18, judged at the largest size measured; "flat" and
    "constant" allow 20% from the smallest size, memory growth 20% from the size before."""
    judge = Judge(by_size)
    large, small = judge.large, judge.sizes[0]
    before = judge.sizes[-2] if len(judge.sizes) > 1 else large
    note = "" if large >= 1_000_000 else " (the targets are set at 1M)"
    lines = [f"## Targets of issue 18, judged at {large:,} receipts{note}", ""]
    add = lines.append
    add(
        "- statement --month computation ≤ 10 ms warm: "
        + judge.each("month computation", lambda m: within(m.seconds * 1000, 10, " ms"))
    )
    add(
        "- statement --month computation flat, "
        + judge.growth("month computation", "seconds", small)
        + month_volume(judge, small)
    )
    add(
        f"- statement --month computation flat in the length of history, {EARLY_MONTH} "
        f"beside {MONTH} at {large:,} receipts: "
        + judge.each("month computation", lambda m: early_beside(judge, m))
    )
    add(
        "- statement --month whole process ≤ 0.35 s: "
        + judge.each("month", lambda m: within(m.seconds, 0.35, " s"))
    )
    add(
        "- reconcile --month whole process ≤ 0.5 s: "
        + judge.each("reconcile", lambda m: within(m.seconds, 0.5, " s"))
    )
    add("- reconcile --month peak RSS flat, " + judge.growth("reconcile", "peak_mb", small))
    for m in once:
        if m.key in ("--help", "--version"):
            add(f"- {m.key} whole process ≤ 0.15 s: " + (m.failed or within(m.seconds, 0.15, " s")))
    ceiling, paypal = judge.at("SQLite", "ceiling"), judge.at("SQLite", "import paypal")
    if ceiling and paypal:
        share = paypal.rate / ceiling.rate
        add(
            f"- SQLite import ≥ 1/2 of the honest ceiling: paypal {paypal.rate:,.0f} lines/s "
            f"against {ceiling.rate:,.0f}/s, 1/{1 / share:.1f} ({verdict(share, 0.5, False)})"
        )
    whole = judge.at("SQLite", "import")
    if whole:
        add("- SQLite import peak RSS ≤ 150 MB: " + within(whole.peak_mb, 150, " MB"))
    add(
        "- SQLite import peak RSS within 20% of the size before, "
        + judge.growth("import", "peak_mb", before, ["SQLite"])
    )
    postgres, sqlite = judge.at("PostgreSQL", "import"), judge.at("SQLite", "import")
    if postgres and sqlite:
        add(
            "- PostgreSQL import linear (time per receipt), "
            + judge.growth("import", "per_row", small, ["PostgreSQL"])
        )
        add(
            f"- PostgreSQL import at least as fast as SQLite: {postgres.rate:,.0f} against "
            f"{sqlite.rate:,.0f} receipts/s ({verdict(postgres.rate / sqlite.rate, 1, False)})"
        )
        for source in ("chase", "kdp"):
            m = judge.at("PostgreSQL", f"import {source}")
            million = m.per_row * 1_000_000
            add(
                f"- PostgreSQL 1M {source} rows ≤ 30 s: {m.rows:,} in {duration(m.seconds)}, "
                f"{million:,.1f} s a million at that rate ({verdict(million, 30)})"
            )
    else:
        add("- PostgreSQL import linear, ≥ SQLite, 1M chase and kdp rows ≤ 30 s: not measured")
    for m in once:
        if m.key == "suggest":
            add(
                f"- supporters suggest ≤ 5 s at {m.rows:,} supporters: "
                + (m.failed or within(m.seconds, 5, " s"))
            )
    add(
        "- supporters list ≤ 0.5 s (whole process): "
        + judge.each("supporters", lambda m: within(m.seconds, 0.5, " s"))
        + "; computed alone: "
        + judge.each("supporters computation", lambda m: duration(m.seconds))
    )
    add(
        "- export ≥ 100k transactions/s: "
        + judge.each("whole", lambda m: f"{m.rate:,.0f}/s ({verdict(m.rate, 100_000, False)})")
    )
    add("- export peak RSS constant, " + judge.growth("whole", "peak_mb", small))
    return "\n".join(lines) + "\n"


def month_volume(judge: Judge, small: int) -> str:
    """How the benchmark month's own receipts grew beside the computation: the generator
    keeps ten years and adds receipts, so a larger size is a busier month, not only a
    longer history."""
    a, b = judge.at("SQLite", "month group by", small), judge.at("SQLite", "month group by")
    if not (a and b) or small == judge.large:
        return ""
    return f" (the month itself: {a.rows:,} → {b.rows:,} receipts, ×{b.rows / a.rows:.0f})"


def early_beside(judge: Judge, late: Measure) -> str:
    """The late month's computation against the early one's, in the same ledger."""
    kind = next(k for k, found in judge.by_size[judge.large].items() if late in found)
    early = judge.at(kind, "early month computation")
    ratio = late.seconds / early.seconds
    times = f"{duration(early.seconds)} and {duration(late.seconds)}"
    return f"{times}, ×{ratio:.2f} ({verdict(ratio, 1.2)})"


def postgres_reachable(url: str) -> bool:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        return True
    except Exception:
        return False


def compile_package() -> None:
    """Compile supportledger's modules once, as an installed wheel has them: an editable
    install under ``PYTHONDONTWRITEBYTECODE=1`` (as on these machines) would otherwise compile
    every module from source in every process measured."""
    import compileall

    import supportledger

    compileall.compile_dir(Path(next(iter(supportledger.__path__))), quiet=1)


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
    parser.add_argument(
        "--suggest-supporters", type=int, default=20_000, help="supporters for `suggest`"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    import_runs = args.import_runs or args.runs
    use_postgres = args.postgres != "none" and postgres_reachable(args.postgres)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}", flush=True)
    compile_package()
    once = measure_startup(args.runs)
    once += measure_suggest(args.suggest_supporters, root / "suggest", args.runs)
    print(table("Once per run", {"SQLite": once}), flush=True)
    by_size = {}
    for size in (int(s) for s in args.sizes.split(",")):
        workdir = root / str(size)
        history = generate(size, workdir / "files")
        rows = len(history.rows)
        files = workdir / "files"
        sqlite = Database("sqlite", workdir, None)
        results = {"SQLite": measure_ledger(sqlite, files, rows, args.runs, import_runs)}
        results["SQLite"] += measure_ceiling(files, sqlite, workdir, args.runs)
        check = mrr_check(sqlite, str(FIRST_MONTH), str(LAST_MONTH))
        if use_postgres:
            database = Database("postgresql", workdir, args.postgres)
            try:
                results["PostgreSQL"] = measure_ledger(
                    database, files, rows, args.runs, import_runs
                )
            finally:
                database.drop()
        peers = measure_peers(files / "history.journal", args.runs)
        print(table(f"{size:,} receipts", results), flush=True)
        print(side_by_side(size, results, peers), flush=True)
        print(check + "\n", flush=True)
        by_size[size] = results
    print(targets(by_size, once), flush=True)
    if args.workdir is None:
        shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
