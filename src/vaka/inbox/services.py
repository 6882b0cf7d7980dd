"""Writes of the inbox: notices made and repeated, read state, the user's settings.

``notify`` upserts one notice, ``notify_many`` many; ``notify_hits`` upserts the notices of a
whole batch of hits in one statement (ingestion is benchmarked: no query per hit). E-mail
goes after the transaction commits (``vaka.inbox.mail``) and its failure never undoes the write.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import msgspec
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.inbox.models import InboxSettings, Notice, NoticeRead
from vaka.inbox.selectors import notices_for
from vaka.policy import audit, deferred
from vaka.policy.markings import Distribution

# (object id, value kind, value, value hash, asking organisation id, channel)
Hit = tuple[int, str, str, int, int | None, str]

# A repeat counts up and takes the current markings of what it is about; the params and
# target are the same for one group key by construction, so they are left alone.
_UPSERT_SET = ("count = {table}.count + excluded.count, last_at = excluded.last_at, "
               "tlp = excluded.tlp, audience_id = excluded.audience_id")


log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode
_IN_CHUNK = 5000  # ids per query, well inside SQLite's and PostgreSQL's limits


def _columns() -> list[str]:
    return [f.column for f in Notice._meta.concrete_fields if not f.primary_key]


def _rows(common: dict[str, Any], each: Iterable[dict[str, Any]]) -> list[tuple]:
    """Notice rows in ``_columns()`` order: ``common`` and then each row's own values, the
    model defaults for the rest (the handling and grading of a notice say nothing; its TLP
    and audience do), in the form the backend stores (times as the ORM writes them, so they
    compare). What all rows share is converted once: a batch can hold thousands."""
    fields = [f for f in Notice._meta.concrete_fields if not f.primary_key]
    shared = [f.get_db_prep_save(common.get(f.attname, f.get_default()), connection)
              for f in fields]
    # Per row only plain values (ids, text, counts) and JSON, encoded as bulk writes do.
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    return [tuple((_json(own[field.attname]) if field.attname in json_fields
                   else own[field.attname]) if field.attname in own else shared[i]
                  for i, field in enumerate(fields))
            for own in each]


def _json(value: Any) -> str:
    return _encode(value).decode()


def _upsert(rows: Sequence[tuple]) -> None:
    """Insert notices, or add to the count of the one already holding the group key."""
    if not rows:
        return
    table = Notice._meta.db_table
    columns = _columns()
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608
            f"ON CONFLICT (owner_id, kind, group_key) DO UPDATE SET "
            + _UPSERT_SET.format(table=table), list(rows))


def notify(*, kind: str, owner_id: int, group_key: str, tlp: str, audience_id: int | None,
           target_name: str = "", target_args: Sequence[Any] = (),
           params: dict[str, Any] | None = None, count: int = 1,
           at: datetime | None = None) -> None:
    """Tell organisation ``owner_id`` of something, within the audience ``tlp`` /
    ``audience_id`` of what it is about: a new notice, or the one with the same
    ``group_key`` counted up (and so unread again). ``params`` are rendered when read."""
    at = at or timezone.now()
    with transaction.atomic():
        _upsert(_rows({
            "distribution": Distribution.ORGANISATION, "tlp": tlp, "audience_id": audience_id,
            "owner_id": owner_id, "kind": kind, "group_key": group_key[:200], "count": count,
            "first_at": at, "last_at": at, "target_name": target_name,
            "target_args": list(target_args), "params": params or {}}, [{}]))
        _after_commit([owner_id])


def notify_many(notices: Iterable[dict[str, Any]], *, at: datetime | None = None) -> int:
    """``notify`` for many notices at once, each given as ``notify``'s keyword arguments
    (``at`` aside): one statement for them all, one mail job for their organisations. For
    a service telling many organisations of many things at once (deconfliction's clashes:
    thousands for a long list of targets)."""
    rows = [{"tlp": n["tlp"], "audience_id": n["audience_id"], "owner_id": n["owner_id"],
             "kind": n["kind"], "group_key": n["group_key"][:200], "count": n.get("count", 1),
             "target_name": n.get("target_name", ""),
             "target_args": list(n.get("target_args", ())), "params": n.get("params") or {}}
            for n in notices]
    if not rows:
        return 0
    at = at or timezone.now()
    with transaction.atomic():
        _upsert(_rows({"distribution": Distribution.ORGANISATION, "first_at": at,
                       "last_at": at}, rows))
        _after_commit(sorted({row["owner_id"] for row in rows}))
    return len(rows)


def notify_hits(hits: Iterable[Hit], *, at: datetime | None = None) -> int:
    """Tell the owners of the records in ``hits`` that someone outside their audience
    checked or ingested one of their values, one notice per (record, value, asking
    organisation, lookup or ingest): repeats count up. One query for the records'
    markings, one upsert."""
    rows, owners = hit_notices(hits, at=at)
    if not rows:
        return 0
    with transaction.atomic():
        _upsert(rows)
        _after_commit(owners)
    return len(rows)


def hit_notices(hits: Iterable[Hit], *, at: datetime | None = None
                ) -> tuple[list[tuple], list[int]]:
    """The notice rows ``notify_hits`` upserts (in ``notice_columns()`` order) and their
    owners, without writing them: an ingest on SQLite stages them and writes them with its
    submission (``upsert_notices_from``)."""
    from vaka.intel.models import StixObject

    grouped: dict[str, list[Any]] = {}
    for object_id, kind, value, hashed, asker_org, channel in hits:
        key = f"hit:{object_id}:{hashed}:{asker_org or 0}:{channel}"
        if key in grouped:
            grouped[key][1] += 1
        else:
            grouped[key] = [(object_id, kind, value, asker_org, channel), 1]
    if not grouped:
        return [], []
    object_ids = sorted({entry[0][0] for entry in grouped.values()})
    marks = {pk: (owner_id, tlp, audience_id)
             for start in range(0, len(object_ids), _IN_CHUNK)
             for pk, owner_id, tlp, audience_id in StixObject.objects.filter(
                 pk__in=object_ids[start:start + _IN_CHUNK]).values_list(
                 "pk", "owner_id", "tlp", "audience_id")}
    at = at or timezone.now()
    each, owners = [], set()
    for key, ((object_id, kind, value, asker_org, channel), count) in grouped.items():
        if object_id not in marks:
            continue
        owner_id, tlp, audience_id = marks[object_id]
        owners.add(owner_id)
        each.append({
            "tlp": tlp, "audience_id": audience_id, "owner_id": owner_id, "group_key": key,
            "count": count, "target_args": [object_id],
            "params": {"type": kind, "value": value, "organisation": asker_org,
                       "channel": channel}})
    rows = _rows({"distribution": Distribution.ORGANISATION, "kind": Notice.Kind.HIT,
                  "first_at": at, "last_at": at, "target_name": "intel:object"}, each)
    return rows, sorted(owners)


def notice_columns() -> list[str]:
    """The notice table's columns as ``hit_notices`` gives its rows."""
    return _columns()


