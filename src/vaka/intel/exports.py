"""Exports of the STIX store — STIX 2.1 bundle, MISP JSON, CSV, blocklists — and the saved
export links that firewalls and DNS resolvers fetch.

Every export takes objects that have already been through the visibility policy
(``selectors.objects_for(user)``, then filtered): nothing here widens what anyone sees.
A filtered list may hold a million objects, so exports stream: rows are read with a
database iterator, only the columns needed, and written out in chunks. MISP JSON is the
exception (see :func:`misp_json`).
"""

import csv
import io
import json
import secrets
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Collate
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.csvcells import formula_safe
from vaka.directory.models import hash_token
from vaka.intel.models import ExportLink, Observable, StixObject
from vaka.intel.outgoing import shared_stix
from vaka.intel.parsing.observables import DOMAIN, IPV4, IPV6, MD5, SHA1, SHA256, SHA512, URL
from vaka.intel.parsing.stix_markings import TLP_LEVELS, marking_tlp, tlp_marking_definition
from vaka.policy import audit, deferred
from vaka.policy.markings import PAP, TLP, Distribution

CHUNK = 2000  # rows per database fetch
WRITE_SIZE = 64 * 1024  # characters per chunk sent

FORMATS = ("stix", "misp", "csv")
BLOCKLISTS: dict[str, tuple[str, ...]] = {
    "ip": (IPV4, IPV6), "domain": (DOMAIN,), "url": (URL,), "hash": (MD5, SHA1, SHA256, SHA512)}
# Blocking is a detectable action: PAP:AMBER (passive cross-checks only) and PAP:RED forbid it.
BLOCKABLE_PAP = (PAP.CLEAR, PAP.GREEN)

MAX_MISP_OBJECTS = 20_000

# Vaka distribution → MISP distribution (DESIGN.md §2).
MISP_DISTRIBUTION = {Distribution.ORGANISATION: 0, Distribution.MEMBERS: 1,
                     Distribution.FEDERATION: 2, Distribution.PUBLIC: 3,
                     Distribution.COMMUNITIES: 4}
_MISP_WIDEST_FIRST = (3, 2, 1, 4, 0)

# owner_peer: the connected instance a received record's owner belongs to (empty for this
# instance's own organisations), so a peer's stand-in is never read as a local owner.
CSV_COLUMNS = ("stix_id", "type", "name", "values", "tlp", "pap", "distribution", "owner",
               "owner_peer", "owner_country", "labels", "confidence", "created", "modified",
               "valid_from", "valid_until")
_CSV_FIELDS = ("pk", "stix_id", "type", "name", "tlp", "pap", "distribution", "owner__name",
               "owner__origin__name", "owner__country_id", "labels", "confidence",
               "stix_created", "stix_modified", "valid_from", "valid_until")


@dataclass
class Export:
    chunks: Iterable[str]
    content_type: str
    filename: str
    count: int  # objects, or blocklist entries


def export(objects: QuerySet[StixObject], fmt: str, *, user: Any, filters: dict[str, Any],
           request: Any = None, link: ExportLink | None = None,
           header: bool = False, reports: list[dict[str, Any]] | None = None) -> Export:
    """``objects`` (visible to ``user``, filtered by ``filters``) in ``fmt`` — one of
    :data:`FORMATS` or a blocklist kind of :data:`BLOCKLISTS` — audited with the filter
    and the count. ``header`` puts a comment line on top of a blocklist; ``reports``
    (STIX, already as ``user`` may read them: ``products.stix``) join a STIX bundle."""
    day = timezone.now().strftime("%Y%m%d")
    if fmt in BLOCKLISTS:
        values = blocklist_values(objects, fmt)
        count = values.count()
        result = Export(blocklist(values, fmt, count=count if header else None),
                        "text/plain; charset=utf-8", f"vaka-{fmt}-blocklist.txt", count)
    elif fmt == "stix":
        result = Export(stix_bundle(objects, reports or []),
                        "application/stix+json;version=2.1",
                        f"vaka-objects-{day}.stix.json", objects.count() + len(reports or []))
    elif fmt == "csv":
        result = Export(csv_rows(objects), "text/csv; charset=utf-8",
                        f"vaka-objects-{day}.csv", objects.count())
    elif fmt == "misp":
        text, count = misp_json(objects)
        result = Export([text], "application/json", f"vaka-objects-{day}.misp.json", count)
    else:
        raise ValidationError({"format": _("Unknown format “%(format)s”; use one of: %(known)s.")
                               % {"format": fmt, "known": ", ".join([*FORMATS, *BLOCKLISTS])}})
    audit.record("export", actor=user, request=request, target=link,
                 detail={"format": fmt, "filters": filters, "count": result.count})
    return result


