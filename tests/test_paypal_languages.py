"""PayPal exports as accounts abroad write them: in the account's language, with the day
first and a decimal comma, and PayPal's Statement CSV beside the Activity download. Where
the file cannot say which of day and month comes first, it is refused, asking.

The headers are real, from where each test cites them; the rows are the tests' own. The
ledger here is a European writer's (EUR, Europe/Berlin), so every amount is booked as
written.
"""

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from supportledger.errors import LedgerError
from supportledger.imports import import_paths
from supportledger.models import Receipt
from test_hostile_files import counts

#: replikativ/kontor, modules/bank-de/test/resources/paypal.csv (41 columns, as downloaded)
GERMAN = [
    "Datum", "Uhrzeit", "Zeitzone", "Name", "Typ", "Status", "Währung", "Brutto", "Gebühr",
    "Netto", "Absender E-Mail-Adresse", "Empfänger E-Mail-Adresse", "Transaktionscode",
    "Lieferadresse", "Adress-Status", "Artikelbezeichnung", "Artikelnummer",
    "Versand- und Bearbeitungsgebühr", "Versicherungsbetrag", "Umsatzsteuer", "Option 1 Name",
    "Option 1 Wert", "Option 2 Name", "Option 2 Wert", "Zugehöriger Transaktionscode",
    "Rechnungsnummer", "Zollnummer", "Anzahl", "Empfangsnummer", "Guthaben", "Adresszeile 1",
    "Adresszusatz", "Ort", "Bundesland", "PLZ", "Land", "Telefon", "Betreff", "Hinweis",
    "Ländervorwahl", "Auswirkung auf Guthaben",
]  # fmt: skip
#: greenkey/budget, tests/extractors/test_paypal.py (an Italian account's download)
ITALIAN = [
    "Data", "Orario", "Fuso orario", "Nome", "Tipo", "Stato", "Valuta", "Lordo", "Tariffa",
    "Netto", "Indirizzo email mittente", "Indirizzo email destinatario", "Codice transazione",
    "Indirizzo di spedizione", "Stato dell'indirizzo", "Titolo oggetto", "Codice articolo",
    "Importo spese di spedizione e imballaggio", "Importo assicurazione",
    "Imposte sulle vendite", "Nome opzione 1", "Valore opzione 1", "Nome opzione 2",
    "Valore opzione 2", "Codice transazione di riferimento", "N° ordine commerciante",
    "Numero personalizzato", "Quantità", "Codice ricevuta", "Saldo", "Indirizzo",
    "Indirizzo (continua)", "Città", "Provincia", "CAP/Codice postale", "Paese", "Telefono",
    "Oggetto", "Messaggio", "Prefisso internazionale", "Impatto sul saldo",
]  # fmt: skip
#: a French account's Activity download, as a 2017 Odoo PayPal importer lists it (its
#: `_header`); its first ten columns
FRENCH = ["Date", "Heure", "Fuseau horaire", "Nom", "Type", "État", "Devise",
          "Avant commission", "Commission", "Net", "De l'adresse email", "À l'adresse email",
          "Numéro de transaction", "Numéro de la transaction de référence", "Solde"]  # fmt: skip
#: OCA/bank-statement-import, account_statement_import_paypal/tests/fixtures/statement_es.csv
SPANISH_STATEMENT = [
    "Fecha", "Hora", "Zona horaria", "Descripción", "Divisa", "Bruto", "Comisión", "Neto",
    "Saldo", "Id. de transacción", "Correo electrónico del remitente", "Nombre",
    "Nombre del banco", "Cuenta bancaria", "Importe de envío y manipulación",
    "Impuesto de ventas", "Id. de factura", "Id. de referencia de trans.",
]  # fmt: skip
#: SolidOS/money-pane, src/parsers/paypal-csv.ts (a Dutch account's Statement CSV)
DUTCH_STATEMENT = [
    "Datum", "Tijd", "Tijdzone", "Omschrijving", "Valuta", "Bruto", "Kosten", "Net", "Saldo",
    "Transactiereferentie", "Van e-mailadres", "Naam", "Naam bank", "Bankrekening",
    "Verzendkosten", "BTW", "Factuurreferentie", "Reference Txn ID",
]  # fmt: skip
#: OCA/bank-statement-import, account_statement_import_paypal/tests/fixtures/activity_en.csv:
#: an English download whose days come first (29/12/2015) although its zone is PST
ENGLISH = ["Date", "Time", "TimeZone", "Name", "Type", "Status", "Currency", "Gross", "Fee",
           "Net", "From Email Address", "To Email Address", "Transaction ID",
           "Reference Txn ID", "Receipt ID", "Balance"]  # fmt: skip


@pytest.fixture
def environ(database_url):
    return {"DATABASE_URL": database_url, "LEDGER_TIMEZONE": "Europe/Berlin",
            "BASE_CURRENCY": "EUR"}  # fmt: skip