def upsert_notices_from(table: str, owners: Iterable[int]) -> None:
    """Upsert the notice rows held in ``table`` (``notice_columns()``, in order), as
    ``notify_hits`` would have; within the caller's transaction."""
    target = Notice._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in _columns())
    with connection.cursor() as cursor:
        # "WHERE true": SQLite's parser needs it between a SELECT and ON CONFLICT.
        cursor.execute(
            f"INSERT INTO {target} ({names}) SELECT {names} FROM {table} WHERE true "  # noqa: S608
            f"ORDER BY rowid ON CONFLICT (owner_id, kind, group_key) DO UPDATE SET "
            + _UPSERT_SET.format(table=target))
    _after_commit(sorted(set(owners)))


def _hit_notices_of(object_ids: Sequence[int]) -> Any:
    """The hit notices about any of ``object_ids`` (their group keys start with the id)."""
    from django.db.models import Q

    about = Q()
    for pk in object_ids:
        about |= Q(group_key__startswith=f"hit:{pk}:")
    return Notice.objects.filter(about, kind=Notice.Kind.HIT)


def follow_records(objects: Iterable[Any]) -> None:
    """Hit notices take their records' markings now: a re-mark to TLP:RED takes the notice
    away from the people no longer in the record's audience at once, not at the next hit."""
    for obj in objects:
        _hit_notices_of([obj.pk]).filter(owner=obj.owner_id).update(
            tlp=obj.tlp, audience_id=obj.audience_id)


