"""Side writes of reads: written at once when the database is free, never the reason a read
fails.

Reads write on the side: an API token's or export link's last use, the audit entry of a
look-up, an export or a sign-in, the hit notices a look-up leaves its owners. SQLite lets
one writer in at a time, and a read whose side write queued behind a long ingest used to
fail after the busy timeout ("database is locked", HTTP 500) although everything it was
asked for had been read. Here is the one way every side write is made:

* :func:`touch` is for what may be skipped (last-used times, "seen" marks): it waits at
  most ``VAKA_SIDE_WRITE_WAIT`` seconds for the database, else it is skipped and the next
  use tries again.
* :func:`keep` is for what must not be lost (audit entries, hit notices): written at once
  if the database is free within the same wait, else appended to the spool,
  ``deferred/writes.jsonl`` in the data directory, one JSON line each, flushed to disk
  before the read answers. :func:`flush` writes the spool in order, each write with the
  time it happened, as soon as the database is free: after the next request, in the
  scheduler's round, when ``vaka serve`` or ``vaka worker`` starts and before ``vaka audit
  verify``. While the spool holds anything, new writes join its end, so they keep their
  order.

Inside a transaction (a change that audits itself) both write at once, in that
transaction, which already holds the database. Each spooled write is applied together with
a mark of its id (:class:`~vaka.policy.models.AppliedDeferredWrite`), so a flush killed
after committing never applies one twice; the spool is emptied, and the marks deleted,
once all of it is applied. A spooled write that cannot be applied for another reason than
a busy database is moved to ``deferred/rejected.jsonl`` and logged, so that it never holds
up the ones after it. On PostgreSQL the same wait is a lock timeout; writes are spooled
only if it runs out.
"""

import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from vaka.faults import is_database_busy, is_disk_full

log = logging.getLogger(__name__)

#: Every kind of side write and the function applying one, ``(data, at, late=…) ->
#: result``; ``late`` is true for a write from the spool, which checks that what it names
#: still exists. The spool names kinds only: it can never name other code to run.
APPLIERS = {
    "audit": "vaka.policy.audit.append_fields",
    "lookup_hits": "vaka.intel.services.record_lookup_hits",
}

BATCH = 200  # spooled writes per transaction when flushing
RETRY_AFTER_BUSY = 1.0  # seconds before a process tries the spool again after a busy one

_next_flush = 0.0  # monotonic time before which this process does not retry the spool
_flush_guard = threading.Lock()
_here = threading.local()  # ``flushing``: this thread holds the spool's lock, flushing


@contextmanager
def briefly() -> Iterator[None]:
    """A transaction of its own that waits at most ``SIDE_WRITE_WAIT`` for the database;
    past it, :class:`OperationalError` (:func:`vaka.faults.is_database_busy`)."""
    wait_ms = max(0, round(settings.SIDE_WRITE_WAIT * 1000))
    if connection.vendor != "sqlite":
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:  # 0 would mean "no limit"
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)",
                                   [f"{max(1, wait_ms)}ms"])
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {wait_ms:d}")
    try:
        with transaction.atomic():
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(before):d}")


def touch(write: Callable[[], object]) -> bool:
    """Run ``write`` (a best-effort update, e.g. a last-used time) unless the database stays
    busy past ``SIDE_WRITE_WAIT``; whether it ran. The next use tries again."""
    if connection.in_atomic_block:
        write()
        return True
    try:
        with briefly():
            write()
    except OperationalError as error:
        if is_disk_full(error):  # a read goes on without it (vaka.faults)
            log.warning("side write skipped, the disk is full: %s", _name(write))
            return False
        if not is_database_busy(error):
            raise
        log.info("side write skipped, the database is busy: %s", _name(write))
        return False
    return True


