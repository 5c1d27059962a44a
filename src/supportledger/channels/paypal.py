"""PayPal. One-time donations and subscriptions; a standard transfer takes 1-3 business days.

:class:`PayPalActivity` reads the "Activity download" CSV (Activity → Statements → Custom →
Activity download, "Balance affecting"): the current header set, the 2017 short one
(``Date, Time, Time Zone, Name, Type, Status, Currency, Amount, Receipt ID, Balance``) and
the long ones between, UTF-8 with or without a BOM, amounts with thousands separators, in
the account's language (English, German, French, Spanish, Italian, Dutch: see
:data:`LANGUAGES`). :class:`PayPalStatement` reads the monthly *Statement* CSV (Reports →
Statements → CSV), whose Description column holds the type and which has no Status.

A file's own convention decides how its days and amounts read: a day above 12 (in first
place: day first), the language (every language but English writes the day first and a
decimal comma), a European or Australasian time zone (day first). An English file whose
days are all 12 or less and whose zone says nothing is refused, asking for
``--date-order dmy|mdy``: 1 Nov is never booked on 11 Jan. Where a row states Gross, Fee
and Net, Gross + Fee must be Net, or the file is refused naming the row.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import islice
from pathlib import Path

from supportledger.fees import ScheduleError
from supportledger.intervals import MONTH
from supportledger.models import Event, Kind, Status
from supportledger.money import Money
from supportledger.months import local_date
from supportledger.sources import (
    BalanceEntry,
    ConversionEntry,
    Entry,
    ImportContext,
    PayoutEntry,
    ReceiptEntry,
    RowError,
    Skipped,
    SupporterRef,
    TransferEntry,
)
from supportledger.sources.csvfile import (
    Amount,
    Column,
    CsvFormat,
    Currency,
    FileDate,
    Row,
    Text,
    ZoneLabel,
    _normalise,
)

#: the channel these entries are booked on (declared in shipped.toml)
NAME = "paypal"


#: payments through PayPal's Donate button: charged its donation rate, not Checkout's
DONATION_TYPES = {"donation received", "donation payment"}
ONE_TIME_TYPES = {
    "donation received",
    "donation payment",
    "website payment",
    "express checkout",
    "express checkout payment",
    "general payment",
    "mobile payment",
    "payment received",
}
RECURRING_TYPES = {
    "subscription payment",
    "recurring payment received",
    "recurring payment",
    "preapproved payment bill user payment",
}
REVERSAL_TYPES = {
    "payment refund": Event.REFUND,
    "refund": Event.REFUND,
    "chargeback": Event.CHARGEBACK,
    "payment reversal": Event.CHARGEBACK,
}
FEE_TYPES = {"dispute fee", "chargeback fee"}
WITHDRAWAL_TYPES = {
    "general withdrawal",
    "general withdrawal - bank account",
    "user initiated withdrawal",
}
CONVERSION_TYPE = "general currency conversion"
#: the writer's own money put into the PayPal balance
FUNDING_TYPES = {"bank deposit to pp account", "general card deposit"}
#: rows that move no supporter's money: skipped, with the reason counted
NOT_INCOME = {
    "general authorization": "authorization",
    "void of authorization": "authorization void",
    "account hold for open authorization": "authorization hold",
    "hold on balance for dispute investigation": "dispute hold",
    "cancellation of hold for dispute resolution": "dispute hold released",
    "account hold": "account hold",
    "reversal of general account hold": "account hold released",
}
STATUSES = {
    "completed": Status.COMPLETED,
    "cleared": Status.COMPLETED,
    "refunded": Status.COMPLETED,  # the refund is its own row; the payment did arrive
    "partially refunded": Status.COMPLETED,
    "pending": Status.PENDING,
    "processing": Status.PENDING,
    "in progress": Status.PENDING,
    "unverified": Status.PENDING,
    "held": Status.PENDING,
    "temporary hold": Status.PENDING,
    "reversed": Status.REVERSED,
    "denied": Status.DENIED,
    "canceled": Status.DENIED,
    "cancelled": Status.DENIED,
    "voided": Status.DENIED,
    "failed": Status.DENIED,
    "expired": Status.DENIED,
}
PAYOUT_STATUSES = {Status.COMPLETED: "paid", Status.PENDING: "pending"}


@dataclass(frozen=True)
class Language:
    """How PayPal writes one language's export: the Time column's name (which tells the
    language), whether its days come first (``None``: English, the file must say), and its
    words for types and statuses (each mapped to the English word the rules use)."""

    code: str
    time_column: tuple[str, ...]
    day_first: bool | None
    decimal_comma: bool
    types: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)


# The layouts, from real exports published by importer projects (the tests cite each file):
# German: replikativ/kontor, nils-werner/beancount-paypal; Italian: greenkey/budget; French:
# OCA/bank-statement-import (its Statement header), Spanish: OCA's statement_es.csv; Dutch:
# SolidOS/money-pane (its Statement header). Words not seen in any of them are PayPal's own
# translations, marked UNCONFIRMED: an unknown status stops the import, an unknown type is
# skipped and counted, so a wrong guess is never booked silently.
LANGUAGES = (
    Language("en", ("Time",), None, False),
    Language(
        "de",
        ("Uhrzeit",),
        True,
        True,
        types={
            "spendenzahlung": "donation payment",
            "abonnementzahlung": "subscription payment",
            "website-zahlung": "website payment",
            "handyzahlung": "mobile payment",
            "paypal express-zahlung": "express checkout payment",
            "allgemeine zahlung": "general payment",
            "zahlung im einzugsverfahren mit zahlungsrechnung": (
                "preapproved payment bill user payment"
            ),
            "rückzahlung": "payment refund",  # UNCONFIRMED
            "allgemeine währungsumrechnung": "general currency conversion",
            "allgemeine abbuchung": "general withdrawal",  # UNCONFIRMED
            "bankgutschrift auf paypal-konto": "bank deposit to pp account",
            "einbehaltung für offene autorisierung": "account hold for open authorization",
            "rückbuchung allgemeiner einbehaltung": "reversal of general account hold",
        },
        statuses={
            "abgeschlossen": "completed",
            "ausstehend": "pending",
            "storniert": "canceled",  # UNCONFIRMED from here on
            "abgelehnt": "denied",
            "erstattet": "refunded",
            "teilweise erstattet": "partially refunded",
            "rückgängig gemacht": "reversed",
            "fehlgeschlagen": "failed",
        },
    ),
    Language(
        "fr",
        ("Heure",),
        True,
        True,
        types={
            "paiement de don": "donation payment",  # UNCONFIRMED, as every French word
            "paiement d'abonnement": "subscription payment",
            "paiement sur site marchand": "website payment",
            "paiement mobile": "mobile payment",
            "paiement express checkout": "express checkout payment",
            "remboursement de paiement": "payment refund",
            "conversion de devise standard": "general currency conversion",
            "retrait standard": "general withdrawal",
        },
        statuses={
            "terminé": "completed",
            "en attente": "pending",
            "annulé": "canceled",
            "refusé": "denied",
            "remboursé": "refunded",
        },
    ),
    Language(
        "es",
        ("Hora",),
        True,
        True,
        types={
            "pago estándar": "general payment",
            "pago de donación": "donation payment",  # UNCONFIRMED from here on
            "pago de suscripción": "subscription payment",
            "pago en sitio web": "website payment",
            "pago móvil": "mobile payment",
            "reembolso de pago": "payment refund",
            "conversión de divisa general": "general currency conversion",
            "retirada general": "general withdrawal",
        },
        statuses={
            "completado": "completed",
            "pendiente": "pending",
            "cancelado": "canceled",
            "denegado": "denied",
            "reembolsado": "refunded",
        },
    ),
    Language(
        "it",
        ("Orario", "Ora"),
        True,
        True,
        types={
            "pagamento preautorizzato utenza": "preapproved payment bill user payment",
            "pagamento da cellulare": "mobile payment",
            "pagamento abbonamento": "subscription payment",
            "pagamento express checkout": "express checkout payment",
            "versamento generico con carta": "general card deposit",
            "bonifico bancario sul conto paypal": "bank deposit to pp account",
            "donazione ricevuta": "donation received",  # UNCONFIRMED from here on
            "rimborso pagamento": "payment refund",
            "conversione di valuta generica": "general currency conversion",
            "prelievo generico": "general withdrawal",
        },
        statuses={
            "completata": "completed",
            "in sospeso": "pending",
            "annullata": "canceled",
            "rifiutata": "denied",
            "rimborsata": "refunded",
            "stornata": "reversed",
        },
    ),
    Language(
        "nl",
        ("Tijd",),
        True,
        True,
        types={
            "algemene betaling": "general payment",
            "algemene opname": "general withdrawal",
            "donatiebetaling": "donation payment",  # UNCONFIRMED from here on
            "abonnementsbetaling": "subscription payment",
            "terugbetaling": "payment refund",
            "algemene valutaomrekening": "general currency conversion",
        },
        statuses={
            "voltooid": "completed",
            "in behandeling": "pending",
            "geannuleerd": "canceled",
            "geweigerd": "denied",
            "terugbetaald": "refunded",
        },
    ),
)
#: time zones whose countries write the day first: such a zone in the file decides
#: (a US zone does not: a real English export in PST wrote its days first, see the tests)
_NET_NAMES = {"net", "netto", "neto"}
DAY_FIRST_ZONES = re.compile(
    r"(?:Europe|Australia|Pacific/Auckland|Africa)/.*|(?:CET|CEST|BST|WET|WEST|EET|EEST|MSK"
    r"|AEST|AEDT|ACST|ACDT|AWST|NZST|NZDT|IST)",
    re.I,
)


class ClockTime(Column):
    """A time of day as PayPal writes it (``02:15:42``)."""

    def parse(self, text: str) -> dt.time:
        try:
            return dt.time.fromisoformat(text.strip())
        except ValueError:
            raise ValueError("is not a time (HH:MM:SS)") from None


@dataclass
class _Conversion:
    """A foreign-currency payment waiting for its two "General Currency Conversion" rows, or
    those rows (keyed by currency) waiting for each other."""

    entry: ReceiptEntry | None = None
    rows: dict[str, tuple[Row, dt.datetime]] = field(default_factory=dict)


class _StatedBalances:
    """PayPal's Balance column, kept once a day per currency: the balance after the day's
    last row. Within one instant the file's own order decides which row came last, and that
    order is the file's direction (oldest or newest first), known once it is read."""

    def __init__(self, tz) -> None:
        self.tz = tz
        self._days: dict[tuple[str, dt.date], list] = {}
        self._first: dt.datetime | None = None
        self._last: dt.datetime | None = None

    def note(self, row: Row, instant: dt.datetime) -> None:
        self._first = self._first or instant
        self._last = instant
        key = (row.currency, instant.astimezone(self.tz).date())
        found = self._days.get(key)
        stated = (row.line, row.balance)  # made Money once a day is settled, not every row
        if found is None or instant > found[0]:
            self._days[key] = [instant, stated, stated]
        elif instant == found[0]:
            if stated[0] < found[1][0]:
                found[1] = stated
            if stated[0] > found[2][0]:
                found[2] = stated

    def entries(self) -> Iterator[BalanceEntry]:
        newest_first = self._first is not None and self._first > self._last
        for (currency, _), (instant, first, last) in sorted(self._days.items()):
            line, amount = first if newest_first else last
            yield BalanceEntry(NAME, currency, instant, Money(amount, currency), line)


