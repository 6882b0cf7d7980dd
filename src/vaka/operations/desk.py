"""The desk's side of deconfliction: the broker view of clashes and the introductions.

A clash (:class:`~vaka.operations.models.Clash`) is two operations targeting the same
value. Each lead is told only that another operation holds the value and that the desk
will put them in touch (:mod:`vaka.operations.deconfliction`). Only the desk's brokers
(``policy.brokering.is_broker``, documented in ``directory.roles``) see both sides — each
operation's reference, code name and lead organisation, and the value — on the page
``/operations/deconfliction/`` and the API ``/api/broker/clashes/``; for everyone else,
platform admins of other organisations included, both answer 404 as if they did not
exist. Every read is written to the audit log (``BROKER_VIEW``, with its channel).

A broker **introduces** the two leads: the introduction (when, by whom, a note for the
desk) is recorded on the clash and audited (``INTRODUCE``), and each lead gets a notice
naming the other lead organisation and the desk — never the other operation's content.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vaka.inbox.models import Notice
from vaka.inbox.services import notify
from vaka.operations.models import Clash, Target
from vaka.operations.notices import reached
from vaka.policy import audit
from vaka.policy.brokering import is_broker

NOTE_LENGTH = 2000


def clashes_for_broker(user: Any) -> QuerySet[Clash]:
    """Every clash, newest first, with both sides' operations and leads, for a desk
    broker; nothing for anyone else."""
    if not is_broker(user):
        return Clash.objects.none()
    return Clash.objects.select_related(
        "target__operation__lead", "other__operation__lead", "introduced_by")


def require_broker(user: Any) -> None:
    """404 for everyone but a desk broker: the clash list does not exist for them."""
    if not is_broker(user):
        raise Http404


def audit_view(user: Any, *, request: Any, channel: str, shown: int) -> None:
    """One audit entry per read of the clash list: who, through which channel, how many
    clashes were shown."""
    audit.record(audit.Action.BROKER_VIEW, actor=user, request=request,
                 detail={"channel": channel, "shown": shown})


def introduce(clash: Clash, *, user: Any, note: str = "", request: Any = None) -> Clash:
    """A desk broker puts the two leads of ``clash`` in touch: recorded on the clash,
    audited, and each lead told whom to talk to (the other lead organisation, through the
    desk). Refused when already introduced."""
    if not is_broker(user):
        raise PermissionDenied(_("Only the desk's brokers introduce operations."))
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise ValidationError({"note": _("The note is longer than %d characters.")
                               % NOTE_LENGTH})
    if "\x00" in note:
        raise ValidationError({"note": _("The note holds a NUL character.")})
    with transaction.atomic():
        clash = Clash.objects.select_for_update().select_related(
            "target__operation__lead", "other__operation__lead").get(pk=clash.pk)
        if clash.introduced_at is not None:
            raise ValidationError(_("These operations were introduced on %s.")
                                  % clash.introduced_at.date().isoformat())
        clash.introduced_at, clash.introduced_by = timezone.now(), user
        clash.introduction_note = note
        clash.save(update_fields=["introduced_at", "introduced_by", "introduction_note"])
        audit.record(audit.Action.INTRODUCE, actor=user, target=clash, request=request,
                     detail={"leads": [clash.target.operation.lead_id,
                                       clash.other.operation.lead_id]})
        for side, other in ((clash.target, clash.other), (clash.other, clash.target)):
            _tell_introduced(clash, side, other, desk=user.organisation.name)
    return clash


def _tell_introduced(clash: Clash, side: Target, other: Target, *, desk: str) -> None:
    operation = side.operation
    if not reached(operation, [operation.lead_id]):
        return
    notify(kind=Notice.Kind.INTRODUCTION, owner_id=operation.lead_id,
           group_key=f"introduction:{clash.pk}:{side.pk}", tlp=operation.tlp,
           audience_id=operation.audience_id, target_name="operations:operation",
           target_args=[operation.pk],
           params={"reference": operation.reference, "code_name": operation.code_name[:100],
                   "kind": side.kind, "value": side.shown[:200],
                   "organisation": other.operation.lead.name, "desk": desk})


# --- How the notices read ------------------------------------------------------------------

def notice_text(notice: Notice, html: bool) -> str:
    """A CLASH or INTRODUCTION notice in words: the reader's own operation and value, and
    for an introduction the organisation to talk to and the desk."""
    params = notice.params
    if notice.kind == Notice.Kind.INTRODUCTION:
        sentence = _("The desk (%(desk)s) put you in touch with %(organisation)s about "
                     "%(value)s, a target of your operation %(reference)s %(code_name)s.")
    else:
        sentence = _("Another operation holds %(value)s, a target of your operation "
                     "%(reference)s %(code_name)s: the desk will put you in touch.")
    parts = {name: str(params.get(name, "")) for name in
             ("desk", "organisation", "value", "reference", "code_name")}
    if not html:
        return sentence % parts
    return mark_safe(escape(sentence) % {  # noqa: S308 - every part is escaped
        "desk": format_html("<bdi>{}</bdi>", parts["desk"]),
        "organisation": format_html("<bdi>{}</bdi>", parts["organisation"]),
        "value": format_html('<bdi dir="ltr">{}</bdi>', parts["value"]),
        "reference": format_html('<bdi dir="ltr">{}</bdi>', parts["reference"]),
        "code_name": format_html("<bdi>{}</bdi>", parts["code_name"])})


KINDS = (Notice.Kind.CLASH, Notice.Kind.INTRODUCTION)
