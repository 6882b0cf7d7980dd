"""Writes to intelligence records."""

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vaka.directory.models import Organisation, User
from vaka.directory.roles import Capability
from vaka.inbox import services as inbox
from vaka.intel.ingest import DISTRIBUTION_ORDER, Incoming, stix_items, store
from vaka.intel.models import (
    HitNotification,
    Note,
    Observable,
    StixObject,
    Submission,
    WarninglistEntry,
)
from vaka.intel.originals import Original
from vaka.intel.parsing import jsonlimits, stix
from vaka.intel.parsing.errors import InputError, Problem
from vaka.intel.parsing.extract import bytes_read, extract, read_text
from vaka.intel.parsing.observables import canonical, guess_kind, refang, value_hash
from vaka.intel.parsing.tabular import Row, owner_namespace, read_csv, rows_to_stix
from vaka.intel.warninglists import forget_own_entries, reflag_stored_values, warninglist_names
from vaka.policy import audit, deferred
from vaka.policy.brokering import is_broker
from vaka.policy.services import Markings, create_shareable, delete_shareable, update_shareable
from vaka.policy.visibility import can_edit, visible_to


@transaction.atomic
def create_note(
    *, user: User, title: str, body: str = "", markings: Markings, request: Any = None
) -> Note:
    """Create a note owned by the user's organisation."""
    if not user.can(Capability.CONTRIBUTE):
        raise PermissionDenied(_("Your role may not create notes."))
    return create_shareable(Note(title=title, body=body), user=user, markings=markings,
                            request=request)


@transaction.atomic
def update_note(
    note: Note, *, user: User, title: str, body: str, markings: Markings, request: Any = None
) -> Note:
    if not can_edit(user, note):
        raise PermissionDenied(_("You may not change this note."))
    changed = [name for name, value in (("title", title), ("body", body))
               if getattr(note, name) != value]
    note.title, note.body = title, body
    return update_shareable(note, user=user, markings=markings, changed=changed,
                            request=request)


@transaction.atomic
def delete_note(note: Note, *, user: User, request: Any = None) -> None:
    if not can_edit(user, note):
        raise PermissionDenied(_("You may not delete this note."))
    delete_shareable(note, user=user, request=request)


# --- Ingestion -------------------------------------------------------------------------

FORMATS = ("stix", "misp", "csv", "text")
# How forms name each format: standards keep their names, plain text is translated.
FORMAT_LABELS = {"stix": "STIX", "misp": "MISP", "csv": "CSV", "text": gettext_lazy("Text")}
TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


def guess_format(head: bytes, filename: str = "") -> str:
    """stix, misp, csv or text, from the first bytes and the file name."""
    name = filename.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(TEXT_SUFFIXES) or head[:5] == b"%PDF-":
        return "text"
    start = head.lstrip()[:1]
    if start in (b"{", b"["):
        sample = head[:65536]
        if b'"Event"' in sample or b'"Attribute"' in sample:
            return "misp"
        return "stix"
    return "text"


_SPEC_20 = re.compile(rb'"spec_version"\s*:\s*"2\.0"')


def is_stix20_bundle(head: bytes) -> bool:
    """A STIX 2.0 bundle says so in its envelope, before its objects."""
    envelope = head.split(b'"objects"', 1)[0]
    return bool(_SPEC_20.search(envelope))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _items_from_bytes(data: bytes, fmt: str, filename: str, owner: Organisation
                      ) -> tuple[Iterable[Incoming], list[Problem]]:
    if fmt == "stix":
        envelope = stix.read_bundle(data)
        return stix_items(enumerate(envelope), upgrade=is_stix20_bundle(data)), []
    if fmt == "misp":
        # Imported here: misp-stix loads its STIX 1 converters too, some seconds at every
        # start of `vaka` (migrate, serve, ingest) that never reads MISP.
        from vaka.intel.parsing.misp import misp_to_stix

        try:
            document = jsonlimits.loads(data)
        except ValueError as error:  # jsonlimits.TooDeep too
            raise InputError(Problem(f"not JSON: {error}", file=filename)) from error
        converted = misp_to_stix(document, file=filename)
        narrower = misp_distributions(converted)
        items = (Incoming(index, obj, distribution=narrower.get(obj.get("id")))
                 for index, obj in enumerate(converted.objects))
        return items, list(converted.problems)
    if fmt == "csv":
        rows, problems = read_csv(data, file=filename)
    else:
        # What a capped extraction left out (pages of a long PDF…) is one of the problems.
        text, problems = read_text(data, filename or "pasted.txt")
        rows = [Row(line=0, kind=i.kind, value=i.value) for i in extract(text)]
    now = timezone.now()
    items = (Incoming(line, obj, digest, index_is_line=fmt == "csv")
             for line, obj, digest in rows_to_stix(rows, now, owner_namespace(owner.uid)))
    return items, problems


