"""Form fields for markings: any ModelForm of a shareable record extends ``MarkingsForm``."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Community, Organisation, User
from vaka.policy.inputs import (
    CHOICE,
    CODES,
    COMMUNITIES,
    GRADE,
    HANDLING_NOTE_LENGTH,
    MARKING_INPUTS,
    NAMES,
    ORGANISATIONS,
    PEOPLE,
    MarkingInput,
    grade_choices,
    markings_from,
    parse_markings,
)
from vaka.policy.services import Markings
from vaka.web.forms import BootstrapMixin

RADIOS = ("distribution", "tlp")


def form_field(spec: MarkingInput) -> forms.Field:
    """The form field of one markings input (``policy.inputs``)."""
    # Nothing chosen means the default, as in the API and on the command line.
    common = {"label": spec.label, "help_text": spec.help, "required": False}
    if spec.kind == CHOICE:
        return forms.ChoiceField(choices=spec.choices, initial=spec.default, **common,
                                 widget=forms.RadioSelect if spec.name in RADIOS else None)
    if spec.kind == CODES:
        return forms.MultipleChoiceField(choices=spec.choices, **common,
                                         widget=forms.CheckboxSelectMultiple)
    if spec.kind == GRADE:
        return forms.ChoiceField(choices=[("", "—"), *grade_choices(spec.part)], **common)
    if spec.kind == COMMUNITIES:
        return forms.ModelMultipleChoiceField(queryset=Community.objects.none(), **common,
                                              widget=forms.CheckboxSelectMultiple)
    if spec.kind in (ORGANISATIONS, PEOPLE):
        model = Organisation if spec.kind == ORGANISATIONS else User
        return forms.ModelMultipleChoiceField(queryset=model.objects.none(), **common,
                                              widget=forms.SelectMultiple(attrs={"size": 6}))
    return forms.CharField(max_length=HANDLING_NOTE_LENGTH, **common)


class _MarkingMethods:
    """Querysets for the user, and the form's ``Markings``; see ``MarkingFields``."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def choices_for(self, user: User | None) -> None:
        """Offer the communities of ``user``'s organisation and every active recipient."""
        org_id = user.organisation_id if user is not None else None
        self.fields["communities"].queryset = (
            Community.objects.filter(members=org_id) if org_id else Community.objects.all())
        self.fields["recipient_organisations"].queryset = Organisation.objects.filter(
            is_active=True).select_related("country")
        self.fields["recipients"].queryset = User.objects.filter(
            is_active=True, organisation__isnull=False).select_related("organisation")
        self.fields["recipients"].label_from_instance = lambda u: f"{u} — {u.organisation}"

    def initial_markings(self, m: Markings) -> None:
        """Show ``m`` (a record's or a setting's markings) in the fields."""
        initial: dict[str, Any] = self.initial  # type: ignore[attr-defined]
        for spec in MARKING_INPUTS:
            value = getattr(m, spec.name)
            if spec.kind == GRADE:
                value = f"{m.grading_scheme}:{value}" if value else ""
            initial[spec.name] = list(value) if spec.many else value

    def marking_fields(self) -> list[forms.BoundField]:
        """The bound marking fields, e.g. to carry them as hidden inputs."""
        return [self[name] for name in NAMES]  # type: ignore[index]

    def markings(self) -> Markings:
        """A fresh ``Markings`` from the cleaned data (not yet checked against the rules)."""
        return markings_from(self._marking_data())

    def _marking_data(self) -> dict[str, Any]:
        return {spec.name: self.cleaned_data[spec.name] for spec in MARKING_INPUTS
                if self.cleaned_data.get(spec.name) not in (None, "")
                or (spec.name in self.cleaned_data and spec.kind != CHOICE)}

    def check_markings(self, owner: Organisation | None, creator: User | None) -> None:
        """Put what is wrong with the markings on the fields; ``clean()`` calls it."""
        if owner is None:
            raise ValidationError(_("Your account belongs to no organisation."))
        try:
            parse_markings(self._marking_data(), owner=owner, creator=creator)
        except ValidationError as error:
            self.apply_errors(error)  # type: ignore[attr-defined]


# The fields are made from the one definition; any form adds them by inheriting this.
MarkingFields = type("MarkingFields", (_MarkingMethods, forms.Form),
                     {spec.name: form_field(spec) for spec in MARKING_INPUTS})


class MarkingsForm(BootstrapMixin, MarkingFields, forms.ModelForm):  # type: ignore[misc,valid-type]
    """The markings of a shareable record, validated by ``policy.services``.

    Subclasses list their own fields in ``Meta.fields`` plus ``MARKING_FIELDS``.
    """

    MARKING_FIELDS = ["distribution", "tlp", "pap", "handling", "handling_note",
                      "grading_scheme"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.choices_for(user)
        if self.instance.pk:
            self.initial_markings(Markings.of(self.instance))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            self.check_markings(self.instance.owner if self.instance.pk
                                else self.user.organisation,
                                self.instance.created_by or self.user)
        return data
