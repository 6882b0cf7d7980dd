"""Faults of the machine under Vaka: a full disk, and a database that does not answer.

One place says how each is recognised, whatever raised it, and what people are told: the
web pages and the API answer with :func:`vaka.web.errors.server_error` (507 and 503), the
``vaka`` command prints one line (:mod:`vaka.cli`).

- **A full disk**: SQLite's ``SQLITE_FULL`` ("database or disk is full"; also what a
  connection opened read-only on a full disk says of a write, see :mod:`vaka.sqlite`) or
  its shared-memory index that could not grow, PostgreSQL's ``DiskFull`` (SQLSTATE 53100),
  and ``ENOSPC`` or ``EDQUOT`` from the file system (stored files, the rate-limit cache).
  Every write runs in one transaction, so the write that failed stored nothing.
- **A database that does not answer**: PostgreSQL's connection errors (raised by the
  driver itself, with no SQLSTATE: refused, closed, timed out), class 08 (connection
  exception), 57P01-57P03 (shut down or starting up) and 53300 (too many connections),
  and SQLite's "unable to open database file".
- **A database busy with another writer**: SQLite's "database is locked" (``SQLITE_BUSY``,
  ``SQLITE_LOCKED``) once a write waited its busy timeout out, PostgreSQL's lock timeout
  (55P03), and a submission that waited as long for its ingest turn (:class:`Busy`). 503
  too, with a shorter Retry-After: it frees up within seconds. Reads never meet it; their
  side writes are spooled or skipped instead (:mod:`vaka.policy.deferred`).

The error a view sees is Django's wrapper of the driver's (``__cause__``), sometimes raised
while handling it (``__context__``): both chains are followed.

Imported by the settings' modules: nothing here reads settings or imports models.
"""

import errno
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
SQLITE_DISK_FULL = frozenset({"SQLITE_FULL", "SQLITE_IOERR_SHMSIZE"})
SQLITE_UNAVAILABLE = frozenset({"SQLITE_CANTOPEN"})
POSTGRESQL_DISK_FULL = frozenset({"53100"})
POSTGRESQL_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})
SQLITE_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")  # and their extended codes
SQLITE_BUSY_MESSAGES = frozenset({"database is locked", "database table is locked"})
POSTGRESQL_BUSY = frozenset({"55P03"})  # lock_not_available: a lock timeout ran out

#: HTTP statuses: 507 Insufficient Storage says exactly what failed, and no proxy or
#: client retries it elsewhere as it may a 503 (every server of an instance shares the
#: disk); 503 with Retry-After for a database that is down, which comes back by itself.
DISK_FULL_STATUS = 507
UNAVAILABLE_STATUS = 503
RETRY_AFTER_SECONDS = 30
#: A busy database (another writer holds it) is free again within seconds.
BUSY_RETRY_AFTER_SECONDS = 5


class Busy(Exception):
    """A write that waited for its turn as long as a write may wait for the database (on
    SQLite, submissions take turns: :mod:`vaka.intel.ingest_turn`)."""


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what lies under it: what it was raised from or over (``from None``:
    what it was raised over is not it), and the error a library wrapped in it (urllib3's
    ``reason``, the first argument of requests' errors, which wrap urllib3's)."""
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending and len(seen) < 20:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [getattr(current, "reason", None), *current.args[:1], current.__cause__]
        if not current.__suppress_context__:
            pending.append(current.__context__)


def _postgresql_state(error: BaseException) -> str | None:
    """The SQLSTATE of a psycopg error ("" for one the driver raised itself), else None."""
    if not type(error).__module__.startswith("psycopg"):
        return None
    return getattr(error, "sqlstate", None) or ""


def is_disk_full(error: BaseException) -> bool:
    """``error`` (or what caused it) says the disk is full."""
    for cause in causes(error):
        if isinstance(cause, OSError) and cause.errno in DISK_FULL_ERRNOS:
            return True
        if getattr(cause, "sqlite_errorname", None) in SQLITE_DISK_FULL:
            return True
        if _postgresql_state(cause) in POSTGRESQL_DISK_FULL:
            return True
    return False


def is_database_unavailable(error: BaseException) -> bool:
    """``error`` (or what caused it) says the database cannot be reached."""
    for cause in causes(error):
        if getattr(cause, "sqlite_errorname", None) in SQLITE_UNAVAILABLE:
            return True
        state = _postgresql_state(cause)
        if state is None:
            continue
        if state == "" and type(cause).__name__ in ("OperationalError", "InterfaceError"):
            return True
        if state.startswith("08") or state in POSTGRESQL_UNAVAILABLE:
            return True
    return False


def is_database_busy(error: BaseException) -> bool:
    """``error`` (or what caused it) says another writer holds the database: SQLite's
    "database is locked" once its busy timeout ran out, PostgreSQL's lock timeout. The
    write was refused, nothing of it stored, and it works again in a moment."""
    for cause in causes(error):
        if isinstance(cause, Busy):
            return True
        name = getattr(cause, "sqlite_errorname", None)
        if name is not None and name.startswith(SQLITE_BUSY):
            return True
        if _postgresql_state(cause) in POSTGRESQL_BUSY:
            return True
        if type(cause).__name__ == "OperationalError" and str(cause) in SQLITE_BUSY_MESSAGES:
            return True
    return False


def disk_full_message() -> str:
    return _("The server's disk is full: nothing was stored. Reading still works; try "
             "again once an administrator has freed space.")


def database_unavailable_message() -> str:
    return _("The database is unavailable: nothing was stored. Try again in a minute.")


def database_busy_message() -> str:
    return _("The database is busy with other changes, so nothing was changed. Try again "
             "in a moment.")


def explain(error: BaseException) -> tuple[int, str] | None:
    """The HTTP status and message for a fault, or None when ``error`` is not one."""
    if is_disk_full(error):
        return DISK_FULL_STATUS, disk_full_message()
    if is_database_unavailable(error):
        return UNAVAILABLE_STATUS, database_unavailable_message()
    if is_database_busy(error):
        return UNAVAILABLE_STATUS, database_busy_message()
    return None
