"""Sign-in's second step, TOTP enrolment, profile, password and API token pages."""

import base64
from collections.abc import Iterable
from urllib.parse import unquote

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from vaka.directory import selectors, services
from vaka.directory.forms import OtpTokenForm, ProfileForm, TokenForm, VakaPasswordChangeForm
from vaka.directory.models import User
from vaka.policy import audit


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
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(TOTPDevice.objects.filter(user=request.user, confirmed=True).first()):
            form.add_error("otp_token", THROTTLED)
        elif device := match_token(request.user, form.cleaned_data["otp_token"]):
            otp_login(request, device)
            return redirect(_next_url(request))
        else:
            _forgive(TOTPDevice.objects.filter(user=request.user, confirmed=True))
            audit.record(audit.Action.TWO_FACTOR_FAILED, actor=request.user, request=request)
            form.add_error("otp_token", INVALID)
    return render(request, "registration/two_factor_verify.html", {"form": form})


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Show a new TOTP secret as a QR code; confirm it with one code from the app."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists() and user.is_verified():
        messages.info(request, _("Two-factor sign-in is already on for your account."))
        return redirect("profile")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
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
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is now on."))
            return redirect("dashboard")
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
    has_totp = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    return render(request, "directory/profile.html", {"form": form, "has_totp": has_totp})


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