def collapse_conversion(
    entry: ReceiptEntry, foreign: Decimal, credited: Money, context: ImportContext
) -> ReceiptEntry:
    """One receipt in the base currency from a foreign payment and its conversion rows.

    ``foreign`` is what the conversion took out of the foreign balance and ``credited`` what
    it put into the base one, so the applied rate is ``|credited| / |foreign|`` (exact, as a
    Decimal). The net booked is exactly what was credited; the gross is the foreign gross at
    that rate, rounded half-up; the fee is the difference, which is PayPal's foreign fee
    converted at the same rate (to the cent). The fee expected is PayPal's in the foreign
    currency (its fixed part is that currency's), converted the same way.
    """
    rate = abs(credited.amount) / abs(foreign)
    gross = entry.gross.converted(rate, credited.currency)
    flags = entry.flags | {"international", "conversion"}
    on = local_date(entry.occurred_at, context.timezone)
    try:
        kept = context.schedule.expected_fee(NAME, on, entry.gross, flags=flags)
    except ScheduleError:
        kept = None
    net = None if kept is None else (entry.gross - kept).converted(rate, gross.currency)
    expected = None if net is None else gross - net
    return replace(
        entry,
        gross=gross,
        fee=gross - credited,
        expected_fee=expected,
        original=entry.gross,
        fx_rate=rate,
        flags=flags,
    )


