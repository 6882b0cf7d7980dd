"""Instance-to-instance sync: what a connected Vaka instance (a peer) may receive, how
records cross in both directions, and the connected instances themselves.

**What crosses** (DESIGN.md §2): records owned by *this* instance's organisations whose
distribution is ``federation`` or ``public``, or ``communities`` when one of their
communities spans both instances by agreement (the community lists the peer), marked
TLP:CLEAR, GREEN or AMBER. TLP:AMBER+STRICT and RED name organisations and people of this
instance, so they never cross; nor do ``organisation`` and ``members``. Records received
from a peer are never offered to any peer, ``public`` ones included: their own instance
shares them, so nothing travels beyond its owner's reach and nothing echoes back.

**What is kept**: a received record is owned by a local stand-in of its original owner
(an ``Organisation`` whose ``origin`` is the peer; inactive, with no users, so it is no
recipient, member or desk here) and keeps its markings exactly; ``communities`` maps to the
local communities of the same names that span the peer, or the record is refused. It is
stored through the ordinary ingest path, so versions, the observable index and hit/no-hit
notifications work as for any ingest, and storing it again adds nothing.

**Corrections cross**: the sending instance speaks for its own records. A re-marked
record still offered crosses as its new version, and the peer gives its copy, every version
included, exactly the markings sent. One no longer offered (narrowed, or deleted) crosses
as a tombstone, ``{"withdrawn": <STIX id>, "owner": {"name": …}, "at": …}``, read from the
owner's withdrawals (``intel.Withdrawal``), and the peer deletes its copy.

**Paging** is by keyset on (modified, id), and for withdrawals on (at, id), both in one
cursor. A page answers two cursors: ``next`` to read on within a run, and ``resume`` to
keep between runs, which never passes what was written in the last ``SETTLE`` minutes: an
ingest or a correction still running when a page is read commits later with an earlier
time, and would otherwise be skipped. What is read twice is stored (or deleted) once.
"""

import base64
import binascii
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.backoff import retry_delay
from vaka.directory.models import Community, Country, Organisation, User, hash_token
from vaka.directory.roles import Capability
from vaka.exchange import outbound, scheduler
from vaka.exchange.models import Peer, SyncRun
from vaka.intel import bulk, corrections, originals
from vaka.intel.ingest import Incoming, MarkingResolver, _content_key, store
from vaka.intel.ingest_turn import ingest_turn
from vaka.intel.models import StixObject, StixObjectVersion, Submission, Withdrawal
from vaka.intel.originals import Original
from vaka.intel.outgoing import shared_stix
from vaka.intel.parsing import jsonlimits
from vaka.policy import audit
from vaka.policy.markings import (
    CROSSING_DISTRIBUTIONS,
    CROSSING_TLPS,
    DEFAULT_GRADING_SCHEME,
    PAP,
    Distribution,
)
from vaka.policy.models import MARKING_FIELDS, Audience
from vaka.policy.services import Markings, markings_detail

log = logging.getLogger(__name__)

API_PATH = "/sync/v1/objects/"
MAX_PAGE = 1000  # entries per GET page or POST body
PULL_LIMIT = 500
PUSH_LIMIT = 500
SETTLE = timedelta(minutes=10)
LEASE = timedelta(hours=1)  # a due sync claimed by one process is not started by another
TIMEOUT = (10, 120)  # seconds to connect, between two reads (and outbound.limits() in all)
TOKEN_PREFIX = "vakapeer_"
LOOPBACK = ("localhost", "127.0.0.1", "::1")


class SyncError(Exception):
    """The peer or the network failed: the run is recorded as failed."""


class CursorError(ValueError):
    """A cursor this instance did not issue."""


class EntryError(ValueError):
    """One received entry cannot be stored; its message says why."""


# --- peers authenticating here -----------------------------------------------------------

def authenticate(header: str) -> tuple[Peer | None, str]:
    """The peer presenting ``Authorization: Peer <token>``, and why it is refused ("" when
    it is not). A disabled peer is returned with its reason, for the audit entry."""
    scheme, _sep, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "peer" or not token:
        return None, "no peer token"
    digest = hash_token(token)
    peer = Peer.objects.filter(incoming_token_hash=digest).first()
    if peer is None or not hmac.compare_digest(peer.incoming_token_hash, digest):
        return None, "unknown token"
    if not peer.enabled:
        return peer, "peer disabled"
    return peer, ""


# --- what this instance sends --------------------------------------------------------------

def _moment(text: str) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a cursor's times carry their zone")
    return moment