def forget_records(object_ids: Sequence[int]) -> None:
    """Hit notices about records that are gone go with them (as their hits do)."""
    for start in range(0, len(object_ids), 200):
        _hit_notices_of(object_ids[start:start + 200]).delete()


def notify_submission_problems(submission: Any) -> None:
    """A rejected or partly stored submission: its organisation's people in its audience
    are told there is something to look at."""
    notify(kind=Notice.Kind.SUBMISSION_PROBLEM, owner_id=submission.organisation_id,
           group_key=f"submission:{submission.pk}", tlp=submission.tlp,
           audience_id=submission.audience_id, target_name="intel:submission",
           target_args=[submission.pk],
           params={"status": submission.status, "rejected": submission.rejected})


def _after_commit(owner_ids: list[int]) -> None:
    transaction.on_commit(lambda: _enqueue_mail(owner_ids))


def _enqueue_mail(owner_ids: list[int]) -> None:
    """A worker sends the mail when there is a broker (no SMTP wait in the request);
    without one it runs here. Neither a broker nor a mail server that fails may fail the
    request whose notices are already stored."""
    from vaka.inbox import tasks

    try:
        tasks.send_immediate.delay(owner_ids)
    except Exception:
        log.exception("inbox: could not queue the mail for organisations %s", owner_ids)


# --- Read state ------------------------------------------------------------------------------

def open_notice(user: Any, pk: int) -> Notice:
    """The notice ``pk`` of ``user``, marked read (unless the database is busy: opening it
    still works, and the next opening marks it); 404 (``Notice.DoesNotExist``) when it is
    not theirs to see."""
    notice = notices_for(user).get(pk=pk)
    deferred.touch(lambda: mark_read(user, [notice.pk]))
    return notice


def mark_read(user: Any, notice_ids: Iterable[int]) -> int:
    """Mark these of ``user``'s notices read now; ids outside their inbox are ignored."""
    ids = list(notices_for(user).filter(pk__in=list(notice_ids)).values_list("pk", flat=True))
    return _read(user, ids)


def mark_all_read(user: Any) -> int:
    """Mark every unread notice of ``user`` read; how many were unread."""
    ids = list(notices_for(user).filter(unread=True).values_list("pk", flat=True))
    return _read(user, ids)


def _read(user: Any, ids: list[int]) -> int:
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        NoticeRead.objects.bulk_create(
            [NoticeRead(user=user, notice_id=pk, read_at=now) for pk in ids],
            update_conflicts=True, unique_fields=["user", "notice"], update_fields=["read_at"])
    return len(ids)


# --- Settings --------------------------------------------------------------------------------

def _settings_row(user: Any) -> InboxSettings:
    found, _created = InboxSettings.objects.select_for_update().get_or_create(user=user)
    return found


def update_settings(user: Any, *, email: str, request: Any = None) -> InboxSettings:
    """Set how ``user`` hears of new notices by e-mail: immediate, daily or none."""
    if email not in InboxSettings.Email.values:
        raise ValidationError({"email": _("Choose immediate, daily or none.")})
    with transaction.atomic():
        row = _settings_row(user)
        before = row.email
        row.email = email
        row.save(update_fields=["email"])
        audit.record("inbox_settings", actor=user, request=request, target=row,
                     detail={"email": [before, email]})
    return row


def mark_dashboard_seen(user: Any) -> datetime | None:
    """Record that ``user`` has just seen the dashboard; when they saw it before (None the
    first time), so the dashboard can show what is new since. Skipped while the database
    is busy (the dashboard still answers, and the next visit records it)."""
    now = timezone.now()
    before: list[datetime | None] = []

    def mark() -> None:
        row = _settings_row(user)
        before.append(row.dashboard_seen_at)
        row.dashboard_seen_at = now
        row.save(update_fields=["dashboard_seen_at"])

    if deferred.touch(mark):
        return before[0]
    return InboxSettings.objects.filter(user=user).values_list(
        "dashboard_seen_at", flat=True).first()
