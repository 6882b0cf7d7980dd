"""Audit every sign-in, failed sign-in and sign-out; note the last sign-in time.

These are side writes of the sign-in (:mod:`vaka.policy.deferred`): a busy database defers
the audit entry and skips the time, and the sign-in goes through."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from vaka.directory.signin import note_last_login
from vaka.policy import audit

# Django's own receiver saves the time whatever it costs: ours replaces it.
user_logged_in.disconnect(dispatch_uid="update_last_login")


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    note_last_login(sender, user)
    audit.record(audit.Action.LOGIN, actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    audit.record(audit.Action.LOGIN_FAILED, request=request,
                 actor_name=str(credentials.get("username", "")),
                 detail={"username": str(credentials.get("username", ""))[:150]})


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(audit.Action.LOGOUT, actor=user, request=request)