@dataclass(frozen=True)
class Position:
    """Where a page ends: in the records by (modified, id), in the withdrawals by (at, id);
    None: from the first. Opaque to the peer. Tokens issued before withdrawals crossed
    carry the records' position alone: their withdrawals are read from the first (applying
    one twice does nothing)."""

    modified: datetime | None = None
    pk: int = 0
    withdrawn_at: datetime | None = None
    withdrawn_pk: int = 0

    def token(self) -> str | None:
        if self.modified is None and self.withdrawn_at is None:
            return None
        parts = [self.modified, self.pk, self.withdrawn_at, self.withdrawn_pk]
        text = "|".join(p.astimezone(UTC).isoformat() if isinstance(p, datetime)
                        else "" if p is None else str(p) for p in parts)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> "Position":
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            parts = text.split("|")
            if len(parts) not in (2, 4):
                raise ValueError("not a cursor")
            moment, pk, *withdrawn = parts
            position = cls(_moment(moment), int(pk))
            if withdrawn:
                position = cls(position.modified, position.pk, _moment(withdrawn[0]),
                               int(withdrawn[1]))
        except (binascii.Error, UnicodeError, ValueError) as error:
            raise CursorError(f"not a cursor of this instance: {token[:40]!r}") from error
        return position

    def settled(self, moment: datetime) -> "Position":
        """This position, but no later than ``moment`` in either stream."""
        def earlier(at: datetime | None, pk: int) -> tuple[datetime | None, int]:
            return (at, pk) if at is None or (at, pk) <= (moment, 0) else (moment, 0)
        return Position(*earlier(self.modified, self.pk),
                        *earlier(self.withdrawn_at, self.withdrawn_pk))


@dataclass
class Page:
    entries: list[dict[str, Any]]
    next: str | None  # read on from here within this run
    resume: str | None  # keep this between runs
    more: bool


def crossing_to(peer: Peer) -> Q:
    """The markings (``distribution``, ``tlp``, ``audience``) that reach ``peer``: of a
    record, or of a withdrawn record as it was."""
    reached = Q(distribution__in=[Distribution.FEDERATION, Distribution.PUBLIC])
    spanning = list(peer.communities.values_list("pk", flat=True))
    if spanning:
        shared_with = Audience.communities.through.objects.filter(
            audience_id=OuterRef("audience_id"), community_id__in=spanning)
        reached |= Q(distribution=Distribution.COMMUNITIES) & Q(Exists(shared_with))
    return reached & Q(tlp__in=CROSSING_TLPS, owner__origin__isnull=True)


def offered_to(peer: Peer) -> QuerySet[StixObject]:
    """Every record this instance may send ``peer`` (see the module docstring)."""
    return StixObject.objects.filter(crossing_to(peer))


