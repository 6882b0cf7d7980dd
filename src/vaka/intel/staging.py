"""On SQLite an ingest stages its submission, then writes it in one short final step.

SQLite lets one transaction write at a time. Written in one transaction from its first
object to its last, a 300,000-object bundle held that lock for its whole run (about 100 s):
every other write of the instance (sign-ins, audit entries, corrections, hit notices) waited
for it and failed "database is locked". So on SQLite an ingest does all its work (parsing,
validation, looking up stored records, building rows, correlation) without the write lock,
putting what it would write into TEMP tables of its own connection. TEMP tables are private
to the connection, take no lock on the database and vanish with it (their file is deleted
as soon as it is opened): a killed ingest leaves nothing behind. The final step moves them
into the real tables with a few set-based statements (INSERT … SELECT, UPDATE … FROM) in
one transaction, so readers still see the whole submission or nothing of it.

New objects get their ids while staged: each batch reserves them (SQLite's AUTOINCREMENT
counter, so no other row takes them) and writes their full-text rows at once, in its own
short transaction. Those rows point at no object until the final step, and every search
joins the full-text table to the objects, so they show nothing; indexing the text was half
of the final step. What a rejected or killed ingest wrote there is deleted when it ends, or
by the next ingest (rows past the last object).

Measured with ``bench/ingest_lock.py`` (300,000 indicators, 2 cores): the lock is held
for the final step only, about a fifth of the ingest (7.7 s of 36 s; written in one
transaction, all 39 s), with the same peak memory (the staged rows are in a file) and the
same total time (0.94x; 0.55x to 1.6x on a loaded machine). The final step is the
database's own work of inserting the rows into the tables and their indexes, so it grows
with the submission.

Ingests take turns (``intel.ingest_turn``), so no other ingest changes what a staged one
read. Other writers may: a correction, re-mark or deletion of a record the submission adds a
version to, or a record made meanwhile with one of its new ids. The final step checks for
them and refuses the submission (``Conflict``), to be sent again: nothing is overwritten
silently.

A small input (up to ``SMALL_INPUT`` bytes: a paste, a typical API submission) is written
in one transaction as before: it holds the lock for milliseconds, and setting up a stage
cost more than the writing (a 5-object bundle took 20 ms of CPU staged, 11 ms without).

On PostgreSQL (MVCC: readers and other writers never wait for an ingest) a submission keeps
its single transaction and nothing is staged.
"""

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import DatabaseError, connection, transaction

from vaka.inbox import services as inbox
from vaka.intel import bulk
from vaka.intel.models import HitNotification, Observable, StixObject, StixObjectVersion

PREFIX = "vaka_stage_"
OBJECTS, VERSIONS, OBSERVABLES = f"{PREFIX}objects", f"{PREFIX}versions", f"{PREFIX}index"
BASES, NOTES, NOTICES = f"{PREFIX}bases", f"{PREFIX}notes", f"{PREFIX}notices"
BASE_COLUMNS = ["version_key", *bulk.MARK_COLUMNS, "audience_id"]
SMALL_INPUT = 256 * 1024  # bytes: written in one transaction, not staged (see above)


class Conflict(Exception):
    """Records the submission builds on changed after it read them (see the docstring)."""


def _q(names: Iterable[str], table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + connection.ops.quote_name(n) for n in names)


@contextlib.contextmanager
def session(size: int | None = None) -> Iterator["Stage | None"]:
    """A fresh stage for one submission on SQLite (None on other databases, and for an
    input of ``size`` bytes up to ``SMALL_INPUT``; None: its size is not known, a stream);
    its tables are dropped at the end, whatever happens."""
    if connection.vendor != "sqlite" or (size is not None and size <= SMALL_INPUT):
        yield None
        return
    # Staged rows go to a file (deleted by the system as soon as it is opened, so a killed
    # process leaves none), not to memory as Vaka's other temporary tables do: a large
    # submission would take gigabytes. A caller's transaction forbids the change, and
    # keeps its input small (a feed's page, a sync's group).
    on_file = not connection.in_atomic_block
    if on_file:
        _temp_store("FILE")
    stage = Stage()
    try:
        yield stage
    finally:
        with contextlib.suppress(DatabaseError):  # a broken connection takes them along
            stage.forget_text()
            stage.drop()
            if on_file:
                _temp_store("MEMORY")


