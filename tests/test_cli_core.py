import json

import pytest


def test_a_check_and_a_zelle_payment_land_in_the_authors_month(cli):
    code, out, err = cli(
        "add", "--channel", "check", "--amount", "100.00", "--currency", "USD",
        "--date", "2026-10-06", "--from", "Lou Green", "--check-number", "2041",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "recorded check 100.00 USD on 2026-10-06" in out
    # 03:30 UTC on 1 November is 20:30 on 31 October in Phoenix (UTC-7, no DST)
    code, out, err = cli(
        "add", "--channel", "zelle", "--amount", "40", "--date", "2026-11-01T03:30:00Z",
        "--from", "Ana Ruiz", "--id", "ZL-88120",
    )  # fmt: skip
    assert (code, err) == (0, "")

    code, out, _ = cli("receipts", "--month", "2026-10", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["channel"], r["date"], r["gross"], r["fee"], r["net"]) for r in rows] == [
        ("check", "2026-10-06", "100.00", "0.00", "100.00"),
        ("zelle", "2026-10-31", "40.00", "0.00", "40.00"),
    ]
    assert rows[0]["supporter"] == "Lou Green"
    assert (rows[0]["status"], rows[1]["status"]) == ("pending", "completed")  # not yet deposited
    assert rows[1]["external_id"] == "ZL-88120"
    code, out, _ = cli("receipts", "--month", "2026-11", "--format", "json")
    assert json.loads(out) == []


def test_the_schedule_fee_is_booked_when_none_is_given(cli):
    cli("add", "--channel", "paypal", "--amount", "20.00", "--date", "2026-10-20")
    cli("add", "--channel", "paypal", "--amount", "20.00", "--date", "2026-10-21", "--fee", "0.88")
    _, out, _ = cli("receipts", "--channel", "paypal", "--format", "csv")
    lines = out.splitlines()
    assert lines[0].split(",")[7:10] == ["gross", "fee", "net"]
    assert [line.split(",")[7:10] for line in lines[1:]] == [
        ["20.00", "1.19", "18.81"],
        ["20.00", "0.88", "19.12"],
    ]


def test_a_foreign_payment_keeps_its_original_amount_and_rate(cli, ledger):
    code, _, err = cli(
        "add", "--channel", "zelle", "--amount", "50.00", "--currency", "EUR",
        "--rate", "1.0834", "--date", "2026-10-08",
    )  # fmt: skip
    assert code == 0, err
    from supportledger.ledger import list_receipts

    ((receipt, _),) = list_receipts(ledger)
    assert (receipt.gross_minor, receipt.currency) == (5417, "USD")
    assert (receipt.original_minor, receipt.original_currency, receipt.fx_rate) == (
        5000,
        "EUR",
        "1.0834",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--channel", "liberapay", "--amount", "5", "--date", "2026-10-01"), "unknown channel"),
        (("--channel", "zelle", "--amount", "5,0", "--date", "2026-10-01"), "not an amount"),
        (("--channel", "zelle", "--amount", "5", "--date", "10/01/2026"), "--date"),
        (("--channel", "zelle", "--amount", "5", "--currency", "EUR", "--date", "2026-10-01"),
         "--rate is needed"),
        (("--channel", "ebookit", "--amount", "5", "--date", "2026-10-01"), "give it with --fee"),
    ],
)  # fmt: skip
def test_user_mistakes_are_one_line_on_stderr(cli, args, message):
    code, out, err = cli("add", *args)
    assert code == 1
    assert out == ""
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_the_same_check_is_not_recorded_twice(cli):
    args = ("add", "--channel", "check", "--amount", "100", "--date", "2026-10-06",
            "--from", "Lou Green", "--check-number", "2041")  # fmt: skip
    assert cli(*args)[0] == 0
    code, _, err = cli(*args)
    assert code == 1
    assert "already recorded" in err
    _, out, _ = cli("receipts", "--format", "json")
    assert len(json.loads(out)) == 1


