"""Sample exports of the shipped channels, each in its real layout (the source of every
header is cited beside it). Supporters' names and amounts are invented; only the layouts
are the channels' own.

Each sample is a file name, its bytes, the month it is for, and what a statement of that
month must show for its channel once imported: gross, refunds, fees and net.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    channel: str
    file_name: str
    data: bytes
    #: the October 2026 statement's figures for the channel: gross, refunds, fees, net
    figures: tuple[str, str, str, str]


def table(header: list[str], rows: list[dict], delimiter: str = ",", preamble=()) -> str:
    """CSV text: ``preamble`` lines, the header, and each row's cells by header name."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for line in preamble:
        writer.writerow(line)
    writer.writerow(header)
    for row in rows:
        unknown = set(row) - set(header)
        assert not unknown, unknown
        writer.writerow([row.get(name, "") for name in header])
    return buffer.getvalue()


# Ko-fi, Download CSV of ko-fi.com/manage/transactions: the header as a real export writes
# it, Athena-OS/sponsors-hall-of-fame data/ko-fi.csv (values: the same columns parsed in a
# public supporter-seeding script's test, "2026-07-01T13:04:30Z, Jo, Thanks!, Ko-fi Support,
# 3.00, …, PayPal").
KOFI_HEADER = ["DateTime (UTC)", "From", "Message", "Item", "Received", "Given", "Currency",
               "TransactionType", "TransactionId", "Reference", "SalesTax", "SalesTaxPercentage",
               "SalesTaxIncludesShipping", "BuyerCountry", "BuyerStateOrProvince", "BuyerEmail",
               "PaymentProvider", "DiscordUsername"]  # fmt: skip
KOFI = table(
    KOFI_HEADER,
    [
        {"DateTime (UTC)": "2026-10-02 03:15:00", "From": "Ana Ruiz", "Message": "Love the book!",
         "Received": "5.00", "Currency": "USD", "TransactionType": "Tip",
         "TransactionId": "KF-1001", "BuyerEmail": "ana@example.org", "PaymentProvider": "PayPal"},
        {"DateTime (UTC)": "2026-10-10 18:00:00", "From": "Lou Green", "Item": "Monthly support",
         "Received": "3.00", "Currency": "USD", "TransactionType": "Subscription",
         "TransactionId": "KF-1003", "PaymentProvider": "Stripe"},
        {"DateTime (UTC)": "2026-10-12T09:00:00Z", "From": "Mia Sol", "Item": "The Salt Road",
         "Received": "9.99", "Currency": "USD", "TransactionType": "Shop Order",
         "TransactionId": "KF-1004", "PaymentProvider": "Stripe"},
        {"DateTime (UTC)": "2026-10-15 12:00:00", "From": "A Writer", "Given": "3.00",
         "Currency": "USD", "TransactionType": "Donation", "TransactionId": "KF-1005",
         "PaymentProvider": "PayPal"},
    ],
)  # fmt: skip

# GitHub Sponsors, sponsors dashboard → Your sponsors → Export (CSV): the header and the
# value forms (dates with offsets, "$-20.00" credits on a change of tier, "… one time")
# of Athena-OS/sponsors-hall-of-fame data/github.csv.
GITHUB_HEADER = ["Sponsor Handle", "Sponsor Profile Name", "Sponsor Public Email",
                 "Sponsorship Started On", "Is Public?", "Is Yearly?", "Transaction ID",
                 "Payment Source", "Tier Name", "Tier Monthly Amount", "Processed Amount",
                 "Is Prorated?", "Status", "Transaction Date", "Metadata", "Country", "Region",
                 "VAT"]  # fmt: skip


def _sponsor(handle, name, tx, source, tier, monthly, processed, date, prorated="false"):
    return {"Sponsor Handle": handle, "Sponsor Profile Name": name,
            "Sponsorship Started On": "2026-09-29 10:58:42 +0200", "Is Public?": "true",
            "Is Yearly?": "false", "Transaction ID": tx, "Payment Source": source,
            "Tier Name": tier, "Tier Monthly Amount": monthly, "Processed Amount": processed,
            "Is Prorated?": prorated, "Status": "settled", "Transaction Date": date,
            "Country": "USA", "Region": "Arizona"}  # fmt: skip


