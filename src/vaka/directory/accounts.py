"""Sign-in's second step, TOTP enrolment, recovery codes, profile, password and API token
pages."""

import base64
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from vaka.directory import selectors, services
from vaka.directory.forms import (
    OtpTokenForm,
    ProfileForm,
    SecondFactorForm,
    TokenForm,
    VakaPasswordChangeForm,
)
from vaka.directory.models import TOTPDevice, User
from vaka.directory.roles import CAPABILITY_LABELS
from vaka.policy import audit, crypto

log = logging.getLogger(__name__)


def _throttled(device: TOTPDevice | None) -> bool:
    return device is not None and not device.verify_is_allowed()[0]


FREE_TRIES = 3  # wrong codes that cost no wait: a mistyped code must not block the next


def _forgive(devices: Iterable[TOTPDevice]) -> None:
    """After a wrong code, waive django-otp's wait while the wrong codes are few; from the
    ``FREE_TRIES``-th on, each wrong code doubles the wait as usual."""
    for device in devices:
        device.refresh_from_db(fields=["throttling_failure_count",
                                       "throttling_failure_timestamp"])
        if device.throttling_failure_count < FREE_TRIES:
            device.throttling_failure_timestamp = None
            device.save(update_fields=["throttling_failure_timestamp"])


THROTTLED = gettext_lazy("Too many wrong codes: wait a few seconds before trying again.")
INVALID = gettext_lazy("That code is not valid. Check your device's clock.")
INVALID_RECOVERY = gettext_lazy("That recovery code is not valid, or was used already.")
UNREADABLE = gettext_lazy("Your authenticator app cannot be checked: this server's encryption "
                          "key changed. Use a recovery code, or ask a platform admin.")
LOW_RECOVERY_CODES = 3  # from here on, the message after using one suggests new ones
PENDING_CODES = "recovery_codes_pending"  # session key: new codes until the user saved them


def is_local_path(url: str) -> bool:
    """Whether ``url`` is a path on this site, also once percent-decoded (up to three times):
    ``/%2F%2Fevil.example/`` arrives as ``//evil.example/``, which browsers send off-site."""
    candidate = url
    for _round in range(4):
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
            return False
        if not url_has_allowed_host_and_scheme(candidate, allowed_hosts=None):
            return False
        decoded = unquote(candidate)
        if decoded == candidate:
            return True
        candidate = decoded
    return False  # still encoded after that: nobody links like this


def _next_url(request: HttpRequest) -> str:
    wanted = request.session.pop("two_factor_next", None)
    return wanted if wanted and is_local_path(wanted) else "dashboard"


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The sign-in's second step: a code from the app, or a recovery code instead.

    Both kinds count against the app's one back-off (django-otp's throttle on the TOTP
    device, eased by ``_forgive``), so recovery codes are no way around it.
    """
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        typed = form.cleaned_data["otp_token"]
        totp = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
        if _throttled(totp):
            form.add_error("otp_token", THROTTLED)
        elif totp is not None and services.looks_like_recovery_code(typed):
            left = services.use_recovery_code(request.user, typed, request=request)
            if left is not None:
                totp.throttle_reset()
                otp_login(request, totp)
                _tell_recovery_codes_left(request, left)
                return redirect(_next_url(request))
            totp.throttle_increment()
            _forgive([totp])
            audit.record(audit.Action.TWO_FACTOR_FAILED, actor=request.user, request=request,
                         detail={"kind": "recovery code"})
            form.add_error("otp_token", INVALID_RECOVERY)
        elif device := _match_token(request, form, typed):
            otp_login(request, device)
            return redirect(_next_url(request))
        elif not form.has_error("otp_token"):
            _forgive(TOTPDevice.objects.filter(user=request.user, confirmed=True))
            audit.record(audit.Action.TWO_FACTOR_FAILED, actor=request.user, request=request)
            form.add_error("otp_token", INVALID)
    return render(request, "registration/two_factor_verify.html", {"form": form})


def _match_token(request: HttpRequest, form: SecondFactorForm, typed: str) -> TOTPDevice | None:
    """The user's device that accepts ``typed``. An app secret that no encryption key
    decrypts is an error on the form (and in the log, for the admin), not a server error."""
    try:
        return match_token(request.user, typed)
    except crypto.SecretUnreadable as error:
        log.error("two-factor sign-in of %s: %s", request.user, error)
        form.add_error("otp_token", UNREADABLE)
        return None


def _tell_recovery_codes_left(request: HttpRequest, left: int) -> None:
    text = ngettext("Signed in with a recovery code; it will not work again. You have %(n)d "
                    "recovery code left.",
                    "Signed in with a recovery code; it will not work again. You have %(n)d "
                    "recovery codes left.", left) % {"n": left}
    if left <= LOW_RECOVERY_CODES:
        text += " " + _("Make new ones from your profile page.")
    messages.warning(request, text)


def _qr_svg(url: str) -> str:
    return segno.make(url, micro=False).svg_inline(scale=8)


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Show a new TOTP secret as a QR code; confirm it with one code from the app."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists() and user.is_verified():
        messages.info(request, _("Two-factor sign-in is already on for your account."))
        return redirect("profile")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is not None and crypto.unreadable(device, "key"):
        device.delete()  # a secret shown before the key changed: start with a new one
        device = None
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"),
                                           confirmed=False)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(device):
            form.add_error("otp_token", THROTTLED)
        elif device.verify_token(form.cleaned_data["otp_token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit.record(audit.Action.TWO_FACTOR_ENROL, actor=user, request=request)
                codes = services.create_recovery_codes(user, request=request)
            otp_login(request, device)
            request.session[PENDING_CODES] = codes
            messages.success(request, _("Two-factor sign-in is now on."))
            return redirect("recovery_codes")
        else:
            _forgive([device])
            audit.record(audit.Action.TWO_FACTOR_FAILED, actor=user, request=request,
                         detail={"step": "enrolment"})
            form.add_error("otp_token", INVALID)
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "registration/two_factor_enrol.html", {
        "form": form,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - generated SVG
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    })


def _pending_codes(request: HttpRequest) -> list[str]:
    codes = request.session.get(PENDING_CODES)
    return codes if isinstance(codes, list) else []


def _not_stored(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Show new recovery codes once, until the user says they saved them (POST)."""
    codes = _pending_codes(request)
    if request.method == "POST":
        request.session.pop(PENDING_CODES, None)
        if codes:
            messages.success(request, _("Keep your recovery codes safe: each signs you in "
                                        "once if you lose your authenticator app."))
        return redirect("dashboard")
    if not codes:
        messages.info(request, _("Recovery codes are shown only once, when they are made. "
                                 "If you lost them, make new ones here."))
        return redirect("profile")
    return _not_stored(render(request, "registration/recovery_codes.html", {"codes": codes}))


