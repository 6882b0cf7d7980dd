"""The messages' filter, defined once for the list page and the API: priority, TLP, words
of the subject or body, and which box (received, sent, unread); a value that is not one of
the choices is refused naming the parameter, never read as "no filter"."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from vaka.messaging.models import Message, Priority
from vaka.policy.markings import TLP
from vaka.web.filters import StrictFilterSet

RECEIVED, SENT, UNREAD = "received", "sent", "unread"


class MessageFilter(StrictFilterSet):
    """Filters ``selectors.messages_for(user)``; ``request.user`` decides the boxes."""

    box = filters.ChoiceFilter(label=_("Messages"), method="filter_box", empty_label=_("All"),
                               choices=[(RECEIVED, _("Received")), (SENT, _("Sent")),
                                        (UNREAD, _("Unread"))])
    priority = filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices,
                                    empty_label=_("Any priority"))
    # Labelled TLP: the options drop the prefix, as in the other lists.
    tlp = filters.ChoiceFilter(label="TLP", empty_label=_("Any TLP"), choices=[
        (value, label.removeprefix("TLP:")) for value, label in TLP.choices])
    q = filters.CharFilter(label=_("Search"), method="filter_text", max_length=200,
                           help_text=_("Words of the subject or the message."))

    class Meta:
        model = Message
        fields: list[str] = []

    def _org_id(self) -> Any:
        return getattr(getattr(self.request, "user", None), "organisation_id", None)

    def filter_box(self, queryset: QuerySet[Message], name: str, value: str
                   ) -> QuerySet[Message]:
        if value == SENT:
            return queryset.filter(owner_id=self._org_id())
        if value == UNREAD:
            return queryset.filter(unread=True)
        return queryset.filter(recipients_rows__organisation_id=self._org_id())

    def filter_text(self, queryset: QuerySet[Message], name: str, value: str
                    ) -> QuerySet[Message]:
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(subject__icontains=word) | Q(body__icontains=word))
        return queryset
