from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from vaka.directory.roles import Capability
from vaka.policy.brokering import is_broker


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    can = {c.value: bool(user and user.is_authenticated and user.can(c)) for c in Capability}
    return {
        "SITE_NAME": settings.SITE_NAME,
        "LANGUAGE_BIDI": translation.get_language_bidi(),
        "can": can,
        "is_broker": is_broker(user),
    }
