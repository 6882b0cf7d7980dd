"""Forms of the interoperability pages: a Moodle CSV import and course bundles."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Organisation, User
from vaka.directory.roles import Capability
from vaka.policy.forms import MarkingFields
from vaka.policy.visibility import visible_to
from vaka.training.models import Course, Session
from vaka.web.forms import BootstrapMixin


def _too_large(upload: Any) -> bool:
    return upload is not None and upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024


class MoodleForm(BootstrapMixin, forms.Form):
    """The session the file's people go to, their organisation when they are new, and
    the file (or, on the preview's confirmation, its text carried back unchanged)."""

    session = forms.ModelChoiceField(label=_("Session"), queryset=Session.objects.none())
    organisation = forms.ModelChoiceField(
        label=_("Organisation of new people"), queryset=Organisation.objects.none(),
        help_text=_("People the file names whom you do not see yet are added to it."))
    file = forms.FileField(label=_("Moodle CSV export"), required=False)
    content = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = (
            visible_to(user, Session.objects.filter(cancelled_at=None))
            .select_related("course").order_by("-starts", "pk"))
        organisations = Organisation.objects.filter(is_active=True)
        if not user.can(Capability.TRAIN):
            organisations = organisations.filter(pk=user.organisation_id)
        self.fields["organisation"].queryset = organisations.order_by("name")
        self.fields["organisation"].initial = user.organisation_id

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        if _too_large(upload):
            self.add_error("file", _("The file is larger than %(mb)d MB.")
                           % {"mb": settings.MAX_UPLOAD_MB})
        elif not upload and not data.get("content"):
            self.add_error("file", _("Choose a file."))
        return data

    def content_bytes(self) -> bytes | str:
        upload = self.cleaned_data.get("file")
        return upload.read() if upload else self.cleaned_data["content"]


class BundleImportForm(BootstrapMixin, MarkingFields):  # type: ignore[misc,valid-type]
    """A course bundle, the markings the new course gets, and optionally a new code."""

    file = forms.FileField(label=_("Course bundle (.zip)"))
    code = forms.SlugField(label=_("Course code here"), required=False, max_length=40,
                           help_text=_("Empty: the bundle's code, if it is free."))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.choices_for(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if _too_large(data.get("file")):
            self.add_error("file", _("The file is larger than %(mb)d MB.")
                           % {"mb": settings.MAX_UPLOAD_MB})
        if not self.errors:
            self.check_markings(self.user.organisation, self.user)
        return data


def exportable_courses(user: User) -> Any:
    """The courses ``user`` manages (the bundle page's list)."""
    if not user.organisation_id or not user.can(Capability.TRAIN):
        return Course.objects.none()
    return visible_to(user, Course.objects.filter(owner=user.organisation_id)).order_by(
        "title", "pk")
