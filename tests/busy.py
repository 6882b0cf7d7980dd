"""A database another connection keeps busy, for the tests of what reads and writes do
meanwhile.

SQLite's test database lives in memory, where other connections' locks are not SQLite's
file locks (no busy timeout, no WAL): :func:`database_on_file` moves the test onto a copy in
a file for its duration, as Vaka runs. :func:`write_lock_held` then holds the write lock
from another thread (on PostgreSQL: the audit chain's lock, which every audit entry takes).
Both need a test that commits (``transactional_db``).
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, connections, transaction

from vaka.policy import audit


@contextmanager
def database_on_file(folder: Path, busy_timeout: float) -> Iterator[None]:
    """On SQLite: the default database, until exit, a WAL file copied from the test
    database, whose writes wait at most ``busy_timeout`` seconds for the lock."""
    if connection.vendor != "sqlite":
        yield
        return
    wrapper = connections["default"]
    wrapper.ensure_connection()
    path = folder / "busy.sqlite3"
    copy = sqlite3.connect(path)
    wrapper.connection.backup(copy)
    copy.execute("PRAGMA journal_mode=WAL")
    copy.close()
    memory, wrapper.connection = wrapper.connection, None
    settings = wrapper.settings_dict  # the one dict every thread's connection is made from
    saved = settings["NAME"], settings["OPTIONS"]
    settings["NAME"] = str(path)
    settings["OPTIONS"] = {**settings["OPTIONS"], "timeout": busy_timeout}
    try:
        yield
    finally:
        wrapper.close()
        settings["NAME"], settings["OPTIONS"] = saved
        wrapper.connection = memory


@contextmanager
def write_lock_held(seconds: float | None = None) -> Iterator[None]:
    """Another connection holds the database's write lock until exit, or for ``seconds``."""
    taken, release = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [audit._PG_LOCK_KEY])
                # SQLite: atomic() began IMMEDIATE, which took the write lock.
                taken.set()
                release.wait(60)
        except BaseException as error:  # reported to the test below
            failed.append(error)
            taken.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(10) and not failed, failed
    if seconds is not None:
        threading.Timer(seconds, release.set).start()
    try:
        yield
    finally:
        release.set()
        thread.join(10)
