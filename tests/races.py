"""Races driven step by step, never by sleeping and hoping.

:class:`HeldImport` runs an import in a thread and stops it inside its transaction, after
its first chunk of rows is written, until the test releases it. :class:`Contender` runs
another command in a thread; :meth:`Contender.wait_until_waiting_or_done` returns once it
has finished, or is waiting for a lock the held import holds (SQLite: it has asked for the
write lock with ``BEGIN IMMEDIATE``, which cannot return while another writer has it;
PostgreSQL: the server reports its session waiting on a lock). Only then is the import
released, so every interleaving the test names is the one that ran.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

from supportledger.imports import import_paths

#: seconds a test waits for a thread before calling it a failure (a hang guard, not a pace)
WAIT = 60.0


class _Thread:
    """A function run in a thread, its result or exception kept for :meth:`result`."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.value: object = None
        self.error: BaseException | None = None
        self.done = threading.Event()

        def run() -> None:
            try:
                self.value = work()
            except BaseException as exc:
                self.error = exc
            finally:
                self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def result(self):
        assert self.done.wait(WAIT), "the thread never finished"
        if self.error is not None:
            raise self.error
        return self.value


class HeldImport(_Thread):
    """An import of ``path`` (``options`` as :func:`import_paths` takes them) that stops
    inside its transaction after its first chunk (the test sets ``imports.CHUNK`` small)
    until :meth:`release`; ``on_hold`` runs once there."""

    def __init__(
        self, ledger, path: Path, on_hold: Callable[[], None] = lambda: None, **options
    ) -> None:
        self.inside = threading.Event()
        self._go = threading.Event()

        def progress(_report) -> None:
            if not self.inside.is_set():
                on_hold()
                self.inside.set()
                assert self._go.wait(WAIT), "the import was never released"

        super().__init__(lambda: import_paths(ledger, [path], progress=progress, **options))

    def hold(self) -> HeldImport:
        self.start()
        deadline = time.monotonic() + WAIT
        while not self.inside.wait(0.01):
            if self.done.is_set():
                self.result()  # it failed before getting there: its error, not a timeout
            assert time.monotonic() < deadline, "the import never got inside its transaction"
        return self

    def release(self) -> list:
        self._go.set()
        return self.result()


class Contender(_Thread):
    """Another command run against ``ledger`` in its own thread (through the library or
    the CLI: its statements are watched on whatever engine it uses)."""

    def __init__(self, ledger, work: Callable[[], object]) -> None:
        super().__init__(work)
        self.engine = ledger.engine
        self.asked_for_lock = threading.Event()
        self.backend_pids: set[int] = set()

    def start(self) -> None:
        # on every engine: a command run through the CLI makes its own
        event.listen(Engine, "before_cursor_execute", self._watch)
        super().start()

    def _watch(self, connection, _cursor, statement, *_args) -> None:
        if threading.get_ident() != self.thread.ident:
            return
        if connection.dialect.name == "postgresql":
            self.backend_pids.add(connection.connection.dbapi_connection.info.backend_pid)
        elif statement.strip().upper() == "BEGIN IMMEDIATE":
            self.asked_for_lock.set()

    def wait_until_waiting_or_done(self) -> None:
        """Return once the command has finished or waits on a lock (see the module's doc)."""
        deadline = time.monotonic() + WAIT
        watcher = None
        if self.engine.dialect.name == "postgresql":
            watcher = create_engine(self.engine.url, poolclass=NullPool)
        try:
            while not (self.done.is_set() or self.asked_for_lock.is_set()):
                if watcher is not None and self._waiting_in(watcher):
                    return
                assert time.monotonic() < deadline, "the command neither waited nor finished"
                self.done.wait(0.01)
        finally:
            event.remove(Engine, "before_cursor_execute", self._watch)
            if watcher is not None:
                watcher.dispose()

    def _waiting_in(self, watcher) -> bool:
        if not self.backend_pids:
            return False
        with watcher.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "select count(*) from pg_stat_activity"
                        " where pid = any(:pids) and wait_event_type = 'Lock'"
                    ),
                    {"pids": list(self.backend_pids)},
                ).scalar_one()
            )
