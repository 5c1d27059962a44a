"""Text output as a terminal of 80 columns shows it, for tests that spell lines out whole."""

import textwrap


def in_80_columns(lines: list[str]) -> list[str]:
    """``lines`` as supportledger prints them: a longer line breaks between words and
    continues under itself, 4 columns further in."""
    fitted = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        fitted += textwrap.wrap(
            line, 80, subsequent_indent=indent + "    ", break_on_hyphens=False
        ) or [line]
    return fitted
