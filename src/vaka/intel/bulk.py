"""Batched raw writes of the STIX store's rows: the hot path of ingestion.

For hundreds of thousands of rows the ORM's ``bulk_create`` spends most of its time
building model instances and preparing every field one by one (measured: ~70% of ingest
time). Here rows are plain tuples in the tables' column order, written with
``executemany``; JSON is encoded once, with msgspec. Everything else uses the ORM.
"""

import functools
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from django.db import connection

from vaka.intel.models import HitNotification, Observable, StixObject, StixObjectVersion
from vaka.policy.models import MARKING_FIELDS


def _columns(model: type) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


OBJECT_COLUMNS = _columns(StixObject)
# The markings as stored in a row (the audience is a column of its own).
MARK_COLUMNS = [name for name in MARKING_FIELDS if name != "audience"]
VERSION_COLUMNS = _columns(StixObjectVersion)
OBSERVABLE_COLUMNS = _columns(Observable)
NOTIFICATION_COLUMNS = _columns(HitNotification)
_encode = msgspec.json.Encoder().encode


def db_json(value: Any) -> str:
    return _encode(value).decode()


def db_time(moment: datetime | None) -> Any:
    """A datetime as the backend stores it (SQLite: naive UTC text, as Django writes it)."""
    if moment is None or connection.vendor != "sqlite":
        return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(" ")


@functools.lru_cache(maxsize=8192)
def stix_time(text: str | None) -> tuple[datetime | None, Any]:
    """A STIX timestamp as (datetime, stored form). Bundles repeat the same few
    timestamps thousands of times, so each distinct string is parsed once."""
    if not text:
        return None, None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, None
    return moment, db_time(moment)


def _insert(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def insert_objects(rows: list[tuple]) -> None:
    _insert(StixObject._meta.db_table, OBJECT_COLUMNS, rows)


def update_objects(rows: list[tuple]) -> None:
    """Rows in ``OBJECT_COLUMNS`` order followed by the primary key."""
    if not rows:
        return
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in OBJECT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {StixObject._meta.db_table} SET {sets} WHERE id = %s", rows)  # noqa: S608


IN_CHUNK = 5000  # parameters per query, well inside SQLite's and PostgreSQL's limits


def rows_in(sql: str, values: list[Any], *before: Any) -> Iterator[tuple]:
    """Run ``sql`` (with ``{marks}`` where the IN list goes) over ``values`` in chunks;
    building these lists through the ORM costs more than the queries themselves."""
    with connection.cursor() as cursor:
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start:start + IN_CHUNK]
            cursor.execute(sql.format(marks=", ".join(["%s"] * len(chunk))), [*before, *chunk])
            yield from cursor.fetchall()


def existing_objects(owner_id: int, stix_ids: list[str]) -> dict[str, list[tuple]]:
    """stix_id → the owner's objects with that id (usually one; more when a colleague
    could not see the first), each as (pk, version_key, stix_modified, stix_created,
    markings, audience_id) with the markings as the writer stores them."""
    table = StixObject._meta.db_table
    marks = ", ".join(connection.ops.quote_name(c) for c in MARK_COLUMNS)
    found: dict[str, list[tuple]] = {}
    for pk, stix_id, key, modified, created, audience_id, *values in rows_in(
            f"SELECT id, stix_id, version_key, stix_modified, stix_created, audience_id, "  # noqa: S608
            f"{marks} FROM {table} WHERE owner_id = %s AND stix_id IN ({{marks}})",
            stix_ids, owner_id):
        handling = values[3]
        values[3] = db_json(msgspec.json.decode(handling) if isinstance(handling, str | bytes)
                            else handling)
        found.setdefault(stix_id, []).append(
            (pk, key, from_db(modified), from_db(created), tuple(values), audience_id))
    return found




def known_versions(object_ids: list[int]) -> set[tuple[int, str]]:
    table = StixObjectVersion._meta.db_table
    return set(rows_in(f"SELECT object_id, version_key FROM {table} "  # noqa: S608
                       "WHERE object_id IN ({marks})", object_ids))


def new_object_ids(submission_id: int, after_id: int) -> dict[str, int]:
    """stix_id → pk of the rows a submission inserted since ``after_id``."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT stix_id, id FROM {StixObject._meta.db_table} "  # noqa: S608
                       "WHERE submission_id = %s AND id > %s", [submission_id, after_id])
        return dict(cursor.fetchall())


def last_object_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {StixObject._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0] or 0


def from_db(value: Any) -> datetime | None:
    """A datetime column read raw (SQLite gives naive UTC, as text or datetime)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def matching_observables(hashes: list[int], *, not_from_submission: int = 0
                         ) -> list[tuple[int, str, str]]:
    """(object id, kind, value) of indexed, non-warninglisted values with these hashes,
    leaving out revoked objects and those last written by submission
    ``not_from_submission``."""
    observables, objects = Observable._meta.db_table, StixObject._meta.db_table
    return list(rows_in(
        f"SELECT o.object_id, o.kind, o.value FROM {observables} o "  # noqa: S608
        f"JOIN {objects} s ON s.id = o.object_id WHERE o.warninglists = '' AND "
        "s.revoked = %s AND (s.submission_id IS NULL OR s.submission_id <> %s) "
        "AND o.value_hash IN ({marks})", hashes, False, not_from_submission))


def insert_versions(rows: list[tuple]) -> None:
    _insert(StixObjectVersion._meta.db_table, VERSION_COLUMNS, rows)


def keep_superseded_versions(object_ids: list[int]) -> None:
    """Before objects are overwritten, copy their current JSON into its version row."""
    versions, objects = StixObjectVersion._meta.db_table, StixObject._meta.db_table
    for start in range(0, len(object_ids), IN_CHUNK):
        chunk = object_ids[start:start + IN_CHUNK]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {versions} SET data = (SELECT o.data FROM {objects} o "  # noqa: S608
                f"WHERE o.id = {versions}.object_id) WHERE data IS NULL AND object_id IN "
                f"({', '.join(['%s'] * len(chunk))})", chunk)


def insert_notifications(rows: list[tuple]) -> None:
    _insert(HitNotification._meta.db_table, NOTIFICATION_COLUMNS, rows)


def replace_observables(object_ids: list[int], rows: list[tuple]) -> None:
    """Drop the index rows of re-written objects, then add ``rows``."""
    if object_ids:
        Observable.objects.filter(object_id__in=object_ids).delete()
    _insert(Observable._meta.db_table, OBSERVABLE_COLUMNS, rows)


def index_text(object_ids: list[int]) -> None:
    """(SQLite) put these objects' names and descriptions in the full-text table; on
    PostgreSQL a GIN index does this by itself."""
    if connection.vendor != "sqlite" or not object_ids:
        return
    table = StixObject._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(object_ids), IN_CHUNK):
            chunk = object_ids[start:start + IN_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM intel_object_search WHERE rowid IN ({marks})", chunk)  # noqa: S608
            cursor.execute(f"INSERT INTO intel_object_search (rowid, name, description) "  # noqa: S608
                           f"SELECT id, name, description FROM {table} WHERE id IN ({marks})",
                           chunk)
