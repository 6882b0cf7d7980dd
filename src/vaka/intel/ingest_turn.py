"""One ingest writes at a time on SQLite; the others wait their turn instead of failing.

SQLite lets one transaction write at a time, and an ingest writes in one long transaction
(the submission's all-or-nothing promise). A second ingest started meanwhile would wait
for the database's busy timeout and then fail with "database is locked". So ingests take
turns through a lock file in ``VAKA_DATA_DIR``, held for the whole ingest: a waiting
ingest says so once and starts when the other finishes, however long that is.

The lock is a POSIX record lock (``fcntl.lockf``): the kernel releases it when its holder
dies, even by SIGKILL, and a forked child (the preparing worker, ``intel.prepare``) does
not inherit it. Being per process, it orders processes (``vaka ingest`` runs, workers),
not threads of one process. On PostgreSQL, concurrent ingests are fine and no lock is taken.
"""

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connection

LOCK_NAME = "ingest.lock"


def needed() -> bool:
    """Whether ingests must take turns: the database is SQLite."""
    return connection.vendor == "sqlite"


@contextlib.contextmanager
def ingest_turn(on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the ingest lock for the block; ``on_wait`` is called once if another ingest
    holds it, before waiting for it to finish."""
    if not needed():
        yield
        return
    fd = os.open(settings.DATA_DIR / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: another holds it
            if on_wait is not None:
                on_wait()
            fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