def _buffered(pieces: Iterable[str]) -> Iterator[str]:
    """Join small pieces into chunks of about :data:`WRITE_SIZE` characters."""
    buffer, size = [], 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= WRITE_SIZE:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# --- STIX 2.1 ----------------------------------------------------------------------------

def stix_bundle(objects: QuerySet[StixObject], reports: Iterable[dict[str, Any]] = ()
                ) -> Iterator[str]:
    """A STIX 2.1 bundle, as text: each object marked with its record's TLP (TLP 2.0),
    then ``reports`` (each already marked), followed by the TLP marking-definitions used."""
    return _buffered(_bundle_pieces(objects, reports))


def _bundle_pieces(objects: QuerySet[StixObject], reports: Iterable[dict[str, Any]] = ()
                   ) -> Iterator[str]:
    yield f'{{"type":"bundle","id":"bundle--{uuid.uuid4()}","objects":['
    used: set[str] = set()
    separator = ""
    rows = objects.order_by("pk").values_list("data", "tlp").iterator(chunk_size=CHUNK)
    for data, tlp in rows:
        if data.get("type") == "marking-definition" and marking_tlp(data.get("id")):
            continue  # Vaka writes the TLP definitions itself, below
        used.add(tlp)
        yield separator + _dumps(shared_stix(data, tlp))
        separator = ","
    for report in reports:
        used.update(marking_tlp(ref) for ref in report["object_marking_refs"])
        yield separator + _dumps(report)
        separator = ","
    used.discard(None)
    for tlp in sorted(used, key=TLP_LEVELS.index):
        yield separator + _dumps(tlp_marking_definition(tlp))
        separator = ","
    yield "]}"


# --- CSV ---------------------------------------------------------------------------------

def _cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if value is None:
        return ""
    return formula_safe(value) if isinstance(value, str) else value


def csv_rows(objects: QuerySet[StixObject]) -> Iterator[str]:
    """One row per object (:data:`CSV_COLUMNS`): its observables' values separated by
    spaces, its labels by "; ", times in ISO 8601 UTC."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    rows = objects.order_by("pk").values_list(*_CSV_FIELDS).iterator(chunk_size=CHUNK)
    while batch := list(islice(rows, CHUNK)):
        values: dict[int, list[str]] = {}
        for object_id, value in Observable.objects.filter(
                object_id__in=[row[0] for row in batch]).order_by(
                "object_id", "kind", "value").values_list("object_id", "value"):
            values.setdefault(object_id, []).append(value)
        for (pk, stix_id, type_, name, tlp, pap, distribution, owner, peer, country, labels,
             *rest) in batch:
            writer.writerow([_cell(cell) for cell in (
                stix_id, type_, name, " ".join(values.get(pk, ())), TLP(tlp).label,
                PAP(pap).label, distribution, owner, peer, country,
                "; ".join(str(label) for label in labels or ()), *rest)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header of an empty export
        yield buffer.getvalue()


# --- Blocklists --------------------------------------------------------------------------

_BYTEWISE = {"sqlite": "BINARY", "postgresql": "C"}


def blocklist_values(objects: QuerySet[StixObject], kind: str) -> QuerySet:
    """The distinct values of kind ``kind`` (:data:`BLOCKLISTS`) that may be blocked, sorted
    bytewise: from indicators not revoked, not expired, PAP:CLEAR or GREEN, not TLP:RED,
    and on no warninglist."""
    if kind not in BLOCKLISTS:
        raise ValidationError({"kind": _("Unknown blocklist “%(kind)s”; use one of: %(known)s.")
                               % {"kind": kind, "known": ", ".join(BLOCKLISTS)}})
    blockable = objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()),
        type="indicator", revoked=False, pap__in=BLOCKABLE_PAP).exclude(tlp=TLP.RED)
    values = Observable.objects.filter(
        object__in=blockable.values("pk"), kind__in=BLOCKLISTS[kind], warninglists="")
    collation = _BYTEWISE.get(connection.vendor)
    entry = Collate("value", collation) if collation else "value"
    return values.annotate(entry=entry).values_list("entry", flat=True).distinct().order_by(
        "entry")


def blocklist(values: QuerySet, kind: str, *, count: int | None = None) -> Iterator[str]:
    """One value a line; with ``count``, a ``#`` comment line first."""
    def lines() -> Iterator[str]:
        if count is not None:
            generated = timezone.now().astimezone(UTC).isoformat(timespec="seconds")
            yield f"# Vaka {kind} blocklist, generated {generated}, {count} entries\n"
        for value in values.iterator(chunk_size=CHUNK):
            yield value + "\n"
    return _buffered(lines())