def misp_distributions(converted: Any) -> dict[str, str]:
    """STIX id → the distribution MISP gave it: its event's, or its own when narrower."""
    by_id = {obj["id"]: obj for obj in converted.objects}
    result: dict[str, str] = {}
    for event in converted.event_markings:
        if event.distribution:
            report = by_id.get(event.report_id, {})
            for ref in [event.report_id, *report.get("object_refs", [])]:
                result[ref] = _narrower(result.get(ref), event.distribution)
        for ref, distribution in event.object_distributions.items():
            result[ref] = _narrower(result.get(ref), distribution)
    if converted.distribution:  # objects no event claims (the creator's identity…)
        for stix_id in by_id:
            result.setdefault(stix_id, converted.distribution)
    return result


def _narrower(first: str | None, second: str) -> str:
    if first is None:
        return second
    return max(first, second, key=DISTRIBUTION_ORDER.index)


def with_labels(items: Iterable[Incoming], labels: list[str]) -> Iterator[Incoming]:
    """Add the submitter's labels (e.g. ATT&CK techniques) to every object."""
    for item in items:
        if labels and isinstance(item.obj, dict) and item.obj.get("type") not in (
                "marking-definition", "relationship"):
            own = [str(label) for label in item.obj.get("labels") or ()]
            item.obj = {**item.obj, "labels": list(dict.fromkeys([*own, *labels]))}
        yield item


def ingest_bytes(
    data: bytes, *, organisation: Organisation, user: User | None, markings: Markings,
    source: str, fmt: str | None = None, filename: str = "", partial: bool = False,
    labels: list[str] | None = None, request: Any = None, name: str = "",
    original: Original | None = None, queued: Submission | None = None, sha256: str = "",
) -> Submission:
    """Ingest one file or paste. Bad input never raises: it is in the submission's errors.

    ``labels`` go on every object (relationships and markings excepted). ``name`` says
    what it was, ``original`` is what to keep of what was sent, ``queued`` the row a
    worker claimed for it (see ``ingest.store``). ``sha256``: the whole input's, when
    ``data`` is only the part of a large file the extractor reads (``ingest_path``)."""
    fmt = fmt or guess_format(data[:65536], filename)
    if fmt not in FORMATS:
        raise ValidationError({"format": _("Unknown format “%s”.") % fmt})
    try:
        items, problems = _items_from_bytes(data, fmt, filename, organisation)
    except InputError as error:
        items, problems = [], [Problem(p.message, file=p.file or filename or None,
                                       index=p.index, line=p.line, field=p.field)
                               for p in error.problems]
    return store(with_labels(items, labels or []), organisation=organisation, user=user,
                 markings=markings, source=source, fmt=fmt, filename=filename,
                 sha256=sha256 or _sha256(data), partial=partial, problems=problems,
                 request=request, worker=fmt == "stix", name=name, original=original,
                 queued=queued, size=len(data))


