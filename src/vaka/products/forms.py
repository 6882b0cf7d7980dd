"""Forms of the product pages; the kind's sections come from ``products.kinds``."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Community, Country, Organisation, User
from vaka.intel.crime_types import CrimeType
from vaka.policy.forms import MarkingFields
from vaka.policy.services import Markings
from vaka.policy.visibility import visible_to
from vaka.products import selectors
from vaka.products.kinds import COUNTRIES, LINE, SECTORS, Sector, sections_of
from vaka.products.models import Kind, Product, Recipient, Revision
from vaka.products.services import Content
from vaka.web.forms import BootstrapMixin


def _section_field(section: Any) -> forms.Field:
    common = {"label": section.label, "help_text": section.help, "required": False}
    if section.form == COUNTRIES:
        return forms.MultipleChoiceField(choices=[], widget=forms.SelectMultiple(
            attrs={"size": 6}), **common)
    if section.form == SECTORS:
        return forms.MultipleChoiceField(choices=Sector.choices,
                                         widget=forms.CheckboxSelectMultiple, **common)
    if section.form == LINE:
        return forms.CharField(max_length=300, **common)
    return forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}), **common)


class ProductForm(BootstrapMixin, MarkingFields):  # type: ignore[misc,valid-type]
    """A revision's content and markings. The service checks them; its errors land on
    the fields (``apply_errors``)."""

    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))
    body = forms.CharField(label=_("Body"), required=False,
                           help_text=_("Markdown: headings, lists, tables, links."),
                           widget=forms.Textarea(attrs={"rows": 14, "dir": "auto"}))
    crime_types = forms.MultipleChoiceField(label=_("Crime types"), required=False,
                                            choices=CrimeType.choices,
                                            widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(label=_("Written in"), choices=settings.LANGUAGES)
    linked = forms.CharField(
        label=_("Linked intelligence"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "dir": "ltr"}),
        help_text=_("STIX ids or object numbers, separated by spaces or commas. Their "
                    "indicators make the annex; each reader sees only what they may."))
    ack_deadline = forms.DateTimeField(
        label=_("Acknowledge by"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    period_start = forms.DateField(label=_("Period from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period to"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False, queryset=None)
    charts = forms.MultipleChoiceField(
        label=_("Charts from the analytics"), required=False, choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Drawn from the figures you may see (over the report's period), as they "
                    "are when you save."))

    def __init__(self, *args: Any, user: User, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.kind = user, kind
        self.choices_for(user)
        self.sections = sections_of(kind)
        for section in self.sections:
            field = self.fields[f"s_{section.name}"] = _section_field(section)
            if section.form == COUNTRIES:
                field.choices = list(Country.objects.values_list("code", "name"))
        if kind != Kind.ALERT:
            del self.fields["ack_deadline"]
        if kind != Kind.REPORT:
            del self.fields["period_start"], self.fields["period_end"]
        if kind in (Kind.ASSESSMENT, Kind.REPORT):
            from vaka.products.analytics import figures_for

            self.fields["charts"].choices = [
                (key, chart.title) for key, chart in figures_for(user).charts.items()]
        else:
            del self.fields["charts"]
        if kind == Kind.AWARENESS:
            self.fields["campaign"].queryset = selectors.campaigns_for(user).filter(
                owner_id=user.organisation_id)
        else:
            del self.fields["campaign"]

    def section_fields(self) -> list[forms.BoundField]:
        return [self[f"s_{section.name}"] for section in self.sections]

    def show(self, product: Product, revision: Revision) -> None:
        """Fill the fields from a draft revision."""
        self.initial.update({
            "title": revision.title, "summary": revision.summary, "body": revision.body,
            "crime_types": revision.crime_types, "language": revision.language,
            "linked": " ".join(revision.linked.values_list("stix_id", flat=True)),
            "ack_deadline": product.ack_deadline, "period_start": product.period_start,
            "period_end": product.period_end, "campaign": product.campaign_id,
            "charts": [c["key"] for c in (revision.figures or {}).get("charts", [])],
            **{f"s_{name}": value for name, value in revision.sections.items()}})
        self.initial_markings(Markings.of(revision))

    def clean_linked(self) -> list[int]:
        """Object numbers and STIX ids to object numbers (the service checks them)."""
        from vaka.intel.models import StixObject

        words = [w for w in self.cleaned_data["linked"].replace(",", " ").split() if w]
        numbers = {int(w) for w in words if w.isdigit()}
        stix_ids = [w for w in words if not w.isdigit()]
        if stix_ids:
            found = dict(visible_to(self.user, StixObject.objects.filter(stix_id__in=stix_ids))
                         .values_list("stix_id", "pk"))
            missing = [w for w in stix_ids if w not in found]
            if missing:
                raise forms.ValidationError(_("No object you may see has the id(s) %s.")
                                            % ", ".join(missing))
            numbers |= set(found.values())
        return sorted(numbers)

    def content(self) -> Content:
        data = self.cleaned_data
        return Content(
            title=data["title"], summary=data["summary"], body=data["body"],
            sections={s.name: data.get(f"s_{s.name}") for s in self.sections},
            crime_types=list(data["crime_types"]), language=data["language"],
            linked=data["linked"], ack_deadline=data.get("ack_deadline"),
            period_start=data.get("period_start"), period_end=data.get("period_end"),
            campaign=data["campaign"].pk if data.get("campaign") else None,
            charts=list(data["charts"]) if "charts" in self.fields else None)

    def apply_errors(self, error: Any) -> None:
        """Section errors come back keyed by the section's name."""
        if hasattr(error, "error_dict"):
            renamed = {f"s_{k}" if f"s_{k}" in self.fields else k: v
                       for k, v in error.error_dict.items()}
            error.error_dict = renamed
        super().apply_errors(error)


class CommentForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))


class DisseminateForm(BootstrapMixin, forms.Form):
    countries = forms.MultipleChoiceField(label=_("Countries"), required=False, choices=[],
                                          widget=forms.SelectMultiple(attrs={"size": 8}))
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations"), required=False, queryset=Organisation.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}))
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities"), required=False, queryset=Community.objects.none(),
        widget=forms.CheckboxSelectMultiple)
    deadline = forms.DateTimeField(label=_("Acknowledge by"), required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["countries"].choices = list(Country.objects.filter(
            organisations__isnull=False).distinct().values_list("code", "name"))
        self.fields["organisations"].queryset = Organisation.objects.filter(
            is_active=True).exclude(pk=product.owner_id).select_related("country")
        self.fields["communities"].queryset = Community.objects.all()
        if not product.is_alert:
            del self.fields["deadline"]
        else:
            self.initial.setdefault("deadline", product.ack_deadline)


class AcknowledgeForm(BootstrapMixin, forms.Form):
    ack = forms.ChoiceField(label=_("Acknowledge"), widget=forms.RadioSelect, choices=[
        (Recipient.Ack.RECEIVED, Recipient.Ack.RECEIVED.label),
        (Recipient.Ack.ACTIONED, Recipient.Ack.ACTIONED.label)])
    note = forms.CharField(label=_("Note"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))


class TranslationForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))
    body = forms.CharField(label=_("Body"), required=False,
                           widget=forms.Textarea(attrs={"rows": 14, "dir": "auto"}))

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = [s for s in sections_of(kind) if s.form not in (COUNTRIES, SECTORS)]
        for section in self.sections:
            self.fields[f"s_{section.name}"] = _section_field(section)

    def section_fields(self) -> list[forms.BoundField]:
        return [self[f"s_{section.name}"] for section in self.sections]

    def sections_data(self) -> dict[str, Any]:
        return {s.name: self.cleaned_data.get(f"s_{s.name}", "") for s in self.sections}


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
