"""Writing an operation's targets: add one or many, remove, link to intelligence.

A target's value is stored canonical (``operations.values.canonical_target``), as written
too. A pasted list is all or nothing: every bad line is reported by its number, and then
nothing of the paste is stored. A value the operation already holds is not added twice
(the answer counts it). Once the new targets are committed, deconfliction
(``operations.deconfliction.on_targets_added``) checks them against every other operation
and the observable index.

Who may write: the coordinators of :func:`operations.services.check_coordinator`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vaka.directory.models import User
from vaka.intel.models import StixObject
from vaka.operations.models import Operation, Target
from vaka.operations.services import for_change
from vaka.operations.values import canonical_target
from vaka.policy import audit
from vaka.policy.visibility import visible_to

MAX_TARGETS = 10_000  # per paste: the deconfliction benchmark's list
MAX_REPORTED = 20  # bad lines named one by one; more are counted
MAX_LINKED = 500
NOTE_LENGTH = 2000


@dataclass
class TargetInput:
    """One target as given: its type (a ``Target.Kind`` code) and its value as written;
    ``line`` is where it stood in a paste (for error messages)."""

    kind: str
    text: str
    note: str = ""
    linked: list[int | str] = field(default_factory=list)  # object numbers or STIX ids
    line: int | None = None


@dataclass
class Added:
    """What :func:`add_targets` stored, and how many values the operation already held."""

    targets: list[Target]
    already: int = 0


def parse_paste(text: str, kind: str = "") -> list[TargetInput]:
    """The targets of a pasted list, one a line. With ``kind`` chosen each line is a value
    of that type, whole; without it a line is ``type value`` (``domain evil.example``,
    ``person Jane Doe``). Blank lines are skipped. The types are checked when added."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if kind:
            items.append(TargetInput(kind, line, line=number))
        else:
            word, _space, rest = line.partition(" ")
            items.append(TargetInput(word.strip().lower(), rest.strip(), line=number))
    return items


def _where(item: TargetInput, index: int) -> str:
    return (_("Line %(n)d") % {"n": item.line} if item.line is not None
            else _("Target %(n)d") % {"n": index + 1})


def _resolve_linked(user: User, wanted: Iterable[int | str]) -> tuple[set[int], list[str]]:
    """The object ids among ``wanted`` (numbers or STIX ids) that ``user`` may see, and
    those that name nothing the user may see (the same words for both cases)."""
    wanted = list(wanted)
    numbers = {int(w) for w in wanted if isinstance(w, int) or str(w).isdigit()}
    stix_ids = {str(w) for w in wanted if not (isinstance(w, int) or str(w).isdigit())}
    visible = visible_to(user, StixObject.objects.all())
    found = set(visible.filter(pk__in=numbers).values_list("pk", flat=True))
    by_stix = dict(visible.filter(stix_id__in={s for s in stix_ids if "\x00" not in s})
                   .values_list("stix_id", "pk"))
    missing = [str(n) for n in sorted(numbers - found)] + sorted(stix_ids - set(by_stix))
    return found | set(by_stix.values()), missing


def _clean(items: Sequence[TargetInput], user: User
           ) -> tuple[list[tuple[TargetInput, str, int, set[int]]], list[str]]:
    """Each item with its canonical value, hash and linked objects; and what is wrong,
    one message per bad item."""
    known = ", ".join(Target.Kind.values)
    good, problems = [], []
    for index, item in enumerate(items):
        where = _where(item, index)
        if item.kind not in Target.Kind.values:
            problems.append(_("%(where)s: “%(kind)s” is not a target type (%(known)s).")
                            % {"where": where, "kind": item.kind[:40], "known": known})
            continue
        try:
            value, hashed = canonical_target(item.kind, item.text)
        except ValueError as error:
            problems.append(_("%(where)s: %(reason)s.") % {"where": where, "reason": error})
            continue
        if len(item.note) > NOTE_LENGTH or "\x00" in item.note:
            problems.append(_("%(where)s: the note is too long or holds a NUL character.")
                            % {"where": where})
            continue
        linked, missing = (_resolve_linked(user, item.linked[:MAX_LINKED + 1])
                           if item.linked else (set(), []))
        if missing or len(item.linked) > MAX_LINKED:
            problems.append(_("%(where)s: no object you may see has the id(s) %(ids)s.")
                            % {"where": where, "ids": ", ".join(missing[:10]) or "—"})
            continue
        good.append((item, value, hashed, linked))
    return good, problems


