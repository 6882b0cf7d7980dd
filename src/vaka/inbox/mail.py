"""E-mail that says only that something is waiting, with a link — never what it is.

A notice's value, organisation, record or title never goes into a mail: mail leaves the
platform's access control (it is stored and forwarded by servers nobody here runs). So
the bodies below take no notice at all, only a count and the inbox's address.

* ``immediate``: after a notice is written (``transaction.on_commit``; by a worker when
  there is a Celery broker, ``vaka.inbox.tasks``), at most one mail
  per user per ``VAKA_EMAIL_BURST_MINUTES``: a 500-hit submission is one mail. What
  arrives inside the window is picked up by the next scheduler round once it has passed.
* ``daily`` (the default): once a day, "you have N unread notices", when something came
  since the last digest.

A failing mail server is logged and never undoes or breaks the write that caused it.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vaka.inbox.models import InboxSettings
from vaka.inbox.selectors import notices_for

log = logging.getLogger(__name__)

DIGEST_EVERY = timedelta(days=1)


def inbox_link() -> str:
    return settings.BASE_URL + reverse("inbox:list")


def _message(user: Any, unread: int) -> tuple[str, str]:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("%(site)s: something is waiting for you") % {"site": settings.SITE_NAME}
        body = "\n\n".join([
            ngettext("You have %(n)d unread notice in %(site)s.",
                     "You have %(n)d unread notices in %(site)s.", unread)
            % {"n": unread, "site": settings.SITE_NAME},
            _("Sign in to read it: %(link)s") % {"link": inbox_link()},
            _("This e-mail says no more on purpose. You can change how often you get it in "
              "your inbox settings."),
        ])
    return subject, body


def _send(user: Any, unread: int) -> bool:
    subject, body = _message(user, unread)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # a mail server's trouble must never break the platform
        log.exception("inbox: could not mail user %s", user.pk)
        return False
    return True


def _unread_since(user: Any, since: datetime | None) -> int:
    """Unread notices of ``user``; 0 unless one of them came after ``since``."""
    unread = notices_for(user).filter(unread=True)
    if since is not None and not unread.filter(last_at__gt=since).exists():
        return 0
    return unread.count()


def _claim(user_id: int, field: str, before: datetime | None, now: datetime) -> bool:
    """Set the user's ``field`` to ``now`` if it still holds ``before``: two processes
    (two app servers, or an app server and the scheduler) never both mail."""
    InboxSettings.objects.get_or_create(user_id=user_id)
    return bool(InboxSettings.objects.filter(user_id=user_id, **{field: before}).update(
        **{field: now}))


def _recipients(**filters: Any) -> Any:
    from vaka.directory.models import User

    return User.objects.filter(is_active=True, organisation__isnull=False, **filters).exclude(
        email="").select_related("inbox_settings")


def send_immediate(owner_ids: Iterable[int]) -> int:
    """After notices for these organisations were written: mail their people who chose
    ``immediate`` and were not mailed in the last burst window. How many mails went."""
    try:
        return _send_immediate(list(owner_ids))
    except Exception:  # after commit, nothing may fail the request that wrote the notices
        log.exception("inbox: immediate mail failed")
        return 0


def _send_immediate(owner_ids: list[int], now: datetime | None = None) -> int:
    now = now or timezone.now()
    quiet_since = now - timedelta(minutes=settings.EMAIL_BURST_MINUTES)
    sent = 0
    for user in _recipients(organisation__in=owner_ids,
                            inbox_settings__email=InboxSettings.Email.IMMEDIATE).filter(
            Q(inbox_settings__last_mailed_at__isnull=True)
            | Q(inbox_settings__last_mailed_at__lte=quiet_since)):
        before = user.inbox_settings.last_mailed_at
        unread = _unread_since(user, before)
        if unread and _claim(user.pk, "last_mailed_at", before, now):
            sent += _send(user, unread)
    return sent


def send_due(now: datetime | None = None) -> dict[str, int]:
    """One scheduler round: the immediate mails held back by the burst window, and the
    daily digests that are due. Counts of mails sent."""
    from vaka.directory.models import Organisation

    now = now or timezone.now()
    held = _send_immediate(list(Organisation.objects.values_list("pk", flat=True)), now)
    digests = 0
    due = Q(inbox_settings__isnull=True) | (
        Q(inbox_settings__email=InboxSettings.Email.DAILY)
        & (Q(inbox_settings__last_digest_at__isnull=True)
           | Q(inbox_settings__last_digest_at__lte=now - DIGEST_EVERY)))
    for user in _recipients().filter(due):
        found = getattr(user, "inbox_settings", None)
        before = found.last_digest_at if found is not None else None
        # Claimed even when there is nothing to say: each user is looked at once a day.
        if not _claim(user.pk, "last_digest_at", before, now):
            continue
        unread = _unread_since(user, before)
        if unread:
            digests += _send(user, unread)
    return {"immediate": held, "daily": digests}