def page_for(peer: Peer, after: str | None, limit: int = PULL_LIMIT) -> Page:
    """The entries for ``peer`` after cursor ``after``: records, then the tombstones of
    withdrawn ones, ``limit`` at most in all; raises ``CursorError``."""
    position = Position.parse(after) if after else Position()
    limit = max(1, min(limit, MAX_PAGE))
    objects = offered_to(peer).select_related("owner").order_by("modified", "pk")
    if position.modified is not None:
        objects = objects.filter(Q(modified__gt=position.modified)
                                 | Q(modified=position.modified, pk__gt=position.pk))
    rows = list(objects[:limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    # Withdrawals are read after the records: a record narrowed between the two reads is
    # then sent as it was and then withdrawn, and the peer applies them in that order.
    room = limit - len(rows)
    gone = list(_withdrawals_after(position).filter(crossing_to(peer))[:room + 1])
    more, gone = more or len(gone) > room, gone[:room]
    names = _spanning_names(peer, [r.audience_id for r in rows
                                   if r.distribution == Distribution.COMMUNITIES])
    last = Position(
        rows[-1].modified if rows else position.modified, rows[-1].pk if rows else position.pk,
        gone[-1].at if gone else position.withdrawn_at,
        gone[-1].pk if gone else position.withdrawn_pk)
    resume = last.settled(timezone.now() - SETTLE)
    return Page([entry_of(r, names.get(r.audience_id, [])) for r in rows]
                + tombstones_for(peer, gone), last.token(), resume.token(), more)


def _withdrawals_after(position: Position) -> QuerySet[Withdrawal]:
    withdrawals = Withdrawal.objects.filter(owner__origin__isnull=True).select_related(
        "owner").order_by("at", "pk")
    if position.withdrawn_at is None:
        return withdrawals
    return withdrawals.filter(Q(at__gt=position.withdrawn_at)
                              | Q(at=position.withdrawn_at, pk__gt=position.withdrawn_pk))


def tombstones_for(peer: Peer, withdrawals: list[Withdrawal]) -> list[dict[str, Any]]:
    """The withdrawn records ``peer`` may no longer hold, one entry each (``withdrawals``
    are those whose earlier markings reached it: no other peer hears of a record). A
    record still offered to it needs none: its new version crosses with its markings."""
    if not withdrawals:
        return []
    still = set(offered_to(peer).filter(
        stix_id__in={w.stix_id for w in withdrawals},
        owner_id__in={w.owner_id for w in withdrawals}).values_list("owner_id", "stix_id"))
    latest = {(w.owner_id, w.stix_id): w for w in withdrawals}
    return [{"withdrawn": w.stix_id, "owner": {"name": w.owner.name},
             "at": w.at.astimezone(UTC).isoformat()}
            for key, w in latest.items() if key not in still]


def _spanning_names(peer: Peer, audience_ids: list[int | None]) -> dict[int, list[str]]:
    """audience id → names of its communities that span both instances (only those:
    the names of other communities are this instance's business)."""
    found: dict[int, list[str]] = {}
    if audience_ids:
        rows = Audience.communities.through.objects.filter(
            audience_id__in=set(audience_ids), community__peers=peer,
        ).values_list("audience_id", "community__name")
        for audience_id, name in rows:
            found.setdefault(audience_id, []).append(name)
    return {key: sorted(names) for key, names in found.items()}


def entry_of(obj: StixObject, communities: list[str]) -> dict[str, Any]:
    """One record as it crosses: its STIX, its original owner and its markings."""
    owner = obj.owner
    return {
        "stix": shared_stix(obj.data, obj.tlp),
        "owner": {"name": owner.name, "short_name": owner.short_name, "kind": owner.kind,
                  "country": owner.country_id},
        "markings": {
            "distribution": obj.distribution, "tlp": obj.tlp, "pap": obj.pap,
            "handling": list(obj.handling), "handling_note": obj.handling_note,
            "grading_scheme": obj.grading_scheme, "grading_source": obj.grading_source,
            "grading_information": obj.grading_information,
            "grading_handling": obj.grading_handling,
            "communities": communities if obj.distribution == Distribution.COMMUNITIES
            else [],
        },
        "modified": obj.modified.astimezone(UTC).isoformat(),
    }


# --- what this instance receives -----------------------------------------------------------

@dataclass
class Received:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0  # records deleted because their owner withdrew them
    remarked: int = 0  # records whose markings their owner changed
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"index", "reason"}

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged,
                "withdrawn": self.withdrawn, "remarked": self.remarked,
                "rejected": self.rejected, "errors": self.errors}


def receive(peer: Peer, entries: list[Any], *, request: Any = None) -> Received:
    """Store what ``peer`` sent (pushed here, or pulled from it): entries grouped by owner
    and markings, each group one ingest submission, then its withdrawals. Entries already
    held at the same version are counted as unchanged and not stored again; bad entries
    are listed with their index and the reason. The peer speaks for its own records: each
    kept record, all its versions included, carries the markings it was last sent with."""
    result = Received()
    spanning = {c.name: c for c in peer.communities.all()}
    owners: dict[str, Organisation] = {}
    groups: dict[tuple, tuple[Organisation, Markings, list[Incoming]]] = {}
    withdrawn: list[tuple[str, str]] = []
    for index, entry in enumerate(entries):
        try:
            if isinstance(entry, dict) and "withdrawn" in entry:
                withdrawn.append(_read_withdrawal(entry))
                continue
            owner_fields, markings, key, obj = _read_entry(entry, spanning)
            owner = owners.get(owner_fields["name"]) or _stand_in(peer, owner_fields, request)
        except EntryError as error:
            result.errors.append({"index": index, "reason": str(error)})
            continue
        owners[owner.name] = owner
        groups.setdefault((owner.pk, key), (owner, markings, []))[2].append(
            Incoming(index, obj))
    for owner, markings, items in groups.values():
        _store_group(peer, owner, markings, items, result, request, entries)
    # After the records: a record narrowed while its page was read comes as it was, then
    # withdrawn (see page_for).
    for owner_name, stix_id in withdrawn:
        result.withdrawn += _withdraw(peer, owner_name, stix_id, request)
    result.errors.sort(key=lambda e: e.get("index") if e.get("index") is not None else -1)
    return result


