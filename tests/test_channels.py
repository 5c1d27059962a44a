"""Channel declarations: the shipped ones are data, and a writer's own channel is one block
of TOML in CHANNELS_FILE — its facts, its fee rules and its CSV — that the whole ledger
(import, statement, reconcile, export, fees) then knows."""

import dataclasses
import json
from pathlib import Path

import pytest

from supportledger.channels import (
    ChannelError,
    all_channels,
    get_channel,
    listed_names,
    load_channels,
    use_channels,
)
from supportledger.fees import load_schedule
from supportledger.models import Kind
from supportledger.sources.registry import importers

#: the worked example of the README ("Adding a channel"), word for word
LIBERAPAY = """\
[channel.liberapay]
label = "Liberapay"
kind = "recurring"
colour = "#f6c915"
fee_plan = "standard"
payout_lag_days = [0, 3]
bank_payouts = ['\\bliberapay\\b']

[[channel.liberapay.fee]]
plan = "standard"
from = 2017-01-01
source = "Liberapay takes no share; the card processor's 2.9% + $0.30 (my statements, 2026)"
components = [{ name = "processing", percent = "2.9", fixed = { USD = "0.30" } }]

[channel.liberapay.csv]
header = ["date", "payer", "amount", "id", "type"]
date_format = "%Y-%m-%d"

[channel.liberapay.csv.columns]
date = "date"
amount = "amount"
id = "id"
payer = "payer"

[[channel.liberapay.csv.skip]]
column = "type"
matches = "^payout$"
reason = "a payout to the bank is not income"
"""
LIBERAPAY_CSV = (
    "date,payer,amount,id,type\n"
    "2026-10-01,Ana Ruiz,10.00,LP-1,donation\n"
    "2026-10-08,Lou Green,25.00,LP-2,donation\n"
    "2026-10-20,,33.69,LP-3,payout\n"
)


