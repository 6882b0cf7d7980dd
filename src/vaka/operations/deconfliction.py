"""Deconfliction: a target value held by another operation, or in the observable index.

Every target value is compared by ``(kind, canonical value)`` — looked up by its
``value_hash``, the observable index's hash (:mod:`vaka.operations.values`) — with

* **every other operation's targets**. Two operations holding the same value make a
  :class:`~vaka.operations.models.Clash` (one row per pair of targets), written to the
  audit log. Both operations' lead organisations get an inbox notice naming their own
  operation and the value — "another operation holds this value: the desk will put you
  in touch" — and never the other operation: not its code name, reference or id, nor how
  many there are (one notice per own target, whatever the number of clashes). The desk's
  brokers see both sides and introduce the leads (:mod:`vaka.operations.desk`). When the
  adding user sees both operations, the clash is still recorded for the desk but nobody
  is notified: the user is shown the overlap.
* **the observable index** (``intel.Observable``): the records the user may see are shown
  as matches; the others go through hit/no-hit (:func:`vaka.intel.services.match_index`
  and ``report_hits``): the owner is told, the user learns only that another agency holds
  something and to contact the desk. Warninglisted values never make a hit.

The check of added targets runs when the adding transaction commits. Two operations
adding the same value at the same moment cannot both miss each other: whichever commits
second checks after the first committed (a pair found by both is stored once).

``check_values`` answers "is any of these values held?" for a list of up to 10,000 values
without storing them; ``statuses`` is what the targets table shows each viewer. Both run
a few queries per 5,000 values (``value_hash`` index), never one per value.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from vaka.directory.roles import Capability
from vaka.inbox.models import Notice
from vaka.inbox.services import notify_many
from vaka.intel.models import StixObject
from vaka.intel.services import LookupAnswer, match_index, report_hits
from vaka.operations.models import Clash, Operation, Target
from vaka.operations.notices import reached
from vaka.operations.values import OBSERVABLE_KINDS, canonical_target
from vaka.policy import audit
from vaka.policy.visibility import visible_to

MAX_CHECK = 10_000
_CHUNK = 5000  # hashes or ids per query, well inside SQLite's and PostgreSQL's limits

# (target id, operation id, kind, canonical value) of a stored target
Holding = tuple[int, int, str, str]


@dataclass
class Finding:
    """What is known of one value, as one user may be told it."""

    operations: list[Operation] = field(default_factory=list)  # other ones the user sees
    held_elsewhere: bool = False  # by operations the user may not see (the desk brokers)
    intel: list[StixObject] = field(default_factory=list)  # records the user sees
    intel_held: bool = False  # by another agency's record (hit/no-hit)
    warninglists: str = ""

    @property
    def found(self) -> bool:
        return bool(self.operations or self.held_elsewhere or self.intel or self.intel_held)


@dataclass
class CheckLine:
    """One line of a bulk check: what was asked, its canonical value or why it is not one,
    and what was found."""

    line: int
    kind: str
    text: str
    value: str = ""
    error: str = ""
    finding: Finding = field(default_factory=Finding)


_HOLDINGS = (f"SELECT id, operation_id, kind, value, value_hash "  # noqa: S608 - no input
             f"FROM {Target._meta.db_table} WHERE value_hash IN ({{marks}})")


def holdings(hashes: Iterable[int]) -> dict[int, list[Holding]]:
    """The stored targets whose value hash is one of ``hashes``, by hash: one query per
    5,000 hashes on the ``value_hash`` index. Not filtered by visibility: callers decide
    what each user may learn of them."""
    wanted = sorted(set(hashes))
    found: dict[int, list[Holding]] = {}
    # Plain SQL: the ORM's preparing of 5,000 parameters cost more than the query itself.
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            cursor.execute(_HOLDINGS.format(marks=", ".join(["%s"] * len(chunk))), chunk)
            for pk, operation_id, kind, value, hashed in cursor.fetchall():
                found.setdefault(hashed, []).append((pk, operation_id, kind, value))
    return found



def _visible_operations(user: Any, ids: Iterable[int]) -> dict[int, Operation]:
    wanted = sorted(set(ids))
    return {o.pk: o for start in range(0, len(wanted), _CHUNK)
            for o in visible_to(user, Operation.objects.filter(
                pk__in=wanted[start:start + _CHUNK])).select_related("lead")}


def _answer_index(findings: list[tuple[str, str, Finding]], user: Any, *,
                  report: bool) -> None:
    """Fill the index part of each (kind, canonical value, finding) through the look-up's
    hit/no-hit; with ``report``, the holders are told of the hits (a look-up hit)."""
    answers = []
    for kind, value, finding in findings:
        if kind in OBSERVABLE_KINDS:
            answers.append((LookupAnswer(value=value, type=kind, canonical=value, matches=[],
                                         hits=0), finding))
    held = match_index([answer for answer, _finding in answers], user=user,
                       every_warninglist=False)
    for answer, finding in answers:
        finding.intel, finding.intel_held = answer.matches, answer.hits > 0
        finding.warninglists = answer.warninglists
    if report:
        report_hits(held, user=user)


# --- Targets added -------------------------------------------------------------------------

def on_targets_added(targets: Sequence[Target], *, user: Any) -> None:
    """Check newly added ``targets`` against every other operation and the observable
    index; called by the operations services once the targets are stored. The check runs
    when the caller's transaction commits (at once outside one)."""
    ids = [t.pk for t in targets if t.pk is not None]
    if ids:
        transaction.on_commit(lambda: check_added(ids, user=user))


