"""What a sign-in writes besides the session, made so that it never fails the sign-in."""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.contrib.auth.models import update_last_login

from vaka.policy import deferred


class AxesHandler(AxesDatabaseHandler):
    """django-axes' database handler (``AXES_HANDLER``), except that its bookkeeping after a
    sign-in or sign-out (forgetting the user's failed and expired attempts) is skipped while
    the database is busy: failures left to their cool-off time are safer than a failed
    sign-in.

    A failed sign-in is still counted at once, waiting for the database as any write does:
    spooling it would let guesses go uncounted for as long as the database stays busy."""

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        parent = super().user_logged_in
        deferred.touch(lambda: parent(sender, request, user, **kwargs))

    def user_logged_out(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        parent = super().user_logged_out
        deferred.touch(lambda: parent(sender, request, user, **kwargs))


def note_last_login(sender: Any, user: Any) -> None:
    """The user's last sign-in time, as Django notes it, unless the database is busy."""
    deferred.touch(lambda: update_last_login(sender, user))
