"""Stable ids for rows that carry none (bank CSV lines, royalty rows).

An id is a hash of what the row says plus, for rows that say exactly the same thing, the
occurrence index of that content within the file: two identical $5 lines are two entries,
and a re-download of the same file gives the same ids again.
"""

from __future__ import annotations

import hashlib

_SEPARATOR = "\x1f"  # the ASCII unit separator: cannot occur inside a cell


def _text(part: object) -> str:
    return "" if part is None else str(part)


def stable_id(*parts: object) -> str:
    """The sha256 (hex) of ``parts`` as text; ``None`` counts as empty."""
    return hashlib.sha256(_SEPARATOR.join(map(_text, parts)).encode("utf-8")).hexdigest()


class Occurrences:
    """Counts rows with identical content within one file (keeps 16-byte digests, not the
    rows, so a million-line statement costs tens of megabytes, not its size)."""

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def index(self, *parts: object) -> int:
        """0 for the first row with this content, 1 for the second, and so on."""
        key = hashlib.sha256(_SEPARATOR.join(map(_text, parts)).encode("utf-8")).digest()[:16]
        count = self._seen.get(key, 0)
        self._seen[key] = count + 1
        return count