def _read_withdrawal(entry: dict[str, Any]) -> tuple[str, str]:
    """(owner name, STIX id) of a tombstone ``{"withdrawn": id, "owner": {"name": …}}``."""
    stix_id, owner = entry.get("withdrawn"), entry.get("owner")
    if not isinstance(stix_id, str) or not stix_id or len(stix_id) > 120:
        raise EntryError("withdrawn: expected the STIX id of a withdrawn record")
    if not isinstance(owner, dict):
        raise EntryError("owner is required")
    return _text(owner.get("name"), "owner.name", 200, required=True), stix_id


def _withdraw(peer: Peer, owner_name: str, stix_id: str, request: Any) -> int:
    """Delete the copies of ``stix_id`` held for the peer's organisation ``owner_name``;
    how many there were (none is no error: it may never have crossed)."""
    held = list(StixObject.objects.filter(owner__origin=peer, owner__name=owner_name,
                                          stix_id=stix_id))
    if not held:
        return 0
    with transaction.atomic():
        for record in held:
            audit.record(audit.Action.DELETE, target=record, request=request,
                         actor_name=f"peer:{peer.name}"[:150],
                         detail={"withdrawn_by": "peer", "peer": peer.pk})
        corrections.erase(held)
    return len(held)


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise EntryError(f"{name}: expected text of at most {limit} characters")
    return value.strip()


def _read_entry(entry: Any, spanning: dict[str, Community]
                ) -> tuple[dict[str, Any], Markings, tuple, dict[str, Any]]:
    if not isinstance(entry, dict):
        raise EntryError("an entry must be an object")
    obj, owner, m = entry.get("stix"), entry.get("owner"), entry.get("markings")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) \
            or not isinstance(obj.get("type"), str) or len(obj["id"]) > 120:
        raise EntryError("stix: expected a STIX object with an id and a type")
    if not isinstance(owner, dict) or not isinstance(m, dict):
        raise EntryError("owner and markings are required")
    kind = owner.get("kind")
    country = owner.get("country")
    owner_fields = {
        "name": _text(owner.get("name"), "owner.name", 200, required=True),
        "short_name": _text(owner.get("short_name"), "owner.short_name", 40),
        "kind": kind if kind in Organisation.Kind.values else Organisation.Kind.POLICE_UNIT,
        "country": country.upper() if isinstance(country, str) and len(country) == 2 else None,
    }
    distribution, tlp = m.get("distribution"), m.get("tlp")
    if distribution not in CROSSING_DISTRIBUTIONS:
        raise EntryError(f"distribution {distribution!r} does not cross instances")
    if tlp not in CROSSING_TLPS:
        raise EntryError(f"TLP {tlp!r} does not cross instances")
    names, handling = m.get("communities") or [], m.get("handling") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise EntryError("markings.communities: expected a list of names")
    if not isinstance(handling, list) or not all(isinstance(h, str) for h in handling):
        raise EntryError("markings.handling: expected a list of codes")
    communities = []
    if distribution == Distribution.COMMUNITIES:
        communities = [spanning[name] for name in sorted(set(names)) if name in spanning]
        if not communities:
            raise EntryError("no community here spans both instances under the name(s) "
                             + (", ".join(sorted(set(names))) or "given"))
    markings = Markings(
        distribution=distribution, tlp=tlp, communities=communities,
        pap=_text(m.get("pap"), "markings.pap", 8) or PAP.AMBER, handling=list(handling),
        handling_note=_text(m.get("handling_note"), "markings.handling_note", 500),
        grading_scheme=_text(m.get("grading_scheme"), "markings.grading_scheme", 16)
        or DEFAULT_GRADING_SCHEME,
        grading_source=_text(m.get("grading_source"), "markings.grading_source", 2),
        grading_information=_text(m.get("grading_information"),
                                  "markings.grading_information", 2),
        grading_handling=_text(m.get("grading_handling"), "markings.grading_handling", 2))
    key = (markings.distribution, markings.tlp, tuple(c.pk for c in communities),
           markings.pap, tuple(sorted(handling)), markings.handling_note,
           markings.grading_scheme, markings.grading_source, markings.grading_information,
           markings.grading_handling)
    return owner_fields, markings, key, obj


def _stand_in(peer: Peer, fields: dict[str, Any], request: Any) -> Organisation:
    """The local stand-in of the peer's organisation named ``fields["name"]``."""
    country = Country.objects.filter(pk=fields["country"]).first() if fields["country"] \
        else None
    org = Organisation.objects.filter(origin=peer, name=fields["name"]).first()
    if org is None:
        try:
            with transaction.atomic():
                org = Organisation.objects.create(
                    name=fields["name"], short_name=fields["short_name"], kind=fields["kind"],
                    country=country, origin=peer, is_active=False)
                audit.record(audit.Action.CREATE, target=org, request=request,
                             actor_name=f"peer:{peer.name}"[:150],
                             detail={"origin": peer.pk})
        except IntegrityError:  # created meanwhile by a concurrent sync
            org = Organisation.objects.get(origin=peer, name=fields["name"])
        return org
    wanted = {"short_name": fields["short_name"], "kind": fields["kind"], "country": country}
    changed = [name for name, value in wanted.items() if getattr(org, name) != value]
    for name in changed:
        setattr(org, name, wanted[name])
    if changed:
        org.save(update_fields=changed)
    return org


