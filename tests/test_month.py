"""``supportledger month``: the month as a checklist, and completeness as far as the bank
reaches, on the sample exports `demo` uses (SQLite and PostgreSQL).

The samples: PayPal to 31 Oct 23:30, Patreon's and KDP's reports to October's (Patreon's
payouts to 5 Oct), the Chase statement from 1 Sep to 2 Nov (November's rent), and the check
typed in on 6 Oct that the bank's 9 Oct deposit settles.
"""

from __future__ import annotations

import datetime as dt
import json

from supportledger.months import Month
from supportledger.render import checklist_text, render
from supportledger.routine import month_checklist
from supportledger.statement import monthly_statement

OCTOBER, NOVEMBER = Month(2026, 10), Month(2026, 11)
DECEMBER_3 = dt.date(2026, 12, 3)


def test_a_month_past_the_bank_file_is_incomplete_and_claims_no_activity_of_it(
    ledger, samples, monkeypatch
):
    monkeypatch.setenv("STATEMENT_FROM", "books@example.net")
    october = monthly_statement(ledger, OCTOBER)
    assert october.missing_data == ()  # the bank file reaches 2 Nov: October is whole

    november = monthly_statement(ledger, NOVEMBER)
    assert [(gap.channel, gap.covered_to.isoformat()) for gap in november.missing_data] == [
        ("patreon", "2026-10-05"), ("paypal", "2026-10-31"), ("kdp", "2026-10-01"),
        ("bank", "2026-11-02"),
    ]  # fmt: skip
    (bank,) = [gap for gap in november.missing_data if gap.channel == "bank"]
    assert bank.channels == ("zelle", "check", "other")  # what the bank's gap leaves unknown
    text = render(november, "text", ledger.settings)
    assert "! Bank statement (Zelle, checks, payouts): nothing imported after 2026-11-02" in text
    # nothing is claimed of the channels whose data is missing: only the unused ones idle
    assert "No activity: Stripe, eBookIt, Audible (ACX)." in text
    html = render(november, "html", ledger.settings)
    assert "No activity this month: Stripe, eBookIt, Audible (ACX)." in html
    assert "Bank statement (Zelle, checks, payouts): nothing imported after 2026-11-02" in html

    code, out, err = samples(
        "email-statement", "--month", "2026-11", "--require-complete", "--to", "w@example.net",
        "--dry-run", "outbox",
    )  # fmt: skip
    assert (code, out) == (5, "")
    assert "Bank statement (Zelle, checks, payouts): nothing imported after 2026-11-02" in err


def test_the_checklist_of_a_month_not_all_imported_says_what_to_download_and_where(ledger, samples):
    checklist = month_checklist(ledger, NOVEMBER, today=DECEMBER_3)
    assert [(s.name, s.complete, s.covered_to and s.covered_to.isoformat())
            for s in checklist.sources] == [
        ("zelle", False, "2026-11-02"), ("patreon", False, "2026-10-05"),
        ("paypal", False, "2026-10-31"), ("check", False, "2026-11-02"),
        ("kdp", False, "2026-10-01"), ("bank", False, "2026-11-02"),
    ]  # fmt: skip
    assert checklist.unused == ("Stripe", "eBookIt", "Audible (ACX)", "Other income")
    downloads = [s.why for s in checklist.next_steps if s.command == "supportledger import FILE"]
    assert downloads == [  # from each channel's declaration; Zelle and checks: the bank's
        "Patreon: download from patreon.com: Audience > Export CSV (members), and the "
        "earnings and payouts CSVs",
        "PayPal: download from paypal.com: Activity > Statements > Custom > Activity "
        "download (CSV)",
        "Amazon KDP: download from kdp.amazon.com: Reports > Prior Months' Royalties > "
        "Download (XLSX)",
        "Bank statement (Zelle, checks, payouts): download from your bank's website: "
        "download the account's activity (CSV, or OFX/QFX)",
    ]
    assert "supportledger close 2026-11" not in [s.command for s in checklist.next_steps]
    text = checklist_text(checklist)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "  [ ] PayPal: to 2026-10-31\n" in text
    assert "  [ ] Patreon: to the October 2026 report\n" in text
    assert "  [ ] Zelle: waits for the bank statement (to 2026-11-02)\n" in text
    assert "sync stripe" not in text  # a writer without Stripe is never asked to sync it


def test_a_month_in_progress_is_said_so_and_not_offered_for_closing(ledger, samples):
    checklist = month_checklist(ledger, OCTOBER, today=dt.date(2026, 10, 20))
    assert checklist.ended is False
    assert checklist_text(checklist).startswith("October 2026 (not over yet): the month's")
    assert "supportledger close 2026-10" not in [s.command for s in checklist.next_steps]


def test_stripe_is_in_the_routine_only_for_a_writer_with_a_key(samples, monkeypatch):
    code, out, _ = samples("month", "2026-10", "--format", "json")
    assert code == 0 and "stripe" not in [s["name"] for s in json.loads(out)["sources"]]
    monkeypatch.setenv("STRIPE_API_KEY", "rk_test_not_a_real_key")
    code, out, _ = samples("month", "2026-10", "--format", "json")
    data = json.loads(out)
    (stripe,) = [s for s in data["sources"] if s["name"] == "stripe"]
    assert (stripe["complete"], stripe["covered_to"]) == (False, None)
    assert {"command": "supportledger sync stripe", "why": "bring Stripe up to date"} in data[
        "next_steps"
    ]
    code, out, _ = samples("month", "2026-10")
    assert "  [ ] Stripe: nothing imported yet\n        no file: supportledger sync stripe" in out


def test_month_defaults_to_the_last_month_that_ended_and_refuses_one_to_come(cli):
    code, out, err = cli("month")
    assert (code, err) == (0, "")
    last = Month.of(dt.datetime.now(dt.UTC)).previous()  # Phoenix is never a month behind
    assert out.startswith(f"{last.first_day:%B %Y}") or out.startswith(
        f"{last.previous().first_day:%B %Y}"
    )
    code, out, err = cli("month", "2999-01")
    assert (code, out) == (1, "")
    assert err.startswith("supportledger: month 2999-01 is in the future (it is ")
    assert err.count("\n") == 1