def keep(kind: str, data: dict[str, Any], *, at: datetime | None = None) -> Any:
    """Write ``data`` as the :data:`APPLIERS` of ``kind`` does, at once if the database is
    free within ``SIDE_WRITE_WAIT`` (the applier's result), else into the spool (None).

    ``data`` must be JSON (ids, text, numbers); ``at`` (now by default) is when it happened,
    kept when it is written later."""
    at = at or timezone.now()
    apply = _applier(kind)
    if connection.in_atomic_block:
        return apply(data, at)
    if pending():  # behind what waits already, so the order holds
        _append(kind, data, at)
        return None
    try:
        with briefly():
            return apply(data, at)
    except OperationalError as error:
        if not is_database_busy(error):
            raise
    _append(kind, data, at)
    log.info("side write spooled, the database is busy: %s", kind)
    return None


# --- The spool ---------------------------------------------------------------------------

def spool_path() -> Path:
    return Path(settings.DEFERRED_WRITES_DIR) / "writes.jsonl"


def rejected_path() -> Path:
    return Path(settings.DEFERRED_WRITES_DIR) / "rejected.jsonl"


def pending() -> bool:
    """Whether the spool holds writes (one ``stat``: cheap enough for every request)."""
    try:
        return spool_path().stat().st_size > 0
    except FileNotFoundError:
        return False


@dataclass(frozen=True)
class Spooled:
    id: uuid.UUID
    kind: str
    data: dict[str, Any]
    at: datetime
    line: bytes


