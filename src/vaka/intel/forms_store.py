"""Forms of the STIX store pages."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import User
from vaka.intel import blank
from vaka.intel.galaxies import tag_for
from vaka.intel.models import ExportLink
from vaka.intel.parsing.observables import KINDS
from vaka.intel.services import FORMAT_LABELS, FORMATS, MAX_LOOKUP
from vaka.policy.forms import MarkingFields
from vaka.web.forms import BootstrapMixin


class SubmitForm(BootstrapMixin, MarkingFields):  # type: ignore[misc,valid-type]
    """What to ingest, its labels, and its markings (``policy.inputs``)."""

    file = forms.FileField(label=_("File"), required=False,
                           help_text=_("STIX 2.x bundle, MISP JSON, CSV, or a .txt, .md, .html "
                                       "or .pdf advisory."))
    content = forms.CharField(label=_("Or paste"), required=False,
                              widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false",
                                                           "dir": "auto"}))
    format = forms.ChoiceField(label=_("Format"), required=False,
                               choices=[("", _("Guess from the content")),
                                        *[(f, FORMAT_LABELS[f]) for f in FORMATS]])
    technique = forms.CharField(
        label=_("ATT&CK technique"), required=False, max_length=300,
        widget=forms.TextInput(attrs={"list": "galaxy-mitre-attack-pattern",
                                      "hx-get": "/intel/galaxies/mitre-attack-pattern/",
                                      "hx-trigger": "focus once",
                                      "hx-target": "#galaxy-mitre-attack-pattern",
                                      "hx-swap": "outerHTML", "autocomplete": "off"}))
    threat_actor = forms.CharField(
        label=_("Threat actor"), required=False, max_length=300,
        widget=forms.TextInput(attrs={"list": "galaxy-threat-actor",
                                      "hx-get": "/intel/galaxies/threat-actor/",
                                      "hx-trigger": "focus once",
                                      "hx-target": "#galaxy-threat-actor",
                                      "hx-swap": "outerHTML", "autocomplete": "off"}))
    other_labels = forms.CharField(label=_("Other labels"), required=False, max_length=500,
                                   help_text=_("Separated by commas."))
    partial = forms.BooleanField(label=_("Keep the valid objects if some are rejected"),
                                 required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices_for(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        if not upload and not (data.get("content") or "").strip():
            raise forms.ValidationError(_("Choose a file or paste something."))
        if upload and upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
            self.add_error("file", _("%(name)s is larger than %(limit)d MB; use the command "
                                     "line for large files.")
                           % {"name": upload.name, "limit": settings.MAX_UPLOAD_MB})
        elif upload and blank.is_blank_upload(upload):
            self.add_error("file", blank.empty_file(upload.name))
        return data

    def clean_content(self) -> str:
        # A browser sends a textarea's lines ending in CRLF whatever was pasted (the
        # textarea itself holds LF): undo that, so the kept original is the text as pasted.
        return self.cleaned_data["content"].replace("\r\n", "\n")

    def clean_technique(self) -> str:
        return self._tag("mitre-attack-pattern", self.cleaned_data["technique"],
                         _("“%s” is not a known ATT&CK technique."))

    def clean_threat_actor(self) -> str:
        return self._tag("threat-actor", self.cleaned_data["threat_actor"],
                         _("“%s” is not a known threat actor."))

    def _tag(self, galaxy: str, value: str, unknown: Any) -> str:
        if not value.strip():
            return ""
        try:
            return tag_for(galaxy, value.strip())
        except ValueError as error:
            raise forms.ValidationError(unknown % value.strip()) from error

    def labels(self) -> list[str]:
        """Labels to put on every object of the submission."""
        data = self.cleaned_data
        picked = [data.get("technique", ""), data.get("threat_actor", "")]
        typed = (data.get("other_labels") or "").split(",")
        return [label.strip() for label in [*picked, *typed] if label.strip()]


class LookupForm(BootstrapMixin, forms.Form):
    values = forms.CharField(
        label=_("Values"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "dir": "ltr"}),
        # Lazy, with the number filled in when shown: ``%`` on a lazy text would translate
        # it once, at import, in English.
        help_text=lazy(lambda: _("One per line (up to %(n)d): IP addresses, domains, URLs, "
                                 "e-mail addresses, hashes, CVE ids, wallets, phone numbers; "
                                 "defanged is fine.") % {"n": MAX_LOOKUP}, str)())
    only_found = forms.BooleanField(label=_("Show only values something is known of"),
                                    required=False)

    def clean_values(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["values"].splitlines()
                 if line.strip()]
        if len(lines) > MAX_LOOKUP:
            raise forms.ValidationError(_("At most %d values at a time.") % MAX_LOOKUP)
        return lines


class ExportLinkForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("Say what will fetch it, e.g. “perimeter firewall”."))
    format = forms.ChoiceField(label=_("Format"), choices=ExportLink.Format.choices,
                               initial=ExportLink.Format.IP)


class ExclusionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=[(k, k) for k in KINDS])
    value = forms.CharField(label=_("Value, network or domain"), max_length=300,
                            help_text=_("A domain also covers its subdomains; an address "
                                        "range is written as a network, e.g. 203.0.113.0/24."))
    note = forms.CharField(label=_("Why"), max_length=200, required=False)
