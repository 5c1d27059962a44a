"""PayPal activity downloads written by the tests, in PayPal's own layout.

The October 2026 file of a writer whose PayPal account is on Pacific time; every figure in
it is worked out by hand in the comments (fees: 3.49% + $0.49, +1.5% international).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HEADER = [
    "Date", "Time", "TimeZone", "Name", "Type", "Status", "Currency", "Gross", "Fee", "Net",
    "From Email Address", "To Email Address", "Transaction ID", "Shipping Address",
    "Item Title", "Reference Txn ID", "Receipt ID", "Balance", "Note", "Balance Impact",
]  # fmt: skip
WRITER = "writer@example.org"


def row(date, time, name, type_, status, currency, gross, fee, net, payer, txn,
        ref="", balance="", zone="PDT", impact="Credit") -> dict:  # fmt: skip
    """One line of the download; ``payer`` is the other party's e-mail."""
    incoming = not gross.startswith("-")
    return {
        "Date": date,
        "Time": time,
        "TimeZone": zone,
        "Name": name,
        "Type": type_,
        "Status": status,
        "Currency": currency,
        "Gross": gross,
        "Fee": fee,
        "Net": net,
        "From Email Address": payer if incoming else WRITER,
        "To Email Address": WRITER if incoming else payer,
        "Transaction ID": txn,
        "Shipping Address": "",
        "Item Title": "",
        "Reference Txn ID": ref,
        "Receipt ID": "",
        "Balance": balance,
        "Note": "",
        "Balance Impact": impact,
    }


# fmt: off
OCTOBER = [
    # line 2: 1,020.00 x 3.49% = 35.598 -> 35.60 + 0.49 = 36.09
    row("10/01/2026", "09:15:00", "Ana Ruiz", "Donation Received", "Completed", "USD",
        "1,020.00", "-36.09", "983.91", "ana@example.org", "1AN00000000000001",
        balance="983.91"),
    # lines 3-4: two identical $5 pledges, each 0.17 + 0.49 = 0.66
    row("10/01/2026", "09:20:00", "Bo Li", "Subscription Payment", "Completed", "USD",
        "5.00", "-0.66", "4.34", "bo@example.org", "2BO00000000000001", ref="I-BOLI0001",
        balance="988.25"),
    row("10/01/2026", "09:20:00", "Cy Park", "Subscription Payment", "Completed", "USD",
        "5.00", "-0.66", "4.34", "cy@example.org", "3CY00000000000001", ref="I-CYPARK001",
        balance="992.59"),
    # lines 5-7: 50 EUR, fee 1.75 + 0.39 + 0.75 = 2.89 EUR; 47.11 EUR converted to 50.88 USD
    row("10/03/2026", "11:00:00", "Dee Müller", "Donation Received", "Completed", "EUR",
        "50.00", "-2.89", "47.11", "dee@example.de", "4DE00000000000001", balance="47.11"),
    row("10/03/2026", "11:00:00", "", "General Currency Conversion", "Completed", "EUR",
        "-47.11", "0.00", "-47.11", "", "5CV00000000000001", ref="4DE00000000000001",
        balance="0.00", impact="Debit"),
    row("10/03/2026", "11:00:00", "", "General Currency Conversion", "Completed", "USD",
        "50.88", "0.00", "50.88", "", "6CV00000000000001", ref="4DE00000000000001",
        balance="1,043.47"),
    # line 8: an authorisation moves nothing
    row("10/04/2026", "08:00:00", "Shop", "General Authorization", "Pending", "USD",
        "-12.00", "0.00", "-12.00", "shop@example.com", "7AU00000000000001",
        balance="1,043.47", impact="Memo"),
    # line 9: 20.00 -> 0.70 + 0.49 = 1.19
    row("10/05/2026", "14:00:00", "Ed Stone", "Website Payment", "Completed", "USD",
        "20.00", "-1.19", "18.81", "ed@example.org", "8ED00000000000001", balance="1,062.28"),
    # line 10: refunded in full; since Oct 2019 PayPal keeps its fee
    row("10/09/2026", "10:00:00", "Ed Stone", "Payment Refund", "Completed", "USD",
        "-20.00", "0.00", "-20.00", "ed@example.org", "9RF00000000000001",
        ref="8ED00000000000001", balance="1,042.28", impact="Debit"),
    # lines 11-12: a dispute hold and its release
    row("10/12/2026", "10:00:00", "Bo Li", "Hold on Balance for Dispute Investigation",
        "Completed", "USD", "-5.00", "0.00", "-5.00", "bo@example.org", "AHD00000000000001",
        ref="2BO00000000000001", balance="1,037.28", impact="Debit"),
    row("10/14/2026", "10:00:00", "Bo Li", "Cancellation of Hold for Dispute Resolution",
        "Completed", "USD", "5.00", "0.00", "5.00", "bo@example.org", "BHD00000000000001",
        ref="2BO00000000000001", balance="1,042.28"),
    # line 13: the writer paying someone
    row("10/20/2026", "16:00:00", "Print Shop", "Express Checkout Payment", "Completed", "USD",
        "-15.00", "0.00", "-15.00", "print@example.com", "COUT0000000000001",
        balance="1,027.28", impact="Debit"),
    # line 14: the month's withdrawal to the bank
    row("10/31/2026", "17:30:00", "", "General Withdrawal - Bank Account", "Completed", "USD",
        "-1,027.28", "0.00", "-1,027.28", "", "DWD00000000000001", balance="0.00",
        impact="Debit"),
    # line 15: 23:30 PDT on 31 Oct is 06:30 UTC on 1 Nov, 23:30 on 31 Oct in Phoenix
    # 100.00 -> 3.49 + 0.49 = 3.98
    row("10/31/2026", "23:30:00", "Fay Ong", "Donation Received", "Completed", "USD",
        "100.00", "-3.98", "96.02", "fay@example.org", "EFA00000000000001", balance="96.02"),
]
# fmt: on

#: what the October file adds, worked by hand from the comments above
OCTOBER_RECEIPTS = {  # external id: (gross, fee, net) in cents
    "1AN00000000000001": (102000, 3609, 98391),
    "2BO00000000000001": (500, 66, 434),
    "3CY00000000000001": (500, 66, 434),
    "4DE00000000000001": (5400, 312, 5088),
    "8ED00000000000001": (2000, 119, 1881),
    "9RF00000000000001": (-2000, 0, -2000),
    "EFA00000000000001": (10000, 398, 9602),
}


def render(rows: list[dict], header: list[str] = HEADER, bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: r.get(k, "") for k in header} for r in rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def write(path: Path, rows: list[dict], **kwargs) -> Path:
    path.write_bytes(render(rows, **kwargs))
    return path
