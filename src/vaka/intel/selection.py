"""Records ticked on the object list, sorted into those the user may act on and the rest,
with the reason for each of the rest — so an answer can say how many were acted on and why
the others were not, without telling anything of records the user may not see."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vaka.ids import parse_id
from vaka.intel import corrections, selectors
from vaka.intel.models import StixObject

MAX_SELECTED = 1000  # ticked on pages of the list: far more than any page holds


def selected_ids(values: list[str]) -> list[int]:
    """The ids ticked (``selected`` checkboxes); anything but ids is refused, naming it."""
    if not values:
        raise ValidationError({"selected": _("Tick at least one record first.")})
    if len(values) > MAX_SELECTED:
        raise ValidationError({"selected": _("At most %(max)d records at a time.")
                               % {"max": MAX_SELECTED}})
    ids = []
    for value in values:
        pk = parse_id(value)
        if pk is None:
            raise ValidationError({"selected": _("“%(value)s” is not a record id.")
                                   % {"value": value[:40]}})
        ids.append(pk)
    return sorted(set(ids))


@dataclass
class Selection:
    visible: QuerySet[StixObject]  # what was ticked and the user sees, revoked included
    correctable: list[StixObject] = field(default_factory=list)
    others: int = 0  # seen but not the user's to correct (another organisation, a viewer)
    elsewhere: int = 0  # records of a connected instance: corrected there
    missing: int = 0  # gone or no longer shared with the user: told apart from nothing

    @property
    def correctable_objects(self) -> QuerySet[StixObject]:
        return self.visible.filter(pk__in=[obj.pk for obj in self.correctable]).order_by("pk")

    def reasons(self) -> list[str]:
        """Why the records not acted on were left alone, one sentence per reason."""
        said = []
        if self.others:
            said.append(ngettext(
                "%(count)d not changed: only contributors of the organisation that owns a "
                "record may correct it.",
                "%(count)d not changed: only contributors of the organisation that owns a "
                "record may correct it.", self.others) % {"count": self.others})
        if self.elsewhere:
            said.append(ngettext(
                "%(count)d not changed: it comes from a connected instance and is corrected "
                "there.", "%(count)d not changed: they come from a connected instance and "
                "are corrected there.", self.elsewhere) % {"count": self.elsewhere})
        if self.missing:
            said.append(ngettext(
                "%(count)d not found: deleted, or no longer shared with you.",
                "%(count)d not found: deleted, or no longer shared with you.",
                self.missing) % {"count": self.missing})
        return said


def selection_for(user: Any, ids: list[int]) -> Selection:
    """The ticked records ``user`` sees, split by whether ``user`` may correct them."""
    visible = selectors.objects_for(user, include_revoked=True).filter(pk__in=ids)
    chosen = Selection(visible=visible)
    seen = list(visible.order_by("pk"))
    chosen.missing = len(ids) - len(seen)
    for obj in seen:
        if corrections.may_correct(user, obj):
            chosen.correctable.append(obj)
        elif obj.owner.origin_id is not None:
            chosen.elsewhere += 1
        else:
            chosen.others += 1
    return chosen
