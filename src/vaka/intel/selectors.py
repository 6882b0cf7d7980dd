"""Reads of intelligence records, always through the visibility policy."""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from vaka.intel.models import Note
from vaka.policy.services import record_view
from vaka.policy.visibility import visible_to


def notes_for(user: Any, *, search: str = "") -> QuerySet[Note]:
    notes = visible_to(user, Note.objects.all()).select_related("owner", "owner__country")
    if search:
        notes = notes.filter(Q(title__icontains=search) | Q(body__icontains=search))
    return notes


def note_for(user: Any, pk: int, *, request: Any = None) -> Note:
    """The note, or 404 — whether it does not exist or the user may not see it."""
    note = notes_for(user).filter(pk=pk).first()
    if note is None:
        raise Http404
    record_view(note, user=user, request=request)
    return note
