"""Disseminated threat alerts and assessments in TAXII collections, as STIX reports.

A collection serves the reports of the products its reader may read when its saved filter
could only mean them too: no filter (everything), or ``type=report`` alone. Any other
filter (an owner, a label, a TLP, a search…) names properties of stored objects that a
product does not have one for one, so such a collection serves stored objects only.

Each released revision is a version of its product's report (``products.stix``), added
to the collection when it was disseminated. A reader gets the revisions in their own
audience, so the "current" report is the newest of those, not necessarily the product's
newest. Report rows share the collection's paging: they are keyed by (dissemination
time, minus the revision's row id), so they sort among the stored objects' (date added,
row id) keys without ever colliding, and one ``next`` token carries on through both.
"""

from datetime import timedelta
from typing import Any

from django.db.models import DateTimeField, F, Q, QuerySet, Value

from vaka.directory.models import User
from vaka.exchange.models import Collection
from vaka.exchange.taxii import Query, Row, RowAfter, parse_timestamp
from vaka.products import stix
from vaka.products.models import Revision

MILLISECOND = timedelta(milliseconds=1)


def serves_reports(collection: Collection) -> bool:
    filters = {k: v for k, v in (collection.filters or {}).items() if v not in ("", None)}
    return not filters or filters == {"type": "report"}


def _versions(revisions: QuerySet[Revision], versions: list[str]) -> QuerySet[Revision]:
    if "all" in versions:
        return revisions
    wanted = Q(pk=None)
    for version in versions:
        if version == "last":
            wanted |= Q(pk__in=stix.newest(revisions).values("pk"))
        elif version == "first":
            wanted |= Q(pk__in=stix.first(revisions).values("pk"))
        else:  # a report's version is its dissemination, written to the millisecond
            moment = parse_timestamp(version, "match[version]")
            wanted |= Q(released_at__gte=moment, released_at__lt=moment + MILLISECOND)
    return revisions.filter(wanted)


def held(user: User, collection: Collection, report_id: str) -> bool:
    """Whether the collection serves ``user`` a report of this id."""
    return serves_reports(collection) and stix.with_report_ids(
        stix.released_revisions(user), [report_id]).exists()


def report_rows(user: User, collection: Collection, query: Query) -> list[Row]:
    """Up to ``query.limit + 1`` report versions after the query's position, in key
    order, as :func:`vaka.exchange.taxii.select` reads stored objects."""
    if not serves_reports(collection) or (query.types and "report" not in query.types) \
            or (query.spec_versions and "2.1" not in query.spec_versions):
        return []
    revisions = stix.released_revisions(user)
    if query.ids:
        revisions = stix.with_report_ids(revisions, query.ids)
    if query.version_mode == "last":
        revisions = stix.newest(revisions)
    else:
        revisions = _versions(revisions, query.versions or [])
    rows = revisions.annotate(_key=-F("pk"))
    if query.added_after is not None:
        rows = rows.filter(released_at__gt=query.added_after)
    if query.after is not None:
        moment, key = query.after
        rows = rows.filter(RowAfter(F("released_at"), F("_key"),
                                    Value(moment, output_field=DateTimeField()), Value(key)))
    found = list(rows.select_related("product__owner")
                 .order_by("released_at", "_key")[:query.limit + 1])
    return [Row(-revision.pk, revision.released_at, data["id"],
                revision.released_at.replace(
                    microsecond=revision.released_at.microsecond // 1000 * 1000),
                data, revision.tlp)
            for revision, data in zip(found, stix.reports(user, found), strict=True)]


def with_reports(rows: list[Row], more: bool, user: User, collection: Collection,
                 query: Query) -> tuple[list[Row], bool]:
    """A page of stored objects (``select``'s answer) with the reports that sort among
    them: the first ``query.limit`` of both, and whether more follow."""
    reports = report_rows(user, collection, query)
    if not reports:
        return rows, more
    merged: list[Any] = sorted([*rows, *reports], key=lambda row: (row.added, row.key))
    return merged[:query.limit], more or len(merged) > query.limit