def test_bad_month_and_format_are_refused(cli):
    assert "expected YYYY-MM" in cli("receipts", "--month", "2026-13")[2]
    assert "'html' is not one of 'text', 'json', 'csv'" in cli("receipts", "--format", "html")[2]


def test_fees_show_lists_every_channel(cli):
    code, out, _ = cli("fees", "show", "--on", "2026-10-01")
    assert code == 0
    for name in ("zelle", "patreon", "paypal", "check", "stripe", "kdp", "ebookit", "audible"):
        assert f" {name} " in out
    _, out, _ = cli("fees", "show", "--channel", "paypal", "--on", "2021-08-01", "--format", "json")
    rules = {r["plan"]: r for r in json.loads(out)}
    assert rules["commercial"]["fee"].startswith("transaction 2.9% + 0.30 USD")
    assert rules["commercial"]["default"] is True


def test_supporters_lists_people_with_lifetime_net(cli):
    cli("add", "--channel", "zelle", "--amount", "25", "--date", "2026-10-01", "--from", "Ana")
    cli("add", "--channel", "zelle", "--amount", "15", "--date", "2026-10-02", "--from", "Ana")
    _, out, _ = cli("supporters", "--format", "json")
    assert json.loads(out) == [{"id": 1, "name": "Ana", "receipts": 2, "lifetime_net": "40.00"}]


def test_usage_mistakes_are_one_line_too(cli):
    code, _, err = cli("add", "--bogus")
    assert code == 1  # a user mistake; 2 is the e-mail job's temporary SMTP failure
    assert err == "supportledger: No such option: --bogus\n"


def test_a_database_without_a_ledger_says_to_run_init(tmp_path, monkeypatch, capsys):
    from supportledger.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    assert main(["receipts"]) == 1
    err = capsys.readouterr().err
    assert err.endswith("run `supportledger init`\n")
    assert err.count("\n") == 1


def test_a_check_id_does_not_carry_the_payers_name(cli):
    cli("add", "--channel", "check", "--amount", "100", "--date", "2026-10-06",
        "--from", "Lou Green", "--check-number", "2041")  # fmt: skip
    _, out, _ = cli("receipts", "--format", "json")
    (row,) = json.loads(out)
    assert row["external_id"].startswith("check:2041:")
    assert "lou" not in row["external_id"].lower()


def test_a_kdp_sale_by_hand_takes_the_fee_given(cli):
    # KDP's 70% fee needs the file's delivery cost, which a hand entry does not know
    code, _, err = cli("add", "--channel", "kdp", "--amount", "29.90", "--fee", "9.07",
                       "--date", "2026-10-31")  # fmt: skip
    assert code == 0, err
    _, out, _ = cli("receipts", "--format", "json")
    assert [(r["gross"], r["fee"], r["net"]) for r in json.loads(out)] == [
        ("29.90", "9.07", "20.83")
    ]
    code, _, err = cli("add", "--channel", "kdp", "--amount", "29.90", "--date", "2026-10-31")
    assert code == 1
    assert "give it with --fee" in err


def test_receipts_of_a_merged_supporter_are_found_under_the_one_who_absorbed_them(cli):
    cli("add", "--channel", "zelle", "--amount", "25", "--date", "2026-10-01", "--from", "Ana R")
    cli("add", "--channel", "check", "--amount", "50", "--date", "2026-10-02",
        "--from", "Ana Ruiz", "--check-number", "7")  # fmt: skip
    assert cli("supporters", "merge", "Ana Ruiz", "Ana R")[0] == 0
    _, out, _ = cli("receipts", "--supporter", "ana ruiz", "--format", "json")
    assert [(r["channel"], r["supporter"]) for r in json.loads(out)] == [
        ("zelle", "Ana Ruiz"),
        ("check", "Ana Ruiz"),
    ]
