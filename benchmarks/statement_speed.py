"""How long ``supportledger statement --month`` takes on a big ledger, as a whole process.

Builds (once) a SQLite ledger of N receipts over ten years, written straight into the
tables with executemany, then runs the command for the last month in each format and
prints the wall time of each run. Seeded, so the same N gives the same ledger.

Usage: python benchmarks/statement_speed.py --receipts 1000000 --out benchmarks/out/statement
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path

CHANNELS = [("paypal", "one_time", 40), ("patreon", "recurring", 25), ("zelle", "one_time", 10),
            ("stripe", "one_time", 10), ("kdp", "sale", 10), ("check", "one_time", 5)]  # fmt: skip
START = dt.datetime(2016, 11, 1, 7, tzinfo=dt.UTC)
DAYS = 3652


def build(database: Path, receipts: int) -> None:
    from sqlalchemy import insert

    from supportledger.config import load_settings
    from supportledger.ledger import Ledger
    from supportledger.models import ChannelBalance, Payout, Receipt, Subscription, Supporter

    ledger = Ledger(load_settings({"DATABASE_URL": f"sqlite:///{database}"}, Path("/none")))
    ledger.init()
    rng = random.Random(4)
    names = [c for c, _, weight in CHANNELS for _ in range(weight)]
    kinds = {c: k for c, k, _ in CHANNELS}
    with ledger.engine.begin() as connection:
        connection.execute(
            insert(Supporter),
            [{"display_name": f"Supporter {i}", "created_at": START} for i in range(1, 2001)],
        )
        connection.execute(
            insert(Subscription),
            [
                {"channel": rng.choice(["patreon", "paypal"]), "external_id": f"sub-{i}",
                 "supporter_id": i, "amount_minor": rng.choice([300, 500, 1000]),
                 "currency": "USD", "interval": "month", "status": "active",
                 "started_at": START + dt.timedelta(days=rng.randrange(DAYS))}
                for i in range(1, 2001)
            ],
        )  # fmt: skip
        # imports arrive month by month, so rows are written roughly in time order
        seconds = sorted(rng.randrange(DAYS * 86400) for _ in range(receipts))
        chunk = []
        for i, second in enumerate(seconds):
            channel = rng.choice(names)
            gross = rng.choice([300, 500, 1000, 2000, 2500, 5000])
            fee = gross * 35 // 1000 + 49 if channel in ("paypal", "stripe", "patreon") else 0
            when = START + dt.timedelta(seconds=second)
            chunk.append(
                {"channel": channel, "external_id": f"{channel}-{i}", "kind": kinds[channel],
                 "event": "refund" if i % 97 == 0 else "payment", "status": "completed",
                 "occurred_at": when, "currency": "USD",
                 "gross_minor": -gross if i % 97 == 0 else gross, "fee_minor": fee,
                 "net_minor": (-gross if i % 97 == 0 else gross) - fee,
                 "expected_fee_minor": fee, "supporter_id": rng.randrange(1, 2001),
                 "flags": "", "description": "",
                 "due_on": (when + dt.timedelta(days=60)).date() if channel == "kdp" else None}
            )  # fmt: skip
            if len(chunk) == 20_000:
                connection.execute(insert(Receipt), chunk)
                chunk = []
        if chunk:
            connection.execute(insert(Receipt), chunk)
        connection.execute(
            insert(Payout),
            [
                {"channel": channel, "external_id": f"po-{channel}-{m}",
                 "initiated_at": START + dt.timedelta(days=30 * m + 3),
                 "arrived_on": (START + dt.timedelta(days=30 * m + 5)).date(), "currency": "USD",
                 "amount_minor": 100_000, "fee_minor": 0, "status": "paid"}
                for m in range(120)
                for channel in ("paypal", "patreon", "stripe")
            ],
        )  # fmt: skip
        # PayPal's downloads and Stripe's balance state the channel's balance; say monthly
        connection.execute(
            insert(ChannelBalance),
            [
                {"channel": channel, "currency": "USD",
                 "as_of": START + dt.timedelta(days=30 * m + 29), "amount_minor": 50_000}
                for m in range(120)
                for channel in ("paypal", "stripe")
            ],
        )  # fmt: skip
    ledger.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/statement"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    database = args.out / f"ledger-{args.receipts}.db"
    if not database.exists():
        started = time.perf_counter()
        build(database, args.receipts)
        print(f"built {database} in {time.perf_counter() - started:.1f} s")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    program = str(Path(sys.executable).with_name("supportledger"))  # the installed command
    command = [program, "statement", "--month", "2026-10"]
    for fmt in ("text", "html", "json", "csv"):
        started = time.perf_counter()
        subprocess.run([*command, "--format", fmt], env=env, check=True, capture_output=True)
        print(f"statement --month 2026-10 --format {fmt}: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    subprocess.run([program, "--help"], env=env, check=True, capture_output=True)
    print(f"supportledger --help (startup alone): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