def ingest_path(
    path: Path, *, organisation: Organisation, user: User | None, markings: Markings,
    source: str, fmt: str | None = None, partial: bool = False,
) -> Submission:
    """Ingest a file from disk; STIX bundles are streamed, whatever their size."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    fmt = fmt or guess_format(head, path.name)
    if fmt != "stix":
        # Kept like an upload's when within the upload limit; a streamed bundle is not.
        # Free text over the limit is loaded only as far as the extractor reads it.
        within = path.stat().st_size <= settings.MAX_UPLOAD_MB * 2**20
        data, digest = _start_and_sha256(
            path, None if within or fmt != "text" else bytes_read(path.name))
        return ingest_bytes(data, organisation=organisation, user=user,
                            markings=markings, source=source, fmt=fmt, filename=path.name,
                            partial=partial, name=path.name,
                            original=Original(data, path.name) if within else None,
                            sha256=digest)
    upgrade = is_stix20_bundle(head)
    with path.open("rb") as handle:
        try:
            return store(stix_items(stix.iter_bundle(handle), upgrade=upgrade),
                         organisation=organisation, user=user, markings=markings,
                         source=source, fmt=fmt, filename=path.name, partial=partial,
                         worker=True, name=path.name)
        except InputError as error:  # the JSON broke off mid-stream
            return store([], organisation=organisation, user=user, markings=markings,
                         source=source, fmt=fmt, filename=path.name,
                         problems=error.problems, name=path.name)


def _start_and_sha256(path: Path, size: int | None) -> tuple[bytes, str]:
    """The first ``size`` bytes of a file (all of it if None) and the whole file's SHA-256,
    read a chunk at a time past that start."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        start = handle.read(-1 if size is None else size)
        digest.update(start)
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return start, digest.hexdigest()


# --- Lookup ------------------------------------------------------------------------------

MAX_LOOKUP = 10_000


@dataclass
class LookupAnswer:
    value: str
    type: str | None
    canonical: str | None
    matches: list[StixObject]
    hits: int  # matches held by agencies the asker may not see
    warninglists: str = ""
    error: str = ""
    # For a desk broker only (policy.brokering): the agencies holding those hits, by name.
    holders: list[Organisation] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Something is known of the value: records the asker sees, or another agency's."""
        return bool(self.matches or self.hits)


@dataclass
class LookupSummary:
    """What a look-up found, in counts: one line an analyst reads at a glance."""

    values: int = 0
    matched: int = 0  # values carried by records the asker may see
    held_elsewhere: int = 0  # values another agency holds (hit/no-hit)
    warninglisted: int = 0
    unknown: int = 0  # valid values nobody holds
    invalid: int = 0

    @classmethod
    def of(cls, answers: list[LookupAnswer]) -> "LookupSummary":
        summary = cls(values=len(answers))
        for a in answers:
            if a.error:
                summary.invalid += 1
                continue
            summary.matched += bool(a.matches)
            summary.held_elsewhere += bool(a.hits)
            summary.warninglisted += bool(a.warninglists)
            summary.unknown += not a.found and not a.warninglists
        return summary


def hits_first(answers: list[LookupAnswer]) -> list[LookupAnswer]:
    """The answers that found something first, each group in the order asked."""
    return sorted(answers, key=lambda a: not a.found)


def lookup(values: list[str], *, user: User, request: Any = None) -> list[LookupAnswer]:
    """For each value: the records the user may see that carry it, and whether other
    agencies hold something on it (hit/no-hit: their owners are told who asked)."""
    if len(values) > MAX_LOOKUP:
        raise ValidationError({"values": _("At most %d values at a time.") % MAX_LOOKUP})
    answers = []
    for raw in values:
        text = refang(str(raw).strip())
        kind = guess_kind(text)
        answer = LookupAnswer(value=str(raw), type=kind, canonical=None, matches=[], hits=0)
        if kind is None:
            answer.error = _("Not a recognised indicator.")
        else:
            try:
                answer.canonical = canonical(kind, text)
            except ValueError as error:
                answer.error = str(error)
        answers.append(answer)
    report_hits(match_index(answers, user=user), user=user)
    broker = is_broker(user)
    audit.record("lookup", actor=user, request=request,
                 detail={"values": len(values), "matched": sum(bool(a.matches) for a in answers),
                         "hits": sum(a.hits > 0 for a in answers),
                         # the broker capability was used: holders were named to the desk
                         **({"holders_named": sum(bool(a.holders) for a in answers)}
                            if broker else {})})
    return answers


