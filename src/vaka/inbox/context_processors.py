from functools import cache
from typing import Any

from django.http import HttpRequest

from vaka.inbox.selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """``inbox_unread`` for the navigation badge: one COUNT query, made only when a
    template shows it (pages without the navigation, and errors, pay nothing)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        return unread_count(user)

    return {"inbox_unread": count}
