"""OFX and QFX bank statements (SGML OFX 1.x and XML OFX 2.x), read as a stream.

Only the statement transactions matter: each ``<STMTTRN>`` becomes a bank line, classified
by the rules of :mod:`supportledger.sources.bank`, keyed on its ``FITID`` (the bank's own
id, the dedupe key). The account is ``ofx-`` and the last four characters of ``ACCTID``.
The file is tokenised a chunk at a time, so a 200 MB download is never held whole.

``DTPOSTED`` (``YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]]``) is checked in full, and its day is
kept as written: a bank's posting day is a calendar day, not an instant to convert. A
transaction carrying ``CORRECTACTION`` (a bank's correction of an earlier one) is skipped
with that reason rather than applied.
"""

from __future__ import annotations

import codecs
import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

from supportledger.money import Money, MoneyError, currency_code, parse_decimal
from supportledger.sources import BankLineEntry, ImportContext, RowError, Skipped
from supportledger.sources.bank import bank_line, classify

_TAG = re.compile(r"<(/?)([A-Za-z0-9._]+)\s*>([^<]*)")
_DATE = re.compile(
    r"(?P<day>\d{8})(?:(?P<time>\d{4}(?:\d{2})?)(?:\.\d{1,3})?)?"
    r"(?:\[(?P<offset>[+-]?\d{1,2}(?:\.\d{1,2})?)(?::[A-Za-z0-9_]+)?\])?"
)
_CHUNK = 1 << 20
_ACCOUNT_TAGS = {"BANKACCTFROM", "CCACCTFROM"}


def _encoding(head: bytes) -> str:
    """UTF-8 when the header says so; else Windows-1252, the OFX 1.x default charset."""
    upper = head[:2048].upper()
    return "utf-8" if b"UTF-8" in upper or b"CHARSET:65001" in upper else "cp1252"


def tokens(path: Path) -> Iterator[tuple[int, bool, str, str]]:
    """``(line, closing, TAG, text)`` for every tag of the file, streamed."""
    with path.open("rb") as handle:
        decoder = codecs.getincrementaldecoder(_encoding(handle.read(2048)))(errors="replace")
        handle.seek(0)
        buffer, line = "", 1
        while True:
            chunk = handle.read(_CHUNK)
            buffer += decoder.decode(chunk, final=not chunk)
            # keep an unfinished tag (and the text after it) for the next chunk
            cut = len(buffer) if not chunk else buffer.rfind("<")
            consumed = 0
            for match in _TAG.finditer(buffer, 0, max(cut, 0)):
                line += buffer.count("\n", consumed, match.start())
                consumed = match.start()
                text = html.unescape(match[3]).strip()
                if "\x00" in text:  # a broken file (PostgreSQL could not even store it)
                    raise RowError(path, line, "contains a NUL byte", match[2].upper(), text)
                yield line, bool(match[1]), match[2].upper(), text
            line += buffer.count("\n", consumed, max(cut, 0))
            buffer = buffer[max(cut, 0) :]
            if not chunk:
                return


def posted_day(path: Path, line: int, text: str) -> dt.date:
    """The day of an OFX date-time, after checking the whole value."""
    match = _DATE.fullmatch(text.strip())
    problem = "is not an OFX date (YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]])"
    if match is None:
        raise RowError(path, line, problem, column="DTPOSTED", value=text)
    digits, time = match["day"], match["time"] or "000000"
    try:  # int slices, not strptime: a statement may hold a million of these
        dt.time(int(time[:2]), int(time[2:4]), int(time[4:6] or 0))
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise RowError(path, line, problem, column="DTPOSTED", value=text) from None


class OfxStatement:
    """OFX 1.x (SGML) and 2.x (XML) bank and credit-card statements; QFX is OFX."""

    name = "ofx"

    def identify(self, path: Path, head: bytes) -> bool:
        upper = head[:4096].upper()
        return b"OFXHEADER" in upper or b"<OFX>" in upper

    def entries(self, path: Path, context: ImportContext) -> Iterator[BankLineEntry | Skipped]:
        currency, account, in_account = context.base_currency, None, False
        transaction: dict[str, tuple[int, str]] | None = None
        start = 0
        for line, closing, tag, text in tokens(path):
            if tag == "CURDEF" and not closing:
                currency = self._currency(path, line, tag, text)
            elif tag in _ACCOUNT_TAGS:
                in_account = not closing
            elif tag == "ACCTID" and in_account and not closing:
                account = f"ofx-{text[-4:]}"
            elif tag == "STMTTRN":
                if not closing:
                    transaction, start = {}, line
                elif transaction is not None:
                    yield self._entry(path, start, transaction, account, currency)
                    transaction = None
            elif transaction is not None and not closing and tag not in transaction:
                transaction[tag] = (line, text)
        if transaction is not None:
            raise RowError(path, start, "the file ends inside a <STMTTRN> transaction")

    @staticmethod
    def _currency(path: Path, line: int, tag: str, text: str) -> str:
        try:
            return currency_code(text)
        except MoneyError as exc:
            raise RowError(path, line, str(exc), column=tag, value=text) from None

    def _entry(self, path, line, tags, account, currency) -> BankLineEntry | Skipped:
        """The bank line of one transaction; ``tags`` maps each tag to its (line, text)."""
        fields = {tag: text for tag, (_, text) in tags.items()}

        def need(tag: str) -> tuple[int, str]:
            if not fields.get(tag):
                raise RowError(path, line, "is missing from the transaction", column=tag)
            return tags[tag]

        if account is None:
            raise RowError(path, line, "transaction before any account (no ACCTID)")
        _, fitid = need("FITID")
        if fields.get("CORRECTACTION"):
            return Skipped(f"a bank correction ({fields['CORRECTACTION']}), not applied", line)
        day = posted_day(path, *need("DTPOSTED"))
        at, text = need("TRNAMT")
        try:
            amount = parse_decimal(text)
        except MoneyError:
            raise RowError(path, at, "is not an amount", column="TRNAMT", value=text) from None
        if "CURRENCY" in tags:  # the amounts are in this currency, not the statement's
            at, code = tags.get("CURSYM", tags["CURRENCY"])
            currency = self._currency(path, at, "CURSYM", code)
        description = " ".join(
            " ".join(filter(None, (fields.get("NAME"), fields.get("MEMO")))).split()
        )
        trntype = fields.get("TRNTYPE", "")
        return bank_line(
            classify(description, amount, trntype),
            account,
            fitid,
            line,
            day,
            Money(amount, currency),
            description,
            fields.get("CHECKNUM"),
        )