def write(tmp_path, name: str, header: list[str], rows: list[dict]) -> object:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({key: row.get(key, "") for key in header} for row in rows)
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    return path


def receipts(ledger) -> dict[str, Receipt]:
    with ledger.session() as session:
        return {r.external_id: r for r in session.exec(select(Receipt)).scalars()}


def berlin(*args) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(dt.UTC)


def test_a_german_download_day_first_with_decimal_commas(ledger, tmp_path):
    rows = [
        # 4 October: the day comes first in German, even when it is 12 or less
        {"Datum": "04.10.2025", "Uhrzeit": "10:00:00", "Zeitzone": "CEST", "Name": "Ana",
         "Typ": "Spendenzahlung", "Status": "Abgeschlossen", "Währung": "EUR",
         "Brutto": "1.020,00", "Gebühr": "-35,95", "Netto": "984,05",
         "Transaktionscode": "DE1", "Guthaben": "984,05"},
        {"Datum": "05.10.2025", "Uhrzeit": "09:00:00", "Zeitzone": "CEST", "Name": "Bo",
         "Typ": "Handyzahlung", "Status": "Ausstehend", "Währung": "EUR", "Brutto": "5,00",
         "Gebühr": "-0,45", "Netto": "4,55", "Transaktionscode": "DE2"},
        {"Datum": "06.10.2025", "Uhrzeit": "09:00:00", "Zeitzone": "CEST", "Name": "PayPal",
         "Typ": "Einbehaltung für offene Autorisierung", "Status": "Ausstehend",
         "Währung": "EUR", "Brutto": "-13,21", "Gebühr": "0,00", "Netto": "-13,21",
         "Transaktionscode": "DE3"},
    ]  # fmt: skip
    (report,) = import_paths(ledger, [write(tmp_path, "Download.CSV", GERMAN, rows)])
    assert (report.source, report.skip_reasons) == ("paypal", {"authorization hold": 1})
    found = receipts(ledger)
    assert (found["DE1"].gross_minor, found["DE1"].fee_minor, found["DE1"].net_minor) == (
        102000, 3595, 98405,
    )  # fmt: skip
    assert found["DE1"].occurred_at == berlin(2025, 10, 4, 10, 0)
    assert (found["DE2"].status, found["DE2"].kind) == ("pending", "one_time")


def test_an_italian_download(ledger, tmp_path):
    rows = [
        {"Data": "04/01/2019", "Orario": "10:09:43", "Fuso orario": "CET",
         "Nome": "Alessandra", "Tipo": "Pagamento da cellulare", "Stato": "Completata",
         "Valuta": "EUR", "Lordo": "10,00", "Tariffa": "0,00", "Netto": "10,00",
         "Codice transazione": "IT1", "Saldo": "30,00"},
        {"Data": "17/02/2023", "Orario": "11:36:53", "Fuso orario": "CET", "Nome": "Ugo",
         "Tipo": "Pagamento abbonamento", "Stato": "Completata", "Valuta": "EUR",
         "Lordo": "3,00", "Tariffa": "-0,45", "Netto": "2,55", "Codice transazione": "IT2",
         "Codice transazione di riferimento": "I-1U8HP4XP5WGN"},
    ]  # fmt: skip
    import_paths(ledger, [write(tmp_path, "Download.CSV", ITALIAN, rows)])
    found = receipts(ledger)
    assert found["IT1"].occurred_at == berlin(2019, 1, 4, 10, 9, 43)
    assert (found["IT2"].kind, found["IT2"].net_minor) == ("recurring", 255)


def test_a_french_download_whose_days_are_all_twelve_or_less(ledger, tmp_path):
    rows = [
        {"Date": "01/11/2025", "Heure": "10:00:00", "Fuseau horaire": "CET", "Nom": "Luc",
         "Type": "Paiement de don", "État": "Terminé", "Devise": "EUR",
         "Avant commission": "20,00", "Commission": "-0,93", "Net": "19,07",
         "Numéro de transaction": "FR1"},
    ]  # fmt: skip
    import_paths(ledger, [write(tmp_path, "Download.CSV", FRENCH, rows)])
    # 1 November, never 11 January: French writes the day first
    assert receipts(ledger)["FR1"].occurred_at == berlin(2025, 11, 1, 10, 0)


