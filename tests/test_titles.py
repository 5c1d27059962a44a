"""Income per title: one book across every store and channel, keyed on its ASIN, ISBN or
title; the ``titles`` command and the annual summary's section."""

import json
from decimal import Decimal

from sqlalchemy import select

from channel_samples import SAMPLES
from importer_support import KDP_HEADER, write
from supportledger.imports import import_paths
from supportledger.models import Receipt, Title, TitleIdentifier
from supportledger.sources import TitleRef
from supportledger.titles import resolve_titles, title_key

KDP = (
    ",".join(KDP_HEADER)
    + "\n2026-10,The Salt Road,A. Writer,B0SALT0001,Amazon.com,70%,Standard,9,0,9,"
    "4.99,4.99,2.00,0.30,29.55,USD\n"
    "2026-10,Night Ferries,A. Writer,B0NITE0002,Amazon.com,35%,Standard,4,0,4,0.99,0.99,"
    "1.00,0.00,1.39,USD\n"
)


def sample_file(tmp_path, channel):
    sample = next(s for s in SAMPLES if s.channel == channel)
    path = tmp_path / sample.file_name
    path.write_bytes(sample.data)
    return path


def test_a_title_is_known_by_name_and_every_identifier(ledger):
    assert title_key("  The Salt  Road! ") == title_key("the salt road") == "the salt road"
    with ledger.engine.begin() as connection:
        kindle = TitleRef("The Salt Road", (("asin", "b0salt0001"),))
        paperback = TitleRef("the salt road", (("isbn", "978-1-234567-88-0"),))
        ids = resolve_titles(connection, [kindle, paperback])
        assert ids[kindle] == ids[paperback]  # the same name
        # a store that names it otherwise is still that book, by an identifier already seen
        subtitled = TitleRef("The Salt Road: A Novel", (("isbn", "9781234567880"),))
        again = resolve_titles(connection, [subtitled])
        assert again[subtitled] == ids[kindle]
        identifiers = connection.execute(
            select(TitleIdentifier.scheme, TitleIdentifier.value).order_by(TitleIdentifier.id)
        ).all()
        assert identifiers == [("asin", "B0SALT0001"), ("isbn", "9781234567880")]
        assert connection.execute(select(Title.name)).scalars().all() == ["The Salt Road"]


def test_income_per_title_across_stores_and_channels(ledger, cli, tmp_path):
    paths = [
        sample_file(tmp_path, "apple_books"),  # The Salt Road, ISBN 9781234567897
        sample_file(tmp_path, "kobo"),  # the same ISBN, and Night Ferries
        sample_file(tmp_path, "gumroad"),  # The Salt Road, by its name
        sample_file(tmp_path, "kofi"),  # a tip and a membership: no book
        write(tmp_path, "KDP_Prior_Month_Royalties-2026-10.csv", KDP),
    ]
    import_paths(ledger, paths)
    with ledger.session() as session:
        untitled = session.exec(select(Receipt.channel).where(Receipt.title_id.is_(None))).all()
    assert sorted(untitled) == [("kofi",), ("kofi",)]

    code, out, err = cli("titles", "--year", "2026", "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    by_name = {t["title"]: t for t in report["titles"]}
    salt = by_name["The Salt Road"]
    # one book: Apple and Kobo by its ISBN, Gumroad, the Ko-fi shop and KDP by its name
    assert salt["identifiers"] == [
        "apple:1602345678",
        "asin:B0SALT0001",
        "gumroad:saltroad",
        "isbn:9781234567897",
    ]
    nets = {channel: figures["net"] for channel, figures in salt["channels"].items()}
    # each store's sales less its returns and what it kept
    assert nets == {
        "apple_books": "6.98",  # 10.47 - 3.49
        "gumroad": "20.48",
        "kdp": "29.55",
        "kobo": "3.50",  # 6.99 - 3.49
        "kofi": "8.90",  # the shop order, 9.99 - 1.09
    }
    assert salt["net"] == "69.41"
    assert by_name["Night Ferries"]["channels"].keys() == {"kobo", "kdp"}
    support = report["titles"][-1]
    assert (support["title"], support["title_id"], support["net"]) == (
        "not for a title (reader support)",
        None,
        "6.80",  # the Ko-fi tip and membership, less their fees
    )

    code, out, _ = cli("titles", "--year", "2026")
    assert code == 0 and "The Salt Road" in out and "  via Apple Books" in out
    code, out, _ = cli("titles", "--format", "csv")
    assert out.splitlines()[0] == "title,identifiers,channel,count,gross,refunds,fees,net"

    code, out, _ = cli("statement", "--year", "2026", "--basis", "accrual", "--format", "json")
    annual = json.loads(out)
    assert [t["title"] for t in annual["titles"]] == [t["title"] for t in report["titles"]]
    # the titles add up to the year as the stores report it earned (a store's payment
    # names no book, so per title is the accrual view): nothing twice, nothing left out
    assert sum(Decimal(t["net"]) for t in annual["titles"]) == Decimal(annual["totals"]["net"])
    code, out, _ = cli("statement", "--year", "2026")
    assert "BY TITLE" in out