@pytest.fixture
def own_channels(tmp_path: Path) -> Path:
    path = tmp_path / "my-channels.toml"
    path.write_text(LIBERAPAY, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def shipped_channels_after():
    """Each test leaves the process with the shipped declarations."""
    yield
    use_channels(load_channels())


def test_the_shipped_declarations():
    names = [c.name for c in all_channels()]
    assert names[:9] == ["zelle", "patreon", "paypal", "check", "stripe", "kdp", "ebookit",
                         "audible", "other"]  # fmt: skip
    assert listed_names() == tuple(names[:9])  # the others appear when they have money
    check = get_channel("check")
    assert (check.receipts_start_pending, check.bank_direct, check.holds_balance) == (
        True,
        True,
        False,
    )
    assert (check.account, check.bank_match_days) == ("Checks", 60)
    kofi = get_channel("kofi")
    assert (kofi.settles_in, kofi.holds_balance) == (("paypal", "stripe"), False)
    kdp = get_channel("kdp")
    assert (kdp.royalty, kdp.royalty_paid_after_days, kdp.payouts_from_bank) == (True, 60, True)
    # every colour is its own, and every channel is in the chart's legend by it
    colours = [c.colour for c in all_channels()]
    assert len(set(colours)) == len(colours)


def test_a_writers_channel_is_one_block(own_channels):
    channels = load_channels(own_channels)
    liberapay = channels.get("liberapay")
    assert (liberapay.label, liberapay.default_kind, liberapay.account) == (
        "Liberapay",
        Kind.RECURRING,
        "Liberapay",  # from the label when not given
    )
    assert liberapay.on_every_statement  # the writer declared it: always on the statement
    schedule = load_schedule(channels=channels)
    assert schedule.defaults["liberapay"] == "standard"
    use_channels(channels)
    (mapped,) = [i for i in importers() if i.name == "liberapay"]
    assert mapped.identify(Path("x.csv"), LIBERAPAY_CSV.encode())


def test_a_block_naming_a_shipped_channel_corrects_only_what_it_gives(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[channel.venmo]\nexport_timezone = "America/New_York"\n')
    venmo = load_channels(path).get("venmo")
    assert venmo == dataclasses.replace(
        load_channels().get("venmo"), export_timezone="America/New_York"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[channel.x]\nkind = "one_time"\n', "[channel.x]: missing 'label'"),
        ('[channel.x]\nlabel = "X"\nkind = "gift"\n', "kind: expected one of"),
        ('[channel.x]\nlabel = "X"\nkind = "sale"\nflavour = 1\n', "unknown key(s) flavour"),
        ('[channel.x]\nlabel = "X"\nkind = "sale"\ncolour = "red"\n', "expected a colour"),
        ('[channel.x]\nlabel = "X"\nkind = "sale"\nbank_payouts = ["("]\n', "not a regular"),
        ('[channel.x]\nlabel = "X"\nkind = "sale"\nsettles_in = ["nowhere"]\n', "unknown channel"),
        ('[channel.x]\nlabel = "X"\nkind = "sale"\naccount = "my acct"\n', "not an account"),
        ('[channel.x]\nlabel = "X"\nkind = "sale"\npayout_lag_days = [5, 1]\n', "exceed"),
        ('[channel.X]\nlabel = "X"\nkind = "sale"\n', "lower-case letters"),
        ("[channels]\n", ": unknown table(s) channels"),
    ],
)
def test_a_bad_declaration_names_the_file_channel_and_key(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(ChannelError) as caught:
        load_channels(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_a_writers_channel_through_import_statement_reconcile_and_export(
    cli, own_channels, tmp_path, monkeypatch
):
    monkeypatch.setenv("CHANNELS_FILE", str(own_channels))
    path = tmp_path / "liberapay-2026-10.csv"
    path.write_text(LIBERAPAY_CSV)
    code, out, err = cli("import", str(path))
    assert (code, err) == (0, "")
    assert "liberapay" in out

    code, out, err = cli("statement", "--month", "2026-10", "--format", "json")
    assert (code, err) == (0, "")
    line = json.loads(out)["channels"]["liberapay"]
    # 10.00 and 25.00, each less the declared 2.9% + 0.30: 0.59 and 1.03
    assert (line["label"], line["gross"], line["fees"], line["net"]) == (
        "Liberapay",
        "35.00",
        "1.62",
        "33.38",
    )
    assert line["unexpected_fees"] == {"count": 0, "amount": "0.00"}

    code, out, err = cli("statement", "--month", "2026-10", "--format", "html")
    assert code == 0 and "#f6c915" in out  # its declared colour on the chart

    code, out, err = cli("reconcile", "--month", "2026-10")
    assert (code, err) == (0, "")
    # it holds a balance, so reconcile rolls it forward like any shipped channel's
    assert (
        "  liberapay USD: opening 0.00 + receipts 33.38 - payouts 0.00 + other 0.00 =\n"
        "      closing 33.38 USD\n"  # in 80 columns
    ) in out

    code, out, err = cli("export", "--format", "beancount", "--from", "2026-10", "--to", "2026-10")
    assert (code, err) == (0, "")
    for account in (
        "Income:Support:Liberapay:Recurring",
        "Expenses:Fees:Liberapay",
        "Assets:Liberapay",
    ):
        assert f"open {account}" in out

    code, out, err = cli("fees", "show", "--channel", "liberapay", "--on", "2026-10-01")
    assert (code, err) == (0, "")
    assert "liberapay standard" in out and "processing 2.9% + 0.30 USD" in out


def test_the_readme_shows_this_very_declaration():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "# my-channels.toml, named by CHANNELS_FILE\n" + LIBERAPAY in readme


#: the README's channel paid straight into the bank ("Adding a channel"), word for word
CONSIGNMENT = """\
[channel.consignment]
label = "Bookshop consignment"
kind = "sale"
fee_plan = "none"
holds_balance = false
bank_direct = true
bank_payments = ['^PARNASSUS\\s+BOOKS\\b.*\\bPPD\\b']

[[channel.consignment.fee]]
plan = "none"
from = 2020-01-01
source = "the shop keeps its share before paying: what reaches the bank is mine"
components = []
"""
#: Chase's activity download (the layout of src/supportledger/samples/chase-checking-*.csv)
CONSIGNMENT_BANK = (
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    "CREDIT,10/05/2026,PARNASSUS BOOKS LLC PAYMENT PPD ID: 1620000000,84.00,ACH_CREDIT,"
    "1084.00,\n"
    "CREDIT,10/19/2026,PARNASSUS BOOKS ADJ,12.50,ACH_CREDIT,1096.50,\n"
    "DEBIT,10/20/2026,ONLINE PAYMENT RENT OCTOBER,-900.00,ACH_DEBIT,196.50,\n"
)


def test_a_channel_paid_straight_into_the_bank_is_one_block_too(cli, tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "```toml\n" + CONSIGNMENT + "```" in readme
    mine = tmp_path / "my-channels.toml"
    mine.write_text(CONSIGNMENT, encoding="utf-8")
    monkeypatch.setenv("CHANNELS_FILE", str(mine))
    bank = tmp_path / "Chase1234_Activity.CSV"
    bank.write_text(CONSIGNMENT_BANK)
    assert cli("import", str(bank))[0] == 0

    code, out, _ = cli("bank", "lines", "--month", "2026-10", "--format", "json")
    lines = {x["description"]: x for x in json.loads(out)}
    paid = lines["PARNASSUS BOOKS LLC PAYMENT PPD ID: 1620000000"]
    assert (paid["classification"], paid["counterparty"]) == ("income", "consignment")
    # the adjustment the pattern does not take is the writer's to decide, by the name alone
    adjustment = lines["PARNASSUS BOOKS ADJ"]
    assert adjustment["classification"] == "unclassified"
    code, _, err = cli("bank", "classify", str(adjustment["id"]), "--as", "consignment")
    assert (code, err) == (0, "")

    code, out, _ = cli("statement", "--month", "2026-10", "--format", "json")
    line = json.loads(out)["channels"]["consignment"]
    assert (line["label"], line["count"], line["gross"], line["fees"], line["net"]) == (
        "Bookshop consignment", 2, "96.50", "0.00", "96.50",
    )  # fmt: skip
    code, out, _ = cli("export", "--format", "hledger", "--from", "2026-10", "--to", "2026-10")
    # its account is named from its label; the money is in the bank the day it was posted
    assert "2026-10-05 * Bookshop consignment sale\n" in out
    assert "    Income:Sales:BookshopConsignment                      -84.00 USD\n" in out


#: a writer's own channel whose payments are held in hand until deposited, as checks are
MARKET_STALL = """\
[channel.stall]
label = "Market stall"
kind = "one_time"
fee_plan = "none"
holds_balance = false
bank_direct = true
receipts_start_pending = true
bank_match_days = 30

[[channel.stall.fee]]
plan = "none"
from = 2020-01-01
source = "cash and checks taken at the stall: no fee"
components = []
"""


def test_a_channel_no_longer_declared_leaves_its_months_readable(cli, tmp_path, monkeypatch):
    mine = tmp_path / "my-channels.toml"
    mine.write_text(MARKET_STALL, encoding="utf-8")
    monkeypatch.setenv("CHANNELS_FILE", str(mine))
    code, _, err = cli("add", "--channel", "stall", "--amount", "40.00", "--currency", "USD",
                       "--date", "2026-10-10", "--from", "Lou Green")  # fmt: skip
    assert (code, err) == (0, "")

    monkeypatch.delenv("CHANNELS_FILE")  # the writer stops selling at the market
    code, out, err = cli("reconcile", "--month", "2026-10", "--format", "json")
    assert (code, err) == (0, "")
    (waiting,) = json.loads(out)["owed"]["waiting"]
    assert (waiting["channel"], waiting["amount"]) == ("stall", "40.00")
    code, _, err = cli("statement", "--month", "2026-10")
    assert (code, err) == (0, "")
    # declared again for the checks after the test, which derive the journal afresh
    monkeypatch.setenv("CHANNELS_FILE", str(mine))
    assert cli("receipts")[0] == 0


#: the modules that must know channels only through their declarations (issue 16)
CHANNEL_BLIND = ("statement", "reconcile", "render", "export", "imports", "balances", "journal")


@pytest.mark.parametrize("module", CHANNEL_BLIND)
def test_no_channel_is_named_in_the_code_that_reads_declarations(module):
    import ast
    from importlib.util import find_spec

    source = Path(find_spec(f"supportledger.{module}").origin)
    names = {channel.name for channel in all_channels()}
    tree = ast.parse(source.read_text(encoding="utf-8"))
    #: a key of the JSON a module writes ("other" beside "base") is a field, not a channel
    keys = {id(key) for node in ast.walk(tree) if isinstance(node, ast.Dict) for key in node.keys}
    literals = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in keys
    }
    assert not names & literals, f"{source.name} names {sorted(names & literals)}"