class PayPalActivity(CsvFormat):
    """PayPal's activity download: payments, refunds, withdrawals and their bookkeeping rows.

    Payments become receipts (subscription payments linked to their billing agreement by
    Reference Txn ID, which they also describe: the download has nothing else of PayPal's
    subscriptions, and states no billing period, so each is taken as monthly, the cycle
    PayPal's subscription buttons offer first); refunds and chargebacks reverse the
    original; a foreign payment and its two conversion rows become one receipt in the base
    currency; withdrawals are payouts; authorisations, holds and funding are skipped with a
    reason; the last Balance of each currency is kept as the balance PayPal stated.
    """

    name = "paypal"
    date = FileDate("Date", "Datum", "Fecha", "Data")
    time = ClockTime(*(name for language in LANGUAGES for name in language.time_column))
    zone = ZoneLabel(
        "TimeZone",
        "Time Zone",
        "Zeitzone",
        "Fuseau horaire",
        "Zona horaria",
        "Fuso orario",
        "Tijdzone",
    )
    payer = Text("Name", "Nom", "Nombre", "Nome", "Naam", default="")
    type = Text("Type", "Typ", "Tipo")
    status = Text("Status", "État", "Estado", "Stato")
    currency = Currency("Currency", "Währung", "Devise", "Divisa", "Valuta")
    gross = Amount("Gross", "Amount", "Brutto", "Avant commission", "Bruto", "Lordo", "Importo")
    fee = Amount(
        "Fee", "Gebühr", "Entgelt", "Commission", "Comisión", "Tariffa", "Kosten", required=False
    )
    net = Amount("Net", "Netto", "Neto", required=False)
    from_email = Text(
        "From Email Address",
        "Absender E-Mail-Adresse",
        "De l'adresse email",
        "Adresse email de l'expéditeur",
        "Correo electrónico del remitente",
        "Indirizzo email mittente",
        "Van e-mailadres",
        required=False,
    )
    to_email = Text(
        "To Email Address",
        "Empfänger E-Mail-Adresse",
        "À l'adresse email",
        "Correo electrónico del destinatario",
        "Indirizzo email destinatario",
        "Naar e-mailadres",
        required=False,
    )
    transaction_id = Text(
        "Transaction ID",
        "Transaktionscode",
        "Numéro de transaction",
        "Id. de transacción",
        "Codice transazione",
        "Transactiereferentie",
        required=False,
    )
    receipt_id = Text(
        "Receipt ID",
        "Empfangsnummer",
        "Numéro de reçu",
        "Id. de recibo",
        "Codice ricevuta",
        required=False,
    )
    reference = Text(
        "Reference Txn ID",
        "Zugehöriger Transaktionscode",
        "Numéro de la transaction de référence",
        "Id. de referencia de trans.",
        "Codice transazione di riferimento",
        required=False,
    )
    balance = Amount("Balance", "Guthaben", "Solde", "Saldo", required=False)
    item = Text(
        "Item Title",
        "Artikelbezeichnung",
        "Titre de l'objet",
        "Titolo oggetto",
        required=False,
        default="",
    )

    def language(self, path: Path) -> Language:
        """The export's language, told by the name of its Time column."""
        with Path(path).open("rb") as handle:
            text = handle.read(1 << 16).decode(self.encoding, errors="replace")
        name = "time"
        for record in csv.reader(text.splitlines()[: self.max_preamble + 1]):
            mapping = self._match_header(record)
            if mapping is not None:
                name = _normalise(record[mapping["time"]])
                break
        return next(
            (lang for lang in LANGUAGES if name in {_normalise(n) for n in lang.time_column}),
            LANGUAGES[0],
        )

    def read_as(self, path: Path, context: ImportContext) -> tuple[type[CsvFormat], Language]:
        """This format in the file's own convention (see the module's docstring)."""
        language = self.language(path)
        seen = self.convention(path)
        day_first = seen.day_first
        if context.date_order is not None:
            day_first = context.date_order == "dmy"
        elif day_first is None and language.day_first is not None:
            day_first = language.day_first
        elif day_first is None:
            zones = [cells.get("zone", "") for _, cells in islice(self._cells(path, ["zone"]), 50)]
            if zones and all(DAY_FIRST_ZONES.fullmatch(zone.strip()) for zone in zones):
                day_first = True
        if day_first is None:
            raise RowError(
                path,
                None,
                "every day in it is 12 or less and nothing in the file says whether 1/11 is "
                "1 November or 11 January: give --date-order dmy or --date-order mdy (or "
                f"DATE_ORDER={self.name}=dmy|mdy in .env)",
            )
        comma = seen.decimal_comma if seen.decimal_comma is not None else language.decimal_comma
        return self.convened(day_first, comma), language

    def entries(self, path: Path, context: ImportContext) -> Iterator[Entry]:
        base = context.base_currency
        fmt, language = self.read_as(path, context)
        waiting: dict[str, _Conversion] = {}
        balances = _StatedBalances(context.timezone)
        for row in fmt.rows(path):
            self._check_net(path, row)
            instant = dt.datetime.combine(row.date, row.time, row.zone).astimezone(dt.UTC)
            if row.balance is not None:
                balances.note(row, instant)
            kind = " ".join(row.type.lower().split())
            kind = language.types.get(kind, kind)
            if kind == CONVERSION_TYPE:
                key = row.reference or f"{row.date} {row.time}"
                pending = waiting.setdefault(key, _Conversion())
                if row.currency in pending.rows:
                    raise RowError(path, row.line, "a second conversion row in this currency "
                                   "for the same transaction", column="Reference Txn ID",
                                   value=row.reference)  # fmt: skip
                pending.rows[row.currency] = (row, instant)
                yield from self._converted(waiting, key, context)
                continue
            entry = self._entry(path, row, kind, instant, language)
            if isinstance(entry, ReceiptEntry) and entry.gross.currency != base:
                waiting.setdefault(entry.external_id, _Conversion()).entry = entry
                yield from self._converted(waiting, entry.external_id, context)
                continue
            yield entry
        for key, pending in waiting.items():
            yield from self._unpaired(path, key, pending)
        yield from balances.entries()

    @staticmethod
    def _check_net(path: Path, row: Row) -> None:
        """Where the row states Gross, Fee and Net, Gross + Fee is Net (the fee is negative
        on money in): a fee written with the wrong sign is refused, never booked."""
        net = getattr(row, "net", None)
        if net is None or row.fee is None or row.gross + row.fee == net:
            return
        raise RowError(
            path,
            row.line,
            f"is not Gross {row.gross} + Fee {row.fee} = {row.gross + row.fee}: the row "
            f"contradicts itself",
            column=next((h for h in row.raw if _normalise(h) in _NET_NAMES), "Net"),
            value=str(net),
        )

    @staticmethod
    def _converted(
        waiting: dict[str, _Conversion], key: str, context: ImportContext
    ) -> Iterator[Entry]:
        """The collapsed receipt, once the payment and both of its conversions are read."""
        base = context.base_currency
        pending = waiting[key]
        entry = pending.entry
        if entry is None or base not in pending.rows:
            return
        foreign = pending.rows.get(entry.gross.currency)
        if foreign is None:
            return
        del waiting[key]
        credited = pending.rows[base][0]
        yield collapse_conversion(entry, foreign[0].gross, Money(credited.gross, base), context)
        for row, _ in pending.rows.values():
            yield Skipped("currency conversion, folded into its payment", row.line)

    def _unpaired(self, path: Path, key: str, pending: _Conversion) -> Iterator[Entry]:
        """What is left once the file is read: a payment PayPal kept in its own currency (the
        account holds that currency: income at its value on the day), or a conversion of a
        held balance (from one currency balance to another)."""
        rows = sorted(pending.rows.values(), key=lambda r: r[0].gross)
        if pending.entry is not None and not rows:
            yield pending.entry
            return
        if len(rows) != 2 or not (rows[0][0].gross < 0 < rows[1][0].gross):
            row = rows[0][0]
            raise RowError(
                path, row.line, "a currency conversion whose other side is not in this file "
                "(download a range that holds both rows)", column="Reference Txn ID",
                value=row.reference,
            )  # fmt: skip
        if pending.entry is not None:
            yield pending.entry
        (source, instant), (target, _) = rows
        yield Skipped("the other row of a currency conversion", target.line)
        yield ConversionEntry(
            channel=NAME,
            external_id=f"conversion:{self._id(path, source)}",
            occurred_at=instant,
            source=Money(-source.gross, source.currency),
            target=Money(target.gross, target.currency),
            line=source.line,
        )

    def _entry(
        self, path: Path, row: Row, kind: str, instant: dt.datetime, language: Language
    ) -> Entry:
        """What one row (other than a conversion) is."""
        if kind in NOT_INCOME:
            return Skipped(NOT_INCOME[kind], row.line)
        if kind in FUNDING_TYPES:
            return self._own_money(path, row, instant, language, "funding from the bank")
        if kind.startswith("update to "):
            return Skipped("update of an earlier row", row.line)
        gross = Money(row.gross, row.currency)
        fee = Money(-row.fee, row.currency) if row.fee is not None else None
        if kind in WITHDRAWAL_TYPES:
            if gross.amount >= 0:
                return Skipped("withdrawal returned to the balance", row.line)
            status = self._status(path, row, language)
            return PayoutEntry(
                channel=NAME,
                external_id=self._id(path, row),
                initiated_at=instant,
                amount=-gross,
                fee=fee,
                status=PAYOUT_STATUSES.get(status, str(status)),
                line=row.line,
            )
        if kind in ONE_TIME_TYPES or kind in RECURRING_TYPES:
            if gross.amount < 0:
                return self._own_money(path, row, instant, language, "outgoing payment")
            if gross.amount == 0:
                return Skipped("zero amount", row.line)
            recurring = kind in RECURRING_TYPES
            return self._receipt(
                path,
                row,
                instant,
                language,
                gross=gross,
                fee=fee,
                kind=Kind.RECURRING if recurring else Kind.ONE_TIME,
                supporter=self._supporter(row.payer, row.from_email),
                subscription=(row.reference or None) if recurring else None,
                interval=MONTH if recurring and row.reference else None,
                flags=frozenset({"donation"} if kind in DONATION_TYPES else ()),
                description=row.item,
            )
        if kind in REVERSAL_TYPES:
            if gross.amount >= 0:
                return self._own_money(
                    path, row, instant, language, "refund of an outgoing payment"
                )
            return self._receipt(
                path,
                row,
                instant,
                language,
                gross=gross,
                fee=fee,
                event=REVERSAL_TYPES[kind],
                supporter=self._supporter(row.payer, getattr(row, "to_email", None)),
                reverses=row.reference or None,
            )
        if kind in FEE_TYPES:
            taken = -gross if fee is None else fee - gross  # a fee row's whole amount is a fee
            return self._receipt(
                path,
                row,
                instant,
                language,
                gross=Money.zero(row.currency),
                fee=taken,
                event=Event.FEE,
                reverses=row.reference or None,
                description=row.type,
            )
        return Skipped(f"unknown type {row.type}", row.line)

    def _own_money(
        self, path: Path, row: Row, instant: dt.datetime, language: Language, what: str
    ) -> Entry:
        """The writer's own money into or out of the balance (paying for something, a
        refund of it, funding from the bank): not support, but it moves the balance PayPal
        states, so it is kept; until it completes it moves nothing."""
        if self._status(path, row, language) is not Status.COMPLETED:
            return Skipped(f"{what}, not completed", row.line)
        net = row.gross + (row.fee if row.fee is not None else 0)
        return TransferEntry(
            channel=NAME,
            external_id=self._id(path, row),
            occurred_at=instant,
            amount=Money(net, row.currency),
            description=what,
            line=row.line,
        )

    def _receipt(
        self, path: Path, row: Row, instant: dt.datetime, language: Language, **what
    ) -> ReceiptEntry:
        """A receipt of ``row``: its id, time, status and line, and ``what`` its type says."""
        return ReceiptEntry(
            channel=NAME,
            external_id=self._id(path, row),
            occurred_at=instant,
            status=self._status(path, row, language),
            line=row.line,
            **what,
        )

    @staticmethod
    def _id(path: Path, row: Row) -> str:
        external_id = row.transaction_id or row.receipt_id
        if not external_id:
            raise RowError(path, row.line, "has no id", column="Transaction ID", value="")
        return external_id

    @staticmethod
    def _status(path: Path, row: Row, language: Language) -> Status:
        """The row's status; a Statement CSV lists only completed transactions."""
        written = getattr(row, "status", "completed")
        word = " ".join(written.lower().split())
        status = STATUSES.get(language.statuses.get(word, word))
        if status is None:
            raise RowError(path, row.line, "is not a status", column="Status", value=written)
        return status

    @staticmethod
    def _supporter(name: str, email: str | None) -> SupporterRef | None:
        if not name and not email:
            return None
        return SupporterRef(name=name or None, email=email or None)


class PayPalStatement(PayPalActivity):
    """PayPal's monthly *Statement* CSV (Reports → Statements → CSV), not the Activity
    download: ``Date, Time, Time Zone, Description, Currency, Gross, Fee, Net, Balance,
    Transaction ID, From Email Address, Name, Bank Name, Bank Account, …, Reference Txn ID``
    (OCA/bank-statement-import). Its Description is the type (``Express Checkout Payment``,
    ``General Withdrawal - Bank Account``); it has no Status, since a statement lists what
    was completed; its Time Zone names the zone (``America/Los_Angeles``). Read as the
    Activity download otherwise, in the same languages."""

    name = "paypal-statement"
    type = Text("Description", "Beschreibung", "Descripción", "Descrizione", "Omschrijving")
    status = None
    to_email = None
    transaction_id = Text(
        "Transaction ID",
        "Transaktionscode",
        "Numéro de transaction",
        "Id. de transacción",
        "Codice transazione",
        "Transactiereferentie",
    )
