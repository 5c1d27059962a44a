"""A deterministic synthetic support history, written as the channels' own export files.

About ten years of a writer's support: PayPal donations and subscriptions (with refunds,
foreign-currency payments and withdrawals), Zelle and checks on the bank statement (with the
channels' payouts), Patreon members, and KDP royalty rows. 2,000 supporters (or as many as
asked), each with a name of their own, pay by PayPal or by Zelle, never both: the ledger then
holds one supporter per person who paid, and everyone has paid once the payments outnumber
the payers.
The same receipts are also written as a journal for hledger and ledger, and kept as rows
(what the ledger should book). Seeded: the same size and seed give byte-identical files.

Usage: python benchmarks/generate.py --receipts 10000 --out benchmarks/out/10k
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
START = dt.date(2016, 11, 1)
MONTHS = 120
#: percent of all receipts, by where they come from
SHARES = {"paypal": 70, "bank": 20, "kdp": 10}
WRITER = "writer@example.org"
#: percent of the bank's credits that are Zelle payments (the rest: deposited checks)
ZELLE_SHARE = 75

PAYPAL_HEADER = [
    "Date",
    "Time",
    "TimeZone",
    "Name",
    "Type",
    "Status",
    "Currency",
    "Gross",
    "Fee",
    "Net",
    "From Email Address",
    "To Email Address",
    "Transaction ID",
    "Shipping Address",
    "Address Status",
    "Item Title",
    "Item ID",
    "Shipping and Handling Amount",
    "Insurance Amount",
    "Sales Tax",
    "Option 1 Name",
    "Option 1 Value",
    "Option 2 Name",
    "Option 2 Value",
    "Reference Txn ID",
    "Invoice Number",
    "Custom Number",
    "Quantity",
    "Receipt ID",
    "Balance",
    "Address Line 1",
    "Address Line 2/District/Neighborhood",
    "Town/City",
    "State/Province/Region/County/Territory/Prefecture/Republic",
    "Zip/Postal Code",
    "Country",
    "Contact Phone Number",
    "Subject",
    "Note",
    "Country Code",
    "Balance Impact",
]
CHASE_HEADER = [
    "Details",
    "Posting Date",
    "Description",
    "Amount",
    "Type",
    "Balance",
    "Check or Slip #",
]
PATREON_HEADER = [
    "Name",
    "Email",
    "Discord",
    "Patron Status",
    "Follows You",
    "Free Member",
    "Free Trial",
    "Lifetime Amount",
    "Pledge Amount",
    "Charge Frequency",
    "Tier",
    "Addressee",
    "Street",
    "City",
    "State",
    "Zip",
    "Country",
    "Phone",
    "Patronage Since Date",
    "Last Charge Date",
    "Last Charge Status",
    "Additional Details",
    "User ID",
    "Last Updated",
    "Currency",
    "Max Posts",
    "Access Expiration",
    "Next Charge Date",
    "Full country name",
    "Subscription Source",
]
KDP_HEADER = [
    "Royalty Date",
    "Title",
    "Author Name",
    "ASIN",
    "Marketplace",
    "Royalty Type",
    "Transaction Type",
    "Units Sold",
    "Units Refunded",
    "Net Units Sold",
    "Avg. List Price without tax",
    "Avg. Offer Price without tax",
    "Avg. File Size (MB)",
    "Avg. Delivery Cost",
    "Royalty",
    "Currency",
]
#: what a supporter's PayPal subscription bills (cents), by supporter
PLANS = (300, 500, 1000, 2000)
#: Given names and surnames, a few accented: every supporter gets a combination of its own.
FIRST = """
Aaron Abel Ada Adele Adrian Agnes Aisha Alan Alba Albert Alice Amara Amir Ana Andre Angela
Anna Anne Arjun Arthur Astrid Beatriz Ben Bianca Boris Brenda Bruno Camila Carl Carla Carmen
Cecile Chen Chloé Clara Colin Dana Daniel Dario Dmitri Dora Edith Elena Eli Elif Emil Emma
Enzo Erik Esther Eva Farah Felix Fiona Frank Freya Gabriel Gemma George Gina Grace Hana Hans
Hector Helen Hugo Ian Ida Igor Ines Ingrid Irene Isaac Ivan Jade Jakob James Jana Javier Joan
John Jon Jonas Jorge José Julia Karim Kate Kenji Kim Lars Laura Leo Lina Lou Lucas Lucía Luis
Maja Marc Maria Marta Max Maya Mei Mila Nadia Nina Noah Nora Olga Omar Oscar Paul Pedro Petra
Priya Rafael Rosa Ruth Sam Sara Sean Sofia Sven Tara Theo Tomás Uma Vera Victor Wanda Yara
Yusuf Zoe Zoë
""".split()
LAST = """
Abbott Adams Ahmed Alvarez Andersen Baker Banerjee Barnes Becker Bell Berg Bianchi Blanc Boyd
Brandt Brooks Brown Byrne Campbell Carter Castro Chen Clarke Cohen Cole Costa Cruz Dahl Davies
Diaz Dubois Duval Edwards Ellis Evans Farouk Fischer Fleming Ford Foster Fox Garcia Gibson Gill
Gomez Graham Grant Gray Green Gupta Hahn Hall Hansen Harris Hayes Hoffman Holm Horvat Howard
Hughes Hunt Ito Jackson Jansen Jensen Johnson Jones Kaur Keller Kelly Khan Kim Klein Koch Kowalski
Kumar Lambert Lange Larsen Lee Lewis Lima Lindqvist Lopez Lund Marsh Martin Mason Meyer Miller
Mills Moreau Morris Moss Müller Murphy Nagy Nakamura Nash Nguyen Novak Núñez O'Brien Okafor
Olsen Ortiz Owens Park Patel Perez Perrin Peters Petrov Pham Porter Price Quinn Reed Reyes Rossi
Roux Rowe Ruiz Russo Ryan Sato Schmidt Schulz Scott Shah Silva Singh Smith Sousa Stone Suzuki
Tan Taylor Thomas Torres Tran Turner Vale Varga Vega Wagner Walsh Ward Watts Weber Wells West
White Wood Wright Yamada Yates Young Zhang Zimmermann Zorn Ababio Achterberg Aguilar Alcott Amato
Arslan Asante Bauer Beaumont Bergstrom Bhatt Bishop Blake Bondarenko Bosch Brennan Caldwell Chavez
Conti Dekker Delgado Dunn Engel Falk Ferreira Fontaine Frost Gallo Haas Ivanova Jovanovic
""".split()


@dataclass(frozen=True)
class Row:
    """One receipt of the history, as the ledger should end up booking it (cents)."""

    channel: str
    external_id: str
    kind: str
    event: str
    occurred_at: dt.datetime
    gross: int
    fee: int


def cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


def paypal_fee(gross: int, day: dt.date) -> int:
    """PayPal's commercial fee in cents, half-up: 2.9% + 30c, then 3.49% + 49c."""
    if day < dt.date(2021, 8, 2):
        return (gross * 29 + 500) // 1000 + 30
    return (gross * 349 + 5000) // 10000 + 49