def _refuse(problems: list[str]) -> ValidationError:
    shown = problems[:MAX_REPORTED]
    if len(problems) > MAX_REPORTED:
        more = len(problems) - MAX_REPORTED
        shown.append(ngettext("… and %(n)d more bad line.", "… and %(n)d more bad lines.",
                              more) % {"n": more})
    shown.append(_("Nothing was added: correct these and send the list again."))
    return ValidationError({"targets": shown})


def add_targets(operation: Operation, *, user: User, targets: Sequence[TargetInput],
                request: Any = None) -> Added:
    """Add ``targets`` to the operation, all or none; values it already holds are
    counted, not added again. Deconfliction runs once the targets are committed."""
    if not targets:
        raise ValidationError({"targets": [_("Give at least one target.")]})
    if len(targets) > MAX_TARGETS:
        raise ValidationError({"targets": [
            _("%(n)d targets were given; at most %(max)d are added at once.")
            % {"n": len(targets), "max": MAX_TARGETS}]})
    with transaction.atomic():
        operation = for_change(operation, user)
        good, problems = _clean(targets, user)
        if problems:
            raise _refuse(problems)
        held = set(Target.objects.filter(operation=operation, value_hash__in={
            hashed for _item, _value, hashed, _linked in good}).values_list("kind", "value"))
        rows: dict[tuple[str, str], tuple[TargetInput, str, int, set[int]]] = {}
        for entry in good:
            key = (entry[0].kind, entry[1])
            if key not in held:
                rows.setdefault(key, entry)
        made = Target.objects.bulk_create([
            Target(operation=operation, kind=item.kind, value=value, shown=item.text.strip(),
                   value_hash=hashed, note=item.note.strip(), added_by=user,
                   organisation_id=user.organisation_id)
            for item, value, hashed, _linked in rows.values()])
        if not all(t.pk for t in made):  # backends without RETURNING: read them back
            made = list(Target.objects.filter(operation=operation, value_hash__in={
                t.value_hash for t in made}, added_by=user).order_by("pk"))
        by_key = {(t.kind, t.value): t for t in made}
        Link = Target.linked.through
        Link.objects.bulk_create([
            Link(target_id=by_key[key].pk, stixobject_id=pk)
            for key, (_item, _value, _hashed, linked) in rows.items() for pk in linked])
        audit.record(audit.Action.UPDATE, actor=user, target=operation, request=request,
                     detail={"targets_added": len(made),
                             "already_held": len(good) - len(rows)})
        new = list(by_key.values())
        transaction.on_commit(lambda: _deconflict(new, user))
    return Added(new, len(good) - len(rows))


def _deconflict(targets: list[Target], user: User) -> None:
    from vaka.operations import deconfliction

    deconfliction.on_targets_added(targets, user=user)


@transaction.atomic
def remove_target(operation: Operation, target_id: int, *, user: User,
                  request: Any = None) -> None:
    """Remove one target of the operation."""
    operation = for_change(operation, user)
    target = Target.objects.filter(operation=operation, pk=target_id).first()
    if target is None:
        raise ValidationError(_("This operation has no target %s.") % target_id)
    audit.record(audit.Action.UPDATE, actor=user, target=operation, request=request,
                 detail={"target_removed": target.pk, "kind": target.kind})
    target.delete()


@transaction.atomic
def link_target(operation: Operation, target_id: int, *, user: User,
                linked: Sequence[int | str], request: Any = None) -> Target:
    """Make the target's linked intelligence ``linked`` (object numbers or STIX ids the
    user may see); links to objects the user may not see (a colleague's) are kept."""
    operation = for_change(operation, user)
    target = Target.objects.filter(operation=operation, pk=target_id).first()
    if target is None:
        raise ValidationError(_("This operation has no target %s.") % target_id)
    if len(linked) > MAX_LINKED:
        raise ValidationError({"linked": [_("At most %(n)d intelligence objects can be "
                                            "linked.") % {"n": MAX_LINKED}]})
    found, missing = _resolve_linked(user, linked)
    if missing:
        raise ValidationError({"linked": [_("No object you may see has the id(s) %s.")
                                          % ", ".join(missing[:10])]})
    held = set(target.linked.values_list("pk", flat=True))
    hidden = held - set(visible_to(user, StixObject.objects.filter(pk__in=held))
                        .values_list("pk", flat=True))
    if held != found | hidden:
        target.linked.set(found | hidden)
        audit.record(audit.Action.UPDATE, actor=user, target=operation, request=request,
                     detail={"target": target.pk, "linked": sorted(found)})
    return target
