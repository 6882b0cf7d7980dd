"""REST API authentication: ``Authorization: Token <key>``, and signed-in web sessions that
have passed the second factor.

A password alone never authenticates an account with a second factor (a confirmed TOTP
device, or a role that requires one) outside the interactive sign-in: machines use API
tokens. :func:`password_alone_allowed` is the one rule every password channel applies.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import user_has_device
from rest_framework import authentication, exceptions

from vaka.directory.services import authenticate_token

SECOND_FACTOR_USE_TOKEN = gettext_lazy("This account uses a second factor: use an API token.")


def password_alone_allowed(user: Any) -> bool:
    """Whether a correct password is enough to authenticate ``user`` (no second factor)."""
    return not user.requires_two_factor and not user_has_device(user, confirmed=True)


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        token = authenticate_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """A web session counts only once its second factor is verified (when it has one).

    ``TwoFactorMiddleware`` already holds such sessions at /api/; this keeps every DRF view,
    wherever it is mounted, from accepting a session that only gave the password.
    """

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        verified = getattr(user, "is_verified", lambda: False)()
        if not verified and not password_alone_allowed(user):
            raise exceptions.AuthenticationFailed(
                _("Second factor required: sign in on the web first, or use an API token."))
        return result