def check_added(target_ids: Sequence[int], *, user: Any) -> list[Clash]:
    """Deconflict the stored targets ``target_ids`` (added by ``user``): record and
    notify their clashes with other operations, and report their hits in the observable
    index. Returns the clashes it recorded."""
    targets = list(Target.objects.filter(pk__in=target_ids).select_related("operation"))
    if not targets:
        return []
    for attempt in range(2):
        try:
            with transaction.atomic():
                made = _record_clashes(targets, user)
            break
        except IntegrityError:  # the same pair recorded meanwhile by the other side's check
            if attempt:
                raise
    _answer_index([(t.kind, t.value, Finding()) for t in targets], user, report=True)
    return made


def _record_clashes(targets: list[Target], user: Any) -> list[Clash]:
    held = holdings(t.value_hash for t in targets)
    pairs: dict[tuple[int, int], str] = {}
    for target in targets:
        for pk, operation_id, kind, value in held.get(target.value_hash, []):
            if operation_id != target.operation_id and (kind, value) == (target.kind,
                                                                         target.value):
                # One row per pair: the later target first, whichever side is checking.
                pairs[(max(pk, target.pk), min(pk, target.pk))] = kind
    if not pairs:
        return []
    involved = sorted({pk for pair in pairs for pk in pair})
    known = set()
    for start in range(0, len(involved), _CHUNK):
        chunk = involved[start:start + _CHUNK]
        known.update(Clash.objects.filter(Q(target_id__in=chunk) | Q(other_id__in=chunk))
                     .values_list("target_id", "other_id"))
    made = Clash.objects.bulk_create(
        [Clash(target_id=a, other_id=b) for a, b in sorted(pairs) if (a, b) not in known],
        batch_size=1000)
    if not made:
        return []
    sides = Target.objects.in_bulk(involved)
    operations = Operation.objects.only(
        "pk", "reference", "code_name", "lead_id", "tlp", "audience_id").in_bulk(
        {t.operation_id for t in sides.values()})
    seen = set(_visible_operations(user, operations))
    told = _already_told(sides.values())
    quiet, notices, reach = [], [], {}
    for clash in made:
        a, b = sides[clash.target_id], sides[clash.other_id]
        if a.operation_id in seen and b.operation_id in seen:
            quiet.append(clash.pk)
            continue
        for side in (a, b):
            operation = operations[side.operation_id]
            if operation.pk not in reach:
                reach[operation.pk] = bool(reached(operation, [operation.lead_id]))
            if side.pk not in told and reach[operation.pk]:
                notices.append(_clash_notice(side, operation))
                told.add(side.pk)
    notify_many(notices)
    # One entry for the round (a list of 10,000 targets may clash thousands of times).
    audit.record(audit.Action.DECONFLICTION_CLASH, actor=user,
                 detail={"clashes": [clash.pk for clash in made],
                         "not_notified": quiet})  # both operations seen by the user
    return made


def _group_key(target: Target) -> str:
    return f"clash:{target.pk}"


