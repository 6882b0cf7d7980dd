"""The admin's form for a feed subscription. Credentials are write-only: never shown back,
and left empty on edit they keep their stored values."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Organisation
from vaka.exchange import outbound
from vaka.exchange.models import Feed
from vaka.policy import crypto
from vaka.policy.forms import MarkingFields
from vaka.web.forms import BootstrapMixin

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class FeedForm(BootstrapMixin, MarkingFields, forms.ModelForm):  # type: ignore[misc,valid-type]
    """A feed and the markings of what it brings in (``policy.inputs``)."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=Feed._meta.get_field("url").help_text)
    forget_credentials = forms.BooleanField(
        label=_("Forget the stored password and token"), required=False)
    start_over = forms.BooleanField(
        label=_("Read everything again"), required=False,
        help_text=_("Forget where the last poll stopped. What is already stored is not "
                    "stored twice."))

    class Meta:
        model = Feed
        fields = ["name", "kind", "url", "username", "password", "token", "verify_tls",
                  "organisation", "interval_minutes", "enabled"]
        widgets = {"password": SECRET, "token": SECRET}
        help_texts = {
            "username": _("With a password: HTTP Basic authentication."),
            "token": _("TAXII: sent as “Authorization: Bearer …” (or as it is, when it "
                       "names its scheme, e.g. “Token …”). MISP: the API key, sent as "
                       "“Authorization: …”."),
            "organisation": _("What the feed brings in is owned by this organisation."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True)
        self.choices_for(None)
        self.fields["distribution"].help_text = _(
            "MISP events marked narrower keep their narrower distribution.")
        self.fields["recipients"].help_text = _(
            "TLP:RED reaches these people only: name at least one.")
        if self.instance.pk:
            self.initial_markings(self.instance.markings())
        self.fields["interval_minutes"].min_value = 1
        self.fields["interval_minutes"].widget.attrs["min"] = 1
        editing = self.instance.pk is not None
        for name in ("password", "token"):
            self.initial.pop(name, None)
            if editing and crypto.unreadable(self.instance, name):
                self.fields[name].help_text = _(
                    "Stored, but it cannot be decrypted: the encryption key changed. Enter "
                    "it again.")
            elif editing and crypto.is_set(self.instance, name):
                self.fields[name].help_text = _("Stored. Leave empty to keep it.")
        if not editing:
            del self.fields["forget_credentials"]
            del self.fields["start_over"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if url == self.instance.url:  # as saved: checked at each poll
            return url
        return outbound.check_url(url, field=None)

    def clean_password(self) -> Any:
        return self.cleaned_data["password"] or crypto.kept(self.instance, "password")

    def clean_token(self) -> Any:
        return self.cleaned_data["token"] or crypto.kept(self.instance, "token")

    def clean_interval_minutes(self) -> int:
        minutes = self.cleaned_data["interval_minutes"]
        if minutes < 1:
            raise ValidationError(_("Poll at most once a minute."))
        return minutes

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("forget_credentials"):
            data["password"], data["token"] = "", ""
        for name in ("password", "token"):
            if isinstance(data.get(name), crypto.Stored):
                self.add_error(name, _("The stored value cannot be decrypted: the encryption "
                                       "key changed. Enter it again, or forget the stored "
                                       "password and token."))
        if data.get("password") and not data.get("username"):
            self.add_error("username", _("Enter the user name that goes with the password."))
        if data.get("organisation") is not None and not self.errors:
            self.check_markings(data["organisation"], None)
        return data
