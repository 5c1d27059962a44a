"""The writer's files: exports opened so that what is imported is what was hashed, and
outputs written whole or not at all, readable by their owner only.

An import hashes a file (the SHA-256 that says "already imported") and its importer reads
it again by name, perhaps twice (XLSX reports read their cover sheet, then their rows). A
download overwritten in between would be imported in part under the hash of the whole.
:class:`PinnedFile` opens the file once, refuses at once what is not an export (a FIFO or
device that would hang or never end, a folder, a sparse file of holes), and
:meth:`PinnedFile.check_unchanged` refuses the import, before it commits, if the name no
longer leads to the same bytes: another file renamed over it, its size or times changed, or
its content hashing differently.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from supportledger.errors import LedgerError

#: what an importer is shown to recognise a file
HEAD_BYTES = 64 * 1024
_BLOCK = 1 << 20


def shown_name(path: Path | str) -> str:
    """A file's name as messages and the batch list show it: bytes that are not UTF-8 (a
    name from another system) become U+FFFD instead of breaking the terminal or the database."""
    name = Path(path).name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class PinnedFile:
    """An export file held open for one import (a context manager)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = shown_name(path)
        try:
            # O_NONBLOCK: opening a FIFO nobody writes to returns at once instead of waiting
            self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError as exc:
            raise LedgerError(f"{self.name}: cannot read ({exc.strerror})") from None
        try:
            self._identity = self._refuse_unless_export(os.fstat(self._fd))
            self.head = os.pread(self._fd, HEAD_BYTES, 0)
        except BaseException:
            os.close(self._fd)
            raise
        self._sha256: str | None = None

    def _refuse_unless_export(self, info: os.stat_result) -> tuple[int, ...]:
        if stat.S_ISDIR(info.st_mode):
            raise LedgerError(f"{self.name}: is a folder, not an export file")
        if not stat.S_ISREG(info.st_mode):
            raise LedgerError(
                f"{self.name}: is not a regular file (a pipe, device or socket); save the "
                f"export to a file first"
            )
        if info.st_size and _has_hole(self._fd, info.st_size):
            raise LedgerError(
                f"{self.name}: is a sparse file (it has holes, runs of zero bytes never "
                f"written), not an export"
            )
        return _identity(info)

    @property
    def sha256(self) -> str:
        """The SHA-256 of the whole file, read once through the open descriptor."""
        if self._sha256 is None:
            self._sha256 = self._digest()
        return self._sha256

    def _digest(self) -> str:
        digest = hashlib.sha256()
        offset = 0
        try:
            while block := os.pread(self._fd, _BLOCK, offset):
                digest.update(block)
                offset += len(block)
        except OSError as exc:
            raise LedgerError(f"{self.name}: cannot read ({exc.strerror})") from None
        return digest.hexdigest()

    def check_unchanged(self) -> None:
        """Refuse (before anything is committed) when the file the import read is not the
        one hashed: the name now leads elsewhere, or the file's size, times or bytes
        changed since it was opened."""
        try:
            now = _identity(os.stat(self.path)), _identity(os.fstat(self._fd))
        except OSError:
            now = None
        if now != (self._identity, self._identity) or self._digest() != self.sha256:
            raise LedgerError(
                f"{self.name}: the file changed while it was being imported (another "
                f"download or program wrote it); nothing was written: import it again once "
                f"it is complete"
            )

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> PinnedFile:
        return self

    def __exit__(self, *_) -> None:
        self.close()


def _identity(info: os.stat_result) -> tuple[int, ...]:
    """What changes when a file is replaced or written: device and inode, size, and the
    modification and status-change times (the latter cannot be set back by any program)."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _has_hole(fd: int, size: int) -> bool:
    """Whether the file has a hole before its end (file systems that cannot tell say no)."""
    try:
        return os.lseek(fd, 0, os.SEEK_HOLE) < size
    except (OSError, AttributeError):
        return False


@contextmanager
def written_privately(path: Path, mode: str = "w") -> Iterator[IO]:
    """A stream to a new file beside ``path``, renamed over it once complete (nothing is
    left behind if writing fails). The file is its owner's only (0600): statements,
    exports and e-mails can name supporters."""
    partial = path.with_name(path.name + ".partial")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        descriptor = os.open(partial, flags, 0o600)
        os.fchmod(descriptor, 0o600)  # an earlier .partial may have had other rights
        text = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with open(descriptor, mode, **text) as stream:
            yield stream
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
