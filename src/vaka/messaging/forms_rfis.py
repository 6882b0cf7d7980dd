"""Forms of the RFI pages: a new RFI is a new message (``MessageForm``) with why it is
asked and by when; answering and closing are small forms on the thread page. The
services check everything; their errors land on the fields (``apply_errors``)."""

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaka.intel.forms_corrections import LOCAL_INPUT
from vaka.messaging.forms import MessageForm, _attachments
from vaka.messaging.rfis import CASE_REFERENCE_LENGTH, REASON_LENGTH, RfiDetails
from vaka.messaging.services import BODY_LENGTH
from vaka.web.forms import BootstrapMixin


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone, by name (the region spans the date line: Pacific/Apia and
    Pacific/Honolulu are a day apart)."""
    return [(name, name) for name in sorted(available_timezones())]


class RfiForm(MessageForm):
    """A new RFI: the message's fields (the body says what is asked), the case reference,
    the reason and the deadline in a chosen time zone."""

    case_reference = forms.CharField(label=_("Case reference"), required=False,
                                     max_length=CASE_REFERENCE_LENGTH)
    reason = forms.CharField(label=_("Why it is asked"), required=False,
                             max_length=REASON_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))
    deadline = forms.DateTimeField(label=_("Answer by"), input_formats=[LOCAL_INPUT["format"]],
                                   widget=forms.DateTimeInput(**LOCAL_INPUT))
    time_zone = forms.ChoiceField(label=_("Time zone of the deadline"), choices=())

    field_order = ["to", "subject", "body", "case_reference", "reason", "deadline",
                   "time_zone", "priority", "attachments"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("What is asked")
        self.fields["body"].required = True
        self.fields["body"].max_length = BODY_LENGTH
        self.fields["time_zone"].choices = time_zone_choices()
        self.fields["time_zone"].initial = timezone.get_current_timezone_name()
        self.fields["deadline"].help_text = _("The answer is due by this time, in the time "
                                              "zone chosen below; it must be in the future.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        deadline, zone = data.get("deadline"), data.get("time_zone")
        if isinstance(deadline, datetime) and zone:
            # The picker's wall-clock time in the chosen zone, whatever zone Django read
            # it in.
            data["deadline"] = timezone.make_aware(
                timezone.make_naive(deadline) if timezone.is_aware(deadline) else deadline,
                ZoneInfo(zone))
        return data

    def details(self) -> RfiDetails:
        """The RFI's details (not yet checked by the service)."""
        return RfiDetails(deadline=self.cleaned_data.get("deadline"),
                          case_reference=self.cleaned_data.get("case_reference", ""),
                          reason=self.cleaned_data.get("reason", ""))


class AnswerForm(BootstrapMixin, forms.Form):
    """An organisation's answer: a reply to the asking organisation."""

    body = forms.CharField(label=_("Your organisation's answer"), max_length=BODY_LENGTH,
                           help_text=_("Markdown: headings, lists, tables, links. It goes to "
                                       "the organisation that asked, marked as its request."),
                           widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}))
    attachments = _attachments()


class CloseForm(BootstrapMixin, forms.Form):
    """The sender closes the RFI, answers missing or not."""

    comment = forms.CharField(label=_("Why it is closed"), required=False, max_length=500)