@pytest.mark.parametrize(
    ("header", "row"),
    [
        (SPANISH_STATEMENT,
         {"Fecha": "2/1/2020", "Hora": "11:05:56", "Zona horaria": "Europe/Berlin",
          "Descripción": "Pago estándar", "Divisa": "EUR", "Bruto": "49,37",
          "Comisión": "-1,78", "Neto": "47,59", "Saldo": "4.626,81",
          "Id. de transacción": "ES1", "Nombre": "Partner 1"}),
        (DUTCH_STATEMENT,
         {"Datum": "2-1-2020", "Tijd": "11:05:56", "Tijdzone": "Europe/Berlin",
          "Omschrijving": "Algemene betaling", "Valuta": "EUR", "Bruto": "49,37",
          "Kosten": "-1,78", "Net": "47,59", "Saldo": "4.626,81",
          "Transactiereferentie": "ES1", "Naam": "Partner 1"}),
    ],
)  # fmt: skip
def test_the_statement_csv_in_spanish_and_dutch(ledger, tmp_path, header, row):
    (report,) = import_paths(ledger, [write(tmp_path, "statement.csv", header, [row])])
    assert report.source == "paypal-statement"
    found = receipts(ledger)["ES1"]
    assert (found.gross_minor, found.fee_minor, found.status) == (4937, 178, "completed")
    assert found.occurred_at == berlin(2020, 1, 2, 11, 5, 56)  # 2 January


def english(date: str, txn: str, zone: str = "PST", **more) -> dict:
    return {"Date": date, "Time": "07:45:51", "TimeZone": zone, "Name": "P1",
            "Type": "General Payment", "Status": "Completed", "Currency": "EUR",
            "Gross": "84.00", "Fee": "-4.25", "Net": "79.75", "Transaction ID": txn,
            **more}  # fmt: skip


def test_an_english_download_with_a_day_above_twelve_decides_the_order(ledger, tmp_path):
    path = write(tmp_path, "Download.CSV", ENGLISH,
                 [english("02/12/2015", "EN1"), english("29/12/2015", "EN2")])  # fmt: skip
    import_paths(ledger, [path])
    # 29/12 can only be day first, so 02/12 is 2 December, in a PST file
    assert receipts(ledger)["EN1"].occurred_at == dt.datetime(2015, 12, 2, 15, 45, 51,
                                                             tzinfo=dt.UTC)  # fmt: skip


def test_an_english_download_that_cannot_say_is_refused_asking(ledger, tmp_path, cli):
    path = write(tmp_path, "Download.CSV", ENGLISH,
                 [english("01/11/2026", "EN1"), english("02/11/2026", "EN2")])  # fmt: skip
    before = counts(ledger)
    with pytest.raises(LedgerError) as caught:
        import_paths(ledger, [path])
    assert "--date-order dmy or --date-order mdy" in str(caught.value)
    assert counts(ledger) == before
    code, _, err = cli("import", str(path))
    assert code == 1 and "--date-order" in err and err.count("\n") == 1
    code, _, err = cli("import", str(path), "--date-order", "dmy")
    assert code == 0, err
    # 07:45:51 PST on 1 November
    assert receipts(ledger)["EN1"].occurred_at == dt.datetime(
        2026, 11, 1, 15, 45, 51, tzinfo=dt.UTC
    )


def test_the_writers_date_order_setting_and_a_european_zone(ledger, tmp_path, monkeypatch):
    import dataclasses

    one = write(tmp_path, "a.csv", ENGLISH, [english("01/11/2026", "EN1")])
    ledger.settings = dataclasses.replace(ledger.settings, date_orders={"paypal": "mdy"})
    import_paths(ledger, [one])
    assert receipts(ledger)["EN1"].occurred_at.month == 1  # 11 January: the writer said mdy
    # a zone of a country that writes the day first decides, when nothing else does
    cet = write(tmp_path, "b.csv", ENGLISH, [english("01/11/2026", "EN2", zone="CET")])
    ledger.settings = dataclasses.replace(ledger.settings, date_orders={})
    import_paths(ledger, [cet])
    assert receipts(ledger)["EN2"].occurred_at == berlin(2026, 11, 1, 7, 45, 51)


def test_a_file_with_both_orders_is_refused_naming_both_lines(ledger, tmp_path):
    path = write(tmp_path, "Download.CSV", ENGLISH,
                 [english("13/01/2026", "EN1"), english("01/13/2026", "EN2")])  # fmt: skip
    with pytest.raises(LedgerError) as caught:
        import_paths(ledger, [path])
    assert str(caught.value) == (
        "Download.CSV, line 3: column 'Date' value '01/13/2026': is not a date written day "
        "first, as this file writes its dates"
    )


def test_gross_plus_fee_must_be_net(ledger, tmp_path):
    # a fee written with the wrong sign: Gross + Fee would be above gross
    row = english("29/12/2015", "EN1", Fee="4.25", Net="79.75")
    path = write(tmp_path, "Download.CSV", ENGLISH, [english("28/12/2015", "EN0"), row])
    before = counts(ledger)
    with pytest.raises(LedgerError) as caught:
        import_paths(ledger, [path])
    assert str(caught.value) == (
        "Download.CSV, line 3: column 'Net' value '79.75': is not Gross 84.00 + Fee 4.25 = "
        "88.25: the row contradicts itself"
    )
    assert counts(ledger) == before
