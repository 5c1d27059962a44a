"""``bank lines``, ``bank classify``, ``bank rules``: the writer decides what the importer
could not know about a bank line, and may keep the decision as a rule of their own."""

import sys
from typing import Annotated

import typer

from supportledger.cli.app import (
    TEXT_JSON,
    MonthOption,
    OutputOption,
    app,
    emit,
    open_ledger,
    past_month,
)

#: what ``--as`` takes, as :data:`supportledger.sources.bankrules.DECISIONS` says it (that
#: module loads the channels; the help must not)
DECISIONS = "income:<channel> (zelle: income:zelle), payout:<channel>, transfer or ignore"

bank_app = typer.Typer(help="Bank lines, and what each is.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")


def _line_text(line: dict) -> str:
    """A bank line in 80 columns: number, day, amount, account and what it is, then its
    description (on the next line when it does not fit)."""
    from supportledger.banklines import decision_of
    from supportledger.money import Money
    from supportledger.render import amount, wrap

    money = Money.from_minor(line["amount_minor"], line["currency"])
    decided = decision_of(line).text
    text = (
        f"#{line['id']:<5} {line['posted_on']} {amount(money):>12} {line['currency']} "
        f"{line['account'][:14]:<14} {decided:<14} {line['description']}"
    )
    return "\n".join(wrap(text, "", "       "))


@bank_app.command("lines")
def lines(
    month: MonthOption = None,
    unclassified: Annotated[
        bool, typer.Option("--unclassified", help="Only the lines nobody has decided yet.")
    ] = False,
    fmt: TEXT_JSON = "text",
    output: OutputOption = None,
) -> None:
    """List bank lines with their number (#), amount, account and what each is.

    Example: supportledger bank lines --unclassified --month 2026-10
    """
    from supportledger.banklines import bank_lines
    from supportledger.money import Money
    from supportledger.render import to_json

    ledger = open_ledger()
    chosen = past_month(month, ledger.tz) if month is not None else None
    found = bank_lines(ledger, chosen, unclassified)
    if fmt == "json":
        emit(
            to_json(
                [
                    {
                        "id": line["id"],
                        "posted_on": line["posted_on"].isoformat(),
                        "account": line["account"],
                        "amount": Money.from_minor(line["amount_minor"], line["currency"]).plain(),
                        "currency": line["currency"],
                        "description": line["description"],
                        "classification": line["classification"],
                        "counterparty": line["counterparty"],
                    }
                    for line in found
                ]
            ),
            output,
        )
        return
    emit("\n".join(map(_line_text, found)) or "no bank lines", output)


@bank_app.command("classify")
def classify(
    line: Annotated[
        int, typer.Argument(metavar="LINE", help="The bank line's number (#) in `bank lines`.")
    ],
    decision: Annotated[
        str, typer.Option("--as", metavar="DECISION", help=f"What it is: {DECISIONS}.")
    ],
    keep: Annotated[
        bool | None,
        typer.Option(
            "--remember/--no-remember",
            help="Keep a rule in BANK_RULES_FILE that decides later lines like it "
            "(asked when run in a terminal).",
        ),
    ] = None,
    pattern: Annotated[
        str | None,
        typer.Option(
            metavar="REGEX",
            help="The rule's pattern (a regular expression); default: this line's "
            "description with its numbers left open.",
        ),
    ] = None,
    every_account: Annotated[
        bool, typer.Option("--every-account", help="The rule is for every account's lines.")
    ] = False,
) -> None:
    """Decide what a bank line is; income gets its receipt, in the same transaction.

    income:<channel> (an honorarium: income:other), zelle, check, payout:<channel>,
    transfer or ignore.

    Example: supportledger bank classify 12 --as income:other --remember
    """
    from supportledger.banklines import decide, decision_of, remember_rule
    from supportledger.render import wrap

    ledger = open_ledger()
    found, changed = decide(ledger, line, decision)
    said = [_line_text(found) + ("" if changed else " (already so)")]
    if keep is None and sys.stdin.isatty():
        keep = typer.confirm("Remember a rule for lines like it?", default=False)
    if keep:
        rule = remember_rule(ledger, found, pattern, every_account)
        where = "any account" if rule.account is None else rule.account
        said += wrap(
            f"remembered in {ledger.settings.bank_rules_file}: {rule.pattern.pattern} "
            f"({rule.sign}s, {where}) is {decision_of(found).text}",
            "",
            "  ",
            cut_long_words=False,
        )
    elif keep is None:
        said += wrap(
            f"to decide later lines like it the same way: supportledger bank classify "
            f"{line} --as {decision_of(found).text} --remember",
            "",
            "  ",
        )
    emit("\n".join(said), None)


@bank_app.command("rules")
def show_rules(fmt: TEXT_JSON = "text", output: OutputOption = None) -> None:
    """The rules bank lines are classified by: yours (BANK_RULES_FILE), then the built-in."""
    from supportledger.banklines import rules
    from supportledger.render import to_json, wrap

    table = rules(open_ledger())
    if fmt == "json":
        emit(to_json(table), output)
        return
    lines = []
    for row in table:
        rule = (
            f"{row['as']:<16} {row['sign']:<6} {(','.join(row['types']) or '-'):<14} "
            f"{(row['account'] or 'any'):<14} {row['pattern']}  [{row['from']}]"
        )
        lines += wrap(rule, "", "    ")  # a built-in pattern longer than a line is cut
    emit("\n".join(lines), output)
