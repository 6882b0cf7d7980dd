"""Certificate pages: one certificate for whoever sees it (its PDF, and its revocation by
the course's managers), and the public verification page ``/verify/<code>/``.

The verification page is the one public page of training. It confirms the name, course
and completion date of a certificate and nothing else; an unknown code is a plain 404.
It is rate-limited per address (``VAKA_RATE_VERIFY``) so codes cannot be tried in bulk,
and it is not audited: an anonymous visitor could otherwise write to the audit log at
will, and what it reads is what the certificate's holder chose to show by sharing it.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from vaka.policy.visibility import visible_to
from vaka.training import certificates
from vaka.training.models import Certificate
from vaka.web import throttling
from vaka.web.forms import BootstrapMixin
from vaka.web.pdf import pdf_response


class RevokeForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why is it revoked?"),
                             max_length=certificates.REASON_LENGTH,
                             widget=forms.TextInput())


def _certificate(request: HttpRequest, pk: int) -> Certificate:
    """A certificate the user sees, or 404 — the same for one that does not exist."""
    return get_object_or_404(
        visible_to(request.user, Certificate.objects.all()).select_related(
            "enrolment__session__course__owner", "enrolment__session__course__programme",
            "enrolment__participant"), pk=pk)


def _page(request: HttpRequest, cert: Certificate, form: RevokeForm | None = None,
          status: int = 200) -> HttpResponse:
    can_revoke = certificates.can_revoke(request.user, cert)
    return render(request, "training/certificates/certificate.html", {
        "cert": cert, "course": cert.enrolment.session.course,
        "session": cert.enrolment.session,
        "verify_url": certificates.verification_url(cert), "can_revoke": can_revoke,
        "form": form or (RevokeForm() if can_revoke else None)}, status=status)


@login_required
@require_safe
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _certificate(request, pk))


@login_required
@require_safe
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    cert = _certificate(request, pk)
    name = f"certificate-{slugify(cert.name) or 'participant'}-{cert.code}.pdf"
    return pdf_response(certificates.certificate_pdf(cert), name, inline=False)


@login_required
@require_POST
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    cert = _certificate(request, pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            certificates.revoke(cert, user=request.user, reason=form.cleaned_data["reason"],
                                request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The certificate is revoked."))
            return redirect("training:certificate", pk=cert.pk)
    elif not certificates.can_revoke(request.user, cert):
        raise PermissionDenied(_("Only a trainer of the organisation that runs the course "
                                 "revokes its certificates."))
    return _page(request, cert, form, status=400)


@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: a certificate's name, course and date, or whether it was revoked (when,
    never why); 404 for a code that names none."""
    if limited := throttling.check("verify", throttling.identity(request)):
        return limited.page(request)
    cert = certificates.verify(code)
    if cert is None:
        raise Http404
    return render(request, "training/certificates/verify.html", {
        "name": cert.name, "course_title": cert.course_title,
        "completed_on": cert.completed_on,
        "revoked_on": cert.revoked_at.date() if cert.revoked_at else None})