# A hit of ``match_index``: (answer, id of a record the asker may not see, value hash).
IndexHit = tuple[LookupAnswer, int, int]


def match_index(answers: list[LookupAnswer], *, user: User,
                every_warninglist: bool = True) -> list[IndexHit]:
    """Answer from the observable index each answer with a ``type`` and ``canonical`` value
    (and no ``error``): its ``warninglists``, its ``matches`` (records ``user`` may see),
    its ``hits`` (records of agencies they may not see; none for a warninglisted value).
    Without ``every_warninglist`` only the values the index holds are looked for on the
    warninglists (a look-up shows them for every value; deconfliction needs them for hits).

    Reads only, a few queries per 5,000 values: hit/no-hit's writes are ``report_hits``'s.
    Shared by look-ups and by deconfliction (``vaka.operations.deconfliction``)."""
    wanted: dict[int, list[LookupAnswer]] = {}
    for answer in answers:
        if answer.type is None or answer.canonical is None or answer.error:
            continue
        if every_warninglist:
            answer.warninglists = warninglist_names(answer.type, answer.canonical)
        wanted.setdefault(value_hash(answer.type, answer.canonical), []).append(answer)
    found: dict[int, list[tuple[int, str, str]]] = {}
    hashes = list(wanted)
    for start in range(0, len(hashes), 5000):
        for object_id, kind, value, hashed in Observable.objects.filter(
                value_hash__in=hashes[start:start + 5000]).values_list(
                "object_id", "kind", "value", "value_hash"):
            found.setdefault(hashed, []).append((object_id, kind, value))
    object_ids = sorted({row[0] for rows in found.values() for row in rows})
    revoked = {pk for start in range(0, len(object_ids), 5000)
               for pk in StixObject.objects.filter(pk__in=object_ids[start:start + 5000],
                                                   revoked=True).values_list("pk", flat=True)}
    visible = {o.pk: o for start in range(0, len(object_ids), 5000)
               for o in visible_to(user, StixObject.objects.filter(
                   pk__in=object_ids[start:start + 5000], revoked=False))
               .select_related("owner", "owner__country")}
    held: list[IndexHit] = []
    for hashed, rows in found.items():
        for answer in wanted[hashed]:
            if not every_warninglist:
                answer.warninglists = warninglist_names(answer.type, answer.canonical)
            for object_id, kind, value in rows:
                if (kind, value) != (answer.type, answer.canonical) or object_id in revoked:
                    continue  # a revoked record no longer says anything about the value
                if object_id in visible:
                    answer.matches.append(visible[object_id])
                elif not answer.warninglists:
                    answer.hits += 1
                    held.append((answer, object_id, hashed))
    return held


def report_hits(held: list[IndexHit], *, user: User) -> None:
    """Hit/no-hit's writes for ``match_index``'s hits: the records' owners are told who
    asked (a look-up hit, which the desk's broker view lists), and a desk broker's answers
    name the agencies holding them."""
    if not held:
        return
    if is_broker(user):
        name_holders([(answer, object_id) for answer, object_id, _hash in held])
    # The asker's own (invisible) objects never exist: every invisible match is foreign.
    _notify_lookup_hits([(object_id, answer.type, answer.canonical, hashed)
                         for answer, object_id, hashed in held], user)


def name_holders(held: list[tuple[LookupAnswer, int]]) -> None:
    """A desk broker's answers name the agencies holding each hit (never their records).

    ``held``: (answer, id of a record matching its value that the broker may not see)."""
    ids = sorted({object_id for _answer, object_id in held})
    owners: dict[int, int] = {}
    for start in range(0, len(ids), 5000):
        owners.update(StixObject.objects.filter(pk__in=ids[start:start + 5000])
                      .values_list("pk", "owner_id"))
    organisations = Organisation.objects.in_bulk(set(owners.values()))
    for answer, object_id in held:
        holder = organisations[owners[object_id]]
        if holder not in answer.holders:
            answer.holders.append(holder)
    for answer, _object_id in held:
        answer.holders.sort(key=str)