def _not_yet_held(owner: Organisation, items: list[Incoming], result: Received
                  ) -> list[Incoming]:
    """The items whose version the owner's stand-in does not hold yet (the key is the one
    ingest gives a version)."""
    existing = bulk.existing_objects(owner.pk, list({item.obj["id"] for item in items}))
    rows = [row for found in existing.values() for row in found]
    known = bulk.known_versions([row[0] for row in rows]) if rows else set()
    fresh = []
    for item in items:
        key = item.obj.get("modified") or _content_key(item.obj)
        if any(key == row[1] or (row[0], key) in known
               for row in existing.get(item.obj["id"], ())):
            result.unchanged += 1
        else:
            fresh.append(item)
    return fresh


def _store_group(peer: Peer, owner: Organisation, markings: Markings,
                 items: list[Incoming], result: Received, request: Any,
                 entries: list[Any]) -> None:
    fresh = _not_yet_held(owner, items, result)
    # The community spans both instances by agreement, so the remote owner is a member of
    # it here too (the markings' rules require the owner to be one).
    for community in markings.communities:
        community.members.add(owner)
    submission = None
    try:
        # The ingest turn before the transaction, as feeds take it (intel.ingest_turn).
        with ingest_turn(), transaction.atomic():
            resolver = MarkingResolver(owner, None, markings)
            # Re-marked first, so the new versions find the markings they come with (a new
            # version alone never widens a record: only its owner's re-mark does).
            result.remarked += _take_markings(peer, owner, resolver, items, request)
            if not fresh:
                return
            submission = store(fresh, organisation=owner, user=None, markings=markings,
                               source=Submission.Source.PEER, fmt=Submission.Format.STIX,
                               name=peer.name, partial=True, request=request,
                               original=_as_sent(peer, [entries[i.position] for i in fresh]))
    except BaseException as error:
        if submission is not None:
            originals.discard(submission)  # its row was rolled back: the file goes too
        if not isinstance(error, ValidationError):
            raise
        reason = "; ".join(error.messages)  # the markings themselves are wrong
        result.errors.extend({"index": item.position, "reason": reason} for item in fresh)
        return
    result.new += submission.new
    result.updated += submission.updated
    result.unchanged += submission.unchanged
    result.errors.extend({"index": problem.get("index"), "reason": problem.get("message", "")}
                         for problem in submission.errors)


def _as_sent(peer: Peer, entries: list[Any]) -> Original:
    """The entries a submission stored, as the peer sent them (record, owner, markings),
    kept as its original like an upload's file."""
    data = json.dumps({"peer": peer.name, "entries": entries}, ensure_ascii=False,
                      indent=1).encode()
    return Original(data)


def _take_markings(peer: Peer, owner: Organisation, resolver: MarkingResolver,
                   items: list[Incoming], request: Any) -> int:
    """Give the held copies of ``items`` (every version) the markings they were sent with,
    where those differ: the peer's organisation re-marked its record. A copy already
    holding a later version than the one sent keeps its markings. Returns how many."""
    existing = bulk.existing_objects(owner.pk, list({item.obj["id"] for item in items}))
    sent_with: dict[int, tuple[Markings, Any]] = {}
    for item in items:
        sent = bulk.stix_time(str(item.obj.get("modified") or ""))[0]
        if sent is not None and sent.tzinfo is None:  # STIX times are UTC
            sent = sent.replace(tzinfo=UTC)
        for pk, _key, held, *_rest in existing.get(item.obj["id"], ()):
            if sent is None or held is None or sent >= held:
                sent_with[pk] = resolver.for_object(item.obj)
    said = _markings_said(list(sent_with))
    wanted = {pk: pair for pk, pair in sent_with.items() if said[pk] != {_said(pair[0])}}
    for record in StixObject.objects.filter(pk__in=wanted).order_by("pk"):
        m, audience = wanted[record.pk]
        before = markings_detail(Markings.of(record))
        values = {name: getattr(m, name) for name in MARKING_FIELDS if name != "audience"}
        values["audience"] = audience
        StixObject.objects.filter(pk=record.pk).update(**values, modified=timezone.now())
        StixObjectVersion.objects.filter(object_id=record.pk).update(**values)
        audit.record(audit.Action.REMARK, target=record, request=request,
                     actor_name=f"peer:{peer.name}"[:150],
                     detail={"remarked_by": "peer", "peer": peer.pk, "before": before,
                             "after": markings_detail(m)})
    return len(wanted)


