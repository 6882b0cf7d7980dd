"""Ingest a submission: parse, validate, store, index and correlate, all or nothing.

Objects stream through in batches, so a million-object bundle is never held in memory;
every write of a batch is a bulk statement. Without ``partial`` any rejected object rolls
the whole submission back; with it, the valid objects are kept and the rest listed. On
PostgreSQL a submission is written in one transaction; on SQLite it is staged and written
in one short transaction at the end, so the database's write lock is not held for the
whole ingest (``intel.staging``). Ingests take turns on SQLite (``intel.ingest_turn``).
"""

import contextlib
import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Organisation, User
from vaka.inbox import services as inbox
from vaka.intel import bulk, originals, staging
from vaka.intel.ingest_turn import ingest_turn, request_wait
from vaka.intel.models import (
    HitNotification,
    StixObject,
    Submission,
)
from vaka.intel.originals import Original
from vaka.intel.parsing import stix
from vaka.intel.parsing.errors import InputError, Problem
from vaka.intel.parsing.observables import value_hash
from vaka.intel.parsing.stix_markings import marking_tlp
from vaka.intel.parsing.timestamps import stix_timestamp
from vaka.intel.prepare import Indexed, prepared_batches
from vaka.policy import audit
from vaka.policy.markings import TLP, Distribution
from vaka.policy.narrowing import (
    DISTRIBUTION_RANK,
    TLP_RANK,
    Reach,
    reach_of,
    stricter_pap,
    within,
)
from vaka.policy.services import Markings, audience_for, clean_markings
from vaka.policy.visibility import visible_to

TLP_ORDER = TLP_RANK[::-1]  # widest first
DISTRIBUTION_ORDER = DISTRIBUTION_RANK[::-1]


class Rejected(Exception):
    """Raised inside the transaction to undo it: something was rejected, not partial."""


@dataclass
class Incoming:
    position: int  # object index, or line of a CSV / text file
    obj: dict[str, Any]
    digest: str | None = None  # for objects Vaka built from bare values: their content
    index_is_line: bool = False
    problem: Problem | None = None  # found before validation (e.g. a 2.0 object not upgradable)
    distribution: str | None = None  # what the source says (MISP): may only narrow
    indexed: list[Indexed] = field(default_factory=list)  # set once validated (prepare)


MAX_ERRORS = 1000  # problems kept per submission; the rest are only counted


class Problems(list):
    """A submission's problems: the first ``MAX_ERRORS`` kept, the others counted, so a
    million bad objects cost neither memory nor megabytes of stored errors."""

    def __init__(self, items: Iterable[Problem] = ()) -> None:
        super().__init__()
        self.more = 0
        self.extend(items)

    def append(self, problem: Problem) -> None:
        if len(self) < MAX_ERRORS:
            super().append(problem)
        else:
            self.more += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    @property
    def total(self) -> int:
        return len(self) + self.more


@dataclass
class Outcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_markings: int = 0
    problems: Problems = field(default_factory=Problems)
    fresh: list[tuple[int, str, str, int]] = field(default_factory=list)  # batch's new values


def org_principal(organisation: Organisation) -> User:
    """Stand-in for 'anyone of this organisation' when no user is named (command line)."""
    return User(organisation=organisation, is_active=True)


def _time(text: Any) -> datetime | None:
    return bulk.stix_time(str(text) if text else None)[0]


def _stored_time(text: Any) -> Any:
    return bulk.stix_time(str(text) if text else None)[1]


