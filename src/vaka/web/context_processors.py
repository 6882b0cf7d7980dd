from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from vaka.directory.roles import Capability
from vaka.policy.brokering import is_broker


class Can(dict):
    """``can.<capability>`` in templates, asked of the role system only when a page reads it:
    a capability held back by training (``vaka.training.requirements``) is then noted for
    the pages that would have offered it, and for no other."""

    def __init__(self, user: Any) -> None:
        super().__init__()
        self.user = user

    def __missing__(self, key: str) -> bool:
        user = self.user
        value = bool(key in Capability._value2member_map_ and user is not None
                     and user.is_authenticated and user.can(Capability(key)))
        self[key] = value
        return value


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    can = Can(user)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "LANGUAGE_BIDI": translation.get_language_bidi(),
        "can": can,
        "is_broker": is_broker(user),
    }