_SAID = ("distribution", "tlp", "pap", "handling", "handling_note", "grading_scheme",
         "grading_source", "grading_information", "grading_handling")


def _said(m: Markings, communities: Iterable[int] | None = None) -> tuple:
    """What a peer's markings say of a record. Not the organisations an AMBER record
    reaches here: those are resolved on arrival from this instance's directory, and a
    change of the directory is no re-mark."""
    return (*(tuple(sorted(m.handling)) if name == "handling" else getattr(m, name)
              for name in _SAID),
            frozenset(c.pk for c in m.communities) if communities is None
            else frozenset(communities))


def _markings_said(pks: list[int]) -> dict[int, set[tuple]]:
    """Record id → what its row and each of its versions say (see ``_said``)."""
    rows = [*StixObject.objects.filter(pk__in=pks).values_list("pk", *_SAID, "audience_id"),
            *StixObjectVersion.objects.filter(object_id__in=pks).values_list(
                "object_id", *_SAID, "audience_id")]
    spans: dict[int, set[int]] = {}
    for audience_id, community_id in Audience.communities.through.objects.filter(
            audience_id__in={row[-1] for row in rows if row[-1]}).values_list(
            "audience_id", "community_id"):
        spans.setdefault(audience_id, set()).add(community_id)
    said: dict[int, set[tuple]] = {pk: set() for pk in pks}
    for pk, *values, audience_id in rows:
        m = Markings(**dict(zip(_SAID, values, strict=True)))
        said[pk].add(_said(m, spans.get(audience_id, ())))
    return said


# --- syncing with a peer ---------------------------------------------------------------------

def _session() -> requests.Session:
    session = outbound.guard(requests.Session())
    session.headers["User-Agent"] = "Vaka-sync/1"
    return session


def _call(session: Any, method: str, peer: Peer, **kwargs: Any) -> dict[str, Any]:
    if not peer.outgoing_token:
        raise SyncError("no token for this instance: enter the one its admin gave you")
    url = peer.url.rstrip("/") + API_PATH
    try:
        response = session.request(method, url, timeout=TIMEOUT, headers={
            "Authorization": f"Peer {peer.outgoing_token}", "Accept": "application/json"},
            **kwargs)
    except requests.RequestException as error:
        raise SyncError(outbound.failure_reason(error, url)) from error
    if response.status_code != 200:
        raise SyncError(f"{outbound.status_reason(response.status_code, url)} "
                        f"{response.text[:300]}".strip())
    try:
        body = jsonlimits.loads(response.content)
    except jsonlimits.TooDeep as error:  # a hostile peer's nesting: refused, never recursed
        raise SyncError(f"{method} {url}: the answer is {error}") from error
    except ValueError as error:
        raise SyncError(f"{method} {url}: the answer is not JSON") from error
    if not isinstance(body, dict):
        raise SyncError(f"{method} {url}: unexpected answer")
    return body


def _keep_cursor(peer: Peer, direction: str, cursor: Any) -> None:
    if isinstance(cursor, str) and cursor:
        peer.state = {**peer.state, direction: cursor}
        Peer.objects.filter(pk=peer.pk).update(state=peer.state)


def _alive(run: SyncRun) -> None:
    """A sign of life: this run's process is still at work (see ``scheduler``)."""
    SyncRun.objects.filter(pk=run.pk).update(alive=timezone.now())