def _notify_lookup_hits(fresh: list[tuple[int, str, str, int]], user: User) -> None:
    """A side write of the look-up: never lost, never the reason it fails (a busy database
    spools it, :mod:`vaka.policy.deferred`)."""
    deferred.keep("lookup_hits", {"user": user.pk, "organisation": user.organisation_id,
                                  "hits": sorted(set(fresh))})


def record_lookup_hits(data: dict[str, Any], at: datetime, *, late: bool = False) -> None:
    """Store a look-up's hits (``data`` as ``_notify_lookup_hits`` gives them) and tell
    the records' owners: the applier of ``lookup_hits`` side writes. ``late`` (from the
    spool): hits on records deleted since are dropped, as their hits are; they keep ``at``."""
    hits = [tuple(hit) for hit in data["hits"]]
    user_id, organisation_id = data["user"], data["organisation"]
    if late:
        ids = sorted({hit[0] for hit in hits})
        kept = {pk for start in range(0, len(ids), 5000) for pk in StixObject.objects.filter(
            pk__in=ids[start:start + 5000]).values_list("pk", flat=True)}
        hits = [hit for hit in hits if hit[0] in kept]
        user_id = User.objects.filter(pk=user_id).values_list("pk", flat=True).first()
        organisation_id = Organisation.objects.filter(pk=organisation_id).values_list(
            "pk", flat=True).first()
    made = HitNotification.objects.bulk_create(
        [HitNotification(object_id=object_id, kind=kind, value=value, asked_by_id=user_id,
                         asked_by_organisation_id=organisation_id,
                         channel=HitNotification.Channel.LOOKUP)
         for object_id, kind, value in sorted({(o, k, v) for o, k, v, _h in hits})],
        batch_size=1000)
    if late:  # ``at`` is set on insert to the time of insert
        HitNotification.objects.filter(pk__in=[m.pk for m in made]).update(at=at)
    inbox.notify_hits({(o, k, v, h, organisation_id, HitNotification.Channel.LOOKUP)
                       for o, k, v, h in hits}, at=at)


def desk_contact() -> dict[str, str]:
    """Whom to ask about a hit: the regional desk, which brokers the contact."""
    desk = Organisation.objects.filter(kind=Organisation.Kind.DESK, is_active=True).first()
    if desk is None:
        return {"organisation": "", "email": ""}
    return {"organisation": desk.name, "email": desk.contact_email}


# --- Warninglist exclusions ----------------------------------------------------------------

@transaction.atomic
def add_exclusion(*, user: User, kind: str, value: str, note: str = "",
                  request: Any = None) -> WarninglistEntry:
    """An admin's own warninglist entry: a domain (and its subdomains), an address or
    network, or an exact value of another kind. Such values never correlate."""
    if not user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied(_("Only platform admins manage warninglists."))
    raw = refang(value.strip())
    try:
        if kind in ("ipv4", "ipv6") and "/" in raw:
            canonical_value = str(ipaddress.ip_network(raw, strict=False))
        else:
            canonical_value = canonical(kind, raw)
    except ValueError as error:
        raise ValidationError({"value": f"“{value}”: {error}"}) from error
    if WarninglistEntry.objects.filter(kind=kind, value=canonical_value).exists():
        raise ValidationError({"value": _("“%s” is already excluded.") % canonical_value})
    entry = WarninglistEntry.objects.create(kind=kind, value=canonical_value, note=note,
                                            created_by=user)
    # Stored values it covers stop correlating and leave blocklists now, not at next ingest.
    reflagged = reflag_stored_values(kind, canonical_value)
    audit.record(audit.Action.CREATE, actor=user, target=entry, request=request,
                 detail={"stored_values_flagged": reflagged})
    transaction.on_commit(forget_own_entries)
    return entry


@transaction.atomic
def remove_exclusion(entry: WarninglistEntry, *, user: User, request: Any = None) -> None:
    if not user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied(_("Only platform admins manage warninglists."))
    audit.record(audit.Action.DELETE, actor=user, target=entry, request=request)
    entry.delete()
    # Stored values it covered correlate again, unless another list still holds them.
    reflag_stored_values(entry.kind, entry.value)
    transaction.on_commit(forget_own_entries)
