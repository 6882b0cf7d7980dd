"""Reads of the inbox: a user's notices, whether each is unread, and how many are."""

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from vaka.inbox.models import InboxSettings, Notice, NoticeRead
from vaka.policy.visibility import visible_to


def notices_for(user: Any) -> QuerySet[Notice]:
    """The notices ``user`` may see — their organisation's, within the audience of what each
    is about — newest first, each annotated ``unread`` (not read since its last repeat)."""
    signed_in = user is not None and user.is_authenticated and user.organisation_id
    # Annotated even when empty: callers filter on ``unread`` whoever asks.
    mine = (Notice.objects.filter(owner=user.organisation_id) if signed_in
            else Notice.objects.none())
    read_since_last = NoticeRead.objects.filter(
        user=user.pk if signed_in else None, notice=OuterRef("pk"),
        read_at__gte=OuterRef("last_at"))
    return visible_to(user, mine).annotate(unread=~Exists(read_since_last))


def unread_count(user: Any) -> int:
    """How many of ``user``'s notices are unread: one query."""
    return notices_for(user).filter(unread=True).count()


def settings_for(user: Any) -> InboxSettings:
    """The user's inbox settings; the defaults (unsaved) when they never chose."""
    found = InboxSettings.objects.filter(user=user.pk).first()
    return found if found is not None else InboxSettings(user=user)