def _already_told(targets: Iterable[Target]) -> set[int]:
    """Targets whose lead already has a clash notice: it is never counted up, so that it
    says nothing of how many other operations hold the value."""
    by_key = {_group_key(t): t.pk for t in targets}
    return {by_key[key] for key in Notice.objects.filter(
        kind=Notice.Kind.CLASH, group_key__in=list(by_key)).values_list("group_key", flat=True)}


def _clash_notice(target: Target, operation: Operation) -> dict[str, Any]:
    """The CLASH notice to ``operation``'s lead: its own operation and value, nothing of
    the other side; it carries the operation's markings (told only when they reach the
    lead)."""
    return {"kind": Notice.Kind.CLASH, "owner_id": operation.lead_id,
            "group_key": _group_key(target), "tlp": operation.tlp,
            "audience_id": operation.audience_id, "target_name": "operations:operation",
            "target_args": [operation.pk],
            "params": {"reference": operation.reference,
                       "code_name": operation.code_name[:100], "kind": target.kind,
                       "value": target.shown[:200]}}


# --- What the targets table shows --------------------------------------------------------

def statuses(user: Any, targets: Iterable[Target]) -> dict[int, Finding]:
    """Each target's deconfliction status for ``user``, by target id: the other
    operations holding its value that they see, whether ones they may not see hold it,
    the records they see carrying it, and whether other agencies' records do. Reads only:
    the hits were reported when the target was added."""
    targets = list(targets)
    held = holdings(t.value_hash for t in targets)
    others = {t.pk: [h for h in held.get(t.value_hash, [])
                     if h[1] != t.operation_id and (h[2], h[3]) == (t.kind, t.value)]
              for t in targets}
    seen = _visible_operations(user, (h[1] for rows in others.values() for h in rows))
    found = {}
    for target in targets:
        finding = found[target.pk] = Finding()
        for _pk, operation_id, _kind, _value in others[target.pk]:
            if operation_id in seen:
                if seen[operation_id] not in finding.operations:
                    finding.operations.append(seen[operation_id])
            else:
                finding.held_elsewhere = True
    _answer_index([(t.kind, t.value, found[t.pk]) for t in targets], user, report=False)
    return found


# --- A bulk check ------------------------------------------------------------------------

def check_values(user: Any, values: Sequence[tuple[str, str]], *,
                 request: Any = None) -> list[CheckLine]:
    """Is any of these (kind, text) values held by an operation or in the observable index?

    Nothing is stored of the values. Each line gets its canonical value or the reason it
    is not one, the operations holding it that ``user`` sees, whether others hold it (the
    desk will put them in touch), the records they see, and hit/no-hit for the records
    they may not see (their owners are told). Operations' targets found beyond the user's
    sight are written to the audit log for the desk. Coordinators only."""
    if not (user.is_authenticated and user.can(Capability.COORDINATE)):
        raise PermissionDenied(_("Only coordinators check values against operations."))
    if len(values) > MAX_CHECK:
        raise ValidationError({"values": _("At most %d values at a time.") % MAX_CHECK})
    lines, wanted = [], {}
    for number, (kind, text) in enumerate(values, start=1):
        line = CheckLine(line=number, kind=kind, text=text)
        try:
            line.value, hashed = canonical_target(kind, text)
        except ValueError as error:
            line.error = str(error)
        else:
            wanted.setdefault(hashed, []).append(line)
        lines.append(line)
    held = holdings(wanted)
    seen = _visible_operations(user, (h[1] for rows in held.values() for h in rows))
    beyond: set[int] = set()
    for hashed, rows in held.items():
        for line in wanted.get(hashed, []):
            for pk, operation_id, kind, value in rows:
                if (kind, value) != (line.kind, line.value):
                    continue
                if operation_id in seen:
                    if seen[operation_id] not in line.finding.operations:
                        line.finding.operations.append(seen[operation_id])
                else:
                    line.finding.held_elsewhere = True
                    beyond.add(pk)
    valid = [line for line in lines if not line.error]
    _answer_index([(line.kind, line.value, line.finding) for line in valid], user,
                  report=True)
    audit.record(audit.Action.DECONFLICTION_CLASH if beyond else audit.Action.VIEW,
                 actor=user, request=request,
                 detail={"channel": "check", "values": len(values),
                         "in_operations": sum(bool(line.finding.operations
                                                   or line.finding.held_elsewhere)
                                              for line in lines),
                         # for the desk: the targets found beyond the user's sight
                         **({"targets": sorted(beyond)} if beyond else {})})
    return lines
