"""OFX and QFX bank statements (SGML OFX 1.x and XML OFX 2.x), read as a stream.

Only the statement transactions matter: each ``<STMTTRN>`` of a bank or credit-card
statement (``<STMTRS>``, ``<CCSTMTRS>``; a file may hold several, for several accounts)
becomes a bank line, classified by the rules of :mod:`supportledger.sources.bank`, keyed on
its ``FITID`` (the bank's own id, the dedupe key). The account is ``ofx-`` and the last four
characters of ``ACCTID``. The file is tokenised a chunk at a time, so a 200 MB download is
never held whole, and a file with no tag in its first MiB is refused at once.

An importer knows or asks: a ``<STATUS>`` other than success (``2000 ERROR General Server
Error``) is refused with the server's words, not imported as an empty batch; so is a file
with no bank statement in it (an investment-only OFX/QFX). A FITID used twice in one file
for different transactions keeps both (the second as ``FITID#2``) and says so; the very
same transaction twice is one.

Why not ``ofxtools``: it reads OFX 1.x and 2.x well, but it parses a whole file into an
ElementTree in memory (its ``Parser._read`` returns the message as one string), and its
strict validation refuses files real banks send; this reader streams and checks only what
the ledger uses.

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
from dataclasses import dataclass, field, replace
from pathlib import Path

from supportledger.money import Money, MoneyError, currency_code, parse_decimal
from supportledger.sources import BankLineEntry, ImportContext, Notice, RowError, Skipped
from supportledger.sources.bank import bank_line, classify
from supportledger.sources.ids import stable_id

_TAG = re.compile(r"<(/?)([A-Za-z0-9._]+)\s*>([^<]*)")
_DATE = re.compile(
    r"(?P<day>\d{8})(?:(?P<time>\d{4}(?:\d{2})?)(?:\.\d{1,3})?)?"
    r"(?:\[(?P<offset>[+-]?\d{1,2}(?:\.\d{1,2})?)(?::[A-Za-z0-9_]+)?\])?"
)
_CHUNK = 1 << 20
#: text this long with no tag in it is not OFX (a value is a few dozen characters)
_MAX_TEXT = 1 << 20
_ACCOUNT_TAGS = {"BANKACCTFROM", "CCACCTFROM"}
_STATEMENTS = {"STMTRS", "CCSTMTRS"}


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
            if chunk and len(buffer) - max(cut, 0) > _MAX_TEXT:
                raise RowError(path, None, f"has {_MAX_TEXT:,} characters without a tag: not OFX")
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


@dataclass
class _Reading:
    """Where the reader is in a file: which statement, account and currency, the status
    aggregate being read, the transaction being read, and the FITIDs seen so far."""

    path: Path
    context: ImportContext
    first: bool = True
    in_statement: bool = False
    statements: int = 0
    investment: bool = False
    in_account: bool = False
    account: str | None = None
    currency: str = ""
    status: dict[str, tuple[int, str]] | None = None
    transaction: dict[str, tuple[int, str]] | None = None
    start: int = 0
    fitids: dict[tuple, list[tuple[str, int]]] = field(default_factory=dict)

    def check_status(self) -> None:
        """Refuse a server's answer other than success, in its own words."""
        status = self.status or {}
        line, code = status.get("CODE", (0, "0"))
        severity = status.get("SEVERITY", (0, ""))[1].upper()
        if code.strip() in ("0", "") or severity == "INFO":
            return
        message = status.get("MESSAGE", (0, ""))[1]
        raise RowError(
            self.path,
            line,
            f"the bank's server answered {code} {severity}"
            + (f" {message!r}" if message else "")
            + ": no statement to import; download it again",
        )


class OfxStatement:
    """OFX 1.x (SGML) and 2.x (XML) bank and credit-card statements; QFX is OFX."""

    name = "ofx"

    def identify(self, path: Path, head: bytes) -> bool:
        upper = head[:4096].upper()
        return b"OFXHEADER" in upper or b"<OFX>" in upper

    def entries(
        self, path: Path, context: ImportContext
    ) -> Iterator[BankLineEntry | Skipped | Notice]:
        state = _Reading(path, context)
        for line, closing, tag, text in tokens(path):
            if state.first:
                state.first = False
                if tag != "OFX":
                    raise RowError(path, line, f"begins with <{tag}>, not <OFX>: not an OFX file")
            if tag in _STATEMENTS:
                state.in_statement = not closing
                state.statements += not closing
                state.account, state.currency = None, context.base_currency
            elif tag == "INVSTMTRS":
                state.investment = True
            elif tag == "STATUS":
                if closing:
                    state.check_status()
                state.status = None if closing else {}
                continue
            if state.status is not None and tag in ("CODE", "SEVERITY", "MESSAGE"):
                if not closing:
                    state.status[tag] = (line, text)
                continue
            if not state.in_statement:
                continue
            if tag == "CURDEF" and not closing:
                state.currency = self._currency(path, line, tag, text)
            elif tag in _ACCOUNT_TAGS:
                state.in_account = not closing
            elif tag == "ACCTID" and state.in_account and not closing:
                state.account = f"ofx-{text[-4:]}"
            elif tag == "STMTTRN":
                if not closing:
                    state.transaction, state.start = {}, line
                elif state.transaction is not None:
                    yield from self._taken(state, self._entry(path, state))
                    state.transaction = None
            elif state.transaction is not None and not closing and tag not in state.transaction:
                state.transaction[tag] = (line, text)
        if state.status is not None:
            state.check_status()
        if state.transaction is not None:
            raise RowError(path, state.start, "the file ends inside a <STMTTRN> transaction")
        if state.first:
            raise RowError(path, None, "has no OFX tag at all: not an OFX file")
        if not state.statements:
            kind = " (only an investment statement, <INVSTMTRS>)" if state.investment else ""
            raise RowError(
                path, None, f"has no bank or credit-card statement{kind}: nothing to import"
            )

    @staticmethod
    def _taken(state: _Reading, entry):
        """``entry``, unless the file already gave this very transaction; a FITID the file
        gave to a different transaction before is kept as ``FITID#2`` and reported."""
        if not isinstance(entry, BankLineEntry):
            yield entry
            return
        content = stable_id(entry.posted_on, entry.amount, entry.description, entry.check_number)
        key = (entry.account, entry.external_id)
        earlier = state.fitids.setdefault(key, [])
        if any(seen == content for seen, _ in earlier):
            yield Skipped("the same transaction twice in the file", entry.line)
            return
        earlier.append((content, entry.line))
        if len(earlier) > 1:
            lines = ", ".join(str(at) for _, at in earlier)
            yield Notice(
                f"FITID {entry.external_id} is on {len(earlier)} different transactions "
                f"(lines {lines}): each is kept; ask the bank whether one corrects another",
                entry.line,
            )
            entry = replace(entry, external_id=f"{entry.external_id}#{len(earlier)}")
        yield entry

    @staticmethod
    def _currency(path: Path, line: int, tag: str, text: str) -> str:
        try:
            return currency_code(text)
        except MoneyError as exc:
            raise RowError(path, line, str(exc), column=tag, value=text) from None

    def _entry(self, path: Path, state: _Reading) -> BankLineEntry | Skipped:
        """The bank line of the transaction just read (its tags: their line and text)."""
        tags, line, account, currency = (
            state.transaction,
            state.start,
            state.account,
            state.currency,
        )
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
            classify(description, amount, trntype, account, state.context.bank_rules),
            account,
            fitid,
            line,
            day,
            Money(amount, currency),
            description,
            fields.get("CHECKNUM"),
        )