def _temp_store(where: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA temp_store = {where}")


class Stage:
    """The TEMP tables of one submission. New objects are numbered -1, -2, … (``ref``)
    until the final step gives them their ids; stored objects keep theirs."""

    def __init__(self) -> None:
        self.last_ref = 0
        self.drop()  # what an earlier submission on this connection failed to drop
        objects, versions = StixObject._meta.db_table, StixObjectVersion._meta.db_table
        with connection.cursor() as cursor:
            # Columns as the real tables'; the submission's id is set at the final step.
            cursor.execute(f"CREATE TEMP TABLE {OBJECTS} (ref INTEGER PRIMARY KEY, "
                           f"{_q(bulk.OBJECT_COLUMNS)})")
            cursor.execute(f"CREATE INDEX temp.{OBJECTS}_stix ON {OBJECTS} (stix_id)")
            cursor.execute(f"CREATE TEMP TABLE {VERSIONS} ({_q(bulk.VERSION_COLUMNS)})")
            cursor.execute(f"CREATE INDEX temp.{VERSIONS}_ref ON {VERSIONS} (object_id)")
            cursor.execute(f"CREATE TEMP TABLE {OBSERVABLES} ({_q(bulk.OBSERVABLE_COLUMNS)})")
            cursor.execute(f"CREATE INDEX temp.{OBSERVABLES}_ref ON {OBSERVABLES} "
                           "(object_id)")
            cursor.execute(f"CREATE TEMP TABLE {BASES} (ref INTEGER PRIMARY KEY, "
                           f"{_q(BASE_COLUMNS)})")
            cursor.execute(f"CREATE TEMP TABLE {NOTES} ({_q(bulk.NOTIFICATION_COLUMNS)})")
            cursor.execute(f"CREATE TEMP TABLE {NOTICES} ({_q(inbox.notice_columns())})")
        self.watermark = bulk.last_object_id()  # objects made after it: not read
        self.owners: set[int] = set()
        self._tables = (objects, versions)
        with connection.cursor() as cursor:
            cursor.execute("SELECT MAX(seq) FROM sqlite_sequence WHERE name = %s", [objects])
            used = cursor.fetchone()
        self.base = max(self.watermark, (used[0] or 0) if used else 0)  # new ids follow it
        self._forget_text_after(self.watermark)  # an earlier ingest's, killed

    def _forget_text_after(self, last: int) -> None:
        """Delete the full-text rows past object id ``last`` that belong to no object."""
        orphan = (f"rowid > %s AND rowid NOT IN (SELECT id FROM {self._tables[0]} "  # noqa: S608
                  "WHERE id > %s)")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM intel_object_search WHERE {orphan} LIMIT 1",  # noqa: S608
                           [last, last])
            if cursor.fetchone() is None:
                return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM intel_object_search WHERE {orphan}", [last, last])  # noqa: S608

    def forget_text(self) -> None:
        """Delete what ``_index_new_text`` wrote if the submission was not written."""
        if self.last_ref:
            self._forget_text_after(self.base)

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for table in (OBJECTS, VERSIONS, OBSERVABLES, BASES, NOTES, NOTICES):
                cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        """A cursor whose statements commit together: TEMP tables only, so the database's
        write lock is never taken (one transaction per row would cost twice the time)."""
        with connection.cursor() as cursor:
            if connection.in_atomic_block:  # a caller's transaction holds them already
                yield cursor
                return
            cursor.execute("BEGIN")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    # --- while the submission is read -------------------------------------------------------

    def existing(self, stix_ids: list[str]) -> dict[str, tuple]:
        """stix_id → the staged object with that id, as ``bulk.existing_objects`` gives
        rows: (ref, version_key, stix_modified, stix_created, markings, audience_id)."""
        found: dict[str, tuple] = {}
        for ref, stix_id, key, modified, created, audience_id, *values in bulk.rows_in(
                f"SELECT ref, stix_id, version_key, stix_modified, stix_created, "  # noqa: S608
                f"audience_id, {_q(bulk.MARK_COLUMNS)} FROM {OBJECTS} "
                "WHERE stix_id IN ({marks})", stix_ids):
            row = (ref, key, bulk.from_db(modified), bulk.from_db(created), tuple(values),
                   audience_id)
            found[stix_id] = max(found.get(stix_id, row), row)
        return found

    def known_versions(self, refs: list[int]) -> set[tuple[int, str]]:
        return set(bulk.rows_in(f"SELECT object_id, version_key FROM {VERSIONS} "  # noqa: S608
                                "WHERE object_id IN ({marks})", refs))

    def write(self, creates: list[tuple[str, tuple]], updates: list[tuple[int, tuple]],
              versions: list[tuple], index: list[tuple], bases: list[tuple]) -> dict[str, int]:
        """Stage a batch: new objects (stix_id, row), rewritten ones (ref, row), version
        rows and index rows (object ids or stix_ids of new objects first), and the stored
        rows they build on (``existing`` form). Returns the refs given to new objects."""
        refs = {}
        for stix_id, _row in creates:
            self.last_ref -= 1
            refs[stix_id] = self.last_ref
        rows = [(refs[stix_id], *row) for stix_id, row in creates]
        rows += [(ref, *row) for ref, row in updates]
        columns = ["ref", *bulk.OBJECT_COLUMNS]
        rewritten = [(ref,) for ref, _row in updates]
        self._index_new_text(rows)
        with self._writing() as cursor:
            # A staged object written again: its staged current version keeps its JSON.
            cursor.executemany(
                f"UPDATE {VERSIONS} SET data = (SELECT o.data FROM {OBJECTS} o "  # noqa: S608
                f"WHERE o.ref = {VERSIONS}.object_id) WHERE data IS NULL AND object_id = %s",
                rewritten)
            cursor.executemany(f"INSERT OR IGNORE INTO {BASES} VALUES "  # noqa: S608
                               f"({', '.join(['%s'] * (1 + len(BASE_COLUMNS)))})",
                               [(pk, key, *marks, audience_id)
                                for pk, key, _mod, _created, marks, audience_id in bases])
            cursor.executemany(f"INSERT OR REPLACE INTO {OBJECTS} ({_q(columns)}) "  # noqa: S608
                               f"VALUES ({', '.join(['%s'] * len(columns))})", rows)
            cursor.executemany(f"DELETE FROM {OBSERVABLES} WHERE object_id = %s",  # noqa: S608
                               rewritten)
            for table, columns, batch in (
                    (VERSIONS, bulk.VERSION_COLUMNS, versions),
                    (OBSERVABLES, bulk.OBSERVABLE_COLUMNS, index)):
                at = columns.index("object_id")
                cursor.executemany(
                    f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(columns))})",  # noqa: S608
                    [(*row[:at], refs.get(row[at], row[at]), *row[at + 1:]) for row in batch])
        return refs

    def _index_new_text(self, rows: list[tuple]) -> None:
        """Reserve the ids of these new objects and write their full-text rows, in one short
        transaction of the database's (see the module docstring)."""
        new = [row for row in rows if row[0] < 0]
        if not new:
            return
        name, description = (1 + bulk.OBJECT_COLUMNS.index(c) for c in ("name", "description"))
        ids = [self.base - row[0] for row in new]
        objects = self._tables[0]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s AND seq < %s",
                           [max(ids), objects, max(ids)])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) SELECT %s, %s WHERE NOT "
                           "EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                           [objects, max(ids), objects])
            cursor.executemany("DELETE FROM intel_object_search WHERE rowid = %s",
                               [(pk,) for pk in ids])
            cursor.executemany("INSERT INTO intel_object_search (rowid, name, description) "
                               "VALUES (%s, %s, %s)",
                               [(pk, row[name], row[description])
                                for pk, row in zip(ids, new, strict=True)])

    def notify(self, notes: list[tuple], notices: list[tuple], owners: list[int]) -> None:
        """Stage hit notifications (``bulk.NOTIFICATION_COLUMNS``) and inbox notices
        (``inbox.hit_notices``), sent at the final step."""
        with self._writing() as cursor:
            for table, rows in ((NOTES, notes), (NOTICES, notices)):
                if rows:
                    cursor.executemany(f"INSERT INTO {table} VALUES "  # noqa: S608
                                       f"({', '.join(['%s'] * len(rows[0]))})", rows)
        self.owners.update(owners)

    # --- the final step ----------------------------------------------------------------------

    def check(self, owner_id: int) -> None:
        """Raise ``Conflict`` if a record the submission builds on changed, or a record of
        the owner with one of its new ids was made, since it was read."""
        changed = " OR ".join(f"o.{c} IS NOT b.{c}" for c in _q(BASE_COLUMNS).split(", ")
                              if c != '"handling"')
        objects = self._tables[0]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {BASES} b LEFT JOIN {objects} o ON o.id = b.ref "  # noqa: S608
                f"WHERE o.id IS NULL OR {changed} OR json(o.handling) IS NOT "
                "json(b.handling) LIMIT 1")
            if cursor.fetchone():
                raise Conflict
            cursor.execute(
                f"SELECT 1 FROM {objects} o WHERE o.id > %s AND o.owner_id = %s AND "  # noqa: S608
                f"o.stix_id IN (SELECT stix_id FROM {OBJECTS} WHERE ref < 0) LIMIT 1",
                [self.watermark, owner_id])
            if cursor.fetchone():
                raise Conflict

    def apply(self, submission_id: int, owner_id: int) -> None:
        """Move the staged rows into the real tables; inside the caller's transaction."""
        self.check(owner_id)
        objects, versions = self._tables
        observables, notifications = Observable._meta.db_table, HitNotification._meta.db_table
        base = self.base
        with connection.cursor() as cursor:
            new_id = f"CASE WHEN {{t}}.object_id < 0 THEN {base} - {{t}}.object_id " \
                     f"ELSE {{t}}.object_id END"
            cols = [c for c in bulk.OBJECT_COLUMNS if c != "submission_id"]
            rewritten = f"(SELECT ref FROM {OBJECTS} WHERE ref > 0)"  # noqa: S608
            # The versions being superseded keep a copy of their JSON (bulk.py does too).
            cursor.execute(
                f"UPDATE {versions} SET data = (SELECT o.data FROM {objects} o "  # noqa: S608
                f"WHERE o.id = {versions}.object_id) WHERE data IS NULL AND object_id IN "
                f"{rewritten}")
            sets = ", ".join(f"{c} = s.{c}" for c in _q(cols).split(", "))
            cursor.execute(f"UPDATE {objects} SET {sets}, submission_id = %s "  # noqa: S608
                           f"FROM {OBJECTS} s WHERE s.ref > 0 AND {objects}.id = s.ref",
                           [submission_id])
            cursor.execute(f"INSERT INTO {objects} (id, {_q(cols)}, submission_id) "  # noqa: S608
                           f"SELECT {base} - ref, {_q(cols)}, %s FROM {OBJECTS} WHERE ref < 0 "
                           "ORDER BY ref DESC", [submission_id])
            vcols = [c for c in bulk.VERSION_COLUMNS if c not in ("object_id",
                                                                   "submission_id")]
            cursor.execute(
                f"INSERT INTO {versions} ({_q(vcols)}, object_id, submission_id) "  # noqa: S608
                f"SELECT {_q(vcols, 'v')}, {new_id.format(t='v')}, %s FROM {VERSIONS} v "
                "ORDER BY v.rowid", [submission_id])
            cursor.execute(f"DELETE FROM {observables} WHERE object_id IN {rewritten}")  # noqa: S608
            ocols = [c for c in bulk.OBSERVABLE_COLUMNS if c != "object_id"]
            cursor.execute(f"INSERT INTO {observables} (object_id, {_q(ocols)}) "  # noqa: S608
                           f"SELECT {new_id.format(t='i')}, {_q(ocols, 'i')} "
                           f"FROM {OBSERVABLES} i ORDER BY i.rowid")
            # New objects' words are there already (``_index_new_text``).
            cursor.execute(f"DELETE FROM intel_object_search WHERE rowid IN {rewritten}")  # noqa: S608
            cursor.execute("INSERT INTO intel_object_search (rowid, name, description) "  # noqa: S608
                           f"SELECT ref, name, description FROM {OBJECTS} WHERE ref > 0")
            # A record deleted meanwhile is not told of a hit (as inbox.notify_hits does).
            ncols = _q(bulk.NOTIFICATION_COLUMNS)
            cursor.execute(f"INSERT INTO {notifications} ({ncols}) SELECT {ncols} "  # noqa: S608
                           f"FROM {NOTES} WHERE object_id IN (SELECT id FROM {objects}) "
                           "ORDER BY rowid")
        if self.owners:
            inbox.upsert_notices_from(f"temp.{NOTICES}", self.owners)


