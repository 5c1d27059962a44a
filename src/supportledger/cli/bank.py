"""``bank lines``, ``bank classify``, ``bank rules``: the writer decides what the importer
could not know about a bank line, and may keep the decision as a rule of their own."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from supportledger.banklines import bank_lines, decide, decision_of, remember_rule, rules
from supportledger.cli.app import (
    Format,
    app,
    check_format,
    emit,
    month_option,
    open_ledger,
    to_json,
)
from supportledger.cli.core import OutputOption
from supportledger.money import Money
from supportledger.sources.bankrules import DECISIONS

bank_app = typer.Typer(help="Bank lines, and what each is.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")


def _line_text(line: dict) -> str:
    amount = Money.from_minor(line["amount_minor"], line["currency"])
    decided = decision_of(line).text
    return (
        f"#{line['id']:<5} {line['posted_on']}  {amount.plain():>10} {line['currency']}  "
        f"{line['account']:<16} {decided:<16} {line['description']}"
    )


@bank_app.command("lines")
def lines(
    month: Annotated[str | None, typer.Option(help="YYYY-MM: only lines posted then.")] = None,
    unclassified: Annotated[
        bool, typer.Option("--unclassified", help="Only the lines nobody has decided yet.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    output: OutputOption = None,
) -> None:
    """List bank lines with their number (#), amount, account and what each is.

    Example: supportledger bank lines --unclassified --month 2026-10
    """
    check_format(fmt, (Format.text, Format.json))
    found = bank_lines(open_ledger(), month_option(month), unclassified)
    if fmt is Format.json:
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
    line: Annotated[int, typer.Argument(help="The bank line's number (#) in `bank lines`.")],
    decision: Annotated[str, typer.Option("--as", help=f"What it is: {DECISIONS}.")],
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
            help="The rule's pattern (a regular expression); default: this line's "
            "description with its numbers left open."
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
    ledger = open_ledger()
    found, changed = decide(ledger, line, decision)
    said = [f"{_line_text(found)}" if changed else f"{_line_text(found)} (already so)"]
    if keep is None and sys.stdin.isatty():
        keep = typer.confirm("Remember a rule for lines like it?", default=False)
    if keep:
        rule = remember_rule(ledger, found, pattern, every_account)
        where = "any account" if rule.account is None else rule.account
        said.append(
            f"remembered in {ledger.settings.bank_rules_file}: {rule.pattern.pattern} "
            f"({rule.sign}s, {where}) is {decision_of(found).text}"
        )
    elif keep is None:
        said.append(
            f"to decide later lines like it the same way: supportledger bank classify "
            f"{line} --as {decision_of(found).text} --remember"
        )
    emit("\n".join(said), None)


@bank_app.command("rules")
def show_rules(
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    output: OutputOption = None,
) -> None:
    """The rules bank lines are classified by: yours (BANK_RULES_FILE), then the built-in."""
    check_format(fmt, (Format.text, Format.json))
    table = rules(open_ledger())
    if fmt is Format.json:
        emit(to_json(table), output)
        return
    emit(
        "\n".join(
            f"{row['as']:<16} {row['sign']:<6} "
            f"{(','.join(row['types']) or '-'):<14} {(row['account'] or 'any'):<14} "
            f"{row['pattern']}  [{row['from']}]"
            for row in table
        ),
        output,
    )
