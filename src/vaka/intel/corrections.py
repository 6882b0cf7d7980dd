"""Correcting stored intelligence: re-mark, revoke and edit, one record or a selection.

Only contributors of the owner organisation who can see a record change it. Each change
is a new STIX version (a later ``modified``), audited, and reaches every channel at once:
a revoked object leaves lookups, blocklists, export links and TAXII's current versions,
and crosses to connected instances as its revoked version. A **re-mark** is the one act
that changes who may see what a record already said: it sets the markings of every
version. Widening must be asked for (``widen=True``); narrowing a record that connected
instances hold leaves a withdrawal for them to act on at their next sync.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import User
from vaka.inbox import services as inbox_services
from vaka.intel import bulk
from vaka.intel.models import StixObject, StixObjectVersion, Withdrawal
from vaka.intel.outgoing import shared_stix
from vaka.intel.parsing.timestamps import stix_timestamp
from vaka.policy import audit
from vaka.policy.markings import CROSSING_DISTRIBUTIONS, CROSSING_TLPS
from vaka.policy.models import MARKING_FIELDS
from vaka.policy.narrowing import reach_of, within
from vaka.policy.services import Markings, audience_for, clean_markings, markings_detail
from vaka.policy.visibility import can_edit

MAX_SELECTION = 10_000  # records changed by one bulk action
EDITABLE = ("name", "description", "labels", "valid_from", "valid_until")


def may_correct(user: Any, obj: StixObject) -> bool:
    """Contributors of the owner organisation who see a record correct it; records of a
    connected instance are corrected there."""
    return obj.owner.origin_id is None and can_edit(user, obj)


def _check(obj: StixObject, user: User) -> None:
    if obj.owner.origin_id is not None:
        raise PermissionDenied(_("Records of a connected instance are changed there."))
    if not can_edit(user, obj):
        raise PermissionDenied(_("Only contributors of the owner organisation may change "
                                 "this record."))


def _new_version(obj: StixObject, data: dict[str, Any], *, user: User) -> StixObject:
    """Store ``data`` as ``obj``'s new current version, with ``obj``'s markings."""
    now = timezone.now()
    previous = obj.stix_modified or obj.stix_created or now
    moment = max(now, previous + timedelta(milliseconds=1))
    data = {**data, "modified": stix_timestamp(moment)}
    bulk.keep_superseded_versions([obj.pk])
    labels = [str(label) for label in data.get("labels") or ()]
    obj.data, obj.version_key = data, data["modified"]
    obj.stix_modified = datetime.fromisoformat(data["modified"])
    obj.name = str(data.get("name") or obj.name)[:300]
    obj.description = str(data.get("description", ""))
    obj.labels, obj.label_text = labels, ("|" + "|".join(labels) + "|" if labels else "")
    obj.valid_from = _parsed(data.get("valid_from"))
    obj.valid_until = _parsed(data.get("valid_until"))
    obj.revoked = bool(data.get("revoked"))
    obj.modified = now
    obj.save()
    StixObjectVersion.objects.create(
        object=obj, version_key=obj.version_key, stix_modified=obj.stix_modified, data=None,
        **{name: getattr(obj, name) for name in MARKING_FIELDS})
    bulk.index_text([obj.pk])
    return obj


def _parsed(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _withdrawal(obj: StixObject, reason: str) -> Withdrawal | None:
    """The withdrawal to leave for connected instances, or None when no version of
    ``obj`` had markings that could cross: it carries the widest such markings, so that
    only the instances they reached hear of the record."""
    marks = [(obj.distribution, obj.tlp, obj.audience_id)] if obj.pk else []
    marks += list(StixObjectVersion.objects.filter(object=obj).values_list(
        "distribution", "tlp", "audience_id").distinct())
    crossing = [m for m in marks if m[0] in CROSSING_DISTRIBUTIONS and m[1] in CROSSING_TLPS]
    if not crossing:
        return None
    distribution, tlp, audience_id = min(crossing, key=lambda m: (m[0] == "communities",
                                                                  m[1] == "amber"))
    return Withdrawal(owner=obj.owner, stix_id=obj.stix_id, reason=reason,
                      distribution=distribution, tlp=tlp, audience_id=audience_id)


@transaction.atomic
def remark(obj: StixObject, *, user: User, markings: Markings, widen: bool = False,
           request: Any = None) -> StixObject:
    """Set the markings of ``obj`` and of every one of its versions, as a new version.

    Markings reaching anyone the current ones do not are refused unless ``widen``."""
    _check(obj, user)
    m = clean_markings(obj.owner, obj.created_by or user, markings)
    audience = audience_for(m)
    before = Markings.of(obj)
    old_reach = reach_of(obj.distribution, obj.tlp, obj.audience_id)
    new_reach = reach_of(m.distribution, m.tlp, audience.pk if audience else None)
    narrows = within(new_reach, old_reach, owner_id=obj.owner_id)
    if not narrows and not widen:
        raise ValidationError({"widen": _(
            "These markings reach people the record's current markings do not. Confirm "
            "that you mean to widen who may see it, all its versions included.")})
    withdrawal = _withdrawal(obj, Withdrawal.Reason.REMARKED)
    values = {name: getattr(m, name) for name in MARKING_FIELDS if name != "audience"}
    values["audience"] = audience
    for name, value in values.items():
        setattr(obj, name, value)
    StixObjectVersion.objects.filter(object=obj).update(**values)
    _new_version(obj, shared_stix(obj.data, obj.tlp), user=user)
    inbox_services.follow_records([obj])
    if withdrawal is not None:  # the sync sends a tombstone only where it no longer crosses
        withdrawal.save()
    audit.record(audit.Action.REMARK, actor=user, target=obj, request=request,
                 detail={"before": markings_detail(before), "after": markings_detail(m),
                         "widened": not narrows})
    return obj


@transaction.atomic
def revoke(obj: StixObject, *, user: User, request: Any = None) -> StixObject:
    """Mark ``obj`` revoked (STIX ``revoked: true``) in a new version."""
    _check(obj, user)
    if obj.revoked:
        raise ValidationError({"revoked": _("This record is already revoked.")})
    _new_version(obj, {**obj.data, "revoked": True}, user=user)
    audit.record(audit.Action.REVOKE, actor=user, target=obj, request=request)
    return obj


@transaction.atomic
def edit(obj: StixObject, *, user: User, changes: dict[str, Any],
         request: Any = None) -> StixObject:
    """Change name, description, labels or validity of ``obj`` in a new version."""
    _check(obj, user)
    if obj.revoked:
        raise ValidationError({"revoked": _("A revoked record cannot be edited.")})
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({unknown[0]: _("This field cannot be edited; editable: %s.")
                               % ", ".join(EDITABLE)})
    data = dict(obj.data)
    for name, value in changes.items():
        if value in (None, "", []):
            data.pop(name, None)
        elif name in ("valid_from", "valid_until"):
            data[name] = stix_timestamp(value) if isinstance(value, datetime) else str(value)
        else:
            data[name] = value
    if data.get("type") == "indicator" and "valid_from" not in data:
        raise ValidationError({"valid_from": _("An indicator needs a valid-from time.")})
    if data.get("valid_from") and data.get("valid_until") and \
            _parsed(data["valid_until"]) <= _parsed(data["valid_from"]):
        raise ValidationError({"valid_until": _("Valid until must be after valid from.")})
    changed = sorted(name for name in EDITABLE if data.get(name) != obj.data.get(name))
    if not changed:
        return obj
    _new_version(obj, data, user=user)
    audit.record(audit.Action.UPDATE, actor=user, target=obj, request=request,
                 detail={"changed": changed})
    return obj


def _selection(objects: QuerySet[StixObject] | Iterable[StixObject]) -> list[StixObject]:
    chosen = list(objects[:MAX_SELECTION + 1] if isinstance(objects, QuerySet) else objects)
    if len(chosen) > MAX_SELECTION:
        raise ValidationError({"selection": _("At most %d records at a time; narrow the "
                                              "filter.") % MAX_SELECTION})
    return chosen


@transaction.atomic
def bulk_remark(objects: QuerySet[StixObject], *, user: User, markings: Markings,
                widen: bool = False, request: Any = None) -> int:
    """Re-mark every record of a selection the user may change; all or nothing."""
    chosen = _selection(objects)
    for obj in chosen:
        remark(obj, user=user, markings=Markings(**vars(markings)), widen=widen,
               request=request)
    return len(chosen)


@transaction.atomic
def bulk_revoke(objects: QuerySet[StixObject], *, user: User, request: Any = None) -> int:
    """Revoke every record of a selection not revoked yet; all or nothing."""
    chosen = [obj for obj in _selection(objects) if not obj.revoked]
    for obj in chosen:
        revoke(obj, user=user, request=request)
    return len(chosen)


def erase(objects: Iterable[StixObject]) -> None:
    """Remove records outright: versions, observable index and hit notices go with them
    (the foreign keys cascade; inbox notices are deleted), and their words leave the
    full-text table."""
    pks = [obj.pk for obj in objects]
    StixObject.objects.filter(pk__in=pks).delete()
    inbox_services.forget_records(pks)
    bulk.index_text(pks)  # re-indexing rows that are gone drops their words


@transaction.atomic
def delete(obj: StixObject, *, user: User, request: Any = None,
           detail: dict[str, Any] | None = None) -> None:
    """Delete ``obj`` with every version. Connected instances that may hold it are told
    to drop their copy at their next sync."""
    _check(obj, user)
    withdrawal = _withdrawal(obj, Withdrawal.Reason.DELETED)
    if withdrawal is not None:
        withdrawal.save()
    audit.record(audit.Action.DELETE, actor=user, target=obj, request=request,
                 detail=detail or {})
    erase([obj])
