from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Community, Organisation, User
from vaka.directory.roles import Capability, Role
from vaka.web.forms import BootstrapMixin


class OrganisationForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "short_name", "kind", "country", "served_by", "contact_email",
                  "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "dir": "auto"})}


class CommunityForm(BootstrapMixin, forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Member organisations"), queryset=Organisation.objects.filter(is_active=True),
        required=False, widget=forms.SelectMultiple(attrs={"size": 12}))

    class Meta:
        model = Community
        fields = ["name", "description", "members"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "dir": "auto"})}


class CoordinatorsForm(BootstrapMixin, forms.Form):
    coordinators = forms.ModelMultipleChoiceField(
        label=_("Coordinators"), queryset=User.objects.filter(is_active=True)
        .select_related("organisation"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("They see the training records of the programme's sessions."))


class UserForm(BootstrapMixin, forms.ModelForm):
    password = forms.CharField(label=_("Initial password"), required=False,
                               widget=forms.PasswordInput(render_value=False),
                               help_text=_("Leave empty to let the user have none yet."))

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "phone", "organisation",
                  "role", "language", "is_active"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not actor.can(Capability.MANAGE_PLATFORM):
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk=actor.organisation_id)
            self.fields["organisation"].initial = actor.organisation_id
            self.fields["role"].choices = [c for c in Role.choices
                                           if c[0] != Role.PLATFORM_ADMIN]
        if self.instance.pk:
            del self.fields["password"]


class ProfileForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "language"]


class VakaPasswordChangeForm(BootstrapMixin, PasswordChangeForm):
    pass


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What will use it, e.g. “firewall blocklist”."))
    expires_in_days = forms.IntegerField(label=_("Expires after (days)"), required=False,
                                         min_value=1, max_value=3650,
                                         help_text=_("Empty: never expires."))


class OtpTokenForm(BootstrapMixin, forms.Form):
    otp_token = forms.CharField(
        label=_("Code from your authenticator app"), max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}))


class SecondFactorForm(OtpTokenForm):
    """The sign-in's second step: a code from the app, or one of the recovery codes."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"), max_length=24,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "autocapitalize": "off", "spellcheck": "false"}))