def _errors(direction: str, errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    return [f"{direction} #{e.get('index')}: {e.get('reason')}" for e in errors
            if isinstance(e, dict)]


@dataclass
class _Tally:
    unchanged: int = 0
    withdrawn_here: int = 0  # copies of the peer's records it withdrew
    withdrawn_there: int = 0  # copies the peer dropped at this instance's word
    remarked: int = 0  # copies (here or there) given their owner's new markings
    notes: list[str] = field(default_factory=list)


def _pull(peer: Peer, run: SyncRun, session: Any, deadline: float | None,
          tally: _Tally) -> bool:
    """Pull page after page, keeping the cursor after each; False: out of time."""
    after = peer.state.get("pull")
    while True:
        params = {"limit": PULL_LIMIT, **({"after": after} if after else {})}
        page = _call(session, "GET", peer, params=params)
        entries = page.get("objects")
        if not isinstance(entries, list):
            raise SyncError("the peer's answer has no list of objects")
        with scheduler.writing():
            received = receive(peer, entries)
            _keep_cursor(peer, "pull", page.get("resume"))
            _alive(run)
        run.pulled += received.new + received.updated
        run.rejected += received.rejected
        tally.unchanged += received.unchanged
        tally.withdrawn_here += received.withdrawn
        tally.remarked += received.remarked
        tally.notes += _errors("pulled", received.errors)
        previous, after = after, page.get("next")
        # A page may move on with no entries (withdrawals of records still offered send
        # nothing); one whose cursor does not move would be read for ever.
        if not page.get("more") or not isinstance(after, str) or after == previous:
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False


def _push(peer: Peer, run: SyncRun, session: Any, deadline: float | None,
          tally: _Tally) -> bool:
    """Push what changed here since the last push; False: out of time."""
    after = peer.state.get("push")
    while True:
        page = page_for(peer, after, PUSH_LIMIT)
        if page.entries:
            answer = _call(session, "POST", peer, json={"objects": page.entries})
            counts = {k: answer.get(k) if isinstance(answer.get(k), int) else 0
                      for k in ("new", "updated", "unchanged", "rejected", "withdrawn",
                                "remarked")}
            run.pushed += counts["new"] + counts["updated"]
            run.rejected += counts["rejected"]
            tally.unchanged += counts["unchanged"]
            tally.withdrawn_there += counts["withdrawn"]
            tally.remarked += counts["remarked"]
            tally.notes += _errors("pushed", answer.get("errors"))
        with scheduler.writing():
            _keep_cursor(peer, "push", page.resume)
            _alive(run)
        after = page.next
        if not page.more:
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False


def sync(peer: Peer, *, budget: float | None = None) -> SyncRun:
    """Pull from and push to ``peer`` what the agreement allows, and record the run.

    Never raises for the peer's or the network's faults: they are recorded on the run and
    the peer, and the next attempt backs off (interval × 2^failures, at most a day). With
    ``budget`` (seconds) it stops after the page that exhausts it and is due again at once.
    """
    with scheduler.writing():
        run = SyncRun.objects.create(peer=peer, status=SyncRun.Status.RUNNING)
    deadline = time.monotonic() + budget if budget else None
    tally, finished, failed = _Tally(), True, False
    try:
        session = _session()
        if peer.pull:
            finished = _pull(peer, run, session, deadline, tally)
        if peer.push and finished:
            finished = _push(peer, run, session, deadline, tally)
    except Exception as error:  # one peer's fault, whatever it is, is recorded, not raised
        log.warning("sync with %s failed: %s", peer, error,
                    exc_info=not isinstance(error, SyncError | requests.RequestException))
        failed = True
        tally.notes.insert(0, str(error) or type(error).__name__)
    with scheduler.writing():
        _finish(peer, run, tally, finished=finished, failed=failed)
    return run


def _finish(peer: Peer, run: SyncRun, tally: _Tally, *, finished: bool, failed: bool
            ) -> None:
    now = timezone.now()
    run.status = SyncRun.Status.FAILED if failed else SyncRun.Status.OK
    if failed:
        peer.failures += 1
        # interval × 2ⁿ after n failures in a row (this one counted), at most a day
        peer.next_sync_at = now + retry_delay(
            peer.failures, base=2 * timedelta(minutes=peer.interval_minutes))
        peer.last_error = tally.notes[0][:2000]
    else:
        peer.failures, peer.last_error, peer.last_success = 0, "", now
        peer.next_sync_at = now + timedelta(minutes=peer.interval_minutes) if finished else now
        if not finished:
            tally.notes.insert(0, "stopped for time; the next sync continues")
    if tally.unchanged:
        tally.notes.append(f"{tally.unchanged} already held")
    if tally.withdrawn_here:
        tally.notes.append(f"{tally.withdrawn_here} withdrawn by their owners")
    if tally.withdrawn_there:
        tally.notes.append(f"{tally.withdrawn_there} withdrawn from the peer")
    if tally.remarked:
        tally.notes.append(f"{tally.remarked} re-marked by their owners")
    run.finished = run.alive = now
    run.message = "\n".join(tally.notes[:50])
    run.save()
    Peer.objects.filter(pk=peer.pk).update(
        failures=peer.failures, next_sync_at=peer.next_sync_at, last_error=peer.last_error,
        last_success=peer.last_success)
    withdrawn = tally.withdrawn_here + tally.withdrawn_there
    if run.status == SyncRun.Status.FAILED or run.pulled or run.pushed or run.rejected \
            or withdrawn or tally.remarked:
        audit.record("sync", target=peer, actor_name="sync", detail={
            "status": run.status, "pulled": run.pulled, "pushed": run.pushed,
            "rejected": run.rejected, "withdrawn": withdrawn, "remarked": tally.remarked})


def sync_due(now: datetime | None = None) -> list[SyncRun]:
    """Sync every enabled peer whose next sync is due, each on its own: one failing
    does not stop the others, nor does a slow one hold them back (``scheduler.each``).
    A peer another process is syncing is left to it."""
    now = now or timezone.now()
    claimed = [peer for peer in Peer.objects.filter(enabled=True, next_sync_at__lte=now)
               if Peer.objects.filter(pk=peer.pk, next_sync_at=peer.next_sync_at).update(
                   next_sync_at=now + LEASE)]
    return [run for run in scheduler.each(claimed, _sync_claimed) if run is not None]


def _sync_claimed(peer: Peer) -> SyncRun | None:
    try:
        return sync(peer)
    except Exception:  # recording the run itself failed (the database): go on
        log.exception("sync with %s could not be recorded", peer)
        return None


# --- connected instances -------------------------------------------------------------------

PEER_FIELDS = ("push", "pull", "enabled", "interval_minutes")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied(_("Only platform admins connect instances."))


def _clean_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": _("Enter the other instance's address, e.g. "
                                        "https://vaka.example.org/.")})
    outbound.check_url(url)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ValidationError({"url": _("Use https:// (plain http only on this machine).")})
    return url.rstrip("/")