GITHUB = table(
    GITHUB_HEADER,
    [
        _sponsor("ana-r", "Ana Ruiz", "ch_3QAAA", "github", "$20 a month", "$20.00", "$20.00",
                 "2026-10-29 10:58:54 +0200"),
        _sponsor("lou-g", "Lou Green", "ch_3QBBB", "github", "$100 a month", "$100.00",
                 "$100.00", "2026-10-14 20:34:43 +0200", "true"),
        _sponsor("lou-g", "Lou Green", "ch_3QBBB", "github", "$20 a month", "$20.00",
                 "$-20.00", "2026-10-14 20:34:43 +0200", "true"),
        _sponsor("mia-s", "", "ch_3QCCC", "github", "$5 one time", "$5.00", "$5.00",
                 "2026-10-05 13:38:56 +0100", "true"),
        _sponsor("kai-p", "Kai Park", "ch_3QDDD", "patreon", "$10 a month", "$10.00",
                 "$10.00", "2026-10-01 00:00:10 +0000"),
    ],
)  # fmt: skip

# Gumroad, Sales → Export: Gumroad's own exporter, antiwork/gumroad
# app/services/exports/purchase_export_service.rb (PURCHASE_FIELDS, the "Totals" row, and
# "Purchase Time (UTC timezone)" written by Ruby's Time#to_s).
GUMROAD_HEADER = [
    "Purchase ID", "Item Name", "Buyer Name", "Purchase Email", "Buyer Email", "Do not contact?",
    "Purchase Date", "Purchase Time (UTC timezone)", "Subtotal ($)", "Taxes ($)", "Tax Type",
    "Shipping ($)", "Sale Price ($)", "Fees ($)", "Net Total ($)", "Tip ($)",
    "Tax Included in Price?", "Street Address", "City", "Zip Code", "State", "Country",
    "Referrer", "Refunded?", "Partial Refund ($)", "Fully Refunded?", "Disputed?",
    "Dispute Won?", "Access Revoked?", "Variants", "Discount Code", "Recurring Charge?",
    "Free trial purchase?", "Pre-order authorization?", "Product ID", "Order Number",
    "Pre-order authorization time (UTC timezone)", "Custom Fields", "Item Price ($)",
    "Variants Price ($)", "Giftee Email", "SKU ID", "Quantity", "Recurrence", "Affiliate",
    "Affiliate commission ($)", "Discover?", "Cancellation Date", "Subscription End Date",
    "Rating", "Review", "License Key", "License Key Activation Count", "License Key Enabled?",
    "Payment Type", "PayPal Transaction ID", "PayPal Fee Amount", "PayPal Fee Currency",
    "Stripe Transaction ID", "Stripe Fee Amount", "Stripe Fee Currency",
    "Purchasing Power Parity Discounted?", "Upsold?", "Sent Abandoned Cart Email?",
    "UTM Source", "UTM Medium", "UTM Campaign", "UTM Term", "UTM Content", "Buyer Currency",
    "Buyer Total", "Buyer Refunded Total",
]  # fmt: skip


def _purchase(pid, time, price, fees, net, **more):
    row = {"Purchase ID": pid, "Item Name": "The Salt Road", "Buyer Name": "Rosa Diaz",
           "Purchase Email": "rosa@example.org", "Purchase Date": time[:10],
           "Purchase Time (UTC timezone)": time, "Sale Price ($)": price, "Fees ($)": fees,
           "Net Total ($)": net, "Refunded?": "0", "Partial Refund ($)": "0.0",
           "Fully Refunded?": "0", "Disputed?": "0", "Dispute Won?": "0",
           "Recurring Charge?": "0", "Product ID": "saltroad", "Quantity": "1",
           "Discover?": "0", "Payment Type": "Card"}  # fmt: skip
    return row | more