def _content_key(obj: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(msgspec.json.encode(obj, order="sorted")).hexdigest()


def _name(obj: dict[str, Any]) -> str:
    name = obj.get("name") or obj.get("value") or obj.get("pattern") or ""
    if not name and isinstance(obj.get("hashes"), dict):
        name = next(iter(obj["hashes"].values()), "")
    return str(name or obj.get("id", ""))[:300]


class MarkingResolver:
    """The submission's markings, made stricter per object by its own TLP marking."""

    def __init__(self, organisation: Organisation, user: User | None, base: Markings) -> None:
        self.organisation, self.user, self.base = organisation, user, base
        self._cache: dict[str, tuple[Markings, Any]] = {}
        self.for_tlp(base.tlp)  # raises ValidationError at once if the base is wrong

    def for_tlp(self, tlp: str, distribution: str | None = None) -> tuple[Markings, Any]:
        distribution = distribution or self.base.distribution
        if (tlp, distribution) not in self._cache:
            m = Markings(**{**self.base.__dict__, "tlp": tlp, "distribution": distribution,
                            "recipient_organisations": list(self.base.recipient_organisations),
                            "recipients": list(self.base.recipients)})
            if distribution != self.base.distribution:
                m.recipient_organisations = []  # resolved afresh for the narrower audience
            creator = self.user
            if tlp == TLP.RED and not m.recipients and self.user is not None:
                # Marked RED in the file with nobody named: for the submitter's eyes only.
                m.recipients, creator = [self.user], None
            cleaned = clean_markings(self.organisation, creator, m)
            self._cache[(tlp, distribution)] = (cleaned, audience_for(cleaned))
        return self._cache[(tlp, distribution)]

    def for_object(self, obj: dict[str, Any], distribution: str | None = None
                   ) -> tuple[Markings, Any]:
        """Markings for one object: the file's TLP (object and granular markings) and the
        source's distribution (MISP) only ever narrow the submission's."""
        tlp = self.base.tlp
        # A field marked more strictly than its object (granular_markings) is served only
        # at its own level: Vaka keeps one marking per version, so the whole object takes
        # the strictest TLP any part of it carries.
        refs = list(obj.get("object_marking_refs") or ())
        refs += [g.get("marking_ref") for g in obj.get("granular_markings") or ()
                 if isinstance(g, dict)]
        for ref in refs:
            marked = marking_tlp(ref)
            if marked and TLP_ORDER.index(marked) > TLP_ORDER.index(tlp):
                tlp = marked
        return self.for_tlp(tlp, self._narrowest(distribution))

    def _narrowest(self, distribution: str | None) -> str:
        base = self.base.distribution
        if distribution is None or distribution not in DISTRIBUTION_ORDER or \
                DISTRIBUTION_ORDER.index(distribution) <= DISTRIBUTION_ORDER.index(base):
            return base
        if distribution == Distribution.COMMUNITIES and not self.base.communities:
            return Distribution.ORGANISATION  # a MISP sharing group Vaka cannot name
        return distribution


MARK_COLUMNS = bulk.MARK_COLUMNS
ROW_COLUMNS = [*MARK_COLUMNS, "modified", "owner_id", "created_by_id", "audience_id",
               "created", "stix_id", "type", "name", "description", "stix_created",
               "stix_modified", "version_key", "created_by_ref", "confidence", "labels",
               "label_text", "valid_from", "valid_until", "revoked", "data", "submission_id"]
VERSION_ROW_COLUMNS = [*MARK_COLUMNS, "audience_id", "object_id", "version_key",
                       "stix_modified", "data", "submission_id", "added"]
# Rows are built positionally for speed: a change of the tables must change them too.
assert ROW_COLUMNS == bulk.OBJECT_COLUMNS, "intel_stixobject changed: update Writer._row"
assert VERSION_ROW_COLUMNS == bulk.VERSION_COLUMNS, "intel_stixobjectversion changed"


@dataclass(frozen=True)
class Marks:
    """One version's markings as stored: ``MARK_COLUMNS`` values and the audience id."""

    values: tuple
    audience_id: int | None

    @classmethod
    def of(cls, m: Markings, audience: Any) -> "Marks":
        return cls((m.distribution, m.tlp, m.pap, bulk.db_json(m.handling), m.handling_note,
                    m.grading_scheme, m.grading_source, m.grading_information,
                    m.grading_handling), audience.pk if audience is not None else None)

    @property
    def reach(self) -> Reach:
        return reach_of(self.values[0], self.values[1], self.audience_id)


def owner_stix_id(stix_id: str, namespace: uuid.UUID, who: str) -> str:
    """A value-built object's id moved into a namespace of its own (the owner's, or one
    submitter's when the owner's record is hidden from them)."""
    kind, _sep, identity = stix_id.partition("--")
    return f"{kind}--{uuid.uuid5(namespace, f'{who}:{identity}')}"


class Writer:
    """Stores one batch at a time: objects, versions, the observable index.

    A submission adds versions only to records its submitter may see; an object the
    submitter may not see is stored as a separate record, and nothing in the outcome
    tells the two cases apart. A new version never widens what the record's current
    version reaches: if its markings would, it keeps the current (stricter) ones."""

    def __init__(self, organisation: Organisation, user: User | None,
                 resolver: MarkingResolver, submission: Submission,
                 principal: User, stage: staging.Stage | None = None) -> None:
        self.organisation, self.user = organisation, user
        self.stage = stage
        self.resolver, self.submission = resolver, submission
        self.principal = principal
        self.outcome = Outcome()
        self.now = bulk.db_time(timezone.now())
        self.creator_id = user.pk if user is not None and user.pk else None
        self.submitter_key = f"user:{self.creator_id}" if self.creator_id else "organisation"
        self._decisions: dict[tuple[Marks, Marks], Marks | None] = {}

    def _visible(self, rows: Iterable[tuple]) -> set[int]:
        pks = [row[0] for row in rows]
        seen: set[int] = set()
        for chunk in _chunks(pks, bulk.IN_CHUNK):
            seen.update(visible_to(self.principal, StixObject.objects.filter(pk__in=chunk))
                        .values_list("pk", flat=True))
        return seen

    def _existing(self, batch: list[Incoming]) -> dict[str, tuple]:
        """stix_id → the row of the submitter's visible record with that id.

        Objects Vaka built from bare values whose record is hidden from the submitter
        move to the submitter's own id, so their next submission finds them again."""
        rows = bulk.existing_objects(self.organisation.pk,
                                     list({item.obj["id"] for item in batch}))
        visible = self._visible(r for found in rows.values() for r in found)
        chosen = {stix_id: max(seen) for stix_id, found in rows.items()
                  if (seen := [r for r in found if r[0] in visible])}
        moved = set()
        for item in batch:
            if item.digest and item.obj["id"] in rows and item.obj["id"] not in chosen:
                namespace = uuid.UUID(str(self.organisation.uid))
                item.obj = {**item.obj,
                            "id": owner_stix_id(item.obj["id"], namespace, self.submitter_key)}
                moved.add(item.obj["id"])
        if moved:
            again = bulk.existing_objects(self.organisation.pk, list(moved))
            visible = self._visible(r for found in again.values() for r in found)
            chosen.update({stix_id: max(seen) for stix_id, found in again.items()
                           if (seen := [r for r in found if r[0] in visible])})
        if self.stage is not None:  # what this submission staged in earlier batches
            chosen.update(self.stage.existing(list({item.obj["id"] for item in batch})))
        return chosen

    def _version_marks(self, current: Marks, wanted: Marks) -> Marks | None:
        """The markings a new version gets: its own when they reach no one the current
        version does not; else the current ones when those are the narrower; else None
        (each reaches people the other does not: only a re-mark may change that)."""
        key = (current, wanted)
        if key not in self._decisions:
            owner = self.organisation.pk
            if within(wanted.reach, current.reach, owner_id=owner):
                marks = wanted
            elif within(current.reach, wanted.reach, owner_id=owner):
                marks = Marks((*current.values[:2], *wanted.values[2:]), current.audience_id)
            else:
                marks = None
            if marks is not None:
                # PAP never loosens and handling codes add up without a re-mark.
                values = list(marks.values)
                values[2] = stricter_pap(current.values[2], wanted.values[2])
                codes = msgspec.json.decode(current.values[3]) + msgspec.json.decode(values[3])
                values[3] = bulk.db_json(list(dict.fromkeys(codes)))
                marks = Marks(tuple(values), marks.audience_id)
            self._decisions[key] = marks
        return self._decisions[key]

    def write(self, batch: list[Incoming]) -> None:
        existing = self._existing(batch)
        refs = [row[0] for row in existing.values()]
        known_versions = bulk.known_versions([ref for ref in refs if ref > 0])
        if self.stage is not None:
            known_versions |= self.stage.known_versions(refs)
        bases: dict[int, tuple] = {}  # stored rows a new version builds on (staging)
        creates: dict[str, tuple[tuple, list[Indexed]]] = {}
        updates: dict[int, tuple[tuple, list[Indexed]]] = {}
        versions: list[tuple[Any, dict, str, str, Marks]] = []
        for item in batch:
            obj = item.obj
            try:
                markings, audience = self.resolver.for_object(obj, item.distribution)
            except Exception as error:
                self._reject(item, "; ".join(getattr(error, "messages", [str(error)])))
                continue
            marks = Marks.of(markings, audience)
            key = item.digest or obj.get("modified") or _content_key(obj)
            row = existing.get(obj["id"])
            if obj["id"] in creates:
                self.outcome.unchanged += 1
                continue
            if row is None:
                text = bulk.db_json(obj)
                creates[obj["id"]] = (self._row(obj, key, marks, text), item.indexed)
                versions.append((obj["id"], obj, key, text, marks))
                self.outcome.new += 1
                continue
            pk, current_key, current_modified, first_created = row[:4]
            if key == current_key or (pk, key) in known_versions:
                self.outcome.unchanged += 1
                continue
            bases.setdefault(pk, row)
            kept = self._version_marks(Marks(row[4], row[5]), marks)
            if kept is None:
                self._reject(item, _("its markings and those of the stored record each "
                                     "reach people the other does not; a new version may "
                                     "not widen who sees a record: submit it with markings "
                                     "inside the record's, or ask its owner to re-mark it"))
                continue
            if kept != marks:
                self.outcome.kept_markings += 1
            if item.digest and first_created:  # an object Vaka built: keep its first day
                obj = {**obj, "created": stix_timestamp(first_created)}
            known_versions.add((pk, key))
            text = bulk.db_json(obj)
            versions.append((pk, obj, key, text, kept))
            newer = _time(obj.get("modified"))
            if current_modified is None or newer is None or newer >= current_modified:
                updates[pk] = (self._row(obj, key, kept, text), item.indexed)
            self.outcome.updated += 1
        if self.stage is not None:
            self._stage(creates, updates, versions, list(bases.values()))
        else:
            self._flush(creates, updates, versions)

    def _reject(self, item: Incoming, message: str) -> None:
        where = {"line": item.position} if item.index_is_line else {"index": item.position}
        self.outcome.problems.append(Problem(message, **where))

    def _row(self, obj: dict[str, Any], key: str, marks: Marks, text: str) -> tuple:
        """The object's row, in ``ROW_COLUMNS`` (= the table's) order."""
        labels = [str(label) for label in obj.get("labels") or ()]
        t = _stored_time
        return (
            *marks.values, self.now, self.organisation.pk, self.creator_id,
            marks.audience_id, self.now, obj["id"], obj["type"],
            _name(obj), str(obj.get("description", "")), t(obj.get("created")),
            t(obj.get("modified")), key, str(obj.get("created_by_ref", "")),
            obj.get("confidence"), bulk.db_json(labels),
            "|" + "|".join(labels) + "|" if labels else "", t(obj.get("valid_from")),
            t(obj.get("valid_until")), bool(obj.get("revoked")), text, self.submission.pk)

    def _flush(self, creates: dict[str, tuple[tuple, list[Indexed]]],
               updates: dict[int, tuple[tuple, list[Indexed]]],
               versions: list[tuple[Any, dict, str, str, Marks]]) -> None:
        before = bulk.last_object_id() if creates else 0
        bulk.insert_objects([row for row, _obj in creates.values()])
        bulk.keep_superseded_versions(list(updates))
        bulk.update_objects([(*row, pk) for pk, (row, _indexed) in updates.items()])
        pks = bulk.new_object_ids(self.submission.pk, before) if creates else {}
        # The version that is now current keeps no copy of its JSON (it is on the object).
        current = {*creates, *updates}
        bulk.insert_versions([
            (*marks.values, marks.audience_id, pks[ref] if isinstance(ref, str) else ref,
             key, _stored_time(obj.get("modified")), None if ref in current else text,
             self.submission.pk, self.now)
            for ref, obj, key, text, marks in versions])
        index = []
        written = [(pks[stix_id], indexed) for stix_id, (_row, indexed) in creates.items()]
        written += [(pk, indexed) for pk, (_row, indexed) in updates.items()]
        for pk, indexed in written:
            for kind, value, hashed, listed in indexed:
                index.append((pk, kind, value, hashed, listed))
                if not listed:
                    self.outcome.fresh.append((pk, kind, value, hashed))
        bulk.replace_observables(list(updates), index)
        bulk.index_text([pk for pk, _indexed in written])


    def _stage(self, creates: dict[str, tuple[tuple, list[Indexed]]],
               updates: dict[int, tuple[tuple, list[Indexed]]],
               versions: list[tuple[Any, dict, str, str, Marks]], bases: list[tuple]) -> None:
        """``_flush`` into the stage (``intel.staging``): new objects' ids are refs until
        the final step."""
        written = [*creates.items(), *updates.items()]
        # The version now current keeps no copy of its JSON (it is on the object).
        current = {ref: row[ROW_COLUMNS.index("version_key")] for ref, (row, _i) in written}
        index = [(ref, kind, value, hashed, listed)
                 for ref, (_row, indexed) in written for kind, value, hashed, listed in indexed]
        refs = self.stage.write(
            [(stix_id, row) for stix_id, (row, _indexed) in creates.items()],
            [(ref, row) for ref, (row, _indexed) in updates.items()],
            [(*marks.values, marks.audience_id, ref, key, _stored_time(obj.get("modified")),
              None if current.get(ref) == key else text, None, self.now)
             for ref, obj, key, text, marks in versions],
            index, [row for row in bases if row[0] > 0])
        self.outcome.fresh.extend((refs.get(ref, ref), kind, value, hashed)
                                  for ref, kind, value, hashed, listed in index if not listed)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def correlate(fresh: list[tuple[int, str, str, int]], *, submission: Submission,
              principal: User, asked_by: User | None, organisation: Organisation,
              channel: str, notified: set[tuple[int, int]],
              stage: staging.Stage | None = None) -> int:
    """Tell the owners of records the asker may not see that their value came up.

    ``fresh``: (object id, kind, value, hash) just indexed by ``submission``, whose own
    objects never correlate with each other; ``notified``: (object id, hash) pairs already
    told during this submission; ``stage``: where to keep them until the submission is
    written (SQLite). Returns notifications sent.
    """
    wanted = {(kind, value) for _obj, kind, value, _h in fresh}
    hashes = sorted({h for *_rest, h in fresh})
    matches: dict[int, set[tuple[str, str]]] = {}
    for object_id, kind, value in bulk.matching_observables(
            hashes, not_from_submission=submission.pk or 0):
        if (kind, value) in wanted:
            matches.setdefault(object_id, set()).add((kind, value))
    if not matches:
        return 0
    visible: set[int] = set()
    for chunk in _chunks(list(matches), 5000):
        visible.update(visible_to(principal, StixObject.objects.filter(pk__in=chunk))
                       .values_list("pk", flat=True))
    at = bulk.db_time(timezone.now())
    asker = asked_by.pk if asked_by is not None else None
    notes = []
    for object_id, pairs in matches.items():
        if object_id in visible:
            continue
        for kind, value in sorted(pairs):
            told = (object_id, value_hash(kind, value))
            if told not in notified:
                notified.add(told)
                notes.append((object_id, kind, value, asker, organisation.pk, channel, at))
    hits = [(object_id, kind, value, value_hash(kind, value), org, how)
            for object_id, kind, value, _asker, org, how, _at in notes]
    if stage is not None:
        stage.notify(notes, *inbox.hit_notices(hits))
        return len(notes)
    bulk.insert_notifications(notes)
    # The owners' inbox: one upsert for the whole batch (ingestion is benchmarked).
    inbox.notify_hits(hits)
    return len(notes)


def store(
    items: Iterable[Incoming], *, organisation: Organisation, user: User | None,
    markings: Markings, source: str, fmt: str, filename: str = "", sha256: str = "",
    partial: bool = False, problems: list[Problem] | None = None, request: Any = None,
    worker: bool = False, name: str = "", original: Original | None = None,
    queued: Submission | None = None, size: int | None = None,
) -> Submission:
    """Write validated-on-the-way objects as one submission; see the module docstring.

    The submission carries the markings it was sent with: its file name, counts and
    errors reach only that audience. ``worker``: the items are plain JSON (a STIX
    bundle), so a big input may be prepared by a second process (see ``prepare``).
    ``name`` says what it was (a file, feed, peer, API token); ``original``, what was
    sent, is kept with the submission unless it is rejected (``intel.originals``).
    ``queued``: the row a worker claimed for this input (``intel.queued``), filled in
    instead of a new one, so its status page ends with the outcome. ``size``: the input's
    bytes when known (a small one is not staged, see ``intel.staging``)."""
    problems = Problems(problems or [])
    pasted = original.lines if original is not None and source == Submission.Source.PASTE \
        else None
    if original is not None:
        sha256 = original.sha256
    kept: Submission | None = None
    principal = user if user is not None and user.pk else org_principal(organisation)
    summary = {"distribution": markings.distribution, "tlp": markings.tlp,
               "communities": [c.name for c in markings.communities]}
    try:
        # Sent through the web or the API: wait for the turn as long as for the database.
        turn = ingest_turn(wait=None if request is None else request_wait())
        with turn, staging.session(size) as stage, (
                transaction.atomic() if stage is None else contextlib.nullcontext()):
            resolver = MarkingResolver(organisation, user, markings)
            submission = _submission_row(
                queued, organisation=organisation, user=user if user and user.pk else None,
                source=source, format=fmt, filename=filename[:255], sha256=sha256,
                status=Submission.Status.STORED, markings=summary, name=name[:255],
                pasted_lines=pasted)
            _mark(submission, *resolver.for_tlp(markings.tlp))
            if stage is None:
                submission.save()
            writer = Writer(organisation, user, resolver, submission, principal, stage)
            notified: set[tuple[int, int]] = set()

            def write(batch: list[Incoming]) -> None:
                # Correlate batch by batch, so memory does not grow with the bundle.
                writer.write(batch)
                correlate(writer.outcome.fresh, submission=submission, principal=principal,
                          asked_by=submission.user, organisation=organisation,
                          channel=HitNotification.Channel.INGEST, notified=notified,
                          stage=stage)
                writer.outcome.fresh = []

            for batch in prepared_batches(items, writer.outcome.problems, worker=worker):
                write(batch)
            outcome = writer.outcome
            problems.extend(outcome.problems)
            problems.more += outcome.problems.more
            if problems and not partial:
                raise Rejected
            submission.new, submission.updated = outcome.new, outcome.updated
            submission.unchanged, submission.rejected = outcome.unchanged, problems.total
            submission.kept_markings = outcome.kept_markings
            submission.errors = [p.as_dict() for p in problems]
            submission.more_errors = problems.more
            if problems:
                submission.status = Submission.Status.PARTIAL
            # On SQLite the one short transaction that writes the staged submission.
            with transaction.atomic() if stage is not None else contextlib.nullcontext():
                if stage is not None:
                    submission.save()
                    stage.apply(submission.pk, organisation.pk)
                if original is not None:
                    originals.keep(submission, original)
                    kept = submission
                submission.save()
                if problems:
                    inbox.notify_submission_problems(submission)
                audit.record("ingest", actor=submission.user, target=submission,
                             request=request, actor_name="cli",
                             detail=_audit_detail(submission))
            return submission
    except (Rejected, InputError, staging.Conflict) as error:
        if isinstance(error, InputError):
            problems.extend(error.problems)
        if isinstance(error, staging.Conflict):
            problems = Problems([Problem(_(
                "records this submission adds versions to were corrected, re-marked or "
                "deleted, or records with its ids were made, while it was being stored: "
                "nothing of it was stored; send it again"))])
        return _rejected(organisation, user, markings, source, fmt, filename, sha256,
                         problems, summary, name=name[:255], pasted_lines=pasted,
                         queued=queued)
    except BaseException:
        if kept is not None:
            originals.discard(kept)  # nothing of a failed submission stays behind
        raise


def _submission_row(queued: Submission | None, **fields: Any) -> Submission:
    """A new submission row, or the queued one given these fields (counts start again, as
    a rolled-back attempt may have set them on the instance)."""
    if queued is None:
        return Submission(**fields)
    fields = {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0, "kept_markings": 0,
              "errors": [], "more_errors": 0, "job": None, **fields}
    for name, value in fields.items():
        setattr(queued, name, value)
    return queued


def _mark(submission: Submission, markings: Markings, audience: Any) -> None:
    for name in MARK_COLUMNS:
        setattr(submission, name, getattr(markings, name))
    submission.audience = audience


def _audit_detail(submission: Submission) -> dict[str, Any]:
    """Counts only: the audit log names no file and no value of the submission."""
    return {"status": submission.status, "new": submission.new,
            "updated": submission.updated, "unchanged": submission.unchanged,
            "rejected": submission.rejected, "errors": submission.rejected}


def _rejected(organisation: Organisation, user: User | None, markings: Markings,
              source: str, fmt: str, filename: str, sha256: str, problems: Problems,
              summary: dict[str, Any], *, name: str, pasted_lines: int | None,
              queued: Submission | None = None) -> Submission:
    submission = _submission_row(
        queued, organisation=organisation, user=user if user and user.pk else None,
        source=source,
        format=fmt, filename=filename[:255], sha256=sha256, name=name,
        pasted_lines=pasted_lines,
        status=Submission.Status.REJECTED, rejected=problems.total,
        errors=[p.as_dict() for p in problems], more_errors=problems.more, markings=summary)
    try:
        _mark(submission, *MarkingResolver(organisation, user, markings).for_tlp(
            markings.tlp))
    except ValidationError:
        # Markings that are themselves wrong: the refusal goes to the submitter alone.
        submission.tlp, submission.distribution = TLP.RED, Distribution.ORGANISATION
        if submission.user is not None:
            submission.audience = audience_for(Markings(recipients=[submission.user]))
    submission.save()
    inbox.notify_submission_problems(submission)
    audit.record("ingest", actor=submission.user, target=submission, actor_name="cli",
                 detail=_audit_detail(submission))
    return submission


def stix_items(objects: Iterable[tuple[int, dict[str, Any]]], *, upgrade: bool = False
               ) -> Iterator[Incoming]:
    for index, obj in objects:
        problem = None
        if upgrade or (isinstance(obj, dict) and obj.get("spec_version") == "2.0"):
            try:
                obj = stix.upgrade_20(obj)
            except InputError as error:
                problem = error.problems[0]
        yield Incoming(index, obj, problem=problem)

