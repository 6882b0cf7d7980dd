"""Forms of the operation pages; the services check everything again and their errors land
on the fields (``apply_errors``)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Country, Organisation, User
from vaka.intel.crime_types import CrimeType
from vaka.operations.models import Operation, Phase, Target, Task
from vaka.operations.services import OperationDetails
from vaka.operations.targets import MAX_TARGETS, TargetInput, parse_paste
from vaka.policy.forms import MarkingFields
from vaka.policy.markings import Distribution
from vaka.policy.services import Markings
from vaka.web.forms import BootstrapMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _organisations() -> Any:
    return Organisation.objects.filter(is_active=True, origin__isnull=True).select_related(
        "country")


class OperationForm(BootstrapMixin, MarkingFields):  # type: ignore[misc,valid-type]
    """An operation's details and markings. Participants are chosen here when it is
    opened, and on their own page afterwards (a change that is audited and notified)."""

    code_name = forms.CharField(label=_("Code name"), max_length=100,
                                widget=forms.TextInput(attrs={"dir": "auto"}))
    objective = forms.CharField(label=_("Objective"),
                                widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}))
    crime_types = forms.MultipleChoiceField(label=_("Crime types"), required=False,
                                            choices=CrimeType.choices,
                                            widget=forms.CheckboxSelectMultiple)
    lead = forms.ModelChoiceField(label=_("Lead organisation"), queryset=None)
    participants = forms.ModelMultipleChoiceField(
        label=_("Participating organisations"), queryset=None, required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Only their people see the operation. Your organisation and the lead "
                    "always take part."))
    countries = forms.MultipleChoiceField(label=_("Countries"), required=False, choices=[],
                                          widget=forms.SelectMultiple(attrs={"size": 8}))
    starts = forms.DateField(label=_("Starts"), required=False, widget=DateInput())
    ends = forms.DateField(label=_("Ends"), required=False, widget=DateInput())
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices, initial=Phase.COLLECT)
    lessons = forms.CharField(label=_("Lessons learned"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))

    def __init__(self, *args: Any, user: User, operation: Operation | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.operation = user, operation
        self.choices_for(user)
        self.fields["lead"].queryset = _organisations()
        self.fields["countries"].choices = list(Country.objects.values_list("code", "name"))
        self.fields["recipient_organisations"].help_text = _(
            "Empty: the participants. The operation never reaches anyone else.")
        if operation is None:
            self.fields["participants"].queryset = _organisations()
            del self.fields["lessons"]
            self.initial.setdefault("lead", user.organisation_id)
            # Participants are other organisations: the default markings reach them.
            self.initial.setdefault("distribution", Distribution.MEMBERS)
        else:
            del self.fields["participants"], self.fields["phase"]
            self.fields["lead"].queryset = operation.compartment.organisations.all()
            self.initial.update({
                "code_name": operation.code_name, "objective": operation.objective,
                "crime_types": operation.crime_types, "lead": operation.lead_id,
                "countries": list(operation.countries.values_list("code", flat=True)),
                "starts": operation.starts, "ends": operation.ends,
                "lessons": operation.lessons})
            self.initial_markings(Markings.of(operation))

    def details(self) -> OperationDetails:
        data = self.cleaned_data
        return OperationDetails(
            code_name=data["code_name"], objective=data["objective"],
            lead=data["lead"].pk, crime_types=list(data["crime_types"]),
            participants=[o.pk for o in data.get("participants") or []],
            countries=list(data["countries"]), starts=data["starts"], ends=data["ends"],
            phase=data.get("phase") or Phase.COLLECT, lessons=data.get("lessons", ""))


class ParticipantsForm(BootstrapMixin, forms.Form):
    participants = forms.ModelMultipleChoiceField(
        label=_("Participating organisations"), queryset=None, required=False,
        widget=forms.SelectMultiple(attrs={"size": 14}),
        help_text=_("Organisations added are told through their inbox. The lead and the "
                    "organisation that opened the operation stay in it."))

    def __init__(self, *args: Any, operation: Operation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = _organisations()
        self.initial.setdefault("participants", list(
            operation.compartment.organisations.values_list("pk", flat=True)))


class PhaseForm(BootstrapMixin, forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices)


class CloseForm(BootstrapMixin, forms.Form):
    lessons = forms.CharField(label=_("Lessons learned"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))


class TargetsForm(BootstrapMixin, forms.Form):
    """One target or a pasted list, one a line."""

    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Given on each line")),
                                                  *Target.Kind.choices],
        help_text=_("Choose a type and each line is one value of it; otherwise start each "
                    "line with its type: “domain evil.example”, “person Jane Doe”, "
                    "“account telegram:@name”."))
    targets = forms.CharField(
        label=_("Targets"), widget=forms.Textarea(attrs={"rows": 10, "dir": "ltr",
                                                         "spellcheck": "false"}),
        help_text=_("One a line, up to %(n)s. Defanged values (hxxp, [.]) are read as "
                    "they are meant.") % {"n": f"{MAX_TARGETS:,}"})
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.TextInput(attrs={"dir": "auto"}),
                           help_text=_("Kept with each target of this list."))

    def inputs(self) -> list[TargetInput]:
        data = self.cleaned_data
        items = parse_paste(data["targets"], data["kind"])
        for item in items:
            item.note = data["note"]
        return items


class LinkForm(BootstrapMixin, forms.Form):
    linked = forms.CharField(
        label=_("Linked intelligence"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "dir": "ltr"}),
        help_text=_("STIX ids or object numbers, separated by spaces or commas."))

    def ids(self) -> list[str]:
        return [w for w in self.cleaned_data["linked"].replace(",", " ").split() if w]


class TaskForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Task"), max_length=300,
                            widget=forms.TextInput(attrs={"dir": "auto"}))
    assigned_to = forms.ModelChoiceField(label=_("Assigned to"), queryset=None)
    due = forms.DateField(label=_("Due"), required=False, widget=DateInput())
    detail = forms.CharField(label=_("Detail"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))

    def __init__(self, *args: Any, operation: Operation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = operation.compartment.organisations.all()


class TaskStatusForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)