@contextmanager
def _spool_lock(wait: bool = True) -> Iterator[bool]:
    """The spool's lock (a file beside it), held by whoever appends to or flushes it;
    without ``wait``, False when another holds it."""
    folder = Path(settings.DEFERRED_WRITES_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(folder / "writes.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _append(kind: str, data: dict[str, Any], at: datetime) -> None:
    line = json.dumps({"id": uuid.uuid4().hex, "kind": kind, "at": at.isoformat(),
                       "data": data}, separators=(",", ":"), sort_keys=True).encode() + b"\n"
    if getattr(_here, "flushing", False):  # made while this thread flushes: it holds the lock
        _write_durably(spool_path(), line)
        return
    with _spool_lock():
        _write_durably(spool_path(), line)


def _write_durably(path: Path, data: bytes) -> None:
    """Append ``data`` and fsync; a line cut short by a crash is ended first, so it spoils
    no other line."""
    new = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_spool() -> tuple[list[Spooled], list[bytes], int]:
    """The spooled writes in order, the lines that are not one (cut short, altered), and
    the size read."""
    try:
        raw = spool_path().read_bytes()
    except FileNotFoundError:
        return [], [], 0
    good, bad = [], []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            good.append(Spooled(uuid.UUID(item["id"]), str(item["kind"]), dict(item["data"]),
                                datetime.fromisoformat(item["at"]), line))
        except (ValueError, KeyError, TypeError):
            bad.append(line)
    return good, bad, len(raw)


def flush() -> int:
    """Write what the spool holds, in order; how many writes were applied. Stops at the
    first batch the database is too busy for (the rest waits for the next flush). Never
    inside a transaction, and never two at once (another process flushing: 0 at once)."""
    global _next_flush
    if connection.in_atomic_block or not pending() or time.monotonic() < _next_flush:
        return 0
    if not _flush_guard.acquire(blocking=False):
        return 0
    try:
        with _spool_lock(wait=False) as mine:
            if not mine:
                return 0
            _here.flushing = True
            try:
                applied, complete = _apply_spool()
            finally:
                _here.flushing = False
        if not complete:
            _next_flush = time.monotonic() + RETRY_AFTER_BUSY
        if applied:
            log.info("deferred writes: %d written from the spool", applied)
        return applied
    finally:
        _flush_guard.release()


def _apply_spool() -> tuple[int, bool]:
    """Apply the spool in order, and empty it when all of it is applied: (how many were
    applied, whether all were). Under the spool's lock."""
    entries, bad, size = _read_spool()
    rejected: list[tuple[bytes, str]] = []  # from committed batches only
    applied = 0
    try:
        for start in range(0, len(entries), BATCH):
            applied += _apply_batch(entries[start:start + BATCH], rejected)
    except OperationalError as error:
        if not is_database_busy(error) and not is_disk_full(error):  # both: the next flush
            raise
        return applied, False
    finally:
        _reject(rejected)
    if spool_path().stat().st_size != size:  # a write made meanwhile (by an applier) joined
        more, complete = _apply_spool()
        return applied + more, complete
    _reject([(line, "not a spooled write") for line in bad])
    _empty_spool()
    return applied, True


def flush_quietly() -> int:
    """:func:`flush` for callers that must go on whatever happens (after a request, in the
    scheduler's round, at start): an error is logged, not raised."""
    try:
        return flush()
    except Exception:
        log.exception("deferred writes: the spool could not be written to the database")
        return 0


def flush_after_request(**kwargs: Any) -> None:
    """``request_finished``: flush the spool if it holds anything, then close the
    connection that took (connections last one request, ``CONN_MAX_AGE`` 0)."""
    if not pending() or connection.in_atomic_block:
        return
    flush_quietly()
    if not connection.settings_dict.get("CONN_MAX_AGE"):
        connection.close()


def _apply_batch(batch: list[Spooled], rejected: list[tuple[bytes, str]]) -> int:
    """Apply ``batch`` in one transaction; a write that fails for another reason than a
    busy database (a record gone since) goes to ``rejected``, marked like the others."""
    from vaka.policy.models import AppliedDeferredWrite

    failed: list[tuple[bytes, str]] = []
    applied = 0
    try:
        with briefly():
            done = set(AppliedDeferredWrite.objects.filter(
                pk__in=[e.id for e in batch]).values_list("pk", flat=True))
            for entry in batch:
                if entry.id in done:
                    continue
                try:
                    with transaction.atomic():
                        _applier(entry.kind)(entry.data, entry.at, late=True)
                except OperationalError as error:
                    if is_database_busy(error) or is_disk_full(error):  # kept for later
                        raise
                    failed.append((entry.line, str(error)))
                except Exception as error:  # set aside, never blocking the rest
                    failed.append((entry.line, f"{type(error).__name__}: {error}"))
                else:
                    applied += 1
                AppliedDeferredWrite.objects.create(pk=entry.id)
    except DatabaseError as error:
        if is_database_busy(error) or is_disk_full(error):
            raise
        if len(batch) > 1:  # a write failed only at commit (a deferred constraint)
            return sum(_apply_batch([entry], rejected) for entry in batch)
        rejected.append((batch[0].line, str(error)))
        touch(lambda: AppliedDeferredWrite.objects.create(pk=batch[0].id))
        return 0
    rejected.extend(failed)
    return applied


def _reject(rejected: list[tuple[bytes, str]]) -> None:
    if not rejected:
        return
    lines = b"".join(json.dumps({"error": reason, "line": line.decode(errors="replace")},
                                separators=(",", ":")).encode() + b"\n"
                     for line, reason in rejected)
    _write_durably(rejected_path(), lines)
    log.error("deferred writes: %d could not be applied, kept in %s", len(rejected),
              rejected_path())


def _empty_spool() -> None:
    """Everything in the spool is applied: empty it, then forget the marks (under the lock,
    so no write appended meanwhile loses its mark)."""
    from vaka.policy.models import AppliedDeferredWrite

    fd = os.open(spool_path(), os.O_WRONLY)
    try:
        os.ftruncate(fd, 0)
        os.fsync(fd)
    finally:
        os.close(fd)
    touch(lambda: AppliedDeferredWrite.objects.all().delete())


def _applier(kind: str) -> Callable[..., Any]:
    return import_string(APPLIERS[kind])


def _name(write: Callable[[], object]) -> str:
    return getattr(write, "__qualname__", repr(write))