@login_required
def recovery_codes_download(request: HttpRequest) -> HttpResponse:
    codes = _pending_codes(request)
    if not codes:
        raise Http404
    text = "\n".join([_("Vaka recovery codes for %(user)s (each works once):")
                       % {"user": request.user.username}, "", *codes, ""])
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="vaka-recovery-codes.txt"'
    return _not_stored(response)


@login_required
@require_POST
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    """New recovery codes for oneself; the old ones die. Needs a verified second factor."""
    # TwoFactorMiddleware already holds unverified sessions at the verify page; this keeps
    # the rule true wherever the view is mounted.
    if services.has_totp(request.user) and not request.user.is_verified():
        messages.error(request, _("Sign in with your authenticator app first."))
        return redirect("profile")
    try:
        codes = services.create_recovery_codes(request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("profile")
    request.session[PENDING_CODES] = codes
    return redirect("recovery_codes")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # The form edits a copy, so the service sees what changed.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(request.user, actor=request.user, request=request,
                                 **{k: form.cleaned_data[k] for k in form.changed_data})
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Profile saved."))
            response = redirect("profile")
            if "language" in form.changed_data and form.cleaned_data["language"]:
                response.set_cookie("django_language", form.cleaned_data["language"],
                                    samesite="Lax", httponly=True)
            return response
    return render(request, "directory/profile.html", {
        "form": form, "has_totp": services.has_totp(request.user),
        "recovery_codes_left": services.recovery_codes_left(request.user),
        **_capabilities(request.user)})


def _capabilities(user: User) -> dict[str, Any]:
    """What the user's role lets them do now, and what training still holds back (an
    organisation may require a course first: ``vaka.training.requirements``)."""
    from vaka.training.requirements import held

    waiting = held(user)
    kept = {capability for capability, _label, _courses in waiting}
    return {"capabilities_held_back": waiting, "capabilities": [
        CAPABILITY_LABELS[c] for c in CAPABILITY_LABELS
        if c not in kept and user.can(c)]}


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = VakaPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(request.user, form.cleaned_data["new_password1"],
                                     request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("profile")
    return render(request, "registration/password_change.html", {"form": form})


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.create_token(
                request.user, name=form.cleaned_data["name"], actor=request.user,
                expires_in_days=form.cleaned_data["expires_in_days"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            form = TokenForm()
    return render(request, "directory/token_list.html", {
        "form": form, "new_key": new_key, "tokens": selectors.tokens_for(request.user)})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(selectors.tokens_for(request.user), pk=pk)
    services.revoke_token(token, actor=request.user, request=request)
    messages.success(request, _("Token “%s” revoked.") % token.name)
    return redirect("tokens")