# --- MISP --------------------------------------------------------------------------------

def misp_json(objects: QuerySet[StixObject]) -> tuple[str, int]:
    """One MISP event (``{"Event": …}``) holding ``objects``, and how many went in.

    The MISP project's converter (misp-stix, ``ExternalSTIX2toMISPParser``) turns the STIX
    bundle into attributes, objects and galaxy clusters. It holds the whole bundle in
    memory twice (as stix2 then pymisp objects): about 6 KB and 1 ms per object, so
    20,000 objects take some 20 seconds and 120 MB. Larger selections are refused with a
    ValidationError on ``format`` — narrow the filter, or export STIX (streamed) and
    convert it offline.

    Markings: each attribute, MISP object and cluster gets the MISP distribution of its
    record (organisation 0, members 1, federation 2, public 3, communities 4 — sharing
    group ids are local to each MISP, so none is set: the importer picks one) and, for
    attributes and objects, the record's ``tlp:`` tag and labels. The event has the
    widest distribution and the strictest TLP of its contents.
    """
    if objects[:MAX_MISP_OBJECTS + 1].count() > MAX_MISP_OBJECTS:
        raise ValidationError({"format": _(
            "A MISP export holds at most %(n)s objects and this filter selects more: narrow "
            "the filter, or export STIX and convert it.") % {"n": f"{MAX_MISP_OBJECTS:,}"}})
    records: dict[str, tuple[dict[str, Any], str, str]] = {}
    for stix_id, data, tlp, distribution in objects.order_by("pk").values_list(
            "stix_id", "data", "tlp", "distribution").iterator(chunk_size=CHUNK):
        if data.get("type") == "marking-definition":
            continue
        held = records.get(stix_id)  # two agencies may hold one STIX id: keep the stricter
        if held is None or TLP_LEVELS.index(tlp) > TLP_LEVELS.index(held[1]):
            records[stix_id] = (shared_stix(data, tlp), tlp, distribution)
    tlps = sorted({tlp for _data, tlp, _d in records.values()}, key=TLP_LEVELS.index)
    # Imported here, as in services: misp-stix takes seconds to load.
    from misp_stix_converter import ExternalSTIX2toMISPParser
    from misp_stix_converter.tools import load_stix2_content

    parser = ExternalSTIX2toMISPParser()
    parser.load_stix_bundle(load_stix2_content({
        "type": "bundle", "id": f"bundle--{uuid.uuid4()}",
        "objects": [data for data, _t, _d in records.values()]
        + [tlp_marking_definition(tlp) for tlp in tlps]}))
    parser.parse_stix_bundle(single_event=True, title=_event_title())
    event = parser.misp_event
    _mark_misp_event(event, records, parser.replacement_uuids)
    return '{"Event":' + event.to_json() + "}", len(records)


def _event_title() -> str:
    return f"{settings.SITE_NAME} export {timezone.now():%Y-%m-%d %H:%M} UTC"


