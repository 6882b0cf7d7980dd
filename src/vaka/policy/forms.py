"""Form fields for markings: any ModelForm of a shareable record extends ``MarkingsForm``."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Community, Organisation, User
from vaka.policy.markings import (
    GRADING_SCHEME_CHOICES,
    GRADING_SCHEMES,
    PAP,
    PAP_DESCRIPTIONS,
    TLP,
    TLP_DESCRIPTIONS,
    Distribution,
    Handling,
)
from vaka.policy.services import Markings, clean_markings
from vaka.web.forms import BootstrapMixin


def _grading_choices(part: str) -> list[Any]:
    groups: list[Any] = [("", "—")]
    for scheme in GRADING_SCHEMES.values():
        table = getattr(scheme, part)
        if table:
            groups.append((scheme.label, [(f"{scheme.code}:{code}", f"{code} — {label}")
                                          for code, label in table.items()]))
    return groups


class MarkingsForm(BootstrapMixin, forms.ModelForm):
    """The markings of a shareable record, validated by ``policy.services``.

    Subclasses list their own fields in ``Meta.fields`` plus ``MARKING_FIELDS``.
    """

    MARKING_FIELDS = ["distribution", "tlp", "pap", "handling", "handling_note",
                      "grading_scheme"]

    distribution = forms.ChoiceField(label=_("Distribution"), choices=Distribution.choices,
                                     widget=forms.RadioSelect, initial=Distribution.ORGANISATION)
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities"), queryset=Community.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    recipient_organisations = forms.ModelMultipleChoiceField(
        label=_("Recipient organisations"), queryset=Organisation.objects.none(),
        required=False, widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("TLP:AMBER and TLP:AMBER+STRICT reach these organisations. Empty: every "
                    "organisation the distribution reaches."))
    recipients = forms.ModelMultipleChoiceField(
        label=_("Named recipients"), queryset=User.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("TLP:RED reaches these people only (and you)."))
    tlp = forms.ChoiceField(label=_("TLP"), widget=forms.RadioSelect, initial=TLP.AMBER,
                            choices=[(k, f"{v} — {TLP_DESCRIPTIONS[k]}") for k, v in TLP.choices])
    pap = forms.ChoiceField(label=_("PAP"), initial=PAP.AMBER,
                            choices=[(k, f"{v} — {PAP_DESCRIPTIONS[k]}") for k, v in PAP.choices])
    handling = forms.MultipleChoiceField(label=_("Handling"), choices=Handling.choices,
                                         widget=forms.CheckboxSelectMultiple, required=False)
    grading_scheme = forms.ChoiceField(label=_("Grading scheme"), choices=GRADING_SCHEME_CHOICES)
    grading_source = forms.ChoiceField(label=_("Source evaluation"), required=False,
                                       choices=_grading_choices("source"))
    grading_information = forms.ChoiceField(label=_("Information evaluation"), required=False,
                                            choices=_grading_choices("information"))
    grading_handling = forms.ChoiceField(label=_("Grading handling code"), required=False,
                                         choices=_grading_choices("handling"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        org = user.organisation
        self.fields["communities"].queryset = (
            Community.objects.filter(members=org) if org else Community.objects.none()
        )
        self.fields["recipient_organisations"].queryset = Organisation.objects.filter(
            is_active=True).select_related("country")
        self.fields["recipients"].queryset = User.objects.filter(
            is_active=True, organisation__isnull=False).select_related("organisation")
        self.fields["recipients"].label_from_instance = (
            lambda u: f"{u} — {u.organisation}")
        instance = self.instance
        if instance.pk:
            for name in ("communities", "recipient_organisations", "recipients"):
                self.initial[name] = list(getattr(instance, name))
            scheme = instance.grading_scheme
            for name in ("grading_source", "grading_information", "grading_handling"):
                if value := getattr(instance, name):
                    self.initial[name] = f"{scheme}:{value}"

    def _code(self, name: str, scheme: str) -> str:
        value = self.cleaned_data.get(name) or ""
        if not value:
            return ""
        value_scheme, _sep, code = value.partition(":")
        if value_scheme != scheme:
            self.add_error(name, _("This code belongs to another grading scheme."))
            return ""
        return code

    def markings(self) -> Markings:
        data = self.cleaned_data
        scheme = data.get("grading_scheme", "")
        return Markings(
            distribution=data.get("distribution", ""),
            tlp=data.get("tlp", ""),
            communities=list(data.get("communities") or []),
            recipient_organisations=list(data.get("recipient_organisations") or []),
            recipients=list(data.get("recipients") or []),
            pap=data.get("pap", ""),
            handling=list(data.get("handling") or []),
            handling_note=data.get("handling_note", ""),
            grading_scheme=scheme,
            grading_source=self._code("grading_source", scheme),
            grading_information=self._code("grading_information", scheme),
            grading_handling=self._code("grading_handling", scheme),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        owner = self.instance.owner if self.instance.pk else self.user.organisation
        if owner is None:
            raise ValidationError(_("Your account belongs to no organisation."))
        try:
            clean_markings(owner, self.instance.created_by or self.user, self.markings())
        except ValidationError as error:
            self.apply_errors(error)
        return data
