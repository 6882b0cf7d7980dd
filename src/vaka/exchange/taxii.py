"""TAXII 2.1 over the STIX store: collections as saved filters, seen through the policy.

A collection is a saved filter (the query parameters of ``GET /api/objects/``); what a
reader gets is the filter's result among the records *that reader* may see
(``selectors.objects_for``), so two readers of one collection may get different objects.

Paging is by keyset on (date added, row id): a ``next`` token names the last row served,
so each page costs the same whatever its depth and nothing is skipped or repeated while
new objects arrive. ``match[version]=last`` (the default) reads the current objects, whose
date added is when their current version arrived; ``first``, ``all`` and timestamps read
the stored versions.
"""

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import msgspec
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from vaka.directory.models import Community, Organisation, User
from vaka.directory.roles import Capability
from vaka.exchange.models import Collection
from vaka.intel import selectors
from vaka.intel.filtersets import StixObjectFilter
from vaka.intel.models import StixObject, StixObjectVersion
from vaka.intel.outgoing import shared_stix
from vaka.policy import audit
from vaka.policy.services import Markings, clean_markings

TAXII_TYPE = "application/taxii+json;version=2.1"
STIX_TYPE = "application/stix+json;version=2.1"
MAX_PAGE = 1000


class TaxiiError(Exception):
    """Becomes a TAXII error message with ``status``."""

    def __init__(self, status: int, title: str, description: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.description = status, title, description

    def body(self) -> dict[str, Any]:
        error = {"title": self.title, "http_status": str(self.status)}
        if self.description:
            error["description"] = self.description
        return error


def timestamp(moment: datetime) -> str:
    """A TAXII timestamp: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str, parameter: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise TaxiiError(400, f"{parameter} is not a timestamp",
                         f"{text!r}: use RFC 3339, e.g. 2026-01-10T08:00:00.000Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- collections -------------------------------------------------------------------------

def collections_for(user: User) -> QuerySet[Collection]:
    """Collections the user may use: open to all, or to the user's communities."""
    mine = Q(readers__members=user.organisation_id) if user.organisation_id else Q(pk=None)
    return Collection.objects.filter(Q(readers=None) | mine).distinct()


def collection_for(user: User, key: str) -> Collection:
    """By id or alias; 404 whether it does not exist or is not the user's to use."""
    collections = collections_for(user)
    try:
        found = collections.filter(pk=key).first()
    except ValidationError:  # not a UUID: perhaps an alias
        found = None
    found = found or collections.filter(alias=key).first()
    if found is None:
        raise TaxiiError(404, "No such collection", f"{key!r} is not a collection you can use.")
    return found


def may_write(user: User, collection: Collection) -> bool:
    return collection.can_write and user.can(Capability.CONTRIBUTE)


def collection_resource(collection: Collection, user: User) -> dict[str, Any]:
    resource = {"id": str(collection.id), "title": collection.title, "can_read": True,
                "can_write": may_write(user, collection), "media_types": [STIX_TYPE]}
    if collection.description:
        resource["description"] = collection.description
    if collection.alias:
        resource["alias"] = collection.alias
    return resource


def collection_objects(user: User, collection: Collection) -> QuerySet[StixObject]:
    """The collection's objects that the user may see now (revoked ones included: their
    versions, the revocation among them, are served by ``match[version]``)."""
    objects = selectors.objects_for(user, include_revoked=True)
    filters = {k: v for k, v in (collection.filters or {}).items() if v not in ("", None)}
    if filters:
        filterset = StixObjectFilter(data=filters, queryset=objects)
        if not filterset.is_valid():  # an admin saved a filter that no longer holds
            return objects.none()
        objects = filterset.qs
    return objects


# --- defining collections ------------------------------------------------------------------

MESSAGES_PER_FIELD = 3  # of the organisations a field fails for, the ones named


def writers(readers: Iterable[Community]) -> QuerySet[Organisation]:
    """The organisations whose users may add objects to a collection read by ``readers``
    (every local organisation when it names none)."""
    readers = list(readers)
    local = Organisation.objects.filter(is_active=True, origin__isnull=True)
    return local.filter(communities__in=readers).distinct() if readers else local


def check_write_markings(markings: Markings, readers: Iterable[Community]) -> None:
    """Objects added through TAXII are owned by the adding user's organisation, so the
    collection's markings must hold for every organisation that may add them (TLP:RED's
    adder becomes a recipient at each push). Raises ``ValidationError`` keyed by field,
    naming a few of the organisations a field fails for."""
    errors: dict[str, list[str]] = {}
    for organisation in writers(readers):
        try:
            clean_markings(organisation, None, replace(markings))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                kept = errors.setdefault(name, [])
                for message in messages:
                    if message not in kept and len(kept) < MESSAGES_PER_FIELD:
                        kept.append(message)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_collection(collection: Collection, *, readers: Iterable[Community],
                    markings: Markings, user: User, request: Any = None) -> Collection:
    """Create or change a collection (platform admins only): its saved filter, readers and
    the markings of the objects added to it, checked for whoever may add them when it
    accepts objects."""
    if not user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied(_("Only platform admins manage TAXII collections."))
    readers = list(readers)
    if collection.can_write:
        check_write_markings(markings, readers)
    created = collection._state.adding
    if created:
        collection.created_by = user
    collection.alias = collection.alias or None
    collection.set_marking_columns(markings)
    collection.save()
    collection.readers.set(readers)
    collection.set_marking_relations(markings)
    audit.record(audit.Action.CREATE if created else audit.Action.UPDATE, actor=user,
                 target=collection, request=request, detail={
                     "filters": collection.filters, "readers": sorted(c.name for c in readers),
                     "can_write": collection.can_write, "tlp": collection.tlp,
                     "distribution": collection.distribution, "pap": collection.pap,
                     "handling": collection.handling,
                     "communities": sorted(c.name for c in markings.communities),
                     "recipient_organisations": sorted(
                         o.pk for o in markings.recipient_organisations),
                     "recipients": sorted(u.pk for u in markings.recipients)})
    return collection


# --- the query parameters ----------------------------------------------------------------

@dataclass
class Query:
    added_after: datetime | None = None
    limit: int = MAX_PAGE
    after: tuple[datetime, int] | None = None  # from ``next``
    ids: list[str] | None = None
    types: list[str] | None = None
    versions: list[str] | None = None  # "last" (default), "first", "all", timestamps
    spec_versions: list[str] | None = None

    @property
    def version_mode(self) -> str:
        versions = self.versions or ["last"]
        return "last" if versions == ["last"] else "versions"


def _listed(params: Any, name: str) -> list[str] | None:
    raw = params.get(name)
    if raw is None:
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if not values:
        raise TaxiiError(400, f"{name} is empty")
    return values


def read_query(params: Any, *, allow: Iterable[str]) -> Query:
    """The filter parameters of a GET; unknown ones are refused, naming them."""
    allowed = set(allow)
    for name in params:
        if name not in allowed:
            raise TaxiiError(400, f"unknown parameter {name}",
                             f"This endpoint takes: {', '.join(sorted(allowed))}.")
    query = Query()
    if "added_after" in params:
        query.added_after = parse_timestamp(params["added_after"], "added_after")
    if "limit" in params:
        try:
            query.limit = int(params["limit"])
        except ValueError:
            raise TaxiiError(400, "limit must be a positive integer") from None
        if query.limit < 1:
            raise TaxiiError(400, "limit must be a positive integer")
        query.limit = min(query.limit, MAX_PAGE)
    if params.get("next"):
        query.after = read_next(params["next"])
    query.ids = _listed(params, "match[id]")
    query.types = _listed(params, "match[type]")
    query.spec_versions = _listed(params, "match[spec_version]")
    query.versions = _listed(params, "match[version]")
    for version in query.versions or ():
        if version not in ("first", "last", "all"):
            parse_timestamp(version, "match[version]")
    return query


def make_next(added: datetime, row: int) -> str:
    text = f"{timestamp(added)}|{row}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_next(token: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        moment, row = text.split("|")
        return parse_timestamp(moment, "next"), int(row)
    except (ValueError, binascii.Error, UnicodeDecodeError, TaxiiError):
        raise TaxiiError(400, "next is not a token this server gave",
                         "Repeat the request without next to start again.") from None


# --- selecting rows ----------------------------------------------------------------------

class RowAfter(Func):
    """``(a, b) > (c, d)``: a row-value comparison, which SQLite and PostgreSQL answer with
    a range scan of the (date added, id) index. The equivalent ``a > c OR (a = c AND
    b > d)`` is not: with many rows added at the same moment (one submission), each page
    would rescan them from the first, and paging would grow quadratic."""

    output_field = BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        parts = [compiler.compile(e) for e in self.get_source_expressions()]
        (a, pa), (b, pb), (c, pc), (d, pd) = parts
        return f"({a}, {b}) > ({c}, {d})", (*pa, *pb, *pc, *pd)


@dataclass
class Row:
    """One object version as served: its row, when it was added, its STIX."""

    key: int
    added: datetime
    stix_id: str
    version: datetime | None
    data: dict[str, Any]
    tlp: str

    @property
    def version_text(self) -> str:
        return timestamp(self.version or self.added)


def _restrict(objects: QuerySet[StixObject], query: Query) -> QuerySet[StixObject]:
    if query.ids:
        objects = objects.filter(stix_id__in=query.ids)
    if query.types:
        objects = objects.filter(type__in=query.types)
    if query.spec_versions and "2.1" not in query.spec_versions:
        objects = objects.none()  # the store holds STIX 2.1 (2.0 is upgraded on the way in)
    return objects


def select(objects: QuerySet[StixObject], query: Query, user: User
           ) -> tuple[list[Row], bool]:
    """One page of rows (ordered by date added) and whether more follow.

    ``match[version]=last`` serves the current versions of ``objects`` (the collection's
    objects the user may see), revoked ones left out; any other ``match[version]`` serves
    the stored versions of those objects that are in the user's audience each, marked
    as that version was."""
    objects = _restrict(objects, query)
    if query.version_mode == "last":
        rows = objects.filter(revoked=False).order_by().annotate(
            _added=F("modified"), _version=Coalesce("stix_modified", "stix_created"))
        fields = ("pk", "_added", "stix_id", "_version", "data", "tlp")
    else:
        rows = selectors.versions_for(user, objects).annotate(
            _added=F("added"), _version=Coalesce("stix_modified", "object__stix_created"),
            _stix_id=F("object__stix_id"), _data=Coalesce("data", "object__data"))
        rows = versions_wanted(rows, query.versions or [])
        fields = ("pk", "_added", "_stix_id", "_version", "_data", "tlp")
    if query.added_after is not None:
        rows = rows.filter(_added__gt=query.added_after)
    if query.after is not None:
        moment, key = query.after
        rows = rows.filter(RowAfter(F("_added"), F("pk"),
                                    Value(moment, output_field=DateTimeField()), Value(key)))
    found = [Row(*values) for values in
             rows.order_by("_added", "pk").values_list(*fields)[:query.limit + 1]]
    return found[:query.limit], len(found) > query.limit


def versions_wanted(rows: QuerySet, versions: list[str]) -> QuerySet:
    if "all" in versions:
        return rows
    wanted = Q(pk=None)
    for version in versions:
        if version == "last":
            wanted |= Q(data=None)  # the current version keeps its JSON on the object
        elif version == "first":
            wanted |= ~Exists(StixObjectVersion.objects.filter(
                object=OuterRef("object"), stix_modified__lt=OuterRef("stix_modified")))
        else:
            wanted |= Q(stix_modified=parse_timestamp(version, "match[version]"))
    return rows.filter(wanted)


# --- resources ---------------------------------------------------------------------------

_encode = msgspec.json.Encoder().encode


def envelope(rows: list[Row], more: bool, query: Query) -> bytes:
    body: dict[str, Any] = {"more": more}
    if more and rows:
        body["next"] = make_next(rows[-1].added, rows[-1].key)
    if rows:
        body["objects"] = [shared_stix(row.data, row.tlp) for row in rows]
    return _encode(body)


def manifest(rows: list[Row], more: bool) -> bytes:
    body: dict[str, Any] = {"more": more}
    if more and rows:
        body["next"] = make_next(rows[-1].added, rows[-1].key)
    if rows:
        body["objects"] = [{"id": row.stix_id, "date_added": timestamp(row.added),
                            "version": row.version_text, "media_type": STIX_TYPE}
                           for row in rows]
    return _encode(body)


def added_headers(rows: list[Row]) -> dict[str, str]:
    if not rows:
        return {}
    return {"X-TAXII-Date-Added-First": timestamp(rows[0].added),
            "X-TAXII-Date-Added-Last": timestamp(rows[-1].added)}
