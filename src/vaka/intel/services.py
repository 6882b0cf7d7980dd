"""Writes to intelligence records."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from vaka.directory.models import User
from vaka.directory.roles import Capability
from vaka.intel.models import Note
from vaka.policy.services import Markings, create_shareable, delete_shareable, update_shareable
from vaka.policy.visibility import can_edit


@transaction.atomic
def create_note(
    *, user: User, title: str, body: str = "", markings: Markings, request: Any = None
) -> Note:
    """Create a note owned by the user's organisation."""
    if not user.can(Capability.CONTRIBUTE):
        raise PermissionDenied(_("Your role may not create notes."))
    return create_shareable(Note(title=title, body=body), user=user, markings=markings,
                            request=request)


@transaction.atomic
def update_note(
    note: Note, *, user: User, title: str, body: str, markings: Markings, request: Any = None
) -> Note:
    if not can_edit(user, note):
        raise PermissionDenied(_("You may not change this note."))
    changed = [name for name, value in (("title", title), ("body", body))
               if getattr(note, name) != value]
    note.title, note.body = title, body
    return update_shareable(note, user=user, markings=markings, changed=changed,
                            request=request)


@transaction.atomic
def delete_note(note: Note, *, user: User, request: Any = None) -> None:
    if not can_edit(user, note):
        raise PermissionDenied(_("You may not delete this note."))
    delete_shareable(note, user=user, request=request)
