import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet

from vaka.policy.models import AuditEntry
from vaka.policy.visibility import AnyUser, ShareableQuerySet, visible_to

# Records without markings whose titles every platform admin may read: the directory and
# the instance's own sharing configuration, which platform admins manage anyway.
_ADMIN_RECORDS = frozenset({
    "directory.user", "directory.organisation", "directory.community", "directory.apitoken",
    "intel.warninglistentry", "exchange.collection", "exchange.feed", "exchange.peer",
})
# Records private to one organisation (a submission's file name and errors carry values):
# the path from the record to that organisation.
_ORGANISATION_RECORDS = {
    "intel.submission": "organisation_id",
    "intel.exportlink": "user__organisation_id",
}


def audit_entries(*, user: str = "", organisation: str = "", action: str = "",
                  since: date | None = None, until: date | None = None) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor", "organisation")
    if user:
        qs = qs.filter(actor_name__iexact=user)
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs


@dataclass
class AuditRow:
    """An audit entry as one reader may see it.

    The record's kind and id are always shown; its title and the entry's detail (which
    for a shareable record names its communities and recipients) only to a reader who
    may see the record itself. Anything unknown — a kind with no audience rule, a record
    since deleted — shows kind and id only.
    """

    entry: AuditEntry
    kind: str = ""
    title: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    withheld: bool = False

    @property
    def detail_text(self) -> str:
        return json.dumps(self.detail, sort_keys=True, ensure_ascii=False) if self.detail else ""


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _readable_ids(reader: AnyUser, label: str, model: type[models.Model],
                  ids: set[str]) -> set[str]:
    """Which of ``ids`` (records of ``model``) ``reader`` may read the title of: one query."""
    if label in _ADMIN_RECORDS:
        return set(ids)
    pks = set()
    for target_id in ids:
        try:
            pks.add(model._meta.pk.to_python(target_id))
        except (ValidationError, ValueError, TypeError):
            continue
    qs = model._default_manager.filter(pk__in=pks)
    if isinstance(qs, ShareableQuerySet):  # marked records: the visibility policy decides
        qs = visible_to(reader, qs)
    elif label in _ORGANISATION_RECORDS:
        if getattr(reader, "organisation_id", None) is None:
            return set()
        qs = qs.filter(**{_ORGANISATION_RECORDS[label]: reader.organisation_id})
    else:
        return set()
    return {str(pk) for pk in qs.values_list("pk", flat=True)}


def audit_rows(reader: AnyUser, entries: Iterable[AuditEntry]) -> list[AuditRow]:
    """``entries`` (a page of them) as ``reader`` may see them: one query per record kind."""
    entries = list(entries)
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.target_type:
            wanted[entry.target_type].add(entry.target_id)
    readable: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    for label, ids in wanted.items():
        model = _model(label)
        kinds[label] = str(model._meta.verbose_name) if model else label
        readable[label] = _readable_ids(reader, label, model, ids) if model else set()
    rows = []
    for entry in entries:
        if not entry.target_type:
            rows.append(AuditRow(entry, detail=entry.detail))
        elif entry.target_id in readable[entry.target_type]:
            rows.append(AuditRow(entry, kinds[entry.target_type], entry.target_repr,
                                 entry.detail))
        else:
            rows.append(AuditRow(entry, kinds[entry.target_type], withheld=True))
    return rows
