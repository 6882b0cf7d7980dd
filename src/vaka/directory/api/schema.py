"""How the OpenAPI schema describes Vaka's own authentication classes.

drf-spectacular knows DRF's classes, not these: without an extension per class it leaves
the schema with no security scheme (and ``vaka check --deploy`` warns for every view).
Imported from :meth:`vaka.directory.apps.DirectoryConfig.ready` so the extensions are
registered before any schema is generated.
"""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object

from vaka.directory.authentication import TokenAuthentication


class TokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>``: API tokens (``vaka token create`` or the web page)."""

    target_class = "vaka.directory.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=TokenAuthentication.keyword)


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    """The web sign-in's session cookie (accepted once the second factor is verified)."""

    target_class = "vaka.directory.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