GUMROAD = table(
    GUMROAD_HEADER,
    [
        # 10% + 0.50 = 1.499 and 2.9% + 0.30 = 0.58971, each cut to the cent: 1.49 + 0.58
        _purchase("P-1", "2026-10-03 14:20:11 UTC", "9.99", "2.07", "7.92"),
        # brought by Gumroad's Discover: 30%
        _purchase("P-2", "2026-10-09 08:00:00 UTC", "20.0", "6.0", "14.0", **{"Discover?": "1"}),
        # 0.50 + 0.50 = 1.00 and 0.145 + 0.30 = 0.445 -> 0.44; refunded whole
        _purchase("P-3", "2026-10-21 17:45:00 +0000", "5.0", "1.44", "3.56",
                  **{"Refunded?": "1", "Fully Refunded?": "1"}),
        {"Purchase ID": "Totals", "Sale Price ($)": "34.99", "Fees ($)": "9.51",
         "Net Total ($)": "25.48"},
    ],
)  # fmt: skip

# Venmo account statement CSV: jakelit/cash-sync docs/specs/venmo_importer.md (preamble,
# the nameless first column, "+ $25.00" amounts, the balance rows and the disclaimer).
VENMO_HEADER = ["", "ID", "Datetime", "Type", "Status", "Note", "From", "To", "Amount (total)",
                "Amount (tip)", "Amount (tax)", "Amount (fee)", "Tax Rate", "Tax Exempt",
                "Funding Source", "Destination", "Beginning Balance", "Ending Balance",
                "Statement Period Venmo Fees", "Terminal Location", "Year to Date Venmo Fees",
                "Disclaimer"]  # fmt: skip
VENMO = table(
    VENMO_HEADER,
    [
        {"Beginning Balance": "$0.00"},
        # a business profile: 1.9% + $0.10 = 0.575 -> 0.58
        {"ID": "4345080794249066591", "Datetime": "2026-10-03T18:43:08", "Type": "Payment",
         "Status": "Complete", "Note": "For the new chapter", "From": "Rosa Diaz",
         "To": "A Writer", "Amount (total)": "+ $25.00", "Amount (tax)": "0",
         "Amount (fee)": "- $0.58", "Tax Rate": "0", "Destination": "Venmo balance",
         "Terminal Location": "Venmo"},
        {"ID": "4345080794249066592", "Datetime": "2026-10-09T20:01:31", "Type": "Payment",
         "Status": "Complete", "Note": "Lunch", "From": "A Writer", "To": "Sam Lee",
         "Amount (total)": "- $40.00", "Amount (tax)": "0", "Tax Rate": "0",
         "Funding Source": "Visa Debit *1234", "Terminal Location": "Venmo"},
        {"ID": "4345080794249066593", "Datetime": "2026-10-20T16:00:00",
         "Type": "Standard Transfer", "Status": "Issued", "Amount (total)": "- $24.42",
         "Amount (tax)": "0", "Tax Rate": "0", "Destination": "Chase *1234"},
        {"Ending Balance": "$0.00", "Statement Period Venmo Fees": "$0.58",
         "Year to Date Venmo Fees": "$0.58",
         "Disclaimer": "In case of errors or questions about your\n electronic transfers: ..."},
    ],
    preamble=[["Account Statement - (@awriter) "], ["Account Activity"]],
)  # fmt: skip

# Cash App, Statements → Export CSV: leonardobazico/ynab-converter README ("Transaction ID",
# "Date" with its zone's label, "$1" / "-$2.90" amounts, statuses in capitals).
CASHAPP_HEADER = ["Transaction ID", "Date", "Transaction Type", "Currency", "Amount", "Fee",
                  "Net Amount", "Asset Type", "Asset Price", "Asset Amount", "Status", "Notes",
                  "Name of sender/receiver", "Account"]  # fmt: skip
