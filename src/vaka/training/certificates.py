"""Certificates of completion: issued once per completed enrolment, printed as a PDF with a
verification code and a QR code, checked by anyone on the public page ``/verify/<code>``,
revoked by the course's managers.

What a certificate says (the person's name, the course's title, the day it was completed)
is fixed when it is issued: a later rename changes neither the PDF nor the public page.
The public page confirms those three things and nothing else — no organisation, score or
country; a revoked certificate says when it was revoked, never why.
"""

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vaka.inbox.models import Notice
from vaka.inbox.services import notify
from vaka.policy import audit
from vaka.policy.visibility import can_see, reaches
from vaka.training.courses import can_manage
from vaka.training.models import Certificate, Completion, Enrolment
from vaka.web.pdf import render_template_pdf

KINDS = (Notice.Kind.CERTIFICATE,)
DONE = (Completion.COMPLETE, Completion.PASS)
REASON_LENGTH = Certificate._meta.get_field("revoked_reason").max_length
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # models.new_certificate_code's
_NOT_CODE = re.compile(r"[\s\-‐-―_.]+")


def verification_url(cert: Certificate) -> str:
    """The certificate's public page, absolute (``VAKA_BASE_URL``): what its QR code holds."""
    return settings.BASE_URL + reverse("verify", args=[cert.code])


@transaction.atomic
def issue(enrolment: Enrolment, *, user: Any, request: Any = None) -> Certificate:
    """The certificate of a completed (complete or passed) enrolment: made once, and the
    same one returned on every later call. Its name, course title and completion date are
    fixed now. The participant's organisation is told in its inbox, if the course reaches
    it."""
    enrolment = (Enrolment.objects.select_for_update()
                 .select_related("participant", "session__course").get(pk=enrolment.pk))
    existing = Certificate.objects.filter(enrolment=enrolment).first()
    if existing is not None:
        return existing
    if user is not None and not can_see(user, enrolment):
        raise PermissionDenied(_("You may not issue a certificate for this enrolment."))
    if enrolment.completion not in DONE:
        raise ValidationError({"completion": _(
            "A certificate is issued only for a completed or passed enrolment; this one is "
            "“%(state)s”.") % {"state": enrolment.get_completion_display()}})
    course, person = enrolment.session.course, enrolment.participant
    completed = enrolment.completed_at or timezone.now()
    cert = Certificate.objects.create(
        enrolment=enrolment, name=person.name[:300], course_title=course.title,
        completed_on=timezone.localdate(completed), issued_by=user)
    audit.record(audit.Action.CERTIFICATE_ISSUE, actor=user, target=cert, request=request,
                 detail={"enrolment": enrolment.pk, "session": enrolment.session_id,
                         "course": course.pk})
    _tell(cert, enrolment)
    return cert


def _tell(cert: Certificate, enrolment: Enrolment) -> None:
    """A CERTIFICATE notice to the participant's organisation, within the course's markings
    (the notice carries them; an organisation the course does not reach is not told). It
    names the person and the course, which that organisation's readers of the course see."""
    course, org = enrolment.session.course, enrolment.participant.organisation
    if not reaches(course, org):
        return
    notify(kind=Notice.Kind.CERTIFICATE, owner_id=org.pk, group_key=f"certificate:{cert.pk}",
           tlp=course.tlp, audience_id=course.audience_id,
           target_name="training:certificate", target_args=[cert.pk],
           params={"name": cert.name[:150], "course": cert.course_title[:150]})


def notice_text(notice: Notice, html: bool) -> str:
    """A certificate notice in words, in the reader's language; with ``html`` escaped."""
    sentence = _("A certificate was issued to %(name)s for %(course)s.")
    parts = {name: str(notice.params.get(name, "")) for name in ("name", "course")}
    if not html:
        return sentence % parts
    return mark_safe(escape(sentence) % {  # noqa: S308 - every part is escaped
        name: format_html("<bdi>{}</bdi>", value) for name, value in parts.items()})


def can_revoke(user: Any, cert: Certificate) -> bool:
    """The course's managers (``courses.can_manage``) who see the certificate."""
    return (cert.revoked_at is None and can_manage(user, cert.enrolment.session.course)
            and can_see(user, cert))


@transaction.atomic
def revoke(cert: Certificate, *, user: Any, reason: str, request: Any = None) -> Certificate:
    """Revoke a certificate, saying why (kept for its managers; the public page says only
    when). A revoked certificate stays revoked."""
    cert = Certificate.objects.select_for_update().select_related(
        "enrolment__session__course").get(pk=cert.pk)
    if not can_manage(user, cert.enrolment.session.course) or not can_see(user, cert):
        raise PermissionDenied(_("Only a trainer of the organisation that runs the course "
                                 "revokes its certificates."))
    if cert.revoked_at is not None:
        raise ValidationError({"reason": _("This certificate was already revoked on "
                                           "%(date)s.") % {"date": cert.revoked_at.date()}})
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the certificate is revoked.")})
    if len(reason) > REASON_LENGTH:
        raise ValidationError({"reason": _("Keep the reason under %(n)d characters.")
                               % {"n": REASON_LENGTH}})
    cert.revoked_at, cert.revoked_reason = timezone.now(), reason
    cert.save(update_fields=["revoked_at", "revoked_reason"])
    audit.record(audit.Action.CERTIFICATE_REVOKE, actor=user, target=cert, request=request,
                 detail={"reason": reason})
    return cert


def normalise_code(text: str) -> str | None:
    """A code as typed (any case, spaces or dashes anywhere) in its stored form
    ``XXXX-XXXX-XXXX-XXXX``; None when it cannot be one."""
    raw = _NOT_CODE.sub("", text or "").upper()
    if len(raw) != 16 or any(char not in CODE_ALPHABET for char in raw):
        return None
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def verify(code: str) -> Certificate | None:
    """The certificate a verification code names, revoked or not; None for anything else."""
    normal = normalise_code(code)
    if normal is None:
        return None
    return Certificate.objects.filter(code=normal).first()


def qr_data_uri(url: str) -> str:
    """``url`` as a QR code, a PNG ``data:`` URI (what a PDF may load)."""
    import segno

    return segno.make(url, error="m", micro=False).png_data_uri(scale=6, border=2)


def certificate_pdf(cert: Certificate, *, language: str | None = None) -> bytes:
    """The certificate as an A4 landscape PDF in ``language`` (default: the active one):
    the name, course, date, programme and issuing organisation, its verification code and
    a QR code of its public page."""
    course = cert.enrolment.session.course
    url = verification_url(cert)
    return render_template_pdf("training/certificates/certificate_pdf.html", {
        "cert": cert, "course": course,
        "programme": course.programme.name if course.programme_id else "",
        "organisation": course.owner.name, "site_name": settings.SITE_NAME,
        "verify_url": url, "qr": qr_data_uri(url)}, language=language)
