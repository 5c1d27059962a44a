"""A valid small file of every importer, and the ways a hostile or broken copy differs.

Each :class:`Sample` is a table (a header and rows) with the roles of its columns (amounts,
dates, names) and a ``render`` that writes it in its format's bytes: CSV, XLSX or OFX. A
mutation changes the table (a column dropped, added or moved, a cell replaced, a row
repeated), makes it a file that is not what it claims (another format's header over its
rows, a bank's header with generic columns added, every day 12 or less), or changes the
rendered bytes (truncated, re-encoded, a NUL inserted, emptied).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import paypal_export as pp
from importer_support import ACX_HEADER, KDP_HEADER, xlsx

Table = list[list[str]]  # the header first, then the rows

FORMULA = '=HYPERLINK("http://x","y")'
#: beyond 2^63 cents, beyond Decimal's 28 digits, and merely absurd
HUGE_AMOUNTS = (
    "92233720368547758.08",
    "-92233720368547758.09",
    "1" + "0" * 30 + ".00",
    "9,999,999,999,999,999,999.99",
    "100000000000000.00",
)
ODD_AMOUNTS = ("0.00", "-5.00", "-0.01", "5.001", "1e5", "NaN", "Infinity", "", "$-", "(5.00)")
#: impossible or out-of-range dates, in each style the formats write
BAD_DATES = {
    "mdy": ("02/30/2026", "00/00/0000", "01/01/0000", "12/31/99999", "12/31/9999", "01/01/0001"),
    "iso": ("2026-02-30", "0000-01-01", "99999-12-31", "9999-12-31", "0001-01-01", "2026-13-01"),
    "month": ("2026-13", "0000-01", "99999-10", "9999-12", "0001-01", "2026-00"),
    "ofx": ("20260230", "00000101", "999991231", "99991231", "00010101", "2026023"),
    "acx": ("2026_FEB30", "0000_JAN", "99999_OCT", "9999_DEC", "0001_JAN", "2026_XYZ"),
}
ENCODINGS = ("latin-1", "utf-16", "utf-16-be", "cp1252")


@dataclass(frozen=True)
class Sample:
    """A valid file of one importer, as a table it can be rendered from."""

    name: str
    file_name: str
    table: Table
    render: Callable[[Table], bytes]
    amounts: tuple[str, ...]
    dates: tuple[tuple[str, str], ...]  # (column, style of BAD_DATES)
    names: tuple[str, ...]
    #: files written beside it (a mapping), by name
    beside: dict[str, str] = field(default_factory=dict)
    binary: bool = False

    def column(self, name: str) -> int:
        return self.table[0].index(name)

    def write(self, directory: Path, content: bytes) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in self.beside.items():
            (directory / name).write_text(text, encoding="utf-8")
        path = directory / self.file_name
        path.write_bytes(content)
        return path


def _parse(text: str) -> Table:
    return [list(record) for record in csv.reader(io.StringIO(text))]


def _csv(table: Table, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def _paypal(table: Table) -> bytes:
    return _csv(table, bom=True)


def _kdp_xlsx(table: Table) -> bytes:
    return xlsx({"eBook Royalty": table})


def _acx_xlsx(table: Table) -> bytes:
    return xlsx(
        {"Cover Sheet (ACX)": [["ACX Royalty Statement"], ["Period: 2026_OCT"]],
         "Sales Detail (Net Sales)": table}
    )  # fmt: skip


OFX_HEAD = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS>"
    "<CURDEF>USD\n<BANKACCTFROM><BANKID>021000021<ACCTID>000123456789<ACCTTYPE>CHECKING"
    "</BANKACCTFROM>\n<BANKTRANLIST>\n"
)
OFX_TAIL = "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"


def _ofx(table: Table) -> bytes:
    """Each row a ``<STMTTRN>``, its cells the tags the header names (empty: left out)."""
    header, *rows = table
    blocks = [
        "<STMTTRN>"
        + "".join(f"<{tag}>{value}" for tag, value in zip(header, row, strict=False) if value)
        + "\n</STMTTRN>\n"
        for row in rows
    ]  # fmt: skip
    return (OFX_HEAD + "".join(blocks) + OFX_TAIL).encode("utf-8")


KDP_ROWS = [
    ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.com", "70%", "Standard",
     "12", "2", "10", "4.99", "4.99", "1.2", "0.18", "33.67", "USD"],
    ["2026-10", "The Long Road", "Jane Writer", "B0ABC12345", "Amazon.com", "35%", "Standard",
     "3", "0", "3", "2.99", "2.99", "1.2", "", "3.14", "USD"],
]  # fmt: skip
ACX_ROWS = [
    ["Jane Writer", "BK_ACX0_012345", "Jane Writer", "The Long Road", "9781234567897", "P-1",
     "Sale", "Audible.com", "A La Carte", "Standard", "Exclusive", "", "USD", "40%", "100%",
     "3", "44.85", "17.94"],
    ["Jane Writer", "BK_ACX0_012345", "Jane Writer", "The Long Road", "9781234567897", "P-1",
     "Return", "Audible.com", "A La Carte", "Standard", "Exclusive", "", "USD", "40%", "100%",
     "-1", "-14.95", "-5.98"],
]  # fmt: skip
KOFI_MAPPING = (
    'channel = "stripe"\nheader = ["Date", "From", "Received", "Fee", "Id"]\n'
    '[columns]\ndate = "Date"\namount = "Received"\nfee = "Fee"\nid = "Id"\npayer = "From"\n'
)

SAMPLES: dict[str, Sample] = {
    sample.name: sample
    for sample in (
        Sample(
            "paypal",
            "Download.CSV",
            [pp.HEADER, *([r[k] for k in pp.HEADER] for r in pp.OCTOBER)],
            _paypal,
            amounts=("Gross", "Fee", "Net", "Balance"),
            dates=(("Date", "mdy"),),
            names=("Name", "Item Title", "Note"),
        ),
        Sample(
            "chase",
            "Chase1234_Activity.CSV",
            _parse(
                "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
                "CREDIT,10/03/2026,Zelle payment from ANA RUIZ 18473625190,40.00,QUICKPAY_CREDIT,"
                "1040.00,\n"
                "CREDIT,10/05/2026,PAYPAL TRANSFER PPD ID: PAYPALSI77,312.40,ACH_CREDIT,1352.40,\n"
                "DSLIP,10/06/2026,REMOTE ONLINE DEPOSIT #          1,100.00,CHECK_DEPOSIT,"
                "1452.40,2041\n"
                "DEBIT,10/07/2026,COFFEE SHOP,-4.50,DEBIT_CARD,1447.90,\n"
            ),
            _csv,
            amounts=("Amount", "Balance"),
            dates=(("Posting Date", "mdy"),),
            names=("Description",),
        ),
        Sample(
            "bofa",
            "stmt.csv",
            _parse(
                "Date,Description,Amount,Running Bal.\n"
                "10/03/2026,Zelle payment from LOU GREEN Conf# T0ABC1234,25.00,1025.00\n"
                "10/04/2026,ATM WITHDRAWAL,-20.00,1005.00\n"
            ),
            _csv,
            amounts=("Amount", "Running Bal."),
            dates=(("Date", "mdy"),),
            names=("Description",),
        ),
        Sample(
            "capitalone",
            "capitalone.csv",
            _parse(
                "Account Number,Transaction Date,Transaction Amount,Transaction Type,"
                "Transaction Description,Balance\n"
                "1234,10/03/26,40.00,Credit,Zelle money received from ANA RUIZ,1040.00\n"
                "1234,10/05/26,-9.99,Debit,BOOKSHOP,1030.01\n"
            ),
            _csv,
            amounts=("Transaction Amount", "Balance"),
            dates=(("Transaction Date", "mdy"),),
            names=("Transaction Description",),
        ),
        Sample(
            "usbank",
            "usbank.csv",
            _parse(
                "Date,Transaction,Name,Memo,Amount\n"
                "2026-10-03,CREDIT,ELECTRONIC DEPOSIT AUDIBLE INC,Download from usbank.com,61.20\n"
                "2026-10-04,DEBIT,CARD PURCHASE OFFICE SUPPLY,,-12.00\n"
            ),
            _csv,
            amounts=("Amount",),
            dates=(("Date", "iso"),),
            names=("Name", "Memo"),
        ),
        Sample(
            "citi",
            "citi.csv",
            _parse(
                "Status,Date,Description,Debit,Credit\n"
                "Cleared,10/03/2026,ZELLE FROM MAY CHEN,,30.00\n"
                "Cleared,10/04/2026,GROCERY,18.25,\n"
            ),
            _csv,
            amounts=("Debit", "Credit"),
            dates=(("Date", "mdy"),),
            names=("Description",),
        ),
        Sample(
            "ofx",
            "statement.qfx",
            [
                ["TRNTYPE", "DTPOSTED", "TRNAMT", "FITID", "CHECKNUM", "NAME"],
                ["DEP", "20261006", "100.00", "F-1", "2041", "DEPOSIT"],
                ["CREDIT", "20261012", "61.20", "F-2", "", "AMAZON KDP PAYMENT"],
                ["CREDIT", "20261013", "40.00", "F-3", "", "ZELLE FROM ANA RUIZ"],
            ],
            _ofx,
            amounts=("TRNAMT",),
            dates=(("DTPOSTED", "ofx"),),
            names=("NAME",),
        ),
        Sample(
            "patreon-members",
            "Members_1234567.csv",
            _parse(
                "Name,Email,Patron Status,Follows You,Lifetime Amount,Pledge Amount,"
                "Charge Frequency,Tier,Addressee,Street,City,State,Zip,Country,Phone,"
                "Patronage Since Date,Last Charge Date,Last Charge Status,User ID,"
                "Last Updated,Currency\n"
                "Ana Ruiz,ana@example.org,Active patron,Yes,$60.00,$5.00,monthly,Reader,"
                "Ana Ruiz,12 Elm St,Tucson,AZ,85701,US,,2025-10-01 07:12:45,2026-10-01 07:00:03,"
                "Paid,81234567,2026-10-02 10:00:00,USD\n"
                "Lou Green,lou@example.org,Former patron,No,$120.00,$10.00,monthly,Patron,,,,,"
                ",,,2024-03-15 12:00:00,2025-03-15 12:00:00,Paid,81234568,2025-06-01 09:00:00,"
                "USD\n"
            ),
            _csv,
            amounts=("Pledge Amount", "Lifetime Amount"),
            dates=(("Patronage Since Date", "iso"), ("Last Charge Date", "iso")),
            names=("Name", "Tier", "Street"),
        ),
        Sample(
            "patreon-earnings",
            "earnings.csv",
            _parse(
                "Month,Processed pledges,Processing fees,Patreon fee,Refunds\n"
                "2026-09,800.00,29.40,64.00,0.00\n2026-10,850.00,31.20,68.00,15.00\n"
            ),
            _csv,
            amounts=("Processed pledges", "Processing fees", "Patreon fee", "Refunds"),
            dates=(("Month", "month"),),
            names=(),
        ),
        Sample(
            "patreon-payouts",
            "payouts.csv",
            _parse(
                "Date,Amount,Fee,Method,Status\n"
                "2026-10-05,735.80,0.25,Direct deposit,Completed\n"
                "2026-11-05,702.10,0.25,Direct deposit,Completed\n"
            ),
            _csv,
            amounts=("Amount", "Fee"),
            dates=(("Date", "iso"),),
            names=("Method",),
        ),
        Sample(
            "kdp-csv",
            "royalties.csv",
            [KDP_HEADER, *KDP_ROWS],
            _csv,
            amounts=("Royalty", "Avg. Offer Price without tax", "Net Units Sold"),
            dates=(("Royalty Date", "month"),),
            names=("Title", "Marketplace"),
        ),
        Sample(
            "kdp-xlsx",
            "KDP_Prior_Month_Royalties.xlsx",
            [KDP_HEADER, *KDP_ROWS],
            _kdp_xlsx,
            amounts=("Royalty", "Avg. Offer Price without tax", "Net Units Sold"),
            dates=(("Royalty Date", "month"),),
            names=("Title", "Marketplace"),
            binary=True,
        ),
        Sample(
            "acx-csv",
            "acx.csv",
            [["Period", *ACX_HEADER], *(["2026_OCT", *row] for row in ACX_ROWS)],
            _csv,
            amounts=("Net Sales", "Net Royalties Earned", "Net Units"),
            dates=(("Period", "acx"),),
            names=("Title", "Author"),
        ),
        Sample(
            "acx-xlsx",
            "ACX_Royalty_Statement.xlsx",
            [ACX_HEADER, *ACX_ROWS],
            _acx_xlsx,
            amounts=("Net Sales", "Net Royalties Earned", "Net Units"),
            dates=(),
            names=("Title", "Author"),
            binary=True,
        ),
        Sample(
            "mapping",
            "kofi.csv",
            _parse(
                "Date,From,Received,Fee,Id\n2026-10-20,May Chen,5.00,0.45,KF-1\n"
                "2026-10-21,Ana Ruiz,5.00,0.45,KF-2\n"
            ),
            _csv,
            amounts=("Received", "Fee"),
            dates=(("Date", "iso"),),
            names=("From",),
            beside={"kofi.toml": KOFI_MAPPING},
        ),
        Sample(
            "ebookit",
            "ebookit.csv",
            _parse(
                "Date,Retailer,Title,ISBN,Units,Gross Sales,Royalty,Currency\n"
                "10/31/2026,Apple Books,The Long Road,9781234567897,4,19.96,9.98,USD\n"
                "10/31/2026,Kobo,The Long Road,9781234567897,1,4.99,2.50,USD\n"
            ),
            _csv,
            amounts=("Gross Sales", "Royalty"),
            dates=(("Date", "mdy"),),
            names=("Title", "Retailer"),
        ),
    )
}


# ---------------------------------------------------------------------- table mutations
def set_cell(table: Table, row: int, column: int, value: str) -> Table:
    copy = [list(r) for r in table]
    copy[row][column] = value
    return copy


def drop_column(table: Table, column: int) -> Table:
    return [r[:column] + r[column + 1 :] for r in table]


def extra_column(table: Table, at: int) -> Table:
    return [[*r[:at], "Extra" if i == 0 else "x", *r[at:]] for i, r in enumerate(table)]


def reorder_columns(table: Table, order: list[int]) -> Table:
    return [[r[i] for i in order] for r in table]


def duplicate_row(table: Table, row: int) -> Table:
    return [*table, list(table[row])]


def with_table(sample: Sample, table: Table) -> Sample:
    return replace(sample, table=table)


# ---------------------------------------------------------------------- byte mutations
def truncate(content: bytes, at: int) -> bytes:
    return content[:at]


def reencode(content: bytes, encoding: str) -> bytes:
    """The same text in another encoding (characters it cannot hold become ``?``)."""
    text = content.decode("utf-8-sig")
    return text.encode(encoding, errors="replace")


def insert_nul(content: bytes, at: int) -> bytes:
    return content[:at] + b"\x00" + content[at:]


# ---------------------------------------------------------------------- not what it claims
#: columns a spreadsheet or an aggregator adds to a bank's export
GENERIC_COLUMNS = ("Category", "Notes", "Labels")


def foreign_header(table: Table, other: Sample) -> Table:
    """Another format's header over this file's rows (cut or padded to their width)."""
    width = len(table[0])
    header = [*other.table[0][:width], *(f"Extra {i}" for i in range(len(other.table[0]), width))]
    return [header, *[list(r) for r in table[1:]]]


def generic_columns(table: Table) -> Table:
    """The bank's header and rows with generic columns added at the end."""
    return [
        [*table[0], *GENERIC_COLUMNS],
        *[[*r, "Shopping", "", ""] for r in table[1:]],
    ]


def early_days(table: Table, sample: Sample) -> Table:
    """Every month-first date moved to a day of 12 or less (1/11 or 11/1?)."""
    copy = [list(r) for r in table]
    for name, style in sample.dates:
        if style != "mdy" or name not in copy[0]:
            continue
        column = copy[0].index(name)
        for row in copy[1:]:
            parts = row[column].split("/")
            if len(parts) == 3 and parts[1].isdigit():
                row[column] = f"{parts[0]}/{(int(parts[1]) - 1) % 12 + 1:02d}/{parts[2]}"
    return copy


def csv_neighbour(sample: Sample) -> Sample:
    """The next CSV sample after ``sample``: whose header to put over its rows."""
    names = [n for n, s in SAMPLES.items() if s.render is _csv or s.render is _paypal]
    return (
        SAMPLES[names[(names.index(sample.name) + 1) % len(names)]]
        if sample.name in names
        else SAMPLES["chase"]
    )
