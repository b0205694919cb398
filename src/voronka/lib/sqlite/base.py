"""Django's SQLite backend with writers that queue in the kernel, not in SQLite's busy handler.

A write transaction starts with BEGIN IMMEDIATE (settings: transaction_mode), so writers take
SQLite's write lock in turn. A writer that finds it taken waits in SQLite's busy handler, which
sleeps 1, 2, 5, 10… ms between tries: past the moment the lock is free, so with a few web
workers writing at once the workers sat idle while the database was not in use. Here each
write transaction first takes an exclusive flock() on a file beside the database (its name
plus "-writers"); a waiting writer sleeps in the kernel and wakes as soon as the one before it
commits or rolls back. SQLite's own lock stays as it was: a writer that does not queue here (a
statement outside a transaction, another program) is still kept out by it, and waits in the
busy handler as before.

No queue for an in-memory database, when the file beside it cannot be opened, or for a second
connection of a thread that already holds the queue (it would wait for itself; SQLite's busy
timeout then decides, as before).
"""

import fcntl
import os
import threading

from django.db.backends.sqlite3 import base

_held = threading.local()  # how many write queues this thread holds, over all its connections


class DatabaseWrapper(base.DatabaseWrapper):
    _queue_fd: int | None = None
    _queued = False

    def _start_transaction_under_autocommit(self):
        self._join_queue()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_queue()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._leave_queue()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._leave_queue()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._leave_queue()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None

    def _join_queue(self) -> None:
        if self._queued or self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE"):
            return
        if getattr(_held, "count", 0) or self.is_in_memory_db():
            return
        if self._queue_fd is None:
            try:
                self._queue_fd = os.open(
                    f"{self.settings_dict['NAME']}-writers", os.O_RDWR | os.O_CREAT, 0o644
                )
            except OSError:
                return
        fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
        self._queued = True
        _held.count = getattr(_held, "count", 0) + 1

    def _leave_queue(self) -> None:
        if not self._queued:
            return
        self._queued = False
        _held.count -= 1
        fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
