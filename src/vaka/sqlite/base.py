"""Django's SQLite backend, which still reads when the disk is full.

A database in WAL mode is read through a shared-memory index, the ``-shm`` file beside it,
which the first connection creates and sizes on disk and the last one removes. With a full
disk the next first connection cannot size it, and even a read fails ("disk I/O error"):
connections last one request, so every page answered 500 and ``vaka audit verify`` failed.
Here a connection that cannot open for that reason opens again read-only with SQLite's
``readonly_shm`` (SQLite then reads the WAL into memory instead of the index), so pages, API
reads, ``vaka audit verify`` and ``vaka backup`` go on. A write on that connection is
refused as SQLITE_FULL, "database or disk is full", the very error a write on a full disk
gets from a connection opened before the disk filled, so both are told the same way
(:mod:`vaka.faults`). Every new connection tries the normal way first: once space is
freed, writes work again without a restart.

WAL is set only on a database in another journal mode (a new file): the mode is kept in
the file, so setting it on every connection did nothing but read the header again.
"""

import logging
import os
import sqlite3
import time
from typing import Any
from urllib.request import pathname2url

from django.db.backends.sqlite3 import base
from django.utils.asyncio import async_unsafe

from vaka import faults

log = logging.getLogger(__name__)
WARN_EVERY = 60.0  # seconds between two warnings of one process that the disk is full


class FullDiskCursor(base.SQLiteCursorWrapper):
    """A cursor of a connection opened read-only because the disk is full: a write is
    refused as the disk being full, not as a read-only database."""

    def execute(self, query: str, params: Any = None) -> Any:
        try:
            return super().execute(query, params)
        except sqlite3.OperationalError as error:
            raise _as_full(error) from error

    def executemany(self, query: str, param_list: Any) -> Any:
        try:
            return super().executemany(query, param_list)
        except sqlite3.OperationalError as error:
            raise _as_full(error) from error


def _as_full(error: sqlite3.OperationalError) -> sqlite3.OperationalError:
    if error.sqlite_errorname != "SQLITE_READONLY":
        return error
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode, full.sqlite_errorname = sqlite3.SQLITE_FULL, "SQLITE_FULL"
    return full


def read_only_params(conn_params: dict[str, Any]) -> dict[str, Any]:
    """``conn_params`` opening the same database read-only, without writing its index."""
    name = str(conn_params["database"])
    if not name.startswith("file:"):
        name = "file:" + pathname2url(os.path.abspath(name))
    separator = "&" if "?" in name else "?"
    return {**conn_params, "database": f"{name}{separator}mode=ro&readonly_shm=1",
            "uri": True}


class DatabaseWrapper(base.DatabaseWrapper):
    #: This connection was opened read-only because the disk is full.
    read_only_full_disk = False
    _warned = -WARN_EVERY

    @async_unsafe
    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        self.read_only_full_disk = False
        conn = sqlite3.connect(**conn_params)
        try:
            self._set_up(conn, writable=True)
        except sqlite3.OperationalError as error:
            conn.close()  # before opening again: this process shares one index per file
            if error.sqlite_errorname not in faults.SQLITE_DISK_FULL:
                raise
            if time.monotonic() - DatabaseWrapper._warned > WARN_EVERY:  # not every request
                DatabaseWrapper._warned = time.monotonic()
                log.warning("The disk holding the database is full: connections only read, "
                            "and writes are refused until space is freed.")
            conn = self._open_read_only(conn_params, error)
            self.read_only_full_disk = True
            # BEGIN IMMEDIATE takes the write lock, which a read-only connection cannot.
            self.transaction_mode = None
        return conn

    def _open_read_only(self, conn_params: dict[str, Any],
                        full: sqlite3.OperationalError) -> sqlite3.Connection:
        conn = sqlite3.connect(**read_only_params(conn_params))
        try:
            self._set_up(conn, writable=False)
        except sqlite3.Error:
            # Not even that (the index file could not be created at all): the disk is full.
            conn.close()
            raise full from None
        return conn

    def _set_up(self, conn: sqlite3.Connection, *, writable: bool) -> None:
        base.register_functions(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA legacy_alter_table = OFF")
        for command in self.init_commands:
            if command := command.strip():
                conn.execute(command)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if writable and mode not in ("wal", "memory"):
            conn.execute("PRAGMA journal_mode=WAL")

    def create_cursor(self, name: str | None = None) -> Any:
        if self.read_only_full_disk:
            return self.connection.cursor(factory=FullDiskCursor)
        return super().create_cursor(name)