CASHAPP = table(
    CASHAPP_HEADER,
    [
        # a business account: 2.75% of 30 = 0.825 -> 0.83
        {"Transaction ID": "rmk1a2", "Date": "2026-10-04 10:12:36 MST",
         "Transaction Type": "Received P2P", "Currency": "USD", "Amount": "$30",
         "Fee": "-$0.83", "Net Amount": "$29.17", "Status": "PAYMENT RECEIVED",
         "Notes": "Thank you!", "Name of sender/receiver": "Ken Abe",
         "Account": "Visa Debit 0987"},
        {"Transaction ID": "rmk1a3", "Date": "2026-10-06 19:56:39 MST",
         "Transaction Type": "Cash Card Debit", "Currency": "USD", "Amount": "-$2.90",
         "Fee": "$0", "Net Amount": "-$2.90", "Status": "CARD CHARGED",
         "Notes": "MTA*NYCT PAYGO", "Account": "Visa Debit 0987"},
        {"Transaction ID": "rmk1a4", "Date": "2026-10-08 09:00:00 MST",
         "Transaction Type": "Received P2P", "Currency": "USD", "Amount": "$10",
         "Fee": "-$0.28", "Net Amount": "$9.72", "Status": "PAYMENT REFUNDED",
         "Name of sender/receiver": "Ivy Chen", "Account": "Visa Debit 0987"},
        {"Transaction ID": "rmk1a5", "Date": "2026-10-15 12:00:00 MST",
         "Transaction Type": "Cash Out", "Currency": "USD", "Amount": "-$29.17", "Fee": "$0",
         "Net Amount": "-$29.17", "Status": "COMPLETE", "Account": "Visa Debit 0987"},
    ],
)  # fmt: skip

# Apple's financial report (tab-separated): the header as ole/itunesconnect-financialreports
# and a public iTunes report parser's test read it, "Start Date … Customer Currency", and
# its Total_Rows / Total_Amount / Total_Units closing lines.
APPLE_HEADER = ["Start Date", "End Date", "UPC", "ISRC/ISBN", "Vendor Identifier", "Quantity",
                "Partner Share", "Extended Partner Share", "Partner Share Currency",
                "Sales or Return", "Apple Identifier", "Artist/Show/Developer/Author", "Title",
                "Label/Studio/Network/Developer/Publisher", "Grid", "Product Type Identifier",
                "ISAN/Other Identifier", "Country Of Sale", "Pre-order Flag", "Promo Code",
                "Customer Price", "Customer Currency"]  # fmt: skip


def _apple(quantity, share, extended, kind, price, country="US", currency="USD"):
    return {"Start Date": "09/28/2026", "End Date": "10/31/2026", "ISRC/ISBN": "9781234567897",
            "Vendor Identifier": "SALTROAD01", "Quantity": quantity, "Partner Share": share,
            "Extended Partner Share": extended, "Partner Share Currency": currency,
            "Sales or Return": kind, "Apple Identifier": "1602345678",
            "Artist/Show/Developer/Author": "A. Writer", "Title": "The Salt Road",
            "Product Type Identifier": "EB1", "Country Of Sale": country,
            "Customer Price": price, "Customer Currency": currency}  # fmt: skip


APPLE = (
    table(
        APPLE_HEADER,
        [
            # Apple's share is figured per copy: 70% of 4.99 = 3.493 -> 3.49, three copies
            _apple("3", "3.49", "10.47", "S", "4.99"),
            _apple("-1", "3.49", "-3.49", "R", "4.99"),
        ],
        delimiter="\t",
    )
    + "Total_Rows\t2\nTotal_Amount\t6.98\nTotal_Units\t2\n"
)