@transaction.atomic
def create_peer(
    *, actor: User | None, name: str, url: str, outgoing_token: str = "",
    communities: Iterable[Community] = (), request: Any = None, **fields: Any,
) -> tuple[Peer, str]:
    """Connect an instance. Returns it and the token it must present here, shown once."""
    _require_admin(actor)
    name = name.strip()
    if Peer.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("An instance named “%s” is connected.") % name})
    token = new_token()
    peer = Peer(name=name, url=_clean_url(url), outgoing_token=outgoing_token.strip(),
                incoming_token_hash=hash_token(token),
                **{k: v for k, v in fields.items() if k in PEER_FIELDS})
    peer.full_clean()
    peer.save()
    peer.communities.set(list(communities))
    audit.record(audit.Action.CREATE, actor=actor, target=peer, request=request,
                 actor_name="cli", detail={"url": peer.url, "communities": sorted(
                     c.name for c in peer.communities.all())})
    return peer, token


@transaction.atomic
def update_peer(
    peer: Peer, *, actor: User | None, name: str | None = None, url: str | None = None,
    outgoing_token: str = "", communities: Iterable[Community] | None = None,
    new_incoming_token: bool = False, start_over: bool = False, request: Any = None,
    **fields: Any,
) -> str | None:
    """Change a connected instance. An empty ``outgoing_token`` keeps the current one;
    returns the new incoming token when one was asked for (shown once), else None.
    ``start_over`` forgets both cursors: everything is read again (and stored once)."""
    _require_admin(actor)
    changed: dict[str, Any] = {k: v for k, v in fields.items()
                               if k in PEER_FIELDS and getattr(peer, k) != v}
    if name is not None and name.strip() != peer.name:
        if Peer.objects.filter(name__iexact=name.strip()).exclude(pk=peer.pk).exists():
            raise ValidationError({"name": _("An instance named “%s” is connected.") % name})
        changed["name"] = name.strip()
    # Only a new address is checked: a saved one the allow-list no longer covers must not
    # stop an admin from disabling the instance (its syncs are refused anyway).
    if url is not None and url.strip().rstrip("/") != peer.url:
        changed["url"] = _clean_url(url)
    if outgoing_token.strip():
        changed["outgoing_token"] = outgoing_token.strip()
    token = None
    if new_incoming_token:
        token = new_token()
        changed["incoming_token_hash"] = hash_token(token)
    if start_over:
        changed["state"] = {}
    for key, value in changed.items():
        setattr(peer, key, value)
    peer.full_clean()
    if changed:
        peer.save(update_fields=list(changed))
    detail = sorted(k for k in changed if k not in ("outgoing_token", "incoming_token_hash"))
    if communities is not None:
        before = set(peer.communities.values_list("pk", flat=True))
        communities = list(communities)
        if before != {c.pk for c in communities}:
            peer.communities.set(communities)
            detail.append("communities")
    audit.record(audit.Action.UPDATE, actor=actor, target=peer, request=request,
                 actor_name="cli", detail={
                     "changed": detail, "outgoing_token": "outgoing_token" in changed,
                     "new_incoming_token": token is not None})
    return token