class History:
    def __init__(self, receipts: int, seed: int = 2026, supporters: int = 2000) -> None:
        self.random = random.Random(seed)
        self.receipts = receipts
        names = len(FIRST) * len(LAST)
        if supporters > names:
            raise ValueError(f"at most {names:,} supporters have names of their own")
        combinations = self.random.sample(range(names), supporters)
        self.supporters = [
            (f"{FIRST[c % len(FIRST)]} {LAST[c // len(FIRST)]}", f"s{i:05d}@example.org")
            for i, c in enumerate(combinations)
        ]
        # about a sixth pay by Zelle, the rest by PayPal, as the receipts are shared out
        zelle = SHARES["bank"] * ZELLE_SHARE // 100
        self.zelle_payers = supporters * zelle // (zelle + SHARES["paypal"])
        self.rows: list[Row] = []

    def payers(self, first: int, end: int) -> Iterator[int]:
        """Supporters ``first`` to ``end - 1`` (in the order drawn), each once, then at random:
        everyone pays at least once when there are as many payments as payers."""
        yield from range(first, end)
        while True:
            yield self.random.randrange(first, end)

    def instant(self, month: int) -> dt.datetime:
        first = dt.date(
            START.year + (START.month - 1 + month) // 12, (START.month - 1 + month) % 12 + 1, 1
        )
        day = first + dt.timedelta(days=self.random.randrange(28))
        seconds = self.random.randrange(86400)
        local = dt.datetime.combine(day, dt.time(0), PACIFIC) + dt.timedelta(seconds=seconds)
        return local.astimezone(dt.UTC)

    def write_paypal(self, path: Path, count: int) -> None:
        per_month = max(1, count // MONTHS)
        balance = 0
        serial = 0
        payers = self.payers(self.zelle_payers, len(self.supporters))
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            out = csv.writer(handle, quoting=csv.QUOTE_ALL)
            out.writerow(PAYPAL_HEADER)
            written = 0
            for month in range(MONTHS):
                payments = []
                for _ in range(min(per_month, count - written)):
                    payments.append(self.instant(month))
                    written += 1
                for when in sorted(payments):
                    serial += 1
                    who = next(payers)
                    name, email = self.supporters[who]
                    local = when.astimezone(PACIFIC)
                    gross = self.random.choice([300, 500, 500, 1000, 1000, 2000, 2500, 5000])
                    if self.random.random() < 0.03:
                        serial += 3
                        balance += self._paypal_foreign(out, local, name, email, serial, gross)
                        continue
                    recurring = self.random.random() < 0.4
                    if recurring:  # a subscription bills the same amount every time
                        gross = PLANS[who % len(PLANS)]
                    fee = paypal_fee(gross, local.date())
                    txn = f"PP{serial:015d}"
                    balance += gross - fee
                    kind = "recurring" if recurring else "one_time"
                    self.rows.append(Row("paypal", txn, kind, "payment", when, gross, fee))
                    out.writerow(
                        self._paypal_row(
                            local,
                            name,
                            "Subscription Payment" if recurring else "Donation Received",
                            "USD",
                            gross,
                            -fee,
                            email,
                            txn,
                            f"I-{who:08d}" if recurring else "",
                            balance,
                        )
                    )
                    if self.random.random() < 0.01:  # a refund a few days later
                        serial += 1
                        later = local + dt.timedelta(days=2)
                        refund_id = f"PP{serial:015d}"
                        balance -= gross
                        self.rows.append(
                            Row(
                                "paypal",
                                refund_id,
                                kind,
                                "refund",
                                later.astimezone(dt.UTC),
                                -gross,
                                0,
                            )
                        )
                        out.writerow(
                            self._paypal_row(
                                later,
                                name,
                                "Payment Refund",
                                "USD",
                                -gross,
                                0,
                                email,
                                refund_id,
                                txn,
                                balance,
                            )
                        )
                last = dt.datetime.combine(
                    (local.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                    - dt.timedelta(days=1),
                    dt.time(18),
                    PACIFIC,
                )
                if balance > 0:  # the month's withdrawal to the bank: a payout, not income
                    serial += 1
                    out.writerow(
                        self._paypal_row(
                            last,
                            "",
                            "General Withdrawal - Bank Account",
                            "USD",
                            -balance,
                            0,
                            "",
                            f"PP{serial:015d}",
                            "",
                            0,
                        )
                    )
                    balance = 0

    def _paypal_foreign(self, out, local, name, email, serial, gross_eur) -> int:
        """A EUR donation and its two conversion rows; returns the USD credited (cents)."""
        fee_eur = (gross_eur * 349 + 5000) // 10000 + 39
        net_eur = gross_eur - fee_eur
        net_usd = (net_eur * 1083 + 500) // 1000  # at 1.083 USD per EUR
        txn = f"PP{serial - 2:015d}"
        gross_usd = (gross_eur * 1083 + 500) // 1000
        when = local.astimezone(dt.UTC)
        self.rows.append(
            Row("paypal", txn, "one_time", "payment", when, gross_usd, gross_usd - net_usd)
        )
        out.writerow(
            self._paypal_row(
                local, name, "Donation Received", "EUR", gross_eur, -fee_eur, email, txn, "", 0
            )
        )
        out.writerow(
            self._paypal_row(
                local,
                "",
                "General Currency Conversion",
                "EUR",
                -net_eur,
                0,
                "",
                f"PP{serial - 1:015d}",
                txn,
                0,
            )
        )
        out.writerow(
            self._paypal_row(
                local,
                "",
                "General Currency Conversion",
                "USD",
                net_usd,
                0,
                "",
                f"PP{serial:015d}",
                txn,
                0,
            )
        )
        return net_usd

    @staticmethod
    def _paypal_row(local, name, kind, currency, gross, fee, email, txn, ref, balance):
        row = dict.fromkeys(PAYPAL_HEADER, "")
        row.update(
            {
                "Date": f"{local:%m/%d/%Y}",
                "Time": f"{local:%H:%M:%S}",
                "TimeZone": "PDT" if local.dst() else "PST",
                "Name": name,
                "Type": kind,
                "Status": "Completed",
                "Currency": currency,
                "Gross": f"{cents(gross)}",
                "Fee": cents(fee),
                "Net": cents(gross + fee),
                # money in comes from the payer; a refund goes back to them
                "From Email Address": email if gross > 0 else WRITER,
                "To Email Address": WRITER if gross > 0 else email,
                "Transaction ID": txn,
                "Reference Txn ID": ref,
                "Balance": cents(balance),
                "Balance Impact": "Credit" if gross > 0 else "Debit",
            }
        )
        return [row[h] for h in PAYPAL_HEADER]

    def write_bank(self, path: Path, count: int) -> None:
        per_month = max(1, count // MONTHS)
        balance = 500000
        written = 0
        payers = self.payers(0, self.zelle_payers)
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(CHASE_HEADER)
            lines = []
            for month in range(MONTHS):
                for _ in range(min(per_month, count - written)):
                    written += 1
                    when = self.instant(month)
                    amount = self.random.choice([2000, 2500, 5000, 10000])
                    if self.random.random() < ZELLE_SHARE / 100:
                        name, _ = self.supporters[next(payers)]
                        conf = f"{self.random.randrange(10**10):010d}"
                        lines.append(
                            (
                                when,
                                f"Zelle payment from {name.upper()} {conf}",
                                amount,
                                "QUICKPAY_CREDIT",
                                "",
                            )
                        )
                    else:
                        lines.append(
                            (when, "REMOTE ONLINE DEPOSIT #          1", amount, "DEPOSIT", "")
                        )
                when = self.instant(month)
                lines.append((when, "PATREON MEMBERSHIP PAYOUT", 41234, "ACH_CREDIT", ""))
            for when, description, amount, kind, slip in sorted(lines):
                balance += amount
                day = when.astimezone(ZoneInfo("America/Phoenix")).date()
                if kind in {"QUICKPAY_CREDIT", "DEPOSIT"}:
                    channel = "zelle" if kind == "QUICKPAY_CREDIT" else "check"
                    self.rows.append(
                        Row(
                            channel,
                            f"bank:{len(self.rows)}",
                            "one_time",
                            "payment",
                            when,
                            amount,
                            0,
                        )
                    )
                out.writerow(
                    [
                        "CREDIT",
                        f"{day:%m/%d/%Y}",
                        description,
                        cents(amount),
                        kind,
                        cents(balance),
                        slip,
                    ]
                )

    def write_kdp(self, path: Path, count: int) -> None:
        per_month = max(1, count // MONTHS)
        written = 0
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(KDP_HEADER)
            for month in range(MONTHS):
                first = self.instant(month).astimezone(ZoneInfo("America/Phoenix")).date()
                for n in range(min(per_month, count - written)):
                    written += 1
                    title, asin = f"Title {n // 2:04d}", f"B0{n // 2:08d}"
                    royalty_type = "70%" if n % 2 else "35%"
                    units = self.random.randint(1, 40)
                    price = self.random.choice([299, 399, 499])
                    delivery = 15 * 2 if royalty_type == "70%" else 0  # 2 MB at $0.15/MB
                    percent = 70 if royalty_type == "70%" else 35
                    per_copy = (percent * (price - delivery) + 50) // 100
                    royalty = per_copy * units
                    gross = price * units
                    self.rows.append(
                        Row(
                            "kdp",
                            f"kdp:{month}:{n}",
                            "sale",
                            "payment",
                            dt.datetime.combine(first.replace(day=1), dt.time(7), dt.UTC),
                            gross,
                            gross - royalty,
                        )
                    )
                    out.writerow(
                        [
                            f"{first:%Y-%m}",
                            title,
                            "A. Writer",
                            asin,
                            "Amazon.com",
                            royalty_type,
                            "Standard",
                            units,
                            0,
                            units,
                            cents(price),
                            cents(price),
                            "2.00",
                            cents(delivery),
                            cents(royalty),
                            "USD",
                        ]
                    )

    def write_patreon(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(PATREON_HEADER)
            for i, (name, email) in enumerate(self.supporters[self.zelle_payers :][:600]):
                status = "Active patron" if i % 7 else "Former patron"
                pledge = self.random.choice([300, 500, 1000])
                row = dict.fromkeys(PATREON_HEADER, "")
                row.update(
                    {
                        "Name": name,
                        "Email": email,
                        "Patron Status": status,
                        "Follows You": "Yes",
                        "Free Member": "No",
                        "Free Trial": "No",
                        "Lifetime Amount": f"${cents(pledge * 12)}",
                        "Pledge Amount": f"${cents(pledge)}",
                        "Charge Frequency": "monthly",
                        "Tier": "Reader",
                        "Patronage Since Date": "2020-01-01 08:00:00",
                        "User ID": f"{10**7 + i}",
                        "Last Charge Date": "2026-10-01 08:00:00",
                        "Last Charge Status": "Paid",
                        "Currency": "USD",
                    }
                )
                out.writerow([row[h] for h in PATREON_HEADER])

    def write_journal(self, path: Path) -> None:
        """The same receipts as an hledger journal, for ``hledger balance -M``."""
        tz = ZoneInfo("America/Phoenix")
        with path.open("w", encoding="utf-8") as out:
            for row in sorted(self.rows, key=lambda r: (r.occurred_at, r.external_id)):
                day = row.occurred_at.astimezone(tz).date()
                kind = "".join(w.title() for w in row.kind.split("_"))
                out.write(
                    f"{day} {row.channel} {row.event}  ; id:{row.external_id}\n"
                    f"    Assets:{row.channel.title()}  {cents(row.gross - row.fee)} USD\n"
                    f"    Expenses:Fees:{row.channel.title()}  {cents(row.fee)} USD\n"
                    f"    Income:{row.channel.title()}:{kind}  {cents(-row.gross)} USD\n\n"
                )


def generate(receipts: int, out: Path, seed: int = 2026, supporters: int = 2000) -> History:
    out.mkdir(parents=True, exist_ok=True)
    history = History(receipts, seed, supporters)
    counts = {name: receipts * share // 100 for name, share in SHARES.items()}
    history.write_paypal(out / "paypal-activity.csv", counts["paypal"])
    history.write_bank(out / "chase-checking.csv", counts["bank"])
    history.write_kdp(out / "kdp-royalties.csv", counts["kdp"])
    history.write_patreon(out / "patreon-members.csv")
    history.write_journal(out / "history.journal")
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/10k"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--supporters", type=int, default=2000)
    args = parser.parse_args()
    history = generate(args.receipts, args.out, args.seed, args.supporters)
    print(f"{len(history.rows)} receipts written to {args.out}")


if __name__ == "__main__":
    main()