# Kobo Writing Life's consolidated sales report: the column names of its glossary,
# kobowritinglife.com/2016/10/03/new-sales-report-template (Date … List Price Currency) and
# its help centre's glossary (zh-tw article 360058975772) for the payable-currency columns,
# whose English names "Net Due (Payable Currency)" and "Payable Currency" a publisher's
# importer reads (bezdomnij/finance-report kobo/kobo.py, kobo/kobo_audio.py).
KOBO_HEADER = ["Date", "Country", "State", "Zip Code", "Content Type", "Total Qty",
               "Refund Reason", "DealID", "Publisher Name", "Imprint", "eISBN", "Author", "Title",
               "List Price (LP)", "Tax Excluded List Price", "COGS %",
               "COGS Amount (LP Currency)", "List Price Currency",
               "FX Rate to Payable Currency", "COGS in Payable Currency", "LP based on COGS",
               "LP based on COGS (Tax Excluded)", "LP based on COGS Currency",
               "COGS Adjustment (Payable Currency)", "Net Due (Payable Currency)",
               "Payable Currency", "Total Tax (Payable Currency)"]  # fmt: skip


def _kobo(date, quantity, price, rate, due, title="The Salt Road", isbn="9781234567897"):
    return {"Date": date, "Country": "US", "Content Type": "eBook", "Total Qty": quantity,
            "Publisher Name": "A. Writer", "eISBN": isbn, "Author": "A. Writer",
            "Title": title, "List Price (LP)": price, "Tax Excluded List Price": price,
            "COGS %": rate, "List Price Currency": "USD", "FX Rate to Payable Currency": "1",
            "Net Due (Payable Currency)": due, "Payable Currency": "USD"}  # fmt: skip


KOBO = table(
    KOBO_HEADER,
    [
        # 70% of 9.98 = 6.986 -> 6.99: Kobo rounds the row's royalty
        _kobo("2026-10-05", "2", "4.99", "70%", "6.99"),
        _kobo("2026-10-18", "-1", "4.99", "70%", "-3.49"),
        # below $2.99: 45% of 0.99 = 0.4455 -> 0.45
        _kobo("2026-10-22", "1", "0.99", "45%", "0.45", "Night Ferries", "9781234567880"),
    ],
)  # fmt: skip

# Draft2Digital, Reports → Downloads → Sales Report (eBook): the columns of
# pinkest-nekomata/author_stats author_db/models/staging/stg__d2d_ebook_sales.sql.
D2D_HEADER = ["Start Date", "End Date", "Publisher", "Title ID", "Ebook ISBN", "Title",
              "Primary Author", "Distributor", "Vendor", "Country", "Units Sold",
              "Units Returned", "Net Unit Sales", "Sales Model", "Retailer",
              "List Price Per Unit", "Currency Code", "Offer Price Per Unit", "Royalty Percent",
              "Sales Channel Fee/Taxes Per Unit", "Extended Sales Channel Revenue",
              "Sales Channel Share", "D2D Share", "Publisher Share",
              "Publisher Share USD (estimated)", "Verified"]  # fmt: skip


def _d2d(units, share, d2d, publisher, verified="true"):
    return {"Start Date": "2026-10-01", "End Date": "2026-10-31", "Publisher": "A. Writer",
            "Title ID": "2401234", "Ebook ISBN": "9781234567897", "Title": "The Salt Road",
            "Primary Author": "A. Writer", "Distributor": "Draft2Digital", "Vendor": "Apple",
            "Country": "US", "Units Sold": units, "Units Returned": "0",
            "Net Unit Sales": units, "Sales Model": "Agency", "Retailer": "Apple Books",
            "List Price Per Unit": "4.99", "Currency Code": "USD",
            "Offer Price Per Unit": "4.99", "Royalty Percent": "60%",
            "Sales Channel Share": share, "D2D Share": d2d, "Publisher Share": publisher,
            "Publisher Share USD (estimated)": publisher, "Verified": verified}  # fmt: skip


D2D = table(
    D2D_HEADER,
    [
        # Apple keeps 4.49 of 14.97, D2D 10% (1.497): the writer's 8.983 -> 8.98
        _d2d("3", "4.49", "1.50", "8.98"),
        _d2d("1", "1.50", "0.50", "2.99", verified="false"),
    ],
)  # fmt: skip

