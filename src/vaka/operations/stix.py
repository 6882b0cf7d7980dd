"""An operation's shareable intelligence as STIX 2.1: a ``grouping`` and a ``note``.

What the bundle holds is what one reader may read of an operation they may see (the
caller got it through ``operations.selectors``): the grouping, marked with the
operation's TLP, names the infrastructure targets as cyber-observables, the intelligence
linked to the targets that the reader may see (never how much was left out), and a
``note`` carrying the objective, the phase and period, the lessons, and the targets STIX
has no observable for (phone numbers, wallets).

Choices, and why:

* **People and organisations are not exported.** A target person is personal data held
  for a police purpose; it stays in Vaka, where the operation's compartment guards it.
  A partner needs the infrastructure to block and the context to act on it.
* **Observables are built by** ``stix2`` (deterministic ids, as STIX 2.1 §2.9 requires),
  so two instances that export the same domain give it the same id.
* **One grouping id per operation**, derived from the owner organisation's ``uid`` and
  the reference (stable across renames and instances); ``context`` is
  ``suspicious-activity``, the grouping-context entry for activity under investigation.
"""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import stix2
from django.http import StreamingHttpResponse
from django.utils import translation

from vaka.intel.crime_types import tag
from vaka.intel.exports import stix_bundle
from vaka.intel.models import StixObject
from vaka.intel.parsing.stix_markings import tlp_marking_id
from vaka.intel.parsing.tabular import VAKA_NAMESPACE
from vaka.intel.parsing.timestamps import stix_timestamp
from vaka.operations.models import Operation, Target
from vaka.policy import audit
from vaka.policy.visibility import visible_to

CONTENT_TYPE = "application/stix+json;version=2.1"

# Target kind → the STIX cyber-observable and its property holding the value.
_OBSERVABLES: dict[str, tuple[type, str]] = {
    Target.Kind.DOMAIN: (stix2.DomainName, "value"),
    Target.Kind.IPV4: (stix2.IPv4Address, "value"),
    Target.Kind.IPV6: (stix2.IPv6Address, "value"),
    Target.Kind.URL: (stix2.URL, "value"),
    Target.Kind.EMAIL: (stix2.EmailAddress, "value"),
}
# Shown in the note: no STIX observable holds them.
IN_NOTE = frozenset({Target.Kind.PHONE, Target.Kind.BTC, Target.Kind.ETH})
NOT_EXPORTED = frozenset({Target.Kind.PERSON, Target.Kind.ORGANISATION})


def grouping_id(operation: Operation) -> str:
    name = f"operation:{operation.owner.uid}:{operation.reference}"
    return f"grouping--{uuid.uuid5(VAKA_NAMESPACE, name)}"


def note_id(operation: Operation) -> str:
    name = f"operation-note:{operation.owner.uid}:{operation.reference}"
    return f"note--{uuid.uuid5(VAKA_NAMESPACE, name)}"


def observable(target: Target, marking: str) -> dict[str, Any] | None:
    """The cyber-observable of an infrastructure target, or None for other kinds."""
    if target.kind == Target.Kind.ACCOUNT:
        service, _colon, login = target.value.partition(":")
        made = stix2.UserAccount(account_login=login, account_type=service,
                                 object_marking_refs=[marking])
    elif target.kind in _OBSERVABLES:
        cls, prop = _OBSERVABLES[target.kind]
        made = cls(**{prop: target.value}, object_marking_refs=[marking])
    else:
        return None
    return json.loads(made.serialize())


def _note_text(operation: Operation, targets: list[Target]) -> str:
    lines = [operation.objective.strip(), "",
             f"Phase: {operation.get_phase_display()}"]
    if operation.starts or operation.ends:
        lines.append(f"Period: {operation.starts or '…'} – {operation.ends or '…'}")
    others = [t for t in targets if t.kind in IN_NOTE]
    if others:
        lines += ["", "Other targets:"] + [f"- {t.get_kind_display()}: {t.value}"
                                           for t in others]
    if operation.lessons.strip():
        lines += ["", "Lessons:", operation.lessons.strip()]
    return "\n".join(lines)


def objects(operation: Operation, targets: list[Target], refs: list[str]) -> list[dict]:
    """The grouping, its note and the targets' observables; ``refs`` are the STIX ids of
    the linked intelligence the reader may see."""
    marking = tlp_marking_id(operation.tlp)
    created, modified = stix_timestamp(operation.created), stix_timestamp(operation.modified)
    author = f"identity--{operation.owner.uid}"
    observables = [o for o in (observable(t, marking) for t in targets) if o is not None]
    with translation.override("en"):  # an exchange format: one language for every reader
        content = _note_text(operation, targets)
    note = {"type": "note", "spec_version": "2.1", "id": note_id(operation),
            "created": created, "modified": modified, "created_by_ref": author,
            "abstract": f"{operation.reference} {operation.code_name}", "content": content,
            "object_refs": [grouping_id(operation)], "object_marking_refs": [marking]}
    grouping: dict[str, Any] = {
        "type": "grouping", "spec_version": "2.1", "id": grouping_id(operation),
        "created": created, "modified": modified, "created_by_ref": author,
        "name": f"{operation.reference} {operation.code_name}",
        "description": operation.objective, "context": "suspicious-activity",
        "object_refs": [*sorted({o["id"] for o in observables} | set(refs)), note["id"]],
        "object_marking_refs": [marking],
        "external_references": [{"source_name": "vaka", "external_id": operation.reference}],
    }
    if operation.crime_types:
        grouping["labels"] = [tag(code) for code in operation.crime_types]
    return [grouping, note, *observables]


def bundle(user: Any, operation: Operation) -> Iterator[str]:
    """The operation as ``user`` may read it, as the text of a STIX 2.1 bundle."""
    targets = list(operation.targets.exclude(kind__in=NOT_EXPORTED))
    linked = visible_to(user, StixObject.objects.filter(
        pk__in=Target.linked.through.objects.filter(target__operation=operation)
        .values("stixobject_id"), revoked=False))
    refs = list(linked.values_list("stix_id", flat=True))
    return stix_bundle(linked, objects(operation, targets, refs))


def download(user: Any, operation: Operation, *, request: Any = None) -> StreamingHttpResponse:
    """The bundle as a download, for the page and the API alike (``operation`` as the
    caller got it through ``operations.selectors``); the export is audited."""
    audit.record("export", actor=user, target=operation, request=request,
                 detail={"format": "stix"})
    response = StreamingHttpResponse(bundle(user, operation), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{operation.reference}.json"'
    response["Cache-Control"] = "private, no-store"
    return response
