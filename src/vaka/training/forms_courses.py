"""Forms of the catalogue's pages. The course form's fields are ``CourseDetails``' (the one
definition of what a course's writer gives) plus the markings block; the services check
everything again and their errors land on the fields (``apply_errors``)."""

from functools import cache
from typing import Any

import pycountry
from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Country, User
from vaka.policy.forms import MarkingsForm
from vaka.policy.visibility import visible_to
from vaka.training.courses import (
    COURSE_FIELDS,
    INTERFACE_LANGUAGES,
    SESSION_FIELDS,
    CourseDetails,
    SessionDetails,
)
from vaka.training.models import Course, Participant, Session, Topic
from vaka.web.forms import BootstrapMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


@cache
def language_choices() -> list[tuple[str, str]]:
    """The instance's interface languages first, then every ISO 639-1 language by name."""
    others = sorted(((lang.alpha_2, lang.name) for lang in pycountry.languages
                     if hasattr(lang, "alpha_2") and lang.alpha_2 not in INTERFACE_LANGUAGES),
                    key=lambda pair: pair[1])
    first = [(code, pycountry.languages.get(alpha_2=code).name)
             for code in INTERFACE_LANGUAGES]
    return [*first, *others]


class CourseForm(MarkingsForm):
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=Topic.choices,
                                       required=False, widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=language_choices, required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("The languages it is taught in."))

    class Meta:
        model = Course
        fields = [*COURSE_FIELDS, *MarkingsForm.MARKING_FIELDS]
        widgets = {"title": forms.TextInput(attrs={"dir": "auto"}),
                   "code": forms.TextInput(attrs={"dir": "ltr"}),
                   "summary": forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
                   "donor": forms.TextInput(attrs={"dir": "auto"})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["code"].help_text = _("Short and unique, e.g. “cyber-101”.")

    def validate_unique(self) -> None:
        """The service says whether the code is taken (keyed on the field)."""

    def details(self) -> CourseDetails:
        data = self.cleaned_data
        values = {name: data[name] for name in COURSE_FIELDS}
        values["programme"] = data["programme"].pk if data["programme"] else None
        values["topics"], values["languages"] = list(data["topics"]), list(data["languages"])
        return CourseDetails(**values)


class ArchiveForm(BootstrapMixin, forms.Form):
    archived = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SessionForm(BootstrapMixin, forms.ModelForm):
    country = forms.ChoiceField(label=_("Country"), required=False)

    class Meta:
        model = Session
        fields = list(SESSION_FIELDS)
        widgets = {"starts": DateInput(), "ends": DateInput(),
                   "place": forms.TextInput(attrs={"dir": "auto"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *Country.objects.values_list(
            "code", "name")]
        self.fields["capacity"].min_value = 1
        if self.instance.pk and self.instance.country_id:
            self.initial["country"] = self.instance.country.code

    def _post_clean(self) -> None:
        """The service validates (its errors land on the fields); nothing is copied to the
        instance here."""

    def details(self) -> SessionDetails:
        data = self.cleaned_data
        return SessionDetails(**{name: data[name] for name in SESSION_FIELDS
                                 if name != "country"}, country=data["country"] or None)


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300,
                             widget=forms.TextInput(attrs={"dir": "auto"}))


class TrainersForm(BootstrapMixin, forms.Form):
    trainers = forms.ModelMultipleChoiceField(
        label=_("Trainers"), queryset=Participant.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("People you can see, including those trained by the programme. A "
                    "trainer with an account must be able to open the course."))

    def __init__(self, *args: Any, user: User, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["trainers"]
        field.queryset = visible_to(user, Participant.objects.filter(
            merged_into__isnull=True)).select_related("organisation")
        field.label_from_instance = lambda p: f"{p} — {p.organisation}"
        self.initial.setdefault("trainers", list(session.trainers.values_list("pk", flat=True)))