# Google Play Books' Sales Transaction report, UTF-16 and tab-separated: the columns of
# The-Academic-Observatory/oaebu-workflows dags/oaebu_workflows/google_books_telescope
# (schema/google_books_sales.json; the reader opens it as utf-16 with delimiter "\t",
# dates MM/DD/YY, ISBNs prefixed with ').
GOOGLE_HEADER = ["Transaction Date", "Id", "Product", "Type", "Preorder", "Qty", "Primary ISBN",
                 "Imprint Name", "Title", "Author", "Original List Price Currency",
                 "Original List Price", "List Price Currency", "List Price [tax inclusive]",
                 "List Price [tax exclusive]", "Country of Sale", "Publisher Revenue %",
                 "Publisher Revenue", "Payment Currency", "Payment Amount",
                 "Currency Conversion Rate", "Line of Business"]  # fmt: skip


def _google(date, tx, kind, qty, currency, price, excl, country, revenue, paid, rate):
    return {"Transaction Date": date, "Id": tx, "Product": "Single Purchase", "Type": kind,
            "Preorder": "None", "Qty": qty, "Primary ISBN": "'9781234567897",
            "Imprint Name": "A. Writer", "Title": "The Salt Road", "Author": "A. Writer",
            "Original List Price Currency": "USD", "Original List Price": "4.99",
            "List Price Currency": currency, "List Price [tax inclusive]": price,
            "List Price [tax exclusive]": excl, "Country of Sale": country,
            "Publisher Revenue %": "70%", "Publisher Revenue": revenue,
            "Payment Currency": "USD", "Payment Amount": paid,
            "Currency Conversion Rate": rate, "Line of Business": "E-Book"}  # fmt: skip


GOOGLE = table(
    GOOGLE_HEADER,
    [
        _google("10/07/26", "GP-1001", "Sale", "1", "USD", "4.99", "4.99", "US", "3.49", "3.49",
                "1"),
        _google("10/19/26", "GP-1002", "Refund", "-1", "USD", "4.99", "4.99", "US", "-3.49",
                "-3.49", "1"),
        # 3.33 GBP without VAT at Google's 1.2650: 4.21 paid, 70% = 2.331 GBP -> 2.95 USD
        _google("10/23/26", "GP-1003", "Sale", "1", "GBP", "3.99", "3.33", "GB", "2.33", "2.95",
                "1.2650"),
    ],
    delimiter="\t",
)  # fmt: skip

SAMPLES = (
    # gross, refunds, fees, net of October 2026
    Sample("kofi", "Transactions_Oct.csv", KOFI.encode(), ("17.99", "0.00", "2.29", "15.70")),
    Sample("github_sponsors", "sponsorships.csv", GITHUB.encode(),
           ("105.00", "0.00", "0.00", "105.00")),
    Sample("gumroad", "Sales.csv", GUMROAD.encode(), ("34.99", "5.00", "9.51", "20.48")),
    Sample("venmo", "venmo_statement.csv", VENMO.encode(), ("25.00", "0.00", "0.58", "24.42")),
    Sample("cashapp", "cash_app_report.csv", CASHAPP.encode(),
           ("40.00", "10.00", "1.11", "28.89")),
    Sample("apple_books", "S_M_80012345_1026_ZZ.txt", APPLE.encode(),
           ("14.97", "4.99", "3.00", "6.98")),
    Sample("kobo", "kobo-sales-2026-10.csv", KOBO.encode(),
           ("10.97", "4.99", "2.03", "3.95")),
    Sample("draft2digital", "d2d_2026-10_ebook.csv", D2D.encode(),
           ("14.97", "0.00", "5.99", "8.98")),
    Sample("google_play", "GoogleSalesTransactionReport_2026_10.csv", GOOGLE.encode("utf-16"),
           ("9.20", "4.99", "1.26", "2.95")),
)  # fmt: skip
