"""Forms of the action log, the results and the lessons learned.

The forms only read the request's values into their types; ``operations.timeline``
checks them (a time zone it knows, an organisation that takes part, a country in the
directory, a currency of ISO 4217) and its errors land on these fields by name.
"""

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Country, User
from vaka.operations.figures import actions_for
from vaka.operations.models import Action, Operation, Result
from vaka.operations.selectors import participants_of, targets_for
from vaka.operations.timeline import ActionInput, ResultInput
from vaka.web.forms import BootstrapMixin

LOCAL_TIME = "%Y-%m-%dT%H:%M"
# Offered first in the time zone field: the region's, across the date line.
REGION_ZONES = (
    "Pacific/Apia", "Pacific/Kiritimati", "Pacific/Tarawa", "Pacific/Tongatapu",
    "Pacific/Fiji", "Pacific/Efate", "Pacific/Guadalcanal", "Pacific/Port_Moresby",
    "Pacific/Nauru", "Pacific/Majuro", "Pacific/Palau", "Pacific/Chuuk", "Pacific/Pohnpei",
    "Pacific/Honolulu", "Pacific/Auckland", "Australia/Brisbane", "Asia/Phnom_Penh",
    "Asia/Bangkok", "Asia/Vientiane", "Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Makassar",
    "Asia/Jayapura", "Asia/Kuala_Lumpur", "Asia/Singapore", "Asia/Brunei", "Asia/Manila",
    "Asia/Dili", "UTC",
)


def _countries() -> list[tuple[str, str]]:
    return [("", "—"), *Country.objects.values_list("code", "name")]


def _organisations(operation: Operation) -> list[tuple[str, str]]:
    return [("", "—"), *((str(o.pk), o.name) for o in participants_of(operation))]


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


class ActionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Action"), choices=Action.Kind.choices)
    local_time = forms.DateTimeField(
        label=_("Local time"), input_formats=[LOCAL_TIME, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_TIME),
        help_text=_("The wall-clock time where it happened."),
        error_messages={"invalid": _("Give a date and time, e.g. 2026-06-02 09:30.")})
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64,
        widget=forms.TextInput(attrs={"list": "time-zones", "dir": "ltr",
                                      "autocomplete": "off"}),
        help_text=_("Where it happened, as an IANA time zone: Pacific/Apia, "
                    "Pacific/Honolulu, Asia/Phnom_Penh…"))
    country = forms.CharField(label=_("Country"), required=False, widget=forms.Select)
    organisation = forms.IntegerField(label=_("By"), required=False, widget=forms.Select,
                                      help_text=_("The participating organisation that "
                                                  "did it."))
    target = forms.IntegerField(label=_("Target"), required=False, widget=forms.Select)
    summary = forms.CharField(label=_("What happened"), widget=forms.Textarea(
        attrs={"rows": 3}))

    def __init__(self, *args: Any, operation: Operation, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zones = REGION_ZONES
        self.fields["country"].widget.choices = _countries()
        self.fields["organisation"].widget.choices = _organisations(operation)
        self.fields["target"].widget.choices = [("", "—"), *(
            (str(t.pk), f"{t.get_kind_display()}: {t.shown}")
            for t in targets_for(user, operation))]

    @classmethod
    def initial_of(cls, action: Action) -> dict[str, Any]:
        from zoneinfo import ZoneInfo

        local = action.at.astimezone(ZoneInfo(action.time_zone))
        return {"kind": action.kind, "local_time": local.replace(tzinfo=None),
                "time_zone": action.time_zone, "country": action.country_id,
                "organisation": action.organisation_id, "target": action.target_id,
                "summary": action.summary}

    def data_input(self) -> ActionInput:
        data = self.cleaned_data
        local: datetime | None = data.get("local_time")
        return ActionInput(kind=data["kind"], local_time=local,
                           time_zone=data.get("time_zone", ""),
                           country=data.get("country") or "",
                           organisation=data.get("organisation"),
                           target=data.get("target"), summary=data.get("summary", ""))


class ResultForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Result"), choices=Result.Kind.choices)
    quantity = forms.CharField(label=_("Figure"), max_length=40,
                               widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                               help_text=_("A count, or an amount for funds seized."))
    currency = forms.CharField(label=_("Currency"), required=False, max_length=8,
                               widget=forms.TextInput(attrs={"dir": "ltr",
                                                             "autocomplete": "off"}),
                               help_text=_("ISO 4217 code, for funds seized (e.g. WST, FJD, "
                                           "USD)."))
    country = forms.CharField(label=_("Country"), required=False, widget=forms.Select)
    organisation = forms.IntegerField(label=_("By"), required=False, widget=forms.Select)
    on = forms.DateField(label=_("Date"), required=False,
                         widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                         error_messages={"invalid": _("Give a date as YYYY-MM-DD.")})
    action = forms.IntegerField(label=_("Action"), required=False, widget=forms.Select,
                                help_text=_("The action of the timeline it came from, if "
                                            "any."))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, operation: Operation, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].widget.choices = _countries()
        self.fields["organisation"].widget.choices = _organisations(operation)
        self.fields["action"].widget.choices = [("", "—"), *(
            (str(a.pk), f"{a.at:%Y-%m-%d %H:%M} UTC — {a.get_kind_display()}")
            for a in actions_for(user, operation))]

    @classmethod
    def initial_of(cls, result: Result) -> dict[str, Any]:
        return {"kind": result.kind, "quantity": result.quantity, "currency": result.currency,
                "country": result.country_id, "organisation": result.organisation_id,
                "on": result.on, "action": result.action_id, "note": result.note}

    def data_input(self) -> ResultInput:
        data = self.cleaned_data
        return ResultInput(kind=data["kind"], quantity=data.get("quantity"),
                           currency=data.get("currency", ""), country=data.get("country") or "",
                           organisation=data.get("organisation"), on=data.get("on"),
                           note=data.get("note", ""), action=_optional_int(data.get("action")))


class LessonsForm(BootstrapMixin, forms.Form):
    lessons = forms.CharField(label=_("Lessons learned"), required=False,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("They go into the after-action report."))