def _retag(record: Any, tlp: str, labels: Iterable[str] = ()) -> None:
    """Give a MISP record the ``tlp:`` tag of ``tlp`` (only) and ``labels`` as tags."""
    kept = [tag for tag in record.tags if not tag.name.lower().startswith("tlp:")]
    record.tags = kept
    names = {tag.name for tag in kept}
    for name in [f"tlp:{tlp}", *labels]:
        if name not in names and (name == f"tlp:{tlp}" or not name.lower().startswith("tlp:")):
            record.add_tag(name)
            names.add(name)


def _mark_misp_event(event: Any, records: dict[str, tuple[dict[str, Any], str, str]],
                     replaced: dict[str, str]) -> None:
    by_uuid = {}
    for stix_id, (data, tlp, distribution) in records.items():
        record_uuid = stix_id.rpartition("--")[2]
        labels = [str(label) for label in data.get("labels") or ()]
        by_uuid[replaced.get(record_uuid, record_uuid)] = (tlp, distribution, labels)
    used = [MISP_DISTRIBUTION[d] for _t, d, _l in by_uuid.values()] or [0]
    strictest = max((t for t, _d, _l in by_uuid.values()), key=TLP_LEVELS.index,
                    default=TLP.CLEAR)
    narrowest = max(used, key=_MISP_WIDEST_FIRST.index)
    unknown = (strictest, None, [])
    for attribute in event.attributes:
        tlp, distribution, labels = by_uuid.get(attribute.uuid, unknown)
        attribute.distribution = MISP_DISTRIBUTION.get(distribution, narrowest)
        _retag(attribute, tlp, labels)
    for misp_object in event.objects:
        tlp, distribution, labels = by_uuid.get(misp_object.uuid, unknown)
        misp_object.distribution = MISP_DISTRIBUTION.get(distribution, narrowest)
        for attribute in misp_object.attributes:
            attribute.distribution = 5  # inherit the object's
            _retag(attribute, tlp, labels)
    for galaxy in event.galaxies:
        for cluster in galaxy.clusters:
            _tlp, distribution, _labels = by_uuid.get(cluster.uuid, unknown)
            cluster.distribution = MISP_DISTRIBUTION.get(distribution, narrowest)
    event.distribution = min(used, key=_MISP_WIDEST_FIRST.index)
    _retag(event, strictest)


# --- Export links ------------------------------------------------------------------------

LINK_PREFIX = "vakx_"
LINK_FILENAMES = {"stix": "stix.json", "misp": "misp.json", "csv": "objects.csv",
                  **{kind: f"{kind}.txt" for kind in BLOCKLISTS}}


def export_links_for(user: Any) -> QuerySet[ExportLink]:
    return ExportLink.objects.filter(user=user) if user.is_authenticated else (
        ExportLink.objects.none())


def create_export_link(user: Any, *, name: str, fmt: str, filters: dict[str, str],
                       request: Any = None) -> tuple[ExportLink, str]:
    """A link to fetch ``fmt`` of ``filters`` as ``user`` sees it at each fetch; returns the
    link and its key, which is shown only once."""
    if fmt not in LINK_FILENAMES:
        raise ValidationError({"format": _("Unknown format “%s”.") % fmt})
    key = LINK_PREFIX + secrets.token_urlsafe(32)
    link = ExportLink.objects.create(user=user, name=name.strip() or _("Export link"),
                                     format=fmt, filters=filters, key_hash=hash_token(key),
                                     hint=key[:12])
    audit.record("export_link_create", actor=user, target=link, request=request,
                 detail={"format": fmt, "filters": filters})
    return link, key


def revoke_export_link(link: ExportLink, *, user: Any, request: Any = None) -> None:
    link.revoked = True
    link.save(update_fields=["revoked"])
    audit.record("export_link_revoke", actor=user, target=link, request=request)


def export_link_for(key: str) -> ExportLink | None:
    """The live link for ``key`` (not revoked, its user active), or None. Its last use is
    noted unless the database is busy (then the next use notes it)."""
    link = ExportLink.objects.select_related("user", "user__organisation").filter(
        key_hash=hash_token(key), revoked=False).first()
    if link is None or not link.user.is_active:
        return None
    now = timezone.now()
    deferred.touch(lambda: ExportLink.objects.filter(pk=link.pk).update(last_used=now))
    return link
