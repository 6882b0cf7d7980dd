"""One ingest writes at a time on SQLite; the others wait their turn instead of failing.

SQLite lets one transaction write at a time. An ingest prepares its submission without
holding the database's write lock (``intel.staging``) and takes it only for the short final
step, but what it prepared must not be overtaken by another ingest meanwhile: so ingests
take turns through a lock file in ``VAKA_DATA_DIR``, held for the whole ingest. A waiting
ingest says so once and starts when the other finishes, however long that is, unless it
was sent through the web or the API: a request waits no longer than a write may wait for
the database (``VAKA_SQLITE_BUSY_TIMEOUT``), then is answered 503 "busy, try again"
(:class:`vaka.faults.Busy`), never holding a server thread for minutes. Every channel
takes the turn, as ``ingest.store`` takes it; a caller that opens its own transaction
around ``store`` (a feed page, a sync group) takes it first, before that transaction holds
the write lock the ingest ahead of it needs to finish.

The lock is a POSIX record lock (``fcntl.lockf``): the kernel releases it when its holder
dies, even by SIGKILL, and a forked child (the preparing worker, ``intel.prepare``) does
not inherit it. Being per process, it orders processes (``vaka ingest`` runs, workers); the
threads of one process (in-process background jobs, a threaded server) take turns on a
lock of their own first. A thread already holding the turn may take it again (nested).
On PostgreSQL, concurrent ingests are fine and no lock is taken.
"""

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connection

from vaka.faults import Busy

LOCK_NAME = "ingest.lock"

_in_process = threading.RLock()  # the threads of this process, one at a time
_held = 0  # how deeply the thread holding ``_in_process`` has taken the turn
_fd: int | None = None


def needed() -> bool:
    """Whether ingests must take turns: the database is SQLite."""
    return connection.vendor == "sqlite"


@contextlib.contextmanager
def thread_turn() -> Iterator[None]:
    """The write turn among this process's threads only, on SQLite: for a thread's small
    writes beside ingests (a feed poll's or sync run's record), which need no other process
    to wait, only no thread of this one to hold the lock meanwhile."""
    if not needed():
        yield
        return
    with _in_process:
        yield


def request_wait() -> float:
    """How long a submission sent through the web or the API waits for its turn (seconds):
    as long as any write waits for SQLite's lock."""
    return float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 20))


@contextlib.contextmanager
def ingest_turn(on_wait: Callable[[], None] | None = None, wait: float | None = None
                ) -> Iterator[None]:
    """Hold the ingest lock for the block; ``on_wait`` is called once if another ingest
    holds it, before waiting for it to finish; ``wait``: at most that many seconds, then
    :class:`vaka.faults.Busy` (None: as long as it takes)."""
    global _held, _fd
    if not needed():
        yield
        return
    deadline = None if wait is None else time.monotonic() + wait
    if not _in_process.acquire(blocking=False):
        if on_wait is not None:
            on_wait()
            on_wait = None
        if not _in_process.acquire(timeout=-1 if wait is None else wait):
            raise Busy
    try:
        if _held == 0:
            _fd = _lock_file(on_wait, deadline)
        _held += 1
        try:
            yield
        finally:
            _held -= 1
            if _held == 0 and _fd is not None:
                os.close(_fd)  # releases the lock
                _fd = None
    finally:
        _in_process.release()


def _lock_file(on_wait: Callable[[], None] | None, deadline: float | None) -> int:
    fd = os.open(settings.DATA_DIR / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if _try_lock(fd):
            return fd
        if on_wait is not None:
            on_wait()
        if deadline is None:
            fcntl.lockf(fd, fcntl.LOCK_EX)
            return fd
        while not _try_lock(fd):  # lockf has no timeout of its own
            if time.monotonic() >= deadline:
                raise Busy
            time.sleep(0.05)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _try_lock(fd: int) -> bool:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: another holds it
        return False
    return True
